"""Registry lifecycle: lineage, crash-safe aliases, concurrent writers, promotion gate, rollback,
archive/gc and the BentoML hand-off."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from narrascope.app.cli import main
from narrascope.data import sha256_file
from narrascope.eval.bootstrap import Settings
from narrascope.eval.compare import compare
from narrascope.eval.gate import GatePolicy, decide
from narrascope.eval.predictions import Run
from narrascope.model_registry import Registry
from narrascope.model_registry.registry import RegistryError
from narrascope.schema import Document


@pytest.fixture
def registry(tmp_path, artifact):
    reg = Registry(tmp_path / "reg")
    reg.register(artifact, note="first")
    return reg


def test_lineage_names_code_config_data_card_taxonomy_and_parent(registry, artifact, root):
    lineage = registry.lineage("v1")
    manifest = json.loads((artifact / "manifest.json").read_text())
    assert lineage["git_commit"] == manifest["git_commit"]
    assert lineage["config_sha256"] == manifest["config_sha256"]
    assert lineage["config"]["family"] == "linear"
    assert lineage["data_files"] == {
        "data/corpus/train.jsonl": sha256_file(root / "data/corpus/train.jsonl")
    }
    assert lineage["data_cards"] == {
        "data_cards/narrascope-corpus.md": sha256_file(root / "data_cards/narrascope-corpus.md")
    }
    assert lineage["taxonomy_version"] == "1.0.0"
    assert lineage["taxonomy_sha256"] == sha256_file(root / "data/taxonomy.yaml")
    assert lineage["parent"] is None
    version = registry.register(artifact, lineage={"parent": "v1", "campaign": "test"})
    assert registry.lineage(version)["parent"] == "v1"
    assert registry.lineage(version)["campaign"] == "test"


def test_attached_reports_appear_in_lineage(registry, tmp_path):
    report = tmp_path / "report"
    report.mkdir()
    (report / "report.json").write_text('{"schema": "x"}')
    kept = registry.attach_report("v1", report)
    assert (kept / "report.json").exists()
    [evaluation] = registry.lineage("v1")["evaluations"]
    assert evaluation["files"] == {"report.json": sha256_file(report / "report.json")}
    registry.verify("v1")  # reports live beside the artifact, not in it


def test_alias_update_survives_a_crash_in_the_middle(registry, artifact, monkeypatch):
    registry.register(artifact)
    registry.set_alias("production", "v1")

    def crash(*_):
        raise OSError("power cut")

    monkeypatch.setattr("narrascope.model_registry.registry.os.replace", crash)
    with pytest.raises(OSError, match="power cut"):
        registry.set_alias("production", "v2")
    monkeypatch.undo()
    # The old alias file is intact and valid; the half-done change left only a temp file.
    assert json.loads((registry.root / "aliases.json").read_text()) == {"production": "v1"}
    assert registry.resolve("production") == "v1"
    assert registry.set_alias("production", "v2") == "v2"
    assert registry.aliases() == {"production": "v2"}


WRITER = """
import sys
from narrascope.model_registry import Registry
registry = Registry(sys.argv[1])
for _ in range(3):
    version = registry.register(sys.argv[2], note=sys.argv[3])
    registry.set_alias(sys.argv[3], version)
