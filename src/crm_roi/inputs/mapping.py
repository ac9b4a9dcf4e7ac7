"""Match a file's headers to canonical fields, and stage text to won / lost / open.

Headers are normalised (case, accents, punctuation, spacing and a CRM prefix such as
``Deal - `` ignored) and compared with the synonyms declared in :mod:`crm_roi.inputs.schema`. A TOML
mapping file names anything else::

    [deals.columns]          # canonical field = the header in your file
    amount = "Net Value"
    close_date = "Signed On"

    [deals.stages]           # stage text = won | lost | open
    "Contract signed" = "won"
    "Dead" = "lost"
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crm_roi.errors import InputError, UsageError
from crm_roi.inputs.schema import FieldSpec, InputKind, field_specs
from crm_roi.inputs.source import read_settings

DEFAULT_MAPPING_FILE = "crm-roi.toml"

_PREFIX_RE = re.compile(
    r"^(deal|opportunity|organization|organisation|person|contact|company|account|lead)\s*-\s+"
)
_SALESFORCE_CUSTOM_RE = re.compile(r"__c$", re.IGNORECASE)  # Deal_ID__c: a custom field
_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORDS_RE = re.compile(r"[^\W_]+")  # letters and digits of any script
_LATIN_MARKS = range(0x0300, 0x0370)  # accents: é → e; a kana's voicing mark is kept

WON_STAGES = frozenset({"won", "closedwon", "dealwon", "gewonnen", "closedgewonnen", "wonclosed"})
LOST_STAGES = frozenset(
    {"lost", "closedlost", "deallost", "verloren", "closedverloren", "lostclosed"}
)
STATUSES = ("won", "lost", "open")
# A lead's status. HubSpot's lifecycle stages opportunity, customer and evangelist are past
# conversion; subscriber, lead, MQL, SQL and other are open (docs/metrics.md, leads).
CONVERTED_LEADS = frozenset({
    "converted", "closedconverted", "convertedclosed", "qualified", "isconverted", "omgezet",
    "gekwalificeerd", "geconverteerd", "opportunity", "customer", "evangelist", "won",
    "klant", "convertedtoopportunity", "convertedtodeal", "dealcreated",
})  # fmt: skip
DISQUALIFIED_LEADS = frozenset({
    "disqualified", "closednotconverted", "notconverted", "unqualified", "notqualified",
    "junklead", "junk", "lostlead", "lost", "gediskwalificeerd", "ongekwalificeerd",
    "cannotcontact", "nolongerinterested", "canceled", "cancelled", "badtiming",
    "closeddisqualified", "disqualifiedclosed", "rejected", "afgewezen", "verloren",
})  # fmt: skip
LEAD_STATUSES = ("open", "converted", "disqualified")


# Inputs whose rows have a date, or a span (start and end, a period) their amount is spread over.
SPREAD_KINDS = frozenset({InputKind.COSTS, InputKind.INVESTMENT})


def statuses(kind: InputKind) -> tuple[str, ...]:
    """What a stage or status text of this input maps to."""
    return LEAD_STATUSES if kind is InputKind.LEADS else STATUSES


def header_words(text: object) -> list[str]:
    """A header's words: Unicode-normalised (NFKC), case-folded, accents and a CRM prefix such
    as ``Deal - `` dropped, CamelCase and ``_`` split; letters of every script kept.

    >>> header_words("Deal - CloseDate ")
    ['close', 'date']
    >>> header_words("Deal_ID__c")
    ['deal', 'id']
    >>> header_words("Регион")
    ['регион']
    """
    plain = unicodedata.normalize("NFKC", str(text)).strip().lstrip("\ufeff")
    plain = _CAMEL_RE.sub(" ", _SALESFORCE_CUSTOM_RE.sub("", plain))
    decomposed = unicodedata.normalize("NFKD", plain)
    plain = "".join(c for c in decomposed if ord(c) not in _LATIN_MARKS)
    plain = _PREFIX_RE.sub("", unicodedata.normalize("NFKC", plain).casefold())
    return _WORDS_RE.findall(plain)


def normalise_header(text: object) -> str:
    """What identifies a header: its words joined with nothing in between, so case, CamelCase,
    ``_``, ``-``, spaces and punctuation never matter.

    >>> [normalise_header(h) for h in ("CloseDate", "close_date", "CLOSEDATE", "Close-Date")]
    ['closedate', 'closedate', 'closedate', 'closedate']
    >>> normalise_header("Sluitingsdatum (é)")
    'sluitingsdatume'
    >>> normalise_header("Deal Value, $")
    'dealvalue'
    """
    return "".join(header_words(text))


def normalise_stage(text: str) -> str:
    """Stage text reduced the same way: ``Closed - Won`` → ``closedwon``, ``受注`` stays."""
    return normalise_header(text)


def known_headers() -> frozenset[str]:
    """Every normalised synonym of every input: how a header row is recognised."""
    return frozenset(
        normalise_header(s)
        for kind in InputKind
        for spec in field_specs(kind)
        for s in (spec.name.replace("_", " "), *spec.synonyms)
    )


@dataclass(frozen=True)
class MappingConfig:
    """What a mapping file says about one input kind."""

    columns: Mapping[str, str] = field(default_factory=dict)  # field → header
    stages: Mapping[str, str] = field(default_factory=dict)  # normalised stage → status
    source: str | None = None


MAX_MAPPING_DEPTH = 20  # a real mapping file is 3 deep: the file, [deals], [deals.columns]


def _depth(value: object) -> int:
    """How deeply tables and arrays nest (a scalar is 0), counted without recursion.

    >>> _depth({"deals": {"columns": {"amount": "Net"}}})
    3
    """
    depth, level = 0, [value]
    while level:
        containers = [v for v in level if isinstance(v, dict | list)]
        if not containers:
            break
        depth += 1
        level = [c for v in containers for c in (v.values() if isinstance(v, dict) else v)]
    return depth


def load_mapping(path: Path | None, kind: InputKind) -> MappingConfig:
    """Read the ``[<kind>.columns]`` and ``[<kind>.stages]`` tables of a TOML mapping file.

    With no path, ``crm-roi.toml`` in the working directory is used when it exists.
    """
    if path is None:
        default = Path(DEFAULT_MAPPING_FILE)
        if not default.is_file():
            return MappingConfig()
        path = default
    try:  # a regular file of at most 1 MB: never a pipe or device that blocks or never ends
        data = tomllib.loads(read_settings(path, f"mapping file {path}").decode("utf-8-sig"))
    except FileNotFoundError:
        raise UsageError(f"mapping file {path} does not exist") from None
    except OSError as exc:  # a folder, no permission, …
        raise UsageError(f"mapping file {path} can't be read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"mapping file {path} is not valid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses into nested arrays and inline tables
        data = None
    if data is None or _depth(data) > MAX_MAPPING_DEPTH:
        raise UsageError(
            f"mapping file {path} is nested more than {MAX_MAPPING_DEPTH} levels deep; "
            "a mapping file is [kind.columns] and [kind.stages] tables of text"
        )
    section: Any = data.get(kind.value, {})
    if not isinstance(section, dict):
        raise UsageError(f"mapping file {path}: [{kind.value}] must be a table")
    names = {spec.name for spec in field_specs(kind)}
    for table in ("columns", "stages"):
        if not isinstance(section.get(table, {}), dict):
            raise UsageError(f"mapping file {path}: [{kind.value}.{table}] must be a table")
    columns = section.get("columns", {})
    for name, header in columns.items():
        if name not in names:
            raise UsageError(
                f"mapping file {path}: [{kind.value}.columns] has no field {name!r}; "
                f"fields are {', '.join(sorted(names))}"
            )
        if not isinstance(header, str):
            raise UsageError(f"mapping file {path}: [{kind.value}.columns] {name} must be text")
    stages = {}
    allowed = statuses(kind)
    for stage, status in section.get("stages", {}).items():
        if status not in allowed:
            raise UsageError(
                f"mapping file {path}: [{kind.value}.stages] {stage!r} = {status!r}; "
                f"a stage maps to {', '.join(allowed[:-1])} or {allowed[-1]}"
            )
        stages[normalise_stage(stage)] = status
    return MappingConfig(columns=dict(columns), stages=stages, source=str(path))


@dataclass(frozen=True)
class ColumnMap:
    """How one file's headers are used: canonical field → header, and the headers kept as-is."""

    fields: Mapping[str, str]
    attributes: tuple[str, ...]
    how: Mapping[str, str]  # field → "synonym 'x'" or "mapping file"


