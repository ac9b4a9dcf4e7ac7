"""The README and docs say what the code does."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

from crm_roi.cli import app
from crm_roi.engine.figures import FIELDS
from crm_roi.inputs.fieldtable import inputs_markdown

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def test_readme_quick_start_output_is_what_the_command_prints(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("COLUMNS", raising=False)  # not a terminal: the whole table
    command = _blocks("sh")[0].strip()
    assert command.startswith("pip install . && crm-roi compute ")
    args = shlex.split(command.split("&& crm-roi ", 1)[1])
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    shown = [line.rstrip() for line in _blocks("text")[0].strip().splitlines()]
    printed = [line.rstrip() for line in result.stdout.strip().splitlines()]
    assert printed == shown


def test_readme_test_command_is_what_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert _blocks("sh")[1].strip() == "pip install '.[test]' && python -m pytest"
    assert "'.[test]'" in ci and "-m pytest" in ci


def test_docs_inputs_md_is_generated_from_the_schema() -> None:
    assert (ROOT / "docs" / "inputs.md").read_text(
        encoding="utf-8"
    ).strip() == inputs_markdown().strip()


def test_every_figure_is_defined_in_docs_metrics() -> None:
    text = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    for name in FIELDS:
        assert f"`{name}`" in text, name


def test_every_command_has_help_text() -> None:
    for command in ("compute", "validate", "inspect"):
        result = CliRunner().invoke(app, [command, "--help"])
        assert result.exit_code == 0
        assert len(result.stdout.split("\n")) > 5


def test_docs_metrics_table_is_the_definitions() -> None:
    from crm_roi.engine.figures import DEFINITIONS

    text = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    for row in DEFINITIONS:
        assert row.markdown_row() in text, row.fields
    covered = {name for row in DEFINITIONS for name in row.fields}
    assert covered == set(FIELDS)


def test_cli_reference_is_generated_from_the_help(tmp_path) -> None:
    import subprocess
    import sys

    fresh = tmp_path / "cli.md"
    subprocess.run(
        [sys.executable, "-m", "typer", "crm_roi.cli", "utils", "docs", "--name", "crm-roi",
         "--output", str(fresh)],
        check=True, capture_output=True,
    )  # fmt: skip
    assert (ROOT / "docs" / "cli.md").read_text() == fresh.read_text(), (
        "docs/cli.md is stale: python -m typer crm_roi.cli utils docs --name crm-roi "
        "--output docs/cli.md"
    )


def test_every_module_is_in_the_code_map() -> None:
    """docs/code.md lists every module of the package, and no module that is gone."""
    package = ROOT / "src" / "crm_roi"
    modules = {
        str(p.relative_to(package)) for p in package.rglob("*.py") if p.name != "__init__.py"
    }
    listed = set(
        re.findall(r"^\| `([\w/]+\.py)` \|", (ROOT / "docs" / "code.md").read_text(), re.M)
    )
    assert listed == modules
