"""fix-seeded-bug: fix a bug seeded into a small Python package; hidden pytest suite.

The package's functions come from a fixed pool, each with a docstring that states
its contract, a set of test inputs, and mutation operators that are known to
change its behaviour (a comparison flipped, an off-by-one, an arithmetic operator
swapped, a statement changed, a constant changed, a return changed). The generator
runs every input through the original and the mutated function to get the hidden
suite's expected values, the example in the instruction, and a visible test file
whose tests pass with the bug still in (the usual trap).
"""

from __future__ import annotations

import random
import textwrap
from dataclasses import dataclass
from typing import Any

from terminal_gym.tasks.families.base import Family, Instance


@dataclass(frozen=True)
class _Function:
    name: str
    source: str
    cases: tuple[str, ...]  # argument tuples, as Python literals
    mutations: tuple[tuple[str, str, str], ...]  # (operator, original text, mutated text)


def _fn(name: str, source: str, cases: tuple[str, ...], *mutations: tuple[str, str, str]):
    return _Function(name, textwrap.dedent(source).strip("\n"), cases, mutations)


_POOL = (
    _fn(
        "clamp",
        '''
        def clamp(value, low, high):
            """Return value limited to the closed range [low, high] (low <= high)."""
            if value < low:
                return low
            if value > high:
                return high
            return value
        ''',
        ("(5, 0, 10)", "(-3, 0, 10)", "(15, 0, 10)", "(0, 0, 10)", "(10, 0, 10)", "(7, 7, 7)"),
        ("comparison", "if value > high:", "if value < high:"),
        ("return", "        return low\n", "        return high\n"),
        ("comparison", "if value < low:", "if value > low:"),
    ),
    _fn(
        "moving_average",
        '''
        def moving_average(values, window):
            """Means of every run of `window` consecutive values, in order.

            Raises ValueError when window is not positive; fewer values than window give [].
            """
            if window <= 0:
                raise ValueError("window must be positive")
            result = []
            for start in range(len(values) - window + 1):
                chunk = values[start:start + window]
                result.append(sum(chunk) / window)
            return result
        ''',
        (
            "([1, 2, 3, 4], 2)",
            "([2, 4, 6], 3)",
            "([1, 2], 3)",
            "([5], 1)",
            "([1, 2, 3], 0)",
            "([1, 3, 5, 7, 9], 2)",
        ),
        ("off-by-one", "range(len(values) - window + 1)", "range(len(values) - window)"),
        ("comparison", "if window <= 0:", "if window < 0:"),
        ("arithmetic", "sum(chunk) / window", "sum(chunk) // window"),
    ),
    _fn(
        "chunk",
        '''
        def chunk(items, size):
            """Split items into consecutive lists of `size` items; the last may be shorter.

            Raises ValueError when size is less than 1.
            """
            if size < 1:
                raise ValueError("size must be at least 1")
            return [items[i:i + size] for i in range(0, len(items), size)]
        ''',
        ("([1, 2, 3, 4, 5], 2)", "([1, 2, 3], 3)", "([], 4)", "([1, 2, 3], 5)", "([1], 0)"),
        ("off-by-one", "items[i:i + size]", "items[i:i + size - 1]"),
        ("off-by-one", "range(0, len(items), size)", "range(0, len(items) - 1, size)"),
    ),
    _fn(
        "dedupe",
        '''
        def dedupe(items):
            """Items without repeats, keeping the first occurrence of each, in order."""
            seen = set()
            result = []
            for item in items:
                if item not in seen:
                    seen.add(item)
                    result.append(item)
            return result
        ''',
        ("([3, 1, 3, 2, 1],)", '(["a", "b", "a"],)', "([],)", "([1, 1, 1],)"),
        ("negation", "if item not in seen:", "if item in seen:"),
        ("statement", "seen.add(item)", "seen.discard(item)"),
        ("statement", "result.append(item)\n    return", "result.insert(0, item)\n    return"),
    ),
    _fn(
        "parse_duration",
        '''
        def parse_duration(text):
            """Seconds in a duration such as "2h", "45m", "1h30m" or "90s" (units h, m, s).

            Surrounding whitespace is ignored. Raises ValueError on anything else
            (unknown units, a number without a unit).
            """
            units = {"h": 3600, "m": 60, "s": 1}
            total = 0
            number = ""
            for char in text.strip():
                if char.isdigit():
                    number += char
                elif char in units and number:
                    total += int(number) * units[char]
                    number = ""
                else:
                    raise ValueError(f"bad duration: {text!r}")
            if number:
                raise ValueError(f"missing unit in {text!r}")
            return total
        ''',
        (
            '("2h",)',
            '("45m",)',
            '("1h30m",)',
            '("90s",)',
            '("1h1m1s",)',
            '("10",)',
            '("5x",)',
            '(" 3m ",)',
        ),
        ("statement", "total += int(number)", "total = int(number)"),
        ("constant", '"m": 60', '"m": 600'),
        ("statement", 'units[char]\n            number = ""', "units[char]\n            pass"),
        ("negation", "if number:\n        raise", "if not number:\n        raise"),
    ),
    _fn(
        "binary_search",
        '''
        def binary_search(items, target):
            """Index of target in the sorted list items, or -1 when it is absent."""
            low, high = 0, len(items) - 1
            while low <= high:
                mid = (low + high) // 2
                if items[mid] == target:
                    return mid
                if items[mid] < target:
                    low = mid + 1
                else:
                    high = mid - 1
            return -1
        ''',
        (
            "([1, 3, 5, 7, 9], 7)",
            "([1, 3, 5, 7, 9], 1)",
            "([1, 3, 5, 7, 9], 9)",
            "([1, 3, 5, 7, 9], 4)",
            "([], 3)",
            "([2], 2)",
        ),
        ("comparison", "while low <= high:", "while low < high:"),
        ("off-by-one", "len(items) - 1", "len(items) - 2"),
        ("return", "return -1", "return 0"),
    ),
    _fn(
        "run_length",
        '''
        def run_length(text):
            """Run-length encoding: "aaabcc" -> "a3b1c2"; the empty string encodes to ""."""
            if not text:
                return ""
            parts = []
            current, count = text[0], 1
            for char in text[1:]:
                if char == current:
                    count += 1
                else:
                    parts.append(f"{current}{count}")
                    current, count = char, 1
            parts.append(f"{current}{count}")
            return "".join(parts)
        ''',
        ('("aaabcc",)', '("",)', '("a",)', '("abc",)', '("zzzz",)', '("aabba",)'),
        ("off-by-one", "for char in text[1:]:", "for char in text[2:]:"),
        ("constant", "current, count = char, 1", "current, count = char, 0"),
        ("statement", '    parts.append(f"{current}{count}")\n    return', "    return"),
    ),
    _fn(
        "median",
        '''
        def median(values):
            """Median of a non-empty list of numbers (the mean of the two middle ones for
            an even count). Raises ValueError for an empty list.
            """
            if not values:
                raise ValueError("median of an empty list")
            ordered = sorted(values)
            mid = len(ordered) // 2
            if len(ordered) % 2 == 1:
                return ordered[mid]
            return (ordered[mid - 1] + ordered[mid]) / 2
        ''',
        (
            "([3, 1, 2],)",
            "([4, 1, 3, 2],)",
            "([5],)",
            "([1, 2],)",
            "([],)",
            "([7, 1, 9, 3, 5, 2],)",
        ),
        ("statement", "ordered = sorted(values)", "ordered = list(values)"),
        ("comparison", "% 2 == 1", "% 2 == 0"),
        ("off-by-one", "ordered[mid - 1] + ordered[mid]", "ordered[mid] + ordered[mid + 1]"),
    ),
    _fn(
        "word_frequencies",
        '''
        def word_frequencies(text):
            """Counts of the words of text, lower-cased; a word is a run of letters, digits
            or apostrophes."""
            counts = {}
            for word in re.findall(r"[a-z0-9']+", text.lower()):
                counts[word] = counts.get(word, 0) + 1
            return counts
        ''',
        ('("The cat and the hat",)', '("",)', "(\"Don't stop, don't!\",)", '("a1 A1 b2",)'),
        ("statement", "text.lower())", "text)"),
        ("constant", "counts.get(word, 0)", "counts.get(word, 1)"),
        ("constant", "[a-z0-9']+", "[a-z']+"),
    ),
    _fn(
        "is_leap_year",
        '''
        def is_leap_year(year):
            """Gregorian leap year: divisible by 4, except centuries not divisible by 400."""
            return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        ''',
        ("(2024,)", "(2023,)", "(1900,)", "(2000,)", "(2100,)", "(2400,)", "(1996,)", "(1800,)"),
        ("boolean", "year % 4 == 0 and (", "year % 4 == 0 or ("),
        ("boolean", "year % 100 != 0 or", "year % 100 != 0 and"),
        ("constant", "year % 400 == 0", "year % 40 == 0"),
    ),
    _fn(
        "slugify",
        '''
        def slugify(text):
            """Lower-case words of text (runs of letters and digits) joined by single hyphens."""
            words = re.findall(r"[a-z0-9]+", text.lower())
            return "-".join(words)
        ''',
        ('("Hello, World!",)', '("  Multiple   spaces ",)', '("Version 2.0 release",)', '("",)'),
        ("constant", '"-".join(words)', '"_".join(words)'),
        ("constant", '"[a-z0-9]+"', '"[a-z]+"'),
    ),
    _fn(
        "brackets_balanced",
        '''
        def brackets_balanced(text):
            """True when the (), [] and {} in text are properly nested and closed."""
            pairs = {")": "(", "]": "[", "}": "{"}
            stack = []
            for char in text:
                if char in "([{":
                    stack.append(char)
                elif char in pairs:
                    if not stack or stack.pop() != pairs[char]:
                        return False
            return not stack
        ''',
        (
            '("([]{})",)',
            '("(]",)',
            '("((",)',
            '("",)',
            '("a(b[c]d)e",)',
            '("{[}]",)',
            '("())",)',
        ),
        ("return", "return not stack", "return True"),
        ("constant", 'if char in "([{":', 'if char in "([":'),
        ("negation", "if not stack or stack.pop()", "if stack and stack.pop()"),
    ),
)

