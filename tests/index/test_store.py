import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from index.build import ChunkParams, Indexer
from index.errors import CorruptIndexError, IndexMismatchError, NoIndexError, NothingIndexedError
from index.store import IndexStore
from rag.settings import PROJECT_ROOT
from tests.conftest import CORPUS, KeywordEmbedder

CHUNKS = ChunkParams(max_words=120, min_words=50, overlap_sentences=1)


def indexer(folder: Path, embedder: KeywordEmbedder | None = None, chunking: ChunkParams = CHUNKS) -> Indexer:
    return Indexer(folder, embedder or KeywordEmbedder(), chunking)


def test_build_then_readd_is_a_no_op(tmp_path: Path) -> None:
    embedder = KeywordEmbedder()
    first = indexer(tmp_path / "ix", embedder).add([CORPUS])
    assert len(first.added) == 5 and first.snapshot_written
    snapshot_before = IndexStore(tmp_path / "ix").current_name
    calls = len(embedder.calls)
    again = indexer(tmp_path / "ix", embedder).add([CORPUS])
    assert len(again.unchanged) == 5 and not again.snapshot_written
    assert len(embedder.calls) == calls and IndexStore(tmp_path / "ix").current_name == snapshot_before


def test_changed_article_replaces_its_passages_and_remove_works(tmp_path: Path, corpus_copy: Path) -> None:
    ix = indexer(tmp_path / "ix")
    ix.add([corpus_copy])
    store = IndexStore(tmp_path / "ix")
    before = store.open().manifest.passages
    target = corpus_copy / "002_0c6b4b250ced8e37.txt"
    target.write_text("[Source: Reuters]\n\nA short replacement story about a truce in Gaza.", encoding="utf-8")
    report = ix.add([corpus_copy])
    assert report.updated == ["002_0c6b4b250ced8e37"] and len(report.unchanged) == 4
    snap = store.open()
    assert snap.manifest.passages < before
    texts = [p.text for p, _ in snap.passages_at(range(len(snap)))]
    assert "A short replacement story about a truce in Gaza." in texts
    positions = list(reversed(range(len(snap))))
    assert snap.article_ids_at(positions) == [a.id for _, a in snap.passages_at(positions)]
    assert not any("11th trip" in t for t in texts)

    removed = ix.remove(["002_0c6b4b250ced8e37", "no-such-id"])
    assert removed.removed == ["002_0c6b4b250ced8e37"] and removed.problems[0].source == "no-such-id"
    snap = store.open()
    assert "002_0c6b4b250ced8e37" not in {a.id for a in snap.articles()} and snap.manifest.articles == 4
    assert len(snap.rows) == snap.dense.ntotal == snap.manifest.passages


def test_dense_search_matches_exact_numpy_search(tmp_path: Path) -> None:
    from rag.retrieve import dense_search

    embedder = KeywordEmbedder()
    indexer(tmp_path / "ix", embedder).add([CORPUS])
    snap = IndexStore(tmp_path / "ix").open()
    vectors = np.load(snap.folder / "vectors.npy")
    for question in ["Who is the Mossad chief?", "death toll in Lebanon", "UN Security Council veto"]:
        q = embedder.embed([question])[0]
        exact = np.argsort(-(vectors @ q), kind="stable")[:10]
        got = [p for p, _ in dense_search(snap, q, 10)]
        assert np.allclose(np.sort(vectors[got] @ q), np.sort(vectors[exact] @ q), atol=1e-5)


def test_manifest_mismatch_is_refused_with_rebuild_advice(tmp_path: Path) -> None:
    indexer(tmp_path / "ix").add([CORPUS])
    with pytest.raises(IndexMismatchError, match="chunk_max_words.*index build --rebuild"):
        indexer(tmp_path / "ix", chunking=ChunkParams(max_words=80, min_words=30)).add([CORPUS])
    new = tmp_path / "new.txt"
    new.write_text("A new story about the talks.")
    with pytest.raises(IndexMismatchError, match="dimension"):
        indexer(tmp_path / "ix", KeywordEmbedder(dimension=32)).add([new])
    report = indexer(tmp_path / "ix", chunking=ChunkParams(max_words=80, min_words=30)).add([CORPUS], rebuild=True)
    assert len(report.added) == 5


