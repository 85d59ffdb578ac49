"""Loaders for labelled documents: JSONL, CSV and SemEval-2025-Task-10-style folders.

Every problem is reported with file, line and field. Nothing is skipped silently: with
`skip_invalid=True` bad records are left out *and* returned as errors for the caller to show.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from narrascope.errors import DataError
from narrascope.files import parse_jsonl, read_text
from narrascope.schema import OTHER, Document
from narrascope.taxonomy import Taxonomy

LIST_FIELDS = ("narratives", "subnarratives", "talking_points")
SEMEVAL_ANNOTATIONS = "subtask-2-annotations.txt"


@dataclass
class LoadResult:
    documents: list[Document]
    errors: list[DataError] = field(default_factory=list)
    # ids of documents read without labels (a SemEval test folder): to predict, not to score
    unlabelled: set[str] = field(default_factory=set)


def load_documents(
    path: str | Path,
    taxonomy: Taxonomy | None = None,
    *,
    skip_invalid: bool = False,
    lang: str | None = None,
    ignore_labels: bool = False,
) -> LoadResult:
    """Load JSONL, CSV or a SemEval folder, chosen by what `path` is.

    `ignore_labels` (SemEval folders) reads the texts only, as prediction needs.
    """
    path = Path(path)
    if path.is_dir():
        return load_semeval(
            path, taxonomy, skip_invalid=skip_invalid, lang=lang, ignore_labels=ignore_labels
        )
    if not path.exists():
        raise DataError("no such file or folder", file=str(path))
    if path.suffix == ".csv":
        rows = _csv_rows(path)
    elif path.suffix in (".jsonl", ".ndjson"):
        rows = _jsonl_rows(path)
    else:
        raise DataError(
            "unsupported data format; use .jsonl, .csv or a SemEval folder", file=str(path)
        )
    return _validate_rows(rows, str(path), taxonomy, skip_invalid)


def _jsonl_rows(path: Path):
    # Decoded whole first: an invalid UTF-8 byte is located exactly (line and byte).
    yield from parse_jsonl(read_text(path).splitlines(), str(path))


def _csv_rows(path: Path):
    reader = csv.DictReader(read_text(path).splitlines())
    for row in reader:
        yield reader.line_num, _csv_record(row, reader.line_num, str(path))


def _csv_record(row: dict, number: int, source: str) -> dict | DataError:
    if None in row:
        return DataError("more values than header columns", file=source, line=number)
    # CSV has no lists: label columns hold ';'-separated ids, empty cells mean "absent".
    clean = {k: v for k, v in row.items() if v not in ("", None)}
    for key in LIST_FIELDS:
        if key in clean:
            clean[key] = [p.strip() for p in clean[key].split(";") if p.strip()]
    return clean


def _validate_rows(rows, source: str, taxonomy: Taxonomy | None, skip_invalid: bool) -> LoadResult:
    result, seen = LoadResult([]), set()
    for number, row in rows:
        try:
            if isinstance(row, DataError):
                raise row
            doc = _to_document(row, source, number, taxonomy)
            if doc.id in seen:
                raise DataError(f"duplicate id '{doc.id}'", file=source, line=number, field="id")
            seen.add(doc.id)
            result.documents.append(doc)
        except DataError as err:
            if not skip_invalid:
                raise
            result.errors.append(err)
    return result


def _to_document(row: dict, source: str, number: int, taxonomy: Taxonomy | None) -> Document:
    try:
        doc = Document(**row)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]) or None
        message = "unknown field" if first["type"] == "extra_forbidden" else first["msg"]
        raise DataError(message, file=source, line=number, field=name) from None
    if taxonomy is not None:
        problem = taxonomy.check_labels(doc.narratives, doc.subnarratives)
        if problem:
            raise DataError(problem, file=source, line=number, field="narratives")
    return doc


def iter_document_batches(path: str | Path, batch_size: int = 512):
    """Stream a JSONL or CSV file as lists of Documents, holding one batch in memory at a time.

    For corpora too large to load (tracking): records are checked against the schema only, and
    a bad record stops the stream with its file and line.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("no such file", file=str(path))
    if path.suffix.lower() not in (".jsonl", ".csv"):
        raise DataError("streaming reads .jsonl or .csv", file=str(path))
    batch: list[Document] = []
    with open(path, encoding="utf-8", newline="") as handle:
        csv_file = path.suffix.lower() == ".csv"
        rows = _csv_stream(handle) if csv_file else parse_jsonl(handle, str(path))
        for number, row in rows:
            if isinstance(row, DataError):
                raise row
            batch.append(_to_document(row, str(path), number, None))
            if len(batch) == batch_size:
                yield batch
                batch = []
    if batch:
        yield batch


def _csv_stream(handle):
    reader = csv.DictReader(handle)
    for row in reader:
        yield reader.line_num, _csv_record(row, reader.line_num, handle.name)


# -- SemEval-2025 Task 10 folders ---------------------------------------------------------------
# The official releases keep each language in its own folder (`EN/`, `BG/`, ...). Training data
# has its texts in `raw-documents/`; the development and test releases in
# `subtask-2-documents/`. A test release has no annotation file: its documents are loaded
# unlabelled, to be predicted, and listed in `LoadResult.unlabelled`.
SEMEVAL_TEXT_FOLDERS = ("raw-documents", "subtask-2-documents")


