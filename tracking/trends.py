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


def prevalence(df: pd.DataFrame) -> pd.DataFrame:
    """Long table: bucket, dimension, group, narrative, count, documents, prevalence, low, high.

    Every (bucket, group, narrative) seen anywhere gets a row, zeros included: a line chart
    needs the weeks where a narrative is absent.
    """
    labelled = df.assign(
        narrative=df["narratives"].map(lambda n: list(n) if len(n) else [OTHER])
    ).explode("narrative")
    narratives = sorted(labelled["narrative"].unique())
    frames = []
    for dimension, column in DIMENSIONS.items():
        key = pd.Series("all", index=df.index) if column is None else df[column].fillna("unknown")
        totals = df.assign(group=key).groupby(["bucket", "group"]).size().rename("documents")
        counts = (
            labelled.assign(group=key.reindex(labelled.index))
            .groupby(["bucket", "group", "narrative"])
            .size()
            .rename("count")
        )
        grid = pd.MultiIndex.from_tuples(
            [(b, g, n) for (b, g) in totals.index for n in narratives],
            names=["bucket", "group", "narrative"],
        )
        table = counts.reindex(grid, fill_value=0).reset_index()
        table = table.join(totals, on=["bucket", "group"])
        table.insert(1, "dimension", dimension)
        frames.append(table)
    out = pd.concat(frames, ignore_index=True)
    out["prevalence"] = out["count"] / out["documents"]
    out["low"], out["high"] = wilson(out["count"].to_numpy(), out["documents"].to_numpy())
    return out.sort_values(["dimension", "group", "narrative", "bucket"], ignore_index=True)


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
