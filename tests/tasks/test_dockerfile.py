"""The one Dockerfile reader (terminal_gym.tasks.dockerfile), against Docker's rules."""

from __future__ import annotations

import ast
import doctest
from pathlib import Path

import pytest

from terminal_gym.tasks import dockerfile
from terminal_gym.tasks.dockerfile import FromClause, Heredoc, directives, parse, parse_from


def kw_args(text: str) -> list[tuple[str, str]]:
    return [(i.keyword, i.args) for i in parse(text)]


def test_doctests():
    failures, tried = doctest.testmod(dockerfile)
    assert tried > 5 and failures == 0


def test_simple_instructions_lines_and_raw():
    text = "# a comment\n\nFROM debian:bookworm\nworkdir /app\n  ENV A=1\n"
    steps = parse(text)
    assert [(i.keyword, i.args, i.line) for i in steps] == [
        ("FROM", "debian:bookworm", 3),
        ("WORKDIR", "/app", 4),
        ("ENV", "A=1", 5),
    ]
    assert steps[2].raw == "  ENV A=1"
    assert all(i.end_line == i.line for i in steps)


def test_continuation_with_interleaved_comments():
    text = (
        "FROM x\n"
        "RUN apt-get update && \\\n"
        "# a comment inside the continuation\n"
        "    apt-get install -y \\\n"
        "      # an indented one\n"
        "      jq \\\n"
        "      curl\n"
        "USER nobody\n"
    )
    steps = parse(text)
    assert [i.keyword for i in steps] == ["FROM", "RUN", "USER"]
    run = steps[1]
    assert run.args == "apt-get update &&     apt-get install -y       jq       curl"
    assert "#" not in run.args
    assert (run.line, run.end_line) == (2, 7)
    assert run.raw == "\n".join(text.splitlines()[1:7])
    assert steps[2].line == 8


def test_a_comment_does_not_end_a_continuation():
    # Docker's gotcha: the line after the comment still belongs to the RUN.
    steps = parse("RUN echo a \\\n# comment\nUSER x\n")
    assert kw_args("RUN echo a \\\n# comment\nUSER x\n") == [("RUN", "echo a USER x")]
    assert steps[0].end_line == 3


def test_blank_lines_inside_a_continuation():
    text = "RUN a \\\n\n   \n\t\n  b\nCMD c\n"
    assert kw_args(text) == [("RUN", "a   b"), ("CMD", "c")]
    assert parse(text)[1].line == 6


def test_pieces_are_joined_as_written():
    assert kw_args("RUN echo a\\\nb\n") == [("RUN", "echo ab")]
    assert kw_args("RUN echo a \\  \n b\n") == [("RUN", "echo a  b")]


def test_hash_inside_a_line_is_not_a_comment():
    assert kw_args("RUN echo '#not' # nor this\n") == [("RUN", "echo '#not' # nor this")]


def test_escape_directive():
    text = "# escape=`\nFROM windows\nRUN dir C:\\ `\n  && echo done\nCOPY a\\ b\n"
    assert directives(text) == {"escape": "`"}
    assert kw_args(text) == [
        ("FROM", "windows"),
        ("RUN", "dir C:\\   && echo done"),
        ("COPY", "a\\ b"),  # a backslash is an ordinary character now
    ]


def test_directives_only_count_at_the_top():
    assert directives("FROM x\n# escape=`\n") == {}
    assert directives("# a comment\n# escape=`\n") == {}
    assert directives("\n# escape=`\n") == {}
    text = "# syntax=docker/dockerfile:1.7\n# Escape = `\nFROM x\n"
    assert directives(text) == {"syntax": "docker/dockerfile:1.7", "escape": "`"}
    # A late escape directive is a comment: backslash still continues.
    assert kw_args("FROM x\n# escape=`\nRUN a \\\n b\n") == [("FROM", "x"), ("RUN", "a  b")]
    # An invalid escape character is ignored.
    assert kw_args("# escape=x\nRUN a \\\n b\n") == [("RUN", "a  b")]


def test_json_exec_form():
    steps = parse('CMD ["python3", "-c", "print(1)"]\nENTRYPOINT [ "a" ]\nRUN [not json\n')
    assert steps[0].exec_form == ["python3", "-c", "print(1)"]
    assert steps[1].exec_form == ["a"]
    assert steps[2].exec_form is None and steps[2].args == "[not json"
    cont = parse('COPY ["a b", \\\n     "/dest/"]\n')[0]
    assert cont.exec_form == ["a b", "/dest/"]


def test_from_as_and_flags():
    steps = parse("FROM python:3.11 AS build\nfrom --platform=linux/amd64 debian as final\n")
    assert [parse_from(i.args) for i in steps] == [
        FromClause("python:3.11", "build"),
        FromClause("debian", "final", ("--platform=linux/amd64",)),
    ]
    assert parse_from("scratch") == FromClause("scratch")
    assert parse_from("") == FromClause("")
    multi = parse("FROM \\\n  python:3 \\\n  AS b\n")[0]
    assert parse_from(multi.args) == FromClause("python:3", "b")


