"""Random deals exports: nothing crashes, every row is used or rejected, and exactly the rows
written bad are rejected.

Each example is a CSV as some CRM might write it: headers spelled as any synonym of the schema
(in any case, ``_`` or ``-`` for spaces, a ``Deal - `` prefix), columns in any order, junk
columns, title and blank lines, decimal point with ``,`` or decimal comma with ``;``, UTF-8
(with or without a byte-order mark) or cp1252. Every data row is good or has exactly one
defect; the generator knows which, and the reader must agree.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from crm_roi.cli import app
from crm_roi.errors import CrmRoiError
from crm_roi.inputs.load import LoadOptions, load_input
from crm_roi.inputs.mapping import MissingColumn, known_headers, normalise_header
from crm_roi.inputs.schema import InputKind, field_specs
from crm_roi.inputs.sniff import NOTE_RE, TOTAL_LABEL_RE

SPECS = {spec.name: spec for spec in field_specs(InputKind.DEALS)}
OPTIONAL = [name for name in SPECS if name not in ("deal_id", "status")]
KNOWN = known_headers()
SYNONYMS = {
    name: sorted({spec.name.replace("_", " "), *spec.synonyms}) for name, spec in SPECS.items()
}
DEAL_HEADERS = {normalise_header(s) for names in SYNONYMS.values() for s in names}

STAGES = {
    "won": ["Closed Won", "won", "WON", "Gewonnen", "Deal won", "closedwon"],
    "lost": ["Closed Lost", "lost", "Verloren", "closed - lost"],
    "open": ["Open", "Negotiation", "Qualified", "Proposal sent", "Stage 3"],
}
BAD_AMOUNTS = [
    "abc", "1e309", "NaN", "inf", "--5", "5-", "1.2.3", "€€5", "12345678901234.00", "=1+1", "5 5 x",
]  # fmt: skip
BAD_DATES = ["2024-02-30", "0000-00-00", "31/31/2024", "-1", "9999-12-31", "2024-13-01", "soon"]


def _safe(text: str) -> bool:
    """Text that is no header name and no footer: a value that stays a value."""
    return (
        bool(text.strip())
        and normalise_header(text) not in KNOWN
        and not NOTE_RE.match(text)
        and not TOTAL_LABEL_RE.match(text)
    )


TEXT = st.text(alphabet="abcXYZ019 ,;\"'=+-@€éü\n\x00", min_size=1, max_size=10).filter(_safe)
# Around an id: nothing, white space, or an invisible byte-order mark / zero-width space.
EDGES = st.sampled_from(["", " ", "\u00a0", "\ufeff", "\u200b", "\t"])
JUNK_HEADER = st.text(alphabet="abcdefXYZ ", min_size=3, max_size=12).filter(
    lambda h: h.strip() and normalise_header(h) not in DEAL_HEADERS
)


@st.composite
def header_for(draw: st.DrawFn, name: str) -> str:
    """A header the field is known by, spelled as some CRM might."""
    words = draw(st.sampled_from(SYNONYMS[name])).split(" ")
    case = draw(st.sampled_from([str.lower, str.upper, str.title, str.capitalize]))
    joiner = draw(st.sampled_from([" ", "_", "-", "  "]))
    header = joiner.join(case(w) for w in words)
    if draw(st.integers(0, 4)) == 0:
        header = "Deal - " + header
    return header


def money(cents: int, comma: bool, style: str) -> str:
    whole, frac = divmod(cents, 100)
    point, group = (",", ".") if comma else (".", ",")
    grouped = f"{whole:,}".replace(",", group)
    text = {
        "plain": f"{whole}{point}{frac:02d}",
        "grouped": f"{grouped}{point}{frac:02d}",
        "whole": f"{whole}" if not frac else f"{whole}{point}{frac:02d}",
        "euro": f"€ {grouped}{point}{frac:02d}",
        "code": f"{grouped}{point}{frac:02d} EUR",
        "spaced": f"{whole:,}".replace(",", "\u00a0") + f"{point}{frac:02d}",
        "swiss": f"{whole:,}".replace(",", "'") + f"{point}{frac:02d}",
    }
    return text[style]


def date_text(day: dt.date, style: str) -> str:
    return {
        "iso": day.isoformat(),
        "iso time": f"{day.isoformat()} 14:30",
        "dmy": day.strftime("%d-%m-%Y"),
        "dmy dots": day.strftime("%d.%m.%Y"),
        "mdy": day.strftime("%m/%d/%Y"),
    }[style]


@dataclass
class Export:
    data: bytes
    delimiter: str
    bad: list[int] = field(default_factory=list)  # row numbers that must be rejected
    good: dict[int, tuple[str, int | None]] = field(default_factory=dict)  # row → (id, cents)


@st.composite
def exports(draw: st.DrawFn) -> Export:
    comma = draw(st.booleans())  # decimal comma, and ";" between fields
    delimiter = ";" if comma else ","
    present = ["deal_id", "status", *(n for n in OPTIONAL if draw(st.booleans()))]
    headers = {n: draw(header_for(n)) for n in present}
    junk = draw(st.lists(JUNK_HEADER, max_size=3, unique_by=normalise_header))
    columns = draw(st.permutations([*present, *(f"junk:{j}" for j in junk)]))
    date_style = draw(st.sampled_from(["iso", "iso time", "dmy", "dmy dots", "mdy"]))
    money_styles = st.sampled_from(["plain", "grouped", "whole", "euro", "code", "spaced", "swiss"])
    dates = st.dates(dt.date(2020, 1, 1), dt.date(2026, 12, 31))
    n = draw(st.integers(0, 20))

    out = Export(b"", delimiter)
    lines: list[list[str]] = []
    if n >= 3 and draw(st.booleans()):
        lines += [["Pipeline report"], [""]]
    lines.append([headers[c] if c in headers else c.removeprefix("junk:") for c in columns])
    ids: list[str] = []
    for i in range(n):
        while draw(st.integers(0, 5)) == 0:
            lines.append([""] * draw(st.sampled_from([1, len(columns)])))  # a blank row
        status = draw(st.sampled_from(["won", "lost", "open"]))
        prefix = draw(st.sampled_from(["D-", "00", "=", "+", "@", "1e", "2024-01-", "-"]))
        row: dict[str, str] = {
            "deal_id": draw(EDGES) + f"{prefix}{i}" + draw(EDGES),
            "status": draw(st.sampled_from(STAGES[status])),
        }
        cents: int | None = None
        if "amount" in present and (status == "won" or draw(st.booleans())):
            cents = draw(st.integers(0, 10**11))
            row["amount"] = money(cents, comma, draw(money_styles))
        if "close_date" in present and (status != "open" or draw(st.booleans())):
            row["close_date"] = date_text(draw(dates), date_style)
        if "created_date" in present and draw(st.booleans()):
            row["created_date"] = date_text(draw(dates), date_style)
        if "currency" in present:
            row["currency"] = draw(st.sampled_from(["EUR", "eur", " EUR "]))
        for name in ("customer_id", "channel", "campaign", "owner", "product"):
            if name in present and draw(st.booleans()):
                row[name] = draw(TEXT)
        defects = ["id", "status"]
        if "amount" in present:
            defects += ["amount", "negative"] + (["missing amount"] if status == "won" else [])
        if "close_date" in present:
            defects += ["close"] + (["missing close"] if status != "open" else [])
        if "created_date" in present:
            defects.append("created")
        if ids:
            defects.append("duplicate")
        defect = draw(st.sampled_from(defects)) if draw(st.integers(0, 3)) == 0 else None
        if defect == "id":
            row["deal_id"] = draw(st.sampled_from(["", "  "]))
        elif defect == "status":
            row["status"] = draw(st.sampled_from(["", " "]))
        elif defect == "amount":
            row["amount"] = draw(st.sampled_from(BAD_AMOUNTS))
        elif defect == "negative":
            row["amount"] = "-" + money(draw(st.integers(1, 10**6)), comma, "plain")
        elif defect == "missing amount":
            row["amount"] = ""
        elif defect == "close":
            row["close_date"] = draw(st.sampled_from(BAD_DATES))
        elif defect == "missing close":
            row["close_date"] = ""
        elif defect == "created":
            row["created_date"] = draw(st.sampled_from(BAD_DATES))
        elif defect == "duplicate":
            row["deal_id"] = draw(st.sampled_from(ids))
        # A won deal needs an amount column, a won or lost deal a close date column.
        structural = (status == "won" and "amount" not in present) or (
            status != "open" and "close_date" not in present
        )
        number = len(lines) + 1  # the row a spreadsheet shows: one per record
        if defect or structural:
            out.bad.append(number)
        else:
            ids.append(row["deal_id"])
            out.good[number] = (f"{prefix}{i}", cents)
        lines.append([row.get(c, "") if not c.startswith("junk:") else draw(TEXT) for c in columns])

    buffer = io.StringIO()
    terminator = draw(st.sampled_from(["\r\n", "\n"]))
    csv.writer(buffer, delimiter=delimiter, lineterminator=terminator).writerows(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    try:
        out.data = buffer.getvalue().encode(encoding)
    except UnicodeEncodeError:  # a byte-order mark or zero-width space has no cp1252 byte
        out.data = buffer.getvalue().encode("utf-8")
    if encoding == "utf-8" and draw(st.booleans()):
        # One value pasted from a Windows program into the UTF-8 file.
        out.data = out.data.replace("é".encode(), b"\xe9", 1)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exports())
def test_random_exports_account_for_every_row(export: Export) -> None:
    with TemporaryDirectory() as folder:
        path = Path(folder) / "deals.csv"
        path.write_bytes(export.data)
        try:
            loaded = load_input(path, InputKind.DEALS, LoadOptions(preset="none", unusable_ok=True))
        except MissingColumn as missing:
            # Won (or lost) deals and no column for what they need: one error, never zeros.
            assert missing.spec.name in ("amount", "close_date") and missing.needed_by
            names = {normalise_header(s) for s in SYNONYMS[missing.spec.name]}
            assert not names & {normalise_header(h) for h in missing.headers}
            return
        except CrmRoiError:
            raise AssertionError("every generated export is readable") from None
        assert loaded.rows == loaded.used + loaded.rejected_total
        assert loaded.rows == len(export.bad) + len(export.good)
        assert sorted({i.row for i in loaded.all_rejections}) == export.bad
        assert loaded.rejected_total == len(export.bad)
        frame = loaded.frame
        assert frame["_row"].tolist() == sorted(export.good)
        assert frame["deal_id"].tolist() == [export.good[r][0] for r in sorted(export.good)]
        if "amount" in frame:
            cents = [None if pd.isna(v) else int(v) for v in frame["amount"].astype(object)]
            assert cents == [export.good[r][1] for r in sorted(export.good)]

        result = CliRunner().invoke(
            app, ["compute", str(path), "--format", "json", "--preset", "none", "--quiet"]
        )
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert result.exit_code in (0, 1), result.output
        if result.exit_code == 1:  # a CrmRoiError: one line, never a bug
            lines = [line for line in result.stderr.splitlines() if line.strip()]
            assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
            assert "unexpected" not in lines[0], lines[0]
        else:
            entry = json.loads(result.stdout)["inputs"][0]
            assert (entry["rows"], entry["used"], entry["rejected"]) == (
                loaded.rows,
                loaded.used,
                loaded.rejected_total,
            )
