"""Discrete command menus for the procedural task families, and a random menu agent.

A policy that cannot write text (an MLP trained by RLlib's PPO, a softmax over features)
can still act in a terminal when its actions are picks from a short, fixed list of shell
commands. :class:`CommandMenu` is that list for one family: the same labels for every
instance (so ``Discrete(len(menu))`` is a fixed action space), each label turned into a
concrete command for the instance at hand by :meth:`CommandMenu.commands`. Every menu has
inspect items, act items and ``submit``; some sequence of picks solves every seeded
instance (:meth:`CommandMenu.solution`), and wrong picks (submitting first, the wrong act)
earn 0.

Two kinds of menu:

* **Built from the instruction** (``git-history``, ``find-value``, ``csv-aggregate``):
  every command uses only what the instruction says (the ticket, the key and value), so a
  policy that picks well has done what an agent reading the task would do. The right act
  depends on the instance: ``git-history`` draws a *restore* or a *recover* task per seed
  (the instruction says which), ``csv-aggregate`` groups by month only at level 3. These
  are the families to train small policies on (``git-history`` above all: the choice
  depends on the observation, uniform picks solve about 30% of the instances in two
  steps, and an episode takes about half a second on the local backend).
* **A reference-fix macro** (``repair-config``, ``fix-seeded-bug``, ``permissions-spec``,
  ``staged-config``):
  the fix needs free-form text (a repaired file, a patch, a table of modes), so the act
  item runs the instance's own oracle script; the menu then tests the plumbing (inspect,
  act, submit), not the skill. ``permissions-spec`` adds the usual lazy fix
  (``755`` directories, ``644`` files), which always fails its spec. ``staged-config``
  is multi-step: its act item writes the state after the next change request, whichever
  step the file is at, so the same picks serve every step; jumping to the last state
  fails the first request.

:data:`MENUS` maps family names to menus; :func:`menu_for` takes a family name or a task.
:class:`RandomMenuAgent` picks uniformly from a task's menu (an :class:`Agent` for
:func:`~terminal_gym.rollout.agents.run_episode`): the baseline a trained policy must beat.

Example:
    >>> from terminal_gym.tasks import load_tasks
    >>> menu = menu_for("git-history")
    >>> menu.labels
    ('show-log', 'show-reflog', 'restore-file', 'recover-commit', 'submit')
    >>> task = load_tasks("family:git-history")[3]  # a "restore" instance
    >>> [menu.labels[i] for i in menu.solution(task)]
    ['restore-file', 'submit']
"""

from __future__ import annotations

import functools
import json
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import gymnasium as gym
import numpy as np

from terminal_gym.envs import SUBMIT, TerminalLegoEnv
from terminal_gym.errors import TerminalGymError
from terminal_gym.tasks import Task
from terminal_gym.tasks.families import FAMILIES, Instance
from terminal_gym.tasks.taskset import FAMILY_PREFIX

__all__ = [
    "MENUS",
    "CommandMenu",
    "MenuError",
    "MenuItem",
    "RandomMenuAgent",
    "family_of",
    "menu_for",
]

Kind = Literal["inspect", "act", "submit"]


class MenuError(TerminalGymError, ValueError):
    """A task has no command menu (not from a procedural family, or an unknown one), or
    its instruction lacks what its menu reads."""


@dataclass(frozen=True)
class MenuItem:
    """One entry of a menu: a stable ``label``, its ``kind``, and what it does in words."""

    label: str
    kind: Kind
    help: str


#: Builds an item's command for one task: ``(task, instruction fields) -> command``.
Builder = Callable[[Task, Mapping[str, str]], str]


