"""The documentation site builds with ``mkdocs build --strict`` (a warning is an error:
a broken link, a page missing from the nav, a nav entry without a page)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.blocks import ROOT

pytestmark = pytest.mark.slow


def test_site_builds_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    pages = ["index.html", "quickstart/index.html", "cli/index.html"]
    for page in [*pages, "troubleshooting/index.html"]:
        assert (site / page).is_file(), page
    assert "terminal-gym" in (site / "index.html").read_text()


def test_every_page_is_in_the_nav() -> None:
    import yaml

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    listed: set[str] = set()

    def walk(entries: object) -> None:
        if isinstance(entries, str):
            listed.add(entries)
        elif isinstance(entries, list):
            for e in entries:
                walk(e)
        elif isinstance(entries, dict):
            for v in entries.values():
                walk(v)

    walk(config["nav"])
    pages = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert pages == listed, (sorted(pages - listed), sorted(listed - pages))
