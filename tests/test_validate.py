"""Validation rules: every rejection reason, with the row number a spreadsheet user sees, the
file's own header text and the reason; warnings; mapping; and rows = used + rejected."""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import FIXTURES, fixture_path, load
from crm_roi.errors import InputError, Severity, UsageError
from crm_roi.inputs.load import Loaded, guess_kind
from crm_roi.inputs.schema import InputKind


def issues(loaded: Loaded) -> list[tuple[int, str, str]]:
    return [(i.row, i.column, i.reason) for i in loaded.all_rejections]


def warnings(loaded: Loaded) -> list[tuple[int, str, str]]:
    return [(i.row, i.column, i.reason) for i in loaded.warnings]


def accounted(loaded: Loaded) -> None:
    assert loaded.rows == loaded.used + loaded.rejected_total
    assert loaded.rejected_total == len({i.row for i in loaded.all_rejections})


# --- deals: one row per rejection reason ------------------------------------------------------

# deals_rejections.csv, row by row (the header is row 1):
DEAL_REJECTIONS = {
    3: ("Amount", "'abc' is not an amount"),
    4: ("Amount", "'-500.00': input should be greater than or equal to 0"),
    5: ("Amount", "a won deal needs amount"),
    6: ("Close Date", "a won deal needs close date"),
    7: ("Close Date", "a lost deal needs close date"),
    8: ("Close Date", "'2024-02-30' is not a date"),
    9: ("Deal ID", "duplicate deal_id 'D-001' (first on row 2, which is used)"),
    10: (
        "Stage",
        "the stage is empty (say what an empty stage means in a mapping file: "
        '[deals.stages] "" = "open")',
    ),
    11: ("Amount", "'$5' is in USD, but Currency says EUR"),
}


@pytest.mark.parametrize(("row", "expected"), sorted(DEAL_REJECTIONS.items()))
def test_each_deal_rejection_names_row_column_and_reason(
    row: int, expected: tuple[str, str]
) -> None:
    loaded = load("deals_rejections.csv")
    assert [(c, r) for n, c, r in issues(loaded) if n == row] == [expected]


def test_bad_amount_is_reported_as_file_row_column_reason() -> None:
    loaded = load("deals_rejections.csv")
    first = loaded.all_rejections[0]
    assert str(first) == f"{fixture_path('deals_rejections.csv')}:3: Amount: 'abc' is not an amount"
    assert (first.value, first.code, first.severity) == ("abc", "invalid", Severity.ERROR)


def test_deal_rows_are_used_or_rejected_never_dropped() -> None:
    loaded = load("deals_rejections.csv")
    # 12 data rows (2-13): 9 rejected, the good first row, the warned row and an open deal
    # without amount are used.
    assert (loaded.rows, loaded.used, loaded.rejected_total) == (12, 3, 9)
    accounted(loaded)
    assert loaded.frame["_row"].tolist() == [2, 12, 13]
    assert {i.row for i in loaded.all_rejections} == set(DEAL_REJECTIONS)


def test_open_deal_may_have_no_amount_or_close_date() -> None:
    frame = load("deals_rejections.csv").frame
    open_deal = frame[frame["deal_id"] == "D-012"].iloc[0]
    assert open_deal["status"] == "open"
    assert open_deal["amount"] is pd.NA


def test_close_date_before_created_date_is_a_warning_and_the_deal_is_used() -> None:
    loaded = load("deals_rejections.csv")
    assert warnings(loaded) == [(12, "Close Date", "closes (2024-02-01) before it was created")]
    assert "D-011" in loaded.frame["deal_id"].tolist()


def test_duplicate_of_a_rejected_row_is_kept_when_it_is_the_first_usable_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(
        "Deal ID,Stage,Amount,Close Date\n"
        "D-1,Won,abc,2024-01-01\n"  # rejected for its amount
        "D-1,Won,100,2024-01-02\n"  # the first usable D-1: used
        "D-1,Won,200,2024-01-03\n",  # a repeat of row 3: rejected
        encoding="utf-8",
    )
    loaded = load(path)
    assert loaded.frame["_row"].tolist() == [3]
    assert issues(loaded) == [
        (2, "Amount", "'abc' is not an amount"),
        (4, "Deal ID", "duplicate deal_id 'D-1' (first on row 3, which is used)"),
    ]


