"""A list of videos read whole: a playlist, a channel, a feed or page of many videos (through
yt-dlp's flat extraction, page by page, nothing downloaded), or a local folder.

Each video of the list is a :class:`Listed`: its link, title, length and date where the list
gives them. Live and upcoming streams are left out; a list of nothing but those, an empty one,
one of more videos than the operator allows (``$ONEFRAME_MAX_LIST``) or a feed of no videos
is refused with a message that says so.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yt_dlp
from yt_dlp.utils import YoutubeDLError

from oneframe.core import settings
from oneframe.core.errors import SourceError
from oneframe.sources.advice import explain
from oneframe.sources.netguard import guarded
from oneframe.sources.policy import ServePolicy
from oneframe.sources.probe import find_sidecar, is_url, normalise_source
from oneframe.sources.ytdlp import _options, _QuietLogger

MAX_LIST_ENV, MAX_LIST = settings.MAX_LIST, 5000
VIDEO_SUFFIXES = (".mp4", ".mkv", ".webm", ".mov", ".m4v", ".avi", ".mpg", ".mpeg", ".ts",
                  ".wmv", ".flv", ".ogv")
AUDIO_SUFFIXES = (".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".wav", ".flac")
_CHANNEL = re.compile(r"^(https?://(?:www\.|m\.)?youtube\.com/(?:@[^/?#]+|c/[^/?#]+|"
                      r"channel/[^/?#]+|user/[^/?#]+))/?(?:[?#].*)?$", re.I)
_NOT_DONE = ("is_live", "is_upcoming", "post_live")


@dataclass
class Listed:
    """One video of a list, as the list gives it."""

    url: str
    """Its own link (or, in a folder, its path)."""
    title: str
    duration: float | None = None
    published: str | None = None
    """Its date, ``YYYY-MM-DD``, where the list gives one."""
    captions: str | None = None
    """``file`` or ``none`` in a folder (a caption file beside it or not); None: not known
    until its captions are looked for."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Listing:
    """A list of videos, read."""

    source: str
    title: str
    kind: str
    """``playlist``, ``channel``, ``feed`` (a page or feed of many) or ``folder``."""
    items: list[Listed]


def max_list() -> int:
    """The most videos one list may add (the operator's ``$ONEFRAME_MAX_LIST``)."""
    return int(settings.number(MAX_LIST_ENV, MAX_LIST, minimum=1, integer=True))


def read_list(source: str, *, cookies: str | Path | None = None,
              policy: ServePolicy | None = None, cap: int | None = None) -> Listing:
    """Every video of the list at ``source`` (a link, or a folder where the policy allows).

    A link to one video is refused (SourceError: add it as a video); so is a list longer than
    ``cap`` (default :func:`max_list`), with its count.
    """
    cap = cap or max_list()
    if policy is not None:
        source = policy.check_source(source)
    source = normalise_source(source)
    if not is_url(source):
        return _folder(Path(source), cap)
    url = _channel_videos(source)
    logger = _QuietLogger()
    try:
        with guarded(policy), yt_dlp.YoutubeDL(_options(
                cookies, logger, noplaylist=False, extract_flat=True, lazy_playlist=True,
                playlistend=cap + 1)) as ydl:
            info = ydl.extract_info(url, download=False, process=True)
    except (YoutubeDLError, OSError) as exc:
        raise explain(source, exc, logger.messages) from exc
    if not info or info.get("_type") != "playlist":
        raise SourceError(f"{source} is a single video, not a list: add it as a video.")
    entries = [e for e in _flatten(info.get("entries") or []) if e]
    return _listing(source, info, entries, cap)


_LIST_LINK = re.compile(r"(youtube\.com/(playlist\b|@|channel/|c/|user/)|[?&]list=(?!.*[?&]v=)"
                        r"|(/feed|/rss|\.rss|\.xml|\.atom)(\?|$))", re.I)


def looks_like_list(source: str) -> bool:
    """Whether ``source`` is, by its form alone, a list: a folder, a YouTube playlist or
    channel link, or a feed's link (``.xml``, ``/rss``, ``/feed``). Other links may be lists
    too (a page of many videos): :func:`read_list` tells."""
    if not is_url(source):
        return Path(source).expanduser().is_dir()
    return bool(_LIST_LINK.search(source)) and "watch?v=" not in source


