"""Reading exports as CRMs write them: encodings, delimiters, titles, footers, spreadsheets."""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from conftest import SAME_DEALS, SAME_HEADERS, fixture_path, load, same_rows
from crm_roi.errors import InputError
from crm_roi.inputs.read import read_table
from crm_roi.inputs.schema import InputKind

CANONICAL = [
    "_row", "deal_id", "customer_id", "amount", "currency", "status", "created_date",
    "close_date", "channel", "campaign", "owner",
]  # fmt: skip


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as plain Python values, so a failure shows which value differs."""
    out = []
    for row in frame[CANONICAL].to_dict("records"):
        out.append(
            {
                k: None
                if v is None or v is pd.NaT or (not isinstance(v, str) and pd.isna(v))
                else (v.date() if isinstance(v, pd.Timestamp) else v)
                for k, v in row.items()
            }
        )
    return out


# --- the same deals, written five ways --------------------------------------------------------


def test_same_deals_written_five_ways_load_to_identical_records(same_xlsx: Path) -> None:
    expected = [
        {
            "_row": i + 2,  # header on row 1, first deal on row 2
            "deal_id": d.deal_id,
            "customer_id": d.customer,
            "amount": d.cents,
            "currency": "EUR",
            "status": d.status,
            "created_date": d.created,
            "close_date": d.closed,
            "channel": d.channel,
            "campaign": d.campaign,
            "owner": d.owner,
        }
        for i, d in enumerate(SAME_DEALS)
    ]
    sources = [
        fixture_path("deals_same_utf8.csv"),
        fixture_path("deals_same_utf8_bom.csv"),
        fixture_path("deals_same_utf16.txt"),
        fixture_path("deals_same_nl_cp1252.csv"),
        same_xlsx,
    ]
    loaded = [load(p) for p in sources]
    for one in loaded:
        assert (one.rows, one.used, one.rejected_total) == (8, 8, 0), one.path
        assert _records(one.frame) == expected, one.path
    # And as frames: same columns, same dtypes, same values.
    first = loaded[0].frame[CANONICAL]
    for one in loaded[1:]:
        pd.testing.assert_frame_equal(one.frame[CANONICAL], first)


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter", "file_format"),
    [
        ("deals_same_utf8.csv", "utf-8", ",", "csv"),
        ("deals_same_utf8_bom.csv", "utf-8-sig", ",", "csv"),
        ("deals_same_utf16.txt", "utf-16", "\t", "tsv"),
        ("deals_same_nl_cp1252.csv", "cp1252", ";", "csv"),
        ("deals_pipe.csv", "utf-8", "|", "csv"),
        ("time_logs_tab.tsv", "utf-8", "\t", "tsv"),
    ],
)
def test_encoding_and_delimiter_are_detected_per_file(
    name: str, encoding: str, delimiter: str, file_format: str
) -> None:
    raw = read_table(fixture_path(name))
    assert (raw.encoding, raw.delimiter, raw.format) == (encoding, delimiter, file_format)
    assert raw.header_row == 1


def test_byte_order_mark_does_not_stick_to_the_first_header() -> None:
    raw = read_table(fixture_path("deals_same_utf8_bom.csv"))
    assert raw.headers[0] == "Deal ID"
    assert fixture_path("deals_same_utf8_bom.csv").read_bytes().startswith(codecs.BOM_UTF8)


def test_utf16_unicode_text_keeps_non_ascii_names_and_crlf_is_not_in_values() -> None:
    loaded = load("deals_same_utf16.txt")
    assert loaded.frame["customer_id"].iloc[0] == "Müller GmbH"
    assert loaded.frame["owner"].iloc[-1] == "Priya Raman"  # no trailing "\r"
    assert loaded.raw.headers == SAME_HEADERS


def test_cp1252_export_keeps_the_umlaut_and_dutch_headers_map() -> None:
    loaded = load("deals_same_nl_cp1252.csv")
    assert loaded.frame["customer_id"].iloc[0] == "Müller GmbH"
    assert dict(loaded.mapping.fields) == {
        "deal_id": "Dealnummer",
        "amount": "Bedrag",
        "status": "Status",
        "close_date": "Sluitingsdatum",
        "created_date": "Aanmaakdatum",
        "customer_id": "Klant",
        "channel": "Kanaal",
        "campaign": "Campagne",
        "owner": "Eigenaar",
    }


def test_euro_amounts_with_decimal_comma_and_day_first_dates_are_reported() -> None:
    loaded = load("deals_same_nl_cp1252.csv")
    by_field = {c.field: c for c in loaded.columns}
    assert by_field["amount"].decimal == ","
    assert by_field["close_date"].date_order == "DD-MM-YYYY"
    assert by_field["created_date"].date_order == "DD-MM-YYYY"
    # "€ 12.500,00" is twelve thousand five hundred euros, in cents.
    assert loaded.frame["amount"].iloc[1] == 12_500 * 100
    assert list(loaded.frame["currency"].unique()) == ["EUR"]  # from the € in the cells


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"], ids=["little-endian", "big-endian"])
def test_utf16_without_byte_order_mark_is_detected(tmp_path: Path, codec: str) -> None:
    text = "Deal ID\tStage\tAmount\tClose Date\r\nD-1\tWon\t5\t2024-01-01\r\n"
    path = tmp_path / "deals.txt"
    path.write_bytes(text.encode(codec))
    loaded = load(path)
    assert (loaded.raw.encoding, loaded.raw.delimiter) == ("utf-16", "\t")
    assert loaded.frame["amount"].tolist() == [500]


def test_cp1252_character_after_the_sniffed_head_switches_the_whole_file(tmp_path: Path) -> None:
    # The first 256 KiB are plain ASCII (valid UTF-8); the last row has a cp1252 "ü".
    rows = [f"D-{i},Acme,Closed Won,5,2024-01-01" for i in range(12_000)]
    text = "Deal ID,Company,Stage,Amount,Close Date\n" + "\n".join(rows)
    text += "\nD-last,Müller GmbH,Closed Won,5,2024-01-01\n"
    path = tmp_path / "deals.csv"
    path.write_bytes(text.encode("cp1252"))
    assert len(text) > 256 * 1024
    loaded = load(path)
    assert loaded.raw.encoding == "cp1252"
    assert loaded.used == 12_001
    assert loaded.frame["customer_id"].iloc[-1] == "Müller GmbH"


def test_utf8_bom_file_with_a_stray_cp1252_byte_keeps_its_first_header(tmp_path: Path) -> None:
    # Excel wrote a BOM; a later edit in another tool pasted a cp1252 "ü".
    path = tmp_path / "deals.csv"
    path.write_bytes(
        codecs.BOM_UTF8 + b"Deal ID,Company,Stage,Amount,Close Date\r\n"
        b"D-1,M\xfcller GmbH,Closed Won,5,2024-01-01\r\n"
    )
    loaded = load(path)
    assert loaded.raw.encoding == "cp1252"
    assert loaded.raw.headers[0] == "Deal ID"
    assert loaded.frame["customer_id"].tolist() == ["Müller GmbH"]


# --- titles, footers, blank and ragged rows ---------------------------------------------------


def test_footer_rows_are_skipped_not_rejected() -> None:
    loaded = load("deals_salesforce_report.csv")
    # 3 title lines and a blank line, the header on row 5, 5 deals on rows 6-10, then the
    # Grand Totals row (11), a blank line (12), the confidentiality (13) and copyright (14) lines.
    assert loaded.raw.header_row == 5
    assert (loaded.rows, loaded.used, loaded.rejected_total) == (5, 5, 0)
    assert loaded.rows == loaded.used + loaded.rejected_total
    assert loaded.frame["_row"].tolist() == [6, 7, 8, 9, 10]
    skipped = [(i.row, i.code) for i in loaded.raw.skipped]
    assert skipped == [
        (1, "title"),
        (2, "title"),
        (3, "title"),
        (11, "footer"),
        (12, "blank"),
        (13, "footer"),
        (14, "footer"),
    ]
    footers = {i.row: i.value for i in loaded.raw.skipped if i.code == "footer"}
    assert footers[11].startswith("Grand Totals (5 records)")
    assert footers[13] == "Confidential Information - Do Not Distribute"
    assert footers[14].startswith("Copyright (c) 2000-2024 salesforce.com")
    assert not loaded.all_rejections


def test_salesforce_report_values_are_read_month_first_and_with_thousands_commas() -> None:
    loaded = load("deals_salesforce_report.csv")
    frame = loaded.frame
    assert frame["deal_id"].tolist()[0] == "0065g00000AbC01"
    # "12,500.00" → 12500.00; "3,125.50" → 3125.50; in cents.
    assert frame["amount"].tolist() == [1_250_000, 480_000, 225_000, 990_000, 312_550]
    # "3/15/2024" can only be month-first; "5/2/2024" is then May 2nd.
    assert frame["close_date"].iloc[0].date() == dt.date(2024, 3, 15)
    assert frame["close_date"].iloc[2].date() == dt.date(2024, 5, 2)
    assert frame["status"].tolist() == ["won", "won", "lost", "open", "open"]
    assert "Opportunity Name" in loaded.mapping.attributes


def test_skipped_lines_are_listed_in_row_order() -> None:
    rows = [i.row for i in load("deals_salesforce_report.csv").raw.skipped]
    assert rows == sorted(rows)


def test_last_rows_whose_name_starts_with_total_are_data_not_footers(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(
        "Company,Deal ID,Stage,Amount,Close Date\n"
        "Acme BV,D-1,Closed Won,100,2024-01-05\n"
        "TotalEnergies SE,D-2,Closed Won,500,2024-01-09\n"  # no word "Total"
        "Total Care BV,D-3,Closed Won,700,2024-01-10\n"  # a full row, not a totals line
        "Total,,,1300,\n",  # the totals line: a label and a sum
        encoding="utf-8",
    )
    loaded = load(path)
    assert loaded.frame["customer_id"].tolist() == ["Acme BV", "TotalEnergies SE", "Total Care BV"]
    assert [(i.row, i.code) for i in loaded.raw.skipped] == [(5, "footer")]


def test_title_rows_above_the_header_shift_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(
        "Deals export\n\nRun on 2024-11-25\n\nDeal ID,Stage,Amount,Close Date\n"
        "D-1,Won,5,2024-01-01\nD-2,Lost,6,2024-01-02\n",
        encoding="utf-8",
    )
    loaded = load(path)
    assert loaded.raw.header_row == 5
    assert loaded.frame["_row"].tolist() == [6, 7]
    assert [(i.row, i.code) for i in loaded.raw.skipped] == [(1, "title"), (3, "title")]


@pytest.mark.parametrize(
    "blank", ["", ",,,", " , ,, "], ids=["empty line", "only commas", "only spaces"]
)
def test_blank_row_in_the_middle_is_skipped_and_rows_keep_their_numbers(
    tmp_path: Path, blank: str
) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(
        f"Deal ID,Stage,Amount,Close Date\nD-1,Won,5,2024-01-01\n{blank}\nD-2,Lost,6,2024-01-02\n",
        encoding="utf-8",
    )
    loaded = load(path)
    assert (loaded.rows, loaded.used, loaded.rejected_total) == (2, 2, 0)
    assert loaded.frame["_row"].tolist() == [2, 4]
    assert [(i.row, i.code) for i in loaded.raw.skipped] == [(3, "blank")]


def test_lone_carriage_return_line_endings_are_read(tmp_path: Path) -> None:
    # Excel for Mac's "CSV (Macintosh)" ends lines with a bare \r.
    path = tmp_path / "deals.csv"
    path.write_bytes(
        b"Deal ID,Stage,Amount,Close Date\rD-1,Won,5,2024-01-01\rD-2,Lost,6,2024-01-02\r"
    )
    loaded = load(path)
    assert loaded.frame["deal_id"].tolist() == ["D-1", "D-2"]
    assert loaded.frame["_row"].tolist() == [2, 3]


def test_quoted_fields_keep_embedded_newlines_and_rows_are_counted_as_records() -> None:
    loaded = load("deals_multiline.csv")
    frame = loaded.frame
    # Three records over eight lines: a spreadsheet shows them on rows 2, 3 and 4.
    assert frame["_row"].tolist() == [2, 3, 4]
    assert frame["Notes"].iloc[0] == "Signed after the second demo.\nWants onboarding in April."
    assert frame["Notes"].iloc[1] == "Went with a competitor:\n- price\n- no SSO"
    assert frame["Deal Name"].iloc[1] == 'Deltacore NV - "Pro" plan'
    assert frame["amount"].tolist() == [240_000, 890_050, 3_100_000]


def test_row_with_more_fields_than_the_header_is_rejected_and_short_rows_are_padded(
    tmp_path: Path,
) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(
        "Deal ID,Stage,Amount,Close Date,Owner\n"
        "D-1,Won,5,2024-01-01,Ann\n"
        "D-2,Won,1,234.00,2024-01-02,Bob\n"  # the unquoted "1,234.00" splits in two
        "D-3,Open,7\n",  # trailing empty fields left out
        encoding="utf-8",
    )
    loaded = load(path)
    assert (loaded.rows, loaded.used, loaded.rejected_total) == (3, 2, 1)
    [ragged] = loaded.all_rejections
    assert (ragged.row, ragged.code) == (3, "ragged")
    assert ragged.reason.startswith("the row has 6 fields but the header has 5")
    assert loaded.frame["deal_id"].tolist() == ["D-1", "D-3"]
    assert loaded.frame["owner"].isna().tolist() == [False, True]


def test_pipe_delimited_export_with_hubspot_stage_ids() -> None:
    loaded = load("deals_pipe.csv")
    assert loaded.raw.delimiter == "|"
    assert loaded.frame["status"].tolist() == ["won", "lost", "open", "won"]
    assert loaded.frame["amount"].tolist() == [240_000, 890_050, 3_100_000, 240_000]
    assert loaded.mapping.fields["deal_id"] == "Record ID"
    assert loaded.mapping.fields["channel"] == "Original Source"


def test_tab_separated_time_logs() -> None:
    loaded = load("time_logs_tab.tsv", InputKind.TIME_LOGS)
    assert loaded.raw.format == "tsv"
    assert loaded.frame["hours"].tolist() == [2.5, 1.75, 3.0]
    assert loaded.frame["hourly_rate"].tolist() == [8500, 6500, 8500]
    assert loaded.frame["deal_id"].isna().tolist() == [False, True, False]


# --- spreadsheets -----------------------------------------------------------------------------


def test_xlsx_text_cells_keep_leading_zeros_and_typed_cells_are_read(same_xlsx: Path) -> None:
    loaded = load(same_xlsx)
    assert loaded.raw.format == "xlsx"
    assert loaded.raw.sheet == "Deals"
    assert loaded.frame["deal_id"].tolist()[:2] == ["00101", "00102"]
    assert loaded.frame["amount"].tolist() == [d.cents for d in SAME_DEALS]
    assert loaded.frame["created_date"].iloc[0].date() == dt.date(2024, 1, 15)


def test_xlsx_first_sheet_with_data_is_read_after_titles_blank_rows_and_totals(xlsx) -> None:
    path = xlsx(
        "pipeline.xlsx",
        {
            "Read me": [],
            "Pipeline": [
                ["Pipeline report Q1"],
                [],
                ["Deal ID", "Stage", "Amount", "Close Date", "Created", "Owner"],
                ["00123", "Won", 1234.5, dt.datetime(2024, 3, 1), 45292, "Ann"],
                [],
                ["00124", "Lost", 0.1, dt.date(2024, 3, 2), dt.datetime(2024, 1, 2, 13, 30), "Bob"],
                [125, "Open", 1.234, None, dt.date(2024, 1, 3), None],
                ["Total", None, 1235.834],
            ],
        },
    )
    loaded = load(path)
    assert loaded.raw.sheet == "Pipeline"
    assert loaded.raw.header_row == 3
    assert (loaded.rows, loaded.used, loaded.rejected_total) == (3, 3, 0)
    assert loaded.frame["_row"].tolist() == [4, 6, 7]
    assert [(i.row, i.code) for i in loaded.raw.skipped] == [
        (1, "title"),
        (5, "blank"),
        (8, "footer"),
    ]
    # A numeric ID cell has no leading zeros to keep; a text cell keeps them.
    assert loaded.frame["deal_id"].tolist() == ["00123", "00124", "125"]
    # 1234.5 → 123450 cents; 0.1 → 10; 1.234 rounds to 123 with a warning.
    assert loaded.frame["amount"].tolist() == [123_450, 10, 123]
    assert [(w.row, w.code) for w in loaded.warnings] == [(7, "rounded")]
    # 45292 is the Excel serial of 2024-01-01; a date-time cell keeps its day.
    assert [d.date() for d in loaded.frame["created_date"]] == [
        dt.date(2024, 1, 1),
        dt.date(2024, 1, 2),
        dt.date(2024, 1, 3),
    ]


def test_sheet_option_picks_a_sheet_and_a_missing_sheet_names_the_ones_there(xlsx) -> None:
    rows = [["Deal ID", "Stage", "Amount", "Close Date"], ["D-1", "Won", 10, dt.date(2024, 1, 1)]]
    other = [["Deal ID", "Stage", "Amount", "Close Date"], ["D-9", "Lost", 99, dt.date(2024, 2, 1)]]
    path = xlsx("two.xlsx", {"2023": rows, "2024": other})
    assert load(path).frame["deal_id"].tolist() == ["D-1"]
    assert load(path, sheet="2024").frame["deal_id"].tolist() == ["D-9"]
    with pytest.raises(InputError, match=r"has no sheet 'Summary'; sheets are '2023', '2024'"):
        load(path, sheet="Summary")


def test_sheet_option_on_a_csv_is_refused() -> None:
    with pytest.raises(InputError, match="--sheet applies to spreadsheets"):
        load("deals_same_utf8.csv", sheet="Deals")


def test_ods_spreadsheet_is_read(ods) -> None:
    path = ods(
        "deals.ods",
        {
            "Deals": [
                ["Deal ID", "Stage", "Amount", "Close Date"],
                ["00123", "Won", 1234.5, dt.date(2024, 3, 1)],
                ["00124", "Lost", 99, dt.date(2024, 3, 2)],
            ]
        },
    )
    loaded = load(path)
    assert (loaded.raw.format, loaded.raw.sheet) == ("ods", "Deals")
    assert loaded.frame["deal_id"].tolist() == ["00123", "00124"]
    assert loaded.frame["amount"].tolist() == [123_450, 9_900]
    assert loaded.frame["close_date"].iloc[1].date() == dt.date(2024, 3, 2)


def test_xlsx_same_rows_as_an_ods_give_the_same_records(xlsx, ods) -> None:
    sheets = {"Deals": [SAME_HEADERS, *same_rows()]}
    a, b = load(xlsx("d.xlsx", sheets)).frame, load(ods("d.ods", sheets)).frame
    pd.testing.assert_frame_equal(a[CANONICAL], b[CANONICAL])


# --- files that can't be read at all ----------------------------------------------------------


def test_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"deals\.csv: no such file$"):
        read_table(tmp_path / "deals.csv")


def test_folder_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder, not a file"):
        read_table(tmp_path)


def test_empty_file_and_blank_lines_only_are_empty(tmp_path: Path) -> None:
    empty, blank = tmp_path / "empty.csv", tmp_path / "blank.csv"
    empty.write_bytes(b"")
    blank.write_bytes(b"\r\n\r\n   \r\n")
    with pytest.raises(InputError, match=r"the file is empty$"):
        read_table(empty)
    with pytest.raises(InputError, match=r"the file is empty \(only blank lines\)"):
        read_table(blank)


def test_binary_garbage_named_csv_is_not_a_text_export(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    with pytest.raises(InputError, match=r"is not a text export \(binary data\)"):
        read_table(path)


def test_workbook_named_csv_asks_for_a_spreadsheet_name(xlsx, tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_bytes(xlsx("d.xlsx", {"S": [["Deal ID", "Stage"]]}).read_bytes())
    with pytest.raises(InputError, match="is a spreadsheet, not text"):
        read_table(path)


def test_xlsx_that_is_not_a_zip_is_not_a_valid_workbook(tmp_path: Path) -> None:
    path = tmp_path / "deals.xlsx"
    path.write_text("Deal ID,Stage,Amount\nD-1,Won,5\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"is not a valid workbook \(not a zip archive"):
        read_table(path)


def test_zip_that_is_no_workbook_can_not_be_opened(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "deals.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(InputError, match="can't be opened as a spreadsheet"):
        read_table(path)


TEXT_FILES = sorted(
    p
    for folder in ("fixtures", "fixtures/shapes", "fixtures/leads", "corpus")
    for p in (Path(__file__).parent / folder).glob("*")
    if p.suffix in (".csv", ".tsv", ".txt")
)


@pytest.mark.parametrize("path", TEXT_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_big_file_read_into_huge_pages_and_hashed_aside_reads_as_a_small_one(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From 32 MB on a UTF-8 file is parsed by Arrow from the file itself, else read into
    memory of its own (an mmap) rather than bytes, and from 4 MB on hashed in a thread while
    it is parsed: every way through the reader (UTF-16, NULs, cp1252, quotes, the careful
    path, a file refused) must give the same table, rows, skips, rejections and sha256, or the
    same error."""
    import crm_roi.inputs.read as read

    def outcome() -> object:
        try:
            raw = read_table(path)
        except InputError as exc:
            return str(exc)
        return (
            raw.headers,
            raw.data.to_pydict(),
            raw.row_numbers.tolist(),
            [str(i) for i in raw.skipped],
            [str(i) for i in raw.rejected],
            raw.encoding,
            raw.sha256,
        )

    small = outcome()
    monkeypatch.setattr(read, "HUGE_PAGES_FROM", 0)
    monkeypatch.setattr(read, "HASH_BESIDE_FROM", 0)  # hashed in a thread beside the parse
    assert outcome() == small
    monkeypatch.setattr(read, "FROM_THE_FILE", 0)  # parsed by Arrow from the file itself
    assert outcome() == small


