"""Prevalence of each narrative per time bucket and group, spikes, and top movers.

Prevalence = documents carrying the narrative / documents in the bucket and group, with a 95%
Wilson interval (closed form: exact enough for counts this size, and cheap for thousands of
series). Groups: everything, language, country, source type.

Spike rule, per series (group x narrative), stated in every output: a bucket is a spike when
  - at least `min_count` documents carry the narrative, and
  - the lower end of its Wilson interval is above the baseline plus 2 standard deviations, and
  - its prevalence is at least `ratio` times the baseline,
where the baseline is the mean prevalence of the previous `window` buckets (at least 2 needed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from narrascope.schema import OTHER

BUCKETS = {"day": "D", "week": "W", "month": "M"}
DIMENSIONS = {"all": None, "language": "lang", "country": "country", "source_type": "source_type"}
Z = 1.96
SPIKE_RULE = {"window": 4, "min_count": 3, "ratio": 2.0, "sigmas": 2.0}


def add_buckets(df: pd.DataFrame, bucket: str) -> pd.DataFrame:
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {', '.join(BUCKETS)}")
    dated = df[df["published"].notna()].copy()
    periods = pd.to_datetime(dated["published"]).dt.to_period(BUCKETS[bucket])
    dated["bucket"] = periods.dt.start_time.dt.date.astype(str)  # weeks start on Monday
    return dated


def wilson(count: np.ndarray, total: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    total = np.maximum(total, 1)
    p = count / total
    denominator = 1 + Z**2 / total
    centre = (p + Z**2 / (2 * total)) / denominator
    half = Z * np.sqrt(p * (1 - p) / total + Z**2 / (4 * total**2)) / denominator
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def counts(df: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Documents per (dimension, bucket, group) and narrative counts per (..., narrative).

    Counts add up across batches, so a corpus of any size aggregates in constant memory.
    """
    labelled = df.assign(
        narrative=df["narratives"].map(lambda n: list(n) if len(n) else [OTHER])
    ).explode("narrative")
    totals, narratives = [], []
    for dimension, column in DIMENSIONS.items():
        key = pd.Series("all", index=df.index) if column is None else df[column].fillna("unknown")
        frame = df.assign(dimension=dimension, group=key)
        totals.append(frame.groupby(["dimension", "bucket", "group"]).size())
        narratives.append(
            labelled.assign(dimension=dimension, group=key.reindex(labelled.index))
            .groupby(["dimension", "bucket", "group", "narrative"])
            .size()
        )
    return pd.concat(totals), pd.concat(narratives)


def prevalence(df: pd.DataFrame | None = None, summed: tuple | None = None) -> pd.DataFrame:
    """Long table: bucket, dimension, group, narrative, count, documents, prevalence, low, high.

    From a frame of predictions, or from `counts` already summed over batches. Every (bucket,
    group, narrative) seen anywhere gets a row, zeros included: a line chart needs the weeks
    where a narrative is absent.
    """
    totals, found = summed if summed is not None else counts(df)
    narratives = sorted(found.index.get_level_values("narrative").unique())
    grid = pd.MultiIndex.from_tuples(
        [(*key, n) for key in totals.index for n in narratives],
        names=["dimension", "bucket", "group", "narrative"],
    )
    out = found.reindex(grid, fill_value=0).rename("count").reset_index()
    out = out.join(totals.rename("documents"), on=["dimension", "bucket", "group"])
    out = out[["bucket", "dimension", "group", "narrative", "count", "documents"]]
    out["prevalence"] = out["count"] / out["documents"]
    out["low"], out["high"] = wilson(out["count"].to_numpy(), out["documents"].to_numpy())
    return out.sort_values(["dimension", "group", "narrative", "bucket"], ignore_index=True)


def add_counts(a: tuple | None, b: tuple) -> tuple[pd.Series, pd.Series]:
    if a is None:
        return b
    return a[0].add(b[0], fill_value=0).astype(int), a[1].add(b[1], fill_value=0).astype(int)


def spikes(prev: pd.DataFrame, rule: dict = SPIKE_RULE) -> pd.DataFrame:
    """Buckets far above their own rolling baseline (the rule is in the module docstring)."""
    series = prev.groupby(["dimension", "group", "narrative"], sort=False)["prevalence"]
    shifted = series.shift(1)
    window = shifted.groupby([prev["dimension"], prev["group"], prev["narrative"]])
    baseline = window.transform(lambda s: s.rolling(rule["window"], min_periods=2).mean())
    spread = window.transform(lambda s: s.rolling(rule["window"], min_periods=2).std(ddof=0))
    flagged = (
        baseline.notna()
        & (prev["count"] >= rule["min_count"])
        & (prev["low"] > baseline + rule["sigmas"] * spread)
        & (prev["prevalence"] >= rule["ratio"] * baseline)
    )
    out = prev[flagged].assign(baseline=baseline[flagged], spread=spread[flagged])
    out = out[out["narrative"] != OTHER]
    out["ratio"] = out["prevalence"] / out["baseline"].where(out["baseline"] > 0, np.nan)
    return out.sort_values(["bucket", "dimension", "group"], ignore_index=True)


def movers(prev: pd.DataFrame, top: int = 5) -> pd.DataFrame:
    """Per bucket, the narratives whose overall prevalence rose most since the previous bucket."""
    overall = prev[(prev["dimension"] == "all") & (prev["narrative"] != OTHER)].copy()
    overall["change"] = overall.groupby("narrative")["prevalence"].diff()
    ranked = overall.dropna(subset=["change"]).sort_values(
        ["bucket", "change"], ascending=[True, False]
    )
    return ranked.groupby("bucket").head(top).reset_index(drop=True)
