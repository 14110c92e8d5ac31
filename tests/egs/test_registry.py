"""The command registry: one handler per name, every domain registers, behaviour kept."""

from __future__ import annotations

import importlib

import pytest

from terminal_gym.egs.classify import DuplicateCommandError, classify
from terminal_gym.egs.classify.registry import Registry, handlers
from terminal_gym.errors import TerminalGymError

DOMAINS = [
    "archives",
    "build",
    "checks",
    "databases",
    "editors",
    "files",
    "interpreters",
    "network",
    "packages",
    "services",
    "system",
    "text",
    "vcs",
    "wrappers",
]


def _first(ctx, name, args):
    return []


def _second(ctx, name, args):
    return []


def test_duplicate_registration_raises_a_typed_error_naming_both_places():
    registry = Registry()
    registry.handles("frob")(_first)
    with pytest.raises(DuplicateCommandError) as info:
        registry.handles("other", "frob")(_second)
    error = info.value
    assert isinstance(error, TerminalGymError)
    assert isinstance(error, ValueError)
    assert error.command == "frob"
    assert error.first.endswith("test_registry._first")
    assert error.second.endswith("test_registry._second")
    assert "'frob'" in str(error) and "_first" in str(error) and "_second" in str(error)
    # a rejected registration registers none of its names
    assert registry.lookup("frob") is _first
    assert registry.lookup("other") is None


def test_a_name_repeated_in_one_registration_is_a_duplicate_too():
    with pytest.raises(DuplicateCommandError):
        Registry().handles("frob", "frob")(_first)


def test_the_package_registry_rejects_a_second_handler_for_a_known_command():
    git = handlers["git"]
    with pytest.raises(DuplicateCommandError, match="'git'"):
        importlib.import_module("terminal_gym.egs.classify.registry").handles("git")(_first)
    assert handlers["git"] is git


def test_every_registered_name_maps_to_exactly_one_handler():
    assert len(handlers) > 600
    for name, handler in handlers.items():
        assert callable(handler), name
    # the names that used to be registered twice now have one handler, the one in effect
    assert handlers["crontab"].__name__ == "_h_state_or_look"
    assert handlers["mvn"].__name__ == handlers["gradle"].__name__ == "_h_mvn_like"
    assert handlers["uv"].__name__ == "_h_uv"


@pytest.mark.parametrize("domain", DOMAINS)
def test_each_domain_module_registers_commands(domain):
    module = f"terminal_gym.egs.classify.{domain}"
    assert any(h.__module__ == module for h in handlers.values()), module


# (domain, command run in /app, [(name, kind)] of its simple commands), as classified
# before the split into domain modules
REPRESENTATIVE = [
    ("files", "cat main.py", [("cat", "inspect")]),
    ("files", "ls -la src", [("ls", "inspect")]),
    ("files", "rm -rf build", [("rm", "act")]),
    ("files", "[ -f out.txt ]", [("[", "verify")]),
    ("archives", "tar tzf a.tgz", [("tar", "inspect")]),
    ("archives", "unzip -t a.zip", [("unzip", "verify")]),
    ("archives", "tar xzf a.tgz -C /opt", [("tar", "act")]),
    ("text", "grep -rn TODO src", [("grep", "inspect")]),
    ("text", "sed -i 's/a/b/' x.py", [("sed", "act")]),
    ("text", "echo $?", [("echo", "verify")]),
    ("editors", "vim main.py", [("vim", "act")]),
    ("editors", "view main.py", [("view", "inspect")]),
    ("vcs", "git status", [("git status", "inspect")]),
    ("vcs", "git diff --check", [("git diff", "verify")]),
    ("vcs", "git commit -am fix", [("git commit", "act")]),
    ("packages", "pip install -r requirements.txt", [("pip install", "act")]),
    ("packages", "pip check", [("pip check", "verify")]),
    ("packages", "apt list --installed", [("apt list", "inspect")]),
    ("packages", "npm run lint", [("npm run lint", "verify")]),
    ("packages", "yarn test:unit", [("yarn test:unit", "verify")]),
    ("packages", "uv pip list", [("uv pip list", "inspect")]),
    ("packages", "uv run pytest", [("pytest", "verify")]),
    ("packages", "uv sync", [("uv sync", "act")]),
    ("build", "make test", [("make test", "verify")]),
    ("build", "cargo build", [("cargo build", "act")]),
    ("build", "go run main.go", [("go run", "act")]),
    ("build", "mvn clean test", [("mvn test", "verify")]),
    ("build", "mvn package", [("mvn package", "act")]),
    ("build", "gradle dependencies", [("gradle dependencies", "inspect")]),
    ("build", "gcc -fsyntax-only x.c", [("gcc", "verify")]),
    ("checks", "pytest -q tests", [("pytest", "verify")]),
    ("checks", "black --check .", [("black", "verify")]),
    ("checks", "ruff check --fix .", [("ruff check", "act")]),
    ("interpreters", "python x.py", [("python", "act")]),
    ("interpreters", "python -c 'print(1)'", [("python -c", "inspect")]),
    ("interpreters", "bash -n run.sh", [("bash -n", "verify")]),
    ("network", "curl -s https://example.com", [("curl", "inspect")]),
    ("network", "wget https://example.com/a.tgz", [("wget", "act")]),
    ("network", "dig example.com", [("dig", "inspect")]),
    ("services", "systemctl restart nginx", [("systemctl restart", "act")]),
    ("services", "systemctl is-active nginx", [("systemctl is-active", "verify")]),
    ("services", "docker ps", [("docker ps", "inspect")]),
    ("services", "nginx -t", [("nginx -t", "verify")]),
    ("databases", "sqlite3 app.db 'select * from t'", [("sqlite3", "inspect")]),
    ("databases", "psql -c 'drop table t'", [("psql", "act")]),
    ("databases", "redis-cli get k", [("redis-cli", "inspect")]),
    ("system", "ps aux", [("ps", "inspect")]),
    ("system", "crontab -l", [("crontab", "inspect")]),
    ("system", "crontab jobs.txt", [("crontab", "act")]),
    ("system", "kill -0 42", [("kill", "verify")]),
    ("wrappers", "sudo rm -f x", [("rm", "act")]),
    ("wrappers", "timeout 10 pytest", [("pytest", "verify")]),
    ("wrappers", "env FOO=1 cat x", [("cat", "inspect")]),
    ("wrappers", "xargs rm", [("rm", "act")]),
    ("wrappers", "nohup python app.py", [("python", "act")]),
    ("wrappers", "time make test", [("make test", "verify")]),
]


@pytest.mark.parametrize(("domain", "command", "expected"), REPRESENTATIVE)
def test_representative_commands_classify_as_before(domain, command, expected):
    labels = classify(command, "/app")
    assert [(c.name, c.kind) for c in labels] == expected


def test_representative_commands_cover_every_domain():
    assert {domain for domain, _, _ in REPRESENTATIVE} == set(DOMAINS)
