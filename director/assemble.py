"""The film: the shots' segments joined by their transitions, a title card, burned-in
subtitles, an ``.srt`` beside it and optional background audio, in H.264.

How: a shot job writes its clip as segments (``director.segments``): ``head`` and
``tail``, the frames that a transition composites, and ``body``, the frames that need
nothing, its subtitle already burned in. Only the title card and the transitions are
made here: the head and tail frames are decoded, faded and blended in numpy, the
subtitle cue laid over them, and encoded with the same settings as every segment
(``director.video.write_clip``). Then ffmpeg's concat demuxer joins title card,
transitions and bodies in order with ``-c copy``: a frame that needs no compositing is
encoded once, by its shot job, and never decoded here. Identical encoder settings (and no
B-frames) make the copy valid; the film is read back and decoded in full to prove it
(exact frame count, no decoder message) before it replaces anything.

Transitions, into each shot (frames from ``storyboard.timing``):

- ``cut``: the shot follows the one before.
- ``crossfade`` over n frames: the two shots overlap by n frames, blended linearly.
- ``fade`` over n frames: the shot before fades to black over its last n // 2 frames,
  this one fades in over its first n - n // 2; the frame count does not change.
- The first shot's ``fade`` or ``crossfade`` is a fade in from black over its first n
  frames.

Subtitles: each shot's narration, wrapped, white on a dark box at the bottom
(``director.subtitles``). A cue runs over its shot's frames; where two shots crossfade, the
cue changes at the middle of the overlap. The same cues go to an ``.srt`` beside the film
(title card included in the times); an old ``.srt`` there is removed when the new film has
no narration.

Audio: a file the user names is looped when shorter than the film, cut to the film's
length, faded out over its last two seconds (a quarter of the film if shorter), and
encoded as AAC. Without one the film has no audio track.

The film is written to a temporary name and renamed once its frame count has been read
back and checked, so a failed assembly never replaces a good film.
"""

from __future__ import annotations

import contextlib
import errno
import os
import queue
import re
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from PIL import Image, ImageDraw

from director.audio import prepare_audio
from director.segments import SegmentLengths, ShotSegments, segment_lengths
from director.subtitles import Overlay, cue_text, subtitle_overlay
from director.video import write_clip
from storyboard.errors import UserError
from storyboard.fonts import font, wrap_text
from storyboard.io import atomic_path, atomic_write_text, writable_dir
from storyboard.models import Storyboard
from storyboard.timing import ShotTiming, round_frames, timeline

TITLE_SECONDS = 2.0
ENCODE_WORKERS = 2
"""Transitions encoded at once (each is a decoder or two, Python and an encoder: two
overlap ffmpeg's start-up on a 2-core machine)."""
CHECK_WORKERS = 4
"""Bodies checked at once (an ffmpeg reading packet headers: mostly start-up)."""


@dataclass(frozen=True)
class FilmInfo:
    """What was written: frame count (read back from the file), length, side files."""

    output: Path
    frames: int
    seconds: float
    fps: int
    width: int
    height: int
    title_frames: int
    subtitles: Path | None
    audio: bool


@dataclass(frozen=True)
class Cue:
    """One subtitle: film frames [start, end) and its text."""

    start: int
    end: int
    text: str


# -- timing: fades and subtitle cues ------------------------------------------

def title_frame_count(storyboard: Storyboard, title: bool = True,
                      seconds: float = TITLE_SECONDS) -> int:
    """Frames of the title card (0 without one)."""
    return round_frames(seconds, storyboard.format.fps) if title else 0


def subtitle_cues(storyboard: Storyboard, offset: int = 0) -> list[Cue]:
    """Each narrated shot's cue in film frames (``offset``: frames before the first shot)."""
    spans = timeline(storyboard)
    shots = [shot for _, shot in storyboard.iter_shots()]
    cues = []
    for i, (span, shot) in enumerate(zip(spans, shots, strict=True)):
        start = span.start
        if i > 0 and span.transition == "crossfade":
            start += span.transition_frames // 2
        end = span.end
        after = spans[i + 1] if i + 1 < len(spans) else None
        if after and after.transition == "crossfade":
            end = after.start + after.transition_frames // 2
        text = cue_text(shot.narration)
        if text and end > start:
            cues.append(Cue(start + offset, end + offset, text))
    return cues


def srt_text(cues: Sequence[Cue], fps: int) -> str:
    """Cues as SubRip text."""
    def stamp(frame: int) -> str:
        ms = round(frame * 1000 / fps)
        hours, minutes, secs = ms // 3_600_000, ms // 60_000 % 60, ms // 1000 % 60
        return f"{hours:02d}:{minutes:02d}:{secs:02d},{ms % 1000:03d}"

    blocks = [f"{i}\n{stamp(c.start)} --> {stamp(c.end)}\n{c.text}\n"
              for i, c in enumerate(cues, 1)]
    return "\n".join(blocks)