@dataclass(frozen=True)
class CommandMenu:
    """A fixed list of commands for one procedural family.

    Attributes:
        family: the family's name.
        items: the entries, in action order (``Discrete`` action ``i`` is ``items[i]``).
        builders: one per item but ``submit``: the item's command for a task.
        fields: regular expressions with named groups, searched in the instruction; their
            groups are what the builders may use (a missing field raises
            :class:`MenuError`).
        solver: the labels of a solving sequence for a task (may read the instance).
    """

    family: str
    items: tuple[MenuItem, ...]
    builders: Mapping[str, Builder]
    solver: Callable[[Task], tuple[str, ...]]
    fields: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        labels = self.labels
        if len(set(labels)) != len(labels) or "submit" not in labels:
            raise ValueError(f"menu {self.family!r}: labels must be unique and include 'submit'")
        missing = {i.label for i in self.items if i.kind != "submit"} - set(self.builders)
        if missing:
            raise ValueError(f"menu {self.family!r}: no command for {sorted(missing)}")

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(item.label for item in self.items)

    def __len__(self) -> int:
        return len(self.items)

    def index(self, label: str) -> int:
        """The action number of ``label``.

        Raises:
            KeyError: no such item.
        """
        try:
            return self.labels.index(label)
        except ValueError:
            raise KeyError(f"menu {self.family!r} has no item {label!r}") from None

    def commands(self, task: Task) -> tuple[str, ...]:
        """The concrete command of every item for ``task`` (``SUBMIT`` for ``submit``).

        Raises:
            MenuError: ``task`` is not an instance of this family, or its
                instruction lacks a field the menu reads.
        """
        if family_of(task) != self.family:
            raise MenuError(f"task {task.id!r} is not a {self.family!r} instance")
        values = self.read_fields(task)
        return tuple(
            SUBMIT if item.kind == "submit" else self.builders[item.label](task, values)
            for item in self.items
        )

    def read_fields(self, task: Task) -> dict[str, str]:
        """The named groups of :attr:`fields` found in ``task``'s instruction."""
        values: dict[str, str] = {}
        for pattern in self.fields:
            m = re.search(pattern, task.instruction)
            if m is None:
                raise MenuError(
                    f"task {task.id!r}: the {self.family!r} menu found no {pattern!r} "
                    "in the instruction"
                )
            values.update(m.groupdict())
        return values

    def solution(self, task: Task) -> tuple[int, ...]:
        """Action numbers that solve ``task`` (an oracle, for tests and baselines)."""
        return tuple(self.index(label) for label in self.solver(task))


def family_of(task: Task) -> str | None:
    """The family a task was generated by (``None`` for a task from a directory)."""
    if task.source_format.startswith(FAMILY_PREFIX):
        return task.source_format[len(FAMILY_PREFIX) :]
    return None


@functools.lru_cache(maxsize=256)
def _instance_of(family: str, seed: int, level: int) -> Instance:
    return FAMILIES[family].instance(seed, level)


def _instance(task: Task) -> Instance:
    """The generator's view of ``task`` (for reference-fix macros and oracles only)."""
    meta = task.metadata
    family = family_of(task)
    if family is None or "seed" not in meta or "difficulty_level" not in meta:
        raise MenuError(f"task {task.id!r} is not a procedural family instance")
    return _instance_of(family, int(meta["seed"]), int(meta["difficulty_level"]))


def _params(task: Task) -> Mapping[str, Any]:
    return task.metadata.get("params", {})


def _script(body: str) -> str:
    """``body`` run by a fresh ``bash -euo pipefail`` in ``/app``: a failing line stops
    the script, not the episode's shell."""
    return f"bash -euo pipefail <<'TERMINAL_GYM_MENU'\ncd /app\n{body.strip()}\nTERMINAL_GYM_MENU"


def _reference_fix(task: Task, values: Mapping[str, str]) -> str:
    return _script(_instance(task).solution)


def _fixed(command: str) -> Builder:
    return lambda task, values: command


def _submit_item() -> MenuItem:
    return MenuItem("submit", "submit", "end the episode and run the verifier")


# -- git-history ----------------------------------------------------------------------


def _ticket_grep(values: Mapping[str, str]) -> str:
    # the ticket id, not a longer id that starts with it (OPS-412 vs OPS-4120)
    return shlex.quote(f"{values['ticket']}([^0-9]|$)")


def _restore_file(task: Task, values: Mapping[str, str]) -> str:
    grep = _ticket_grep(values)
    return _script(
        f"""
cd /app/repo
sha=$(git log --format=%H -E --grep={grep} main | head -n 1)
test -n "$sha"
files=$(git show --name-only --format= "$sha")
git checkout "$sha" -- $files
git commit -q -m "Restore $files as of {values["ticket"]}"
git log --oneline -n 3
"""
    )


