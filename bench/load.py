"""Load benchmark: the narrascope service against a naive peer, loopback only, bounded in time.

    .venv/bin/python bench/load.py --registry /tmp/loadreg --models linear=v1 finetuned=v2 \
        --seconds 8 --out /tmp/load.json
    .venv/bin/python bench/load.py --registry /tmp/loadreg --soak 300 --soak-model v2

Grid mode, for each model given as NAME=REF:
1. start `narrascope serve --model REF --host 127.0.0.1` (NARRASCOPE_REGISTRY=--registry) and
   bench/naive_peer.py on the same version, each on a free loopback port, and warm both up;
2. for 1-text and 64-text requests and each concurrency (default 1, 8, 32), drive each server
   with an asyncio + httpx client for `--seconds` (at most `--max-requests` requests; requests in
   flight at the deadline are awaited and counted). The two servers alternate within each cell,
   so machine noise falls on both;
3. record requests, texts/s, p50/p95/p99 latency of 2xx answers, non-2xx and 5xx counts and
   transport errors; print Markdown tables with the ratio ours / peer and write JSON (`--out`).
Soak mode (`--soak SECONDS`): the service alone at concurrency 8 (by default half the clients
send 1-text, half 64-text requests, over all test texts; `--soak-sizes 1` for 1-text only)
for that long, sampling the RSS of its process tree every `--sample-every` seconds; reports RSS
start / end / max and the 5xx count.

Texts are documents of the bundled test split (data/corpus/test.jsonl). 1-text requests use the
16 closest to 128 tokens (e5 tokenizer, with the `passage: ` prefix and <s> </s>: 105-141);
64-text requests cycle through all 136. Every server started is stopped on exit, Ctrl-C or error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from narrascope.data import load_documents  # noqa: E402
from narrascope.markdown import table as markdown_table  # noqa: E402
from narrascope.serving.launch import free_port, stop, wait_ready  # noqa: E402

BATCH = 64
SINGLES = 16  # 1-text requests: the test texts closest to 128 tokens (e5 tokenizer)
HEADERS = {"content-type": "application/json"}


def main() -> None:
    args = _args()
    # Ctrl-C and SIGTERM unwind through the `finally`s that stop the servers (SIGINT even where
    # a parent shell left it ignored).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    texts = [d.text for d in load_documents(ROOT / "data/corpus/test.jsonl").documents]
    singles, tokens = _about_128_tokens(texts)
    batches = [[texts[(b * BATCH + j) % len(texts)] for j in range(BATCH)] for b in range(17)]
    corpus = {
        "single_texts": len(singles),
        "single_tokens_mean": round(float(np.mean(tokens)), 1),
        "single_tokens_range": [int(min(tokens)), int(max(tokens))],
        "batch_texts": len(texts),
        "batch_chars_mean": round(float(np.mean([len(t) for t in texts])), 1),
    }
    report = {
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "cpus": os.cpu_count(),
        "loadavg_start": os.getloadavg(),
        "registry": str(Path(args.registry).resolve()),
        "texts": corpus,
        "code": _code_state(),
    }
    print(f"# {report['command']}", flush=True)
    print(
        f"1-text requests: the {len(singles)} test texts closest to 128 tokens "
        f"({min(tokens)}-{max(tokens)}, mean {corpus['single_tokens_mean']}); "
        f"64-text requests: all {len(texts)} test texts "
        f"(mean {corpus['batch_chars_mean']:.0f} chars), cycling",
        flush=True,
    )
    payloads = {1: [_payload([t]) for t in singles], BATCH: [_payload(b) for b in batches]}
    logs = Path(args.logs or tempfile.mkdtemp(prefix="narrascope-load-"))
    logs.mkdir(parents=True, exist_ok=True)
    try:
        if args.soak:
            ref = args.soak_model or _parse_models(args.models)[-1][1]
            report["soak"] = _soak(args, ref, texts, logs)
            print(_soak_markdown(report["soak"]))
        else:
            report["families"] = {}
            for name, ref in _parse_models(args.models):
                result = _family(args, name, ref, payloads, logs)
                report["families"][name] = result
                print(_markdown(name, result), flush=True)
            report["targets"] = _targets(report["families"])
            print(_targets_markdown(report["targets"]))
    except KeyboardInterrupt:
        report["interrupted"] = True
        print("interrupted: every server started was stopped", file=sys.stderr)
        raise SystemExit(130) from None
    finally:
        report["loadavg_end"] = os.getloadavg()
        if args.out:
            Path(args.out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
            print(f"wrote {args.out}; server logs in {logs}", flush=True)


def _args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", default=os.environ.get("NARRASCOPE_REGISTRY", "registry"))
    parser.add_argument(
        "--models", nargs="+", default=["production"], help="NAME=REF (alias or version) ..."
    )
    parser.add_argument("--seconds", type=float, default=8, help="issuing time per cell")
    parser.add_argument("--max-requests", type=int, default=5000, help="per cell and server")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, BATCH], choices=[1, BATCH])
    parser.add_argument("--timeout", type=float, default=120, help="client timeout per request")
    parser.add_argument("--no-peer", action="store_true", help="only the narrascope service")
    parser.add_argument(
        "--peer-precision",
        choices=["recorded", "fp32"],
        default="recorded",
        help="the peer's encoder precision: the model's own (default) or plain fp32",
    )
    parser.add_argument("--soak", type=float, help="soak mode: seconds at concurrency 8")
    parser.add_argument("--soak-model", help="REF for the soak (default: the last of --models)")
    parser.add_argument("--soak-concurrency", type=int, default=8)
    parser.add_argument(
        "--soak-sizes",
        type=int,
        nargs="+",
        default=[1, BATCH],
        choices=[1, BATCH],
        help="request sizes in the soak (both: half the clients each)",
    )
    parser.add_argument("--sample-every", type=float, default=5, help="soak RSS sampling, s")
    parser.add_argument("--out", help="write the results as JSON here")
    parser.add_argument("--logs", help="directory for the servers' logs (default: a temp dir)")
    return parser.parse_args()


def _code_state() -> dict:
    """The commit, and the files that differ from it: the service may be mid-change."""

    def git(*cmd: str) -> str:
        done = subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted": git("status", "--porcelain", "--untracked-files=no").splitlines(),
        "serving_sha256": {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:12]
            for p in sorted((ROOT / "serving").glob("*.py"))
        },
    }


def _parse_models(items: list[str]) -> list[tuple[str, str]]:
    return [tuple(i.split("=", 1)) if "=" in i else (i, i) for i in items]


def _about_128_tokens(texts: list[str]) -> tuple[list[str], list[int]]:
    from narrascope.encoders.sources import resolve_model_dir
    from narrascope.encoders.tokenizer import load_tokenizer

    tokenizer = load_tokenizer(resolve_model_dir("embedded:multilingual-e5-small"))
    counts = [len(ids) + 2 for ids in tokenizer.content_ids(["passage: " + t for t in texts])]
    picked = sorted(zip(texts, counts), key=lambda p: abs(p[1] - 128))[:SINGLES]
    return [t for t, _ in picked], [n for _, n in picked]


def _payload(texts: list[str]) -> bytes:
    return json.dumps({"texts": [{"text": t} for t in texts]}, ensure_ascii=False).encode()


# --- servers -------------------------------------------------------------------------------


class Server:
    """A server subprocess in its own process group on a free loopback port; `close` stops it."""

    def __init__(self, name: str, command: list[str], port: int, env: dict, log: Path):
        self.name, self.port, self.url = name, port, f"http://127.0.0.1:{port}"
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.started = time.perf_counter()

        self.descendants: dict[int, str | None] = {}  # pid -> start time, against pid reuse

    def ready(self, timeout: float = 240) -> float:
        try:
            wait_ready(self.url, self.process, timeout)
        except Exception as exc:
            tail = self.log.read_text("utf-8", "replace")[-2000:]
            raise RuntimeError(f"{self.name} did not start: {exc}\n{tail}") from exc
        self._note_descendants()
        return time.perf_counter() - self.started

    def _note_descendants(self) -> None:
        for pid in _descendants(self.process.pid):
            self.descendants.setdefault(pid, _start_time(pid))

    def close(self) -> None:
        """Stop the server, then kill whatever it started that outlived it (BentoML's workers
        run in sessions of their own, so the process group alone does not reach them)."""
        self._note_descendants()
        if self.process.poll() is None:
            stop(self.process)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        for pid, started in self.descendants.items():
            if started is not None and _start_time(pid) == started:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)


def _start_service(args, ref: str, logs: Path, tag: str) -> Server:
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("narrascope")),
        "serve",
        "--model",
        ref,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    env = {**os.environ, "NARRASCOPE_REGISTRY": args.registry, "HF_HUB_OFFLINE": "1"}
    env.pop("NARRASCOPE_API_TOKEN", None)  # loopback benchmark: no bearer auth
    return Server("narrascope", command, port, env, logs / f"{tag}-narrascope.log")


def _start_peer(args, ref: str, logs: Path, tag: str) -> Server:
    port = free_port()
    command = [
        sys.executable,
        str(ROOT / "bench" / "naive_peer.py"),
        "--registry",
        args.registry,
        "--model",
        ref,
        "--port",
        str(port),
        "--precision",
        args.peer_precision,
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return Server("naive peer", command, port, env, logs / f"{tag}-peer.log")


def _warm_up(server: Server, payloads: dict[int, list[bytes]]) -> None:
    with httpx.Client(base_url=server.url, timeout=120) as client:
        for size in sorted(payloads):
            for body in payloads[size][:3]:
                client.post("/v1/predict", content=body, headers=HEADERS).raise_for_status()


def _settle(server: Server, body: bytes, limit: float) -> float:
    """Wait until the server has worked off the cell (a timed-out client's request may still be
    queued there): one 1-text request, answered after whatever is ahead of it."""
    started = time.perf_counter()
    with contextlib.suppress(httpx.HTTPError):
        httpx.post(f"{server.url}/v1/predict", content=body, headers=HEADERS, timeout=limit)
    time.sleep(0.5)
    return round(time.perf_counter() - started, 1)


# --- grid ----------------------------------------------------------------------------------


def _family(args, name: str, ref: str, payloads, logs: Path) -> dict:
    with contextlib.ExitStack() as stack:
        service = _start_service(args, ref, logs, name)
        stack.callback(service.close)
        peer = None
        if not args.no_peer:
            peer = _start_peer(args, ref, logs, name)
            stack.callback(peer.close)
        servers = [service] + ([peer] if peer else [])
        start_s = {s.name: round(s.ready(), 1) for s in servers}
        info = httpx.get(f"{service.url}/v1/model", timeout=30).json()
        version = info["version"]
        print(
            f"\n{name}: {ref} -> {version} ({info['family']}); ready after "
            + ", ".join(f"{k} {v} s" for k, v in start_s.items()),
            flush=True,
        )
        for server in servers:
            _warm_up(server, payloads)
        cells = []
        loadavg = [os.getloadavg()[0]]
        for size in args.sizes:
            for concurrency in args.concurrency:
                order = servers if len(cells) % 2 == 0 else servers[::-1]
                for server in order:
                    cell = asyncio.run(
                        _drive(
                            server.url,
                            payloads[size],
                            size,
                            concurrency,
                            args.seconds,
                            args.max_requests,
                            args.timeout,
                            version,
                        )
                    )
                    cell.update(server=server.name, size=size, concurrency=concurrency)
                    cell["settle_s"] = _settle(server, payloads[1][0], args.timeout)
                    cells.append(cell)
                    print(_progress(name, cell), file=sys.stderr, flush=True)
                loadavg.append(os.getloadavg()[0])
        return {
            "ref": ref,
            "version": version,
            "family": info["family"],
            "ready_s": start_s,
            "loadavg_1min": [round(x, 2) for x in loadavg],
            "cells": cells,
        }


async def _drive(
    url: str,
    bodies: list[bytes],
    size: int,
    concurrency: int,
    seconds: float,
    max_requests: int,
    timeout: float,
    version: str | None,
    sizes: list[int] | None = None,
) -> dict:
    """`concurrency` closed-loop clients for `seconds`; in-flight requests finish and count."""
    latencies: list[float] = []
    statuses: Counter = Counter()
    state = {"issued": 0, "texts": 0, "errors": 0, "bad": 0, "error_kinds": Counter()}
    samples: dict[str, str] = {}  # first body per non-2xx status
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    cpu0 = time.process_time()
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as client:
        started = time.perf_counter()
        deadline = started + seconds

        async def client_loop(k: int) -> None:
            i, checked = k, False
            while time.perf_counter() < deadline and state["issued"] < max_requests:
                state["issued"] += 1
                index = i % len(bodies)
                n = sizes[index] if sizes else size
                i += concurrency
                sent = time.perf_counter()
                try:
                    response = await client.post(
                        "/v1/predict", content=bodies[index], headers=HEADERS
                    )
                except httpx.HTTPError as exc:
                    state["errors"] += 1
                    state["error_kinds"][type(exc).__name__] += 1
                    continue
                statuses[response.status_code] += 1
                if not 200 <= response.status_code < 300:
                    samples.setdefault(str(response.status_code), response.text[:200])
                else:
                    latencies.append(time.perf_counter() - sent)
                    state["texts"] += n
                    if not checked:  # one full check of the answer per client
                        body = response.json()
                        if len(body["results"]) != n or (
                            version and body["model_version"] != version
                        ):
                            state["bad"] += 1
                        checked = True

        await asyncio.gather(*(client_loop(k) for k in range(concurrency)))
        elapsed = time.perf_counter() - started
    lat = np.array(latencies) * 1000 if latencies else np.array([np.nan])
    p50, p95, p99 = np.percentile(lat, [50, 95, 99])
    ok = sum(v for k, v in statuses.items() if 200 <= k < 300)
    return {
        "requests": sum(statuses.values()) + state["errors"],
        "ok": ok,
        "texts": state["texts"],
        "elapsed_s": round(elapsed, 2),
        "texts_per_s": round(state["texts"] / elapsed, 1),
        "p50_ms": round(float(p50), 1),
        "p95_ms": round(float(p95), 1),
        "p99_ms": round(float(p99), 1),
        "non_2xx": sum(v for k, v in statuses.items() if not 200 <= k < 300),
        "status_5xx": sum(v for k, v in statuses.items() if k >= 500),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "non_2xx_bodies": samples,
        "transport_errors": state["errors"],
        "transport_error_kinds": dict(state["error_kinds"]),
        "bad_answers": state["bad"],
        "client_cpu_share": round((time.process_time() - cpu0) / elapsed, 2),
    }


def _progress(name: str, c: dict) -> str:
    return (
        f"  {name} {c['server']:<10} {c['size']:>2} text(s) x c{c['concurrency']:<2}: "
        f"{c['requests']} req, {c['texts_per_s']:,.1f} texts/s, p50/p95/p99 "
        f"{c['p50_ms']:.0f}/{c['p95_ms']:.0f}/{c['p99_ms']:.0f} ms, non-2xx {c['non_2xx']} "
        f"(5xx {c['status_5xx']}), errors {c['transport_errors']}, {c['elapsed_s']} s, "
        f"client CPU {c['client_cpu_share']:.2f} core, settled in {c.get('settle_s', 0)} s"
    )


def _markdown(name: str, result: dict) -> str:
    cells = {(c["size"], c["concurrency"], c["server"]): c for c in result["cells"]}
    keys = sorted({(c["size"], c["concurrency"]) for c in result["cells"]})
    peer = any(c["server"] == "naive peer" for c in result["cells"])
    head = ["request", "conc.", "ours: req", "texts/s", "p50 / p95 / p99 ms", "non-2xx (5xx)"]
    if peer:
        head += ["peer: req", "texts/s", "p50 / p95 / p99 ms", "non-2xx (5xx)"]
        head += ["texts/s ours / peer"]
    rows = []
    for size, concurrency in keys:
        ours = cells[(size, concurrency, "narrascope")]
        row = [f"{size} text{'s' if size > 1 else ''}", concurrency, *_cols(ours)]
        if peer:
            other = cells[(size, concurrency, "naive peer")]
            ratio = ours["texts_per_s"] / other["texts_per_s"] if other["texts_per_s"] else np.nan
            row += [*_cols(other), f"{ratio:.2f}"]
        rows.append(row)
    title = (
        f"\n{name}: {result['version']} ({result['family']}), load average (1 min) during the "
        f"run {min(result['loadavg_1min']):.1f}-{max(result['loadavg_1min']):.1f}\n"
    )
    return title + "\n" + markdown_table(head, rows, align="l" + "r" * (len(head) - 1))


def _cols(c: dict) -> list[str]:
    errors = f" +{c['transport_errors']} err" if c["transport_errors"] else ""
    return [
        f"{c['requests']:,}",
        f"{c['texts_per_s']:,.1f}",
        f"{c['p50_ms']:,.0f} / {c['p95_ms']:,.0f} / {c['p99_ms']:,.0f}",
        f"{c['non_2xx']} ({c['status_5xx']}){errors}",
    ]


def _targets(families: dict) -> list[dict]:
    """The targets of the brief, checked on whatever families were run."""

    def cell(result, size, concurrency, server="narrascope"):
        for c in result["cells"]:
            if (c["size"], c["concurrency"], c["server"]) == (size, concurrency, server):
                return c
        return None

    out = []
    for name, result in families.items():
        family = result["family"]
        if family == "linear":
            best = [
                c for c in result["cells"] if c["server"] == "narrascope" and c["size"] == BATCH
            ]
            if best:
                top = max(best, key=lambda c: c["texts_per_s"])
                out.append(
                    _target(
                        name,
                        "linear >= 2,000 texts/s with 64-text requests (best concurrency)",
                        top["texts_per_s"] >= 2000,
                        f"{top['texts_per_s']:,.0f} texts/s at concurrency {top['concurrency']}",
                    )
                )
            out += _p95_target(name, family, cell(result, 1, 8), 30, "single texts")
        if family == "finetuned":
            for size in (1, BATCH):
                ours, peer = cell(result, size, 32), cell(result, size, 32, "naive peer")
                if ours and peer and peer["texts_per_s"]:
                    ratio = ours["texts_per_s"] / peer["texts_per_s"]
                    out.append(
                        _target(
                            name,
                            f"finetuned >= 2x naive peer texts/s, concurrency 32, {size}-text",
                            ratio >= 2,
                            f"{ours['texts_per_s']:,.1f} vs {peer['texts_per_s']:,.1f} "
                            f"texts/s = {ratio:.2f}x",
                        )
                    )
            out += _p95_target(name, family, cell(result, 1, 8), 500, "single ~128-token texts")
        ours_5xx = sum(c["status_5xx"] for c in result["cells"] if c["server"] == "narrascope")
        out.append(_target(name, "zero 5xx (narrascope)", ours_5xx == 0, f"{ours_5xx} 5xx"))
    return out


def _p95_target(name: str, family: str, c, bound_ms: float, texts: str) -> list[dict]:
    """The p95 latency target at concurrency 8, when that cell was run."""
    if not c:
        return []
    what = f"{family} p95 < {bound_ms:.0f} ms, {texts}, concurrency 8"
    return [_target(name, what, c["p95_ms"] < bound_ms, f"p95 {c['p95_ms']:,.1f} ms")]


def _target(name: str, what: str, met: bool, measured: str) -> dict:
    return {"model": name, "target": what, "met": bool(met), "measured": measured}


def _targets_markdown(targets: list[dict]) -> str:
    rows = [
        [t["model"], t["target"], t["measured"], "yes" if t["met"] else "**no**"] for t in targets
    ]
    return "\n" + markdown_table(["model", "target", "measured", "met"], rows)


# --- soak ----------------------------------------------------------------------------------


def _soak(args, ref: str, texts: list[str], logs: Path) -> dict:
    # With both sizes, 1-text and 64-text bodies alternate; with an even concurrency client k
    # always takes the same kind, so half the clients send single texts and half 64-text batches.
    bodies, sizes = [], []
    for b in range(len(texts)):
        for size in args.soak_sizes:
            batch = [texts[(b * size + j) % len(texts)] for j in range(size)]
            bodies.append(_payload(batch))
            sizes.append(size)
    with contextlib.ExitStack() as stack:
        service = _start_service(args, ref, logs, "soak")
        stack.callback(service.close)
        ready = service.ready()
        info = httpx.get(f"{service.url}/v1/model", timeout=30).json()
        print(
            f"soak: {ref} -> {info['version']} ({info['family']}), ready after {ready:.1f} s; "
            f"concurrency {args.soak_concurrency} for {args.soak:.0f} s",
            flush=True,
        )
        _warm_up(service, {1: bodies[0:6:2], BATCH: bodies[1:6:2]})
        return asyncio.run(_soak_run(args, service, bodies, sizes, info["version"]))


async def _soak_run(args, service: Server, bodies, sizes, version: str) -> dict:
    samples: list[tuple[float, int, int]] = []
    started = time.perf_counter()

    async def sampler() -> None:
        while True:
            total, largest = _tree_rss(service.process.pid)
            samples.append((round(time.perf_counter() - started, 1), total, largest))
            await asyncio.sleep(args.sample_every)

    task = asyncio.create_task(sampler())
    try:
        load = await _drive(
            service.url,
            bodies,
            1,
            args.soak_concurrency,
            args.soak,
            10**9,
            args.timeout,
            version,
            sizes=sizes,
        )
    finally:
        task.cancel()
    samples.append(
        (round(time.perf_counter() - started, 1), *_tree_rss(service.process.pid))
    )  # after the drain
    mb = [s[1] / 2**20 for s in samples]
    half = next(i for i, s in enumerate(samples) if s[0] >= samples[-1][0] / 2)
    return {
        "model": version,
        "seconds": args.soak,
        "concurrency": args.soak_concurrency,
        "sizes": args.soak_sizes,
        "load": load,
        "rss_mb_start": round(mb[0], 1),
        "rss_mb_after_first_minute": round(
            mb[next((i for i, s in enumerate(samples) if s[0] >= 60), -1)], 1
        ),
        "rss_mb_half": round(mb[half], 1),
        "rss_mb_end": round(mb[-1], 1),
        "rss_mb_max": round(max(mb), 1),
        "rss_source": "psutil" if _psutil() else "/proc",
        "samples": [
            {"t_s": t, "tree_rss_mb": round(a / 2**20, 1), "largest_mb": round(b / 2**20, 1)}
            for t, a, b in samples
        ],
    }


def _psutil():
    try:
        import psutil
    except ImportError:
        return None
    return psutil


def _tree_rss(pid: int) -> tuple[int, int]:
    """Sum of RSS over the process and all its descendants, and the largest single RSS (bytes)."""
    psutil = _psutil()
    rss = []
    for p in [pid, *_descendants(pid)]:
        if psutil:
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                rss.append(psutil.Process(p).memory_info().rss)
            continue
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss.append(int(line.split()[1]) * 1024)
    return sum(rss), max(rss, default=0)


def _start_time(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _descendants(pid: int) -> list[int]:
    """Every process below `pid` (psutil where installed, else /proc)."""
    psutil = _psutil()
    if psutil:
        try:
            return [p.pid for p in psutil.Process(pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], list(children.get(pid, []))
    while todo:
        p = todo.pop()
        found.append(p)
        todo += children.get(p, [])
    return found


def _soak_markdown(s: dict) -> str:
    load = s["load"]
    title = (
        f"\nsoak: {s['model']}, concurrency {s['concurrency']}, {s['seconds']:.0f} s, "
        f"{' and '.join(f'{n}-text' for n in s['sizes'])} requests; "
        f"RSS of the service's process tree ({s['rss_source']})\n"
    )
    head = ["requests", "texts/s", "p50 / p95 / p99 ms", "non-2xx", "5xx", "transport errors"]
    head += ["RSS start", "after 1 min", "half-way", "end", "max"]
    rss = ("rss_mb_start", "rss_mb_after_first_minute", "rss_mb_half", "rss_mb_end", "rss_mb_max")
    row = [
        f"{load['requests']:,}",
        f"{load['texts_per_s']:,.1f}",
        f"{load['p50_ms']:,.0f} / {load['p95_ms']:,.0f} / {load['p99_ms']:,.0f}",
        load["non_2xx"],
        load["status_5xx"],
        load["transport_errors"],
        *(f"{s[key]:,.0f} MB" for key in rss),
    ]
    return title + "\n" + markdown_table(head, [row], align="r" * len(head))


if __name__ == "__main__":
    main()
