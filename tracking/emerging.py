"""Emerging narratives: cluster the documents no known narrative claims.

A document is *unclaimed* when the model gives it no narrative (its `Other` classifier wins or
no narrative reaches its threshold). Unclaimed documents are embedded with the embedded
multilingual encoder (e5 "query: " prefix: symmetric similarity), L2-normalised, and clustered
with scikit-learn's HDBSCAN, which needs no number of clusters and leaves noise unclustered.
Each cluster is reported with its size, growth over time, languages, countries, distinctive
terms and the texts nearest its centre: a candidate campaign for `narrascope campaign add`.
Ordinary news also clusters by topic; growth is what separates a new campaign from a beat.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

EXAMPLES = 3
TERMS = 8


def default_embedder(encoder=None):
    """Embeddings from the embedded e5 encoder ("query: " prefix), or from `encoder`."""
    from narrascope.talking_points import embedded_encoder

    encoder = encoder or embedded_encoder()[0]
    return lambda texts: encoder.embed(texts, progress=True)


def unclaimed(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["narratives"].map(len) == 0]


def clusters(docs: pd.DataFrame, embed, min_cluster_size: int = 5) -> list[dict]:
    """Clusters of `docs` (with text, lang, country, bucket), largest recent growth first."""
    from sklearn.cluster import HDBSCAN

    # Reposts of one text are one voice: cluster distinct texts, then count every copy.
    distinct = docs.drop_duplicates("text")
    if len(distinct) < 2 * min_cluster_size:
        return []
    unique_vectors = np.asarray(embed(distinct["text"].tolist()), dtype=np.float32)
    unique_vectors /= np.linalg.norm(unique_vectors, axis=1, keepdims=True) + 1e-12
    unique_labels = HDBSCAN(
        min_cluster_size=min_cluster_size, min_samples=3, copy=True
    ).fit_predict(unique_vectors)
    terms = _distinctive_terms(distinct["text"].tolist(), unique_labels)
    position = {text: i for i, text in enumerate(distinct["text"])}
    rows = docs["text"].map(position).to_numpy()
    vectors, labels = unique_vectors[rows], unique_labels[rows]
    buckets = sorted(docs["bucket"].unique())
    recent = set(buckets[-max(1, len(buckets) // 4) :])
    found = []
    for label in sorted(set(labels) - {-1}):
        members = docs[labels == label]
        centre = vectors[labels == label].mean(axis=0)
        closeness = vectors[labels == label] @ centre
        order = [i for i in np.argsort(-closeness)]
        seen, nearest = set(), []
        for i in order:  # distinct texts only
            if members.iloc[i]["text"] not in seen:
                seen.add(members.iloc[i]["text"])
                nearest.append(i)
            if len(nearest) == EXAMPLES:
                break
        per_bucket = members.groupby("bucket").size()
        found.append(
            {
                "cluster": int(label),
                "size": len(members),
                "distinct_texts": int(members["text"].nunique()),
                "recent_share": round(float(members["bucket"].isin(recent).mean()), 3),
                "first_seen": str(per_bucket.index.min()),
                "per_bucket": {str(b): int(n) for b, n in per_bucket.items()},
                "languages": dict(Counter(members["lang"]).most_common()),
                "countries": dict(Counter(members["country"]).most_common(8)),
                "terms": terms.get(label, []),
                "examples": [
                    {
                        "id": members.iloc[i]["id"],
                        "lang": members.iloc[i]["lang"],
                        "text": members.iloc[i]["text"][:300],
                    }
                    for i in nearest
                ],
            }
        )
    return sorted(found, key=lambda c: (-c["recent_share"], -c["size"]))


def _distinctive_terms(texts: list[str], labels: np.ndarray) -> dict[int, list[str]]:
    """Words most over-represented in a cluster against all unclaimed documents (TF-IDF)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectoriser = TfidfVectorizer(
        token_pattern=r"(?u)\b\w\w\w+\b", max_features=20000, min_df=2, max_df=0.2
    )
    try:
        matrix = vectoriser.fit_transform(texts)
    except ValueError:  # no term occurs twice
        return {}
    vocabulary = np.array(vectoriser.get_feature_names_out())
    overall = np.asarray(matrix.mean(axis=0)).ravel()
    out = {}
    for label in set(labels) - {-1}:
        inside = np.asarray(matrix[labels == label].mean(axis=0)).ravel()
        lift = inside - overall
        best = [i for i in np.argsort(-lift)[:TERMS] if lift[i] > 0]
        # Scripts without spaces (zh) give no repeated words: no terms rather than noise.
        out[label] = vocabulary[best].tolist()
    return out