def _recover_commit(task: Task, values: Mapping[str, str]) -> str:
    return _script(
        f"""
cd /app/repo
git checkout -q main
sha=$(git log -g --format=%H -E --grep={_ticket_grep(values)} HEAD | head -n 1)
test -n "$sha"
git cherry-pick "$sha"
git log --oneline -n 3
"""
    )


def _git_solution(task: Task) -> tuple[str, ...]:
    act = "restore-file" if _params(task).get("variant") == "restore" else "recover-commit"
    return (act, "submit")


GIT_HISTORY = CommandMenu(
    family="git-history",
    items=(
        MenuItem("show-log", "inspect", "the history of main"),
        MenuItem("show-reflog", "inspect", "where HEAD has been (lost commits too)"),
        MenuItem("restore-file", "act", "check out the ticket's commit's files, commit"),
        MenuItem("recover-commit", "act", "cherry-pick the ticket's commit from the reflog"),
        _submit_item(),
    ),
    builders={
        "show-log": _fixed("git -C /app/repo log --oneline --stat -n 20 main"),
        "show-reflog": _fixed("git -C /app/repo reflog -n 20"),
        "restore-file": _restore_file,
        "recover-commit": _recover_commit,
    },
    fields=(r"mentions\s+ticket\s+`(?P<ticket>[A-Z]+-[0-9]+)`",),
    solver=_git_solution,
)

# -- find-value -----------------------------------------------------------------------


def _line(values: Mapping[str, str]) -> str:
    return shlex.quote(f"{values['key']}={values['value']}")


FIND_VALUE = CommandMenu(
    family="find-value",
    items=(
        MenuItem("list-files", "inspect", "the files of the tree, hidden ones too"),
        MenuItem("grep-value", "inspect", "every line mentioning the value"),
        MenuItem("answer-exact-line", "act", "write the one file holding the exact line"),
        MenuItem("answer-key-matches", "act", "write every text file that sets the key"),
        _submit_item(),
    ),
    builders={
        "list-files": _fixed("find /app/data -type f | sort | head -n 200"),
        "grep-value": lambda task, v: f"grep -rnI -- {shlex.quote(v['value'])} /app/data",
        "answer-exact-line": lambda task, v: (
            f"grep -rlIxF -- {_line(v)} /app/data > /app/answer.txt; cat /app/answer.txt"
        ),
        "answer-key-matches": lambda task, v: (
            f"grep -rlI -- {shlex.quote(v['key'] + '=')} /app/data > /app/answer.txt; "
            "cat /app/answer.txt"
        ),
    },
    fields=(r"sets\s+the\s+key\s+`(?P<key>[a-z_]+)`\s+to\s+the\s+value\s+`(?P<value>[A-Z0-9-]+)`",),
    solver=lambda task: ("answer-exact-line", "submit"),
)

# -- csv-aggregate --------------------------------------------------------------------

_CSV_SUMMARY = """
mkdir -p /app/out
python3 - <<'PY'
import csv, re
from decimal import Decimal

with open("/app/data/orders.csv", newline="") as handle:
    reader = csv.reader(handle)
    header = next(reader)
    col = {{name: i for i, name in enumerate(header)}}
    groups = {{}}
    for row in reader:
        if row == header:
            continue
        quantity = row[col["quantity"]].strip()
        price = row[col["unit_price"]].strip().lstrip("$").replace(",", "")
        if not re.fullmatch(r"[0-9]+", quantity) or not re.fullmatch(r"[0-9]+(\\.[0-9]+)?", price):
            continue
        if "status" in col and row[col["status"]].strip().lower() != "shipped":
            continue
        key = (row[col["region"]]{normalise},)
        if {by_month}:
            key += (row[col["date"]].strip()[:7],)
        orders, revenue = groups.get(key, (0, Decimal(0)))
        groups[key] = (orders + 1, revenue + int(quantity) * Decimal(price))
with open("/app/out/summary.csv", "w", newline="") as handle:
    writer = csv.writer(handle, lineterminator="\\n")
    writer.writerow(["region", *(["month"] if {by_month} else []), "orders", "revenue"])
    for key in sorted(groups):
        writer.writerow([*key, groups[key][0], f"{{groups[key][1]:.2f}}"])
PY
cat /app/out/summary.csv
"""


