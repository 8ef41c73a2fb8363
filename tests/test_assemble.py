"""Film assembly: transitions, title card, subtitles (.srt and burned in), audio, atomic
writes, bodies copied. Shots are tiny H.264 segments made by director.segments as the shot
job makes them; the film is read back by decoding it."""

from __future__ import annotations

import os
import re
import subprocess
import wave
from dataclasses import replace
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from director.assemble import assemble_film, decode_check, encoded_frames, subtitle_cues
from director.segments import ShotSegments, segment_lengths, write_shot_segments
from director.video import read_frames, write_clip
from storyboard import Storyboard, film_frame_count, timeline, validate
from storyboard.errors import UserError

FPS, W, H = 10, 128, 72
COLOURS = [(220, 40, 40), (40, 200, 60), (50, 80, 230), (230, 210, 40)]


def make_board(transitions=("cut", "cut", "cut"), durations=(1.5, 1.2, 1.4),
               narrations=("", "", ""), transition_duration=0.6) -> Storyboard:
    shots = []
    for i, (transition, duration, narration) in enumerate(
            zip(transitions, durations, narrations, strict=True)):
        shots.append({
            "id": f"s{i + 1}", "duration": duration, "transition": transition,
            "transition_duration": transition_duration, "narration": narration,
            "keyframes": [{"t": 0.0, "prompt": "start"}, {"t": 1.0, "prompt": "end"}],
        })
    return validate({
        "title": "Test Film", "logline": "Colours follow each other.",
        "format": {"width": W, "height": H, "fps": FPS},
        "scenes": [{"id": "scene", "setting": "a field", "shots": shots}],
    })


def solid(colour) -> np.ndarray:
    frame = np.empty((H, W, 3), np.uint8)
    frame[:] = colour
    return frame


def make_shots(board: Storyboard, folder: Path, pictures=None) -> list[ShotSegments]:
    """Each shot's segments as its shot job writes them (``write_shot_segments``): solid
    colours (or ``pictures(i, k)`` for frame k of shot i), the narration burned into the
    body."""
    shots = []
    spans = timeline(board)
    for i, ((_, shot), lengths) in enumerate(zip(board.iter_shots(), segment_lengths(spans),
                                                 strict=True)):
        folder_i = folder / f"shots-{board.format.fps}" / f"{shot.id}-{lengths.frames}"
        if pictures is None:
            source = [solid(COLOURS[i % len(COLOURS)])] * lengths.frames
        else:
            source = [pictures(i, k) for k in range(lengths.frames)]
        if not folder_i.exists() or pictures is not None:
            folder_i.mkdir(parents=True, exist_ok=True)
            write_shot_segments(source, folder_i, lengths, FPS, shot.narration)
        shots.append(ShotSegments.in_folder(folder_i))
    return shots


def film(tmp_path: Path, board: Storyboard, **options):
    info = assemble_film(board, make_shots(board, tmp_path), tmp_path / "film.mp4", **options)
    return info, list(read_frames(info.output))


def packets(path: Path) -> tuple[str, list[tuple[int, int, int, str]]]:
    """The stream header's checksum and each video packet's (dts, pts, duration, checksum)."""
    result = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:v:0",
         "-c", "copy", "-f", "framecrc", "-"], capture_output=True, text=True, check=True)
    extradata = re.search(r"#extradata 0:\s*(\d+, \S+)", result.stdout).group(1)
    rows = [[field.strip() for field in line.split(",")]
            for line in result.stdout.splitlines() if not line.startswith("#")]
    return extradata, [(int(r[1]), int(r[2]), int(r[3]), r[5]) for r in rows]


