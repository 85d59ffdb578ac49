"""Country-name counterfactual probe: swap two countries' names in a text, re-predict, count flips.

A narrative classifier should react to what a text claims, not to which country it names. For
each held-out document that names a country of the configured set, every pair (A, B) of that set
is swapped (A's forms become B's and B's become A's, position by position, in one pass), and the
swapped text is predicted again. The flip rate is the share of swapped texts whose narrative set
changed, per country pair and per label, with examples to read.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from narrascope.errors import DataError
from narrascope.eval.bootstrap import Settings, share
from narrascope.eval.predictions import run_model
from narrascope.schema import Document

DEFAULT_NAMES = Path(__file__).parent / "probes" / "country_names.yaml"
# Scripts written without spaces between words, or with attached prefixes: match substrings.
SUBSTRING_LANGUAGES = frozenset({"zh", "ja", "ar"})
EXAMPLES = 5
CONTEXT = 80


@dataclass(frozen=True)
class NameSets:
    countries: tuple[str, ...]
    names: dict[str, dict[str, list[str]]]  # language -> country -> aligned surface forms
    # language -> longer words that contain a name but are not it (白俄罗斯 Belarus holds 俄罗斯)
    exclude: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path = DEFAULT_NAMES) -> NameSets:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        countries = tuple(raw["countries"])
        for lang, by_country in raw["names"].items():
            lengths = {c: len(by_country.get(c, [])) for c in countries}
            if len(set(lengths.values())) != 1 or not min(lengths.values()):
                raise DataError(
                    f"language {lang!r} needs the same number of name forms for every "
                    f"country, found {lengths}",
                    file=str(path),
                )
        return cls(countries, raw["names"], raw.get("exclude") or {})

    def pairs(self) -> list[tuple[str, str]]:
        return list(itertools.combinations(self.countries, 2))

    def swap(self, text: str, lang: str, a: str, b: str) -> str | None:
        """`text` with A's and B's names exchanged; None when it names neither."""
        forms = self.names.get(lang)
        if not forms:
            return None
        mapping = dict(zip(forms[a], forms[b])) | dict(zip(forms[b], forms[a]))
        alternatives = "|".join(re.escape(f) for f in sorted(mapping, key=len, reverse=True))
        pattern = (
            alternatives if lang in SUBSTRING_LANGUAGES else rf"(?<!\w)(?:{alternatives})(?!\w)"
        )
        shielded = _spans(text, self.exclude.get(lang, []))
        count = 0

        def exchange(match: re.Match) -> str:
            nonlocal count
            if any(a <= match.start() < b for a, b in shielded):
                return match.group(0)
            count += 1
            return mapping[match.group(0)]

        swapped = re.sub(pattern, exchange, text)
        return swapped if count else None


def _spans(text: str, words: list[str]) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for w in words for m in re.finditer(re.escape(w), text)]


def probe(predictor, docs: list[Document], narratives: list[tuple], names: NameSets, settings):
    """Flip rates of `predictor` under country-name swaps; `narratives` are its original outputs."""
    variants = [
        (i, pair, swapped)
        for i, doc in enumerate(docs)
        for pair in names.pairs()
        if (swapped := names.swap(doc.text, doc.lang, *pair)) is not None
    ]
    swapped_docs = [docs[i].model_copy(update={"text": text}) for i, _, text in variants]
    after = [frozenset(n) for n in run_model(predictor, swapped_docs).narratives]
    before = [frozenset(narratives[i]) for i, _, _ in variants]
    flipped = np.array([b != a for b, a in zip(before, after)], dtype=bool)
    return {
        "countries": list(names.countries),
        "languages": sorted(names.names),
        "probed_documents": len({i for i, _, _ in variants}),
        "variants": len(variants),
        "flip_rate": _flip_figure(flipped, settings),
        "per_pair": _per_pair(variants, flipped, settings),
        "per_label": _per_label(before, after),
        "examples": _examples(docs, variants, before, after, flipped),
    }


def _flip_figure(flipped: np.ndarray, settings: Settings) -> dict:
    return {**share(flipped, settings), "flipped": int(flipped.sum())}


def _per_pair(variants, flipped, settings) -> dict:
    keys = np.array([f"{a}<->{b}" for _, (a, b), _ in variants])
    return {k: _flip_figure(flipped[keys == k], settings) for k in sorted(set(keys))}


def _per_label(before: list[frozenset], after: list[frozenset]) -> dict:
    """For each narrative: how often a swap added it and how often a swap removed it."""
    rows: dict[str, dict] = {}
    for b, a in zip(before, after):
        for label in b ^ a:
            row = rows.setdefault(label, {"added": 0, "removed": 0})
            row["added" if label in a else "removed"] += 1
    total = max(len(before), 1)
    for row in rows.values():
        row["flip_rate"] = round((row["added"] + row["removed"]) / total, 6)
    return dict(sorted(rows.items(), key=lambda kv: -kv[1]["flip_rate"]))


def _examples(docs, variants, before, after, flipped) -> list[dict]:
    examples = []
    for k in [k for k in range(len(variants)) if flipped[k]][:EXAMPLES]:
        doc, (a, b), swapped = docs[variants[k][0]], variants[k][1], variants[k][2]
        original_span, swapped_span = _first_difference(doc.text, swapped)
        examples.append(
            {
                "id": doc.id,
                "lang": doc.lang,
                "pair": f"{a}<->{b}",
                "before": sorted(before[k]),
                "after": sorted(after[k]),
                "original": original_span,
                "swapped": swapped_span,
            }
        )
    return examples


def _first_difference(original: str, swapped: str) -> tuple[str, str]:
    """The stretch of both texts around the first swapped name."""
    at = next((i for i, (x, y) in enumerate(zip(original, swapped)) if x != y), 0)
    start = max(at - CONTEXT // 2, 0)
    return original[start : start + CONTEXT], swapped[start : start + CONTEXT]
