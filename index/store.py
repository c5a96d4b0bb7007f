"""The index on disk: a folder of immutable snapshots and a pointer to the current one.

    INDEX_DIR/
      CURRENT                 name of the live snapshot (replaced atomically)
      .lock                   held by the one writer at a time
      snapshots/v000007/      manifest.json, store.sqlite, rows.npy + vectors.npy (passages),
                              sentence_rows.npy + sentence_vectors.npy, dense.faiss, bm25/
      .tmp-*                  a snapshot being written; never read, swept by the next writer

A write builds a complete new snapshot beside the old one and only then swaps CURRENT, so a
crash at any point leaves the previous snapshot loadable, and a reader holds one consistent
snapshot for as long as it keeps it open. Nothing is pickled: SQLite, .npy (no pickle), JSON
and FAISS's own format.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import math
import os
import re
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

from index.errors import CorruptIndexError, IndexMismatchError, NoIndexError
from index.lexical import build_bm25, load_bm25, save_bm25
from index.types import Article, ArticleInfo, BuildParams, Manifest, Passage, Sentence

FORMAT_VERSION = 2
SNAPSHOTS = "snapshots"
_LOAD_LOCK = threading.Lock()  # the live one and its predecessor, for readers that still hold it

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, title TEXT, publisher TEXT, published TEXT, url TEXT, source TEXT NOT NULL,
    content_hash TEXT NOT NULL, text TEXT NOT NULL, removed TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS passages (
    row INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    article_id TEXT NOT NULL REFERENCES articles(id), ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL, sentences TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sentences (
    row INTEGER PRIMARY KEY AUTOINCREMENT, article_id TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    UNIQUE (article_id, start)
);
CREATE INDEX IF NOT EXISTS passages_article ON passages(article_id);
CREATE INDEX IF NOT EXISTS articles_publisher ON articles(publisher);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published);
"""


@dataclass
class NewArticle:
    """An article ready to store: its passages and unique sentences, each with its vector."""

    article: Article
    passages: list[Passage]
    passage_vectors: np.ndarray
    sentences: list[tuple[int, int]]  # (start, end) in the article text, each once
    sentence_vectors: np.ndarray


def _insert_article(conn: sqlite3.Connection, new: NewArticle) -> None:
    a = new.article
    conn.execute(
        "INSERT INTO articles (id, title, publisher, published, url, source, content_hash, text, removed)"
        " VALUES (?,?,?,?,?,?,?,?,?)",
        (
            a.id,
            a.title,
            a.publisher,
            a.published.isoformat() if a.published else None,
            a.url,
            a.source,
            a.content_hash,
            a.text,
            json.dumps(a.removed),
        ),
    )
    conn.executemany(
        'INSERT INTO passages (id, article_id, ordinal, start, "end", text, sentences) VALUES (?,?,?,?,?,?,?)',
        [
            (p.id, p.article_id, p.ordinal, p.start, p.end, p.text, json.dumps([[s.start, s.end] for s in p.sentences]))
            for p in new.passages
        ],
    )
    conn.executemany(
        'INSERT INTO sentences (article_id, start, "end") VALUES (?,?,?)',
        [(a.id, start, end) for start, end in new.sentences],
    )


def _column(conn: sqlite3.Connection, sql: str) -> np.ndarray:
    return np.array([r[0] for r in conn.execute(sql)], dtype=np.int64)


def _merge_vectors(
    src: Path | None, name: str, rows: np.ndarray, new: np.ndarray, out: Path, dim: int, dtype: type
) -> np.ndarray:
    """The previous snapshot's vectors whose rows survive, then the new ones (new rows are numbered higher),
    written straight into the .npy file `out` (memory-mapped: at 1M passages a copy in memory is gigabytes)."""
    merged = np.lib.format.open_memmap(out, mode="w+", dtype=dtype, shape=(len(rows), dim))
    at = 0
    if src is not None:
        with _LOAD_LOCK:  # np.load parses headers with ast, which CPython 3.11 cannot do in two threads at once
            old_rows = np.load(src / f"{name.replace('vectors', 'rows')}.npy", allow_pickle=False)
            old = np.load(src / f"{name}.npy", allow_pickle=False, mmap_mode="r")
        kept = np.flatnonzero(np.isin(old_rows, rows))
        for start in range(0, len(kept), 65536):
            part = kept[start : start + 65536]
            merged[at : at + len(part)] = old[part]
            at += len(part)
    if at + len(new) != len(rows):
        raise RuntimeError(f"internal error: {at + len(new)} {name} for {len(rows)} rows")
    for start in range(0, len(new), 65536):
        merged[at + start : at + start + 65536] = new[start : start + 65536]
    merged.flush()
    return merged


