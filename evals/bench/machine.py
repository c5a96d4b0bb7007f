"""The machine a run measured, and the small measuring tools every part uses: clocks, percentiles,
resident memory, sizes on disk, fresh interpreters."""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from evals.bench.results import Latency, Machine

ROOT = Path(__file__).resolve().parents[2]


class Clock:
    """Wall and CPU seconds of a `with` block."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def latency(seconds: Sequence[float]) -> Latency:
    """p50 (median) and p95 (nearest rank) in milliseconds."""
    values = sorted(seconds)
    if not values:
        return Latency(n=0, p50_ms=0.0, p95_ms=0.0)
    p95 = values[min(len(values) - 1, math.ceil(0.95 * len(values)) - 1)]
    return Latency(n=len(values), p50_ms=round(statistics.median(values) * 1000, 2), p95_ms=round(p95 * 1000, 2))


def rss_bytes() -> int:
    """Resident memory of this process (VmRSS), 0 where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def dir_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def _cpu() -> tuple[str, frozenset[str]]:
    from index.embed import cpu_flags

    name = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return name, cpu_flags()


def machine_info() -> Machine:
    """CPU, cores, memory, bf16 support, library versions and the load average now."""
    cpu, flags = _cpu()
    memory = 0.0
    with contextlib.suppress(OSError, IndexError, ValueError):
        memory = int(Path("/proc/meminfo").read_text().splitlines()[0].split()[1]) / 1024**2
    versions = {}
    for module in ("torch", "faiss", "sentence_transformers", "bm25s"):
        try:
            versions[module] = str(__import__(module).__version__)
        except Exception:  # noqa: BLE001 - a version is only a label
            versions[module] = "-"
    return Machine(
        cpu=cpu,
        cores=os.cpu_count() or 1,
        memory_gb=round(memory, 1),
        bf16="AMX" if "amx_bf16" in flags else "AVX512-BF16" if "avx512_bf16" in flags else "none",
        python=platform.python_version(),
        versions=versions,
        load_start=load_average(),
    )


def run_python(code: str, *args: str, env: dict[str, str] | None = None, timeout: float = 1800) -> dict | None:
    """Run `code` in a fresh interpreter in the project folder; its last stdout line that is a JSON object."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, *args],
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            cwd=ROOT,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return None
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if done.returncode == 0 and lines else None


def settings_env(settings) -> dict[str, str]:  # noqa: ANN001 - rag.settings.Settings
    """RAG_* variables that make a fresh process use these settings."""
    return {
        "RAG_INDEX_DIR": str(settings.index_dir),
        "RAG_EMBEDDING_MODEL": settings.embedding_model,
        "RAG_EMBEDDING_DTYPE": settings.embedding_dtype,
        "RAG_FAISS_INDEX": settings.faiss_index,
        "RAG_GENERATOR": "extractive",
    }
