"""The yt-dlp Python API, wrapped: quiet, decodable formats, chosen captions, clear errors.

What YouTube needs today comes from yt-dlp's maintainers, not from guesses: its JavaScript
challenge solver (``yt-dlp-ejs``) run by deno, both from the ``yt-dlp[default,deno]`` extra
(yt-dlp finds the deno beside this Python itself); the default player clients, never pinned;
format *sorting* rather than chains of filters; captions fetched on their own after the video,
since a 429 on a caption request is common and must not cost the video.
"""

from __future__ import annotations

import ipaddress
import itertools
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yt_dlp
from yt_dlp.utils import YoutubeDLError, determine_ext

from oneframe.core import settings
from oneframe.core.errors import PlaylistLink, SourceError
from oneframe.core.progress import Progress, Stage, no_progress
from oneframe.core.settings import number
from oneframe.sources.advice import explain
from oneframe.sources.netguard import guarding

# Video only where there is one (no ffmpeg merge), else a combined format; never AV1 (OpenCV
# can't decode it). The sort bounds the *smaller* side at 480 (a vertical Short keeps its
# 480x854), prefers H.264 without ranking an unknown codec above VP9, and plain https.
VIDEO_FORMAT = "bv[vcodec!^=?av01]/b[vcodec!^=?av01]"
FORMAT_SORT = ["res:480", "+vcodec:avc", "proto"]
CAPTION_EXTS = ("vtt", "srt", "sbv")
SUBTITLE_PAUSE = 1.0
"""Seconds yt-dlp waits before a caption request (YouTube answers bursts with HTTP 429)."""
PACE_ENV = settings.LIST_PACE


def polite_pause(url: str) -> float:
    """Seconds between two caption requests to ``url``'s site: ``$ONEFRAME_LIST_PACE`` (1 s),
    none to this machine's own addresses (a test, a local mirror) unless it is set."""
    if settings.text(PACE_ENV) is not None:
        return settings.number(PACE_ENV, SUBTITLE_PAUSE)
    host = (urlsplit(url).hostname or "").strip("[]")
    if not host or host == "localhost":
        return 0.0
    try:
        return 0.0 if ipaddress.ip_address(host).is_loopback else SUBTITLE_PAUSE
    except ValueError:
        return SUBTITLE_PAUSE
PLAYLIST_PEEK = 25
"""How many entries of a playlist or channel are looked at (they are fetched page by page)."""
MAX_DURATION_ENV, MAX_DURATION = settings.MAX_DURATION, 6 * 3600
MAX_DOWNLOAD_ENV, MAX_DOWNLOAD_MB = settings.MAX_DOWNLOAD_MB, 4000
EXTRACTOR_ARGS_ENV = settings.EXTRACTOR_ARGS