def map_columns(
    headers: Sequence[str],
    kind: InputKind,
    config: MappingConfig,
    path: str,
    preset: Mapping[str, str] | None = None,
    preset_title: str = "preset",
    blocked: frozenset[str] = frozenset(),
    optional: frozenset[str] = frozenset(),
) -> ColumnMap:
    """Match headers to the fields of ``kind``; a header serves at most one field, except
    that the mapping file may name one header for two fields.

    The mapping file decides first, then a CRM preset's columns (``preset``: field → header),
    then the synonyms; ``blocked`` fields are not matched by synonym.

    Raises :class:`InputError` when a field the mapping file names has no such header, and
    :class:`MissingColumn` when a required field (not in ``optional``) has no column.
    """
    by_norm: dict[str, list[str]] = {}
    for h in headers:
        by_norm.setdefault(normalise_header(h), []).append(h)
    chosen: dict[str, str] = {}
    how: dict[str, str] = {}
    for name, header in config.columns.items():
        match = header if header in headers else _lookup(by_norm, normalise_header(header))
        if match is None:
            raise InputError(
                path,
                f"the mapping file names column {header!r} for {name}, but there is none; "
                f"headers are {_listing(headers)}",
            )
        chosen[name] = match
        how[name] = "mapping file"
    used = set(chosen.values())
    for name, header in (preset or {}).items():
        if name not in chosen and header not in used:
            chosen[name] = header
            how[name] = preset_title
            used.add(header)
    for spec in field_specs(kind):
        if spec.name in chosen or spec.name in blocked:
            continue
        for synonym in _candidates(spec):
            match = _lookup(by_norm, normalise_header(synonym), exclude=used)
            if match is not None:
                chosen[spec.name] = match
                how[spec.name] = f"synonym {synonym!r}"
                used.add(match)
                break
    for spec in field_specs(kind):
        if spec.required and spec.name not in chosen and spec.name not in optional:
            raise MissingColumn(path, spec, headers)
    if kind in SPREAD_KINDS and not {"date", "start_date"} & chosen.keys():
        raise MissingColumn(path, next(s for s in field_specs(kind) if s.name == "date"), headers)
    attributes = tuple(h for h in headers if h not in used)
    return ColumnMap(fields=chosen, attributes=attributes, how=how)


