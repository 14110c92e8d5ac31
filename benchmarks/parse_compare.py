"""EGS shell parsing: the current parser (bashlex + pre-scanner) against tree-sitter-bash.

Builds a corpus of real commands, then, for each command, compares:

1. the current entry point, :func:`terminal_gym.egs.parse.parse` (timed through the
   uncached ``_parse``: regex fast path, pre-scanner, bashlex, shlex fallback);
2. tree-sitter-bash (``tree_sitter`` + ``tree_sitter_bash``) with :func:`ts_commands`, a
   small walk that yields the same kind of result: simple commands in execution order
   (substitutions first), their argv words (quotes removed, expansions kept as text),
   leading assignments, redirections, pipeline parts; a function definition emits nothing
   and a later call to it emits its body, as in ``parse.py``.

Corpus (deduplicated, first source wins):

- ``tests/egs/*.py``: string literals passed to ``parse``/``words``/``classify``/
  ``labels``/``classify_action``/``analyze``/``Analyzer.step`` and the ``text``/
  ``command``/``commands`` columns of ``pytest.mark.parametrize`` tables;
- ``terminal_gym/tasks/builtin/*/solution/solve.sh``: one entry per complete command,
  split with ``bash -n`` as the judge (lines are joined until bash reads the chunk
  without error or unterminated-heredoc warning, so heredocs, ``if``/``for`` blocks and
  continued lines stay whole); the shebang, blank and comment-only lines are dropped;
- the procedural families' oracles (``FAMILIES[name].instance(seed, level).solution``,
  seeds 0-2, levels 1-3), split the same way.

Measured: parse success (current: neither fallback nor error; tree-sitter: no
ERROR/MISSING node), agreement on command names (argv[0] of each simple command) and on
argv, and median / p95 time per command (per command: the median over ``--repeat``
batches of ``--number`` calls, after a warm-up; the two parsers interleaved per command).

Run::

    python benchmarks/parse_compare.py
    python benchmarks/parse_compare.py --json benchmarks/results/parse_compare.json
"""

from __future__ import annotations

import argparse
import ast
import datetime
import json
import platform
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from terminal_gym.egs import parse as egs_parse  # noqa: E402

# --------------------------------------------------------------------------- corpus

_CALLS = frozenset(
    {"parse", "words", "classify", "labels", "classify_action", "_classify_text", "analyze"}
)
_METHODS = frozenset({"step"})
_COLUMNS = frozenset({"text", "command", "commands", "cmd"})


def _strings(node: ast.AST | None, env: dict[str, ast.AST]) -> list[str]:
    """String constants in ``node``: a literal, a list/tuple of them, or a name bound to one."""
    if node is None:
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [s for elt in node.elts for s in _strings(elt, env)]
    if isinstance(node, ast.Name) and node.id in env:
        return _strings(env[node.id], env)
    return []


def _assignments(body: Iterable[ast.stmt]) -> dict[str, ast.AST]:
    env: dict[str, ast.AST] = {}
    for stmt in body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, ast.Name):
                env[target.id] = stmt.value
    return env


def _parametrize_column(dec: ast.Call, env: dict[str, ast.AST]) -> list[str]:
    if len(dec.args) < 2:
        return []
    names_node, rows_node = dec.args[0], dec.args[1]
    names = _strings(names_node, {})
    if len(names) == 1 and "," in names[0]:
        names = [n.strip() for n in names[0].split(",")]
    cols = [i for i, n in enumerate(names) if n in _COLUMNS]
    if not cols:
        return []
    if isinstance(rows_node, ast.Name):
        rows_node = env.get(rows_node.id, rows_node)
    if not isinstance(rows_node, (ast.List, ast.Tuple)):
        return []
    out: list[str] = []
    for row in rows_node.elts:
        if len(names) == 1:
            out += _strings(row, env)
        elif isinstance(row, (ast.Tuple, ast.List)):
            for i in cols:
                if i < len(row.elts):
                    out += _strings(row.elts[i], env)
    return out


