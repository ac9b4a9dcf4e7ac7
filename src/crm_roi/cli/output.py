"""Write a report: a regular file atomically (a temporary file beside it, then a rename);
standard output, a device or a pipe by writing to it, never replacing it.

Every failure — a full disk, a read-only folder, a closed standard output — is one
:class:`~crm_roi.errors.OutputError` naming it, and leaves the previous report as it was.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from crm_roi.errors import OutputError, UsageError

STDIN = "-"  # as an input; as --output, "-" is standard output
# Paths naming a descriptor the process already has: written to through it, never reopened.
_STANDARD = {"-": 1, "/dev/stdout": 1, "/dev/stderr": 2}
_FD_PATH = re.compile(r"/(?:dev|proc/self)/fd/(\d+)")
_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "over the disk quota",
    errno.EFBIG: "too large for the file system",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied (the folder or the file can't be written)",
    errno.EPERM: "not permitted",
    errno.EXDEV: "the file is on another file system than its folder (a bind mount?): "
    "it can't be replaced in one step",
    errno.EBUSY: "the file is busy (a mount point?): it can't be replaced",
    errno.EPIPE: "the reader closed the pipe",
    errno.EBADF: "closed",
    errno.EIO: "input/output error",
}


class OutputClash(UsageError):
    """An output that would land on an input, or the run log on the report."""

    def __init__(self, message: str, log: bool = False) -> None:
        super().__init__(message)
        self.log = log  # the --log-json file is the one at fault: append nothing to it


def check_target(target: Path | None, inputs: Iterable[Path], log: Path | None = None) -> None:
    """Usage errors before anything is read: the report's folder missing, the report a
    folder, or the report or the run log (``--log-json``) landing on any input or on each
    other — compared by real path and by inode, so a symlink or a hard link counts."""
    files = [p for p in inputs if str(p) != STDIN]
    if target is not None:
        folder = target.resolve().parent
        if not folder.is_dir():
            raise UsageError(f"--output {target}: the folder {folder} does not exist")
        if target.is_dir():
            raise UsageError(f"--output {target} is a folder")
        if target.is_socket():
            raise UsageError(f"--output {target} is a socket: give a file, a device or a pipe")
        for path in files:
            if same_file(target, path):
                raise OutputClash(
                    f"--output {target} is one of the inputs{_also(target, path)}; "
                    "it would be overwritten"
                )
    if log is not None:
        for path in files:
            if same_file(log, path):
                raise OutputClash(
                    f"--log-json {log} is one of the inputs{_also(log, path)}; "
                    "the log would be appended to it",
                    log=True,
                )
        if target is not None and same_file(log, target):
            raise OutputClash(
                f"--log-json {log} is also the --output report; give the log a file of its own",
                log=True,
            )


def same_file(a: Path, b: Path) -> bool:
    """Whether writing to ``a`` would change ``b``: the same real path (symlinks followed),
    or the same inode under another name (a hard link). Writing to a device or a pipe replaces
    nothing, so that is never the same file."""
    try:
        first: os.stat_result | None = os.stat(a)
    except OSError:
        first = None
    if first is not None and not stat.S_ISREG(first.st_mode):
        return False
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        second = os.stat(b)
    except OSError:
        return False
    return first is not None and (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)


def _also(given: Path, path: Path) -> str:
    return "" if str(given) == str(path) else f" ({path})"


def write_report(target: Path | None, data: bytes) -> None:
    """Write a report to ``target``, or to standard output when it is None.

    A regular file, or a new path, is replaced all or nothing (:func:`write_atomic`).
    ``/dev/stdout``, ``/dev/null``, another device or a FIFO is written to, never replaced.
    A failure raises :class:`OutputError`; a broken standard output (``… | head``) is left to
    the caller as :class:`BrokenPipeError`, to end quietly.
    """
    name = "standard output" if target is None else f"--output {target}"
    fd = 1 if target is None else _descriptor(target)
    previous = False
    try:
        if fd is not None:
            _write_descriptor(fd, data, name)
            return
        assert target is not None
        try:
            existing: os.stat_result | None = os.stat(target)
        except FileNotFoundError:
            existing = None
        if existing is not None and not stat.S_ISREG(existing.st_mode):
            _write_through(target, existing, data)
        else:
            previous = existing is not None
            write_atomic(target, data)
    except BrokenPipeError:
        if fd == 1:
            raise
        raise OutputError(f"{name}: {describe(errno.EPIPE)}") from None
    except OSError as exc:
        kept = "; the previous report is left as it was" if previous else ""
        raise OutputError(f"{name}: {describe(exc.errno, exc.strerror)}{kept}") from None


def describe(code: int | None, strerror: str | None = None) -> str:
    """An OS error in words that name the fix: ``ENOSPC`` → "no space left on the device"."""
    if code in _REASONS:
        return _REASONS[code]
    return (strerror or "can't be written").lower()


def _descriptor(target: Path) -> int | None:
    """The descriptor ``-``, ``/dev/stdout``, ``/dev/stderr`` or ``/dev/fd/N`` names."""
    text = str(target)
    if text in _STANDARD:
        return _STANDARD[text]
    match = _FD_PATH.fullmatch(text)
    return int(match.group(1)) if match else None


def _write_descriptor(fd: int, data: bytes, name: str) -> None:
    """Standard output or error through Python's stream (flushed first, so what was printed
    stays in order); another descriptor (``/dev/fd/5``) directly."""
    if fd not in (1, 2):
        _write_all(fd, data)
        return
    stream = sys.stdout if fd == 1 else sys.stderr
    buffer = getattr(stream, "buffer", None)
    if stream is None or buffer is None:
        closed = "standard output" if fd == 1 else "standard error"
        where = "" if name == closed else f"{name}: "
        raise OutputError(
            f"{where}{closed} is closed: nothing to write the report to; give --output FILE"
        )
    stream.flush()
    buffer.write(data)
    buffer.flush()


def _write_through(target: Path, existing: os.stat_result, data: bytes) -> None:
    """A device or FIFO is written to, never replaced: ``-o /dev/null`` stays a device."""
    if stat.S_ISSOCK(existing.st_mode):
        raise OutputError(f"--output {target} is a socket: give a file, a device or a pipe")
    fd = os.open(target, os.O_WRONLY)  # a FIFO waits here for its reader, as `> fifo` does
    try:
        with _sigpipe_ignored():  # a reader that goes away is an error line, not a silent death
            _write_all(fd, data)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


@contextlib.contextmanager
def _sigpipe_ignored() -> Iterator[None]:
    if not hasattr(signal, "SIGPIPE") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGPIPE, previous)


def write_atomic(target: Path, data: bytes) -> None:
    """All or nothing: a reader sees the old file or the new one, never half of one.

    The temporary file is made beside the real file (a symlink is followed first), so the
    rename never crosses file systems. A report that exists keeps its mode, and its owner where
    that is permitted; a new one gets the umask's mode, like any file the user creates.
    """
    real = Path(os.path.realpath(target))
    try:
        existing: os.stat_result | None = os.stat(real)
    except FileNotFoundError:
        existing = None
    fd, temp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if existing is None:
            os.chmod(temp, 0o666 & ~_umask())  # mkstemp made it 0600
        else:
            if hasattr(os, "chown") and (existing.st_uid, existing.st_gid) != (
                os.getuid(),
                os.getgid(),
            ):
                with contextlib.suppress(OSError):  # only root may give a file away
                    os.chown(temp, existing.st_uid, existing.st_gid)
            os.chmod(temp, stat.S_IMODE(existing.st_mode))
        os.replace(temp, real)
    except BaseException:  # SIGTERM (see cli/process.py) included: no temporary file is left
        Path(temp).unlink(missing_ok=True)
        raise
    _sync_folder(real.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (a power cut right after leaves the new report)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
