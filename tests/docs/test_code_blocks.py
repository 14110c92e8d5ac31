"""Every fenced code block of README.md and docs/**/*.md is checked (see ``blocks.py``).

One test per block, named ``page.md:LINE``. Runnable Python blocks of a page run in order
in one subprocess (later blocks use earlier names); shell blocks run in a temporary
directory where ``terminal-gym`` is ``python -m terminal_gym.cli`` of this checkout and
``examples/``, ``tests/`` and ``benchmarks/`` are links into it.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from tests.docs.blocks import (
    LANGUAGES,
    ROOT,
    Block,
    all_blocks,
    cli_verb,
    shell_script,
    simple_commands,
)

pytestmark = pytest.mark.slow

#: Seconds for one page's Python blocks, or one shell block.
TIMEOUT = 300

BLOCKS = all_blocks()
_PAGE_RESULTS: dict[str, dict[str, Any]] = {}


def test_blocks_found() -> None:
    pages = {b.page for b in BLOCKS}
    assert "README.md" in pages and len(pages) >= 10, pages


@pytest.mark.parametrize("block", [pytest.param(b, id=b.id) for b in BLOCKS])
def test_block(block: Block, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    assert block.lang, f"{block.id}: a code block needs a language (use `text` for output)"
    assert block.lang in LANGUAGES, f"{block.id}: unknown language {block.lang!r}"
    if block.file is not None:
        path = ROOT / block.file
        assert path.is_file(), f"{block.id}: file={block.file} does not exist"
        assert block.code == path.read_text(encoding="utf-8"), (
            f"{block.id}: differs from {block.file}"
        )
    check = {
        "text": _check_text,
        "toml": _check_toml,
        "json": lambda b, *_: json.loads(b.code),
        "yaml": lambda b, *_: yaml.safe_load(b.code),
        "dockerfile": _check_dockerfile,
        "python": _check_python,
    }.get(block.lang, _check_shell)
    check(block, request, tmp_path)


def _check_text(block: Block, *_: Any) -> None:
    assert block.code.strip(), f"{block.id}: empty text block"


def _check_toml(block: Block, _request: Any, tmp_path: Path) -> None:
    data = tomllib.loads(block.code)
    if "task" not in block.words:
        return
    from terminal_gym.tasks import load_task

    task_dir = tmp_path / "task"
    _scaffold(task_dir, block.code)
    for step in data.get("steps", []):
        _scaffold(task_dir / "steps" / step["name"], None)
    assert load_task(task_dir).id


def _scaffold(path: Path, task_toml: str | None) -> None:
    """A task directory around a task.toml: instruction, Dockerfile, tests, oracle."""
    (path / "environment").mkdir(parents=True)
    (path / "tests").mkdir()
    (path / "solution").mkdir()
    if task_toml is not None:
        (path / "task.toml").write_text(task_toml)
        (path / "environment" / "Dockerfile").write_text("FROM terminal-gym/debian:bookworm\n")
    (path / "instruction.md").write_text("Do the thing.\n")
    (path / "tests" / "test.sh").write_text("#!/bin/bash\necho 1 > /logs/verifier/reward.txt\n")
    (path / "solution" / "solve.sh").write_text("#!/bin/bash\ntrue\n")


def _check_dockerfile(block: Block, *_: Any) -> None:
    from terminal_gym.tasks.dockerfile import parse

    assert any(i.keyword == "FROM" for i in parse(block.code)), f"{block.id}: no FROM"


# --- Python ----------------------------------------------------------------------------

_DRIVER = r"""
import json, sys, time, traceback
blocks = json.load(open(sys.argv[1]))
results, ns = {}, {"__name__": "__main__"}
for block in blocks:
    start = time.monotonic()
    try:
        exec(compile(block["code"], block["id"], "exec"), ns)
        results[block["id"]] = {"ok": True, "seconds": time.monotonic() - start}
    except BaseException:
        results[block["id"]] = {"ok": False, "error": traceback.format_exc()}
    with open(sys.argv[2], "w") as f:
        json.dump(results, f)
    if not results[block["id"]]["ok"]:
        break