def _csv_summary(*, by_month: bool, normalise: bool) -> Builder:
    body = _CSV_SUMMARY.format(by_month=by_month, normalise=".strip().lower()" if normalise else "")
    return _fixed(_script(body))


CSV_AGGREGATE = CommandMenu(
    family="csv-aggregate",
    items=(
        MenuItem("show-head", "inspect", "the CSV's first lines"),
        MenuItem("count-rows", "inspect", "rows and distinct regions"),
        MenuItem("summarise-by-region", "act", "clean, group by region, write the summary"),
        MenuItem("summarise-by-region-month", "act", "the same, grouped by region and month"),
        MenuItem("summarise-raw-regions", "act", "group by the region text as written"),
        _submit_item(),
    ),
    builders={
        "show-head": _fixed("head -n 8 /app/data/orders.csv"),
        "count-rows": _fixed(
            "wc -l /app/data/orders.csv; cut -d, -f3 /app/data/orders.csv | sort | uniq -c"
        ),
        "summarise-by-region": _csv_summary(by_month=False, normalise=True),
        "summarise-by-region-month": _csv_summary(by_month=True, normalise=True),
        "summarise-raw-regions": _csv_summary(by_month=False, normalise=False),
    },
    solver=lambda task: (
        "summarise-by-region-month"
        if _params(task).get("status_filter")
        else "summarise-by-region",
        "submit",
    ),
)

# -- permissions-spec -----------------------------------------------------------------


def _lazy_modes(task: Task, values: Mapping[str, str]) -> str:
    root = shlex.quote(values["root"])
    return (
        f"find {root} -type d -exec chmod 755 {{}} + && "
        f"find {root} -type f -exec chmod 644 {{}} + && stat -c '%a %n' -- {root}"
    )


PERMISSIONS_SPEC = CommandMenu(
    family="permissions-spec",
    items=(
        MenuItem("show-modes", "inspect", "every path's mode and group"),
        MenuItem("apply-spec", "act", "the reference fix: every path to its row's mode"),
        MenuItem("apply-lazy-modes", "act", "755 for directories, 644 for files"),
        _submit_item(),
    ),
    builders={
        "show-modes": lambda task, v: (
            f"find {shlex.quote(v['root'])} -exec stat -c '%a %g %n' {{}} +"
        ),
        "apply-spec": _reference_fix,
        "apply-lazy-modes": _lazy_modes,
    },
    fields=(r"permissions\s+under\s+`(?P<root>/app/[a-z]+)`",),
    solver=lambda task: ("apply-spec", "submit"),
)

# -- repair-config, fix-seeded-bug ------------------------------------------------------

REPAIR_CONFIG = CommandMenu(
    family="repair-config",
    items=(
        MenuItem("validate", "inspect", "run /app/validate.py"),
        MenuItem("show-config", "inspect", "the damaged file"),
        MenuItem("repair", "act", "the reference fix: rewrite the file with its intended values"),
        _submit_item(),
    ),
    builders={
        "validate": _fixed("python3 /app/validate.py"),
        "show-config": lambda task, v: f"cat -A {shlex.quote(v['config'])} | head -n 80",
        "repair": _reference_fix,
    },
    fields=(r"Repair\s+`(?P<config>/app/config/[^`]+)`",),
    solver=lambda task: ("repair", "submit"),
)

FIX_SEEDED_BUG = CommandMenu(
    family="fix-seeded-bug",
    items=(
        MenuItem("run-tests", "inspect", "the visible tests (they pass with the bug in)"),
        MenuItem("show-source", "inspect", "the package's modules"),
        MenuItem("fix", "act", "the reference fix: undo the seeded mutation"),
        _submit_item(),
    ),
    builders={
        "run-tests": _fixed("cd /app && python3 -m pytest -q -p no:cacheprovider tests; cd /app"),
        "show-source": _fixed(
            "find /app -name '*.py' -not -path '*/tests/*' -exec head -n 60 {} +"
        ),
        "fix": _reference_fix,
    },
    solver=lambda task: ("fix", "submit"),
)

