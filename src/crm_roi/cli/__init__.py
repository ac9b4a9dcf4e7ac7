"""The command line: typer commands that parse options, call the library and render
(see docs/code.md). Heavy libraries (pandas, pyarrow, pydantic) are imported inside the
commands, so that ``crm-roi --help`` stays fast.
"""

from crm_roi.cli.root import build_app, main

# Built here rather than in root.py: `python -m typer crm_roi.cli utils docs` runs this file
# afresh for each step, and each run must get an app of its own.
app = build_app()

__all__ = ["app", "main"]
