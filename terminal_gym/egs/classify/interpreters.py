"""Interpreters: ``python``, ``node``, ``ruby``, ``perl``, the shells.

Running a script executes it (act, or verify for a test script). Inline code
(``python -c``, ``node -e``, a heredoc fed to ``python -``) is read with regex
heuristics: code that writes, deletes or spawns acts, anything else inspects.
``python -m TOOL`` classifies as ``TOOL``; ``bash -c STR`` and a script piped into a
shell are parsed again; syntax checks (``bash -n``, ``node --check``) verify.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from terminal_gym.egs.classify.core import Acc, Ctx, Kind, acc, opts, word_set
from terminal_gym.egs.classify.driver import dispatch, recurse, run_script, script_kind
from terminal_gym.egs.classify.registry import handles

# --------------------------------------------------------------------------- code effects

_PY_OPEN = re.compile(
    r"""\bopen\s*\(\s*[rbfu]*(['"])([^'"\n]+)\1\s*(?:,\s*(?:mode\s*=\s*)?[rbfu]*(['"])([^'"]*)\3)?"""
)


_PY_PATHLIB = re.compile(r"""\bPath\s*\(\s*[rbf]*(['"])([^'"\n]+)\1\s*\)\s*\.\s*(\w+)""")


_PY_OS_WRITE = re.compile(
    r"""\b(?:os\.(?:remove|unlink|makedirs|mkdir|rmdir|removedirs|chmod|chown|truncate|utime)"""
    r"""|shutil\.rmtree)\s*\(\s*[rbf]*(['"])([^'"\n]+)\1"""
)


_PY_COPY = re.compile(
    r"""\b(?:shutil\.(?:copy\w*|move)|os\.(?:rename|replace))\s*\(\s*[rbf]*(['"])([^'"\n]+)\1"""
    r"""\s*,\s*[rbf]*(['"])([^'"\n]+)\3"""
)


_PY_READ_CALL = re.compile(
    r"""\b(?:read_csv|read_json|read_parquet|read_excel|read_table|np\.load|loadtxt|connect"""
    r"""|listdir|scandir|walk|exists|isfile|isdir|getsize|stat)\s*\(\s*[rbf]*(['"])([^'"\n]+)\1"""
)


_PY_MUTATE = re.compile(
    r"\b(?:os\.(?:remove|unlink|rename|replace|makedirs|mkdir|rmdir|removedirs|chmod|chown"
    r"|symlink|link|truncate|system|popen|kill|utime|putenv)|shutil\.\w+|subprocess\.\w+"
    r"|json\.dump|pickle\.dump|urlretrieve|executescript|savefig)\s*\("
    r"|\.(?:write_text|write_bytes|unlink|mkdir|touch|rmdir|symlink_to|hardlink_to|to_csv"
    r"|to_json|to_parquet|to_excel|to_pickle|to_sql|save|commit)\s*\("
    r"|\.execute(?:many)?\s*\(\s*[rbf]*['\"]{1,3}\s*(?:insert|update|delete|create|drop|alter"
    r"|replace)\b",
    re.IGNORECASE,
)


_PATHLIB_WRITES = frozenset(
    {"write_text", "write_bytes", "touch", "mkdir", "unlink", "rmdir", "rename", "replace"}
)


def _python_effects(ctx: Ctx, code: str) -> tuple[Kind, list[str], list[str]]:
    """Heuristic reads/writes of a Python snippet (``python -c``, ``python - <<EOF``)."""
    reads: list[str] = []
    writes: list[str] = []
    for m in _PY_OPEN.finditer(code):
        mode = m.group(4) or "r"
        (writes if set(mode) & set("wax+") else reads).append(m.group(2))
    for m in _PY_PATHLIB.finditer(code):
        (writes if m.group(3) in _PATHLIB_WRITES else reads).append(m.group(2))
    writes.extend(m.group(2) for m in _PY_OS_WRITE.finditer(code))
    for m in _PY_COPY.finditer(code):
        reads.append(m.group(2))
        writes.append(m.group(4))
    reads.extend(m.group(2) for m in _PY_READ_CALL.finditer(code))
    kind: Kind = "act" if writes or _PY_MUTATE.search(code) else "inspect"
    return kind, ctx.paths(map(_uri_path, reads)), ctx.paths(map(_uri_path, writes))


def _uri_path(text: str) -> str:
    """``file:/app/db.sqlite?mode=ro`` (sqlite URIs) -> ``/app/db.sqlite``."""
    return text[5:].split("?")[0] if text.startswith("file:") else text


_JS_WRITE = re.compile(
    r"""\b(?:writeFileSync|appendFileSync|writeFile|appendFile|mkdirSync|unlinkSync|rmSync"""
    r"""|rmdirSync|createWriteStream)\s*\(\s*(['"`])([^'"`\n]+)\1"""
)


_JS_READ = re.compile(
    r"""\b(?:readFileSync|readFile|readdirSync|existsSync|statSync|require)\s*\(\s*(['"`])"""
    r"""([^'"`\n]+)\1"""
)


_JS_MUTATE = re.compile(
    r"\b(?:writeFile|appendFile|mkdir|unlink|rm|rmdir|rename|copyFile|cp|createWriteStream"
    r"|execSync|spawnSync|exec|spawn|execFile)(?:Sync)?\s*\("
)


_OTHER_MUTATE = re.compile(
    r"\bFile\.(?:write|delete|rename)|FileUtils\.|\bsystem\s*\(|`|\bunlink\b|\brename\b"
    r"|\bmkdir\b|\brmdir\b|open\s*\(?\s*\w+\s*,\s*['\"]\s*[>+]|open\s*\(?[^)]*['\"][wa]['\"]"
    r"|file_put_contents|\bexec\s*\(|shell_exec|writeLines|write\.csv|saveRDS"
)


def _code_effects(ctx: Ctx, lang: str, code: str) -> tuple[Kind, list[str], list[str]]:
    if lang == "python":
        return _python_effects(ctx, code)
    if lang == "node":
        writes = ctx.paths(m.group(2) for m in _JS_WRITE.finditer(code))
        reads = ctx.paths(
            m.group(2) for m in _JS_READ.finditer(code) if m.group(2).startswith((".", "/"))
        )
        return ("act" if writes or _JS_MUTATE.search(code) else "inspect"), reads, writes
    return ("act" if _OTHER_MUTATE.search(code) else "inspect"), [], []


# --------------------------------------------------------------------------- programs


@handles("python")
def _h_python(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-V", "--version", "-h", "--help"):
            return acc(name, "inspect")
        if a == "-" or not a.startswith("-"):
            break
        if a.startswith("--"):
            i += 1
            continue
        letters = a[1:]
        for j, f in enumerate(letters):
            if f in "cm":
                value = letters[j + 1 :] or (args[i + 1] if i + 1 < len(args) else "")
                rest = args[i + 1 :] if letters[j + 1 :] else args[i + 2 :]
                if f == "c":
                    kind, reads, writes = _python_effects(ctx, value)
                    return acc("python -c", kind, reads, writes)
                return _python_module(ctx, value, rest)
            if f in "WXQ":
                if not letters[j + 1 :]:
                    i += 1
                break
        i += 1
    operands = args[i:]
    if operands and operands[0] != "-":
        return run_script(ctx, name, operands[0], operands[1:])
    return _stdin_program(ctx, name, "python")


def _stdin_program(ctx: Ctx, name: str, lang: str) -> list[Acc]:
    """An interpreter reading its program from stdin: heredoc, pipe, or ``< file``."""
    if ctx.stdin_text is not None:
        if lang == "shell":
            return recurse(ctx, ctx.stdin_text, name)
        kind, reads, writes = _code_effects(ctx, lang, ctx.stdin_text)
        return acc(name, kind, reads, writes)
    if ctx.stdin_file:
        return acc(name, script_kind(ctx.stdin_file, []), executes=[ctx.stdin_file])
    return acc(name, "unknown")  # an interactive session: what it does comes later


_PY_MODULE_AS_TOOL = word_set(
    "pytest mypy flake8 pylint pyflakes pycodestyle pydocstyle black isort ruff tox "
    "nox bandit pyright autopep8 yapf coverage nose2 pip"
)


def _python_module(ctx: Ctx, module: str, rest: list[str]) -> list[Acc]:
    label = f"python -m {module}"
    if module in ("unittest", "doctest", "py.test", "nose"):
        return acc(label, "verify", ctx.paths(w for w in rest if w.endswith(".py")) or [ctx.cwd])
    if module in ("py_compile", "compileall", "tabnanny"):
        return acc(label, "verify", ctx.paths(w for w in rest if not w.startswith("-")))
    if module in _PY_MODULE_AS_TOOL:
        out = dispatch(ctx, [module, *rest])
        for record in out:
            record.name = f"python -m {record.name}"
        return out
    if module in ("venv", "virtualenv"):
        return acc(label, "act", writes=ctx.paths(w for w in rest if not w.startswith("-")))
    if module == "json.tool":
        o = opts(rest, ("--indent",))
        writes = ctx.paths(o.operands[1:2])
        return acc(label, "act" if writes else "inspect", ctx.paths(o.operands[:1]), writes)
    if module in word_set("site sysconfig platform this pydoc timeit pip._internal"):
        return acc(label, "inspect")
    return acc(label, "act")  # runs a module: a program we cannot see into


_INTERPRETERS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], Iterable[str]]] = {
    # name: (language, code options, syntax-check options, options taking a value)
    "node": (
        "node",
        ("-e", "--eval", "-p", "--print"),
        ("-c", "--check"),
        word_set("-r --require --import --loader --inspect-port --input-type"),
    ),
    "nodejs": ("node", ("-e", "--eval", "-p", "--print"), ("-c", "--check"), ("-r", "--require")),
    "ruby": ("ruby", ("-e",), ("-c",), ("-I", "-r", "-C", "-E")),
    "php": ("php", ("-r",), ("-l",), word_set("-c -d -z -t -S")),
    "Rscript": ("r", ("-e",), (), ()),
    "julia": ("julia", ("-e", "--eval", "-E", "--print"), (), ("-t", "-p", "--project")),
    "lua": ("lua", ("-e",), (), ("-l",)),
    "luajit": ("lua", ("-e",), (), ("-l",)),
    "ts-node": ("node", ("-e", "--eval", "-p", "--print"), (), ("-r", "-P", "--project")),
    "tsx": ("node", ("-e", "--eval", "-p", "--print"), (), ()),
    "pypy": ("python", ("-c",), (), ()),
    "pypy3": ("python", ("-c",), (), ()),
}


