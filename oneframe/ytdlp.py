"""The yt-dlp Python API, wrapped: quiet, decodable formats, chosen captions, clear errors."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import yt_dlp
from yt_dlp.utils import YoutubeDLError, determine_ext

from oneframe.errors import SourceError
from oneframe.netguard import refusal
from oneframe.progress import Progress, no_progress

# Video only (no ffmpeg merge), at most 480p, H.264 first, never AV1 (OpenCV cannot decode it);
# then combined formats, then the smallest video there is.
VIDEO_FORMAT = "/".join([
    "bv[vcodec^=avc1][height<=?480]",
    "bv[vcodec!^=?av01][vcodec!^=?av1][height<=?480]",
    "b[vcodec^=avc1][height<=?480]",
    "b[vcodec!^=?av01][vcodec!^=?av1][height<=?480]",
    "wv[vcodec!^=?av01][vcodec!^=?av1]",
    "w[vcodec!^=?av01][vcodec!^=?av1]",
])
CAPTION_EXTS = ("vtt", "srt", "sbv")

_FAILURES = (  # (phrases in yt-dlp's message, what to tell the user)
    (("unsupported url",), "this site is not supported by yt-dlp. Download the video "
     "yourself and ingest the file instead."),
    (("confirm your age", "age-restricted", "age restricted", "inappropriate for some users"),
     "the video is age-restricted. Export the cookies of a signed-in browser to a file and "
     "pass it as the cookies file."),
    (("not a bot", "sign in to confirm", "cookies"), "the site asks to sign in (\"confirm you're "
     "not a bot\"). Export the cookies of a signed-in browser to a file and pass it as the "
     "cookies file."),
    (("private video", "video unavailable", "has been removed", "no longer available",
      "does not exist", "members-only", "this video is private", "account associated"),
     "the video is private, removed or unavailable. Check the link in a browser."),
    (("http error 404", "404: not found"), "nothing was found at this address (HTTP 404). "
     "Check the link."),
    (("http error 403",), "the server refused access (HTTP 403). Try again later, or pass a "
     "cookies file."),
    (("requested format is not available", "no video formats", "no formats"),
     "no usable video stream was offered (oneframe needs a video stream OpenCV can decode, "
     "such as H.264 or VP9, not AV1)."),
    (("name or service not known", "temporary failure in name resolution", "failed to resolve",
      "connection refused", "network is unreachable", "timed out", "urlopen error",
      "connection reset", "remote end closed", "nodename nor servname", "no route to host",
      "unable to download webpage", "connectionerror", "transporterror"),
     "the network request failed. Check your internet connection and try again."),
)


class _QuietLogger:
    """Keeps yt-dlp's output off the terminal; the last messages explain failures."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def debug(self, msg: str) -> None:
        pass

    def info(self, msg: str) -> None:
        pass

    def warning(self, msg: str) -> None:
        self.messages.append(msg)

    def error(self, msg: str) -> None:
        self.messages.append(msg)


def deno_path() -> str | None:
    """The deno binary installed beside this Python (the ``deno`` package), or on PATH."""
    beside = Path(sys.executable).parent / "deno"
    return str(beside) if beside.is_file() else shutil.which("deno")


def _options(cookies: str | Path | None, **extra: Any) -> dict[str, Any]:
    opts: dict[str, Any] = {
        "quiet": True, "no_warnings": True, "noprogress": True, "no_color": True,
        "logger": _QuietLogger(), "noplaylist": True, "format": VIDEO_FORMAT,
        "fixup": "never", "socket_timeout": 20, "retries": 2,
    }
    deno = deno_path()
    if deno:
        opts["js_runtimes"] = {"deno": {"path": deno}}
    if cookies:
        path = Path(cookies).expanduser()
        if not path.is_file():
            raise SourceError(f"Cookies file {path} does not exist. Export one from a "
                              "signed-in browser (Netscape cookies.txt format).")
        opts["cookiefile"] = str(path)
    opts.update(extra)
    return opts


def explain(url: str, exc: BaseException) -> SourceError:
    """A SourceError whose message says what went wrong with ``url`` and what to do."""
    if refused := refusal():  # a redirect or a name that led inside the network
        return SourceError(f"Could not fetch {url}: {refused}")
    message = str(exc).replace("ERROR: ", "").strip()
    lowered = message.lower()
    for phrases, advice in _FAILURES:
        if any(p in lowered for p in phrases):
            return SourceError(f"Could not fetch {url}: {advice}")
    return SourceError(f"Could not fetch {url}: {message or type(exc).__name__}")


