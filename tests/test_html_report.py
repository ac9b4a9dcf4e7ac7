"""The HTML report (issue 14, part 4): one self-contained file with no script and no URL, every
figure and label in it, text from the inputs escaped. Checked as text, then in a real headless
browser (Debian's Chromium, which .ci/run installs): the DOM it builds, the PNG it draws, and
the requests the page makes (none).
"""

from __future__ import annotations

import doctest
import fcntl
import json
import os
import re
import select
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import BROWSER_TIMEOUT, EXAMPLE_INPUTS, HEADLESS, browse
from crm_roi.cli import app
from crm_roi.engine.figures import DEFINITIONS, FIELDS, LEAD_FIELDS, figure
from crm_roi.render import html as html_page
from crm_roi.render import svg
from crm_roi.render.locale import figure_text

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
SCRIPT = "<script>alert(1)</script>"
IMAGE = "<img src=x onerror=alert(2)>"
# Elements a page of ours may hold; anything that loads or runs something is not among them.
ELEMENTS = {
    "html", "head", "meta", "title", "style", "body", "main", "header", "h1", "h2", "h3", "p",
    "nav", "a", "section", "div", "figure", "figcaption", "svg", "rect", "line", "text",
    "polyline", "circle", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "code",
    "em", "br", "span", "details", "summary", "ul", "li", "dl", "dt", "dd",
}  # fmt: skip


class Tags(HTMLParser):
    """Every element of a page and its attributes, as a browser's tokenizer sees them."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.elements if name == tag]


def make(args: list[str], target: Path) -> str:
    result = runner.invoke(app, [*args, "--quiet", "--output", str(target)])
    assert result.exit_code == 0, result.output
    return target.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """compute (by channel and month), cohorts and compare on the examples, as HTML files."""
    folder = tmp_path_factory.mktemp("html")
    commands = {
        "report": ["compute", *EXAMPLE_INPUTS, "--by", "channel", "--by", "month"],
        "cohorts": ["cohorts", *EXAMPLE_INPUTS, "--period", "quarter"],
        "compare": ["compare", *EXAMPLE_INPUTS, "--go-live", "2024-01-01", "--by", "channel"],
    }
    for name, args in commands.items():
        make(args, folder / f"{name}.html")
    return {name: folder / f"{name}.html" for name in commands}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report whose channel is a script, whose rejected row holds an image tag, from a file
    whose name holds markup."""
    folder = tmp_path_factory.mktemp("hostile")
    deals = folder / "deals_<b>q3.csv"
    deals.write_text(
        "Deal ID,Customer,Amount,Stage,Close Date,Channel\n"
        f'D-1,C-1,1000,Won,2024-01-05,"{SCRIPT}"\n'
        "D-2,C-2,500,Won,2024-02-05,Referral\n"
        f"D-3,C-3,{IMAGE},Won,2024-02-06,Referral\n",
        encoding="utf-8",
    )
    costs = folder / "costs.csv"
    costs.write_text(
        f'Date,Amount,Channel\n2024-01-01,400,"{SCRIPT}"\n2024-01-01,250,Referral\n',
        encoding="utf-8",
    )
    make(["compute", str(deals), str(costs), "--by", "channel"], folder / "hostile.html")
    return folder / "hostile.html"


# --- the page as text --------------------------------------------------------------------------
def test_each_page_is_one_file_of_known_elements_with_no_script_and_no_url(pages) -> None:
    for path in pages.values():
        text = path.read_text(encoding="utf-8")
        tags = Tags(text)
        assert {name for name, _ in tags.elements} <= ELEMENTS, path.name
        assert "<script" not in text.lower()
        assert not re.search(r"https?:|//[\w.-]+\.\w|url\(|@import", text), path.name
        for _, attrs in tags.elements:
            assert "src" not in attrs and not any(a.startswith("on") for a in attrs)
        assert all((a["href"] or "").startswith("#") for a in tags.named("a"))