def _candidates(spec: FieldSpec) -> tuple[str, ...]:
    """The field's own name, then its synonyms; each once (``deal id`` is both)."""
    return tuple(dict.fromkeys((spec.name.replace("_", " "), *spec.synonyms)))


def _lookup(by_norm: Mapping[str, list[str]], key: str, exclude: set[str] = set()) -> str | None:  # noqa: B006
    return next((h for h in by_norm.get(key, []) if h not in exclude), None)


def _listing(headers: Sequence[str], limit: int = 12) -> str:
    """The first headers, each cut to 40 characters: one line, whatever the file holds."""
    shown = ", ".join(repr(h if len(h) <= 40 else h[:39] + "…") for h in headers[:limit])
    return shown + (f", … ({len(headers)} in all)" if len(headers) > limit else "")


class MissingColumn(InputError):
    """A field the file must have has no column; ``likely`` are columns that could be it."""

    def __init__(
        self,
        path: str,
        spec: FieldSpec,
        headers: Sequence[str],
        needed_by: str = "",
        likely: Sequence[tuple[str, str]] = (),
        kind: InputKind | None = None,
    ) -> None:
        self.spec, self.headers, self.needed_by = spec, list(headers), needed_by
        super().__init__(path, missing_column_message(spec, headers, needed_by, likely, kind))


def missing_column_message(
    spec: FieldSpec,
    headers: Sequence[str],
    needed_by: str = "",
    likely: Sequence[tuple[str, str]] = (),
    kind: InputKind | None = None,
) -> str:
    """One line naming the field, who needs it, what was seen, the likeliest columns (by
    content when ``likely`` is given, else by header) and how to map one."""
    norms = {normalise_header(h): h for h in headers}
    wanted = [normalise_header(s) for s in _candidates(spec)]
    close = difflib.get_close_matches(wanted[0], list(norms), n=1, cutoff=0.6)
    for w in wanted[1:]:
        if close:
            break
        close = difflib.get_close_matches(w, list(norms), n=1, cutoff=0.75)
    looked = ", ".join(repr(s) for s in _candidates(spec)[:6])
    why = needed_by or "a required field"
    text = (
        f"no column for {spec.name} ({why}; looked for {looked}, …); "
        f"headers are {_listing(headers)}"
    )
    best = likely[0][0] if likely else (norms[close[0]] if close else None)
    if likely:
        text += "; likeliest by content: " + ", ".join(f"{h!r} ({why})" for h, why in likely)
    elif close:
        text += f"; closest is {best!r}"
    section = f"[{kind.value}.columns]" if kind else "[<kind>.columns]"
    example = json.dumps(best or "Your Header", ensure_ascii=False)
    return text + f"; map it in a mapping file: {section} {spec.name} = {example} (--mapping)"


def stage_status(stage_norm: str, config: MappingConfig, kind: InputKind = InputKind.DEALS) -> str:
    """won / lost / open for a normalised stage text (a lead's: converted / disqualified /
    open); the mapping file decides first."""
    if stage_norm in config.stages:
        return config.stages[stage_norm]
    if kind is InputKind.LEADS:
        if stage_norm in CONVERTED_LEADS:
            return "converted"
        return "disqualified" if stage_norm in DISQUALIFIED_LEADS else "open"
    if stage_norm in WON_STAGES:
        return "won"
    if stage_norm in LOST_STAGES:
        return "lost"
    return "open"
