"""Ids hashed as numbers where they are numbered must give exactly what hashing the text gives."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import example, given
from hypothesis import strategies as st

from crm_roi.inputs.ids import IdIndex, all_different

PREFIXES = ["", "D-", "C-", "zcrm_", "é-"]


@st.composite
def id_columns(draw: st.DrawFn) -> list[str | None]:
    """Ids as exports write them: mostly one prefix and a number (small or HubSpot-sized),
    with the odd null, leading zero, sign, space, other prefix or plain text."""
    prefix = draw(st.sampled_from(PREFIXES))
    big = draw(st.booleans())
    number = st.integers(0, 10**12 if big else 40)
    cell = st.one_of(
        number.map(lambda n: f"{prefix}{n}"),
        number.map(lambda n: f"{prefix}{n}"),
        st.none(),
        st.sampled_from(["0", "00", "007", "-1", "+1", "1 ", " 1", "0x10", "1e3", "x", ""]),
        st.sampled_from([f"{p}{s}" for p in PREFIXES for s in ("01", "", "1a", "٣")]),
        st.text(max_size=4),
        st.integers(10**17, 10**19).map(lambda n: f"{prefix}{n}"),  # beyond 18 digits too
    )
    return draw(st.lists(cell, min_size=1, max_size=12))


def _same_partition(ours: list[int], theirs: list[int]) -> bool:
    """Two encodings that tell the same values apart, whatever numbers they give them."""
    pairs = set(zip(ours, theirs, strict=True))
    left, right = {a for a, _ in pairs}, {b for _, b in pairs}
    return len(pairs) == len(left) == len(right) and all((a < 0) == (b < 0) for a, b in pairs)


@given(id_columns(), id_columns(), st.integers(0, 2))
@example(["D-1", "D-2", None], ["D-2", "D-3", "D-02", None], 0)
@example(["12345678901", "98765432109"], ["12345678901", "1"], 0)
@example(["C-5", "C-5", "C-0"], ["C-0", "C-00", "C-+5"], 1)
@example(
    ["Acme Corporation Benelux 1", "Acme Corporation Benelux 2"], ["Acme Corporation Benelux 2"], 0
)
def test_ids_encode_and_find_as_text_hashing_does(
    universe: list[str | None], probes: list[str | None], cut: int
) -> None:
    values = pa.array(universe, pa.string()).slice(min(cut, len(universe) - 1))
    index, codes = IdIndex.encode(values)
    reference = pc.dictionary_encode(values)
    assert len(index) == len(reference.dictionary)
    theirs = pc.fill_null(reference.indices, -1).to_pylist()
    assert _same_partition(codes.tolist(), theirs)
    # A probe is found exactly where the same text sits among the distinct ids.
    position = dict(zip(theirs, codes.tolist(), strict=True))
    wanted = pc.fill_null(
        pc.index_in(pa.array(probes, pa.string()), value_set=reference.dictionary), -1
    )
    expected = [position[w] if w >= 0 else -1 for w in wanted.to_pylist()]
    assert index.find(pa.array(probes, pa.string())).tolist() == expected
    assert all_different(values) == (len(reference.dictionary) == len(values) - values.null_count)


@given(id_columns(), id_columns(), st.lists(st.booleans(), min_size=12, max_size=12))
@example(["C-5", "C-7", None], ["C-7", "C-9"], [False] + [True] * 11)
@example(["a", "b"], ["b", "c", "a"], [True] * 12)
@example(["C-1", "C-2"], ["C-02", "C-3"], [True] * 12)
@example(["C-1", "C-2"], ["D-1"], [True] * 12)
@example(["C-3", "C-4000000"], ["C-3"], [True, False] + [True] * 10)
def test_ids_hashed_apart_join_as_hashing_them_together_does(
    deals: list[str | None], records: list[str | None], keep: list[bool]
) -> None:
    """The customers' ids hashed apart (the deals', less rejected rows; the file's) and joined
    (IdIndex.union) give the positions of hashing the two one after the other: the same
    numbers, not only the same partition (the engine's customers come in that order). Where
    a union can't be worked out it says so (None). The time logs' ids found through their
    distinct ids (positions_of) are those found one by one."""
    rows = pa.array(deals, pa.string())
    kept = [v for v, k in zip(deals, keep, strict=False) if k]
    whole_a, codes_a = IdIndex.encode(rows)
    mask = [k for k, _ in zip(keep, deals, strict=False)]
    if all(mask):
        a, at_rows = whole_a, codes_a
    else:
        compact = whole_a.compacted(codes_a[mask])
        if compact is None:  # text: a union must not be made from it
            whole_a.exact = False
            a, at_rows = whole_a, codes_a[mask]
        else:
            a, at_rows = compact
            assert a.values(at_rows[at_rows >= 0]) == [v for v in kept if v is not None]
    b, at_records = IdIndex.encode(pa.array(records, pa.string()))
    expected_index, expected = IdIndex.encode(pa.array(kept + records, pa.string()))
    union = IdIndex.union(a, b)
    if union is not None:
        index, at_a, at_b = union
        import numpy as np

        from crm_roi.engine.groups import take

        joined = [*take(at_a, at_rows).tolist(), *take(at_b, at_records).tolist()]
        assert joined == expected.tolist()
        assert len(index) == len(expected_index)
        every = np.arange(len(index))
        assert index.values(every) == expected_index.values(every)
        probes = pa.array(["C-7", "C-07", None, "a", *records], pa.string())
        assert index.find(probes).tolist() == expected_index.find(probes).tolist()
    else:
        assert not a.exact or a._text is None or b._text is None or a._prefix != b._prefix
    # positions_of: each distinct id of the records looked up once, then spread to the rows.
    found = a.positions_of(b)
    one_by_one = a.find(pa.array(records, pa.string()))
    assert [int(found[c]) if c >= 0 else -1 for c in at_records] == one_by_one.tolist()