def load_semeval(
    root: Path,
    taxonomy: Taxonomy | None,
    *,
    skip_invalid: bool = False,
    lang: str | None = None,
    ignore_labels: bool = False,
) -> LoadResult:
    """Read SemEval-2025 Task 10 language folders under `root` (or `root` itself).

    Labels are SemEval strings mapped to taxonomy ids; `ignore_labels=True` reads the texts
    only (for prediction: a development folder's labels need not fit the model's taxonomy).
    """
    folders = semeval_language_folders(root)
    result = LoadResult([])
    for folder in folders:
        code = (lang or folder.name).lower()[:2]
        annotations = folder / SEMEVAL_ANNOTATIONS
        labelled = annotations.is_file() and not ignore_labels
        if labelled:
            if taxonomy is None:
                raise DataError(
                    "a taxonomy is needed to map SemEval label names (derive one with "
                    "`narrascope data taxonomy --from-semeval FOLDER --out taxonomy.yaml`)",
                    file=str(annotations),
                )
            rows, source = _semeval_rows(folder, taxonomy, code), str(annotations)
        else:
            rows, source = _semeval_unlabelled_rows(folder, code), str(_text_folder(folder))
        part = _validate_rows(rows, source, taxonomy, skip_invalid)
        if not labelled:
            result.unlabelled |= {d.id for d in part.documents}
        result.documents += part.documents
        result.errors += part.errors
    return result


def semeval_language_folders(root: Path) -> list[Path]:
    """`root` when it is one language folder, else its language sub-folders, sorted."""
    root = Path(root)
    if _is_semeval_language_folder(root):
        return [root]
    folders = sorted(p for p in root.iterdir() if _is_semeval_language_folder(p))
    if not folders:
        raise DataError(
            f"not a SemEval folder: no {SEMEVAL_ANNOTATIONS} or "
            f"{' / '.join(SEMEVAL_TEXT_FOLDERS)} in it or its sub-folders",
            file=str(root),
        )
    return folders


def _is_semeval_language_folder(path: Path) -> bool:
    return path.is_dir() and (
        (path / SEMEVAL_ANNOTATIONS).is_file()
        or any((path / name).is_dir() for name in SEMEVAL_TEXT_FOLDERS)
    )


def _text_folder(folder: Path) -> Path:
    """The folder holding the texts: the first of SEMEVAL_TEXT_FOLDERS that exists."""
    for name in SEMEVAL_TEXT_FOLDERS:
        if (folder / name).is_dir():
            return folder / name
    return folder / SEMEVAL_TEXT_FOLDERS[0]


def _semeval_text_path(folder: Path, article_id: str) -> Path | None:
    for name in SEMEVAL_TEXT_FOLDERS:
        if (folder / name / article_id).is_file():
            return folder / name / article_id
    return None


def _semeval_unlabelled_rows(folder: Path, lang: str):
    texts = _text_folder(folder)
    if not texts.is_dir():
        yield 0, DataError("no documents folder", file=str(texts))
        return
    for number, path in enumerate(sorted(p for p in texts.iterdir() if p.is_file()), 1):
        try:
            yield number, {"id": path.name, "text": read_text(path), "lang": lang}
        except DataError as err:
            yield number, err


def _semeval_rows(folder: Path, taxonomy: Taxonomy, lang: str):
    annotations = folder / SEMEVAL_ANNOTATIONS
    for number, line in enumerate(read_text(annotations).splitlines(), 1):
        if not line.strip():
            continue
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 3:
            yield (
                number,
                DataError(
                    f"expected 3 tab-separated columns, found {len(parts)}",
                    file=str(annotations),
                    line=number,
                ),
            )
            continue
        article_id, narr_field, sub_field = (p.strip() for p in parts)
        try:
            narratives = semeval_label_ids(narr_field, taxonomy)
            subs = semeval_label_ids(sub_field, taxonomy)
        except KeyError as exc:
            yield (
                number,
                DataError(
                    f"unknown label {exc.args[0]!r}",
                    file=str(annotations),
                    line=number,
                    field="narratives",
                ),
            )
            continue
        text_path = _semeval_text_path(folder, article_id)
        if text_path is None:
            yield (
                number,
                DataError(
                    f"document file missing: {article_id} in "
                    f"{' or '.join(str(folder / n) for n in SEMEVAL_TEXT_FOLDERS)}",
                    file=str(annotations),
                    line=number,
                    field="article_id",
                ),
            )
            continue
        try:
            text = read_text(text_path)
        except DataError as err:
            yield number, err
            continue
        yield (
            number,
            {
                "id": article_id,
                "text": text,
                "lang": lang,
                "narratives": narratives,
                "subnarratives": subs,
            },
        )


def semeval_label_ids(field_value: str, taxonomy: Taxonomy) -> list[str]:
    names = [n.strip() for n in field_value.split(";") if n.strip() and n.strip() != OTHER]
    ids = [taxonomy.from_semeval_name(n) for n in names]
    return list(dict.fromkeys(i for i in ids if i is not None))


# -- hashing (for lineage) ------------------------------------------------------------------------
def sha256_file(path: str | Path) -> str:
    return sha256_files([path])


def file_hashes(folder: str | Path) -> dict[str, str]:
    """sha256 of every file under `folder`, keyed by its relative POSIX name, sorted."""
    folder = Path(folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): sha256_file(p) for p in files}


def sha256_path(path: str | Path) -> str:
    """A file's sha256, or a folder's (a SemEval release): one sha256 over its files' relative
    names and hashes in sorted order, so adding, removing, renaming or editing a file changes it."""
    path = Path(path)
    if not path.is_dir():
        return sha256_file(path)
    digest = hashlib.sha256()
    for name, sha in file_hashes(path).items():
        digest.update(f"{name}\0{sha}\n".encode())
    return digest.hexdigest()


def sha256_files(paths) -> str:
    """One sha256 over the files' bytes, read in order, streamed (models are hundreds of MB)."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()