def _delete_article(conn: sqlite3.Connection, article_id: str) -> None:
    for table, column in (("passages", "article_id"), ("sentences", "article_id"), ("articles", "id")):
        conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (article_id,))


# Exact search up to this many passages (p50 ~7 ms at 100k on one core); an IVF index above it. Measured by
# `python -m rag bench` at 1M passages: HNSW32 (efSearch 128) found 0.76 of the exact top 10, IVF4096 with
# nprobe 64 0.997 in 1.8 ms.
EXACT_MAX = 50_000
HNSW_EF_SEARCH = 128  # HNSW candidates kept per search, for a user who asks for an HNSW index
IVF_NPROBE = 64  # IVF lists searched per query (recall@10 0.984 at 100k, 0.997 at 1M)


def ivf_spec(n: int) -> str:
    """IVF with about 4 sqrt(n) lists (a power of two, at least 16), vectors stored flat."""
    nlist = 2 ** max(4, round(math.log2(4 * math.sqrt(max(n, 1)))))
    return f"IVF{nlist},Flat"


def choose_faiss_type(requested: str, count: int) -> str:
    """'auto': exact inner product (Flat) for up to EXACT_MAX passages, an IVF index above; any other
    value is a FAISS factory string used as given (RAG_FAISS_INDEX)."""
    if requested != "auto":
        return requested
    return "Flat" if count <= EXACT_MAX else ivf_spec(count)


def set_search_params(index) -> None:  # noqa: ANN001 - faiss.Index
    """The search settings the product uses, applied after building and after loading an index."""
    import faiss

    ivf = faiss.try_extract_index_ivf(index)
    if hasattr(index, "hnsw"):
        index.hnsw.efSearch = HNSW_EF_SEARCH
    elif ivf is not None:
        ivf.nprobe = IVF_NPROBE


class SearchIndex:
    """A loaded FAISS index whose searches of a few queries run on one OpenMP thread (the setting is per
    thread, so indexing elsewhere keeps every core). FAISS splits even one query's scan across threads; on
    a busy 2-core machine that made an exact search of 100k vectors 3.6x slower (80 ms against 22 ms)."""

    def __init__(self, index) -> None:  # noqa: ANN001 - faiss.Index
        self.index = index

    def search(self, x: np.ndarray, k: int, params=None):  # noqa: ANN001, ANN201 - (scores, ids)
        import faiss

        if len(x) <= 4:
            faiss.omp_set_num_threads(1)
        return self.index.search(x, k, params=params)

    def __getattr__(self, name: str) -> object:
        return getattr(self.index, name)


