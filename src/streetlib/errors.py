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


class Located(str):
    """An error message ``file[:where]: problem. fix`` that keeps its parts.

    It is a plain string to every caller; the build reads ``path``, ``where``,
    ``problem`` and ``fix`` from it to list a document's problems in ``build_problems``.
    """

    path: str
    where: str | int | None
    problem: str
    fix: str

    def __new__(cls, path: object, where: str | int | None, problem: str, fix: str) -> Located:
        place = f"{path}" if where is None else f"{path}:{where}"
        message = super().__new__(cls, f"{place}: {problem}. {fix}")
        message.path, message.where, message.problem, message.fix = str(path), where, problem, fix
        return message


def located(path: object, where: str | int | None, problem: str, fix: str) -> Located:
    """Format an error message: ``file[:where]: problem. fix`` (see :class:`Located`)."""
    return Located(path, where, problem, fix)


class LabelError(StreetlibError):
    """A label has no entry in the glossary for the language asked for."""
