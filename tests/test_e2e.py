"""End to end in a real browser: Debian's Chromium, driven by Playwright, against `streamlit run`.

The server is started as a user would, with the project's own settings: it must listen on
loopback only, and its link box must refuse server paths and inside addresses. Then it ingests a
clip with captions through the Add video page, searches one of its lines with the slider at
"dialogue", and expects that line's moment first. Screenshots of every page are saved to
test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT
from media import SCENES, write_video

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
LINES = """WEBVTT

00:00:00.500 --> 00:00:02.500
Welcome aboard the red ship.

00:00:03.200 --> 00:00:05.500
Green means go.

00:00:06.200 --> 00:00:08.500
The blue door is locked from the inside.
"""
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not CHROMIUM.is_file(), reason="Debian's chromium (/usr/bin/chromium) is absent; "
    "`make test` installs it")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SITE_HOST = "127.0.0.2"
"""Where the test's own site listens: the one address inside the machine the app may fetch
from (its operator's ``ONEFRAME_ALLOW_NETWORKS``); 127.0.0.1, the app's own, stays refused."""


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[str]:
    env = {**os.environ, "ONEFRAME_ALLOW_NETWORKS": f"{SITE_HOST}/32"}
    port = free_port()
    log = (tmp_path / "streamlit.log").open("w")
    process = subprocess.Popen(  # no --server.address: .streamlit/config.toml decides
        [sys.executable, "-m", "streamlit", "run", "Home.py", "--server.port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("streamlit did not start: " + (tmp_path / "streamlit.log").read_text())
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def outward_address() -> str | None:
    """This machine's address on its network (no packet is sent), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.254.254.254", 1))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def check_served_to_this_machine_only(url: str, log: Path) -> None:
    """The app listens on loopback only (config.toml), not on every interface."""
    port = int(url.rsplit(":", 1)[1])
    assert "Network URL" not in log.read_text()
    address = outward_address()
    if address is not None:
        with pytest.raises(OSError), socket.create_connection((address, port), timeout=3):
            pass


def check_video_route_answers_bad_ids(url: str) -> None:
    """A malformed or unknown id is a 404, never a server error."""
    for vid in ("x" * 300, "file-0000000000000000", "..%2F..%2Fetc%2Fpasswd", "%00", ".lock",
                "yt-" + "%C3%A9" * 40):
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(f"{url}/oneframe/video/{vid}", timeout=10)
        assert answer.value.code in (400, 404), vid


def settle(page) -> None:
    """Wait until the app has finished the run the last action started.

    Streamlit can drop a button click that arrives while a rerun is being replaced by another
    (the trigger value goes with the interrupted run), so each step waits for the app to be idle.
    """
    idle = page.locator("[data-testid=stApp][data-test-script-state=notRunning]")
    for _ in range(2):  # twice, so a rerun that starts just after the first check is seen
        page.wait_for_timeout(300)
        idle.wait_for()


def upload(page, field, path: Path) -> None:
    """Hand `path` to a file uploader and wait until the app lists it and has rerun."""
    from playwright.sync_api import expect

    field.set_input_files(str(path))
    expect(page.get_by_text(path.name)).to_be_visible()
    settle(page)


def check_still(download, to: Path) -> None:
    """A still is the video's frame at full size (160 x 96), named by title and time."""
    from PIL import Image

    assert re.fullmatch(r"Colours 0m06(\.\d)?s\.png", download.suggested_filename)
    download.save_as(to)
    with Image.open(to) as image:
        assert image.format == "PNG" and image.size == (160, 96)


def check_clip(download, to: Path) -> None:
    """A clip is the line's span, 6.2 s to 8.5 s, as H.264 at 10 frames a second."""
    import av

    assert download.suggested_filename.endswith(".mp4")
    download.save_as(to)
    with av.open(str(to)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        frames = sum(1 for _ in container.decode(video=0))
    assert abs(frames - 23) <= 1


def test_ingest_then_find_a_line_in_a_real_browser(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    check_served_to_this_machine_only(server, tmp_path / "streamlit.log")
    check_video_route_answers_bad_ids(server)
    video = write_video(tmp_path / "Colours.mp4", SCENES)
    captions = tmp_path / "Colours.vtt"
    captions.write_text(LINES)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.set_default_timeout(90_000)
        expect.set_options(timeout=90_000)

        # The server's first visit is a deep link: it must still run inside Home.py's
        # navigation, not as a bare page from Streamlit's old pages/ folder mode.
        page.goto(server + "/search")
        expect(page.get_by_text("add a video first")).to_be_visible()
        expect(page.get_by_role("link", name="Add video")).to_be_visible()
        expect(page.get_by_role("link", name="ui", exact=True)).to_have_count(0)

        page.goto(server)
        expect(page.get_by_text("Your library is empty")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "1-library-empty.png"))

        # The link box is for web links: a server path or an inside address is refused.
        page.goto(server + "/ingest")
        link = page.get_by_role("textbox", name="Video link")
        for typed, says in (("/etc/passwd", "not a web link"),
                            (server + "/oneframe/video/x", "loopback"),
                            ("http://169.254.169.254/latest/meta-data/", "link-local"),
                            ("https://evil.example.com/x?a=1&next=javascript:alert(1)",
                             "Could not fetch")):
            link.fill(typed)
            link.press("Enter")  # Enter in the link box adds, as the button does
            settle(page)
            expect(page.get_by_text(says)).to_be_visible()
        # a link a visitor typed, quoted in a message, is text: never made a link
        expect(page.locator("[data-testid=stAlert] a")).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / "0-ingest-refused.png"))
        page.get_by_role("link", name="Library").click()
        expect(page.get_by_text("Your library is empty")).to_be_visible()

        page.get_by_role("link", name="Add video").click()
        page.get_by_text("Video file", exact=True).click()
        settle(page)
        expect(page.locator("input[type=file]")).to_have_count(2)  # video, captions
        expect(page.get_by_text("Cookies file")).to_have_count(0)  # a file needs no signing in

        def uploader(label: str):
            return page.locator("[data-testid=stFileUploader]").filter(
                has_text=label).locator("input[type=file]")

        # the video goes to the upload route, streamed to disk; the page reruns when it's there
        page.locator(".of-upload input[type=file]").set_input_files(str(video))
        expect(page.get_by_text("Colours.mp4 · ")).to_be_visible()
        settle(page)
        upload(page, uploader("Captions (optional)"), captions)
        page.get_by_role("button", name="Add to library").click()
        try:
            expect(page.get_by_text("is in the library")).to_be_visible()
        finally:
            page.screenshot(path=str(ARTIFACTS / "2-ingest-done.png"))
        page.screenshot(path=str(ARTIFACTS / "2-ingest-done.png"))

        page.get_by_text("Search this video now").click()
        query = page.get_by_label("Describe the moment")
        query.fill("the blue door was locked")
        query.press("Enter")  # Enter runs the search
        settle(page)
        slider = page.get_by_role("slider")
        slider.focus()
        slider.press("Home")
        expect(slider).to_have_attribute("aria-valuetext", "0.00")
        first = page.get_by_text("#1 ·").first
        expect(first).to_contain_text("0:06.2")
        settle(page)
        # From the query box, a few Tabs reach the first result's Play button.
        query.focus()
        tabs = 0
        while tabs < 12 and not page.evaluate(
                "document.activeElement.innerText || ''").strip().endswith("Play"):
            page.keyboard.press("Tab")
            tabs += 1
        assert tabs <= 6, f"{tabs} Tabs from the query to the first result"
        expect(page.locator("mark").first).to_be_visible()
        expect(page.locator("[data-testid=stImage] img").first).to_be_visible()
        expect(page.locator("[data-testid=stVegaLiteChart]").first).to_be_visible()
        time.sleep(1)  # let the chart finish drawing before the screenshot
        page.screenshot(path=str(ARTIFACTS / "3-search-dialogue.png"))

        # Play streams the file through Home.py's route, in byte ranges, not from memory.
        settle(page)
        page.get_by_role("button", name="Play").first.click()
        player = page.locator("video")
        expect(player).to_have_attribute("src", re.compile(r"^http://127\.0\.0\.1:\d+/oneframe/"
                                                           r"video/file-\w+$"))
        source = player.get_attribute("src")
        with urllib.request.urlopen(urllib.request.Request(
                source, headers={"Range": "bytes=0-99"})) as answer:
            assert answer.status == 206 and answer.headers["Content-Type"] == "video/mp4"
            assert answer.read() == video.read_bytes()[:100]
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(server + "/oneframe/video/file-0000000000000000")

        # The first card's "Take it" menu: a full-size still, a clip, a link to the moment.
        page.get_by_role("button", name="Take it").first.click()
        with page.expect_download() as still:
            page.get_by_role("button", name="Still (PNG, full size)").click()
        check_still(still.value, tmp_path / "still.png")
        with page.expect_download() as clip:
            page.get_by_role("button", name=re.compile(r"^Clip ")).click()
        check_clip(clip.value, tmp_path / "clip.mp4")
        moment_link = page.locator("[data-testid=stPopoverBody] code").first.inner_text()
        assert re.fullmatch(re.escape(server) + r"/search\?play=file-\w+&t=6\.2", moment_link)
        page.screenshot(path=str(ARTIFACTS / "3-take-it.png"))
        page.keyboard.press("Escape")
        other = browser.new_page(viewport={"width": 1200, "height": 900})
        other.goto(moment_link)  # a new visitor, at the moment: the player opens at 0:06.2
        expect(other.get_by_text("from 0:06.2")).to_be_visible()
        expect(other.locator("video")).to_have_count(1)
        other.close()

        page.get_by_role("link", name="Compare").click()  # in the same session, via the sidebar
        page.get_by_label("Variant A").fill("the blue door is locked")
        page.get_by_label("Variant A").press("Enter")
        page.get_by_label("Variant B").fill("a red scene")
        page.get_by_label("Variant B").press("Enter")
        expect(page.get_by_text("#1 ·").first).to_be_visible()
        expect(page.locator("[data-testid=stVegaLiteChart]").first).to_be_visible()
        time.sleep(1)
        page.screenshot(path=str(ARTIFACTS / "4-compare.png"))

        page.get_by_role("link", name="Library").click()
        expect(page.get_by_text("Colours").first).to_be_visible()
        expect(page.get_by_text("3 caption lines")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "5-library.png"))

        # Back on Search, the query and the slider are as they were left.
        page.get_by_role("link", name="Search").click()
        expect(page.get_by_label("Describe the moment")).to_have_value("the blue door was locked")
        expect(page.get_by_role("slider")).to_have_attribute("aria-valuetext", "0.00")
        expect(page.get_by_text("#1 ·").first).to_contain_text("0:06.2")
        expect(page.get_by_text("Session State API")).to_have_count(0)

        check_a_feed_searched_by_its_lines_before_its_pictures(page, server, video)
        browser.close()


