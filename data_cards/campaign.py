"""The data card of a campaign added with `narrascope campaign add` (data_cards/campaign-<name>.md).

Like the corpus card, every figure is computed from the data; the card records the hashes of the
files it describes, so the registry's lineage can point at exactly this description.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from narrascope.data import sha256_file
from narrascope.data_cards.generate import _cross, _label_table, _pct, _table


def render_campaign_card(campaign, source_files: dict[str, str | Path]) -> str:
    docs = campaign.train + campaign.test
    taxonomy = campaign.taxonomy
    langs = sorted({d.lang for d in docs})
    countries = sorted({d.country or "??" for d in docs})
    new_labels = sorted(
        {n for d in docs for n in d.narratives} | {s for d in docs for s in d.subnarratives}
    )
    dates = sorted(str(d.published) for d in docs if d.published)
    header = [
        "---",
        f"name: campaign-{campaign.name}",
        f"documents: {len(docs)}",
        f"train_documents: {len(campaign.train)}",
        f"held_out_documents: {len(campaign.test)}",
        f"languages: [{', '.join(langs)}]",
        f"countries: [{', '.join(countries)}]",
        f'taxonomy_version: "{taxonomy.version}"',
        f"new_talking_points: {campaign.new_talking_points}",
        "sha256:",
        *[f"  {role}: {sha256_file(path)}" for role, path in source_files.items()],
        "---",
        "",
        f"# Data card: campaign `{campaign.name}`",
        "",
    ]
    other = sum(d.is_other for d in docs)
    carried = [n for n in taxonomy.narrative_ids if any(n in d.narratives for d in docs)]
    body = [
        "## Composition",
        "",
        f"{len(docs)} documents in {len(langs)} languages from {len(countries)} source countries"
        + (f", published {dates[0]} to {dates[-1]}" if dates else "")
        + f". {other} ({_pct(other, len(docs))}) carry no narrative (`Other`): hard negatives "
        "that share the campaign's vocabulary.",
        "",
        "Labels used: " + ", ".join(f"`{lab}`" for lab in new_labels) + ".",
        "",
        "### Documents per language and split",
        "",
        _table(
            ["language", "train", "held out", "Other"],
            [
                [
                    lang,
                    sum(d.lang == lang for d in campaign.train),
                    sum(d.lang == lang for d in campaign.test),
                    sum(d.lang == lang and d.is_other for d in docs),
                ]
                for lang in langs
            ],
        ),
        "### Narratives per language",
        "",
        _label_table(docs, carried, langs, key=lambda d: d.lang),
        "### Documents per language × country",
        "",
        _cross(docs, langs, countries, lambda d, lang, c: d.lang == lang and d.country == c),
        "### Source types",
        "",
        _table(
            ["source type", "documents"], sorted(Counter(str(d.source_type) for d in docs).items())
        ),
        "## How it is used",
        "",
        "The train part is added to the production model's training data to retrain; the "
        "held-out part joins the bundled test split when the candidate is compared with "
        "production. The split is seeded and stratified by language and `Other`.",
        "",
    ]
    return "\n".join(header + body)
