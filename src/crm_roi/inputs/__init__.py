"""Files → validated columns: read, map, validate (see docs/code.md)."""
