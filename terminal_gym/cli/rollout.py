"""``terminal-gym rollout`` and ``terminal-gym soak``: many episodes at once."""

from __future__ import annotations

import datetime
import os
import platform
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from terminal_gym.cli.console import print_json
from terminal_gym.cli.options import (
    DEFAULT_SEEDS,
    BackendOpt,
    DifficultyOpt,
    ImageMapOpt,
    JsonOpt,
    NoProgressOpt,
    SeedsOpt,
    TaskArgs,
    backend_options,
    choice,
    choice_metavar,
    resolve_tasks,
    seed_range,
)
from terminal_gym.cli.progress import LiveProgress, progress_enabled

__all__ = ["register"]


def rollout(
    out: Annotated[Path, typer.Option("--out", metavar="FILE", help="JSONL output (resumable)")],
    tasks: TaskArgs = None,
    agent: Annotated[
        str,
        typer.Option(
            "--agent",
            callback=choice("oracle", "null", "llm"),
            metavar=choice_metavar("oracle", "null", "llm"),
        ),
    ] = "oracle",
    episodes: Annotated[
        int, typer.Option("--episodes", metavar="N", min=1, help="seeds per task")
    ] = 1,
    group: Annotated[
        int,
        typer.Option("--group", metavar="G", min=1, help="episodes per (task, seed) instance"),
    ] = 1,
    workers: Annotated[
        int, typer.Option("--workers", metavar="W", min=1, help="episodes at once")
    ] = 4,
    seed: Annotated[int, typer.Option("--seed", help="the first seed")] = 0,
    max_steps: Annotated[
        int | None, typer.Option("--max-steps", metavar="N", min=1, help="steps per episode")
    ] = None,
    llm_url: Annotated[
        str | None,
        typer.Option(
            "--llm-url",
            metavar="URL",
            help="OpenAI-compatible API base (default: $OPENAI_BASE_URL), "
            "e.g. http://localhost:8000/v1",
        ),
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="model name sent to the endpoint")
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", help="bearer token (default: $OPENAI_API_KEY; prefer the env)"),
    ] = None,
    reply_format: Annotated[
        str,
        typer.Option(
            "--reply-format",
            callback=choice("terminus-json", "fenced", "xml"),
            metavar=choice_metavar("terminus-json", "fenced", "xml"),
        ),
    ] = "terminus-json",
    temperature: Annotated[float, typer.Option("--temperature")] = 1.0,
    max_tokens: Annotated[int | None, typer.Option("--max-tokens", help="per model reply")] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="seconds per LLM request")] = 120.0,
    max_turns: Annotated[
        int, typer.Option("--max-turns", min=1, help="model replies per episode, then submit")
    ] = 100,
    no_logprobs: Annotated[
        bool, typer.Option("--no-logprobs", help="do not ask for log-probabilities")
    ] = False,
    no_token_ids: Annotated[
        bool,
        typer.Option(
            "--no-token-ids",
            help="do not ask for vLLM's token ids (for servers that refuse unknown parameters)",
        ),
    ] = False,
    no_ray: Annotated[
        bool, typer.Option("--no-ray", help="a local thread pool instead of Ray")
    ] = False,
    envs_per_actor: Annotated[
        int, typer.Option("--envs-per-actor", metavar="K", min=1, help="with Ray")
    ] = 8,
    rerun_env_errors: Annotated[
        int,
        typer.Option(
            "--rerun-env-errors",
            metavar="K",
            min=0,
            help="run an episode whose environment failed again, up to K times",
        ),
    ] = 0,
    difficulty: DifficultyOpt = None,
    seeds: SeedsOpt = DEFAULT_SEEDS,
    backend: BackendOpt = "auto",
    image_map: ImageMapOpt = None,
    json_out: JsonOpt = False,
    no_progress: NoProgressOpt = False,
) -> int:
    """Collect trajectories: many episodes at once, in groups, into resumable JSONL.

    Exit status 1 when episodes are still failed (env or LLM errors) at the end.
    """
    from terminal_gym.rollout.collect import CollectError, check_endpoint, collect

    taskset = resolve_tasks(tasks, difficulty=difficulty, seeds=seed_range(seeds))
    agent_options: dict[str, Any] = {}
    if agent == "llm":
        if not (model or os.environ.get("OPENAI_MODEL")):
            raise CollectError("--agent llm needs --model (or OPENAI_MODEL)")
        check_endpoint(llm_url, api_key)
        agent_options = {
            "model": model,
            "base_url": llm_url,
            "api_key": api_key,
            "reply_format": reply_format,
            "temperature": temperature,
            "max_tokens": max_tokens,
            "timeout": timeout,
            "max_turns": max_turns,
            "logprobs": not no_logprobs,
            "token_ids": not no_token_ids,
        }
    elif llm_url or model:
        raise CollectError("--llm-url and --model are for --agent llm")
    env_kwargs: dict[str, Any] = {"backend": backend}
    if image_map:
        env_kwargs["backend_options"] = backend_options(image_map)
    if max_steps:
        env_kwargs["max_steps"] = max_steps

    planned = len(taskset) * episodes * group
    show = progress_enabled(json=json_out, no_progress=no_progress)
    rewards: list[float] = []
    failures = [0]
    lock = threading.Lock()
    with LiveProgress("rollout", planned, enabled=show, unit="ep") as bar:

        def on_trajectory(trajectory: Any) -> None:
            meta = trajectory.metadata
            with lock:
                if meta.get("env_error") or meta.get("llm_error"):
                    failures[0] += 1
                elif trajectory.reward is not None:
                    rewards.append(float(trajectory.reward))
                mean = f"{sum(rewards) / len(rewards):.3f}" if rewards else "-"
                failed = f"  failed {failures[0]}" if failures[0] else ""
            bar.advance(status=f"reward {mean}{failed}")

        result = collect(
            taskset,
            agent,
            episodes=episodes,
            group=group,
            workers=workers,
            out=out,
            seed=seed,
            agent_options=agent_options,
            env_kwargs=env_kwargs,
            use_ray=False if no_ray else None,
            envs_per_actor=envs_per_actor,
            rerun_env_errors=rerun_env_errors,
            on_trajectory=on_trajectory,
        )
    summary = result.summary
    if json_out:
        print_json(summary)
    else:
        mean = summary["reward_mean"]
        print(
            f"{summary['finished']} episode(s) run, {summary['skipped']} already done: "
            f"reward mean {'-' if mean is None else f'{mean:.3f}'}, "
            f"{summary['env_errors']} env error(s), {summary['llm_errors']} LLM error(s), "
            f"{summary['seconds']:.1f}s ({summary['episodes_per_s'] or 0:.2f} episodes/s) "
            f"-> {out}"
        )
    return 1 if summary["remaining_failed"] else 0


