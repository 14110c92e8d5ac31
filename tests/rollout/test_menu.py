"""Command menus: every family's menu solves its instances, and wrong picks earn 0."""

from __future__ import annotations

import gymnasium as gym
import pytest

from terminal_gym import SUBMIT
from terminal_gym.rollout.agents import run_episode
from terminal_gym.rollout.menu import MENUS, MenuError, RandomMenuAgent, menu_for
from terminal_gym.tasks import load_tasks
from terminal_gym.tasks.families import FAMILIES

#: Per family, a pick sequence that always fails (the plausible mistake where the menu
#: has one, else submitting after only inspecting).
WRONG = {
    "find-value": ("answer-key-matches", "submit"),  # near-miss files set the key too
    "repair-config": ("validate", "show-config", "submit"),
    "csv-aggregate": ("summarise-raw-regions", "submit"),  # regions in mixed case
    "fix-seeded-bug": ("run-tests", "submit"),
    "git-history": None,  # the other variant's act: see _wrong_git
    "permissions-spec": ("apply-lazy-modes", "submit"),  # bin/ files lose their x bit
    "staged-config": ("apply-final-state", "submit"),  # skips the first request's state
}


def _wrong_git(task) -> tuple[str, ...]:
    variant = task.metadata["params"]["variant"]
    return ("recover-commit" if variant == "restore" else "restore-file", "submit")


def _play(env, seed: int, labels_for) -> tuple[float, dict]:
    env.reset(seed=seed)
    task = env.unwrapped.task
    menu = menu_for(task)
    commands = menu.commands(task)
    reward, info = 0.0, {}
    for label in labels_for(menu, task):
        _, reward, terminated, truncated, info = env.step(commands[menu.index(label)])
        if terminated or truncated:
            break
    return reward, info


def test_every_family_has_a_menu_with_inspect_act_submit():
    assert set(MENUS) == set(FAMILIES)
    for name, menu in MENUS.items():
        kinds = [item.kind for item in menu.items]
        assert {"inspect", "act", "submit"} <= set(kinds), name
        assert menu_for(f"family:{name}") is menu
        assert len(menu.labels) == len(set(menu.labels)) == len(menu)


def test_commands_come_from_the_instruction():
    tasks = load_tasks("family:git-history")
    task = tasks[3]
    menu = menu_for(task)
    commands = menu.commands(task)
    ticket = menu.read_fields(task)["ticket"]
    assert f"`{ticket}`" in task.instruction
    assert ticket in commands[menu.index("restore-file")]
    assert ticket in commands[menu.index("recover-commit")]
    assert commands[menu.index("submit")] == SUBMIT
    # the same labels, other commands, for another instance
    other = tasks[4]
    assert menu_for(other) is menu and menu.commands(other) != commands


def test_a_task_without_a_menu_is_a_typed_error(builtin):
    with pytest.raises(MenuError, match="not from a procedural family"):
        menu_for(builtin[0])
    with pytest.raises(MenuError, match="no command menu for 'nope'"):
        menu_for("family:nope")
    task = load_tasks("family:find-value")[0]
    with pytest.raises(MenuError, match="not a 'git-history' instance"):
        MENUS["git-history"].commands(task)


@pytest.mark.local
@pytest.mark.parametrize("family", sorted(MENUS))
def test_the_menu_solves_instances_and_wrong_picks_fail(family, local_backend):
    levels = (1, 3) if family in ("git-history", "csv-aggregate") else (1,)
    for level in levels:
        env = gym.make(
            "TerminalLego-v0",
            tasks=f"family:{family}",
            difficulty=level,
            backend=local_backend,
            max_steps=6,
        )
        try:
            for seed in range(2):
                reward, info = _play(env, seed, lambda m, t: m.solver(t))
                assert reward == 1.0, (family, level, seed, info.get("verifier"))
                reward, info = _play(env, seed, lambda m, t: WRONG[family] or _wrong_git(t))
                assert reward == 0.0 and not info["env_error"], (family, level, seed)
        finally:
            env.close()


@pytest.mark.local
def test_random_menu_agent_plays_menu_commands(local_backend):
    env = gym.make(
        "TerminalLego-v0", tasks="family:git-history", backend=local_backend, max_steps=3
    )
    agent = RandomMenuAgent(seed=0)
    try:
        results = [run_episode(env, agent, seed=seed) for seed in range(3)]
    finally:
        env.close()
    for result in results:
        assert result.agent == "random-menu"
        assert result.reward in (0.0, 1.0) and not result.env_error
        assert 1 <= result.steps <= 3
    assert set(agent.commands) == set(menu_for("git-history").commands(env.unwrapped.task))


def test_doctests():
    import doctest

    from terminal_gym.rollout import menu

    failures, tried = doctest.testmod(menu)
    assert tried > 0 and failures == 0
