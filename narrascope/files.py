"""Files the project reads and writes: atomic replacement, JSON, JSONL, UTF-8 text.

- Atomic: every file a reader might open while it is being written (registry aliases, reports,
  checkpoints, Parquet parts, STIX bundles) is written to a sibling temporary file, flushed to
  disk and renamed over the target, so a reader sees the old file or the new one, never half;
  folders (artifacts, the converted encoder) are filled under a temporary name and renamed.
- JSON: one format (2-space indent, sorted keys, UTF-8 unescaped, trailing newline), so the same
  data gives the same bytes whoever writes it.
- JSONL: one reader. Blank lines are skipped; a malformed line is a `DataError` naming the file
  and line, which `parse_jsonl` yields in place of the record (a caller that skips bad records
  can) and `read_jsonl` raises.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from narrascope.errors import DataError


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary sibling of `path` to write; on success it replaces `path`.

    The name carries the process id, so two writers never share a temporary file; on an error
    the temporary file is removed and `path` is left as it was.
    """
    path = Path(path)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())  # the bytes are on disk before the name points at them
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_directory(target: str | Path) -> Iterator[Path]:
    """Yield an empty temporary sibling folder to fill; on success it replaces `target`.

    A crash mid-way never leaves a half-written artifact or cache under `target`'s name.
    """
    target = Path(target)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        yield tmp
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_writable(folder: str | Path) -> None:
    """Create `folder` if needed and write (then drop) a file in it; OSError if it cannot."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=folder):
        pass


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def dump_json(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write_json(path: str | Path, data) -> Path:
    """Write `data` as JSON in the project's one format, atomically."""
    return write_text(path, dump_json(data))


def write_jsonl(path: str | Path, rows: Iterable[dict]) -> Path:
    """One JSON object per line (keys in the order given), atomically."""
    return write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def read_text(path: str | Path) -> str:
    """The file decoded as UTF-8; an invalid byte is a DataError with its line and byte."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror or exc}", file=str(path)) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(f"invalid UTF-8 at byte {exc.start}", file=str(path), line=line) from None


def parse_jsonl(lines: Iterable[str], source: str) -> Iterator[tuple[int, dict | DataError]]:
    """(line number, object) for every non-blank line; a bad line gives a DataError instead.

    `lines` may be an open text file (streamed: an invalid UTF-8 byte ends the stream with a
    DataError on the line after the last good one) or a list of already decoded lines.
    """
    number = 0
    try:
        for number, line in enumerate(lines, 1):
            if line.strip():
                yield number, _record(line, source, number)
    except UnicodeDecodeError:
        yield number + 1, DataError("invalid UTF-8", file=source, line=number + 1)


def read_jsonl(path: str | Path) -> Iterator[tuple[int, dict]]:
    """(line number, object) for every record of a JSONL file; raises at the first bad line."""
    for number, row in parse_jsonl(read_text(path).splitlines(), str(path)):
        if isinstance(row, DataError):
            raise row
        yield number, row


def _record(line: str, source: str, number: int) -> dict | DataError:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return DataError(f"malformed JSON: {exc.msg}", file=source, line=number)
    if not isinstance(row, dict):
        return DataError("each line must be a JSON object", file=source, line=number)
    return row
