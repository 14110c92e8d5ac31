"""The LLM agent against a fake OpenAI-compatible server (real HTTP, real ``openai`` client),
on a Docker-free env: replies, parse errors fed back, retries, timeouts, token ids."""

from __future__ import annotations

import sys
import time

import pytest

from terminal_gym import SUBMIT
from terminal_gym.data import Trajectory, load_trajectories, save_trajectories
from terminal_gym.rollout import EpisodeRecorder, LLMAgent, make_agent, run_episode
from terminal_gym.rollout.llm import LLMUnavailableError, llm_env
from tests.rollout.fake_llm import FakeLLMServer, require_openai, solver, terminus
from tests.wrappers.fake_env import FakeTerminalEnv


@pytest.fixture(autouse=True)
def _openai():
    require_openai()


def play(server, reply_format="terminus-json", **options):
    agent = LLMAgent("fake", base_url=server.url, reply_format=reply_format, **options)
    env = llm_env(FakeTerminalEnv(), reply_format)
    recorder = EpisodeRecorder(metadata={"test": True})
    result = run_episode(env, agent, recorder=recorder)
    return result, recorder.finish(llm_error=result.llm_error)


def test_an_episode_records_prompts_replies_token_ids_and_logprobs():
    with FakeLLMServer(default=solver("echo done")) as server:
        result, trajectory = play(server)
    assert result.reward == 1.0 and result.llm_error is None
    # work, task_complete (asked to confirm), task_complete again (submitted)
    assert len(trajectory.steps) == 3 and trajectory.reward == 1.0
    first, second = trajectory.steps[0], trajectory.steps[1]
    assert first.commands == ["echo done"] and "done" in first.observation["output"]
    assert [m["role"] for m in first.llm["prompt"]] == ["system", "user"]
    assert "Format your response as JSON" in first.llm["prompt"][0]["content"]
    assert "Fix /app/config.json." in first.llm["prompt"][0]["content"]
    assert first.llm["reply"] == first.action
    words = len(first.action.split())
    assert first.llm["completion_token_ids"] == list(range(1000, 1000 + words))
    assert len(first.llm["logprobs"]) == words and first.llm["logprobs"][0] == pytest.approx(-0.01)
    assert first.llm["prompt_token_ids"] and first.llm["usage"]["completion_tokens"] == words
    # the second prompt is the first one, the reply, then what the reply produced
    assert second.llm["prompt"][:2] == first.llm["prompt"]
    assert second.llm["prompt"][2] == {"role": "assistant", "content": first.action}
    assert "done" in second.llm["prompt"][3]["content"]
    assert "Are you sure" in trajectory.steps[2].llm["prompt"][-1]["content"]
    # the server was asked for logprobs and token ids
    assert server.requests[0]["logprobs"] is True
    assert server.requests[0]["return_token_ids"] is True


def test_token_ids_from_logprob_tokens_when_the_server_gives_no_token_ids():
    with FakeLLMServer(default=solver("echo done")) as server:
        agent_options = {"extra_body": {"return_tokens_as_token_ids": True}, "token_ids": False}
        _, trajectory = play(server, **agent_options)
    turn = trajectory.steps[0].llm
    assert "return_token_ids" not in server.requests[0]
    assert "prompt_token_ids" not in turn
    assert turn["completion_token_ids"][0] == 1000


def test_prompts_are_stored_packed_and_load_whole(tmp_path):
    with FakeLLMServer(default=solver("echo done")) as server:
        _, trajectory = play(server)
    path = save_trajectories([trajectory], tmp_path / "t.jsonl")
    raw = path.read_text()
    assert raw.count("Format your response as JSON") == 1  # not repeated every turn
    packed = trajectory.to_dict()["steps"][2]["llm"]["prompt"]
    assert packed["keep"] == 5 and len(packed["add"]) == 1
    loaded = load_trajectories(path)[0]
    for a, b in zip(loaded.steps, trajectory.steps, strict=True):
        assert a.llm["prompt"] == b.llm["prompt"]
    assert Trajectory.from_dict(trajectory.to_dict()).steps[2].llm == trajectory.steps[2].llm


