"""Harbor task.toml schema 1.4: every feature loads to the right model values, and every
file Harbor's task model rejects is rejected with a TaskFormatError naming the field."""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import pytest

from terminal_gym.errors import TaskFormatError
from terminal_gym.tasks import load_harbor_task
from terminal_gym.tasks.spec import (
    Artifact,
    CollectHook,
    Healthcheck,
    NetworkPolicy,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FULL = FIXTURES / "harbor14" / "full"
COUNTER = FIXTURES / "multistep" / "counter"


def make_task(
    tmp_path: Path,
    toml: str,
    *,
    steps: tuple[str, ...] = (),
    files: dict[str, str] | None = None,
    root_tests: bool = True,
) -> Path:
    """A task directory: task.toml, environment/Dockerfile, and instruction.md plus
    tests/test.sh (single-step) or steps/<name>/instruction.md (each of ``steps``)."""
    task_dir = tmp_path / "task"
    (task_dir / "environment").mkdir(parents=True)
    (task_dir / "environment" / "Dockerfile").write_text("FROM debian:bookworm\n")
    (task_dir / "task.toml").write_text(textwrap.dedent(toml))
    (task_dir / "instruction.md").write_text("Do the thing.\n")
    if root_tests:
        (task_dir / "tests").mkdir()
        (task_dir / "tests" / "test.sh").write_text("#!/bin/bash\n")
    for name in steps:
        (task_dir / "steps" / name).mkdir(parents=True)
        (task_dir / "steps" / name / "instruction.md").write_text(f"Step {name}.\n")
    for rel, text in (files or {}).items():
        (task_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (task_dir / rel).write_text(text)
    return task_dir


def two_steps(extra: str = "", *, first: str = "", second: str = "") -> str:
    """A task.toml with steps "a" and "b"; ``first``/``second`` go in their tables."""
    head = f'schema_version = "1.4"\n{extra}\n'
    return f'{head}[[steps]]\nname = "a"\n{first}\n[[steps]]\nname = "b"\n{second}\n'


# --------------------------------------------------------------------------------------
# What loads, and to which values
# --------------------------------------------------------------------------------------


def test_full_fixture_loads_every_feature():
    task = load_harbor_task(FULL)
    assert task.is_multi_step and [s.name for s in task.steps] == ["setup", "review"]
    assert task.reward_strategy == "final"
    assert task.metadata["schema_version"] == "1.4"
    assert task.metadata["_raw"]["future_top_level_key"] == "kept"
    assert task.artifacts == (
        Artifact("/app/out"),
        Artifact("/app/build", "build", ("*.o",)),
    )
    assert task.agent_user == "agent"
    env = task.environment
    assert env.healthcheck == Healthcheck("test -d /app", start_period_sec=2.0)
    # [agent] overrides [environment] for the agent's phase; hosts are normalised.
    assert env.network == NetworkPolicy("allowlist", ("pypi.org", "files.pythonhosted.org"))
    assert env.allow_internet is True

    setup, review = task.steps
    assert setup.instruction.startswith("Prepare the project")
    assert setup.agent_timeout_sec == 120.0 and setup.agent_user == "builder"
    assert setup.min_reward == {"reward": 1.0, "lint": 0.5}
    assert setup.healthcheck == Healthcheck("test -f /app/seed", retries=5)
    assert setup.artifacts == (Artifact("/app/setup.log", "logs/setup.log"),)
    assert setup.workdir_dir == FULL / "steps" / "setup" / "workdir"
    assert setup.trajectory == FULL / "steps" / "setup" / "trajectory.json"
    assert setup.solution is not None
    assert setup.solution.uploads == ((FULL / "steps" / "setup" / "solution", "/solution"),)
    v = setup.verifier
    assert v.timeout_sec == 45.0 and v.user == "root"
    assert dict(v.env) == {"MODE": "strict", "STEP": "setup"}
    assert v.collect == (CollectHook("git -C /app diff > /app/out/model.patch", 30.0),)
    assert v.environment_mode == "shared" and v.environment is None
    # The verifier declares no mode: it runs under [environment]'s.
    assert v.network == NetworkPolicy("no-network")

    assert review.agent_timeout_sec == 300.0 and review.agent_user == "agent"
    assert review.min_reward is None and review.healthcheck is None
    assert review.solution is None and review.workdir_dir is None and review.trajectory is None
    rv = review.verifier
    assert rv.timeout_sec == 90.0 and dict(rv.env) == {"MODE": "strict"}
    assert rv.environment_mode == "separate"
    assert rv.environment is not None and rv.environment.docker_image == "python:3.12-slim"
    assert rv.network == NetworkPolicy("public")


def test_step_tests_layer_over_the_task_tests():
    """Harbor uploads tests/ then steps/<name>/tests/ over it: a step file wins, the
    shared files it does not shadow are still there."""
    setup, review = load_harbor_task(FULL).steps
    step_tests = FULL / "steps" / "setup" / "tests"
    assert setup.verifier.uploads == (
        (step_tests, "/tests"),
        (FULL / "tests" / "helpers.py", "/tests/helpers.py"),
    )
    # A step without tests/ runs the task's.
    assert review.verifier.uploads == ((FULL / "tests", "/tests"),)


def test_step_tests_without_task_tests(tmp_path):
    task_dir = make_task(
        tmp_path,
        two_steps(),
        steps=("a", "b"),
        root_tests=False,
        files={"steps/a/tests/test.sh": "", "steps/b/tests/test.sh": ""},
    )
    a = load_harbor_task(task_dir).steps[0]
    assert a.verifier.uploads == ((task_dir / "steps" / "a" / "tests", "/tests"),)


def test_step_helpers_with_a_shared_test_sh(tmp_path):
    """A step tests/ holding only helpers is fine when the task's tests/ has test.sh."""
    task_dir = make_task(
        tmp_path, two_steps(), steps=("a", "b"), files={"steps/a/tests/data.json": "{}"}
    )
    a = load_harbor_task(task_dir).steps[0]
    assert a.verifier.uploads == (
        (task_dir / "steps" / "a" / "tests", "/tests"),
        (task_dir / "tests" / "test.sh", "/tests/test.sh"),
    )


def test_counter_fixture():
    task = load_harbor_task(COUNTER)
    assert [s.name for s in task.steps] == ["create", "increment", "report"]
    assert task.reward_strategy == "mean"
    assert [s.min_reward for s in task.steps] == [1.0, None, {"reward": 0.5}]
    assert [s.agent_timeout_sec for s in task.steps] == [120.0, 60.0, 120.0]
    assert [s.verifier.timeout_sec for s in task.steps] == [30.0, 30.0, 20.0]
    assert task.instruction == task.steps[0].instruction
    assert task.step_task(2).verifier.env == {"EXPECTED": "2"}
    assert task.environment.network == NetworkPolicy("no-network")


def test_defaults(tmp_path):
    task = load_harbor_task(
        make_task(
            tmp_path, two_steps(first='[steps.healthcheck]\ncommand = "true"'), steps=("a", "b")
        )
    )
    assert task.reward_strategy == "mean"
    a = task.steps[0]
    assert task.steps[1].healthcheck is None
    assert a.healthcheck == Healthcheck(
        "true",
        interval_sec=5.0,
        timeout_sec=30.0,
        start_period_sec=0.0,
        start_interval_sec=5.0,
        retries=3,
    )
    assert a.verifier.timeout_sec == 600.0 and a.verifier.user is None
    assert a.verifier.environment_mode == "shared" and a.verifier.collect == ()
    assert a.agent_timeout_sec is None and a.agent_user is None and a.artifacts == ()
    assert task.environment.healthcheck is None and task.artifacts == ()
    assert task.environment.network == NetworkPolicy("public")


def test_steps_inherit_agent_and_verifier(tmp_path):
    toml = two_steps(
        '[agent]\ntimeout_sec = 50\nuser = 1000\n[verifier]\ntimeout_sec = 70\nuser = "tester"\n'
        'env = { A = "1" }',
        second='[steps.agent]\nuser = "other"\n[steps.verifier]\nuser = "root"\nenv = { A = "2" }',
    )
    a, b = load_harbor_task(make_task(tmp_path, toml, steps=("a", "b"))).steps
    assert (a.agent_timeout_sec, a.agent_user) == (50.0, "1000")
    assert (a.verifier.timeout_sec, a.verifier.user, dict(a.verifier.env)) == (
        70.0,
        "tester",
        {"A": "1"},
    )
    assert (b.agent_timeout_sec, b.agent_user) == (50.0, "other")
    assert (b.verifier.user, dict(b.verifier.env)) == ("root", {"A": "2"})


@pytest.mark.parametrize(
    ("toml", "agent", "verifier"),
    [
        ("", NetworkPolicy("public"), NetworkPolicy("public")),
        (
            "[environment]\nallow_internet = false",
            NetworkPolicy("no-network"),
            NetworkPolicy("no-network"),
        ),
        (
            '[environment]\nallow_internet = false\nnetwork_mode = "public"',
            NetworkPolicy("public"),
            NetworkPolicy("public"),
        ),
        (
            '[environment]\nnetwork_mode = "public"\n[agent]\nnetwork_mode = "no-network"',
            NetworkPolicy("no-network"),
            NetworkPolicy("public"),
        ),
        (
            '[environment]\nallowed_hosts = ["example.com"]',
            NetworkPolicy("allowlist", ("example.com",)),
            NetworkPolicy("allowlist", ("example.com",)),
        ),
        (
            '[environment]\nnetwork_mode = "no-network"\n[verifier]\nnetwork_mode = "no-network"',
            NetworkPolicy("no-network"),
            NetworkPolicy("no-network"),
        ),
    ],
)
def test_network_precedence(tmp_path, toml, agent, verifier):
    """Per phase: the phase's own mode, else [environment]'s, else allow_internet."""
    task = load_harbor_task(make_task(tmp_path, toml))
    assert task.environment.network == agent
    assert task.environment.allow_internet == (agent.mode != "no-network")
    assert task.verifier.network == verifier


def test_step_verifier_network_beats_verifier_and_environment(tmp_path):
    toml = two_steps(
        '[environment]\nnetwork_mode = "no-network"\n'
        '[verifier]\nenvironment_mode = "separate"\nnetwork_mode = "allowlist"\n'
        'allowed_hosts = ["a.example"]',
        second='[steps.verifier]\nnetwork_mode = "public"',
    )
    a, b = load_harbor_task(make_task(tmp_path, toml, steps=("a", "b"))).steps
    assert a.verifier.network == NetworkPolicy("allowlist", ("a.example",))
    assert b.verifier.network == NetworkPolicy("public")
    assert a.verifier.environment_mode == b.verifier.environment_mode == "separate"


def test_verifier_environment_implies_separate(tmp_path):
    task = load_harbor_task(
        make_task(tmp_path, '[verifier.environment]\ndocker_image = "img:1"\ncpus = 2')
    )
    assert task.verifier.environment_mode == "separate"
    assert task.verifier.environment is not None
    assert task.verifier.environment.docker_image == "img:1"
    assert task.verifier.environment.limits.cpus == 2.0
    separate = load_harbor_task(
        make_task(tmp_path / "2", '[verifier]\nenvironment_mode = "separate"')
    )
    assert (
        separate.verifier.environment_mode == "separate" and separate.verifier.environment is None
    )


def test_artifact_forms_and_service_main(tmp_path):
    toml = """
        artifacts = [
            "/app/a.txt",
            { source = "/app/dir", destination = "", exclude = ["*.pyc", "cache/"] },
            { source = "rel/path", destination = "x/y/", service = "main" },
        ]
    """
    task = load_harbor_task(make_task(tmp_path, toml))
    assert task.artifacts == (
        Artifact("/app/a.txt"),
        Artifact("/app/dir", None, ("*.pyc", "cache/")),
        Artifact("rel/path", "x/y/"),
    )


def test_collect_defaults(tmp_path):
    task = load_harbor_task(make_task(tmp_path, '[[verifier.collect]]\ncommand = "true"\nuser = 0'))
    assert task.verifier.collect == (CollectHook("true", 60.0, "0"),)


def test_step_task_merges_artifacts():
    task = load_harbor_task(FULL)
    assert task.step_task(0).artifacts == (*task.artifacts, *task.steps[0].artifacts)
    assert task.step_task(1).artifacts == task.artifacts
    assert task.step_task(0).agent_user == "builder"


def test_empty_steps_array_is_a_single_step_task(tmp_path):
    task = load_harbor_task(make_task(tmp_path, "steps = []"))
    assert not task.is_multi_step and task.instruction == "Do the thing.\n"


def test_multi_step_task_needs_no_root_instruction(tmp_path):
    task_dir = make_task(tmp_path, two_steps(), steps=("a", "b"))
    (task_dir / "instruction.md").unlink()
    assert load_harbor_task(task_dir).instruction == "Step a.\n"


def test_unknown_keys_load_and_are_kept(tmp_path):
    toml = two_steps(
        'mystery = 1\n[environment]\nos = "linux"\nnew_env_key = true\n'
        '[environment.healthcheck]\ncommand = "true"\nnew_hc_key = 1\n'
        '[verifier]\nnew_verifier_key = "x"\n[[verifier.collect]]\ncommand = "true"\nextra = 2',
        first="new_step_key = [1, 2]\n[steps.agent]\nnew_agent_key = 3\n"
        "[steps.verifier]\nnew_step_verifier_key = 4",
        second='artifacts = [{ source = "/a", new_artifact_key = 5 }]',
    )
    raw = load_harbor_task(make_task(tmp_path, toml, steps=("a", "b"))).metadata["_raw"]
    assert raw["mystery"] == 1
    assert raw["environment"]["new_env_key"] is True
    assert raw["environment"]["healthcheck"]["new_hc_key"] == 1
    assert raw["verifier"]["new_verifier_key"] == "x"
    assert raw["verifier"]["collect"][0]["extra"] == 2
    assert raw["steps"][0]["new_step_key"] == [1, 2]
    assert raw["steps"][0]["agent"]["new_agent_key"] == 3
    assert raw["steps"][0]["verifier"]["new_step_verifier_key"] == 4
    assert raw["steps"][1]["artifacts"][0]["new_artifact_key"] == 5


def test_newer_schema_version_loads_with_a_warning(tmp_path):
    with pytest.warns(UserWarning, match="schema_version 1.5 is newer than the 1.4"):
        task = load_harbor_task(make_task(tmp_path, 'schema_version = "1.5"\n[future]\nx = 1'))
    assert task.metadata["_raw"]["future"] == {"x": 1}


@pytest.mark.parametrize("version", ["1.4", "1.1", "1.0", "dev"])
def test_known_schema_versions_load_quietly(tmp_path, version):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_harbor_task(make_task(tmp_path, f'schema_version = "{version}"'))


# --------------------------------------------------------------------------------------
# What Harbor rejects, we reject, naming the field
# --------------------------------------------------------------------------------------

_REJECTED = [
    # reward strategy and gates
    ('multi_step_reward_strategy = "median"', "multi_step_reward_strategy"),
    ("multi_step_reward_strategy = 1", "multi_step_reward_strategy"),
    (two_steps(first='min_reward = "high"'), "steps[0].min_reward"),
    (two_steps(first="min_reward = true"), "steps[0].min_reward"),
    (two_steps(first='min_reward = { reward = "x" }'), "steps[0].min_reward.reward"),
    (two_steps(first="min_reward = [1.0]"), "steps[0].min_reward"),
    # steps
    ('steps = "a"', "steps"),
    ("steps = [1]", "steps[0]"),
    ("[[steps]]\ntimeout_sec = 1", "steps[0].name"),
    ("[[steps]]\nname = 3", "steps[0].name"),
    (two_steps(first="agent = 1"), "steps[0].agent"),
    (two_steps(first='[steps.agent]\ntimeout_sec = "x"'), "steps[0].agent.timeout_sec"),
    (two_steps(second="[steps.verifier]\ntimeout_sec = -1"), "steps[1].verifier.timeout_sec"),
    (two_steps(first="[steps.agent]\nuser = 1.5"), "steps[0].agent.user"),
    # healthchecks
    ("[environment.healthcheck]\ninterval_sec = 1", "environment.healthcheck.command"),
    ("[environment.healthcheck]\ncommand = 1", "environment.healthcheck.command"),
    ('[environment.healthcheck]\ncommand = "x"\nretries = "3"', "environment.healthcheck.retries"),
    (
        '[environment.healthcheck]\ncommand = "x"\ninterval_sec = "5s"',
        "environment.healthcheck.interval_sec",
    ),
    ('[environment]\nhealthcheck = "true"', "environment.healthcheck"),
    (two_steps(first="[steps.healthcheck]\nretries = 2"), "steps[0].healthcheck.command"),
    # network
    ('[environment]\nnetwork_mode = "offline"', "environment.network_mode"),
    ('[agent]\nnetwork_mode = "internet"', "agent.network_mode"),
    ('[verifier]\nnetwork_mode = "none"', "verifier.network_mode"),
    (two_steps(second='[steps.verifier]\nnetwork_mode = "x"'), "steps[1].verifier.network_mode"),
    (
        '[environment]\nnetwork_mode = "public"\nallowed_hosts = ["a.com"]',
        "environment.allowed_hosts",
    ),
    ('[environment]\nallowed_hosts = "a.com"', "environment.allowed_hosts"),
    ('[agent]\nallowed_hosts = ["https://a.com"]', "agent.allowed_hosts"),
    ('[agent]\nallowed_hosts = ["a.com:443"]', "agent.allowed_hosts"),
    # a shared verifier cannot have a network policy of its own
    (
        '[agent]\nnetwork_mode = "no-network"\n[verifier]\nnetwork_mode = "public"',
        "verifier.network_mode",
    ),
    (
        two_steps(
            '[environment]\nnetwork_mode = "no-network"',
            second='[steps.verifier]\nnetwork_mode = "public"',
        ),
        "steps[1].verifier.network_mode",
    ),
    # users
    ("[agent]\nuser = true", "agent.user"),
    ('[verifier]\nuser = ["root"]', "verifier.user"),
    # verifier environment
    ('[verifier]\nenvironment_mode = "isolated"', "verifier.environment_mode"),
    (
        '[verifier]\nenvironment_mode = "shared"\n[verifier.environment]\ndocker_image = "x"',
        "verifier.environment",
    ),
    (
        two_steps(
            second='[steps.verifier]\nenvironment_mode = "shared"\n'
            "[steps.verifier.environment]\ncpus = 1"
        ),
        "steps[1].verifier.environment",
    ),
    ("[verifier]\nenvironment = 3", "verifier.environment"),
    ('[verifier.environment]\ncpus = "many"', "verifier.environment.cpus"),
    # collect hooks
    ('[verifier]\ncollect = "git diff"', "verifier.collect"),
    ("[[verifier.collect]]\ntimeout_sec = 5", "verifier.collect[0].command"),
    ('[[verifier.collect]]\ncommand = "x"\nservice = "-bad"', "verifier.collect[0].service"),
    ('[[verifier.collect]]\ncommand = "x"\ntimeout_sec = "1m"', "verifier.collect[0].timeout_sec"),
    # artifacts
    ('artifacts = "/app"', "artifacts"),
    ("artifacts = [1]", "artifacts[0]"),
    ('artifacts = [{ destination = "x" }]', "artifacts[0].source"),
    ('artifacts = ["/app/../etc"]', "artifacts[0].source"),
    ('artifacts = [{ source = "/a", destination = "/abs" }]', "artifacts[0].destination"),
    ('artifacts = [{ source = "/a", destination = "x/../../y" }]', "artifacts[0].destination"),
    ('artifacts = [{ source = "/a", destination = "manifest.json" }]', "artifacts[0].destination"),
    ('artifacts = [{ source = "/a", destination = "a\\\\b" }]', "artifacts[0].destination"),
    ('artifacts = [{ source = "/a", exclude = "x" }]', "artifacts[0].exclude"),
    ('artifacts = [{ source = "/a", service = "bad name" }]', "artifacts[0].service"),
    (
        two_steps(first='artifacts = [{ source = "/a", destination = "manifest.json/" }]'),
        "steps[0].artifacts[0].destination",
    ),
]


@pytest.mark.parametrize(("toml", "field"), _REJECTED, ids=[f for _, f in _REJECTED])
def test_rejected_like_harbor(tmp_path, toml, field):
    task_dir = make_task(tmp_path, toml, steps=("a", "b") if "[[steps]]" in toml else ())
    with pytest.raises(TaskFormatError) as info:
        load_harbor_task(task_dir)
    assert info.value.field == field, str(info.value)
    assert f"[{field}]" in str(info.value)


def test_duplicate_step_names(tmp_path):
    toml = 'schema_version = "1.4"\n[[steps]]\nname = "a"\n[[steps]]\nname = "a"\n'
    with pytest.raises(TaskFormatError) as info:
        load_harbor_task(make_task(tmp_path, toml, steps=("a",)))
    assert info.value.field == "steps[1].name"


@pytest.mark.parametrize("name", ["../x", "a/b", ".hidden", ""])
def test_step_name_must_be_a_directory_name(tmp_path, name):
    toml = f'[[steps]]\nname = "{name}"\n'
    with pytest.raises(TaskFormatError) as info:
        load_harbor_task(make_task(tmp_path, toml))
    assert info.value.field == "steps[0].name"


def test_missing_step_directory(tmp_path):
    with pytest.raises(TaskFormatError, match="steps/b/"):
        load_harbor_task(make_task(tmp_path, two_steps(), steps=("a",)))


def test_missing_step_instruction(tmp_path):
    task_dir = make_task(tmp_path, two_steps(), steps=("a", "b"))
    (task_dir / "steps" / "b" / "instruction.md").unlink()
    with pytest.raises(TaskFormatError) as info:
        load_harbor_task(task_dir)
    assert Path(str(info.value.path)).as_posix().endswith("steps/b/instruction.md")


def test_step_without_any_test_sh(tmp_path):
    task_dir = make_task(
        tmp_path,
        two_steps(),
        steps=("a", "b"),
        root_tests=False,
        files={"steps/a/tests/test.sh": ""},
    )
    with pytest.raises(TaskFormatError, match=r"step 'b' needs steps/b/tests/test\.sh"):
        load_harbor_task(task_dir)


def test_step_solution_without_solve_sh(tmp_path):
    task_dir = make_task(tmp_path, two_steps(), steps=("a", "b"), files={"steps/a/solution/x": ""})
    with pytest.raises(TaskFormatError, match=r"solve\.sh"):
        load_harbor_task(task_dir)


# --------------------------------------------------------------------------------------
# Deliberate differences from Harbor: accepted there, refused here
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "field"),
    [
        ('artifacts = [{ source = "/a", service = "db" }]', "artifacts[0].service"),
        ('[[verifier.collect]]\ncommand = "x"\nservice = "db"', "verifier.collect[0].service"),
        (
            '[environment.healthcheck]\ncommand = "x"\nretries = 0',
            "environment.healthcheck.retries",
        ),
        (
            '[environment.healthcheck]\ncommand = "x"\ninterval_sec = -1',
            "environment.healthcheck.interval_sec",
        ),
        ('[environment.healthcheck]\ncommand = " "', "environment.healthcheck.command"),
        ("[agent]\nuser = -1", "agent.user"),
        ('artifacts = [""]', "artifacts[0].source"),
    ],
)
def test_deliberately_stricter_than_harbor(tmp_path, toml, field):
    with pytest.raises(TaskFormatError) as info:
        load_harbor_task(make_task(tmp_path, toml))
    assert info.value.field == field
