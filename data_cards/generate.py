"""Generate data_cards/narrascope-corpus.md from the bundled corpus.

    narrascope data card            # rewrite the card
    narrascope data card --check    # fail if the committed card drifted from the data

Every figure below the YAML header is computed here; the prose sections are fixed text.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from narrascope.data import load_documents, sha256_file
from narrascope.files import read_jsonl
from narrascope.markdown import table as markdown_table
from narrascope.schema import OTHER
from narrascope.taxonomy import Taxonomy

CARD_PATH = Path("data_cards/narrascope-corpus.md")
SPLITS = {"train": "data/corpus/train.jsonl", "test": "data/corpus/test.jsonl"}
TAXONOMY = "data/taxonomy.yaml"
TALKING_POINTS = "data/talking_points.jsonl"


def render_card(root: Path) -> str:
    taxonomy = Taxonomy.load(root / TAXONOMY)
    splits = {
        name: load_documents(root / path, taxonomy).documents for name, path in SPLITS.items()
    }
    docs = [d for part in splits.values() for d in part]
    points = [point for _, point in read_jsonl(root / TALKING_POINTS)]
    langs = sorted({d.lang for d in docs})
    countries = sorted({d.country or "??" for d in docs})
    return "\n".join(
        [
            _header(root, taxonomy, splits, docs, points, langs, countries),
            _MOTIVATION,
            "## Composition",
            "",
            _overview(docs, langs, countries),
            "",
            "### Documents per language and split",
            "",
            _table(
                ["language", *splits, "Other", "countries"],
                [
                    [
                        lang,
                        *[sum(d.lang == lang for d in part) for part in splits.values()],
                        sum(d.lang == lang and d.is_other for d in docs),
                        ", ".join(sorted({d.country for d in docs if d.lang == lang})),
                    ]
                    for lang in langs
                ],
            ),
            "### Documents per language × country",
            "",
            _cross(docs, langs, countries, lambda d, lang, c: d.lang == lang and d.country == c),
            "### Narrative labels per language (a document can carry several)",
            "",
            _label_table(docs, taxonomy.narrative_ids, langs, key=lambda d: d.lang),
            "### Narrative labels per language × country (documents carrying each narrative)",
            "",
            _three_way(docs, taxonomy),
            "### Narrative labels per country",
            "",
            _label_table(docs, taxonomy.narrative_ids, countries, key=lambda d: d.country),
            "### Subnarrative labels per language",
            "",
            _table(
                ["subnarrative", *langs, "total"],
                [
                    [
                        f"`{s}`",
                        *[sum(s in d.subnarratives and d.lang == g for d in docs) for g in langs],
                        sum(s in d.subnarratives for d in docs),
                    ]
                    for s in taxonomy.subnarrative_ids
                ],
            ),
            "### Source types per language",
            "",
            _cross(
                docs,
                langs,
                [t.value for t in _source_types(docs)],
                lambda d, lang, t: d.lang == lang and d.source_type.value == t,
            ),
            "### Documents per month",
            "",
            _table(
                ["month", "documents"], sorted(Counter(str(d.published)[:7] for d in docs).items())
            ),
            "### Talking points",
            "",
            f"{len(points)} talking points; phrasings per language: "
            + ", ".join(
                f"{k} {v}"
                for k, v in sorted(Counter(lang for p in points for lang in p["phrasings"]).items())
            )
            + ". "
            f"{sum(bool(d.talking_points) for d in docs)} documents are tagged with at least one.",
            "",
            _COLLECTION,
            _USES,
            _BIASES,
            _LICENCE,
        ]
    )


def _overview(docs, langs, countries) -> str:
    n_other = sum(d.is_other for d in docs)
    return (
        f"{len(docs)} documents in {len(langs)} languages from {len(countries)} source "
        f"countries, published {min(d.published for d in docs)} to "
        f"{max(d.published for d in docs)}. {n_other} documents ({_pct(n_other, len(docs))}) "
        f"carry no narrative (`{OTHER}`)."
    )


def _header(root, taxonomy, splits, docs, points, langs, countries) -> str:
    files = {p: sha256_file(root / p) for p in [*SPLITS.values(), TAXONOMY, TALKING_POINTS]}
    lines = [
        "---",
        "name: narrascope-corpus",
        "version: 1.0.0",
        f"documents: {len(docs)}",
        *[f"{name}_documents: {len(part)}" for name, part in splits.items()],
        f"languages: [{', '.join(langs)}]",
        f"countries: [{', '.join(countries)}]",
        f'taxonomy_version: "{taxonomy.version}"',
        f"narratives: {len(taxonomy.narratives)}",
        f"subnarratives: {len(taxonomy.subnarratives)}",
        f"talking_points: {len(points)}",
        "licence: CC-BY-4.0",
        "sha256:",
        *[f"  {path}: {digest}" for path, digest in files.items()],
        "---",
        "",
        "# Data card: narrascope bundled corpus",
        "",
    ]
    return "\n".join(lines)


def _label_table(docs, narrative_ids, groups, key) -> str:
    rows = [
        [
            f"`{n}`",
            *[sum(n in d.narratives and key(d) == g for d in docs) for g in groups],
            sum(n in d.narratives for d in docs),
        ]
        for n in narrative_ids
    ]
    rows.append(
        [
            f"`{OTHER}`",
            *[sum(d.is_other and key(d) == g for d in docs) for g in groups],
            sum(d.is_other for d in docs),
        ]
    )
    return _table(["narrative", *groups, "total"], rows)


def _three_way(docs, taxonomy) -> str:
    pairs = sorted({(d.lang, d.country) for d in docs})
    short = [n.split(".", 1)[1] for n in taxonomy.narrative_ids]
    rows = [
        [
            lang,
            country,
            *[
                sum(n in d.narratives and (d.lang, d.country) == (lang, country) for d in docs)
                for n in taxonomy.narrative_ids
            ],
            sum(d.is_other and (d.lang, d.country) == (lang, country) for d in docs),
        ]
        for lang, country in pairs
    ]
    return _table(["language", "country", *short, OTHER], rows)


def _cross(docs, rows, cols, match) -> str:
    body = [[r, *[sum(match(d, r, c) for d in docs) for c in cols]] for r in rows]
    return _table(["", *cols], body)


def _source_types(docs):
    return sorted({d.source_type for d in docs}, key=lambda t: t.value)


def _table(header, rows) -> str:
    return markdown_table(header, rows) + "\n"


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%"


_MOTIVATION = """## Motivation

