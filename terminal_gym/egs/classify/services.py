"""Services and containers: ``systemctl``, ``service``, ``docker``, ``kubectl``, servers.

Status queries inspect (``systemctl status``, ``docker ps``); ``systemctl is-active``
and config tests (``nginx -t``) verify; starting, stopping and running anything acts.
``docker exec`` keeps the class of the command it runs, without its paths (they are
inside another container).
"""

from __future__ import annotations

import dataclasses

from terminal_gym.egs.classify.core import Acc, Ctx, Kind, acc, opts, word_set
from terminal_gym.egs.classify.driver import dispatch
from terminal_gym.egs.classify.registry import handles
from terminal_gym.egs.classify.tools import Tool, run_tool

_SERVICE_TOOLS: dict[str, Tool] = {
    "kubectl": Tool(
        inspect=word_set(
            "get describe logs top explain version cluster-info api-resources api-versions diff"
        ),
        values=word_set("-n --namespace --context -l -o"),
    ),
    "helm": Tool(
        verify=word_set("lint test"),
        inspect=word_set("list ls get status show search template history version"),
    ),
    "terraform": Tool(
        verify=word_set("validate plan"),
        inspect=word_set("show output version providers graph state"),
        checks=("-check",),
    ),
    "supervisorctl": Tool(
        inspect=word_set("status avail pid tail maintail version help"),
        bare="unknown",
        values=("-c", "-s", "-u", "-p"),
    ),
    "tmux": Tool(
        inspect=word_set(
            "ls list-sessions list-windows list-panes capture-pane"
            " show-options info has-session has"
        ),
        values=("-L", "-S", "-f"),
    ),
    "screen": Tool(inspect=word_set("-ls -list")),
    "flask": Tool(inspect=word_set("routes --version shell"), values=("--app", "-A")),
    "django-admin": Tool(
        verify=word_set("test check"),
        inspect=word_set("showmigrations sqlmigrate diffsettings version help inspectdb"),
    ),
    "rails": Tool(verify=word_set("test spec"), inspect=word_set("routes about --version")),
    "aws": Tool(default="unknown"),
}
_SERVERS = word_set(
    "a2enmod a2dismod a2ensite a2dissite certbot htpasswd uvicorn gunicorn hypercorn daphne"
    " celery http-server serve jupyter systemd-run supervisord pm2 forever nodemon"
    " ansible-playbook pulumi"
)


@handles(*_SERVICE_TOOLS)
def _h_service_tool(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    return run_tool(ctx, name, _SERVICE_TOOLS[name], args)


@handles(*_SERVERS)
def _h_server(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    """Servers, process managers and deployers: running one changes the system."""
    return acc(name, "act")


@handles("systemctl")
def _h_systemctl(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(
        args,
        word_set(
            "-t --type --state -n --lines -H --host -M --machine -p --property -o "
            "--output --signal -s"
        ),
    )
    sub = o.operands[0] if o.operands else None
    if sub is None:
        return acc(name, "inspect")
    label = f"{name} {sub}"
    if sub in ("is-active", "is-enabled", "is-failed", "is-system-running"):
        return acc(label, "verify")
    if sub in word_set(
        "status show cat list-units list-unit-files list-timers list-sockets "
        "list-dependencies list-jobs get-default help show-environment "
        "list-machines"
    ):
        return acc(label, "inspect")
    return acc(label, "act")


@handles("service", "rc-service")
def _h_service(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    if args[:1] in (["--status-all"], ["--version"], ["-h"], ["--help"]):
        return acc(name, "inspect")
    action = args[1] if len(args) >= 2 else None
    if action is None:
        return acc(name, "unknown")
    label = f"{name} {action}"
    if action == "status":
        return acc(label, "inspect")
    return acc(label, "act")


@handles(
    "nginx",
    "apachectl",
    "apache2ctl",
    "httpd",
    "sshd",
    "visudo",
    "named-checkconf",
    "haproxy",
    "caddy",
)
def _h_server_ctl(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    """nginx, apachectl, httpd, sshd, visudo: ``-t``/``configtest``/``-c`` check config."""
    if any(a in ("-t", "-T", "configtest", "-c" if name == "visudo" else "") for a in args):
        return acc(f"{name} -t", "verify")
    if any(a in word_set("-v -V -S -M -l -L version fullstatus status") for a in args):
        return acc(name, "inspect")
    return acc(name, "act")


@handles("docker", "podman", "nerdctl", "docker-compose", "podman-compose")
def _h_docker(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(args, word_set("-H --host --context -c --config -l --log-level"), stop_at_operand=True)
    ops = o.operands
    if name in ("docker-compose", "podman-compose"):
        ops = ["compose", *ops]
    if not ops:
        return acc(name, "inspect" if o.has("-v", "--version") else "unknown")
    sub = ops[0]
    rest = ops[1:]
    if sub in word_set(
        "compose container image network volume system builder buildx context "
        "plugin secret service stack node swarm manifest config"
    ):
        co = opts(
            rest,
            word_set("-f --file -p --project-name --project-directory --env-file --profile"),
            stop_at_operand=True,
        )
        verb = co.operands[0] if co.operands else ""
        label = f"{name} {sub} {verb}".strip() if name != "docker-compose" else f"{name} {verb}"
        if verb in word_set(
            "ps ls list logs inspect config images top port version df info history events"
        ):
            return acc(label, "inspect")
        if verb == "exec":
            return _docker_exec(ctx, label, co.operands[1:])
        files = ctx.paths(co.values("-f", "--file"))
        return acc(label, "act", executes=files)
    label = f"{name} {sub}"
    if sub in word_set(
        "ps logs images inspect stats top port version info history diff events search"
    ):
        return acc(label, "inspect")
    if sub == "exec":
        return _docker_exec(ctx, label, rest)
    if sub == "build":
        bo = opts(
            rest,
            word_set(
                "-f --file -t --tag --build-arg --target --platform --network --label "
                "--secret --cache-from -o --output"
            ),
        )
        context = ctx.path(bo.operands[0]) if bo.operands else ctx.cwd
        context = context or ctx.cwd
        sub_ctx = dataclasses.replace(ctx, cwd=context)
        dockerfile = ctx.paths(bo.values("-f", "--file")) or sub_ctx.paths(["Dockerfile"])
        return acc(label, "act", [context], executes=dockerfile)
    if sub == "cp" and len(rest) >= 2:
        src, dst = rest[-2], rest[-1]
        reads = [] if ":" in src else ctx.paths([src])
        writes = [] if ":" in dst else ctx.paths([dst])
        return acc(label, "act", reads, writes)
    return acc(label, "act")


def _docker_exec(ctx: Ctx, label: str, args: list[str]) -> list[Acc]:
    o = opts(args, word_set("-e --env -u --user -w --workdir --env-file"), stop_at_operand=True)
    inner = dispatch(ctx, o.operands[1:]) if len(o.operands) > 1 else []
    kinds = [a.kind for a in inner]
    kind: Kind = next((k for k in ("act", "verify", "inspect") if k in kinds), "act")
    return acc(label, kind)  # its paths live in another container
