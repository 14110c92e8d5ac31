"""Package managers: installing, removing and querying packages.

Installs and removals act (and execute the requirement or manifest file they read);
listing, showing and searching inspect; dry runs inspect; ``pip check`` verifies.
Runners of project tools (``poetry run``, ``uv run``, ``npx``, ``conda run``) classify
the command they run; ``npm test`` and ``npm run lint`` verify.
"""

from __future__ import annotations

from terminal_gym.egs.classify.core import Acc, Ctx, acc, opts, word_set
from terminal_gym.egs.classify.driver import dispatch, inner_command, recurse
from terminal_gym.egs.classify.registry import handles, is_registered
from terminal_gym.egs.classify.tools import Tool, run_tool

# conda and its faster clones share their command line; so do yum and dnf
_CONDA = Tool(
    inspect=word_set("list info search config --version"),
    inner=word_set("run"),
    values=("-n", "--name", "-p", "--prefix"),
)
_YUM = Tool(
    inspect=word_set(
        "list info search provides whatprovides repolist check-update"
        " history deplist repoquery se if li"
    ),
    dry=("--assumeno",),
)

_PACKAGE_TOOLS: dict[str, Tool] = {
    "npm": Tool(
        verify=word_set("test t tst"),
        inspect=word_set(
            "ls list ll la view v info show outdated why explain search help doctor"
            " prefix root bin fund -v --version config get"
        ),
        inner=word_set("exec x"),
        scripts=word_set("run run-script rr"),
        values=("--prefix", "-C", "-w", "--workspace"),
        manifest="package.json",
        dry=("--dry-run",),
    ),
    "pnpm": Tool(
        script_shorthand=True,
        verify=word_set("test t"),
        inspect=word_set("ls list view info outdated why -v --version"),
        inner=word_set("exec dlx"),
        scripts=word_set("run"),
        values=("-C", "--dir", "--filter"),
        manifest="package.json",
    ),
    "yarn": Tool(
        script_shorthand=True,
        verify=word_set("test"),
        inspect=word_set("list info why outdated -v --version config"),
        inner=word_set("exec dlx"),
        scripts=word_set("run"),
        values=("--cwd",),
        manifest="package.json",
    ),
    "bun": Tool(
        runs_files=True,
        script_shorthand=True,
        verify=word_set("test"),
        inspect=word_set("pm --version -v"),
        inner=word_set("x"),
        scripts=word_set("run"),
        manifest="package.json",
        bare="unknown",
    ),
    "composer": Tool(
        verify=word_set("test validate"),
        inspect=word_set("show info outdated depends why --version"),
        inner=word_set("exec"),
        scripts=word_set("run-script run"),
        manifest="composer.json",
    ),
    "poetry": Tool(
        verify=word_set("check"),
        inspect=word_set("show env search config version --version about"),
        inner=word_set("run"),
        manifest="pyproject.toml",
    ),
    "pipenv": Tool(
        verify=word_set("check"),
        inspect=word_set("graph --venv --where --py"),
        inner=word_set("run"),
        manifest="Pipfile",
    ),
    "hatch": Tool(inspect=word_set("version status --version"), inner=word_set("run")),
    "pdm": Tool(inspect=word_set("list show info --version"), inner=word_set("run")),
    "conda": _CONDA,
    "mamba": _CONDA,
    "micromamba": _CONDA,
    "bundle": Tool(
        inspect=word_set("list show outdated info check --version"),
        inner=word_set("exec"),
        manifest="Gemfile",
    ),
    "gem": Tool(
        inspect=word_set(
            "list search info which contents environment env query"
            " specification outdated help --version"
        )
    ),
    "apt": Tool(
        inspect=word_set(
            "list show policy search depends rdepends madison showsrc changelog help --version -v"
        ),
        values=("-o", "-c", "-t"),
        dry=word_set("-s --simulate --dry-run --just-print --no-act"),
    ),
    "apt-get": Tool(
        verify=word_set("check"),
        inspect=word_set("changelog help --version -v"),
        values=("-o", "-c", "-t"),
        dry=word_set("-s --simulate --dry-run --just-print --no-act"),
    ),
    "aptitude": Tool(inspect=word_set("search show why why-not versions changelog")),
    "apt-cache": Tool(default="inspect", bare="inspect"),
    "dpkg-query": Tool(default="inspect", bare="inspect"),
    "yum": _YUM,
    "dnf": _YUM,
    "microdnf": Tool(inspect=word_set("repolist")),
    "zypper": Tool(
        inspect=word_set("search se info if list-updates lu packages pa repos lr patches")
    ),
    "apk": Tool(
        inspect=word_set("info search list policy version stats dot"), dry=("-s", "--simulate")
    ),
    "brew": Tool(
        verify=word_set("doctor"),
        inspect=word_set(
            "list ls info search config deps outdated --prefix --version"
            " leaves uses desc home --cellar"
        ),
    ),
    "snap": Tool(inspect=word_set("list info find version services changes")),
    "flatpak": Tool(inspect=word_set("list info search remotes")),
}
# `uv` has its own handler (`uv pip`, `uv tool run`), which falls back to these rules
_UV = Tool(inspect=word_set("tree version --version python"), inner=word_set("run"))


@handles(*_PACKAGE_TOOLS)
def _h_package_tool(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    return run_tool(ctx, name, _PACKAGE_TOOLS[name], args)


@handles("dpkg-reconfigure", "debconf-set-selections")
def _h_package_config(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    """Reconfiguring installed packages changes the system."""
    return acc(name, "act")


@handles("pip", "pipx")
def _h_pip(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(
        args,
        word_set(
            "-r -c -e -t -i --requirement --constraint --editable --target "
            "--index-url --extra-index-url -f --find-links --prefix --root --python "
            "-d --dest"
        ),
        stop_at_operand=False,
    )
    sub = o.operands[0] if o.operands else None
    if sub is None:
        return acc(name, "inspect" if o.has("--version", "-V", "--help", "-h") else "unknown")
    label = f"{name} {sub}"
    if sub in word_set(
        "list show freeze search index inspect debug help cache config hash completion"
    ):
        return acc(label, "inspect")
    if sub == "check":
        return acc(label, "verify")
    if o.has("--dry-run"):
        return acc(label, "inspect")
    local = [w for w in o.operands[1:] if w.startswith(("./", "/", "../", "~")) or w == "."]
    runs = ctx.paths(o.values("-r", "--requirement", "-c", "--constraint"))
    editable = ctx.paths(o.values("-e", "--editable"))
    return acc(label, "act", writes=ctx.paths(local) + editable, executes=runs)


@handles("uv")
def _h_uv(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    if args[:1] == ["pip"]:
        out = _h_pip(ctx, "pip", args[1:])
        for record in out:
            record.name = f"uv {record.name}"
        return out
    if args[:2] == ["tool", "run"]:
        return inner_command(ctx, args[2:], "uv tool run", "act")
    return run_tool(ctx, name, _UV, args)


@handles("npx", "pnpx", "bunx", "uvx")
def _h_npx(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(args, ("-p", "--package", "-c", "--call"), stop_at_operand=True)
    for call in o.values("-c", "--call"):
        return recurse(ctx, call, name)
    if not o.operands:
        return acc(name, "unknown")
    tool = o.operands[0].split("@")[0] if not o.operands[0].startswith("@") else o.operands[0]
    if is_registered(tool):
        return dispatch(ctx, [tool, *o.operands[1:]])
    if tool in word_set("jest vitest mocha playwright cypress ava karma tap"):
        return acc(f"{name} {tool}", "verify", [ctx.cwd])
    return acc(f"{name} {tool}", "act")