def test_a_file_that_grows_while_read_is_read_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """The buffer is sized from the file's size; what a growing file holds past it is kept."""
    import io
    import mmap

    import crm_roi.inputs.read as read

    monkeypatch.setattr(read, "HUGE_PAGES_FROM", 0)
    assert isinstance(read._read_all(io.BufferedReader(io.BytesIO(b"abc")), 3), mmap.mmap)

    data = b"Deal ID,Amount\n" + b"".join(b"D-%d,%d\n" % (i, i) for i in range(1000))
    handle = io.BufferedReader(io.BytesIO(data))
    got = read._read_all(handle, 100)  # as if the file had been 100 bytes when sized
    assert bytes(got) == data


def test_a_big_file_that_changes_while_parsed_from_itself_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parsed from the file, then found changed (a new modification time): read again whole,
    as it is now, and hashed as such."""
    import hashlib
    import os

    import crm_roi.inputs.read as read

    path = tmp_path / "deals.csv"
    path.write_bytes(b"Deal ID,Amount\nD-1,100\n")
    now = b"Deal ID,Amount\nD-1,100\nD-2,250\n"
    parse = read._fast_read

    def rewritten_meanwhile(*args: object, **kwargs: object) -> object:
        table = parse(*args, **kwargs)  # type: ignore[arg-type]
        path.write_bytes(now)
        os.utime(path, ns=(1, 1))
        return table

    monkeypatch.setattr(read, "FROM_THE_FILE", 0)
    monkeypatch.setattr(read, "_fast_read", rewritten_meanwhile)
    raw = read_table(path)
    assert raw.data.num_rows == 2 and raw.sha256 == hashlib.sha256(now).hexdigest()


def test_a_big_utf8_file_is_parsed_from_itself_not_read_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import crm_roi.inputs.read as read

    def whole(*args: object) -> object:
        raise AssertionError("read whole into memory")

    monkeypatch.setattr(read, "FROM_THE_FILE", 0)
    monkeypatch.setattr(read, "_read_all", whole)
    raw = read_table(fixture_path("deals_same_utf8.csv"))
    assert raw.data.num_rows and raw.encoding == "utf-8"
    with pytest.raises(AssertionError, match="read whole"):  # UTF-16 is read whole
        read_table(fixture_path("deals_same_utf16.txt"))
