"""The promotion gate: may a candidate replace the model an alias points to?

It compares both models on the same documents (`eval.compare`) and refuses, naming the group and
the figures, when a supported group is detectably worse by more than the tolerance, or when a
language the policy requires is missing from the evaluation data. The rule needs *both* a
detectable drop and a drop beyond tolerance: 17 documents per language make single-document
wobbles of 0.06 common, and a gate that fires on noise gets overridden until nobody reads it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from narrascope.errors import DataError
from narrascope.eval.bootstrap import Settings
from narrascope.eval.compare import compare_versions, groups_of, write_comparison
from narrascope.schema import Document

DEFAULT_POLICY = Path("configs/gates/promotion.yaml")


class GatePolicy(BaseModel):
    """configs/gates/promotion.yaml, typed: unknown keys and wrong types are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    metric: Literal["samples_f1", "micro_f1", "macro_f1"] = "samples_f1"
    tolerance: float = Field(0.02, ge=0)
    levels: tuple[Literal["narratives", "subnarratives"], ...] = ("narratives", "subnarratives")
    dimensions: tuple[Literal["language", "country", "source_type"], ...] = (
        "language",
        "country",
    )
    required_languages: tuple[str, ...] = ()
    min_support: int = Field(5, ge=1)
    resamples: int = Field(1000, ge=1)
    seed: int = 0

    @classmethod
    def load(cls, path: str | Path) -> GatePolicy:
        try:
            raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else exc
            raise DataError(f"cannot read the gate policy: {reason}", file=str(path)) from None
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            key = ".".join(str(part) for part in first["loc"])
            known = ", ".join(cls.model_fields)
            reason = (
                f"unknown setting (known: {known})"
                if first["type"] == "extra_forbidden"
                else first["msg"]
            )
            raise DataError(reason, file=str(path), field=key) from None


@dataclass
class GateDecision:
    passed: bool
    failures: list[str] = field(default_factory=list)
    note: str = ""
    comparison: dict | None = None


def decide(comparison: dict, docs: list[Document], policy: GatePolicy) -> GateDecision:
    failures = _missing_languages(docs, policy)
    for level in policy.levels:
        for dimension, group, fig in groups_of(comparison["levels"][level], policy.dimensions):
            figure = fig[policy.metric]
            delta = figure["delta"]
            if fig["low_support"] or not (delta["high"] < 0 and delta["value"] < -policy.tolerance):
                continue
            failures.append(
                f"{level}, {dimension} {group} (n={fig['n']}): {policy.metric} "
                f"{figure['baseline']:.3f} -> {figure['candidate']:.3f}, delta "
                f"{delta['value']:+.3f} [{delta['low']:+.3f}, {delta['high']:+.3f}] "
                f"beyond tolerance {policy.tolerance}"
            )
    return GateDecision(not failures, failures, comparison=comparison)


def _missing_languages(docs: list[Document], policy: GatePolicy) -> list[str]:
    counts = Counter(d.lang for d in docs)
    return [
        f"required language {lang} has {counts[lang]} documents in the evaluation data "
        f"(needs {policy.min_support})"
        for lang in policy.required_languages
        if counts[lang] < policy.min_support
    ]


def run_gate(
    registry, candidate: str, alias: str, docs, data_name, policy, out_dir
) -> GateDecision:
    """Compare `candidate` with the alias's current version; write compare.json/md to `out_dir`."""
    current = registry.aliases().get(alias)
    if current is None:
        return GateDecision(True, note=f"alias '{alias}' is not set yet: nothing to compare with")
    if current == candidate:
        return GateDecision(True, note=f"'{alias}' already points to {candidate}")
    settings = Settings(resamples=policy.resamples, seed=policy.seed)
    comparison = compare_versions(
        registry, current, candidate, docs, data_name, settings, policy.min_support
    )
    write_comparison(comparison, out_dir)
    return decide(comparison, docs, policy)


def language_lines(comparison: dict, metric: str = "samples_f1") -> list[str]:
    """One line per language: the per-language verdict an engineer reads before promoting."""
    lines = []
    for level, body in comparison["levels"].items():
        for lang, fig in body["language"].items():
            f = fig[metric]
            d = f["delta"]
            lines.append(
                f"{level:13s} {lang}: {f['baseline']:.3f} -> {f['candidate']:.3f} "
                f"({d['value']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}]) {f['verdict']}"
            )
    return lines
