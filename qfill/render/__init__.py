"""Renderers: records in, ``str`` out. Nothing here prints, and nothing uses rich."""
