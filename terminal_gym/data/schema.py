"""The versioned trajectory schema and its JSONL file format.

A trajectory file is JSON Lines, one *event* per line, written as the episode runs
(:class:`~terminal_gym.wrappers.RecordTrajectory`) so a crash loses nothing already
stepped::

    {"event": "header", "schema": "terminal-gym.trajectory/1", "task_id": ..., ...}
    {"event": "reset", "observation": {...}, "info": {...}, "t": 0.0}
    {"event": "step", "index": 1, "action": "ls", "observation": {...}, "reward": 0.0,
     "terminated": false, "truncated": false, "info": {...}, "t": 0.41, "duration": 0.002}
    ...
    {"event": "end", "reward": 1.0, "steps": 7, "terminated": true, "truncated": false}

A step that raised is recorded as ``{"event": "error", "index", "action", "error"}``
(loaded into ``metadata["errors"]``); an episode abandoned by ``reset`` or ``close``
ends with ``"aborted": true``. A file may hold several trajectories (each starts at
its ``header``); one without an ``end`` event loads with ``complete=False``. A line
holding a whole trajectory (:meth:`Trajectory.to_dict`, with ``"schema"`` and
``"steps"``) is accepted too.

A step an LLM agent took also holds ``"llm"``: the model call that produced its action
(:attr:`Step.llm`): the messages sent, the reply, and, when the server returned them,
the completion's token ids and log-probabilities. In a file each turn's ``prompt`` is
stored as ``{"keep": k, "add": [...]}``: the first ``k`` messages of the previous turn's
prompt followed by its reply, then ``add`` (a conversation grows by two messages a turn,
so storing each prompt whole would be quadratic); loading restores the full lists.

Actions are stored as JSON: a ``str`` as itself (:data:`~terminal_gym.SUBMIT` included),
:class:`~terminal_gym.Command` as ``{"type": "command", "text", "timeout"}`` and
:class:`~terminal_gym.Keys` as ``{"type": "keys", "text", "wait"}``.

The module holds :data:`SCHEMA_VERSION`, :class:`Step`, :class:`Trajectory`,
:func:`load_trajectories` and :func:`save_trajectories`. Text and JSON rendering
(:func:`~terminal_gym.render.observation_text`, :func:`~terminal_gym.render.to_jsonable`)
live in :mod:`terminal_gym.render`, shared with the wrappers; the names are re-exported
here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from terminal_gym.actions import decode_action
from terminal_gym.errors import TerminalGymError
from terminal_gym.render import (
    action_text,
    is_submit,
    to_jsonable,
)

#: The schema these tools write; files with another major version are refused.
SCHEMA_VERSION = "terminal-gym.trajectory/1"
_SCHEMA_NAME, _SCHEMA_MAJOR = SCHEMA_VERSION.rsplit("/", 1)


class SchemaError(TerminalGymError, ValueError):
    """A trajectory file or record does not follow the schema (or has another version)."""


# -- the model -------------------------------------------------------------------------


@dataclass
class Step:
    """One env step as recorded.

    Attributes:
        action: what was passed to ``step`` (decoded: ``str``, ``Command`` or ``Keys``).
        observation: what ``step`` returned (JSON types).
        reward: the reward ``step`` returned.
        info: the step's ``info`` (JSON types).
        t: seconds since the episode's ``reset`` began, when the step returned.
        duration: seconds the ``step`` call took.
        terminated, truncated: as returned.
        llm: the model call that produced the action, for on-policy training (``None``
            for scripted agents): ``prompt`` (the messages sent), ``reply``, ``model``,
            ``finish_reason``, ``usage``, ``latency``, and when the server returned them
            ``completion_token_ids``, ``logprobs`` (one per completion token) and
            ``prompt_token_ids``; ``error`` when the call failed.
    """

    action: Any
    observation: Any = None
    reward: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)
    t: float = 0.0
    duration: float | None = None
    terminated: bool = False
    truncated: bool = False
    llm: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        return action_text(self.action)

    @property
    def commands(self) -> list[str]:
        """The shell commands this step ran (several when one reply held several)."""
        sub = self.info.get("commands")
        if isinstance(sub, list):
            return [str(c) for c in sub]
        if is_submit(self.action):
            return []
        return [self.text]

    def to_dict(self) -> dict[str, Any]:
        """The step as JSON (``llm`` only when set, its prompt whole; a
        :class:`Trajectory` stores prompts packed, see the module docstring)."""
        data = {
            "action": to_jsonable(self.action),
            "observation": to_jsonable(self.observation),
            "reward": to_jsonable(self.reward),
            "terminated": self.terminated,
            "truncated": self.truncated,
            "info": to_jsonable(self.info),
            "t": self.t,
            "duration": self.duration,
        }
        if self.llm is not None:
            data["llm"] = to_jsonable(self.llm)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Step:
        return cls(
            action=decode_action(data.get("action")),
            observation=data.get("observation"),
            reward=float(data.get("reward") or 0.0),
            info=dict(data.get("info") or {}),
            t=float(data.get("t") or 0.0),
            duration=data.get("duration"),
            terminated=bool(data.get("terminated", False)),
            truncated=bool(data.get("truncated", False)),
            llm=dict(data["llm"]) if isinstance(data.get("llm"), Mapping) else None,
        )


def _turn_context(llm: Mapping[str, Any]) -> list[Any]:
    """What the next turn's prompt starts from: this turn's prompt and its reply."""
    prompt = llm.get("prompt")
    messages = list(prompt) if isinstance(prompt, list) else []
    return [*messages, {"role": "assistant", "content": llm.get("reply") or ""}]


def pack_steps(steps: Iterable[Step]) -> list[dict[str, Any]]:
    """The steps as JSON with each LLM prompt packed against the turn before it.

    >>> a = Step("r1", llm={"prompt": [{"role": "user", "content": "q"}], "reply": "r1"})
    >>> b = Step("r2", llm={"prompt": [{"role": "user", "content": "q"},
    ...     {"role": "assistant", "content": "r1"}, {"role": "user", "content": "o"}]})
    >>> pack_steps([a, b])[1]["llm"]["prompt"]
    {'keep': 2, 'add': [{'role': 'user', 'content': 'o'}]}
    """
    out: list[dict[str, Any]] = []
    context: list[Any] = []
    for step in steps:
        data = step.to_dict()
        llm = data.get("llm")
        if isinstance(llm, dict) and isinstance(llm.get("prompt"), list):
            prompt = llm["prompt"]
            keep = 0
            while keep < min(len(prompt), len(context)) and prompt[keep] == context[keep]:
                keep += 1
            data["llm"] = {**llm, "prompt": {"keep": keep, "add": prompt[keep:]}}
            context = _turn_context(llm)
        out.append(data)
    return out


def unpack_prompts(steps: Iterable[Step]) -> None:
    """Restore the packed prompts of loaded ``steps`` in place (see :func:`pack_steps`)."""
    context: list[Any] = []
    for step in steps:
        llm = step.llm
        if llm is None:
            continue
        prompt = llm.get("prompt")
        if isinstance(prompt, Mapping) and "add" in prompt:
            keep = int(prompt.get("keep") or 0)
            llm["prompt"] = [*context[:keep], *(prompt.get("add") or [])]
        context = _turn_context(llm)


@dataclass
class Trajectory:
    """One episode: the task, who played it, every step and the outcome.

    Attributes:
        task_id: the task.
        source: where the trajectory came from (a dataset, a run, ``"oracle"``).
        teacher: the model or agent that acted.
        instruction: the task instruction the agent was given.
        steps: the steps in order.
        reward: the episode's final (verifier) reward; ``None`` while incomplete.
        egs: the EGS summary (``TrajectoryAnalysis.to_dict()``), when computed.
        initial_observation: what ``reset`` returned.
        metadata: anything else (env id and kwargs, seed, harness, timestamps).
        terminated, truncated: how the episode ended.
        complete: the episode's end was recorded (``False`` after a crash).
        schema: the schema version.
    """

    task_id: str | None
    source: str | None = None
    teacher: str | None = None
    instruction: str = ""
    steps: list[Step] = field(default_factory=list)
    reward: float | None = None
    egs: dict[str, Any] | None = None
    initial_observation: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)
    terminated: bool = False
    truncated: bool = False
    complete: bool = True
    schema: str = SCHEMA_VERSION

    # -- derived ---------------------------------------------------------------------

    @property
    def commands(self) -> list[str]:
        """Every shell command the episode ran, in order (SUBMIT excluded)."""
        return [c for s in self.steps for c in s.commands]

    @property
    def submitted(self) -> bool:
        return any(is_submit(s.action) for s in self.steps)

    @property
    def initial_cwd(self) -> str:
        obs = self.initial_observation
        if isinstance(obs, Mapping) and isinstance(obs.get("cwd"), str):
            return obs["cwd"]
        return str(self.metadata.get("cwd") or "/")

    def analyze(self) -> Any:
        """The EGS analysis of the commands (:class:`terminal_gym.egs.TrajectoryAnalysis`).

        Each command is analysed in the cwd the agent saw when it issued it; a
        trajectory without observations (a script split into commands) is analysed as
        one command list from :attr:`initial_cwd`, the analyser following ``cd``.
        """
        from terminal_gym.egs import Analyzer, analyze

        if not any(_cwd(s.observation) for s in self.steps):
            return analyze(self.commands, cwd=self.initial_cwd)
        analyzer = Analyzer(cwd=self.initial_cwd)
        cwd = self.initial_cwd
        for step in self.steps:
            sub_cwds = step.info.get("cwds")
            for i, command in enumerate(step.commands):
                analyzer.step(command, cwd=cwd)
                if isinstance(sub_cwds, list) and i < len(sub_cwds) and sub_cwds[i]:
                    cwd = sub_cwds[i]
            cwd = _cwd(step.observation) or cwd
        return analyzer.result()

    def ensure_egs(self) -> dict[str, Any]:
        """:attr:`egs`, computing it first when missing."""
        if self.egs is None:
            self.egs = to_jsonable(self.analyze().to_dict())
        return self.egs

    # -- (de)serialisation -----------------------------------------------------------

    def header(self) -> dict[str, Any]:
        return {
            "event": "header",
            "schema": self.schema,
            "task_id": self.task_id,
            "source": self.source,
            "teacher": self.teacher,
            "instruction": self.instruction,
            "metadata": to_jsonable(self.metadata),
        }

    def events(self) -> Iterator[dict[str, Any]]:
        """The trajectory as file events (see the module docstring)."""
        yield self.header()
        yield {"event": "reset", "observation": to_jsonable(self.initial_observation), "t": 0.0}
        for i, step in enumerate(pack_steps(self.steps), 1):
            yield {"event": "step", "index": i, **step}
        if self.complete:
            end: dict[str, Any] = {
                "event": "end",
                "reward": self.reward,
                "steps": len(self.steps),
                "terminated": self.terminated,
                "truncated": self.truncated,
            }
            if self.egs is not None:
                end["egs"] = to_jsonable(self.egs)
            yield end

    def to_dict(self) -> dict[str, Any]:
        """The whole trajectory as one JSON object."""
        return {
            "schema": self.schema,
            "task_id": self.task_id,
            "source": self.source,
            "teacher": self.teacher,
            "instruction": self.instruction,
            "initial_observation": to_jsonable(self.initial_observation),
            "steps": pack_steps(self.steps),
            "reward": self.reward,
            "egs": to_jsonable(self.egs),
            "metadata": to_jsonable(self.metadata),
            "terminated": self.terminated,
            "truncated": self.truncated,
            "complete": self.complete,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Trajectory:
        check_schema(data.get("schema"))
        trajectory = cls(
            task_id=data.get("task_id"),
            source=data.get("source"),
            teacher=data.get("teacher"),
            instruction=data.get("instruction") or "",
            steps=[Step.from_dict(s) for s in data.get("steps") or []],
            reward=data.get("reward"),
            egs=data.get("egs"),
            initial_observation=data.get("initial_observation"),
            metadata=dict(data.get("metadata") or {}),
            terminated=bool(data.get("terminated", False)),
            truncated=bool(data.get("truncated", False)),
            complete=bool(data.get("complete", True)),
            schema=str(data["schema"]),
        )
        unpack_prompts(trajectory.steps)
        return trajectory

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write this trajectory as a JSONL event file (replacing ``path``)."""
        return save_trajectories([self], path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Trajectory:
        """The only (or first) trajectory of a file."""
        trajectories = load_trajectories(path)
        if not trajectories:
            raise SchemaError(f"{path}: no trajectory in the file")
        return trajectories[0]


def _cwd(observation: Any) -> str | None:
    if isinstance(observation, Mapping) and isinstance(observation.get("cwd"), str):
        return observation["cwd"] or None
    return None


def check_schema(version: Any) -> None:
    """Raise :class:`SchemaError` unless ``version`` is one this code reads."""
    if not isinstance(version, str) or "/" not in version:
        raise SchemaError(f"not a terminal-gym trajectory (schema {version!r})")
    name, major = version.rsplit("/", 1)
    if name != _SCHEMA_NAME:
        raise SchemaError(f"not a terminal-gym trajectory (schema {version!r})")
    if major.split(".")[0] != _SCHEMA_MAJOR:
        raise SchemaError(
            f"unsupported trajectory schema {version!r}; this code reads {SCHEMA_VERSION!r}"
        )


def dumps(event: Mapping[str, Any]) -> str:
    """One JSONL line (no newline), compact, UTF-8 kept readable."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def save_trajectories(trajectories: Iterable[Trajectory], path: str | os.PathLike[str]) -> Path:
    """Write trajectories to one JSONL event file (atomically: temp file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for trajectory in trajectories:
            for event in trajectory.events():
                fh.write(dumps(event) + "\n")
    os.replace(tmp, path)
    return path


def failed_episode(trajectory: Trajectory) -> bool:
    """Whether the environment or the model endpoint failed the episode, so that its
    reward grades nothing the agent did (``env_error`` / ``llm_error`` in metadata)."""
    meta = trajectory.metadata
    return bool(meta.get("env_error") or meta.get("llm_error"))


def supersedes(new: Trajectory, previous: Trajectory) -> bool:
    """Whether ``new``, a later record of the episode ``previous`` recorded (a rerun),
    replaces it: the latest record counts, except that a failed one never replaces a
    graded one."""
    return failed_episode(previous) or not failed_episode(new)


def iter_trajectories(lines: Iterable[str], where: str = "<lines>") -> Iterator[Trajectory]:
    """Parse JSONL lines into trajectories (both the event and the one-line form).

    A truncated last line (a crash mid-write) is skipped; any other malformed line
    raises :class:`SchemaError`.
    """
    current: Trajectory | None = None
    pending: list[tuple[int, str]] = list(enumerate(lines, 1))
    for n, (lineno, line) in enumerate(pending):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError as exc:
            if n == len(pending) - 1 and not line.endswith("\n"):
                break  # the writer died mid-line: everything before it stands
            raise SchemaError(f"{where}:{lineno}: not JSON: {exc}") from None
        if not isinstance(event, dict):
            raise SchemaError(f"{where}:{lineno}: expected a JSON object")
        kind = event.get("event")
        if kind is None and "steps" in event:
            if current is not None:
                unpack_prompts(current.steps)
                yield current
                current = None
            yield Trajectory.from_dict(event)
            continue
        if kind == "header":
            if current is not None:
                unpack_prompts(current.steps)
                yield current
            check_schema(event.get("schema"))
            current = Trajectory(
                task_id=event.get("task_id"),
                source=event.get("source"),
                teacher=event.get("teacher"),
                instruction=event.get("instruction") or "",
                metadata=dict(event.get("metadata") or {}),
                complete=False,
                schema=event["schema"],
            )
            continue
        if current is None:
            raise SchemaError(f"{where}:{lineno}: {kind!r} event before any header")
        if kind == "reset":
            current.initial_observation = event.get("observation")
            if event.get("info"):
                current.metadata.setdefault("reset_info", event["info"])
        elif kind == "step":
            current.steps.append(Step.from_dict(event))
        elif kind == "error":
            current.metadata.setdefault("errors", []).append(
                {k: v for k, v in event.items() if k != "event"}
            )
        elif kind == "end":
            current.reward = event.get("reward")
            current.terminated = bool(event.get("terminated", False))
            current.truncated = bool(event.get("truncated", False))
            current.egs = event.get("egs")
            if event.get("aborted"):
                current.metadata["aborted"] = True
            current.complete = True
        else:
            raise SchemaError(f"{where}:{lineno}: unknown event {kind!r}")
    if current is not None:
        if not current.complete and current.steps:
            last = current.steps[-1]
            if last.terminated or last.truncated:
                current.reward = last.reward
        unpack_prompts(current.steps)
        yield current


def load_trajectories(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
) -> list[Trajectory]:
    """Every trajectory in one or more JSONL files (directories: their ``*.jsonl``)."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files: list[Path] = []
    for p in map(Path, paths):
        files.extend(sorted(p.glob("*.jsonl")) if p.is_dir() else [p])
    out: list[Trajectory] = []
    for file in files:
        with open(file, encoding="utf-8") as fh:
            out.extend(iter_trajectories(fh, str(file)))
    return out
