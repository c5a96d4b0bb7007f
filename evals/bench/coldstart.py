"""Cold start, in fresh interpreters: `import rag`, `python -m rag --help` (neither may load a heavy
library), and interpreter start to the first answer on the bundled corpus."""

from __future__ import annotations

import statistics
import time

from evals.bench.machine import run_python, settings_env
from evals.bench.results import ColdStart

HEAVY = ("torch", "sentence_transformers", "transformers", "faiss", "gradio", "llama_index")

_IMPORT_CODE = """
import json, sys
import rag
print(json.dumps({"heavy": [m for m in sys.argv[1:] if m in sys.modules]}))
"""

_HELP_CODE = """
import contextlib, io, json, runpy, sys
heavy = sys.argv[1:]
sys.argv = ["rag", "--help"]
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    runpy.run_module("rag", run_name="__main__")
print(json.dumps({"heavy": [m for m in heavy if m in sys.modules]}))
"""

_FIRST_ANSWER_CODE = """
import time
t0 = time.perf_counter()
import json, sys
from rag import Assistant
t1 = time.perf_counter()
assistant = Assistant.load(build_if_missing=False)
t2 = time.perf_counter()
answer = assistant.ask(sys.argv[1])
t3 = time.perf_counter()
print(json.dumps({"answered_at": time.time(), "parts": {
    "import": t1 - t0, "load index": t2 - t1, "first answer (loads the model)": t3 - t2}}))
"""


def heavy_modules_loaded(code: str) -> tuple[float, list[str]]:
    """Wall seconds of a fresh interpreter running a snippet (see _IMPORT_CODE), and the heavy modules it
    reports loaded."""
    started = time.perf_counter()
    data = run_python(code, *HEAVY)
    seconds = time.perf_counter() - started
    if data is None:
        raise RuntimeError("the cold-start snippet failed to run")
    return seconds, list(data["heavy"])


def bench_cold_start(settings, question: str, repeats: int = 3) -> ColdStart:  # noqa: ANN001
    """Median wall time of `repeats` fresh interpreters for each (interpreter start included). The first
    answer is timed from process start to the answer being ready (the in-process breakdown of its fastest
    run alongside), and apart from that to process exit: interpreter teardown with torch loaded is about
    1 s, which `python -m rag ask` skips."""
    imports, helps, heavy = [], [], set()
    for _ in range(repeats):
        seconds, loaded = heavy_modules_loaded(_IMPORT_CODE)
        imports.append(seconds)
        heavy.update(loaded)
        seconds, loaded = heavy_modules_loaded(_HELP_CODE)
        helps.append(seconds)
        heavy.update(loaded)
    firsts, exits, breakdown = [], [], {}
    for _ in range(repeats):
        started, started_wall = time.perf_counter(), time.time()
        data = run_python(_FIRST_ANSWER_CODE, question, env=settings_env(settings))
        exits.append(time.perf_counter() - started)
        if data is None:
            raise RuntimeError("the first-answer snippet failed to run")
        firsts.append(float(data["answered_at"]) - started_wall)
        if firsts[-1] <= min(firsts):
            breakdown = {k: round(float(v), 3) for k, v in data["parts"].items()}
    if breakdown:
        breakdown["interpreter start"] = round(min(firsts) - sum(breakdown.values()), 3)
    return ColdStart(
        import_rag_s=round(statistics.median(imports), 3),
        help_s=round(statistics.median(helps), 3),
        heavy_loaded=sorted(heavy),
        first_answer_s=round(statistics.median(firsts), 3),
        exit_s=round(statistics.median(exits), 3),
        breakdown=breakdown,
    )
