"""Build systems and compilers: ``make``, ``cmake``, ``cargo``, ``go``, ``mvn``, ``gcc``...

Building acts and executes the build file (``Makefile``, ``Cargo.toml``, ``pom.xml``);
test and check targets verify (``make test``, ``cargo test``, ``mvn clean verify``);
syntax-only compiles (``gcc -fsyntax-only``) verify.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re

from terminal_gym.egs.classify.core import Acc, Ctx, acc, opts, word_set
from terminal_gym.egs.classify.registry import handles
from terminal_gym.egs.classify.tools import Tool, run_tool

_BUILD_TOOLS: dict[str, Tool] = {
    "cargo": Tool(
        verify=word_set("test t check c clippy bench nextest miri audit"),
        inspect=word_set(
            "tree metadata search version pkgid locate-project read-manifest help"
            " --version -V --list"
        ),
        values=word_set("--manifest-path -Z --color --config -C"),
        manifest="Cargo.toml",
        checks=("--check",),
    ),
    "go": Tool(
        verify=word_set("test vet"),
        inspect=word_set("version env list doc help"),
        runs_files=True,
    ),
    "deno": Tool(
        runs_files=True,
        verify=word_set("test lint check bench"),
        inspect=word_set("info doc --version"),
        scripts=word_set("task"),
        checks=("--check",),
        bare="unknown",
    ),
    "dotnet": Tool(verify=word_set("test"), inspect=word_set("--info --version --list-sdks list")),
    "bazel": Tool(
        verify=word_set("test coverage"), inspect=word_set("query cquery aquery info version help")
    ),
    "meson": Tool(verify=word_set("test"), inspect=word_set("introspect --version")),
    "ninja": Tool(
        verify=word_set("test check"),
        inspect=word_set("-t --version"),
        values=word_set("-C -f -j -k -l -d -w"),
    ),
    "swift": Tool(verify=word_set("test"), inspect=word_set("--version")),
    "sbt": Tool(verify=word_set("test testOnly it:test")),
    "cabal": Tool(verify=word_set("test"), inspect=word_set("list info --version")),
    "stack": Tool(verify=word_set("test"), inspect=word_set("ls list --version path")),
    "mix": Tool(verify=word_set("test credo dialyzer"), inspect=word_set("help")),
    "rake": Tool(verify=word_set("test spec"), inspect=word_set("-T --tasks -P")),
    "lein": Tool(verify=word_set("test")),
    "dune": Tool(verify=word_set("test runtest"), inspect=word_set("--version")),
}
# tools taking several goals at once (`mvn clean test`): see `_h_mvn_like`
_GOAL_TOOLS: dict[str, Tool] = {
    "mvn": Tool(
        verify=word_set("test verify integration-test surefire:test failsafe:integration-test"),
        inspect=word_set("dependency:tree help:effective-pom -v --version"),
        values=word_set("-f -pl -P -s -D -T -rf"),
        manifest="pom.xml",
    ),
    "gradle": Tool(
        verify=word_set("test check connectedCheck integrationTest"),
        inspect=word_set("tasks dependencies properties projects help --version"),
        values=word_set("-p -b -x --exclude-task -P -D"),
        manifest="build.gradle",
    ),
}
_TESTY_TARGET = re.compile(
    r"^(?:tests?|checks?|unit-?tests?|integration(?:-tests?)?|e2e|lint|verify|validate|pytest"
    r"|typecheck|type-check|coverage|smoke|ci|(?:tests?|check)[-_:][\w:.-]+|[\w.-]+[-_:](?:tests?|check))$"
)


@handles(*_BUILD_TOOLS)
def _h_build_tool(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    return run_tool(ctx, name, _BUILD_TOOLS[name], args)


@handles("autoreconf", "autoconf", "automake", "libtool", "ar", "ranlib", "strip", "objcopy", "ld")
def _h_build_helper(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    """Build helpers that generate or rewrite build files and binaries."""
    return acc(name, "act")


@handles("make", "gmake", "bmake")
def _h_make(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(
        args,
        word_set(
            "-C -f -I -o -W -l --directory --file --makefile --include-dir "
            "--old-file --what-if --assume-new"
        ),
    )
    directory = ctx.path_or_cwd(o.values("-C", "--directory"))
    sub = dataclasses.replace(ctx, cwd=directory)
    makefile = sub.paths(o.values("-f", "--file", "--makefile")) or [
        posixpath.join(directory, "Makefile")
    ]
    targets = [t for t in o.operands if "=" not in t and not t.isdigit()]
    label = f"{name} {targets[0]}" if targets else name
    if o.has(
        "-n",
        "--dry-run",
        "--just-print",
        "--recon",
        "-q",
        "--question",
        "-p",
        "--print-data-base",
        "-h",
        "--help",
        "-v",
        "--version",
    ):
        return acc(label, "inspect", makefile)
    testy = [t for t in targets if _TESTY_TARGET.match(t)]
    prep = {"clean", "all", "build", "compile", "deps"}
    if testy and all(t in prep or t in testy for t in targets):
        label = f"{name} {testy[0]}"
        return acc(label, "verify", [directory], executes=makefile)
    if targets == ["help"]:
        return acc(label, "inspect", makefile)
    return acc(label, "act", executes=makefile)


@handles("cmake")
def _h_cmake(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(
        args,
        word_set(
            "-S -B -G -D -C -T -A --build --install --target -t --config --preset -j --parallel -P"
        ),
    )
    if o.has("--version", "--help", "--system-information", "-E"):
        return acc(name, "inspect")
    built = ctx.paths(o.values("--build", "--install"))
    if built:
        return acc(f"{name} --build", "act", writes=built)
    source = ctx.paths(o.values("-S") + o.operands[:1]) or [ctx.cwd]
    build = ctx.paths(o.values("-B")) or [ctx.cwd]
    lists = [posixpath.join(source[0], "CMakeLists.txt")]
    return acc(name, "act", writes=build, executes=lists)


@handles("mvn", "gradle", "gradlew")
def _h_mvn_like(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    """Build tools taking several goals/tasks: verify if they test after cleaning at most."""
    tool = _GOAL_TOOLS["gradle" if name in ("gradle", "gradlew") else name]
    o = opts(args, tool.values)
    goals = o.operands
    manifest = ctx.paths([tool.manifest]) if tool.manifest else []
    label = f"{name} {goals[0]}" if goals else name
    if any(g in tool.inspect for g in goals) or o.has(*(f for f in tool.inspect if f[0] == "-")):
        return acc(label, "inspect")
    testy = [g for g in goals if g in tool.verify or g.endswith((":test", ":check"))]
    prep = {"clean", "compile", "test-compile", "validate", "build", "assemble"}
    if testy and all(g in prep or g in testy for g in goals):
        return acc(f"{name} {testy[0]}", "verify", [ctx.cwd], executes=manifest)
    return acc(label, "act", executes=manifest)


_COMPILERS = word_set("gcc g++ cc c++ clang clang++ tcc gfortran nvcc icc rustc javac zig go-build")


@handles(*_COMPILERS)
def _h_compiler(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(
        args,
        word_set(
            "-o -I -L -D -U -x -include -isystem -MF -MT -MQ -T -Xlinker -u -d -cp "
            "-classpath --class-path -sourcepath -source -target --release "
            "--out-dir --crate-type --edition -C --extern --emit"
        ),
    )
    if o.has("--version", "-v", "-V", "--help", "-dumpversion", "-version") and not o.operands:
        return acc(name, "inspect")
    sources = ctx.paths(w for w in o.operands if not w.startswith("-"))
    if o.has("-fsyntax-only", "-E", "-M", "-MM") or "-fsyntax-only" in args:
        return acc(name, "verify", sources)
    out = ctx.paths(o.values("-o", "--out-dir") + (o.values("-d") if name == "javac" else []))
    if not out and name in word_set("gcc g++ cc c++ clang clang++") and not o.has("-c"):
        out = [posixpath.join(ctx.cwd, "a.out")]
    return acc(name, "act", sources, out)
