"""Turn a table of text into validated records: typed columns, and a reason for every row left out.

Validation runs over whole columns (Arrow kernels and NumPy), never over rows in Python. The
rules come from :mod:`crm_roi.inputs.schema`: each field's kind says how it is parsed, its
constraints
(``ge=0``, ``gt=0, le=24``) are checked as vectorised comparisons, and pydantic words the
message of a value that breaks one. Rules that span fields:

- a won deal needs an amount and a close date; a lost deal needs a close date;
- deal and customer ids are unique within their file: the first is kept, repeats rejected;
- a close date before the created date is a warning;
- a cost needs a date, or a start and an end date (not after each other);
- a negative cost is a credit: used, and listed as a warning;
- a time log needs an hourly rate unless a default rate is given;
- an amount whose cell names a currency (``$1,234``) that the currency column contradicts is
  rejected.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_roi.errors import InputError, RowIssue, Severity
from crm_roi.inputs.ids import IdIndex, all_different
from crm_roi.inputs.mapping import (
    SPREAD_KINDS,
    ColumnMap,
    MappingConfig,
    MissingColumn,
    normalise_header,
    normalise_stage,
    stage_status,
)
from crm_roi.inputs.parse import (
    ORDERS,
    Parsed,
    Periods,
    clean_text,
    currency_codes,
    parse_dates,
    parse_money,
    parse_number,
    parse_periods,
    per_distinct,
)
from crm_roi.inputs.read import RawTable
from crm_roi.inputs.schema import (
    ACQUISITION_WORDS,
    BENEFIT_WORDS,
    COST_WORDS,
    RETENTION_WORDS,
    FieldSpec,
    InputKind,
    Kind,
    constraint_message,
    field_spec,
    field_specs,
)

ROW = "_row"  # the column holding each record's spreadsheet row number

ACQUISITION, RETENTION = "acquisition", "retention"
_TYPE_WORDS = {ACQUISITION: ACQUISITION_WORDS, RETENTION: RETENTION_WORDS}


@dataclass(frozen=True)
class ValidateOptions:
    date_order: str | None = None  # "DMY" / "MDY": how to read dates that read both ways
    default_hourly_rate: Decimal | None = None
    mapping: MappingConfig = field(default_factory=MappingConfig)
    # Fields the command doesn't use, so never required (funnel: the deals' amount).
    unneeded: frozenset[str] = frozenset()


@dataclass
class ColumnReport:
    """What was detected about one mapped column."""

    field: str
    header: str
    how: str
    kind: str
    decimal: str | None = None
    date_order: str | None = None
    notes: list[str] = dataclasses.field(default_factory=list)


@dataclass
class Validated:
    frame: pd.DataFrame  # used rows: canonical fields (typed), attributes (text), _row
    rejected: list[RowIssue]  # every error, row by row (a row may have several)
    warnings: list[RowIssue]
    columns: list[ColumnReport]
    rejected_rows: int
    # A big file's ids (its own, and those naming other records: ENCODED_ASIDE), hashed in
    # a thread while the other columns were parsed, by field: the distinct ids and each kept
    # row's position among them. The engine links deals, customers and time logs by them
    # without hashing them again.
    ids: dict[str, tuple[IdIndex, np.ndarray]] = field(default_factory=dict)


class _Issues:
    """Collects row issues column by column, from boolean masks."""

    def __init__(self, path: str, row_numbers: np.ndarray) -> None:
        self.path = path
        self.row_numbers = row_numbers
        self.bad = np.zeros(len(row_numbers), dtype=bool)
        self.errors: list[RowIssue] = []
        self.warnings: list[RowIssue] = []
        # An id column's ids hashed beside the parsing, to check them for repeats.
        self.distinct: dict[str, tuple[pa.Array, Future[tuple[IdIndex, np.ndarray]]]] = {}
        self.encoded: dict[str, tuple[IdIndex, np.ndarray]] = {}
        self.checked: dict[str, pa.Array] = {}  # the text each of those was hashed from

    def add(
        self,
        mask: np.ndarray,
        column: str,
        values: Sequence[object] | pa.Array | None,
        reason: str | Callable[[str], str],
        severity: Severity = Severity.ERROR,
        code: str = "invalid",
    ) -> None:
        """One issue per row where ``mask`` holds; ``reason`` may be worded from the value."""
        where = np.flatnonzero(mask)
        if not len(where):
            return
        texts = _take_text(values, where)
        out = self.errors if severity is Severity.ERROR else self.warnings
        for i, text in zip(where.tolist(), texts, strict=True):
            why = reason(text) if callable(reason) else reason
            out.append(
                RowIssue(self.path, int(self.row_numbers[i]), column, text, why, severity, code)
            )
        if severity is Severity.ERROR:
            self.bad[where] = True


def _take_text(values: Sequence[object] | pa.Array | None, where: np.ndarray) -> list[str]:
    if values is None:
        return [""] * len(where)
    if isinstance(values, pa.Array | pa.ChunkedArray):
        taken = values.take(pa.array(where)).to_pylist()
    else:
        taken = [values[i] for i in where]
    return ["" if v is None else str(v) for v in taken]


def validate(
    raw: RawTable, kind: InputKind, cmap: ColumnMap, options: ValidateOptions
) -> Validated:
    """Parse and check every mapped column of ``raw``; see the module docstring for the rules."""
    issues = _Issues(raw.path, raw.row_numbers)
    text = {h: clean_text(raw.column(h)) for h in raw.headers}
    _check_ids_aside(issues, kind, cmap, text)
    parsed, periods = _parse_columns(raw, kind, cmap, text, options)
    columns: dict[str, pa.Array] = {}
    invalid: dict[str, np.ndarray] = {}
    money_currency: dict[str, pa.Array] = {}
    reports: list[ColumnReport] = []
    for name, header in cmap.fields.items():
        spec = field_spec(kind, name)
        report = ColumnReport(name, header, cmap.how.get(name, ""), spec.kind.value)
        reports.append(report)
        if name in parsed:
            p = parsed[name]
            columns[name], invalid[name] = p.values, p.invalid
            _report_parse(report, spec, p)
            if name == "date" and periods is not None:
                _read_as_periods(report, periods, p, columns, invalid)
            _parse_issues(issues, header, p, text[header])
            if p.currency is not None:
                money_currency[name] = p.currency
            _check_bounds(issues, kind, spec, header, p.values, text[header])
        else:
            status = spec.kind is Kind.STATUS
            columns[name] = (
                _statuses(text[header], options.mapping, kind) if status else text[header]
            )
            invalid[name] = np.zeros(raw.data.num_rows, dtype=bool)
    _check_required(issues, kind, cmap, columns, invalid, raw, options.unneeded)
    _check_currency(issues, cmap, columns, money_currency, text)
    RULES[kind](issues, cmap, columns, invalid, options)
    _check_total(raw.path, kind, cmap, columns, ~issues.bad)
    keep = ~issues.bad
    _as_categories(raw, cmap, columns, text)
    return Validated(
        frame=_records(raw, cmap, columns, text, keep),
        rejected=sorted(issues.errors, key=lambda i: i.row),
        warnings=sorted(issues.warnings, key=lambda i: i.row),
        columns=reports,
        rejected_rows=int(issues.bad.sum()),
        ids=_encoded_aside(issues, kind, cmap, columns, keep),
    )


def _as_categories(
    raw: RawTable, cmap: ColumnMap, columns: dict[str, pa.Array], text: dict[str, pa.Array]
) -> None:
    """Text other than ids, kept as categories: each distinct value once, a code per row (ten
    million deals: 2.3 GB of frames instead of 3.8 GB). Every column's text but the ids' (they
    are linked by it) is let go before the records are built, where a file's memory peaks:
    that of the columns parsed into values at once, the others' as each is encoded."""
    ids = {h for name, h in cmap.fields.items() if name in ID_NAMES}
    gone = [h for h in text if h not in ids]
    for header in gone:
        values = text.pop(header)
        if header in cmap.attributes:
            text[header] = pc.dictionary_encode(values)
    raw.release_columns(gone)
    for name, values in columns.items():
        if name not in ID_NAMES and pa.types.is_string(values.type):
            columns[name] = pc.dictionary_encode(values)


