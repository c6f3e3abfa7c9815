"""Every dashboard page through Streamlit's AppTest, on a real library made in a temp dir."""

from __future__ import annotations

import html
import shutil
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT, SENTENCE_MODEL
from media import SCENES, write_video
from streamlit.testing.v1 import AppTest

from dashboard.safe import WORD_JOINER
from dashboard.ui import UNEXPECTED
from oneframe.ingest.pipeline import ingest
from oneframe.library.folders import Library

LINES = """WEBVTT

00:00:00.500 --> 00:00:02.500
Welcome aboard the red ship.

00:00:03.200 --> 00:00:05.500
<b>Green</b> means go, <script>alert(1)</script>

00:00:06.200 --> 00:00:08.500
The blue door is locked from the inside.
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    """A library with a captioned video and a silent one, built once through real ingest."""
    folder = tmp_path_factory.mktemp("demo")
    video = write_video(folder / "Colours.mp4", SCENES)
    (folder / "Colours.vtt").write_text(LINES)
    silent = write_video(folder / "Silent.mp4", [(4.0, (120, 30, 160)), (4.0, (20, 160, 160))])
    library = Library(folder / "library")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ONEFRAME_MODEL", str(tiny_model_dir))
        if SENTENCE_MODEL is not None:
            patch.setenv("ONEFRAME_DIALOG_MODEL", str(SENTENCE_MODEL))
        ingest(str(video), library=library)
        ingest(str(silent), library=library)
    return library.root


@pytest.fixture()
def app(demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    root = tmp_path / "library"
    shutil.copytree(demo, root)
    monkeypatch.setenv("ONEFRAME_LIBRARY", str(root))
    return AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120)


def page(at: AppTest, name: str) -> AppTest:
    at.switch_page(f"pages/{name}.py")
    return at.run()


def finish_ingest(at: AppTest, timeout: float = 120) -> AppTest:
    """Rerun the page, as its live panel does, until the queued ingest has ended."""
    deadline = time.monotonic() + timeout
    while busy(at) and time.monotonic() < deadline:
        time.sleep(0.1)
        at.run()
    assert not busy(at), "the ingest did not finish"
    return at


def busy(at: AppTest) -> bool:
    return "jobs" in at.session_state and bool(at.session_state["jobs"])


def put(token: str, name: str, data: bytes, chunk: int = 1 << 16) -> int:
    """Send a file to the upload route as the browser's box does (a PUT, chunk by chunk);
    the answer's status."""
    import asyncio
    from urllib.parse import quote

    from starlette.exceptions import HTTPException
    from starlette.requests import Request

    from dashboard import upload_route

    at = [0]  # where the next chunk starts: sliced as it is sent, as a socket reads

    async def receive() -> dict:
        if at[0] <= len(data):
            body = data[at[0]:at[0] + chunk]
            at[0] += chunk
            return {"type": "http.request", "body": body, "more_body": at[0] < len(data)}
        return {"type": "http.disconnect"}

    scope = {"type": "http", "method": "PUT", "path": "/", "path_params": {"token": token},
             "headers": [(b"x-file-name", quote(name).encode()),
                         (b"content-length", str(len(data)).encode())]}
    try:
        return asyncio.run(upload_route.upload(Request(scope, receive))).status_code
    except HTTPException as refused:
        return refused.status_code


def upload_video(at: AppTest, name: str, data: bytes) -> AppTest:
    """Choose a video file on the Add video page: its box sends it, the page reruns."""
    assert put(at.session_state["video_upload"], name, data) == 204
    return at.run()


def text_of(at: AppTest) -> str:
    """The page's Markdown as a reader sees its characters (entities decoded)."""
    return html.unescape("\n".join(str(m.value) for m in at.markdown)).replace(WORD_JOINER, "")


def shown(elements) -> str:
    """What alerts, captions or labels say, entities decoded."""
    return html.unescape("\n".join(str(getattr(e, "value", "") or getattr(e, "label", ""))
                                   for e in elements)).replace(WORD_JOINER, "")


def ok(at: AppTest) -> bool:
    """The run raised nothing and no page showed the unexpected-failure message."""
    return not at.exception and UNEXPECTED not in shown(at.error)


def test_library_lists_videos_and_removes_after_confirmation(app: AppTest) -> None:
    at = app.run()
    assert ok(at)
    shown = text_of(at)
    assert "Colours" in shown and "Silent" in shown
    assert "caption file" in shown and "no dialogue" in shown and "3 caption lines" in shown
    assert len(at.get("image")) >= 2
    silent = next(r for r in Library().list() if r.title == "Silent")
    at.button(key=f"remove-{silent.id}").click().run()
    assert any("Remove it?" in w.value for w in at.warning)
    at.button(key=f"no-{silent.id}").click().run()
    assert (Library().root / silent.id).is_dir()
    at.button(key=f"remove-{silent.id}").click().run()
    at.button(key=f"yes-{silent.id}").click().run()
    assert ok(at) and not (Library().root / silent.id).exists()
    assert "Silent" not in text_of(at) and "Colours" in text_of(at)


def test_empty_library_says_what_to_do(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ONEFRAME_LIBRARY", str(tmp_path / "empty"))
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60).run()
    assert ok(at) and "library is empty" in shown(at.info)
    for name in ("search", "compare"):
        assert "add a video first" in page(at, name).info[0].value


def test_ingest_page_adds_an_uploaded_video_with_captions(app: AppTest, scene_video) -> None:
    at = page(app.run(), "ingest")
    at.radio(key="source_kind").set_value("Video file").run()
    upload_video(at, "Holiday.mp4", scene_video.read_bytes())
    at.file_uploader(key="caption_file-0").upload("Holiday.srt", b"1\n00:00:01,000 --> "
                                                b"00:00:02,000\nA day at the beach\n", "text/srt")
    at.number_input(key="interval").set_value(0.5)
    at.button(key="add").click().run()
    assert ok(at) and "Adding Holiday.mp4" in shown(at.status)
    assert at.status[0].state == "running"  # a spinner, not a tick, while it runs
    at = finish_ingest(at)
    assert ok(at) and not at.error
    assert "“Holiday” is in the library" in shown(at.success)
    record = next(r for r in Library().list() if r.title == "Holiday")
    assert record.cues == 1 and record.interval == 0.5 and "Holiday.mp4" in record.source
    # tried as a user: the next video added got the same captions; a caption file is one
    # video's, and each add starts with an empty box
    assert at.file_uploader(key="caption_file-1").value is None
    upload_video(at, "Other.mp4", scene_video.read_bytes() + b"\0")
    at.button(key="add").click().run()
    at = finish_ingest(at)
    other = next(r for r in Library().list() if r.title == "Other")
    assert other.cues == 0 and other.caption_kind is None


