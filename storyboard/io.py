"""Reading and writing storyboards as JSON, and the JSON Schema of the format."""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from storyboard.errors import UserError
from storyboard.models import Storyboard
from storyboard.validation import validate


def current_umask() -> int:
    """The process's umask, read from ``/proc`` without setting it: ``os.umask`` can only
    read it by changing it for every thread of the process."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022  # no /proc (not Linux): the usual umask


def file_mode() -> int:
    """The mode a new file gets: 0o666 less the umask."""
    return 0o666 & ~current_umask()


def folder_mode() -> int:
    """The mode a new folder gets: 0o777 less the umask."""
    return 0o777 & ~current_umask()


@contextmanager
def atomic_path(target: str | os.PathLike):
    """Yield a temporary path beside ``target``; rename it onto ``target`` only if the
    block succeeds, so a half-written file never replaces a good one."""
    target = Path(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".part{target.suffix}",
                                   dir=target.parent)
    except OSError as error:
        raise UserError(f"cannot write {str(target)!r}: {error.strerror or error}") from None
    os.close(fd)
    os.chmod(tmp, file_mode())  # mkstemp makes 0600; give the usual permissions
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write_text(target: str | os.PathLike, text: str) -> Path:
    """Write text to ``target`` atomically (temporary name, then rename); UserError when
    it cannot be written."""
    try:
        with atomic_path(target) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UserError(f"cannot write {str(target)!r}: {error.strerror or error}") from None
    return Path(target)


def writable_dir(path: str | os.PathLike) -> Path:
    """Create ``path`` if needed and check it can be written, or raise a UserError."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create folder {str(path)!r}: {error.strerror}") from None
    if not os.access(path, os.W_OK):
        raise UserError(f"cannot write to folder {str(path)!r}: permission denied")
    return path


def check_creatable_dir(path: str | os.PathLike) -> Path:
    """Check that ``path`` is, or could be made, a folder this process can write, without
    creating anything (so a command that fails later leaves no empty folder); UserError
    if not."""
    path = Path(path)
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UserError(f"cannot create folder {str(path)!r}: {str(existing)!r} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        what = "write to" if existing == path else "create"
        raise UserError(f"cannot {what} folder {str(path)!r}: permission denied")
    return path


def to_json(storyboard: Storyboard) -> str:
    """The storyboard as indented JSON, field order as in the models."""
    return storyboard.model_dump_json(indent=2) + "\n"


def save(storyboard: Storyboard, path: str | os.PathLike) -> Path:
    """Save the storyboard as JSON, atomically; the folder is created if needed."""
    path = Path(path)
    writable_dir(path.parent if str(path.parent) else ".")
    if path.is_dir():
        raise UserError(f"cannot save the storyboard as {str(path)!r}: it is a folder;"
                        f" name a file inside it, e.g. {str(path / 'storyboard.json')!r}")
    return atomic_write_text(path, to_json(storyboard))


def read_json(path: str | os.PathLike) -> Any:
    """Parsed JSON from a file, or a UserError saying what is wrong and where."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a BOM, as some editors write, is fine
    except FileNotFoundError:
        raise UserError(f"no such file: {str(path)!r}") from None
    except IsADirectoryError:
        raise UserError(f"{str(path)!r} is a folder, not a storyboard JSON file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"cannot read {str(path)!r}: {error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UserError(
            f"{str(path)!r} is not valid JSON: {error.msg} at line {error.lineno},"
            f" column {error.colno}"
        ) from None


def load(path: str | os.PathLike) -> Storyboard:
    """Load and validate a storyboard; StoryboardError lists every problem with its path."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise UserError(f"{str(path)!r} holds JSON {type(data).__name__}, not a storyboard object")
    return validate(data, source=str(path))


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the storyboard format."""
    schema = Storyboard.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
