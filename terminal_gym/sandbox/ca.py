"""CA bundles: find the one this machine trusts, and make image builds trust it too.

Behind a TLS-intercepting proxy, builds and sandboxes reach PyPI and friends only
through the proxy's CA. :func:`find_ca_bundle` finds the bundle the host uses;
:func:`trust_instructions` are the Dockerfile lines that copy it into a build stage and
announce it through ``SSL_CERT_FILE`` & co, and :func:`add_to_context` puts the file
where those lines expect it. Verification is never turned off.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from terminal_gym.errors import ImageBuildError

__all__ = [
    "CA_BUNDLE_VARS",
    "CA_ENV_VARS",
    "CA_PATH_IN_IMAGE",
    "add_to_context",
    "find_ca_bundle",
    "trust_instructions",
]

#: Environment variables that name a CA bundle, in the order they are trusted.
CA_BUNDLE_VARS = (
    "TERMINAL_GYM_CA_BUNDLE",
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "PIP_CERT",
    "CURL_CA_BUNDLE",
)
#: Where an injected CA bundle lives inside images.
CA_PATH_IN_IMAGE = "/usr/local/share/terminal-gym/ca-bundle.crt"
#: The variables that point the image's programs at it.
CA_ENV_VARS = (
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "PIP_CERT",
    "CURL_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
    "GIT_SSL_CAINFO",
)
_FILE_IN_CONTEXT = ".terminal-gym-ca-bundle.crt"


def find_ca_bundle(ca_bundle: str | os.PathLike[str] | None = "auto") -> Path | None:
    """The CA bundle to hand to builds and sandboxes.

    Args:
        ca_bundle: a path; ``None`` for none; ``"auto"`` for the first existing file
            named by ``TERMINAL_GYM_CA_BUNDLE``, ``SSL_CERT_FILE``,
            ``REQUESTS_CA_BUNDLE``, ``PIP_CERT`` or ``CURL_CA_BUNDLE``.

    Raises:
        ImageBuildError: an explicit path that is not a file.
    """
    if ca_bundle is None:
        return None
    if ca_bundle != "auto":
        path = Path(ca_bundle)
        if not path.is_file():
            raise ImageBuildError(f"CA bundle {path} does not exist")
        return path
    for var in CA_BUNDLE_VARS:
        value = os.environ.get(var)
        if value and Path(value).is_file():
            return Path(value)
    return None


def trust_instructions() -> list[str]:
    """The Dockerfile lines that make a build stage trust the bundle.

    >>> trust_instructions()[0]
    'COPY .terminal-gym-ca-bundle.crt /usr/local/share/terminal-gym/ca-bundle.crt'
    """
    env = " ".join(f"{var}={CA_PATH_IN_IMAGE}" for var in CA_ENV_VARS)
    return [f"COPY {_FILE_IN_CONTEXT} {CA_PATH_IN_IMAGE}", f"ENV {env}"]


def add_to_context(ca_bundle: Path, context_dir: Path) -> None:
    """Copy ``ca_bundle`` into a build context, where :func:`trust_instructions` read it."""
    shutil.copyfile(ca_bundle, context_dir / _FILE_IN_CONTEXT)
