"""Running unattended: quiet success, machine-readable run logs, safe and whole outputs."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from crm_roi.cli import app

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
INPUTS = [str(EXAMPLES / "deals.csv"), str(EXAMPLES / "costs.csv")]
runner = CliRunner()


def test_quiet_success_prints_nothing(tmp_path: Path) -> None:
    result = runner.invoke(app, ["compute", *INPUTS, "--quiet", "-o", str(tmp_path / "r.json")])
    assert result.exit_code == 0
    assert result.output == ""
    noisy = runner.invoke(app, ["compute", *INPUTS, "-o", str(tmp_path / "r.json")])
    assert "a credit, used as such" in noisy.output  # the warnings --quiet holds back


def test_log_json_appends_one_line_per_run(tmp_path: Path) -> None:
    log = tmp_path / "runs.jsonl"
    out = str(tmp_path / "r.json")
    runner.invoke(app, ["compute", *INPUTS, "-q", "-o", out, "--log-json", str(log)])
    runner.invoke(app, ["compute", "missing.csv", "-q", "--log-json", str(log)])
    runner.invoke(
        app,
        ["compute", *INPUTS, "-q", "-o", out, "--fail-under-roi", "900", "--log-json", str(log)],
    )
    ok, missing, low = (json.loads(line) for line in log.read_text().splitlines())
    assert ok["ok"] is True and ok["exit_code"] == 0 and ok["error"] is None
    assert ok["rows"] == 300 + 155 and ok["rejected"] == 0
    assert [i["kind"] for i in ok["inputs"]] == ["deals", "costs"]
    assert ok["roi"] == json.loads(Path(out).read_text())["totals"]["roi"]
    assert ok["duration_s"] > 0
    assert missing["exit_code"] == 1 and missing["error"] == "missing.csv: no such file"
    assert low["exit_code"] == 3 and low["ok"] is False


def test_inputs_are_never_modified(tmp_path: Path) -> None:
    before = {
        p: (hashlib.sha256(Path(p).read_bytes()).hexdigest(), os.stat(p).st_mtime_ns)
        for p in INPUTS
    }
    runner.invoke(app, ["compute", *INPUTS, "-q", "-o", str(tmp_path / "r.xlsx")])
    runner.invoke(app, ["validate", *INPUTS])
    after = {
        p: (hashlib.sha256(Path(p).read_bytes()).hexdigest(), os.stat(p).st_mtime_ns)
        for p in INPUTS
    }
    assert after == before


def test_output_has_the_permissions_of_a_normal_file(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    runner.invoke(app, ["compute", *INPUTS, "-q", "-o", str(target)])
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask


def test_two_runs_writing_one_report_at_once_leave_one_whole_report(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    command = [sys.executable, "-m", "crm_roi", "compute", *INPUTS, "-q", "-o", str(target)]
    runs = [subprocess.Popen([*command, "--by", by]) for by in ("channel", "month")]
    assert [run.wait(timeout=120) for run in runs] == [0, 0]
    report = json.loads(target.read_text())  # whole: it parses
    assert list(report["breakdowns"]) in (["channel"], ["month"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no temp files left


def test_a_failed_write_keeps_the_previous_report_and_logs_the_error(tmp_path: Path) -> None:
    import errno
    from unittest import mock

    target, log = tmp_path / "report.json", tmp_path / "runs.jsonl"
    target.write_text("LAST WEEK")

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with mock.patch.object(os, "fsync", disk_full):  # the disk fills while the report is written
        result = runner.invoke(
            app, ["compute", *INPUTS, "-q", "-o", str(target), "--log-json", str(log)]
        )
    assert result.exit_code == 1
    assert result.output == (
        f"Error: --output {target}: no space left on the device; the previous report is left "
        "as it was\n"
    )
    assert target.read_text() == "LAST WEEK"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "runs.jsonl"]
    logged = json.loads(log.read_text())
    assert logged["exit_code"] == 1 and "no space left on the device" in logged["error"]


def test_the_run_log_never_lands_on_the_report(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    result = runner.invoke(
        app, ["compute", *INPUTS, "-q", "-o", str(report), "--log-json", str(report)]
    )
    assert result.exit_code == 2
    assert not report.exists()