# -- staged-config (multi-step) ---------------------------------------------------------

_WRITE_STATE = """
python3 - <<'PY'
import json, os, sys
path, states = {path!r}, json.loads({states!r})
current = open(path).read() if os.path.exists(path) else None
if {jump}:
    target = len(states) - 1
elif current in states[:-1]:
    target = states.index(current) + 1
else:
    sys.exit("the config is in no state this item knows: apply the change by hand")
open(path, "w").write(states[target])
print("wrote the state after change request", target)
PY
cat {path}
"""


def _staged_state(*, jump: bool) -> Builder:
    """Write the state after the next change request, or (``jump``) after the last one.

    The states are the instance's ``answer``; the next one is found from the file as it
    is, so the same item serves every step of the episode."""

    def build(task: Task, values: Mapping[str, str]) -> str:
        states = json.dumps(json.loads(_instance(task).answer))
        return _script(_WRITE_STATE.format(path=values["config"], states=states, jump=jump))

    return build


STAGED_CONFIG = CommandMenu(
    family="staged-config",
    items=(
        MenuItem("show-config", "inspect", "the config file"),
        MenuItem("list-config", "inspect", "the files under /app/config"),
        MenuItem("apply-next-request", "act", "the reference change: the next request's state"),
        MenuItem("apply-final-state", "act", "jump to the state after the last request"),
        _submit_item(),
    ),
    builders={
        "show-config": lambda task, v: f"cat {shlex.quote(v['config'])}",
        "list-config": _fixed("ls -la /app/config"),
        "apply-next-request": _staged_state(jump=False),
        "apply-final-state": _staged_state(jump=True),
    },
    fields=(r"change\s+request\s+to\s+`(?P<config>/app/config/[^`]+)`",),
    # One request per step: apply the next one, submit (which grades it and brings the next).
    solver=lambda task: ("apply-next-request", "submit") * max(1, len(task.steps)),
)

#: Every family's menu, by family name.
MENUS: dict[str, CommandMenu] = {
    menu.family: menu
    for menu in (
        FIND_VALUE,
        REPAIR_CONFIG,
        CSV_AGGREGATE,
        FIX_SEEDED_BUG,
        GIT_HISTORY,
        PERMISSIONS_SPEC,
        STAGED_CONFIG,
    )
}


def menu_for(family_or_task: str | Task) -> CommandMenu:
    """The menu of a family, given its name, ``"family:<name>"``, or one of its tasks.

    Raises:
        MenuError: no menu for it (a task from a directory, an unknown family).
    """
    if isinstance(family_or_task, Task):
        name = family_of(family_or_task)
        if name is None:
            raise MenuError(
                f"task {family_or_task.id!r} is not from a procedural family: no command menu"
            )
    else:
        name = family_or_task.removeprefix(FAMILY_PREFIX).partition("?")[0]
    menu = MENUS.get(name)
    if menu is None:
        raise MenuError(f"no command menu for {name!r}; menus: {', '.join(MENUS)}")
    return menu


class RandomMenuAgent:
    """Picks every step uniformly from the task's command menu (``submit`` included).

    Args:
        seed: seeds the agent's own generator (its picks, not the env's tasks).

    The baseline a trained menu policy must beat: on ``git-history`` level 1 it solves
    about 30% of the instances with ``max_steps=2`` and about half with ``max_steps=4``
    (a wrong act there is often harmless, and the verifier also grades truncations).
    """

    name = "random-menu"

    def __init__(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)
        self.commands: tuple[str, ...] = ()

    def begin(self, env: gym.Env, observation: dict[str, Any], info: dict[str, Any]) -> None:
        base = env.unwrapped
        if not isinstance(base, TerminalLegoEnv) or base.task is None:
            raise TerminalGymError("RandomMenuAgent needs a reset TerminalLegoEnv")
        self.commands = menu_for(base.task).commands(base.task)

    def act(self, observation: dict[str, Any], info: dict[str, Any]) -> str:
        if not self.commands:
            raise TerminalGymError("RandomMenuAgent.act() before begin()")
        return self.commands[int(self.rng.integers(len(self.commands)))]