def mean_colour(frame: np.ndarray) -> np.ndarray:
    return frame[H // 4:H // 2].reshape(-1, 3).mean(0)  # above the subtitle band


def near(frame: np.ndarray, colour, tolerance=12) -> bool:
    return bool(np.abs(mean_colour(frame) - np.asarray(colour)).max() <= tolerance)


@pytest.mark.parametrize("kind", ["cut", "crossfade", "fade"])
def test_frame_count_for_every_transition(tmp_path, kind):
    board = make_board(("cut", kind, kind))
    info, frames = film(tmp_path, board, title=False)
    spans = timeline(board)
    shot_frames = sum(s.frames for s in spans)
    overlap = sum(s.transition_frames for s in spans[1:]) if kind == "crossfade" else 0
    assert len(frames) == info.frames == film_frame_count(board) == shot_frames - overlap
    assert info.seconds == pytest.approx(len(frames) / FPS)
    assert encoded_frames(info.output) == len(frames)


def test_cut_shows_each_shot_whole(tmp_path):
    board = make_board()
    _, frames = film(tmp_path, board, title=False)
    for i, span in enumerate(timeline(board)):
        assert all(near(f, COLOURS[i]) for f in frames[span.start:span.end])


def test_crossfade_blends_the_overlap_linearly(tmp_path):
    board = make_board(("cut", "crossfade", "cut"), transition_duration=0.6)
    _, frames = film(tmp_path, board, title=False)
    span = timeline(board)[1]
    assert span.transition_frames == 6
    a, b = np.array(COLOURS[0]), np.array(COLOURS[1])
    assert near(frames[span.start - 1], a)
    for k in range(span.transition_frames):
        w = (k + 1) / (span.transition_frames + 1)
        assert near(frames[span.start + k], a * (1 - w) + b * w), k
    assert near(frames[span.start + span.transition_frames], b)


def test_fade_goes_through_black_without_changing_the_count(tmp_path):
    board = make_board(("cut", "fade", "cut"), transition_duration=0.6)
    _, frames = film(tmp_path, board, title=False)
    span = timeline(board)[1]
    assert mean_colour(frames[span.start - 1]).max() < 12  # the shot before ends in black
    assert near(frames[span.start - 4], COLOURS[0])  # fading starts 3 frames before the cut
    assert mean_colour(frames[span.start - 2]).max() < COLOURS[0][0] * 0.5
    assert 0 < mean_colour(frames[span.start])[1] < COLOURS[1][1] * 0.5  # fading in
    assert near(frames[span.start + 3], COLOURS[1])


@pytest.mark.parametrize("kind", ["fade", "crossfade"])
def test_first_shot_fades_in_from_black(tmp_path, kind):
    board = make_board((kind, "cut", "cut"), transition_duration=0.5)
    _, frames = film(tmp_path, board, title=False)
    levels = [mean_colour(f)[0] for f in frames[:6]]
    assert levels[0] < COLOURS[0][0] * 0.35
    assert levels == sorted(levels)
    assert near(frames[5], COLOURS[0])
    assert len(frames) == film_frame_count(board)


def test_title_card_adds_whole_frames_before_the_first_shot(tmp_path):
    board = make_board()
    info, frames = film(tmp_path, board, title=True, title_seconds=1.25)
    assert info.title_frames == 13  # 1.25 s at 10 fps, rounded half up
    assert len(frames) == info.frames == 13 + film_frame_count(board)
    card = frames[6]
    assert card[:, :8].max() < 30  # black around the text
    assert card.max() > 200  # white title text
    assert near(frames[13], COLOURS[0])
    assert frames[0].max() < card.max()  # the card fades in


def parse_srt(text: str) -> list[tuple[float, float, str]]:
    def seconds(stamp: str) -> float:
        h, m, s = stamp.replace(",", ".").split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)

    cues = []
    for block in text.strip().split("\n\n"):
        _, times, words = block.split("\n", 2)
        start, end = times.split(" --> ")
        cues.append((seconds(start), seconds(end), words))
    return cues


def test_srt_times_follow_the_shots_and_the_title_card(tmp_path):
    board = make_board(narrations=("The fox wakes.", "", "It flies away into the night."))
    info, _ = film(tmp_path, board, title=True, title_seconds=1.0)
    assert info.subtitles == tmp_path / "film.srt"
    cues = parse_srt(info.subtitles.read_text())
    spans = timeline(board)
    offset = 1.0
    assert cues == [
        (offset + spans[0].start / FPS, offset + spans[0].end / FPS, "The fox wakes."),
        (offset + spans[2].start / FPS, offset + spans[2].end / FPS,
         "It flies away into the night."),
    ]


def test_crossfaded_cues_change_at_the_middle_of_the_overlap(tmp_path):
    board = make_board(("cut", "crossfade", "cut"), narrations=("one", "two", ""),
                       transition_duration=0.6)
    spans = timeline(board)
    middle = spans[1].start + 3
    cues = subtitle_cues(board)
    assert [(c.start, c.end, c.text) for c in cues] == [(0, middle, "one"),
                                                        (middle, spans[1].end, "two")]
    info, _ = film(tmp_path, board, title=False)
    srt = parse_srt(info.subtitles.read_text())
    assert srt[0][1] == srt[1][0] == pytest.approx(middle / FPS)


