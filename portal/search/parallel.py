"""Rebuilding fast: Whoosh's writers with cached field lengths, and with several
processes (MpWriter, made safe to fail).

Field lengths: when a segment's postings are written, Whoosh looks up the length
of the posting's field in its document for every single posting, reading it back
from the lengths file it has just written (a seek and a read each: about a third
of the whole commit). :class:`FastSegmentWriter` reads each length column once
into a list instead. (A full rebuild now writes through its subclass
:class:`.writer.DirectSegmentWriter`, which keeps the lengths itself; the base class
stays for anything written through Whoosh's pool.)

Why: analysis (jieba) and posting writing are pure Python, so one process uses
one core; with ``multisegment`` each sub-process writes its own segment (with
:class:`.writer.DirectSegmentWriter`) and no
merge step runs at the end. Whoosh's own MpWriter has three flaws this subclass
fixes:

* ``cancel()`` only flags the parent's copies of the task objects, so the
  sub-processes wait for jobs forever (and the parent hangs at exit joining
  them): here cancel sends each a "cancel" job and joins it;
* a sub-process that died is silently left out of the commit (its documents
  lost): here the commit fails instead, and the rebuild keeps the old index;
* when the parent is killed the sub-processes are orphaned, blocked on the
  queue: here they poll for their parent and exit.
"""
from __future__ import annotations

import os
import queue

from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import SegmentWriter

_CANCEL = "cancel"


class _CachedLengths:
    """A per-document reader whose ``doc_field_length`` answers from lists."""

    def __init__(self, reader):
        self._reader = reader
        self._columns: dict[str, list[int]] = {}

    def doc_field_length(self, docnum, fieldname, default=0):
        column = self._columns.get(fieldname)
        if column is None:
            read = self._reader.doc_field_length
            column = [read(d, fieldname, default) for d in range(self._reader.doc_count_all())]
            self._columns[fieldname] = column
        return column[docnum]

    def __getattr__(self, name):
        return getattr(self._reader, name)


class FastSegmentWriter(SegmentWriter):
    """A SegmentWriter whose final posting pass reads field lengths from memory."""

    def _flush_segment(self):
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        postings = self.pool.iter_postings()
        self.fieldwriter.add_postings(self.schema, _CachedLengths(pdr) if pdr else None, postings)
        self.fieldwriter.close()
        if pdr:
            pdr.close()


class _Task(SubWriterTask):
    def __init__(self, *args, schema=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.daemon = True
        self.schema = schema
        self.parent_pid = os.getpid()

    def run(self):
        import gc

        from .writer import DirectSegmentWriter

        gc.disable()  # see writer.gc_paused; this process ends with the rebuild

        ix = self.storage.open_index(self.indexname, schema=self.schema)
        writer = self.writer = DirectSegmentWriter(ix, _lk=False, **self.kwargs)
        while True:
            try:
                job = self.jobqueue.get(timeout=1.0)
            except queue.Empty:
                if os.getppid() != self.parent_pid:  # the parent died: nobody will commit
                    writer.cancel()
                    os._exit(1)
                continue
            if job is None:
                break
            if job == _CANCEL:
                writer.cancel()
                return
            self._process_file(*job)
        fieldnames = writer.pool.fieldnames
        segment = writer._finalize_segment()
        self.resultqueue.put((None, fieldnames, segment), timeout=30)


class ParallelWriter(MpWriter):
    """``MpWriter(multisegment=True)`` with safe cancel, failure and parent death."""

    def __init__(self, ix, procs: int, batchsize: int = 250, **kwargs):
        super().__init__(ix, procs=procs, batchsize=batchsize, multisegment=True, **kwargs)

    def _new_task(self):
        task = _Task(self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs,
                     True, schema=self.schema)
        self.tasks.append(task)
        task.start()
        return task

    def cancel(self):
        try:
            for _ in self.tasks:
                self.jobqueue.put(_CANCEL)
            for task in self.tasks:
                task.join(60)
                if task.is_alive():
                    task.terminate()
        finally:
            SegmentWriter.cancel(self)

    def _commit(self, mergetype, optimize, merge):
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self.jobqueue.put(None)
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        results = []
        while len(results) < len(self.tasks):  # read before join: a full pipe blocks a child's exit
            try:
                results.append(self.resultqueue.get(timeout=1.0))
            except queue.Empty:
                if not any(t.is_alive() for t in self.tasks):
                    try:  # the last result may have landed just as its writer exited
                        results.append(self.resultqueue.get(timeout=1.0))
                    except queue.Empty:
                        break
        for task in self.tasks:
            task.join()
        failed = [t.exitcode for t in self.tasks if t.exitcode != 0]
        if failed or len(results) != len(self.tasks):
            SegmentWriter.cancel(self)
            raise RuntimeError(f"an index writer process failed (exit codes {failed}); nothing was committed")
        finalsegments += [segment for _run, _fields, segment in results]
        if self._added:
            finalsegments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(finalsegments)
        self._finish()
