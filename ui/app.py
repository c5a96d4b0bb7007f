"""The Gradio app: a Chat tab (streamed, cited answers) and an Articles tab (upload, list, remove).

    from rag import Assistant
    from ui.app import serve
    serve(Assistant.load())                       # http://127.0.0.1:7860, no share link, no analytics

API endpoints (call them with gradio_client, e.g. `Client("http://127.0.0.1:7860/")`):

- `/ask` (question, publishers=None, since=None, until=None, generator=None, k=None, history=None) -> dict:
  the verified answer as JSON (`text` with [n] markers, `citations` with title, publisher, published,
  passage `text`, `quote` and offsets, `abstained`, `kind`, `related`, `verification`, `timings`,
  `generator`) plus `markdown`, the answer and its sources as Markdown. `since`/`until` are YYYY-MM-DD;
  `history` is a list of {"role": "user"|"assistant", "content": str} for follow-ups.
      client.predict("Who heads the Mossad?", api_name="/ask")
- `/add_articles` (files, publishers_value=[]) -> (report HTML, ...): store and index uploaded files; the
  report names every file that was not indexed and why ("Nothing was added" when none was);
      client.predict([handle_file("story.txt")], api_name="/add_articles")
- `/remove_articles` (ids, publishers_value=[]) -> (report HTML, ...): remove articles by id.
- `/articles` () -> list of the indexed articles' metadata;  `/stats` () -> the index's statistics.

The app only calls the `Assistant`: all answering, checking and indexing happens in rag/ and index/.
"""

from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no telemetry, no update check
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import contextlib  # noqa: E402
import logging  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gradio as gr  # noqa: E402

from index.errors import NothingIndexedError, Problem  # noqa: E402
from rag import Answer, Assistant, Filters  # noqa: E402
from ui import render  # noqa: E402
from ui.render import ChatTurn, UploadOutcome  # noqa: E402
from ui.uploads import ALLOWED_SUFFIXES, MAX_FILE_BYTES, Staged, UploadStore  # noqa: E402

log = logging.getLogger(__name__)

EXAMPLES = [
    "How far back does Israel want Hezbollah pushed?",
    "What did the World Bank say the war cost Lebanon?",
    "Who heads the Mossad?",
    "How did the ceasefire talks develop from June to November?",
]
GENERATORS = [
    ("Extractive: quotes the articles (fast, no model)", "extractive"),
    ("llama.cpp: a local GGUF model", "llamacpp"),
    ("OpenAI-compatible server (Ollama, vLLM…)", "openai"),
]
ARTICLE_COLUMNS = ["id", "title", "publisher", "published", "url", "source"]
MAX_K = 20
STREAM_INTERVAL = 0.08  # seconds between re-renders of a streaming draft