def test_subtitles_are_burned_into_the_bottom_of_narrated_shots(tmp_path):
    board = make_board(narrations=("Every evening the fox watched the owl.", "", ""))
    _, frames = film(tmp_path, board, title=False)
    spans = timeline(board)
    bottom = slice(H * 2 // 3, H)
    with_text = frames[spans[0].start + 2][bottom].astype(int)
    without = frames[spans[1].start + 2][bottom].astype(int)
    assert (with_text.sum(2) > 600).sum() > 20  # white letters over the red shot
    assert (with_text.sum(2) < 150).sum() > 20  # their dark outline and box
    assert np.abs(without - np.array(COLOURS[1])).max() < 20  # no subtitle: untouched
    assert near(frames[spans[0].start + 2], COLOURS[0])  # the top is untouched


def test_no_narration_no_srt_and_a_stale_one_is_removed(tmp_path):
    (tmp_path / "film.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nold\n")
    info, _ = film(tmp_path, make_board(), title=False)
    assert info.subtitles is None
    assert not (tmp_path / "film.srt").exists()


def write_wav(path: Path, seconds: float, rate: int = 8000) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    samples = (np.sin(2 * np.pi * 440 * t) * 12000).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return path


def audio_seconds(path: Path) -> float:
    """Length of the audio track, from its decoded samples."""
    result = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:a:0",
         "-f", "s16le", "-ac", "1", "-ar", "8000", "-"], capture_output=True, check=True)
    return len(result.stdout) / 2 / 8000


def streams(path: Path) -> str:
    result = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
                            capture_output=True, text=True)
    return "\n".join(line for line in result.stderr.splitlines() if "Stream #" in line)


@pytest.mark.parametrize("audio_length", [1.0, 9.0])  # looped when shorter, cut when longer
def test_audio_lasts_as_long_as_the_film(tmp_path, audio_length):
    board = make_board()
    wav = write_wav(tmp_path / "music.wav", audio_length)
    info, frames = film(tmp_path, board, title=True, title_seconds=1.0, audio=wav)
    assert info.audio
    assert "Audio: aac" in streams(info.output)
    assert abs(audio_seconds(info.output) - len(frames) / FPS) <= 2 / FPS


def test_no_audio_track_without_audio(tmp_path):
    info, _ = film(tmp_path, make_board(), title=False)
    described = streams(info.output)
    assert "Video: h264" in described and "yuv420p" in described
    assert "Audio" not in described
    data = info.output.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # +faststart: playable while loading


def test_missing_and_unreadable_audio_are_user_errors(tmp_path):
    board = make_board()
    shots = make_shots(board, tmp_path)
    with pytest.raises(UserError, match="no such audio file"):
        assemble_film(board, shots, tmp_path / "film.mp4", audio=tmp_path / "none.wav")
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio at all")
    with pytest.raises(UserError, match="cannot read audio file"):
        assemble_film(board, shots, tmp_path / "film.mp4", audio=bad)
    assert not (tmp_path / "film.mp4").exists()


def test_output_folder_that_cannot_be_made_is_a_user_error(tmp_path):
    board = make_board()
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(UserError, match="cannot create folder"):
        assemble_film(board, make_shots(board, tmp_path), blocker / "film.mp4")


def with_segment(shots, i, name, path):
    """``shots`` with segment ``name`` of shot ``i`` replaced by ``path``."""
    changed = list(shots)
    changed[i] = replace(shots[i], **{name: path})
    return changed


@pytest.mark.parametrize("name", ["head", "body", "tail"])
def test_segment_with_wrong_frame_count_names_the_shot(tmp_path, name):
    board = make_board(("cut", "crossfade", "fade"))
    shots = make_shots(board, tmp_path)
    expected = getattr(segment_lengths(timeline(board))[1], name)
    assert expected > 0
    for wrong in (expected - 2, expected + 3):
        path = tmp_path / f"{name}-{wrong}.mp4"
        write_clip([solid(COLOURS[1])] * wrong, path, FPS)
        with pytest.raises(UserError, match=rf"{name} of shot 's2'.*has {wrong} frames.*gives"
                                            rf" it {expected}"):
            assemble_film(board, with_segment(shots, 1, name, path), tmp_path / "film.mp4")


