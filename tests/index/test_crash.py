"""Crash safety and corruption. A build or an add is SIGKILLed at random moments of its write (and at
every step of the commit), many times; each time the index must load with every checksum verified,
answer exactly as before the write (or exactly as after it, once CURRENT was swapped), have lost
nothing, and the next write must succeed and sweep what the killed one left. Damaged files (each
index file truncated, altered or missing) are refused at load with a message saying how to rebuild.

Writers run in children forked from one pre-warmed helper process (imports and Punkt loaded once), so
each kill costs a fraction of a second; the helper and its children are only ever killed by pid."""

from __future__ import annotations

import json
import os
import queue
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.build import ChunkParams, Indexer
from index.errors import CorruptIndexError, NoIndexError
from index.store import SNAPSHOTS, IndexStore
from rag import Assistant
from rag.settings import PROJECT_ROOT, Settings
from tests.conftest import CORPUS, KeywordEmbedder

FILES = sorted(p for p in CORPUS.glob("*.txt"))
QUESTIONS = [
    "How far back does Israel want Hezbollah pushed?",
    "Who heads the Mossad?",
    "What did the World Bank say the war cost Lebanon?",
    "What did the Zorblax board say about talks in Doha?",
]
HELPER_TIMEOUT = 60  # seconds a writer helper may take to start or finish
# The helper forks one writer per job. A thread pool (OpenMP, BLAS) alive in the helper at fork time can leave a
# lock held in the child, which then waits on it for ever: seen twice in clean clones, a writer stuck in a futex wait
# halfway through its write. One thread each, and no pool exists to fork.
SINGLE_THREADED = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
RANDOM_KILLS = 20

_HELPER = r"""
import json, os, signal, sys, time
# tqdm's monitor thread takes tqdm's lock now and then; a child forked while it holds it waits for it forever
# (bm25s.tokenize makes a tqdm even when it shows no progress)
import tqdm
tqdm.tqdm.monitor_interval = 0
sys.path.insert(0, {root!r})
from tests.conftest import KeywordEmbedder
from index.build import ChunkParams, Indexer
import index.store as store
from index.chunk import _punkt
import faiss, bm25s  # noqa: F401  (imported once, before any fork)
_punkt()

def say(*parts):
    sys.stdout.write(" ".join(str(p) for p in parts) + "\n")
    sys.stdout.flush()

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def run(job):
    die_at = job.get("die_at") or ""
    if die_at.startswith("replace:"):
        _, nth, when = die_at.split(":")
        real, calls = os.replace, [0]
        def replace(src, dst):
            calls[0] += 1
            if calls[0] == int(nth) and when == "before":
                die()
            real(src, dst)
            if calls[0] == int(nth) and when == "after":
                die()
        store.os.replace = replace
    if die_at == "prune":
        real_rmtree = store.shutil.rmtree
        def rmtree(path, *args, **kwargs):
            if os.sep + "snapshots" + os.sep in str(path):
                victims = sorted(p for p in __import__("pathlib").Path(path).rglob("*") if p.is_file())
                if victims:
                    victims[len(victims) // 2].unlink()  # part of the old snapshot is gone
                die()
            real_rmtree(path, *args, **kwargs)
        store.shutil.rmtree = rmtree
    def progress(what, frac):
        say("STAGE", what.replace(" ", "_"), time.monotonic())
        if die_at == "stage:" + what.replace("writing ", ""):
            die()
    ix = Indexer(job["folder"], KeywordEmbedder(), ChunkParams())
    ix.add(job["paths"], rebuild=job["rebuild"], progress=progress)
    say("DONE", time.monotonic())

for line in sys.stdin:
    job = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 0
        tqdm.tqdm.set_lock(tqdm.std.TqdmDefaultWriteLock())  # no lock held by a thread the fork left behind
        try:
            run(job)
        except BaseException as exc:
            say("ERROR", repr(exc))
            code = 1
        os._exit(code)
    say("PID", pid)
    sys.stdin.readline()  # "reap": until then the child stays a zombie at worst, so its pid is never reused
    os.waitpid(pid, 0)
    say("EXIT", pid)
"""