def test_ingest_runs_on_while_other_pages_are_used_and_can_be_cancelled(
        app: AppTest, scene_video, monkeypatch) -> None:
    import oneframe.ingest.pipeline as core

    real, embedding, go_on = core.ingest, threading.Event(), threading.Event()

    def held_at_embedding(source, options, *, progress, **given):
        def report(stage: str, done: int, total: int) -> None:
            progress(stage, done, total)
            if stage == "embed":
                embedding.set()
                go_on.wait(30)
        return real(source, options, progress=report, **given)

    monkeypatch.setattr(core, "ingest", held_at_embedding)
    try:
        at = page(app.run(), "ingest")
        at.radio(key="source_kind").set_value("Video file").run()
        upload_video(at, "Long.mp4", scene_video.read_bytes())
        at.button(key="add").click().run()
        assert embedding.wait(60)
        at = page(at, "library")  # the ingest keeps going while the user looks elsewhere
        assert ok(at) and "Colours" in text_of(at)
        elsewhere = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120).run()
        assert any("Adding 1 video" in link.proto.label for link in elsewhere.get("page_link"))
        at = page(at, "ingest")
        assert "Sampling frames" in shown(at.status) and at.status[0].state == "running"
        upload_video(at, "Later.mp4", scene_video.read_bytes())
        at.button(key="add").click().run()  # a second one waits its turn
        assert "waiting its turn" in shown(at.status) and len(at.status) == 2
        assert "to be added first: Long.mp4" in text_of(at)  # the job in front is named
        running, waiting = at.session_state["jobs"]
        # another window (or a tab closed and opened again) sees both, and can cancel them
        other = page(AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120).run(),
                     "ingest")
        assert "Also being added" in shown(other.caption) and len(other.status) == 2
        other.button(key=f"cancel-{running}").click().run()
        at.button(key=f"cancel-{waiting}").click().run()
    finally:
        go_on.set()
    at = finish_ingest(at)
    assert ok(at) and "nothing was added" in shown(at.info)
    assert len(Library().list()) == 2
    assert not any(p.name.startswith(".tmp") for p in Library().root.iterdir())
    # the cancelled upload is kept for a retry: the box shows it, and Add adds it
    assert "Later.mp4" in text_of(at) and "uploaded" in text_of(at)
    at.button(key="add").click().run()
    at = finish_ingest(at)
    assert any(r.title == "Later" for r in Library().list())


@pytest.mark.parametrize(("kind", "fill", "says"), [
    ("YouTube or web link", "not a link", "not a web link"),
    ("YouTube or web link", "", "Paste a video link first"),
    ("Video file", None, "Choose a video file first"),
    ("YouTube or web link", "/etc/passwd", "not a web link"),
    ("YouTube or web link", "file:///etc/passwd", "Only http:// and https:// links"),
    ("YouTube or web link", "http://127.0.0.1:8501/oneframe/video/x", "loopback"),
    ("YouTube or web link", "http://169.254.169.254/latest/meta-data/", "link-local"),
])
def test_ingest_page_errors_are_shown_and_nothing_is_added(app: AppTest, kind, fill, says):
    at = page(app.run(), "ingest")
    before = sorted(p.name for p in Library().root.iterdir())
    at.radio(key="source_kind").set_value(kind).run()
    if fill is not None:
        at.text_input(key="url").input(fill)
    at = finish_ingest(at.button(key="add").click().run())
    assert ok(at) and says in shown(at.error)
    assert sorted(p.name for p in Library().root.iterdir()) == before


def test_a_server_file_is_added_by_path_only_from_a_shared_folder(
        app: AppTest, tmp_path: Path, scene_video: Path, monkeypatch) -> None:
    media = tmp_path / "films"
    media.mkdir()
    shutil.copyfile(scene_video, media / "Harbour.mp4")
    shutil.copyfile(scene_video, tmp_path / "Private.mp4")
    at = page(app.run(), "ingest")
    at.text_input(key="url").input(str(media / "Harbour.mp4"))
    at = finish_ingest(at.button(key="add").click().run())
    assert "not a web link" in shown(at.error) and len(Library().list()) == 2
    monkeypatch.setenv("ONEFRAME_MEDIA_DIRS", str(media))
    at.text_input(key="url").input(str(media / ".." / "Private.mp4"))
    at = finish_ingest(at.button(key="add").click().run())
    assert "not in one of the media folders" in shown(at.error) and len(Library().list()) == 2
    at.text_input(key="url").input(str(media / "Harbour.mp4"))
    at = finish_ingest(at.button(key="add").click().run())
    assert ok(at) and "“Harbour” is in the library" in shown(at.success)


def test_ingest_page_bad_upload(app: AppTest) -> None:
    at = page(app.run(), "ingest")
    at.radio(key="source_kind").set_value("Video file").run()
    upload_video(at, "broken.mp4", b"not a video" * 100)
    at = finish_ingest(at.button(key="add").click().run())
    said = shown(at.error)
    assert ok(at) and "broken.mp4: could not be opened as a video" in said
    assert "video.mp4" not in said and "oneframe-upload" not in said  # names what was given
    assert len(Library().list()) == 2


def raw_of(at: AppTest) -> str:
    """The page's Markdown as sent to the browser."""
    return "\n".join(str(m.value) for m in at.markdown)


def test_search_page_ranks_highlights_plays_and_exports(app: AppTest) -> None:
    at = page(app.run(), "search")
    assert ok(at) and at.button(key="go").label == "Search"
    at.text_input(key="query").input("the blue door was locked")
    at.button(key="go").click().run()
    at.slider(key="weight").set_value(0.0).run()
    assert ok(at)
    cards = text_of(at)
    first = cards.index("#1 ·")
    assert "0:06.2" in cards[first:first + 40]
    assert "<mark>blue door</mark> is <mark>locked</mark>" in cards
    assert "the line that matched, from the caption file" in cards
    assert {d.label for d in at.get("download_button")} >= {"CSV", "JSON"}
    at.button(key="hit-1-play").click().run()
    [video] = at.get("video")
    assert ok(at) and video.proto.start_time == 6  # from the start of the line (6.2 s)
    at.slider(key="weight").set_value(1.0).run()  # picture only: a random model may match nothing
    assert ok(at) and ("#1 ·" in text_of(at) or "Nothing matched well" in shown(at.warning))