def _parse_columns(
    raw: RawTable,
    kind: InputKind,
    cmap: ColumnMap,
    text: dict[str, pa.Array],
    options: ValidateOptions,
) -> tuple[dict[str, Parsed], Periods | None]:
    """Money and numbers first (a decimal comma makes day-first dates likelier), then dates; a
    cost's date column may hold periods."""
    decimal_hint = raw.locale_hint
    parsed: dict[str, Parsed] = {}
    for name, header in cmap.fields.items():
        field_kind = field_spec(kind, name).kind
        if field_kind is Kind.MONEY:
            parsed[name] = parse_money(text[header], decimal_hint, cleaned=True)
        elif field_kind is Kind.NUMBER:
            parsed[name] = parse_number(text[header], decimal_hint, cleaned=True)
    comma_file = decimal_hint == "," or any(
        p.decimal == "," for p in parsed.values() if p.decimal and not p.notes
    )
    date_hint = "dayfirst" if comma_file else None
    periods = None
    for name, header in cmap.fields.items():
        if field_spec(kind, name).kind is not Kind.DATE:
            continue
        source = text[header]
        cost_date = kind in SPREAD_KINDS and name == "date"
        if cost_date:
            periods = parse_periods(source)
            if periods is not None:  # the rest of the column is read as dates
                source = pc.if_else(pa.array(periods.matched), None, source)
        parsed[name] = parse_dates(source, options.date_order, date_hint, cleaned=True)
        if cost_date and periods is None:
            periods = _month_cells(header, parsed[name].values)
    return parsed, periods


