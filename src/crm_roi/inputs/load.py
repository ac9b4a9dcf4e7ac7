"""Load one input: read → map → validate, with an account of every row.

This is the one entry point the commands use to get records from a file.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crm_roi.errors import InputError, RowIssue
from crm_roi.inputs.ids import IdIndex
from crm_roi.inputs.links import LeadLinks, link_leads
from crm_roi.inputs.mapping import (
    CONVERTED_LEADS,
    DISQUALIFIED_LEADS,
    LOST_STAGES,
    WON_STAGES,
    ColumnMap,
    MappingConfig,
    MissingColumn,
    load_mapping,
    map_columns,
    normalise_header,
    normalise_stage,
)
from crm_roi.inputs.presets import apply, detect
from crm_roi.inputs.read import RawTable, read_table
from crm_roi.inputs.schema import InputKind, field_specs

if TYPE_CHECKING:
    import pandas as pd

    from crm_roi.inputs.validate import ColumnReport


@dataclass(frozen=True)
class LoadOptions:
    """How to read the inputs: what the user told us on the command line."""

    mapping_file: Path | None = None
    sheet: str | None = None
    date_order: str | None = None  # "DMY" or "MDY"
    preset: str | None = None  # force a CRM preset by name, or "none"
    default_hourly_rate: object = None  # Decimal | None
    unusable_ok: bool = False  # a file none of whose rows can be used is no error (validate)
    unneeded: frozenset[str] = frozenset()  # fields the command doesn't use (funnel: amount)


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
    notices: list[str] = field(default_factory=list)  # what every run tells the user
    numbered: bool = False  # no id column: each row's id is its row number
    links: LeadLinks | None = None  # leads: the deals they became (found by check_links)
    # The kept rows' ids by field, as validation hashed them (a big file's; see validate).
    ids: dict[str, tuple[IdIndex, np.ndarray]] = field(default_factory=dict)

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
            "skipped": len(self.raw.skipped),  # titles, blank lines, footers: not data rows
        }

    @property
    def all_rejections(self) -> list[RowIssue]:
        return sorted(self.raw.rejected + self.rejected, key=lambda i: i.row)

    def header_fields(self) -> dict[str, str]:
        """Each mapped field by its header in the file (normalised): ``{"salesagent": "owner"}``."""
        own = set(self.raw.own_headers)
        return {
            normalise_header(header): name
            for name, header in self.mapping.fields.items()
            if header in own
        }

    def summary(self) -> str | None:
        """One line: what became of the rows, and the issues counted by column and kind;
        None when every row was used without a remark."""
        if not self.rejected_total and not self.warnings:
            return None

        def counted(issues: list[RowIssue]) -> str:
            counts = Counter(f"{i.column or 'row'}: {i.code}" for i in issues)
            return ", ".join(f"{n:,} × {what}" for what, n in counts.most_common())

        line = f"{self.path}: {self.rows:,} rows, {self.used:,} used"
        if self.rejected_total:
            line += f", {self.rejected_total:,} rejected ({counted(self.all_rejections)})"
        if self.warnings:
            line += f"; {len(self.warnings):,} warnings ({counted(self.warnings)})"
        return line


def load_input(path: Path, kind: InputKind, options: LoadOptions | None = None) -> Loaded:
    """Read, map and validate one input file. Raises :class:`~crm_roi.errors.InputError` when
    the file as a whole can't be used; row problems come back in the result."""
    options = options or LoadOptions()
    config: MappingConfig = load_mapping(options.mapping_file, kind)
    raw = read_table(path, sheet=options.sheet)
    _check_header(raw)
    preset = detect(raw, kind, options.preset)
    applied = apply(raw, preset) if preset is not None else None
    # pandas comes in with validation: reading never waits on its import (see load_inputs).
    from crm_roi.inputs.validate import ValidateOptions, likely_columns, validate

    try:
        cmap = map_columns(
            raw.headers,
            kind,
            config,
            raw.path,
            preset=applied.columns if applied else None,
            preset_title=f"{applied.preset.title} preset" if applied else "preset",
            blocked=applied.blocked if applied else frozenset(),
            optional=OPTIONAL.get(kind, frozenset()),
        )
    except MissingColumn as missing:
        likely = likely_columns(raw, missing.spec, None, set())
        raise MissingColumn(raw.path, missing.spec, raw.own_headers, "", likely, kind) from None
    cmap, notices = _fill_in(raw, kind, cmap)
    if raw.encoding == "latin-1":
        notices.append(
            "not UTF-8, and bytes such as 0x81 that Windows' cp1252 doesn't define: read as "
            "ISO 8859-1 (latin-1); letters beyond ASCII may be wrong (export it as UTF-8)"
        )

    checked = validate(
        raw,
        kind,
        cmap,
        ValidateOptions(
            date_order=options.date_order,
            default_hourly_rate=options.default_hourly_rate,  # type: ignore[arg-type]
            mapping=config,
            unneeded=options.unneeded if kind is InputKind.DEALS else frozenset(),
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
        sha256=raw.sha256,  # of the bytes read, not of the file read again
        mapping_source=config.source,
        preset=applied.preset.title if applied else None,
        notes=[*(applied.notes if applied else []), *notices],
        notices=notices,
        numbered=cmap.fields.get("deal_id") == ROW_ID_HEADER,
        ids=checked.ids,
    )
    if loaded.rows and not loaded.used and not options.unusable_ok:
        raise InputError(loaded.path, _unusable(loaded))
    raw.release_text()
    assert loaded.rows == loaded.used + loaded.rejected_total, "every row is used or rejected"
    return loaded


PARALLEL_BYTES = 512 * 1024**2

# Required fields a deals file may lack: orders have no stage, some reports no id.
OPTIONAL = {InputKind.DEALS: frozenset({"status", "deal_id"})}
SALE_HEADER = "(every row a sale)"
ROW_ID_HEADER = "(row number)"


def _fill_in(raw: RawTable, kind: InputKind, cmap: ColumnMap) -> tuple[ColumnMap, list[str]]:
    """Columns a deals file may do without: no stage or status column → every row is a won
    sale (orders, invoices, closed-won reports); no id column → the row number is the id."""
    if kind is not InputKind.DEALS:
        return cmap, []
    fields, how, notices = dict(cmap.fields), dict(cmap.how), []
    n = raw.data.num_rows
    if "status" not in fields:
        _no_hidden_stages(raw, cmap)
        raw.add_column(SALE_HEADER, pa.array(np.full(n, "won", dtype=object), pa.string()))
        fields["status"], how["status"] = SALE_HEADER, "no stage or status column"
        notices.append(
            "no stage or status column: every row is read as a won sale (an orders, invoice or "
            "closed-won file); map a stage column if some rows are not sales"
        )
    if "deal_id" not in fields:
        numbers = pc.cast(pa.array(raw.row_numbers, pa.int64()), pa.string())
        raw.add_column(ROW_ID_HEADER, pc.binary_join_element_wise("row ", numbers, ""))
        fields["deal_id"], how["deal_id"] = ROW_ID_HEADER, "no id column"
        notices.append("no id column: each row's id is its row number (row 2, row 3, …)")
    return ColumnMap(fields=fields, attributes=cmap.attributes, how=how), notices


STAGE_WORDS = WON_STAGES | LOST_STAGES | {"closed", "open"}


def _stages_in(
    raw: RawTable, header: str, most: int, words: frozenset[str] = STAGE_WORDS
) -> tuple[list[str], int]:
    """The stage words (``words``) among a column's distinct values (of its first 100,000 rows,
    the first ``most`` of them), and how many distinct values there are."""
    values = raw.data.column(raw.headers.index(header)).slice(0, 100_000)
    distinct = pc.unique(values).to_pylist()
    stages = [v for v in distinct[:most] if v and normalise_stage(v) in words]
    return stages, len(distinct)


def _no_hidden_stages(raw: RawTable, cmap: ColumnMap) -> None:
    """Before every row is taken for a sale: no unmatched column may hold stage words (Won,
    Lost, Closed Won, …), or deals that aren't won would count as revenue."""
    for header in cmap.attributes:
        stages, distinct = _stages_in(raw, header, 200)
        if stages and distinct <= 200:
            shown = ", ".join(repr(v) for v in stages[:3])
            raise InputError(
                raw.path,
                f"no stage or status column was recognised, but {header!r} holds stages "
                f"({shown}): map it in a mapping file ([deals.columns] status = "
                f"{json.dumps(header, ensure_ascii=False)}, --mapping); only a file without "
                "stages is read as sales, every row won",
            )


_DATA_LIKE = re.compile(r"^[-+(]?[€$£¥]?\s*[\d][\d.,:/ -]*\)?$|^[A-Za-z]{1,4}-?\d+$")


def _check_header(raw: RawTable) -> None:
    """A first row of values (``D-1, 100.00, 2024-02-01``) is no header: say so, rather than
    take its values for column names."""
    cells = [h.strip() for h in raw.headers if h.strip()]
    data_like = [h for h in cells if _DATA_LIKE.match(h)]
    if len(data_like) >= 2 and len(data_like) * 2 >= len(cells):
        shown = ", ".join(repr(h) for h in raw.headers[:4])
        raise InputError(
            raw.path,
            f"its first row reads as data ({shown}, …), not as column names: add a header row",
        )


def _unusable(loaded: Loaded) -> str:
    """Why none of a file's rows can be used: the commonest reason, and how many it hit."""
    issues = loaded.all_rejections
    counts = Counter((i.column, i.code) for i in issues)
    (column, code), hits = counts.most_common(1)[0]
    example = next(i for i in issues if (i.column, i.code) == (column, code))
    where = f"{column}: " if column else ""
    return (
        f"none of its {loaded.rows:,} rows can be used; the commonest reason: {where}"
        f"{example.reason} ({hits:,} rows); crm-roi validate lists them all"
    )


def check_links(loaded: list[Loaded]) -> None:
    """Ids something links to must be real: deals numbered by row can't be named by time logs,
    and a customers file must name customers the way the deals do."""
    deals = next((i for i in loaded if i.kind is InputKind.DEALS), None)
    if deals is None:
        return
    customers = next((i for i in loaded if i.kind is InputKind.CUSTOMERS), None)
    if customers is not None:
        _check_customer_ids(deals, customers)
    if deals.numbered:
        for other in loaded:
            links = other.kind in (InputKind.TIME_LOGS, InputKind.LEADS)
            if links and "deal_id" in other.frame and other.frame["deal_id"].notna().any():
                what = "hours" if other.kind is InputKind.TIME_LOGS else "leads"
                raise InputError(
                    deals.path,
                    f"has no id column (its rows were numbered), but {other.path} links {what} "
                    "to deals by deal id: add the deals' id column, or map it in a mapping file "
                    '([deals.columns] deal_id = "Your Header")',
                )
    leads = next((i for i in loaded if i.kind is InputKind.LEADS), None)
    if leads is not None:
        _link_leads(leads, deals)


def check_conversion(loaded: list[Loaded]) -> None:
    """Something must say which leads converted — a status, a converted date, or a link to the
    deals either way — or every conversion figure would be a confident 0."""
    leads = next((i for i in loaded if i.kind is InputKind.LEADS), None)
    if leads is None or not leads.used:
        return
    deals = next((i for i in loaded if i.kind is InputKind.DEALS), None)
    said = [name for name in ("status", "converted_date", "deal_id") if name in leads.frame]
    if said or (deals is not None and "lead_id" in deals.frame):
        return
    raise InputError(
        leads.path,
        "nothing in it says which leads converted: no status, converted date or deal column "
        f"(headers are {', '.join(map(repr, leads.raw.own_headers[:8]))}), and the deals "
        "don't name their leads; map one in a mapping file ([leads.columns] status = ..., or "
        "[deals.columns] lead_id = ...)",
    )


def _link_leads(leads: Loaded, deals: Loaded) -> None:
    """The deals the leads became. Links given and not one found: the two files name deals
    differently, and every lead figure past conversion would be 0 — an error. Some not found:
    a notice, and the leads still count."""
    links = link_leads(leads.frame, deals.frame)
    leads.links = links
    if links.named and not links.found:
        by_lead = leads.mapping.fields.get("deal_id")
        by_deal = deals.mapping.fields.get("lead_id")
        said = []
        if by_lead:
            shown = ", ".join(map(repr, links.missing_ref[:3]))
            said.append(f"{leads.path} names deals by {by_lead!r} ({shown}, …)")
        if by_deal:
            said.append(f"{deals.path} names leads by {by_deal!r}")
        raise InputError(
            leads.path,
            "not one lead is linked to a deal: " + "; ".join(said) + ", and none of them is "
            "an id or a name in the other file; map the columns that name them alike "
            "([deals.columns] deal_id = ..., [leads.columns] deal_id = ..., --mapping)",
        )
    if len(links.missing_lead):
        rows = leads.frame["_row"].to_numpy()[links.missing_lead[:3]]
        shown = ", ".join(
            f"row {r}: {ref!r}" for r, ref in zip(rows, links.missing_ref[:3], strict=True)
        )
        n = len(links.missing_lead)
        more = ", …" if n > 3 else ""
        leads.notices.append(
            f"{n:,} link{'s' if n > 1 else ''} to deals that {deals.path} doesn't have "
            f"({shown}{more}): those leads count, without that deal"
        )
    if links.by_name:
        leads.notices.append(
            f"{links.by_name:,} links found by the deal's or lead's record id or name, not the "
            "id crm-roi reads"
        )


def _check_customer_ids(deals: Loaded, customers: Loaded) -> None:
    """Not one customer of the customers file named by the deals: the two name customers
    differently (names against CRM ids), and every customer figure would be wrong."""
    if "customer_id" not in deals.frame or not len(customers.frame) or not len(deals.frame):
        return
    ids = pa.array(customers.frame["customer_id"], pa.string())
    for named in (deals.frame["customer_id"].iloc[:10_000], deals.frame["customer_id"]):
        # The first deals settle it almost always: a full pass only when none of them links.
        distinct = pc.unique(pa.array(named.dropna(), pa.string()))
        if not len(distinct) or pc.any(pc.is_in(ids, value_set=distinct)).as_py():
            return
    on_deals = deals.mapping.fields["customer_id"]
    on_customers = customers.mapping.fields["customer_id"]
    raise InputError(
        customers.path,
        f"not one of its customers is named by the deals: {deals.path} names them by "
        f"{on_deals!r} ({', '.join(map(repr, distinct[:3].to_pylist()))}, …), this file by "
        f"{on_customers!r} ({', '.join(map(repr, ids[:3].to_pylist()))}, …); map the column "
        "that names them alike in a mapping file ([customers.columns] customer_id = ...)",
    )


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
    # As many files at a time as there are cores (more only share them, and hold their
    # scratch at once): the deals, which take longest, start at once; the small files, in
    # turn on the other core, are done while the deals are still being parsed.
    workers = max(1, min(len(wanted), os.cpu_count() or 2))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        if len(wanted) > 1 and size <= PARALLEL_BYTES:
            futures = [pool.submit(load_input, path, kind, options) for path, kind in wanted]
            run()
            loaded = [future.result() for future in futures]
        else:
            # Big inputs one at a time: reading is faster in parallel, but each file in flight
            # holds its bytes, its text table and its parsed columns at once.
            batch = pool.submit(_one_by_one, wanted, options)
            run()
            loaded = batch.result()
    check_links(loaded)
    check_conversion(loaded)
    return loaded


def _one_by_one(wanted: list[tuple[Path, InputKind]], options: LoadOptions | None) -> list[Loaded]:
    """Big inputs, one after the other. Each file's scratch stays in the process for the next
    file and the engine to reuse: given back to the system after each file, it came back as
    fresh pages the kernel must clear (10M deals: 2.1M page faults, not 1.2M, and 16.7 s,
    not 13.5 s, for 0.3 GB less at the peak)."""
    return [load_input(path, kind, options) for path, kind in wanted]


def guess_kind(path: Path, options: LoadOptions | None = None) -> InputKind:
    """Which input a file holds: a CRM export's own preset, else the kind whose fields its
    headers name best, each required field counting double and a stage column holding stage
    words making deals likelier. A tie is no guess: the error lists the candidates."""
    options = options or LoadOptions()
    raw = read_table(path, sheet=options.sheet)
    for kind in GUESS_ORDER:
        if detect(raw, kind, options.preset) is not None:
            return kind  # a CRM's own export of this kind
    scores: dict[InputKind, int] = {}
    for kind in GUESS_ORDER:  # an investment file looks like costs: only named, never guessed
        try:
            cmap = map_columns(
                raw.headers,
                kind,
                load_mapping(options.mapping_file, kind),
                raw.path,
                optional=OPTIONAL.get(kind, frozenset()),
            )
        except InputError:
            continue
        sales = kind is InputKind.DEALS and "status" not in cmap.fields
        if sales and not {"amount", "close_date"} <= cmap.fields.keys():
            continue  # sales without an amount or a date: no deals file
        if kind is InputKind.CUSTOMERS and _repeats(raw, cmap.fields["customer_id"]):
            continue  # a customer list names each customer once
        scores[kind] = sum(
            2 if spec.required or spec.required_when_status or spec.name in COST_DATES else 1
            for spec in field_specs(kind)
            if spec.name in cmap.fields
        ) + _status_words(raw, kind, cmap.fields.get("status"))
    ranked = sorted(scores.items(), key=lambda ks: -ks[1])
    if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        tied = [k.value for k, v in ranked if v == ranked[0][1]] if ranked else []
        could = (
            f"could be {' or '.join(tied)}"
            if tied
            else "fits no input (deals, costs, customers, time logs)"
        )
        raise InputError(
            raw.path,
            f"can't tell what it holds from its headers ({', '.join(map(repr, raw.headers[:10]))})"
            f": it {could}; pass --kind {'|'.join(tied or [k.value for k in InputKind])}",
        )
    return ranked[0][0]


# A contacts export names companies too: a leads preset is looked for before a customers one.
GUESS_ORDER = (
    InputKind.DEALS, InputKind.LEADS, InputKind.COSTS, InputKind.CUSTOMERS, InputKind.TIME_LOGS
)  # fmt: skip
COST_DATES = ("date", "start_date")  # a cost needs one of them: each counts as required


def _repeats(raw: RawTable, header: str) -> bool:
    values = raw.data.column(raw.headers.index(header)).slice(0, 100_000)
    values = pc.filter(values, pc.not_equal(values, ""))
    return len(pc.unique(values)) < len(values)


# Words only a deal's stage or only a lead's status says ("open" is either's).
STATUS_WORDS = {
    InputKind.DEALS: STAGE_WORDS - {"open"},
    InputKind.LEADS: (CONVERTED_LEADS | DISQUALIFIED_LEADS) - STAGE_WORDS,
}


def _status_words(raw: RawTable, kind: InputKind, header: str | None) -> int:
    """2 when the status column says what only this kind's statuses say, else 0."""
    words = STATUS_WORDS.get(kind)
    if header is None or words is None:
        return 0
    return 2 if _stages_in(raw, header, 500, words)[0] else 0
