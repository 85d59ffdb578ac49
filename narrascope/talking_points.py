"""Cross-lingual talking-point matching: which known state-media claims a text echoes, and where.

A talking point has canonical phrasings in one or more languages (data/talking_points.jsonl).
The library is data, not a model: a new campaign's talking points become matchable as soon as
they are added, with no retraining.

    library = TalkingPointLibrary.load(["data/talking_points.jsonl"])
    matcher = default_matcher(library)        # embedded multilingual-e5-small, calibrated threshold
    matcher.match(["Text one. Text two."])    # -> [[Match(talking_point="TP001", ...), ...]]

Matching, per text:
1. split the text into sentences (narrascope.text.split_sentences, offsets into the original);
2. embed every sentence of the batch at once; phrasings are embedded once per matcher (in memory,
   and on disk under $NARRASCOPE_CACHE when the encoder has a fingerprint). Both sides get the
   same e5 prefix, "query: ", as this is symmetric similarity;
3. score every sentence against every phrasing -- cosine similarity, by default "centered" on
   the sentence's mean similarity to a reference library's phrasings in the same language (see
   TalkingPointMatcher); for each talking point, the best (sentence, phrasing) pair; keep those
   scoring >= the threshold, best first.

The threshold is chosen by `calibrate` on documents labelled with the talking points they echo
(bench/talking_points.py writes data/talking_points.calibration.json).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from narrascope.errors import ArtifactError, DataError
from narrascope.text import Sentence, split_sentences

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LIBRARY = ROOT / "data" / "talking_points.jsonl"
DEFAULT_CALIBRATION = ROOT / "data" / "talking_points.calibration.json"
PREFIX = "query: "  # e5: "query: " on both sides for symmetric similarity
SCORINGS = ("centered", "cosine")
MIN_REFERENCE = 5  # reference phrasings needed to centre on a language's mean
FIELDS = {"id", "narrative", "subnarrative", "phrasings", "origin_country", "first_seen"}


# -- the library ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class TalkingPoint:
    id: str
    narrative: str
    phrasings: dict[str, str]  # language code -> canonical phrasing
    subnarrative: str | None = None
    origin_country: str | None = None
    first_seen: str | None = None  # ISO date

    @classmethod
    def from_dict(cls, raw: object, *, file: str | None = None, line: int | None = None):
        """One validated talking point; a DataError names the file, line and field otherwise."""

        def fail(message: str, field_name: str | None = None):
            raise DataError(message, file=file, line=line, field=field_name)

        if not isinstance(raw, dict):
            fail("a talking point must be a JSON object")
        unknown = sorted(set(raw) - FIELDS)
        if unknown:
            fail(f"unknown field (allowed: {', '.join(sorted(FIELDS))})", unknown[0])
        for name in ("id", "narrative"):
            if not isinstance(raw.get(name), str) or not raw[name].strip():
                fail("missing or empty (a non-empty string is required)", name)
        for name in ("subnarrative", "origin_country", "first_seen"):
            if raw.get(name) is not None and not isinstance(raw[name], str):
                fail("must be a string or null", name)
        phrasings = raw.get("phrasings")
        if not isinstance(phrasings, dict) or not phrasings:
            fail("must map language codes to phrasings, with at least one", "phrasings")
        for lang, text in phrasings.items():
            if not isinstance(text, str) or not text.strip():
                fail(f"phrasing for '{lang}' is empty or not a string", "phrasings")
        if raw.get("first_seen"):
            try:
                date.fromisoformat(raw["first_seen"])
            except ValueError:
                fail("not an ISO date (YYYY-MM-DD)", "first_seen")
        return cls(
            id=raw["id"],
            narrative=raw["narrative"],
            phrasings=dict(phrasings),
            subnarrative=raw.get("subnarrative"),
            origin_country=raw.get("origin_country"),
            first_seen=raw.get("first_seen"),
        )

    def to_dict(self) -> dict:
        return asdict(self)


class TalkingPointLibrary:
    """An ordered set of talking points with unique ids."""

    def __init__(self, points: Iterable[TalkingPoint] = ()):
        self.points: list[TalkingPoint] = []
        self._index: dict[str, int] = {}
        for point in points:
            self._add(point)

    @classmethod
    def load(cls, paths: str | Path | Iterable[str | Path], taxonomy=None) -> TalkingPointLibrary:
        """Read one or more JSONL files; ids must be unique across all of them. With a taxonomy,
        narratives and subnarratives must exist in it and fit together."""
        paths = [paths] if isinstance(paths, str | Path) else list(paths)
        library, seen = cls(), {}
        for path in paths:
            for number, raw in _jsonl(Path(path)):
                point = TalkingPoint.from_dict(raw, file=str(path), line=number)
                if point.id in seen:
                    raise DataError(
                        f"duplicate talking point id {point.id!r} (first at {seen[point.id]})",
                        file=str(path),
                        line=number,
                        field="id",
                    )
                if taxonomy is not None:
                    _check_labels(point, taxonomy, str(path), number)
                seen[point.id] = f"{path}:{number}"
                library._add(point)
        return library

    def extend(self, points: Iterable[TalkingPoint]) -> TalkingPointLibrary:
        """A new library with these points added (ids still unique); this one is unchanged."""
        return TalkingPointLibrary([*self.points, *points])

    def _add(self, point: TalkingPoint) -> None:
        if point.id in self._index:
            raise DataError(f"duplicate talking point id {point.id!r}", field="id")
        self._index[point.id] = len(self.points)
        self.points.append(point)

    @property
    def ids(self) -> list[str]:
        return [p.id for p in self.points]

    @property
    def languages(self) -> list[str]:
        return sorted({lang for p in self.points for lang in p.phrasings})

    def __getitem__(self, point_id: str) -> TalkingPoint:
        return self.points[self._index[point_id]]

    def __contains__(self, point_id: object) -> bool:
        return point_id in self._index

    def __len__(self) -> int:
        return len(self.points)

    def digest(self) -> str:
        """sha256 of the library's content (ids, labels and phrasings, in order)."""
        canonical = json.dumps([p.to_dict() for p in self.points], sort_keys=True)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _jsonl(path: Path):
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise DataError(
            f"cannot read talking points: {exc.strerror or exc}", file=str(path)
        ) from None
    except UnicodeDecodeError as exc:
        raise DataError(f"invalid UTF-8 at byte {exc.start}", file=str(path)) from None
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"invalid JSON: {exc.msg}", file=str(path), line=number) from None