def _report_parse(report: ColumnReport, spec: FieldSpec, p: Parsed) -> None:
    """What parsing decided about a column, for ``inspect`` and ``validate``."""
    report.notes = list(p.notes)
    report.decimal = p.decimal if spec.kind in (Kind.MONEY, Kind.NUMBER) else None
    report.date_order = ORDERS.get(p.order or "", p.order) if spec.kind is Kind.DATE else None


def _parse_issues(issues: _Issues, header: str, p: Parsed, text: pa.Array) -> None:
    """A row for every value that could not be read; a warning for every one rounded."""

    def invalid_reason(v: str, r: str = p.reason) -> str:
        return f"{v!r} {r}"

    issues.add(p.invalid, header, text, invalid_reason)
    if p.rounded is not None and p.rounded.any():
        issues.add(
            p.rounded,
            header,
            text,
            lambda v: f"{v!r} has more than two decimals: rounded to the cent",
            Severity.WARNING,
            "rounded",
        )


def _records(
    raw: RawTable,
    cmap: ColumnMap,
    columns: dict[str, pa.Array],
    text: dict[str, pa.Array],
    keep: np.ndarray,
) -> pd.DataFrame:
    """The rows kept: canonical fields (typed), attributes (text; categories but for ids, see
    :func:`_as_categories`) and their row number."""
    out: dict[str, pa.Array] = {ROW: pa.array(raw.row_numbers, pa.int64())}
    out.update(columns)
    for header in cmap.attributes:
        out[header if header not in out else f"{header} (attribute)"] = text[header]
    table = pa.table(out)
    if not keep.all():
        table = table.filter(pa.array(keep))
    return table.to_pandas(date_as_object=False, types_mapper={pa.int64(): pd.Int64Dtype()}.get)


ID_NAMES = frozenset({"deal_id", "customer_id", "lead_id"})
MONTH_HEADERS = frozenset({"month", "maand", "monat", "mois"})


def _month_cells(header: str, dates: pa.Array) -> Periods | None:
    """A ``Month`` column of first-of-month dates (a spreadsheet's date cells) is months."""
    if normalise_header(header) not in MONTH_HEADERS or dates.null_count == len(dates):
        return None
    if not pc.all(pc.equal(pc.day(dates), 1)).as_py():
        return None
    months = np.asarray(pc.fill_null(dates, 0).to_numpy(zero_copy_only=False)).astype(
        "datetime64[M]"
    )
    ends = ((months + 1).astype("datetime64[D]") - 1).astype(np.int64)
    matched = _mask(pc.is_valid(dates))
    last = pa.array(ends.astype(np.int32), pa.int32(), mask=~matched).cast(pa.date32())
    return Periods(dates, last, matched, ["month of a date cell"])


