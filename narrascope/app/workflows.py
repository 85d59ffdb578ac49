"""The multi-layer workflows behind the CLI, as plain functions that return result objects.

Each takes a `Registry` and typed arguments (no argv, no printing), so it can be called and
tested from Python; `narrascope.app.cli` parses arguments, calls one of these and prints the
result. Like the CLI, this module sits above every layer and nothing imports it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from narrascope.artifact import TAXONOMY, read_manifest
from narrascope.data import load_documents, sha256_file
from narrascope.model_registry import Registry
from narrascope.taxonomy import Taxonomy

DEFAULT_EVAL_DATA = "data/corpus/test.jsonl"


# -- promote through the gate ------------------------------------------------------------------


@dataclass
class Promotion:
    candidate: str
    alias: str
    decision: object  # narrascope.eval.gate.GateDecision
    metric: str
    moved: bool  # the alias now points to the candidate
    gate: str  # "passed", "overridden" or "refused"


def promote(
    registry: Registry,
    ref: str,
    alias: str = "production",
    data: list[str] | None = None,
    policy_path: str | Path = "configs/gates/promotion.yaml",
    out: str | Path = "reports/promotion",
    force: bool = False,
    reason: str = "",
) -> Promotion:
    """Move `alias` to `ref` if the gate passes (or `force`); the comparison goes to `out`."""
    from narrascope.eval.gate import GatePolicy, run_gate

    candidate = registry.resolve(ref)
    policy = GatePolicy.load(policy_path)
    # The candidate's labels may be new: its own taxonomy reads the gold labels.
    taxonomy = Taxonomy.load(registry.verify(candidate) / TAXONOMY)
    paths = data or [DEFAULT_EVAL_DATA]
    docs = [d for path in paths for d in load_documents(path, taxonomy).documents]
    decision = run_gate(registry, candidate, alias, docs, " + ".join(paths), policy, out)
    if not decision.passed and not force:
        return Promotion(candidate, alias, decision, policy.metric, False, "refused")
    gate = "passed" if decision.passed else "overridden"
    registry.set_alias(
        alias, candidate, action="promote", gate=gate, failures=decision.failures, reason=reason
    )
    return Promotion(candidate, alias, decision, policy.metric, True, gate)


# -- serve -------------------------------------------------------------------------------------


@dataclass
class ServeLaunch:
    version: str
    command: list[str]
    env: dict[str, str]
    workers: str


def serve_launch(registry: Registry, model: str, host: str, port: int) -> ServeLaunch:
    """The command and environment that serve `model` (resolved now, before BentoML starts)."""
    from narrascope.serving.launch import serve_command

    version = registry.resolve(model)
    env = {
        **os.environ,
        "NARRASCOPE_MODEL": version,
        "NARRASCOPE_REGISTRY": str(registry.root),
    }
    if env.get("NARRASCOPE_TALKING_POINTS"):  # registry:ALIAS -> registry:vN, as for the model
        from narrascope.model_registry.talking_points import pin

        env["NARRASCOPE_TALKING_POINTS"] = pin(env["NARRASCOPE_TALKING_POINTS"], registry.root)
    if "NARRASCOPE_WORKERS" not in env:
        # scikit-learn scoring is single-threaded: one worker per core; torch uses every core
        # within one call, so encoder families get one worker.
        linear = registry.entry(version)["family"] == "linear"
        env["NARRASCOPE_WORKERS"] = str(os.cpu_count() or 1) if linear else "1"
    return ServeLaunch(version, serve_command(host, port), env, env["NARRASCOPE_WORKERS"])


# -- campaign add ------------------------------------------------------------------------------


@dataclass
class CampaignRequest:
    name: str
    data: str
    taxonomy_patch: str | None = None
    talking_points: str | None = None
    base: str = "production"
    config: str | None = None
    eval_data: str = DEFAULT_EVAL_DATA
    base_talking_points: str = "data/talking_points.jsonl"
    workdir: str | None = None
    cards_dir: str = "data_cards"
    held_out: float = 0.3
    seed: int = 13
    policy: str = "configs/gates/promotion.yaml"
    validate_only: bool = False


@dataclass
class CampaignResult:
    campaign: object  # narrascope.training.campaign.Campaign
    card: Path
    base: str
    version: str | None = None  # the registered candidate (None with validate_only)
    family: str | None = None
    held_out_labels: dict[str, dict] = field(default_factory=dict)  # label -> P/R/F1/support
    decision: object | None = None  # narrascope.eval.gate.GateDecision
    metric: str = "samples_f1"
    compare_dir: Path | None = None
    next_command: str = ""


def campaign_add(registry: Registry, request: CampaignRequest) -> CampaignResult:
    """Validate and card a campaign; unless `validate_only`, retrain with the base model's recipe
    on old + new data, register the candidate as `staging`, evaluate it and run the gate."""
    from narrascope.data_cards.campaign import render_campaign_card
    from narrascope.training.campaign import prepare
    from narrascope.training.config import TrainConfig

    base = registry.resolve(request.base)
    recipe = (
        TrainConfig.from_yaml(request.config).to_dict()
        if request.config
        else read_manifest(registry.verify(base))["config"]  # no need to load the model
    )
    workdir = Path(request.workdir or f"campaigns/{request.name}")
    sources = {
        role: path
        for role, path in {
            "data": request.data,
            "taxonomy_patch": request.taxonomy_patch,
            "talking_points": request.talking_points,
        }.items()
        if path
    }
    campaign = prepare(
        request.name,
        request.data,
        workdir,
        base_taxonomy=recipe["taxonomy"],
        base_talking_points=request.base_talking_points,
        existing_data=recipe["train_data"],
        taxonomy_patch=request.taxonomy_patch,
        talking_points=request.talking_points,
        held_out=request.held_out,
        seed=request.seed,
    )
    card = Path(request.cards_dir) / f"campaign-{request.name}.md"
    card.parent.mkdir(parents=True, exist_ok=True)
    card.write_text(render_campaign_card(campaign, sources), encoding="utf-8")
    result = CampaignResult(campaign, card, base)
    if not request.validate_only:
        _retrain_and_gate(registry, request, recipe, campaign, sources, workdir, result)
    return result


def _retrain_and_gate(registry, request, recipe, campaign, sources, workdir, result) -> None:
    from narrascope.eval.gate import GatePolicy, run_gate
    from narrascope.eval.probe import NameSets
    from narrascope.eval.report import evaluate, write_report
    from narrascope.training.campaign import campaign_config
    from narrascope.training.train import train

    policy = GatePolicy.load(request.policy)  # read before training, not after
    config = campaign_config(recipe, campaign, str(result.card), parent=result.base)
    artifact = train(config, workdir / "artifact")
    lineage = {
        "campaign": request.name,
        "campaign_files": {str(path): sha256_file(path) for path in sources.values()},
    }
    version = registry.register(artifact, note=f"campaign {request.name}", lineage=lineage)
    registry.set_alias("staging", version, action="campaign", campaign=request.name)
    result.version, result.family = version, config.family
    # evaluate on old + new held-out data, then the gate against production
    docs = load_documents(request.eval_data, campaign.taxonomy).documents + campaign.test
    data_name = f"{request.eval_data} + {campaign.test_path}"
    report = evaluate(registry.load(version), docs, data_name, names=NameSets.load())
    write_report(report, workdir / "reports" / "candidate", campaign.taxonomy)
    registry.attach_report(version, workdir / "reports" / "candidate")
    per_label = report["levels"]["narratives"]["per_label"]
    empty = {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    result.held_out_labels = {
        label: per_label.get(label, empty)
        for label in sorted({n for d in campaign.test for n in d.narratives})
    }
    result.compare_dir = workdir / "reports" / "compare"
    result.decision = run_gate(
        registry, version, "production", docs, data_name, policy, result.compare_dir
    )
    result.metric = policy.metric
    result.next_command = (
        f"narrascope registry promote {version} --to production --data {request.eval_data} "
        f"--data {campaign.test_path}"
    )