def check_a_feed_searched_by_its_lines_before_its_pictures(page, server: str, video: Path
                                                           ) -> None:
    """A feed added as a collection, dialogue only: its line is found on a card without a
    frame; once its pictures are fetched (from the Library page), the same card has one."""
    from feeds import Feed, FeedServer
    from playwright.sync_api import expect

    site = FeedServer(Feed(2), video, host=SITE_HOST)
    try:
        page.goto(server + "/ingest")
        link = page.get_by_role("textbox", name="Video link")
        link.fill(site.url)
        link.press("Enter")
        expect(page.get_by_text("Loopback Channel: 2 videos")).to_be_visible()
        settle(page)
        page.get_by_text("Dialogue only for now").click()
        settle(page)
        page.screenshot(path=str(ARTIFACTS / "6-collection-choose.png"))
        page.get_by_role("button", name="Add 2 videos: dialogue first").click()
        expect(page.get_by_text("2 searchable by dialogue")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "6-collection-progress.png"))
        assert site.feed.requested("/media/") == []

        def find_the_line() -> None:  # from the collection on the Library page
            page.get_by_role("link", name="Library").click()
            page.get_by_role("button", name="Search it").click()
            query = page.get_by_label("Describe the moment")
            query.fill("nobody expected a compass at number 1")
            query.press("Enter")
            settle(page)
            expect(page.get_by_text("#1 ·").first).to_contain_text("0:06.")

        find_the_line()
        expect(page.get_by_text("Picture not fetched yet").first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "6-collection-dialogue-card.png"))
        page.get_by_role("link", name="Library").click()
        page.get_by_role("button", name="Fetch pictures").first.click()
        expect(page.get_by_text("2 with pictures")).to_be_visible()
        assert len(site.feed.requested("/media/")) == 2
        find_the_line()
        expect(page.get_by_text("Picture not fetched yet")).to_have_count(0)
        expect(page.locator("[data-testid=stImage] img").first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "6-collection-picture-card.png"))
    finally:
        site.close()
