"""Checkers: test runners, linters, type checkers and formatters.

Test runners and linters verify (``pytest``, ``mypy``, ``eslint``...); a linter asked
to fix (``eslint --fix``, ``ruff check --fix``) acts. Formatters act when they rewrite
files and verify in check mode (``black --check``, ``prettier --check``).
"""

from __future__ import annotations

from collections.abc import Iterable

from terminal_gym.egs.classify.core import Acc, Ctx, Kind, acc, opts, word_set
from terminal_gym.egs.classify.registry import handles

_ALWAYS_VERIFY = word_set(
    "pytest py.test tox nox nosetests nose2 jest mocha vitest karma ava rspec phpunit pest ctest"
    " bats shellcheck mypy dmypy pyright pytype flake8 pylint pyflakes pycodestyle pydocstyle"
    " bandit hadolint yamllint cppcheck golangci-lint staticcheck markdownlint vulture"
    " behave cucumber trial ward pre-commit tflint actionlint checkov cargo-nextest pg_isready"
    " pyre testr stestr green"
)


@handles(*_ALWAYS_VERIFY)
def _h_verify(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(
        args,
        word_set(
            "-k -m -p -c -o -n -W -r --rootdir --maxfail --deselect --ignore "
            "--durations --log-level --basetemp --confcutdir --timeout "
            "--config-file -e --env --max-line-length --select --extend-select "
            "--exclude --rcfile --junitxml --junit-xml --cov-report -t "
            "--testNamePattern --reporter --grep --config -f --format -S --severity "
            "-x"
        ),
    )
    if name in ("pytest", "py.test") and o.has(
        "--collect-only", "--co", "--fixtures", "--markers", "--version", "-V", "-h", "--help"
    ):
        return acc(name, "inspect")
    targets = [w.split("::")[0] for w in o.operands if not w.startswith("-")]
    if name == "pre-commit" and targets[:1] == ["install"]:
        return acc(f"{name} install", "act")
    if name in word_set("tox nox pre-commit pg_isready ctest"):
        targets = []
    return acc(name, "verify", ctx.paths(targets) or [ctx.cwd])


_FORMATTERS: dict[str, tuple[Iterable[str], Iterable[str], Kind]] = {
    # name: (flags making it act, flags making it verify, kind otherwise)
    "black": ((), ("--check", "--diff"), "act"),
    "isort": ((), word_set("--check --check-only -c --diff --df"), "act"),
    "autopep8": (("-i", "--in-place"), ("--diff", "-d"), "inspect"),
    "autoflake": (("-i", "--in-place"), ("--check", "-c"), "inspect"),
    "yapf": (("-i", "--in-place"), ("--diff", "-d"), "inspect"),
    "prettier": (("--write", "-w"), ("--check", "-c", "--list-different", "-l"), "inspect"),
    "gofmt": (("-w",), ("-l", "-d"), "inspect"),
    "goimports": (("-w",), ("-l", "-d"), "inspect"),
    "rustfmt": ((), ("--check",), "act"),
    "clang-format": (("-i",), ("--dry-run", "-n", "--Werror"), "inspect"),
    "shfmt": (("-w", "--write"), ("-d", "-l", "--diff", "--list"), "inspect"),
    "eslint": (("--fix",), (), "verify"),
    "stylelint": (("--fix",), (), "verify"),
    "tslint": (("--fix",), (), "verify"),
    "rubocop": (word_set("-a -A --auto-correct --autocorrect --autocorrect-all -x"), (), "verify"),
    "clang-tidy": (("--fix", "-fix", "--fix-errors", "-fix-errors"), (), "verify"),
    "standard": (("--fix",), (), "verify"),
    "biome": (("--write", "--apply", "--fix"), (), "verify"),
    "sqlfluff": ((), (), "verify"),
}


@handles(*_FORMATTERS)
def _h_formatter(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    act_flags, verify_flags, otherwise = _FORMATTERS[name]
    o = opts(
        args,
        word_set(
            "-l --line-length -c --config --settings-path -p --style --ext --parser "
            "--ignore-path --stdin-filepath -o --output-file --rules --format -f"
        ),
    )
    flags = {f for f, _ in o.flags}
    if name in ("gofmt", "goimports", "prettier", "shfmt"):  # their -l is a flag
        flags |= {a for a in args if a.startswith("-")}
    if name == "sqlfluff" and o.operands[:1] == ["fix"]:
        return acc(f"{name} fix", "act", writes=ctx.paths(o.operands[1:]) or [ctx.cwd])
    operands = [w for w in o.operands if name != "sqlfluff" or w not in ("lint", "parse")]
    paths = ctx.paths(operands) or [ctx.cwd]
    if flags & set(verify_flags):
        return acc(name, "verify", paths)
    if flags & set(act_flags):
        return acc(name, "act", writes=paths)
    if otherwise == "act":
        return acc(name, "act", writes=paths)
    return acc(name, otherwise, paths)


@handles("ruff")
def _h_ruff(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    sub = args[0] if args and not args[0].startswith("-") else "check"
    rest = args[1:] if args and not args[0].startswith("-") else args
    if sub in word_set("--version version rule config linter help"):
        return acc(f"{name} {sub}".strip(), "inspect")
    o = opts(
        rest,
        word_set(
            "--select --ignore --extend-select --config --line-length "
            "--target-version --output-format --exclude"
        ),
    )
    paths = ctx.paths(o.operands) or [ctx.cwd]
    if sub == "format":
        if o.has("--check", "--diff"):
            return acc("ruff format", "verify", paths)
        return acc("ruff format", "act", writes=paths)
    if sub == "check" and o.has("--fix", "--unsafe-fixes", "--add-noqa"):
        return acc("ruff check", "act", writes=paths)
    return acc(f"ruff {sub}", "verify", paths)


@handles("tsc", "vue-tsc")
def _h_tsc(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(args, word_set("-p --project --outDir --outFile --target --module -t -m --lib --jsx"))
    if o.has("-v", "--version", "-h", "--help", "--showConfig"):
        return acc(name, "inspect")
    reads = ctx.paths(o.operands + o.values("-p", "--project")) or [ctx.cwd]
    if o.has("--noEmit") or "--noEmit" in args:
        return acc(name, "verify", reads)
    return acc(name, "act", reads, ctx.paths(o.values("--outDir", "--outFile")))
