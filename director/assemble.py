"""The film: shot clips joined by their transitions, a title card, burned-in subtitles, an
``.srt`` beside it and optional background audio, encoded once to H.264.

How (and why not moviepy): the shot clips are decoded frame by frame (ffmpeg decoders
running beside Python) and every film frame is sent once to one libx264 encoder through
``imageio_ffmpeg.write_frames``. Frames that need nothing pass straight from decoder to
encoder; only the frames of a transition or under a subtitle are composited, in numpy, and
only where they change (a subtitle touches a band at the bottom). No intermediate file is
written, so no frame is encoded twice on its way into the film. moviepy's compositing was
about 4x slower for the same frames on these machines (../shared/FACTS.md), and copying
untouched H.264 runs with ffmpeg's concat demuxer would need keyframes at every cut and
identical encoder settings, for little gain once subtitles touch most shots.

Transitions, into each shot (frames from ``storyboard.timing``):

- ``cut``: the shot follows the one before.
- ``crossfade`` over n frames: the two shots overlap by n frames, blended linearly.
- ``fade`` over n frames: the shot before fades to black over its last n // 2 frames,
  this one fades in over its first n - n // 2; the frame count does not change.
- The first shot's ``fade`` or ``crossfade`` is a fade in from black over its first n
  frames.

Subtitles: each shot's narration, wrapped, white on a dark box at the bottom. A cue runs
over its shot's frames; where two shots crossfade, the cue changes at the middle of the
overlap. The same cues go to an ``.srt`` beside the film (title card included in the
times); an old ``.srt`` there is removed when the new film has no narration.

Audio: a file the user names is looped when shorter than the film, cut to the film's
length, faded out over its last two seconds (a quarter of the film if shorter), and
encoded as AAC. Without one the film has no audio track.

The film is written to a temporary name and renamed once its frame count has been read
back and checked, so a failed assembly never replaces a good film.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from PIL import Image, ImageDraw

from animator.fonts import font, wrap
from storyboard.errors import UserError
from storyboard.io import atomic_path, atomic_write_text, writable_dir
from storyboard.models import Storyboard
from storyboard.timing import ShotTiming, round_frames, timeline

PRESET = "veryfast"
CRF = 20
TITLE_SECONDS = 2.0
AUDIO_FADE_SECONDS = 2.0
AUDIO_BITRATE = "160k"


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


# -- the plan: what each film frame is made of ------------------------------------------

def title_frame_count(storyboard: Storyboard, title: bool = True,
                      seconds: float = TITLE_SECONDS) -> int:
    """Frames of the title card (0 without one)."""
    return round_frames(seconds, storyboard.format.fps) if title else 0


def fade_factors(spans: Sequence[ShotTiming]) -> list[tuple[int, int]]:
    """For each shot, (frames fading in at its start, frames fading out at its end)."""
    result = []
    for i, span in enumerate(spans):
        n = span.transition_frames
        if i == 0:
            fade_in = n if span.transition in ("fade", "crossfade") else 0
        else:
            fade_in = n - n // 2 if span.transition == "fade" else 0
        after = spans[i + 1] if i + 1 < len(spans) else None
        fade_out = after.transition_frames // 2 if after and after.transition == "fade" else 0
        result.append((fade_in, fade_out))
    return result


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
        text = " ".join(shot.narration.split())
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


# -- frames as YUV 4:2:0 ----------------------------------------------------------------
# The clips are H.264 yuv420p and so is the film: frames stay in that form from decoder to
# encoder (a flat uint8 buffer: the Y plane, then U, then V at half size), which saves two
# colour conversions per frame and halves the bytes through the pipes. Fades, crossfades
# and overlays are linear, so they work on YUV as on RGB. Pictures drawn here (title card,
# subtitles) are converted with BT.601 limited range, as ffmpeg converts RGB by default.

def _black(width: int, height: int) -> np.ndarray:
    """The YUV buffer of a black frame, as float32 (for fades)."""
    buffer = np.full(width * height * 3 // 2, 128, np.float32)
    buffer[:width * height] = 16
    return buffer


def _yuv_planes(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Y at full size, U and V averaged over 2x2 blocks, as float32 (BT.601, limited)."""
    r, g, b = (rgb[..., i].astype(np.float32) / 255 for i in range(3))
    y = 16 + 65.481 * r + 128.553 * g + 24.966 * b
    u = 128 - 37.797 * r - 74.203 * g + 112.0 * b
    v = 128 + 112.0 * r - 93.786 * g - 18.214 * b
    h, w = y.shape
    return y, *(c.reshape(h // 2, 2, w // 2, 2).mean((1, 3)) for c in (u, v))


def rgb_to_yuv420(rgb: np.ndarray) -> np.ndarray:
    """An RGB uint8 frame (even width and height) as a flat yuv420p buffer."""
    return np.concatenate([np.clip(p + 0.5, 0, 255).astype(np.uint8).ravel()
                           for p in _yuv_planes(rgb)])


# -- pictures drawn once: title card and subtitle overlays ------------------------------

def title_card(title: str, logline: str, width: int, height: int) -> np.ndarray:
    """The title (bold) and logline (grey, wrapped) centred on black, as RGB."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    big, small = font(round(height * 0.085), bold=True), font(round(height * 0.042))
    lines = [(line, big, (255, 255, 255)) for line in wrap(title, big, width * 0.86)]
    if logline:
        lines.append(("", small, (0, 0, 0)))
        lines += [(line, small, (196, 196, 196)) for line in wrap(logline, small, width * 0.74)]
    heights = [face.size * 1.3 for _, face, _ in lines]
    y = (height - sum(heights)) / 2
    for (line, face, colour), h in zip(lines, heights, strict=True):
        draw.text(((width - face.getlength(line)) / 2, y), line, font=face, fill=colour)
        y += h
    return np.array(image)


@dataclass(frozen=True)
class Overlay:
    """A subtitle drawn once, in YUV: per plane, its premultiplied colour and what is kept
    of the picture (255 - alpha), over a band of the frame."""

    width: int
    height: int
    top: int
    left: int
    planes: tuple[tuple[np.ndarray, np.ndarray], ...]
    """(colour uint16, keep uint16) for Y, U and V"""

    def apply(self, frame: np.ndarray) -> np.ndarray:
        """A copy of the yuv420p ``frame`` with the subtitle on it."""
        out = frame.copy()
        w, h = self.width, self.height
        views = (out[:w * h].reshape(h, w),
                 out[w * h:w * h * 5 // 4].reshape(h // 2, w // 2),
                 out[w * h * 5 // 4:].reshape(h // 2, w // 2))
        for i, (plane, (colour, keep)) in enumerate(zip(views, self.planes, strict=True)):
            s = 1 if i == 0 else 2
            band = plane[self.top // s:self.top // s + keep.shape[0],
                         self.left // s:self.left // s + keep.shape[1]]
            band[:] = (band * keep + 127) // 255 + colour
        return out


def subtitle_overlay(text: str, width: int, height: int) -> Overlay:
    """White wrapped text with a dark outline on a translucent box, near the bottom."""
    face = font(max(9, round(height * 0.05)))
    lines = wrap(text, face, width * 0.84)[:3]
    stroke = max(1, face.size // 10)
    line_h = round(face.size * 1.25)
    pad = max(3, face.size // 3)
    box_w = min(width, round(max(face.getlength(line) for line in lines) + 2 * pad + 2 * stroke))
    box_h = line_h * len(lines) + 2 * pad
    box_w, box_h = box_w + box_w % 2, box_h + box_h % 2  # whole chroma samples
    image = Image.new("RGBA", (box_w, box_h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, box_w - 1, box_h - 1), radius=pad, fill=(0, 0, 0, 120))
    for i, line in enumerate(lines):
        x = (box_w - face.getlength(line)) / 2
        draw.text((x, pad + i * line_h), line, font=face, fill=(255, 255, 255, 255),
                  stroke_width=stroke, stroke_fill=(0, 0, 0, 255))
    rgba = np.asarray(image)
    alpha = rgba[..., 3].astype(np.float32) / 255
    # premultiplied colour per plane; chroma alpha is the mean over each 2x2 block
    y, u, v = _yuv_planes((rgba[..., :3] * alpha[..., None]).astype(np.uint8))
    y = y - 16 * (1 - alpha)  # _yuv_planes adds the offsets once, at full weight
    alpha_c = alpha.reshape(box_h // 2, 2, box_w // 2, 2).mean((1, 3))
    u, v = u - 128 * (1 - alpha_c), v - 128 * (1 - alpha_c)
    planes = tuple((np.clip(c + 0.5, 0, 255).astype(np.uint16),
                    np.round(255 * (1 - a)).astype(np.uint16))
                   for c, a in ((y, alpha), (u, alpha_c), (v, alpha_c)))
    top = max(0, height - box_h - max(2, round(height * 0.05)))
    return Overlay(width, height, top - top % 2, (width - box_w) // 2 // 2 * 2, planes)


# -- reading the shot clips ------------------------------------------------------------

_END = object()


class _ClipReader:
    """A shot clip's frames (yuv420p buffers), decoded ahead in a thread (one decoder thread
    each: cheaper than ffmpeg's frame threads for small clips), with their count and size
    checked against the timeline."""

    def __init__(self, path: Path, span: ShotTiming, width: int, height: int) -> None:
        self.path, self.span, self.size = path, span, (width, height)
        if not path.is_file():
            raise UserError(f"the clip of shot {span.shot_id!r} is missing: {str(path)!r};"
                            " render the shot again")
        self.read = 0
        self._queue: queue.Queue = queue.Queue(maxsize=24)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._decode, daemon=True)
        self._thread.start()

    def _decode(self) -> None:
        frames = None
        try:
            frames = imageio_ffmpeg.read_frames(str(self.path), pix_fmt="yuv420p",
                                                bits_per_pixel=12,
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
            raise UserError(f"cannot read the clip of shot {self.span.shot_id!r}"
                            f" ({str(self.path)!r}): {_last_line(item[1])};"
                            " render the shot again")
        if isinstance(item, tuple) and item[0] == "meta":
            if tuple(item[1]["size"]) != self.size:
                self.close()
                w, h = item[1]["size"]
                raise UserError(
                    f"the clip of shot {self.span.shot_id!r} is {w}x{h}, but the film is"
                    f" {self.size[0]}x{self.size[1]}: render the shot again")
            return self._get()
        return item

    def next(self) -> np.ndarray:
        item = self._get()
        if item is _END:
            self._mismatch(self.read)
        self.read += 1
        return np.frombuffer(item, np.uint8)

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
        raise UserError(
            f"the clip of shot {self.span.shot_id!r} ({str(self.path)!r}) has {found} frames,"
            f" but the storyboard's timing gives it {self.span.frames}: render the shot again")


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


# -- the film frames, in order ---------------------------------------------------------

LOOKAHEAD_SHOTS = 2
"""Shots whose decoders start before they are on screen (hides ffmpeg's start-up)."""


def film_frames(storyboard: Storyboard, shot_clips: Sequence[Path], *, title: bool = True,
                title_seconds: float = TITLE_SECONDS) -> Iterator[np.ndarray]:
    """Every frame of the film in order, as flat yuv420p buffers: title card, then the
    shots with transitions and subtitles. Raises UserError when a clip does not match the
    timeline."""
    fmt = storyboard.format
    width, height = fmt.width, fmt.height
    spans = timeline(storyboard)
    if len(shot_clips) != len(spans):
        raise ValueError(f"{len(shot_clips)} clips given for {len(spans)} shots")
    black = _black(width, height)
    title_frames = title_frame_count(storyboard, title, title_seconds)
    if title_frames:
        card = rgb_to_yuv420(title_card(storyboard.title, storyboard.logline, width, height))
        ramp = max(1, min(round(0.5 * fmt.fps), title_frames // 4))
        for k in range(title_frames):
            level = min(1.0, (k + 1) / ramp, (title_frames - k) / ramp)
            yield card if level >= 1 else _to_uint8(black + (card - black) * np.float32(level))

    fades = fade_factors(spans)
    cues = subtitle_cues(storyboard)
    overlays = {c.start: subtitle_overlay(c.text, width, height) for c in cues}
    cue_at = _cue_index(cues, spans[-1].end if spans else 0)
    readers: dict[int, _ClipReader] = {}
    try:
        opened = 0
        for g in range(spans[-1].end if spans else 0):
            while opened < len(spans) and (spans[opened].start == g
                                           or len(readers) <= LOOKAHEAD_SHOTS):
                readers[opened] = _ClipReader(Path(shot_clips[opened]), spans[opened],
                                              width, height)
                opened += 1
            frame = _compose(g, spans, fades, readers, black)
            for i in [i for i in readers if spans[i].end == g + 1]:
                readers.pop(i).finish()
            cue = cue_at[g]
            yield overlays[cue.start].apply(frame) if cue else frame
    finally:
        for reader in readers.values():
            reader.close()


def _cue_index(cues: Sequence[Cue], frames: int) -> list[Cue | None]:
    index: list[Cue | None] = [None] * frames
    for cue in cues:
        index[cue.start:cue.end] = [cue] * (cue.end - cue.start)
    return index


def _to_uint8(buffer: np.ndarray) -> np.ndarray:
    return np.clip(buffer + 0.5, 0, 255).astype(np.uint8)


def _compose(g: int, spans: Sequence[ShotTiming], fades: Sequence[tuple[int, int]],
             readers: dict[int, _ClipReader], black: np.ndarray) -> np.ndarray:
    """Film frame ``g`` from the shots on screen: faded, then crossfaded in shot order."""
    result: np.ndarray | None = None
    for i in sorted(readers):
        span, (fade_in, fade_out) = spans[i], fades[i]
        if span.start > g:
            break  # decoding ahead, not on screen yet
        frame = readers[i].next()
        k = g - span.start
        level = 1.0
        if k < fade_in:
            level = (k + 1) / fade_in
        if span.frames - k <= fade_out:
            level = min(level, (span.frames - k - 1) / fade_out)
        picture = frame if level >= 1 else black + (frame - black) * np.float32(level)
        if result is None:
            result = picture
        else:
            w = np.float32((k + 1) / (span.transition_frames + 1))
            result = result * (1 - w) + picture * w
    if result is None:  # pragma: no cover - the timeline leaves no gaps
        raise RuntimeError(f"no shot on screen at film frame {g}")
    return result if result.dtype == np.uint8 else _to_uint8(result)


# -- audio -----------------------------------------------------------------------------

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
        raise UserError(f"cannot read audio file {str(source)!r}: {_last_line(result.stderr)};"
                        " use a WAV, MP3, AAC/M4A, OGG or FLAC file with an audio track")


# -- the film --------------------------------------------------------------------------

def assemble_film(storyboard: Storyboard, shot_clips: Sequence[Path], output: Path, *,
                  title: bool = True, audio: Path | None = None,
                  title_seconds: float = TITLE_SECONDS, progress: bool = False) -> FilmInfo:
    """Join ``shot_clips`` (one per shot, in film order, each with exactly the frames of
    ``timeline(storyboard)``) into the film at ``output``: transitions, an optional title
    card, burned-in subtitles and an ``.srt`` beside it, optional background audio."""
    output = Path(output)
    writable_dir(output.parent if str(output.parent) else ".")
    fmt, fps = storyboard.format, storyboard.format.fps
    title_frames = title_frame_count(storyboard, title, title_seconds)
    spans = timeline(storyboard)
    total = title_frames + (spans[-1].end if spans else 0)
    cues = subtitle_cues(storyboard, offset=title_frames)
    srt_path = output.with_suffix(".srt")

    with contextlib.ExitStack() as stack:
        audio_file = None
        if audio is not None:
            audio_file = stack.enter_context(_temporary(output.parent, ".m4a"))
            prepare_audio(Path(audio), total / fps, audio_file)
        tmp = stack.enter_context(atomic_path(output))
        _encode(film_frames(storyboard, shot_clips, title=title, title_seconds=title_seconds),
                tmp, fmt.width, fmt.height, fps, total, audio_file, progress)
        written = encoded_frames(tmp)
        if written != total:
            raise RuntimeError(f"the film holds {written} frames, but {total} were sent")
        if cues:
            atomic_write_text(srt_path, srt_text(cues, fps))
        elif srt_path.exists():
            srt_path.unlink()
    return FilmInfo(output, written, written / fps, fps, fmt.width, fmt.height, title_frames,
                    srt_path if cues else None, audio is not None)


@contextlib.contextmanager
def _temporary(folder: Path, suffix: str) -> Iterator[Path]:
    fd, name = tempfile.mkstemp(prefix=".audio.", suffix=suffix, dir=folder)
    os.close(fd)
    try:
        yield Path(name)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def _encode(frames: Iterator[np.ndarray], path: Path, width: int, height: int, fps: int,
            total: int, audio: Path | None, progress: bool) -> None:
    """Send yuv420p ``frames`` through one libx264 encoder (+faststart, AAC audio copied)."""
    writer = imageio_ffmpeg.write_frames(
        str(path), (width, height), fps=fps, codec="libx264", pix_fmt_in="yuv420p",
        pix_fmt_out="yuv420p", macro_block_size=1, quality=None, ffmpeg_log_level="error",
        output_params=["-preset", PRESET, "-crf", str(CRF), "-movflags", "+faststart"],
        audio_path=str(audio) if audio else None, audio_codec="copy" if audio else None,
    )
    writer.send(None)
    bar = _progress(progress, total)
    try:
        for frame in frames:
            writer.send(frame)
            bar.advance()
    finally:
        bar.stop()
        writer.close()


class _progress:
    """A rich progress bar over the film's frames, or nothing."""

    def __init__(self, show: bool, total: int) -> None:
        self._bar = None
        if show:
            from rich.progress import Progress

            self._bar = Progress(transient=False)
            self._task = self._bar.add_task("assembling film", total=total)
            self._bar.start()

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