# -- the plan: which stretches of the film are copied, which are composited --------------

@dataclass(frozen=True)
class Piece:
    """A stretch of the film, in shot frames [start, end) (title card not counted): a
    shot's body, copied, or frames composited here (with the title card before them when
    ``title``)."""

    start: int
    end: int
    body_of: int | None = None
    """the index of the shot whose body it is; None for composited frames"""
    title: bool = False


def film_pieces(spans: Sequence[ShotTiming], lengths: Sequence[SegmentLengths],
                title_frames: int = 0) -> list[Piece]:
    """The film in order: each shot's body, and the composited frames between them."""
    pieces: list[Piece] = []
    cursor = 0
    for i, (span, length) in enumerate(zip(spans, lengths, strict=True)):
        if length.body == 0:
            continue
        body_start = span.start + length.head
        if body_start > cursor:
            pieces.append(Piece(cursor, body_start))
        pieces.append(Piece(body_start, body_start + length.body, i))
        cursor = body_start + length.body
    total = spans[-1].end if spans else 0
    if total > cursor:
        pieces.append(Piece(cursor, total))
    if title_frames:
        if pieces and pieces[0].body_of is None:
            pieces[0] = Piece(pieces[0].start, pieces[0].end, None, True)
        else:
            pieces.insert(0, Piece(0, 0, None, True))
    return pieces


# -- the title card --------------------------------------------------------------------

