"""Exporters: trajectories in the formats trainers and tools read.

* :func:`to_chat_messages` / :func:`to_chat_jsonl`: chat JSONL for SFT, one
  ``{"messages": [{"role", "content"}, ...]}`` per line (TRL's conversational format;
  loads with ``datasets.load_dataset("json", ...)``): the system prompt holds the
  instruction, user turns the observations, assistant turns the actions; it ends with
  the assistant's last turn.
* :func:`to_atif` / :func:`save_atif` / :func:`validate_atif`: Harbor's Agent Trajectory
  Interchange Format (ATIF, RFC 0001, ``ATIF-v1.6``): a system step, a user step with
  the task, then one agent step per env step whose ``tool_calls`` are the commands
  (Terminus-2's ``bash_command`` with ``keystrokes``/``duration`` for keystrokes and
  Terminus replies, ``bash`` with ``command`` for whole commands,
  ``mark_task_complete`` for the submit) and whose ``observation`` is what the agent
  saw. Rewards, exit codes and EGS labels go in ``extra``; an LLM step's token counts,
  token ids and log-probabilities (:attr:`Step.llm <terminal_gym.data.Step.llm>`) go in
  its ``metrics``. A multi-step task's episode names each agent step's task step
  (``extra.task_step``), reports a graded step in its ``extra.step_result``, gives each
  later task step's instruction as a user step, and lists the per-step rewards in the
  document's ``extra.step_rewards``.
* :func:`to_parquet` / :func:`from_parquet`: one row per trajectory (metrics, the
  chat messages and the full trajectory as JSON, so it round-trips) or one row per step
  (with an LLM step's ``completion_token_ids``, ``logprobs`` and ``prompt_token_ids``).

Trajectories an LLM agent played keep the system prompt the model was given (the first
recorded prompt's): the chat export and ATIF use it unless another one is passed.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from terminal_gym._version import __version__
from terminal_gym.actions import SUBMIT, Command, Keys
from terminal_gym.data.schema import SCHEMA_VERSION, Step, Trajectory, dumps
from terminal_gym.render import (
    DEFAULT_SYSTEM_PROMPT,
    action_text,
    is_submit,
    observation_text,
    to_jsonable,
)

__all__ = [
    "ATIF_VERSION",
    "from_parquet",
    "recorded_system_prompt",
    "save_atif",
    "to_atif",
    "to_chat_jsonl",
    "to_chat_messages",
    "to_parquet",
    "validate_atif",
]

#: The ATIF version written (Harbor's RFC 0001).
ATIF_VERSION = "ATIF-v1.6"


# -- chat JSONL ------------------------------------------------------------------------


def _step_observation_text(step: Step) -> str:
    obs = step.observation
    if isinstance(obs, list):  # recorded above ChatObservation: the newest user turn
        users = [
            m.get("content", "") for m in obs if isinstance(m, dict) and m.get("role") == "user"
        ]
        return users[-1] if users else ""
    return observation_text(obs, step.info)


def recorded_system_prompt(trajectory: Trajectory) -> str | None:
    """The system message an LLM agent's model was given (its first recorded prompt's)."""
    for step in trajectory.steps:
        prompt = (step.llm or {}).get("prompt")
        if isinstance(prompt, list) and prompt:
            first = prompt[0]
            if isinstance(first, Mapping) and first.get("role") == "system":
                return str(first.get("content", ""))
            return None
    return None


def _system_message(trajectory: Trajectory, system_prompt: str | None) -> str:
    if system_prompt is None:
        recorded = recorded_system_prompt(trajectory)
        if recorded is not None:
            return recorded
        system_prompt = DEFAULT_SYSTEM_PROMPT
    return system_prompt.format(instruction=trajectory.instruction)


def to_chat_messages(
    trajectory: Trajectory,
    *,
    system_prompt: str | None = None,
    submit_text: str = SUBMIT,
    drop_parse_errors: bool = False,
) -> list[dict[str, str]]:
    """The trajectory as alternating chat messages, ending with the assistant.

    Args:
        trajectory: the trajectory.
        system_prompt: the system message; ``{instruction}`` is filled in. Default: the
            one the model was given (:func:`recorded_system_prompt`), else
            :data:`~terminal_gym.data.schema.DEFAULT_SYSTEM_PROMPT`.
        submit_text: the assistant's turn for a bare ``SUBMIT`` action.
        drop_parse_errors: leave out replies the harness could not parse (and the
            error shown back), for training on clean turns only.
    """
    first = trajectory.initial_observation
    messages = [
        {"role": "system", "content": _system_message(trajectory, system_prompt)},
        {
            "role": "user",
            "content": "Current terminal state:\n"
            + (_step_observation_text(Step(None, first)) if first is not None else ""),
        },
    ]
    for step in trajectory.steps:
        if drop_parse_errors and step.info.get("parse_error"):
            continue
        text = submit_text if is_submit(step.action) else action_text(step.action)
        messages.append({"role": "assistant", "content": text})
        messages.append({"role": "user", "content": _step_observation_text(step)})
    if len(messages) > 2:
        messages.pop()  # what followed the last action is not a training target
    return messages


def chat_record(trajectory: Trajectory, *, metadata: bool = True, **kwargs: Any) -> dict[str, Any]:
    """One chat JSONL record (``messages`` and, with ``metadata``, scores to filter by)."""
    record: dict[str, Any] = {"messages": to_chat_messages(trajectory, **kwargs)}
    if metadata:
        egs = trajectory.ensure_egs()
        record.update(
            task_id=trajectory.task_id,
            source=trajectory.source,
            teacher=trajectory.teacher,
            reward=None if trajectory.reward is None else float(trajectory.reward),
            tor=_float(egs.get("tor")),
            verified_before_submit=bool(egs.get("verified_before_submit")),
        )
    return record


def to_chat_jsonl(
    trajectories: Iterable[Trajectory],
    path: str | os.PathLike[str],
    *,
    metadata: bool = True,
    **kwargs: Any,
) -> Path:
    """Write chat JSONL for SFT: one ``{"messages": [...]}`` per trajectory.

    Trajectories with no action are skipped (nothing for the assistant to learn).
    ``kwargs`` go to :func:`to_chat_messages`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for trajectory in trajectories:
            if trajectory.steps:
                fh.write(dumps(chat_record(trajectory, metadata=metadata, **kwargs)) + "\n")
    return path


