"""Where a video comes from: a URL (through the yt-dlp Python API) or a local file.

``probe`` looks at a source without downloading it and gives the id it will have in the
library; ``fetch`` puts the video and its chosen captions into a folder.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from oneframe.core.errors import SourceError
from oneframe.core.progress import Progress, Stage, no_progress
from oneframe.dialogue.captions import CAPTION_SUFFIXES
from oneframe.sources.policy import ServePolicy
from oneframe.sources.ytdlp import download_captions, download_video, extract_url

_YOUTUBE_ID = re.compile(
    r"(?:youtube\.com/(?:watch\?(?:.*&)?v=|shorts/|embed/|live/)|youtu\.be/)([A-Za-z0-9_-]{11})"
)
_PAGE_EXTRACTORS = {"generic", "html5mediaembed"}  # ids only unique within one page
_SAFE_ID = re.compile(r"[^A-Za-z0-9_-]+")
_LANG_CODE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


@dataclass
class Probe:
    """A source looked at but not yet downloaded."""

    source: str
    source_id: str
    title: str
    url: str | None = None
    path: Path | None = None
    info: dict[str, Any] | None = field(default=None, repr=False)
    duration: float | None = None


@dataclass
class Fetched:
    """A video on local disk, with its captions if any were found."""

    video: Path
    captions: Path | None
    caption_kind: str | None
    caption_lang: str | None
    caption_data: bytes | None = field(default=None, repr=False)
    """The caption file's bytes where they were read already (to key the add)."""
    caption_failure: str | None = None
    """Why the site's captions could not be fetched (the video was); None if they were."""


def is_url(source: str) -> bool:
    return bool(re.match(r"^[a-z][a-z0-9+.-]*://", source, re.I))


def youtube_id(url: str) -> str | None:
    """The 11-character id in a YouTube link, without any network access."""
    match = _YOUTUBE_ID.search(url)
    return match.group(1) if match else None


def safe_id(prefix: str, raw: str) -> str:
    """A folder-safe id; ids that need changing get a hash so they stay unique."""
    cleaned = _SAFE_ID.sub("-", raw).strip("-")[:48]
    if cleaned != raw or not cleaned:
        cleaned = f"{cleaned[:32]}-{hashlib.sha1(raw.encode()).hexdigest()[:10]}".strip("-")
    return f"{prefix}-{cleaned}"


def normalise_source(source: str) -> str:
    """A URL as given, a bare ``youtube.com/...`` made https, or an existing path."""
    source = source.strip()
    if is_url(source):
        if not source.lower().startswith(("http://", "https://")):
            raise SourceError(
                f"'{source}' is not a web link oneframe can fetch: only http:// and https:// "
                "links are supported. Give a video page's URL, or a local video file."
            )
        return source
    if Path(source).expanduser().exists():
        return str(Path(source).expanduser().resolve())
    if re.match(r"^(www\.)?(youtube\.com|youtu\.be)/", source, re.I):
        return "https://" + source
    raise SourceError(
        f"'{source}' is neither a link (http:// or https://) nor a file that exists. "
        "Give a video's URL, or the path of a video file on this computer."
    )


def probe(source: str, cookies: str | Path | None = None, *,
          policy: ServePolicy | None = None, name: str | None = None) -> Probe:
    """Look at a source (metadata only, no download) and name its library id.

    ``policy`` limits the addresses a link may lead to (the web app); ``name`` is how messages
    call a local file (an upload's own name, not the temporary path it was saved to).
    """
    source = normalise_source(source)
    if not is_url(source):
        return _probe_file(Path(source), name)
    if policy is not None:
        parts = urlsplit(source)
        policy.check_host(parts.hostname or "", parts.port or (443 if parts.scheme == "https"
                                                                else 80))
    return probed(source, extract_url(source, cookies))


def probed(source: str, info: dict[str, Any]) -> Probe:
    """The :class:`Probe` of a link whose metadata was read (``info``)."""
    return Probe(
        source=source,
        source_id=_url_source_id(info),
        title=str(info.get("title") or info.get("id") or source),
        url=_watch_url(info),
        info=info,
        duration=float(info["duration"]) if info.get("duration") else None,
    )


