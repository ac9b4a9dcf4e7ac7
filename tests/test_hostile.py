"""Hostile and unlucky inputs that used to give wrong figures with exit 0 (issue 12).

Each test builds its input in code, runs the command line as a user does, and checks that the
figures are right or that the run says, in one line, why it can't be.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crm_roi.cli import app

runner = CliRunner()
HEADER = "Deal Name,Deal ID,Amount,Currency,Stage,Close Date,Owner,Channel,Campaign,Product\n"


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def compute(*args: str) -> dict:
    result = runner.invoke(app, ["compute", *args, "--format", "json", "--quiet"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def error_line(result) -> str:  # type: ignore[no-untyped-def]
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


# --- footers -----------------------------------------------------------------------------------


def test_a_last_deal_named_total_is_a_deal_not_a_footer(tmp_path: Path) -> None:
    deals = write(
        tmp_path,
        "deals.csv",
        HEADER
        + "Acme renewal,D-1,5000,,Closed Won,2024-12-01,,,,\n"
        + "Total Energies renewal,D-2,12000,,Closed Won,2024-12-20,,,,\n",
    )
    report = compute(str(deals))
    assert report["inputs"][0] | {"sha256": ""} == {
        "kind": "deals", "path": str(deals), "rows": 2, "used": 2, "rejected": 0, "skipped": 0,
        "sha256": "",
    }  # fmt: skip
    assert report["totals"]["revenue"] == 17000.0  # 5,000 + 12,000
    listed = runner.invoke(app, ["validate", str(deals), "--format", "json"])
    assert json.loads(listed.stdout)["inputs"][0]["skipped"] == []


def test_footers_by_their_shapes_are_skipped_counted_and_listed(tmp_path: Path) -> None:
    deals = write(
        tmp_path,
        "deals.csv",
        HEADER
        + "Acme renewal,D-1,5000,,Closed Won,2024-12-01,,,,\n"
        + "Total,,5000,,,,,,,\n"
        + '"Grand Totals (1 records)",,"5,000.00",,,,,,,\n'
        + "\n"
        + "Confidential Information - Do Not Distribute\n"
        + "Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved.\n"
        + "\n"
        + "Report run by Jan de Vries\n",
    )
    report = compute(str(deals))
    entry = report["inputs"][0]
    assert (entry["rows"], entry["used"], entry["rejected"], entry["skipped"]) == (1, 1, 0, 7)
    listed = runner.invoke(app, ["validate", str(deals), "--format", "json"])
    skipped = json.loads(listed.stdout)["inputs"][0]["skipped"]
    assert [(s["row"], s["code"]) for s in skipped] == [
        (3, "footer"), (4, "footer"), (5, "blank"), (6, "footer"), (7, "footer"), (8, "blank"),
        (9, "footer"),
    ]  # fmt: skip
    assert skipped[-1]["reason"] == "a lone line after a blank line, skipped"


def test_a_total_label_with_an_id_or_a_stage_is_data(tmp_path: Path) -> None:
    deals = write(
        tmp_path,
        "deals.csv",
        "Company,Deal ID,Stage,Amount,Close Date\n"
        "Acme BV,D-1,Closed Won,100,2024-01-05\n"
        "Total,D-9,Closed Won,50,2024-01-06\n",
    )
    assert compute(str(deals))["totals"]["revenue"] == 150.0


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "day"),
    [
        ("1", "1900-01-01"),  # Excel's first day
        ("59", "1900-02-28"),
        ("61", "1900-03-01"),  # after Excel's 29 February 1900
        ("45352", "2024-03-01"),
        ("109574", "2199-12-31"),  # the last day read
    ],
)
def test_excel_serials_read_as_excel_reads_them(tmp_path: Path, cell: str, day: str) -> None:
    deals = write(tmp_path, "deals.csv", f"Deal ID,Amount,Stage,Close Date\nD-1,5,Won,{cell}\n")
    report = compute(str(deals))
    assert report["window"] == {"from": day, "to": day}


@pytest.mark.parametrize("cell", ["60", "0", "109575", "2958465", "2024031"])
def test_numbers_that_are_no_day_of_1900_to_2199_are_rejected_rows(
    tmp_path: Path, cell: str
) -> None:
    deals = write(
        tmp_path,
        "deals.csv",
        f"Deal ID,Amount,Stage,Close Date\nD-1,5,Won,45352\nD-2,7,Won,{cell}\n",
    )
    result = runner.invoke(app, ["compute", str(deals), "--by", "month", "--format", "json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["window"] == {"from": "2024-03-01", "to": "2024-03-01"}  # never centuries
    assert report["totals"]["revenue"] == 5.0
    assert f"Close Date: '{cell}' is not a date" in result.stderr


# --- money -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        # A decimal-comma file (";"): "0.500" is 0.50, never 500.00.
        ("Deal ID;Amount;Stage;Close Date\nD-1;1.234,56;Won;01-03-2024\nD-2;0.500;Won;01-03-2024\n",
         123456 + 50),
        # A decimal-point file: "0,500" is 0.50, never 500.00.
        ('Deal ID,Amount,Stage,Close Date\nD-1,"1,234.56",Won,2024-03-01\nD-2,"0,500",Won,'
         "2024-03-01\n", 123456 + 50),
    ],
)  # fmt: skip
def test_a_group_separator_never_follows_a_lone_leading_zero(
    tmp_path: Path, text: str, cents: int
) -> None:
    report = compute(str(write(tmp_path, "deals.csv", text)))
    assert round(report["totals"]["revenue"] * 100) == cents


def test_amounts_adding_up_past_what_is_summed_exactly_are_refused(tmp_path: Path) -> None:
    rows = "".join(f"D-{i},9999999999999.99,Won,2024-01-01\n" for i in range(10_000))
    deals = write(tmp_path, "deals.csv", "Deal ID,Amount,Stage,Close Date\n" + rows)
    result = runner.invoke(app, ["compute", str(deals), "--format", "json"])
    assert result.exit_code == 1 and result.stdout == ""
    assert error_line(result).startswith(f"Error: {deals}: its Amount values add up to more than")
    assert "Warning" not in result.stderr  # no numpy warning


def test_a_large_but_summable_file_is_exact(tmp_path: Path) -> None:
    rows = "".join(f"D-{i},9999999999999.99,Won,2024-01-01\n" for i in range(400))
    deals = write(tmp_path, "deals.csv", "Deal ID,Amount,Stage,Close Date\n" + rows)
    result = runner.invoke(app, ["compute", str(deals), "--format", "json"])
    assert result.exit_code == 0
    # 400 × 9,999,999,999,999.99 = 3,999,999,999,999,996.00, exact (a float64 holds it).
    assert json.loads(result.stdout)["totals"]["revenue"] == 3999999999999996.0


# --- unicode -----------------------------------------------------------------------------------


def test_by_and_stages_are_unicode_correct(tmp_path: Path) -> None:
    deals = write(
        tmp_path,
        "deals.csv",
        "Deal ID,Amount,Этап,Close Date,Регион,Канал,地域\n"
        "D-1,100,Выиграна,2024-01-05,Север,Email,東京\n"
        "D-2,250,受注,2024-01-06,Юг,Web,大阪\n"
        "D-3,40,Κερδήθηκε,2024-01-07,Юг,Web,大阪\n"
        "D-4,70,Проиграна,2024-01-08,Север,Email,東京\n",
    )
    mapping = write(
        tmp_path,
        "map.toml",
        '[deals.columns]\nstatus = "Этап"\n[deals.stages]\n"Выиграна" = "won"\n"受注" = "won"\n'
        '"Κερδήθηκε" = "won"\n"Проиграна" = "lost"\n',
    )
    by = ["--by", "Регион", "--by", "地域", "--by", "Канал"]
    report = compute(str(deals), "--mapping", str(mapping), *by)
    totals = report["totals"]
    assert (totals["revenue"], totals["won_deals"], totals["lost_deals"]) == (390.0, 3, 1)
    regions = {r["Регион"]: r["revenue"] for r in report["breakdowns"]["Регион"]}
    assert regions == {"Север": 100.0, "Юг": 290.0}  # not the Канал column
    cities = {r["地域"]: r["revenue"] for r in report["breakdowns"]["地域"]}
    assert cities == {"東京": 100.0, "大阪": 290.0}
    for nothing in ("+++", "---", "¿?"):
        result = runner.invoke(app, ["compute", str(deals), "--mapping", str(mapping),
                                     "--by", nothing, "-q"])  # fmt: skip
        assert result.exit_code == 2
        assert error_line(result) == (
            f"Error: --by {nothing}: no input has such a field or column (dimensions: deal_id, "
            "currency, Регион, Канал, 地域, month, quarter, year, cohort)"
        )


# --- workbooks ---------------------------------------------------------------------------------


def test_the_active_visible_sheet_is_read_not_a_hidden_first_one(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    old = book.active
    old.title = "Old"
    old.append(["Deal ID", "Amount", "Stage", "Close Date"])
    old.append(["X-1", 999999, "Won", "2024-01-01"])
    old.sheet_state = "hidden"
    deals = book.create_sheet("Deals")
    deals.append(["Deal ID", "Amount", "Stage", "Close Date"])
    deals.append(["D-1", 100, "Won", "2024-01-01"])
    book.active = 1
    path = tmp_path / "deals.xlsx"
    book.save(path)
    assert compute(str(path))["totals"]["revenue"] == 100.0
    shown = runner.invoke(app, ["inspect", str(path), "--rows", "0"])
    assert "sheet 'Deals' (the active sheet; hidden sheets not read: 'Old')" in shown.stdout
    named = compute(str(path), "--sheet", "Old")
    assert named["totals"]["revenue"] == 999999.0


@pytest.mark.parametrize("cell", ["XFD1048576", "XFD20000"])
def test_a_stray_cell_far_out_is_refused_before_it_is_read(tmp_path: Path, cell: str) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Deal ID", "Amount", "Stage", "Close Date"])
    sheet.append(["D-1", 100, "Won", "2024-01-01"])
    sheet[cell] = "x"
    path = tmp_path / "deals.xlsx"
    book.save(path)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert "a sheet's data would span" in error_line(result)
    assert "more than the 20,000,000 cells crm-roi reads" in error_line(result)


def test_a_styled_empty_cell_far_out_is_no_data(tmp_path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.append(["Deal ID", "Amount", "Stage", "Close Date"])
    sheet.append(["D-1", 100, "Won", "2024-01-01"])
    sheet["XFD1048576"].font = Font(bold=True)
    path = tmp_path / "deals.xlsx"
    book.save(path)
    assert compute(str(path))["totals"]["revenue"] == 100.0


def _ods(path: Path, rows: str) -> Path:
    import zipfile

    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
        '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type='
        '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
        'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} '
        'office:version="1.2"><office:body><office:spreadsheet><table:table table:name="S">'
        f"{rows}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED
        )
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    return path


def _cell(text: str, repeat: int = 1) -> str:
    times = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    return f'<table:table-cell{times} office:value-type="string"><text:p>{text}</text:p></table:table-cell>'  # noqa: E501


@pytest.mark.parametrize(
    "tail",
    [
        # 6,000 rows of 16,384 repeated values: 98 million cells from a file of under 1 kB.
        '<table:table-row table:number-rows-repeated="6000">' + _cell("x", 16384)
        + "</table:table-row>",
        # Empty repeats, then one value far out: the range spans them all.
        '<table:table-row table:number-rows-repeated="6000"><table:table-cell '
        'table:number-columns-repeated="16384"/></table:table-row><table:table-row>'
        '<table:table-cell table:number-columns-repeated="16383"/>' + _cell("x")
        + "</table:table-row>",
    ],
)  # fmt: skip
def test_an_ods_of_repeated_cells_is_refused_in_bounded_memory(tmp_path: Path, tail: str) -> None:
    header = "<table:table-row>" + "".join(map(_cell, ["Deal ID", "Amount"])) + "</table:table-row>"
    path = _ods(tmp_path / "deals.ods", header + tail)
    assert path.stat().st_size < 2000
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert "a sheet's data would span 6,00" in error_line(result)


def test_libreoffice_s_empty_repeated_rows_below_the_data_are_fine(tmp_path: Path) -> None:
    rows = "".join(
        "<table:table-row>" + "".join(map(_cell, cells)) + "</table:table-row>"
        for cells in (
            ["Deal ID", "Amount", "Stage", "Close Date"],
            ["D-1", "5", "Won", "2024-01-01"],
        )
    )
    tail = (
        '<table:table-row table:number-rows-repeated="1048574"><table:table-cell '
        'table:number-columns-repeated="1024"/></table:table-row>'
    )
    path = _ods(tmp_path / "deals.ods", rows + tail)
    assert compute(str(path))["totals"]["revenue"] == 5.0


# --- bytes -------------------------------------------------------------------------------------


def test_a_huge_sparse_file_of_nuls_is_refused_from_its_first_bytes(tmp_path: Path) -> None:
    import time

    path = tmp_path / "deals.csv"
    with path.open("wb") as handle:
        handle.truncate(2 * 1024**3)  # 2 GB of NULs, sparse: no disk used
    started = time.perf_counter()
    result = runner.invoke(app, ["validate", str(path)])
    assert time.perf_counter() - started < 2
    assert result.exit_code == 1
    assert error_line(result) == (
        f"Error: {path}: is not a text export (binary data); expected CSV, TSV or Excel"
    )


def test_a_byte_cp1252_does_not_define_reads_as_latin_1_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_bytes(
        b"Deal ID,Amount,Stage,Close Date,Owner\nD-1,5,Won,2024-01-01,J\x81rgen\n"
        b"D-2,7,Won,2024-01-02,Caf\xe9\n"
    )
    result = runner.invoke(app, ["compute", str(path), "--by", "owner", "--format", "json"])
    assert result.exit_code == 0, result.output
    owners = [r["owner"] for r in json.loads(result.stdout)["breakdowns"]["owner"]]
    assert owners == ["Café", "J\x81rgen"]
    assert "read as ISO 8859-1 (latin-1)" in result.stderr


# --- groups ------------------------------------------------------------------------------------


def test_a_cross_of_many_values_keeps_only_the_groups_that_occur(tmp_path: Path) -> None:
    # 3,000 campaigns × 3,000 owners: nine million combinations, of which 3,000 occur.
    rows = "".join(f"D-{i},{i},Won,2024-01-01,camp-{i},rep-{i}\n" for i in range(3000))
    deals = write(tmp_path, "deals.csv", "Deal ID,Amount,Stage,Close Date,Campaign,Owner\n" + rows)
    report = compute(str(deals), "--by", "campaign,owner")
    crossed = report["breakdowns"]["campaign,owner"]
    assert len(crossed) == 3000
    assert (crossed[0]["campaign"], crossed[0]["owner"]) == (
        "camp-0",
        "rep-0",
    )
    assert sum(r["revenue"] for r in crossed) == sum(range(3000))  # 0 + 1 + … + 2,999


def test_a_breakdown_of_more_groups_than_the_limit_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import crm_roi.engine.compute as metrics

    monkeypatch.setattr(metrics, "MAX_GROUPS", 100)
    rows = "".join(f"D-{i},5,Won,2024-01-01,camp-{i}\n" for i in range(101))
    deals = write(tmp_path, "deals.csv", "Deal ID,Amount,Stage,Close Date,Campaign\n" + rows)
    result = runner.invoke(app, ["compute", str(deals), "--by", "campaign", "-q"])
    assert result.exit_code == 2 and result.stdout == ""
    assert error_line(result) == (
        "Error: the breakdown by campaign has 101 groups, more than the 100 a breakdown may "
        "have; break down by a coarser dimension (--by)"
    )
    assert compute(str(deals), "--by", "month")["breakdowns"]["month"][0]["won_deals"] == 101


def test_the_report_hashes_the_bytes_it_read(tmp_path: Path) -> None:
    import hashlib
    import shutil

    root = Path(__file__).resolve().parents[1]
    book = tmp_path / "deals.xlsx"
    shutil.copy(root / "examples" / "crm" / "dynamics_opportunities.xlsx", book)
    text = write(tmp_path, "costs.csv", "Date,Amount\n2024-01-02,5\n")
    report = compute(str(book), str(text))
    digests = [entry["sha256"] for entry in report["inputs"]]
    assert digests == [hashlib.sha256(p.read_bytes()).hexdigest() for p in (book, text)]


def test_a_lone_value_after_a_blank_line_at_the_end_is_data_unless_it_starts_the_line(
    tmp_path: Path,
) -> None:
    """A note at the end ("Report run by Jan") starts its line; a row whose one value is in
    another column (an open deal with only its stage filled in) is a row, never skipped as a
    footer (found by tests/test_fuzz.py)."""
    deals = write(
        tmp_path,
        "deals.csv",
        "Deal ID,Stage,Amount,Close Date\nD-1,Closed Won,100,2024-01-05\n\n,Open,,\n",
    )
    listed = runner.invoke(app, ["validate", str(deals), "--format", "json"])
    entry = json.loads(listed.stdout)["inputs"][0]
    assert entry["rows"] == 2
    assert [s["code"] for s in entry["skipped"]] == ["blank"]  # the blank line only