# -- ATIF ------------------------------------------------------------------------------


def _timestamp(trajectory: Trajectory, t: float | None) -> str | None:
    started = trajectory.metadata.get("started_at")
    if not isinstance(started, str):
        return None
    try:
        base = datetime.datetime.fromisoformat(started)
    except ValueError:
        return None
    when = base + datetime.timedelta(seconds=t or 0.0)
    return when.isoformat().replace("+00:00", "Z")


def _session_id(trajectory: Trajectory) -> str:
    if trajectory.metadata.get("session_id"):
        return str(trajectory.metadata["session_id"])
    digest = hashlib.sha256(
        json.dumps(to_jsonable(trajectory.to_dict()), sort_keys=True).encode()
    ).hexdigest()
    return f"{trajectory.task_id or 'episode'}-{digest[:16]}"


def _tool_calls(step: Step, index: int) -> list[dict[str, Any]]:
    """The ATIF tool calls of one env step."""
    action = step.action
    calls: list[dict[str, Any]] = []

    def call(name: str, arguments: dict[str, Any]) -> None:
        calls.append(
            {
                "tool_call_id": f"call_{index}_{len(calls) + 1}",
                "function_name": name,
                "arguments": arguments,
            }
        )

    if is_submit(action):
        call("mark_task_complete", {})
    elif isinstance(action, Keys):
        call("bash_command", {"keystrokes": action.text, "duration": action.wait})
    elif isinstance(action, Command):
        call("bash", {"command": action.text, "timeout": action.timeout})
    elif isinstance(step.info.get("commands"), list):  # a model reply a parser split up
        from terminal_gym.replies import parse_terminus_json

        parsed = parse_terminus_json(action_text(action))
        if parsed.error is None:
            for keys in parsed.actions:
                assert isinstance(keys, Keys)
                call("bash_command", {"keystrokes": keys.text, "duration": keys.wait})
        else:
            for command in step.info["commands"]:
                call("bash", {"command": command})
        if (parsed.error is None and parsed.task_complete) or step.terminated:
            call("mark_task_complete", {})
    else:
        call("bash", {"command": action_text(action)})
    return calls


def _agent_message(step: Step) -> str:
    """The agent's words: a model reply is the message; a bare command has none."""
    if isinstance(step.info.get("commands"), list) and isinstance(step.action, str):
        return step.action
    return ""


