"""Coordination detection at scale: wall time, peak memory and account-level precision/recall.

    .venv/bin/python bench/coordination.py                 # 100,000 posts (the target)
    .venv/bin/python bench/coordination.py --posts 25000 50000 100000 --trace  # flat memory?

Synthetic posts, generated lazily in time order (seeded; nothing is held in a list, so the
measured memory is the detector's own):
  1. organic posts over 180 days from 20,000 accounts, random sentences over a 2,000-word
     vocabulary in Latin and Cyrillic script;
  2. organic near-duplicates by one account: 8% of posts repeat one of the account's recent
     posts with a small edit (these must NOT be flagged);
  3. organic near-duplicates by different accounts far apart: a popular line re-posted by a few
     accounts weeks apart (outside the window: must NOT be flagged);
  4. planted bursts: BURSTS campaigns, each 8-30 fresh accounts posting one template with small
     edits (a changed word, a hashtag, a link, a mention) within 1-12 hours.
Gold = the accounts of the planted bursts. Measured: wall time, peak traced memory
(tracemalloc) and peak RSS growth during detection, and precision/recall of the set of
accounts the detector puts in any cluster.
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import os
import random
import resource
import sys
import time
import tracemalloc
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from narrascope.tracking.coordination import (  # noqa: E402
    CoordinationSettings,
    Post,
    coordinated_accounts,
    detect_coordination,
)

START = dt.datetime(2026, 1, 5)
DAYS = 180
ACCOUNTS = 20_000
BURSTS = 40
SELF_REPOST = 0.08
POPULAR_LINES = 30


def _vocabulary(rng: random.Random) -> list[str]:
    latin, cyrillic = "abcdefghijklmnopqrstuvwxyz", "абвгдежзиклмнопрстуфхцчшыэюя"
    words = []
    for i in range(2000):
        letters = latin if i % 2 else cyrillic
        words.append("".join(rng.choice(letters) for _ in range(rng.randint(3, 9))))
    return words


def _sentence(rng: random.Random, words: list[str]) -> str:
    return " ".join(rng.choice(words) for _ in range(rng.randint(12, 30))) + "."


def _edit(rng: random.Random, text: str, words: list[str]) -> str:
    """A small edit of the kind copy-paste operations make."""
    tokens = text.split()
    i = rng.randrange(len(tokens))
    tokens[i] = rng.choice(words)
    link = f" https://t.example/{rng.randint(1, 99999)}"
    extra = rng.choice(["", " #news", " #truth", link])
    mention = rng.choice(["", f"@user{rng.randint(1, 999)} "])
    return mention + " ".join(tokens) + extra


def generate(n: int, seed: int = 7):
    """(posts in time order, gold coordinated accounts). Posts come from a generator."""
    rng = random.Random(seed)
    words = _vocabulary(rng)
    gold: set[str] = set()
    pending: list[tuple] = []  # heap of (time, seq, Post): bursts and far-apart reposts
    seq = 0
    burst_posts = 0
    for b in range(BURSTS):
        start = START + dt.timedelta(hours=rng.uniform(0, DAYS * 24 - 24))
        template, hours = _sentence(rng, words), rng.uniform(1, 12)
        for a in range(rng.randint(8, 30)):
            account = f"@burst{b}_{a}"
            gold.add(account)
            when = start + dt.timedelta(hours=rng.uniform(0, hours))
            post = Post(f"burst-{b}-{a}", account, when, _edit(rng, template, words), "xx")
            heapq.heappush(pending, (when, seq, post))
            seq, burst_posts = seq + 1, burst_posts + 1
    for line in range(POPULAR_LINES):  # one line, a few accounts, weeks apart: organic
        text = _sentence(rng, words)
        for k in range(4):
            when = START + dt.timedelta(days=10 + 40 * k + rng.uniform(0, 5), hours=line)
            post = Post(f"popular-{line}-{k}", f"@org{rng.randrange(ACCOUNTS)}", when, text, "xx")
            heapq.heappush(pending, (when, seq, post))
            seq += 1
    organic = n - burst_posts - POPULAR_LINES * 4
    step = DAYS * 24 * 3600 / organic

    def posts():
        recent: deque[Post] = deque(maxlen=2000)
        now = START
        for i in range(organic):
            now += dt.timedelta(seconds=rng.expovariate(1 / step))
            while pending and pending[0][0] <= now:
                yield heapq.heappop(pending)[2]
            if recent and rng.random() < SELF_REPOST:
                old = rng.choice(recent)
                yield Post(f"o{i}", old.account, now, _edit(rng, old.text, words), "xx")
                continue
            post = Post(f"o{i}", f"@org{rng.randrange(ACCOUNTS)}", now, _sentence(rng, words), "xx")
            recent.append(post)
            yield post
        while pending:
            yield heapq.heappop(pending)[2]

    return posts(), gold


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(n: int, trace: bool) -> dict:
    """One detection run; with `trace`, tracemalloc's peak too (it slows the run ~2x, so
    the timing run is separate)."""
    posts, gold = generate(n)
    rss_before = rss_mb()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    clusters = detect_coordination(posts, CoordinationSettings())
    seconds = time.perf_counter() - started
    row = {"posts": n, "traced": trace, "seconds": round(seconds, 1)}
    if trace:
        row["peak_traced_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    found = coordinated_accounts(clusters)
    hits = len(found & gold)
    return {
        **row,
        "peak_rss_growth_mb": round(rss_mb() - rss_before, 1),
        "clusters": len(clusters),
        "gold_accounts": len(gold),
        "flagged_accounts": len(found),
        "precision": round(hits / len(found), 4) if found else 0.0,
        "recall": round(hits / len(gold), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, nargs="+", default=[100_000])
    parser.add_argument("--trace", action="store_true", help="also a tracemalloc run per size")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores", flush=True)
    for n in args.posts:
        print(measure(n, trace=False), flush=True)
    if args.trace:
        for n in args.posts:
            print(measure(n, trace=True), flush=True)


if __name__ == "__main__":
    main()
