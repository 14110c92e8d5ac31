"""Trajectory analysis: per-step labels, grounding and TOR (Targeted Observation Ratio).

- :class:`StepLabel`: one action's class, paths and ``grounded`` flag.
- :class:`TrajectoryAnalysis`: every step plus TOR, counts, ``verified_before_submit``.
- :class:`Analyzer`: incremental — the wrappers call :meth:`Analyzer.step` once per env
  step; :func:`analyze` feeds one a whole list of commands.

Rules (DESIGN §6; the per-command tables are in :mod:`terminal_gym.egs.classify`):

- A step's kind is ``act`` if any of its simple commands acts, else ``verify`` if any
  verifies, else ``inspect`` if any inspects, else ``unknown`` (blank, comment-only,
  unparseable, or only neutral/unknown commands).
- Two upgrades need the trajectory, and are applied per simple command before the step's
  kind is taken:

  - an *inspect* command that reads a path written by an earlier command of this
    trajectory (earlier in the same step counts), or the directory holding one, becomes
    *verify* (``cat f`` after ``sed -i ... f``; ``ls /app`` after ``touch /app/x``);
  - an *inspect* request to a local service (``curl localhost:8000``, ``wget -qO-
    http://app/``, ``nc -z localhost 5432``) becomes *verify* once any earlier command
    acted (typically: started, restarted or reconfigured the service).

- **Observed paths** are the reads of inspect and verify commands of *earlier steps*
  (reads by act or unknown commands do not count: ``cp a b`` does not show the agent
  ``a``). A path listed by ``ls``/``tree`` makes its children count as observed too.
  A command in the same step does not ground an act: the agent had not seen its output
  when it wrote the act.
- An act step is **grounded** when some path its act commands write or execute, or that
  path's parent directory, was observed (a glob observation such as ``cat /app/*.py``
  covers the paths it matches; a glob write such as ``rm /app/*.pyc`` has ``/app`` as its
  parent). An act naming no path (``pip install requests``, ``kill 42``) is not grounded.
  ``grounded`` is ``None`` for steps that are not act steps.
- **TOR** = grounded act steps / act steps; ``0.0`` without act steps.
- ``counts`` counts steps by kind; all four keys are always present.
- ``verified_before_submit``: some verify step comes after the last act step (with no
  act step at all: some verify step exists). It is step-level: ``make && make test`` is
  one act step, and does not by itself count as verified.
- ``cwd``: relative paths resolve against the cwd the caller passes to
  :meth:`Analyzer.step`, else against the cwd tracked through ``cd`` (starting at the
  ``cwd`` given to the constructor).

Cost: classification is cached per ``(command, cwd)`` (:func:`functools.lru_cache`), the
grounding bookkeeping is a few set lookups per path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from terminal_gym.egs.classify import (
    CommandLabel,
    Kind,
    classify_action,
    is_glob,
    normalize_path,
    parent_dir,
)

__all__ = ["Analyzer", "StepLabel", "TrajectoryAnalysis", "analyze"]

_KINDS: tuple[Kind, ...] = ("inspect", "act", "verify", "unknown")


@dataclass(frozen=True)
class StepLabel:
    """The label of one action (one element of a trajectory's commands).

    Attributes:
        index: position in the trajectory, from 0.
        command: the action as given.
        kind: the step's class (see the module docstring).
        commands: labels of its simple commands, trajectory upgrades applied.
        reads: union of the commands' reads, in order, without repeats.
        writes: union of the commands' writes (written, created, deleted, executed).
        grounded: for act steps, whether an earlier step observed a written/executed path
            or its parent directory; ``None`` for other steps.
        parse_error: the action could not be parsed at all.
    """

    index: int
    command: str
    kind: Kind
    commands: tuple[CommandLabel, ...]
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    grounded: bool | None
    parse_error: bool

    def to_dict(self) -> dict:
        return {
            "index": self.index,
            "command": self.command,
            "kind": self.kind,
            "commands": [
                {
                    "name": c.name,
                    "kind": c.kind,
                    "reads": list(c.reads),
                    "writes": list(c.writes),
                    "text": c.text,
                }
                for c in self.commands
            ],
            "reads": list(self.reads),
            "writes": list(self.writes),
            "grounded": self.grounded,
            "parse_error": self.parse_error,
        }


@dataclass(frozen=True)
class TrajectoryAnalysis:
    """The EGS analysis of one trajectory.

    Attributes:
        steps: one :class:`StepLabel` per command, in order.
        tor: grounded act steps / act steps (``0.0`` when there is no act step).
        counts: steps per kind: ``{"inspect", "act", "verify", "unknown"}``.
        verified_before_submit: a verify step comes after the last act step.
    """

    steps: tuple[StepLabel, ...]
    tor: float
    counts: dict[str, int]
    verified_before_submit: bool

    @property
    def grounded_acts(self) -> int:
        return sum(1 for s in self.steps if s.grounded)

    def to_dict(self) -> dict:
        """A JSON-serialisable form (tuples become lists)."""
        return {
            "tor": self.tor,
            "counts": dict(self.counts),
            "verified_before_submit": self.verified_before_submit,
            "grounded_acts": self.grounded_acts,
            "steps": [s.to_dict() for s in self.steps],
        }


def _dedupe(items) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


class Analyzer:
    """Incremental EGS analysis of one trajectory.

    Args:
        cwd: the shell's working directory before the first command.

    Example:
        >>> a = Analyzer(cwd="/app")
        >>> a.step("cat main.py").kind, a.step("sed -i 's/1/2/' main.py").grounded
        ('inspect', True)
        >>> a.step("python -m pytest -q").kind, a.result().tor
        ('verify', 1.0)
    """

    def __init__(self, cwd: str = "/"):
        self._cwd = normalize_path(cwd, "/") or "/"
        self._steps: list[StepLabel] = []
        self._observed: set[str] = set()
        self._observed_globs: set[str] = set()
        self._listed: set[str] = set()
        self._written: set[str] = set()
        self._written_parents: set[str] = set()
        self._written_globs: set[str] = set()
        self._acted = False
        self._counts: dict[str, int] = dict.fromkeys(_KINDS, 0)

    @property
    def cwd(self) -> str:
        """The tracked cwd for the next step."""
        return self._cwd

    def step(self, command: str, cwd: str | None = None) -> StepLabel:
        """Label the next action of the trajectory.

        Args:
            command: the action, as sent to the shell.
            cwd: the shell's cwd when it ran, if the caller knows it (the wrappers do);
                else the cwd tracked from earlier ``cd`` commands is used.
        """
        if not isinstance(command, str):
            command = "" if command is None else str(command)
        base = self._cwd if cwd is None else (normalize_path(cwd, self._cwd) or self._cwd)
        action = classify_action(command, base)
        labels: list[CommandLabel] = []
        targets: list[str] = []
        kinds: set[str] = set()
        for rec in action.commands:
            kind = rec.kind
            if kind == "inspect" and (
                (rec.local_probe and self._acted) or any(map(self._was_written, rec.reads))
            ):
                kind = "verify"
            if kind == "act":
                self._acted = True
                targets.extend(rec.writes)
            for path in rec.modifies:
                self._note_written(path)
            kinds.add(kind)
            labels.append(rec.label(kind))
        step_kind: Kind = next((k for k in ("act", "verify", "inspect") if k in kinds), "unknown")
        grounded = any(map(self._is_grounded, targets)) if step_kind == "act" else None
        # only now: observations of this step ground later steps, not its own acts
        for label, rec in zip(labels, action.commands, strict=True):
            if label.kind in ("inspect", "verify"):
                for path in label.reads:
                    (self._observed_globs if is_glob(path) else self._observed).add(path)
                if rec.lists:
                    self._listed.update(label.reads)
        step = StepLabel(
            index=len(self._steps),
            command=command,
            kind=step_kind,
            commands=tuple(labels),
            reads=_dedupe(p for c in labels for p in c.reads),
            writes=_dedupe(p for c in labels for p in c.writes),
            grounded=grounded,
            parse_error=action.parse_error,
        )
        self._steps.append(step)
        self._counts[step_kind] += 1
        self._cwd = action.cwd
        return step

    def result(self) -> TrajectoryAnalysis:
        """The analysis of the steps so far."""
        steps = tuple(self._steps)
        acts = [s for s in steps if s.kind == "act"]
        tor = sum(1 for s in acts if s.grounded) / len(acts) if acts else 0.0
        last_act = acts[-1].index if acts else -1
        verified = any(s.kind == "verify" and s.index > last_act for s in steps)
        return TrajectoryAnalysis(steps, tor, dict(self._counts), verified)

    # ------------------------------------------------------------------ bookkeeping

    def _note_written(self, path: str) -> None:
        if is_glob(path):
            self._written_globs.add(path)
        else:
            self._written.add(path)
        self._written_parents.add(parent_dir(path))

    def _was_written(self, path: str) -> bool:
        if path in self._written or path in self._written_parents:
            return True
        if is_glob(path):
            return any(fnmatchcase(w, path) for w in self._written)
        return any(fnmatchcase(path, g) for g in self._written_globs)

    def _is_grounded(self, path: str) -> bool:
        parent = parent_dir(path)
        observed = self._observed
        if path in observed or parent in observed or parent_dir(parent) in self._listed:
            return True
        if any(fnmatchcase(path, g) or fnmatchcase(parent, g) for g in self._observed_globs):
            return True
        return is_glob(path) and any(fnmatchcase(o, path) for o in observed)


def analyze(commands: Sequence[str], cwd: str = "/") -> TrajectoryAnalysis:
    """Analyze one trajectory's commands (in order) in one go.

    Equivalent to feeding an :class:`Analyzer` each command and taking its result.

    Example:
        >>> r = analyze(["ls /app", "echo 'x = 1' > /app/x.py", "cat /app/x.py"])
        >>> [s.kind for s in r.steps], r.tor, r.verified_before_submit
        (['inspect', 'act', 'verify'], 1.0, True)
    """
    analyzer = Analyzer(cwd=cwd)
    for command in commands:
        analyzer.step(command)
    return analyzer.result()