def test_a_malformed_reply_is_fed_back_and_the_episode_goes_on():
    script = ["I think I should run ls.", '{"analysis": "x", "plan": "y"}', terminus(["echo done"])]
    with FakeLLMServer(script, default=solver("echo done")) as server:
        result, trajectory = play(server)
    assert result.reward == 1.0
    assert trajectory.steps[0].info["parse_error"] == "No valid JSON found in response"
    assert "Missing required fields: commands" in trajectory.steps[1].info["parse_error"]
    second_prompt = server.requests[1]["messages"]
    assert "Previous response had parsing errors" in second_prompt[-1]["content"]
    assert trajectory.steps[2].commands == ["echo done"]


@pytest.mark.parametrize(
    ("reply_format", "work", "done"),
    [
        ("fenced", "Let me write it.\n```bash\necho done\n```", "All good. TASK_COMPLETE"),
        ("xml", "<command>echo done</command>", "<submit/>"),
    ],
)
def test_other_reply_formats(reply_format, work, done):
    with FakeLLMServer([work, done]) as server:
        result, trajectory = play(server, reply_format)
    assert result.reward == 1.0 and len(trajectory.steps) == 2
    assert trajectory.steps[0].commands == ["echo done"]
    assert "TASK_COMPLETE" in server.requests[0]["messages"][0]["content"] or (
        "<submit/>" in server.requests[0]["messages"][0]["content"]
    )


def test_500s_and_429s_are_retried():
    script = [{"status": 500}, {"status": 429, "retry_after": 0}, {"status": 503}]
    with FakeLLMServer(script, default=solver("echo done")) as server:
        result, _ = play(server, max_retries=3)
    assert result.reward == 1.0 and result.llm_error is None
    assert len(server.requests) == 3 + 3  # three failures, then the three turns


def test_an_endpoint_that_keeps_failing_ends_the_episode_flagged():
    with FakeLLMServer(default=lambda body: {"status": 500}) as server:
        started = time.monotonic()
        result, trajectory = play(server, max_retries=1)
    assert time.monotonic() - started < 20
    assert "HTTP 500" in result.llm_error and result.truncated
    assert trajectory.reward is None and trajectory.metadata["llm_error"] == result.llm_error
    assert trajectory.metadata["env_error"] is False and trajectory.steps == []
    assert len(server.requests) == 2


def test_a_reply_slower_than_the_timeout_ends_the_episode_without_hanging():
    slow = {"delay": 3.0, "content": terminus(["echo done"])}
    with FakeLLMServer([terminus(["ls"]), slow, slow]) as server:
        started = time.monotonic()
        result, trajectory = play(server, timeout=0.5, max_retries=1)
    assert time.monotonic() - started < 2.9  # two 0.5 s attempts and one backoff
    assert "did not answer within 0.5s" in result.llm_error
    assert len(trajectory.steps) == 1 and trajectory.reward is None


def test_a_prompt_over_the_context_submits_and_is_graded():
    overflow = {"status": 400, "message": "This model's maximum context length is 4096 tokens"}
    with FakeLLMServer([terminus(["ls"]), overflow]) as server:
        result, trajectory = play(server, max_retries=0)
    assert result.llm_error is None and result.terminated
    assert trajectory.steps[-1].action == SUBMIT
    assert "maximum context length" in trajectory.steps[-1].llm["error"]
    assert trajectory.reward == 1.0  # the fake env grades every submission 1
    assert len(server.requests) == 2


def test_other_400s_are_endpoint_errors():
    with FakeLLMServer([{"status": 400, "message": "unknown field return_token_ids"}]) as server:
        result, _ = play(server, max_retries=0)
    assert "HTTP 400" in result.llm_error


