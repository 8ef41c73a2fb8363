"""Background audio: checked as decodable before any job runs, then fitted to the film.

A file the user names is probed first (:func:`check_audio`, before the first job: a file
that is not audio is refused in one line, not after every frame is made), then, in the
film job, looped when shorter than the film, cut to its length, faded out over its last
two seconds (a quarter of the film if shorter), and encoded as AAC (:func:`prepare_audio`).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import imageio_ffmpeg

from storyboard.errors import UserError

AUDIO_FADE_SECONDS = 2.0
AUDIO_BITRATE = "160k"
PROBE_TIMEOUT_SECONDS = 120
FORMATS_HINT = "use a WAV, MP3, AAC/M4A, OGG or FLAC file with an audio track"


def check_audio(path: str | os.PathLike) -> Path:
    """``path`` if it is a file whose first audio stream decodes to the end; UserError
    (one line) if it is missing, not audio, or damaged."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"no such audio file: {str(path)!r}; name an existing audio file or"
                        f" leave out --audio")
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error",
               "-xerror", "-i", str(path), "-map", "0:a:0", "-f", "null", "-"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, errors="replace",
                                timeout=PROBE_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise UserError(f"cannot read audio file {str(path)!r}: decoding it took over"
                        f" {PROBE_TIMEOUT_SECONDS} s; {FORMATS_HINT}") from None
    if result.returncode:
        raise UserError(f"cannot read audio file {str(path)!r}: {_reason(result.stderr)};"
                        f" {FORMATS_HINT}")
    return path


def prepare_audio(source: Path, seconds: float, target: Path) -> None:
    """``source`` looped or cut to ``seconds``, faded out at the end, as AAC in ``target``."""
    if not source.is_file():
        raise UserError(f"no such audio file: {str(source)!r}; name an existing audio file"
                        " or leave out the audio")
    fade = min(AUDIO_FADE_SECONDS, seconds / 4)
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-hide_banner", "-nostdin", "-v", "error",
        "-stream_loop", "-1", "-i", str(source), "-map", "0:a:0", "-t", f"{seconds:.6f}",
        "-af", f"afade=t=out:st={max(0.0, seconds - fade):.6f}:d={fade:.6f}",
        "-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ac", "2", str(target),
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, errors="replace",
                                timeout=60 + 2 * seconds)
    except subprocess.TimeoutExpired:
        raise UserError(f"cannot read audio file {str(source)!r}: decoding it did not finish"
                        ) from None
    if result.returncode or not target.is_file() or target.stat().st_size == 0:
        raise UserError(f"cannot read audio file {str(source)!r}: {_reason(result.stderr)};"
                        f" {FORMATS_HINT}")


def _reason(stderr: str) -> str:
    """ffmpeg's last message, without the file name it repeats."""
    if "matches no streams" in stderr:
        return "it has no audio track"
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    if not lines:
        return "unknown error"
    return lines[-1].rsplit(": ", 1)[-1]
