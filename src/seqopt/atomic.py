"""Write outputs so that a reader never sees a half-written file or a mixed set.

Three levels, from small to large:

- :func:`atomic_files`: each file is written to a temporary name in its
  folder, then moved into place with :func:`os.replace` (atomic on one file
  system), all of them only once every one is complete.
- :func:`atomic_folder`: a new folder is built under a temporary name and
  renamed into place.
- :func:`hold_output` and :meth:`OutputFolder.replace`: a command's output
  folder (``reports/<model>/``) is held for the whole run, so that a second
  seqopt writing there is refused at once, and its set of files is replaced as
  a whole: the new set is built in a folder beside it (holding copies of the
  files this run does not rewrite) and swapped in. An interrupted or failed
  run leaves the previous complete set untouched, never a mixture of two runs.

The hold is an advisory lock (``flock``) on a small file beside the folder,
``.<name>.lock``: the operating system releases it when the process ends, so
a run that crashed leaves nothing stuck, and the file only says who held it.

Every problem the operating system reports (a read-only folder, a disk that
is full, an output path that is a file or lies under one) becomes an
:class:`~seqopt.errors.OutputError` naming the path and the problem. Files and
folders are created with the permissions the user's umask gives, as any
program's would be.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import datetime as dt
import errno
import os
import re
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from seqopt import interrupt
from seqopt.errors import Issue, Location, OutputError

_WHAT_WENT_WRONG = {
    errno.EACCES: "permission denied: this user may not write there",
    errno.EPERM: "permission denied: this user may not write there",
    errno.EROFS: "it is on a read-only file system",
    errno.ENOSPC: "the disk is full",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EEXIST: "a file of that name is in the way",
    errno.EISDIR: "it is a folder, not a file",
    errno.ENAMETOOLONG: "the name is too long for the file system",
    errno.ENOENT: "a folder on the way to it does not exist",
    getattr(errno, "EDQUOT", -1): "the disk quota is used up",
}


def os_problem(path: Path, error: OSError) -> OutputError:
    """An operating-system error while writing ``path``, as a plain message."""
    problem = _WHAT_WENT_WRONG.get(error.errno or 0, error.strerror or str(error))
    where = Path(error.filename) if isinstance(error.filename, str) else path
    return OutputError(
        [Issue(Location(str(_as_user_sees(where))), f"could not be written: {problem}")]
    )


_STAGING = re.compile(r"\.(.+)\.(new|old)-[^.]+")
_TEMPORARY = re.compile(r"\.(.+)\.[^.]+\.tmp")


def _as_user_sees(path: Path) -> Path:
    """Our temporary names (``.out.new-x1y2/.plan.json.ab12.tmp``) as the outputs they become."""
    parts = []
    for part in path.parts:
        found = _STAGING.fullmatch(part) or _TEMPORARY.fullmatch(part)
        parts.append(found.group(1) if found else part)
    return Path(*parts)


@contextlib.contextmanager
def writing(path: Path) -> Iterator[None]:
    """Turn an :class:`OSError` raised while writing ``path`` into an :class:`OutputError`."""
    try:
        yield
    except OSError as error:
        raise os_problem(path, error) from None


def umask() -> int:
    """The process's umask (read by setting it and putting it back: there is no getter)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _as_umask_allows(path: Path, folder: bool = False) -> None:
    os.chmod(path, (0o777 if folder else 0o666) & ~umask())


def make_folder(path: Path) -> None:
    """Create ``path`` and its parents as needed; an obstacle is an :class:`OutputError`."""
    with writing(path):
        if path.exists() and not path.is_dir():
            raise OutputError([Issue(Location(str(path)), "is a file, not a folder")])
        path.mkdir(parents=True, exist_ok=True)


@contextlib.contextmanager
def atomic_files(targets: Sequence[Path]) -> Iterator[list[Path]]:
    """Yield temporary paths, one per target; they replace the targets only once all are written.

    If anything fails while they are being written, no target is touched.
    """
    temporaries: list[Path] = []
    current = targets[0] if targets else Path()
    try:
        with writing(current):
            for target in targets:
                current = target
                make_folder(target.parent)
                handle, name = tempfile.mkstemp(
                    prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
                )
                os.close(handle)
                temporaries.append(Path(name))
        yield temporaries
        with writing(current):
            for temporary, target in zip(temporaries, targets, strict=True):
                current = target
                _as_umask_allows(temporary)
                os.replace(temporary, target)
    except OSError as error:
        raise os_problem(current, error) from None
    finally:
        for temporary in temporaries:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """Yield a temporary path; on success it replaces ``target``, on error it is removed."""
    with atomic_files([target]) as (temporary,):
        yield temporary


