"""What `validate` and `inspect` show: detections, the column mapping, and every row left out."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from crm_roi.render.fit import fits, fitting, label_width, needed, table_width
from crm_roi.render.locale import PLAIN, day_text, money_text, number_text
from crm_roi.render.safe import printable

if TYPE_CHECKING:
    from crm_roi.errors import RowIssue
    from crm_roi.inputs.load import Loaded

SCHEMA = "crm-roi/validation@1"
DECIMALS = {".": "1,234.56 (decimal point)", ",": "1.234,56 (decimal comma)"}
ATTRIBUTES_SHOWN = 40  # a file with thousands of columns lists the first ones (JSON has all)
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def detections(loaded: Loaded) -> dict[str, Any]:
    """How the file was read, as plain values (the JSON form; the table shows the same)."""
    raw = loaded.raw
    return {
        "format": raw.format,
        "encoding": raw.encoding,
        "delimiter": raw.delimiter,
        "sheet": raw.sheet,
        "sheet_note": raw.sheet_note,
        "header_row": raw.header_row,
        "mapping_file": loaded.mapping_source,
        "preset": loaded.preset,
        "preset_notes": loaded.notes,
        "notices": loaded.notices,
    }


def input_summary(loaded: Loaded) -> dict[str, Any]:
    """One input's account: rows = used + rejected, with the rejected rows' reasons."""
    return {
        **loaded.account(),
        "sha256": loaded.sha256,
        **detections(loaded),
        "columns": [
            {
                "field": c.field,
                "header": c.header,
                "matched_by": c.how,
                "kind": c.kind,
                "decimal": c.decimal,
                "date_order": c.date_order,
                "notes": c.notes,
            }
            for c in loaded.columns
        ],
        "attributes": list(loaded.mapping.attributes),
        "skipped": [_issue(i) for i in loaded.raw.skipped],
        "rejected_rows": [_issue(i) for i in loaded.all_rejections],
        "warnings": [_issue(i) for i in loaded.warnings],
    }


def _issue(issue: RowIssue) -> dict[str, Any]:
    return {
        "file": issue.file,
        "row": issue.row,
        "column": issue.column,
        "value": issue.value,
        "reason": issue.reason,
        "code": issue.code,
        "message": str(issue),
    }


def validation_report(inputs: list[Loaded]) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "ok": all(i.rejected_total == 0 for i in inputs),
        "inputs": [input_summary(i) for i in inputs],
    }


def print_validation(
    console: Console, inputs: list[Loaded], limit: int = 20, locale: str = PLAIN
) -> None:
    """Per file: what was detected, the mapping, the counts (in ``locale``), and the first
    rejected rows."""
    for loaded in inputs:
        print_file(console, loaded, locale)
        print_issues(console, "Rejected rows", loaded.all_rejections, limit, "red")
        print_issues(console, "Warnings", loaded.warnings, limit, "yellow")
        print_issues(console, "Skipped lines", loaded.raw.skipped, limit, "dim")
        console.print()


def _markup(value: object) -> str:
    """Text from a file (its name, headers, sheet) inside Rich markup: shown as it is written,
    with no control characters."""
    return escape(printable(str(value)))


def _text(value: object, style: str = "") -> Text:
    return Text(printable(str(value)), style=style)


def _indented(text: Text, by: int = 2) -> Padding:
    """A line under a file's name, its wrapped lines indented too."""
    return Padding(text, (0, 0, 0, by), expand=False)


def print_file(console: Console, loaded: Loaded, locale: str = PLAIN) -> None:
    raw = loaded.raw
    state = (
        "[green]all rows used[/]"
        if not loaded.rejected_total
        else (f"[red]{number_text(loaded.rejected_total, locale)} rejected[/]")
    )
    console.print(
        f"[bold]{_markup(loaded.path)}[/] as [bold]{loaded.kind.value}[/]: "
        f"{number_text(loaded.rows, locale)} rows, {number_text(loaded.used, locale)} used, {state}"
    )
    parts = [raw.format.upper()]
    if raw.sheet:
        parts.append(f"sheet {raw.sheet!r}" + (f" ({raw.sheet_note})" if raw.sheet_note else ""))
    if raw.encoding:
        parts.append(raw.encoding.upper())
    if raw.delimiter:
        parts.append(f"{DELIMITERS.get(raw.delimiter, raw.delimiter)}-separated")
    parts.append(f"header on row {raw.header_row}")
    if loaded.mapping_source:
        parts.append(f"mapping file {loaded.mapping_source}")
    console.print(_indented(_text(", ".join(parts), style="dim")))
    if loaded.preset:
        console.print(
            _indented(
                Text.from_markup(
                    f"[bold]{_markup(loaded.preset)}[/] recognised: "
                    + _markup("; ".join(loaded.notes[1:] or ["its columns mapped as below"]))
                )
            )
        )
    else:
        for notice in loaded.notices:  # the shape it was read as: sales, numbered rows
            console.print(_indented(Text.from_markup(f"[bold]read as:[/] {_markup(notice)}")))
    console.print(mapping_table(loaded, console))


