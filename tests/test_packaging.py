"""`bentoml build` works offline and packages the service code, not data or models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
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


def _bentofile_with_wheel(tmp_path, root, extra: str = "") -> Path:
    """The committed bentofile in a build context of its own (`tmp_path`) beside a wheel built
    offline from this checkout into `tmp_path/dist`, as `make bento` does in the repo."""
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(dist), str(root)],
        check=True, capture_output=True, timeout=300, env=_offline_env(tmp_path),
    )  # fmt: skip
    assert [w.name for w in dist.glob("*.whl")] == ["narrascope-0.1.0-py3-none-any.whl"]
    text = (root / "bentofile.yaml").read_text()
    assert "./dist/narrascope-0.1.0-py3-none-any.whl" in text
    bentofile = tmp_path / "bentofile.yaml"
    bentofile.write_text(text + extra)
    return bentofile


def test_wheel_installs_one_namespace(tmp_path, root):
    """Every layer installs under narrascope.*; no top-level `eval`, `training`, ... package."""
    bentofile = _bentofile_with_wheel(tmp_path, root)
    [wheel] = (tmp_path / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        tops = {name.split("/")[0] for name in archive.namelist()}
        names = set(archive.namelist())
    assert tops == {"narrascope", wheel.name.split("-py3")[0] + ".dist-info"}, tops
    for module in ("training/train", "eval/report", "serving/service", "tracking/run",
                   "model_registry/registry", "data_cards/generate", "app/cli"):  # fmt: skip
        assert f"narrascope/{module}.py" in names
    assert {
        "narrascope/eval/probes/country_names.yaml",
        "narrascope/tracking/dashboard.js",
    } <= names
    assert bentofile.is_file()


def test_bentoml_build_offline(tmp_path, root):
    bentofile = _bentofile_with_wheel(tmp_path, root)
    result = subprocess.run(
        [sys.executable, "-m", "bentoml", "build", "-f", str(bentofile), str(tmp_path)],
        cwd=tmp_path,  # BentoML only copies wheels from under the working directory
        env=_offline_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    [bento] = [p.parent for p in (tmp_path / "bentoml/bentos/narrascope").glob("*/bento.yaml")]
    wheels = [p.name for p in (bento / "env/python/wheels").glob("narrascope-*.whl")]
    assert wheels == ["narrascope-0.1.0-py3-none-any.whl"]
    # src/ must not hold a partial `narrascope` folder that would shadow the wheel's package
    files = {str(p.relative_to(bento / "src")) for p in (bento / "src").rglob("*") if p.is_file()}
    assert not [f for f in files if f.startswith(("narrascope/", "data/", "registry/", "tests/"))]


def test_bento_packages_a_pinned_registry_version(tmp_path, root, registry_root):
    """`registry export-bento v1` + `models: [narrascope-model:v1]` puts exactly v1 in the bento."""
    env = {**_offline_env(tmp_path), "PYTHONPATH": str(root)}
    cli = [sys.executable, "-m", "narrascope.app.cli", "--registry", str(registry_root)]
    subprocess.run([*cli, "registry", "export-bento", "v1"], env=env, check=True, timeout=120)
    bentofile = _bentofile_with_wheel(tmp_path, root, "models:\n  - narrascope-model:v1\n")
    result = subprocess.run(
        [sys.executable, "-m", "bentoml", "build", "-f", str(bentofile), str(tmp_path)],
        cwd=tmp_path,  # BentoML only copies wheels from under the working directory
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


# Run from the bento's own code (its wheel, unpacked) in an empty folder: no checkout, no data/,
# no registry. One to_asgi() in this fresh process (PITFALLS: a second one in the same process
# duplicates its metrics).
FROM_THE_BENTO = """
import json, sys
from pathlib import Path
import narrascope, narrascope.talking_points.wiring as wiring
assert narrascope.__file__.startswith(sys.argv[1]), narrascope.__file__
assert not (wiring.ROOT / "data").exists() and not Path("data").exists()
from starlette.testclient import TestClient
from narrascope.serving.service import Narrascope
with TestClient(Narrascope.to_asgi()) as client:
    echo = {"texts": [{"text": "NATO broke its promise not to expand one inch to the east."}]}
    predicted = client.post("/v1/predict", json=echo).json()
    print(json.dumps({"predict": predicted, "model": client.get("/v1/model").json()}))
"""


def test_bento_serves_talking_points_without_the_checkout(tmp_path, root, registry_root):
    """Export the model and a talking-point version to the store, build a bento pinning both,
    and serve it from the bento's wheel with cwd elsewhere: the library comes from the store."""
    import shutil

    from narrascope.model_registry.talking_points import TalkingPointRegistry
    from narrascope.talking_points import DEFAULT_LIBRARY

    registry = tmp_path / "registry"
    shutil.copytree(registry_root, registry)
    TalkingPointRegistry(registry).register_library([DEFAULT_LIBRARY])
    env = {**_offline_env(tmp_path), "PYTHONPATH": str(root)}
    cli = [sys.executable, "-m", "narrascope.app.cli", "--registry", str(registry), "registry"]
    for export in (["export-bento", "v1"], ["talking-points", "export-bento", "v1"]):
        subprocess.run([*cli, *export], env=env, check=True, capture_output=True, timeout=120)
    tags = ["narrascope-model:v1", "narrascope-talking-points:v1"]
    bentofile = _bentofile_with_wheel(
        tmp_path, root, "models:\n" + "".join(f"  - {t}\n" for t in tags)
    )
    built = subprocess.run(
        [sys.executable, "-m", "bentoml", "build", "-f", str(bentofile), str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    [bento] = [p.parent for p in (tmp_path / "bentoml/bentos/narrascope").glob("*/bento.yaml")]
    assert [m["tag"] for m in yaml.safe_load((bento / "bento.yaml").read_text())["models"]] == tags

    site, empty = tmp_path / "site", tmp_path / "elsewhere"
    with zipfile.ZipFile(bento / "env/python/wheels/narrascope-0.1.0-py3-none-any.whl") as wheel:
        wheel.extractall(site)
    empty.mkdir()
    served = subprocess.run(
        [sys.executable, "-c", FROM_THE_BENTO, str(site)],
        cwd=empty,
        env={
            **env,
            "PYTHONPATH": str(site),  # the bento's code, not the checkout's
            "NARRASCOPE_REGISTRY": str(tmp_path / "no-registry"),
            "NARRASCOPE_BENTO_MODEL": tags[0],
            "NARRASCOPE_TALKING_POINTS": f"bentoml:{tags[1]}",
        },
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert served.returncode == 0, served.stderr[-3000:]
    body = json.loads(served.stdout.strip().splitlines()[-1])
    [point] = [
        p for p in body["predict"]["results"][0]["talking_points"] if p["talking_point"] == "TP001"
    ]
    assert point["start"] == 0 and point["narrative"] == "URW.blame_west"
    info = body["model"]["talking_points"]
    assert (info["version"], info["source"], info["points"]) == ("v1", "bentoml", 29)
    assert not (tmp_path / "no-registry").exists()