class _QuietLogger:
    """Keeps yt-dlp's output off the terminal; its warnings (and a few of its notices, such as
    a download skipped for its size) explain failures."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def debug(self, msg: str) -> None:
        if msg.strip().startswith("[download] File is larger than max-filesize"):
            self.messages.append(msg)

    def info(self, msg: str) -> None:
        self.debug(msg)

    def warning(self, msg: str) -> None:
        self.messages.append(msg)

    def error(self, msg: str) -> None:
        self.messages.append(msg)


def _limit(env: str, default: float) -> float:
    return number(env, default)


def extractor_args(text: str | None = None) -> dict[str, Any]:
    """yt-dlp's ``--extractor-args`` (``youtube:po_token=...;player_client=...``), parsed by
    yt-dlp itself; from ``$ONEFRAME_EXTRACTOR_ARGS`` (several separated by ``|``)."""
    text = (settings.text(EXTRACTOR_ARGS_ENV) or "") if text is None else text
    argv = [a for part in text.split("|") if part.strip()
            for a in ("--extractor-args", part.strip())]
    if not argv:
        return {}
    try:
        return yt_dlp.parse_options(argv).ydl_opts.get("extractor_args") or {}
    except (SystemExit, ValueError) as exc:
        raise SourceError(f"{EXTRACTOR_ARGS_ENV} is not in yt-dlp's --extractor-args form "
                          "(for example youtube:po_token=web.gvs+TOKEN).") from exc


IN_PROCESS: dict[str, Any] = {
    "external_downloader": {"default": "native"}, "hls_prefer_native": True,
    "ffmpeg_location": str(Path(__file__).parent / "no-ffmpeg-here"), "postprocessors": [],
}
"""yt-dlp options for a download the web app makes for a visitor: every byte fetched by yt-dlp's
own downloaders in this process, whose sockets the network guard checks. yt-dlp otherwise hands
what its own can't do (an HLS stream with SAMPLE-AES, say) to ffmpeg, a process of its own that
fetched a key and a segment from 127.0.0.1 unchecked; pointed at no ffmpeg, it refuses them."""


def _options(cookies: str | Path | None, logger: _QuietLogger, **extra: Any) -> dict[str, Any]:
    opts: dict[str, Any] = {
        "quiet": True, "no_warnings": True, "noprogress": True, "no_color": True,
        "logger": logger, "noplaylist": True, "extract_flat": "in_playlist",
        "format": VIDEO_FORMAT, "format_sort": FORMAT_SORT, "fixup": "never",
        "socket_timeout": 20, "retries": 2, "concurrent_fragment_downloads": 1,
        "max_filesize": int(_limit(MAX_DOWNLOAD_ENV, MAX_DOWNLOAD_MB) * 1e6),
        "extractor_args": extractor_args(),
    }
    if guarding():  # only this process's sockets are guarded: nothing may leave it
        opts.update(IN_PROCESS)
    if cookies:
        path = Path(cookies).expanduser()
        if not path.is_file():
            raise SourceError(f"Cookies file {path} does not exist. Export one from a "
                              "signed-in browser (Netscape cookies.txt format).")
        opts["cookiefile"] = str(path)
    opts.update(extra)
    return opts


def extract_url(url: str, cookies: str | Path | None = None) -> dict[str, Any]:
    """Metadata of one video (formats, captions, title) without downloading it.

    A playlist or channel with one video resolves to it; with more, PlaylistLink names the
    first few (looked at page by page, never all of a channel).
    """
    logger = _QuietLogger()
    try:
        with yt_dlp.YoutubeDL(_options(cookies, logger)) as ydl:
            info = _resolve(ydl, ydl.extract_info(url, download=False, process=False))
            if info.get("_type") == "playlist":
                entries = list(itertools.islice(
                    (e for e in info.get("entries") or [] if e), PLAYLIST_PEEK + 1))
                if len(entries) != 1:
                    raise _playlist(url, info, entries)
                info = _resolve(ydl, entries[0])
    except (YoutubeDLError, OSError) as exc:
        raise explain(url, exc, logger.messages) from exc
    check_downloadable(info, url)
    return info


def _resolve(ydl: yt_dlp.YoutubeDL, info: dict[str, Any]) -> dict[str, Any]:
    """Follow redirects, embeds and flat playlist entries to the video's own metadata."""
    for _ in range(3):
        if info.get("_type") not in ("url", "url_transparent"):
            break
        info = ydl.extract_info(info["url"], download=False, process=False,
                                ie_key=info.get("ie_key"))
    return info


def _playlist(url: str, info: dict[str, Any], entries: list[dict[str, Any]]) -> SourceError:
    if not entries:
        return SourceError(f"{url} is a playlist or a page with no video in it. Give the link "
                           "of a single video.")
    more = len(entries) > PLAYLIST_PEEK
    shown = [(str(e.get("url") or e.get("webpage_url") or ""), str(e.get("title") or ""))
             for e in entries[:PLAYLIST_PEEK]]
    kind = "channel" if "channel" in str(info.get("extractor_key", "")).lower() else "playlist"
    count = f"more than {PLAYLIST_PEEK}" if more else str(len(entries))
    return PlaylistLink(f"{url} is a {kind} (or a page) with {count} videos. Give the link of "
                        "one of them, or add them one by one.",
                        [(link, title) for link, title in shown if link], more)