def _channel_videos(url: str) -> str:
    """A channel's link as its videos tab (its streams and shorts left out unless asked)."""
    match = _CHANNEL.match(url)
    return f"{match.group(1)}/videos" if match else url


def _flatten(entries: Any) -> list[dict[str, Any]]:
    """Entries of a list whose entries may be lists themselves (a channel's tabs)."""
    found: list[dict[str, Any]] = []
    for entry in entries:
        if entry and entry.get("_type") == "playlist":
            found += _flatten(entry.get("entries") or [])
        elif entry:
            found.append(entry)
    return found


def _listing(source: str, info: dict[str, Any], entries: list[dict[str, Any]],
             cap: int) -> Listing:
    if len(entries) > cap:
        count = info.get("playlist_count")
        many = f"{int(count):,}" if count and int(count) > cap else f"more than {cap:,}"
        raise SourceError(f"{source} lists {many} videos, more than the {cap:,} this server "
                          f"adds from one list ({MAX_LIST_ENV} sets the limit). Add a smaller "
                          "playlist, or the newest videos only.")
    if not entries:
        raise SourceError(f"{source} lists no videos (an empty playlist or channel, or a page "
                          "without any). Check the link in a browser.")
    done = [e for e in entries if e.get("live_status") not in _NOT_DONE]
    if not done:
        raise SourceError(f"{source} lists only live or upcoming streams. oneframe adds "
                          "finished videos: add the list again once they are recorded.")
    videos = [e for e in done if not _audio_only(e)]
    if not videos:
        raise SourceError(f"{source} is a feed of {len(done)} items, none of them a video "
                          "(audio or other files). Give a list of videos.")
    items = [Listed(url=str(e.get("url") or e.get("webpage_url")),
                    title=str(e.get("title") or e.get("id") or e.get("url") or "untitled"),
                    duration=float(e["duration"]) if e.get("duration") else None,
                    published=_date(e))
             for e in videos if e.get("url") or e.get("webpage_url")]
    extractor = str(info.get("extractor_key") or info.get("ie_key") or "").lower()
    kind = ("feed" if extractor == "generic" else "channel" if "tab" in extractor
            and "/playlist" not in source else "playlist")
    title = str(info.get("title") or info.get("id") or source)
    return Listing(source, title, kind, items)


def _audio_only(entry: dict[str, Any]) -> bool:
    path = urlsplit(str(entry.get("url") or "")).path.lower()
    return path.endswith(AUDIO_SUFFIXES)


def _date(entry: dict[str, Any]) -> str | None:
    day = entry.get("upload_date") or entry.get("release_date")
    if isinstance(day, str) and re.fullmatch(r"\d{8}", day):
        return f"{day[:4]}-{day[4:6]}-{day[6:]}"
    stamp = entry.get("timestamp") or entry.get("release_timestamp")
    if isinstance(stamp, (int, float)):
        return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d")
    return None


def _folder(folder: Path, cap: int) -> Listing:
    """The video files under ``folder`` (recursively), each with a caption file beside it or
    none."""
    if not folder.is_dir():
        raise SourceError(f"{folder} is a file, not a list: add it as a video.")
    files = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files += [Path(root) / n for n in sorted(names)
                  if n.lower().endswith(VIDEO_SUFFIXES) and not n.startswith(".")]
        if len(files) > cap:
            raise SourceError(f"{folder} holds more than {cap:,} videos, more than this "
                              f"oneframe adds from one list ({MAX_LIST_ENV} sets the limit).")
    if not files:
        raise SourceError(f"{folder} holds no video files ({', '.join(VIDEO_SUFFIXES[:4])}...)."
                          " Give a folder of videos.")
    items = []
    for f in files:
        try:
            day = datetime.fromtimestamp(f.stat().st_mtime, UTC).strftime("%Y-%m-%d")
        except OSError:  # a link to nothing, a file gone meanwhile: not a video here
            continue
        items.append(Listed(url=str(f), title=f.stem, published=day,
                            captions="file" if find_sidecar(f) else "none"))
    return Listing(str(folder), folder.name, "folder", items)
