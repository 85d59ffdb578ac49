"""Derive a taxonomy from the label strings of SemEval-2025 Task 10 annotation files.

    narrascope data taxonomy --from-semeval data/semeval/train data/semeval/dev --out tax.yaml

The task's labels are strings: "URW: Blaming the war on others rather than the invader" (domain
code, narrative) and "URW: Blaming the war on others rather than the invader: The West are the
aggressors" (its subnarrative). `Other` (no narrative) and "<narrative>: Other" (a narrative
with no subnarrative) are not nodes: the loader maps them to "no label". Labels are kept
verbatim, so `Taxonomy.semeval_name` gives back exactly the strings found, and ids are derived
from the label text alone, so the same label gets the same id whichever folders are read.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from narrascope.data import SEMEVAL_ANNOTATIONS, semeval_language_folders
from narrascope.errors import DataError
from narrascope.files import read_text
from narrascope.schema import OTHER
from narrascope.taxonomy import Taxonomy

_SLUG_WORDS = 6  # enough to tell the task's narratives apart, short enough to read
DOMAIN_LABELS = {"URW": "Ukraine-Russia war", "CC": "Climate change"}  # the task's two domains


def collect_labels(folders: list[str | Path]) -> tuple[set[str], set[str]]:
    """(narrative strings, subnarrative strings) over every annotation file in `folders`."""
    narratives: set[str] = set()
    subs: set[str] = set()
    files = [f / SEMEVAL_ANNOTATIONS for root in folders for f in _annotated(Path(root))]
    if not files:
        raise DataError(f"no {SEMEVAL_ANNOTATIONS} found", file=", ".join(map(str, folders)))
    for path in files:
        for number, line in enumerate(read_text(path).splitlines(), 1):
            if not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) != 3:
                raise DataError(
                    f"expected 3 tab-separated columns, found {len(parts)}",
                    file=str(path),
                    line=number,
                )
            narratives |= _names(parts[1])
            subs |= _names(parts[2])
    return narratives, subs


def derive_taxonomy(narratives: set[str], subnarratives: set[str], version: str | None = None):
    """A raw taxonomy dict (as `Taxonomy.from_dict` reads it) holding every label given."""
    tree: dict[str, dict[str, set[str]]] = {}  # domain -> narrative label -> sub labels
    known = set(narratives)
    for name in sorted(narratives):
        domain, label = _split_narrative(name)
        tree.setdefault(domain, {}).setdefault(label, set())
    for name in sorted(subnarratives):
        if name.endswith(f": {OTHER}"):
            continue  # "<narrative>: Other" = the narrative alone
        parent = _parent_of(name, known)
        domain, label = _split_narrative(parent)
        tree.setdefault(domain, {}).setdefault(label, set()).add(name[len(parent) + 2 :])
    raw = {
        "version": version or "semeval-" + _digest(sorted(narratives | subnarratives))[:8],
        "domains": [_domain(code, tree[code]) for code in sorted(tree)],
    }
    Taxonomy.from_dict(raw, source="<derived from SemEval labels>")  # same checks as a file
    return raw


def _annotated(root: Path) -> list[Path]:
    if not root.exists():
        raise DataError("no such folder", file=str(root))
    if root.is_file():
        raise DataError("expected a SemEval folder, not a file", file=str(root))
    return [f for f in semeval_language_folders(root) if (f / SEMEVAL_ANNOTATIONS).is_file()]


def _names(field_value: str) -> set[str]:
    return {n.strip() for n in field_value.split(";") if n.strip() and n.strip() != OTHER}


def _split_narrative(name: str) -> tuple[str, str]:
    domain, sep, label = name.partition(": ")
    if not sep or not domain.strip() or not label.strip():
        raise DataError(f"label {name!r} is not 'DOMAIN: narrative'")
    return domain, label


def _parent_of(sub: str, narratives: set[str]) -> str:
    """The longest known narrative string the subnarrative starts with; else its first two
    parts (a subnarrative whose narrative never appears in the narratives column)."""
    parents = [n for n in narratives if sub.startswith(n + ": ")]
    if parents:
        return max(parents, key=len)
    parts = sub.split(": ")
    if len(parts) < 3:
        raise DataError(f"subnarrative {sub!r} is not 'DOMAIN: narrative: subnarrative'")
    narratives.add(": ".join(parts[:2]))
    return ": ".join(parts[:2])


def _domain(code: str, narratives: dict[str, set[str]]) -> dict:
    # The domain id is the code verbatim: SemEval names are "<domain id>: <label>".
    entries = []
    for label in sorted(narratives):
        nar_id = f"{code}.{slug(label)}"
        subs = [
            {"id": f"{nar_id}.{slug(s)}", "label": s, "description": s}
            for s in sorted(narratives[label])
        ]
        entries.append({"id": nar_id, "label": label, "description": label, "subnarratives": subs})
    label = DOMAIN_LABELS.get(code, code)
    return {
        "id": code,
        "label": label,
        "description": f"SemEval-2025 Task 10 domain {code}: {label}",
        "narratives": entries,
    }


def slug(label: str) -> str:
    """A readable id part from the label text alone: its first words in lower-case ASCII, with a
    short hash of the whole label when words were dropped (so two labels never share one)."""
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    short = "_".join(words[:_SLUG_WORDS])
    if len(words) > _SLUG_WORDS or not short:
        short = f"{short}_{_digest([label])[:6]}".lstrip("_")
    return short


def _digest(strings: list[str]) -> str:
    return hashlib.sha256("\n".join(strings).encode("utf-8")).hexdigest()


def write_taxonomy(folders: list[str | Path], out: str | Path) -> Taxonomy:
    """Derive the taxonomy of `folders`' labels and write it as YAML to `out`."""
    import yaml

    raw = derive_taxonomy(*collect_labels(folders))
    header = "# Derived from SemEval-2025 Task 10 labels by `narrascope data taxonomy`.\n"
    body = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, width=100)
    Path(out).write_text(header + body, encoding="utf-8")
    return Taxonomy.from_dict(raw, source=str(out))