def check_downloadable(info: dict[str, Any], url: str) -> None:
    """Refuse what can't be indexed as a finished video: live, upcoming or just-ended streams,
    and videos longer than the limit."""
    status = info.get("live_status") or ("is_live" if info.get("is_live") else None)
    if status == "is_upcoming":
        raise SourceError(f"{url} is a premiere or live stream that hasn't started. Add it "
                          "once it has been shown and is available as a video.")
    if status == "is_live":
        raise SourceError(f"{url} is a live stream. oneframe indexes finished videos: add it "
                          "once the stream has ended and the recording is available.")
    if status == "post_live":
        raise SourceError(f"{url} is a stream that has just ended and is still being "
                          "processed. Try again in a few hours.")
    limit = _limit(MAX_DURATION_ENV, MAX_DURATION)
    if info.get("duration") and float(info["duration"]) > limit:
        raise SourceError(f"{url} is {float(info['duration']) / 3600:.1f} hours long, more than "
                          f"the {limit / 3600:g} hours this server adds from one link "
                          f"({MAX_DURATION_ENV} sets the limit, in seconds).")


def _caption_ext(track: dict[str, Any]) -> str:
    return str(track.get("ext") or determine_ext(track.get("url") or "")).lower()


def _usable(tracks: dict[str, list[dict[str, Any]]]) -> list[str]:
    return [lang for lang, fmts in tracks.items()
            if lang != "live_chat" and any(_caption_ext(f) in CAPTION_EXTS for f in fmts or [])]


def _find(langs: list[str], want: str) -> str | None:
    want = want.lower()
    exact = [lang for lang in langs if lang.lower() == want]
    regional = [lang for lang in langs if lang.lower().startswith(want + "-")
                and not lang.lower().endswith("-orig")]
    found = exact or regional
    return found[0] if found else None


def choose_captions(info: dict[str, Any], lang: str) -> tuple[str, str] | None:
    """``(kind, language)`` of the captions to fetch, never a machine translation unless
    ``lang`` itself is asked for and nothing else exists.

    Order: the asked language's manual track, then its original-language automatic track
    (``<lang>-orig``, or ``<lang>`` where it is the video's own language), English the same
    way, the video's original language the same way; last, an automatic translation into the
    asked language.
    """
    manual, auto = _usable(info.get("subtitles") or {}), _usable(info.get("automatic_captions")
                                                                 or {})
    original = str(info.get("language") or "").lower()
    for want in dict.fromkeys(x for x in (lang, "en", original) if x):
        if found := _find(manual, want):
            return "manual", found
        orig = [a for a in auto if a.lower() in (f"{want.lower()}-orig",)]
        if orig:
            return "auto", orig[0]
        if original and want.lower().split("-")[0] == original.split("-")[0] \
                and (found := _find(auto, want)):
            return "auto", found
    if lang and (found := _find(auto, lang)):
        return "auto", found  # a translation, but into the language asked for
    return None


def download_video(info: dict[str, Any], dest: Path, *, cookies: str | Path | None = None,
                   progress: Progress = no_progress) -> Path:
    """Download a probed video (no captions) into ``dest``."""
    url = str(info.get("webpage_url") or info.get("url"))

    def hook(status: dict[str, Any]) -> None:
        total = status.get("total_bytes") or status.get("total_bytes_estimate") or 0
        done = status.get("downloaded_bytes") or 0
        if status.get("status") == "finished":
            done = total = max(done, total, 1)
        progress(Stage.DOWNLOAD, int(done), int(total))

    logger = _QuietLogger()
    extra = {"outtmpl": {"default": str(dest / "video.%(ext)s")},
             "paths": {"home": str(dest), "temp": str(dest)}, "progress_hooks": [hook]}
    try:
        with yt_dlp.YoutubeDL(_options(cookies, logger, **extra)) as ydl:
            result = ydl.process_ie_result(dict(info), download=True)
    except (YoutubeDLError, OSError) as exc:
        raise explain(url, exc, logger.messages) from exc
    for item in result.get("requested_downloads") or []:
        path = Path(item.get("filepath") or "")
        if path.is_file():
            return path
    found = [p for p in dest.glob("video.*") if p.suffix.lower().lstrip(".") not in CAPTION_EXTS]
    if found:
        return found[0]
    raise explain(url, YoutubeDLError("no video file was written"), logger.messages)