#: The report's figures ``soak`` prints, in order.
SOAK_FIGURES = (
    "backend", "episodes", "parallel", "seconds", "episodes_per_second", "outcomes",
    "by_agent", "env_errors", "tamper_flagged", "leaked_containers", "leaked_local_dirs",
    "fds_start", "fds_end", "rss_start_mb", "rss_peak_mb", "rss_end_mb",
)  # fmt: skip


def soak(
    tasks: TaskArgs = None,
    episodes: Annotated[
        int, typer.Option("--episodes", metavar="N", min=1, help="episodes in all")
    ] = 100,
    parallel: Annotated[
        int, typer.Option("--parallel", metavar="P", min=1, help="envs (and threads) at once")
    ] = 4,
    seed: Annotated[int, typer.Option("--seed", help="the plan's seed")] = 0,
    step_timeout: Annotated[
        float, typer.Option("--step-timeout", min=0.1, help="seconds per command")
    ] = 10.0,
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="FILE", dir_okay=False, help="write the report (JSON)"),
    ] = None,
    episodes_out: Annotated[
        Path | None,
        typer.Option(
            "--episodes-out",
            metavar="FILE",
            dir_okay=False,
            help="write every episode's account (JSONL, appended)",
        ),
    ] = None,
    difficulty: DifficultyOpt = None,
    seeds: SeedsOpt = DEFAULT_SEEDS,
    backend: BackendOpt = "auto",
    image_map: ImageMapOpt = None,
    json_out: JsonOpt = False,
    no_progress: NoProgressOpt = False,
) -> int:
    """Soak: oracle, do-nothing and hostile episodes in parallel, then an account.

    Checks no false reward, no crash, every oracle episode scored 1 (or reported an
    infrastructure error), no leaked container or sandbox, bounded descriptors and
    memory. Exit status 1 when a guarantee broke.
    """
    import gymnasium as gym

    import terminal_gym  # noqa: F401  (registers TerminalLego-v0)
    from terminal_gym.rollout.soak import run_soak

    taskset = resolve_tasks(tasks, difficulty=difficulty, seeds=seed_range(seeds))
    make_kwargs: dict[str, Any] = {"tasks": taskset, "backend": backend}
    if image_map:
        make_kwargs["backend_options"] = backend_options(image_map)

    def make_env() -> gym.Env:
        return gym.make("TerminalLego-v0", step_timeout=step_timeout, **make_kwargs)

    probe = make_env()
    try:
        served = probe.unwrapped.backend  # type: ignore[attr-defined]
        task_ids = [t.id for t in taskset if served.unsupported_reason(t) is None]
    finally:
        probe.close()
    if not task_ids:
        from terminal_gym.errors import TerminalGymError

        raise TerminalGymError(f"the {backend} backend can serve none of the tasks")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
    if episodes_out is not None:
        episodes_out.parent.mkdir(parents=True, exist_ok=True)

    counts: dict[str, int] = {}
    show = progress_enabled(json=json_out, no_progress=no_progress)
    with LiveProgress("soak", episodes, enabled=show, unit="ep") as bar:

        def progress(record: Any) -> None:
            counts[record.outcome] = counts.get(record.outcome, 0) + 1
            bar.advance(status=" ".join(f"{k} {v}" for k, v in sorted(counts.items())))

        report = run_soak(
            make_env,
            task_ids,
            episodes=episodes,
            parallel=parallel,
            seed=seed,
            out=episodes_out,
            progress=progress,
        )
    problems = report.problems()
    result = {
        **report.to_dict(),
        "problems": problems,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    if out is not None:
        import json

        out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    if json_out:
        print_json(result)
        return 1 if problems else 0
    for key in SOAK_FIGURES:
        print(f"{key:>20}: {result[key]}")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    for failure in report.failures[:20]:
        print(
            f"  {failure['outcome']}: #{failure['index']} {failure['task_id']} "
            f"{failure['agent']} {failure['action']}: {str(failure['error'])[:200]}"
        )
    return 1 if problems else 0


def register(app: typer.Typer) -> None:
    """Add ``rollout`` and ``soak`` to ``app``."""
    app.command(
        "rollout",
        epilog="Example: terminal-gym rollout family:csv-aggregate --episodes 4 --out o.jsonl",
    )(rollout)
    app.command(
        "soak", epilog="Example: terminal-gym soak --episodes 200 --parallel 4 --backend docker"
    )(soak)
