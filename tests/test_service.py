"""The BentoML service: in-process, over its ASGI app, and once as a real `bentoml serve`."""

from __future__ import annotations

import os
import subprocess

import httpx
import pytest

from serving.launch import free_port, serve_command, stop, wait_ready
from serving.schemas import EXAMPLE, MAX_CHARS, MAX_TEXTS, TextIn

PROPAGANDA = "NATO expansion left Russia no choice: the West provoked this war in Ukraine."


@pytest.fixture(scope="session")
def service_env(registry_root):
    os.environ["NARRASCOPE_REGISTRY"] = str(registry_root)
    os.environ["NARRASCOPE_MODEL"] = "production"
    return {**os.environ}


@pytest.fixture(scope="session")
def client(service_env):
    """One ASGI app per session: a second to_asgi() in one process duplicates its metrics."""
    from starlette.testclient import TestClient

    from serving.service import Narrascope

    with TestClient(Narrascope.to_asgi()) as test_client:
        yield test_client


def test_in_process_call(service_env):
    from serving.service import Narrascope

    service = Narrascope.inner()
    out = service.predict(texts=[TextIn(text=PROPAGANDA, id="a"), TextIn(text="Hallo", lang="de")])
    assert out.model_version == "v1"
    assert [r.id for r in out.results] == ["a", None]
    assert out.results[0].lang == "en" and out.results[1].lang == "de"


def test_predict_example(client):
    response = client.post("/v1/predict", json=EXAMPLE)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_version"] == "v1" and len(body["results"]) == 2
    first, second = body["results"]
    assert first["id"] == "post-1" and first["lang"] == "en"
    assert second["lang"] == "de" and second["lang_confidence"] == 1.0
    for result in body["results"]:
        assert result["other"] == (not result["narratives"])
        assert 0 <= result["other_score"] <= 1
        for label in result["narratives"] + result["subnarratives"]:
            assert 0 <= label["score"] <= 1 and label["label"]


def test_threshold_override(client):
    body = client.post(
        "/v1/predict", json={"texts": [{"text": PROPAGANDA}], "threshold": 0.0}
    ).json()
    assert len(body["results"][0]["narratives"]) == 12
    assert all(lab["threshold"] == 0.0 for lab in body["results"][0]["narratives"])


def test_model_endpoint(client):
    response = client.get("/v1/model")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == "v1" and body["family"] == "linear"
    assert len(body["labels"]) == 41 and body["labels"][0]["description"]
    assert body["labels"][-1]["level"] == "other"
    assert "Model card" in body["model_card"] and "en" in body["languages"]


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ({"texts": []}, "texts"),
        ({"texts": [{"text": "ok text"}, {"text": "   "}]}, "texts.1.text"),
        ({"texts": [{"text": ""}]}, "texts.0.text"),
        ({"texts": "just a string"}, "texts"),
        ({"texts": [{"text": 42}]}, "texts.0.text"),
        ({"texts": [{"text": "ok", "colour": "red"}]}, "texts.0.colour"),
        ({"texts": [{"text": "ok"}], "extra": 1}, "extra"),
        ({"texts": [{"text": "ok"}], "threshold": 1.5}, "threshold"),
        ({"texts": [{"text": "ok", "lang": "english"}]}, "texts.0.lang"),
        ({"texts": [{"text": "x"}] * (MAX_TEXTS + 1)}, "texts"),
        ({"texts": [{"text": "x" * (MAX_CHARS + 1)}]}, "texts.0.text"),
    ],
)
def test_bad_requests_are_4xx_naming_the_field(client, payload, where):
    response = client.post("/v1/predict", json=payload)
    assert response.status_code == 400, response.text
    locations = [".".join(map(str, d["loc"])) for d in response.json()["detail"]]
    assert where in locations


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe\x00", b""])
def test_unparseable_bodies_are_400(client, raw):
    response = client.post("/v1/predict", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400


def test_health_and_metrics(client):
    assert client.get("/livez").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert "bentoml_service_request" in client.get("/metrics").text


def test_real_bentoml_serve_subprocess(service_env, root):
    port = free_port()
    env = {k: v for k, v in service_env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    process = subprocess.Popen(
        serve_command("127.0.0.1", port),
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, process)
        ok = httpx.post(f"{base}/v1/predict", json={"texts": [{"text": PROPAGANDA}]}, timeout=30)
        assert ok.status_code == 200 and ok.json()["model_version"] == "v1"
        bad = httpx.post(f"{base}/v1/predict", json={"texts": []}, timeout=30)
        assert bad.status_code == 400
        assert httpx.get(f"{base}/v1/model", timeout=30).json()["version"] == "v1"
    finally:
        stop(process)
