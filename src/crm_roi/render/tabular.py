"""CSV and Markdown: one row per group, ``dimension,key,<every field>``; totals first. CSV is
machine-plain; Markdown is for people, in their locale."""

from __future__ import annotations

from typing import Any

from crm_roi.engine.figures import FIELDS
from crm_roi.render.locale import PLAIN, day_text, figure_text
from crm_roi.render.report import breakdown_dims, people_fields
from crm_roi.render.safe import csv_text, markdown_text

HEADER = ["dimension", "key", *FIELDS]


def rows(report: dict[str, Any]) -> list[list[Any]]:
    """The report's groups as rows: ``("total", "")`` first, then each breakdown's groups.

    A cross breakdown's key joins its parts with `` / `` (``Email / 2024-01``)."""
    out = [["total", "", *(report["totals"][f] for f in FIELDS)]]
    for name, groups in report["breakdowns"].items():
        dims = breakdown_dims(name)
        for group in groups:
            key = " / ".join(str(group[d]) for d in dims)
            out.append([name, key, *(group[f] for f in FIELDS)])
    return out


def to_csv(report: dict[str, Any]) -> str:
    return csv_text([HEADER, *rows(report)])


def to_markdown(report: dict[str, Any], locale: str = PLAIN) -> str:
    """A table per breakdown, figures as people read them in ``locale`` (``€ 1.234,56``,
    ``215,8 %``: :func:`~crm_roi.render.locale.figure_text`) and right-aligned. Text from the
    inputs (group keys, the currency) is shown, never rendered: see
    :func:`~crm_roi.render.safe.markdown_text`."""
    cell, currency, window = markdown_text, report["currency"], report["window"]
    lines = [
        f"# crm-roi report ({day_text(window['from'], locale)} to "
        f"{day_text(window['to'], locale)}, {cell(currency or 'no currency')})",
        "",
    ]
    fields = people_fields(report)
    sections = [("Totals", [rows(report)[0]])]
    for name in report["breakdowns"]:
        sections.append((f"By {cell(name)}", [r for r in rows(report)[1:] if r[0] == name]))
    for title, section in sections:
        lines += [
            f"## {title}",
            "",
            "| " + " | ".join(["key", *fields]) + " |",
            "|---|" + "---:|" * len(fields),
        ]
        for row in section:
            values = dict(zip(FIELDS, row[2:], strict=True))
            shown = [figure_text(f, values[f], currency, locale) for f in fields]
            lines.append("| " + " | ".join([cell(row[1]), *shown]) + " |")
        lines.append("")
    return "\n".join(lines)