def test_the_weight_follows_the_query_until_the_user_moves_it(app: AppTest) -> None:
    at = page(app.run(), "search")
    assert at.slider(key="weight").value == 0.5
    at.text_input(key="query").input("the guard tells her the blue door was locked").run()
    assert ok(at) and at.slider(key="weight").value == 0.2  # a line described: dialogue
    assert "said: the blue door was locked" in shown(at.caption)
    at.text_input(key="query").input("a harbour at dawn and he says the door was locked").run()
    assert at.slider(key="weight").value == 0.5  # seen and said
    assert "seen: a harbour at dawn / said: the door was locked" in shown(at.caption)
    at.slider(key="weight").set_value(0.9).run()  # the user's now
    at.text_input(key="query").input("she tells him the blue door was locked").run()
    assert ok(at) and at.slider(key="weight").value == 0.9
    at = page(at, "compare")
    at.text_input(key="variant-0").input("the guard says the door was locked").run()
    assert ok(at) and at.slider(key="weight-0").value == 0.2


def test_the_split_can_be_edited(app: AppTest) -> None:
    """The boxes show how the query was read; edited, they become the query, and the weight
    follows the new split."""
    at = page(app.run(), "search")
    at.text_input(key="query").input("the guard tells her the blue door was locked -dog").run()
    [seen, said] = [box for box in at.text_input if box.key.startswith("split-weight-")]
    assert (seen.label, seen.value, said.label, said.value) == (
        "Seen", "", "Said", "the blue door was locked")
    seen.input("a harbour at dawn")
    said.input('the "blue door" was locked')
    at.button(key="split-weight").click().run()
    assert ok(at) and at.text_input(key="query").value == (
        'seen: a harbour at dawn said: the "blue door" was locked -dog')
    assert at.slider(key="weight").value == 0.5
    assert ("seen: a harbour at dawn / said: the blue door was locked / must say: “blue door” "
            "/ not: dog") in shown(at.caption)
    at = page(at, "compare")  # each variant has its own
    at.text_input(key="variant-1").input("a harbour at dawn").run()
    [said] = [box for box in at.text_input if box.key.startswith("split-weight-1-said")]
    said.input("the door was locked")
    at.button(key="split-weight-1").click().run()
    assert ok(at) and at.text_input(key="variant-1").value == (
        "seen: a harbour at dawn said: the door was locked")
    assert at.slider(key="weight-1").value == 0.5