def _check_labels(point: TalkingPoint, taxonomy, file: str, line: int) -> None:
    where = {"file": file, "line": line}
    if point.narrative not in taxonomy.narratives:
        raise DataError(f"unknown narrative {point.narrative!r}", field="narrative", **where)
    sub = point.subnarrative
    if sub is not None and sub not in taxonomy.subnarratives:
        raise DataError(f"unknown subnarrative {sub!r}", field="subnarrative", **where)
    if sub is not None and taxonomy.parent_of(sub) != point.narrative:
        raise DataError(
            f"subnarrative {sub!r} is not under narrative {point.narrative!r}",
            field="subnarrative",
            **where,
        )


# -- matching ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Match:
    talking_point: str
    narrative: str
    sentence: str  # text[start:end]
    start: int
    end: int
    score: float  # the matcher's score (see TalkingPointMatcher), compared with its threshold
    cosine: float  # cosine similarity of the sentence with the closest phrasing
    phrasing_lang: str  # the language of that phrasing
    subnarrative: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SentenceSimilarities:
    """Every sentence of a batch against every phrasing: text i owns rows bounds[i]:bounds[i+1]."""

    sentences: list[list[Sentence]]
    similarities: np.ndarray  # [sentences in the batch, phrasings]: the matcher's scores
    embeddings: np.ndarray | None = None  # [sentences in the batch, dim], L2-normalised
    bounds: np.ndarray = field(init=False)

    def __post_init__(self):
        self.bounds = np.cumsum([0, *(len(s) for s in self.sentences)])


@dataclass(frozen=True)
class Best:
    """For each (text, talking point): the best score, its sentence row and its phrasing column
    (-1 and score -inf where the text has no sentence or no allowed phrasing)."""

    scores: np.ndarray  # [texts, points]
    rows: np.ndarray
    columns: np.ndarray


