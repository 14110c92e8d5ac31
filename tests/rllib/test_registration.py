"""Registration for RLlib: the creator, its name, the fault settings, and an RLlib env
runner that keeps sampling its healthy sub-envs when one of them fails."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from gymnasium.utils.env_checker import check_env

import terminal_gym
from terminal_gym.rllib import ENV_NAME, make_menu_env, register, with_fault_tolerance
from terminal_gym.rollout.menu import menu_for

PACKAGE = Path(terminal_gym.__file__).parent
#: The layers below rllib/ (rollout/ included): none of them may import it (the task
#: pipeline, under tasks/, is above: tests/rollout/test_layering.py covers rollout/).
BELOW = ("envs", "sandbox", "tasks", "terminal", "vector", "wrappers", "egs", "data", "rollout")
ABOVE = ("pipeline",)


def test_importing_the_package_imports_neither_ray_nor_torch():
    code = (
        "import sys, terminal_gym, terminal_gym.rllib, terminal_gym.rollout.menu\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'ray', 'torch'}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]", out.stdout


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return names


def test_dependencies_point_down():
    for layer in BELOW:
        for path in (PACKAGE / layer).rglob("*.py"):
            if set(path.relative_to(PACKAGE).parts) & set(ABOVE):
                continue
            for name in _imports(path):
                assert not name.startswith("terminal_gym.rllib"), f"{path} imports {name}"


@pytest.mark.local
@pytest.mark.filterwarnings("ignore:.*different from the unwrapped version")
def test_the_creator_takes_an_env_context(local_backend):
    config = {"family": "git-history", "backend": "local", "max_steps": 3, "num_envs": 4}
    env = make_menu_env(config)
    try:
        assert env.action_space.n == len(menu_for("git-history"))
        assert env.unwrapped.max_steps == 3
        check_env(env, skip_render_check=True)
    finally:
        env.close()
    assert config["num_envs"] == 4  # the caller's dict is left alone


@pytest.mark.local
def test_an_rllib_env_runner_keeps_its_healthy_sub_envs(rllib_ready, local_backend):
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.env.env_runner import NUM_ENV_STEP_FAILURES_LIFETIME
    from ray.rllib.env.single_agent_env_runner import SingleAgentEnvRunner
    from ray.tune.registry import ENV_CREATOR, _global_registry

    assert register() == ENV_NAME and _global_registry.contains(ENV_CREATOR, ENV_NAME)
    config = with_fault_tolerance(
        PPOConfig()
        .environment(ENV_NAME, env_config={"backend": "local", "task": "git-history-d1-s3"})
        .env_runners(num_env_runners=0, num_envs_per_env_runner=2)
    )
    assert config.restart_failed_sub_environments and config.restart_failed_env_runners
    assert config.sample_timeout_s >= 600
    runner = SingleAgentEnvRunner(config=config)
    try:
        # until both sub-envs are in the middle of an episode (random picks may submit)
        for _ in range(20):
            runner.sample(num_timesteps=2, random_actions=True)
            if all(e.t_started > 0 for e in runner._ongoing_episodes):
                break
        else:
            pytest.fail("the sub-envs never were mid-episode together")
        subs = list(runner.env.unwrapped.envs)
        healthy = runner._ongoing_episodes[1]
        subs[0].unwrapped.sandbox.close()  # sub-env 0's sandbox is gone
        episodes = runner.sample(num_timesteps=8, random_actions=True)
        assert list(runner.env.unwrapped.envs) == subs  # nothing was rebuilt
        assert runner.metrics.peek(NUM_ENV_STEP_FAILURES_LIFETIME, default=0) == 0
        failed = [e for e in episodes if any(i.get("env_error") for i in e.get_infos())]
        assert len(failed) == 1 and failed[0].is_truncated
        # sub-env 1's episode, started before the failure, went on
        continued = [e for e in episodes if e.id_ == healthy.id_]
        assert continued and continued[0].t_started > 0
    finally:
        runner.stop()
