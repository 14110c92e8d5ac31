"""The replay page in a real browser: headless Chromium driven by Selenium 4.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them) and the
``selenium`` package (the ``dev`` extra). Selenium is pointed at ``/usr/bin/chromedriver``
so it never tries to download a driver.

Set ``REPLAY_SCREENSHOT=docs/img/replay.png`` to also save the mid-playback screenshot
there (how the README's picture is made).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from terminal_gym.data import load_trajectories
from terminal_gym.data.replay import to_html

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "replay" / "csv-report.jsonl"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="pip install selenium (dev)")
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("needs chromium and chromium-driver (apt-get install chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",  # root in a container
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1420",
        "--no-first-run",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


@pytest.mark.slow
def test_replay_page_renders_and_plays_without_errors(browser, tmp_path):
    from selenium.webdriver.common.by import By

    (trajectory,) = load_trajectories(FIXTURE)
    page = tmp_path / "replay.html"
    page.write_text(to_html(trajectory, speed=1.5), encoding="utf-8")
    browser.get(page.as_uri())

    # the page renders: instruction and the steps' commands are in the DOM
    instruction = browser.find_element(By.CSS_SELECTOR, "#instruction pre").text
    assert "Monthly payments report from messy CSV exports" in instruction
    commands = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "pre.step-command")]
    assert commands == [
        "ls -la data",
        "head -n 6 data/payments.csv",
        "bash /solution/solve.sh",
        "cat out/monthly_by_country.csv",
        "cat out/unmatched.txt",
        "SUBMIT",
    ]
    assert browser.find_element(By.ID, "reward").text == "1"

    # the player is there, not started; pressing its play button starts it
    _wait(lambda: browser.find_elements(By.CSS_SELECTOR, ".ap-player"), 20, "the player")
    assert browser.execute_script("return window.replayPlayer.getCurrentTime()") == 0
    start = _wait(
        lambda: [
            e
            for e in browser.find_elements(By.CSS_SELECTOR, ".ap-overlay-start, .ap-play-button")
            if e.is_displayed()
        ],
        20,
        "the play button",
    )
    start[0].click()

    def terminal_text() -> str:
        return browser.execute_script(
            "var t = document.querySelector('.ap-term'); return t ? t.textContent : '';"
        )

    # output lines of the episode appear in the player's terminal ...
    _wait(lambda: "P5006,C-0002" in terminal_text(), 30, "the output of head")
    screenshot = tmp_path / "replay.png"
    assert browser.save_screenshot(str(screenshot))  # mid-playback
    assert screenshot.stat().st_size > 20_000
    target = os.environ.get("REPLAY_SCREENSHOT")
    if target:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(screenshot, target)
    _wait(lambda: "2024-01,DE,10,6,5669.42" in terminal_text(), 30, "the solution's output")
    first = browser.execute_script("return window.replayPlayer.getCurrentTime()")
    # ... and the player's clock runs on
    time.sleep(0.7)
    second = browser.execute_script("return window.replayPlayer.getCurrentTime()")
    assert 0 < first < second

    # it plays to the end, where the verifier's line is on screen
    _wait(lambda: "verifier: reward 1" in terminal_text(), 30, "the verifier's line")

    errors = [
        entry for entry in browser.get_log("browser") if entry.get("level") in ("SEVERE", "ERROR")
    ]
    assert errors == []