def test_heredocs_belong_to_their_instruction():
    text = (
        "FROM x\n"
        "RUN <<EOF\n"
        "set -e\n"
        "# not a comment: part of the script\n"
        "FROM not-an-instruction\n"
        "echo done \\\n"
        "EOF\n"
        "COPY <<-'CONF' /etc/app.conf\n"
        "\tkey=$VALUE\n"
        "\tCONF\n"
        'RUN python3 - <<PY1 && cat <<"PY2"\n'
        "print(1)\n"
        "PY1\n"
        "two\n"
        "PY2\n"
        "USER nobody\n"
    )
    steps = parse(text)
    assert [(i.keyword, i.line) for i in steps] == [
        ("FROM", 1),
        ("RUN", 2),
        ("COPY", 8),
        ("RUN", 11),
        ("USER", 16),
    ]
    run = steps[1]
    assert run.args == "<<EOF"
    assert run.heredocs == (
        Heredoc(
            "EOF",
            "set -e\n# not a comment: part of the script\nFROM not-an-instruction\necho done \\\n",
        ),
    )
    assert run.script.startswith("set -e\n") and run.end_line == 7
    copy = steps[2]
    assert copy.heredocs == (Heredoc("CONF", "\tkey=$VALUE\n", quoted=True, chomp=True),)
    two = steps[3]
    assert [d.name for d in two.heredocs] == ["PY1", "PY2"]
    assert [d.quoted for d in two.heredocs] == [False, True]
    assert two.script == 'python3 - <<PY1 && cat <<"PY2"\nprint(1)\nPY1\ntwo\nPY2\n'
    assert steps[4].raw == "USER nobody"


def test_heredoc_like_text_that_is_not_a_heredoc():
    text = "RUN echo '<<EOF' && cat <<<here\nENV X=\"a<<b\"\nUSER x\n"
    steps = parse(text)
    assert [i.keyword for i in steps] == ["RUN", "ENV", "USER"]
    assert all(i.heredocs == () for i in steps)
    # Only RUN, COPY and ADD take heredocs.
    assert [i.keyword for i in parse("CMD cat <<EOF\nUSER x\nEOF\n")] == ["CMD", "USER", "EOF"]


def test_unterminated_heredoc_runs_to_the_end():
    steps = parse("RUN <<EOF\necho a\nUSER x\n")
    assert len(steps) == 1
    assert steps[0].heredocs[0].body == "echo a\nUSER x\n"


def test_crlf_bom_and_odd_line_breaks():
    text = "\ufeffFROM x\r\nRUN a \\\r\n  b\r\nENV A=1\x0cB\n"
    steps = parse(text)
    assert kw_args(text) == [("FROM", "x"), ("RUN", "a   b"), ("ENV", "A=1\x0cB")]
    assert steps[0].raw == "FROM x\r"


def test_trailing_continuation_and_empty_input():
    assert parse("") == []
    assert parse("\n\n# only comments\n") == []
    assert kw_args("RUN a \\") == [("RUN", "a")]
    assert kw_args("RUN a \\\n# c\n") == [("RUN", "a")]


def test_agrees_with_the_old_readers_on_plain_files():
    text = "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r req.txt\n"
    assert [(i.line, i.keyword, i.args) for i in parse(text)] == [
        (1, "FROM", "python:3.11-slim"),
        (2, "WORKDIR", "/app"),
        (3, "COPY", ". ."),
        (4, "RUN", "pip install -r req.txt"),
    ]


def test_imports_nothing_from_the_runtime_layers():
    tree = ast.parse(Path(dockerfile.__file__).read_text())
    imported = {
        alias.name if isinstance(node, ast.Import) else node.module
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert not [m for m in imported if m and m.startswith("terminal_gym")]


@pytest.mark.parametrize(
    "text",
    ["\\", "RUN \\\n\\\n\\", "<<EOF", "RUN <<", "RUN <<''\nx\n", "RUN 'unclosed <<EOF\n", "#"],
)
def test_malformed_input_never_raises(text):
    for step in parse(text):
        assert step.keyword == step.keyword.upper()
        _ = step.script, step.exec_form, parse_from(step.args)


def test_stages_know_earlier_stage_names():
    found = dockerfile.stages(parse("FROM a:1 AS Build\nRUN x\nFROM build\nFROM --platform=p c\n"))
    assert [(s.instruction.line, s.source.image, s.from_stage) for s in found] == [
        (1, "a:1", False),
        (3, "build", True),
        (4, "c", False),
    ]


def test_words_variables_and_shell_command():
    copy, env, legacy, run, exec_run = parse(
        'COPY --chown=0 ["a b", "/x/"]\n'
        'ENV A=1 B="two words" junk\n'
        "ENV PATH /opt/bin:$PATH\n"
        "RUN <<EOF\necho hi\nEOF\n"
        'RUN ["echo", "a b"]\n'
    )
    assert copy.words == ["--chown=0", "a b", "/x/"]
    assert env.variables == {"A": "1", "B": "two words"}
    assert legacy.variables == {"PATH": "/opt/bin:$PATH"}
    assert run.shell_command == "echo hi\n"
    assert exec_run.shell_command == "echo 'a b'"
    assert parse("COPY 'unbalanced /x\n")[0].words == ["'unbalanced", "/x"]
