"""Speed and memory benchmark of the whole product: `python -m rag bench` (or `python -m evals.bench`).

Every ratio is measured in one process against a named baseline, so a busy machine shifts both sides
alike; the load average at start and end is reported beside the figures. Modules, one per table:
machine (the machine, clocks), data (corpora), ingest, embedding, dense, synthetic, pipeline, coldstart,
report (the printed tables and targets), run (the whole run), cli.
"""

from evals.bench.data import parse_size
from evals.bench.results import BenchResult

__all__ = ["BenchResult", "parse_size"]