CSS = """
.nr-transcript { display: flex; flex-direction: column; gap: 14px; font-size: 15px; line-height: 1.55; }
.nr-transcript p { margin: 0 0 0.5em 0; }
.nr-question { align-self: flex-end; max-width: 85%; background: var(--color-accent-soft);
  border: 1px solid var(--border-color-accent-subdued, var(--border-color-primary)); border-radius: 14px 14px 2px 14px;
  padding: 8px 14px; color: var(--body-text-color); }
.nr-question p { margin: 0; }
.nr-filters { align-self: flex-end; font-size: 12px; color: var(--body-text-color-subdued); margin-top: -10px; }
.nr-answer { align-self: flex-start; width: 100%; box-sizing: border-box; background: var(--background-fill-primary);
  border: 1px solid var(--border-color-primary); border-radius: 14px 14px 14px 2px; padding: 12px 16px;
  color: var(--body-text-color); }
.nr-answer.nr-draft { border-style: dashed; opacity: 0.85; }
.nr-status { font-size: 12px; color: var(--body-text-color-subdued); }
.nr-answer.nr-abstained { background: var(--background-fill-secondary); border-style: dashed;
  color: var(--body-text-color-subdued); }
.nr-abstain-head { font-weight: 600; margin-bottom: 6px; }
.nr-icon { display: inline-block; width: 1.4em; height: 1.4em; line-height: 1.4em; text-align: center;
  border-radius: 50%; border: 1px solid currentColor; font-size: 12px; }
.nr-answer.nr-error { background: #fdecec; border-color: #e5a0a0; color: #8a1f1f; }
.nr-fn a { text-decoration: none; font-weight: 600; padding: 0 1px; color: var(--color-accent); cursor: pointer; }
.nr-fn a:hover, .nr-fn a:focus { text-decoration: underline; }
.nr-sources, .nr-related, .nr-checks { margin-top: 10px; border-top: 1px solid var(--border-color-primary);
  padding-top: 8px; }
.nr-sources > summary, .nr-related > summary, .nr-checks > summary { cursor: pointer; font-size: 13px;
  font-weight: 600; color: var(--body-text-color-subdued); }
.nr-checks { font-size: 12px; color: var(--body-text-color-subdued); }
.nr-sources ol, .nr-related ul { list-style: none; margin: 6px 0 0 0; padding: 0; display: flex;
  flex-direction: column; gap: 8px; }
.nr-source, .nr-related-item { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 8px 10px; background: var(--background-fill-secondary); scroll-margin: 80px; transition: box-shadow .3s; }
.nr-source.nr-active, .nr-source:target { box-shadow: 0 0 0 3px var(--color-accent); }
.nr-source-n { font-weight: 700; color: var(--color-accent); }
.nr-source-head, .nr-related-item > strong { font-size: 15px; line-height: 1.4; }
.nr-source-meta { font-size: 12px; color: var(--body-text-color-subdued); margin: 2px 0 4px 0; }
.nr-passage { font-size: 13.5px; margin: 0; white-space: pre-wrap; }
.nr-back { text-decoration: none; margin-left: 4px; }
mark.nr-quote { background: #ffe066; color: #1a1a1a; padding: 0 2px; border-radius: 2px; }
.nr-tools { margin-top: 8px; }
.nr-copy { font-size: 12px; border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 2px 8px;
  background: var(--background-fill-secondary); color: var(--body-text-color); cursor: pointer; }
.nr-welcome { color: var(--body-text-color); padding: 8px 4px; }
.nr-welcome h3 { margin-top: 0; }
.nr-upload-report .nr-good { color: #1d6b33; }
.nr-upload-report .nr-bad, .nr-problems { color: #a11d1d; }
.nr-problems { border: 1px solid #e5a0a0; background: #fdecec; border-radius: 8px; padding: 6px 12px; }
.nr-problems ul { margin: 4px 0; }
.nr-stats th { text-align: left; padding-right: 12px; font-weight: 600; }
#nr-transcript { min-height: 320px; }
"""

TRANSCRIPT_JS = """
element.style.maxHeight = '72vh';
element.style.overflowY = 'auto';
let questions = element.querySelectorAll('.nr-question').length;
let pinned = false;  // keep the newest question at the top while its answer streams in
const unpin = () => { pinned = false; };
element.addEventListener('wheel', unpin, {passive: true});
element.addEventListener('touchmove', unpin, {passive: true});
watch('value', () => {
  const all = element.querySelectorAll('.nr-question');
  if (all.length > questions) pinned = true;
  if (all.length === 0) pinned = false;
  questions = all.length;
  if (pinned && all.length) {
    const last = all[all.length - 1];
    element.scrollTop += last.getBoundingClientRect().top - element.getBoundingClientRect().top - 8;
  }
});
element.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-target]');
  if (link && element.contains(link)) {
    const target = element.querySelector('#' + CSS.escape(link.dataset.target));
    if (!target) return;
    event.preventDefault();
    const box = target.closest('details');
    if (box) box.open = true;
    element.querySelectorAll('.nr-active').forEach((el) => el.classList.remove('nr-active'));
    target.classList.add('nr-active');
    target.scrollIntoView({behavior: 'smooth', block: 'center'});
    return;
  }
  const button = event.target.closest('button.nr-copy');
  if (button && element.contains(button)) {
    const source = element.querySelector('#' + CSS.escape(button.dataset.copy));
    const text = source ? source.value : '';
    const done = (ok) => {
      button.textContent = ok ? 'Copied' : 'Copy failed: use Export below';
      setTimeout(() => { button.textContent = 'Copy as Markdown'; }, 1800);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(() => done(true), () => done(false));
    } else {
      const area = document.createElement('textarea');
      area.value = text; document.body.appendChild(area); area.select();
      let ok = false; try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      area.remove(); done(ok);
    }
  }
});
"""


