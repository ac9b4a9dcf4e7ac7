"""Groups: the label every deal, customer, cost and time log gets for a breakdown dimension.

A dimension's labels are shared by all four inputs (a :class:`Vocabulary`); a crossed
breakdown numbers each combination of labels, and a key is a tuple of labels, one per
dimension. ``(none)`` is the group of deals without a value, ``(unattributed)`` of costs and
time that reach no group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from crm_roi.engine.calendar import PERIODS, period_index, period_labels, period_name
from crm_roi.engine.figures import NONE, UNATTRIBUTED
from crm_roi.inputs.dimensions import find_column
from crm_roi.inputs.ids import encode_text
from crm_roi.inputs.mapping import normalise_header
from crm_roi.inputs.parse import one_array
from crm_roi.inputs.schema import InputKind, Kind, field_specs
from crm_roi.inputs.validate import ROW


def arrow_text(values: pd.Series) -> pa.Array:
    """A text column as one Arrow string array (zero-copy for pandas' Arrow-backed text; a
    categorical column's text is spelled out: where codes will do, see :func:`text_codes`)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        distinct, codes = text_codes(values)
        return distinct.take(pa.array(codes, mask=codes < 0))
    arr = pa.array(values, type=pa.string(), from_pandas=True)
    return one_array(arr) if isinstance(arr, pa.ChunkedArray) else arr


def text_codes(values: pd.Series) -> tuple[pa.Array, np.ndarray]:
    """The distinct texts of a column, and each row's position among them (-1 for none). A
    categorical column (validation keeps text so) has them already: its categories and codes,
    less the categories no row has (rows left out of a window)."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return encode_text(arrow_text(values))
    codes = np.asarray(values.cat.codes, dtype=np.int64)
    categories = pa.array(values.cat.categories, pa.string())
    used = np.bincount(codes[codes >= 0], minlength=len(categories)) > 0
    if used.all():
        return categories, codes
    renumbered = np.append(np.cumsum(used) - 1, -1)  # a code of -1 takes the last: -1
    return categories.filter(pa.array(used)), renumbered[codes]


if TYPE_CHECKING:
    from crm_roi.engine.prepare import Inputs, Prepared

COHORT = "cohort"


@dataclass
class Keys:
    """One dimension's groups: ``labels`` and, per kind of row, the index of its label."""

    labels: list[str]
    deals: np.ndarray
    customers: np.ndarray
    costs: np.ndarray
    time: np.ndarray
    leads: np.ndarray


class Vocabulary:
    """Labels of one dimension, shared by deals, customers, costs and time logs."""

    def __init__(self) -> None:
        self.labels: list[str] = []
        self.index: dict[str, int] = {}

    def code(self, label: str) -> int:
        if label not in self.index:
            self.index[label] = len(self.labels)
            self.labels.append(label)
        return self.index[label]

    def codes(self, values: pd.Series | np.ndarray) -> np.ndarray:
        """The label index of every value; -1 where there is none."""
        distinct, found = (
            text_codes(values)
            if isinstance(values, pd.Series)
            else encode_text(pa.array(values, pa.string(), from_pandas=True))
        )
        lookup = np.array([self.code(str(u)) for u in distinct.to_pylist()] + [-1], dtype=np.int64)
        return lookup.take(found)

    def fill(self, codes: np.ndarray, missing: str) -> np.ndarray:
        """``codes`` with -1 replaced by the label ``missing``."""
        if (codes < 0).any():
            return np.where(codes < 0, self.code(missing), codes)
        return codes


def period_codes(vocab: Vocabulary, days: np.ndarray, period: str) -> np.ndarray:
    """Label codes of the periods of ``days``; -1 where there is no day."""
    index = period_index(days, period)
    out = np.full(len(days), -1, dtype=np.int64)
    valid = index >= 0
    if valid.any():
        low = int(index[valid].min())
        seen = np.flatnonzero(np.bincount(index[valid] - low))
        table = np.full(int(seen.max()) + 1, -1, dtype=np.int64)
        table[seen] = [vocab.code(period_name(low + int(i), period)) for i in seen]
        out[valid] = table[index[valid] - low]
    return out


def unravel(g: int, labels: list[list[str]], sizes: list[int]) -> tuple[str, ...]:
    parts = []
    for names, size in zip(reversed(labels), reversed(sizes), strict=True):
        g, i = divmod(g, size)
        parts.append(names[i])
    return tuple(reversed(parts))


def sort_key(key: tuple[str, ...], numeric: Sequence[bool]) -> tuple[tuple[int, Any], ...]:
    """Keys in order, numbers as numbers where every key of the dimension is one; ``(none)``
    and ``(unattributed)`` last."""
    return tuple(
        (
            2 if k == UNATTRIBUTED else 1 if k == NONE else 0,
            _number(k) if n and k not in (NONE, UNATTRIBUTED) else k,
        )
        for k, n in zip(key, numeric, strict=True)
    )


def keyed_rows(
    dims: tuple[str, ...], rows: dict[tuple[str, ...], dict[str, Any]]
) -> list[dict[str, Any]]:
    """A breakdown's rows in order (:func:`sort_key`), each with its key's labels by dimension
    before its values."""
    numeric = [all_numbers(key[i] for key in rows) for i in range(len(dims))]
    return [
        {**dict(zip(dims, key, strict=True)), **values}
        for key, values in sorted(rows.items(), key=lambda kv: sort_key(kv[0], numeric))
    ]


def _number(text: str) -> Decimal:
    try:
        return Decimal(text)
    except ArithmeticError:
        return Decimal(0)


def all_numbers(keys: Any) -> bool:
    """Whether every key (``(none)`` and ``(unattributed)`` aside) reads as a number."""
    seen = False
    for k in keys:
        if k in (NONE, UNATTRIBUTED):
            continue
        try:
            if not Decimal(k).is_finite():
                return False
        except ArithmeticError:
            return False
        seen = True
    return seen


MAX_GROUPS = 200_000  # groups of one breakdown: beyond, a table no one reads, and minutes


DENSE_GROUPS = 1_000_000  # up to this many combinations, sums are indexed by them directly


def group_labels(values: pd.Series, column: str, kind: InputKind) -> pd.Series:
    """A column of any type as group labels: money in units (``1234.50``), dates as
    ``YYYY-MM-DD``, numbers and flags as written; text as it is."""
    if (
        values.dtype == object
        or pd.api.types.is_string_dtype(values)
        or isinstance(values.dtype, pd.CategoricalDtype)
    ):
        return values
    spec = next((s for s in field_specs(kind) if s.name == column), None)
    if spec is not None and spec.kind is Kind.MONEY:
        cents = values.astype("Int64")
        text = (cents.abs() // 100).astype(str) + "." + (cents.abs() % 100).astype(str).str.zfill(2)
        return text.where(cents >= 0, "-" + text).where(cents.notna(), None)
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime("%Y-%m-%d").where(values.notna(), None)
    return (
        values.astype(object)
        .where(values.notna(), None)
        .map(lambda v: v if v is None else (f"{v:g}" if isinstance(v, float) else str(v)))
    )


def take(codes: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``codes[index]``, -1 where the index is -1 (no link)."""
    if not len(codes):
        return np.full(len(index), -1, dtype=np.int64)
    return np.where(index >= 0, codes[np.clip(index, 0, None)], -1)


def _frames(inputs: Inputs) -> list[tuple[pd.DataFrame, InputKind]]:
    """The inputs given, deals first."""
    frames = [
        (inputs.deals, InputKind.DEALS),
        (inputs.customers, InputKind.CUSTOMERS),
        (inputs.costs, InputKind.COSTS),
        (inputs.time_logs, InputKind.TIME_LOGS),
        (inputs.leads, InputKind.LEADS),
    ]
    return [(f, k) for f, k in frames if f is not None]


def dimension_exists(dim: str, inputs: Inputs) -> bool:
    """Whether any input can give ``dim`` a value."""
    if dim in PERIODS or dim == COHORT:
        return True
    return any(
        find_column(f, dim, k, inputs.aliases.get(k, {})) is not None for f, k in _frames(inputs)
    )


def dimension_names(inputs: Inputs) -> dict[str, str]:
    """The dimensions the inputs have, for suggesting one: each way of naming one (normalised
    as headers are compared: the field, its synonyms, the file's own header) → the name to
    show. Text fields and kept attributes, in the files' order, then the periods and cohort.

    A name not listed may still be a dimension (a date or money column): see
    :func:`dimension_exists`."""
    names: dict[str, str] = {}
    for frame, kind in _frames(inputs):
        specs = {spec.name: spec for spec in field_specs(kind)}
        headers = inputs.aliases.get(kind, {})
        for column in map(str, frame.columns):
            spec = specs.get(column)
            if column == ROW or (spec is not None and spec.kind is not Kind.TEXT):
                continue
            own = [header for header, field in headers.items() if field == column]
            for name in (column, *(spec.synonyms if spec else ()), *own):
                names.setdefault(normalise_header(name), column)
    for dim in (*PERIODS, COHORT):
        names.setdefault(dim, dim)
    return names


def column_of(prepared: Prepared, frame: pd.DataFrame, dim: str, kind: InputKind) -> str | None:
    """The column of ``frame`` that the dimension ``dim`` names, if any."""
    return find_column(frame, dim, kind, prepared.aliases.get(kind, {}))


def dimension_keys(
    prepared: Prepared, dim: str, cost_rows: np.ndarray, cost_days: np.ndarray
) -> Keys:
    """The group of every deal, customer, cost segment and time log for ``dim``."""
    if dim in PERIODS:
        return _period_keys(prepared, dim, cost_days)
    p, vocab = prepared, Vocabulary()
    deals_frame, customers_frame = p.deals.frame, p.customers.fields
    if dim == COHORT:
        customers = period_codes(vocab, p.customers.acquired, "month")
        deals = take(customers, p.deals.customer)
    else:
        own = column_of(p, customers_frame, dim, InputKind.CUSTOMERS)
        column = column_of(p, deals_frame, dim, InputKind.DEALS)
        deals = (
            vocab.codes(group_labels(deals_frame[column], column, InputKind.DEALS))
            if column is not None
            else np.full(len(deals_frame), -1)
        )
        if own is not None:
            customers = vocab.codes(group_labels(customers_frame[own], own, InputKind.CUSTOMERS))
            if column is None:
                deals = take(customers, p.deals.customer)
        else:
            customers = take(deals, p.customers.acquisition_deal)
    costs = np.full(len(cost_rows), -1)
    column = column_of(p, p.costs.frame, dim, InputKind.COSTS)
    if column is not None and len(cost_rows):
        labels = group_labels(p.costs.frame[column], column, InputKind.COSTS)
        costs = vocab.codes(labels)[cost_rows]
    time = np.full(len(p.time.frame), -1)
    column = column_of(p, p.time.frame, dim, InputKind.TIME_LOGS)
    if column is not None and column not in ("deal_id", "customer_id") and len(p.time.frame):
        time = vocab.codes(group_labels(p.time.frame[column], column, InputKind.TIME_LOGS))
    leads = _lead_codes(p, dim, vocab, deals, customers)
    # A log linked to a deal (or customer) is in that deal's group, (none) included.
    deals, customers = vocab.fill(deals, NONE), vocab.fill(customers, NONE)
    time = np.where(time >= 0, time, take(deals, p.time.deal))
    time = np.where(time >= 0, time, take(customers, p.time.customer))
    return Keys(
        vocab.labels,
        deals,
        customers,
        vocab.fill(costs, UNATTRIBUTED),
        vocab.fill(time, UNATTRIBUTED),
        vocab.fill(leads, NONE),
    )


def _lead_codes(
    p: Prepared, dim: str, vocab: Vocabulary, deals: np.ndarray, customers: np.ndarray
) -> np.ndarray:
    """A lead's group: its own value of ``dim``, else its deal's, else its customer's."""
    if p.leads is None:
        return np.zeros(0, dtype=np.int64)
    leads = p.leads
    own = np.full(len(leads.frame), -1, dtype=np.int64)
    column = None if dim == COHORT else column_of(p, leads.frame, dim, InputKind.LEADS)
    if column is not None and column not in ("deal_id", "customer_id", "lead_id"):
        own = vocab.codes(group_labels(leads.frame[column], column, InputKind.LEADS))
    own = np.where(own >= 0, own, take(deals, leads.deal))
    return np.where(own >= 0, own, take(customers, leads.customer))


def _period_keys(prepared: Prepared, period: str, cost_days: np.ndarray) -> Keys:
    """Deals by the period of their close date (open deals: of their created date), customers
    of their acquisition, costs and time of their own day; every period of the window named."""
    p, vocab = prepared, Vocabulary()
    for label in period_labels(p.start, p.end, period):
        vocab.code(label)  # every period of the window has a code, in order
    deal_day = np.where(p.deals.open, p.deals.created, p.deals.close)
    lead_day = p.leads.created if p.leads is not None else np.zeros(0)
    return Keys(
        vocab.labels,
        vocab.fill(period_codes(vocab, deal_day, period), NONE),
        vocab.fill(period_codes(vocab, p.customers.acquired, period), NONE),
        vocab.fill(period_codes(vocab, cost_days, period), UNATTRIBUTED),
        vocab.fill(period_codes(vocab, p.time.day, period), UNATTRIBUTED),
        vocab.fill(period_codes(vocab, lead_day, period), NONE),
    )
