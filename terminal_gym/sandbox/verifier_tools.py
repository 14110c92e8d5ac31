"""Offline verifier tooling: what Terminal-Bench verifiers fetch, baked into an image.

Real Terminal-Bench verifiers start with ``curl https://astral.sh/uv/.../install.sh | sh``.
A task whose base image was substituted by a local one (so, offline) gets this tooling
copied into its final stage (:func:`copy_instructions`): a uv under
``/opt/terminal-gym/bin``, a stand-in for uv's installer that links it, and a ``curl``
shim that serves the stand-in for uv's installer URLs and runs the real curl otherwise;
``uv venv`` / ``uv pip install`` / ``uv run pytest`` then work against PyPI through the
CA bundle.

This module says what the tooling image holds (:func:`write_context`) and names it
(:func:`tools_tag`); :func:`terminal_gym.sandbox.images.ensure_verifier_tools` builds it
once.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from terminal_gym.sandbox.bootstrap import PYTHON_IMAGE

__all__ = [
    "TOOLS_DIR",
    "TOOLS_REPO",
    "UV_VERSION",
    "VERIFIER_TOOLS_VAR",
    "copy_instructions",
    "tools_tag",
    "write_context",
]

#: Set to ``0`` to build substituted tasks without the offline verifier tooling.
VERIFIER_TOOLS_VAR = "TERMINAL_GYM_VERIFIER_TOOLS"
#: The uv baked into the verifier tooling (what ``astral.sh/uv/<any>/install.sh`` gets).
UV_VERSION = "0.7.13"
TOOLS_REPO = "terminal-gym/verifier-tools"
TOOLS_DIR = "/opt/terminal-gym"
_TOOLS_FILES: dict[str, tuple[str, int]] = {
    # A stand-in for uv's installer: links the baked uv and writes ~/.local/bin/env.
    "uv-install.sh": (
        f"""\
#!/bin/sh
# terminal-gym: offline stand-in for uv's installer (https://astral.sh/uv/install.sh).
set -e
bin="${{UV_INSTALL_DIR:-${{XDG_BIN_HOME:-$HOME/.local/bin}}}}"
mkdir -p "$bin"
ln -sf {TOOLS_DIR}/bin/uv "$bin/uv"
ln -sf {TOOLS_DIR}/bin/uvx "$bin/uvx"
cat > "$bin/env" <<EOF
#!/bin/sh
case ":\\${{PATH}}:" in
    *:"$bin":*) ;;
    *) export PATH="$bin:\\$PATH" ;;
esac
EOF
echo "installing to $bin (terminal-gym offline stand-in for uv's installer)"
echo "everything's installed!"
""",
        0o755,
    ),
    # curl on PATH: uv installer URLs get the stand-in, everything else the real curl.
    "shim/curl": (
        f"""\
#!/bin/sh
# terminal-gym offline shim: uv's installer URL is served from {TOOLS_DIR}.
out="" prev="" serve=""
for arg in "$@"; do
  case "$prev" in -o|--output) out="$arg" ;; esac
  case "$arg" in http://astral.sh/uv/*install.sh|https://astral.sh/uv/*install.sh) serve=1 ;; esac
  prev="$arg"
done
if [ -n "$serve" ]; then
  if [ -n "$out" ] && [ "$out" != "-" ]; then
    cat {TOOLS_DIR}/uv-install.sh > "$out"
  else
    cat {TOOLS_DIR}/uv-install.sh
  fi
  exit 0
fi
for real in /usr/bin/curl /bin/curl; do
  [ -x "$real" ] && exec "$real" "$@"
done
echo "curl: command not found" >&2
exit 127
""",
        0o755,
    ),
}
_TOOLS_DOCKERFILE = f"""\
FROM {PYTHON_IMAGE}
RUN python3 -m pip install --no-cache-dir --target /tmp/uv uv=={UV_VERSION} \\
    && mkdir -p {TOOLS_DIR}/bin && cp /tmp/uv/bin/uv /tmp/uv/bin/uvx {TOOLS_DIR}/bin/ \\
    && rm -rf /tmp/uv && {TOOLS_DIR}/bin/uv --version
COPY uv-install.sh {TOOLS_DIR}/uv-install.sh
COPY shim/curl {TOOLS_DIR}/shim/curl
"""


def tools_tag(python_image_id: str) -> str:
    """The tag of the tooling image built on the :data:`PYTHON_IMAGE` with this id.

    A hash of the base image and of everything that goes into the build, so changed
    tooling or a rebuilt base gets a new image.
    """
    h = hashlib.sha256(f"{python_image_id}\0{UV_VERSION}\0{_TOOLS_DOCKERFILE}".encode())
    for name, (text, mode) in sorted(_TOOLS_FILES.items()):
        h.update(f"{name}\0{mode:o}\0{text}\0".encode())
    return f"{TOOLS_REPO}:uv-{UV_VERSION}-{h.hexdigest()[:12]}"


def write_context(context_dir: Path) -> None:
    """Write the tooling image's build context: its ``Dockerfile`` and the files it copies."""
    (context_dir / "Dockerfile").write_text(_TOOLS_DOCKERFILE)
    for name, (text, mode) in _TOOLS_FILES.items():
        path = context_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(mode)


def copy_instructions(tools_image: str) -> list[str]:
    """The Dockerfile lines that copy the tooling from ``tools_image`` into a stage.

    >>> copy_instructions("tools:1")[1]
    'COPY --from=tools:1 /opt/terminal-gym/shim/curl /usr/local/bin/curl'
    """
    return [
        f"COPY --from={tools_image} {TOOLS_DIR} {TOOLS_DIR}",
        f"COPY --from={tools_image} {TOOLS_DIR}/shim/curl /usr/local/bin/curl",
    ]