def _llm_metrics(step: Step) -> dict[str, Any] | None:
    """ATIF ``metrics`` of an LLM step: token counts, token ids, log-probabilities."""
    llm = step.llm
    if not llm:
        return None
    usage = llm.get("usage") or {}
    metrics = {
        "prompt_tokens": usage.get("prompt_tokens"),
        "completion_tokens": usage.get("completion_tokens"),
        "prompt_token_ids": llm.get("prompt_token_ids"),
        "completion_token_ids": llm.get("completion_token_ids"),
        "logprobs": llm.get("logprobs"),
    }
    extra = {k: llm[k] for k in ("finish_reason", "latency", "error") if llm.get(k) is not None}
    if extra:
        metrics["extra"] = extra
    metrics = {k: v for k, v in metrics.items() if v is not None}
    return to_jsonable(metrics) if metrics else None


def to_atif(
    trajectory: Trajectory,
    *,
    agent_name: str | None = None,
    agent_version: str | None = None,
    system_prompt: str | None = None,
) -> dict[str, Any]:
    """The trajectory as an ATIF document (a JSON-ready dict); ``system_prompt`` as in
    :func:`to_chat_messages`."""
    meta = trajectory.metadata
    egs = trajectory.ensure_egs()
    steps: list[dict[str, Any]] = [
        {
            "step_id": 1,
            "source": "system",
            "message": _system_message(trajectory, system_prompt),
        },
        {
            "step_id": 2,
            "source": "user",
            "message": trajectory.instruction,
            "extra": {
                "terminal_state": observation_text(trajectory.initial_observation)
                if trajectory.initial_observation is not None
                else ""
            },
        },
    ]
    task_step = _task_step(trajectory.steps[0].info) if trajectory.steps else None
    if task_step is not None:
        steps[1]["extra"]["task_step"] = task_step
    labels = egs.get("steps") or []
    label_at = 0
    for i, step in enumerate(trajectory.steps, 1):
        calls = _tool_calls(step, i)
        entry: dict[str, Any] = {
            "step_id": len(steps) + 1,
            "source": "agent",
            "message": _agent_message(step),
            "tool_calls": calls,
            "observation": {
                "results": [
                    {
                        **({"source_call_id": calls[0]["tool_call_id"]} if len(calls) == 1 else {}),
                        "content": _step_observation_text(step),
                    }
                ]
            },
        }
        model = (step.llm or {}).get("model") or trajectory.teacher
        if model:
            entry["model_name"] = str(model)
        metrics = _llm_metrics(step)
        if metrics:
            entry["metrics"] = metrics
        when = _timestamp(trajectory, step.t)
        if when:
            entry["timestamp"] = when
        n_commands = len(step.commands)
        extra: dict[str, Any] = {
            "reward": step.reward,
            "exit_code": (step.observation or {}).get("exit_code")
            if isinstance(step.observation, Mapping)
            else None,
            "cwd": (step.observation or {}).get("cwd")
            if isinstance(step.observation, Mapping)
            else None,
            "duration": step.duration,
            "egs": labels[label_at : label_at + n_commands],
        }
        if step.info.get("parse_error"):
            extra["parse_error"] = step.info["parse_error"]
        graded = step.info.get("step_result")
        if isinstance(graded, Mapping):
            # The step this action ended was graded; the agent now works on the next one.
            extra["task_step"] = {"index": graded.get("index"), "name": graded.get("name")}
            extra["step_result"] = {k: graded.get(k) for k in ("name", "reward", "rewards")}
        elif (task_step := _task_step(step.info)) is not None:
            extra["task_step"] = task_step
        label_at += n_commands
        entry["extra"] = to_jsonable(extra)
        steps.append(entry)
        next_step = _task_step(step.info)
        if (
            isinstance(graded, Mapping)
            and next_step is not None
            and not (step.terminated or step.truncated)
        ):
            instruction = (step.observation or {}).get("instruction")
            steps.append(
                {
                    "step_id": len(steps) + 1,
                    "source": "user",
                    "message": str(instruction or ""),
                    "extra": {"task_step": next_step},
                }
            )
    name = agent_name or meta.get("agent") or trajectory.teacher or trajectory.source or "unknown"
    agent: dict[str, Any] = {
        "name": str(name),
        "version": str(agent_version or meta.get("agent_version") or __version__),
    }
    if trajectory.teacher:
        agent["model_name"] = trajectory.teacher
    if meta.get("wrappers"):
        agent["extra"] = {"harness": "terminal-gym", "wrappers": meta["wrappers"]}
    return {
        "schema_version": ATIF_VERSION,
        "session_id": _session_id(trajectory),
        "agent": agent,
        "steps": steps,
        "final_metrics": {"total_steps": len(steps)},
        "extra": to_jsonable(
            {
                "task_id": trajectory.task_id,
                "source": trajectory.source,
                "reward": trajectory.reward,
                "terminated": trajectory.terminated,
                "truncated": trajectory.truncated,
                "complete": trajectory.complete,
                "egs": {k: v for k, v in egs.items() if k != "steps"},
                "terminal_gym_schema": SCHEMA_VERSION,
                **_step_rewards(trajectory),
            }
        ),
    }