def title_card(title: str, logline: str, width: int, height: int) -> np.ndarray:
    """The title (bold) and logline (grey, wrapped) centred on black, as RGB."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    big, small = font(round(height * 0.085), "bold"), font(round(height * 0.042))
    lines = [(line, big, (255, 255, 255)) for line in wrap_text(title, big, width * 0.86)]
    if logline:
        lines.append(("", small, (0, 0, 0)))
        grey = (196, 196, 196)
        lines += [(line, small, grey) for line in wrap_text(logline, small, width * 0.74)]
    heights = [face.size * 1.3 for _, face, _ in lines]
    y = (height - sum(heights)) / 2
    for (line, face, colour), h in zip(lines, heights, strict=True):
        draw.text(((width - face.getlength(line)) / 2, y), line, font=face, fill=colour)
        y += h
    return np.array(image)


# -- reading head and tail segments ---------------------------------------------------

_END = object()


class _SegmentReader:
    """A head or tail segment's RGB frames, decoded ahead in a thread (one decoder thread
    each: cheaper than ffmpeg's frame threads for a few frames), with their count and
    size checked against the timeline."""

    def __init__(self, path: Path | None, what: str, frames: int, width: int,
                 height: int) -> None:
        self.what, self.frames, self.size = what, frames, (width, height)
        if path is None or not Path(path).is_file():
            raise UserError(f"the {what} is missing: {str(path)!r}; render the shot again")
        self.path = Path(path)
        self.read = 0
        self._queue: queue.Queue = queue.Queue(maxsize=24)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._decode, daemon=True)
        self._thread.start()

    def _decode(self) -> None:
        frames = None
        try:
            frames = imageio_ffmpeg.read_frames(str(self.path), pix_fmt="rgb24",
                                                input_params=["-threads", "1"])
            self._put(("meta", next(frames)))
            for raw in frames:
                if not self._put(raw):
                    return
            self._put(_END)
        except Exception as error:  # handed to the reading thread
            self._put(("error", error))
        finally:
            if frames is not None:
                frames.close()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _get(self):
        item = self._queue.get()
        if isinstance(item, tuple) and item[0] == "error":
            self.close()
            raise UserError(f"cannot read the {self.what} ({str(self.path)!r}):"
                            f" {_last_line(item[1])}; render the shot again")
        if isinstance(item, tuple) and item[0] == "meta":
            if tuple(item[1]["size"]) != self.size:
                self.close()
                w, h = item[1]["size"]
                raise UserError(f"the {self.what} is {w}x{h}, but the film is"
                                f" {self.size[0]}x{self.size[1]}: render the shot again")
            return self._get()
        return item

    def next(self) -> np.ndarray:
        item = self._get()
        if item is _END:
            self._mismatch(self.read)
        self.read += 1
        w, h = self.size
        return np.frombuffer(item, np.uint8).reshape(h, w, 3)

    def finish(self) -> None:
        """Check that no frame is left over, and stop the decoder."""
        extra = self._get()
        self.close()
        if extra is not _END:
            self._mismatch(encoded_frames(self.path))

    def close(self) -> None:
        self._stop.set()

    def _mismatch(self, found: int) -> None:
        self.close()
        raise UserError(f"the {self.what} ({str(self.path)!r}) has {found} frames, but the"
                        f" storyboard's timing gives it {self.frames}: render the shot again")



def encoded_frames(path: str | os.PathLike) -> int:
    """Frames of the first video stream, counted from its packets (no decoding)."""
    result = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path),
         "-map", "0:v:0", "-c", "copy", "-f", "null", "-"],
        capture_output=True, text=True, errors="replace", timeout=120)
    counts = re.findall(r"frame=\s*(\d+)", result.stderr)
    if result.returncode or not counts:
        raise UserError(f"cannot read video {str(path)!r}: {_last_line(result.stderr)}")
    return int(counts[-1])


def _last_line(error: object) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else "unknown error"


# -- composited frames ------------------------------------------------------------------

class _Compositor:
    """Makes the composited pieces of one film: title card, fades, crossfades, cues."""

    def __init__(self, storyboard: Storyboard, shots: Sequence[ShotSegments],
                 spans: Sequence[ShotTiming], lengths: Sequence[SegmentLengths],
                 title_frames: int) -> None:
        fmt = storyboard.format
        self.width, self.height = fmt.width, fmt.height
        self.storyboard, self.shots, self.spans, self.lengths = storyboard, shots, spans, lengths
        self.title_frames = title_frames
        cues = subtitle_cues(storyboard)
        self.cue_at = _cue_index(cues, spans[-1].end if spans else 0)
        self.overlays: dict[int, Overlay] = {}
        self._lock = threading.Lock()

    def _overlay(self, cue: Cue) -> Overlay:
        with self._lock:
            if cue.start not in self.overlays:
                self.overlays[cue.start] = subtitle_overlay(cue.text, self.width, self.height)
            return self.overlays[cue.start]

    def _title(self) -> Iterator[np.ndarray]:
        sb, n = self.storyboard, self.title_frames
        card = title_card(sb.title, sb.logline, self.width, self.height)
        ramp = max(1, min(round(0.5 * sb.format.fps), n // 4))
        for k in range(n):
            level = min(1.0, (k + 1) / ramp, (n - k) / ramp)
            yield card if level >= 1 else _to_uint8(card * np.float32(level))

    def _open_readers(self, piece: Piece,
                      readers: dict[tuple[int, str], _SegmentReader]) -> None:
        """Open readers of the head and tail segments whose frames fall in ``piece``, into
        ``readers`` one by one (so the caller can close those opened if one fails)."""
        for i, (span, length) in enumerate(zip(self.spans, self.lengths, strict=True)):
            for name, first, count in (("head", span.start, length.head),
                                       ("tail", span.end - length.tail, length.tail)):
                if count and first < piece.end and first + count > piece.start:
                    readers[i, name] = _SegmentReader(
                        self.shots[i].get(name), f"{name} of shot {span.shot_id!r}", count,
                        self.width, self.height)

    def frames(self, piece: Piece) -> Iterator[np.ndarray]:
        """The RGB frames of a composited piece, in order."""
        if piece.title:
            yield from self._title()
        if piece.end == piece.start:
            return
        readers: dict[tuple[int, str], _SegmentReader] = {}
        try:
            self._open_readers(piece, readers)
            for g in range(piece.start, piece.end):
                frame = self._compose(g, readers)
                cue = self.cue_at[g]
                yield self._overlay(cue).apply(frame) if cue else frame
            for reader in readers.values():
                reader.finish()
        finally:
            for reader in readers.values():
                reader.close()

    def _compose(self, g: int, readers: dict[tuple[int, str], _SegmentReader]) -> np.ndarray:
        """Film frame ``g`` from the shots on screen: faded, then crossfaded in shot order."""
        result: np.ndarray | None = None
        for i, span in enumerate(self.spans):
            if not span.start <= g < span.end:
                continue
            k = g - span.start
            length, fade_in, fade_out = self.lengths[i], span.fade_in, span.fade_out
            name = "head" if k < length.head else "tail"
            if length.head <= k < length.head + length.body:  # pragma: no cover
                raise RuntimeError(f"film frame {g} is in the body of shot {span.shot_id!r}")
            frame = readers[i, name].next()
            level = 1.0
            if k < fade_in:
                level = (k + 1) / fade_in
            if span.frames - k <= fade_out:
                level = min(level, (span.frames - k - 1) / fade_out)
            picture = frame if level >= 1 else frame * np.float32(level)
            if result is None:
                result = picture
            else:
                w = np.float32((k + 1) / (span.transition_frames + 1))
                result = result * (1 - w) + picture * w
        if result is None:  # pragma: no cover - the timeline leaves no gaps
            raise RuntimeError(f"no shot on screen at film frame {g}")
        return result if result.dtype == np.uint8 else _to_uint8(result)


def _cue_index(cues: Sequence[Cue], frames: int) -> list[Cue | None]:
    index: list[Cue | None] = [None] * frames
    for cue in cues:
        index[cue.start:cue.end] = [cue] * (cue.end - cue.start)
    return index


def _to_uint8(buffer: np.ndarray) -> np.ndarray:
    return np.clip(buffer + 0.5, 0, 255).astype(np.uint8)


# -- the film --------------------------------------------------------------------------

def assemble_film(storyboard: Storyboard, shots: Sequence[ShotSegments], output: Path, *,
                  title: bool = True, audio: Path | None = None,
                  title_seconds: float = TITLE_SECONDS) -> FilmInfo:
    """Join the shots' segments into the film at ``output``.

    ``shots``: one :class:`~director.segments.ShotSegments` per shot, in film order, as
    its shot job wrote them (``director.segments.write_shot_segments``): head, body and
    tail with exactly the frames of ``segment_lengths(timeline(storyboard))``, the body's
    subtitle burned in, every file encoded by ``director.video.write_clip``. Adds the
    transitions, an optional title card (``title``, ``title_seconds`` long), the subtitles
    of composited frames and an ``.srt`` beside the film, and optional background
    ``audio`` (a file). Raises UserError, naming the shot, for a segment that is missing,
    unreadable, or of the wrong size or length; the previous film at ``output`` is then
    left as it was."""
    output = Path(output)
    folder = writable_dir(output.parent if str(output.parent) else ".")
    fps = storyboard.format.fps
    spans = timeline(storyboard)
    if len(shots) != len(spans):
        raise ValueError(f"segments of {len(shots)} shots given for {len(spans)} shots")
    lengths = segment_lengths(spans)
    for span, length, segments in zip(spans, lengths, shots, strict=True):
        for name in ("head", "body", "tail"):
            path = segments.get(name)
            if getattr(length, name) and (path is None or not Path(path).is_file()):
                raise UserError(f"the {name} of shot {span.shot_id!r} is missing:"
                                f" {str(path)!r}; render the shot again")
    title_frames = title_frame_count(storyboard, title, title_seconds)
    total = title_frames + (spans[-1].end if spans else 0)
    pieces = film_pieces(spans, lengths, title_frames)
    cues = subtitle_cues(storyboard, offset=title_frames)
    srt_path = output.with_suffix(".srt")

    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(
            tempfile.TemporaryDirectory(prefix=".assemble.", dir=folder)))
        audio_file = None
        if audio is not None:
            audio_file = work / "audio.m4a"
            prepare_audio(Path(audio), total / fps, audio_file)
        files = _make_pieces(_Compositor(storyboard, shots, spans, lengths, title_frames),
                               pieces, shots, work, fps)
        tmp = stack.enter_context(atomic_path(output))
        _concatenate(files, audio_file, work / "pieces.txt", tmp)
        written, errors = decode_check(tmp)
        if errors or written != total:
            raise RuntimeError(f"the film holds {written} frames, {total} expected"
                               + (f"; decoding it said: {_last_line(errors)}" if errors else ""))
        if cues:
            atomic_write_text(srt_path, srt_text(cues, fps))
        elif srt_path.exists():
            srt_path.unlink()
    fmt = storyboard.format
    return FilmInfo(output, written, written / fps, fps, fmt.width, fmt.height, title_frames,
                    srt_path if cues else None, audio is not None)


def _make_pieces(compositor: _Compositor, pieces: Sequence[Piece],
                 shots: Sequence[ShotSegments], work: Path, fps: int) -> list[Path]:
    """The file of each piece in order: composited pieces encoded here, bodies as their
    shot jobs wrote them, checked (frames, size, stream header) so that copying them is
    valid."""
    composited = [p for p in pieces if p.body_of is None]

    def encode(piece: Piece) -> Path:
        path = work / f"piece-{piece.start:07d}.mp4"

        write_clip(compositor.frames(piece), path, fps)
        return path

    def check(piece: Piece) -> StreamInfo:
        i = piece.body_of
        assert i is not None
        return _check_body(Path(shots[i].body), f"body of shot {compositor.spans[i].shot_id!r}",
                           piece.end - piece.start, compositor.width, compositor.height)

    bodies = [p for p in pieces if p.body_of is not None]
    with ThreadPoolExecutor(CHECK_WORKERS, thread_name_prefix="check") as checks, \
            ThreadPoolExecutor(ENCODE_WORKERS, thread_name_prefix="assemble") as pool:
        checked = checks.map(check, bodies)
        made = dict(zip(composited, pool.map(encode, composited), strict=True))
        infos = list(checked)
    reference = stream_info(next(iter(made.values()))).header if made else infos[0].header
    for piece, info in zip(bodies, infos, strict=True):
        if info.header != reference:
            shot = compositor.spans[piece.body_of].shot_id  # type: ignore[index]
            raise UserError(f"the body of shot {shot!r} was encoded with other settings"
                            f" than the film: render the shot again")
    return [made[p] if p.body_of is None else Path(shots[p.body_of].body)  # type: ignore[arg-type]
            for p in pieces]


def _concatenate(files: Sequence[Path], audio: Path | None, listing: Path, target: Path) -> None:
    """Join ``files`` with the concat demuxer, stream-copied, plus the AAC ``audio``."""
    def quoted(path: Path) -> str:
        return "'" + str(Path(path).resolve()).replace("'", "'\\''") + "'"

    listing.write_text("".join(f"file {quoted(f)}\n" for f in files), encoding="utf-8")
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-hide_banner", "-nostdin", "-v", "error",
               "-f", "concat", "-safe", "0", "-i", str(listing)]
    if audio is not None:
        command += ["-i", str(audio), "-map", "0:v:0", "-map", "1:a:0"]
    else:
        command += ["-map", "0:v:0"]
    command += ["-c", "copy", "-movflags", "+faststart", "-f", "mp4", str(target)]
    result = subprocess.run(command, capture_output=True, text=True, errors="replace",
                            timeout=600)
    if result.returncode:
        reason = _last_line(result.stderr)  # the shots' bodies were checked: not theirs
        advice = ("free some disk space and run again" if os.strerror(errno.ENOSPC) in reason
                  else "run again to resume")
        raise UserError(f"cannot join the film's pieces: {reason}; {advice}")


def decode_check(path: str | os.PathLike) -> tuple[int, str]:
    """Decode the first video stream in full: (frames decoded, ffmpeg's error messages;
    empty when the stream is sound)."""
    result = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error",
         "-nostats", "-i", str(path), "-map", "0:v:0", "-f", "null", "-",
         "-progress", "pipe:1"],
        capture_output=True, text=True, errors="replace")
    counts = re.findall(r"^frame=(\d+)", result.stdout, re.MULTILINE)
    errors = result.stderr.strip()
    if result.returncode and not errors:
        errors = f"ffmpeg exited with status {result.returncode}"
    return (int(counts[-1]) if counts else 0), errors


@dataclass(frozen=True)
class StreamInfo:
    """A clip's first video stream, read from its packets (nothing decoded)."""

    frames: int
    width: int
    height: int
    header: str
    """size and checksum of the stream header (SPS/PPS): equal for clips encoded with
    equal settings at the same size"""