_PACKAGES = ("toolkit", "utilkit", "helpers", "corelib", "funclib", "smalltools")
_MODULES = (("core", "extra"), ("basic", "more"), ("funcs", "misc"), ("util", "tools"))
# functions, bugs
_LEVELS = {1: (3, 1), 2: (5, 1), 3: (8, 2)}

_HIDDEN_TESTS = '''\
"""Hidden behaviour tests (generated): every function against its docstring."""
import builtins
import importlib

import pytest

CASES = [
{cases}
]


@pytest.mark.parametrize("module,name,args,expected,error", CASES)
def test_behaviour(module, name, args, expected, error):
    func = getattr(importlib.import_module(module), name)
    if error:
        with pytest.raises(getattr(builtins, error)):
            func(*args)
    else:
        assert func(*args) == expected
'''


def _outcome(source: str, name: str, args: str) -> tuple[str, str]:
    """Run ``name(*args)`` from ``source``: ``("ok", repr(result))`` or ``("raise", type)``."""
    namespace: dict[str, Any] = {}
    exec(compile("import re\n" + source, f"<{name}>", "exec"), namespace)
    try:
        return "ok", repr(namespace[name](*eval(args)))
    except Exception as exc:
        return "raise", type(exc).__name__


def _module_text(package: str, functions: list[str]) -> str:
    head = f'"""Small helpers of the {package} package."""\n\nimport re\n'
    return head + "".join(f"\n\n{f}\n" for f in functions)


