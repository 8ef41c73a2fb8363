"""Publishing a finished film: its artifact and its ``.srt`` copied from the store to the
path the user asked for, as a pair.

Both files are written under temporary names beside the target first, then renamed over
the old ones (the old ``.srt`` kept under a backup name until the film is in place, and
put back if the film's rename fails). So when either cannot be written (a full disk, an
immutable or folder ``.srt``, no permission), the previous film and ``.srt`` stay exactly
as they were. An ``.srt`` left by an earlier film goes when this one has no narration.

The temporary names carry the token of a lease (``director.locks``) held while
publishing; the leftovers of a publisher that was killed (its lease is free) are removed
by the next publish to the same name.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from director.artifacts import ArtifactStore
from director.locks import LOCK_SUFFIX, Lease, sweep
from storyboard.errors import UserError
from storyboard.io import file_mode, writable_dir

_PARTS = (".part.mp4", ".part.srt", ".old.srt")


def publish_film(store: ArtifactStore, key: str, output: Path) -> Path:
    """Copy the film artifact ``key`` to ``output`` and its subtitles beside it (``.srt``),
    as a pair; UserError, with both previous files unchanged, if either cannot be
    written."""
    output = Path(output)
    srt = output.with_suffix(".srt")
    subtitles = store.meta(key).get("subtitles")
    try:
        folder = writable_dir(output.parent)
        if srt.is_dir():
            raise IsADirectoryError(21, "it is a folder", str(srt))
        prefix = f".{output.stem}."
        sweep(folder, _token_reader(prefix), prefix)
        lease = Lease(folder, prefix)
        try:
            _publish(store, key, subtitles, output, srt, f"{prefix}{lease.token}")
        finally:
            lease.release()
    except OSError as error:
        where = error.filename or output
        raise UserError(f"cannot write the film to {str(output)!r}"
                        f" ({Path(where).name}: {error.strerror or error}); the previous film"
                        f" and subtitles are unchanged and the new film is kept in the project's"
                        f" store: fix that and run again") from None
    return output


def _publish(store: ArtifactStore, key: str, subtitles: str | None, output: Path, srt: Path,
             stem: str) -> None:
    folder = output.parent
    new_film, new_srt, old_srt = (folder / f"{stem}{part}" for part in _PARTS)
    try:
        _copy(store.file(key, "film.mp4"), new_film)
        if subtitles:
            _copy(store.file(key, subtitles), new_srt)
        had_srt = srt.is_file()
        if had_srt:
            os.link(srt, old_srt)  # the backup, to put back if the film cannot follow
        if subtitles:
            os.replace(new_srt, srt)
        elif had_srt:
            os.unlink(srt)
        try:
            os.replace(new_film, output)
        except OSError:
            if had_srt:
                os.replace(old_srt, srt)
            else:
                srt.unlink(missing_ok=True)
            raise
    finally:
        for path in (new_film, new_srt, old_srt):
            path.unlink(missing_ok=True)


def _copy(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)
    os.chmod(target, file_mode())


def _token_reader(prefix: str) -> Callable[[str], str | None]:
    """The publisher's token in ``<prefix><token><part>``; None for any other name."""
    def token_of(name: str) -> str | None:
        if not name.startswith(prefix):
            return None
        for part in (*_PARTS, LOCK_SUFFIX):
            if name.endswith(part) and len(name) > len(prefix) + len(part):
                return name[len(prefix):-len(part)]
        return None

    return token_of