def test_commands(path: Path) -> list[str]:
    """Command strings the EGS tests in ``path`` feed to the parser."""
    tree = ast.parse(path.read_text())
    module_env = _assignments(tree.body)
    found: list[str] = []
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        env = {**module_env, **_assignments(ast.walk(fn))}  # type: ignore[arg-type]
        for dec in fn.decorator_list:
            if isinstance(dec, ast.Call) and getattr(dec.func, "attr", "") == "parametrize":
                found += _parametrize_column(dec, module_env)
        for node in ast.walk(fn):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else None
            attr = func.attr if isinstance(func, ast.Attribute) else None
            if name in _CALLS or attr in _METHODS:
                found += _strings(node.args[0], env)
    return found


def _bash_reads(chunk: str) -> bool:
    """True when ``bash -n`` reads ``chunk`` as complete commands."""
    proc = subprocess.run(["bash", "-n"], input=chunk, capture_output=True, text=True, check=False)
    return proc.returncode == 0 and "warning" not in proc.stderr


def split_script(script: str) -> list[str]:
    """Split a shell script into complete commands (heredoc- and block-aware)."""
    out: list[str] = []
    buf: list[str] = []
    for line in script.splitlines():
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        buf.append(line)
        chunk = "\n".join(buf)
        simple = "<<" not in chunk and not chunk.endswith(("\\", "|", "&&", "||"))
        if chunk.endswith("\\"):  # bash -n accepts a continuation at EOF
            continue
        if (simple and len(buf) == 1 and _QUICK_COMPLETE(line)) or _bash_reads(chunk + "\n"):
            out.append(chunk.strip())
            buf = []
    if buf:
        out.append("\n".join(buf).strip())
    return out


def _QUICK_COMPLETE(line: str) -> bool:
    """A line with no quote, bracket or keyword that could open a multi-line construct."""
    if any(c in line for c in "'\"`({[\\"):
        return False
    first = line.split()[0] if line.split() else ""
    return first not in {"if", "for", "while", "until", "case", "select", "function"}


@dataclass
class Corpus:
    commands: list[str] = field(default_factory=list)
    source: dict[str, str] = field(default_factory=dict)  # command -> source label

    def add(self, label: str, commands: Iterable[str]) -> None:
        for cmd in commands:
            if cmd not in self.source:
                self.source[cmd] = label
                self.commands.append(cmd)

    def sizes(self) -> dict[str, int]:
        return dict(Counter(self.source[c] for c in self.commands))


def build_corpus(*, tests: bool = True, builtin: bool = True, families: bool = True) -> Corpus:
    """The comparison corpus: EGS test commands, builtin oracles, family oracles."""
    corpus = Corpus()
    if tests:
        for path in sorted((ROOT / "tests" / "egs").glob("test_*.py")):
            if path.name == "test_parse_compare.py":
                continue
            corpus.add("tests/egs", test_commands(path))
    if builtin:
        for path in sorted((ROOT / "terminal_gym/tasks/builtin").glob("*/solution/solve.sh")):
            corpus.add("builtin oracles", split_script(path.read_text()))
    if families:
        from terminal_gym.tasks.families import FAMILIES

        for fam in FAMILIES.values():
            for level in (1, 2, 3):
                for seed in range(3):
                    sol = fam.instance(seed, level).solution
                    corpus.add("family oracles", split_script(sol))
    return corpus


# --------------------------------------------------------------------------- tree-sitter


@dataclass(frozen=True)
class TsResult:
    commands: tuple[egs_parse.SimpleCommand, ...]
    error: bool  # the tree holds an ERROR or MISSING node


_SUBST = frozenset({"command_substitution", "process_substitution"})
_STATEMENTS = frozenset(
    {
        "program",
        "list",
        "compound_statement",
        "do_group",
        "if_statement",
        "elif_clause",
        "else_clause",
        "while_statement",
        "case_statement",
        "case_item",
        "negated_command",
        "c_style_for_statement",
    }
)


