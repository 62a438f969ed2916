"""tmplint: find and rewrite scratch files in the shared system temp dir."""
__version__ = "0.1.0"
