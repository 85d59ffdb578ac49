"""`bentoml build` works offline and packages the service code, not data or models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml


def _offline_env(tmp_path) -> dict:
    bin_dir = Path(sys.executable).parent  # uv lives beside the interpreter in the venv
    closed = "http://127.0.0.1:9/simple"  # nothing listens there: any index access fails fast
    return {
        **os.environ,
        "BENTOML_HOME": str(tmp_path / "bentoml"),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PIP_INDEX_URL": closed,
        "UV_INDEX_URL": closed,
        "UV_DEFAULT_INDEX": closed,
        "UV_OFFLINE": "1",
        "PIP_NO_INDEX": "1",
    }


def test_bentoml_build_offline(tmp_path, root):
    result = subprocess.run(
        [sys.executable, "-m", "bentoml", "build", str(root)],
        env=_offline_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    built = list((tmp_path / "bentoml/bentos/narrascope").glob("*/src"))
    assert len(built) == 1
    files = {str(p.relative_to(built[0])) for p in built[0].rglob("*") if p.is_file()}
    assert {"serving/service.py", "narrascope/predictor.py", "model_registry/registry.py"} <= files
    assert not [f for f in files if f.startswith(("data/", "registry/", "tests/", ".venv/"))]


def test_bento_packages_a_pinned_registry_version(tmp_path, root, registry_root):
    """`registry export-bento v1` + `models: [narrascope-model:v1]` puts exactly v1 in the bento."""
    env = {**_offline_env(tmp_path), "PYTHONPATH": str(root)}
    cli = [sys.executable, "-m", "narrascope.cli", "--registry", str(registry_root)]
    subprocess.run([*cli, "registry", "export-bento", "v1"], env=env, check=True, timeout=120)
    bentofile = tmp_path / "bentofile.yaml"
    text = (root / "bentofile.yaml").read_text()
    bentofile.write_text(text + "models:\n  - narrascope-model:v1\n")
    result = subprocess.run(
        [sys.executable, "-m", "bentoml", "build", "-f", str(bentofile), str(root)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    [bento] = (tmp_path / "bentoml/bentos/narrascope").glob("*/bento.yaml")
    # BentoML keeps model files in its store and pins them by tag in the bento (export/push
    # carry them along): exactly one model, at exactly the registry version.
    models = yaml.safe_load(bento.read_text())["models"]
    assert [m["tag"] for m in models] == ["narrascope-model:v1"]
    stored = tmp_path / "bentoml/models/narrascope-model/v1/artifact/manifest.json"
    assert stored.is_file()