def test_a_content_security_policy_forbids_every_request(pages) -> None:
    (meta,) = [m for m in Tags(pages["report"].read_text()).named("meta") if m.get("http-equiv")]
    assert meta["content"] is not None
    assert meta["content"].startswith("default-src 'none'; style-src 'unsafe-inline'")


def test_the_report_page_shows_the_headline_every_breakdown_and_the_definitions(pages) -> None:
    text = pages["report"].read_text(encoding="utf-8")
    document = json.loads(
        runner.invoke(
            app, ["compute", *EXAMPLE_INPUTS, "--by", "channel", "--by", "month", "-q",
                  "--format", "json"]
        ).stdout
    )  # fmt: skip
    for name in ("revenue", "cost", "roi", "cac", "clv", "ltv_cac"):
        assert figure_text(name, document["totals"][name], "EUR", "plain") in text, name
    assert "€1,967,717.69" in text and "215.8%" in text
    for title in ("By channel", "By month", "Definitions", "Rejected rows", "Inputs"):
        assert f">{title}</h2>" in text
    assert text.count("<svg") == 4  # ROI and revenue/cost by channel; trend and ROI by month
    # A table and every figure per breakdown; definitions and inputs (no row was rejected).
    assert text.count("<table>") == 2 * 2 + 2
    for name in FIELDS:  # the lead figures only with --leads
        assert (f"<code>{name}</code>" in text) is (name not in LEAD_FIELDS), name
    for row in DEFINITIONS:
        leads_only = set(row.fields) <= set(LEAD_FIELDS)
        assert (html_page.prose(row.meaning) in text) is not leads_only, row.fields
    for group in document["breakdowns"]["channel"]:
        assert f">{group['channel']}<" in text


def test_a_period_breakdown_is_drawn_as_a_trend_with_every_period_labelled(pages) -> None:
    text = pages["report"].read_text(encoding="utf-8")
    (trend,) = re.findall(
        r'<svg[^>]*aria-label="Revenue and cost by month, and ROI".*?</svg>', text
    )
    labels = re.findall(r'class="tick"[^>]*>([A-Z][a-z]{2})</text>', trend)
    assert labels == ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                      "Nov", "Dec"] * 2  # fmt: skip
    assert re.findall(r'class="year">(\d{4})<', trend) == ["2023", "2024"]
    bars = [trend.count(f'class="bar {f}"><title>') for f in ("revenue", "cost")]
    assert bars == [24, 24]
    assert trend.count("<circle") == 24  # the ROI of each month


def test_roi_bars_are_sorted_highest_first_and_leave_the_unattributed_cost_out(pages) -> None:
    text = pages["report"].read_text(encoding="utf-8")
    chart = re.search(r'<svg[^>]*aria-label="ROI by channel".*?</svg>', text)
    assert chart is not None
    labels = re.findall(r'class="label"[^>]*>([^<]+)</text>', chart[0])
    assert labels == ["(none)", "Organic", "Referral", "Events", "LinkedIn Ads", "Paid Search"]
    assert "(unattributed)" not in chart[0]


def test_injected_markup_stays_text(hostile) -> None:
    text = hostile.read_text(encoding="utf-8")
    tags = Tags(text)
    assert not tags.named("script") and not tags.named("img") and not tags.named("b")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text  # the channel, in tables and charts
    assert "&lt;img src=x onerror=alert(2)&gt;" in text  # the rejected row's value
    assert "deals_&lt;b&gt;q3.csv" in text  # the file name
    assert SCRIPT not in text and IMAGE not in text