def extract_url(url: str, cookies: str | Path | None = None) -> dict[str, Any]:
    """Metadata of one video (formats, captions, title) without downloading it."""
    try:
        with yt_dlp.YoutubeDL(_options(cookies)) as ydl:
            info = ydl.extract_info(url, download=False, process=False)
            for _ in range(3):  # follow redirects and embeds to the video itself
                if info.get("_type") not in ("url", "url_transparent"):
                    break
                info = ydl.extract_info(info["url"], download=False, process=False,
                                        ie_key=info.get("ie_key"))
    except (YoutubeDLError, OSError) as exc:
        raise explain(url, exc) from exc
    if info.get("_type") == "playlist":
        entries = [e for e in info.get("entries") or [] if e]
        if len(entries) != 1:
            raise SourceError(f"{url} is a playlist or a page with {len(entries)} videos. "
                              "Give the link of a single video.")
        info = entries[0]
    return info


def _caption_ext(track: dict[str, Any]) -> str:
    return str(track.get("ext") or determine_ext(track.get("url") or "")).lower()


def _match_lang(tracks: dict[str, list[dict]], want: str | None) -> str | None:
    usable = [lang for lang, fmts in tracks.items()
              if lang != "live_chat" and any(_caption_ext(f) in CAPTION_EXTS for f in fmts or [])]
    if want is None:
        return usable[0] if usable else None
    want = want.lower()
    for lang in usable:
        if lang.lower() == want:
            return lang
    for lang in usable:
        if lang.lower().startswith(want + "-"):
            return lang
    return None


def choose_captions(info: dict[str, Any], lang: str) -> tuple[str, str] | None:
    """``(kind, language)``: the asked language, else English, else any; manual before auto."""
    manual = info.get("subtitles") or {}
    auto = info.get("automatic_captions") or {}
    for want in (lang, "en", None):
        for kind, tracks in (("manual", manual), ("auto", auto)):
            found = _match_lang(tracks, want)
            if found:
                return kind, found
    return None


def download_url(
    info: dict[str, Any],
    dest: Path,
    *,
    lang: str | None,
    cookies: str | Path | None = None,
    progress: Progress = no_progress,
) -> tuple[Path, Path | None, str | None, str | None]:
    """Download a probed video (and captions unless ``lang`` is None) into ``dest``.

    Returns ``(video, captions, caption kind, caption language)``.
    """
    url = str(info.get("webpage_url") or info.get("url"))
    chosen = choose_captions(info, lang) if lang else None

    def hook(status: dict[str, Any]) -> None:
        total = status.get("total_bytes") or status.get("total_bytes_estimate") or 0
        done = status.get("downloaded_bytes") or 0
        if status.get("status") == "finished":
            done = total = max(done, total, 1)
        progress("download", int(done), int(total))

    extra: dict[str, Any] = {
        "outtmpl": {"default": str(dest / "video.%(ext)s")},
        "paths": {"home": str(dest), "temp": str(dest)},
        "progress_hooks": [hook],
    }
    if chosen:
        kind, sub_lang = chosen
        extra.update({"writesubtitles": kind == "manual", "writeautomaticsub": kind == "auto",
                      "subtitleslangs": [sub_lang], "subtitlesformat": "/".join(CAPTION_EXTS)})
    try:
        with yt_dlp.YoutubeDL(_options(cookies, **extra)) as ydl:
            result = ydl.process_ie_result(dict(info), download=True)
    except (YoutubeDLError, OSError) as exc:
        raise explain(url, exc) from exc
    video = _downloaded_video(result, dest)
    if not chosen:
        return video, None, None, None
    sub = (result.get("requested_subtitles") or {}).get(chosen[1]) or {}
    sub_path = Path(sub["filepath"]) if sub.get("filepath") else None
    if sub_path is None or not sub_path.is_file():
        return video, None, None, None
    return video, sub_path, chosen[0], chosen[1]


def _downloaded_video(result: dict[str, Any], dest: Path) -> Path:
    for item in result.get("requested_downloads") or []:
        path = Path(item.get("filepath") or "")
        if path.is_file():
            return path
    found = [p for p in dest.glob("video.*") if p.suffix.lower().lstrip(".") not in CAPTION_EXTS]
    if not found:
        raise SourceError("yt-dlp finished but no video file was written. Try again; if it "
                          "keeps failing, download the video yourself and ingest the file.")
    return found[0]
