"""The layers import one way: inputs → engine → render → cli (docs/code.md).

- a renderer never imports pandas: it turns plain values into text and files, and a report read
  back from JSON can be rendered without the data stack;
- the engine imports nothing of the renderers, the command line, typer or rich: it computes, and
  knows nothing of how the result is shown or asked for;
- the inputs import nothing of the engine: reading a file never depends on the figures.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


def modules(layer: str) -> list[Path]:
    return sorted((SRC / "crm_roi" / layer).glob("*.py"))


def module_name(path: Path, src: Path = SRC) -> str:
    parts = path.relative_to(src).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, src: Path = SRC) -> set[str]:
    """Every module the file imports, at the top or inside a function, relative ones resolved.

    ``from crm_roi.engine import figures`` counts as ``crm_roi.engine.figures``."""
    package = module_name(path if path.name == "__init__.py" else path.parent, src)
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def reaching(path: Path, forbidden: tuple[str, ...], src: Path = SRC) -> list[str]:
    """The imports of ``path`` that are, or are inside, one of the forbidden modules."""
    return sorted(
        name
        for name in imported(path, src)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    )


def loads_pandas(module: str) -> bool:
    """Whether importing the module in a fresh interpreter brings pandas in."""
    code = f"import sys, {module}; print('pandas' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return run.stdout.strip() == "True"


@pytest.mark.parametrize("path", modules("render"), ids=lambda p: p.stem)
def test_a_renderer_imported_alone_loads_no_pandas(path: Path) -> None:
    assert not loads_pandas(module_name(path))


def test_the_fresh_interpreter_does_see_pandas_when_it_is_loaded() -> None:
    assert loads_pandas("pandas")


@pytest.mark.parametrize("path", modules("render"), ids=lambda p: p.stem)
def test_a_renderer_imports_no_pandas_even_inside_a_function(path: Path) -> None:
    assert reaching(path, ("pandas",)) == []


@pytest.mark.parametrize("path", modules("engine"), ids=lambda p: p.stem)
def test_the_engine_imports_no_renderer_no_command_line_no_typer_or_rich(path: Path) -> None:
    assert reaching(path, ("crm_roi.render", "crm_roi.cli", "typer", "rich")) == []


@pytest.mark.parametrize("path", modules("inputs"), ids=lambda p: p.stem)
def test_the_inputs_import_nothing_of_the_engine(path: Path) -> None:
    assert reaching(path, ("crm_roi.engine",)) == []


def test_imports_are_read_whole_and_relative_ones_resolved(tmp_path: Path) -> None:
    """The checker itself: a lazy import inside a function counts, and so does a relative one."""
    engine = tmp_path / "src" / "crm_roi" / "engine"
    engine.mkdir(parents=True)
    sample = engine / "sample.py"
    sample.write_text(
        "from ..render import table\n"
        "from . import figures\n"
        "def f():\n"
        "    import rich.text\n"
        "    from typer import Exit\n",
        encoding="utf-8",
    )
    src = tmp_path / "src"
    assert imported(sample, src) >= {"crm_roi.render.table", "crm_roi.engine.figures"}
    assert reaching(sample, ("crm_roi.render", "typer", "rich"), src) == [
        "crm_roi.render",
        "crm_roi.render.table",
        "rich.text",
        "typer",
        "typer.Exit",
    ]