def test_the_compare_page_marks_better_and_worse_in_colour_and_in_words(pages) -> None:
    text = pages["compare"].read_text(encoding="utf-8")
    row = re.search(r"<tr><td>CAC</td>.*?</tr>", text)  # €4,751.22 → €6,029.73: worse
    assert row is not None
    assert 'class="num worse"' in row[0] and ">worse</span>" in row[0]
    assert "▲ +€1,278.51" in row[0]
    row = re.search(r"<tr><td>Revenue</td>.*?</tr>", text)
    assert row is not None and 'class="num better"' in row[0] and ">better</span>" in row[0]
    row = re.search(r"<tr><td>Hours</td>.*?</tr>", text)  # neutral: neither
    assert row is not None and "better" not in row[0] and "worse" not in row[0]


def test_the_cohorts_page_has_the_lines_and_the_table_with_payback_marked(pages) -> None:
    text = pages["cohorts"].read_text(encoding="utf-8")
    assert text.count("<polyline") == 7  # eight cohorts; the last is one point
    for cohort in ("2023-Q1", "2024-Q4"):
        assert f'<td class="key">{cohort}</td>' in text
    assert text.count('class="num payback"') == 8
    assert "€14,984 *" in text


def test_the_page_follows_the_locale(tmp_path: Path) -> None:
    args = ["compute", *EXAMPLE_INPUTS, "--by", "channel", "--locale", "nl_NL"]
    text = make(args, tmp_path / "nl.html")
    assert "€\xa01.967.717,69" in text and '<html lang="nl-NL">' in text
    assert "01-01-2023 → 31-12-2024" in text


def test_html_comes_from_the_suffix_or_the_format(tmp_path: Path) -> None:
    base = [*EXAMPLE_INPUTS, "-q"]
    result = runner.invoke(app, ["compute", *base, "--format", "html"])
    assert result.exit_code == 0 and result.stdout.startswith("<!DOCTYPE html>")
    for command, extra in (("cohorts", []), ("compare", ["--go-live", "2024-01-01"])):
        target = tmp_path / f"{command}.htm"
        assert runner.invoke(app, [command, *base, *extra, "-o", str(target)]).exit_code == 0
        assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_rejected_rows_are_listed_with_their_reason(hostile) -> None:
    text = hostile.read_text(encoding="utf-8")
    section = text[text.index('id="rejected"') : text.index('id="notes"')]
    assert "1 input rows were left out of every figure." in section
    assert section.count("<tr>") == 2  # the heading and the row


def test_the_svg_and_html_examples_hold() -> None:
    for module in (svg, html_page):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0


def test_ci_installs_chromium_beside_libreoffice() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"apt-get install .*libreoffice-calc.* chromium", ci, re.S)


# --- the page in a browser ---------------------------------------------------------------------
def test_in_a_browser_the_figures_show_and_the_injected_script_stays_text(
    chromium, hostile, tmp_path
) -> None:
    dom = browse(chromium, tmp_path, "--dump-dom", hostile.as_uri()).stdout.decode("utf-8")
    tags = Tags(dom)
    assert [name for name, _ in tags.elements].count("section") >= 5  # the page was built
    assert not tags.named("script") and not tags.named("img")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert "Cost (fully loaded)" in dom and ">1,500.00<" in dom  # the revenue (no currency)


def test_in_a_browser_every_example_page_builds_its_charts_and_tables(
    chromium, pages, tmp_path
) -> None:
    for path in pages.values():
        tags = Tags(browse(chromium, tmp_path, "--dump-dom", path.as_uri()).stdout.decode())
        assert tags.named("svg") and tags.named("table") and not tags.named("script")
        labels = {figure(n).label for n in ("revenue", "cac")}
        assert all(label in path.read_text() for label in labels)


def test_in_a_browser_the_report_renders_to_a_png(chromium, pages, tmp_path) -> None:
    png = tmp_path / "report.png"
    browse(chromium, tmp_path, f"--screenshot={png}", "--window-size=1280,2000",
           pages["report"].as_uri())  # fmt: skip
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1280, 2000)
    assert len(data) > 100_000  # charts and tables, not a blank page (that is ~10 kB)