@pytest.mark.parametrize("name", ["tail", "body"])
def test_segment_of_another_size_names_the_shot(tmp_path, name):
    board = make_board(("cut", "cut", "fade"))
    shots = make_shots(board, tmp_path)
    count = getattr(segment_lengths(timeline(board))[1], name)
    path = tmp_path / "big.mp4"
    write_clip([np.zeros((H * 2, W * 2, 3), np.uint8)] * count, path, FPS)
    with pytest.raises(UserError, match=rf"{name} of shot 's2'.* is {W * 2}x{H * 2}"):
        assemble_film(board, with_segment(shots, 1, name, path), tmp_path / "film.mp4")


def test_failed_assembly_leaves_the_previous_film_intact(tmp_path):
    board = make_board(("cut", "crossfade", "cut"), narrations=("a", "b", "c"))
    info, _ = film(tmp_path, board, title=False)
    before = info.output.read_bytes()
    srt_before = info.subtitles.read_text()
    shots = make_shots(board, tmp_path)
    short = tmp_path / "short.mp4"
    write_clip([solid(COLOURS[2])] * (segment_lengths(timeline(board))[2].body - 1), short, FPS)
    with pytest.raises(UserError, match="body of shot 's3'.*has"):
        assemble_film(board, with_segment(shots, 2, "body", short), info.output)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(os.urandom(2000))
    for name in ("head", "body"):
        with pytest.raises(UserError, match=f"{name} of shot 's2'"):
            assemble_film(board, with_segment(shots, 1, name, broken), info.output)
    for gone in (tmp_path / "gone.mp4", None):
        with pytest.raises(UserError, match="tail of shot 's1' is missing"):
            assemble_film(board, with_segment(shots, 0, "tail", gone), info.output)
    assert info.output.read_bytes() == before
    assert info.subtitles.read_text() == srt_before
    leftovers = [p.name for p in tmp_path.iterdir() if re.search(r"\.part|^\.", p.name)]
    assert leftovers == []


def test_segment_lengths_for_every_transition():
    board = make_board(("fade", "crossfade", "fade"), durations=(1.5, 1.2, 1.4),
                       transition_duration=0.5)  # 5 frames
    spans = timeline(board)
    lengths = segment_lengths(spans)
    assert [(s.head, s.tail) for s in lengths] == [(5, 5), (5, 2), (3, 0)]
    assert [s.frames for s in lengths] == [s.frames for s in spans]
    cuts = segment_lengths(timeline(make_board()))
    assert [(s.head, s.body, s.tail) for s in cuts] == [(0, s.frames, 0) for s in spans]


def test_bodies_are_copied_packet_for_packet_and_the_film_is_sound(tmp_path):
    board = make_board(("fade", "crossfade", "fade"), narrations=("one", "two", "three"))
    info, frames = film(tmp_path, board, title=True, title_seconds=1.0)
    assert decode_check(info.output) == (len(frames), "")  # every frame, no decoder message
    header, film_packets = packets(info.output)
    # evenly spaced, in order, no packet shown twice or late: the joins are exact
    step = film_packets[1][1]
    assert [(dts, pts, duration) for dts, pts, duration, _ in film_packets] == [
        (k * step, k * step, step) for k in range(len(frames))]
    crcs = [crc for *_, crc in film_packets]
    shots = make_shots(board, tmp_path)
    for span, length, segments in zip(timeline(board), segment_lengths(timeline(board)),
                                      shots, strict=True):
        for name in ("head", "body", "tail"):
            if getattr(length, name):
                assert packets(segments.get(name))[0] == header  # identical stream headers
        first = info.title_frames + span.start + length.head
        body_packets = packets(segments.body)[1]
        # the same compressed pictures: byte for byte, but for the parameter sets that the
        # concat demuxer repeats in each file's first (key) packet
        assert crcs[first + 1:first + length.body] == [crc for *_, crc in body_packets[1:]]
        assert len(body_packets) == length.body > 1