"""


def _check_python(block: Block, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    tree = compile(block.code, block.id, "exec", flags=ast.PyCF_ONLY_AST)
    if block.dry_run:  # compiled; now its imports must resolve
        imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        code = ast.unparse(ast.Module(body=imports, type_ignores=[]))
        proc = _run([sys.executable, "-c", code], _workdir(tmp_path), timeout=TIMEOUT)
        assert proc.returncode == 0, f"{block.id}: imports fail:\n{proc.stdout[-3000:]}"
        return
    request.getfixturevalue("docker_client")
    if block.page not in _PAGE_RESULTS:
        _PAGE_RESULTS[block.page] = _run_page(block.page, tmp_path)
    results = _PAGE_RESULTS[block.page]
    if block.id not in results:
        failed = [k for k, v in results.items() if not k.startswith("_") and not v["ok"]]
        pytest.fail(
            f"{block.id}: not reached ("
            + (f"{failed[0]} failed first" if failed else "the page's run ended early")
            + f"){results.get('_output', '')}"
        )
    result = results[block.id]
    assert result["ok"], f"{block.id} raised:\n{result['error']}{results.get('_output', '')}"


def _run_page(page: str, tmp_path: Path) -> dict[str, Any]:
    runnable = [
        {"id": b.id, "code": b.code}
        for b in BLOCKS
        if b.page == page and b.lang == "python" and not b.dry_run
    ]
    spec, out = tmp_path / "blocks.json", tmp_path / "results.json"
    spec.write_text(json.dumps(runnable))
    proc = _run([sys.executable, "-c", _DRIVER, str(spec), str(out)], _workdir(tmp_path), TIMEOUT)
    results: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    results["_output"] = f"\n--- output (exit {proc.returncode}):\n{proc.stdout[-4000:]}"
    return results


# --- Shell -----------------------------------------------------------------------------


def _check_shell(block: Block, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    script = shell_script(block)
    syntax = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
    assert syntax.returncode == 0, f"{block.id}: bash -n: {syntax.stderr}"
    workdir = _workdir(tmp_path)
    if block.dry_run:
        for argv in simple_commands(script):
            _check_program(block, argv, workdir)
        return
    request.getfixturevalue("docker_client")
    proc = _run(["bash", "-e", "-o", "pipefail", "-c", script], workdir, TIMEOUT)
    assert proc.returncode == 0, f"{block.id}: exit {proc.returncode}:\n{proc.stdout[-4000:]}"


_BUILTINS = frozenset(
    {"cd", "export", "echo", "source", ".", "set", "true", "for", "do", "done", "if", "then"}
    | {"else", "elif", "fi", "while", "until", "case", "esac", "[", "[[", "{", "}", "!", "exit"}
)


def _check_program(block: Block, argv: list[str], workdir: Path) -> None:
    program = argv[0]
    if program in _BUILTINS:
        return
    if (verb := cli_verb(argv)) is not None:
        proc = _run([sys.executable, "-m", "terminal_gym.cli", *verb, "--help"], workdir, 60)
        assert proc.returncode == 0, (
            f"{block.id}: terminal-gym {' '.join(verb)} --help:\n{proc.stdout}"
        )
    elif program == "make":
        targets = [a for a in argv[1:] if not a.startswith("-") and "=" not in a]
        proc = _run(["make", "-n", "-C", str(ROOT), *targets], workdir, 60)
        assert proc.returncode == 0, f"{block.id}: make -n {targets}:\n{proc.stdout}"
    elif program in ("python", "python3") and len(argv) > 1 and argv[1].endswith(".py"):
        assert (ROOT / argv[1]).is_file(), f"{block.id}: no script {argv[1]}"
    elif program == "pip" and "install" in argv:
        extras = {
            e
            for a in argv
            if a.startswith("terminal-gym[")
            for e in a.removeprefix("terminal-gym[").rstrip("]").split(",")
        }
        project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
        known = set(project["optional-dependencies"])
        assert extras <= known, f"{block.id}: unknown extras {sorted(extras - known)}"
    else:
        bins = [str(workdir / "bin"), str(Path(sys.executable).parent), os.environ["PATH"]]
        path = os.pathsep.join(bins)
        assert shutil.which(program, path=path), f"{block.id}: {program} is not installed"


def _workdir(tmp_path: Path) -> Path:
    """A scratch directory with ``bin/terminal-gym`` and links to the checkout's
    examples/, tests/ and benchmarks/."""
    work = tmp_path / "work"
    if not work.exists():
        (work / "bin").mkdir(parents=True)
        shim = work / "bin" / "terminal-gym"
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m terminal_gym.cli "$@"\n')
        shim.chmod(0o755)
        for name in ("examples", "tests", "benchmarks"):
            (work / name).symlink_to(ROOT / name)
    return work


def _run(argv: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(cwd / "bin"), str(Path(sys.executable).parent), env["PATH"]])
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["MPLBACKEND"] = "Agg"
    try:
        return subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        out = (
            exc.stdout
            if isinstance(exc.stdout, str)
            else (exc.stdout or b"").decode("utf-8", "replace")
        )
        pytest.fail(f"{argv[:3]} ran past {timeout}s:\n{out[-3000:]}")
