"""``staged-config``: a service's config file changed by a series of change requests,
one step each (a multi-step task).

Each instance is a JSON or INI config under ``/app/config/`` and 2, 3 or 4 change
requests (by difficulty), applied one per step in the same sandbox: set a value, add a
key or a section, rename a key, remove one. Later requests favour what earlier ones
touched (rename the key the first request added, change the value it set), so a step
builds on the one before. A step's check parses the file and compares the whole
configuration with the state after that request: every earlier change must still hold
and nothing else may change. The oracle of a step writes that state.

The rendered states (the initial file, then one per step) are the instance's
``answer``; the command menu applies the next one of them.
"""

from __future__ import annotations

import configparser
import json
import random
from typing import Any

from terminal_gym.tasks.families._words import NOUNS
from terminal_gym.tasks.families.base import Family, Instance, StepInstance, check_script

Config = dict[str, dict[str, Any]]

#: Per section, its keys and what kind of value each holds (the pool a config draws from).
_POOL: dict[str, dict[str, str]] = {
    "server": {
        "host": "host",
        "port": "port",
        "workers": "small",
        "timeout_sec": "seconds",
        "keepalive": "bool",
        "max_body_kb": "size",
    },
    "database": {
        "host": "host",
        "port": "port",
        "name": "name",
        "pool_size": "small",
        "ssl": "bool",
        "statement_timeout_sec": "seconds",
    },
    "cache": {
        "backend": "backend",
        "ttl_sec": "seconds",
        "max_items": "size",
        "enabled": "bool",
    },
    "logging": {
        "level": "level",
        "file": "path",
        "rotate_mb": "small",
        "json": "bool",
    },
    "queue": {
        "broker": "host",
        "prefetch": "small",
        "retry_limit": "small",
        "dead_letter": "bool",
    },
    "metrics": {
        "enabled": "bool",
        "port": "port",
        "interval_sec": "seconds",
        "prefix": "name",
    },
}
#: Keys a change request may rename, and their new names.
_RENAMES = {
    "host": "hostname",
    "timeout_sec": "timeout_seconds",
    "workers": "worker_count",
    "pool_size": "max_connections",
    "ttl_sec": "ttl_seconds",
    "file": "path",
    "level": "log_level",
    "broker": "broker_url",
    "prefetch": "prefetch_count",
    "interval_sec": "interval_seconds",
    "max_items": "max_entries",
}
#: difficulty -> (sections at the start, keys per section, steps, changes per step)
_LEVELS = {1: (2, 3, 2, (1, 2)), 2: (3, 4, 3, (2, 2)), 3: (4, 5, 4, (2, 3))}
_EXT = {"json": "json", "ini": "ini"}
_STEP_NAMES = ("first-request", "second-request", "third-request", "fourth-request")


def _draw(rng: random.Random, kind: str, section: str) -> Any:
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "port":
        return rng.choice((3000, 5432, 6379, 8000, 8080, 8443, 9090)) + rng.randint(0, 99)
    if kind == "small":
        return rng.randint(1, 64)
    if kind == "seconds":
        return rng.choice((5, 10, 15, 30, 45, 60, 90, 120, 300, 600))
    if kind == "size":
        return rng.choice((256, 512, 1024, 2048, 4096, 10000, 50000))
    if kind == "host":
        return f"{rng.choice(NOUNS)}-{rng.randint(1, 9)}.internal"
    if kind == "name":
        return f"{rng.choice(NOUNS)}_{rng.choice(('main', 'prod', 'store', 'app'))}"
    if kind == "backend":
        return rng.choice(("memory", "redis", "memcached", "disk"))
    if kind == "level":
        return rng.choice(("debug", "info", "warning", "error"))
    return f"/var/log/{rng.choice(NOUNS)}/{section}.log"


def _kind(section: str, key: str) -> str:
    base = {v: k for k, v in _RENAMES.items()}.get(key, key)
    return _POOL[section].get(base) or _POOL[section][key]


def _shown(fmt: str, value: Any) -> str:
    """A value as the instruction shows it, in the file format's own syntax."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) or fmt == "ini":
        return str(value)
    return json.dumps(value)


def render(fmt: str, config: Config) -> str:
    """The canonical text of ``config`` in ``fmt`` (what the oracle writes)."""
    if fmt == "json":
        return json.dumps(config, indent=2) + "\n"
    blocks = []
    for section, values in config.items():
        lines = [f"[{section}]"] + [f"{k} = {_shown(fmt, v)}" for k, v in values.items()]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _as_ini(config: Config) -> Config:
    """What ``configparser`` reads back from :func:`render`'s INI: every value a string."""
    return {s: {k: _shown("ini", v) for k, v in values.items()} for s, values in config.items()}


