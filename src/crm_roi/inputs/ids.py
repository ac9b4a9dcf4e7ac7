"""Ids: which are distinct, and where an id of one file is found in another.

Deals name their customer, time logs their deal: linking them means hashing a million ids
or more. Hashing text is the slow way; most CRMs number their records (HubSpot ``12345678``,
Pipedrive ``4711``, Zoho ``zcrm_4567000000123``, exports such as ``D-1042``). When every id of
a column is one shared prefix followed by a number written without leading zeros, the number
alone tells the ids apart, and they are hashed as integers, several times faster. Any other
column (Salesforce's ``0065g00000AbCdE``, company names) is hashed as text. Both ways give
the same answer; only the speed differs.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crm_roi.inputs.parse import string_buffers

if TYPE_CHECKING:
    import pandas as pd

_MAX_DIGITS = 18  # fits an int64
_MAX_PREFIX = 16  # longer is no id prefix ("Acme Corporation Benelux"): hashed as text


class IdIndex:
    """The distinct ids of a column. Positions among them are in no particular order."""

    def __init__(
        self, text: pa.Array | None = None, prefix: str = "", numbers: np.ndarray | None = None
    ) -> None:
        self._text = text  # the distinct ids as text, or None when they are numbered
        self._prefix = prefix
        self._numbers = numbers  # the distinct ids' numbers, ascending, when numbered
        self._table: np.ndarray | None = None  # dense numbers: position by number - lowest
        self._hashed: pd.Index | None = None  # sparse numbers: hashed as integers
        # The distinct ids are those of the rows hashed, in the order hashing them gives
        # (False: also those of rows since dropped; fine for finding, not for a union).
        self.exact = True

    @classmethod
    def encode(cls, values: pa.Array) -> tuple[IdIndex, np.ndarray]:
        """The distinct ids, and each value's position among them (-1 for null)."""
        prefix = _prefix(values)
        numbers = _numbers(values, prefix, strict=True) if prefix is not None else None
        if numbers is None:
            distinct, codes = encode_text(values)
            return cls(distinct), codes
        number, ok = numbers
        every = bool(ok.all())
        valid = number if every else number[ok]  # no copy when every value is an id
        if _sparse(valid):
            distinct = np.unique(valid)  # ascending: positions found by search
            found = np.searchsorted(distinct, valid)
            return cls(None, prefix or "", distinct), _spread(found, ok, every)
        # Dense: a table the size of the span of numbers gives each its position.
        lo = int(valid.min()) if len(valid) else 0
        present = np.zeros(int(valid.max()) - lo + 1 if len(valid) else 0, dtype=bool)
        valid -= lo  # in place: ``valid`` is ``number``, or a copy, never the caller's
        present[valid] = True
        index, table = cls._dense(prefix or "", lo, present)
        return index, _spread(table[valid], ok, every)

    @classmethod
    def _dense(cls, prefix: str, lo: int, present: np.ndarray) -> tuple[IdIndex, np.ndarray]:
        """Numbered ids from which numbers of a span (from ``lo``) are present, and the table
        that gives each number its position (the index's own)."""
        index = cls(None, prefix, np.flatnonzero(present) + lo)
        index._table = table = np.where(present, np.cumsum(present) - 1, -1)
        return index, table

    @classmethod
    def union(cls, a: IdIndex, b: IdIndex) -> tuple[IdIndex, np.ndarray, np.ndarray] | None:
        """The distinct ids of two columns hashed apart, as hashing the two one after the
        other would give them (``encode(concat([x, y]))``), and where each one's distinct
        ids went among them: ``(index, position of a's, position of b's)``. None where that
        can't be worked out from the distinct ids alone (one column numbered, the other not;
        two prefixes): hash the values again.

        >>> x = IdIndex.encode(pa.array(["C-7", "C-2"]))
        >>> y = IdIndex.encode(pa.array(["C-9", "C-7"]))
        >>> index, at_x, at_y = IdIndex.union(x[0], y[0])
        >>> index.values(at_x[x[1]]), index.values(at_y[y[1]])
        (['C-7', 'C-2'], ['C-9', 'C-7'])
        """
        if not (a.exact and b.exact):
            return None
        if a._text is not None and b._text is not None:
            # Text: a's in a's order, then those only b names, in b's (a hash's order).
            in_a = np.asarray(pc.fill_null(pc.index_in(b._text, value_set=a._text), -1), np.int64)
            new = in_a < 0
            at_b = np.where(new, len(a._text) + np.cumsum(new) - 1, in_a)
            text = pa.concat_arrays([a._text, b._text.filter(pa.array(new))])
            return cls(text), np.arange(len(a._text), dtype=np.int64), at_b
        if a._numbers is None or b._numbers is None or a._prefix != b._prefix:
            return None
        # Ascending, as hashing both sorts them.
        both = [n for n in (a._numbers, b._numbers) if len(n)]
        if not both:
            return cls(None, a._prefix, a._numbers), a._numbers, b._numbers
        lo, hi = min(int(n[0]) for n in both), max(int(n[-1]) for n in both)
        if _sparse(np.array([lo, hi]), sum(map(len, both))):
            numbers = np.union1d(a._numbers, b._numbers)
            at_a, at_b = np.searchsorted(numbers, a._numbers), np.searchsorted(numbers, b._numbers)
            return cls(None, a._prefix, numbers), at_a, at_b
        # Dense: a table the size of the span, as encode makes it.
        present = np.zeros(hi - lo + 1, dtype=bool)
        present[a._numbers - lo] = True
        present[b._numbers - lo] = True
        index, table = cls._dense(a._prefix, lo, present)
        return index, table[a._numbers - lo], table[b._numbers - lo]

    def compacted(self, codes: np.ndarray) -> tuple[IdIndex, np.ndarray] | None:
        """Only the ids ``codes`` name (some rows were dropped), as hashing those rows alone
        would give them; None for text ids, whose order (that of first appearance) the
        dropped rows may have changed.

        >>> index, codes = IdIndex.encode(pa.array(["D-5", "D-3", "D-8"]))
        >>> kept, renamed = index.compacted(codes[[0, 2]])
        >>> kept.values(renamed)
        ['D-5', 'D-8']
        """
        if self._numbers is None:
            return None
        present = np.zeros(len(self._numbers), dtype=bool)
        present[codes[codes >= 0]] = True
        renumbered = np.cumsum(present) - 1
        kept = self._numbers[present]
        index = IdIndex(None, self._prefix, kept)
        if self._table is not None and len(kept):  # dense before, dense still
            lo = int(kept[0])
            span = np.zeros(int(kept[-1]) - lo + 1, dtype=bool)
            span[kept - lo] = True
            index = IdIndex._dense(self._prefix, lo, span)[0]
        return index, np.where(codes >= 0, renumbered[codes], -1)

    def positions_of(self, other: IdIndex) -> np.ndarray:
        """Where each of ``other``'s distinct ids is among these; -1 where it is not: what
        :meth:`find` gives each value, worked out once per distinct id.

        >>> deals, _ = IdIndex.encode(pa.array(["D-1", "D-2", "D-3"]))
        >>> logs, codes = IdIndex.encode(pa.array(["D-3", "D-9", "D-3"]))
        >>> deals.positions_of(logs)[codes].tolist()
        [2, -1, 2]
        """
        if other._text is not None:
            return self.find(other._text)
        assert other._numbers is not None
        if self._numbers is not None and self._prefix == other._prefix:
            return self._find_numbers(other._numbers, np.ones(len(other._numbers), dtype=bool))
        if self._numbers is not None:
            # Numbered ids with two prefixes never meet: an id's prefix is all it has before
            # its first digit.
            return np.full(len(other._numbers), -1, dtype=np.int64)
        return self.find(pa.array(other.values(np.arange(len(other))), pa.string()))

    def __len__(self) -> int:
        distinct = self._text if self._text is not None else self._numbers
        return len(distinct) if distinct is not None else 0

    def values(self, positions: np.ndarray) -> list[str]:
        """The ids at ``positions`` among the distinct ids, as the files wrote them.

        >>> index, _ = IdIndex.encode(pa.array(["D-7", "D-9"]))
        >>> index.values(np.array([1, 0]))
        ['D-9', 'D-7']
        """
        if self._text is not None:
            return [str(v) for v in self._text.take(pa.array(positions)).to_pylist()]
        assert self._numbers is not None
        return [f"{self._prefix}{n}" for n in self._numbers[positions].tolist()]

    def find(self, values: pa.Array) -> np.ndarray:
        """Position of each value among the distinct ids; -1 where it is null or not there."""
        if self._text is not None:
            found = pc.index_in(values, value_set=self._text)
            return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), np.int64)
        assert self._numbers is not None
        number, ok = _numbers(values, self._prefix, strict=False) or (None, None)
        assert number is not None and ok is not None
        return self._find_numbers(number, ok)

    def _find_numbers(self, number: np.ndarray, ok: np.ndarray) -> np.ndarray:
        """Position of each number (where ``ok``) among these numbered ids; -1 elsewhere."""
        assert self._numbers is not None
        out = np.full(len(number), -1, dtype=np.int64)
        if not len(self._numbers):
            return out
        if self._table is not None:
            lo = int(self._numbers[0])
            ok &= (number >= lo) & (number < lo + len(self._table))
            out[ok] = self._table[number[ok] - lo]
            return out
        if self._hashed is None:
            import pandas as pd  # not on the way to reading (see load_inputs)

            self._hashed = pd.Index(self._numbers)
        out[ok] = self._hashed.get_indexer(number[ok])
        return out


