"""Registry: immutable versions, aliases, integrity checks that refuse tampered artifacts."""

from __future__ import annotations

import json
import os
import stat

import pytest

from narrascope.errors import ArtifactError
from narrascope.model_registry import Registry
from narrascope.model_registry.registry import RegistryError


@pytest.fixture
def registry(tmp_path, artifact):
    reg = Registry(tmp_path / "reg")
    reg.register(artifact, note="first")
    return reg


def test_register_allocates_versions_and_logs(registry, artifact):
    assert registry.register(artifact) == "v2"
    assert registry.versions() == ["v1", "v2"]
    entry = registry.entry("v1")
    assert entry["note"] == "first" and "manifest.json" in entry["files"]
    assert [e["action"] for e in registry.events()] == ["register", "register"]


def test_versions_are_read_only(registry):
    path = registry.artifact_path("v1") / "weights.npz"
    assert not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def test_alias_set_resolve_and_load(registry, artifact):
    registry.register(artifact)
    registry.set_alias("production", "v1")
    registry.set_alias("production", "v2")
    assert registry.resolve("production") == "v2"
    predictor = registry.load("production")
    assert predictor.version == "v2"
    assert registry.events()[-1] == {
        **registry.events()[-1],
        "action": "alias",
        "alias": "production",
        "version": "v2",
        "previous": "v1",
    }
    # the alias file is replaced whole, never edited in place: no temp file is left behind
    assert sorted(p.name for p in registry.root.iterdir() if p.name.startswith("aliases")) == [
        "aliases.json"
    ]


@pytest.mark.parametrize("bad", ["Production", "v3", "", "a b", "x" * 41])
def test_bad_alias_names(registry, bad):
    with pytest.raises(RegistryError, match="invalid alias"):
        registry.set_alias(bad, "v1")


def test_unknown_refs_are_clear_errors(registry):
    with pytest.raises(RegistryError, match="no version 'v9'"):
        registry.resolve("v9")
    with pytest.raises(RegistryError, match=r"no alias 'staging' .*aliases: none"):
        registry.resolve("staging")


def test_tampered_weights_are_refused(registry):
    path = registry.artifact_path("v1") / "weights.npz"
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(
        ArtifactError, match=r"integrity check failed for v1 .*weights.npz: modified"
    ):
        registry.load("v1")


def test_added_and_removed_files_are_refused(registry):
    folder = registry.artifact_path("v1")
    folder.chmod(0o755)
    (folder / "extra.py").write_text("print('hello')")
    with pytest.raises(ArtifactError, match="extra.py: unexpected file"):
        registry.verify("v1")
    (folder / "extra.py").unlink()
    (folder / "README.md").unlink()
    with pytest.raises(ArtifactError, match="README.md: missing"):
        registry.verify("v1")


def test_thresholds_edited_in_manifest_are_refused(registry):
    path = registry.artifact_path("v1") / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["thresholds"] = {k: 0.0 for k in manifest["thresholds"]}
    path.chmod(0o644)
    path.write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="manifest.json: modified"):
        registry.load("v1")