def test_won_deals_without_an_amount_column_are_an_error_not_a_report_of_zeros(
    tmp_path: Path,
) -> None:
    path = tmp_path / "deals.csv"
    path.write_text("Deal ID,Stage\nD-1,Won\nD-2,Open\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"no column for amount \(its 1 won deal needs it"):
        load(path)


def test_an_input_none_of_whose_rows_can_be_used_is_an_error_naming_the_commonest_reason(
    tmp_path: Path,
) -> None:
    path = tmp_path / "costs.csv"
    path.write_text("Date,Amount\n2024-13-45,5\n31/31/2024,6\n,7\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load(path, InputKind.COSTS, unusable_ok=False)
    assert str(caught.value) == (
        f"{path}: none of its 3 rows can be used; the commonest reason: Date: '2024-13-45' is "
        "not a date (2 rows); crm-roi validate lists them all"
    )
    assert load(path, InputKind.COSTS).used == 0  # validate still sees every row


def test_row_with_several_problems_lists_each_and_counts_once(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(
        "Deal ID,Stage,Amount,Close Date\n,Won,abc,\nD-2,Lost,5,2024-01-01\n", encoding="utf-8"
    )
    loaded = load(path)
    assert sorted(issues(loaded)) == [
        (2, "Amount", "'abc' is not an amount"),
        (2, "Close Date", "a won deal needs close date"),
        (2, "Deal ID", "deal_id is required but empty"),
    ]
    assert (loaded.rows, loaded.used, loaded.rejected_total) == (2, 1, 1)


def test_rejections_after_title_rows_carry_the_spreadsheet_row_number(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(
        '"Won deals"\n"As of 11/25/2024"\nDeal ID,Stage,Amount,Close Date\n'
        "D-1,Won,100,2024-01-01\nD-2,Won,abc,2024-01-02\n",
        encoding="utf-8",
    )
    loaded = load(path)
    assert issues(loaded) == [(5, "Amount", "'abc' is not an amount")]


def test_currency_column_written_as_a_symbol_agrees_with_euro_amounts(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(
        "Deal ID;Status;Bedrag;Valuta;Sluitingsdatum\n"
        "D-1;Gewonnen;€ 1.500,00;€;15-03-2024\n"
        "D-2;Gewonnen;900,00;eur;20-03-2024\n"
        "D-3;Gewonnen;$ 900,00;€;21-03-2024\n",
        encoding="utf-8",
    )
    loaded = load(path)
    assert loaded.frame["currency"].tolist() == ["EUR", "EUR"]
    assert issues(loaded) == [(4, "Bedrag", "'$ 900,00' is in USD, but Valuta says EUR")]
    assert loaded.all_rejections[0].value == "$ 900,00"  # the amount cell, not the currency


def test_currency_in_the_amount_cell_becomes_the_row_currency() -> None:
    frame = load("costs_amount_styles.csv", InputKind.COSTS).frame
    # "1,234.56" names none; "$1,234" → USD; "1234.56 EUR" and "€ 49" → EUR.
    assert frame["currency"].tolist()[1:3] == ["USD", "EUR"]
    assert frame["currency"].isna().tolist() == [True, False, False, True, False]
    assert frame["amount"].tolist() == [123456, 123400, 123456, -123400, 4900]


# --- time logs and costs ----------------------------------------------------------------------


def test_time_log_hours_must_be_over_zero_and_at_most_24_and_need_a_rate() -> None:
    loaded = load("time_logs_rejections.csv", InputKind.TIME_LOGS)
    assert issues(loaded) == [
        (3, "Hours", "'0': input should be greater than 0"),
        (4, "Hours", "'30': input should be less than or equal to 24"),
        (5, "Hourly Rate", "hourly rate is empty (give one, or pass --hourly-rate)"),
    ]
    assert loaded.frame["hours"].tolist() == [2.5, 24.0]  # 24 is allowed
    accounted(loaded)


def test_default_hourly_rate_fills_empty_rates() -> None:
    loaded = load(
        "time_logs_rejections.csv", InputKind.TIME_LOGS, default_hourly_rate=Decimal("72.50")
    )
    assert [r for r, _, _ in issues(loaded)] == [3, 4]
    assert loaded.frame["hourly_rate"].tolist() == [8500, 7250, 6500]


def test_time_logs_without_a_rate_column_need_a_default_rate(tmp_path: Path) -> None:
    path = tmp_path / "time.csv"
    path.write_text("Date,Person,Hours\n2024-03-04,Tom,2\n2024-03-05,Tom,3\n", encoding="utf-8")
    loaded = load(path, InputKind.TIME_LOGS)
    assert loaded.used == 0
    assert {r for r, _, _ in issues(loaded)} == {2, 3}
    assert "no --hourly-rate was given" in issues(loaded)[0][2]
    with_rate = load(path, InputKind.TIME_LOGS, default_hourly_rate=Decimal("80"))
    assert with_rate.frame["hourly_rate"].tolist() == [8000, 8000]


def test_cost_without_a_date_is_rejected_credit_and_unknown_type_are_warnings() -> None:
    loaded = load("costs_rejections.csv", InputKind.COSTS)
    assert issues(loaded) == [(3, "Date", "needs a date, or a start date and an end date")]
    assert warnings(loaded) == [
        (4, "Amount", "negative amount (-300.00): a credit, used as such"),
        (6, "Type", "type 'overhead' is neither acquisition nor retention: counted as acquisition"),
    ]
    assert loaded.frame["amount"].tolist() == [125000, -30000, 45000, 3500]
    assert loaded.frame["type"].tolist() == [
        "acquisition",
        "acquisition",
        "retention",
        "acquisition",
    ]
    accounted(loaded)


def test_cost_spread_over_a_period_needs_its_end_after_its_start(tmp_path: Path) -> None:
    path = tmp_path / "costs.csv"
    path.write_text(
        "Start Date,End Date,Amount\n2024-01-01,2024-12-31,1200\n2024-06-30,2024-06-01,50\n"
        "2024-01-01,,80\n",
        encoding="utf-8",
    )
    loaded = load(path, InputKind.COSTS)
    assert issues(loaded) == [
        (3, "End Date", "the end date 2024-06-01 is before the start date"),
        (4, "Start Date", "needs a date, or a start date and an end date"),
    ]


def test_customer_ids_keep_leading_zeros_and_must_be_unique(tmp_path: Path) -> None:
    loaded = load("customers_leading_zeros.csv", InputKind.CUSTOMERS)
    assert loaded.frame["customer_id"].tolist() == ["00123", "000456", "7"]
    path = tmp_path / "customers.csv"
    path.write_text("Customer ID,Name\n00123,A\n123,B\n00123,C\n", encoding="utf-8")
    dup = load(path, InputKind.CUSTOMERS)
    assert dup.frame["customer_id"].tolist() == ["00123", "123"]
    assert issues(dup) == [
        (4, "Customer ID", "duplicate customer_id '00123' (first on row 2, which is used)")
    ]


# --- mapping ----------------------------------------------------------------------------------


def test_missing_required_column_names_the_field_the_headers_and_the_closest(
    tmp_path: Path,
) -> None:
    path = tmp_path / "deals.csv"
    path.write_text("Deal ID,Account,Stage,Sum,Close Dt\nD-1,Acme,Closed Won,1200,x\n")
    with pytest.raises(InputError) as caught:
        load(path)
    message = str(caught.value)
    assert "no column for amount (its 1 won deal needs it;" in message
    assert "headers are 'Deal ID', 'Account', 'Stage', 'Sum', 'Close Dt'" in message
    assert "likeliest by content: 'Sum' (an amount in every won row)" in message
    assert '[deals.columns] amount = "Sum" (--mapping)' in message
    assert "\n" not in message
    assert message.count("'amount'") == 1  # each synonym looked for is named once


def test_a_deals_file_without_an_id_column_is_numbered_by_row() -> None:
    loaded = load("deals_missing_id_column.csv")
    assert loaded.frame["deal_id"].tolist() == ["row 2"]
    assert loaded.numbered
    assert loaded.notices == ["no id column: each row's id is its row number (row 2, row 3, …)"]
    accounted(loaded)


def test_costs_need_a_date_or_a_start_date_column(tmp_path: Path) -> None:
    path = tmp_path / "costs.csv"
    path.write_text("Amount,Channel\n5,Email\n", encoding="utf-8")
    with pytest.raises(InputError, match="no column for date"):
        load(path, InputKind.COSTS)


def test_mapping_file_maps_odd_headers_and_custom_stage_names() -> None:
    loaded = load("deals_odd_headers.csv", mapping_file=fixture_path("mapping_odd_headers.toml"))
    assert loaded.mapping.fields["amount"] == "Net Value"
    assert loaded.mapping.how["amount"] == "mapping file"
    assert loaded.mapping_source == str(fixture_path("mapping_odd_headers.toml"))
    # Contract signed / Handtekening ontvangen / Contrat signé → won; Dead → lost; else open.
    assert loaded.frame["status"].tolist() == ["won", "lost", "open", "won", "won"]
    assert loaded.frame["amount"].tolist() == [480000, 120000, 990000, 250000, 315000]
    accounted(loaded)


def test_without_the_mapping_file_the_odd_headers_are_an_error() -> None:
    with pytest.raises(InputError, match=r"no column for amount \(its 5 won deals need it"):
        load("deals_odd_headers.csv")


def test_crm_roi_toml_in_the_working_directory_is_picked_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "crm-roi.toml").write_text(
        fixture_path("mapping_odd_headers.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    loaded = load(FIXTURES / "deals_odd_headers.csv")
    assert loaded.mapping_source == "crm-roi.toml"
    assert loaded.frame["status"].tolist() == ["won", "lost", "open", "won", "won"]


def test_built_in_stage_names_map_to_won_lost_open() -> None:
    loaded = load("deals_same_nl_cp1252.csv")
    assert loaded.frame["status"].tolist() == [
        "won", "won", "lost", "open", "won", "lost", "won", "open",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[deals.columns]\nrevenue = "Net Value"\n', "has no field 'revenue'"),
        ('[deals.stages]\n"Dead" = "gone"\n', "a stage maps to won, lost or open"),
        ('[deals]\ncolumns = "Net Value"\n', r"\[deals.columns\] must be a table"),
        ("[deals.columns\n", "is not valid TOML"),
        ('[deals.columns]\namount = "Nett Value"\n', None),
    ],
)
def test_bad_mapping_file_is_one_clear_error(
    tmp_path: Path, toml: str, message: str | None
) -> None:
    mapping = tmp_path / "map.toml"
    mapping.write_text(toml, encoding="utf-8")
    if message is None:  # a header the file doesn't have: an input error naming the headers
        with pytest.raises(InputError, match=r"names column 'Nett Value' for amount.*'Ref'"):
            load("deals_odd_headers.csv", mapping_file=mapping)
        return
    with pytest.raises(UsageError, match=message):
        load("deals_odd_headers.csv", mapping_file=mapping)


def test_mapping_path_that_is_a_folder_or_missing_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="can't be read"):
        load("deals_odd_headers.csv", mapping_file=tmp_path)
    with pytest.raises(UsageError, match="does not exist"):
        load("deals_odd_headers.csv", mapping_file=tmp_path / "nope.toml")


def test_kind_is_guessed_from_the_headers() -> None:
    assert guess_kind(fixture_path("deals_salesforce_report.csv")) is InputKind.DEALS
    assert guess_kind(fixture_path("costs_rejections.csv")) is InputKind.COSTS
    assert guess_kind(fixture_path("customers_leading_zeros.csv")) is InputKind.CUSTOMERS
    assert guess_kind(fixture_path("time_logs_tab.tsv")) is InputKind.TIME_LOGS


# --- dates in files ---------------------------------------------------------------------------


def test_ambiguous_dates_follow_dayfirst_or_monthfirst() -> None:
    month_first = load("deals_ambiguous_dates.csv", date_order="MDY")
    day_first = load("deals_ambiguous_dates.csv", date_order="DMY")
    assert [d.date() for d in month_first.frame["close_date"]] == [
        dt.date(2024, 3, 4), dt.date(2024, 5, 6), dt.date(2024, 11, 12),
    ]  # fmt: skip
    assert [d.date() for d in day_first.frame["close_date"]] == [
        dt.date(2024, 4, 3), dt.date(2024, 6, 5), dt.date(2024, 12, 11),
    ]  # fmt: skip
    unsaid = load("deals_ambiguous_dates.csv")
    [note] = next(c for c in unsaid.columns if c.field == "close_date").notes
    assert "read as MM/DD/YYYY by the separator '/'" in note
    assert "--dayfirst or --monthfirst" in note


def test_semicolon_file_with_ambiguous_dates_is_read_day_first_with_a_note() -> None:
    loaded = load("costs_semicolon_ambiguous.csv", InputKind.COSTS)
    column = next(c for c in loaded.columns if c.field == "date")
    assert column.date_order == "DD-MM-YYYY"
    assert "by the file's locale" in column.notes[0]
    # "01/02/2024" is 1 February, though "/" alone would say 2 January.
    assert [d.date() for d in loaded.frame["date"]] == [
        dt.date(2024, 2, 1), dt.date(2024, 4, 3), dt.date(2024, 12, 11),
    ]  # fmt: skip
    assert loaded.frame["amount"].tolist() == [125000, 48050, 200000]


@pytest.mark.parametrize(
    ("name", "kind", "field", "expected"),
    [
        ("costs_iso_datetime.csv", InputKind.COSTS, "date",
         [dt.date(2024, 3, 1), dt.date(2024, 3, 2), dt.date(2024, 3, 31), dt.date(2024, 4, 1)]),
        ("time_logs_d_m_yy.csv", InputKind.TIME_LOGS, "date",
         [dt.date(2024, 3, 1), dt.date(2024, 3, 15), dt.date(2024, 4, 2)]),
        ("costs_excel_serial.csv", InputKind.COSTS, "date",
         [dt.date(2024, 1, 1), dt.date(2024, 2, 29), dt.date(2024, 3, 31)]),
    ],
)  # fmt: skip
def test_date_columns_in_files(
    name: str, kind: InputKind, field: str, expected: list[dt.date]
) -> None:
    loaded = load(name, kind)
    assert [d.date() for d in loaded.frame[field]] == expected
    assert loaded.rejected_total == 0


# --- every row accounted for ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("deals_same_utf8.csv", InputKind.DEALS),
        ("deals_salesforce_report.csv", InputKind.DEALS),
        ("deals_rejections.csv", InputKind.DEALS),
        ("deals_multiline.csv", InputKind.DEALS),
        ("time_logs_rejections.csv", InputKind.TIME_LOGS),
        ("costs_rejections.csv", InputKind.COSTS),
        ("costs_amount_styles.csv", InputKind.COSTS),
        ("customers_leading_zeros.csv", InputKind.CUSTOMERS),
    ],
)
def test_rows_are_used_plus_rejected_for_every_fixture(name: str, kind: InputKind) -> None:
    accounted(load(name, kind))


GOOD = {
    "won": "{id},Closed Won,1200.50,EUR,2024-01-05,2024-02-01",
    "lost": "{id},Closed Lost,300,EUR,2024-01-05,2024-02-01",
    "open": "{id},Open,,EUR,2024-01-05,",
    "late": "{id},Won,99,EUR,2024-03-05,2024-02-01",  # close before created: a warning only
}
BAD = {
    "bad amount": "{id},Closed Won,abc,EUR,2024-01-05,2024-02-01",
    "negative": "{id},Open,-5,EUR,2024-01-05,",
    "won no amount": "{id},Closed Won,,EUR,2024-01-05,2024-02-01",
    "won no close": "{id},Closed Won,5,EUR,2024-01-05,",
    "lost no close": "{id},Closed Lost,5,EUR,2024-01-05,",
    "bad date": "{id},Closed Won,5,EUR,2024-01-05,2024-02-30",
    "no status": "{id},,5,EUR,2024-01-05,",
    "no id": ",Open,5,EUR,2024-01-05,",
    "currency": "{id},Closed Won,$5,EUR,2024-01-05,2024-02-01",
    "ragged": "{id},Open,5,EUR,2024-01-05,,extra",
}
LINES = st.lists(
    st.one_of(
        st.sampled_from(sorted(GOOD)).map(lambda k: ("good", k)),
        st.sampled_from(sorted(BAD)).map(lambda k: ("bad", k)),
        st.just(("blank", "")),
        st.just(("dup", "")),
    ),
    max_size=40,
)


@given(LINES)
def test_any_mix_of_good_and_bad_rows_rejects_exactly_the_bad_ones(
    lines: list[tuple[str, str]],
) -> None:
    text = ["Deal ID,Stage,Amount,Currency,Created Date,Close Date"]
    good_rows, bad_rows = set(), set()
    seen_dup = False
    for i, (what, key) in enumerate(lines):
        row = len(text) + 1  # the spreadsheet row this line lands on
        if what == "blank":
            text.append("")
            continue
        if what == "dup":  # the same id again: the first one is used, the rest rejected
            text.append(GOOD["won"].format(id="D-dup"))
            (bad_rows if seen_dup else good_rows).add(row)
            seen_dup = True
            continue
        template = GOOD[key] if what == "good" else BAD[key]
        text.append(template.format(id=f"D-{i}"))
        (good_rows if what == "good" else bad_rows).add(row)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "deals.csv"
        path.write_text("\n".join(text) + "\n", encoding="utf-8")
        loaded = load(path)
    assert loaded.rows == len(good_rows) + len(bad_rows)
    assert loaded.rows == loaded.used + loaded.rejected_total
    assert set(loaded.frame["_row"].tolist()) == good_rows
    assert {i.row for i in loaded.all_rejections} == bad_rows


CUSTOMERS_WITH_REPEATS = "Customer ID,Name\n00123,A\n123,B\n00123,C\n,D\n7,E\n7,F\n"


@pytest.mark.parametrize("kind", [InputKind.DEALS, InputKind.CUSTOMERS])
def test_ids_checked_beside_the_parsing_are_rejected_alike(
    kind: InputKind, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From 100,000 rows a file's ids are checked for repeats in a thread of their own while
    the other columns are parsed: the same rows rejected, for the same reasons."""
    import crm_roi.inputs.validate as validate

    path: str | Path = "deals_rejections.csv"
    if kind is InputKind.CUSTOMERS:
        path = tmp_path / "customers.csv"
        path.write_text(CUSTOMERS_WITH_REPEATS, encoding="utf-8")

    def outcome() -> tuple[list[tuple[int, str, str]], list[tuple[int, str, str]], list[int]]:
        loaded = load(path, kind)
        return issues(loaded), warnings(loaded), loaded.frame["_row"].tolist()

    inline = outcome()
    monkeypatch.setattr(validate, "ASIDE_FROM_ROWS", 0)
    assert outcome() == inline
    assert any("duplicate" in reason for _, _, reason in inline[0])


def test_deal_ids_hashed_in_validation_link_time_logs_as_hashing_them_again_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A big deals file's ids, hashed while checking them for repeats, are handed to the engine
    (which links time logs by them): the kept rows only — a time log naming a rejected deal,
    or the rejected repeat of a kept one, links as it would without them."""
    import numpy as np

    import crm_roi.inputs.validate as validate
    from crm_roi.engine.groups import arrow_text
    from crm_roi.engine.prepare import Inputs, _deal_links

    monkeypatch.setattr(validate, "ASIDE_FROM_ROWS", 0)
    loaded = load("deals_rejections.csv")
    hashed = loaded.ids["deal_id"]
    assert len(hashed[1]) == loaded.used == 3 and not hashed[0].exact  # text, rows rejected
    logs = pd.DataFrame(
        {"deal_id": pd.array(["D-001", "D-002", "D-011", "D-404", None, "D-012"], dtype="str")}
    )
    ids = arrow_text(loaded.frame["deal_id"])
    given = Inputs(loaded.frame, ids={(InputKind.DEALS, "deal_id"): hashed})
    known = _deal_links(ids, logs, given)
    again = _deal_links(ids, logs, Inputs(loaded.frame))
    assert known.tolist() == again.tolist() == [0, -1, 1, -1, -1, 2]
    assert np.array_equal(loaded.frame["_row"].to_numpy()[known[[0, 2, 5]]], [2, 12, 13])


def test_text_columns_are_kept_as_categories_and_ids_as_text() -> None:
    """A text column other than an id holds each distinct value once (a category per value,
    a small code per row): ten million deals of a few channels, owners and stages take a
    fraction of their text's memory. Ids stay text. The values are the file's all the same."""
    import csv

    path = fixture_path("deals_same_utf8.csv")
    loaded = load(path)
    frame = loaded.frame
    for column in ("channel", "campaign", "owner", "status", "currency"):
        assert isinstance(frame[column].dtype, pd.CategoricalDtype), column
    for column in ("deal_id", "customer_id"):
        assert pd.api.types.is_string_dtype(frame[column]), column
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    blank_as_empty = ["" if pd.isna(v) else v for v in frame["campaign"]]
    assert blank_as_empty == [r["Campaign"] for r in rows] and "" in blank_as_empty
    assert frame["deal_id"].tolist() == [r["Deal ID"] for r in rows]
    assert set(frame["status"]) <= {"won", "lost", "open"}


def test_the_ids_hashed_in_validation_are_handed_to_the_engine_not_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Validation's hashed ids go to the engine's inputs and leave the loaded files, so that
    they are let go once the engine has prepared its arrays (0.65 GB on ten million deals);
    the figures are those of hashing the ids again."""
    import crm_roi.inputs.validate as validate
    from crm_roi.cli.load import engine_inputs
    from crm_roi.engine.compute import compute
    from crm_roi.engine.settings import Settings

    monkeypatch.setattr(validate, "ASIDE_FROM_ROWS", 0)
    deals = load(fixture_path("deals_same_utf8.csv"))
    assert set(deals.ids) == {"deal_id", "customer_id"}
    inputs = engine_inputs([deals], Settings())
    assert not deals.ids and set(inputs.ids) == {
        (InputKind.DEALS, "deal_id"),
        (InputKind.DEALS, "customer_id"),
    }
    again = engine_inputs([deals], Settings())
    assert not again.ids
    assert compute(inputs, Settings()).totals == compute(again, Settings()).totals


def test_text_is_let_go_before_the_records_are_built_but_the_ids(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where a file's memory peaks (its records being built), the text of the columns parsed
    into values, and of those kept as categories, is gone already; ids keep theirs (they are
    linked by it). Asking for a column let go is a bug that says so."""
    from crm_roi.inputs.read import RawTable

    monkeypatch.setattr(RawTable, "release_text", lambda self: None)
    loaded = load(fixture_path("deals_same_utf8.csv"))
    raw = loaded.raw
    assert set(raw.headers) - raw.released == {"Deal ID", "Company"}
    assert raw.column("Deal ID").to_pylist()[:2] == ["00101", "00102"]
    for header in ("Amount", "Campaign"):
        with pytest.raises(AssertionError, match=f"{header}: its text was let go"):
            raw.column(header)
    assert loaded.frame["amount"].tolist()[:2] == [123456, 1250000]
    assert loaded.frame["campaign"].tolist()[:2] == ["Google Brand 2024", "Partner Program"]
