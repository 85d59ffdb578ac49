"""Adaptive batching inside the service process.

Texts of concurrent requests wait in one queue; a single worker takes everything queued (up to
`max_texts`) and scores it in one model call on one thread. Under load, batches grow by
themselves (everything that arrived while the model was busy); when idle, a text waits at most
`max_wait_ms` for company. Nothing is ever dropped: a request waits its turn, bounded by the
service's request timeout.

Why not BentoML's batchable API: it needs the model in a second service reached over HTTP. On
these 2 cores that hop halved linear throughput, and under load it dropped connections
(aiohttp ServerDisconnectedError -> 500) and, with max_latency_ms under the fine-tuned model's
1.5-3 s batch time, answered 503 to most requests (bench/RESULTS.md, "Load benchmark").
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import numpy as np


class MicroBatcher:
    def __init__(self, score, max_texts: int = 64, max_wait_ms: float = 5.0, executor=None):
        self.score, self.max_texts, self.max_wait = score, max_texts, max_wait_ms / 1000
        # One thread: model calls never overlap (no CPU oversubscription), requests do. Pass
        # the same executor to several batchers to serialise all their model work.
        self.executor = executor or ThreadPoolExecutor(max_workers=1, thread_name_prefix="model")
        self.loop: asyncio.AbstractEventLoop | None = None
        self.queue: asyncio.Queue | None = None

    async def __call__(self, texts: list[str]) -> np.ndarray:
        self._bind()
        future = asyncio.get_running_loop().create_future()
        await self.queue.put((texts, future))
        return await future

    def _bind(self) -> None:
        loop = asyncio.get_running_loop()
        if self.loop is not loop:  # first call, or a new event loop (tests)
            self.loop, self.queue = loop, asyncio.Queue()
            loop.create_task(self._worker())

    async def _worker(self) -> None:
        queue = self.queue
        while True:
            batch = [await queue.get()]
            size = len(batch[0][0])
            deadline = self.loop.time() + self.max_wait
            while size < self.max_texts:
                try:
                    item = queue.get_nowait()
                except asyncio.QueueEmpty:
                    remaining = deadline - self.loop.time()
                    if remaining <= 0:
                        break
                    try:
                        item = await asyncio.wait_for(queue.get(), remaining)
                    except TimeoutError:
                        break
                batch.append(item)
                size += len(item[0])
            await self._run(batch)

    async def _run(self, batch: list) -> None:
        texts = [t for part, _ in batch for t in part]
        try:
            scores = await self.loop.run_in_executor(self.executor, self.score, texts)
        except Exception as exc:  # every waiting request learns of the failure
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        start = 0
        for part, future in batch:
            if not future.done():  # a cancelled request (client gone) is skipped
                future.set_result(scores[start : start + len(part)])
            start += len(part)