# ---------------------------------------------------------------- helpers (no answer logic: only formatting)


def _parse_day(value: Any, label: str) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, int | float):
        from datetime import datetime

        return datetime.fromtimestamp(value).date()
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"{label} date {text!r} is not a date; use YYYY-MM-DD.") from None


def make_filters(publishers: list[str] | str | None, since: Any, until: Any) -> Filters | None:
    """The filter controls' values -> Filters (None when nothing is restricted)."""
    if isinstance(publishers, str):
        publishers = [publishers] if publishers.strip() else []
    publishers = [p for p in publishers or [] if p and p.strip()]
    start, end = _parse_day(since, "The 'since'"), _parse_day(until, "The 'until'")
    if start and end and start > end:
        raise ValueError(f"The date range is empty: since {start} is after until {end}.")
    filters = Filters(publishers=publishers or None, since=start, until=end)
    return None if filters.is_empty() else filters


def describe_filters(filters: Filters | None, generator: str, k: int, default_generator: str) -> str:
    bits = []
    if filters:
        if filters.publishers:
            bits.append("publishers: " + ", ".join(filters.publishers))
        if filters.since or filters.until:
            bits.append(f"dates: {filters.since or '…'} to {filters.until or '…'}")
    if generator != default_generator:
        bits.append(f"generator: {generator}")
    return "Searched with " + "; ".join(bits) if bits else ""


def history_of(turns: list[ChatTurn]) -> list[dict[str, str]]:
    """Earlier exchanges as the Assistant's history (only the ones that got an answer)."""
    history = []
    for turn in turns:
        if turn.answer is not None:
            history.append({"role": "user", "content": turn.question})
            history.append({"role": "assistant", "content": turn.answer.text})
    return history


def _check_choice(generator: str | None, k: Any, assistant: Assistant) -> tuple[str, int]:
    generator = generator or assistant.settings.generator
    if generator not in {value for _, value in GENERATORS}:
        raise ValueError(f"Unknown generator {generator!r}; choose extractive, llamacpp or openai.")
    try:
        k = int(k) if k not in (None, "") else assistant.settings.top_k
    except (TypeError, ValueError):
        raise ValueError(f"k must be a whole number, not {k!r}.") from None
    return generator, max(1, min(MAX_K, k))


def _failure_message(exc: Exception, generator: str) -> str:
    if generator != "extractive" and isinstance(exc, ImportError | ModuleNotFoundError | OSError | ConnectionError):
        return (
            f"The {generator} generator is not available here ({exc}). Choose the extractive generator, or set "
            f"{generator} up as the README describes."
        )
    if generator != "extractive":
        return f"The {generator} generator failed: {str(exc).rstrip('.')}. The extractive generator needs no model."
    return f"Something went wrong while answering: {exc}"


def _publisher_choices(assistant: Assistant) -> list[str]:
    return sorted({a.publisher for a in assistant.articles() if a.publisher}, key=str.lower)


def _date_hint(assistant: Assistant) -> str:
    days = sorted(a.published for a in assistant.articles() if a.published)
    if not days:
        return "The indexed articles have no dates."
    return f"Articles span {render.format_date(days[0])} to {render.format_date(days[-1])}."


def _article_rows(assistant: Assistant) -> list[list[str]]:
    rows = []
    for a in sorted(assistant.articles(), key=lambda a: (a.published or date.min, a.id), reverse=True):
        rows.append(
            [
                a.id,
                a.title or "",
                a.publisher or "",
                a.published.isoformat() if a.published else "",
                a.url or "",
                Path(a.source.rsplit(":", 1)[0] if a.source.rsplit(":", 1)[-1].isdigit() else a.source).name,
            ]
        )
    return rows


def _article_choices(assistant: Assistant) -> list[tuple[str, str]]:
    choices = []
    for a in sorted(assistant.articles(), key=lambda a: a.id):
        title = a.title or "(untitled)"
        choices.append((f"{a.id} — {title[:70]}", a.id))
    return choices


_EXPORT_DIR: Path | None = None
EXPORT_MAX_AGE = 3600.0


