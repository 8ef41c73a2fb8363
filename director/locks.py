"""Locks that the OS releases when their process dies (``flock``): a project's render lock,
and the leases that tell a live writer's unfinished files from a dead writer's litter.

A :class:`Lease` is a lock file ``<folder>/<prefix><token>.lock`` held by one writer; the
temporary files it writes carry its token in their names. While the writer lives its lock
is held; once it is gone (finished, crashed or killed with SIGKILL) the lock is free, and
:func:`sweep` removes the files of that token: no age threshold, so a slow writer is never
robbed and a dead one's litter never waits an hour.

:class:`FolderLock` is one exclusive lock per folder (``<folder>/.lock``), re-entrant in
the thread that holds it: ``with Project(dir).lock(): ...`` (director.project) makes a
second render of the project refuse with one line (or wait, with ``wait=True``).
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from storyboard.errors import UserError
from storyboard.io import file_mode

LOCK_SUFFIX = ".lock"


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _open_lock(path: Path) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, file_mode())
    return fd


def is_held(path: Path) -> bool:
    """Whether some live process holds the lock file ``path`` (False when it is missing)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        return not _try_lock(fd)
    finally:
        os.close(fd)  # closing releases the lock taken to test it


class Lease:
    """A writer's lock file in ``folder``, held from creation until :meth:`release` or the
    process's end; ``token`` goes into the names of the files it writes there."""

    def __init__(self, folder: str | os.PathLike, prefix: str = "") -> None:
        self.folder, self.prefix = Path(folder), prefix
        while True:
            self.token = f"w{os.getpid()}-{secrets.token_hex(4)}"
            self.path = self.folder / f"{prefix}{self.token}{LOCK_SUFFIX}"
            self._fd = _open_lock(self.path)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:  # a sweeper may have removed the file between open and flock: retry
                if os.stat(self.path).st_ino == os.fstat(self._fd).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(self._fd)

    def release(self) -> None:
        """Remove the lock file and let the lock go (the writer's files are its own to
        remove first)."""
        if self._fd >= 0:
            self.path.unlink(missing_ok=True)
            os.close(self._fd)
            self._fd = -1


_shared: dict[tuple[int, str], list] = {}
_shared_lock = threading.Lock()


@contextmanager
def leased(folder: str | os.PathLike) -> Iterator[Lease]:
    """This process's lease in ``folder`` for the block: shared by the threads writing
    there at once, released when the last of them is done (so an idle folder holds no
    lock file)."""
    key = (os.getpid(), os.path.realpath(folder))
    with _shared_lock:
        entry = _shared.get(key)
        if entry is None:
            entry = _shared[key] = [Lease(folder), 0]
        entry[1] += 1
    try:
        yield entry[0]
    finally:
        with _shared_lock:
            entry[1] -= 1
            if entry[1] == 0:
                entry[0].release()
                del _shared[key]


def sweep(folder: str | os.PathLike, token_of: Callable[[str], str | None],
          prefix: str = "") -> int:
    """Remove the entries of ``folder`` whose writer is gone; returns how many.

    ``token_of(name)`` gives the writer token in an entry's name (None: not a writer's
    file, left alone); an entry goes when ``<prefix><token>.lock`` is not held. Lock files
    of gone writers go too."""
    folder = Path(folder)
    removed = 0
    try:
        entries = sorted(os.listdir(folder))
    except FileNotFoundError:
        return 0
    locks = [n for n in entries if n.startswith(prefix) and n.endswith(LOCK_SUFFIX)]
    live = {n[len(prefix):-len(LOCK_SUFFIX)] for n in locks if is_held(folder / n)}
    for name in entries:
        if name in locks:
            continue
        token = token_of(name)
        if token is None or token in live:
            continue
        path = folder / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed += 1
    for name in locks:
        if name[len(prefix):-len(LOCK_SUFFIX)] not in live:
            _remove_free_lock(folder / name)
    return removed


def _remove_free_lock(path: Path) -> None:
    """Unlink a lock file while holding it, so a writer that opened it meanwhile sees its
    file gone and makes a new one."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        if _try_lock(fd):
            path.unlink(missing_ok=True)
    finally:
        os.close(fd)


def token_at_start(name: str) -> str:
    """The writer token of a name ``<token>.<anything>`` (how the store names its writes;
    a name from before leases has no live token, so it counts as litter)."""
    return name.split(".", 1)[0]


class FolderLock:
    """An exclusive lock on a folder (``<folder>/.lock``), re-entrant in the holding
    thread; the lock file keeps the holder's pid for the message of whoever is refused."""

    _registry: dict[str, FolderLock] = {}
    _registry_lock = threading.Lock()

    def __new__(cls, folder: str | os.PathLike) -> FolderLock:
        key = os.path.realpath(folder)
        with cls._registry_lock:
            lock = cls._registry.get(key)
            if lock is None or lock._pid != os.getpid():
                lock = super().__new__(cls)
                lock._init(Path(folder))
                cls._registry[key] = lock
            return lock

    def _init(self, folder: Path) -> None:
        self.folder, self.path = folder, folder / ".lock"
        self._pid = os.getpid()
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd = -1

    @contextmanager
    def hold(self, what: str, *, wait: bool = False) -> Iterator[None]:
        """Hold the lock for the block; UserError naming ``what`` holds it when another
        process (or thread) does and ``wait`` is False, else wait for it."""
        if not self._thread_lock.acquire(blocking=wait):
            raise UserError(self._busy(what, os.getpid()))
        try:
            if self._depth == 0:
                self._acquire(what, wait)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    os.close(self._fd)  # releases the flock
                    self._fd = -1
        finally:
            self._thread_lock.release()

    def _acquire(self, what: str, wait: bool) -> None:
        fd = _open_lock(self.path)
        try:
            if wait:
                fcntl.flock(fd, fcntl.LOCK_EX)
            elif not _try_lock(fd):
                raise UserError(self._busy(what, self._holder(fd)))
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def _holder(self, fd: int) -> int | None:
        try:
            return int(os.pread(fd, 32, 0).decode().strip())
        except ValueError:
            return None

    def _busy(self, what: str, pid: int | None) -> str:
        who = f" (process {pid})" if pid else ""
        return (f"{what} {str(self.folder)!r} is busy: another render is running{who}; wait"
                f" for it to finish, or use another --project")
