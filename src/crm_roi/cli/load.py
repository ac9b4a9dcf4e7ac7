"""A command's inputs, from the options to the engine: checked before anything is read, loaded
(the engine imported meanwhile), held to --max-rejected and --strict, and handed over as the
engine's ``Inputs``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crm_roi.cli.emit import say
from crm_roi.cli.options import InputOptions
from crm_roi.errors import CrmRoiError, UsageError

if TYPE_CHECKING:
    import pandas as pd

    from crm_roi.cli.root import Run
    from crm_roi.engine.compute import Inputs
    from crm_roi.engine.settings import Settings
    from crm_roi.inputs.load import Loaded

STRICT_LINES = 20  # rejected rows listed on stderr when --strict refuses a run


def check_paths(
    inputs: InputOptions,
    output: Path | None,
    rates: Path | None = None,
    log: Path | None = None,
) -> list[Path]:
    """The data files given. Refused before anything is read: two inputs from standard
    input, an --output that can't be written, and an --output or --log-json that would land on
    any input — the data files, the mapping file (or ./crm-roi.toml), the --rates file."""
    from crm_roi.cli.output import check_target
    from crm_roi.inputs.mapping import DEFAULT_MAPPING_FILE
    from crm_roi.inputs.source import check_one_stdin

    paths = inputs.paths
    check_one_stdin(paths)
    mapping = inputs.mapping
    if mapping is None and Path(DEFAULT_MAPPING_FILE).is_file():
        mapping = Path(DEFAULT_MAPPING_FILE)
    settings = [p for p in (mapping, rates) if p is not None]
    check_target(output, [*paths, *settings], log)
    return paths


def load(
    inputs: InputOptions,
    meanwhile: tuple[str, ...],
    unusable_ok: bool = False,
    unneeded: frozenset[str] = frozenset(),
) -> list[Loaded]:
    """Every input, validated (deals first). The modules named in ``meanwhile`` (pandas and
    what the command computes with) are imported while Arrow reads the files; ``unneeded``:
    deals' fields the command doesn't use (funnel: the amount)."""
    import importlib

    from crm_roi.inputs.load import load_inputs
    from crm_roi.inputs.schema import InputKind
    from crm_roi.inputs.source import check_one_stdin

    options = inputs.load_options(unusable_ok, unneeded)
    wanted = [
        (inputs.deals, InputKind.DEALS),
        (inputs.costs, InputKind.COSTS),
        (inputs.customers, InputKind.CUSTOMERS),
        (inputs.time_logs, InputKind.TIME_LOGS),
        (inputs.leads, InputKind.LEADS),
        (inputs.investment, InputKind.INVESTMENT),
    ]
    given = [(path, kind) for path, kind in wanted if path is not None]
    check_one_stdin([path for path, _ in given])
    return load_inputs(
        given, options, meanwhile=lambda: [importlib.import_module(m) for m in meanwhile]
    )


@dataclass(frozen=True)
class Begun:
    """What a command has once its options are checked and its inputs read."""

    locale: str
    fmt: str
    settings: Settings
    loaded: list[Loaded]


def begin(
    run: Run,
    params: dict[str, Any],
    formats: type[StrEnum],
    meanwhile: tuple[str, ...],
    unneeded: frozenset[str] = frozenset(),
) -> Begun:
    """The start every command of one report shares: the locale and the format, the inputs
    checked before reading, the settings, the inputs read (``meanwhile`` imported then) and
    held to --max-rejected. ``params``: the command's parameters (``locals()``)."""
    from crm_roi.cli import values
    from crm_roi.cli.emit import resolve_format
    from crm_roi.cli.options import FigureOptions, gather

    locale = values.locale(params["locale"])
    fmt = resolve_format(params["output_format"], params["output"], formats)
    limit = values.max_rejected(params["max_rejected"])
    inputs, figures = gather(InputOptions, params), gather(FigureOptions, params)
    check_paths(inputs, params["output"], params.get("rates"), params.get("log_json"))
    settings = figures.settings()
    loaded = load(inputs, meanwhile, unneeded=unneeded)
    run.inputs = [i.account() for i in loaded]
    check_rejected(loaded, limit)
    return Begun(locale, fmt, settings, loaded)


