"""Sources: real yt-dlp against a loopback server, local files and sidecars, clear failures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yt_dlp
from media import VTT, serve_page

from oneframe.core.errors import SourceError
from oneframe.ingest.options import read_caption_file
from oneframe.sources.advice import explain
from oneframe.sources.door import admit
from oneframe.sources.probe import (
    caption_lang_from_name,
    fetch,
    find_sidecar,
    normalise_source,
    probe,
    safe_id,
    youtube_id,
)
from oneframe.sources.ytdlp import FORMAT_SORT, VIDEO_FORMAT, choose_captions


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


@pytest.mark.parametrize(("message", "warnings", "says"), [
    ("ERROR: [youtube] abc: Private video. Sign in if you've been granted access", [],
     "private"),
    ("ERROR: [youtube] abc: Video unavailable. This video has been removed", [], "removed"),
    ("ERROR: [youtube] abc: Sign in to confirm your age. This video may be inappropriate", [],
     "age-restricted"),
    ("ERROR: [youtube] abc: Sign in to confirm you're not a bot. Use --cookies-from-browser or "
     "--cookies for the authentication", [], "confirm you're not a bot"),
    ("ERROR: [youtube] abc: Join this channel to get access to members-only content like this "
     "video, and other exclusive perks. Use --cookies for the authentication", [],
     "members only"),
    ("ERROR: [youtube] abc: The uploader has not made this video available in your country", [],
     "geo-block"),
    ("ERROR: [youtube] abc: This content isn't available, try again later.", [], "rate limit"),
    ("ERROR: Unable to download video subtitles for 'en': HTTP Error 429: Too Many Requests", [],
     "rate limit"),
    ("ERROR: [youtube] abc: This live event will begin in 3 hours.", [], "hasn't started"),
    ("ERROR: [youtube] abc: Requested format is not available. Use --list-formats",
     ["[youtube] abc: n challenge solving failed: Some formats may be missing. Ensure you have "
      "a supported JavaScript runtime and challenge solver script distribution installed."],
     "outdated yt-dlp or a missing JavaScript runtime"),
    ("ERROR: [youtube] abc: Some error", ["[youtube] No supported JavaScript runtime could be "
                                          "found. Only deno is enabled by default"],
     "JavaScript challenge"),
    ("ERROR: [download] File is larger than max-filesize (5000000000 bytes > 4000000000 bytes)",
     [], "ONEFRAME_MAX_DOWNLOAD_MB"),
])
def test_ytdlp_messages_become_advice(message: str, warnings: list[str], says: str) -> None:
    error = explain("https://youtu.be/abc", yt_dlp.utils.DownloadError(message), warnings)
    assert says in str(error) and "https://youtu.be/abc" in str(error)
    assert "AV1" not in str(error)
    assert error.details == (warnings[-1].strip() if warnings else message.replace("ERROR: ", ""))


def test_cookie_advice_follows_the_wiki() -> None:
    error = explain("https://youtu.be/abc", yt_dlp.utils.DownloadError(
        "ERROR: [youtube] abc: Sign in to confirm you're not a bot"))
    assert "private window" in str(error) and "ban" in str(error)


def test_missing_cookies_file(web, scene_video, tmp_path) -> None:
    base, root = web
    serve_page(root, scene_video)
    with pytest.raises(SourceError, match="Cookies file"):
        probe(f"{base}/page.html", cookies=tmp_path / "cookies.txt")


def _fmt(fid: str, vcodec: str | None, width: int, height: int, acodec: str = "none",
         protocol: str = "https") -> dict:
    return {"format_id": fid, "url": f"http://127.0.0.1/{fid}", "protocol": protocol,
            "ext": "mp4" if (vcodec or "").startswith("avc") else "webm", "vcodec": vcodec,
            "acodec": acodec, "width": width, "height": height, "tbr": width * height / 1000}


def _youtube_ladder(vertical: bool = False, codecs: tuple[str, ...] = ("avc", "vp9", "av1"),
                    combined: bool = True) -> list[dict]:
    """What YouTube offers today: each size in H.264, VP9 and AV1 video-only, HLS with audio,
    and the combined format 18 (360p H.264 with audio)."""
    names = {"avc": "avc1.4d401e", "vp9": "vp09.00.30.08", "av1": "av01.0.05M.08"}
    formats = []
    for w, h in ((256, 144), (426, 240), (640, 360), (854, 480), (1280, 720), (1920, 1080)):
        w, h = (h, w) if vertical else (w, h)
        formats += [_fmt(f"{c}{min(w, h)}", names[c], w, h) for c in codecs]
        formats.append(_fmt(f"hls{min(w, h)}", names["avc"], w, h, "mp4a.40.2", "m3u8_native"))
    if combined:
        formats.append(_fmt("18", names["avc"], *((360, 640) if vertical else (640, 360)),
                            "mp4a.40.2"))
    return formats


@pytest.mark.parametrize(("formats", "expected"), [
    (_youtube_ladder(), "avc480"),  # 854x480 H.264, not 720p, not AV1
    (_youtube_ladder(vertical=True), "avc480"),  # a Short: 480x854, not 240p
    (_youtube_ladder(codecs=("vp9", "av1")), "vp9480"),  # no H.264: VP9, never AV1
    ([f for f in _youtube_ladder() if f["format_id"] == "18"], "18"),  # only the combined one
    ([_fmt("unknown", None, 854, 480), _fmt("vp9", "vp09.00.30.08", 854, 480)], "vp9"),
    ([_fmt("vp9hd", "vp9", 1920, 1080), _fmt("vp9fhd", "vp9", 2560, 1440)], "vp9hd"),
])
def test_format_choice_is_small_decodable_video(formats: list[dict], expected: str) -> None:
    """yt-dlp's own selector, with oneframe's format and sort, on realistic format lists."""
    info = {"id": "x", "title": "x", "formats": formats, "extractor": "test",
            "extractor_key": "Test", "webpage_url": "http://127.0.0.1/x"}
    with yt_dlp.YoutubeDL({"quiet": True, "no_warnings": True, "format": VIDEO_FORMAT,
                           "format_sort": FORMAT_SORT, "simulate": True}) as ydl:
        result = ydl.process_ie_result(info, download=False)
    assert result["format_id"] == expected


def test_caption_choice_never_takes_a_machine_translation_by_accident() -> None:
    vtt = [{"ext": "vtt", "url": "u"}]
    # YouTube lists every translation target among the automatic captions, "af" first.
    translations = {lang: vtt for lang in ("af", "ar", "de", "en", "fr", "ja")}
    english_video = {"language": "en", "automatic_captions": {**translations, "en-orig": vtt}}
    assert choose_captions(english_video, "en") == ("auto", "en-orig")
    assert choose_captions(english_video, "ja") == ("auto", "en-orig")  # the original, not ja
    assert choose_captions({**english_video, "subtitles": {"ja": vtt}}, "ja") == ("manual", "ja")
    german = {"language": "de", "automatic_captions": {**translations, "de-orig": vtt}}
    assert choose_captions(german, "fr") == ("auto", "de-orig")  # not "af", not "fr"
    assert choose_captions({"language": "de", "automatic_captions": {"de": vtt}}, "de") == \
        ("auto", "de")  # the video's own language, where no -orig is listed
    assert choose_captions({"automatic_captions": {"fr": vtt}}, "fr") == ("auto", "fr")
    assert choose_captions({"automatic_captions": translations}, "ko") is None
    assert choose_captions({"subtitles": {"de": vtt, "en": vtt}}, "ja") == ("manual", "en")
    assert choose_captions({"subtitles": {"en-US": vtt}}, "en") == ("manual", "en-US")
    assert choose_captions({"subtitles": {"live_chat": vtt, "es": vtt}, "language": "es"},
                           "ja") == ("manual", "es")
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


def test_a_note_beside_the_video_does_not_hide_its_captions(tmp_path: Path,
                                                            scene_video: Path) -> None:
    """../shared/data's clips sit beside ``friday.SOURCE.txt``, which sorted before
    ``friday.vtt`` and was read (and skipped) instead of it."""
    video = tmp_path / "friday.mp4"
    shutil.copyfile(scene_video, video)
    (tmp_path / "friday.SOURCE.txt").write_text("Source: archive.org, public domain\n")
    (tmp_path / "friday.vtt").write_text(VTT)
    assert find_sidecar(video).name == "friday.vtt"
    (tmp_path / "friday.vtt").unlink()
    assert find_sidecar(video).name == "friday.SOURCE.txt"  # MPL2 or MicroDVD may be .txt


def test_local_file_fetch_and_its_sidecar(tmp_path: Path, scene_video: Path) -> None:
    video = tmp_path / "clip.mp4"
    shutil.copyfile(scene_video, video)
    (tmp_path / "clip.en.vtt").write_text(VTT)
    found = probe(str(video))
    assert found.source_id.startswith("file-") and found.title == "clip"
    sidecar = admit(str(video), None).sidecar(found, "en")  # decided once, at the door
    assert sidecar == tmp_path / "clip.en.vtt"
    got = fetch(found, tmp_path / "a", captions=sidecar)
    assert got.video.read_bytes() == video.read_bytes()
    assert (got.captions.name, got.caption_kind, got.caption_lang) == ("clip.en.vtt", "file", "en")
    assert fetch(found, tmp_path / "b").captions is None  # fetch itself reads no folder
    with pytest.raises(SourceError, match="does not exist"):
        read_caption_file(tmp_path / "nope.srt")


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


def test_a_live_stream_is_refused_with_a_message(site) -> None:
    base, _ = site
    with pytest.raises(SourceError, match="is a live stream.*once the stream has ended"):
        probe(f"{base}/live.m3u8")


@pytest.mark.parametrize(("info", "says"), [
    ({"live_status": "is_upcoming"}, "hasn't started"),
    ({"live_status": "post_live"}, "still being processed"),
    ({"is_live": True}, "is a live stream"),
    ({"duration": 7 * 3600}, "7.0 hours long, more than the 6 hours"),
])
def test_what_is_not_a_finished_video_is_refused(info: dict, says: str) -> None:
    from oneframe.sources.ytdlp import check_downloadable

    with pytest.raises(SourceError, match=says):
        check_downloadable({"id": "x", **info}, "https://youtu.be/x")
    check_downloadable({"id": "x", "live_status": "was_live", "duration": 3600}, "u")


def test_a_playlist_names_its_videos_and_one_of_one_is_resolved(site) -> None:
    from oneframe.core.errors import PlaylistLink

    base, _ = site
    with pytest.raises(PlaylistLink) as many:
        probe(f"{base}/three.xml")
    assert [title for _, title in many.value.entries] == ["Clip 0", "Clip 1", "Clip 2"]
    assert not many.value.more and "one of them" in str(many.value)
    found = probe(f"{base}/one.xml")  # the single video, resolved: its captions are seen
    assert found.info.get("subtitles") and found.url.startswith(f"{base}/page.html")


def test_extractor_args_pass_through_in_yt_dlp_s_own_form() -> None:
    from oneframe.sources.ytdlp import extractor_args

    parsed = extractor_args("youtube:player_client=default,-tv;po_token=web.gvs+XYZ")
    assert parsed == {"youtube": {"player_client": ["default", "-tv"],
                                  "po_token": ["web.gvs+XYZ"]}}
    assert extractor_args("") == {}


def test_a_refused_caption_request_costs_the_captions_not_the_video(site) -> None:
    from oneframe.ingest.pipeline import CAPTIONS_FAILED, ingest
    from oneframe.library.folders import Library

    base, handler = site
    handler.refused.add("/clip.vtt")  # YouTube's 429 on the caption file
    record = ingest(f"{base}/page.html")
    assert record.frames >= 5 and record.cues == 0 and record.caption_key.endswith(CAPTIONS_FAILED)
    [note] = [n for n in record.notes if "captions" in n]
    assert "added without the site's captions" in note and "rate limit" in note
    assert "Add the same link again later" in note
    handler.refused.clear()  # later, the limit is lifted: the same link fetches them
    again = ingest(f"{base}/page.html")
    assert again.id == record.id and again.cues == 1
    assert not [n for n in again.notes if "captions" in n]
    assert Library().get(record.id).cues == 1


def test_a_download_over_the_size_limit_is_refused(site, monkeypatch) -> None:
    from oneframe.ingest.pipeline import ingest
    from oneframe.library.folders import Library

    base, _ = site
    monkeypatch.setenv("ONEFRAME_MAX_DOWNLOAD_MB", "0.001")
    with pytest.raises(SourceError, match="larger than this server adds"):
        ingest(f"{base}/page.html")
    assert Library().list() == []


def test_yt_dlp_finds_its_javascript_runtime_in_this_venv() -> None:
    """YouTube needs yt-dlp-ejs run by deno; both come with yt-dlp[default,deno], and yt-dlp
    finds the deno beside this Python by itself (no path of oneframe's)."""
    import importlib.util

    from yt_dlp.utils._jsruntime import DenoJsRuntime

    info = DenoJsRuntime().info
    assert info is not None and info.supported, "deno is missing or too old for yt-dlp"
    assert importlib.util.find_spec("yt_dlp_ejs") is not None


def test_a_redirect_to_a_file_is_explained(tmp_path: Path) -> None:
    import http.server
    import threading

    class ToFile(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ToFile)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(SourceError, match="led \\(by a redirect\\) to something that is not "
                                              "a web address.*never follows"):
            probe(f"http://127.0.0.1:{server.server_address[1]}/v.mp4")
    finally:
        server.shutdown()
        server.server_close()