# Starts the browser with the pipe's two ends on descriptors 3 and 4, where it looks for them.
ON_3_AND_4 = (
    "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
    "os.execvp(sys.argv[3], sys.argv[3:])"
)


class DevTools:
    """Chromium's DevTools protocol over a pipe (``--remote-debugging-pipe``: commands in on
    descriptor 3, answers out on 4, each a JSON text ended by NUL), from the standard library."""

    def __init__(self, chromium: str, profile: Path) -> None:
        theirs_in, self.to_browser = os.pipe()  # the browser reads what we write
        self.from_browser, theirs_out = os.pipe()  # and writes what we read
        # Its ends above 9, so that putting them on 3 and 4 can't overwrite one with the other.
        theirs_in, theirs_out = (_above_nine(fd) for fd in (theirs_in, theirs_out))
        self.process = subprocess.Popen(
            [sys.executable, "-c", ON_3_AND_4, str(theirs_in), str(theirs_out), chromium,
             *HEADLESS, f"--user-data-dir={profile}", "--remote-debugging-pipe",
             "--host-resolver-rules=MAP * ~NOTFOUND"],
            pass_fds=(theirs_in, theirs_out),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(theirs_in)
        os.close(theirs_out)
        self.deadline = time.monotonic() + BROWSER_TIMEOUT
        self.buffer = b""
        self.sent = 0

    def send(self, method: str, session: str | None = None, **params: Any) -> int:
        self.sent += 1
        message: dict[str, Any] = {"id": self.sent, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        return self.sent

    def messages(self) -> Iterator[dict[str, Any]]:
        while True:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                yield json.loads(raw)
            left = self.deadline - time.monotonic()
            ready = select.select([self.from_browser], [], [], max(left, 0))[0]
            chunk = os.read(self.from_browser, 65536) if ready else b""
            if not chunk:
                raise TimeoutError("Chromium stopped answering")
            self.buffer += chunk

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        sent = self.send(method, session, **params)
        for message in self.messages():
            if message.get("id") == sent:
                return dict(message.get("result", {}))
        raise AssertionError("unreachable")

    def close(self) -> None:
        try:
            self.send("Browser.close")
            self.process.wait(timeout=BROWSER_TIMEOUT)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            os.close(self.to_browser)
            os.close(self.from_browser)


def _above_nine(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


def requests_made(chromium: str, page: Path, profile: Path) -> list[str]:
    """Every URL the page asked for while it loaded (its own address first), as the browser's
    network log for that page says; names resolve nowhere, so nothing leaves the machine."""
    tools = DevTools(chromium, profile)
    try:
        target = tools.call("Target.createTarget", url="about:blank")["targetId"]
        session = tools.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        tools.call("Network.enable", session)
        tools.call("Page.enable", session)
        tools.send("Page.navigate", session, url=page.as_uri())
        urls = []
        for message in tools.messages():
            if message.get("sessionId") != session:
                continue
            if message.get("method") == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
            if message.get("method") == "Page.loadEventFired":
                return urls
    finally:
        tools.close()
    raise AssertionError("unreachable")


def test_in_a_browser_no_page_makes_a_request(chromium, pages, hostile, tmp_path) -> None:
    for n, path in enumerate([*pages.values(), hostile]):
        assert requests_made(chromium, path, tmp_path / f"p{n}") == [path.as_uri()], path.name


def test_the_request_log_does_see_a_page_that_fetches(chromium, tmp_path) -> None:
    """The check above can fail: a page with a stylesheet and an image elsewhere is caught."""
    page = tmp_path / "fetches.html"
    page.write_text(
        '<link rel="stylesheet" href="https://fonts.example.com/a.css">'
        '<p>x</p><img src="http://example.com/x.png">'
    )
    urls = requests_made(chromium, page, tmp_path / "profile")
    assert urls[0] == page.as_uri()
    assert set(urls[1:]) == {"https://fonts.example.com/a.css", "http://example.com/x.png"}
