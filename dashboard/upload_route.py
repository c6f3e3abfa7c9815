"""Video uploads streamed to disk, never held in memory.

``st.file_uploader`` keeps a file in the server's memory (and a copy per read): two visitors
uploading 1 GB each took the server from 258 MB to 5.2 GB. A video file instead goes to
``PUT /oneframe/upload/<token>``, written to its upload folder a chunk at a time as it arrives,
up to ``$ONEFRAME_MAX_UPLOAD_MB``. A token is issued to one session for one file
(:func:`issue`), lives at most ``TOKEN_HOURS``, and is its folder's only name: anything else is
a 404.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from oneframe.core import settings
from oneframe.core.settings import number

PREFIX = "/oneframe/upload/"
MAX_UPLOAD_ENV, MAX_UPLOAD_MB = settings.MAX_UPLOAD_MB, 4000.0
TOKEN_HOURS = 6.0


@dataclass
class Pending:
    """One upload a session may make: where it goes, and what has arrived."""

    folder: Path
    remove: Callable[[], None]
    issued: float = field(default_factory=time.monotonic)
    name: str | None = None
    """The file's name as the browser gave it (shown as the title), once it has arrived."""
    path: Path | None = None
    size: int = 0
    busy: bool = False


_PENDING: dict[str, Pending] = {}
_LOCK = threading.Lock()


def max_bytes() -> int:
    return int(number(MAX_UPLOAD_ENV, MAX_UPLOAD_MB) * 1024 * 1024)


def issue(new_folder: Callable[[], tuple[Path, Callable[[], None]]]) -> str:
    """A token for one upload into a fresh folder; tokens past ``TOKEN_HOURS`` are dropped."""
    token = secrets.token_urlsafe(24)
    folder, remove = new_folder()
    with _LOCK:
        for old in [t for t, p in _PENDING.items()
                    if time.monotonic() - p.issued > TOKEN_HOURS * 3600 and not p.busy]:
            _PENDING.pop(old).remove()
        _PENDING[token] = Pending(folder, remove)
    return token


def received(token: str | None) -> Pending | None:
    """The upload of ``token`` if its file has fully arrived."""
    with _LOCK:
        pending = _PENDING.get(token or "")
        return pending if pending is not None and pending.path is not None else None


def take(token: str) -> Pending | None:
    """Hand the upload over (to the ingest that will remove its folder): the token is spent."""
    with _LOCK:
        pending = _PENDING.get(token)
        if pending is None or pending.path is None:
            return None
        return _PENDING.pop(token)


def restore(pending: Pending) -> str:
    """Offer an upload again (its ingest was cancelled or failed): a new token, the same file,
    until the token expires (``TOKEN_HOURS``) or its user removes it."""
    token = secrets.token_urlsafe(24)
    with _LOCK:
        pending.issued = time.monotonic()
        _PENDING[token] = pending
    return token


def drop(token: str | None) -> None:
    """Forget an upload (removed by its user, or replaced): its folder goes."""
    with _LOCK:
        pending = _PENDING.pop(token or "", None)
    if pending is not None:
        pending.remove()


def kept_name(raw: str) -> str:
    """An upload's name as the browser gave it, without a path or control characters, within
    200 bytes (shown as the title; the file itself is kept under ``uploads.safe_name``)."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip() or "video"
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or len(suffix) > 8:
        stem, dot, suffix = name, "", ""
    while len(f"{stem}{dot}{suffix}".encode()) > 200:
        stem = stem[:-1]
    return f"{stem}{dot}{suffix}"


async def upload(request: Request) -> Response:
    """Write the request's body to its token's folder as it arrives; 413 past the limit."""
    from dashboard.uploads import safe_name

    token = request.path_params["token"]
    with _LOCK:
        pending = _PENDING.get(token)
        if pending is None or pending.busy or pending.path is not None:
            raise HTTPException(404, "No upload is expected here.")
        pending.busy = True
    name = kept_name(unquote(request.headers.get("x-file-name", "video")))
    target = pending.folder / safe_name(name)
    partial = target.with_name(target.name + ".part")
    limit, size = max_bytes(), 0
    try:
        declared = int(request.headers.get("content-length") or 0)
        if declared > limit:
            raise HTTPException(413, "The file is larger than this server takes.")
        with partial.open("wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise HTTPException(413, "The file is larger than this server takes.")
                out.write(chunk)
        partial.rename(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        with _LOCK:
            pending.busy = False
        raise
    with _LOCK:
        pending.name, pending.path, pending.size, pending.busy = name, target, size, False
    return Response(status_code=204)


ROUTES = [Route(PREFIX + "{token}", upload, methods=["PUT"])]
