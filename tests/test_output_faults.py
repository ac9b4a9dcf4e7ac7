"""Issue 12, the output side and the input plumbing: every fault is one `Error:` line (exit 1
for data and output faults, 2 for usage), never a traceback, and the previous report stays.

Run as a user runs it: CliRunner, and real subprocesses where a real descriptor, signal or
pipe matters. The tests run as root here, which ignores file permissions: a read-only folder
or file system is simulated by making the OS call fail as it would.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shlex
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest
from typer.testing import CliRunner

from conftest import EXAMPLE_INPUTS, EXAMPLES
from crm_roi.cli import app, process

DEALS, COSTS = EXAMPLES / "deals.csv", EXAMPLES / "costs.csv"
INPUTS = [str(DEALS), str(COSTS)]
CRM_ROI = [sys.executable, "-m", "crm_roi"]
TIMEOUT = 120
runner = CliRunner()


def run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*CRM_ROI, *args], capture_output=True, timeout=TIMEOUT)


def shell(command: str) -> subprocess.CompletedProcess[bytes]:
    """``crm-roi`` in a shell command line, for redirections like ``>&-`` and pipes."""
    crm_roi = " ".join(shlex.quote(part) for part in CRM_ROI)
    return subprocess.run(
        ["sh", "-c", command.replace("crm-roi", crm_roi)], capture_output=True, timeout=TIMEOUT
    )


def temporary_files(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


# --- a report never replaces a device, FIFO or socket ----------------------------------------


def test_output_to_dev_null_writes_to_the_device_and_leaves_it_one() -> None:
    result = runner.invoke(app, ["compute", *INPUTS, "-q", "--format", "json", "-o", "/dev/null"])
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert result.output == ""


def test_a_device_anywhere_is_written_to_not_replaced(tmp_path: Path) -> None:
    null = tmp_path / "null"  # /dev/null's twin, in a folder crm-roi can write temp files in
    try:
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, AttributeError):
        pytest.skip("can't make a device node here")
    result = runner.invoke(app, ["compute", *INPUTS, "-q", "--format", "json", "-o", str(null)])
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(null.stat().st_mode)
    assert temporary_files(tmp_path) == []


def test_output_to_dev_stdout_writes_to_standard_output() -> None:
    result = runner.invoke(app, ["compute", *INPUTS, "-q", "--format", "json", "-o", "/dev/stdout"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["inputs"][0]["rows"] == 300
    assert os.path.islink("/dev/stdout")


def test_output_to_a_fifo_writes_through_it_and_leaves_it_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # so the writer's open doesn't wait
    received = bytearray()

    def drain() -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                chunk = os.read(reader, 65536)
            except BlockingIOError:
                time.sleep(0.01)
                continue
            if not chunk and received:
                return
            received.extend(chunk)
            if not chunk:
                time.sleep(0.01)

    thread = threading.Thread(target=drain)
    thread.start()
    try:
        result = runner.invoke(app, ["compute", *INPUTS, "-q", "--format", "json", "-o", str(fifo)])
        thread.join(TIMEOUT)
    finally:
        os.close(reader)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert json.loads(received)["inputs"][0]["rows"] == 300


def test_dev_full_is_one_line_no_space_left_on_the_device() -> None:
    result = runner.invoke(app, ["compute", *INPUTS, "-q", "--format", "json", "-o", "/dev/full"])
    assert result.exit_code == 1
    assert result.output == "Error: --output /dev/full: no space left on the device\n"
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_output_onto_a_socket_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "report.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        result = runner.invoke(app, ["compute", *INPUTS, "-q", "--format", "json", "-o", str(path)])
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: --output {path} is a socket")


# --- modes and owners --------------------------------------------------------------------------


def test_an_existing_report_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    target.write_text("{}")
    target.chmod(0o640)
    result = runner.invoke(app, ["compute", *INPUTS, "-q", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert json.loads(target.read_text())["inputs"][0]["rows"] == 300


def test_a_new_report_follows_the_umask(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    previous = os.umask(0o027)
    try:
        result = runner.invoke(app, ["compute", *INPUTS, "-q", "-o", str(target)])
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # 0o666 & ~0o027, not mkstemp's 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason="only root may give a file to another owner")
def test_an_existing_report_keeps_its_owner(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    target.write_text("{}")
    os.chown(target, 4321, 4321)
    result = runner.invoke(app, ["compute", *INPUTS, "-q", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert (target.stat().st_uid, target.stat().st_gid) == (4321, 4321)


# --- output-side failures: one line, exit 1, the previous report intact -----------------------


def _fail_with(code: int) -> Callable[..., NoReturn]:
    def fail(*args: object, **kwargs: object) -> NoReturn:
        raise OSError(code, os.strerror(code))

    return fail


@pytest.mark.parametrize(
    ("call", "code", "reason"),
    [
        ("fsync", errno.ENOSPC, "no space left on the device"),
        ("mkstemp", errno.EACCES, "permission denied (the folder or the file can't be written)"),
        ("mkstemp", errno.EROFS, "the file system is read-only"),
        ("replace", errno.EROFS, "the file system is read-only"),
        ("replace", errno.EXDEV, "the file is on another file system than its folder"),
    ],
)
def test_a_failed_write_is_one_line_and_leaves_the_previous_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str, code: int, reason: str
) -> None:
    target = tmp_path / "r.json"
    target.write_text("PREVIOUS")
    owner = tempfile if call == "mkstemp" else os
    monkeypatch.setattr(owner, call, _fail_with(code))
    result = runner.invoke(app, ["compute", *INPUTS, "-q", "-o", str(target)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"Error: --output {target}: {reason}")
    assert lines[0].endswith("; the previous report is left as it was")
    assert target.read_text() == "PREVIOUS"
    assert temporary_files(tmp_path) == []


def test_a_symlinked_output_on_another_file_system_is_written_beside_its_target(
    tmp_path: Path,
) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("/dev/shm is not another file system here")
    real = Path(tempfile.mkdtemp(dir=shm)) / "report.json"
    try:
        real.write_text("{}")
        real.chmod(0o600)
        link = tmp_path / "report.json"
        link.symlink_to(real)
        result = runner.invoke(app, ["compute", *INPUTS, "-q", "-o", str(link)])
        assert result.exit_code == 0, result.output
        assert link.is_symlink()  # the link stays a link; its target is the new report
        assert json.loads(real.read_text())["inputs"][0]["rows"] == 300
        assert stat.S_IMODE(real.stat().st_mode) == 0o600
        assert temporary_files(real.parent) == [] and temporary_files(tmp_path) == []
    finally:
        for path in real.parent.iterdir():
            path.unlink()
        real.parent.rmdir()


def test_closed_stdout_is_one_line_and_exit_1() -> None:
    result = shell(f"crm-roi compute {DEALS} {COSTS} -q >&-")
    assert result.returncode == 1
    assert result.stderr == (
        b"Error: standard output is closed: nothing to write the report to; give --output FILE\n"
    )


def test_a_full_stdout_is_one_line_and_exit_1() -> None:
    with open("/dev/full", "wb") as full:
        result = subprocess.run(
            [*CRM_ROI, "compute", *INPUTS, "-q", "--format", "json"],
            stdout=full,
            stderr=subprocess.PIPE,
            timeout=TIMEOUT,
        )
    assert result.returncode == 1
    assert result.stderr == b"Error: standard output: no space left on the device\n"


def test_closed_stderr_changes_nothing_but_the_messages(tmp_path: Path) -> None:
    ok = shell(f"crm-roi compute {DEALS} {COSTS} --format json 2>&-")
    assert ok.returncode == 0
    assert json.loads(ok.stdout)["inputs"][0]["rows"] == 300
    failed = shell(f"crm-roi compute {tmp_path / 'missing.csv'} 2>&-")
    assert failed.returncode == 1 and failed.stdout == b""


def test_a_report_into_a_pipe_that_closes_early_ends_quietly() -> None:
    # 250 kB of JSON: far more than a pipe holds, so writing meets the closed pipe.
    big = " ".join(shlex.quote(a) for a in EXAMPLE_INPUTS)
    result = shell(
        f"crm-roi compute {big} -q --format json --by month,channel --by owner,month | head -c 10"
    )
    assert result.stdout == b'{\n  "schem'
    assert result.stderr == b""  # no traceback, no "Exception ignored"


# --- SIGTERM -----------------------------------------------------------------------------------


def test_sigterm_while_writing_removes_the_temporary_file_and_exits_143(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target, log = tmp_path / "r.json", tmp_path / "runs.jsonl"
    target.write_text("PREVIOUS")

    def sigterm_arrives(fd: int) -> None:  # while the temporary report is being written
        assert len(temporary_files(tmp_path)) == 1
        process.on_sigterm(signal.SIGTERM, None)

    monkeypatch.setattr(os, "fsync", sigterm_arrives)
    result = runner.invoke(
        app, ["compute", *INPUTS, "-q", "-o", str(target), "--log-json", str(log)]
    )
    assert result.exit_code == 143
    assert result.output.splitlines() == [
        "Error: stopped by SIGTERM; the previous report, if any, is left as it was"
    ]
    assert target.read_text() == "PREVIOUS"
    assert temporary_files(tmp_path) == []
    logged = json.loads(log.read_text())
    assert (logged["exit_code"], logged["error"]) == (143, "stopped by SIGTERM")


def _open_when_read(fifo: Path, process: subprocess.Popen[bytes]) -> int:
    """The FIFO's write end, once the process has opened it to read (bounded in time)."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:  # ENXIO: no reader yet
            assert exc.errno == errno.ENXIO
            time.sleep(0.02)
    raise AssertionError(f"crm-roi never opened {fifo} (exit {process.poll()})")


