"""--by names → columns: a dimension names a kept attribute or a mapped field by the file's
own header, or a canonical field by its name or a synonym (compared as headers are).
"""

from __future__ import annotations

import pandas as pd

from crm_roi.inputs.mapping import normalise_header
from crm_roi.inputs.schema import InputKind, field_specs
from crm_roi.inputs.validate import ROW


def find_column(
    frame: pd.DataFrame, dim: str, kind: InputKind, aliases: dict[str, str] | None = None
) -> str | None:
    """The column of ``frame`` that ``dim`` names: a kept attribute or a mapped field by the
    file's own header, else a canonical field by name or synonym; compared normalised."""
    want = normalise_header(dim)
    if not want or want == normalise_header(ROW):
        return None
    for column in frame.columns:
        if normalise_header(column) == want and column != ROW:
            return str(column)
    field = (aliases or {}).get(want)
    if field is not None and field in frame.columns:
        return field
    for spec in field_specs(kind):
        names = {normalise_header(spec.name), *(normalise_header(s) for s in spec.synonyms)}
        if want in names and spec.name in frame.columns:
            return spec.name
    return None
