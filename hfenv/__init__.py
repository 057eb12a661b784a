"""hfenv: point Hugging Face clients at the fastest Hub endpoint that works."""

__version__ = "0.1.0"
