"""The process around a run: closed standard descriptors, SIGTERM, a broken pipe, and exiting
without waiting on a reader thread. :func:`crm_roi.cli.root.main` sets these up.
"""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
from contextlib import suppress
from typing import NoReturn

from crm_roi.errors import CrmRoiError, OutputError

EXIT_TERM = 128 + signal.SIGTERM  # 143, as a shell reports a run ended by SIGTERM
SIGTERM_GRACE_S = 10.0  # then exit even if a reader thread still waits on a pipe


class Terminated(BaseException):
    """SIGTERM arrived (cron, systemd or ``kill`` ending the run). A BaseException, like
    KeyboardInterrupt: it unwinds everything, so a report being written is removed."""


def on_sigterm(signum: int, frame: object) -> NoReturn:
    """SIGTERM: stop here, unwinding like an error: the temporary report file is removed,
    one line says why, the --log-json line is written, and the exit code is 143."""
    raise Terminated


def on_sigterm_in_main(signum: int, frame: object) -> NoReturn:
    # Unwinding waits for reader threads; one blocked on a pipe that never ends mustn't keep
    # a stopped run alive.
    timer = threading.Timer(SIGTERM_GRACE_S, _stop_now)
    timer.daemon = True
    timer.start()
    on_sigterm(signum, frame)


def _stop_now() -> None:
    with suppress(OSError):
        os.write(2, b"Error: stopped by SIGTERM\n")
    os._exit(EXIT_TERM)


class _ClosedStdout(io.TextIOBase):
    """``sys.stdout`` when the caller closed it (``>&-``): a report written there is an error
    that says so, instead of a crash or output silently lost."""

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not text:
            return 0
        raise OutputError(
            "standard output is closed: nothing to write the report to; give --output FILE"
        )


def hold_closed_descriptors() -> None:
    """A caller may close stdin, stdout or stderr (``<&-``, ``>&-``, ``2>&-``). /dev/null is
    put on those descriptors, so that no file crm-roi opens lands on them (a library's message
    to descriptor 2 would end up inside the report); stdout then reports itself closed, and
    messages for a closed stderr go nowhere. (Python may have made a stream for a closed
    descriptor, or None: either way it is replaced.)"""
    closed = set()
    for fd in (0, 1, 2):
        if not _usable(fd, writing=fd > 0):
            closed.add(fd)
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    if 0 in closed:
        sys.stdin = None  # "-" then says standard input is closed
    if 1 in closed or sys.stdout is None:
        sys.stdout = _ClosedStdout()
    if 2 in closed or sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (for the run)


def _usable(fd: int, writing: bool) -> bool:
    """Whether a standard descriptor is open the right way round (a closed one may have been
    taken by some file opened read-only before Python started)."""
    try:
        import fcntl

        access = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE
    except ImportError:  # no fcntl (Windows): open is enough
        try:
            os.fstat(fd)
        except OSError:
            return False
        return True
    except OSError:
        return False
    return access != (os.O_RDONLY if writing else os.O_WRONLY)


def silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so Python's last flush stays quiet."""
    with suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())


# glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_MMAP_MAX, M_ARENA_MAX = -1, -3, -4, -8


def tune_runtime() -> None:
    """Set the process up for one big run: before any thread starts, before NumPy and Arrow
    are loaded; a user's own settings of these variables are kept. Measured on a million
    deals (docs/benchmark.md):

    - NumPy's OpenBLAS starts a thread per core at import, which spins and holds buffers;
      crm-roi does no matrix algebra worth threads (the customer models' 4×4 Hessians): one
      thread (0.1 s of CPU and 50 MB less).
    - glibc: freed memory is kept in the process for the next array instead of handed back
      to the system, whose fresh pages the kernel must clear: one malloc arena for all
      threads, every block from the heap (glibc maps blocks over 32 MB apart, and gives them
      back when freed: ten million rows make many), the heap never trimmed mid-run (a quarter
      fewer page faults, 40 MB less at the peak; on ten million deals 3.1M page faults
      become 2.5M and the run 18 s becomes 17 s). A block glibc can't put on the heap it
      still maps apart.
    - Arrow's buffers from that same heap: its own mimalloc took fresh 2 MB pages for every
      thread's pieces, and clearing them was a third of a run's CPU (0.2 s and 50 MB less).
      (glibc only, like the above: elsewhere Arrow keeps its own allocator.)
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):  # not glibc (macOS, musl, Windows)
        return
    for parameter, value in (
        (M_ARENA_MAX, 1),
        (M_MMAP_THRESHOLD, 32 * 1024**2),
        (M_MMAP_MAX, 0),
        (M_TRIM_THRESHOLD, 1024**3),
    ):
        mallopt(parameter, value)
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")


def exit_now(code: int) -> NoReturn:
    """Exit without waiting for reader threads (one may wait on a pipe that never ends)."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError, AttributeError, CrmRoiError):
            stream.flush()
    os._exit(code)
