"""The toolkit's version, in one place (read by the package, the review's evidence and the report)."""

__version__ = "0.1.0"