A small, openly licensed, multilingual corpus to train and test narrascope end to end without any
download: texts that carry state-media propaganda narratives (war in Ukraine, climate policy,
democracy and world order) beside ordinary news on the same topics. It is a development and
demonstration corpus — large enough to train a linear model and to show per-language and
per-country differences, far too small to certify a model for production.
"""

_COLLECTION = """## Collection

Every text was written for this project (with AI assistance, reviewed by the maintainers) in the
style of news snippets, official statements and social posts; none is copied from a real article,
post or data set. Outlet names and handles are fictional; no real private person appears, and no
invented quote is attributed to a named politician. Each text was labelled by its writer against
`data/taxonomy.yaml` and checked by a script (ids, label tree, counts). The test split is fixed: a
seeded 20% per language, stratified by `Other` versus narrative, stored as `data/corpus/test.jsonl`.
"""

_USES = """## Intended uses

Training and testing narrascope's models, tests and demos; teaching. Not for measuring how common
a narrative is in the real world, and not as evidence about any real outlet, country or person.
"""

_BIASES = """## Known biases and limitations

- Synthetic text: real propaganda is noisier, longer, more allusive and often multimodal.
- Narratives are correlated with source country and source type (state media of some countries
  carry most narratives), so a model can learn country or outlet cues instead of content; the
  evaluation reports per country and bias probes exist for this reason.
- Writers' choices of wording per language differ: per-language scores compare models, not
  languages.
- Few documents per subnarrative (often one to three per language): subnarrative figures have
  wide uncertainty.
"""

_LICENCE = """## Licence

CC-BY-4.0 for the corpus, taxonomy and talking points (written for narrascope). The real data
sets used for development (`../shared/data/`) are not part of this corpus or this repository.
"""