def write_export(turns: list[ChatTurn]) -> str | None:
    """The conversation as a Markdown file (for the download button), in one private temp folder whose
    files older than an hour are deleted as new ones are written."""
    global _EXPORT_DIR
    if not any(t.answer for t in turns):
        return None
    if _EXPORT_DIR is None or not _EXPORT_DIR.is_dir():
        _EXPORT_DIR = Path(tempfile.mkdtemp(prefix="newsrag-export-"))
    now = time.time()
    for old in _EXPORT_DIR.glob("*/*.md"):
        if now - old.stat().st_mtime > EXPORT_MAX_AGE:
            old.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                old.parent.rmdir()
    folder = Path(tempfile.mkdtemp(dir=_EXPORT_DIR))
    path = folder / f"newsrag-answers-{time.strftime('%Y%m%d-%H%M%S')}.md"
    path.write_text(render.conversation_markdown(turns), encoding="utf-8")
    return str(path)


def uploads_folder(assistant: Assistant) -> Path:
    return Path(assistant.settings.index_dir).resolve().parent / "uploads"


# ---------------------------------------------------------------- the app


def build_app(assistant: Assistant, *, uploads_dir: Path | None = None) -> gr.Blocks:
    """The whole UI for one Assistant. Launch it with `serve` (or `.launch(css=CSS, ...)`)."""
    store = UploadStore(uploads_dir or uploads_folder(assistant))
    default_generator = assistant.settings.generator

    def welcome() -> str:
        return render.render_welcome(EXAMPLES, assistant.stats())

    # ---- chat
    def respond(
        question: str,
        turns: list[ChatTurn] | None,
        publishers: list[str] | None,
        since: Any,
        until: Any,
        generator: str | None,
        k: Any,
    ) -> Iterator[tuple]:
        turns = list(turns or [])
        question = (question or "").strip()
        if not question:
            yield gr.skip(), turns, gr.skip(), gr.skip(), gr.skip()
            return
        turn = ChatTurn(question=question)
        history = history_of(turns)
        turns.append(turn)
        try:
            filters = make_filters(publishers, since, until)
            generator, k = _check_choice(generator, k, assistant)
        except ValueError as exc:
            turn.error = str(exc)
            yield render.render_conversation(turns), turns, "", gr.skip(), gr.skip()
            return
        turn.filters = describe_filters(filters, generator, k, default_generator)
        yield render.render_conversation(turns), turns, "", gr.skip(), gr.skip()

        last = time.monotonic()
        try:
            for event in assistant.stream(question, history=history, filters=filters, k=k, generator=generator):
                if isinstance(event, Answer):
                    turn.answer = event
                else:
                    turn.draft += event
                    if time.monotonic() - last >= STREAM_INTERVAL:
                        last = time.monotonic()
                        yield render.render_conversation(turns), turns, gr.skip(), gr.skip(), gr.skip()
        except Exception as exc:  # shown in the transcript; the app keeps running
            log.exception("answering %r failed", question)
            turn.error = _failure_message(exc, generator)
        if turn.answer is None and turn.error is None:
            turn.error = "No answer came back."
        export = render.answer_markdown(turn.answer) if turn.answer else gr.skip()
        yield render.render_conversation(turns), turns, gr.skip(), export, write_export(turns)

    def clear() -> tuple:
        return [], render.render_conversation([], welcome=welcome()), "", "", None

    # ---- API: ask
    def ask(
        question: str,
        publishers: list[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        generator: str | None = None,
        k: int | None = None,
        history: list[dict] | None = None,
    ) -> dict:
        """Answer a question from the indexed articles.

        Returns the verified answer as JSON: `text` (with [n] markers), `citations` (marker, title,
        publisher, published, passage text, quote, offsets), `abstained`, `kind`, `related`,
        `verification`, `timings`, `generator`, and `markdown` (the answer with its sources).
        """
        try:
            filters = make_filters(publishers, since, until)
            generator, k = _check_choice(generator, k, assistant)
        except ValueError as exc:
            raise gr.Error(str(exc)) from None
        if not (question or "").strip():
            raise gr.Error("Ask a question.")
        try:
            answer = assistant.ask(question, history=history or [], filters=filters, k=k, generator=generator)
        except Exception as exc:
            log.exception("answering %r failed", question)
            raise gr.Error(_failure_message(exc, generator)) from None
        return {**answer.model_dump(mode="json"), "markdown": render.answer_markdown(answer)}

    # ---- articles
    def index_views(publishers_value: list[str] | None = None) -> tuple:
        choices = _publisher_choices(assistant)
        kept = [p for p in publishers_value or [] if p in choices]
        return (
            gr.Dropdown(choices=_article_choices(assistant), value=[]),
            _article_rows(assistant),
            render.render_stats(assistant.stats()),
            gr.Dropdown(choices=choices, value=kept),
            gr.Markdown(_date_hint(assistant)),
        )

    def add_files(files: list[str] | None, publishers_value: list[str] | None, progress=gr.Progress()) -> tuple:  # noqa: B008
        if not files:
            return (
                render.render_message("Choose one or more files first.", bad=True),
                *index_views(publishers_value),
                None,
            )
        uploads = [(f, Path(f).name) for f in (files if isinstance(files, list) else [files])]
        progress(0.0, desc="checking files")
        with store.lock:
            staged = store.stage(uploads)
            outcome = UploadOutcome(problems=list(staged.rejected))
            started = time.perf_counter()
            if staged.files:
                try:
                    report = assistant.add(
                        staged.files, progress=lambda what, frac: progress(min(1.0, max(0.0, frac)), desc=what)
                    )
                except NothingIndexedError as exc:
                    outcome.nothing_indexed = True
                    outcome.problems += [_problem(staged, p) for p in exc.problems]
                    store.discard(staged)
                except Exception as exc:
                    log.exception("indexing uploads failed")
                    outcome.nothing_indexed = True
                    outcome.problems.append(("(index)", f"indexing failed: {exc}"))
                    store.discard(staged)
                else:
                    outcome.added, outcome.updated, outcome.unchanged = report.added, report.updated, report.unchanged
                    outcome.problems += [_problem(staged, p) for p in report.problems]
                store.prune(a.source for a in assistant.articles())
            else:
                outcome.nothing_indexed = True
                store.discard(staged)
            outcome.seconds = time.perf_counter() - started
        if outcome.problems:
            names = ", ".join(sorted({name for name, _ in outcome.problems}))
            gr.Warning(f"Not indexed: {names}. See the report under the upload box.")
        return (render.render_upload_outcome(outcome), *index_views(publishers_value), None)

    def remove_articles(ids: list[str] | str | None, publishers_value: list[str] | None) -> tuple:
        ids = [ids] if isinstance(ids, str) else list(ids or [])
        if not ids:
            return (
                render.render_message("Choose the articles to remove first.", bad=True),
                *index_views(publishers_value),
            )
        with store.lock:
            try:
                report = assistant.remove(ids)
            except Exception as exc:
                log.exception("removing %s failed", ids)
                return (render.render_message(f"Removing failed: {exc}", bad=True), *index_views(publishers_value))
            store.prune(a.source for a in assistant.articles())
        parts = []
        if report.removed:
            parts.append(f"Removed {len(report.removed)}: {', '.join(report.removed)}.")
        parts += [str(p) for p in report.problems]
        return (render.render_message(" ".join(parts), bad=not report.removed), *index_views(publishers_value))

    def list_articles() -> list[dict]:
        """The indexed articles: id, title, publisher, published (YYYY-MM-DD), url, source."""
        return [a.model_dump(mode="json") for a in assistant.articles()]

    def index_stats() -> dict:
        """What the index holds: article and passage counts, model, chunking, times."""
        return {
            k: (v if isinstance(v, int | float | str | type(None)) else str(v)) for k, v in assistant.stats().items()
        }

    with gr.Blocks(
        title="newsrag: cited answers from your news", analytics_enabled=False, delete_cache=(3600, 3600)
    ) as app:
        turns_state = gr.State([])
        gr.Markdown(
            "## newsrag: cited answers from your news articles\n"
            "Answers use only the indexed articles; every claim links to the passage that supports it."
        )
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"), gr.Row():
                with gr.Column(scale=3, min_width=420):
                    transcript = gr.HTML(
                        render.render_conversation([], welcome=welcome()),
                        elem_id="nr-transcript",
                        label="Conversation",
                        js_on_load=TRANSCRIPT_JS,
                        padding=True,
                    )
                    with gr.Row(equal_height=True):
                        question = gr.Textbox(
                            placeholder="Ask about the articles…",
                            show_label=False,
                            scale=6,
                            max_lines=4,
                            elem_id="nr-question",
                            autofocus=True,
                        )
                        ask_button = gr.Button("Ask", variant="primary", scale=1, elem_id="nr-ask")
                    gr.Markdown("**Example questions**", elem_id="nr-examples-label")
                    with gr.Row(elem_id="nr-examples"):
                        example_buttons = [gr.Button(q, size="sm", variant="secondary") for q in EXAMPLES]
                    with gr.Row():
                        clear_button = gr.Button("New conversation", size="sm", elem_id="nr-clear")
                    with gr.Accordion("Copy / export the last answer", open=False):
                        export_text = gr.Textbox(
                            label="Last answer with its sources (Markdown)",
                            lines=8,
                            max_lines=20,
                            interactive=False,
                            buttons=["copy"],
                            elem_id="nr-export",
                        )
                        download = gr.DownloadButton("Download the conversation (.md)", value=None, size="sm")
                with gr.Column(scale=1, min_width=250):
                    gr.Markdown("### Search settings")
                    publishers = gr.Dropdown(
                        choices=_publisher_choices(assistant),
                        value=[],
                        multiselect=True,
                        label="Publishers",
                        info="Empty: all publishers.",
                        allow_custom_value=True,
                        elem_id="nr-publishers",
                    )
                    since = gr.DateTime(include_time=False, type="string", label="Published since", elem_id="nr-since")
                    until = gr.DateTime(include_time=False, type="string", label="Published until", elem_id="nr-until")
                    date_hint = gr.Markdown(_date_hint(assistant), label="Date range of the articles")
                    generator = gr.Radio(
                        GENERATORS, value=default_generator, label="Answer writer", elem_id="nr-generator"
                    )
                    k = gr.Slider(
                        1,
                        MAX_K,
                        value=assistant.settings.top_k,
                        step=1,
                        label="Passages shown to the writer (k)",
                        elem_id="nr-k",
                    )

            with gr.Tab("Articles", id="articles"):
                with gr.Row():
                    with gr.Column(scale=2):
                        gr.Markdown(
                            f"### Add articles\nFiles of type {', '.join(ALLOWED_SUFFIXES)}, at most "
                            f"{MAX_FILE_BYTES // 2**20} MB each. A file `NAME.meta.json` uploaded with `NAME` gives "
                            "its title, publisher, published date (YYYY-MM-DD) and url. An article's id is its file "
                            "name without the extension: uploading a changed file with the same name replaces it."
                        )
                        files = gr.File(
                            file_count="multiple", type="filepath", label="Article files", elem_id="nr-upload"
                        )
                        add_button = gr.Button("Add to index", variant="primary", elem_id="nr-add")
                        upload_report = gr.HTML(elem_id="nr-upload-report", label="Upload report")
                    with gr.Column(scale=1):
                        gr.Markdown("### Index")
                        stats = gr.HTML(
                            render.render_stats(assistant.stats()), elem_id="nr-stats", label="Index statistics"
                        )
                        remove_ids = gr.Dropdown(
                            choices=_article_choices(assistant),
                            value=[],
                            multiselect=True,
                            label="Remove articles",
                            allow_custom_value=True,
                            elem_id="nr-remove-ids",
                        )
                        remove_button = gr.Button("Remove selected", variant="stop", size="sm", elem_id="nr-remove")
                articles_table = gr.Dataframe(
                    value=_article_rows(assistant),
                    headers=ARTICLE_COLUMNS,
                    interactive=False,
                    wrap=True,
                    column_widths=["16%", "34%", "13%", "11%", "10%", "16%"],
                    label="Indexed articles",
                    elem_id="nr-articles",
                )

        chat_inputs = [question, turns_state, publishers, since, until, generator, k]
        chat_outputs = [transcript, turns_state, question, export_text, download]
        question.submit(
            respond,
            chat_inputs,
            chat_outputs,
            api_name="chat",
            api_visibility="undocumented",
            concurrency_limit=2,
            concurrency_id="chat",
        )
        ask_button.click(
            respond, chat_inputs, chat_outputs, api_visibility="private", concurrency_limit=2, concurrency_id="chat"
        )
        for button, text in zip(example_buttons, EXAMPLES, strict=True):
            button.click(lambda t=text: t, None, question, queue=False, api_visibility="private").then(
                respond, chat_inputs, chat_outputs, api_visibility="private", concurrency_id="chat"
            )
        clear_button.click(
            clear,
            None,
            [turns_state, transcript, question, export_text, download],
            api_visibility="private",
            queue=False,
        )

        views = [remove_ids, articles_table, stats, publishers, date_hint]
        add_button.click(
            add_files,
            [files, publishers],
            [upload_report, *views, files],
            api_name="add_articles",
            concurrency_limit=1,
            concurrency_id="index-write",
        )
        remove_button.click(
            remove_articles,
            [remove_ids, publishers],
            [upload_report, *views],
            api_name="remove_articles",
            concurrency_limit=1,
            concurrency_id="index-write",
        )
        app.load(index_views, [publishers], views, api_visibility="private", queue=False)

        gr.api(ask, api_name="ask", concurrency_limit=2, concurrency_id="chat")
        gr.api(list_articles, api_name="articles")
        gr.api(index_stats, api_name="stats")
    return app


def _problem(staged: Staged, problem: Problem) -> tuple[str, str]:
    """(the user's file name[:line], why) for a problem the indexer reported about a stored copy."""
    where = staged.display(problem.source)
    return (f"{where}:{problem.line}" if problem.line is not None else where), problem.reason


def _warm_up(assistant: Assistant) -> None:
    try:
        assistant.retrieve("ceasefire talks", k=1)
    except Exception:  # only a head start: a real question reports any problem
        log.debug("warm-up failed", exc_info=True)


def launch_options(assistant: Assistant) -> dict[str, Any]:
    """What `serve` passes to launch(): styling, limits, and nothing reachable from outside by default."""
    options: dict[str, Any] = {}
    login = assistant.settings.ui_auth
    if login:  # RAG_UI_AUTH="user:password": the chat app asks for a login (the /v1 API uses RAG_API_KEY)
        user, _, password = login.partition(":")
        options["auth"] = (user, password)
    return options | {
        "css": CSS,
        "share": False,
        "ssr_mode": False,
        "mcp_server": False,
        "show_error": True,
        "max_file_size": MAX_FILE_BYTES,
        "blocked_paths": [str(Path(assistant.settings.index_dir).resolve()), str(uploads_folder(assistant))],
    }


def serve(
    assistant: Assistant,
    host: str = "127.0.0.1",
    port: int = 7860,
    *,
    block: bool = True,
    quiet: bool = False,
    warm_up: bool = True,
    **launch_kwargs: Any,
) -> gr.Blocks:
    """Launch the app on host:port (127.0.0.1 by default: only this machine can reach it; no share link).

    The same server answers the OpenAI-compatible API under /v1 (`ui.openai_api`): its routes are added
    to the FastAPI app Gradio runs on, so UI and API share one host, port and process.

    With block=False the server runs in a background thread and the app is returned (call .close()).
    With warm_up the embedding model loads in the background at once, so the first question is quick.
    """
    from ui import openai_api

    if host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("Serving on %s: anyone who can reach this address can read and change the index.", host)
    if warm_up:
        threading.Thread(target=_warm_up, args=(assistant,), name="newsrag-warm-up", daemon=True).start()
    app = build_app(assistant)
    app.queue(default_concurrency_limit=1)
    options = launch_options(assistant) | launch_kwargs
    options["share"] = False
    debug = bool(options.pop("debug", False))
    # launch() returns the FastAPI app it serves; the /v1 routes are added before serve() returns or blocks
    fastapi_app, local_url, _ = app.launch(
        server_name=host, server_port=port, prevent_thread_lock=True, quiet=quiet, **options
    )
    api = openai_api.install(fastapi_app, assistant)
    if api.api_key is None and host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("The /v1 API on %s has no API key: set RAG_API_KEY to require one.", host)
    if not quiet:
        print(f"OpenAI-compatible API: {str(local_url).rstrip('/')}{openai_api.PREFIX}  (model '{openai_api.MODEL}')")
    if block or debug:
        app.block_thread()
    return app


def main(argv: list[str] | None = None) -> int:
    """`python -m ui.app [--host 127.0.0.1] [--port 7860] [--index-dir DIR]`: load the index and serve."""
    import argparse

    from rag.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m ui.app", description="Serve the newsrag web app.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--index-dir", default=None, help="index folder (default: RAG_INDEX_DIR or data/index)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings(index_dir=args.index_dir) if args.index_dir else Settings()
    serve(Assistant.load(settings), host=args.host, port=args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