"""


def test_two_concurrent_writers_lose_nothing(registry, artifact, root):
    env = {**os.environ, "PYTHONPATH": str(root)}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(registry.root), str(artifact), name], env=env
        )
        for name in ("alpha", "beta")
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    assert registry.versions() == [f"v{i}" for i in range(1, 8)]
    notes = sorted(registry.entry(v)["note"] for v in registry.versions())
    assert notes == ["alpha"] * 3 + ["beta"] * 3 + ["first"]
    events = registry.events()
    assert [e["action"] for e in events].count("register") == 7
    assert [e["action"] for e in events].count("alias") == 6
    aliases = registry.aliases()
    assert registry.entry(aliases["alpha"])["note"] == "alpha"
    assert registry.entry(aliases["beta"])["note"] == "beta"
    for version in registry.versions():
        registry.verify(version)


def test_rollback_walks_back_through_alias_history(registry, artifact):
    for _ in range(2):
        registry.register(artifact)
    for version in ("v1", "v2", "v3"):
        registry.set_alias("production", version, action="promote")
    assert registry.rollback("production") == ("v3", "v2")
    assert registry.rollback("production") == ("v2", "v1")
    with pytest.raises(RegistryError, match="no earlier version"):
        registry.rollback("production")
    assert registry.resolve("production") == "v1"
    assert [e["action"] for e in registry.events()][-2:] == ["rollback", "rollback"]


def test_archive_and_gc_never_touch_an_alias_target(registry, artifact):
    registry.register(artifact)
    registry.set_alias("production", "v1")
    with pytest.raises(RegistryError, match="target of production"):
        registry.archive("v1")
    registry.archive("v2")
    with pytest.raises(RegistryError, match="archived"):
        registry.set_alias("staging", "v2")
    assert registry.gc() == ["v2"]
    assert registry.gc() == []
    registry.verify("v1")
    assert registry.lineage("v2")["archived"] is True  # the entry (lineage) is kept
    with pytest.raises(RegistryError, match="garbage-collected"):
        registry.load("v2")


def _docs(per_language=10):
    return [
        Document(
            id=f"{lang}{i}",
            text=f"{lang} {i}",
            lang=lang,
            narratives=["CC.hoax"] if i % 2 else [],
        )
        for lang in ("en", "de")
        for i in range(per_language)
    ]


def _run(docs, wrong_in=()):
    narratives = [("URW.aid_futile",) if d.lang in wrong_in else tuple(d.narratives) for d in docs]
    return Run({"version": "x", "model_id": "x", "family": "x"}, narratives, [()] * len(docs))


POLICY = GatePolicy(tolerance=0.02, min_support=5, resamples=200, required_languages=("en", "de"))


def _decision(docs, baseline, candidate, policy=POLICY):
    report = compare(docs, baseline, candidate, "t", Settings(200, 0), policy.min_support)
    return decide(report, docs, policy)


def test_gate_refuses_a_regression_and_names_the_language():
    docs = _docs()
    decision = _decision(docs, _run(docs), _run(docs, wrong_in=("de",)))
    assert not decision.passed
    assert any("language de (n=10)" in f and "-> 0.000" in f for f in decision.failures)
    assert not any("language en" in f for f in decision.failures)


def test_gate_accepts_a_better_model():
    docs = _docs()
    assert _decision(docs, _run(docs, wrong_in=("de",)), _run(docs)).passed


def test_gate_refuses_when_a_required_language_is_missing():
    docs = [d for d in _docs() if d.lang == "en"]
    decision = _decision(docs, _run(docs), _run(docs))
    assert decision.failures == [
        "required language de has 0 documents in the evaluation data (needs 5)"
    ]


def test_promote_command_refuses_then_force_is_logged_then_rollback(
    degraded_registry, tmp_path, capsys
):
    base = ["--registry", str(degraded_registry), "registry"]
    out = ["--out", str(tmp_path)]
    assert main([*base, "promote", "v2", "--to", "production", *out]) == 1
    printed = capsys.readouterr().out
    assert "REFUSED: narratives, language zh" in printed
    assert "narratives    zh:" in printed and "worse" in printed
    registry = Registry(degraded_registry)
    assert registry.resolve("production") == "v1"

    assert main([*base, "promote", "v2", "--force", "--reason", "test", *out]) == 0
    event = registry.events()[-1]
    assert (event["action"], event["gate"], event["reason"]) == ("promote", "overridden", "test")
    assert event["failures"] and registry.resolve("production") == "v2"

    assert main([*base, "rollback", "production"]) == 0
    assert registry.resolve("production") == "v1"


def test_export_to_bentoml_store_pins_the_version(registry, tmp_path, root):
    env = {**os.environ, "BENTOML_HOME": str(tmp_path / "bentoml"), "PYTHONPATH": str(root)}
    cli = [sys.executable, "-m", "narrascope.app.cli", "--registry", str(registry.root)]
    done = subprocess.run(
        [*cli, "registry", "export-bento", "v1"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "narrascope-model:v1" in done.stdout
    check = (
        "import bentoml; from narrascope.model_registry.bento import load_from_bentoml;"
        "m = bentoml.models.get('narrascope-model:v1');"
        "print(m.info.labels['version'], m.info.metadata['model_id']);"
        "print(load_from_bentoml('narrascope-model:v1').version)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", check], env=env, capture_output=True, text=True, check=True
    )
    assert shown.stdout.split() == ["v1", registry.entry("v1")["model_id"], "v1"]