def picture(i: int, k: int) -> np.ndarray:
    """Frame k of shot i: a smooth gradient tinted per shot, with waves that move."""
    x = np.linspace(0, 1, W, dtype=np.float32)[None, :, None]
    y = np.linspace(0, 1, H, dtype=np.float32)[:, None, None]
    tint = np.array(COLOURS[i], np.float32)
    waves = 40 * np.sin(2 * np.pi * (1.5 * x + 0.5 * y + k / 12))
    frame = 40 + tint * (0.3 + 0.4 * x + 0.2 * y) * 0.8 + waves
    return np.clip(frame + 0.5, 0, 255).astype(np.uint8)


def test_composited_frames_match_a_direct_numpy_composite(tmp_path):
    board = make_board(("cut", "crossfade", "fade"), transition_duration=0.6)  # 6 frames
    info = assemble_film(board, make_shots(board, tmp_path, pictures=picture),
                         tmp_path / "film.mp4", title=False)
    got = list(read_frames(info.output))
    spans = timeline(board)
    a, b, c = spans
    assert len(got) == info.frames == film_frame_count(board) == a.frames + b.frames + \
        c.frames - 6
    expected: dict[int, np.ndarray] = {
        3: picture(0, 3).astype(np.float32),  # bodies
        b.start + 8: picture(1, 8).astype(np.float32),
        c.start + 5: picture(2, 5).astype(np.float32),
        c.start - 4: picture(1, b.frames - 4).astype(np.float32),  # before the fade out
    }
    for k in (0, 2, 3, 5):  # the crossfade a -> b
        w = (k + 1) / 7
        expected[b.start + k] = picture(0, a.frames - 6 + k) * (1 - w) + picture(1, k) * w
    for k in (1, 2):  # b fades out over its last 3 frames, c fades in over its first 3
        expected[c.start - 3 + k] = picture(1, b.frames - 3 + k) * ((2 - k) / 3)
        expected[c.start + k] = picture(2, k) * ((k + 1) / 3)
    def error(g: int, frame: np.ndarray) -> float:
        return float(np.abs(got[g].astype(np.float32) - frame).mean())

    for g, frame in expected.items():
        assert error(g, frame) < 4, (g, error(g, frame))  # H.264 loss only (tiny frames)
    for k in range(6):  # each crossfade weight fits better than its neighbours
        def blend(w: float, k: int = k) -> np.ndarray:
            return picture(0, a.frames - 6 + k) * (1 - w) + picture(1, k) * w

        right = error(b.start + k, blend((k + 1) / 7))
        assert right < min(error(b.start + k, blend(k / 7)),
                           error(b.start + k, blend((k + 2) / 7))), k


def test_a_shot_shorter_than_its_two_crossfades_is_rejected():
    with pytest.raises(UserError) as caught:  # 8 frames; two 6-frame crossfades need 12
        make_board(("cut", "crossfade", "crossfade"), durations=(1.5, 0.8, 1.4),
                   transition_duration=0.6)
    assert "scenes[0].shots[1].transition_duration" in str(caught.value)


def test_a_shot_that_is_all_crossfade_has_no_body(tmp_path):
    board = make_board(("cut", "crossfade", "crossfade"), durations=(1.5, 0.8, 1.4),
                       transition_duration=0.4)  # 8 frames: 4 crossfading in, 4 out
    spans = timeline(board)
    lengths = segment_lengths(spans)
    assert (lengths[1].head, lengths[1].body, lengths[1].tail) == (4, 0, 4)
    assert spans[0].end == spans[2].start  # never three shots on screen
    info, frames = film(tmp_path, board, title=False)
    assert len(frames) == info.frames == film_frame_count(board) == 15 + 8 + 14 - 8
    assert near(frames[0], COLOURS[0]) and near(frames[-1], COLOURS[2])


def test_composited_frames_carry_the_same_subtitle_as_the_body(tmp_path):
    board = make_board(("cut", "fade", "cut"), narrations=("The fox runs far away.", "", ""),
                       transition_duration=0.6)
    _, frames = film(tmp_path, board, title=False)
    end = timeline(board)[0].end
    bottom = slice(H * 2 // 3, H)
    body, fading = frames[end - 5][bottom].astype(int), frames[end - 2][bottom].astype(int)
    assert mean_colour(frames[end - 2]).max() < COLOURS[0][0] * 0.5  # composited: fading
    letters = body.sum(2) > 600
    assert letters.sum() > 20 and (fading.sum(2) > 600).sum() > 20
    assert np.abs(body[letters] - fading[letters]).mean() < 25  # the same white letters
