"""Publishing a finished film: its artifact (and its ``.srt``) copied from the store to
the path the user asked for, atomically."""

from __future__ import annotations

import shutil
from pathlib import Path

from director.artifacts import ArtifactStore
from storyboard.errors import UserError
from storyboard.io import atomic_path, writable_dir


def publish_film(store: ArtifactStore, key: str, output: Path) -> Path:
    """Copy the film artifact ``key`` and its subtitles to ``output``, atomically; an
    ``.srt`` left there by an earlier film is removed when this one has no narration."""
    srt = output.with_suffix(".srt")
    try:
        writable_dir(output.parent)
        with atomic_path(output) as tmp:
            shutil.copyfile(store.file(key, "film.mp4"), tmp)
        subtitles = store.meta(key).get("subtitles")
        if subtitles:
            with atomic_path(srt) as tmp:
                shutil.copyfile(store.file(key, subtitles), tmp)
        else:
            srt.unlink(missing_ok=True)
    except OSError as error:
        raise UserError(f"cannot write the film to {str(output)!r}: {error.strerror or error};"
                        f" it is kept in the project's store") from None
    return output
