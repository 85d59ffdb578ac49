"""The narrascope prediction service: a thin front end and a batching scorer.

    narrascope serve --model production        # or: bentoml serve serving.service:Narrascope

`Narrascope` (the front end) validates requests, checks the bearer token, detects languages,
decodes labels and picks evidence sentences; it never holds the model. `Scorer` holds the model
(loaded once per worker) and is the only place scores are computed: BentoML's adaptive batching
merges the texts of concurrent requests into one model call there. Both resolve the model once
at start-up from the registry ($NARRASCOPE_REGISTRY, default ./registry) by $NARRASCOPE_MODEL
(`narrascope serve` pins the alias to a version before starting both), or from BentoML's model
store by $NARRASCOPE_BENTO_MODEL (a version packaged with `registry export-bento`).

Settings (environment): NARRASCOPE_API_TOKEN (bearer auth, off when unset),
NARRASCOPE_MAX_TEXTS / _MAX_CHARS / _MAX_DOCUMENT_CHARS / _MAX_SENTENCES / _MAX_BODY_BYTES,
NARRASCOPE_BATCH_SIZE and NARRASCOPE_BATCH_LATENCY_MS (adaptive batching),
NARRASCOPE_TORCH_THREADS (torch threads in the scorer).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from dataclasses import asdict

import bentoml
import numpy as np
from fastapi import FastAPI
from prometheus_client import Counter

from model_registry import Registry
from model_registry.bento import load_from_bentoml
from narrascope.text import split_sentences
from serving.middleware import BearerAuth, BodyLimit, JsonErrors
from serving.schemas import (
    MAX_BODY_BYTES,
    MAX_SENTENCES,
    AnalyzeRequest,
    AnalyzeResponse,
    EvidenceOut,
    PredictRequest,
    PredictResponse,
    ResultOut,
    SpanOut,
)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
api = FastAPI(title="narrascope model info")

# 64 texts per model call (a full request) and up to 300 ms of waiting: 10 ms turned most
# requests into 503s under load on these machines (see PITFALLS), 200-500 ms did not.
BATCH_SIZE = int(os.environ.get("NARRASCOPE_BATCH_SIZE", "64"))
BATCH_LATENCY_MS = int(os.environ.get("NARRASCOPE_BATCH_LATENCY_MS", "300"))
EVIDENCE_SPANS = 3
REQUEST_ID_HEADER = "x-request-id"

PREDICTED = Counter(
    "narrascope_predicted_labels",
    "Labels returned, per endpoint, level and label",
    labelnames=["endpoint", "level", "label"],
)
TEXTS = Counter(
    "narrascope_texts",
    "Texts served, per endpoint and whether their language was seen in training",
    labelnames=["endpoint", "lang_supported"],
)


def load_predictor(load_model: bool):
    """The pinned version, from BentoML's model store or the registry."""
    tag = os.environ.get("NARRASCOPE_BENTO_MODEL")
    if tag:
        return load_from_bentoml(tag, load_model=load_model)
    registry = Registry()
    version = registry.resolve(os.environ.get("NARRASCOPE_MODEL", "production"))
    return registry.load(version, load_model=load_model)


@bentoml.service(name="narrascope-scorer", workers=1, traffic={"timeout": 60})
class Scorer:
    def __init__(self) -> None:
        threads = os.environ.get("NARRASCOPE_TORCH_THREADS")
        if threads:
            import torch

            torch.set_num_threads(int(threads))
        self.predictor = load_predictor(load_model=True)

    @bentoml.api(batchable=True, max_batch_size=BATCH_SIZE, max_latency_ms=BATCH_LATENCY_MS)
    def scores(self, texts: list[str]) -> np.ndarray:
        """Raw per-label scores, one row per text, for texts of any number of requests."""
        return self.predictor.scores(texts).astype(np.float32)


