"""Coordinated behaviour: near-duplicate messages posted by different accounts close in time.

    clusters = detect_coordination(posts_in_time_order, CoordinationSettings())

A coordination cluster is a connected group of posts where each link joins two posts that
  - come from *different* accounts (`source`): one account repeating itself is organic,
  - were published at most `window_hours` apart, and
  - are near-duplicates: estimated Jaccard similarity of their character 5-gram shingles
    (after normalisation: NFKC, case-folded, URLs, @mentions and punctuation removed) at least
    `threshold` (datasketch MinHash, `num_perm` permutations, candidates from MinHashLSH).
Only clusters with at least `min_accounts` distinct accounts are reported.

Memory is flat in corpus size: posts arrive in time order and leave the LSH index once they are
older than the window, so the index holds one window of posts; only posts that got linked are
kept (they are the output). Character shingles work in every script (zh has no spaces).

Burstiness = 1 - min(span, window) / window: 1.0 when every post lands at the same moment,
0.0 when the cluster is spread over a whole window or more (chained links can span longer).
The Goh-Barabasi coefficient of inter-post gaps was tried first and rejected: it measures
regularity, so a burst posted once an hour scored -1 ("periodic"), the opposite of what an
analyst means. `posts_per_hour` is reported beside it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zlib
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from datasketch import MinHash, MinHashLSH

EXAMPLES = 3
URL = re.compile(r"https?://\S+|www\.\S+")
MENTION = re.compile(r"@\w+")
NON_WORD = re.compile(r"[^\w\s]+")
SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class CoordinationSettings:
    window_hours: float = 48.0
    # Estimated Jaccard of shingle sets. bench/coordination.py, 20k posts, 64 permutations:
    # account recall 0.86 at 0.7, 0.98 at 0.6, 1.00 at 0.5 (precision 1.00 at all three); 0.6
    # keeps a margin against organic cross-account near-duplicates (shared headlines).
    threshold: float = 0.6
    num_perm: int = 64
    shingle: int = 5  # characters
    min_chars: int = 40  # shorter normalised texts are skipped: "thank you" is not coordination
    min_accounts: int = 3
    seed: int = 1

    def __post_init__(self):
        if self.window_hours <= 0:
            raise ValueError("window_hours must be positive")
        if not 0 < self.threshold <= 1:
            raise ValueError("threshold must be in (0, 1]")
        if self.min_accounts < 2:
            raise ValueError("min_accounts must be at least 2")


@dataclass(frozen=True)
class Post:
    id: str
    account: str
    time: dt.datetime
    text: str
    lang: str = "und"
    narratives: tuple[str, ...] = ()


@dataclass
class _Live:
    post: Post
    minhash: MinHash


@dataclass
class _Components:
    """Union-find over the posts that got linked (only those are kept)."""

    parent: dict[int, int] = field(default_factory=dict)
    posts: dict[int, Post] = field(default_factory=dict)

    def find(self, key: int) -> int:
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:  # path compression
            self.parent[key], key = root, self.parent[key]
        return root

    def link(self, a: int, post_a: Post, b: int, post_b: Post) -> None:
        for key, post in ((a, post_a), (b, post_b)):
            if key not in self.parent:
                self.parent[key], self.posts[key] = key, post
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)

    def groups(self) -> list[list[Post]]:
        members: dict[int, list[int]] = {}
        for key in self.parent:
            members.setdefault(self.find(key), []).append(key)
        return [[self.posts[k] for k in sorted(keys)] for keys in members.values()]


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = MENTION.sub(" ", URL.sub(" ", text))
    return SPACES.sub(" ", NON_WORD.sub(" ", text)).strip()


def shingles(text: str, size: int) -> set[str]:
    return {text[i : i + size] for i in range(max(1, len(text) - size + 1))}


def _crc32(shingle: str) -> int:
    # C-speed and deterministic across processes (datasketch's default sha1 is ~3x slower here,
    # and Python's hash() changes with PYTHONHASHSEED).
    return zlib.crc32(shingle.encode("utf-8"))


def detect_coordination(
    posts: Iterable[Post], settings: CoordinationSettings = CoordinationSettings()
) -> list[dict]:
    """Coordination clusters over `posts`, which must come in non-decreasing time order."""
    window = dt.timedelta(hours=settings.window_hours)
    lsh = MinHashLSH(threshold=settings.threshold, num_perm=settings.num_perm)
    live: dict[int, _Live] = {}
    order: deque[tuple[dt.datetime, int]] = deque()
    components = _Components()
    previous = None
    for key, (post, minhash) in enumerate(_sketched(posts, settings)):
        if previous is not None and post.time < previous:
            raise ValueError(f"post {post.id!r}: posts must come in time order")
        previous = post.time
        while order and order[0][0] < post.time - window:  # leaves the window: forget it
            _, old = order.popleft()
            lsh.remove(old)
            del live[old]
        for other in lsh.query(minhash):
            candidate = live[other]
            if candidate.post.account == post.account:
                continue  # one account repeating itself is not coordination
            if candidate.minhash.jaccard(minhash) >= settings.threshold:
                components.link(other, candidate.post, key, post)
        lsh.insert(key, minhash, check_duplication=False)
        live[key] = _Live(post, minhash)
        order.append((post.time, key))
    found = [
        describe(group, settings)
        for group in components.groups()
        if len({p.account for p in group}) >= settings.min_accounts
    ]
    return sorted(found, key=lambda c: (-c["accounts_count"], -c["size"], c["cluster"]))


def _sketched(posts: Iterable[Post], settings: CoordinationSettings) -> Iterator[tuple]:
    """(post, MinHash) for every post long enough to compare, in input order."""
    seed_hash = MinHash(num_perm=settings.num_perm, seed=settings.seed, hashfunc=_crc32)
    for post in posts:
        text = normalise(post.text)
        if len(text) < settings.min_chars:
            continue
        minhash = MinHash(
            num_perm=settings.num_perm,
            seed=settings.seed,
            hashfunc=_crc32,
            permutations=seed_hash.permutations,  # generated once, not per post
            scheme=seed_hash.scheme,
        )
        minhash.update_batch(shingles(text, settings.shingle))
        yield post, minhash


def describe(group: list[Post], settings: CoordinationSettings) -> dict:
    """The JSON-ready summary of one cluster (its posts in time order)."""
    group = sorted(group, key=lambda p: (p.time, p.id))
    accounts = Counter(p.account for p in group)
    first, last = group[0].time, group[-1].time
    span_hours = (last - first).total_seconds() / 3600
    examples, seen = [], set()
    for post in group:
        text = normalise(post.text)
        if text not in seen and len(examples) < EXAMPLES:
            seen.add(text)
            examples.append(
                {"id": post.id, "account": post.account, "lang": post.lang, "text": post.text[:300]}
            )
    return {
        "cluster": f"coord-{group[0].id}",  # stable: the cluster's earliest post
        "size": len(group),
        "accounts_count": len(accounts),
        "accounts": dict(accounts.most_common()),
        "first_seen": first.isoformat(),
        "last_seen": last.isoformat(),
        "span_hours": round(span_hours, 2),
        "languages": dict(Counter(p.lang for p in group).most_common()),
        "narratives": dict(Counter(n for p in group for n in p.narratives).most_common()),
        "burstiness": burstiness(first, last, settings.window_hours),
        "posts_per_hour": round(len(group) / max(span_hours, 1.0), 2),
        "post_ids": [p.id for p in group],
        "examples": examples,
        "rule": {
            "window_hours": settings.window_hours,
            "threshold": settings.threshold,
            "min_accounts": settings.min_accounts,
        },
    }


def burstiness(first: dt.datetime, last: dt.datetime, window_hours: float) -> float:
    """1 - min(span, window) / window (see the module docstring)."""
    span = (last - first).total_seconds() / 3600
    return round(1.0 - min(span, window_hours) / window_hours, 3)


def coordinated_accounts(clusters: list[dict]) -> set[str]:
    return {account for c in clusters for account in c["accounts"]}


def posts_in_time_order(out_dir, rows: int = 50_000) -> Iterator[Post]:
    """The scored documents of a tracking run (tracking/score.py parts) as posts, in time order.

    Two passes keep memory bounded whatever the corpus size: one over the `published` column
    alone to count documents per day, then one filtered read per run of days holding at most
    `rows` documents. Documents without an account (`source`) or a date are left out."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    dataset = ds.dataset(Path(out_dir) / "predictions", format="parquet")
    per_day: Counter = Counter()
    for batch in dataset.to_batches(columns=["published"]):
        per_day.update(d for d in batch.column("published").to_pylist() if d is not None)
    columns = ["id", "published", "source", "lang", "narratives", "text"]
    for first, last in _day_ranges(per_day, rows):
        table = dataset.to_table(
            columns=columns,
            filter=(pc.field("published") >= first) & (pc.field("published") <= last),
        )
        frame = table.to_pandas().sort_values(["published", "id"], kind="stable")
        for row in frame.itertuples(index=False):
            if row.source:
                yield Post(
                    id=row.id,
                    account=row.source,
                    time=dt.datetime.combine(row.published, dt.time()),
                    text=row.text,
                    lang=row.lang,
                    narratives=tuple(row.narratives),
                )


def _day_ranges(per_day: Counter, rows: int) -> list[tuple[dt.date, dt.date]]:
    """Consecutive runs of days with at most `rows` documents each (a day is never split)."""
    ranges: list[list] = []
    size = 0
    for day in sorted(per_day):
        if not ranges or size + per_day[day] > rows:
            ranges.append([day, day])
            size = 0
        ranges[-1][1] = day
        size += per_day[day]
    return [(first, last) for first, last in ranges]
