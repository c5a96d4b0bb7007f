"""One command line over the whole product: `python -m rag --help` (or `newsrag --help`)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date

from index.errors import IndexError_, NothingIndexedError


def _settings(args: argparse.Namespace):  # noqa: ANN202
    from rag.settings import Settings

    overrides = {}
    if getattr(args, "index_dir", None):
        overrides["index_dir"] = args.index_dir
    if getattr(args, "generator", None):
        overrides["generator"] = args.generator
    return Settings(**overrides)


def _progress_bar() -> tuple[Callable[[str, float], None], Callable[[], None]]:
    from tqdm import tqdm

    bar = tqdm(total=100, unit="%", file=sys.stderr, disable=not sys.stderr.isatty(), leave=False)

    def update(what: str, fraction: float) -> None:
        bar.set_description(what)
        bar.n = int(fraction * 100)
        bar.refresh()

    return update, bar.close


def _indexer(settings, args: argparse.Namespace | None = None):  # noqa: ANN001, ANN202
    """The indexer of these settings; with --ray, its embedding runs on Ray (RAY_ADDRESS, else a local Ray)."""
    from index.build import Indexer
    from rag.assistant import default_embedder

    if getattr(args, "ray", False):
        from index.distributed import RayEmbedder

        embedder = RayEmbedder(default_embedder(settings), num_cpus=args.ray_cpus)
    else:
        embedder = default_embedder(settings)
    return Indexer(settings.index_dir, embedder, settings.chunking(), settings.faiss_index)


def _stop_ray(args: argparse.Namespace) -> None:
    if getattr(args, "ray", False):
        from index.distributed import shutdown

        shutdown()


def cmd_index_build(args: argparse.Namespace) -> int:
    settings = _settings(args)
    corpus = args.corpus or settings.corpus_dir
    progress, done = _progress_bar()
    try:
        report = _indexer(settings, args).add([corpus], rebuild=args.rebuild, progress=progress)
    finally:
        done()
        _stop_ray(args)
    print(f"Indexed {corpus} into {settings.index_dir}: {report.summary()}")
    return 0


def cmd_index_add(args: argparse.Namespace) -> int:
    settings = _settings(args)
    progress, done = _progress_bar()
    try:
        report = _indexer(settings, args).add(args.paths, progress=progress)
    finally:
        done()
        _stop_ray(args)
    print(report.summary())
    return 0


def cmd_index_remove(args: argparse.Namespace) -> int:
    report = _indexer(_settings(args)).remove(args.ids)
    print(report.summary())
    return 0 if report.removed else 1


def cmd_index_stats(args: argparse.Namespace) -> int:
    from rag.assistant import Assistant

    assistant = Assistant.load(_settings(args), build_if_missing=False)
    stats = assistant.stats()
    articles = [a.model_dump(mode="json") for a in assistant.articles()]
    if args.json:
        print(json.dumps({**stats, "article_list": articles}, indent=2))
        return 0
    for key, value in stats.items():
        print(f"{key:>16}: {value}")
    print()
    for a in articles:
        print(f"  {a['id']}  {a['published'] or '????-??-??'}  {a['publisher'] or '-':<18} {(a['title'] or '')[:60]}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from rag.assistant import Assistant
    from rag.types import Filters

    assistant = Assistant.load(_settings(args))
    filters = Filters(publishers=args.publisher or None, since=args.since, until=args.until)
    results = assistant.retrieve(args.question, k=args.k, filters=filters)
    if args.json:
        print(json.dumps([r.model_dump(mode="json") for r in results], indent=2))
        return 0
    for i, r in enumerate(results, start=1):
        a = r.article
        print(
            f"[{i}] {a.display_title[:70]} ({a.publisher or 'unknown publisher'}, {a.published or 'undated'})"
            f"  fused={r.score:.4f} dense#{r.dense_rank} bm25#{r.bm25_rank}"
        )
        print("    " + r.passage.text.replace("\n", " ")[:400])
    return 0


def print_answer(answer) -> None:  # noqa: ANN001 - rag.types.Answer
    print(answer.text)
    if answer.citations:
        print("\nSources:")
        for c in answer.citations:
            when = c.published.isoformat() if c.published else "undated"
            print(f"  [{c.marker}] {c.title or c.article_id} — {c.publisher or 'unknown publisher'}, {when}")
            print(f"      “{c.quote}” (chars {c.start}-{c.end} of {c.article_id})")
    elif answer.related:
        print("\nRelated reading:")
        for r in answer.related:
            print(
                f"  - {r.article.display_title} ({r.article.publisher or 'unknown'}, {r.article.published}): "
                f"{r.passage.text[:160]}…"
            )
    if answer.verification:
        print("\nVerifier:", "; ".join(answer.verification))


def cmd_ask(args: argparse.Namespace) -> int:
    from rag.assistant import Assistant
    from rag.types import Answer, Filters

    assistant = Assistant.load(_settings(args))
    filters = Filters(publishers=args.publisher or None, since=args.since, until=args.until)
    if args.json:
        print(assistant.ask(args.question, filters=filters, k=args.k).model_dump_json(indent=2))
        return 0
    answer = None
    for event in assistant.stream(args.question, filters=filters, k=args.k):
        if isinstance(event, Answer):
            answer = event
    print_answer(answer)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from pathlib import Path

    from evals.report import compare, load_run, summary_table, write_run

    if args.compare:
        print(compare(load_run(Path(args.compare[0])), load_run(Path(args.compare[1]))))
        return 0
    if args.benchmark == "halueval":
        from evals.halueval import format_halueval, run_halueval

        result = run_halueval(_settings(args), limit=args.limit or 300, max_passages=args.passages)
        print(format_halueval(result))
        return 0
    from evals.run import run_eval
    from rag.assistant import Assistant

    assistant = Assistant.load(_settings(args))
    gold = Path(args.gold) if args.gold else None
    progress, done = _progress_bar()
    try:
        run = run_eval(
            assistant,
            gold_path=gold,
            generator=args.generator,
            name=f"newsrag-{args.generator or assistant.settings.generator}",
            progress=lambda i, n: progress(f"question {i}/{n}", i / n),
        )
    finally:
        done()
    runs = [run]
    if args.baseline:
        from evals.baselines import run_llamaindex_baseline

        runs.append(run_llamaindex_baseline(assistant.settings, gold_path=gold, limit=args.limit))
    stamp = run.started.replace(":", "").replace("-", "")[:15]
    out = write_run(run, Path(args.out) / f"{stamp}-{run.generator}")
    for other in runs[1:]:
        write_run(other, Path(args.out) / f"{stamp}-{other.name}")
    print(summary_table(runs))
    print(f"\nReport: {out / 'report.md'}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from evals.bench.cli import run_from_args

    return run_from_args(args, _settings(args))


def cmd_serve(args: argparse.Namespace) -> int:
    from rag.assistant import Assistant
    from ui.app import serve

    assistant = Assistant.load(_settings(args))
    print(f"Serving {assistant.stats()['articles']} articles at http://{args.host}:{args.port}/ (Ctrl+C stops)")
    serve(assistant, host=args.host, port=args.port)
    return 0


def _date(text: str) -> date:
    return date.fromisoformat(text)


def _ray_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--ray", action="store_true", help="embed on Ray: the cluster at RAY_ADDRESS, else a local Ray ('.[scale]')"
    )
    p.add_argument("--ray-cpus", type=int, metavar="N", help="CPUs of a local Ray (default: all; not with RAY_ADDRESS)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Citation-grounded answers from news articles.")
    parser.add_argument("--index-dir", help="index folder (default: settings / RAG_INDEX_DIR)")
    sub = parser.add_subparsers(dest="command", required=True)

    index = sub.add_parser("index", help="build and maintain the index").add_subparsers(
        dest="index_command", required=True
    )
    p = index.add_parser("build", help="index the corpus folder (incremental; --rebuild starts afresh)")
    p.add_argument("--corpus", help="folder of articles (default: settings / RAG_CORPUS_DIR)")
    p.add_argument("--rebuild", action="store_true", help="discard the current index contents")
    _ray_arguments(p)
    p.set_defaults(func=cmd_index_build)
    p = index.add_parser("add", help="add or update articles from files and folders")
    p.add_argument("paths", nargs="+")
    _ray_arguments(p)
    p.set_defaults(func=cmd_index_add)
    p = index.add_parser("remove", help="remove articles by id")
    p.add_argument("ids", nargs="+")
    p.set_defaults(func=cmd_index_remove)
    p = index.add_parser("stats", help="what the index holds")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_index_stats)

    p = sub.add_parser("ask", help="answer a question from the articles, with cited sources")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=None, help="passages shown to the generator")
    p.add_argument("--generator", choices=["extractive", "llamacpp", "openai"])
    p.add_argument("--publisher", action="append", help="only this publisher (repeatable)")
    p.add_argument("--since", type=_date, help="published on or after YYYY-MM-DD")
    p.add_argument("--until", type=_date, help="published on or before YYYY-MM-DD")
    p.add_argument("--json", action="store_true", help="print the Answer object as JSON")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("eval", help="score the assistant on a gold Q&A set")
    p.add_argument("--gold", help="gold JSONL file (default: evals/gold/bundled.jsonl)")
    p.add_argument("--generator", choices=["extractive", "llamacpp", "openai"])
    p.add_argument("--out", default="runs", help="folder for the run folders (default: runs/)")
    p.add_argument("--baseline", action="store_true", help="also run the plain llama-index pipeline")
    p.add_argument("--limit", type=int, help="only the first N questions (baseline) / N sampled (halueval, 300)")
    p.add_argument(
        "--benchmark",
        choices=["halueval"],
        help="instead of the gold set: HaluEval-QA retrieval and verifier scores (needs the test extras)",
    )
    p.add_argument("--passages", type=int, help="halueval: index only this many passages (default: all ~9,936)")
    p.add_argument("--compare", nargs=2, metavar=("RUN_A", "RUN_B"), help="print the differences of two runs")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("bench", help="measure speed and memory at several corpus sizes (see README: Speed and scale)")
    p.add_argument("--sizes", nargs="+", help="'bundled' and passage counts: 10k 100k 1M (default: all four)")
    p.add_argument("--json", metavar="FILE", help="also write the result as JSON to FILE")
    p.add_argument("--ingest", type=int, help="passages in the ingestion comparison (default 2000; 0 skips it)")
    p.add_argument("--embed", type=int, help="passages in the fp32/bf16/int8 comparison (default 800; 0 skips it)")
    p.add_argument("--queries", type=int, help="questions timed per corpus size (default 50)")
    p.add_argument("--work-dir", help="keep the benchmark's indexes in this folder")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("serve", help="start the chat app (Gradio) on this machine")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=7860)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("search", help="show the passages retrieved for a question")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--publisher", action="append", help="only this publisher (repeatable)")
    p.add_argument("--since", type=_date, help="published on or after YYYY-MM-DD")
    p.add_argument("--until", type=_date, help="published on or before YYYY-MM-DD")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except NothingIndexedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except IndexError_ as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


# One-shot commands with nothing left to write after their output.
_FAST_EXIT = {"ask", "search"}


def run() -> None:
    """The `python -m rag` and `newsrag` entry point."""
    code = main()
    if sys.argv[1:2] and sys.argv[1] in _FAST_EXIT:
        # Interpreter teardown with torch and transformers loaded takes about 1 s (measured); skip it.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