@bentoml.service(name="narrascope", traffic={"timeout": 60})
@bentoml.asgi_app(api, path="/v1")
class Narrascope:
    scorer = bentoml.depends(Scorer)

    def __init__(self) -> None:
        self.predictor = load_predictor(load_model=False)  # labels, thresholds, taxonomy
        self.version = self.predictor.version

    @bentoml.api(route="/v1/predict", input_spec=PredictRequest, output_spec=PredictResponse)
    async def predict(
        self, texts, threshold: float | None = None, top_k: int | None = None, ctx=None
    ) -> PredictResponse:
        """Narratives and subnarratives, with scores and thresholds, for a batch of texts."""
        raw = [t.text for t in texts]
        scores = await self.scorer.to_async.scores(raw)
        outputs = await asyncio.to_thread(
            self.predictor.decide,
            raw,
            np.asarray(scores),
            [t.lang for t in texts],
            threshold,
            top_k,
        )
        results = [self._result(t.id, out, "predict") for t, out in zip(texts, outputs)]
        return PredictResponse(
            model_version=self.version, request_id=_request_id(ctx), results=results
        )

    @bentoml.api(route="/v1/analyze", input_spec=AnalyzeRequest, output_spec=AnalyzeResponse)
    async def analyze(
        self, text, id=None, lang=None, threshold: float | None = None, ctx=None
    ) -> AnalyzeResponse:
        """One long document: its labels, and the sentences that carry each label (evidence)."""
        sentences = split_sentences(text)[:MAX_SENTENCES]
        pieces = [text] + [s.text for s in sentences]
        scores = np.asarray(await self.scorer.to_async.scores(pieces))
        [whole] = await asyncio.to_thread(
            self.predictor.decide, [text], scores[:1], [lang], threshold
        )
        evidence = [
            self._evidence(label, level, sentences, scores[1:])
            for level, labels in (
                ("narrative", whole.narratives),
                ("subnarrative", whole.subnarratives),
            )
            for label in labels
        ]
        return AnalyzeResponse(
            model_version=self.version,
            request_id=_request_id(ctx),
            result=self._result(id, whole, "analyze"),
            sentences=len(sentences),
            evidence=evidence,
        )

    def _result(self, text_id, out, endpoint: str) -> ResultOut:
        supported = out.lang in self.predictor.languages
        TEXTS.labels(endpoint=endpoint, lang_supported=str(supported).lower()).inc()
        for level, labels in (("narrative", out.narratives), ("subnarrative", out.subnarratives)):
            for label in labels:
                PREDICTED.labels(endpoint=endpoint, level=level, label=label.id).inc()
        if out.is_other:
            PREDICTED.labels(endpoint=endpoint, level="other", label="Other").inc()
        return ResultOut(id=text_id, lang_supported=supported, **out.to_dict())

    def _evidence(self, label, level: str, sentences, sentence_scores) -> EvidenceOut:
        """The sentences that score highest for `label` when each is scored on its own."""
        column = self.predictor.labels.index(label.id)
        ranked = np.argsort(-sentence_scores[:, column], kind="stable")[:EVIDENCE_SPANS]
        spans = [
            SpanOut(
                start=sentences[i].start,
                end=sentences[i].end,
                text=sentences[i].text,
                score=round(float(sentence_scores[i, column]), 6),
            )
            for i in ranked
        ]
        return EvidenceOut(id=label.id, label=label.label, level=level, spans=spans)

    @api.get("/model")
    def model(self) -> dict:
        """The model card, label set with descriptions and thresholds, languages and metrics."""
        manifest, taxonomy = self.predictor.manifest, self.predictor.taxonomy
        labels = [
            {
                **asdict(taxonomy.node(lab)),
                "level": taxonomy.level_of(lab),
                "threshold": manifest["thresholds"][lab],
            }
            for lab in manifest["labels"]
        ]
        return {
            "version": self.version,
            "model_id": manifest["model_id"],
            "family": manifest["family"],
            "created": manifest["created"],
            "taxonomy_version": manifest["taxonomy_version"],
            "languages": manifest["languages"],
            "metrics": manifest["metrics"],
            "labels": labels,
            "model_card": self.predictor.model_card,
        }


def _request_id(ctx) -> str:
    """The caller's X-Request-ID when it sent a sane one, else a fresh id; echoed as a header."""
    sent = ctx.request.headers.get(REQUEST_ID_HEADER, "") if ctx is not None else ""
    request_id = sent if 0 < len(sent) <= 64 and sent.isprintable() else uuid.uuid4().hex
    if ctx is not None:
        ctx.response.headers[REQUEST_ID_HEADER] = request_id
    return request_id


# Starlette runs the first-added middleware outermost: auth, then the body limit, then
# JSON-only bodies and the one error shape.
Narrascope.add_asgi_middleware(BearerAuth, token=os.environ.get("NARRASCOPE_API_TOKEN"))
Narrascope.add_asgi_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
Narrascope.add_asgi_middleware(JsonErrors)
