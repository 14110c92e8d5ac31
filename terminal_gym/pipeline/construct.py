"""Stage 2: an LLM turns a source into a Terminal-Bench 2 task directory.

Four cascaded steps, one focused conversation each; every step sees what the
earlier ones produced:

1. ``instruction`` - a JSON object: the instruction, ``difficulty``, ``category``,
   ``tags``, ``workdir`` (or ``{"suitable": false, "reason": ...}``).
2. ``environment`` - fenced files for ``environment/``: a ``Dockerfile`` that starts
   ``FROM`` the base image, plus what it copies in.
3. ``solution`` - fenced files for ``solution/``: ``solve.sh``, the oracle.
4. ``tests`` - fenced files for ``tests/``: ``test.sh`` (writes
   ``/logs/verifier/reward.txt``) and helpers such as ``test_outputs.py``.

Fenced files look like this (four backticks when a file holds a line of three)::

    ```file:Dockerfile
    FROM terminal-gym/python:3-bookworm
    ```

Review loop: each reply is parsed and checked - ``bash -n`` for shell scripts,
``ast.parse`` for Python, JSON for ``.json``; the Dockerfile must start ``FROM`` the
base image and may not use the network in ``RUN`` unless allowed; ``test.sh`` must
write ``/logs/verifier/reward``; paths must stay inside their directory. The
problems go back to the model, which gets ``max_review_rounds`` more replies; then
the source is rejected with the problems as the reason
(:class:`ConstructionRejected`). The result is written as a task directory and
loaded with :func:`~terminal_gym.tasks.formats.harbor.load_harbor_task`, so what
comes out is known to load.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from terminal_gym.errors import TaskFormatError
from terminal_gym.pipeline import PipelineError
from terminal_gym.pipeline.llm import ChatModel
from terminal_gym.pipeline.sources import Source
from terminal_gym.sandbox.bootstrap import PYTHON_IMAGE, PYTHON_PACKAGES
from terminal_gym.tasks import dockerfile
from terminal_gym.tasks.formats.harbor import load_harbor_task
from terminal_gym.tasks.formats.writer import write_task_toml
from terminal_gym.tasks.spec import Task

__all__ = [
    "DEFAULT_BASE_IMAGE",
    "STEPS",
    "Construction",
    "ConstructionRejected",
    "check_files",
    "construct_task",
    "parse_file_blocks",
    "write_task_dir",
]

T = TypeVar("T")

DEFAULT_BASE_IMAGE = PYTHON_IMAGE
STEPS = ("instruction", "environment", "solution", "tests")
DIFFICULTIES = ("easy", "medium", "hard")
#: Where each step's files go in the task directory.
STEP_DIRS = {"environment": "environment", "solution": "solution", "tests": "tests"}

MAX_FILE_BYTES = 256 * 1024
#: How much of the source and of earlier files a prompt quotes.
MAX_SOURCE_CHARS = 8000
MAX_QUOTED_FILE_CHARS = 4000

_PATH_OK = re.compile(r"^[A-Za-z0-9._+@-]+(?:/[A-Za-z0-9._+@-]+)*$")
_OPEN_FENCE = re.compile(r"^(?P<ticks>`{3,})\s*file:\s*(?P<path>\S+)\s*$")
_NETWORK = re.compile(
    r"\b(?:apt-get|apt|aptitude|apk|yum|dnf|zypper)\s+(?:-\S+\s+)*(?:install|update|upgrade)\b"
    r"|\bpip3?\s+install\b|-m\s+pip\s+install\b|\b(?:npm|pnpm|yarn)\s+(?:install|i|ci|add)\b"
    r"|\bcurl\b|\bwget\b|\bgit\s+clone\b|\bgo\s+(?:get|install)\b|\bcargo\s+(?:install|fetch)\b"
    r"|\bgem\s+install\b|\buv\s+(?:pip|add|sync|tool)\b|\bconda\s+install\b|https?://"
)
_REWARD = "/logs/verifier/reward"
#: ``/tests`` and ``/solution`` as absolute paths (not ``/app/tests``).
_TESTS_PATH = re.compile(r"(?<![\w./-])/tests\b")
_SOLUTION_PATH = re.compile(r"(?<![\w./-])/solution\b")


class ConstructionRejected(PipelineError):
    """A source could not be made into a task that passes review.

    Attributes:
        step: the step that failed (one of :data:`STEPS`, or ``"load"``).
        reason: why, in one line per problem.
        llm_calls: replies requested before giving up.
        files: what the earlier steps produced (``{"environment/Dockerfile": ...}``).
        transcript: the conversations so far (``[{"step", "messages"}]``).
    """

    def __init__(
        self,
        step: str,
        reason: str,
        *,
        llm_calls: int = 0,
        files: Mapping[str, str] | None = None,
        transcript: Sequence[Mapping[str, Any]] = (),
    ):
        self.step = step
        self.reason = reason
        self.llm_calls = llm_calls
        self.files = dict(files or {})
        self.transcript = list(transcript)
        super().__init__(f"construction step {step}: {reason}")

    def __reduce__(self) -> Any:
        return _rebuild_rejected, (self.step, self.reason, self.llm_calls, self.files)


def _rebuild_rejected(step: str, reason: str, calls: int, files: dict[str, str]) -> Any:
    return ConstructionRejected(step, reason, llm_calls=calls, files=files)


@dataclass(frozen=True)
class Construction:
    """A constructed task that loads (not yet verified on a sandbox).

    Attributes:
        task: the loaded task.
        task_dir: where it was written.
        llm_calls: replies requested over all steps.
        replies: replies per step (1 = accepted at once).
        transcript: the four conversations (``[{"step", "messages"}]``).
    """

    task: Task
    task_dir: Path
    llm_calls: int
    replies: Mapping[str, int]
    transcript: list[dict[str, Any]] = field(repr=False)


class _Unsuitable(PipelineError):
    """The model judged the source unsuitable (internal: becomes a rejection)."""


# -- parsing and checks (pure) ------------------------------------------------------


def parse_json_object(reply: str) -> dict[str, Any]:
    """The JSON object in ``reply`` (a ```json fence around it is tolerated).

    Raises:
        ValueError: no JSON object could be read.
    """
    text = reply.strip()
    fence = re.match(r"^```[a-zA-Z]*\s*\n(.*)\n```\s*$", text, re.S)
    if fence:
        text = fence[1].strip()
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        start, end = text.find("{"), text.rfind("}")
        if start < 0 or end <= start:
            raise ValueError(f"the reply is not a JSON object: {exc}") from None
        try:
            value = json.loads(text[start : end + 1])
        except json.JSONDecodeError as exc2:
            raise ValueError(f"the reply is not a JSON object: {exc2}") from None
    if not isinstance(value, dict):
        raise ValueError(f"the reply must be a JSON object, got {type(value).__name__}")
    return value


def parse_file_blocks(reply: str, prefix: str = "") -> tuple[dict[str, str], list[str]]:
    """Read ```` ```file:PATH ```` blocks; return ``({path: content}, problems)``.

    A leading ``prefix/`` on a path is dropped (the model may write
    ``tests/test.sh`` where ``test.sh`` is meant). Unsafe paths (absolute, ``..``,
    odd characters) are problems, as are unterminated or repeated blocks.

    Example:
        >>> parse_file_blocks("```file:a.sh\\necho hi\\n```\\n")
        ({'a.sh': 'echo hi\\n'}, [])
    """
    files: dict[str, str] = {}
    problems: list[str] = []
    lines = reply.splitlines()
    i = 0
    while i < len(lines):
        match = _OPEN_FENCE.match(lines[i].strip())
        if not match:
            i += 1
            continue
        ticks, path = match["ticks"], match["path"]
        end = next((j for j in range(i + 1, len(lines)) if lines[j].rstrip() == ticks), None)
        if end is None:
            problems.append(f"the block for {path} is not closed by a line {ticks}")
            break
        body = "\n".join(lines[i + 1 : end])
        i = end + 1
        if prefix and path.startswith(prefix + "/"):
            path = path[len(prefix) + 1 :]
        problem = _path_problem(path)
        if problem:
            problems.append(problem)
        elif path in files:
            problems.append(f"{path} is given twice")
        else:
            files[path] = body + "\n" if body else ""
    if not files and not problems:
        problems.append(
            "no files found: give each file in a block that opens with a line ```file:PATH "
            "and closes with a line ```"
        )
    return files, problems


def _path_problem(path: str) -> str | None:
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not _PATH_OK.match(path):
        return f"{path!r} is not a safe relative path (letters, digits, ._+@- and /; no ..)"
    return None


def dockerfile_instructions(text: str) -> list[tuple[int, str, str]]:
    """``(line, KEYWORD, arguments)`` of each Dockerfile instruction.

    Read by :func:`terminal_gym.tasks.dockerfile.parse`: continuation lines joined as
    Docker joins them, comments and blank lines skipped, heredoc bodies kept out.

    Example:
        >>> dockerfile_instructions("# hi\\nFROM x\\nRUN a \\\\\\n  && b\\n")
        [(2, 'FROM', 'x'), (3, 'RUN', 'a   && b')]
    """
    return [(step.line, step.keyword, step.args) for step in dockerfile.parse(text)]


def bash_syntax_problem(name: str, text: str) -> str | None:
    """``bash -n``'s complaint about ``text``, or ``None`` when it parses."""
    try:
        proc = subprocess.run(
            ["bash", "-n"], input=text, capture_output=True, text=True, timeout=30
        )
    except subprocess.TimeoutExpired:
        return f"{name}: bash -n did not finish"
    if proc.returncode == 0:
        return None
    message = " ".join(
        re.sub(r"^bash: ", "", line).strip() for line in proc.stderr.splitlines() if line.strip()
    )
    return f"{name}: bash -n: {message or f'exit status {proc.returncode}'}"


def _is_shell(path: str, text: str) -> bool:
    first = text.split("\n", 1)[0]
    return path.endswith(".sh") or bool(
        first.startswith("#!") and re.search(r"\b(?:ba)?sh\b", first)
    )


def check_files(files: Mapping[str, str], where: str) -> list[str]:
    """Syntax problems of generated files (``where`` prefixes the names in messages).

    Shell scripts (``.sh`` or a sh/bash shebang) go through ``bash -n``, ``.py``
    through ``ast.parse``, ``.json`` through ``json.loads``.
    """
    problems = []
    for path, text in files.items():
        name = f"{where}/{path}"
        if len(text.encode("utf-8")) > MAX_FILE_BYTES:
            problems.append(
                f"{name} is larger than {MAX_FILE_BYTES // 1024} KiB: generate big data "
                "at build time with a script instead"
            )
            continue
        if _is_shell(path, text):
            problem = bash_syntax_problem(name, text)
            if problem:
                problems.append(problem)
        elif path.endswith(".py"):
            try:
                ast.parse(text, filename=name)
            except SyntaxError as exc:
                problems.append(f"{name}: line {exc.lineno}: {exc.msg}")
        elif path.endswith(".json"):
            try:
                json.loads(text)
            except json.JSONDecodeError as exc:
                problems.append(f"{name}: invalid JSON: {exc}")
    return problems


def check_dockerfile(
    text: str, files: Mapping[str, str], *, base_image: str, allow_internet: bool
) -> list[str]:
    """Problems of a generated Dockerfile (see the module docstring)."""
    instructions = dockerfile.parse(text)
    stages = dockerfile.stages(instructions)
    if not stages:
        return [f"Dockerfile has no FROM: its first instruction must be FROM {base_image}"]
    problems = []
    if instructions[0].keyword != "FROM":
        problems.append(
            f"Dockerfile line {instructions[0].line}: the first instruction must be FROM "
            f"{base_image}"
        )
    for stage in stages:
        image = stage.source.image
        if image != base_image and not stage.from_stage:
            problems.append(
                f"Dockerfile line {stage.instruction.line}: FROM {image} - the image must be "
                f"{base_image}"
            )
    for step in instructions:
        number, word, args = step.line, step.keyword, step.args
        if word == "RUN" and not allow_internet:
            found = _NETWORK.search(step.script)
            if found:
                problems.append(
                    f"Dockerfile line {number}: RUN uses the network ({found[0].strip()}); "
                    "the build is offline: use only what the base image has"
                )
        if word in ("COPY", "ADD"):
            problems.extend(_copy_problems(number, word, args, files, allow_internet))
    return problems


def _copy_problems(
    number: int, word: str, args: str, files: Mapping[str, str], allow_internet: bool
) -> list[str]:
    if "--from" in args:
        return []
    try:
        parts = json.loads(args) if args.startswith("[") else args.split()
    except json.JSONDecodeError:
        return [f"Dockerfile line {number}: {word} arguments are not valid JSON"]
    parts = [p for p in parts if not str(p).startswith("--")]
    problems = []
    for src in parts[:-1]:
        src = str(src)
        if src.startswith("<<"):  # a heredoc: the file comes from the Dockerfile itself
            continue
        if "://" in src:
            if not allow_internet:
                problems.append(f"Dockerfile line {number}: {word} {src} downloads; build offline")
            continue
        clean = src[2:] if src.startswith("./") else src
        if clean in (".", ""):
            continue
        if any(ch in clean for ch in "*?["):
            continue
        if clean not in files and not any(p.startswith(clean.rstrip("/") + "/") for p in files):
            problems.append(
                f"Dockerfile line {number}: {word} {src}: no such file among the environment "
                "files; give it as a ```file: block"
            )
    return problems


# -- prompts -----------------------------------------------------------------------


def _base_description(base_image: str) -> str:
    if base_image == PYTHON_IMAGE:
        return f"Debian bookworm with these packages: {PYTHON_PACKAGES}"
    return "whatever that image provides (assume a Debian-like system with bash and coreutils)"


_COMMON = (
    "You build tasks for training and evaluating AI agents that work in a Linux terminal. "
    "A task is a Docker environment, an instruction, an oracle solution script and a "
    "verifier script. The agent sees only the instruction and a bash shell inside the "
    "container, as root. Everything must be deterministic, and the container has no "
    "network unless stated otherwise."
)

_FILES_FORMAT = (
    "Reply with the files only. Give each file in a fenced block whose opening line is "
    "```file:PATH and whose closing line is ``` (open and close with four backticks if the "
    "file itself contains a line of three backticks). PATH is relative to the {dir}/ "
    "directory. Text outside the blocks is ignored."
)


def _system(step: str, body: str) -> str:
    number = STEPS.index(step) + 1
    return f"Task construction step: {step} ({number} of {len(STEPS)}).\n\n{_COMMON}\n\n{body}"


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n[... {len(text) - limit} more characters omitted]"


def _render_source(source: Source) -> str:
    parts = [f"# Source\nTitle: {source.title}"]
    if source.url:
        parts.append(f"URL: {source.url}")
    if source.tags:
        parts.append(f"Tags: {', '.join(source.tags)}")
    parts.append(f"\n## Question\n{_clip(source.body.strip(), MAX_SOURCE_CHARS)}")
    if source.answer:
        parts.append(f"\n## Accepted answer\n{_clip(source.answer.strip(), MAX_SOURCE_CHARS)}")
    return "\n".join(parts)


def _render_files(title: str, files: Mapping[str, str], where: str) -> str:
    blocks = []
    for path, text in files.items():
        ticks = "````" if "\n```" in f"\n{text}" else "```"
        blocks.append(f"{ticks}file:{where}/{path}\n{_clip(text, MAX_QUOTED_FILE_CHARS)}\n{ticks}")
    return f"# {title}\n" + "\n".join(blocks)


def _instruction_prompt(base_image: str) -> str:
    return _system(
        "instruction",
        "Turn the issue or question below into one self-contained terminal task. It must be "
        f"solvable offline in a container built FROM {base_image} "
        f"({_base_description(base_image)}), checkable by a script that inspects files, "
        "program output or system state, and not already solved in the starting "
        "environment. Write it as a concrete assignment: exact paths, exact expected "
        "outputs or formats, and no hints that give the solution away. If the source "
        "cannot become such a task (it needs a GUI, special hardware, a remote service, "
        "or is a matter of opinion), say so.\n\n"
        "Reply with one JSON object and nothing else:\n"
        '{"suitable": true, "instruction": "<markdown instruction for the agent>", '
        '"difficulty": "easy|medium|hard", "category": "<kebab-case, e.g. '
        'text-processing>", "tags": ["<tag>", "..."], "workdir": "/app"}\n'
        'or {"suitable": false, "reason": "<why>"}',
    )


def _environment_prompt(base_image: str, workdir: str, allow_internet: bool) -> str:
    network = (
        "The build may use the network."
        if allow_internet
        else "The build has no network: RUN must not install packages or download "
        "anything (no apt-get, pip install, curl, wget, git clone)."
    )
    return _system(
        "environment",
        "Write the task's Docker build context, the environment/ directory: a Dockerfile "
        "and every file it copies in.\n"
        f"- The Dockerfile's first instruction is exactly FROM {base_image}; the image has "
        f"{_base_description(base_image)}.\n"
        f"- {network}\n"
        f"- Set WORKDIR {workdir} and create the starting state the instruction describes "
        "(input files, a broken program, a repository ...). Generate larger data with a "
        "script that you COPY in and RUN at build time.\n"
        "- The starting state must NOT already satisfy the instruction: an agent that does "
        "nothing must fail the tests.\n"
        "- Do not put the solution or the tests into the image.\n\n"
        + _FILES_FORMAT.format(dir="environment"),
    )


def _solution_prompt(workdir: str) -> str:
    return _system(
        "solution",
        "Write the oracle: solution/solve.sh, a bash script that does the task in the "
        "environment below the way a careful expert would, so that the tests pass. It runs "
        f"as root from {workdir} as `bash /solution/solve.sh`, offline, in a fresh "
        "container of the environment; /tests is not there. Derive results from the "
        "environment's files instead of hard-coding them where you can. Start with "
        "`set -euo pipefail`.\n\n" + _FILES_FORMAT.format(dir="solution"),
    )


def _tests_prompt(workdir: str) -> str:
    return _system(
        "tests",
        "Write the verifier: tests/test.sh and any helper files it uses (for example "
        "test_outputs.py run with pytest, which is installed). After the agent finishes, "
        "tests/ is copied to /tests and `bash /tests/test.sh` runs as root from "
        f"{workdir}, offline. test.sh must write the reward - 1 when the task is done, 0 "
        "otherwise - to /logs/verifier/reward.txt (mkdir -p /logs/verifier first), and must "
        "write 0 when a check fails or crashes, never leaving the file absent. Check the "
        "outcome the instruction asks for, exactly, with expected values that do not read "
        "/solution (it is absent at grading time). The untouched environment must score 0 "
        "and the oracle solution below must score 1.\n\n" + _FILES_FORMAT.format(dir="tests"),
    )


_REVIEW = (
    "Your reply was rejected by the automatic review:\n{problems}\n\n"
    "Reply again with the complete corrected output in the same format "
    "(every file, not only the changed ones)."
)


# -- the cascade ---------------------------------------------------------------------


class _Cascade:
    """One source's construction: the conversations and what they produced."""

    def __init__(
        self,
        source: Source,
        model: ChatModel,
        *,
        base_image: str,
        max_review_rounds: int,
        allow_internet: bool,
        temperature: float | None,
    ):
        self.source = source
        self.model = model
        self.base_image = base_image
        self.max_review_rounds = max_review_rounds
        self.allow_internet = allow_internet
        self.temperature = temperature
        self.calls = 0
        self.replies: dict[str, int] = {}
        self.transcript: list[dict[str, Any]] = []
        self.files: dict[str, str] = {}

    def converse(
        self, step: str, system: str, user: str, review: Callable[[str], tuple[T, list[str]]]
    ) -> T:
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        self.transcript.append({"step": step, "messages": messages})
        for attempt in range(1, self.max_review_rounds + 2):
            reply = self.model.chat(messages, temperature=self.temperature)
            self.calls += 1
            self.replies[step] = attempt
            messages.append({"role": "assistant", "content": reply})
            try:
                result, problems = review(reply)
            except _Unsuitable as exc:
                raise self.rejected(step, f"unsuitable source: {exc}") from None
            if not problems:
                return result
            if attempt > self.max_review_rounds:
                reason = "; ".join(problems)
                raise self.rejected(step, f"{reason} (rejected after {attempt} replies)")
            bullets = "\n".join(f"- {p}" for p in problems)
            messages.append({"role": "user", "content": _REVIEW.format(problems=bullets)})
        raise AssertionError("unreachable")

    def rejected(self, step: str, reason: str) -> ConstructionRejected:
        return ConstructionRejected(
            step, reason, llm_calls=self.calls, files=self.files, transcript=self.transcript
        )

    # -- step reviews ------------------------------------------------------------

    def review_instruction(self, reply: str) -> tuple[dict[str, Any], list[str]]:
        try:
            data = parse_json_object(reply)
        except ValueError as exc:
            return {}, [str(exc)]
        if data.get("suitable") is False:
            raise _Unsuitable(str(data.get("reason") or "the model gave no reason"))
        problems = []
        instruction = data.get("instruction")
        if not isinstance(instruction, str) or not instruction.strip():
            problems.append('"instruction" must be a non-empty string')
        difficulty = str(data.get("difficulty", "")).strip().lower()
        if difficulty not in DIFFICULTIES:
            problems.append(f'"difficulty" must be one of {", ".join(DIFFICULTIES)}')
        category = data.get("category")
        if not isinstance(category, str) or not category.strip():
            problems.append('"category" must be a non-empty string')
        tags = data.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            problems.append('"tags" must be a list of strings')
        workdir = data.get("workdir") or "/app"
        if not isinstance(workdir, str) or not workdir.startswith("/") or ".." in workdir:
            problems.append('"workdir" must be an absolute path such as /app')
        # (the isinstance checks repeat the ones above for the type checker)
        if problems or not isinstance(instruction, str) or not isinstance(category, str):
            return {}, problems
        return {
            "instruction": instruction.strip() + "\n",
            "difficulty": difficulty,
            "category": category.strip(),
            "tags": [t.strip() for t in tags if t.strip()],
            "workdir": workdir.rstrip("/") or "/",
        }, []

    def review_environment(self, reply: str) -> tuple[dict[str, str], list[str]]:
        files, problems = parse_file_blocks(reply, "environment")
        if problems:
            return files, problems
        if "Dockerfile" not in files:
            return files, ["no Dockerfile: give it as a ```file:Dockerfile block"]
        problems = check_dockerfile(
            files["Dockerfile"],
            files,
            base_image=self.base_image,
            allow_internet=self.allow_internet,
        )
        return files, problems + check_files(
            {p: t for p, t in files.items() if p != "Dockerfile"}, "environment"
        )

    def review_solution(self, reply: str) -> tuple[dict[str, str], list[str]]:
        files, problems = parse_file_blocks(reply, "solution")
        if problems:
            return files, problems
        if "solve.sh" not in files:
            return files, ["no solve.sh: give it as a ```file:solve.sh block"]
        problems = check_files(files, "solution")
        problems += [
            f"solution/{p} reads /tests, which is absent when the oracle runs"
            for p, t in files.items()
            if _TESTS_PATH.search(t)
        ]
        return files, problems

    def review_tests(self, reply: str) -> tuple[dict[str, str], list[str]]:
        files, problems = parse_file_blocks(reply, "tests")
        if problems:
            return files, problems
        if "test.sh" not in files:
            return files, ["no test.sh: give it as a ```file:test.sh block"]
        problems = check_files(files, "tests")
        if _REWARD not in files["test.sh"]:
            problems.append(f"tests/test.sh must write the reward to {_REWARD}.txt")
        problems += [
            f"tests/{p} reads /solution, which is absent at grading time"
            for p, t in files.items()
            if _SOLUTION_PATH.search(t)
        ]
        return files, problems

    # -- run -------------------------------------------------------------------

    def run(self) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
        meta = self.converse(
            "instruction",
            _instruction_prompt(self.base_image),
            _render_source(self.source),
            self.review_instruction,
        )
        workdir = meta["workdir"]
        self.files["instruction.md"] = meta["instruction"]
        task_text = f"# Task instruction (working directory {workdir})\n{meta['instruction']}"

        env_files = self.converse(
            "environment",
            _environment_prompt(self.base_image, workdir, self.allow_internet),
            f"{task_text}\n{_render_source(self.source)}",
            self.review_environment,
        )
        self.files.update({f"environment/{p}": t for p, t in env_files.items()})
        env_text = _render_files("Environment files", env_files, "environment")

        solution_files = self.converse(
            "solution", _solution_prompt(workdir), f"{task_text}\n{env_text}", self.review_solution
        )
        self.files.update({f"solution/{p}": t for p, t in solution_files.items()})
        solution_text = _render_files("Oracle solution", solution_files, "solution")

        test_files = self.converse(
            "tests",
            _tests_prompt(workdir),
            f"{task_text}\n{env_text}\n{solution_text}",
            self.review_tests,
        )
        self.files.update({f"tests/{p}": t for p, t in test_files.items()})
        return meta, {
            "environment": env_files,
            "solution": solution_files,
            "tests": test_files,
        }


# -- writing -------------------------------------------------------------------------


def write_task_dir(
    task_dir: Path,
    *,
    task_name: str,
    meta: Mapping[str, Any],
    files: Mapping[str, Mapping[str, str]],
    metadata_extra: Mapping[str, Any] | None = None,
    allow_internet: bool = False,
    agent_timeout_sec: float = 900,
    verifier_timeout_sec: float = 180,
    build_timeout_sec: float = 600,
) -> Path:
    """Write a Terminal-Bench 2 task directory (``task_dir`` must not exist yet)."""
    task_dir.mkdir(parents=True)
    (task_dir / "instruction.md").write_text(meta["instruction"], encoding="utf-8")
    metadata = {
        "difficulty": meta["difficulty"],
        "category": meta["category"],
        "tags": list(meta.get("tags", [])),
        **dict(metadata_extra or {}),
    }
    write_task_toml(
        task_dir,
        {
            "schema_version": "1.1",
            "task": {"name": task_name},
            "metadata": metadata,
            "agent": {"timeout_sec": agent_timeout_sec},
            "verifier": {"timeout_sec": verifier_timeout_sec},
            "environment": {
                "workdir": meta["workdir"],
                "cpus": 1,
                "memory_mb": 2048,
                "allow_internet": allow_internet,
                "build_timeout_sec": build_timeout_sec,
            },
        },
    )
    for step, step_files in files.items():
        root = task_dir / STEP_DIRS[step]
        for rel, text in step_files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            if _is_shell(rel, text):
                path.chmod(0o755)
    return task_dir


def construct_task(
    source: Source,
    model: ChatModel,
    task_dir: str | os.PathLike[str],
    *,
    base_image: str = DEFAULT_BASE_IMAGE,
    max_review_rounds: int = 2,
    allow_internet: bool = False,
    temperature: float | None = None,
) -> Construction:
    """Build a task directory for ``source`` with ``model``; see the module docstring.

    Args:
        source: the issue or question.
        model: an OpenAI-compatible client (:class:`~.llm.ChatClient`) or anything with
            its ``chat`` method.
        task_dir: where to write the task; must not exist (or be empty). Its name
            becomes the task id.
        base_image: the image every Dockerfile must start ``FROM``.
        max_review_rounds: extra replies a step gets after a rejected one.
        allow_internet: allow the network in ``RUN`` and in the sandbox.
        temperature: override the client's temperature.

    Returns:
        The written, loadable task.

    Raises:
        ConstructionRejected: a step never passed review, the model declared the
            source unsuitable, or the written task does not load.
        LLMError: the endpoint failed (an infrastructure error, not the source's fault).
    """
    task_dir = Path(task_dir)
    if task_dir.exists() and any(task_dir.iterdir()):
        raise PipelineError(f"{task_dir} exists and is not empty")
    if max_review_rounds < 0:
        raise ValueError("max_review_rounds must be >= 0")
    cascade = _Cascade(
        source,
        model,
        base_image=base_image,
        max_review_rounds=max_review_rounds,
        allow_internet=allow_internet,
        temperature=temperature,
    )
    meta, files = cascade.run()
    if task_dir.exists():
        task_dir.rmdir()
    extra = {
        "source_id": source.id,
        "source_title": source.title,
        "source_url": source.url,
        "generator": "terminal-gym pipeline",
        "model": getattr(model, "model", None),
    }
    write_task_dir(
        task_dir,
        task_name=f"terminal-gym-pipeline/{task_dir.name}",
        meta=meta,
        files=files,
        metadata_extra=extra,
        allow_internet=allow_internet,
    )
    try:
        task = load_harbor_task(task_dir)
    except TaskFormatError as exc:
        shutil.rmtree(task_dir, ignore_errors=True)
        raise cascade.rejected("load", f"the written task does not load: {exc}") from exc
    return Construction(
        task=task,
        task_dir=task_dir,
        llm_calls=cascade.calls,
        replies=dict(cascade.replies),
        transcript=cascade.transcript,
    )