def _url_source_id(info: dict[str, Any]) -> str:
    extractor = str(info.get("extractor_key") or info.get("ie_key") or "web")
    if extractor.lower() == "youtube" and info.get("id"):
        return safe_id("yt", str(info["id"]))
    if extractor.lower() in _PAGE_EXTRACTORS or not info.get("id"):
        page = str(info.get("webpage_url") or info.get("url") or info.get("id"))
        return "web-" + hashlib.sha1(page.encode()).hexdigest()[:16]
    return safe_id(extractor.lower(), str(info["id"]))


def _watch_url(info: dict[str, Any]) -> str | None:
    if str(info.get("extractor_key", "")).lower() == "youtube" and info.get("id"):
        return f"https://www.youtube.com/watch?v={info['id']}"
    return info.get("webpage_url")


def _probe_file(path: Path, name: str | None = None) -> Probe:
    shown = name or str(path)
    if not path.is_file():
        raise SourceError(f"{shown} is a folder, not a video file. Give the path of a video "
                          "file.")
    try:
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise SourceError(
            f"{shown} cannot be read ({exc.strerror or exc}). Check its permissions."
        ) from exc
    if path.stat().st_size == 0:
        raise SourceError(f"{shown} is empty (0 bytes). Give a complete video file.")
    return Probe(source=str(path), source_id="file-" + digest.hexdigest()[:16],
                 title=path.stem, path=path)


def caption_lang_from_name(path: Path) -> str | None:
    """``clip.en.vtt`` -> ``en``; ``clip.vtt`` -> None."""
    parts = path.name.split(".")
    if len(parts) >= 3 and _LANG_CODE.match(parts[-2]):
        return parts[-2]
    return None


AMBIGUOUS_SUFFIXES = (".txt", ".xml", ".sub")


def find_sidecar(video: Path, lang: str = "en") -> Path | None:
    """A caption file next to a video with the same stem: the asked language, none, English, any."""
    candidates = sorted(
        p for p in video.parent.iterdir()
        if p.is_file() and p.suffix.lower() in CAPTION_SUFFIXES
        and (p.stem == video.stem or p.name.startswith(video.stem + "."))
    )

    def rank(p: Path) -> tuple[int, bool]:
        code = (caption_lang_from_name(p) or "").lower().replace("_", "-")
        # .txt, .xml and .sub are often notes or other data (clip.SOURCE.txt): last in a tie
        shared = p.suffix.lower() in AMBIGUOUS_SUFFIXES
        if code and (code == lang.lower() or code.startswith(lang.lower() + "-")):
            return 0, shared
        return (1 if not code else 2 if code.startswith("en") else 3), shared

    return min(candidates, key=rank) if candidates else None


def fetch(
    found: Probe,
    dest: Path,
    *,
    captions: Path | None = None,
    caption_data: bytes | None = None,
    lang: str = "en",
    cookies: str | Path | None = None,
    progress: Progress = no_progress,
) -> Fetched:
    """Put the video into ``dest``, with its captions: ``captions`` (a file given or found
    beside it, ``caption_data`` its bytes, read once) over the site's."""
    dest.mkdir(parents=True, exist_ok=True)
    if found.path is not None:
        video = dest / ("video" + found.path.suffix.lower())
        _link_or_copy(found.path, video)
        progress(Stage.DOWNLOAD, 1, 1)
    else:
        assert found.info is not None
        video = download_video(found.info, dest, cookies=cookies, progress=progress)
    if captions is not None:
        return Fetched(video, captions, "file", caption_lang_from_name(captions), caption_data)
    if found.info is None:
        return Fetched(video, None, None, None)
    try:
        got = download_captions(found.info, dest, lang, cookies=cookies)
    except SourceError as exc:  # the video is here: captions can be fetched again later
        return Fetched(video, None, None, None, caption_failure=str(exc))
    return Fetched(video, *got) if got else Fetched(video, None, None, None)


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        try:
            shutil.copyfile(src, dst)
        except OSError as exc:
            raise SourceError(
                f"Could not copy {src} into the library ({exc.strerror or exc})."
            ) from exc

