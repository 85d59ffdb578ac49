"""The narrascope prediction service.

    narrascope serve --model production
    bentoml serve narrascope.serving.service:Narrascope    # the same, started by BentoML

One BentoML service: it validates requests, checks the bearer token, and scores texts through
an in-process adaptive batcher (serving/batching.py: the texts of concurrent requests share
one model call). It resolves the model once at start-up from the registry
($NARRASCOPE_REGISTRY, default ./registry) by $NARRASCOPE_MODEL (`narrascope serve` pins the
alias to a version first), or from BentoML's model store by $NARRASCOPE_BENTO_MODEL (a version
packaged with `registry export-bento`). Talking points come the same way, by
$NARRASCOPE_TALKING_POINTS: `registry:REF` (a library version under
$NARRASCOPE_REGISTRY/talking_points, hashes verified), `bentoml:TAG` (one packaged with
`registry talking-points export-bento`, what a bento uses) or comma-separated JSONL files for
local use (they need the checkout's data/ reference and calibration). GET /v1/model reports
which library is served.

Settings (environment): NARRASCOPE_API_TOKEN (bearer auth, off when unset),
NARRASCOPE_MAX_TEXTS / _MAX_CHARS / _MAX_DOCUMENT_CHARS / _MAX_SENTENCES / _MAX_BODY_BYTES,
NARRASCOPE_BATCH_SIZE and NARRASCOPE_BATCH_WAIT_MS (adaptive batching), NARRASCOPE_WORKERS
(processes), NARRASCOPE_TORCH_THREADS
(torch threads), NARRASCOPE_TALKING_POINTS (the talking-point library to match; off when
unset). POST /v1/share/stix answers a batch as a STIX 2.1 bundle (narrascope.share).
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict

import bentoml
import numpy as np
from fastapi import FastAPI
from prometheus_client import Counter

from narrascope.model_registry import Registry
from narrascope.model_registry.bento import load_from_bentoml
from narrascope.model_registry.talking_points import resolve_talking_points
from narrascope.serving.batching import MicroBatcher
from narrascope.serving.middleware import BearerAuth, BodyLimit, JsonErrors
from narrascope.serving.schemas import (
    MAX_BODY_BYTES,
    MAX_SENTENCES,
    AnalyzeRequest,
    AnalyzeResponse,
    EvidenceOut,
    FlaggedSentenceOut,
    PredictRequest,
    PredictResponse,
    ResultOut,
    ShareRequest,
    SpanOut,
    StixBundleOut,
)
from narrascope.serving.settings import ServiceSettings, service_settings
from narrascope.share.stix import bundle_json, results_bundle
from narrascope.talking_points import TalkingPointLibrary
from narrascope.text import split_sentences

os.environ.setdefault("HF_HUB_OFFLINE", "1")
api = FastAPI(title="narrascope model info")

# Every NARRASCOPE_* variable (serving/settings.py). What the decorator and the middleware need
# is read here, at import; what is served is read again when each worker starts.
SETTINGS = service_settings()
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


def load_predictor(settings: ServiceSettings):
    """The pinned version, from BentoML's model store or the registry."""
    if settings.bento_model:
        return load_from_bentoml(settings.bento_model)
    registry = Registry(settings.registry)
    return registry.load(registry.resolve(settings.model))


def load_talking_points(settings: ServiceSettings):
    """The talking-point bundle $NARRASCOPE_TALKING_POINTS names, or None when it is unset."""
    spec = settings.talking_points.strip()
    return resolve_talking_points(spec, settings.registry) if spec else None