def build_faiss(vectors: np.ndarray, index_type: str):  # noqa: ANN201 - faiss.Index
    """Inner-product FAISS index over unit vectors (= cosine); position i is vectors[i]. Built on every core
    (this thread's setting is restored afterwards)."""
    import faiss

    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    try:
        index = faiss.index_factory(vectors.shape[1], index_type, faiss.METRIC_INNER_PRODUCT)
        if not index.is_trained:
            index.train(vectors)
        set_search_params(index)
        if len(vectors):
            index.add(vectors)
    finally:
        faiss.omp_set_num_threads(threads)
    return index


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with path.open("rb") as f:
                os.fsync(f.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Snapshot:
    """One loaded, read-only snapshot: dense and BM25 indexes in memory, passages in SQLite.

    Position i (0-based) is the same passage in the FAISS index, the BM25 index and `rows`.
    """

    def __init__(self, folder: Path, manifest: Manifest) -> None:
        import faiss

        self.folder = folder
        self.manifest = manifest
        try:
            self.rows: np.ndarray = np.load(folder / "rows.npy", allow_pickle=False)
            self.sentence_rows: np.ndarray = np.load(folder / "sentence_rows.npy", allow_pickle=False)
            # Memory-mapped: only the sentences of retrieved passages are ever read.
            self.sentence_vectors: np.ndarray = np.load(
                folder / "sentence_vectors.npy", allow_pickle=False, mmap_mode="r"
            )
            self.dense = SearchIndex(faiss.read_index(str(folder / "dense.faiss")))
            set_search_params(self.dense.index)
            self.bm25 = load_bm25(folder / "bm25") if len(self.rows) else None
        except Exception as exc:  # noqa: BLE001 - any failure to parse means a damaged file
            raise CorruptIndexError(folder, f"cannot read index files: {exc}") from exc
        if self.dense.ntotal != len(self.rows):
            raise CorruptIndexError(
                folder, f"dense index has {self.dense.ntotal} vectors for {len(self.rows)} passages"
            )
        self._db = sqlite3.connect(f"file:{folder / 'store.sqlite'}?mode=ro", uri=True, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db_lock = threading.Lock()

    def _query(self, sql: str, args: Sequence[object] = ()) -> list[sqlite3.Row]:
        """Run a read query on the snapshot's connection (opened at load, so it survives the snapshot's
        folder being pruned after a newer one went live)."""
        with self._db_lock:
            return self._db.execute(sql, args).fetchall()

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def params(self) -> BuildParams:
        return self.manifest.params

    def passages_at(self, positions: Sequence[int]) -> list[tuple[Passage, ArticleInfo]]:
        """The passages (with their article's metadata) at the given positions, in that order."""
        if not len(positions):
            return []
        rows = [int(self.rows[p]) for p in positions]
        marks = ",".join("?" * len(rows))
        found = {
            r["row"]: r
            for r in self._query(
                f'SELECT p.row, p.id, p.article_id, p.ordinal, p.start, p."end", p.text, p.sentences, '
                f"a.title, a.publisher, a.published, a.url, a.source "
                f"FROM passages p JOIN articles a ON a.id = p.article_id WHERE p.row IN ({marks})",
                rows,
            )
        }
        return [_passage_from_row(found[r]) for r in rows]

    def article_ids_at(self, positions: Sequence[int]) -> list[str]:
        """The article id of the passage at each position, in that order (no passage text is read)."""
        if not len(positions):
            return []
        rows = [int(self.rows[p]) for p in positions]
        marks = ",".join("?" * len(rows))
        found = dict(self._query(f"SELECT row, article_id FROM passages WHERE row IN ({marks})", rows))
        return [found[r] for r in rows]

    def sentence_before(self, article_id: str, offset: int) -> str:
        """The text of the article's last sentence that ends at or before `offset` ("" if none)."""
        found = self._query(
            'SELECT substr(a.text, s.start + 1, s."end" - s.start) AS text FROM sentences s '
            'JOIN articles a ON a.id = s.article_id WHERE s.article_id = ? AND s."end" <= ? '
            "ORDER BY s.start DESC LIMIT 1",
            (article_id, offset),
        )
        return found[0]["text"] if found else ""

    def sentence_vectors_for(self, spans: Sequence[tuple[str, int]]) -> np.ndarray:
        """float32 vectors of the sentences identified by (article id, start offset), in that order."""
        if not spans:
            return np.zeros((0, self.sentence_vectors.shape[1] if self.sentence_vectors.ndim == 2 else 0), np.float32)
        # Only the asked rows, through the (article_id, start) unique index: both lists narrow the search.
        articles, starts = sorted({a for a, _ in spans}), sorted({s for _, s in spans})
        sql = (
            "SELECT row, article_id, start FROM sentences"
            f" WHERE article_id IN ({','.join('?' * len(articles))}) AND start IN ({','.join('?' * len(starts))})"
        )
        found = {(r[1], r[2]): r[0] for r in self._query(sql, [*articles, *starts])}
        positions = np.searchsorted(self.sentence_rows, np.array([found[s] for s in spans], dtype=np.int64))
        return np.asarray(self.sentence_vectors[positions], dtype=np.float32)

    def positions_where(
        self,
        publishers: Sequence[str] | None = None,
        since: date | None = None,
        until: date | None = None,
        article_ids: Sequence[str] | None = None,
    ) -> np.ndarray:
        """Positions of the passages whose article matches every given filter."""
        clauses, args = [], []
        if publishers:
            clauses.append(f"lower(a.publisher) IN ({','.join('?' * len(publishers))})")
            args.extend(p.lower() for p in publishers)
        if since:
            clauses.append("a.published >= ?")
            args.append(since.isoformat())
        if until:
            clauses.append("a.published <= ?")
            args.append(until.isoformat())
        if article_ids:
            clauses.append(f"a.id IN ({','.join('?' * len(article_ids))})")
            args.extend(article_ids)
        where = " AND ".join(clauses) or "1"
        rows = [
            r[0]
            for r in self._query(
                f"SELECT p.row FROM passages p JOIN articles a ON a.id = p.article_id WHERE {where}", args
            )
        ]
        return np.searchsorted(self.rows, np.array(sorted(rows), dtype=np.int64))

    @functools.cached_property
    def published_dates(self) -> tuple[date, ...]:
        """The distinct publication dates, oldest first; read once (a snapshot never changes), since every
        question asks for them and reading all articles per question costs ~1 s at 100k articles."""
        cur = self._query("SELECT DISTINCT published FROM articles WHERE published IS NOT NULL ORDER BY published")
        return tuple(date.fromisoformat(r["published"]) for r in cur)

    @functools.cached_property
    def publishers(self) -> tuple[str, ...]:
        """The distinct publisher names ("Reuters", "Middle East Eye"); read once, like the dates."""
        cur = self._query("SELECT DISTINCT publisher FROM articles WHERE publisher IS NOT NULL ORDER BY publisher")
        return tuple(r["publisher"] for r in cur)

    def articles(self) -> list[ArticleInfo]:
        cur = self._query("SELECT id, title, publisher, published, url, source FROM articles ORDER BY published, id")
        return [ArticleInfo(**dict(r)) for r in cur]

    def article(self, article_id: str) -> Article | None:
        found = self._query("SELECT * FROM articles WHERE id = ?", (article_id,))
        if not found:
            return None
        r = found[0]
        data = dict(r)
        data.pop("content_hash")
        data["removed"] = json.loads(data["removed"])
        return Article(**data)

    def close(self) -> None:
        with self._db_lock:
            self._db.close()


def _passage_from_row(r: sqlite3.Row) -> tuple[Passage, ArticleInfo]:
    passage = Passage(
        id=r["id"],
        article_id=r["article_id"],
        ordinal=r["ordinal"],
        start=r["start"],
        end=r["end"],
        text=r["text"],
        sentences=[
            Sentence(start=s, end=e, text=r["text"][s - r["start"] : e - r["start"]])
            for s, e in json.loads(r["sentences"])
        ],
    )
    info = ArticleInfo(
        id=r["article_id"],
        title=r["title"],
        publisher=r["publisher"],
        published=r["published"],
        url=r["url"],
        source=r["source"],
    )
    return passage, info


class IndexStore:
    """An index folder: open its current snapshot, or write a new one."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)

    def _pointer(self) -> tuple[str, str | None] | None:
        """(snapshot name, sha256 of its manifest) from CURRENT; None when there is no index."""
        try:
            raw = (self.folder / "CURRENT").read_bytes()
        except FileNotFoundError:
            return None
        try:
            parts = raw.decode("utf-8").split()
        except UnicodeDecodeError as exc:
            raise CorruptIndexError(self.folder, "CURRENT is not text") from exc
        if not parts:
            return None
        if not re.fullmatch(r"v\d{6}", parts[0]) or len(parts) > 2:
            raise CorruptIndexError(self.folder, f"CURRENT names no snapshot ({raw[:40]!r})")
        return parts[0], parts[1] if len(parts) == 2 else None

    @property
    def current_name(self) -> str | None:
        pointer = self._pointer()
        return pointer[0] if pointer else None

    def exists(self) -> bool:
        return (self.folder / "CURRENT").exists() and self.current_name is not None

    def read_manifest(self, pointer: tuple[str, str | None] | None = None) -> Manifest:
        pointer = pointer or self._pointer()
        if pointer is None:
            raise NoIndexError(self.folder)
        name, digest = pointer
        path = self.folder / SNAPSHOTS / name / "manifest.json"
        try:
            raw = path.read_bytes()
        except FileNotFoundError as exc:
            raise CorruptIndexError(self.folder, f"snapshot {name} or its manifest is missing") from exc
        if digest is not None and hashlib.sha256(raw).hexdigest() != digest:
            raise CorruptIndexError(self.folder, "checksum mismatch in manifest.json")
        try:
            manifest = Manifest.model_validate_json(raw)
        except ValueError as exc:
            raise CorruptIndexError(self.folder, f"unreadable manifest: {exc}") from exc
        if manifest.format_version != FORMAT_VERSION:
            raise IndexMismatchError(self.folder, {"format_version": (manifest.format_version, FORMAT_VERSION)})
        return manifest

    def open(self, params: BuildParams | None = None, verify: bool = True) -> Snapshot:
        """Load the current snapshot; refuse one built with other params, or with damaged files."""
        for attempt in range(4):
            pointer = self._pointer()  # read once: a writer may swap CURRENT at any moment
            if pointer is None:
                raise NoIndexError(self.folder)
            try:
                manifest = self.read_manifest(pointer)
                if params is not None:
                    check_params(self.folder, manifest.params, params)
                folder = self.folder / SNAPSHOTS / pointer[0]
                if verify:
                    for name, digest in manifest.files.items():
                        path = folder / name
                        if not path.exists():
                            raise CorruptIndexError(self.folder, f"missing file {name}")
                        if _sha256(path) != digest:
                            raise CorruptIndexError(self.folder, f"checksum mismatch in {name}")
                with _LOAD_LOCK:  # the index libraries' loaders are not safe to run in parallel threads
                    return Snapshot(folder, manifest)
            except CorruptIndexError as exc:
                # Files that passed their checksums but failed to parse hit a transient loader fault (a
                # CPython ast race under threads was seen): retry. Otherwise retry only if CURRENT moved.
                transient = verify and "cannot read index files" in str(exc)
                if attempt == 3 or (self._pointer() == pointer and not transient):
                    raise  # damaged, not merely replaced while we read it
        raise AssertionError("unreachable")

    @contextmanager
    def _writer_lock(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / ".lock").open("a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def write(
        self,
        params: BuildParams,
        faiss_type: str,
        *,
        remove: set[str],
        add: Iterable[NewArticle],
        base: Manifest | None,
        on_stage: Callable[[str], None] | None = None,
    ) -> Manifest:
        """Write a new snapshot = current (or empty when `base` is None) - `remove` + `add`, then make it current.

        Articles in `add` that exist already are replaced. `add` is consumed once, in order, as it is written
        (a generator keeps a large build's memory to one group of articles).
        """
        stage = on_stage or (lambda _name: None)
        with self._writer_lock():
            self._sweep_temporary()
            live = self.current_name
            current = live if base is not None else None
            tmp = self.folder / f".tmp-{uuid.uuid4().hex}"
            tmp.mkdir(parents=True)
            try:
                manifest = self._write_into(tmp, current, params, faiss_type, remove, add, base, stage)
                stage("commit")
                _fsync_tree(tmp)
                (self.folder / SNAPSHOTS).mkdir(exist_ok=True)
                name = self._next_name()
                os.replace(tmp, self.folder / SNAPSHOTS / name)
                _fsync_dir(self.folder / SNAPSHOTS)
                pointer_tmp = self.folder / f".tmp-CURRENT-{uuid.uuid4().hex}"
                digest = _sha256(self.folder / SNAPSHOTS / name / "manifest.json")
                pointer_tmp.write_text(f"{name} {digest}\n", encoding="utf-8")
                with pointer_tmp.open("rb") as f:
                    os.fsync(f.fileno())
                os.replace(pointer_tmp, self.folder / "CURRENT")
                _fsync_dir(self.folder)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            self._prune(keep={name, live})
            return manifest

    def _write_into(
        self,
        tmp: Path,
        current: str | None,
        params: BuildParams,
        faiss_type: str,
        remove: set[str],
        add: Iterable[NewArticle],
        base: Manifest | None,
        stage: Callable[[str], None],
    ) -> Manifest:
        db_path = tmp / "store.sqlite"
        src = self.folder / SNAPSHOTS / current if current is not None else None
        if src is not None:
            shutil.copyfile(src / "store.sqlite", db_path)
        stage("store")
        dim = params.dimension or 0
        # New vectors are spooled to disk as the articles come (an iterable: a large build yields them a
        # group at a time), so that neither all new vectors nor all new passages are held at once.
        spools = {
            "vectors": (tmp / "new-vectors.raw", np.float32),
            "sentence_vectors": (tmp / "new-sentences.raw", np.float16),
        }
        conn = sqlite3.connect(db_path)
        try:
            conn.executescript(_SCHEMA)
            with conn, open(spools["vectors"][0], "wb") as pv, open(spools["sentence_vectors"][0], "wb") as sv:
                for article_id in remove:
                    _delete_article(conn, article_id)
                for new in add:
                    _delete_article(conn, new.article.id)
                    _insert_article(conn, new)
                    pv.write(np.ascontiguousarray(new.passage_vectors, dtype=np.float32).tobytes())
                    sv.write(np.ascontiguousarray(new.sentence_vectors, dtype=np.float16).tobytes())
            rows = _column(conn, "SELECT row FROM passages ORDER BY row")
            sentence_rows = _column(conn, "SELECT row FROM sentences ORDER BY row")
            texts = [r[0] for r in conn.execute("SELECT text FROM passages ORDER BY row")]
            hashes = dict(conn.execute("SELECT id, content_hash FROM articles ORDER BY id").fetchall())
        finally:
            conn.close()

        for name, row_ids in (("sentence_vectors", sentence_rows), ("vectors", rows)):  # passage vectors last: FAISS
            path, dtype = spools[name]
            count = path.stat().st_size // (np.dtype(dtype).itemsize * dim) if dim else 0
            spooled = np.memmap(path, dtype=dtype, mode="r", shape=(count, dim)) if count else np.zeros((0, dim), dtype)
            vectors = _merge_vectors(src, name, row_ids, spooled, tmp / f"{name}.npy", dim, dtype)
            del spooled
            path.unlink()
        np.save(tmp / "rows.npy", rows, allow_pickle=False)
        np.save(tmp / "sentence_rows.npy", sentence_rows, allow_pickle=False)

        stage("dense")
        import faiss

        chosen = choose_faiss_type(faiss_type, len(rows))
        with _LOAD_LOCK:  # the same libraries load snapshots in other threads of this process
            faiss.write_index(build_faiss(vectors, chosen), str(tmp / "dense.faiss"))
        stage("bm25")
        if texts:
            with _LOAD_LOCK:
                save_bm25(build_bm25(texts), tmp / "bm25")

        files = {str(p.relative_to(tmp)): _sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            params=params,
            faiss_index=chosen,
            articles=len(hashes),
            passages=len(rows),
            created=base.created if base else _now(),
            updated=_now(),
            corpus_hashes=hashes,
            files=files,
        )
        (tmp / "manifest.json").write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
        return manifest

    def _next_name(self) -> str:
        existing = [p.name for p in (self.folder / SNAPSHOTS).iterdir() if p.name.startswith("v")]
        numbers = [int(n[1:]) for n in existing if n[1:].isdigit()]
        return f"v{max(numbers, default=0) + 1:06d}"

    def _sweep_temporary(self) -> None:
        """Remove what a crashed writer left (safe: we hold the writer lock)."""
        for path in self.folder.glob(".tmp-*"):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)

    def _prune(self, keep: set[str | None]) -> None:
        """Keep the live snapshot and the one before it (readers may still hold it); drop the rest,
        including a snapshot a killed writer renamed into place but never made live."""
        for path in (self.folder / SNAPSHOTS).iterdir():
            if path.is_dir() and path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)

    def clear(self) -> None:
        """Forget the current snapshot (the next write starts empty); old files are swept then."""
        with self._writer_lock():
            (self.folder / "CURRENT").unlink(missing_ok=True)


def check_params(folder: Path, built: BuildParams, wanted: BuildParams) -> None:
    """Raise IndexMismatchError naming every setting that differs."""
    differences = {
        field: (getattr(built, field), getattr(wanted, field))
        for field in BuildParams.model_fields
        if getattr(wanted, field) is not None and getattr(built, field) != getattr(wanted, field)
    }
    if differences:
        raise IndexMismatchError(folder, differences)
