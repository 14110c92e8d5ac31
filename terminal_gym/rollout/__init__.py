"""Agents, episode loops and rollout collection.

* :mod:`~terminal_gym.rollout.agents`: the :class:`Agent` protocol, the oracle and null
  agents, :func:`run_episode` and :class:`EpisodeRecorder`.
* :mod:`~terminal_gym.rollout.llm`: :class:`LLMAgent`, a model behind any
  OpenAI-compatible endpoint (the ``llm`` extra).
* :func:`collect`: many episodes at once (Ray or threads), in GRPO-style groups,
  streamed to resumable JSONL (:mod:`terminal_gym.rollout.collect`);
  :func:`load_rollouts` reads its output back.
* :mod:`~terminal_gym.rollout.validate`: environment verification (oracle 1, null 0).
"""

from terminal_gym.rollout.agents import (
    AGENTS,
    Agent,
    EpisodeRecorder,
    EpisodeResult,
    make_agent,
    run_episode,
)

# The function ``collect`` shadows its module as the package attribute, on purpose.
from terminal_gym.rollout.collect import (
    CollectError,
    RolloutResult,
    collect,
    group_stats,
    load_rollouts,
)
from terminal_gym.rollout.llm import LLMAgent, LLMEndpointError, LLMUnavailableError

__all__ = [
    "AGENTS",
    "Agent",
    "CollectError",
    "EpisodeRecorder",
    "EpisodeResult",
    "LLMAgent",
    "LLMEndpointError",
    "LLMUnavailableError",
    "RolloutResult",
    "collect",
    "group_stats",
    "load_rollouts",
    "make_agent",
    "run_episode",
]
