"""Hostile and broken inputs: every file of ``tests/corpus/`` (and the big ones written at test
time) through ``validate`` and ``compute``.

Each must end in seconds with exit code 0 or 1, never a traceback; a file that can't be used
at all gets exactly one line, ``Error: <file>: <reason>``; a row that can't be used is listed as
``<file>:<row>: <Column>: <reason>``. The corpus is written by ``corpus/make_corpus.py``; what
each file must do is the table ``CASES`` below.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner, Result

from conftest import load
from corpus import make_corpus
from crm_roi.cli import app
from crm_roi.inputs.read import MAX_COMPRESSION_RATIO, MAX_UNCOMPRESSED_BYTES, UTF8_WITH_CP1252

pytestmark = pytest.mark.usefixtures("wide_terminal")

CORPUS = Path(__file__).parent / "corpus"
SECONDS = 10.0


@dataclass(frozen=True)
class Case:
    """What one file must do. ``error``: the whole file is refused with this reason (both
    commands exit 1). ``rejected``: the rows ``validate`` lists as ``row: Column: reason``
    (it exits 1; ``compute`` warns and exits 0). ``counts``: rows, used, rejected."""

    error: str | None = None
    rejected: tuple[str, ...] = ()
    counts: tuple[int, int, int] | None = None
    compute_error: str | None = None  # compute fails though the file reads


NOT_AN_AMOUNT = ["1e309", "NaN", "inf", "-inf", "--5", "5-", "1.2.3", "€€5", "Infinity", "0x10"]
NOT_A_DATE = ["2024-02-30", "0000-00-00", "31/31/2024", "-1", "9999-12-31", "2024-13-01", "0"]

CASES: dict[str, Case] = {
    "empty.csv": Case(error="the file is empty"),
    # No deals is an answer, not an error; compute then has no window to compute in.
    "header_only.csv": Case(counts=(0, 0, 0), compute_error="has no data rows: nothing to compute"),
    "binary_garbage.csv": Case(error="is not a text export (binary data)"),
    "not_a_zip.xlsx": Case(error="is not a valid workbook (not a zip archive"),
    "truncated.xlsx": Case(error="is not a valid workbook (not a zip archive"),
    "no_sheets.xlsx": Case(error="the workbook has no sheets"),
    "empty_sheets.xlsx": Case(error="every sheet is empty"),
    "password_protected.xlsx": Case(error="is password-protected (encrypted)"),
    "xls_named_xlsx.xlsx": Case(error="an older Office file (an Excel 97-2003 .xls?)"),
    "nul_bytes.csv": Case(counts=(3, 3, 0)),
    "mixed_line_endings.csv": Case(counts=(4, 4, 0)),
    "quoted_newlines.csv": Case(counts=(4, 4, 0)),
    "unbalanced_quotes.csv": Case(
        rejected=("3: a quote opened in this row is never closed",), counts=(4, 3, 1)
    ),
    "duplicated_headers.csv": Case(counts=(2, 2, 0)),
    # Blank lines above a header are skipped, so the first data row is taken for the header.
    "blank_header.csv": Case(error="its first row reads as data ('D-1', '100.00'"),
    "invalid_utf8.csv": Case(counts=(6, 6, 0)),
    "bom_in_middle.csv": Case(
        rejected=(
            "4: Amount: 'Amount' is not an amount",
            "4: Close Date: 'Close Date' is not a date",
            "4: Created Date: 'Created Date' is not a date",
        ),
        counts=(6, 5, 1),
    ),
    "amounts_hostile.csv": Case(
        rejected=tuple(
            f"{row}: Amount: {v!r} is not an amount" for row, v in enumerate(NOT_AN_AMOUNT, 3)
        ),
        counts=(12, 2, 10),
    ),
    "dates_hostile.csv": Case(
        rejected=tuple(
            f"{row}: Close Date: {v!r} is not a date" for row, v in enumerate(NOT_A_DATE, 3)
        ),
        counts=(8, 1, 7),
    ),
    "dates_hostile.xlsx": Case(
        rejected=(
            "3: Close Date: '00:00:00' is not a date",  # serial -1 in a date cell
            "4: Close Date: '2958466' is not a date",  # a serial past 9999-12-31
            "5: Close Date: '9999-12-31' is not a date",
            "6: Close Date: '2024-02-30' is not a date",
            "7: Close Date: '-1' is not a date",
        ),
        counts=(6, 1, 5),
    ),
    "ids_leading_zeros.csv": Case(counts=(8, 8, 0)),
    "ids_leading_zeros.xlsx": Case(counts=(9, 9, 0)),
    "formula_cells.csv": Case(rejected=("7: Amount: '=1+1' is not an amount",), counts=(6, 5, 1)),
    "formula_cells.xlsx": Case(counts=(5, 5, 0)),
    "billion_laughs.xlsx": Case(error="unrecognized entity"),
    "zip_bomb.xlsx": Case(error="(a zip bomb?)"),
    "zip_bomb_declared.xlsx": Case(error="(a zip bomb?)"),
    # Written at test time (make_corpus.GENERATED): too big to commit.
    "one_line_10mb.csv": Case(error="runs on past the first 4 MB without a line break"),
    "one_line_10mb_no_delimiter.csv": Case(error="runs on past the first 4 MB without a line"),
    "long_value_10mb.csv": Case(counts=(2, 2, 0)),
    "long_value_10mb_ragged.csv": Case(
        rejected=("4: the row has 11 fields but the header has 9",), counts=(3, 2, 1)
    ),
    "thousands_of_columns.csv": Case(counts=(50, 50, 0)),
    "zip_bomb_lying.xlsx": Case(error="larger than its declared uncompressed size"),
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("generated")
    for name, write in make_corpus.GENERATED.items():
        write(folder / name)
    return folder


def path_of(name: str, generated: Path) -> Path:
    return generated / name if name in make_corpus.GENERATED else CORPUS / name


def run(*args: str) -> tuple[Result, float]:
    start = time.perf_counter()
    result = CliRunner().invoke(app, list(args))
    return result, time.perf_counter() - start


def assert_clean(result: Result, seconds: float) -> None:
    """No crash, no traceback, no bug report, in seconds."""
    assert seconds < SECONDS, f"took {seconds:.1f} s"
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    assert "unexpected" not in result.stderr, result.stderr  # the CLI's words for a bug


def one_error_line(result: Result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


# --- the corpus is what make_corpus.py writes --------------------------------------------------


def test_every_corpus_file_has_a_case_and_every_case_a_file() -> None:
    committed = {
        p.name
        for p in CORPUS.iterdir()
        if p.is_file() and p.suffix != ".py" and not p.name.startswith(".")
    }
    assert committed == set(make_corpus.CORPUS)
    assert set(CASES) == set(make_corpus.CORPUS) | set(make_corpus.GENERATED)


def test_committed_corpus_is_what_the_script_writes_and_small(tmp_path: Path) -> None:
    total = 0
    for name, write in make_corpus.CORPUS.items():
        write(tmp_path / name)
        committed = (CORPUS / name).read_bytes()
        assert (tmp_path / name).read_bytes() == committed, f"{name}: rerun make_corpus.py"
        total += len(committed)
    assert total < 2 * 1024**2


def test_zip_bombs_are_past_the_readers_limits() -> None:
    import zipfile

    with zipfile.ZipFile(CORPUS / "zip_bomb.xlsx") as archive:
        members = archive.infolist()
    unpacked = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members)
    assert unpacked > 50 * 1024**2 and unpacked / packed > MAX_COMPRESSION_RATIO
    assert (CORPUS / "zip_bomb.xlsx").stat().st_size < 1024**2
    with zipfile.ZipFile(CORPUS / "zip_bomb_declared.xlsx") as archive:
        assert sum(m.file_size for m in archive.infolist()) > MAX_UNCOMPRESSED_BYTES


# --- every file through both commands ---------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_validate_gives_a_clear_answer(name: str, generated: Path) -> None:
    case, path = CASES[name], path_of(name, generated)
    result, seconds = run("validate", str(path))
    assert_clean(result, seconds)
    if case.error:
        assert result.exit_code == 1
        line = one_error_line(result)
        assert line.startswith(f"Error: {path}: ")
        assert case.error in line
        return
    assert not result.stderr.strip(), result.stderr
    assert result.exit_code == (1 if case.rejected else 0), result.output
    if case.counts:
        rows, used, rejected = case.counts
        state = f"{rejected:,} rejected" if rejected else "all rows used"
        assert f"{path} as deals: {rows:,} rows, {used:,} used, {state}" in result.stdout
    listed = [
        line.strip() for line in result.stdout.splitlines() if line.strip().startswith(f"{path}:")
    ]
    for line in listed:  # file:row: Column: reason, or file:row: reason for a whole row
        assert re.match(rf"{re.escape(str(path))}:\d+: \S", line), line
    for expected in case.rejected:
        assert any(line.startswith(f"{path}:{expected}") for line in listed), (expected, listed)
    assert len(listed) >= len(case.rejected)


@pytest.mark.parametrize("name", sorted(CASES))
def test_compute_gives_a_clear_answer(name: str, generated: Path) -> None:
    case, path = CASES[name], path_of(name, generated)
    result, seconds = run("compute", str(path), "--format", "json")
    assert_clean(result, seconds)
    if case.error or case.compute_error:
        assert result.exit_code == 1
        line = one_error_line(result)
        if case.error:
            assert line.startswith(f"Error: {path}: ")
            assert case.error in line
        else:
            assert case.compute_error in line
        return
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    if case.counts:
        entry = report["inputs"][0]
        assert (entry["rows"], entry["used"], entry["rejected"]) == case.counts
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    for expected in case.rejected:
        assert any(line.startswith(f"warning: {path}:{expected}") for line in warned), expected


def test_header_only_computes_with_a_window_given() -> None:
    result, seconds = run(
        "compute", str(CORPUS / "header_only.csv"), "--from", "2024-01-01", "--to", "2024-12-31"
    )
    assert_clean(result, seconds)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["totals"]["won_deals"] == 0


# --- what each case must come to --------------------------------------------------------------


@pytest.mark.parametrize("name", ["ids_leading_zeros.csv", "ids_leading_zeros.xlsx"])
def test_ids_stay_exactly_as_written(name: str) -> None:
    expected = list(make_corpus.IDS) + (["123"] if name.endswith(".xlsx") else [])
    assert load(CORPUS / name).frame["deal_id"].tolist() == expected
    result, seconds = run("compute", str(CORPUS / name), "--by", "deal_id", "--format", "json")
    assert_clean(result, seconds)
    keys = {g["deal_id"] for g in json.loads(result.stdout)["breakdowns"]["deal_id"]}
    assert {"00123", "0001", "007", "1e5", "2024-01-02", "1.50"} <= keys


def test_nul_bytes_are_dropped_not_the_file() -> None:
    loaded = load(CORPUS / "nul_bytes.csv")
    assert loaded.frame["customer_id"].tolist() == ["Company 1", "Null Padded BV", "Company 3"]


def test_mixed_line_endings_are_all_line_ends() -> None:
    loaded = load(CORPUS / "mixed_line_endings.csv")
    assert loaded.frame["deal_id"].tolist() == ["D-1", "D-2", "D-3", "D-4"]
    assert loaded.frame["_row"].tolist() == [2, 3, 4, 5]


def test_quoted_values_keep_their_line_breaks_and_quotes() -> None:
    loaded = load(CORPUS / "quoted_newlines.csv")
    assert loaded.frame["customer_id"].tolist()[1:3] == [
        "Multi\r\nLine\nCompany BV",
        'Quote "inside", and a comma',
    ]
    assert loaded.frame["_row"].tolist() == [2, 3, 4, 5]  # a spreadsheet's rows: one per record


def test_unclosed_quote_loses_only_its_own_row() -> None:
    loaded = load(CORPUS / "unbalanced_quotes.csv")
    assert loaded.frame["deal_id"].tolist() == ["D-1", "D-3", "D-4"]
    assert loaded.frame["_row"].tolist() == [2, 4, 5]
    (issue,) = loaded.all_rejections
    assert (issue.row, issue.code) == (3, "quote")
    assert issue.value.startswith('D-2,"Open Quote BV,200.00')


def test_unclosed_quote_in_the_last_column_is_found_too(tmp_path: Path) -> None:
    # Arrow reads this without complaint, the rest of the file as the owner of row 3.
    path = tmp_path / "deals.csv"
    rows = [
        make_corpus.deal("D-1"),
        make_corpus.deal("D-2", owner='"Sanne'),
        make_corpus.deal("D-3"),
    ]
    path.write_bytes(make_corpus.crlf([make_corpus.HEADER, *rows]))
    loaded = load(path)
    assert loaded.frame["deal_id"].tolist() == ["D-1", "D-3"]
    assert [(i.row, i.code) for i in loaded.all_rejections] == [(3, "quote")]


def test_closed_multiline_value_at_the_end_stays_on_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crm_roi.inputs import read

    def careful(*args: object) -> None:
        raise AssertionError("a well-formed file is read by Arrow, not the csv module")

    monkeypatch.setattr(read, "_careful_read", careful)
    path = tmp_path / "deals.csv"
    rows = [make_corpus.deal("D-1"), make_corpus.deal("D-2", owner='"Sanne\r\nde Vries"')]
    path.write_bytes(make_corpus.crlf([make_corpus.HEADER, *rows]))
    assert load(path).frame["owner"].tolist() == ["Sanne de Vries", "Sanne\r\nde Vries"]


def test_duplicated_headers_first_is_used_the_rest_kept_as_attributes() -> None:
    loaded = load(CORPUS / "duplicated_headers.csv")
    assert loaded.mapping.fields["amount"] == "Amount"
    assert loaded.mapping.attributes == ("Amount (2)", "Stage (2)", "Deal ID (2)")
    assert loaded.frame["amount"].tolist() == [10_000, 20_000]
    assert loaded.frame["status"].tolist() == ["won", "won"]


def test_utf8_file_with_stray_bytes_keeps_its_utf8_and_reads_the_strays_as_cp1252() -> None:
    loaded = load(CORPUS / "invalid_utf8.csv")
    assert loaded.raw.encoding == UTF8_WITH_CP1252
    assert loaded.frame["customer_id"].tolist() == [
        "Müller GmbH", "Company 2", "Company 3", "Zoë Ltd", "Café Noir", "Bad ÿ Byte",
    ]  # fmt: skip


def test_utf8_file_with_a_stray_byte_past_the_head_is_read_the_same(tmp_path: Path) -> None:
    rows = [make_corpus.deal(f"D-{i}", "Zoë Ltd") for i in range(12_000)]
    path = tmp_path / "deals.csv"
    data = make_corpus.crlf([make_corpus.HEADER, *rows, make_corpus.deal("D-x", "Caf#")])
    path.write_bytes(data.replace(b"Caf#", b"Caf\xe9"))
    assert len(data) > 256 * 1024
    loaded = load(path)
    assert loaded.raw.encoding == UTF8_WITH_CP1252
    assert set(loaded.frame["customer_id"]) == {"Zoë Ltd", "Café"}


def test_byte_order_mark_in_the_middle_sticks_to_nothing() -> None:
    loaded = load(CORPUS / "bom_in_middle.csv")
    assert loaded.frame["deal_id"].tolist() == ["D-1", "D-2", "D-3", "D-4", "D-5"]


@pytest.mark.parametrize(("value", "row"), [(v, r) for r, v in enumerate(NOT_AN_AMOUNT, 3)])
def test_hostile_amounts_are_rejected_as_no_amount(value: str, row: int) -> None:
    loaded = load(CORPUS / "amounts_hostile.csv")
    assert [(i.row, i.value, i.reason) for i in loaded.all_rejections if i.row == row] == [
        (row, value, f"{value!r} is not an amount")
    ]
    assert loaded.frame["amount"].tolist() == [10_000, 123_450]


def test_hostile_dates_are_rejected_and_have_no_say_in_the_date_order() -> None:
    loaded = load(CORPUS / "dates_hostile.csv")
    assert [i.value for i in loaded.all_rejections] == NOT_A_DATE
    assert all(i.reason.endswith("is not a date") for i in loaded.all_rejections)
    (close,) = [c for c in loaded.columns if c.field == "close_date"]
    assert close.notes == []  # 31/31/2024 is no date either way: it doesn't decide the order


def test_formula_cells_are_neutralised_in_csv_output() -> None:
    result, seconds = run(
        "compute", str(CORPUS / "formula_cells.csv"), "--by", "channel", "--format", "csv"
    )
    assert_clean(result, seconds)
    keys = [row.split(",", 2)[1] for row in result.stdout.splitlines()[2:]]
    assert keys, result.stdout
    for line in result.stdout.splitlines():
        for cell in line.split(","):
            assert not cell.lstrip('"').startswith(("=", "+", "@")), line
    assert "'=cmd|' /C calc'!A0" in result.stdout
    assert "'+1+1" in result.stdout and "'-2+3" in result.stdout and "'@SUM(A1:A2)" in result.stdout


@pytest.mark.parametrize("name", ["formula_cells.csv", "formula_cells.xlsx"])
def test_formula_cells_are_never_formulas_in_the_workbook(name: str, tmp_path: Path) -> None:
    target = tmp_path / "report.xlsx"
    by = ["--by", "channel"] + (["--by", "customer_id"] if name.endswith(".csv") else [])
    result, seconds = run("compute", str(CORPUS / name), *by, "--output", str(target))
    assert_clean(result, seconds)
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(target)
    texts = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    for formula in make_corpus.FORMULAS:
        assert f"'{formula}" in texts, formula
    if name.endswith(".csv"):
        assert "'=1+1" in texts  # the rejected amount, in the Rejected rows sheet


def test_workbook_that_declares_xml_entities_is_refused_quickly() -> None:
    # calamine's XML reader expands no entities: the billion laughs are an unknown entity.
    result, seconds = run("validate", str(CORPUS / "billion_laughs.xlsx"))
    assert_clean(result, seconds)
    assert seconds < 2
    assert "can't be opened as a spreadsheet" in one_error_line(result)


def test_too_many_columns_is_no_export(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    header = ",".join(f"c{i}" for i in range(20_000))
    path.write_text(header + "\r\n" + header + "\r\n", encoding="utf-8")
    result, seconds = run("validate", str(path))
    assert_clean(result, seconds)
    assert "the header has 20,000 columns" in one_error_line(result)


def test_header_wider_than_the_sniffed_head_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    label = "A custom property with a name as long as some CRMs give them: number"
    make_corpus.thousands_of_columns(path, columns=4_000, rows=3, label=label)
    assert len(path.read_bytes().split(b"\r\n")[0]) > 256 * 1024
    loaded = load(path)
    assert len(loaded.raw.headers) == 4_009
    assert loaded.raw.headers[-1] == f"{label} 1999 (2)"
    assert (loaded.rows, loaded.used) == (3, 3)
