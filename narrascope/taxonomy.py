"""The narrative taxonomy: a versioned tree domain -> narrative -> subnarrative.

A subnarrative implies its narrative; `make_consistent` enforces that on predictions.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from narrascope.errors import DataError
from narrascope.schema import OTHER

DISARM_TECHNIQUE = re.compile(r"^T\d{4}(\.\d{3})?$")


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    description: str
    parent: str | None = None
    translations: dict[str, str] = field(default_factory=dict)
    disarm: tuple[str, ...] = ()  # DISARM technique ids (T0022, T0049.001) this node maps to


OTHER_NODE = Node(
    OTHER, "Other (no narrative)", "Ordinary text that carries none of the taxonomy's narratives."
)


@dataclass(frozen=True)
class Taxonomy:
    version: str
    domains: dict[str, Node]
    narratives: dict[str, Node]
    subnarratives: dict[str, Node]

    # -- loading -------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> Taxonomy:
        path = Path(path)
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise DataError(f"cannot read taxonomy: {exc}", file=str(path)) from None
        return cls.from_dict(raw, source=str(path))

    @classmethod
    def from_dict(cls, raw: dict, source: str = "<taxonomy>") -> Taxonomy:
        if not isinstance(raw, dict) or "version" not in raw or "domains" not in raw:
            raise DataError("taxonomy needs top-level 'version' and 'domains'", file=source)
        domains, narratives, subs = {}, {}, {}
        for dom in raw["domains"]:
            domains[dom["id"]] = _node(dom, None, source)
            for nar in dom.get("narratives", []):
                _check_child_id(nar, dom["id"], source)
                narratives[nar["id"]] = _node(nar, dom["id"], source)
                for sub in nar.get("subnarratives", []):
                    _check_child_id(sub, nar["id"], source)
                    subs[sub["id"]] = _node(sub, nar["id"], source)
        all_ids = [*domains, *narratives, *subs]
        if len(set(all_ids)) != len(all_ids):
            raise DataError("duplicate ids in taxonomy", file=source)
        return cls(str(raw["version"]), domains, narratives, subs)

    # -- views ---------------------------------------------------------------------------------
    @property
    def narrative_ids(self) -> list[str]:
        return list(self.narratives)

    @property
    def subnarrative_ids(self) -> list[str]:
        return list(self.subnarratives)

    def node(self, label_id: str) -> Node:
        """The node of a narrative, a subnarrative or `Other`."""
        if label_id == OTHER:
            return OTHER_NODE
        return self.narratives.get(label_id) or self.subnarratives[label_id]

    def level_of(self, label_id: str) -> str:
        if label_id in self.narratives:
            return "narrative"
        return "subnarrative" if label_id in self.subnarratives else "other"

    def parent_of(self, sub_id: str) -> str:
        return self.subnarratives[sub_id].parent  # type: ignore[return-value]

    def check_labels(self, narratives, subnarratives) -> str | None:
        """Return a message for the first label problem, or None when the labels fit the tree."""
        for n in narratives:
            if n not in self.narratives:
                return f"unknown narrative '{n}'"
        for s in subnarratives:
            if s not in self.subnarratives:
                return f"unknown subnarrative '{s}'"
            if self.parent_of(s) not in narratives:
                return f"subnarrative '{s}' given without its narrative '{self.parent_of(s)}'"
        return None

    def make_consistent(self, narratives: set[str], subnarratives: set[str]) -> tuple[set, set]:
        """A subnarrative implies its narrative: add missing parents."""
        return narratives | {self.parent_of(s) for s in subnarratives}, set(subnarratives)

    # -- SemEval-2025 Task 10 label strings ("URW: Narrative", "URW: Narrative: Sub") ------------
    def semeval_name(self, label_id: str) -> str:
        if label_id == OTHER:
            return OTHER
        if label_id in self.narratives:
            node = self.narratives[label_id]
            return f"{node.parent}: {node.label}"
        node = self.subnarratives[label_id]
        return f"{self.semeval_name(node.parent)}: {node.label}"

    def from_semeval_name(self, name: str) -> str | None:
        """Map a SemEval label string to an id; None for `Other` and `Narrative: Other`."""
        if name == OTHER or name.endswith(": Other"):
            return None
        lookup = {self.semeval_name(i): i for i in [*self.narratives, *self.subnarratives]}
        if name not in lookup:
            raise KeyError(name)
        return lookup[name]


def apply_patch(base: dict, patch: dict, source: str = "<patch>") -> dict:
    """The raw taxonomy `base` with a campaign's patch applied (both as read from YAML).

    A patch has a new `version`, and adds `narratives` (each with `domain` and its
    subnarratives) and/or `subnarratives` (each with `parent`, an existing narrative). Ids are
    never reused, so a patch that names an existing id is refused rather than merged.
    """
    if not isinstance(patch, dict) or "version" not in patch:
        raise DataError("a taxonomy patch needs a 'version'", file=source)
    if str(patch["version"]) == str(base["version"]):
        raise DataError(
            f"patch version {patch['version']} equals the taxonomy's; bump it", file=source
        )
    unknown = set(patch) - {"version", "narratives", "subnarratives"}
    if unknown:
        raise DataError(f"unknown patch keys: {', '.join(sorted(unknown))}", file=source)
    merged = copy.deepcopy(base)
    merged["version"] = str(patch["version"])
    domains = {d["id"]: d for d in merged["domains"]}
    narratives = {n["id"]: n for d in merged["domains"] for n in d.get("narratives", [])}
    taken = set(domains) | set(narratives)
    taken |= {s["id"] for n in narratives.values() for s in n.get("subnarratives", [])}
    for raw in patch.get("narratives", []):
        raw = dict(raw)
        domain = raw.pop("domain", None)
        if domain not in domains:
            raise DataError(f"narrative {raw.get('id')!r}: unknown domain {domain!r}", file=source)
        _refuse_taken(raw, taken, source)
        for sub in raw.get("subnarratives", []):
            _refuse_taken(sub, taken, source)
        domains[domain].setdefault("narratives", []).append(raw)
    for raw in patch.get("subnarratives", []):
        raw = dict(raw)
        parent = raw.pop("parent", None)
        if parent not in narratives:
            raise DataError(
                f"subnarrative {raw.get('id')!r}: unknown parent {parent!r}", file=source
            )
        _refuse_taken(raw, taken, source)
        narratives[parent].setdefault("subnarratives", []).append(raw)
    Taxonomy.from_dict(merged, source=source)  # the same checks as any taxonomy file
    return merged


def _refuse_taken(raw: dict, taken: set[str], source: str) -> None:
    if raw.get("id") in taken:
        raise DataError(f"id {raw.get('id')!r} already exists (ids are never reused)", file=source)
    taken.add(raw.get("id"))


def _node(raw: dict, parent: str | None, source: str) -> Node:
    for key in ("id", "label", "description"):
        if not raw.get(key):
            raise DataError(f"taxonomy entry {raw.get('id', '?')!r} lacks '{key}'", file=source)
    disarm = raw.get("disarm", [])
    if not isinstance(disarm, list) or not all(
        isinstance(t, str) and DISARM_TECHNIQUE.match(t) for t in disarm
    ):
        raise DataError(
            f"taxonomy entry {raw['id']!r}: 'disarm' must be a list of DISARM technique ids "
            "such as T0022 or T0049.001",
            file=source,
        )
    translations = raw.get("translations", {})
    return Node(raw["id"], raw["label"], raw["description"], parent, translations, tuple(disarm))


def _check_child_id(raw: dict, parent_id: str, source: str) -> None:
    # Ids are hierarchical so a label alone tells where it sits in the tree.
    if not str(raw.get("id", "")).startswith(parent_id + "."):
        raise DataError(
            f"id {raw.get('id')!r} must start with its parent id '{parent_id}.'", file=source
        )