def unquote(text: str) -> str:
    """Quote removal without expansion, as bashlex words: ``'a b'`` -> ``a b``, ``$x`` kept."""
    out: list[str] = []
    i, n = 0, len(text)
    quote = ""
    while i < n:
        c = text[i]
        if c == "$" and text.startswith(("$(", "${"), i) and quote != "'":
            depth, j = 0, i + 1
            while j < n:
                if text[j] in "({":
                    depth += 1
                elif text[j] in ")}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            out.append(text[i : j + 1] if j < n else text[i:])
            i = j + 1
            continue
        if quote == "'":
            if c == "'":
                quote = ""
            else:
                out.append(c)
        elif quote == '"':
            if c == '"':
                quote = ""
            elif c == "\\" and i + 1 < n and text[i + 1] in '$`"\\\n':
                if text[i + 1] != "\n":
                    out.append(text[i + 1])
                i += 1
            else:
                out.append(c)
        elif c in "'\"":
            quote = c
        elif c == "\\" and i + 1 < n:
            if text[i + 1] != "\n":
                out.append(text[i + 1])
            i += 1
        else:
            out.append(c)
        i += 1
    return "".join(out)


class _TsWalker:
    def __init__(self, src: bytes):
        self.src = src
        self.out: list[egs_parse.SimpleCommand] = []
        self.next_id = 0
        self.functions: dict[str, Any] = {}
        self.calling: set[str] = set()

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def text(self, node) -> str:
        return self.src[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def substitutions(self, node, scope: tuple[int, ...]) -> None:
        for child in node.named_children:
            if child.type in _SUBST:
                sub = (*scope, self.new_id())
                for inner in child.named_children:
                    self.walk(inner, sub, ())
            elif child.type != "heredoc_body":
                self.substitutions(child, scope)

    def redirect(self, node, scope: tuple[int, ...]) -> list[egs_parse.Redirect]:
        kind = node.type
        if kind == "heredoc_redirect":
            op = next((c.type for c in node.children if c.type in ("<<", "<<-")), "<<")
            body = next((c for c in node.named_children if c.type == "heredoc_body"), None)
            text = self.text(body) if body is not None else ""
            extra = [r for c in node.named_children if c.type.endswith("_redirect")
                     for r in self.redirect(c, scope)]  # fmt: skip
            return [egs_parse.Redirect(op, None, text), *extra]
        if kind == "herestring_redirect":
            value = node.named_children[-1] if node.named_children else None
            self.substitutions(node, scope)
            return [egs_parse.Redirect("<<<", None, unquote(self.text(value)) if value else "")]
        if kind == "file_redirect":
            self.substitutions(node, scope)
            op = next((c.type for c in node.children if not c.is_named), ">")
            dest = node.child_by_field_name("destination")
            target = unquote(self.text(dest)) if dest is not None else None
            if op in (">&", "<&") and (target is None or target.isdigit() or target == "-"):
                target = None
            return [egs_parse.Redirect(op, target)]
        return []

    def emit(
        self,
        node,
        words: list[str],
        assigns: list[str],
        redirects: list[egs_parse.Redirect],
        scope: tuple[int, ...],
        inherited: tuple[egs_parse.Redirect, ...],
        pipeline: tuple[int, int] | None,
    ) -> None:
        if words and words[0] == "time":  # a reserved word, not a program
            words = words[2:] if words[1:2] == ["-p"] else words[1:]
        name = words[0] if words else ""
        if name in self.functions and name not in self.calling:
            self.calling.add(name)
            self.walk(self.functions[name], scope, (*redirects, *inherited))
            self.calling.discard(name)
        elif words or redirects:
            self.out.append(
                egs_parse.SimpleCommand(
                    tuple(words),
                    tuple(assigns),
                    (*redirects, *inherited),
                    self.text(node).strip(),
                    scope,
                    pipeline,
                )
            )

    def walk(self, node, scope, inherited, pipeline=None, own=()) -> None:
        kind = node.type
        if kind == "redirected_statement":
            redirects: list[egs_parse.Redirect] = []
            for child in node.named_children:
                if child.type.endswith("_redirect"):
                    redirects += self.redirect(child, scope)
            body = node.child_by_field_name("body")
            # heredoc_redirect may hold the rest of the line (`<<EOF | grep x`, `&& ls`)
            rest = [
                c
                for r in node.named_children
                if r.type == "heredoc_redirect"
                for c in r.named_children
                if not c.type.startswith("heredoc") and not c.type.endswith("_redirect")
            ]
            if body is not None:
                self.walk(body, scope, inherited, pipeline, tuple(redirects))
            elif redirects:
                self.emit(node, [], [], redirects, scope, inherited, pipeline)
            for c in rest:
                self.walk(c, scope, inherited)
        elif kind == "command":
            words: list[str] = []
            assigns: list[str] = []
            redirects = []
            for child in node.named_children:
                if child.type == "variable_assignment":
                    self.substitutions(child, scope)
                    assigns.append(unquote(self.text(child)))
                elif child.type.endswith("_redirect"):
                    redirects += self.redirect(child, scope)
                elif child.type != "comment" and child.end_byte > child.start_byte:
                    self._subs_of(child, scope)
                    words.append(unquote(self.text(child)))
            self.emit(node, words, assigns, [*redirects, *own], scope, inherited, pipeline)
        elif kind == "test_command":
            self.substitutions(node, scope)
            self.emit(node, self.test_words(node), [], list(own), scope, inherited, pipeline)
        elif kind in ("declaration_command", "unset_command"):
            self.substitutions(node, scope)
            words = [unquote(self.text(c)) for c in node.children if c.type != "comment"]
            self.emit(node, words, [], list(own), scope, inherited, pipeline)
        elif kind in ("variable_assignment", "variable_assignments"):
            self.substitutions(node, scope)
        elif kind == "pipeline":
            parts = [c for c in node.named_children if c.type != "comment"]
            pid = self.new_id()
            for idx, part in enumerate(parts):
                self.walk(part, (*scope, self.new_id()), (*own, *inherited), (pid, idx))
        elif kind == "subshell":
            inner = (*scope, self.new_id())
            for child in node.named_children:
                self.walk(child, inner, (*own, *inherited))
        elif kind in ("for_statement", "select_statement"):
            for child in node.named_children:
                if child.type == "do_group":
                    self.walk(child, scope, (*own, *inherited))
                elif child.type != "variable_name":
                    self._subs_of(child, scope)
        elif kind == "function_definition":
            name = node.child_by_field_name("name")
            body = node.child_by_field_name("body")
            if name is not None and body is not None:
                self.functions[self.text(name)] = body
        elif kind in _STATEMENTS:
            for child in node.named_children:
                if child.type in _STATEMENTS or child.type in _WALKABLE:
                    self.walk(child, scope, (*own, *inherited))
                elif child.type in _SUBST:
                    self._sub(child, scope)
                elif child.named_children:
                    self.substitutions(child, scope)

    def test_words(self, node) -> list[str]:
        """The words of ``[ ... ]`` / ``[[ ... ]]``: leaves of the expression tree."""
        out: list[str] = []
        for child in node.children:
            if child.is_missing or child.type == "comment":
                continue
            if not child.is_named or child.type in _TEST_LEAVES or not child.children:
                out.append(unquote(self.text(child)))
            else:
                out += self.test_words(child)
        return out

    def _subs_of(self, node, scope) -> None:
        """Walk the substitutions in a word, the word itself being one included."""
        if node.type in _SUBST:
            self._sub(node, scope)
        else:
            self.substitutions(node, scope)

    def _sub(self, node, scope) -> None:
        sub = (*scope, self.new_id())
        for inner in node.named_children:
            self.walk(inner, sub, ())


_TEST_LEAVES = frozenset(
    {
        "word",
        "string",
        "raw_string",
        "ansi_c_string",
        "translated_string",
        "concatenation",
        "simple_expansion",
        "expansion",
        "command_substitution",
        "process_substitution",
        "arithmetic_expansion",
        "number",
        "test_operator",
        "regex",
        "extglob_pattern",
    }
)

_WALKABLE = frozenset(
    {
        "redirected_statement",
        "command",
        "declaration_command",
        "unset_command",
        "test_command",
        "variable_assignment",
        "variable_assignments",
        "pipeline",
        "subshell",
        "for_statement",
        "select_statement",
        "function_definition",
    }
)


class TreeSitterBash:
    """tree-sitter-bash with a walk yielding :class:`terminal_gym.egs.parse.SimpleCommand`."""

    def __init__(self) -> None:
        import tree_sitter
        import tree_sitter_bash

        self.parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))

    def tree(self, text: str):
        return self.parser.parse(text.encode("utf-8"))

    def __call__(self, text: str) -> TsResult:
        src = text.encode("utf-8")
        tree = self.parser.parse(src)
        walker = _TsWalker(src)
        walker.walk(tree.root_node, (), ())
        return TsResult(tuple(walker.out), tree.root_node.has_error)


