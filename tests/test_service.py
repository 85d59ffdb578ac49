"""The BentoML service: in-process, over its ASGI app, and once as a real `bentoml serve`."""

from __future__ import annotations

import asyncio
import os
import subprocess

import httpx
import pytest

from narrascope.serving.launch import free_port, serve_command, stop, wait_ready
from narrascope.serving.schemas import (
    ANALYZE_EXAMPLE,
    EXAMPLE,
    MAX_CHARS,
    MAX_DOCUMENT_CHARS,
    MAX_TEXTS,
    TextIn,
)

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

    from narrascope.serving.service import Narrascope

    with TestClient(Narrascope.to_asgi()) as test_client:
        yield test_client


def test_in_process_call(service_env):
    from narrascope.serving.service import Narrascope

    service = Narrascope.inner()
    texts = [TextIn(text=PROPAGANDA, id="a"), TextIn(text="Hallo", lang="de")]
    out = asyncio.run(service.predict(texts=texts))
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
    assert body["talking_points"] is None  # off: NARRASCOPE_TALKING_POINTS is unset here


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
    body = response.json()
    locations = [".".join(map(str, e["loc"])) for e in body["errors"]]
    assert where in locations and f"{where}: " in body["detail"]


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe\x00", b""])
def test_unparseable_bodies_are_400(client, raw):
    response = client.post("/v1/predict", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize("content_type", ["multipart/form-data", "text/plain", ""])
def test_non_json_bodies_are_400_not_500(client, content_type):
    response = client.post(
        "/v1/predict",
        content=b'{"texts": [{"text": "hi"}]}',
        headers={"content-type": content_type},
    )
    assert response.status_code == 400 and "application/json" in response.json()["detail"]


def test_health_and_metrics(client):
    assert client.get("/livez").status_code == 200
    assert client.get("/readyz").status_code == 200
    client.post("/v1/predict", json={"texts": [{"text": PROPAGANDA}], "top_k": 1})
    metrics = client.get("/metrics").text
    assert "bentoml_service_request" in metrics
    assert 'narrascope_predicted_labels_total{endpoint="predict",label="' in metrics
    assert 'narrascope_texts_total{endpoint="predict",lang_supported="true"}' in metrics


def test_top_k_returns_the_best_narratives_whatever_the_thresholds(client):
    body = client.post(
        "/v1/predict",
        json={"texts": [{"text": "Die Regierung stellt den Haushalt vor."}], "top_k": 3},
    ).json()
    narratives = body["results"][0]["narratives"]
    assert len(narratives) == 3
    assert [n["score"] for n in narratives] == sorted(
        (n["score"] for n in narratives), reverse=True
    )
    both = client.post(
        "/v1/predict", json={"texts": [{"text": PROPAGANDA}], "top_k": 2, "threshold": 0.3}
    )
    assert both.status_code == 400 and "not both" in both.text


def test_request_id_is_echoed_or_made(client):
    sent = client.post(
        "/v1/predict", json={"texts": [{"text": PROPAGANDA}]}, headers={"X-Request-ID": "abc-123"}
    )
    assert sent.json()["request_id"] == "abc-123" and sent.headers["x-request-id"] == "abc-123"
    made = client.post("/v1/predict", json={"texts": [{"text": PROPAGANDA}]}).json()["request_id"]
    assert len(made) == 32 and made != "abc-123"


def test_unsupported_or_undetected_language_is_served_and_flagged(client):
    body = client.post(
        "/v1/predict",
        json={"texts": [{"text": "Rząd przedstawił budżet.", "lang": "pl"}, {"text": "12345 67"}]},
    ).json()
    polish, digits = body["results"]
    assert polish["lang"] == "pl" and polish["lang_supported"] is False
    assert digits["lang"] == "und" and digits["lang_supported"] is False


def test_analyze_returns_evidence_sentences_with_offsets(client):
    text = ANALYZE_EXAMPLE["text"]
    response = client.post("/v1/analyze", json=ANALYZE_EXAMPLE)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["sentences"] == 3 and body["result"]["id"] == "article-7"
    labels = body["result"]["narratives"] + body["result"]["subnarratives"]
    assert [e["id"] for e in body["evidence"]] == [lab["id"] for lab in labels]
    for evidence in body["evidence"]:
        for span in evidence["spans"]:
            assert text[span["start"] : span["end"]] == span["text"]
    for flagged in body["flagged_sentences"]:
        assert text[flagged["start"] : flagged["end"]] == flagged["text"] and flagged["narratives"]
    if body["evidence"]:  # the neutral opening sentence is never the strongest evidence
        assert not body["evidence"][0]["spans"][0]["text"].startswith("The summit opened")


def test_analyze_rejects_blank_and_oversized_documents(client):
    assert client.post("/v1/analyze", json={"text": "  "}).status_code == 400
    huge = {"text": "x" * (MAX_DOCUMENT_CHARS + 1)}
    response = client.post("/v1/analyze", json=huge)
    assert response.status_code == 400 and "text" in response.text


def test_real_bentoml_serve_subprocess(service_env, root):
    port = free_port()
    env = {k: v for k, v in service_env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env["NARRASCOPE_API_TOKEN"] = "s3cret-token"
    env["NARRASCOPE_TALKING_POINTS"] = "data/talking_points.jsonl"
    auth = {"Authorization": "Bearer s3cret-token"}
    process = subprocess.Popen(
        serve_command("127.0.0.1", port),
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, process)  # health stays open with auth on
        one = {"texts": [{"text": PROPAGANDA}]}
        denied = httpx.post(f"{base}/v1/predict", json=one, timeout=30)
        assert denied.status_code == 401 and denied.headers["www-authenticate"].startswith("Bearer")
        wrong = {"Authorization": "Bearer nope"}
        assert httpx.post(f"{base}/v1/predict", json=one, headers=wrong).status_code == 401
        ok = httpx.post(f"{base}/v1/predict", json=one, headers=auth, timeout=30)
        assert ok.status_code == 200 and ok.json()["model_version"] == "v1"
        echo = {"texts": [{"text": "NATO broke its promise not to expand one inch to the east."}]}
        matched = httpx.post(f"{base}/v1/predict", json=echo, headers=auth, timeout=60).json()
        [point] = [
            p for p in matched["results"][0]["talking_points"] if p["talking_point"] == "TP001"
        ]
        assert point["start"] == 0 and point["narrative"] == "URW.blame_west"
        bad = httpx.post(f"{base}/v1/predict", json={"texts": []}, headers=auth, timeout=30)
        assert bad.status_code == 400
        model = httpx.get(f"{base}/v1/model", headers=auth, timeout=30)
        assert model.json()["version"] == "v1"
        served = model.json()["talking_points"]
        assert (served["source"], served["version"], served["points"]) == ("files", None, 29)
        analyzed = httpx.post(f"{base}/v1/analyze", json=ANALYZE_EXAMPLE, headers=auth, timeout=30)
        assert analyzed.status_code == 200 and analyzed.json()["sentences"] == 3
        assert "narrascope_texts_total" in httpx.get(f"{base}/metrics", timeout=30).text
    finally:
        stop(process)


def test_analyze_flags_sentences_that_carry_a_narrative_on_their_own(client, service_env):
    from narrascope.model_registry import Registry
    from narrascope.text import split_sentences

    document = " ".join(
        ["The council met on Tuesday.", PROPAGANDA, "Schools reopen next week.", "It rained."]
    )
    body = client.post("/v1/analyze", json={"text": document}).json()
    sentences = split_sentences(document)
    alone = (
        Registry()
        .load("production")
        .predict([s.text for s in sentences], [body["result"]["lang"]] * len(sentences))
    )
    expected = [
        {"start": s.start, "end": s.end, "text": s.text, "narratives": [n.id for n in o.narratives]}
        for s, o in zip(sentences, alone)
        if o.narratives
    ]
    assert body["flagged_sentences"] == expected


def test_share_stix_returns_a_valid_bundle_and_refuses_a_bad_tlp(client):
    from stix2validator import ValidationOptions, validate_string

    body = {"texts": [{"id": "p1", "text": PROPAGANDA}, {"text": "Hallo", "lang": "de"}]}
    response = client.post("/v1/share/stix", json={**body, "tlp": "green"})
    assert response.status_code == 200, response.text
    bundle = response.json()
    assert bundle["type"] == "bundle" and response.headers["x-request-id"]
    assert validate_string(response.text, ValidationOptions(version="2.1")).is_valid
    green = [o for o in bundle["objects"] if o["type"] == "marking-definition"]
    assert [m["name"] for m in green] == ["TLP:GREEN"]
    counts = [o for o in bundle["objects"] if o["type"] == "x-narrascope-narrative-count"]
    predicted = client.post("/v1/predict", json=body).json()["results"][0]["narratives"]
    assert {c["narrative"] for c in counts} >= {n["id"] for n in predicted}
    refused = client.post("/v1/share/stix", json={**body, "tlp": "purple"})
    assert refused.status_code == 400 and "tlp" in refused.json()["detail"]


def test_share_stix_notes_each_talking_point_match(service_env, root):
    from narrascope.serving.service import Narrascope
    from narrascope.talking_points import TalkingPointLibrary

    service = Narrascope.inner()
    service.library = TalkingPointLibrary.load(root / "data/talking_points.jsonl")
    match = {
        "talking_point": "TP001",
        "narrative": "URW.blame_west",
        "subnarrative": "URW.blame_west.nato_expansion",
        "sentence": PROPAGANDA,
        "start": 0,
        "end": len(PROPAGANDA),
        "score": 0.42,
        "cosine": 0.9,
        "phrasing_lang": "en",
    }

    async def matches(texts):
        return [[match] for _ in texts]

    service._talking_points = matches
    out = asyncio.run(service.share_stix(texts=[TextIn(text=PROPAGANDA, id="p1")]))
    [note] = [o for o in out.objects if o["type"] == "note"]
    assert note["x_narrascope_document_id"] == "p1" and note["x_narrascope_score"] == 0.42
    assert note["content"] == PROPAGANDA
    [indicator] = [o for o in out.objects if o["type"] == "indicator"]
    assert (
        indicator["x_narrascope_talking_point"] == "TP001"
        and indicator["id"] in note["object_refs"]
    )


def test_service_settings_are_typed_and_name_a_bad_variable():
    from narrascope.serving.settings import ServiceSettings

    settings = ServiceSettings.from_env(
        {"NARRASCOPE_WORKERS": "3", "NARRASCOPE_MAX_TEXTS": "8", "NARRASCOPE_MODEL": "v2"}
    )
    assert (settings.workers, settings.max_texts, settings.model) == (3, 8, "v2")
    assert settings.body_limit == max(8 * 20000, 100000) * 6 + 65536
    with pytest.raises(ValueError, match="NARRASCOPE_WORKERS='zero'"):
        ServiceSettings.from_env({"NARRASCOPE_WORKERS": "zero"})
    with pytest.raises(ValueError, match="NARRASCOPE_BATCH_SIZE='0'"):
        ServiceSettings.from_env({"NARRASCOPE_BATCH_SIZE": "0"})
