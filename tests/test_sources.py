"""Sources: real yt-dlp against a loopback server, local files and sidecars, clear failures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yt_dlp

from oneframe.errors import SourceError
from oneframe.sources import (
    caption_lang_from_name,
    fetch,
    find_sidecar,
    normalise_source,
    probe,
    safe_id,
    youtube_id,
)
from oneframe.ytdlp import VIDEO_FORMAT, choose_captions, explain

PAGE = """<html><head><title>{title}</title></head><body>
<video controls src="{video}"><track kind="subtitles" src="{captions}" srclang="en"></video>
</body></html>"""
VTT = "WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nThe red scene\n"


def serve_page(root: Path, video: Path, title: str = "Scenes") -> None:
    shutil.copyfile(video, root / "clip.mp4")
    (root / "clip.vtt").write_text(VTT)
    (root / "page.html").write_text(PAGE.format(title=title, video="clip.mp4",
                                                captions="clip.vtt"))


def test_ytdlp_downloads_video_and_captions_from_a_page(web, scene_video, tmp_path) -> None:
    base, root = web
    serve_page(root, scene_video)
    found = probe(f"{base}/page.html")
    assert found.source_id.startswith("web-") and "Scenes" in found.title
    seen: list[tuple[str, int, int]] = []
    got = fetch(found, tmp_path / "out", progress=lambda *a: seen.append(a))
    assert got.video.read_bytes() == scene_video.read_bytes()
    assert got.captions is not None and "The red scene" in got.captions.read_text()
    assert (got.caption_kind, got.caption_lang) == ("manual", "en")
    assert seen[-1] == ("download", scene_video.stat().st_size, scene_video.stat().st_size)


def test_pages_on_different_servers_get_different_ids(web, scene_video) -> None:
    base, root = web
    serve_page(root, scene_video)
    (root / "b").mkdir()
    serve_page(root / "b", scene_video)
    assert probe(f"{base}/page.html").source_id != probe(f"{base}/b/page.html").source_id


@pytest.mark.parametrize(("path", "says"), [
    ("/missing.html", "HTTP 404"),
    ("/plain.html", "not supported"),
])
def test_http_failures_are_explained(web, path: str, says: str) -> None:
    base, root = web
    (root / "plain.html").write_text("<html><body>no video here</body></html>")
    with pytest.raises(SourceError, match=says):
        probe(base + path)


def test_network_down_is_explained() -> None:
    with pytest.raises(SourceError, match="network request failed"):
        probe("http://127.0.0.1:9/video.mp4")


@pytest.mark.parametrize(("source", "says"), [
    ("not a url", "neither a link"),
    ("ftp://example.com/v.mp4", "only http"),
    ("/no/such/file.mp4", "neither a link"),
])
def test_not_a_url_or_file(source: str, says: str) -> None:
    with pytest.raises(SourceError, match=says):
        probe(source)


def test_bare_youtube_links_become_https() -> None:
    assert normalise_source("youtu.be/dQw4w9WgXcQ") == "https://youtu.be/dQw4w9WgXcQ"
    assert youtube_id("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=3") == "dQw4w9WgXcQ"
    assert youtube_id("https://youtu.be/dQw4w9WgXcQ") == "dQw4w9WgXcQ"
    assert youtube_id("https://example.com/watch?v=x") is None


@pytest.mark.parametrize(("message", "says"), [
    ("ERROR: [youtube] abc: Private video. Sign in if you've been granted access", "private"),
    ("ERROR: [youtube] abc: Video unavailable. This video has been removed", "removed"),
    ("ERROR: [youtube] abc: Sign in to confirm your age. This video may be inappropriate",
     "age-restricted"),
    ("ERROR: [youtube] abc: Sign in to confirm you're not a bot", "cookies"),
    ("ERROR: [youtube] abc: Requested format is not available", "no usable video stream"),
])
def test_ytdlp_messages_become_advice(message: str, says: str) -> None:
    error = explain("https://youtu.be/abc", yt_dlp.utils.DownloadError(message))
    assert says in str(error) and "https://youtu.be/abc" in str(error)


def test_missing_cookies_file(web, scene_video, tmp_path) -> None:
    base, root = web
    serve_page(root, scene_video)
    with pytest.raises(SourceError, match="Cookies file"):
        probe(f"{base}/page.html", cookies=tmp_path / "cookies.txt")


def _fmt(fid: str, vcodec: str, height: int, acodec: str = "none") -> dict:
    return {"format_id": fid, "url": f"http://127.0.0.1/{fid}", "ext": "mp4", "vcodec": vcodec,
            "acodec": acodec, "height": height, "width": height * 16 // 9, "tbr": height}


@pytest.mark.parametrize(("formats", "expected"), [
    ([_fmt("av1", "av01.0.05M.08", 480), _fmt("vp9", "vp9", 480), _fmt("h264", "avc1.4d401e", 480),
      _fmt("h264hd", "avc1.640028", 1080), _fmt("18", "avc1.42001E", 360, "mp4a")], "h264"),
    ([_fmt("av1", "av01.0.05M.08", 480), _fmt("vp9", "vp9", 360), _fmt("vp9hd", "vp9", 720)],
     "vp9"),
    ([_fmt("av1", "av01.0.05M.08", 360), _fmt("18", "avc1.42001E", 360, "mp4a")], "18"),
    ([_fmt("vp9hd", "vp9", 1080), _fmt("vp9fhd", "vp9", 1440)], "vp9hd"),
])
def test_format_choice_is_small_decodable_video(formats: list[dict], expected: str) -> None:
    info = {"id": "x", "title": "x", "formats": formats, "extractor": "test",
            "extractor_key": "Test", "webpage_url": "http://127.0.0.1/x"}
    with yt_dlp.YoutubeDL({"quiet": True, "format": VIDEO_FORMAT, "simulate": True}) as ydl:
        result = ydl.process_ie_result(info, download=False)
    assert result["format_id"] == expected


def test_caption_choice_prefers_language_then_manual() -> None:
    vtt = [{"ext": "vtt", "url": "u"}]
    info = {"subtitles": {"de": vtt, "en": vtt}, "automatic_captions": {"fr": vtt, "en": vtt}}
    assert choose_captions(info, "fr") == ("auto", "fr")
    assert choose_captions(info, "en") == ("manual", "en")
    assert choose_captions(info, "ja") == ("manual", "en")
    assert choose_captions({"automatic_captions": {"en-US": vtt}}, "en") == ("auto", "en-US")
    assert choose_captions({"subtitles": {"live_chat": vtt, "es": vtt}}, "ja") == ("manual", "es")
    assert choose_captions({"subtitles": {"en": [{"ext": "json3"}]}}, "en") is None


def test_local_file_sidecar_preference(tmp_path: Path, scene_video: Path) -> None:
    video = tmp_path / "clip.mp4"
    shutil.copyfile(scene_video, video)
    assert find_sidecar(video) is None
    for name in ("clip.de.srt", "clip.en-GB.vtt", "clip.vtt", "other.vtt"):
        (tmp_path / name).write_text(VTT)
    assert find_sidecar(video, "de").name == "clip.de.srt"
    assert find_sidecar(video, "en").name == "clip.en-GB.vtt"
    assert find_sidecar(video, "ja").name == "clip.vtt"
    assert caption_lang_from_name(tmp_path / "clip.en-GB.vtt") == "en-GB"
    assert caption_lang_from_name(tmp_path / "clip.vtt") is None


def test_local_file_fetch_and_explicit_captions(tmp_path: Path, scene_video: Path) -> None:
    video = tmp_path / "clip.mp4"
    shutil.copyfile(scene_video, video)
    (tmp_path / "clip.en.vtt").write_text(VTT)
    found = probe(str(video))
    assert found.source_id.startswith("file-") and found.title == "clip"
    got = fetch(found, tmp_path / "a")
    assert got.video.read_bytes() == video.read_bytes()
    assert (got.captions.name, got.caption_kind, got.caption_lang) == ("clip.en.vtt", "file", "en")
    with pytest.raises(SourceError, match="does not exist"):
        fetch(found, tmp_path / "b", captions=tmp_path / "nope.srt")


def test_same_content_same_id_and_empty_file(tmp_path: Path, scene_video: Path) -> None:
    copy = tmp_path / "copy.mp4"
    shutil.copyfile(scene_video, copy)
    assert probe(str(copy)).source_id == probe(str(scene_video)).source_id
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(SourceError, match="empty"):
        probe(str(tmp_path / "empty.mp4"))
    with pytest.raises(SourceError, match="folder"):
        probe(str(tmp_path))


def test_safe_ids() -> None:
    assert safe_id("yt", "dQw4w9WgXcQ") == "yt-dQw4w9WgXcQ"
    odd = safe_id("vimeo", "a/b:c")
    assert odd.startswith("vimeo-a-b-c-") and "/" not in odd
    assert safe_id("x", "a/b") != safe_id("x", "a:b")