# --------------------------------------------------------------------------- comparison


@dataclass
class Row:
    command: str
    source: str
    cur_ok: bool
    ts_ok: bool
    cur_words: list[list[str]]
    ts_words: list[list[str]]
    names_agree: bool
    argv_agree: bool
    argv_agree_norm: bool  # modulo the pre-scanner's rewrites (`[[`, `$((`)
    cur_ms: float | None = None
    ts_ms: float | None = None


_ARITH = re.compile(r"\$\(\(.*\)\)|_+")


def normalise(words: list[list[str]]) -> list[list[str]]:
    """Undo the pre-scanner's rewrites that are by design, to compare like with like.

    The current parser turns ``[[ a && b ]]`` into ``[ a -a b ]`` and ``$(( ... ))`` into a
    run of ``_``; both sides are mapped to one spelling (``[``, ``-a``/``-o``, ``$((_))``).
    """
    out = []
    for cmd in words:
        if cmd[:1] == ["[["]:
            table = {"[[": "[", "]]": "]", "&&": "-a", "||": "-o"}
            cmd = [table.get(w, w) for w in cmd]
        out.append(["$((_))" if _ARITH.fullmatch(w) else w for w in cmd])
    return out


def compare(commands: Iterable[str], source: dict[str, str] | None = None) -> list[Row]:
    """Parse each command with both parsers (untimed) and compare the results."""
    ts = TreeSitterBash()
    rows: list[Row] = []
    for cmd in commands:
        cur = egs_parse._parse(cmd)
        new = ts(cmd)
        cw = [list(c.words) for c in cur.commands]
        tw = [list(c.words) for c in new.commands]
        rows.append(
            Row(
                cmd,
                (source or {}).get(cmd, "?"),
                not cur.error and not cur.fallback,
                not new.error,
                cw,
                tw,
                [w[:1] for w in normalise(cw)] == [w[:1] for w in normalise(tw)],
                cw == tw,
                normalise(cw) == normalise(tw),
            )
        )
    return rows


