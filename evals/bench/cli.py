"""Command line of the benchmark: `python -m evals.bench` and `python -m rag bench` share these options."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from evals.bench.run import DEFAULT_SIZES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sizes",
        nargs="+",
        default=list(DEFAULT_SIZES),
        help="corpus sizes: 'bundled' and passage counts such as 10k 100k 1M (default: bundled 10k 100k 1M)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the result as JSON to FILE")
    parser.add_argument("--ingest", type=int, default=2000, help="passages in the ingestion comparison (0: skip)")
    parser.add_argument("--embed", type=int, default=800, help="passages in the fp32/bf16/int8 comparison (0: skip)")
    parser.add_argument("--queries", type=int, default=50, help="questions timed per corpus size")
    parser.add_argument("--no-llamaindex", action="store_true", help="skip the llama-index ingestion row")
    parser.add_argument("--no-cold-start", action="store_true", help="skip the cold-start interpreters")
    parser.add_argument("--work-dir", help="keep the benchmark's indexes here (default: a temporary folder)")


def run_from_args(args: argparse.Namespace, settings=None) -> int:  # noqa: ANN001 - rag.settings.Settings
    """Run with parsed options (any missing take their defaults), print the Markdown report, save JSON."""
    from evals.bench.report import format_bench
    from evals.bench.run import run_bench

    defaults = argparse.ArgumentParser()
    add_arguments(defaults)
    options = {**vars(defaults.parse_args([])), **{k: v for k, v in vars(args).items() if v is not None}}
    result = run_bench(
        options["sizes"],
        settings=settings,
        ingest_passages=options["ingest"],
        embed_passages=options["embed"],
        queries=options["queries"],
        llamaindex=not options["no_llamaindex"],
        cold_start=not options["no_cold_start"],
        work_dir=options["work_dir"],
        progress=lambda what: print(what, file=sys.stderr, flush=True),
    )
    print(format_bench(result))
    if options["json"]:
        Path(options["json"]).write_text(result.model_dump_json(indent=1), encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench", description="Speed and memory benchmark.")
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))