def test_make_agent_llm_and_its_errors(monkeypatch):
    monkeypatch.delenv("OPENAI_MODEL", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    agent = make_agent("llm", model="m", base_url="http://127.0.0.1:1/v1", reply_format="xml")
    assert isinstance(agent, LLMAgent) and agent.reply_format == "xml"
    twin = agent.spawn()
    assert twin.client is agent.client and twin.messages == []
    with pytest.raises(ValueError, match="no model"):
        make_agent("llm", base_url="http://127.0.0.1:1/v1")
    with pytest.raises(ValueError, match="no LLM endpoint"):
        make_agent("llm", model="m")
    with pytest.raises(ValueError, match="http:// or https://"):
        make_agent("llm", model="m", base_url="ftp://x")
    with pytest.raises(ValueError, match="unknown reply format"):
        make_agent("llm", model="m", base_url="http://x/v1", reply_format="yaml")
    with pytest.raises(ValueError, match="unknown agent"):
        make_agent("gpt")
    with pytest.raises(ValueError, match="agent 'null'"):
        make_agent("null", model="m")


def test_endpoint_and_model_from_the_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_MODEL", "env-model")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    agent = LLMAgent()
    assert agent.model == "env-model" and str(agent.client.base_url).startswith(
        "http://127.0.0.1:9"
    )
    assert agent.client.api_key == "EMPTY"


def test_a_missing_openai_client_is_a_typed_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "openai", None)
    with pytest.raises(LLMUnavailableError, match=r"terminal-gym\[llm\]"):
        LLMAgent("m", base_url="http://127.0.0.1:1/v1")
    assert issubclass(LLMUnavailableError, ImportError)


def test_exporters_keep_the_system_prompt_token_ids_and_logprobs(tmp_path):
    import pyarrow.parquet as pq

    from terminal_gym.data import to_atif, to_chat_messages, to_parquet, validate_atif

    with FakeLLMServer(default=solver("echo done")) as server:
        _, trajectory = play(server)
    messages = to_chat_messages(trajectory)
    assert messages[0] == trajectory.steps[0].llm["prompt"][0]  # what the model was given
    assert [m["content"] for m in messages if m["role"] == "assistant"] == [
        s.action for s in trajectory.steps
    ]
    assert to_chat_messages(trajectory, system_prompt="S {instruction}")[0]["content"] == (
        "S Fix /app/config.json."
    )
    doc = to_atif(trajectory)
    assert validate_atif(doc) == []
    agent_steps = [s for s in doc["steps"] if s["source"] == "agent"]
    metrics = agent_steps[0]["metrics"]
    assert metrics["completion_token_ids"] == trajectory.steps[0].llm["completion_token_ids"]
    assert metrics["logprobs"] == trajectory.steps[0].llm["logprobs"]
    assert metrics["prompt_tokens"] >= 1 and agent_steps[0]["model_name"] == "fake"
    rows = pq.read_table(to_parquet([trajectory], tmp_path / "s.parquet", per="step")).to_pylist()
    assert rows[0]["completion_token_ids"] == trajectory.steps[0].llm["completion_token_ids"]
    assert rows[0]["logprobs"] == pytest.approx(trajectory.steps[0].llm["logprobs"])


def test_reasoning_and_finish_reason_are_recorded_but_not_sent_back():
    first = {"content": terminus(["echo done"]), "reasoning": "think first"}
    with FakeLLMServer([first], default=solver("echo done")) as server:
        _, trajectory = play(server)
    turn = trajectory.steps[0].llm
    assert turn["reasoning"] == "think first" and turn["finish_reason"] == "stop"
    assert "reasoning" not in trajectory.steps[1].llm
    assert all("think first" not in m["content"] for m in server.requests[1]["messages"])


def test_replies_that_never_parse_end_at_max_turns_and_are_graded():
    with FakeLLMServer(default=lambda body: "no JSON here") as server:
        result, trajectory = play(server, max_turns=4)
    assert len(server.requests) == 4 and result.llm_error is None
    assert [s.info.get("parse_error") is not None for s in trajectory.steps] == [True] * 4 + [False]
    assert trajectory.steps[-1].action == SUBMIT and trajectory.steps[-1].llm is None
    assert trajectory.reward == 1.0  # graded: the fake env scores any submission 1
