"""Talking-point libraries as versioned artifacts: the bundle format, the registry (hashes,
aliases, verify), the loader the service uses, and the CLI. Scores from a bundle must equal
the checkout's default matcher on the same inputs."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import numpy as np
import pytest

from narrascope.app.cli import main
from narrascope.encoders.encoder import TextEncoder
from narrascope.errors import ArtifactError, DataError
from narrascope.model_registry import Registry
from narrascope.model_registry.registry import RegistryError
from narrascope.model_registry.talking_points import (
    TalkingPointRegistry,
    pin,
    resolve_talking_points,
)
from narrascope.talking_points import (
    DEFAULT_CALIBRATION,
    DEFAULT_LIBRARY,
    TalkingPointLibrary,
    default_matcher,
    load_bundle,
    read_calibration,
    write_bundle,
)
from narrascope.talking_points import bundle as bundle_module

NATO_EN = "NATO broke its promise not to expand one inch to the east."
TEXTS = [f"The weather was fine. {NATO_EN}", "Вчера в Москве прошёл сильный дождь.", "   "]


@pytest.fixture(scope="module")
def tiny(tiny_encoder):
    return TextEncoder(tiny_encoder, max_tokens=64), None  # no fingerprint: no disk cache


@pytest.fixture
def campaign(root):
    return root / "data/campaigns/biolabs/talking_points.jsonl"


def test_a_bundle_scores_exactly_as_the_default_matcher(tmp_path, tiny, campaign):
    manifest = write_bundle(tmp_path / "b", [DEFAULT_LIBRARY, campaign])
    assert manifest["libraries"] == [
        "libraries/01-talking_points.jsonl",
        "libraries/02-talking_points.jsonl",
    ]
    assert (tmp_path / "b/libraries/01-talking_points.jsonl").read_bytes() == (
        DEFAULT_LIBRARY.read_bytes()
    )
    bundle = load_bundle(tmp_path / "b")
    expected = default_matcher(TalkingPointLibrary.load([DEFAULT_LIBRARY, campaign]), encoder=tiny)
    served = bundle.matcher(encoder=tiny)
    assert (
        served.threshold == expected.threshold == read_calibration(DEFAULT_CALIBRATION)["threshold"]
    )
    assert np.array_equal(served.scores(TEXTS), expected.scores(TEXTS))
    assert served.match(TEXTS) == expected.match(TEXTS)
    described = bundle.describe()
    assert (described["points"], described["source"], described["version"]) == (33, "bundle", None)
    assert described["digest"] == manifest["digest"] == expected.library.digest()


def test_a_bundle_refuses_bad_sources_and_a_changed_library(tmp_path, root):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "X"}\n')
    with pytest.raises(DataError, match="narrative"):
        write_bundle(tmp_path / "b1", [bad])
    assert not (tmp_path / "b1").exists()  # validated before anything is written
    with pytest.raises(DataError, match="at least one library"):
        write_bundle(tmp_path / "b2", [])
    few = tmp_path / "few.jsonl"
    few.write_text(DEFAULT_LIBRARY.read_text().splitlines()[0] + "\n")
    with pytest.raises(DataError, match="reference of at least 5"):
        write_bundle(tmp_path / "b3", [DEFAULT_LIBRARY], reference=few)
    other = tmp_path / "cal.json"
    other.write_text(json.dumps({"threshold": 0.1, "encoder": "some/other-model"}))
    with pytest.raises(ArtifactError, match="calibrated for encoder"):
        write_bundle(tmp_path / "b4", [DEFAULT_LIBRARY], calibration=other)
    write_bundle(tmp_path / "b5", [DEFAULT_LIBRARY])
    library = tmp_path / "b5/libraries/01-talking_points.jsonl"
    library.write_text(library.read_text().replace("NATO", "OTAN", 1))
    with pytest.raises(ArtifactError, match="digest"):
        load_bundle(tmp_path / "b5")
    (tmp_path / "b5/manifest.json").write_text('{"schema": "other"}')
    with pytest.raises(ArtifactError, match="schema 'other'"):
        load_bundle(tmp_path / "b5")


def test_registry_versions_are_hashed_aliased_and_apart_from_models(tmp_path, campaign):
    registry = TalkingPointRegistry(tmp_path)
    first = registry.register_library([DEFAULT_LIBRARY], note="bundled")
    second = registry.register_library([DEFAULT_LIBRARY, campaign])
    registry.set_alias("production", second)
    assert (first, second, registry.versions()) == ("v1", "v2", ["v1", "v2"])
    entry = registry.entry("production")
    assert entry["kind"] == "talking_points" and entry["points"] == 33
    assert set(entry["files"]) == {
        "manifest.json",
        "reference.jsonl",
        "calibration.json",
        "libraries/01-talking_points.jsonl",
        "libraries/02-talking_points.jsonl",
    }
    assert registry.root == tmp_path / "talking_points"
    assert Registry(tmp_path).versions() == [] and Registry(tmp_path).aliases() == {}
    bundle = registry.load("production")
    assert (bundle.version, bundle.source, len(bundle.library)) == ("v2", "registry", 33)
    with pytest.raises(RegistryError, match="register_library"):
        registry.register(tmp_path)


def test_a_tampered_version_is_refused(tmp_path):
    registry = TalkingPointRegistry(tmp_path)
    registry.register_library([DEFAULT_LIBRARY])
    calibration = registry.artifact_path("v1") / "calibration.json"
    calibration.chmod(stat.S_IRUSR | stat.S_IWUSR)
    calibration.write_text(json.dumps({"threshold": 0.0, "encoder": "x"}))
    with pytest.raises(ArtifactError, match="calibration.json: modified"):
        registry.load("v1")


def test_a_failed_registration_leaves_no_version(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    registry = TalkingPointRegistry(tmp_path / "reg")
    with pytest.raises(DataError, match="malformed JSON"):
        registry.register_library([bad])
    assert registry.versions() == [] and not list(registry.root.glob("versions/*"))


def test_the_service_loader_resolves_every_spec_from_any_directory(tmp_path, monkeypatch):
    registry = TalkingPointRegistry(tmp_path / "reg")
    registry.set_alias("production", registry.register_library([DEFAULT_LIBRARY]))
    monkeypatch.chdir(tmp_path)  # nothing repo-relative is needed for a registry version
    monkeypatch.setenv("NARRASCOPE_REGISTRY", str(tmp_path / "reg"))
    from narrascope.serving.service import load_talking_points
    from narrascope.serving.settings import ServiceSettings

    monkeypatch.setenv("NARRASCOPE_TALKING_POINTS", "registry:production")
    assert load_talking_points(ServiceSettings.from_env()).describe()["version"] == "v1"
    monkeypatch.setenv("NARRASCOPE_TALKING_POINTS", f" {DEFAULT_LIBRARY} ")
    assert load_talking_points(ServiceSettings.from_env()).source == "files"
    monkeypatch.delenv("NARRASCOPE_TALKING_POINTS")
    assert load_talking_points(ServiceSettings.from_env()) is None
    assert pin("registry:production") == "registry:v1" and pin("a.jsonl") == "a.jsonl"
    with pytest.raises(RegistryError, match="no alias 'staging'"):
        resolve_talking_points("registry:staging")
    with pytest.raises(RegistryError, match="no talking-point library"):
        resolve_talking_points(" , ")


def test_plain_files_without_the_checkout_say_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr(bundle_module, "DEFAULT_CALIBRATION", tmp_path / "gone.json")
    with pytest.raises(DataError, match="registry talking-points register") as caught:
        resolve_talking_points(str(DEFAULT_LIBRARY))
    assert caught.value.file == str(tmp_path / "gone.json")


def test_cli_registers_lists_verifies_and_aliases(tmp_path, capsys, campaign, root):
    base = ["--registry", str(tmp_path), "registry", "talking-points"]
    assert (
        main([*base, "register", str(DEFAULT_LIBRARY), str(campaign), "--alias", "production"]) == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("v1: 33 talking points") and "registry:production" in out
    taxonomy = str(root / "data/taxonomy.yaml")
    assert main([*base, "register", str(DEFAULT_LIBRARY), "--taxonomy", taxonomy]) == 0
    assert main([*base, "alias", "staging", "v2"]) == 0
    capsys.readouterr()
    assert main([*base, "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:3] for line in lines] == [["v1", "33", "points"], ["v2", "29", "points"]]
    assert lines[0].endswith("production") and lines[1].endswith("staging")
    assert main([*base, "verify", "production"]) == 0
    assert main([*base, "show", "v2"]) == 0
    shown = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert shown["manifest"]["points"] == 29 and shown["entry"]["version"] == "v2"


def test_cli_errors_are_one_line_exit_2(tmp_path, capsys, root):
    base = ["--registry", str(tmp_path), "registry", "talking-points"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "TPX", "narrative": "URW.nope", "phrasings": {"en": "x"}}\n')
    assert main([*base, "register", str(bad), "--taxonomy", str(root / "data/taxonomy.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown narrative 'URW.nope'" in err
    assert main([*base, "register", str(DEFAULT_LIBRARY), "--alias", "v9"]) == 2
    assert "invalid alias" in capsys.readouterr().err
    assert TalkingPointRegistry(tmp_path).versions() == []
    assert main([*base, "verify", "production"]) == 2
    assert main([*base, "register", str(tmp_path / "missing.jsonl")]) == 2


def test_export_to_bentoml_store_and_load_verified(tmp_path, root):
    registry = TalkingPointRegistry(tmp_path / "reg")
    registry.register_library([DEFAULT_LIBRARY])
    env = {**os.environ, "BENTOML_HOME": str(tmp_path / "bentoml"), "PYTHONPATH": str(root)}
    cli = [sys.executable, "-m", "narrascope.app.cli", "--registry", str(tmp_path / "reg")]
    done = subprocess.run(
        [*cli, "registry", "talking-points", "export-bento", "v1"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "NARRASCOPE_TALKING_POINTS=bentoml:narrascope-talking-points:v1" in done.stdout
    stored = tmp_path / "bentoml/models/narrascope-talking-points/v1/artifact"
    check = (
        "from narrascope.model_registry.talking_points import resolve_talking_points as r;"
        "b = r('bentoml:narrascope-talking-points:v1'); print(b.version, b.source, len(b.library))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", check], env=env, capture_output=True, text=True, timeout=120
    )
    assert shown.stdout.split() == ["v1", "bentoml", "29"], shown.stderr
    (stored / "reference.jsonl").chmod(stat.S_IRUSR | stat.S_IWUSR)
    (stored / "reference.jsonl").write_text("")
    refused = subprocess.run(
        [sys.executable, "-c", check], env=env, capture_output=True, text=True, timeout=120
    )
    assert refused.returncode != 0 and "reference.jsonl: modified" in refused.stderr