def _task_step(info: Mapping[str, Any]) -> dict[str, Any] | None:
    """``{"index", "name"}`` of the multi-step task's step an env step's info names."""
    task_step = info.get("task_step")
    if not isinstance(task_step, Mapping):
        return None
    return {"index": task_step.get("index"), "name": task_step.get("name")}


def _step_rewards(trajectory: Trajectory) -> dict[str, Any]:
    """``{"step_rewards": [{"name", "reward", "rewards"}, ...]}`` of a multi-step
    episode (its graded steps, in order), else ``{}``."""
    graded = [
        step.info["step_result"]
        for step in trajectory.steps
        if isinstance(step.info.get("step_result"), Mapping)
    ]
    if not graded:
        return {}
    return {"step_rewards": [{k: g.get(k) for k in ("name", "reward", "rewards")} for g in graded]}


def save_atif(
    trajectories: Iterable[Trajectory], directory: str | os.PathLike[str], **kwargs: Any
) -> list[Path]:
    """Write one ATIF JSON file per trajectory (``<session_id>.json``)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for trajectory in trajectories:
        doc = to_atif(trajectory, **kwargs)
        path = directory / f"{doc['session_id'].replace('/', '_')}.json"
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    return paths


_STEP_SOURCES = ("system", "user", "agent")
_AGENT_ONLY = ("model_name", "reasoning_content", "tool_calls", "metrics")


def validate_atif(doc: Any) -> list[str]:
    """Problems that make ``doc`` invalid ATIF (empty when it is valid).

    Checks the rules of Harbor's ATIF validator that apply to what we write: the
    version, the agent's name and version, sequential ``step_id`` from 1, step sources,
    agent-only fields on agent steps only, tool calls with an id, a name and object
    arguments, observation results referring to a tool call of their step, and ISO
    8601 timestamps.
    """
    problems: list[str] = []
    if not isinstance(doc, dict):
        return ["the document is not a JSON object"]
    version = doc.get("schema_version")
    if not isinstance(version, str) or not version.startswith("ATIF-v1."):
        problems.append(f"schema_version: expected ATIF-v1.x, got {version!r}")
    agent = doc.get("agent")
    if not isinstance(agent, dict):
        problems.append("agent: required object")
    else:
        for key in ("name", "version"):
            if not isinstance(agent.get(key), str) or not agent[key]:
                problems.append(f"agent.{key}: required string")
    steps = doc.get("steps")
    if not isinstance(steps, list) or not steps:
        return [*problems, "steps: required non-empty array"]
    for n, step in enumerate(steps, 1):
        where = f"steps[{n - 1}]"
        if not isinstance(step, dict):
            problems.append(f"{where}: not an object")
            continue
        if step.get("step_id") != n:
            problems.append(f"{where}.step_id: expected {n}, got {step.get('step_id')!r}")
        source = step.get("source")
        if source not in _STEP_SOURCES:
            problems.append(f"{where}.source: {source!r} not one of {_STEP_SOURCES}")
        if not isinstance(step.get("message"), (str, list)):
            problems.append(f"{where}.message: required string")
        if source != "agent":
            for key in (*_AGENT_ONLY, "observation"):
                if step.get(key) is not None:
                    problems.append(f"{where}.{key}: only agent steps may have it")
        if step.get("timestamp") is not None:
            try:
                datetime.datetime.fromisoformat(str(step["timestamp"]).replace("Z", "+00:00"))
            except ValueError:
                problems.append(f"{where}.timestamp: not ISO 8601")
        ids = set()
        for c, call in enumerate(step.get("tool_calls") or []):
            cw = f"{where}.tool_calls[{c}]"
            if not isinstance(call, dict):
                problems.append(f"{cw}: not an object")
                continue
            if not isinstance(call.get("tool_call_id"), str):
                problems.append(f"{cw}.tool_call_id: required string")
            ids.add(call.get("tool_call_id"))
            if not isinstance(call.get("function_name"), str):
                problems.append(f"{cw}.function_name: required string")
            if not isinstance(call.get("arguments"), dict):
                problems.append(f"{cw}.arguments: required object")
        observation = step.get("observation")
        if observation is not None:
            results = observation.get("results") if isinstance(observation, dict) else None
            if not isinstance(results, list):
                problems.append(f"{where}.observation.results: required array")
                continue
            for r, result in enumerate(results):
                ref = result.get("source_call_id") if isinstance(result, dict) else None
                if ref is not None and ref not in ids:
                    problems.append(
                        f"{where}.observation.results[{r}].source_call_id: {ref!r} "
                        "matches no tool call of this step"
                    )
    return problems


# -- Parquet ---------------------------------------------------------------------------


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _trajectory_row(i: int, trajectory: Trajectory) -> dict[str, Any]:
    egs = trajectory.ensure_egs()
    return {
        "index": i,
        "task_id": trajectory.task_id,
        "source": trajectory.source,
        "teacher": trajectory.teacher,
        "reward": _float(trajectory.reward),
        "tor": _float(egs.get("tor")),
        "verified_before_submit": bool(egs.get("verified_before_submit")),
        "n_steps": len(trajectory.steps),
        "n_commands": len(trajectory.commands),
        "complete": trajectory.complete,
        "instruction": trajectory.instruction,
        "commands": trajectory.commands,
        "messages": to_chat_messages(trajectory),
        "schema": trajectory.schema,
        "trajectory": json.dumps(to_jsonable(trajectory.to_dict()), ensure_ascii=False),
    }


def _step_rows(i: int, trajectory: Trajectory) -> list[dict[str, Any]]:
    labels = trajectory.ensure_egs().get("steps") or []
    rows, at = [], 0
    for n, step in enumerate(trajectory.steps, 1):
        obs = step.observation if isinstance(step.observation, Mapping) else {}
        k = len(step.commands)
        own = labels[at : at + k]
        at += k
        kinds = [lab.get("kind") for lab in own if isinstance(lab, dict)]
        grounded = [lab.get("grounded") for lab in own if isinstance(lab, dict)]
        rows.append(
            {
                "trajectory": i,
                "task_id": trajectory.task_id,
                "source": trajectory.source,
                "teacher": trajectory.teacher,
                "step": n,
                "action": action_text(step.action),
                "submit": is_submit(step.action),
                "observation": _step_observation_text(step),
                "exit_code": obs.get("exit_code"),
                "cwd": obs.get("cwd"),
                "reward": _float(step.reward),
                "t": _float(step.t),
                "duration": _float(step.duration),
                "kinds": [str(k) for k in kinds],
                "grounded": [None if g is None else bool(g) for g in grounded],
                "completion_token_ids": (step.llm or {}).get("completion_token_ids"),
                "logprobs": (step.llm or {}).get("logprobs"),
                "prompt_token_ids": (step.llm or {}).get("prompt_token_ids"),
            }
        )
    return rows


def to_parquet(
    trajectories: Sequence[Trajectory] | Iterable[Trajectory],
    path: str | os.PathLike[str],
    *,
    per: str = "trajectory",
) -> Path:
    """Write a Parquet file: one row ``per="trajectory"`` (default) or ``per="step"``.

    Needs ``pyarrow`` (``pip install 'terminal-gym[data]'``).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if per not in ("trajectory", "step"):
        raise ValueError(f"per must be 'trajectory' or 'step', not {per!r}")
    rows: list[dict[str, Any]] = []
    for i, trajectory in enumerate(trajectories):
        if per == "trajectory":
            rows.append(_trajectory_row(i, trajectory))
        else:
            rows.extend(_step_rows(i, trajectory))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist(rows) if rows else pa.table({})
    table = table.replace_schema_metadata({"terminal_gym.schema": SCHEMA_VERSION, "per": per})
    pq.write_table(table, path)
    return path


def from_parquet(path: str | os.PathLike[str]) -> list[Trajectory]:
    """The trajectories of a ``per="trajectory"`` Parquet file."""
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=["trajectory"])
    return [Trajectory.from_dict(json.loads(s)) for s in table.column("trajectory").to_pylist()]