@bentoml.service(name="narrascope", workers=SETTINGS.workers, traffic={"timeout": 60})
@bentoml.asgi_app(api, path="/v1")
class Narrascope:
    def __init__(self) -> None:
        settings = ServiceSettings.from_env()  # once per worker
        self.predictor = load_predictor(settings)
        self.version = self.predictor.version
        if "torch" in sys.modules:  # encoder families; a linear model never imports torch
            sys.modules["torch"].set_num_threads(settings.torch_threads)
        model_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model")
        batching = (settings.batch_size, settings.batch_wait_ms, model_thread)
        self.scores = MicroBatcher(self.predictor.scores, *batching)
        bundle = load_talking_points(settings)
        matcher = bundle.matcher() if bundle is not None else None
        self.library = bundle.library if bundle is not None else TalkingPointLibrary()
        # which library answers, for GET /v1/model (None: talking points are off)
        self.talking_points_served = bundle.describe() if bundle is not None else None
        self.talking_points = (
            MicroBatcher(_match_dicts(matcher), *batching) if matcher is not None else None
        )

    @bentoml.api(route="/v1/predict", input_spec=PredictRequest, output_spec=PredictResponse)
    async def predict(
        self, texts, threshold: float | None = None, top_k: int | None = None, ctx=None
    ) -> PredictResponse:
        """Narratives and subnarratives, with scores and thresholds, for a batch of texts."""
        outputs, points = await self._decide_batch(texts, threshold, top_k)
        results = [
            self._result(t.id, out, "predict", found)
            for t, out, found in zip(texts, outputs, points)
        ]
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
        scores = np.asarray(await self.scores(pieces))
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
        # Each sentence decoded on its own, in the document's language (no per-sentence langid).
        alone = await asyncio.to_thread(
            self.predictor.decide,
            [x.text for x in sentences],
            scores[1:],
            [whole.lang] * len(sentences),
            threshold,
        )
        flagged = [
            FlaggedSentenceOut(
                start=x.start, end=x.end, text=x.text, narratives=[n.id for n in out.narratives]
            )
            for x, out in zip(sentences, alone)
            if out.narratives
        ]
        return AnalyzeResponse(
            model_version=self.version,
            request_id=_request_id(ctx),
            result=self._result(id, whole, "analyze"),
            sentences=len(sentences),
            evidence=evidence,
            flagged_sentences=flagged,
        )

    @bentoml.api(route="/v1/share/stix", input_spec=ShareRequest, output_spec=StixBundleOut)
    async def share_stix(
        self, texts, threshold: float | None = None, tlp: str = "amber", ctx=None
    ) -> StixBundleOut:
        """The predictions and talking-point matches of a batch as a STIX 2.1 bundle."""
        outputs, points = await self._decide_batch(texts, threshold)
        results = [
            {**out.to_dict(), "id": t.id, "talking_points": found}
            for t, out, found in zip(texts, outputs, points)
        ]
        bundle = await asyncio.to_thread(
            results_bundle, self.predictor.taxonomy, self.library, results, tlp
        )
        _request_id(ctx)  # the X-Request-ID header, as on every /v1/ answer
        return StixBundleOut(**bundle_json(bundle))

    async def _decide_batch(self, texts, threshold=None, top_k=None):
        """Predictions and talking-point matches for a batch of `TextIn`: the model and the
        matcher run concurrently (both batched), the decoding in a thread."""
        raw = [t.text for t in texts]
        scores, points = await asyncio.gather(self.scores(raw), self._talking_points(raw))
        outputs = await asyncio.to_thread(
            self.predictor.decide,
            raw,
            np.asarray(scores),
            [t.lang for t in texts],
            threshold,
            top_k,
        )
        return outputs, points

    async def _talking_points(self, texts: list[str]) -> list[list[dict]]:
        if self.talking_points is None:
            return [[] for _ in texts]
        return await self.talking_points(texts)

    def _result(self, text_id, out, endpoint: str, points=()) -> ResultOut:
        supported = out.lang in self.predictor.languages
        TEXTS.labels(endpoint=endpoint, lang_supported=str(supported).lower()).inc()
        for level, labels in (("narrative", out.narratives), ("subnarrative", out.subnarratives)):
            for label in labels:
                PREDICTED.labels(endpoint=endpoint, level=level, label=label.id).inc()
        if out.is_other:
            PREDICTED.labels(endpoint=endpoint, level="other", label="Other").inc()
        return ResultOut(
            id=text_id, lang_supported=supported, talking_points=list(points), **out.to_dict()
        )

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
        """The model card, label set with descriptions and thresholds, languages and metrics,
        and the talking-point library served (version, digest, threshold; null when off)."""
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
            "talking_points": self.talking_points_served,
        }


def _match_dicts(matcher):
    return lambda texts: [[m.to_dict() for m in found] for found in matcher.match(texts)]


def _request_id(ctx) -> str:
    """The caller's X-Request-ID when it sent a sane one, else a fresh id; echoed as a header."""
    sent = ctx.request.headers.get(REQUEST_ID_HEADER, "") if ctx is not None else ""
    request_id = sent if 0 < len(sent) <= 64 and sent.isprintable() else uuid.uuid4().hex
    if ctx is not None:
        ctx.response.headers[REQUEST_ID_HEADER] = request_id
    return request_id


# Starlette runs the first-added middleware outermost: auth, then the body limit, then
# JSON-only bodies and the one error shape.
Narrascope.add_asgi_middleware(BearerAuth, token=SETTINGS.api_token)
Narrascope.add_asgi_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
Narrascope.add_asgi_middleware(JsonErrors)
