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