def _read_as_periods(
    report: ColumnReport,
    periods: Periods,
    dates: Parsed,
    columns: dict[str, pa.Array],
    invalid: dict[str, np.ndarray],
) -> None:
    """A cost dated by a period is spread over the period's days, as a start/end span."""
    formats = ", ".join(periods.formats)
    matched = pa.array(periods.matched)
    columns["date"] = pc.if_else(matched, pa.scalar(None, pa.date32()), columns["date"])
    if columns["date"].null_count == len(columns["date"]):
        report.kind, report.date_order = "period", formats
    else:
        report.kind = "date or period"
        report.date_order = f"{report.date_order}; periods {formats}"
    report.notes.append(f"periods ({formats}): each cost spread evenly over its period's days")
    for name, days in (("start_date", periods.first), ("end_date", periods.last)):
        columns[name] = days if name not in columns else pc.coalesce(columns[name], days)
        invalid.setdefault(name, np.zeros(len(days), dtype=bool))


def _statuses(stage: pa.Array, mapping: MappingConfig, kind: InputKind) -> pa.Array:
    """won / lost / open for every stage text, worked out once per distinct stage.

    Each distinct text is normalised as the mapping file's stage names are (accents, case,
    punctuation), so ``Contrat signé`` in the file meets ``"Contrat signé" = "won"``.
    """

    def status(stages: pa.Array) -> pa.Array:
        norms = [normalise_stage(s) if s else "" for s in stages.to_pylist()]
        return pa.array([stage_status(n, mapping, kind) if n else None for n in norms], pa.string())

    statuses = per_distinct(stage, status)
    if "" in mapping.stages:  # [deals.stages] "" = "open": what an empty stage means
        statuses = pc.fill_null(statuses, mapping.stages[""])
    return statuses


def _check_bounds(
    issues: _Issues, kind: InputKind, spec: FieldSpec, header: str, values: pa.Array, text: pa.Array
) -> None:
    """The field's ``ge``/``gt``/``le`` constraints, worded by pydantic."""
    if spec.minimum is None and spec.maximum is None:
        return
    scale = 100 if spec.kind is Kind.MONEY else 1
    numbers = np.asarray(
        pc.fill_null(pc.cast(values, pa.float64()), np.nan).to_numpy(zero_copy_only=False)
    )
    if kind in SPREAD_KINDS and spec.name == "amount":
        return
    checks = []
    if spec.minimum is not None:
        low = float(spec.minimum) * scale
        checks.append(numbers <= low if spec.minimum_exclusive else numbers < low)
    if spec.maximum is not None:
        checks.append(numbers > float(spec.maximum) * scale)
    for mask in checks:
        mask = mask & ~np.isnan(numbers)
        if mask.any():
            first = float(numbers[np.flatnonzero(mask)[0]]) / scale
            sample = Decimal(str(first)) if spec.kind is Kind.MONEY else first
            message = constraint_message(kind, spec.name, sample) or "is out of range"

            def out_of_range(v: str, m: str = message) -> str:
                return f"{v!r}: {m[0].lower()}{m[1:]}"

            issues.add(mask, header, text, out_of_range, code="out_of_range")


def _check_required(
    issues: _Issues,
    kind: InputKind,
    cmap: ColumnMap,
    columns: dict[str, pa.Array],
    invalid: dict[str, np.ndarray],
    raw: RawTable,
    unneeded: frozenset[str] = frozenset(),
) -> None:
    status = columns.get("status")
    for spec in field_specs(kind):
        if spec.name in unneeded:
            continue
        if not (spec.required or spec.required_when_status) or spec.name not in cmap.fields:
            if spec.required_when_status and spec.name not in cmap.fields and status is not None:
                wanted_statuses = pa.array(spec.required_when_status, pa.string())
                needs = _mask(pc.is_in(status, value_set=wanted_statuses))
                if needs.any():  # never a report of zeros: the whole file can't be used
                    present = pc.unique(pc.filter(status, pa.array(needs))).to_pylist()
                    who = "closed" if len(present) > 1 else present[0]
                    n = int(needs.sum())
                    raise MissingColumn(
                        raw.path,
                        spec,
                        raw.own_headers,
                        f"its {n:,} {who} deal{'s need' if n > 1 else ' needs'} it",
                        likely_columns(raw, spec, needs, set(cmap.fields.values()), who),
                        kind,
                    )
            continue
        header = cmap.fields[spec.name]
        missing = _nulls(columns[spec.name]) & ~invalid[spec.name]
        if spec.required:
            why = EMPTY_REASONS.get(spec.name, f"{spec.name} is required but empty")
            issues.add(missing, header, None, why, code="required")
        elif status is not None and missing.any():
            for wanted in spec.required_when_status:
                mask = missing & _mask(pc.equal(status, wanted))
                issues.add(mask, header, None, _needs_message(spec, wanted), code="required")