def test_sigterm_during_a_run_exits_143_without_a_traceback(tmp_path: Path) -> None:
    deals = tmp_path / "deals.fifo"  # a slow export: the run waits on it
    os.mkfifo(deals)
    target = tmp_path / "r.json"
    target.write_text("PREVIOUS")
    process = subprocess.Popen(
        [*CRM_ROI, "compute", str(deals), str(COSTS), "-q", "-o", str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        writer = _open_when_read(deals, process)
        os.write(writer, DEALS.read_bytes()[:2000])
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        os.close(writer)
        _, err = process.communicate(timeout=TIMEOUT)
    finally:
        process.kill()
    assert process.returncode == 143
    assert err == b"Error: stopped by SIGTERM; the previous report, if any, is left as it was\n"
    assert target.read_text() == "PREVIOUS"
    assert temporary_files(tmp_path) == []


# --- outputs that would overwrite inputs -------------------------------------------------------


@pytest.mark.parametrize("via", ["mapping", "default mapping", "rates", "hard link", "symlink"])
def test_the_report_may_not_land_on_any_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, via: str
) -> None:
    monkeypatch.chdir(tmp_path)
    mapping, rates = tmp_path / "m.toml", tmp_path / "rates.csv"
    mapping.write_text("[deals.stages]\n")
    rates.write_text("currency,rate\nEUR,1\n")
    deals = tmp_path / "deals.csv"
    deals.write_bytes(DEALS.read_bytes())
    args = {
        "mapping": (["--mapping", str(mapping)], mapping),
        "default mapping": ([], tmp_path / "crm-roi.toml"),
        "rates": (["--rates", str(rates)], rates),
        "hard link": ([], tmp_path / "deals.json"),
        "symlink": ([], tmp_path / "costs.json"),
    }
    extra, target = args[via]
    if via == "default mapping":
        target.write_text("[deals.stages]\n")
    elif via == "hard link":
        os.link(deals, target)
    elif via == "symlink":
        target.symlink_to(COSTS)
    before = target.read_bytes()
    command = ["compute", str(deals), str(COSTS), "-q", "--format", "json", *extra]
    result = runner.invoke(app, [*command, "-o", str(target)])
    assert result.exit_code == 2, result.output
    assert "is one of the inputs" in result.output and "it would be overwritten" in result.output
    assert target.read_bytes() == before


def test_the_run_log_may_not_be_the_report(tmp_path: Path) -> None:
    report = tmp_path / "x.json"
    result = runner.invoke(
        app, ["compute", *INPUTS, "-q", "-o", str(report), "--log-json", str(report)]
    )
    assert result.exit_code == 2
    assert result.output == (
        f"Error: --log-json {report} is also the --output report; give the log a file of its own\n"
    )
    assert not report.exists()  # neither the report nor a log line


def test_the_run_log_may_not_be_an_input(tmp_path: Path) -> None:
    deals = tmp_path / "deals.csv"
    deals.write_bytes(DEALS.read_bytes())
    result = runner.invoke(app, ["compute", str(deals), str(COSTS), "-q", "--log-json", str(deals)])
    assert result.exit_code == 2
    assert "--log-json" in result.output and "is one of the inputs" in result.output
    assert deals.read_bytes() == DEALS.read_bytes()


# --- inputs from pipes -------------------------------------------------------------------------


def test_deals_from_standard_input(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["compute", "-", str(COSTS), "-q", "--format", "json"], input=DEALS.read_bytes()
    )
    assert result.exit_code == 0, result.output
    piped = json.loads(result.stdout)
    from_file = json.loads(
        runner.invoke(app, ["compute", *INPUTS, "-q", "--format", "json"]).stdout
    )
    assert piped["totals"] == from_file["totals"]
    deals = piped["inputs"][0]
    assert deals["path"] == "-"
    assert deals["sha256"] == hashlib.sha256(DEALS.read_bytes()).hexdigest()


def test_a_pipe_as_dev_fd_n_is_read_to_the_end() -> None:
    """What ``crm-roi compute <(cat deals.csv) costs.csv`` passes: /dev/fd/N, a pipe."""
    read_end, write_end = os.pipe()
    data = DEALS.read_bytes()

    def feed() -> None:
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(data)

    process = subprocess.Popen(
        [*CRM_ROI, "compute", f"/dev/fd/{read_end}", str(COSTS), "-q", "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pass_fds=(read_end,),
    )
    os.close(read_end)
    thread = threading.Thread(target=feed)
    thread.start()
    out, err = process.communicate(timeout=TIMEOUT)
    thread.join(TIMEOUT)
    assert process.returncode == 0, err
    deals = json.loads(out)["inputs"][0]
    assert deals["rows"] == 300
    assert deals["sha256"] == hashlib.sha256(data).hexdigest()


def test_dev_stdin_reads_the_pipe_to_the_end() -> None:
    result = subprocess.run(
        [*CRM_ROI, "compute", "/dev/stdin", str(COSTS), "-q", "--format", "json"],
        input=DEALS.read_bytes(),
        capture_output=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["inputs"][0]["rows"] == 300


def test_only_one_input_may_be_standard_input() -> None:
    result = runner.invoke(app, ["compute", "-", "-", "-q"], input=DEALS.read_bytes())
    assert result.exit_code == 2
    assert result.output.startswith("Error: - and - are both standard input")


def test_empty_standard_input_says_so() -> None:
    result = runner.invoke(app, ["compute", "-", str(COSTS), "-q"], input=b"")
    assert result.exit_code == 1
    assert result.output == "Error: -: is empty: nothing came through the pipe\n"


def test_a_workbook_through_a_pipe_asks_for_its_file_name() -> None:
    result = runner.invoke(app, ["validate", "-"], input=b"PK\x03\x04" + b"\x00" * 100)
    assert result.exit_code == 1
    assert result.output == "Error: -: a workbook can't be read from a pipe: give its file name\n"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_as_input_is_refused_at_once(device: str) -> None:
    result = run("compute", device, str(COSTS), "-q")
    assert result.returncode == 1
    assert result.stderr == f"Error: {device}: is a device, not a file\n".encode()


def test_a_socket_as_input_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "deals.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        result = runner.invoke(app, ["compute", str(path), str(COSTS), "-q"])
    assert result.exit_code == 1
    assert result.output == f"Error: {path}: is a socket, not a file\n"


@pytest.mark.parametrize(
    ("option", "name"), [("--mapping", "mapping file"), ("--rates", "--rates")]
)
def test_mapping_and_rates_must_be_regular_files(tmp_path: Path, option: str, name: str) -> None:
    fifo = tmp_path / "settings.fifo"
    os.mkfifo(fifo)  # nobody writes to it: reading it would wait for ever
    result = run("compute", *INPUTS, "-q", "--format", "json", option, str(fifo))
    assert result.returncode == 2
    assert result.stderr == (
        f"Error: {name} {fifo} is not a regular file (a pipe or a device): give a file\n".encode()
    )


@pytest.mark.parametrize(
    ("option", "name"), [("--mapping", "mapping file"), ("--rates", "--rates")]
)
def test_mapping_and_rates_larger_than_1_mb_are_refused(
    tmp_path: Path, option: str, name: str
) -> None:
    big = tmp_path / "settings.txt"
    big.write_text("# " + "x" * 1024**2 + "\n")
    result = runner.invoke(app, ["compute", *INPUTS, "-q", "--format", "json", option, str(big)])
    assert result.exit_code == 2
    assert result.output == f"Error: {name} {big} is larger than 1 MB\n"


@pytest.mark.parametrize(
    "value",
    ["{b = " * 25 + "1" + "}" * 25, "[" * 5000 + "]" * 5000],
    ids=["21 levels of tables", "5000 levels of arrays"],
)
def test_a_deeply_nested_mapping_is_a_usage_error(tmp_path: Path, value: str) -> None:
    mapping = tmp_path / "deep.toml"
    mapping.write_text(f"a = {value}\n")
    result = runner.invoke(
        app, ["compute", *INPUTS, "-q", "--format", "json", "--mapping", str(mapping)]
    )
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: mapping file {mapping} is nested more than 20 levels")