def test_markers_of_lines_with_apostrophes_are_offered_and_what_can_t_be_made_says_why(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tried as a user: FCPXML of a line with an apostrophe crashed, and on the Search page the
    menu item silently did nothing. Every marker format is made when the menu is drawn: a
    button for each, or a caption saying why not (two moments make no YouTube chapters)."""
    video = write_video(tmp_path / "Quotes.mp4", [(4.0, (40, 40, 200)), (4.0, (40, 200, 40))])
    (tmp_path / "Quotes.vtt").write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nIt's 5:30, don't go & <stay>.\n\n"
        "00:00:05.000 --> 00:00:06.500\nShe said \"it's over\".\n")
    monkeypatch.setenv("ONEFRAME_LIBRARY", str(tmp_path / "library"))
    ingest(str(video), ocr="off", speech="off")
    at = page(AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120).run(), "search")
    at.text_input(key="query").input("it's 5:30 don't go")
    at.slider(key="weight").set_value(0.0).run()
    labels = {d.label for d in at.get("download_button")}
    assert ok(at) and {"EDL (CMX 3600)", "FCPXML (Final Cut Pro, Resolve)",
                       "FCP 7 XML (Premiere)", "OpenTimelineIO", "SRT of the moments"} <= labels
    assert "YouTube chapters" not in labels
    assert "at least three" in shown(at.caption)


def test_search_results_leave_as_markers_and_a_supercut_made_in_the_background(
        app: AppTest) -> None:
    from dashboard.takeout import export_jobs

    at = page(app.run(), "search")
    at.text_input(key="query").input("the blue door was locked")
    at.slider(key="weight").set_value(0.0).run()
    labels = {d.label for d in at.get("download_button")}
    assert ok(at) and {"EDL (CMX 3600)", "FCPXML (Final Cut Pro, Resolve)",
                       "FCP 7 XML (Premiere)", "SRT of the moments"} <= labels
    assert {"Still (PNG, full size)", "Still with the line"} <= labels
    assert any(label.startswith("Clip 0:06.2–0:08.5") for label in labels)
    at.button(key="search-bulk-make").click().run()
    job_id, _ = at.session_state["search-bulk-supercut"]
    job = export_jobs().get(job_id)
    for _ in range(600):
        if job.finished:
            break
        time.sleep(0.05)
    assert job.state == "done" and job.record.is_file(), job.error
    at.run()
    assert ok(at) and "Download the supercut" in {d.label for d in at.get("download_button")}
    at.button(key="search-bulk-supercut-forget").click().run()
    assert ok(at) and not job.record.exists() and export_jobs().get(job_id) is None
    assert "search-bulk-supercut" not in at.session_state


def test_a_link_to_a_moment_opens_the_player_there(app: AppTest) -> None:
    at = page(app.run(), "search")
    vid = next(iter(Library().list())).id
    at.query_params["play"], at.query_params["t"] = vid, "6.2"
    at.run()
    assert ok(at) and at.get("video")[0].proto.start_time == 6
    assert "play" not in at.query_params
    at.query_params["play"], at.query_params["t"] = "file-0000000000000000", "1"
    at.run()
    assert ok(at) and "doesn't hold" in shown(at.warning)


def test_search_by_a_frame_scores_no_dialogue(app: AppTest) -> None:
    at = page(app.run(), "search")
    at.text_input(key="query").input("the blue door was locked").run()
    at.slider(key="weight").set_value(0.0).run()
    at.button(key="hit-1-like").click().run()
    assert ok(at) and "Frames that look like" in shown(at.info)
    cards = text_of(at)
    assert "#1 ·" in cards and "no dialogue" not in cards and ">dialogue<" not in cards
    at.button(key="clear-like").click().run()
    assert "Frames that look like" not in shown(at.info)


def test_search_page_escapes_caption_markup(app: AppTest) -> None:
    at = page(app.run(), "search")
    at.text_input(key="query").input("green means go").run()
    at.slider(key="weight").set_value(0.0).run()
    assert "Green means go" in text_of(at) and "<script>" not in raw_of(at)


def test_untrusted_titles_and_notes_render_as_text(app: AppTest) -> None:
    """A title or note written by a video's source is shown as its characters: no live link,
    no Markdown, no HTML, no Streamlit directives, on every page."""
    import json

    hostile = "[Click](https://evil.example) **bold** <b>x</b> :red[y] $x$"
    colours = next(r for r in Library().list() if r.title == "Colours")
    manifest = colours.path / "manifest.json"
    data = json.loads(manifest.read_text())
    data["title"], data["notes"] = hostile, ["See [this](https://evil.example/help)"]
    manifest.write_text(json.dumps(data))
    at = app.run()
    raw = raw_of(at) + "\n".join(str(w.value) for w in at.warning)
    assert hostile in text_of(at)  # every character is there to read
    for live in ("[Click](", "](https://", "https://evil", "**bold**", "<b>x", ":red[", "$x$"):
        assert live not in raw
    at = page(at, "search")
    at.text_input(key="query").input("the blue door was locked").run()
    at.slider(key="weight").set_value(0.0).run()
    assert hostile in text_of(at) and "](https://" not in raw_of(at)
    at.button(key="hit-1-like").click().run()
    assert hostile in shown(at.info) and "](https://" not in "".join(i.value for i in at.info)


def test_a_video_removed_elsewhere_disappears_gracefully(app: AppTest) -> None:
    """Another session or the CLI removes a video this session is looking at."""
    colours = next(r for r in Library().list() if r.title == "Colours")
    silent = next(r for r in Library().list() if r.title == "Silent")
    at = page(app.run(), "search")
    at.text_input(key="query").input("the blue door was locked").run()
    at.slider(key="weight").set_value(0.0).run()
    at.button(key="hit-1-play").click().run()
    assert at.get("video")
    Library().remove(colours.id)  # `oneframe remove` in a terminal
    at.button(key="hit-1-like").click().run()  # card #1 was Colours: never another video's
    assert ok(at) and not at.get("video") and "Colours" not in text_of(at)
    assert "like" not in at.session_state
    assert "removed from the library meanwhile" in shown(at.warning)
    at = page(at, "library")
    assert ok(at) and "Colours" not in text_of(at) and "Silent" in text_of(at)
    at.button(key=f"remove-{silent.id}").click().run()
    Library().remove(silent.id)  # removed again elsewhere while this one confirms
    at.button(key=f"yes-{silent.id}").click().run()
    assert ok(at) and "library is empty" in shown(at.info)
    fresh = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120).run()
    assert ok(fresh) and "library is empty" in shown(fresh.info)


def test_a_video_added_by_the_cli_shows_in_a_running_session(app: AppTest, tmp_path) -> None:
    at = app.run()
    assert "Dusk" not in text_of(at)
    ingest(str(write_video(tmp_path / "Dusk.mp4", [(2.0, (90, 20, 120))])))  # the CLI
    at.run()
    assert ok(at) and "Dusk" in text_of(at)


def test_an_unexpected_failure_is_a_message_not_a_traceback(app: AppTest, monkeypatch) -> None:
    from oneframe.search.index import SearchIndex

    def broken(*args, **kwargs):
        raise RuntimeError("boom in /srv/secret/path")

    monkeypatch.setattr(SearchIndex, "search", broken)
    at = page(app.run(), "search")
    at.text_input(key="query").input("anything").run()
    assert not at.exception and UNEXPECTED in shown(at.error)
    assert "boom" not in shown(at.error) and "/srv/secret" not in shown(at.error)
    assert "RuntimeError" in shown(at.error)


@pytest.fixture()
def planted_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """Two videos with planted vectors: "North" shows a red door (strongly) and a blue sky,
    "South" a blue sky (less clearly) and a red door (less clearly)."""
    from planted import image_like, plant, showing

    from oneframe.dialogue.captions import Cue
    from oneframe.encoders.dual import load_encoder, resolve_model

    monkeypatch.setenv("ONEFRAME_LIBRARY", str(tmp_path / "planted"))
    door, sky = load_encoder().embed_texts(["a red door", "blue sky"])
    times = [float(t) for t in range(40)]
    north = image_like(40, ["a red door", "blue sky", "zzqx flibbertigibbet"], seed=1)
    north[5], north[30] = showing(north[5], door, 0.8), showing(north[30], sky, 0.6)
    south = image_like(40, ["a red door", "blue sky", "zzqx flibbertigibbet"], seed=2)
    south[10], south[20] = showing(south[10], sky, 0.45), showing(south[20], door, 0.45)
    cues = [Cue(12.0, 14.0, "Close the red door behind you.")]
    plant(Library(), "north", times, north, cues, resolve_model(), title="North")
    plant(Library(), "south", times, south, [], resolve_model(), title="South")
    return AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120)


def test_a_nonsense_query_says_nothing_matched(planted_app: AppTest) -> None:
    at = page(planted_app.run(), "search")
    at.text_input(key="query").input("zzqx flibbertigibbet").run()
    assert ok(at) and "Nothing matched well" in shown(at.warning) and "#1 ·" not in text_of(at)
    at.button(key="closest").click().run()
    assert ok(at) and "#1 ·" in text_of(at) and "none matched well" in shown(at.caption)
    at.text_input(key="query").input("a red door").run()
    assert "#1 ·" in text_of(at) and "none matched well" not in shown(at.caption)


def chart_column(at: AppTest, name: str) -> list:
    """The values of field ``name`` in the data of the page's first chart's layers."""
    import json

    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    for layer in spec.get("layer", [spec]):
        rows = layer.get("data", {}).get("values", [])
        if rows and name in rows[0]:
            return [row[name] for row in rows]
    return []


def test_the_timeline_follows_the_best_hit_and_numbers_markers_as_cards(
        planted_app: AppTest) -> None:
    at = page(planted_app.run(), "search")
    at.slider(key="weight").set_value(1.0)
    at.text_input(key="query").input("a red door").run()
    cards = text_of(at)
    assert ok(at) and cards.index("North") < cards.index("South")
    [pick] = at.selectbox
    assert pick.value == "north"
    pick.set_value("south").run()  # the user looks at the other video's timeline
    marked = chart_column(at, "rank")
    heads = [html.unescape(m.value) for m in at.markdown if "of-time" in m.value]
    south_cards = [int(h.split("#")[1].split(" ")[0]) for h in heads if "South" in h]
    assert marked == [str(n) for n in south_cards] and marked != ["1"]
    at.text_input(key="query").input("blue sky").run()  # a new search: its best video
    [pick] = at.selectbox
    assert pick.value == "north"


def test_compare_plays_and_exports(app: AppTest) -> None:
    at = page(app.run(), "compare")
    at.text_input(key="variant-0").input("the blue door is locked")
    at.slider(key="weight-0").set_value(0.0).run()
    assert ok(at) and {d.label for d in at.get("download_button")} >= {"CSV", "JSON"}
    at.button(key="cmp-A-1-play").click().run()
    assert ok(at) and at.get("video")[0].proto.start_time == 6


def test_search_page_one_video_from_the_library(app: AppTest) -> None:
    at = app.run()
    colours = next(r for r in Library().list() if r.title == "Colours")
    at.button(key=f"search-{colours.id}").click().run()
    assert ok(at)
    assert at.multiselect(key="videos").value == [colours.id]
    assert "searching 1 of 2 videos" in shown(at.expander)
    at.text_input(key="query").input("a purple scene").run()
    assert ok(at) and "Silent" not in text_of(at)


def test_compare_page_marks_shared_hits(app: AppTest) -> None:
    at = page(app.run(), "compare")
    at.text_input(key="variant-0").input("the blue door is locked")
    at.text_input(key="variant-1").input("blue door locked inside")
    at.slider(key="weight-0").set_value(0.0)
    at.slider(key="weight-1").set_value(0.0).run()
    assert ok(at)
    assert "also in B" in text_of(at) and "also in A" in text_of(at)
    at.number_input(key="variants").set_value(3).run()
    assert ok(at) and at.text_input(key="variant-2")


def test_burned_in_subtitles_through_the_pages(app: AppTest, tmp_path: Path) -> None:
    import cv2
    from media import write_subtitled_video

    video = write_subtitled_video(tmp_path / "Harbour.mp4", [
        (1.0, 3.0, "Meet me at the old harbour", cv2.FONT_HERSHEY_DUPLEX, (0, 230, 255))], 4.0)
    at = page(app.run(), "ingest")
    at.radio(key="source_kind").set_value("Video file").run()
    upload_video(at, "Harbour.mp4", video.read_bytes())
    at = finish_ingest(at.button(key="add").click().run())
    assert ok(at) and "burned-in subtitles" in shown(at.success)
    at = page(at, "library")
    assert "1 burned-in line ·" in text_of(at)
    at = page(at, "search")
    at.text_input(key="query").input("meet me at the harbour").run()
    at.slider(key="weight").set_value(0.0).run()
    assert ok(at)
    assert "<mark>Meet</mark>" in text_of(at)
    assert "from the burned-in subtitles" in text_of(at)
    at.button(key="hit-1-play").click().run()
    [video] = at.get("video")
    assert not video.proto.subtitles  # already in the picture: not drawn a second time


def test_moving_the_slider_encodes_nothing_again(app: AppTest, monkeypatch) -> None:
    from oneframe.encoders.dual import Encoder
    from oneframe.encoders.sentences import SentenceEncoder

    calls = {"text": 0, "sentence": 0}
    encode_text, encode_sentence = Encoder.embed_texts, SentenceEncoder.embed

    def counted_text(self, texts):
        calls["text"] += 1
        return encode_text(self, texts)

    def counted_sentence(self, texts):
        calls["sentence"] += 1
        return encode_sentence(self, texts)

    monkeypatch.setattr(Encoder, "embed_texts", counted_text)
    monkeypatch.setattr(SentenceEncoder, "embed", counted_sentence)
    at = page(app.run(), "search")
    at.text_input(key="query").input("a line nobody has typed before").run()
    after_query = dict(calls)
    assert after_query["text"] >= 1
    assert after_query["sentence"] >= 1 or SENTENCE_MODEL is None
    for weight in (0.0, 0.3, 0.8, 1.0):
        at.slider(key="weight").set_value(weight).run()
        assert ok(at)
    assert calls == after_query


def test_ingest_progress_reads_as_steps_done_and_one_bar_while_decoding() -> None:
    from dashboard.progress import progress_view

    finished, bars = progress_view([("probe", 0, 1), ("download", 1, 1), ("captions", 1, 1),
                                    ("frames", 150, 600), ("embed", 128, 128), ("ocr", 3, 0)])
    assert finished == ["Looked at the source", "Got the video", "Read the captions"]
    assert bars == [(0.25, "Sampling frames: 2:30.0 of 10:00.0 · 128 embedded · "
                     "3 subtitle lines")]
    finished, bars = progress_view([("probe", 0, 1), ("download", 5_000_000, 20_000_000)])
    assert finished == ["Looked at the source"] and bars == [(0.25, "Downloading: 5.0 of 20.0 MB")]
    finished, bars = progress_view([("probe", 0, 1), ("captions", 1, 1), ("speech", 750, 6300)])
    assert finished == ["Looked at the source", "Read the captions"]
    assert bars == [(750 / 6300, "Transcribing speech: 12:30.0 of 1:45:00.0")]
    finished, bars = progress_view([("frames", 600, 600), ("embed", 578, 578),
                                    ("dialog", 0, 1800)])
    assert finished == ["Sampled the frames", "Embedded the frames"]
    assert bars == [(0.0, "Indexing the dialogue: 0 of 1,800")]


def test_the_player_streams_from_the_route_of_the_server_the_browser_uses() -> None:
    from dashboard.media import video_url

    assert video_url("https://films.example:8443/search", "yt-abc_12") == \
        "https://films.example:8443/oneframe/video/yt-abc_12"
    assert video_url(None, "yt-abc") is None


def test_settings_survive_a_visit_to_another_page(app: AppTest) -> None:
    at = page(app.run(), "search")
    at.text_input(key="query").input("the blue door").run()
    at.slider(key="weight").set_value(0.2).run()
    at = page(page(at, "library"), "compare")
    at.text_input(key="variant-0").input("a red scene").run()
    at = page(at, "search")
    assert at.text_input(key="query").value == "the blue door"
    assert at.slider(key="weight").value == 0.2
    assert ok(at) and not any("Session State API" in w.value for w in at.warning)
    assert any("blue door" in m.value or "<mark>" in m.value for m in at.markdown)
    at = page(at, "compare")
    assert at.text_input(key="variant-0").value == "a red scene"


def test_the_server_warms_models_and_index_before_the_first_search(demo: Path, monkeypatch):
    from dashboard import ui, warmup
    from oneframe.encoders import models
    from oneframe.search.library import LibrarySearch

    built = []
    monkeypatch.setattr(ui, "LibrarySearch",
                        lambda lib: built.append(LibrarySearch(lib)) or built[-1])
    monkeypatch.setenv("ONEFRAME_LIBRARY", str(demo))
    monkeypatch.setattr(models, "_LOADED", {})
    ui.cached_index.clear()
    warmup.start().join(120)
    kinds = {kind.split(":")[0] for kind, _ in models._LOADED}
    assert kinds >= ({"picture", "dialogue"} if SENTENCE_MODEL else {"picture"})
    assert len(built) == 1 and len(built[0]) == 2  # the library's index, built once...
    library = Library()
    assert ui.cached_index(str(library.root), library.state()) is built[0]  # ...and shared
    assert len(built) == 1


def test_the_video_route_serves_only_an_entry_s_own_video(demo: Path, tmp_path: Path,
                                                         monkeypatch) -> None:
    """A manifest naming /etc/passwd or ../../x as its video is damage, not a file to serve."""
    import asyncio
    import json

    from starlette.exceptions import HTTPException
    from starlette.requests import Request

    from dashboard import media

    root = tmp_path / "library"
    shutil.copytree(demo, root)
    monkeypatch.setenv("ONEFRAME_LIBRARY", str(root))
    colours = next(r for r in Library().list() if r.title == "Colours")

    def get(vid: str):
        scope = {"type": "http", "method": "GET", "path": "/", "headers": [],
                 "path_params": {"vid": vid}}
        return asyncio.run(media.video(Request(scope)))

    assert get(colours.id).path == colours.video_path.resolve()
    for i, name in enumerate(("/etc/passwd", "../../../../etc/passwd", "..", "a/../../x")):
        evil = root / f"file-evil{i}"
        shutil.copytree(colours.path, evil)
        data = json.loads((evil / "manifest.json").read_text())
        (evil / "manifest.json").write_text(json.dumps({**data, "id": evil.name,
                                                        "video_file": name}))
        with pytest.raises(HTTPException) as refused:
            get(evil.name)
        assert refused.value.status_code == 404
    for vid in ("x" * 300, "../etc", ".lock", "", "file-0000000000000000"):
        with pytest.raises(HTTPException) as refused:
            get(vid)
        assert refused.value.status_code == 404
    # a video file that is a link (to a server file, or to another entry's video): not served
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0")
    for i, target in enumerate((secret, colours.video_path)):
        linked = root / f"file-linked{i}"
        shutil.copytree(colours.path, linked)
        data = json.loads((linked / "manifest.json").read_text())
        (linked / "manifest.json").write_text(json.dumps({**data, "id": linked.name}))
        (linked / colours.video_file).unlink()
        (linked / colours.video_file).symlink_to(target)
        with pytest.raises(HTTPException) as refused:
            get(linked.name)
        assert refused.value.status_code == 404
    elsewhere = tmp_path / "elsewhere"  # an entry folder that is itself a link out
    shutil.copytree(colours.path, elsewhere)
    data = json.loads((elsewhere / "manifest.json").read_text())
    (elsewhere / "manifest.json").write_text(json.dumps({**data, "id": "file-outside"}))
    (root / "file-outside").symlink_to(elsewhere)
    with pytest.raises(HTTPException):
        get("file-outside")
    assert get(colours.id).path == colours.video_path.resolve()


def test_upload_copies_are_swept_once_their_owner_is_gone(tmp_path: Path, monkeypatch) -> None:
    import subprocess
    import sys
    import tempfile

    from dashboard import uploads

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    live, remove_live = uploads.new_folder()  # this server's job, still running
    crashed = subprocess.run(  # another server made one and died without cleaning up
        [sys.executable, "-c", "import tempfile, sys; tempfile.tempdir = sys.argv[1]; "
         "from dashboard import uploads; print(uploads.new_folder()[0])", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, check=True)
    left = Path(crashed.stdout.strip())
    assert left.is_dir() and uploads.sweep() == [left]
    assert live.is_dir() and not left.exists()
    remove_live()
    assert not live.exists()


def test_a_damaged_entry_is_listed_with_remove_and_breaks_no_page(app: AppTest) -> None:
    damaged = Library().root / "file-broken"
    damaged.mkdir()
    (damaged / "manifest.json").write_text("null")
    at = app.run()
    assert ok(at) and "Colours" in text_of(at)
    assert "file-broken' is damaged" in shown(at.error)
    for name in ("search", "compare", "ingest"):
        assert ok(page(at, name))
    at = page(at, "search")
    at.text_input(key="query").input("the blue door was locked").run()
    assert ok(at) and "#1 ·" in text_of(at)
    at = page(at, "library")
    at.button(key="remove-file-broken").click().run()
    at.button(key="yes-file-broken").click().run()
    assert ok(at) and not damaged.exists() and "damaged" not in shown(at.error)


def test_sessions_asking_at_once_build_the_index_once(demo: Path, monkeypatch) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from dashboard import ui
    from oneframe.search.library import LibrarySearch

    built = []

    def slow(lib):
        time.sleep(0.3)
        built.append(LibrarySearch(lib))
        return built[-1]

    monkeypatch.setattr(ui, "LibrarySearch", slow)
    ui.cached_index.clear()
    library = Library(demo)
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda _: ui.cached_index(str(demo), library.state()), range(4)))
    assert len(built) == 1 and all(index is built[0] for index in got)


def test_a_re_ingest_elsewhere_shows_its_own_frames(app: AppTest, demo: Path) -> None:
    at = page(app.run(), "search")
    at.text_input(key="query").input("the blue door was locked").run()
    at.slider(key="weight").set_value(0.0).run()
    colours = next(r for r in Library().list() if r.title == "Colours")
    assert "#1 · 0:06.2" in text_of(at)
    again = ingest(str(demo.parent / "Colours.mp4"), interval=0.25,  # the CLI, with --replace
                   replace=True)
    assert again.id == colours.id and again.frames > colours.frames
    at.button(key="hit-1-like").click().run()  # Similar: a frame of the new index
    from dashboard import ui

    index = ui.cached_index(str(Library().root), Library().state())
    assert ok(at) and index.records[index.position[colours.id]].frames == again.frames
    video, seconds = at.session_state["like"]  # kept by time: valid in the new index too
    nearest = index.nearest_frame(video, seconds)
    assert abs(index.frame_time(video, nearest) - seconds) <= 0.25  # interval 0.25 s
    assert index.search(like=(video, seconds), top_k=1).hits[0].frame.is_file()
    assert f"Frames that look like 0:0{int(seconds)}" in shown(at.info)


def wait_for(condition, at: AppTest, timeout: float = 120) -> AppTest:
    """Rerun the page, as its live panels do, until ``condition()`` holds."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert condition(), "the collection did not get there"
    return at.run()


@pytest.mark.slow
def test_a_feed_becomes_a_collection_searchable_by_its_lines_before_its_pictures(
        app: AppTest, scene_video: Path, monkeypatch) -> None:
    from feeds import Feed, FeedServer

    from dashboard.collections import RUNS
    from oneframe.api import Collections

    monkeypatch.setenv("ONEFRAME_ALLOW_NETWORKS", "127.0.0.1/32")  # the test site is loopback
    server = FeedServer(Feed(3), scene_video)
    try:
        at = page(app.run(), "ingest")
        at.text_input(key="url").input(server.url)
        at = at.button(key="add").click().run()
        assert ok(at) and "Loopback Channel: 3 videos" in shown(at.subheader)
        at.radio(key="list_how").set_value("The newest").run()
        at.number_input(key="list_newest").set_value(2).run()
        at.checkbox(key="list_dialogue_only").check().run()
        at = at.button(key="list_add").click().run()
        assert ok(at)

        def collection():
            return Collections(Library()).all()[0]

        at = wait_for(lambda: collection().counts()["searchable"] == 2 and not RUNS.runs[
            collection().id][0].is_alive(), at)
        assert ok(at) and "2 searchable by dialogue" in shown(at.markdown)
        assert server.feed.requested("/media/") == []  # no video fetched
        at = page(at, "search")
        at.text_input(key="query").input("nobody expected a quarry").run()
        assert ok(at) and "Picture not fetched yet" in shown(at.info)
        assert "not fetched yet" in shown(at.markdown)
        at = page(at, "library")
        assert ok(at) and "Collections" in shown(at.subheader)
        cid = collection().id
        at.button(key=f"cpictures-{cid}").click().run()
        at = wait_for(lambda: collection().counts()["pictures"] == 2 and not RUNS.runs[
            cid][0].is_alive(), at)
        at = page(at, "search")
        at.text_input(key="query").input("nobody expected a quarry").run()
        assert ok(at) and "Picture not fetched yet" not in shown(at.info) and at.image
        at = page(at, "library")
        at.button(key=f"cremove-{cid}").click().run()
        at.button(key=f"cyes-{cid}").click().run()
        assert ok(at) and len(Library().list()) == 2  # the demo's two, the collection's gone
    finally:
        server.close()


def test_a_file_with_several_subtitle_tracks_offers_a_choice(app: AppTest, tmp_path: Path,
                                                            scene_video: Path) -> None:
    from media import with_subtitle_tracks

    (tmp_path / "en.srt").write_text("1\n00:00:06,200 --> 00:00:08,500\nThe blue door.\n")
    (tmp_path / "de.srt").write_text("1\n00:00:06,200 --> 00:00:08,500\nDie blaue Tür.\n")
    film = with_subtitle_tracks(scene_video, tmp_path / "Film.mkv", [
        (tmp_path / "en.srt", "eng", None, False), (tmp_path / "de.srt", "ger", None, False)])
    at = page(app.run(), "ingest")
    at.radio(key="source_kind").set_value("Video file").run()
    upload_video(at, "Film.mkv", film.read_bytes())
    at.run()
    choice = at.selectbox(key="subtitle_track")
    assert choice.value == 0 and "Automatic: #1 English subtitle track" in choice.format_func(0)
    at.text_input(key="lang").input("de").run()  # the automatic choice follows the language
    choice = at.selectbox(key="subtitle_track")
    assert choice.value == 0 and "Automatic: #2 German subtitle track" in choice.format_func(0)
    at.text_input(key="lang").input("en").run()
    choice = at.selectbox(key="subtitle_track")
    choice.select_index(2)  # the second track, German, by hand
    at = finish_ingest(at.button(key="add").click().run())
    assert ok(at) and "German subtitle track" in shown(at.success)
    record = next(r for r in Library().list() if r.title == "Film")
    assert record.track["number"] == 2 and record.caption_lang == "de"
    # tried as a user: Re-add offered no track choice; it does, set to the track in use
    at = page(at, "library")
    at.button(key=f"readd-{record.id}").click().run()
    choice = at.selectbox(key=f"readd-track-{record.id}")
    assert choice.value == 2 and "#1 English subtitle track" in choice.format_func(1)
    choice.set_value(1)
    next(b for b in at.button if b.label == "Re-add").click().run()
    at = finish_ingest(page(at, "ingest"))
    again = next(r for r in Library().list() if r.title == "Film")
    assert again.track["number"] == 1 and again.caption_lang == "en"


def test_the_picture_model_is_chosen_from_presets_and_never_a_server_folder(
        app: AppTest, scene_video: Path, monkeypatch) -> None:
    at = page(app.run(), "ingest")
    options = at.selectbox(key="picture_model").options
    assert "this server's default" in options[0] and "CLIP ViT-B/32" in options[1]
    assert "SigLIP 2" in options[2]
    at.radio(key="source_kind").set_value("Video file").run()
    upload_video(at, "Preset.mp4", scene_video.read_bytes())
    at.selectbox(key="picture_model").set_value("google/siglip2-base-patch16-256").run()
    at = finish_ingest(at.button(key="add").click().run())
    said = shown(at.error)
    assert ok(at) and "google/siglip2-base-patch16-256" in said
    assert "ONEFRAME_MODEL" not in said and "tell whoever runs this server" in said  # a visitor
    # (a preset needs the Hub on first use: here there is none, and the message says so)
    assert len(Library().list()) == 2  # nothing added
    monkeypatch.setenv("ONEFRAME_ALLOW_ANY_MODEL", "1")
    at = page(at, "ingest")
    at.selectbox(key="picture_model").set_value("other").run()
    at.text_input(key="other_model").input("/etc/models/secret").run()
    assert "Preset.mp4" in text_of(at)  # the failed add's file, kept for a retry
    at.button(key="add").click().run()
    assert "hub id (organisation/name)" in shown(at.error) and not busy(at)


def test_re_add_replaces_an_entry_with_other_choices(app: AppTest) -> None:
    colours = next(r for r in Library().list() if r.title == "Colours")
    at = page(app.run(), "library")
    at.button(key=f"readd-{colours.id}").click().run()
    at.number_input(key=f"readd-interval-{colours.id}").set_value(0.5)
    at.radio(key=f"readd-speech-{colours.id}").set_value("off")
    next(b for b in at.button if b.label == "Re-add").click().run()
    assert [t.value for t in at.title] == ["Add a video"]  # where its progress shows
    at = finish_ingest(page(at, "ingest"))
    assert ok(at) and "Replaced the library's entry “Colours”" in shown(at.info)
    again = Library().get(colours.id)
    assert again.interval == 0.5 and again.frames > colours.frames and again.cues == 3
    assert sorted(r.title for r in Library().list()) == ["Colours", "Silent"]


def test_text_that_looks_like_a_link_is_never_made_one() -> None:
    """Markdown makes links of ``scheme://``, ``www.`` and ``name@host`` after character
    references are decoded; an invisible word joiner breaks each (the browser test sees it)."""
    from dashboard.safe import plain

    text = "Could not fetch https://evil.example/x?a=1&next=javascript:alert(1), www.a.com, b@c.io"
    made = html.unescape(plain(text))
    assert made.replace(WORD_JOINER, "") == text
    for link in ("://", "www.", "b@"):
        assert link not in made


def test_a_dialogue_model_that_fails_to_load_is_not_named_as_loaded(
        app: AppTest, monkeypatch) -> None:
    from oneframe.core.errors import ModelError
    from oneframe.encoders import models
    from oneframe.encoders.sentences import load_sentence_encoder

    monkeypatch.setattr(models, "_FAILED", {})
    monkeypatch.setenv("ONEFRAME_DIALOG_MODEL", "/nonexistent/minilm")
    at = app.run()
    assert "Dialogue: nonexistent/minilm" in text_of(at) and "could not be" not in text_of(at)
    with pytest.raises(ModelError):  # as an ingest meets it (it goes on matching words only)
        load_sentence_encoder()
    at.run()
    assert "Dialogue: nonexistent/minilm (could not be loaded: dialogue is matched by its " \
           "words only)" in text_of(at)



def test_exports_name_what_was_asked(app: AppTest, monkeypatch) -> None:
    """The JSON of a Similar or image search names that query, not the last words typed."""
    import oneframe.api as export  # where the pages take it from

    asked: list[str | None] = []
    real = export.hits_to_json
    monkeypatch.setattr(export, "hits_to_json",
                        lambda hits, query=None: asked.append(query) or real(hits, query))
    at = page(app.run(), "search")
    at.text_input(key="query").input("the blue door was locked").run()
    at.slider(key="weight").set_value(0.0).run()
    assert asked[-1] == "the blue door was locked"
    at.button(key="hit-1-like").click().run()
    assert asked[-1].startswith("frames like 0:0") and asked[-1].endswith("of “Colours”")
    at.button(key="clear-like").click().run()
    colours = next(r for r in Library().list() if r.title == "Colours")
    at.file_uploader(key="image").upload("still.jpg", colours.frame_path(0).read_bytes(),
                                         "image/jpeg")
    at.run()
    assert asked[-1] == "an image: still.jpg"


def test_a_video_upload_streams_to_disk_within_the_limit(monkeypatch) -> None:
    """Two 1 GB uploads took the server to 5.2 GB: a video now goes to disk as it arrives."""
    import tracemalloc

    from dashboard import upload_route, uploads

    token = upload_route.issue(uploads.new_folder)
    assert put("not-a-token", "x.mp4", b"x") == 404
    data = bytes(range(256)) * 120_000  # 30 MB
    tracemalloc.start()
    try:
        assert put(token, "big.mp4", data, chunk=1 << 20) == 204
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    done = upload_route.received(token)
    assert done is not None and done.path.read_bytes() == data and done.size == len(data)
    assert peak < len(data) // 4 + (5 << 20)  # the chunks in flight, never the whole file
    assert put(token, "again.mp4", b"x") == 404  # one file a token
    upload_route.drop(token)
    assert not done.folder.exists()
    monkeypatch.setenv("ONEFRAME_MAX_UPLOAD_MB", "1")
    small = upload_route.issue(uploads.new_folder)
    assert put(small, "too-big.mp4", data) == 413
    assert upload_route.received(small) is None
    assert not [p for p in upload_route._PENDING[small].folder.iterdir() if p.suffix != ".owner"
                and not p.name.startswith(".")]
    name = "長い名前の映画" * 13 + ".mp4"  # 91 characters, 276 bytes of UTF-8
    assert put(small, name, b"tiny video") == 204
    kept = upload_route.received(small)
    assert kept.path.is_file() and len(kept.path.name.encode()) <= 200
    assert kept.path.suffix == ".mp4" and kept.name.startswith("長い名前の映画")
    upload_route.drop(small)


def test_the_one_patch_for_streamlit_pages_is_still_needed_and_still_holds(monkeypatch) -> None:
    """Streamlit takes a ``pages/`` folder beside the main script as old-style pages unless told
    otherwise (``dashboard.warmup.serve_pages_by_navigation``, run by the server's lifespan).
    This fails when a Streamlit upgrade stops doing that (the patch is then unnecessary) or
    stops reading the flag the patch sets (the browser test's deep link would break too)."""
    from conftest import PAGES_INIT
    from streamlit.runtime.pages_manager import PagesManager

    from dashboard.warmup import serve_pages_by_navigation

    monkeypatch.setattr(PagesManager, "__init__", PAGES_INIT["streamlit"])  # Streamlit's own
    monkeypatch.setattr(PagesManager, "uses_pages_directory", None)
    PagesManager(str(ROOT / "Home.py"))
    assert PagesManager.uses_pages_directory is True  # still needed
    monkeypatch.setattr(PagesManager, "uses_pages_directory", None)
    serve_pages_by_navigation()
    PagesManager(str(ROOT / "Home.py"))
    assert PagesManager.uses_pages_directory is False  # and it holds


def test_the_server_is_found_in_home_and_draws_no_page_when_imported() -> None:
    """``streamlit run Home.py`` finds ``app`` by reading the file; imported, Home.py makes the
    server and draws nothing (a session runs it as ``__main__``)."""
    import subprocess
    import sys

    from streamlit.web.server.app_discovery import discover_asgi_app

    found = discover_asgi_app(ROOT / "Home.py")
    assert found.is_asgi_app and found.app_name == "app"
    code = ("import Home, streamlit as st\nprint(type(Home.app).__name__)\n"
            "print(hasattr(Home, 'navigation'))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.stdout.split() == ["App", "False"], run.stderr


def test_a_caption_language_other_than_english_points_to_siglip_2(app: AppTest) -> None:
    at = page(app.run(), "ingest")
    assert "SigLIP 2" not in shown(at.caption)
    at.text_input(key="lang").input("ru").run()
    assert ok(at) and "SigLIP 2" in shown(at.caption)
