"""Write outputs so that a reader never sees a half-written file.

Each file is written to a temporary name in the same folder, then moved into
place with :func:`os.replace`, which is atomic on one file system.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path


@contextlib.contextmanager
def atomic_files(targets: Sequence[Path]) -> Iterator[list[Path]]:
    """Yield temporary paths, one per target; they replace the targets only once all are written.

    If anything fails while they are being written, no target is touched.
    """
    temporaries: list[Path] = []
    try:
        for target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
            )
            os.close(handle)
            temporaries.append(Path(name))
        yield temporaries
        for temporary, target in zip(temporaries, targets, strict=True):
            os.replace(temporary, target)
    finally:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """Yield a temporary path; on success it replaces ``target``, on error it is removed."""
    with atomic_files([target]) as (temporary,):
        yield temporary


@contextlib.contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """Yield a temporary folder; on success it becomes ``target`` (which must not exist)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield temporary
        os.rename(temporary, target)
    finally:
        if temporary.exists():
            shutil.rmtree(temporary)


def write_text(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` atomically, as UTF-8."""
    with atomic_file(target) as temporary:
        temporary.write_text(text, encoding="utf-8")
