"""What `validate` and `inspect` show: detections, the column mapping, and every row left out."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

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


def print_validation(console: Console, inputs: list[Loaded], limit: int = 20) -> None:
    """Per file: what was detected, the mapping, the counts, and the first rejected rows."""
    for loaded in inputs:
        print_file(console, loaded)
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


def print_file(console: Console, loaded: Loaded) -> None:
    raw = loaded.raw
    state = (
        "[green]all rows used[/]"
        if not loaded.rejected_total
        else (f"[red]{loaded.rejected_total:,} rejected[/]")
    )
    console.print(
        f"[bold]{_markup(loaded.path)}[/] as [bold]{loaded.kind.value}[/]: "
        f"{loaded.rows:,} rows, {loaded.used:,} used, {state}"
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
    console.print(_text("  " + ", ".join(parts), style="dim"))
    if loaded.preset:
        console.print(
            f"  [bold]{_markup(loaded.preset)}[/] recognised: "
            + _markup("; ".join(loaded.notes[1:] or ["its columns mapped as below"]))
        )
    else:
        for notice in loaded.notices:  # the shape it was read as: sales, numbered rows
            console.print(f"  [bold]read as:[/] {_markup(notice)}")
    console.print(mapping_table(loaded))


def mapping_table(loaded: Loaded) -> Table:
    """Each column in the file's order: its field, how it was read, how it was matched; then
    the attributes kept as dimensions."""
    raw = loaded.raw
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    table.add_column("  column")
    table.add_column("field")
    table.add_column("read as")
    table.add_column("matched by", style="dim")
    order = {h: i for i, h in enumerate(raw.headers)}
    for col in sorted(loaded.columns, key=lambda c: order.get(c.header, len(order))):
        how = col.kind
        if col.decimal:
            how += f", {DECIMALS[col.decimal]}"
        if col.date_order:
            how += f", {col.date_order}"
        notes = Text("\n".join(map(printable, col.notes)), style="yellow") if col.notes else ""
        table.add_row(
            _text(f"  {col.header}"),
            col.field,
            _text(how) + (Text("\n") + notes if notes else Text()),
            _text(col.how),
        )
    shown = loaded.mapping.attributes[:ATTRIBUTES_SHOWN]
    for attr in shown:
        table.add_row(
            _text(f"  {attr}"), Text("(attribute)", style="dim"), "text", "kept as a dimension"
        )
    hidden = len(loaded.mapping.attributes) - len(shown)
    if hidden:
        table.add_row(
            f"  … and {hidden:,} more",
            Text("(attributes)", style="dim"),
            "text",
            "kept as dimensions",
        )
    return table


def print_issues(
    console: Console, title: str, issues: list[RowIssue], limit: int, style: str
) -> None:
    if not issues:
        return
    console.print(f"  [{style}]{title} ({len(issues):,}):[/]")
    for issue in issues[:limit]:
        console.print(_text(f"    {issue}", style=style))
    if len(issues) > limit:
        console.print(
            f"    … and {len(issues) - limit:,} more (--format json lists them all)", style=style
        )


def print_rows(console: Console, loaded: Loaded, rows: int) -> None:
    """The first records as parsed: money in units, dates as dates, status as won/lost/open."""
    frame = loaded.frame.head(rows)
    table = Table(
        header_style="bold", title=f"first {len(frame)} records as parsed", title_justify="left"
    )
    for name in frame.columns:
        table.add_column(_text("row" if name == "_row" else name), overflow="fold")
    money = {c.field for c in loaded.columns if c.kind == "money"}
    known = frame.notna().itertuples(index=False)  # the frame's own test of a missing value
    for record, present in zip(frame.itertuples(index=False), known, strict=True):
        cells = []
        for name, value, shown in zip(frame.columns, record, present, strict=True):
            cells.append(_text(_cell(value, name in money) if shown else ""))
        table.add_row(*cells)
    console.print(table)


def _cell(value: Any, money: bool) -> str:
    """A value as parsed: cents as an amount, a date-time column's value as its date."""
    if money:
        return f"{Decimal(int(value)).scaleb(-2):,.2f}"
    if isinstance(value, datetime):  # pandas' Timestamp is one
        return value.date().isoformat()
    return str(value)