EMPTY_REASONS = {
    "status": "the stage is empty (say what an empty stage means in a mapping file: "
    '[deals.stages] "" = "open")',
}
# What crm-roi sums exactly in 64-bit integers: any one input's money, in cents, stays under
# 2^62, so that costs and time together, and revenue less cost, can't overflow.
MAX_TOTAL_CENTS = 2**62


def _check_total(
    path: str, kind: InputKind, cmap: ColumnMap, columns: dict[str, pa.Array], kept: np.ndarray
) -> None:
    """Amounts (or hours × rates) that add up past ``MAX_TOTAL_CENTS`` are refused as a whole:
    a total that wrapped round would be a confident wrong figure."""
    name = "hourly_rate" if kind is InputKind.TIME_LOGS else "amount"
    if name not in columns:
        return
    cents = np.abs(_floats(columns[name])[kept])
    if kind is InputKind.TIME_LOGS and "hours" in columns:
        cents = cents * _floats(columns["hours"])[kept]
    total = float(np.nansum(cents))
    if total >= MAX_TOTAL_CENTS:
        limit = f"{MAX_TOTAL_CENTS // 100:,}"
        raise InputError(
            path,
            f"its {cmap.fields.get(name, name)} values add up to more than {limit}: more than "
            "crm-roi can add up exactly (a unit error, such as amounts in millionths?)",
        )


def _floats(values: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(pc.cast(values, pa.float64()), 0).to_numpy(zero_copy_only=False))


KIND_WORDS = {Kind.MONEY: "an amount", Kind.DATE: "a date", Kind.NUMBER: "a number"}


def likely_columns(
    raw: RawTable, spec: FieldSpec, rows: np.ndarray | None, taken: set[str], who: str = ""
) -> list[tuple[str, str]]:
    """Columns (not ``taken``) whose every value in ``rows`` reads as the field's kind, the
    fullest first, each with why: ``("close_value", "an amount in every won row")``.

    Only the first 5,000 such rows are read: enough to tell, and quick on any file."""
    parse = {Kind.MONEY: parse_money, Kind.DATE: parse_dates, Kind.NUMBER: parse_number}.get(
        spec.kind
    )
    if parse is None:
        return []
    found: list[tuple[float, str, str]] = []
    for header in raw.own_headers:
        if header in taken:
            continue
        values = raw.column(header)
        if rows is not None:
            values = values.filter(pa.array(rows))
        values = clean_text(values.slice(0, 5000))
        present = len(values) - values.null_count
        if not present:
            continue
        read = parse(values, cleaned=True)  # type: ignore[operator]
        if read.invalid.any() or read.order == "serial":  # plain numbers are no dates
            continue
        if spec.kind is Kind.NUMBER and spec.maximum is not None:
            numbers = pc.cast(read.values, pa.float64())
            if pc.max(numbers).as_py() > float(spec.maximum) or pc.min(numbers).as_py() <= 0:
                continue
        share = present / len(values)
        where = f"{who} row" if who else "row"
        filled = f"in every {where}" if share == 1 else f"in {share:.0%} of the {where}s"
        found.append((share, header, f"{KIND_WORDS[spec.kind]} {filled}"))
    found.sort(key=lambda f: -f[0])
    return [(header, why) for _, header, why in found[:3]]


def _needs_message(spec: FieldSpec, status: str | None) -> str:
    who = f"a {status} deal" if status else "a " + "/".join(spec.required_when_status) + " deal"
    return f"{who} needs {spec.name.replace('_', ' ')}" + ("" if status else " (no such column)")