class Helper:
    """A pre-warmed process that forks one writer per job and reports its pid, stages and exit."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _HELPER.format(root=str(PROJECT_ROOT))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
            env={**os.environ, **SINGLE_THREADED},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.strip())

    def expect(self, prefix: str, timeout: float = HELPER_TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"writer helper: no {prefix!r} within {timeout}s")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line.startswith("ERROR"):
                pytest.fail(f"writer failed: {line}")
            if line.startswith(prefix):
                return line

    def start(self, folder: Path, paths: list[Path], rebuild: bool, die_at: str | None = None) -> int:
        job = {"folder": str(folder), "paths": [str(p) for p in paths], "rebuild": rebuild, "die_at": die_at}
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        return int(self.expect("PID").split()[1])

    def wait_exit(self, pid: int, timeout: float = HELPER_TIMEOUT) -> list[str]:
        """Lines up to the child's exit (its stages)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write("reap\n")
        self.proc.stdin.flush()
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            line = self.expect("", max(0.1, deadline - time.monotonic()))
            seen.append(line)
            if line == f"EXIT {pid}":
                return seen

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def helper() -> Iterator[Helper]:
    """Its children are killed by pid only while not yet reaped (a zombie's pid cannot be reused)."""
    h = Helper()
    yield h
    h.close()


def fingerprint(folder: Path) -> tuple:
    """What the index holds and how it answers: article hashes, and each question's answer and passages."""
    store = IndexStore(folder)
    snapshot = store.open()  # every checksum verified
    settings = Settings(index_dir=folder, embedding_model=KeywordEmbedder.name)
    assistant = Assistant(settings, KeywordEmbedder(), snapshot)
    answers = []
    for q in QUESTIONS:
        answer = assistant.ask(q)
        answers.append(
            (answer.text, [c.passage_id for c in answer.citations], [p.passage.id for p in assistant.retrieve(q)])
        )
    return tuple(sorted(snapshot.manifest.corpus_hashes.items())), tuple(map(str, answers))


def snapshot_names(folder: Path) -> set[str]:
    return {p.name for p in (folder / SNAPSHOTS).iterdir()} if (folder / SNAPSHOTS).exists() else set()


