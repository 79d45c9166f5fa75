"""The on-disk search index: writes, atomic rebuilds and searching.

Layout under ``path``::

    CURRENT            name of the generation being served, e.g. "gen-3"
    gen-3/             a complete Whoosh index
    MAINTENANCE.lock   held while creating or rebuilding

Why generations: a full rebuild writes a brand new index beside the old one
and only then swaps ``CURRENT`` (temp file + ``os.replace``), so a process
killed mid-rebuild leaves the old index serving, untouched. The previous
generation is kept until the next rebuild so readers in other processes can
finish; older ones are deleted.

Several worker processes may publish at once: writers wait up to
``write_timeout`` for Whoosh's write lock and raise :class:`IndexBusy` if it
stays taken, which the caller turns into "catch up later". A rebuild holds
the old generation's write lock for its whole run, so no update can land in
an index that is about to be replaced; publishers get :class:`IndexBusy`
instead and catch up on the new one.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as Q
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.util.filelock import FileLock, try_for

from . import query as query_builder
from .analysis import _jieba, bulk_cache, query_words
from .evaluate import Evaluator, release_memory
from .parallel import ParallelWriter
from .writer import DirectSegmentWriter, gc_paused
from .highlight import snippets
from .results import Hit, SearchResults
from .schema import SCHEMA_VERSION, build_schema, prepare_document

log = logging.getLogger(__name__)

_POINTER = "CURRENT"
_VERSION = "VERSION"  # in each generation: the SCHEMA_VERSION it was written with
_MAINTENANCE = "MAINTENANCE.lock"
_GEN_PREFIX = "gen-"
MAX_QUERY_CHARS = 256
LARGE_RESULT = 10_000  # matches after which a query's memory is handed back at once


class IndexBusy(Exception):
    """The index stayed locked by another writer or rebuild; retry later."""


class SearchIndex:
    """A search index in directory ``path``, safe to share between processes.

    One instance per process is enough (and cheapest): it keeps a single
    searcher and refreshes it before each query, so queries do not reopen
    files yet still see commits made by other processes or instances.
    """

    #: A rebuild of more documents than this writes with several processes.
    PARALLEL_FROM = 5000

    def __init__(self, path: str | os.PathLike, write_timeout: float = 30.0, procs: int | None = None):
        self.path = Path(path)
        self.write_timeout = write_timeout
        # Processes for a large rebuild: one per core, at most 4 (each holds a pool).
        self.procs = procs if procs is not None else max(1, min(os.cpu_count() or 1, 4))
        self.schema = build_schema()
        self._lock = threading.RLock()
        self._served: str | None = None  # generation the searcher reads
        self._searcher = None
        self._evaluator: Evaluator | None = None  # belongs to self._searcher

    # -- generations -----------------------------------------------------

    def _current(self) -> str | None:
        try:
            name = (self.path / _POINTER).read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        return name or None

    def _open(self, name: str):
        # Plain reads, not mmap: a mapped index counts in the worker's resident
        # memory as it is read (27 MB more after one query at 6,000 entries),
        # and the page cache keeps it hot either way.
        return FileStorage(str(self.path / name), supports_mmap=False).open_index(schema=self.schema)

    def _generations(self) -> list[str]:
        if not self.path.is_dir():
            return []
        gens = [p.name for p in self.path.iterdir()
                if p.is_dir() and p.name.startswith(_GEN_PREFIX)
                and p.name[len(_GEN_PREFIX):].isdigit()]
        return sorted(gens, key=lambda n: int(n[len(_GEN_PREFIX):]))

    def _new_generation(self) -> str:
        gens = self._generations()
        number = int(gens[-1][len(_GEN_PREFIX):]) + 1 if gens else 1
        name = f"{_GEN_PREFIX}{number}"
        (self.path / name).mkdir(mode=0o700)
        whoosh_index.create_in(str(self.path / name), self.schema)
        (self.path / name / _VERSION).write_text(f"{SCHEMA_VERSION}\n", encoding="ascii")
        return name

    def version(self, name: str | None = None) -> int | None:
        """The SCHEMA_VERSION generation ``name`` (default: the served one) was written
        with; 1 for generations older than the version file; None when there is no index."""
        name = name or self._current()
        if name is None:
            return None
        try:
            return int((self.path / name / _VERSION).read_text(encoding="ascii").strip())
        except FileNotFoundError:
            return 1
        except ValueError:
            return 0

    def stale(self) -> bool:
        """True when the served index was written by another version of this code: searches
        still run, but may miss or misrank documents until ``flask portal reindex``."""
        version = self.version()
        return version is not None and version != SCHEMA_VERSION

    def _point_to(self, name: str) -> None:
        """Atomically make ``name`` the served generation."""
        fd, tmp = tempfile.mkstemp(prefix=".CURRENT.", dir=self.path)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(name + "\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path / _POINTER)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def _remove_stale(self, keep: set[str]) -> None:
        for name in self._generations():
            if name not in keep:
                shutil.rmtree(self.path / name, ignore_errors=True)
        for tmp in self.path.glob(".CURRENT.*"):
            tmp.unlink(missing_ok=True)

    def _maintenance_lock(self) -> FileLock:
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)  # owner-only, like the instance
        return FileLock(str(self.path / _MAINTENANCE))

    # -- writing ---------------------------------------------------------

    def create_or_open(self) -> SearchIndex:
        """Create an empty index at ``path`` unless one is there already."""
        if self._current() is None:
            lock = self._maintenance_lock()
            if not try_for(lock.acquire, self.write_timeout, 0.05):
                raise IndexBusy(f"search index {self.path} is being created or rebuilt")
            try:
                if self._current() is None:
                    self._point_to(self._new_generation())
            finally:
                lock.release()
        return self

    def _writer(self):
        """A writer on the served generation, waiting for the write lock.

        If a rebuild switched generations while we waited, the writer is
        dropped and we retry on the new generation.
        """
        self.create_or_open()
        deadline = _now() + self.write_timeout
        while True:
            name = self._current()
            writer = self._locked_writer(self._open(name), max(deadline - _now(), 0.0))
            if self._current() == name:
                return writer
            writer.cancel()

    def _locked_writer(self, ix, timeout: float):
        """Take the write lock ourselves, then build the writer: Whoosh's own writer takes the
        lock before creating its files and, if that fails (disk full, folder unwritable),
        keeps the lock until garbage collection, blocking every other worker meanwhile."""
        from whoosh.util.filelock import try_for
        from whoosh.writing import SegmentWriter

        lock = ix.lock("WRITELOCK")
        if not try_for(lock.acquire, timeout=timeout, delay=0.01):
            raise IndexBusy(f"search index {self.path} is locked")
        try:
            writer = SegmentWriter(ix, _lk=False)
        except BaseException:
            lock.release()
            raise
        writer.writelock = lock
        return writer

    def add_or_update(self, docs: Iterable[dict]) -> int:
        """Insert or replace documents by ``doc_id`` in one commit; returns
        how many. Raises :class:`IndexBusy` if the lock cannot be had."""
        prepared = [prepare_document(d) for d in docs]
        if not prepared:
            return 0
        writer = self._writer()
        try:
            for doc in prepared:
                writer.update_document(**doc)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return len(prepared)

    def delete(self, doc_ids: Iterable[str]) -> int:
        """Delete documents by id; returns how many existed."""
        doc_ids = list(doc_ids)
        if not doc_ids or self._current() is None:
            return 0
        writer = self._writer()
        try:
            deleted = sum(writer.delete_by_term("doc_id", d) for d in doc_ids)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return deleted

    def rebuild(self, docs: Iterable[dict], progress: Callable[[int], None] | None = None) -> int:
        """Build a complete new index from ``docs`` and switch to it atomically.

        ``doc_id`` values must be unique in ``docs`` (documents are added, not
        updated, for speed). If ``docs`` raises, or the process dies, the old
        index keeps serving and the partial one is discarded. ``progress`` is
        called with the running count every 1000 documents. Returns the count.
        """
        lock = self._maintenance_lock()
        if not lock.acquire(blocking=False):
            raise IndexBusy(f"a rebuild of {self.path} is already running")
        try:
            old = self._current()
            old_writelock = self._open(old).lock("WRITELOCK") if old else None
            if old_writelock and not try_for(old_writelock.acquire, self.write_timeout, 0.05):
                raise IndexBusy(f"search index {self.path} is locked")
            try:
                new = self._new_generation()
                try:
                    count = self._fill(new, docs, progress)
                except BaseException:
                    shutil.rmtree(self.path / new, ignore_errors=True)
                    raise
                self._point_to(new)
            finally:
                if old_writelock:
                    old_writelock.release()
            self._remove_stale(keep={new, old})
            return count
        finally:
            lock.release()

    def _fill(self, name, docs, progress) -> int:
        """Write ``docs`` into the empty generation ``name``.

        Large rebuilds are analyzed and written by ``procs`` processes, each into
        its own segment (see :mod:`.parallel`); small ones (tests, a fresh portal)
        by this process alone, so no process is forked for a handful of documents.
        """
        docs = iter(docs)
        head = list(itertools.islice(docs, self.PARALLEL_FROM))
        parallel = self.procs > 1 and len(head) >= self.PARALLEL_FROM
        ix = self._open(name)
        count = 0
        with bulk_cache(), gc_paused():
            if parallel:
                _jieba()  # loaded once here: the forked writer processes share it
                writer = ParallelWriter(ix, procs=self.procs, batchsize=250)
            else:
                writer = DirectSegmentWriter(ix)
            try:
                for doc in itertools.chain(head, docs):
                    writer.add_document(**prepare_document(doc))
                    count += 1
                    if progress and count % 1000 == 0:
                        progress(count)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
        if progress and count % 1000:
            progress(count)
        with self._open(name).reader() as reader:
            if reader.doc_count_all() != count:  # a writer process lost documents: never serve that
                raise RuntimeError(f"rebuild wrote {reader.doc_count_all()} of {count} documents")
        return count

    # -- reading ---------------------------------------------------------

    def _fresh_searcher(self):
        """The shared searcher, brought up to date (call with self._lock held).
        Returns None when no index exists yet."""
        name = self._current()
        if name is None:
            return None
        if name != self._served or self._searcher is None:
            self.close()
            self._searcher = self._open(name).searcher()
            self._served = name
            version = self.version(name)
            if version != SCHEMA_VERSION:
                log.warning("search index %s was written by index version %s, this code writes %s: "
                            "run `flask portal reindex`", self.path / name, version, SCHEMA_VERSION)
        elif not self._searcher.up_to_date():
            if self._searcher.reader().segments() is None:
                # Whoosh cannot refresh a reader of an empty index: reopen.
                self._searcher.close()
                self._searcher = self._open(name).searcher()
            else:
                self._searcher = self._searcher.refresh()
        return self._searcher

    def _fresh_evaluator(self) -> Evaluator | None:
        """The evaluator of the up-to-date searcher (call with self._lock held)."""
        searcher = self._fresh_searcher()
        if searcher is None:
            return None
        if self._evaluator is None or self._evaluator.searcher is not searcher:
            self._evaluator = Evaluator(searcher)
        return self._evaluator

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
            self._searcher = None
            self._evaluator = None
            self._served = None

    def __del__(self):
        # The index files are read without mmap, so an instance dropped without
        # close() would leave them open until the interpreter exits.
        try:
            if self._searcher is not None:
                self._searcher.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def doc_count(self) -> int:
        with self._lock:
            searcher = self._fresh_searcher()
            return searcher.doc_count() if searcher else 0

    def contains(self, doc_id: str) -> bool:
        with self._lock:
            searcher = self._fresh_searcher()
            return bool(searcher and searcher.document_number(doc_id=doc_id) is not None)

    def search(self, q: str, jurisdiction=None, department=None, kind=None,
               page: int = 1, pagelen: int = 10, lang: str = "zh") -> SearchResults:
        """Search free text ``q`` (never parsed as query syntax).

        Filters take one code or several. Documents matching every word come
        first; if none do, documents matching any word. An empty query lists
        the filtered documents newest first. Highlights are HTML-safe.
        """
        page = max(int(page), 1)
        pagelen = max(int(pagelen), 1)
        text = (q or "")[:MAX_QUERY_CHARS]
        words = query_words(text)
        fields = query_builder.fields_for(lang, words)
        flt = query_builder.filters(jurisdiction=jurisdiction, department=department, kind=kind)
        with self._lock:
            ev = self._fresh_evaluator()
            if ev is None:
                return SearchResults(total=0, page=page, pages=0, hits=[])
            searcher = ev.searcher
            limit = page * pagelen
            start = (page - 1) * pagelen
            if not words:
                results, total = _run(searcher, Q.Every(), flt, limit, sortedby="published", reverse=True)
                top = [(results.docnum(i), 0.0) for i in range(start, min(limit, results.scored_length()))]
                terms: set = set()
            else:
                allowed = ev.allowed(flt) if flt is not None else None
                for require_all in (True, False):  # every word; if nothing has them all, any word
                    q = query_builder.build(text, words, fields, require_all)
                    scores = ev.scores(q)
                    if allowed is not None:
                        scores = {d: sc for d, sc in scores.items() if d in allowed}
                    if scores:
                        break
                total = len(scores)
                top = ev.top(scores, limit)[start:]
                terms = query_builder.highlight_terms(q)
            shown = fields if words else ()
            hits = [self._hit(searcher.stored_fields(docnum), score, shown, terms) for docnum, score in top]
            if words and total > LARGE_RESULT:
                del scores
                release_memory()
        return SearchResults(total=total, page=page, pages=math.ceil(total / pagelen), hits=hits)

    def _hit(self, stored: dict, score: float, fields, terms) -> Hit:
        return Hit(
            doc_id=stored["doc_id"],
            kind=stored.get("kind"),
            jurisdiction=stored.get("jurisdiction"),
            department=stored.get("department"),
            department_name=stored.get("department_name"),
            matter=stored.get("matter"),
            title=stored.get("title"),
            title_en=stored.get("title_en"),
            url=stored.get("url"),
            published=stored.get("published"),
            score=float(score) if fields else 0.0,
            highlights=snippets(stored, fields, self.schema, terms) if fields else {},
        )


def _run(searcher, query, flt, limit, **kwargs):
    """Top ``limit`` results and the exact number of matches (Whoosh's own
    collector: used for the empty query, listed newest first).

    Whoosh's own count is unreliable once the top-N heap is full (it prunes
    low-scoring sub-queries and ignores ``filter``), so count the matching
    ids ourselves; that walks posting lists without scoring.
    """
    results = searcher.search(query, filter=flt, limit=limit, **kwargs)
    if results.scored_length() < limit:  # nothing was pruned: all collected
        return results, results.scored_length()
    matches = searcher.docs_for_query(query)
    if flt is None:
        return results, sum(1 for _ in matches)
    allowed = set(searcher.docs_for_query(flt))
    return results, sum(1 for d in matches if d in allowed)


def _now() -> float:
    return time.monotonic()
