"""Whoosh's multi-process writer, made safe to kill and to cancel (Linux, fork).

Child processes analyse documents and write their own segments while the parent feeds
them.  Whoosh's version leaves its children blocked for ever if the parent dies or
cancels, holding the inherited write locks; here they die with the parent
(``PR_SET_PDEATHSIG``), are killed on cancel, are daemons (so an exiting parent never
waits for them), and close the lock files they inherited.  Imported only when a batch
is big enough to use it, since ``multiprocessing`` and ``ctypes`` cost import time.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import pickle
import signal
from typing import Any

from whoosh import multiproc
from whoosh import writing as wwriting

from . import _unpickle
from ._writer import SegmentWriter
from .schema import build_schema

__all__ = ["MpWriter"]

_unpickle.install()  # now that whoosh.multiproc is loaded too

_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when its parent exits, however it exits."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _close_inherited(paths: list[str]) -> None:
    """Close this process's copies of descriptors open on ``paths`` (the write locks).

    A lock taken with ``flock`` lasts while any copy of its descriptor is open, and a
    forked child holds copies; closing them here keeps the locks the parent's alone.
    """
    targets = {os.path.realpath(p) for p in paths}
    with contextlib.suppress(OSError):
        for name in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):
                if os.path.realpath(f"/proc/self/fd/{name}") in targets:
                    os.close(int(name))


class _Task(multiproc.SubWriterTask):  # type: ignore[misc]
    """Whoosh's sub-writer process, tied to its parent and started by fork."""

    @staticmethod
    def _Popen(process_obj: Any) -> Any:  # noqa: N802 (multiprocessing's name)
        from multiprocessing.popen_fork import Popen

        return Popen(process_obj)

    def __init__(self, *args: Any, parent: int, locks: list[str]) -> None:
        super().__init__(*args)
        self._parent = parent
        self._locks = locks
        self.daemon = True

    def run(self) -> None:
        # Ctrl-C reaches the whole process group: the parent answers it (it cancels and
        # kills this process), so this one does not also stop with a traceback.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _die_with_parent(self._parent)
        _close_inherited(self._locks)
        # SubWriterTask builds a whoosh.writing.SegmentWriter by name; in this child
        # process only, make that name ours.
        multiproc.SegmentWriter = SegmentWriter
        # And open the index with searchkit's schema, never the one pickled in it.
        storage = self.storage
        opener = functools.partial(type(storage).open_index, storage, schema=build_schema())
        storage.open_index = opener
        super().run()

    def _process_file(self, job: bytes, doc_count: int) -> None:
        # Whoosh names a job file here; ours is the job itself, one pickled list of field
        # dicts, come through the queue's pipe from the parent (see MpWriter._enqueue).
        for fields in pickle.loads(job):
            self.writer.add_document(**fields)


class MpWriter(multiproc.MpWriter, SegmentWriter):  # type: ignore[misc]
    """Whoosh's multi-process writer, with searchkit's writer in the parent and children."""

    docbuffer: list[tuple[int, dict[str, Any]]]  # Whoosh's: (0, fields) per document

    def __init__(self, ix: Any, *, lock_path: str | None, **kwargs: Any) -> None:
        if not kwargs.get("multisegment"):
            # Whoosh merges its children's pools into one segment; ours keep postings in
            # memory, not in their pools, so only multisegment writing works.
            raise ValueError("searchkit's MpWriter writes one segment per process")
        # Whoosh's MpWriter initialises Whoosh's SegmentWriter by name, not ours.
        multiproc.MpWriter.__init__(self, ix, **kwargs)
        self._init_inverted(kwargs.get("limitmb", 128))
        # Whoosh's own lock on the index, and searchkit's around it.
        folder = getattr(ix.storage, "folder", None)
        self._locks = [os.path.join(folder, f"{ix.indexname}_WRITELOCK")] if folder else []
        if lock_path:
            self._locks.append(lock_path)

    def _new_task(self) -> _Task:
        task = _Task(
            self.storage,
            self.indexname,
            self.jobqueue,
            self.resultqueue,
            self.subargs,
            self.multisegment,
            parent=os.getpid(),
            locks=self._locks,
        )
        self.tasks.append(task)
        task.start()
        return task

    def _enqueue(self) -> None:
        # Whoosh pickles each document on its own with protocol 2 into a job file in the
        # index's folder and sends its name; one list pickled with the newest protocol
        # takes half the time to write and a third to read back, and sent through the
        # queue's pipe, which only this process and its children hold, it is never a file
        # that someone who may write in the index's folder could swap before a child reads
        # it (so a child unpickles it as it is, without the scan a file would need).
        job = pickle.dumps([fields for _code, fields in self.docbuffer], pickle.HIGHEST_PROTOCOL)
        if len(self.tasks) < self.procs:
            self._new_task()
        self.jobqueue.put((job, len(self.docbuffer)))
        self.docbuffer = []

    def commit(self, mergetype: Any = None, optimize: Any = None, merge: Any = None) -> None:
        buffered = self.docbuffer
        if not self.tasks and buffered:
            # Fewer documents than one job (``batchsize``): a child process would cost
            # more than it saves, so index them here, as a one-process writer would.
            self.docbuffer = []
            for _code, fields in buffered:
                SegmentWriter.add_document(self, **fields)
            self._added_sub = False
        super().commit(mergetype=mergetype, optimize=optimize, merge=merge)

    def cancel(self) -> None:
        # Whoosh's cancel only flips a flag in this process's copy of each task.
        try:
            for task in self.tasks:
                if task.is_alive():
                    task.kill()
                task.join()
        finally:
            # Jobs no task will read may fill the queue's pipe: its feeder thread would
            # then block, and this process wait for it for ever as it exits.
            self.jobqueue.cancel_join_thread()
            wwriting.SegmentWriter.cancel(self)