@handles(*_INTERPRETERS)
def _h_interpreter(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    lang, code_opts, check_opts, value_opts = _INTERPRETERS[name]
    if args[:1] and args[0] in word_set("-v --version -V --help -h"):
        return acc(name, "inspect")
    o = opts(args, (*code_opts, *check_opts, *value_opts), stop_at_operand=True)
    for code in o.values(*code_opts):
        kind, reads, writes = _code_effects(ctx, lang, code)
        return acc(f"{name} {next(f for f, v in o.flags if v == code)}", kind, reads, writes)
    checked = o.values(*check_opts)
    if checked or (check_opts and o.has(*check_opts)):
        return acc(f"{name} {check_opts[0]}", "verify", ctx.paths(checked + o.operands[:1]))
    if name == "node" and o.has("--test"):
        return acc("node --test", "verify", ctx.paths(o.operands) or [ctx.cwd])
    if name == "php" and o.values("-S"):
        return acc(name, "act")  # built-in web server
    if o.operands and o.operands[0] != "-":
        return run_script(ctx, name, o.operands[0], o.operands[1:])
    return _stdin_program(ctx, name, lang)


@handles("perl")
def _h_perl(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    in_place = False
    code: str | None = None
    syntax_check = False
    operands: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if operands or a == "-" or not a.startswith("-") or a == "--":
            operands.extend(args[i + (a == "--") :])
            break
        letters = a[1:]
        j = 0
        while j < len(letters):
            f = letters[j]
            if f == "i":
                in_place = True
                if letters[j + 1 :] == "e":  # `-pie`: almost always meant as -pi -e
                    code = args[i + 1] if i + 1 < len(args) else ""
                    i += 1
                break
            if f in "eE":
                code = letters[j + 1 :] or (args[i + 1] if i + 1 < len(args) else "")
                if not letters[j + 1 :]:
                    i += 1
                break
            if f == "c":
                syntax_check = True
            if f in "IMmFlx0CdD":
                break  # the rest of the cluster is this option's value
            j += 1
        i += 1
    if syntax_check:
        return acc("perl -c", "verify", ctx.paths(operands[:1]))
    if code is None:
        if operands and operands[0] != "-":
            return run_script(ctx, name, operands[0], operands[1:])
        return _stdin_program(ctx, name, "perl")
    if in_place:
        return acc("perl -i", "act", writes=ctx.paths(operands))
    kind, _r, _w = _code_effects(ctx, "perl", code)
    return acc("perl -e", kind, ctx.paths(operands))


_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "ash", "mksh", "fish", "busybox-sh"})


@handles(*_SHELLS)
def _h_shell(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    command: str | None = None
    check = False
    operands: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("--version", "--help"):
            return acc(name, "inspect")
        if a.startswith("--"):
            i += 1
            continue
        if not a.startswith(("-", "+")) or a in ("-", "+"):
            operands = args[i:]
            break
        letters = a[1:]
        if "c" in letters and a[0] == "-":
            # `-c STR`: the first operand after the options is the command string
            k = i + 1
            while k < len(args) and args[k].startswith(("-", "+")) and args[k] not in ("-", "+"):
                k += 1 + (args[k] in ("-o", "+o", "-O", "+O"))
            command = args[k] if k < len(args) else ""
            break
        if "n" in letters and a[0] == "-":
            check = True
        if letters[-1:] in ("o", "O"):
            i += 1
        i += 1
    if command is not None:
        return recurse(ctx, command, f"{name} -c")
    if check:
        return acc(f"{name} -n", "verify", ctx.paths(operands[:1]))
    if operands and operands[0] not in ("-", "+"):
        return run_script(ctx, name, operands[0], operands[1:])
    return _stdin_program(ctx, name, "shell")
