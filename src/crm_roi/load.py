"""Load one input: read → map → validate, with an account of every row.

This is the one entry point the commands use to get records from a file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from crm_roi.errors import RowIssue
from crm_roi.mapping import ColumnMap, MappingConfig, load_mapping, map_columns
from crm_roi.presets import apply, detect
from crm_roi.read import RawTable, read_table
from crm_roi.schema import InputKind

if TYPE_CHECKING:
    import pandas as pd

    from crm_roi.validate import ColumnReport


@dataclass(frozen=True)
class LoadOptions:
    """How to read the inputs: what the user told us on the command line."""

    mapping_file: Path | None = None
    sheet: str | None = None
    date_order: str | None = None  # "DMY" or "MDY"
    preset: str | None = None  # force a CRM preset by name, or "none"
    default_hourly_rate: object = None  # Decimal | None


@dataclass
class Loaded:
    """One input file as validated records, and what happened to each of its rows."""

    kind: InputKind
    raw: RawTable
    mapping: ColumnMap
    frame: pd.DataFrame
    columns: list[ColumnReport]
    rejected: list[RowIssue]
    warnings: list[RowIssue]
    rejected_rows: int
    sha256: str
    mapping_source: str | None = None
    preset: str | None = None  # the CRM export recognised, e.g. "HubSpot deals export"
    notes: list[str] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.raw.path

    @property
    def rows(self) -> int:
        """Data rows in the file (titles, blank lines and footers aside)."""
        return self.raw.rows

    @property
    def used(self) -> int:
        return len(self.frame)

    @property
    def rejected_total(self) -> int:
        """Rows left out: failed validation, or did not fit the header."""
        return self.rejected_rows + len(self.raw.rejected)

    def account(self) -> dict[str, object]:
        """What became of the file's rows: ``rows`` = ``used`` + ``rejected``."""
        return {
            "kind": self.kind.value,
            "path": self.path,
            "rows": self.rows,
            "used": self.used,
            "rejected": self.rejected_total,
        }

    @property
    def all_rejections(self) -> list[RowIssue]:
        return sorted(self.raw.rejected + self.rejected, key=lambda i: i.row)


def load_input(path: Path, kind: InputKind, options: LoadOptions | None = None) -> Loaded:
    """Read, map and validate one input file. Raises :class:`~crm_roi.errors.InputError` when
    the file as a whole can't be used; row problems come back in the result."""
    options = options or LoadOptions()
    config: MappingConfig = load_mapping(options.mapping_file, kind)
    raw = read_table(path, sheet=options.sheet)
    preset = detect(raw, kind, options.preset)
    applied = apply(raw, preset) if preset is not None else None
    cmap = map_columns(
        raw.headers,
        kind,
        config,
        raw.path,
        preset=applied.columns if applied else None,
        preset_title=f"{applied.preset.title} preset" if applied else "preset",
        blocked=applied.blocked if applied else frozenset(),
    )
    # pandas comes in with validation: reading never waits on its import (see load_inputs).
    from crm_roi.validate import ValidateOptions, validate

    checked = validate(
        raw,
        kind,
        cmap,
        ValidateOptions(
            date_order=options.date_order,
            default_hourly_rate=options.default_hourly_rate,  # type: ignore[arg-type]
            mapping=config,
        ),
    )
    loaded = Loaded(
        kind=kind,
        raw=raw,
        mapping=cmap,
        frame=checked.frame,
        columns=checked.columns,
        rejected=checked.rejected,
        warnings=checked.warnings,
        rejected_rows=checked.rejected_rows,
        sha256=_sha256(path),
        mapping_source=config.source,
        preset=applied.preset.title if applied else None,
        notes=applied.notes if applied else [],
    )
    raw.release_text()
    pa.default_memory_pool().release_unused()  # give the parse's scratch memory back
    assert loaded.rows == loaded.used + loaded.rejected_total, "every row is used or rejected"
    return loaded


PARALLEL_BYTES = 512 * 1024**2


def load_inputs(
    wanted: list[tuple[Path, InputKind]],
    options: LoadOptions | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> list[Loaded]:
    """Load several inputs at once, in threads (Arrow and NumPy release the GIL while they
    parse, so two cores read two files). Results keep the order asked for; when more than one
    file fails, the error of the first in that order is raised.

    ``meanwhile`` runs in the calling thread while the files are read: the command line
    imports pandas and the engine there, half a second that then costs no wall time.
    """
    size = sum(path.stat().st_size for path, _ in wanted if path.is_file())
    run = meanwhile or (lambda: None)
    with ThreadPoolExecutor(max_workers=len(wanted) or 1) as pool:
        if len(wanted) > 1 and size <= PARALLEL_BYTES:
            futures = [pool.submit(load_input, path, kind, options) for path, kind in wanted]
            run()
            return [future.result() for future in futures]
        # Big inputs one at a time: reading is faster in parallel, but each file in flight
        # holds its bytes, its text table and its parsed columns at once.
        batch = pool.submit(lambda: [load_input(path, kind, options) for path, kind in wanted])
        run()
        return batch.result()


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def guess_kind(path: Path, options: LoadOptions | None = None) -> InputKind:
    """Which input a file holds, from how many of each kind's fields its headers name.

    A kind whose required fields are all there wins; ties go to deals, costs, customers,
    time logs in that order.
    """
    from crm_roi.errors import InputError

    options = options or LoadOptions()
    raw = read_table(path, sheet=options.sheet)
    for kind in InputKind:
        if detect(raw, kind, options.preset) is not None:
            return kind  # a CRM's own export of this kind
    best: tuple[int, InputKind] | None = None
    for kind in InputKind:
        try:
            cmap = map_columns(
                raw.headers, kind, load_mapping(options.mapping_file, kind), raw.path
            )
        except InputError:
            continue
        if best is None or len(cmap.fields) > best[0]:
            best = (len(cmap.fields), kind)
    if best is None:
        raise InputError(
            raw.path,
            "can't tell whether it holds deals, costs, customers or time logs from its headers "
            f"({', '.join(map(repr, raw.headers[:10]))}); pass --kind",
        )
    return best[1]
