"""A run folder: results.json, report.md and chart.png; and the differences between two runs."""

from __future__ import annotations

from pathlib import Path

from evals.run import EvalRun

HEADLINE = [
    "answer_accuracy",
    "answer_f1",
    "citation_recall",
    "citation_precision",
    "citation_evidence",
    "citation_evidence_fact",
    "citation_evidence_change",
    "abstention_recall",
    "abstention_precision",
    "false_abstention_rate",
    "hit@1",
    "hit@5",
    "recall@5",
    "mrr",
    "facts_found",
    "facts_in_order",
    "articles_cited",
    "latency_p50",
    "latency_p95",
    "dangling_markers",
    "misdated_statements",
]
JUDGE_NOTE = "Citation judge: lexical (numbers and names of a statement in its cited quotes, >= 70% of its words)."


def write_run(run: EvalRun, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(run.model_dump_json(indent=1), encoding="utf-8")
    (folder / "report.md").write_text(markdown(run), encoding="utf-8")
    chart(run, folder / "chart.png")
    return folder


def _fmt(value: object) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def markdown(run: EvalRun) -> str:
    lines = [
        f"# Evaluation: {run.name}",
        "",
        f"gold `{run.gold}` · generator `{run.generator}` · settings `{run.settings_hash}` · "
        f"git `{run.git_revision}` · {run.started}",
        "",
        JUDGE_NOTE,
        "",
        "## Overall",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    lines += [f"| {k} | {_fmt(run.summary['overall'].get(k))} |" for k in HEADLINE]
    kinds = [k for k in run.summary if k != "overall"]
    cols = [
        "questions",
        "answer_accuracy",
        "abstention_recall",
        "false_abstention_rate",
        "citation_recall",
        "hit@5",
        "facts_in_order",
        "latency_p50",
    ]
    lines += ["", "## Per question type", "", "| type | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    lines += [f"| {k} | " + " | ".join(_fmt(run.summary[k].get(c)) for c in cols) + " |" for k in kinds]
    lines += [
        "",
        "## Per question",
        "",
        "| id | type | ok | abstained | seconds | answer |",
        "|---|---|---|---|---|---|",
    ]
    for r in run.results:
        text = r.answer.text.replace("|", "\\|").replace("\n", " ")[:140]
        lines.append(
            f"| {r.id} | {r.type} | {'✓' if r.scores.get('correct') else '✗'} | "
            f"{'yes' if r.answer.abstained else ''} | {r.seconds:.2f} | {text} |"
        )
    return "\n".join(lines) + "\n"


def chart(run: EvalRun, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = ["answer_accuracy", "citation_recall", "citation_precision", "abstention_recall", "hit@5", "mrr"]
    values = [run.summary["overall"].get(m) or 0.0 for m in metrics]
    fig, ax = plt.subplots(figsize=(8, 3.5))
    bars = ax.barh(metrics[::-1], values[::-1], color="#3b6ea5")
    ax.bar_label(bars, fmt="%.2f", padding=3)
    ax.set_xlim(0, 1.1)
    ax.set_title(f"{run.name} · {run.generator} · {run.settings_hash}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def load_run(folder: Path) -> EvalRun:
    return EvalRun.model_validate_json((Path(folder) / "results.json").read_text(encoding="utf-8"))


def compare(a: EvalRun, b: EvalRun) -> str:
    """Metric by metric, then the questions whose correctness changed."""
    lines = [f"{'metric':<24}{a.name[:18]:>20}{b.name[:18]:>20}{'change':>10}"]
    for k in HEADLINE:
        va, vb = a.summary["overall"].get(k), b.summary["overall"].get(k)
        delta = f"{vb - va:+.3f}" if isinstance(va, int | float) and isinstance(vb, int | float) else ""
        lines.append(f"{k:<24}{_fmt(va):>20}{_fmt(vb):>20}{delta:>10}")
    before = {r.id: r.scores.get("correct") for r in a.results}
    changed = [
        (r.id, before.get(r.id), r.scores.get("correct"))
        for r in b.results
        if before.get(r.id) != r.scores.get("correct")
    ]
    if changed:
        lines.append("")
        lines += [f"{qid}: {'✓' if x else '✗'} -> {'✓' if y else '✗'}" for qid, x, y in changed]
    return "\n".join(lines)


def summary_table(runs: list[EvalRun]) -> str:
    """Rows side by side (ours and the baselines)."""
    cols = ["answer_accuracy", "citation_recall", "abstention_recall", "false_abstention_rate", "hit@5", "latency_p50"]
    lines = [f"{'system':<28}" + "".join(f"{c[:18]:>20}" for c in cols)]
    for run in runs:
        lines.append(f"{run.name[:27]:<28}" + "".join(f"{_fmt(run.summary['overall'].get(c)):>20}" for c in cols))
    return "\n".join(lines)
