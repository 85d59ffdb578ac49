"""Prepare a new influence campaign for retraining: taxonomy patch, validation, split, config.

`narrascope campaign add` runs these steps, then trains, registers, evaluates and gates:
1. patch the taxonomy (new narratives only; ids are never reused) -> <workdir>/taxonomy.yaml
2. validate the campaign's documents against the schema and the patched taxonomy, and its
   talking points against the patched taxonomy -> <workdir>/talking_points.jsonl (old + new)
3. split the documents, seeded and stratified by language and `Other`, into
   <workdir>/train.jsonl and <workdir>/test.jsonl (the campaign's held-out part)
4. the training config: the production model's recipe, on its training data plus the campaign's.
Everything is written under <workdir>; nothing else is touched.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

from narrascope.data import load_documents
from narrascope.errors import DataError
from narrascope.files import write_jsonl
from narrascope.schema import Document
from narrascope.talking_points import TalkingPointLibrary
from narrascope.taxonomy import Taxonomy, apply_patch
from narrascope.training.config import TrainConfig


@dataclass(frozen=True)
class Campaign:
    name: str
    workdir: Path
    taxonomy: Taxonomy
    train: list[Document]
    test: list[Document]
    new_talking_points: int

    @property
    def taxonomy_path(self) -> Path:
        return self.workdir / "taxonomy.yaml"

    @property
    def train_path(self) -> Path:
        return self.workdir / "train.jsonl"

    @property
    def test_path(self) -> Path:
        return self.workdir / "test.jsonl"

    @property
    def talking_points_path(self) -> Path:
        return self.workdir / "talking_points.jsonl"


def prepare(
    name: str,
    data: str | Path,
    workdir: str | Path,
    base_taxonomy: str | Path,
    base_talking_points: str | Path,
    existing_data: list[str | Path],
    taxonomy_patch: str | Path | None = None,
    talking_points: str | Path | None = None,
    held_out: float = 0.3,
    seed: int = 13,
) -> Campaign:
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    taxonomy_raw = _read_yaml(base_taxonomy)
    if taxonomy_patch:
        taxonomy_raw = apply_patch(taxonomy_raw, _read_yaml(taxonomy_patch), str(taxonomy_patch))
    (workdir / "taxonomy.yaml").write_text(
        yaml.safe_dump(taxonomy_raw, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    taxonomy = Taxonomy.load(workdir / "taxonomy.yaml")
    docs = load_documents(data, taxonomy).documents  # stops at the first bad record, located
    _refuse_reused_ids(docs, existing_data, taxonomy, str(data))
    points, new_points = _merge_talking_points(base_talking_points, talking_points, taxonomy)
    write_jsonl(workdir / "talking_points.jsonl", points)
    train, test = split(docs, held_out, seed)
    campaign = Campaign(name, workdir, taxonomy, train, test, new_points)
    for path, part in ((campaign.train_path, train), (campaign.test_path, test)):
        write_jsonl(path, (d.model_dump(mode="json") for d in part))
    return campaign


def split(docs: list[Document], held_out: float, seed: int) -> tuple[list, list]:
    """Seeded split within each (language, Other or not) stratum; at least one held out each."""
    strata: dict[tuple, list[Document]] = defaultdict(list)
    for doc in sorted(docs, key=lambda d: d.id):
        strata[(doc.lang, doc.is_other)].append(doc)
    rng = random.Random(seed)
    train, test = [], []
    for key in sorted(strata):
        members = strata[key]
        rng.shuffle(members)
        k = max(1, round(held_out * len(members))) if len(members) > 1 else 0
        test += members[:k]
        train += members[k:]
    return sorted(train, key=lambda d: d.id), sorted(test, key=lambda d: d.id)


def campaign_config(base: dict, campaign: Campaign, card: str, parent: str | None) -> TrainConfig:
    """The production model's recipe on its own training data plus the campaign's."""
    raw = dict(base)
    raw["train_data"] = [*base["train_data"], str(campaign.train_path)]
    raw["taxonomy"] = str(campaign.taxonomy_path)
    raw["data_cards"] = [*base.get("data_cards", []), card]
    raw["parent"] = parent
    return TrainConfig.from_dict(raw, source=f"campaign {campaign.name}")


def _refuse_reused_ids(docs, existing_data, taxonomy, source: str) -> None:
    known = {d.id for path in existing_data for d in load_documents(path, taxonomy).documents}
    reused = sorted({d.id for d in docs} & known)
    if reused:
        raise DataError(
            f"{len(reused)} document ids already exist in the training data "
            f"(first: {', '.join(reused[:5])})",
            file=source,
        )


def _merge_talking_points(base, extra, taxonomy: Taxonomy) -> tuple[list[dict], int]:
    """The base library plus the campaign's talking points, checked against the patched
    taxonomy (unique ids, known labels; errors name file and line); and how many are new."""
    library = TalkingPointLibrary.load([base, extra] if extra else [base], taxonomy)
    new = len(TalkingPointLibrary.load(extra)) if extra else 0
    rows = [{k: v for k, v in p.to_dict().items() if v is not None} for p in library.points]
    return rows, new


def _read_yaml(path) -> dict:
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(f"cannot read: {exc}", file=str(path)) from None