def _check_currency(
    issues: _Issues,
    cmap: ColumnMap,
    columns: dict[str, pa.Array],
    money_currency: dict[str, pa.Array],
    text: dict[str, pa.Array],
) -> None:
    """One currency per row: the currency column, else the code or symbol in the amount cell.

    The currency column is read like a cell's currency (``eur`` and ``€`` are ``EUR``); a
    value that is then no three letters A–Z is rejected (it would become the report's currency,
    shown in every title), and so is an amount whose cell names another currency than the column.
    """
    column = columns.get("currency")
    if column is not None:
        # Each distinct value read once (a million rows hold a few currencies).
        encoded = pc.dictionary_encode(column)
        codes = currency_codes(pc.utf8_upper(encoded.dictionary))
        column = codes.take(encoded.indices)
        is_code = pc.match_substring_regex(codes, "^[A-Z]{3}$").take(encoded.indices)
        not_code = _mask(pc.invert(is_code))
        if not_code.any():
            header = cmap.fields["currency"]
            issues.add(
                not_code,
                header,
                text[header],
                lambda v: f"{v!r} is not a currency code (three letters, e.g. EUR)",
            )
            column = pc.if_else(pa.array(not_code), pa.scalar(None, pa.string()), column)
    found = None
    for name, cell in money_currency.items():
        if column is not None:
            clash = _mask(
                pc.and_(pc.and_(pc.is_valid(cell), pc.is_valid(column)), pc.not_equal(cell, column))
            )
            if clash.any():
                where = pa.array(np.flatnonzero(clash))
                pairs = set(
                    zip(cell.take(where).to_pylist(), column.take(where).to_pylist(), strict=True)
                )
                in_cell, in_column = _strings(cell), _strings(column)
                header, said_by = cmap.fields[name], cmap.fields["currency"]
                for written, said in sorted(pairs):

                    def clashes(v: str, w: str = written, c: str = said, h: str = said_by) -> str:
                        return f"{v!r} is in {w}, but {h} says {c}"

                    issues.add(
                        clash & (in_cell == written) & (in_column == said),
                        header,
                        text[header],
                        clashes,
                        code="currency",
                    )
        found = cell if found is None else pc.coalesce(found, cell)
    if column is not None or found is not None:
        columns["currency"] = (
            column if found is None else (found if column is None else pc.coalesce(column, found))
        )


def _nulls(arr: pa.Array) -> np.ndarray:
    return _mask(pc.is_null(arr))


def _mask(arr: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def _strings(arr: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, "").to_numpy(zero_copy_only=False), dtype=object)


def _days(arr: pa.Array) -> np.ndarray:
    """Days since 1970 (NaN where missing), for comparing two date columns."""
    return np.asarray(pc.cast(arr, pa.int32()).to_numpy(zero_copy_only=False), dtype=float)


# The id column of each file of records, and from how many rows it is checked for repeats in
# a thread of its own while the other columns are parsed (hashing a million ids: 50 ms).
ID_FIELDS = {
    InputKind.DEALS: "deal_id",
    InputKind.CUSTOMERS: "customer_id",
    InputKind.LEADS: "lead_id",
}
# Hashed in a thread beside the parsing, from this many rows: a file's own ids (checked for
# repeats), and the ids by which the engine links its records to others'.
ENCODED_ASIDE = {
    InputKind.DEALS: ("deal_id", "customer_id"),
    InputKind.CUSTOMERS: ("customer_id",),
    InputKind.LEADS: ("lead_id",),
    InputKind.TIME_LOGS: ("deal_id",),
}
ASIDE_FROM_ROWS = 100_000


def _check_ids_aside(
    issues: _Issues, kind: InputKind, cmap: ColumnMap, text: dict[str, pa.Array]
) -> None:
    headers = [cmap.fields.get(name) for name in ENCODED_ASIDE.get(kind, ())]
    wanted = [h for h in headers if h is not None and h in text]
    if not wanted or len(text[wanted[0]]) < ASIDE_FROM_ROWS:
        return
    pool = ThreadPoolExecutor(max_workers=1)  # the own ids first: their check waits on them
    for header in dict.fromkeys(wanted):
        issues.distinct[header] = text[header], pool.submit(IdIndex.encode, text[header])
    pool.shutdown(wait=False)


def _encoded_aside(
    issues: _Issues,
    kind: InputKind,
    cmap: ColumnMap,
    columns: dict[str, pa.Array],
    keep: np.ndarray,
) -> dict[str, tuple[IdIndex, np.ndarray]]:
    """The ids hashed aside, by field, for the rows kept: only those whose column is still the
    very text hashed. With rows rejected, numbered ids keep only the kept rows' (as hashing
    those would give them); text ids keep all, marked not exact (see IdIndex.union)."""
    out = {}
    for name in ENCODED_ASIDE.get(kind, ()):
        header = cmap.fields.get(name)
        if header is None:
            continue
        if header in issues.encoded:  # the own ids, checked for repeats
            index, codes = issues.encoded[header]
            if columns.get(name) is not issues.checked.get(header):
                continue
        else:
            hashed, aside = issues.distinct.pop(header, (None, None))
            if aside is None or columns.get(name) is not hashed:
                continue
            index, codes = aside.result()
        if keep.all():
            out[name] = index, codes
        elif (compact := index.compacted(codes[keep])) is not None:
            out[name] = compact
        else:  # text: the rejected rows' ids stay among the distinct ones
            index.exact = False
            out[name] = index, codes[keep]
    return out


