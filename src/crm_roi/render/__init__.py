"""Renderers: results in, text or files out. A renderer never parses or computes."""
