"""The dashboard as a person meets it: a real `streamlit run` in Debian's Chromium.

Usage: .venv/bin/python bench/browser.py [--steps 10]
The library holds one two-hour film (7,200 frames with thumbnails, 1,800 real cues); the model
has ViT-B/32's architecture (random weights, the real cost). Measured:
* the first search after the server starts: opening /search, typing a line, Enter, until the
  first result shows (the models warm up in the background from the server's start);
* a slider step with the keyboard: from the key press until the app is idle again, results
  and timeline redrawn;
* Tab presses from the query box to the first result's Play button.
Target: a slider step under 300 ms.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import app as app_bench
import search as search_bench
from common import OUT, ROOT, cpu_summary, table, use_bench_models

from oneframe.library.folders import Library

CHROMIUM = Path("/usr/bin/chromium")


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen, str, float]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (OUT / "browser-bench-streamlit.log").open("w")
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "Home.py",
                                "--server.port", str(port)], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=1)
            break
        except OSError:
            time.sleep(0.25)
    return process, url, time.perf_counter() - started


WATCH = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  window.ofRuns = [];
  new MutationObserver(() => window.ofRuns.push(
      [app.getAttribute('data-test-script-state'), performance.now()]))
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def idle(page) -> None:
    marker = page.locator("[data-testid=stApp][data-test-script-state=notRunning]")
    for _ in range(2):
        page.wait_for_timeout(50)
        marker.wait_for()


def step_ms(page, key: str) -> float:
    """From a key press on the focused slider to the end of the rerun it starts, as the
    browser's own clock saw it (the app's script state going back to notRunning)."""
    page.evaluate("window.ofRuns = []")
    pressed = page.evaluate("performance.now()")
    page.keyboard.press(key)
    page.wait_for_function("window.ofRuns.some(r => r[0] === 'running')")
    page.wait_for_function("window.ofRuns.length && "
                           "window.ofRuns[window.ofRuns.length - 1][0] === 'notRunning'")
    page.wait_for_timeout(150)  # and nothing more follows
    return page.evaluate("window.ofRuns[window.ofRuns.length - 1][1]") - pressed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--arrive", type=float, default=0.0,
                        help="seconds after the server is up before the user opens the page")
    args = parser.parse_args()
    from playwright.sync_api import expect, sync_playwright

    model = use_bench_models()
    library = Library(OUT / "app-library")
    search_bench.build(library, 1, model)
    app_bench.thumbnails(library, "film-00")
    env = dict(os.environ, ONEFRAME_LIBRARY=str(library.root))
    query = search_bench.queries(1)[0]
    process, url, boot = start_server(env)
    time.sleep(args.arrive)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.set_default_timeout(180_000)
            expect.set_options(timeout=180_000)
            started = time.perf_counter()
            page.goto(url + "/search")
            box = page.get_by_label("Describe the moment")
            box.fill(query)
            box.press("Enter")
            expect(page.get_by_text("#1 ·").first).to_be_visible()
            first = time.perf_counter() - started
            idle(page)
            box.focus()
            tabs = 0
            while tabs < 20 and not page.evaluate(
                    "document.activeElement.innerText || ''").strip().endswith("Play"):
                page.keyboard.press("Tab")
                tabs += 1
            page.evaluate(WATCH)
            slider = page.get_by_role("slider")
            steps = []
            for i in range(args.steps):
                slider.focus()
                steps.append(step_ms(page, "ArrowRight" if i % 2 == 0 else "ArrowLeft"))
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
    print(cpu_summary())
    print(f"one two-hour film (7,200 frames, 1,800 cues); server up in {boot:.1f} s")
    q = statistics.quantiles(steps, n=20) if len(steps) > 1 else steps
    print(table(["measure", "value"], [
        [f"first search, page opened {args.arrive:g} s after the server is up (type, Enter, "
         "first result)", f"{first:.2f} s"],
        ["slider step, p50 (key press to idle, redrawn)", f"{statistics.median(steps):.0f} ms"],
        ["slider step, p95", f"{q[-1]:.0f} ms"],
        ["Tab presses from the query to the first Play", str(tabs)],
    ]))


if __name__ == "__main__":
    main()