def download_captions(info: dict[str, Any], dest: Path, lang: str, *,
                      cookies: str | Path | None = None) -> tuple[Path, str, str] | None:
    """Fetch the chosen captions into ``dest``: ``(file, kind, language)``, None if the video
    has none; SourceError if they exist but could not be fetched (the caller goes on)."""
    chosen = choose_captions(info, lang)
    if chosen is None:
        return None
    kind, sub_lang = chosen
    url = str(info.get("webpage_url") or info.get("url"))
    logger = _QuietLogger()
    extra = {"skip_download": True, "writesubtitles": kind == "manual",
             "writeautomaticsub": kind == "auto", "subtitleslangs": [sub_lang],
             "subtitlesformat": "/".join(CAPTION_EXTS),
             "sleep_interval_subtitles": polite_pause(url),
             "outtmpl": {"default": str(dest / "captions.%(ext)s")},
             "paths": {"home": str(dest), "temp": str(dest)}}
    try:
        with yt_dlp.YoutubeDL(_options(cookies, logger, **extra)) as ydl:
            result = ydl.process_ie_result(dict(info), download=True)
    except (YoutubeDLError, OSError) as exc:
        raise explain(url, exc, logger.messages) from exc
    sub = (result.get("requested_subtitles") or {}).get(sub_lang) or {}
    path = Path(sub["filepath"]) if sub.get("filepath") else None
    if path is None or not path.is_file():
        raise explain(url, YoutubeDLError("the captions were not written"), logger.messages)
    return path, kind, sub_lang


class ManyVideos:
    """Metadata and captions of many videos (a collection's), each thread keeping one yt-dlp
    instance: its setup (extractors, TLS context: ~80 ms) is paid once per thread, not twice
    per video. The caller paces the requests (yt-dlp's own pause between caption requests is
    not taken here)."""

    def __init__(self, cookies: str | Path | None = None) -> None:
        self.cookies = cookies
        self._local = threading.local()

    def _ydl(self) -> tuple[yt_dlp.YoutubeDL, _QuietLogger]:
        if getattr(self._local, "ydl", None) is None:
            logger = _QuietLogger()
            self._local.ydl = yt_dlp.YoutubeDL(_options(self.cookies, logger))
            self._local.logger = logger
        self._local.logger.messages.clear()
        return self._local.ydl, self._local.logger

    def extract(self, url: str) -> dict[str, Any]:
        """One video's metadata (SourceError where it is a list, or can't be indexed)."""
        ydl, logger = self._ydl()
        try:
            info = _resolve(ydl, ydl.extract_info(url, download=False, process=False))
            if info.get("_type") == "playlist":
                raise _playlist(url, info, list(itertools.islice(
                    (e for e in info.get("entries") or [] if e), PLAYLIST_PEEK + 1)))
        except (YoutubeDLError, OSError) as exc:
            raise explain(url, exc, logger.messages) from exc
        check_downloadable(info, url)
        return info

    def captions(self, info: dict[str, Any], lang: str, limit: int
                 ) -> tuple[bytes, str, str, str] | None:
        """The chosen captions' ``(bytes, file extension, kind, language)`` (at most ``limit``
        bytes: more is a SourceError); None where the video has none."""
        chosen = choose_captions(info, lang)
        if chosen is None:
            return None
        kind, sub_lang = chosen
        tracks = (info.get("subtitles") if kind == "manual" else
                  info.get("automatic_captions")) or {}
        formats = [f for f in tracks.get(sub_lang) or [] if _caption_ext(f) in CAPTION_EXTS
                   and f.get("url")]
        best = min(formats, key=lambda f: CAPTION_EXTS.index(_caption_ext(f)))
        url = str(info.get("webpage_url") or info.get("url"))
        ydl, logger = self._ydl()
        try:
            with ydl.urlopen(best["url"]) as response:
                data = response.read(limit + 1)
        except (YoutubeDLError, OSError) as exc:
            raise explain(url, exc, logger.messages) from exc
        if len(data) > limit:
            raise SourceError(f"The captions of {url} are larger than {limit / 1e6:g} MB, more "
                              "than oneframe reads from one file.")
        return data, _caption_ext(best), kind, sub_lang