@contextlib.contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """Yield a temporary folder; on success it becomes ``target`` (which must not exist)."""
    make_folder(target.parent)
    with writing(target):
        temporary = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:
        with writing(target):
            _as_umask_allows(temporary, folder=True)
        yield temporary
        with writing(target):
            os.rename(temporary, target)
    except OSError as error:
        raise os_problem(target, error) from None
    finally:
        if temporary.exists():
            shutil.rmtree(temporary, ignore_errors=True)


def write_text(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` atomically, as UTF-8."""
    with atomic_file(target) as temporary:
        temporary.write_text(text, encoding="utf-8")


# -- output folders: held for a run, replaced as a whole ---------------------------------


class OutputFolder:
    """An output folder this process holds (see :func:`hold_output`)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def replace(self, keep: Callable[[Path], bool] = lambda _: True) -> Iterator[Path]:
        """Yield a new folder to write the new set of files into; it then replaces the old one.

        The new folder starts with a copy of every file of the old one that
        ``keep`` accepts (by default all: a solve keeps the simulation written
        beside its plan), so files are written into it by replacing them, as
        :func:`atomic_files` does. When the block raises (an error, Ctrl-C),
        the new folder is removed and the old one is as it was.
        """
        target = self.path
        with writing(target):
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
        try:
            with writing(target):
                _as_umask_allows(staging, folder=True)
                if target.is_dir():
                    for entry in sorted(target.iterdir()):
                        if entry.is_file() and keep(entry):
                            shutil.copy2(entry, staging / entry.name)
            yield staging
            # Ctrl-C during the swap is held back: the folder must end as the old set or the new.
            with interrupt.polled(), writing(target):
                _swap_in(staging, target)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)


def _swap_in(staging: Path, target: Path) -> None:
    """Put ``staging`` where ``target`` is; afterwards ``staging`` holds the old set (if any)."""
    if not target.exists():
        os.rename(staging, target)
        return
    if _exchange(staging, target):
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rmdir(old)
    os.rename(target, old)
    os.rename(staging, target)
    os.rename(old, staging)  # removed by the caller with the rest of the staging folder


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    library = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(library, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_cwd, rename_exchange = -100, 2
    result = renameat2(
        at_cwd, os.fsencode(first), at_cwd, os.fsencode(second), ctypes.c_uint(rename_exchange)
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False  # a file system or kernel without the exchange: two renames instead
    raise OSError(code, os.strerror(code), str(second))


@contextlib.contextmanager
def hold_output(path: Path) -> Iterator[OutputFolder]:
    """Hold the output folder ``path`` for this run; refuse if another seqopt holds it.

    Raises
    ------
    OutputError
        When the folder is held by another running seqopt, is a file, holds
        folders of its own (seqopt replaces it as a whole, so it must be a
        folder for seqopt's outputs), or cannot be created.
    """
    make_folder(path.parent)
    if path.exists() and not path.is_dir():
        raise OutputError([Issue(Location(str(path)), "is a file, not a folder for the outputs")])
    if path.is_dir():
        folders = sorted(p.name for p in path.iterdir() if p.is_dir())
        if folders:
            rule = (
                f"holds folders ({', '.join(folders[:5])}) that seqopt did not write: seqopt "
                "replaces its output folder as a whole, so give it a folder of its own "
                "(--out or output in the model file)"
            )
            raise OutputError([Issue(Location(str(path)), rule)])
    lock = path.parent / f".{path.name}.lock"
    with writing(lock):
        descriptor = _lock(lock, path)
    try:
        _tidy(path)
        yield OutputFolder(path)
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()
        os.close(descriptor)


def _lock(lock: Path, path: Path) -> int:
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here; concurrent runs are not detected
        return os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    while True:
        descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(descriptor, 500).decode("utf-8", "replace").strip()
            os.close(descriptor)
            rule = (
                f"is being written by another seqopt run ({holder or 'process unknown'}): wait "
                "for it to finish, or write elsewhere with --out"
            )
            raise OutputError([Issue(Location(str(path)), rule)]) from None
        # The holder before us may have removed the lock file after we opened it.
        try:
            same = os.path.samestat(os.fstat(descriptor), os.stat(lock))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(descriptor)
    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    who = f"process {os.getpid()} on {socket.gethostname()}, since {started}"
    os.ftruncate(descriptor, 0)
    os.write(descriptor, who.encode())
    return descriptor


def _tidy(path: Path) -> None:
    """Remove what a killed run left beside the folder (only a holder of the lock may)."""
    parent = path.parent
    for leftover in parent.glob(f".{path.name}.old-*"):
        if not path.exists():
            os.rename(leftover, path)  # killed between the two renames of a swap
        else:
            shutil.rmtree(leftover, ignore_errors=True)
    for leftover in parent.glob(f".{path.name}.new-*"):
        shutil.rmtree(leftover, ignore_errors=True)
