"""Library videos streamed from disk, for the player.

``st.video`` given a file path reads the whole file into memory, and again on every rerun
while the player shows (about 0.1 s per 200 MB here; a two-hour film is gigabytes). Instead
Home.py serves this route beside the app: the browser asks for byte ranges as it plays.
"""

from __future__ import annotations

import mimetypes
import stat
from pathlib import Path
from urllib.parse import quote, urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import Route

from oneframe.api import Library, is_valid_id
from oneframe.core.errors import LibraryError

PREFIX = "/oneframe/video/"


async def video(request: Request) -> FileResponse:
    """The video file of one library entry; Starlette answers range requests.

    Anything that isn't the id of a video in the library (malformed, too long, removed) is a
    404, never an error of the server's.
    """
    vid = request.path_params["vid"]
    try:
        path = entry_video(Library(), vid) if is_valid_id(vid) else None
    except (LibraryError, OSError, ValueError):
        path = None
    if path is None:
        raise HTTPException(404, "No such video in the library.")
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=kind)


def entry_video(library: Library, vid: str) -> Path | None:
    """The entry's own video: a regular file (not a link) inside the entry's folder, which is
    inside the library, all checked after resolving; None otherwise (a symlink to /etc/passwd
    planted in an entry is never served)."""
    record = library.get(vid)
    path = record.video_path
    if path is None or path.is_symlink():
        return None
    folder = record.path.resolve()
    resolved = path.resolve()
    if folder.parent != library.root.resolve() or resolved.parent != folder:
        return None
    return resolved if stat.S_ISREG(resolved.lstat().st_mode) else None


ROUTES = [Route(PREFIX + "{vid}", video, methods=["GET", "HEAD"])]


def video_url(page_url: str | None, vid: str) -> str | None:
    """Where the browser showing ``page_url`` fetches video ``vid``; None outside a browser."""
    if not page_url:
        return None
    parts = urlsplit(page_url)
    return f"{parts.scheme}://{parts.netloc}{PREFIX}{quote(vid)}"
