"""Write a report file atomically: a temporary file beside the target, then a rename."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from crm_roi.errors import UsageError


def check_target(target: Path, inputs: Iterable[Path]) -> None:
    """A usage error when the report would land in a missing folder or on an input."""
    folder = target.resolve().parent
    if not folder.is_dir():
        raise UsageError(f"--output {target}: the folder {folder} does not exist")
    if target.is_dir():
        raise UsageError(f"--output {target} is a folder")
    for path in inputs:
        if path.exists() and target.exists() and path.resolve() == target.resolve():
            raise UsageError(f"--output {target} is one of the inputs; it would be overwritten")


def write_atomic(target: Path, data: bytes) -> None:
    """All or nothing: a reader sees the old file or the new one, never half of one."""
    folder = target.resolve().parent
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