def _time_one(fn: Callable[[str], object], cmd: str, number: int, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn(cmd)
        runs.append((time.perf_counter() - t0) / number)
    return statistics.median(runs) * 1000.0


def time_rows(rows: list[Row], number: int, repeat: int, warmup: int) -> None:
    ts = TreeSitterBash()
    cur = egs_parse._parse  # uncached: parse() memoises short strings
    for row in rows[:warmup]:
        cur(row.command)
        ts(row.command)
    for row in rows:
        row.cur_ms = _time_one(cur, row.command, number, repeat)
        row.ts_ms = _time_one(ts, row.command, number, repeat)


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def summarise(rows: list[Row], sizes: dict[str, int]) -> dict[str, Any]:
    by_source: dict[str, dict[str, Any]] = {}
    for label in [*sizes, "all"]:
        sel = [r for r in rows if label in ("all", r.source)]
        if not sel:
            continue
        n = len(sel)
        entry: dict[str, Any] = {
            "commands": n,
            "current_success": sum(r.cur_ok for r in sel) / n,
            "treesitter_success": sum(r.ts_ok for r in sel) / n,
            "names_agree": sum(r.names_agree for r in sel) / n,
            "argv_agree": sum(r.argv_agree for r in sel) / n,
            "argv_agree_normalised": sum(r.argv_agree_norm for r in sel) / n,
        }
        timed = [r for r in sel if r.cur_ms is not None]
        if timed:
            for key, vals in (
                ("current", [r.cur_ms for r in timed]),
                ("treesitter", [r.ts_ms for r in timed]),
            ):
                entry[f"{key}_median_ms"] = statistics.median(vals)  # type: ignore[type-var]
                entry[f"{key}_p95_ms"] = _pct(vals, 0.95)  # type: ignore[arg-type]
        by_source[label] = entry
    return by_source


def _fmt_table(summary: dict[str, Any]) -> str:
    head = (
        f"{'source':18}{'n':>6}{'cur ok':>9}{'ts ok':>9}{'names=':>9}{'argv=':>9}{'argv~':>9}"
        f"{'cur p50':>10}{'cur p95':>10}{'ts p50':>10}{'ts p95':>10}"
    )
    lines = [head]
    for label, e in summary.items():
        line = (
            f"{label:18}{e['commands']:>6}{e['current_success']:>9.1%}"
            f"{e['treesitter_success']:>9.1%}{e['names_agree']:>9.1%}{e['argv_agree']:>9.1%}"
            f"{e['argv_agree_normalised']:>9.1%}"
        )
        if "current_median_ms" in e:
            line += (
                f"{e['current_median_ms']:>10.4f}{e['current_p95_ms']:>10.4f}"
                f"{e['treesitter_median_ms']:>10.4f}{e['treesitter_p95_ms']:>10.4f}"
            )
        lines.append(line)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", help="also write every number and disagreement here")
    ap.add_argument("--number", type=int, default=20, help="calls per timed batch")
    ap.add_argument("--repeat", type=int, default=5, help="timed batches per command")
    ap.add_argument("--warmup", type=int, default=200, help="commands parsed before timing")
    ap.add_argument("--no-timing", action="store_true")
    ap.add_argument("--show", type=int, default=40, help="disagreements to print")
    args = ap.parse_args(argv)

    corpus = build_corpus()
    sizes = corpus.sizes()
    print(f"corpus: {len(corpus.commands)} commands  {sizes}")
    rows = compare(corpus.commands, corpus.source)
    if not args.no_timing:
        time_rows(rows, args.number, args.repeat, args.warmup)
    summary = summarise(rows, sizes)
    print(_fmt_table(summary))

    failures = {
        "current_only": [r.command for r in rows if r.ts_ok and not r.cur_ok],
        "treesitter_only": [r.command for r in rows if r.cur_ok and not r.ts_ok],
        "both": [r.command for r in rows if not r.cur_ok and not r.ts_ok],
    }
    print({k: len(v) for k, v in failures.items()}, "(parse failures: which parser fails)")
    diffs = [r for r in rows if not r.argv_agree_norm]
    named = sum(not r.names_agree for r in diffs)
    print(f"\nargv disagreements (normalised): {len(diffs)} (names differ in {named})")
    for r in diffs[: args.show]:
        print(f"--- [{r.source}] {r.command[:160]!r}")
        print(f"    current:     {r.cur_words}"[:400])
        print(f"    tree-sitter: {r.ts_words}"[:400])

    if args.json:
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "date": datetime.date.today().isoformat(),
            "machine": {
                "python": platform.python_version(),
                "platform": platform.platform(),
                "processor": platform.processor() or platform.machine(),
            },
            "settings": vars(args),
            "corpus_sizes": sizes,
            "summary": summary,
            "parse_failures": failures,
            "disagreements": [
                {
                    "command": r.command,
                    "source": r.source,
                    "current": r.cur_words,
                    "treesitter": r.ts_words,
                    "names_agree": r.names_agree,
                }
                for r in diffs
            ],
        }
        out.write_text(json.dumps(payload, indent=1) + "\n")
        print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