def check_rejected(loaded: list[Loaded], limit: tuple[float, bool] | None) -> None:
    """--max-rejected: an input with more rejected rows than allowed fails the run."""
    if limit is None:
        return
    number, share = limit
    for i in loaded:
        allowed = i.rows * number / 100 if share else number
        if i.rejected_total > allowed:
            said = f"{number:g}%" if share else f"{int(number):,}"
            raise CrmRoiError(
                f"{i.path}: {i.rejected_total:,} of {i.rows:,} rows rejected, more than "
                f"--max-rejected {said}: nothing computed (crm-roi validate lists them)"
            )


def check_strict(loaded: list[Loaded], strict: bool, quiet: bool) -> None:
    """--strict: any rejected row fails the run, listed on stderr (unless --quiet)."""
    rejected = sum(i.rejected_total for i in loaded)
    if not (strict and rejected):
        return
    if not quiet:
        for line in [str(r) for i in loaded for r in i.all_rejections][:STRICT_LINES]:
            say(line)
    raise CrmRoiError(f"{rejected:,} rows rejected and --strict given: nothing computed")


def engine_inputs(
    loaded: list[Loaded],
    settings: Settings,
    window: bool = False,
    deals: pd.DataFrame | None = None,
) -> Inputs:
    """The records to compute from, with every --by dimension found in them. A deals file
    with no rows is fine for an explicit window (``window``, or --from and --to given: nothing
    happened, the figures are zeros); one whose every row was rejected is not. ``deals``: the
    deals when no deals file was given (the funnel of leads alone)."""
    from crm_roi.engine.compute import Inputs
    from crm_roi.engine.groups import dimension_exists, dimension_names
    from crm_roi.errors import InputError

    given = {i.kind.value: i for i in loaded}
    if "deals" in given:
        found = given["deals"]
        if found.rows and not found.used:
            raise InputError(
                found.path,
                f"none of its {found.rows:,} rows can be used (crm-roi validate lists why): "
                "nothing to compute",
            )
        window = window or (settings.start is not None and settings.end is not None)
        if not found.rows and not window:
            raise InputError(
                found.path,
                "has no data rows: nothing to compute (give --from and --to to report an empty "
                "window)",
            )
        deals = found.frame
    assert deals is not None, "deals: a file, or given"
    leads = given.get("leads")
    data = Inputs(
        deals,
        given["costs"].frame if "costs" in given else None,
        given["customers"].frame if "customers" in given else None,
        given["time_logs"].frame if "time_logs" in given else None,
        aliases={i.kind: i.header_fields() for i in loaded},
        leads=leads.frame if leads is not None else None,
        lead_links=leads.links if leads is not None else None,
        ids={(i.kind, name): hashed for i in loaded for name, hashed in i.ids.items()},
    )
    for i in loaded:
        i.ids = {}  # the engine's alone now: let go once it has prepared its arrays
    for dims in settings.by:
        for dim in dims:
            if not dimension_exists(dim, data):
                raise UsageError(unknown_dimension(dim, dimension_names(data)))
    return data


def unknown_dimension(dim: str, names: dict[str, str]) -> str:
    """--by naming no column: the dimensions it is close to (as headers are compared), and
    every one there is (``names``: spelling → dimension, from the engine)."""
    import difflib

    from crm_roi.inputs.mapping import normalise_header

    close = difflib.get_close_matches(normalise_header(dim), list(names), n=6, cutoff=0.7)
    suggested = list(dict.fromkeys(names[c] for c in close))[:3]
    message = f"--by {dim}: no input has such a field or column"
    if suggested:
        first, last = suggested[:-1], suggested[-1]
        message += f"; did you mean {', '.join(first) + ' or ' if first else ''}{last}?"
    return f"{message} (dimensions: {', '.join(dict.fromkeys(names.values()))})"