def _spread(found: np.ndarray, ok: np.ndarray, every: bool) -> np.ndarray:
    """Each value's position: ``found`` for the values that are ids, -1 for the others."""
    if every:
        return found
    codes = np.full(len(ok), -1, dtype=np.int64)
    codes[ok] = found
    return codes


def encode_text(values: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """The distinct values, and each value's position among them (-1 for null), by hashing
    the text.

    >>> distinct, codes = encode_text(pa.array(["b", None, "a", "b"]))
    >>> distinct.to_pylist(), codes.tolist()
    (['b', 'a'], [0, -1, 1, 0])
    """
    encoded = pc.dictionary_encode(values)
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    return encoded.dictionary, np.asarray(codes, dtype=np.int64)


def all_different(values: pa.Array) -> bool:
    """No id (nulls aside) appears twice.

    >>> all_different(pa.array(["D-1", "D-2", None, None])), all_different(pa.array(["a", "a"]))
    (True, False)
    """
    index, _ = IdIndex.encode(values)
    return bool(len(index) == len(values) - values.null_count)


def _sparse(numbers: np.ndarray, count: int | None = None) -> bool:
    """Numbers spread too thin for a table of their span (HubSpot's 11-digit ids); ``count``:
    how many there are, when ``numbers`` holds only the lowest and highest."""
    if not len(numbers):
        return False
    span = int(numbers.max()) - int(numbers.min()) + 1
    return span > max(4 * (len(numbers) if count is None else count), 1 << 16)


def _prefix(values: pa.Array) -> str | None:
    """What comes before the digits of the first id; None when there is no id."""
    present = values.drop_null() if values.null_count else values
    if not len(present) or values.type != pa.string():
        return None
    match = re.match(rf"\D{{0,{_MAX_PREFIX}}}", present[0].as_py())
    prefix = match.group() if match else ""
    return None if len(prefix) == _MAX_PREFIX else prefix


def _numbers(
    values: pa.Array, prefix: str, *, strict: bool
) -> tuple[np.ndarray, np.ndarray] | None:
    """Each id's number, and whether it has one: ``prefix``, then 1 to 18 digits, no leading
    zero, nothing else — so that the number gives back the id. ``strict``: None unless every
    id (nulls aside) has one."""
    n = len(values)
    none = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
    buffers = string_buffers(values)
    if buffers is None or not len(buffers[2]):
        return None if strict and n > values.null_count else none
    starts, ends, data = buffers  # int32 offsets: every step below stays in 32 bits
    head = np.frombuffer(prefix.encode(), np.uint8)
    digits_from = starts + np.int32(len(head))
    count = ends - digits_from
    ok = (count >= 1) & (count <= _MAX_DIGITS)
    if values.null_count:
        ok &= np.asarray(pc.is_valid(values).to_numpy(zero_copy_only=False), dtype=bool)
    last = len(data) - 1  # where a value that failed already looks, harmlessly
    for i, byte in enumerate(head):
        ok &= data[np.where(ok, starts + np.int32(i), last)] == byte
    first = data[np.where(ok, digits_from, last)]
    ok &= ((first - np.uint8(ord("1"))) <= 8) | ((first == ord("0")) & (count == 1))
    if strict and np.count_nonzero(ok) != n - values.null_count:
        return None
    # The number, a digit at a time from the bytes (no copy of the text); a value with
    # anything but digits after its first has none.
    number = np.zeros(n, dtype=np.int64)
    width = int(np.max(count, initial=0, where=ok))
    for j in range(width):
        inside = ok & (count > j)
        digit = data[np.where(inside, digits_from + np.int32(j), last)] - np.uint8(ord("0"))
        inside &= digit <= 9
        ok &= inside | (count <= j)
        np.multiply(number, 10, out=number, where=inside)
        np.add(number, digit, out=number, where=inside)
    if strict and np.count_nonzero(ok) != n - values.null_count:
        return None
    return number, ok
