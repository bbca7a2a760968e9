"""The package's own error types.

Every error streetlib raises on bad input is a :class:`StreetlibError`: its
message names the file, the entry or line, what is wrong and what to do.
"""

from __future__ import annotations


class StreetlibError(Exception):
    """Base class of every error streetlib raises on purpose."""


class ManifestError(StreetlibError):
    """The manifest is missing, malformed, or disagrees with the raw files."""


class SourceError(StreetlibError):
    """A raw source file cannot be read as the manifest says."""


class BuildError(StreetlibError):
    """A build stage found input it refuses to turn into tables."""


class DataNotBuiltError(StreetlibError):
    """A table was requested that ``streetlib build`` has not written."""


def located(path: object, where: str | int | None, problem: str, fix: str) -> str:
    """Format an error message: ``file[:where]: problem. fix``."""
    place = f"{path}" if where is None else f"{path}:{where}"
    return f"{place}: {problem}. {fix}"


class LabelError(StreetlibError):
    """A label has no entry in the glossary for the language asked for."""
