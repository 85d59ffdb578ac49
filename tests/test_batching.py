"""The in-process adaptive batcher: concurrent requests share model calls, results go back to
the right caller, failures reach every waiter."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest

from narrascope.serving.batching import MicroBatcher


def _slow_score(calls):
    def score(texts):
        calls.append(list(texts))
        time.sleep(0.05)  # the model is busy: later requests queue up meanwhile
        return np.array([[float(t.split()[-1])] for t in texts])

    return score


def test_concurrent_requests_share_calls_and_get_their_own_rows():
    calls = []
    batcher = MicroBatcher(_slow_score(calls), max_texts=64, max_wait_ms=1)

    async def main():
        requests = [[f"text {i * 10 + j}" for j in range(3)] for i in range(20)]
        results = await asyncio.gather(*(batcher(r) for r in requests))
        return requests, results

    requests, results = asyncio.run(main())
    for request, result in zip(requests, results):
        assert result[:, 0].tolist() == [float(t.split()[-1]) for t in request]
    assert len(calls) < 20  # batched: fewer model calls than requests
    assert max(len(c) for c in calls) <= 64 + 2  # a batch closes once it holds 64 texts


def test_model_calls_never_overlap():
    active, peak = [0], [0]
    lock = threading.Lock()

    def score(texts):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.01)
        with lock:
            active[0] -= 1
        return np.zeros((len(texts), 1))

    batcher = MicroBatcher(score, max_texts=2, max_wait_ms=0)

    async def main():
        await asyncio.gather(*(batcher([str(i)]) for i in range(12)))

    asyncio.run(main())
    assert peak[0] == 1


def test_a_failing_model_call_fails_every_waiter_and_the_next_call_works():
    state = {"fail": True}

    def score(texts):
        if state["fail"]:
            state["fail"] = False
            raise RuntimeError("model exploded")
        return np.ones((len(texts), 1))

    batcher = MicroBatcher(score, max_wait_ms=20)

    async def main():
        outcomes = await asyncio.gather(batcher(["a"]), batcher(["b"]), return_exceptions=True)
        assert all(isinstance(o, RuntimeError) for o in outcomes)
        return await batcher(["c"])

    assert asyncio.run(main()).tolist() == [[1.0]]


def test_a_new_event_loop_gets_a_working_queue():
    batcher = MicroBatcher(lambda texts: np.zeros((len(texts), 1)))
    for _ in range(2):  # e.g. two asyncio.run() calls in tests
        assert asyncio.run(batcher(["x"])).shape == (1, 1)


@pytest.mark.parametrize("size", [1, 200])
def test_oversized_requests_are_scored_alone(size):
    calls = []
    batcher = MicroBatcher(_slow_score(calls), max_texts=64)
    out = asyncio.run(batcher([f"t {i}" for i in range(size)]))
    assert out.shape == (size, 1) and len(calls) == 1
