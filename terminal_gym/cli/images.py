"""``terminal-gym images bootstrap`` and ``terminal-gym reap``: images and containers."""

from __future__ import annotations

from typing import Annotated

import typer

from terminal_gym.cli.console import eprint, print_json
from terminal_gym.cli.options import JsonOpt, NoProgressOpt
from terminal_gym.cli.progress import LiveProgress, progress_enabled

__all__ = ["register"]

images_app = typer.Typer(
    help="Manage the offline base images.",
    no_args_is_help=True,
    epilog="Example: terminal-gym images bootstrap",
)


@images_app.command(
    epilog="Example: terminal-gym images bootstrap --mirror http://deb.debian.org/debian"
)
def bootstrap(
    force: Annotated[bool, typer.Option("--force", help="rebuild even when present")] = False,
    mirror: Annotated[
        str | None,
        typer.Option("--mirror", metavar="URL", help="Debian mirror (default: from /etc/apt)"),
    ] = None,
    json_out: JsonOpt = False,
    no_progress: NoProgressOpt = False,
) -> int:
    """Build the offline base images (debootstrap + import); present ones are kept."""
    from terminal_gym.sandbox.bootstrap import BASE_IMAGES
    from terminal_gym.sandbox.bootstrap import bootstrap as build_images
    from terminal_gym.sandbox.docker import connect

    show = progress_enabled(json=json_out, no_progress=no_progress)
    with LiveProgress("images bootstrap", None, enabled=show, unit="step") as bar:

        def log(line: str) -> None:
            if show:
                bar.status(line)
            elif not json_out:
                eprint(line)

        built = build_images(
            connect(),
            mirror=mirror,
            force=force,
            log=log,
            progress=lambda step: bar.advance(status=step),
        )
    states = {name: "built" if name in built else "present" for name in BASE_IMAGES}
    if json_out:
        print_json({"images": states})
    else:
        for name, state in states.items():
            print(f"{name}: {state}")
    return 0


def reap() -> int:
    """Remove the containers whose owner process is gone."""
    from terminal_gym.sandbox.docker import connect
    from terminal_gym.sandbox.docker import reap as reap_containers

    removed = reap_containers(connect())
    print(f"removed {len(removed)} orphaned container(s)")
    return 0


def register(app: typer.Typer) -> None:
    """Add ``images`` (bootstrap) and ``reap`` to ``app``."""
    app.add_typer(images_app, name="images")
    app.command("reap", epilog="Example: terminal-gym reap")(reap)