def _first_kept(issues: _Issues, ids: pa.Array, column: str, label: str) -> None:
    """Reject repeats of an id among the rows still in; the first one is kept."""
    present = len(ids) - ids.null_count
    checked, aside = issues.distinct.pop(column, (None, None))
    if aside is not None and checked is ids:
        issues.encoded[column] = aside.result()
        issues.checked[column] = ids
        distinct = len(issues.encoded[column][0]) == present
    else:
        distinct = all_different(ids)
    if distinct:
        return  # the usual case
    values = pd.Series(_strings(ids), dtype=object)
    live = ~issues.bad & ~_nulls(ids)
    series = values.where(live)
    dup = series.duplicated(keep="first").to_numpy() & live
    if not dup.any():
        return
    first_row: dict[str, int] = {}
    for i in np.flatnonzero(live & series.duplicated(keep=False).to_numpy()):
        first_row.setdefault(values[i], int(issues.row_numbers[i]))
    issues.add(
        dup,
        column,
        ids,
        lambda v: f"duplicate {label} {v!r} (first on row {first_row[v]}, which is used)",
        code="duplicate",
    )


def _warn_order(
    issues: _Issues,
    cmap: ColumnMap,
    columns: dict[str, pa.Array],
    first: str,
    then: str,
    message: str,
) -> None:
    """A warning on rows whose ``then`` date comes before their ``first`` date."""
    if first not in columns or then not in columns:
        return
    with np.errstate(invalid="ignore"):
        backwards = _days(columns[then]) < _days(columns[first])
    issues.add(
        backwards, cmap.fields[then], columns[then], message.format, Severity.WARNING, "order"
    )


def _cost_rules(
    issues: _Issues,
    cmap: ColumnMap,
    columns: dict[str, pa.Array],
    invalid: dict[str, np.ndarray],
    options: ValidateOptions,
) -> None:
    _dated_amounts(issues, cmap, columns, invalid, "a credit")
    n = len(issues.row_numbers)
    if "type" in columns:
        columns["type"] = _cost_types(issues, columns["type"], cmap.fields["type"])
    else:
        columns["type"] = pa.array([ACQUISITION] * n, pa.string())


def _investment_rules(
    issues: _Issues,
    cmap: ColumnMap,
    columns: dict[str, pa.Array],
    invalid: dict[str, np.ndarray],
    options: ValidateOptions,
) -> None:
    """Dated amounts; each a cost (the default) or a benefit, nothing else."""
    _dated_amounts(issues, cmap, columns, invalid, "a refund")
    n = len(issues.row_numbers)
    if "kind" not in columns:
        columns["kind"] = pa.array([COST] * n, pa.string())
        return
    lookup = {w: COST for w in COST_WORDS} | {w: BENEFIT for w in BENEFIT_WORDS}

    def kind(words: pa.Array) -> pa.Array:
        return pa.array([COST if not w else lookup.get(w) for w in words.to_pylist()], pa.string())

    said = columns["kind"]
    out = per_distinct(pc.utf8_lower(pc.fill_null(said, "")), kind)
    issues.add(
        _nulls(out),
        cmap.fields["kind"],
        said,
        lambda v: f"kind {v!r} is neither cost nor benefit",
        code="kind",
    )
    columns["kind"] = out


COST, BENEFIT = "cost", "benefit"