def _copy(config: Config) -> Config:
    return {section: dict(values) for section, values in config.items()}


class _Requests:
    """Draws change requests against a config, favouring what earlier steps touched."""

    def __init__(self, rng: random.Random, fmt: str, config: Config):
        self.rng, self.fmt, self.config = rng, fmt, config
        self.touched: list[tuple[str, str]] = []
        #: what the current request touched: another change of it may not undo it
        self.this_request: set[tuple[str, str]] = set()

    def _target(self, candidates: list[tuple[str, str]]) -> tuple[str, str] | None:
        candidates = [c for c in candidates if c not in self.this_request]
        recent = [c for c in candidates if c in self.touched]
        if recent and self.rng.random() < 0.7:
            return self.rng.choice(recent)
        return self.rng.choice(candidates) if candidates else None

    def _keys(self) -> list[tuple[str, str]]:
        return [(s, k) for s, values in self.config.items() for k in values]

    def change(self) -> str | None:
        """Apply one random change to the config; return its line for the instruction."""
        kinds = ["set", "set", "add_key", "add_section", "rename", "remove"]
        self.rng.shuffle(kinds)
        for kind in kinds:
            line = getattr(self, f"_{kind}")()
            if line is not None:
                return line
        return None

    def _set(self) -> str | None:
        target = self._target(self._keys())
        if target is None:
            return None
        section, key = target
        old = self.config[section][key]
        for _ in range(20):
            new = _draw(self.rng, _kind(section, key), section)
            if _shown(self.fmt, new) != _shown(self.fmt, old):
                self.config[section][key] = new
                self.touched.append(target)
                self.this_request.add(target)
                return f"set `{section}.{key}` to `{_shown(self.fmt, new)}`"
        return None

    def _add_key(self) -> str | None:
        options = [
            (s, k)
            for s, values in self.config.items()
            for k in _POOL[s]
            if k not in values and _RENAMES.get(k) not in values and (s, k) not in self.this_request
        ]
        if not options:
            return None
        section, key = self.rng.choice(options)
        value = _draw(self.rng, _POOL[section][key], section)
        self.config[section][key] = value
        self.touched.append((section, key))
        self.this_request.add((section, key))
        return f"add `{section}.{key}` with the value `{_shown(self.fmt, value)}`"

    def _add_section(self) -> str | None:
        options = [s for s in _POOL if s not in self.config]
        if not options:
            return None
        section = self.rng.choice(options)
        keys = self.rng.sample(sorted(_POOL[section]), 2)
        keys.sort(key=list(_POOL[section]).index)
        self.config[section] = {k: _draw(self.rng, _POOL[section][k], section) for k in keys}
        self.touched += [(section, k) for k in keys]
        self.this_request.update((section, k) for k in keys)
        shown = " and ".join(f"`{k}` = `{_shown(self.fmt, self.config[section][k])}`" for k in keys)
        return f"add a section `{section}` with {shown}"

    def _rename(self) -> str | None:
        target = self._target([(s, k) for s, k in self._keys() if k in _RENAMES])
        if target is None:
            return None
        section, key = target
        new = _RENAMES[key]
        # the renamed key keeps its place in the section
        self.config[section] = {
            (new if k == key else k): v for k, v in self.config[section].items()
        }
        self.touched.append((section, new))
        self.this_request.update({(section, key), (section, new)})
        return f"rename `{section}.{key}` to `{section}.{new}`, keeping its value"

    def _remove(self) -> str | None:
        target = self._target([(s, k) for s, k in self._keys() if len(self.config[s]) > 2])
        if target is None:
            return None
        section, key = target
        del self.config[section][key]
        self.this_request.add(target)
        self.touched = [t for t in self.touched if t != target]
        return f"remove `{section}.{key}` (it is obsolete)"


_CHECK = """
import configparser

path, fmt = DATA["path"], DATA["format"]
text = read(path)
config = None
if check(text is not None, f"{path} is missing or unreadable"):
    if fmt == "json":
        try:
            config = json.loads(text)
        except ValueError as exc:
            check(False, f"{path} is not valid JSON: {exc}")
    else:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(text)
            config = {s: dict(parser[s]) for s in parser.sections()}
        except configparser.Error as exc:
            check(False, f"{path} does not parse as INI: {exc}")
if config is not None and check(isinstance(config, dict), "the config is not a mapping"):
    want = DATA["expected"]
    check(
        sorted(config) == sorted(want),
        f"sections are {sorted(config)}, expected {sorted(want)}",
    )
    for section, values in want.items():
        got = config.get(section)
        if not check(isinstance(got, dict), f"section {section} is missing"):
            continue
        extra = sorted(set(got) - set(values))
        check(not extra, f"{section} has unexpected keys {extra}")
        for key, value in values.items():
            have = got.get(key, "<missing>")
            check(
                have == value and type(have) is type(value),
                f"{section}.{key} is {have!r}, expected {value!r}",
            )
"""