def stream_info(path: str | os.PathLike) -> StreamInfo:
    """Frame count, size and header checksum of the first video stream of ``path``."""
    result = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error",
         "-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "framecrc", "-"],
        capture_output=True, text=True, errors="replace", timeout=120)
    header = re.search(r"^#extradata 0:\s*(.+)$", result.stdout, re.MULTILINE)
    size = re.search(r"^#dimensions 0:\s*(\d+)x(\d+)", result.stdout, re.MULTILINE)
    if result.returncode or not header or not size:
        raise UserError(f"cannot read video {str(path)!r}: {_last_line(result.stderr)}")
    frames = sum(1 for line in result.stdout.splitlines() if line and line[0] != "#")
    return StreamInfo(frames, int(size.group(1)), int(size.group(2)), header.group(1).strip())


def _check_body(path: Path, what: str, frames: int, width: int, height: int) -> StreamInfo:
    """The body's stream, or a UserError naming it when it cannot be copied into the film."""
    try:
        info = stream_info(path)
    except UserError as error:
        raise UserError(f"cannot read the {what} ({str(path)!r}):"
                        f" {str(error).rsplit(': ', 1)[-1]}; render the shot again") from None
    if (info.width, info.height) != (width, height):
        raise UserError(f"the {what} ({str(path)!r}) is {info.width}x{info.height}, but the"
                        f" film is {width}x{height}: render the shot again")
    if info.frames != frames:
        raise UserError(f"the {what} ({str(path)!r}) has {info.frames} frames, but the"
                        f" storyboard's timing gives it {frames}: render the shot again")
    return info

