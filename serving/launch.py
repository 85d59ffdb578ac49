"""Start the service as a `bentoml serve` subprocess and wait until it is ready.

Used by `narrascope serve`, the tests and the benchmarks, so every caller starts it the same way.
Light on purpose: it imports neither BentoML nor the model.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx

SERVICE = "narrascope.serving.service:Narrascope"


def serve_command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "bentoml", "serve", SERVICE, "--host", host, "--port", str(port)]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_ready(base_url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    """Poll /readyz until it answers 200; fail early if the server process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"bentoml serve exited with code {process.returncode}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{base_url} not ready after {timeout:.0f} s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