def test_corrupt_or_missing_index_is_detected(tmp_path: Path) -> None:
    with pytest.raises(NoIndexError, match="index build"):
        IndexStore(tmp_path / "none").open()
    indexer(tmp_path / "ix").add([CORPUS])
    store = IndexStore(tmp_path / "ix")
    faiss_file = store.open().folder / "dense.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:-100])
    with pytest.raises(CorruptIndexError, match="checksum mismatch in dense.faiss.*--rebuild"):
        store.open()


def test_nothing_indexable_raises_with_every_problem(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    with pytest.raises(NothingIndexedError) as exc:
        indexer(tmp_path / "ix").add([tmp_path / "empty.txt", tmp_path / "x.pdf"])
    assert "empty.txt: empty file" in str(exc.value) and "x.pdf: unsupported file type" in str(exc.value)
    assert not IndexStore(tmp_path / "ix").exists()


def test_bad_files_do_not_stop_the_good_ones(tmp_path: Path, corpus_copy: Path) -> None:
    (corpus_copy / "zz_empty.txt").write_text("")
    (corpus_copy / "zz_binary.txt").write_bytes(b"\x00\x01\x02")
    report = indexer(tmp_path / "ix").add([corpus_copy])
    assert len(report.added) == 5 and {Path(p.source).name for p in report.problems} == {
        "zz_empty.txt",
        "zz_binary.txt",
    }


_SLOW_WRITER = """
import sys, time
sys.path.insert(0, {root!r})
from tests.conftest import KeywordEmbedder
from index.build import ChunkParams, Indexer
ix = Indexer({folder!r}, KeywordEmbedder(), ChunkParams(max_words=120, min_words=50, overlap_sentences=1))
ix.add([{extra!r}], progress=lambda what, frac: time.sleep(0.05))
print("finished", flush=True)
"""


@pytest.mark.parametrize("delay", [0.3, 0.6, 0.9, 1.2, 1.5, 1.8])
def test_killed_write_leaves_previous_index_loadable(tmp_path: Path, delay: float) -> None:
    folder = tmp_path / "ix"
    indexer(folder).add([CORPUS / "000_65ef04acdda28541.txt"])
    before = IndexStore(folder).open().manifest
    extra = tmp_path / "more"
    extra.mkdir()
    for i in range(30):
        (extra / f"story{i}.txt").write_text(f"Story {i} about talks in Doha and Cairo. " * 40)
    script = _SLOW_WRITER.format(root=str(PROJECT_ROOT), folder=str(folder), extra=str(extra))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    after = IndexStore(folder).open()  # verifies every checksum
    assert after.manifest.articles in (before.articles, before.articles + 30)
    assert "000_65ef04acdda28541" in after.manifest.corpus_hashes
    # the next writer sweeps what the killed one left and succeeds
    report = indexer(folder).add([extra])
    assert report.snapshot_written or len(report.unchanged) == 30
    assert not list(folder.glob(".tmp-*"))
    assert IndexStore(folder).open().manifest.articles == before.articles + 30


def test_index_folder_holds_no_pickles(tmp_path: Path) -> None:
    indexer(tmp_path / "ix").add([CORPUS])
    snap = IndexStore(tmp_path / "ix").open()
    manifest = json.loads((snap.folder / "manifest.json").read_text())
    assert set(manifest["params"]) >= {"embedding_model", "dimension", "chunk_max_words", "cleaner_version"}
    for name in manifest["files"]:
        assert not name.endswith((".pkl", ".pickle"))
        if name.endswith(".npy"):
            np.load(snap.folder / name, allow_pickle=False)
