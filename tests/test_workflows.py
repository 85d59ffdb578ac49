"""The CLI's workflows called as plain functions (no argv, no printing): results, not output."""

from __future__ import annotations

import shutil

import pytest
import yaml

from narrascope.app.workflows import CampaignRequest, campaign_add, promote, serve_launch
from narrascope.model_registry import Registry
from narrascope.model_registry.registry import RegistryError


@pytest.fixture
def registry(degraded_registry, tmp_path) -> Registry:
    """v1 (production) and v2 (degraded in Chinese), copied so a test can move aliases."""
    return Registry(shutil.copytree(degraded_registry, tmp_path / "registry"))


def _policy(root, tmp_path) -> str:
    policy = yaml.safe_load((root / "configs/gates/promotion.yaml").read_text())
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump({**policy, "resamples": 200}))
    return str(path)


def test_promote_refuses_a_regression_and_force_overrides_it(registry, root, tmp_path):
    policy, out = _policy(root, tmp_path), tmp_path / "promotion"
    refused = promote(registry, "v2", policy_path=policy, out=out)
    assert (refused.moved, refused.gate, refused.candidate) == (False, "refused", "v2")
    assert any("zh" in failure for failure in refused.decision.failures)
    assert registry.resolve("production") == "v1" and (out / "compare.json").is_file()

    forced = promote(registry, "v2", policy_path=policy, out=out, force=True, reason="test")
    assert (forced.moved, forced.gate) == (True, "overridden")
    assert registry.resolve("production") == "v2"
    assert registry.events()[-1]["reason"] == "test"


def test_serve_launch_pins_the_version_before_bentoml_starts(registry, monkeypatch):
    monkeypatch.delenv("NARRASCOPE_WORKERS", raising=False)
    launch = serve_launch(registry, "production", "127.0.0.1", 3123)
    assert launch.version == "v1" and launch.env["NARRASCOPE_MODEL"] == "v1"
    assert launch.env["NARRASCOPE_REGISTRY"] == str(registry.root)
    assert "narrascope.serving.service:Narrascope" in launch.command
    assert launch.command[-4:] == ["--host", "127.0.0.1", "--port", "3123"]
    with pytest.raises(RegistryError, match="no alias 'nope'"):
        serve_launch(registry, "nope", "127.0.0.1", 3123)


def test_campaign_validation_returns_the_campaign_and_its_card(registry, root, tmp_path):
    campaign = root / "data/campaigns/biolabs"
    request = CampaignRequest(
        name="biolabs",
        data=str(campaign / "documents.jsonl"),
        taxonomy_patch=str(campaign / "taxonomy_patch.yaml"),
        talking_points=str(campaign / "talking_points.jsonl"),
        workdir=str(tmp_path / "work"),
        cards_dir=str(tmp_path / "cards"),
        validate_only=True,
    )
    result = campaign_add(registry, request)
    assert result.version is None and result.decision is None  # nothing trained
    assert len(result.campaign.train) + len(result.campaign.test) == 80
    assert "URW.biolabs" in result.campaign.taxonomy.narrative_ids
    assert result.card.is_file() and "biolabs" in result.card.read_text(encoding="utf-8")
