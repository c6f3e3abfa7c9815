"""The file-system moves the library is built on: an atomic swap, ownership locks, and what a
failed write means to the user.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from oneframe.core.errors import LibraryError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; staging folders are swept by age alone
    fcntl = None  # type: ignore[assignment]

_RENAME_EXCHANGE = 2  # linux/fs.h
_libc = None


def _renameat2() -> Any:
    global _libc
    if _libc is None:
        name = ctypes.util.find_library("c")
        _libc = ctypes.CDLL(name, use_errno=True) if name else False
    return getattr(_libc, "renameat2", None) if _libc else None


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where the OS
    or the file system can't, and nothing was changed."""
    call = _renameat2()
    if call is None:
        return False
    at_cwd = -100  # AT_FDCWD
    if call(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(a))


@contextlib.contextmanager
def held(path: Path) -> Iterator[IO[str] | None]:
    """An exclusive lock on ``path`` (created if needed) for the life of the block."""
    with path.open("a") as fh:
        if fcntl is not None:
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield fh
        finally:
            if fcntl is not None:
                fcntl.flock(fh, fcntl.LOCK_UN)


def owner_gone(lock: Path) -> bool:
    """Whether nobody holds ``lock`` (its owner ended, however it ended). False where locks
    aren't available or the file can't be opened."""
    if fcntl is None:
        return False
    try:
        with lock.open("a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return False
            fcntl.flock(fh, fcntl.LOCK_UN)
            return True
    except OSError:
        return False


def claim(lock: Path) -> IO[str] | None:
    """Create ``lock`` and hold it until the returned file is closed (or the process ends)."""
    fh = lock.open("w")
    if fcntl is not None:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fh


WRITE_FAILURES = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


def write_failure(exc: OSError, doing: str) -> LibraryError:
    """What a failed write to the library means, and what to do about it."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        why = ("the disk that holds the library is full. Free some space and try again")
    elif exc.errno == errno.EROFS:
        why = ("the library folder is on a read-only disk. Make it writable, or set "
               "ONEFRAME_LIBRARY to a folder that is")
    elif exc.errno in (errno.EACCES, errno.EPERM):
        why = ("the library folder can't be written here (permission denied). Give this user "
               "write access, or set ONEFRAME_LIBRARY to a folder it can write to")
    else:
        why = f"the library folder could not be changed ({exc.strerror or exc})"
    return LibraryError(f"Could not {doing}: {why}. The library was left as it was.")


@contextlib.contextmanager
def reported_writes(doing: str) -> Iterator[None]:
    """Within the block, a write the disk refuses (full, read-only, no permission) becomes a
    LibraryError that says so; other errors pass unchanged."""
    try:
        yield
    except OSError as exc:
        if exc.errno in WRITE_FAILURES:
            raise write_failure(exc, doing) from exc
        raise
