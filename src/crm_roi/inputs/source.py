"""Where an input's bytes come from: a file on disk, standard input, or a pipe.

A data input may be standard input (``-``, or ``/dev/stdin``) or a pipe (``<(cmd)``, which the
shell passes as ``/dev/fd/N``, or a named FIFO). A pipe can be read only once, so its bytes are
read to the end the first time they are asked for and kept for the run: the reader and the
report's sha256 see the same bytes. Devices (``/dev/zero``, ``/dev/urandom``) and sockets are
refused at once: they never end, or are not files.

The mapping file and the ``--rates`` file are settings, not data: they must be regular files
of at most 1 MB (a pipe or a device could block or never end).
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Sequence
from pathlib import Path

from crm_roi.errors import InputError, UsageError

STDIN = "-"
MAX_SETTINGS_BYTES = 1024**2  # a mapping or rates file; real ones are a few kB

_streamed: dict[str, bytes] = {}  # path as given → the bytes its pipe gave, for this run


def forget_streams() -> None:
    """A new run reads its pipes afresh (tests run many commands in one process)."""
    _streamed.clear()


def stream_bytes(path: Path) -> bytes | None:
    """The bytes of standard input or a pipe, read to the end once per run; ``None`` for
    anything else that may be a file (a regular file, a folder, a missing path: the reader
    says what is wrong with it).

    Raises :class:`InputError` for a device other than standard input, or a socket.
    """
    key = str(path)
    if key in _streamed:
        return _streamed[key]
    if key == STDIN:
        data = _read_stdin()
    else:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return None
        if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
            return None
        if stat.S_ISSOCK(mode):
            raise InputError(key, "is a socket, not a file")
        if not (stat.S_ISFIFO(mode) or _is_stdin(path)):
            raise InputError(key, "is a device, not a file")
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise InputError(key, f"can't be read ({exc.strerror})") from None
    _streamed[key] = data
    return data


def check_one_stdin(paths: Sequence[Path]) -> None:
    """Standard input, or any one pipe, can be read once: two inputs can't both come from it."""
    seen: dict[object, Path] = {}
    for path in paths:
        key = _pipe_identity(path)
        if key is None:
            continue
        if key in seen:
            raise UsageError(
                f"{seen[key]} and {path} are both standard input (or one pipe): only one input "
                "can be read from it"
            )
        seen[key] = path


def read_settings(path: Path, name: str) -> bytes:
    """The bytes of a mapping or rates file: a regular file of at most 1 MB.

    ``name`` starts the message (``mapping file x.toml``). A pipe, device or socket is
    refused at once, without waiting on it; a folder raises :class:`IsADirectoryError` and a
    missing file :class:`FileNotFoundError`, for the caller to word.
    """
    # O_NONBLOCK: a FIFO opens at once instead of waiting for a writer.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            raise UsageError(f"{name} is not a regular file (a pipe or a device): give a file")
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(MAX_SETTINGS_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_SETTINGS_BYTES:
        raise UsageError(f"{name} is larger than 1 MB")
    return data


def _read_stdin() -> bytes:
    stream = sys.stdin
    if stream is None or getattr(stream, "buffer", None) is None:
        raise InputError(STDIN, "standard input is closed")
    try:
        return bytes(stream.buffer.read())
    except OSError as exc:
        raise InputError(STDIN, f"standard input can't be read ({exc.strerror})") from None


def _identity(st: os.stat_result) -> tuple[int, int]:
    return st.st_dev, st.st_ino


def _stdin_identity() -> tuple[int, int] | None:
    try:
        return _identity(os.fstat(0))
    except OSError:
        return None


def _is_stdin(path: Path) -> bool:
    """``/dev/stdin`` (or ``/dev/fd/0``) when standard input is a terminal or device."""
    try:
        return _identity(os.stat(path)) == _stdin_identity()
    except OSError:
        return False


def _pipe_identity(path: Path) -> object:
    """What a path reads from when it can be read only once: standard input or a pipe (a
    regular file can be read any number of times)."""
    if str(path) == STDIN:
        try:
            st = os.fstat(0)
        except OSError:
            return STDIN
        return STDIN if stat.S_ISREG(st.st_mode) else _identity(st)
    try:
        st = os.stat(path)
    except OSError:
        return None
    if stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode):
        return None
    if stat.S_ISFIFO(st.st_mode) or _identity(st) == _stdin_identity():
        return _identity(st)
    return None