class TalkingPointMatcher:
    """Scores every sentence against every phrasing and keeps, per talking point, the best one.

    scoring="cosine": the cosine similarity of sentence and phrasing.
    scoring="centered" (default): that cosine minus the sentence's mean cosine with the
    `reference` library's phrasings in the phrasing's language (all of them where that language
    has fewer than MIN_REFERENCE phrasings). This removes what a sentence shares with *any*
    claim in that language -- topic and, above all, language: raw e5 cosines are higher for a
    same-language pair, so a fixed cosine threshold both over-matches same-language topical
    sentences and misses cross-lingual echoes. It costs nothing at match time (a dot product with
    p - mean_L). Measured on the bundled corpus (bench/talking_points.py, 5-fold over all 680
    documents): micro F1 0.43 centered vs 0.34 cosine. With a fixed `reference` (the default
    matcher uses the bundled library), adding talking points leaves other points' scores as
    they were.
    """

    def __init__(
        self,
        library: TalkingPointLibrary,
        encoder,
        threshold: float,
        *,
        scoring: str = "centered",
        reference: TalkingPointLibrary | None = None,
        prefix: str = PREFIX,
        languages: Iterable[str] | None = None,
        batch_size: int = 64,
        fingerprint: str | None = None,
        cache_dir: str | Path | None = None,
        shared_memo: dict[str, np.ndarray] | None = None,
    ):
        """`encoder` is a narrascope TextEncoder (its own prefix is replaced by `prefix` for both
        phrasings and sentences, without touching the caller's object). `reference` (default:
        `library`) centres "centered" scores. `languages` restricts matching to phrasings in
        those languages. With a `fingerprint` identifying the encoder's weights and precision,
        and a `cache_dir`, phrasing embeddings are also cached on disk. `shared_memo` (phrasing
        text -> vector, same encoder and prefix) lets matchers share embeddings."""
        if scoring not in SCORINGS:
            raise ValueError(f"scoring must be one of {SCORINGS}, not {scoring!r}")
        self.library, self.threshold, self.batch_size = library, float(threshold), batch_size
        self.scoring, self.reference = scoring, reference
        self.encoder = _with_prefix(encoder, prefix)
        self.prefix, self.fingerprint = prefix, fingerprint
        self.cache_dir = Path(cache_dir) if cache_dir else None
        wanted = set(languages) if languages is not None else None
        self.languages = sorted(wanted) if wanted is not None else None
        self.phrasings = _phrasings(library, wanted)  # (point index, language, text), by point
        self.phrasing_point = np.array([i for i, _, _ in self.phrasings], dtype=np.int64)
        self.phrasing_langs = [lang for _, lang, _ in self.phrasings]
        self._groups = _groups(self.phrasing_point, len(library))
        self._memo = shared_memo if shared_memo is not None else {}
        self.phrasing_vectors = self._vectors([text for _, _, text in self.phrasings])
        self.scoring_vectors = self.phrasing_vectors
        if scoring == "centered":
            self.scoring_vectors = self.phrasing_vectors - self._centres()

    def with_library(self, library: TalkingPointLibrary, **changes) -> TalkingPointMatcher:
        """A matcher over another library (e.g. extended by a new campaign), sharing the encoder,
        the phrasings already embedded (only new ones are embedded) and the reference, so the
        scores of the points already there do not move."""
        options = {
            "threshold": self.threshold,
            "scoring": self.scoring,
            "reference": self.reference if self.reference is not None else self.library,
            "prefix": self.prefix,
            "languages": self.languages,
            "batch_size": self.batch_size,
            "fingerprint": self.fingerprint,
            "cache_dir": self.cache_dir,
            **changes,
        }
        return TalkingPointMatcher(library, self.encoder, shared_memo=self._memo, **options)

    # -- public ------------------------------------------------------------------------------
    def match(self, texts: Sequence[str]) -> list[list[Match]]:
        """For each text, the talking points it echoes (score >= threshold), best first."""
        sims = self.similarities(texts)
        best = self.best(sims)
        out = []
        for t, sentences in enumerate(sims.sentences):
            found = []
            for p in np.flatnonzero(best.scores[t] >= self.threshold):
                point, row, column = self.library.points[p], best.rows[t, p], best.columns[t, p]
                sentence = sentences[row - sims.bounds[t]]
                cosine = float(sims.embeddings[row] @ self.phrasing_vectors[column])
                found.append(
                    Match(
                        talking_point=point.id,
                        narrative=point.narrative,
                        sentence=sentence.text,
                        start=sentence.start,
                        end=sentence.end,
                        score=round(float(best.scores[t, p]), 6),
                        cosine=round(cosine, 6),
                        phrasing_lang=self.phrasing_langs[column],
                        subnarrative=point.subnarrative,
                    )
                )
            out.append(sorted(found, key=lambda m: (-m.score, m.talking_point)))
        return out

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """[texts, talking points]: each point's best sentence score (-inf for a text with no
        sentence); what `calibrate` takes."""
        return self.best(self.similarities(texts)).scores

    def similarities(self, texts: Sequence[str]) -> SentenceSimilarities:
        """Split every text into sentences, embed them all in one go, score every phrasing."""
        sentences = [split_sentences(t) for t in texts]
        flat = [s.text for group in sentences for s in group]
        distinct = list(dict.fromkeys(flat))
        vectors = np.zeros((0, self.encoder.dim), dtype=np.float32)
        if distinct:
            row = {text: k for k, text in enumerate(distinct)}
            vectors = self._embed(distinct)[[row[t] for t in flat]]
        return SentenceSimilarities(sentences, vectors @ self.scoring_vectors.T, vectors)

    def best(self, sims: SentenceSimilarities, allowed: np.ndarray | None = None) -> Best:
        """Best (sentence, phrasing) per text and talking point. `allowed` [texts, phrasings]
        (bool) masks phrasings per text, e.g. to leave out the text's own language."""
        n_texts, n_points = len(sims.sentences), len(self.library)
        scores = np.full((n_texts, n_points), -np.inf, dtype=np.float32)
        rows = np.full((n_texts, n_points), -1, dtype=np.int64)
        columns = np.full((n_texts, n_points), -1, dtype=np.int64)
        for t in range(n_texts):
            lo, hi = sims.bounds[t], sims.bounds[t + 1]
            if lo == hi or not len(self.phrasings):
                continue
            block = sims.similarities[lo:hi]
            if allowed is not None:
                block = np.where(allowed[t][None, :], block, -np.inf)
            best_row = block.argmax(axis=0)  # per phrasing: its best sentence
            per_phrasing = np.append(block[best_row, np.arange(block.shape[1])], -np.inf)
            grouped = per_phrasing[self._groups]  # padding (-1) reads the appended -inf
            pick = self._groups[np.arange(n_points), grouped.argmax(axis=1)]
            found = np.isfinite(per_phrasing[pick])
            scores[t, found] = per_phrasing[pick[found]]
            rows[t, found] = lo + best_row[pick[found]]
            columns[t, found] = pick[found]
        return Best(scores, rows, columns)

    # -- embeddings --------------------------------------------------------------------------
    def _embed(self, texts: list[str]) -> np.ndarray:
        vectors = np.asarray(self.encoder.embed(texts, self.batch_size), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    def _vectors(self, texts: list[str]) -> np.ndarray:
        """Phrasing embeddings: from memory, else from the disk cache, else the encoder."""
        if not texts:
            return np.zeros((0, self.encoder.dim), dtype=np.float32)
        missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if not missing:
            return np.stack([self._memo[t] for t in texts])
        path = self._cache_path(texts)
        cached = _read_vectors(path, len(texts)) if path else None
        if cached is not None:
            self._memo.update(zip(texts, cached))
            return cached
        self._memo.update(zip(missing, self._embed(missing)))
        vectors = np.stack([self._memo[t] for t in texts])
        if path:
            _write_vectors(path, vectors)
        return vectors

    def _centres(self) -> np.ndarray:
        """Per phrasing, the mean reference phrasing vector of its language."""
        reference = self.reference if self.reference is not None else self.library
        if not self.phrasings:
            return self.phrasing_vectors
        if len(reference) < MIN_REFERENCE:
            raise ValueError(
                f"centered scoring needs a reference library of at least {MIN_REFERENCE} "
                f"talking points (this one has {len(reference)}): pass reference= "
                "(e.g. the bundled library) or scoring='cosine'"
            )
        phrasings = _phrasings(reference, None)
        vectors = self._vectors([text for _, _, text in phrasings])
        langs = np.array([lang for _, lang, _ in phrasings])
        overall = vectors.mean(axis=0)
        means = {
            lang: vectors[langs == lang].mean(axis=0)
            for lang in set(langs)
            if (langs == lang).sum() >= MIN_REFERENCE
        }
        return np.stack([means.get(lang, overall) for lang in self.phrasing_langs])

    def _cache_path(self, texts: list[str]) -> Path | None:
        if not (self.fingerprint and self.cache_dir):
            return None
        e = self.encoder
        key = json.dumps(
            {
                "phrasings": texts,
                "encoder": self.fingerprint,
                "prefix": self.prefix,
                "window": [getattr(e, "window", None), getattr(e, "stride", None)],
                "pooling": getattr(e, "pooling", None),
            },
            ensure_ascii=False,
        )
        return self.cache_dir / f"{hashlib.sha256(key.encode('utf-8')).hexdigest()}.safetensors"


def _phrasings(library: TalkingPointLibrary, languages: set[str] | None) -> list[tuple]:
    return [
        (i, lang, text)
        for i, point in enumerate(library.points)
        for lang, text in point.phrasings.items()
        if languages is None or lang in languages
    ]


def _groups(phrasing_point: np.ndarray, n_points: int) -> np.ndarray:
    """[points, most phrasings per point]: each point's phrasing columns, -1 as padding."""
    counts = np.bincount(phrasing_point, minlength=n_points)
    groups = np.full((n_points, max(counts.max(initial=0), 1)), -1, np.int64)
    for p in range(n_points):
        cols = np.flatnonzero(phrasing_point == p)
        groups[p, : len(cols)] = cols
    return groups


def _with_prefix(encoder, prefix: str):
    """The encoder with `prefix` as its text prefix: the same object, or a shallow copy sharing
    the model and tokenizer (so an encoder used elsewhere with 'passage: ' is left as it is)."""
    if getattr(encoder, "prefix", prefix) == prefix:
        return encoder
    shared = copy.copy(encoder)
    shared.prefix = prefix
    return shared


def _read_vectors(path: Path, n: int) -> np.ndarray | None:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        vectors = load_file(str(path))["phrasings"]
    except (OSError, KeyError, SafetensorError):
        return None
    return vectors if vectors.ndim == 2 and vectors.shape[0] == n else None


def _write_vectors(path: Path, vectors: np.ndarray) -> None:
    from safetensors.numpy import save_file

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        save_file({"phrasings": np.ascontiguousarray(vectors, dtype=np.float32)}, str(tmp))
        tmp.replace(path)  # atomic: a concurrent reader sees the old file or the new one
    except OSError:
        pass  # the disk cache is an optimisation; matching does not depend on it


# -- calibration ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Calibration:
    threshold: float
    precision: float
    recall: float
    f1: float
    support: int  # gold (document, talking point) pairs
    predicted: int  # predicted pairs at the threshold

    def to_dict(self) -> dict:
        return asdict(self)


def calibrate(matcher_scores: np.ndarray, gold: np.ndarray) -> Calibration:
    """The threshold maximising micro F1 over (document, talking point) pairs.

    `matcher_scores` and `gold` are [documents, talking points] (`TalkingPointMatcher.scores`
    and `gold_matrix`). A pair is predicted when its score >= threshold. The threshold is the
    midpoint between the lowest accepted score and the highest rejected one, so it does not sit
    on a training score; ties in F1 go to the higher threshold (fewer, surer matches).
    """
    scores = np.asarray(matcher_scores, dtype=np.float64).ravel()
    truth = np.asarray(gold, dtype=bool).ravel()
    if scores.shape != truth.shape:
        raise ValueError(f"scores {np.shape(matcher_scores)} and gold {np.shape(gold)} differ")
    finite = np.isfinite(scores)
    support = int(truth.sum())
    values = np.unique(scores[finite])[::-1]  # candidate cut-offs, highest first
    if not len(values):
        return Calibration(1.0, 0.0, 0.0, 0.0, support, 0)
    order = np.argsort(-scores[finite], kind="stable")
    ranked, hits = scores[finite][order], truth[finite][order]
    # predicted / true positives when accepting every score >= value
    predicted = np.searchsorted(-ranked, -values, side="right")
    tp = np.concatenate([[0], np.cumsum(hits)])[predicted]
    f1 = 2 * tp / np.maximum(predicted + support, 1)
    k = int(np.argmax(f1))  # first maximum: the highest threshold among ties
    lower = values[k + 1] if k + 1 < len(values) else values[k]
    threshold = float((values[k] + lower) / 2)
    return evaluate(matcher_scores, gold, threshold)


def evaluate(matcher_scores: np.ndarray, gold: np.ndarray, threshold: float) -> Calibration:
    """Micro precision, recall and F1 of (document, talking point) pairs at a threshold."""
    predicted = np.asarray(matcher_scores) >= threshold
    truth = np.asarray(gold, dtype=bool)
    tp, n_pred, support = int((predicted & truth).sum()), int(predicted.sum()), int(truth.sum())
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / support if support else 0.0
    f1 = 2 * tp / (n_pred + support) if n_pred + support else 0.0
    return Calibration(float(threshold), precision, recall, f1, support, n_pred)


def gold_matrix(labels: Sequence[Iterable[str]], library: TalkingPointLibrary) -> np.ndarray:
    """[documents, talking points] booleans from each document's `talking_points` ids."""
    gold = np.zeros((len(labels), len(library)), dtype=bool)
    index = {pid: i for i, pid in enumerate(library.ids)}
    for d, ids in enumerate(labels):
        for pid in ids:
            if pid not in index:
                raise DataError(f"document {d}: unknown talking point {pid!r}")
            gold[d, index[pid]] = True
    return gold


# -- the default matcher -------------------------------------------------------------------------
def embedded_encoder(base_model: str | None = None, precision: str | None = None):
    """(TextEncoder with the 'query: ' prefix, fingerprint) for `base_model` (default: the
    embedded multilingual-e5-small), built like the encoder families build theirs."""
    from narrascope.encoders import EMBEDDED_E5
    from narrascope.encoders.encoder import best_precision
    from narrascope.encoders.sources import resolve_model_dir, source_fingerprint
    from narrascope.families.encoder_linear import build_encoder

    base_model = base_model or EMBEDDED_E5
    precision = precision or best_precision()
    spec = {
        "base_model": base_model,
        "fingerprint": source_fingerprint(base_model, resolve_model_dir(base_model)),
        "max_tokens": 512,
        "stride": 0,
        "pooling": "mean",
        "prefix": PREFIX,
        "precision": precision,
    }
    return build_encoder(spec), f"{spec['fingerprint']}:{precision}"


def read_calibration(path: str | Path = DEFAULT_CALIBRATION, encoder: str | None = None) -> dict:
    """The calibration file's content; refuses one made for a different encoder."""
    try:
        calibration = json.loads(Path(path).read_text(encoding="utf-8"))
        threshold = float(calibration["threshold"])
    except OSError as exc:
        raise DataError(
            f"cannot read the talking-point calibration ({exc.strerror or exc}); "
            "run bench/talking_points.py to create it",
            file=str(path),
        ) from None
    except (ValueError, KeyError, TypeError):
        raise DataError(
            "not a calibration file: needs a numeric 'threshold'", file=str(path)
        ) from None
    if encoder and calibration.get("encoder") != encoder:
        raise ArtifactError(
            f"{path} was calibrated for encoder {calibration.get('encoder')!r}, not {encoder!r}"
        )
    return {**calibration, "threshold": threshold}


def default_matcher(
    library: TalkingPointLibrary | None = None,
    *,
    threshold: float | None = None,
    calibration: str | Path = DEFAULT_CALIBRATION,
    languages: Iterable[str] | None = None,
    encoder: tuple | None = None,
) -> TalkingPointMatcher:
    """The embedded multilingual-e5-small matcher over `library` (default: the bundled
    data/talking_points.jsonl, which is also the centering reference) at the calibrated
    threshold and scoring (or `threshold`, with "centered" scoring). Phrasing embeddings are
    cached under $NARRASCOPE_CACHE/talking_points. `encoder` takes an (encoder, fingerprint)
    pair from `embedded_encoder`, to share one loaded model."""
    from narrascope.encoders import EMBEDDED_E5
    from narrascope.encoders.embedded import cache_root

    scoring = "centered"
    if threshold is None:
        calibrated = read_calibration(calibration, EMBEDDED_E5)
        threshold, scoring = calibrated["threshold"], calibrated.get("scoring", scoring)
    bundled = TalkingPointLibrary.load(DEFAULT_LIBRARY)
    text_encoder, fingerprint = encoder or embedded_encoder()
    return TalkingPointMatcher(
        library if library is not None else bundled,
        text_encoder,
        threshold,
        scoring=scoring,
        reference=bundled,
        languages=languages,
        fingerprint=fingerprint,
        cache_dir=cache_root() / "talking_points",
    )
