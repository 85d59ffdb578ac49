"""Errors that name what is wrong and where, so the CLI can print them without a traceback."""


class NarrascopeError(Exception):
    """Base class for every error the CLI reports as a one-line message."""


class DataError(NarrascopeError):
    """Bad input data, located by file, line and field."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ):
        self.file, self.line, self.field, self.reason = file, line, field, message
        where = ":".join(str(p) for p in (file, line) if p is not None)
        prefix = f"{where}: " if where else ""
        field_part = f"field '{field}': " if field else ""
        super().__init__(f"{prefix}{field_part}{message}")


class ArtifactError(NarrascopeError):
    """A model artifact is missing, malformed or fails its integrity check."""
