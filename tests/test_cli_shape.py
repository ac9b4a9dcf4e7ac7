"""The command line stays thin (issue 13): small commands over shared option groups, defaults
that are the engine's, one place for errors, and a --help that loads no data stack."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from crm_roi.cli import app
from crm_roi.cli.options import FigureOptions
from crm_roi.engine.settings import Settings

CLI = Path(__file__).resolve().parents[1] / "src" / "crm_roi" / "cli"
COMMANDS = ("validate", "inspect", "compute", "cohorts", "compare")
runner = CliRunner()


def functions(path: Path) -> list[ast.FunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]


def body_lines(function: ast.FunctionDef) -> int:
    """Lines of a function's body, its docstring left out."""
    body = function.body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return (body[-1].end_lineno or 0) - body[0].lineno + 1


def test_a_command_body_is_at_most_25_lines() -> None:
    for name in COMMANDS:
        (command,) = [f for f in functions(CLI / f"{name}.py") if f.name == name]
        assert body_lines(command) <= 25, name


def test_no_function_of_the_command_line_is_over_60_lines() -> None:
    for path in CLI.glob("*.py"):
        for function in functions(path):
            length = (function.end_lineno or 0) - function.lineno + 1
            assert length <= 60, f"{path.name}: {function.name} has {length} lines"


def test_the_commands_defaults_are_the_engines() -> None:
    assert FigureOptions().settings() == Settings()


def loaded_by(*args: str) -> list[str]:
    """The heavy libraries in memory after ``crm-roi ARGS`` (pydantic: typer's own command help
    imports it)."""
    code = (
        "import sys\n"
        "from crm_roi.cli import app\n"  # main() ends the process itself: no looking after
        "try:\n"
        f"    app(args={list(args)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('pandas', 'pyarrow', 'pydantic', 'openpyxl')\n"
        "print([name for name in heavy if name in sys.modules], file=sys.stderr)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return list(ast.literal_eval(run.stderr.strip().splitlines()[-1]))


def test_help_loads_no_pandas_pyarrow_pydantic_or_openpyxl() -> None:
    assert loaded_by("--help") == []
    for command in COMMANDS:
        assert set(loaded_by(command, "--help")) <= {"pydantic"}, command


def test_reading_starts_before_pandas_is_imported() -> None:
    """The files are read while pandas is imported beside them (cli.load, ``meanwhile``): the
    modules that read must not import it first (0.1-0.2 s of every run)."""
    code = "import sys, crm_roi.inputs.load, crm_roi.inputs.read; print('pandas' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"


def test_a_run_refused_by_max_rejected_says_why_in_the_log(tmp_path: Path) -> None:
    deals = tmp_path / "deals.csv"
    deals.write_text(
        "Deal ID,Amount,Stage,Close Date\nD-1,100,Won,2024-01-05\nX-1,abc,Won,2024-01-05\n"
    )
    log = tmp_path / "runs.jsonl"
    args = ["compute", str(deals), "-q", "--max-rejected", "0", "--log-json", str(log)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    said = f"{deals}: 1 of 2 rows rejected, more than --max-rejected 0: nothing computed"
    assert result.stderr.startswith(f"Error: {said}")
    run = json.loads(log.read_text())
    assert run["exit_code"] == 1 and run["error"].startswith(said)
    assert run["rows"] == 2 and run["rejected"] == 1


def test_the_console_script_puts_arrow_on_the_tuned_heap() -> None:
    """main() tunes glibc's malloc and puts Arrow's buffers on it before Arrow is loaded (see
    process.tune_runtime); a user's own ARROW_DEFAULT_MEMORY_POOL is kept."""
    import os
    import platform

    code = (
        "from crm_roi.cli import process\n"
        "process.tune_runtime()\n"
        "import pyarrow as pa\n"
        "print(pa.default_memory_pool().backend_name)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    expected = "system" if platform.libc_ver()[0] == "glibc" else run.stdout.strip()
    assert run.returncode == 0 and run.stdout.strip() == expected
    blas = "from crm_roi.cli import process; import os; process.tune_runtime(); "
    blas += "print(os.environ['OPENBLAS_NUM_THREADS'])"
    env.pop("OPENBLAS_NUM_THREADS", None)
    run = subprocess.run([sys.executable, "-c", blas], capture_output=True, text=True, env=env)
    assert run.stdout.strip() == "1"  # NumPy's OpenBLAS: one thread
    env["ARROW_DEFAULT_MEMORY_POOL"] = "jemalloc"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert run.stdout.strip() == "jemalloc"


def test_the_console_script_serves_big_arrays_from_the_heap() -> None:
    """A 64 MB array (ten million rows make many) comes from glibc's heap, to be reused when
    freed, rather than mapped apart and handed back (mallinfo2's hblks: the blocks mapped).
    Other C libraries keep their own ways: the tuning then only must not fail."""
    import platform

    code = (
        "import ctypes, sys\n"
        "from crm_roi.cli import process\n"
        "if sys.argv[1] == 'tuned':\n"
        "    process.tune_runtime()\n"
        "import numpy as np\n"
        "class Info(ctypes.Structure):\n"
        "    _fields_ = [(n, ctypes.c_size_t) for n in 'a o s hblks hd u f uo fo k'.split()]\n"
        "mallinfo2 = ctypes.CDLL(None).mallinfo2\n"
        "mallinfo2.restype = Info\n"
        "before = mallinfo2().hblks\n"
        "big = np.ones(64 * 1024**2, dtype=np.uint8)\n"
        "print(mallinfo2().hblks - before)\n"
    )
    mapped = {}
    for how in ("tuned", "plain"):
        run = subprocess.run(
            [sys.executable, "-c", code, how], capture_output=True, text=True, check=True
        )
        if platform.libc_ver()[0] != "glibc":
            return
        mapped[how] = int(run.stdout)
    assert mapped == {"tuned": 0, "plain": 1}