class StagedConfig(Family):
    name = "staged-config"
    description = "apply a series of config change requests, one step each (multi-step)"
    category = "configuration"
    tags = ("config", "multi-step", "json", "ini")
    knob = (
        "steps 2/3/4, config size (2x3 / 3x4 / 4x5 sections x keys), changes per step 1-2 / 2 / 2-3"
    )

    def generate(self, rng: random.Random, difficulty: int) -> Instance:
        n_sections, n_keys, n_steps, (low, high) = _LEVELS[difficulty]
        fmt = rng.choice(("json", "ini"))
        service = rng.choice(NOUNS)
        rel = f"config/{service}.{_EXT[fmt]}"
        path = f"/app/{rel}"
        sections = rng.sample(sorted(_POOL), n_sections)
        sections.sort(key=list(_POOL).index)
        config: Config = {}
        for section in sections:
            keys = rng.sample(sorted(_POOL[section]), min(n_keys, len(_POOL[section])))
            keys.sort(key=list(_POOL[section]).index)
            config[section] = {k: _draw(rng, _POOL[section][k], section) for k in keys}

        states = [render(fmt, config)]
        requests = _Requests(rng, fmt, _copy(config))
        steps = []
        changes = 0
        for index in range(n_steps):
            lines, state, text = self._request(rng, requests, (low, high), states)
            changes += len(lines)
            states.append(text)
            ticket = f"CR-{rng.randint(1000, 9999)}"
            steps.append(self._step(index, n_steps, ticket, fmt, path, lines, state, text, service))
        first = steps[0]
        return Instance(
            instruction=first.instruction,
            app_files={rel: states[0]},
            solution=first.solution,
            tests=first.tests,
            answer=json.dumps(states),
            params={
                "format": fmt,
                "sections": n_sections,
                "keys": sum(len(v) for v in config.values()),
                "steps": n_steps,
                "changes": changes,
            },
            tags=(fmt,),
            steps=tuple(steps),
        )

    @staticmethod
    def _request(
        rng: random.Random, requests: _Requests, size: tuple[int, int], states: list[str]
    ) -> tuple[list[str], Config, str]:
        """One change request that leads to a state the file has not been in (a request
        that undid an earlier one would be graded by a check the untouched file passes)."""
        saved = (_copy(requests.config), list(requests.touched))
        for _ in range(50):
            requests.this_request = set()
            lines = [line for _ in range(rng.randint(*size)) if (line := requests.change())]
            state = _copy(requests.config)
            text = render(requests.fmt, state)
            if lines and text not in states:
                return lines, state, text
            requests.config, requests.touched = _copy(saved[0]), list(saved[1])
        raise AssertionError("no change request leads to a new state")

    @staticmethod
    def _step(
        index: int,
        n_steps: int,
        ticket: str,
        fmt: str,
        path: str,
        lines: list[str],
        state: Config,
        text: str,
        service: str,
    ) -> StepInstance:
        syntax = {
            "json": "JSON: numbers and `true`/`false` bare, text in double quotes",
            "ini": "INI as Python's `configparser` reads it: `[section]` headers, "
            "`key = value` lines, booleans written `true`/`false`",
        }[fmt]
        earlier = (
            "The changes of the earlier requests must still be in place. "
            if index
            else "The service reads the file at start-up. "
        )
        instruction = f"""\
# Config change {ticket} (request {index + 1} of {n_steps})

Apply this change request to `{path}`, the configuration of the `{service}` service:

{chr(10).join(f"- {line}" for line in lines)}

Edit the file in place and keep its format ({syntax}). {earlier}Every setting the
request does not mention keeps its value, and no other setting may appear.
"""
        expected = state if fmt == "json" else _as_ini(state)
        _self_check(fmt, text, expected)
        return StepInstance(
            name=_STEP_NAMES[index],
            instruction=instruction,
            solution=f"cat > {path} <<'CONFIG_EOF'\n{text}CONFIG_EOF\n",
            tests={
                "check.py": check_script(
                    {"path": path, "format": fmt, "expected": expected}, _CHECK
                )
            },
            min_reward=1.0 if index == 0 else None,
        )


def _self_check(fmt: str, text: str, expected: Config) -> None:
    """The oracle's file must read back as the expected state."""
    if fmt == "json":
        assert json.loads(text) == expected
        return
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    assert {s: dict(parser[s]) for s in parser.sections()} == expected
