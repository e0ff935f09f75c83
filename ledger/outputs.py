"""Files written for people — exports, reports, images: never onto the ledger or its read
models, and always whole (a temporary file beside the target, flushed, then renamed over it)."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ledger.errors import LedgerError
from ledger.storage import Location

# SQLite keeps a database's uncommitted pages and its WAL index in files beside it.
SIDE_FILES = {"": "", "-wal": "the write-ahead log of ", "-shm": "the shared-memory index of ",
              "-journal": "the rollback journal of "}


class OutputRefused(LedgerError):
    """Raised when an output file would overwrite the ledger, its read models or their side files."""


def ledger_files(location: Location) -> dict[Path, str]:
    """Every file that holds part of a ledger, with what it is (none for PostgreSQL)."""
    if location.kind != "sqlite":
        return {}
    files = {}
    for db, role in ((location.views_path, "read models"), (location.stored_views_path, "read models"),  # type: ignore[attr-defined]
                     (location.path, "event store")):  # type: ignore[attr-defined]
        for side, what in SIDE_FILES.items():
            files[Path(str(db) + side)] = f"{what}the ledger's {role}"
    return files


def check_output(path: str, location: Location, option: str) -> Path:
    """The resolved path to write ``path`` to; refused when it names a ledger file by any
    route: relative, through a symbolic link, or as a hard link to it."""
    target = Path(path).expanduser().resolve()
    for protected, what in ledger_files(location).items():
        same = target == protected.resolve()
        if not same and target.exists() and protected.exists():
            same = os.path.samefile(target, protected)
        if same:
            raise OutputRefused(f"{option} {path}: refused, it would overwrite {what} ({protected}); "
                                "choose another file name")
    return target


@contextmanager
def replacing(path: str, location: Location, option: str) -> Iterator[str]:
    """Yield a temporary path to write the output to; when the writer is done, flush it to
    disk and rename it over ``path``. On any failure the old file stays as it was."""
    target = check_output(path, location, option)
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent)
    except OSError as e:
        raise LedgerError(f"{option} {path}: cannot write there ({e.strerror})") from None
    os.close(fd)
    try:
        os.chmod(temporary, _mode(target))
        yield temporary
        with open(temporary, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)


def write_text(path: str, text: str, location: Location, option: str) -> None:
    with replacing(path, location, option) as temporary:
        Path(temporary).write_text(text, encoding="utf-8")


def _mode(target: Path) -> int:
    """The old file's permissions, or what a plain open() would have given a new one."""
    if target.exists():
        return target.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _sync_folder(folder: Path) -> None:
    # The rename itself survives a crash only once the folder is flushed (not possible everywhere).
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
