"""Leads ↔ deals: which lead became which deal, found either way.

A lead names its deal (Salesforce's ``Converted Opportunity ID``, HubSpot's ``Associated Deal
IDs`` — a list, ``;`` or ``,`` separated —, Dynamics' ``Qualifying Opportunity``), or a deal
names its lead (Dynamics' ``Originating Lead``, an MQL id on a deal). A link is an id of the
other file; one that is no id there is tried against the other file's record id column (the
CRM's own id, where a custom id was mapped), then its name column (a Dynamics export names its
lookups by the record's name: ``Topic`` for an opportunity, ``Name`` for a lead), where the key
is unique. A link found neither way is kept as *missing*, to be
reported: the lead still counts, it is never dropped.

Whole columns at a time: the ids are hashed once (:class:`~crm_roi.inputs.ids.IdIndex`), lists
are split with Arrow's kernels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crm_roi.inputs.ids import IdIndex, encode_text
from crm_roi.inputs.mapping import normalise_header

if TYPE_CHECKING:
    import pandas as pd  # the records are frames; reading comes before pandas is imported

# Other ids of a record: the CRM's own record id, when the file's id is a custom field.
RECORD_IDS = frozenset({
    "recordid", "id", "opportunityid", "dealid", "hsobjectid", "leadid", "contactid",
    "donotmodifyopportunity", "donotmodifylead",
})  # fmt: skip
# The headers of a record's name, by which other files' lookups may name it.
DEAL_NAMES = frozenset({
    "name", "topic", "dealname", "opportunityname", "opportunity", "title", "dealtitle",
    "dealnaam", "onderwerp", "subject",
})  # fmt: skip
LEAD_NAMES = frozenset({"name", "fullname", "leadname", "contactname", "naam", "topic"})
SEPARATORS = r"\s*[;,]\s*"


@dataclass(frozen=True)
class LeadLinks:
    """Distinct (lead row, deal row) pairs, and the links that found no deal."""

    lead: np.ndarray  # row positions in the leads frame
    deal: np.ndarray  # row positions in the deals frame
    missing_lead: np.ndarray  # lead rows whose named deal isn't in the deals
    missing_ref: list[str]  # what each of those named
    named: int  # links the leads and deals gave, found or not
    by_name: int  # links found by a name, not an id

    @property
    def found(self) -> int:
        return len(self.lead)


def text_column(frame: pd.DataFrame, column: str) -> pa.Array:
    """A text column as one Arrow string array (validated text: trimmed, blanks null)."""
    arr = pa.array(frame[column], type=pa.string(), from_pandas=True)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


class _Target:
    """One file's records, found by id, else by another id or a name that is unique there."""

    def __init__(self, ids: pa.Array, others: list[pa.Array]) -> None:
        self.ids, codes = IdIndex.encode(ids)
        self.row = _first_rows(codes, len(self.ids))
        self.others = others  # other keys of the records, in order: record ids, then names

    def find(self, refs: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        """The row each ref names (-1: none), and which were found by another key."""
        rows = _take(self.row, self.ids.find(refs))
        by_other = np.zeros(len(refs), dtype=bool)
        for keys in self.others:
            if not (rows < 0).any():
                break
            distinct, codes = encode_text(keys)
            unique = np.bincount(codes[codes >= 0], minlength=len(distinct)) == 1
            first = np.full(len(distinct), -1, dtype=np.int64)
            present = np.flatnonzero(codes >= 0)
            first[codes[present[::-1]]] = present[::-1]
            first[~unique] = -1  # a key two records share links neither
            found = pc.index_in(refs, value_set=distinct)
            at = np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), np.int64)
            named = _take(first, at)
            now = (rows < 0) & (named >= 0)
            by_other |= now
            rows = np.where(now, named, rows)
        return rows, by_other


def _first_rows(codes: np.ndarray, distinct: int) -> np.ndarray:
    """The row of each distinct id (the first, were one repeated)."""
    named = np.flatnonzero(codes >= 0)
    if len(named) == distinct:  # the usual case: every id once
        row = np.empty(distinct, dtype=np.int64)
        row[codes[named]] = named
        return row
    row = np.full(distinct, len(codes), dtype=np.int64)
    np.minimum.at(row, codes[named], named)
    return row


def _take(values: np.ndarray, at: np.ndarray) -> np.ndarray:
    if not len(values):
        return np.full(len(at), -1, dtype=np.int64)
    return np.where(at >= 0, values[np.clip(at, 0, None)], -1)


