"""Every dashboard page through Streamlit's AppTest, on a real library made in a temp dir."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT, SENTENCE_MODEL
from media import SCENES, write_video
from streamlit.testing.v1 import AppTest

from oneframe.ingest import ingest
from oneframe.library import Library

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
    while "job" in at.session_state and time.monotonic() < deadline:
        time.sleep(0.1)
        at.run()
    assert "job" not in at.session_state, "the ingest did not finish"
    return at


def text_of(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in at.markdown)


def test_library_lists_videos_and_removes_after_confirmation(app: AppTest) -> None:
    at = app.run()
    assert not at.exception
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
    assert not at.exception and not (Library().root / silent.id).exists()
    assert "Silent" not in text_of(at) and "Colours" in text_of(at)


def test_empty_library_says_what_to_do(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ONEFRAME_LIBRARY", str(tmp_path / "empty"))
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60).run()
    assert not at.exception and "library is empty" in at.info[0].value
    for name in ("search", "compare"):
        assert "add a video first" in page(at, name).info[0].value


def test_ingest_page_adds_an_uploaded_video_with_captions(app: AppTest, scene_video) -> None:
    at = page(app.run(), "ingest")
    at.radio(key="source_kind").set_value("Video file").run()
    at.file_uploader(key="video_file").upload("Holiday.mp4", scene_video.read_bytes(),
                                              "video/mp4")
    at.file_uploader(key="caption_file").upload("Holiday.srt", b"1\n00:00:01,000 --> "
                                                b"00:00:02,000\nA day at the beach\n", "text/srt")
    at.number_input(key="interval").set_value(0.5)
    at.button(key="add").click().run()
    assert not at.exception and "Adding Holiday.mp4" in at.status[0].label
    at = finish_ingest(at)
    assert not at.exception and not at.error
    assert "“Holiday” is in the library" in at.success[0].value
    record = next(r for r in Library().list() if r.title == "Holiday")
    assert record.cues == 1 and record.interval == 0.5 and "Holiday.mp4" in record.source


def test_ingest_runs_on_while_other_pages_are_used_and_can_be_cancelled(
        app: AppTest, scene_video, monkeypatch) -> None:
    import oneframe.ingest as core

    real, embedding, go_on = core.ingest, threading.Event(), threading.Event()

    def held_at_embedding(source, progress, **options):
        def report(stage: str, done: int, total: int) -> None:
            progress(stage, done, total)
            if stage == "embed":
                embedding.set()
                go_on.wait(30)
        return real(source, progress=report, **options)

    monkeypatch.setattr(core, "ingest", held_at_embedding)
    try:
        at = page(app.run(), "ingest")
        at.radio(key="source_kind").set_value("Video file").run()
        at.file_uploader(key="video_file").upload("Long.mp4", scene_video.read_bytes(),
                                                  "video/mp4")
        at.button(key="add").click().run()
        assert embedding.wait(60)
        at = page(at, "library")  # the ingest keeps going while the user looks elsewhere
        assert not at.exception and "Colours" in text_of(at)
        elsewhere = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120).run()
        assert any("Adding 1 video" in link.proto.label for link in elsewhere.get("page_link"))
        at = page(at, "ingest")
        assert "Sampling frames" in at.status[0].label
        at.button(key="add").click().run()
        assert "still being added" in at.warning[0].value
        at.button(key="cancel").click().run()
    finally:
        go_on.set()
    at = finish_ingest(at)
    assert not at.exception and "nothing was added" in at.info[0].value
    assert len(Library().list()) == 2
    assert not any(p.name.startswith(".tmp") for p in Library().root.iterdir())


@pytest.mark.parametrize(("kind", "fill", "says"), [
    ("YouTube or web link", "not a link", "neither a link"),
    ("YouTube or web link", "", "Paste a video link first"),
    ("Video file", None, "Choose a video file first"),
])
def test_ingest_page_errors_are_shown_and_nothing_is_added(app: AppTest, kind, fill, says):
    at = page(app.run(), "ingest")
    before = sorted(p.name for p in Library().root.iterdir())
    at.radio(key="source_kind").set_value(kind).run()
    if fill is not None:
        at.text_input(key="url").input(fill)
    at = finish_ingest(at.button(key="add").click().run())
    assert not at.exception and says in at.error[0].value
    assert sorted(p.name for p in Library().root.iterdir()) == before


def test_ingest_page_bad_upload(app: AppTest) -> None:
    at = page(app.run(), "ingest")
    at.radio(key="source_kind").set_value("Video file").run()
    at.file_uploader(key="video_file").upload("broken.mp4", b"not a video" * 100, "video/mp4")
    at = finish_ingest(at.button(key="add").click().run())
    assert not at.exception and "could not be opened as a video" in at.error[0].value
    assert len(Library().list()) == 2


def test_search_page_ranks_highlights_plays_and_exports(app: AppTest) -> None:
    at = page(app.run(), "search")
    assert not at.exception
    at.text_input(key="query").input("the blue door was locked").run()
    at.slider(key="weight").set_value(0.0).run()
    assert not at.exception
    cards = text_of(at)
    first = cards.index("#1 ·")
    assert "0:06.2" in cards[first:first + 40]
    assert "<mark>blue door</mark> is <mark>locked</mark>" in cards
    assert "&lt;script&gt;" in cards or "<script>" not in cards
    assert {d.label for d in at.get("download_button")} >= {"CSV", "JSON"}
    at.slider(key="weight").set_value(1.0).run()
    assert not at.exception and "#1 ·" in text_of(at)
    at.button(key="hit-1-play").click().run()
    assert not at.exception and at.get("video")
    at.button(key="hit-1-like").click().run()
    assert not at.exception and "Frames that look like" in at.info[0].value
    at.button(key="clear-like").click().run()
    assert not at.info or "Frames that look like" not in at.info[0].value


def test_search_page_escapes_caption_markup(app: AppTest) -> None:
    at = page(app.run(), "search")
    at.text_input(key="query").input("green means go").run()
    at.slider(key="weight").set_value(0.0).run()
    shown = text_of(at)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown or "alert(1)" not in shown
    assert "<script>" not in shown


def test_search_page_one_video_from_the_library(app: AppTest) -> None:
    at = app.run()
    colours = next(r for r in Library().list() if r.title == "Colours")
    at.button(key=f"search-{colours.id}").click().run()
    assert not at.exception
    assert at.multiselect(key="videos").value == [colours.id]
    at.text_input(key="query").input("a purple scene").run()
    assert not at.exception and "Silent" not in text_of(at)


def test_compare_page_marks_shared_hits(app: AppTest) -> None:
    at = page(app.run(), "compare")
    at.text_input(key="variant-0").input("the blue door is locked")
    at.text_input(key="variant-1").input("blue door locked inside")
    at.slider(key="weight-0").set_value(0.0)
    at.slider(key="weight-1").set_value(0.0).run()
    assert not at.exception
    assert "also in B" in text_of(at) and "also in A" in text_of(at)
    at.number_input(key="variants").set_value(3).run()
    assert not at.exception and at.text_input(key="variant-2")


def test_burned_in_subtitles_through_the_pages(app: AppTest, tmp_path: Path) -> None:
    import cv2
    from media import write_subtitled_video

    video = write_subtitled_video(tmp_path / "Harbour.mp4", [
        (1.0, 3.0, "Meet me at the old harbour", cv2.FONT_HERSHEY_DUPLEX, (0, 230, 255))], 4.0)
    at = page(app.run(), "ingest")
    at.radio(key="source_kind").set_value("Video file").run()
    at.file_uploader(key="video_file").upload("Harbour.mp4", video.read_bytes(), "video/mp4")
    at = finish_ingest(at.button(key="add").click().run())
    assert not at.exception and "burned-in subtitles" in at.success[0].value
    at = page(at, "library")
    assert "1 burned-in lines" in text_of(at)
    at = page(at, "search")
    at.text_input(key="query").input("meet me at the harbour").run()
    at.slider(key="weight").set_value(0.0).run()
    assert not at.exception
    assert "<mark>Meet</mark>" in text_of(at)
    assert any("burned-in subtitles" in c.value for c in at.caption)


def test_moving_the_slider_encodes_nothing_again(app: AppTest, monkeypatch) -> None:
    from oneframe.embed import Encoder
    from oneframe.sentences import SentenceEncoder

    calls = {"text": 0, "sentence": 0}
    encode_text, encode_sentence = Encoder.embed_texts, SentenceEncoder.embed

    def counted_text(self, texts):  # noqa: ANN001, ANN202
        calls["text"] += 1
        return encode_text(self, texts)

    def counted_sentence(self, texts):  # noqa: ANN001, ANN202
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
        assert not at.exception
    assert calls == after_query


def test_ingest_progress_reads_as_steps_done_and_one_bar_while_decoding() -> None:
    from pages.ingest_progress import progress_view

    finished, bars = progress_view([("probe", 0, 1), ("download", 1, 1), ("captions", 1, 1),
                                    ("frames", 150, 600), ("embed", 128, 128), ("ocr", 3, 0)])
    assert finished == ["Looked at the source", "Got the video", "Read the captions"]
    assert bars == [(0.25, "Sampling frames: 2:30.0 of 10:00.0 · 128 embedded · "
                     "3 subtitle lines")]
    finished, bars = progress_view([("probe", 0, 1), ("download", 5_000_000, 20_000_000)])
    assert finished == ["Looked at the source"] and bars == [(0.25, "Downloading: 5.0 of 20.0 MB")]
    finished, bars = progress_view([("frames", 600, 600), ("embed", 578, 578),
                                    ("dialog", 0, 1800)])
    assert finished == ["Sampled the frames", "Embedded the frames"]
    assert bars == [(0.0, "Indexing the dialogue: 0 of 1,800")]


def test_the_player_streams_from_the_route_of_the_server_the_browser_uses() -> None:
    from pages.media import video_url

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
    assert not at.exception and not any("Session State API" in w.value for w in at.warning)
    assert any("blue door" in m.value or "<mark>" in m.value for m in at.markdown)
    at = page(at, "compare")
    assert at.text_input(key="variant-0").value == "a red scene"