class FixSeededBug(Family):
    name = "fix-seeded-bug"
    description = "fix a seeded bug in a small Python package (hidden pytest suite)"
    category = "debugging"
    tags = ("python", "pytest", "debugging", "bugfix")
    knob = (
        "functions 3/5/8 (one module, one module, two modules) and bugs 1/1/2; level 1 "
        "names the buggy function with a failing example, levels 2-3 give only the symptom"
    )

    def generate(self, rng: random.Random, difficulty: int) -> Instance:
        n_functions, n_bugs = _LEVELS[difficulty]
        package = rng.choice(_PACKAGES)
        mod_names = rng.choice(_MODULES)
        chosen = rng.sample(_POOL, n_functions)
        modules = [mod_names[0]] if difficulty < 3 else list(mod_names)
        layout = {f: modules[i * len(modules) // n_functions] for i, f in enumerate(chosen)}

        texts = {
            m: _module_text(package, [f.source for f in chosen if layout[f] == m]) for m in modules
        }
        bugs: dict[str, tuple[str, str, str]] = {}  # function name -> (operator, old, new)
        for func in rng.sample(chosen, n_bugs):
            options = list(func.mutations)
            rng.shuffle(options)
            module_text = texts[layout[func]]
            for op, old, new in options:
                candidate = module_text.replace(old, new)
                if module_text.count(old) != 1 or candidate.count(new) != 1:
                    continue
                mutated = func.source.replace(old, new)
                if any(
                    _outcome(func.source, func.name, a) != _outcome(mutated, func.name, a)
                    for a in func.cases
                ):
                    bugs[func.name] = (op, old, new)
                    texts[layout[func]] = candidate
                    break
        assert len(bugs) == n_bugs

        files: dict[str, str] = {f"{package}/__init__.py": f'"""The {package} package."""\n'}
        fixes = []
        fixed_modules: dict[str, str] = {}
        hidden_cases, visible_tests = [], []
        example = ""
        for module in modules:
            funcs = [f for f in chosen if layout[f] == module]
            path = f"/app/{package}/{module}.py"
            for f in funcs:
                if f.name in bugs:
                    _, old, new = bugs[f.name]
                    assert texts[module].count(new) == 1, (f.name, new)
                    fixes.append((path, new, old))
            files[f"{package}/{module}.py"] = texts[module]
            fixed_modules[path] = _module_text(package, [f.source for f in funcs])
            dotted = f"{package}.{module}"
            visible_tests.append(f"from {dotted} import {', '.join(f.name for f in funcs)}")
            for f in funcs:
                buggy = f.source.replace(*bugs[f.name][1:]) if f.name in bugs else f.source
                asserts: list[str] = []
                for args in f.cases:
                    kind, value = _outcome(f.source, f.name, args)
                    hidden_cases.append(
                        f"    ({dotted!r}, {f.name!r}, {args}, "
                        + (f"None, {value!r})," if kind == "raise" else f"{value}, None),")
                    )
                    wrong = _outcome(buggy, f.name, args)
                    call = f"{f.name}({args[1:-1].rstrip(',')})"
                    if kind == "ok" and wrong == (kind, value) and len(asserts) < 2:
                        asserts.append(f"    assert {call} == {value}")
                    if f.name in bugs and not example and wrong != (kind, value):
                        shown = wrong[1] if wrong[0] == "ok" else f"raises {wrong[1]}"
                        should = f"return {value}" if kind == "ok" else f"raise {value}"
                        example = (
                            f"    >>> from {dotted} import {f.name}\n    >>> {call}\n"
                            f"    {shown}\n\nbut it should {should}."
                        )
                if asserts:
                    visible_tests.append(f"\n\ndef test_{f.name}():\n" + "\n".join(asserts))
        files[f"tests/test_{package}.py"] = (
            f'"""Tests of {package} (they pass, but do not cover everything)."""\n\n'
            + "\n".join(visible_tests)
            + "\n"
        )

        where = " and ".join(f"`/app/{package}/{m}.py`" for m in modules)
        buggy_name = next(iter(bugs))
        if difficulty == 1:
            module = layout[next(f for f in chosen if f.name == buggy_name)]
            problem = (
                f"`{package}.{module}.{buggy_name}` in `/app/{package}/{module}.py` has a bug:"
                f"\n\n{example}"
            )
        elif n_bugs == 1:
            problem = (
                "Users report that one function of the package does not do what its "
                "docstring promises. Find it and fix it."
            )
        else:
            problem = (
                f"Users report that {n_bugs} functions of the package do not do what their "
                "docstrings promise. Find them and fix them."
            )
        instruction = f"""\
# Fix the bug in `{package}`

The Python package `/app/{package}` ({where}) is a set of small helpers, each
documented by its docstring. {problem}

Every function must do exactly what its docstring says: a hidden test suite checks
all of them. Keep the function names and signatures, and do not add dependencies.
The tests in `/app/tests` (run them from `/app` with `python3 -m pytest -q tests`)
pass already: they do not catch the problem.
"""
        solution = "python3 - <<'PY'\nimport pathlib\n\nFIXES = [\n"
        solution += "".join(f"    ({p!r}, {new!r}, {old!r}),\n" for p, new, old in fixes)
        solution += textwrap.dedent(
            """\
            ]
            for path, bad, good in FIXES:
                source = pathlib.Path(path).read_text()
                assert source.count(bad) == 1, (path, bad)
                pathlib.Path(path).write_text(source.replace(bad, good))
            PY
            python3 -m pytest -q -p no:cacheprovider tests
            """
        )
        command = (
            "PYTHONPATH=/app PYTHONDONTWRITEBYTECODE=1 python3 -m pytest -q -rA "
            "-p no:cacheprovider --noconftest --rootdir=/tests /tests/test_hidden.py"
        )
        return Instance(
            instruction=instruction,
            app_files=files,
            solution=solution,
            tests={"test_hidden.py": _HIDDEN_TESTS.format(cases="\n".join(hidden_cases))},
            # the bugs, and the fixed package the hidden suite accepts
            answer=";".join(f"{name}:{op}:{new}" for name, (op, _, new) in sorted(bugs.items()))
            + "".join(f"\n{path}\n{fixed}" for path, fixed in sorted(fixed_modules.items())),
            params={
                "functions": n_functions,
                "modules": len(modules),
                "bugs": n_bugs,
                "operators": ",".join(op for op, _, _ in bugs.values()),
                "hidden_tests": len(hidden_cases),
                "names_the_function": difficulty == 1,
            },
            test_command=command,
        )