def mapping_table(loaded: Loaded, console: Console | None = None) -> Padding:
    """Each column in the file's order: its field, how it was read, how it was matched; then
    the attributes kept as dimensions. Too wide for ``console``, how it was matched goes under
    how it was read, and long headers wrap."""
    rows = _mapping_rows(loaded)
    heads = ("column", "field", "read as", "matched by")
    widths = [needed([head, *(row[i] for row in rows)]) for i, head in enumerate(heads)]
    if console is None or fits(console, _mapping, [INDENT, *widths]):
        table = _mapping()
        for head in heads:
            table.add_column(head, style="dim" if head == "matched by" else "")
        for row in rows:
            table.add_row(*row)
        return Padding(table, (0, 0, 0, INDENT), expand=False)
    table = _mapping()
    table.add_column("column", width=label_width(widths[0], console.width - INDENT // 2))
    table.add_column("field", no_wrap=True)
    table.add_column(Text("read as\n") + Text("matched by", style="dim"))
    for header, field, how, matched in rows:
        table.add_row(header, field, how + Text("\n") + Text(matched.plain, style="dim"))
    return Padding(table, (0, 0, 0, INDENT), expand=False)


INDENT = 2  # the mapping under its file's name


def _mapping() -> Table:
    """The style of the mapping's table."""
    return Table(show_edge=False, pad_edge=False, box=None, header_style="bold")


def _mapping_rows(loaded: Loaded) -> list[tuple[Text, Text, Text, Text]]:
    """Header, field, how it was read and how it was matched, for each column of the mapping."""
    raw = loaded.raw
    rows = []
    order = {h: i for i, h in enumerate(raw.headers)}
    for col in sorted(loaded.columns, key=lambda c: order.get(c.header, len(order))):
        how = col.kind
        if col.decimal:
            how += f", {DECIMALS[col.decimal]}"
        if col.date_order:
            how += f", {col.date_order}"
        notes = Text("\n".join(map(printable, col.notes)), style="yellow") if col.notes else ""
        rows.append(
            (
                _text(col.header),
                Text(col.field),
                _text(how) + (Text("\n") + notes if notes else Text()),
                _text(col.how),
            )
        )
    shown = loaded.mapping.attributes[:ATTRIBUTES_SHOWN]
    for attr in shown:
        rows.append(
            (
                _text(attr),
                Text("(attribute)", style="dim"),
                Text("text"),
                Text("kept as a dimension"),
            )
        )
    hidden = len(loaded.mapping.attributes) - len(shown)
    if hidden:
        rows.append(
            (
                Text(f"… and {hidden:,} more"),
                Text("(attributes)", style="dim"),
                Text("text"),
                Text("kept as dimensions"),
            )
        )
    return rows


def print_issues(
    console: Console, title: str, issues: list[RowIssue], limit: int, style: str
) -> None:
    if not issues:
        return
    console.print(f"  [{style}]{title} ({len(issues):,}):[/]")
    for issue in issues[:limit]:
        console.print(_indented(_text(str(issue), style=style), 4))
    if len(issues) > limit:
        console.print(
            f"    … and {len(issues) - limit:,} more (--format json lists them all)", style=style
        )


def print_rows(console: Console, loaded: Loaded, rows: int, locale: str = PLAIN) -> None:
    """The first records as parsed: money in units, dates as dates (both in ``locale``),
    status as won/lost/open."""
    frame = loaded.frame.head(rows)
    title = f"first {len(frame)} records as parsed"
    heads = [_text("row" if name == "_row" else name) for name in frame.columns]
    money = {c.field for c in loaded.columns if c.kind == "money"}
    known = frame.notna().itertuples(index=False)  # the frame's own test of a missing value
    records = []
    for record, present in zip(frame.itertuples(index=False), known, strict=True):
        cells = []
        for name, value, shown in zip(frame.columns, record, present, strict=True):
            cells.append(_text(_cell(value, name in money, locale) if shown else ""))
        records.append(cells)
    widths = [needed([head, *(r[i] for r in records)]) for i, head in enumerate(heads)]
    if not fits(console, _records, widths):
        print_stacked(console, title, heads, records)
        return
    table = _records(title)
    for head in heads:
        table.add_column(head, no_wrap=True)
    for cells in records:
        table.add_row(*cells)
    console.print(table)


def _records(title: str | None = None) -> Table:
    """The style of the records' table."""
    return Table(header_style="bold", title=title, title_justify="left")


def print_stacked(
    console: Console, title: str, heads: list[Text], records: list[list[Text]]
) -> None:
    """Records too wide for the screen, stacked: a column per record (headed by its row) and a
    line per field, in as many blocks of records side by side as the screen needs."""
    numbered = heads[0].plain == "row"
    fields = heads[1:] if numbered else heads
    names = [f"row {r[0]}" if numbered else f"record {i + 1}" for i, r in enumerate(records)]
    values = [r[1:] if numbered else r for r in records]
    field_width = label_width(needed(fields), console.width)
    room = console.width - table_width(console, _records, [field_width, 0])
    widths = [min(room, needed([n, *v])) for n, v in zip(names, values, strict=True)]
    start = 0
    while start < len(records):
        optional = [(i, widths[i]) for i in range(start, len(records))]
        block = fitting(console, _records, [field_width], optional, contiguous=True) or [start]
        table = _records(title if start == 0 else None)
        table.add_column("field", style="bold", width=field_width, overflow="fold")
        for i in block:
            table.add_column(names[i], width=widths[i], overflow="fold")
        for f, field in enumerate(fields):
            table.add_row(field, *(values[i][f] for i in block))
        console.print(table)
        start = block[-1] + 1


def _cell(value: Any, money: bool, locale: str = PLAIN) -> str:
    """A value as parsed: cents as an amount, a date-time column's value as its date."""
    if money:
        return money_text(Decimal(int(value)).scaleb(-2), None, locale)
    if isinstance(value, datetime):  # pandas' Timestamp is one
        return day_text(value.date(), locale)
    return str(value)