@pytest.fixture(scope="module")
def states(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """State A: an index written twice (so that the next write prunes); the write under test, and state B."""
    root = tmp_path_factory.mktemp("crash")
    extra = root / "extra"
    extra.mkdir()
    for i in range(60):
        (extra / f"story{i:02d}.txt").write_text(
            f"Story {i}: the Zorblax board said talks in Doha and Cairo would resume. " * 30, encoding="utf-8"
        )
    sweeper = root / "sweeper.txt"
    sweeper.write_text("Aid convoys crossed the Rafah border on Tuesday, officials said.", encoding="utf-8")
    template = root / "A"
    ix = Indexer(template, KeywordEmbedder(), ChunkParams())
    ix.add(FILES[:2])
    ix.add(FILES[2:3])
    add_paths = [*FILES[3:], extra]
    build_paths = [*FILES, extra]
    after_add, after_build = root / "B_add", root / "B_build"
    shutil.copytree(template, after_add)
    Indexer(after_add, KeywordEmbedder(), ChunkParams()).add(add_paths)
    shutil.copytree(template, after_build)
    Indexer(after_build, KeywordEmbedder(), ChunkParams()).add(build_paths, rebuild=True)
    return {
        "root": root,
        "sweeper": sweeper,
        "template": template,
        "A": fingerprint(template),
        "A_ids": set(IndexStore(template).read_manifest().corpus_hashes),
        "add": (add_paths, False, fingerprint(after_add)),
        "build": (build_paths, True, fingerprint(after_build)),
    }


def check_after_kill(folder: Path, before: tuple, after: tuple, before_ids: set[str], expect: str | None) -> str:
    """The index loads (checksums verified) and answers exactly as before, or exactly as after, the write."""
    state = fingerprint(folder)
    assert state in (before, after), "the index answers neither as before nor as after the write"
    which = "before" if state == before else "after"
    if expect:
        assert which == expect, f"expected the state {expect} the write, found {which}"
    assert before_ids <= set(IndexStore(folder).read_manifest().corpus_hashes), "articles indexed before were lost"
    return which


def finish_and_check_sweep(folder: Path, paths: list[Path], rebuild: bool, after: tuple, sweeper: Path) -> None:
    """The interrupted write, run again, succeeds; so does one more; each real write leaves only the live
    snapshot and its predecessor (no .tmp-* folders, no snapshot that never went live, no half-deleted one)."""
    for step, (todo, again) in enumerate([(paths, rebuild), ([sweeper], False)]):
        previous = IndexStore(folder).current_name
        report = Indexer(folder, KeywordEmbedder(), ChunkParams()).add(todo, rebuild=again)
        if step == 0:
            assert fingerprint(folder) == after
        if report.snapshot_written:
            assert not list(folder.glob(".tmp-*")), "a killed writer's temporary files survived the next write"
            leftovers = snapshot_names(folder) - {IndexStore(folder).current_name, previous}
            assert not leftovers, f"snapshots that are neither live nor its predecessor survived a write: {leftovers}"


def _random_kills(helper: Helper, states: dict, mode: str, rng: random.Random) -> list[tuple[str, str]]:
    """Kill the write at stratified random times over its measured span; check each kill's index."""
    paths, rebuild, after = states[mode]
    # How long the write takes, measured on full runs (from its first write stage to the end): the faster of two,
    # since a first, cold run can take much longer than the trials and push every kill past the first stages
    spans = []
    for timing in range(2):
        folder = states["root"] / f"{mode}-timing-{timing}"
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(states["template"], folder)
        pid = helper.start(folder, paths, rebuild)
        lines = helper.wait_exit(pid)
        first = next(float(line.split()[-1]) for line in lines if line.startswith("STAGE embedding"))
        done = next(float(line.split()[1]) for line in lines if line.startswith("DONE"))
        spans.append(done - first)
    span = min(spans)
    outcomes = []
    for trial in range(RANDOM_KILLS // 2):
        folder = states["root"] / f"{mode}-{trial}"
        shutil.copytree(states["template"], folder)
        pid = helper.start(folder, paths, rebuild)
        helper.expect("STAGE embedding")
        # stratified: the n kills are spread over the whole write (and a little past its end)
        time.sleep(span * 1.15 * (trial + rng.random()) / (RANDOM_KILLS // 2))
        os.kill(pid, signal.SIGKILL)
        lines = helper.wait_exit(pid)
        reached = [
            line.split()[0 if line.startswith("DONE") else 1] for line in lines if line.startswith(("STAGE", "DONE"))
        ]
        which = check_after_kill(folder, states["A"], after, states["A_ids"], None)
        outcomes.append((reached[-1] if reached else "embedding", which))
        finish_and_check_sweep(folder, paths, rebuild, after, states["sweeper"])
        shutil.rmtree(folder)
    return outcomes


@pytest.mark.parametrize("mode", ["add", "build"])
def test_random_sigkill_during_write_keeps_the_index_whole(helper: Helper, states: dict, mode: str) -> None:
    rng = random.Random(f"crash-{mode}")
    # The kills must not all land in one stage. Storing the passages takes most of a rebuild and the later stages
    # take milliseconds, so a clean clone saw only two stages reached (storing, bm25) three attempts running; the
    # commit steps each get a kill of their own in test_sigkill_at_each_commit_step. On a loaded machine a measured
    # span can mislead: measure again and repeat the kills, at most three times; every kill is checked in full.
    for _attempt in range(3):
        outcomes = _random_kills(helper, states, mode, rng)
        if len({stage for stage, _ in outcomes}) >= 2:
            break
    assert len({stage for stage, _ in outcomes}) >= 2, f"the kills did not spread over the write: {outcomes}"


KILL_POINTS = [
    ("stage:store", "before"),
    ("stage:dense", "before"),
    ("stage:bm25", "before"),
    ("stage:commit", "before"),
    ("replace:1:before", "before"),  # snapshot complete in .tmp-*, not yet renamed into snapshots/
    ("replace:1:after", "before"),  # renamed into snapshots/, CURRENT not yet swapped
    ("replace:2:before", "before"),  # new CURRENT written beside the old one
    ("replace:2:after", "after"),  # CURRENT swapped, old snapshots not yet pruned
    ("prune", "after"),  # killed half-way through deleting an old snapshot
]


@pytest.mark.parametrize(("die_at", "expect"), KILL_POINTS, ids=[k for k, _ in KILL_POINTS])
def test_sigkill_at_each_commit_step(helper: Helper, states: dict, die_at: str, expect: str) -> None:
    paths, rebuild, after = states["add"]
    folder = states["root"] / f"point-{die_at.replace(':', '-')}"
    shutil.copytree(states["template"], folder)
    pid = helper.start(folder, paths, rebuild, die_at=die_at)
    lines = helper.wait_exit(pid)
    assert not any(line.startswith("DONE") for line in lines), f"the writer was not killed at {die_at}"
    check_after_kill(folder, states["A"], after, states["A_ids"], expect)
    finish_and_check_sweep(folder, paths, rebuild, after, states["sweeper"])


def test_killed_first_build_leaves_no_index_or_a_whole_one(helper: Helper, states: dict, tmp_path: Path) -> None:
    paths, _, _ = states["build"]
    rng = random.Random("first-build")
    for trial in range(4):
        folder = tmp_path / f"first-{trial}"
        pid = helper.start(folder, paths, True)
        helper.expect("STAGE embedding")
        time.sleep(rng.uniform(0, 0.4))
        os.kill(pid, signal.SIGKILL)
        helper.wait_exit(pid)
        store = IndexStore(folder)
        if store.exists():
            store.open()
        else:
            with pytest.raises(NoIndexError, match="index build"):
                store.open()
        Indexer(folder, KeywordEmbedder(), ChunkParams()).add(paths, rebuild=True)
        assert fingerprint(folder) == states["build"][2]
        assert not list(folder.glob(".tmp-*"))


# ---------------------------------------------------------------- damaged files are refused at load


def _damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "flip":
        i = len(data) // 2
        path.write_bytes(data[:i] + bytes([data[i] ^ 0x5A]) + data[i + 1 :])
    elif how == "delete":
        path.unlink()


INDEX_FILES = [
    "store.sqlite",
    "dense.faiss",
    "vectors.npy",
    "rows.npy",
    "sentence_vectors.npy",
    "sentence_rows.npy",
    "bm25/data.csc.index.npy",
    "bm25/indices.csc.index.npy",
    "bm25/indptr.csc.index.npy",
    "bm25/params.index.json",
    "bm25/vocab.index.json",
    "manifest.json",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("damage") / "ix"
    Indexer(folder, KeywordEmbedder(), ChunkParams()).add([CORPUS])
    return folder


def _refused(folder: Path) -> str:
    with pytest.raises((CorruptIndexError, NoIndexError)) as exc:
        IndexStore(folder).open()
    settings = Settings(index_dir=folder, embedding_model=KeywordEmbedder.name)
    with pytest.raises((CorruptIndexError, NoIndexError)):
        Assistant.load(settings, embedder=KeywordEmbedder(), build_if_missing=False)
    message = str(exc.value)
    assert "python -m rag index build" in message, message
    return message


@pytest.mark.parametrize("how", ["truncate", "flip", "empty", "delete"])
@pytest.mark.parametrize("name", INDEX_FILES)
def test_damaged_index_file_is_refused_with_rebuild_advice(built: Path, tmp_path: Path, name: str, how: str) -> None:
    folder = tmp_path / "ix"
    shutil.copytree(built, folder)
    snapshot = folder / SNAPSHOTS / IndexStore(folder).current_name
    _damage(snapshot / name, how)
    message = _refused(folder)
    assert "--rebuild" in message or "No index" in message


def test_manifest_altered_but_still_valid_json_is_refused(built: Path, tmp_path: Path) -> None:
    """A manifest is not covered by its own checksums: a changed count or article hash must still be noticed."""
    folder = tmp_path / "ix"
    shutil.copytree(built, folder)
    path = folder / SNAPSHOTS / IndexStore(folder).current_name / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["articles"] += 1
    first = sorted(manifest["corpus_hashes"])[0]
    manifest["corpus_hashes"][first] = "0" * 16
    path.write_text(json.dumps(manifest, indent=2))
    _refused(folder)


@pytest.mark.parametrize(
    "content",
    [b"", b"v0000", b"v999999\n", b"\xff\xfe\x00garbage", b"../../../etc\n", b"v00000\x01\n"],
    ids=["empty", "truncated", "missing-snapshot", "binary", "escape", "control"],
)
def test_damaged_current_pointer_is_refused_with_rebuild_advice(built: Path, tmp_path: Path, content: bytes) -> None:
    folder = tmp_path / "ix"
    shutil.copytree(built, folder)
    (folder / "CURRENT").write_bytes(content)
    message = _refused(folder)
    assert re.search(r"index build", message)