def _dated_amounts(
    issues: _Issues,
    cmap: ColumnMap,
    columns: dict[str, pa.Array],
    invalid: dict[str, np.ndarray],
    negative: str,
) -> None:
    """A date, or a start and an end date (not after each other); a negative amount is
    ``negative`` (a credit, a refund): used, and warned."""
    n = len(issues.row_numbers)
    none = np.ones(n, dtype=bool)
    has_date = ~_nulls(columns["date"]) if "date" in columns else ~none
    has_start = ~_nulls(columns["start_date"]) if "start_date" in columns else ~none
    has_end = ~_nulls(columns["end_date"]) if "end_date" in columns else ~none
    broken = np.zeros(n, dtype=bool)
    for name in ("date", "start_date", "end_date"):
        if name in invalid:
            broken |= invalid[name]
    undated = ~has_date & ~(has_start & has_end) & ~broken
    column = cmap.fields.get("date") or cmap.fields.get("start_date") or ""
    issues.add(
        undated, column, None, "needs a date, or a start date and an end date", code="required"
    )
    if "start_date" in columns and "end_date" in columns:
        start, end = _days(columns["start_date"]), _days(columns["end_date"])
        with np.errstate(invalid="ignore"):
            backwards = start > end
        issues.add(
            backwards,
            cmap.fields.get("end_date", column),
            columns["end_date"],
            lambda v: f"the end date {v} is before the start date",
            code="order",
        )
    cents = np.asarray(pc.fill_null(columns["amount"], 0).to_numpy(zero_copy_only=False))
    issues.add(
        (cents < 0) & ~issues.bad,
        cmap.fields["amount"],
        columns["amount"],
        lambda v: f"negative amount ({int(v) / 100:.2f}): {negative}, used as such",
        Severity.WARNING,
        "credit",
    )


def _cost_types(issues: _Issues, types: pa.Array, header: str) -> pa.Array:
    """acquisition or retention; an empty type is acquisition, an unknown one too (warned)."""
    lookup = {w: k for k, words in _TYPE_WORDS.items() for w in words}

    def kind(words: pa.Array) -> pa.Array:
        mapped = [ACQUISITION if not w else lookup.get(w) for w in words.to_pylist()]
        return pa.array(mapped, pa.string())

    out = per_distinct(pc.utf8_lower(pc.fill_null(types, "")), kind)
    unknown = _nulls(out)
    issues.add(
        unknown,
        header,
        types,
        lambda v: f"type {v!r} is neither acquisition nor retention: counted as acquisition",
        Severity.WARNING,
        "type",
    )
    return pc.fill_null(out, ACQUISITION)


def _time_rules(
    issues: _Issues,
    cmap: ColumnMap,
    columns: dict[str, pa.Array],
    invalid: dict[str, np.ndarray],
    options: ValidateOptions,
) -> None:
    n = len(issues.row_numbers)
    default = options.default_hourly_rate
    if "hourly_rate" not in columns:
        if default is None:
            issues.add(
                np.ones(n, dtype=bool),
                "",
                None,
                "no hourly rate: the file has no rate column and no --hourly-rate was given",
                code="required",
            )
            columns["hourly_rate"] = pa.nulls(n, pa.int64())
            return
        columns["hourly_rate"] = pa.array([int(default * 100)] * n, pa.int64())
        return
    rate = columns["hourly_rate"]
    missing = _nulls(rate) & ~invalid["hourly_rate"]
    if default is not None:
        columns["hourly_rate"] = pc.fill_null(rate, int(default * 100))
    else:
        issues.add(
            missing,
            cmap.fields["hourly_rate"],
            None,
            "hourly rate is empty (give one, or pass --hourly-rate)",
            code="required",
        )


def _record_rules(first: str, then: str, message: str, id_field: str) -> Callable[..., None]:
    """The rules of a file of records: ``then`` not before ``first`` (a warning, ``message``
    worded from the date); ids unique (the first kept)."""

    def rules(
        issues: _Issues,
        cmap: ColumnMap,
        columns: dict[str, pa.Array],
        invalid: dict[str, np.ndarray],
        options: ValidateOptions,
    ) -> None:
        _warn_order(issues, cmap, columns, first, then, message)
        _first_kept(issues, columns[id_field], cmap.fields[id_field], id_field)

    return rules


_deal_rules = _record_rules(
    "created_date", "close_date", "closes ({}) before it was created", "deal_id"
)
_customer_rules = _record_rules(
    "acquired_date", "churned_date", "churned ({}) before it was acquired", "customer_id"
)
_lead_rules = _record_rules(
    "created_date", "converted_date", "converted ({}) before it was created", "lead_id"
)


RULES: dict[InputKind, Callable[..., None]] = {
    InputKind.DEALS: _deal_rules,
    InputKind.COSTS: _cost_rules,
    InputKind.CUSTOMERS: _customer_rules,
    InputKind.TIME_LOGS: _time_rules,
    InputKind.LEADS: _lead_rules,
    InputKind.INVESTMENT: _investment_rules,
}