def _other_keys(frame: pd.DataFrame, kinds: tuple[frozenset[str], ...]) -> list[pa.Array]:
    """The kept columns of ``frame`` that may name its records besides the mapped id: the
    CRM's record id when a custom id was mapped, then a name (in the order of ``kinds``)."""
    found = []
    for headers in kinds:
        for column in frame.columns:
            if normalise_header(column) in headers and column not in ("deal_id", "lead_id"):
                found.append(text_column(frame, str(column)))
    return found


def _split(refs: pa.Array, whole_found: np.ndarray) -> tuple[np.ndarray, pa.Array]:
    """Refs not found whole that hold a list (``D-1; D-2``): each part, with its row."""
    unfound = np.flatnonzero(~whole_found)  # few: most refs are one id, found
    looked = refs.take(pa.array(unfound))
    lists = pc.fill_null(pc.match_substring_regex(looked, "[;,]"), False)
    listed = unfound[np.asarray(lists.to_numpy(zero_copy_only=False), dtype=bool)]
    if not len(listed):
        return np.zeros(0, dtype=np.int64), pa.array([], pa.string())
    parts = pc.split_pattern_regex(refs.take(pa.array(listed)), SEPARATORS)
    parent = np.asarray(pc.list_parent_indices(parts).to_numpy(zero_copy_only=False), np.int64)
    flat = pc.utf8_trim_whitespace(pc.list_flatten(parts))
    keep = np.asarray(pc.not_equal(flat, "").to_numpy(zero_copy_only=False), dtype=bool)
    return listed[parent[keep]], flat.filter(pa.array(keep))


def link_leads(leads: pd.DataFrame, deals: pd.DataFrame) -> LeadLinks:
    """Every (lead, deal) pair the two files name, either way; the leads' links found nowhere."""
    lead_rows: list[np.ndarray] = []
    deal_rows: list[np.ndarray] = []
    missing_lead, missing_ref = np.zeros(0, dtype=np.int64), []
    named = by_name = 0
    if "deal_id" in leads and "deal_id" in deals and len(leads):
        others = _other_keys(deals, (RECORD_IDS, DEAL_NAMES))
        target = _Target(text_column(deals, "deal_id"), others)
        refs = text_column(leads, "deal_id")
        rows, named_by = target.find(refs)
        given = np.asarray(pc.is_valid(refs).to_numpy(zero_copy_only=False), dtype=bool)
        parents, parts = _split(refs, (rows >= 0) | ~given)
        part_rows, part_by_name = target.find(parts)
        listed = np.zeros(len(refs), dtype=bool)
        listed[parents] = True
        whole = given & ~listed  # a list's parts stand for it
        lead_rows += [np.flatnonzero(whole & (rows >= 0)), parents[part_rows >= 0]]
        deal_rows += [rows[whole & (rows >= 0)], part_rows[part_rows >= 0]]
        named += int(whole.sum()) + len(parts)
        by_name += int((named_by & whole).sum()) + int(part_by_name.sum())
        lost = whole & (rows < 0)
        missing_lead = np.concatenate([np.flatnonzero(lost), parents[part_rows < 0]])
        missing_ref = (
            refs.filter(pa.array(lost)).to_pylist()
            + parts.filter(pa.array(part_rows < 0)).to_pylist()
        )
    if "lead_id" in deals and "lead_id" in leads and len(deals):
        others = _other_keys(leads, (RECORD_IDS, LEAD_NAMES))
        target = _Target(text_column(leads, "lead_id"), others)
        refs = text_column(deals, "lead_id")
        rows, named_by = target.find(refs)
        found = rows >= 0
        lead_rows.append(rows[found])
        deal_rows.append(np.flatnonzero(found))
        named += len(refs) - refs.null_count
        by_name += int(named_by.sum())
    lead, deal = _distinct_pairs(lead_rows, deal_rows, len(deals))
    order = np.argsort(missing_lead, kind="stable")
    return LeadLinks(
        lead,
        deal,
        missing_lead[order],
        [missing_ref[i] for i in order],
        named,
        by_name,
    )


def _distinct_pairs(
    leads: list[np.ndarray], deals: list[np.ndarray], n_deals: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each (lead, deal) pair once — a deal linked from both sides is one link — by lead."""
    chunks = [i for i, chunk in enumerate(leads) if len(chunk)]
    if not chunks:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if chunks == [0]:  # the usual case: each lead names one deal, in row order: distinct
        return leads[0].astype(np.int64), deals[0].astype(np.int64)
    lead = np.concatenate(leads).astype(np.int64)
    deal = np.concatenate(deals).astype(np.int64)
    pairs = np.unique(lead * max(n_deals, 1) + deal)
    return pairs // max(n_deals, 1), pairs % max(n_deals, 1)
