"""The wrapper tests' stand-in (tests/wrappers/fake_env.py) cannot drift from the real
env: same spaces, same observation keys, same info keys at reset, step and submit."""

from __future__ import annotations

from terminal_gym import SUBMIT, TerminalLegoEnv

from .fake_env import RESET_INFO, FakeTerminalEnv


def _keys_by_moment(env):
    moments = {}
    obs, info = env.reset(seed=0)
    moments["reset"] = (set(obs), set(info))
    for command in ("ls", "false"):
        obs, _, _, _, info = env.step(command)
        moments[command] = (set(obs), set(info))
    obs, _, terminated, _, info = env.step(SUBMIT)
    assert terminated
    moments["submit"] = (set(obs), set(info))
    return moments


def test_the_fake_env_matches_the_real_one(local_backend, shell_task):
    real = TerminalLegoEnv(tasks=shell_task, backend=local_backend)
    fake = FakeTerminalEnv()
    try:
        assert fake.observation_space == real.observation_space
        assert fake.action_space == real.action_space
        assert fake.mode == real.mode
        real_keys, fake_keys = _keys_by_moment(real), _keys_by_moment(fake)
    finally:
        real.close()
    assert set(real_keys["reset"][1]) == RESET_INFO
    for moment, (obs_keys, info_keys) in real_keys.items():
        assert fake_keys[moment][0] == obs_keys, moment
        # The real verdict carries more than the fake's fixed reward; its keys still match.
        assert fake_keys[moment][1] == info_keys, (moment, fake_keys[moment][1] ^ info_keys)
