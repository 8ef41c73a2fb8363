"""H.264 clips: writing (atomic), counting and reading back."""

from __future__ import annotations

import numpy as np
import pytest

from director.video import count_frames, read_frames, write_clip


def colour_frames(count: int, width: int = 64, height: int = 48):
    for i in range(count):
        frame = np.zeros((height, width, 3), np.uint8)
        frame[:] = (i * 20 % 256, 128, 255 - i * 20 % 256)
        yield frame


def test_round_trip_keeps_count_size_and_colours(tmp_path):
    path = tmp_path / "clip.mp4"
    assert write_clip(colour_frames(12), path, fps=8) == 12
    assert count_frames(path) == 12
    back = list(read_frames(path))
    assert len(back) == 12 and back[0].shape == (48, 64, 3) and back[0].dtype == np.uint8
    for made, read in zip(colour_frames(12), back, strict=True):
        assert np.abs(made.astype(int) - read.astype(int)).mean() < 4  # crf 18: near lossless
    assert list(tmp_path.iterdir()) == [path]


def test_a_failing_frame_source_leaves_the_old_clip_intact(tmp_path):
    path = tmp_path / "clip.mp4"
    write_clip(colour_frames(5), path, fps=8)
    before = path.read_bytes()

    def broken():
        yield from colour_frames(3)
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError, match="renderer crashed"):
        write_clip(broken(), path, fps=8)
    assert path.read_bytes() == before
    assert list(tmp_path.iterdir()) == [path]


def test_frames_of_another_size_are_refused_without_a_file(tmp_path):
    path = tmp_path / "clip.mp4"
    frames = [*colour_frames(2), np.zeros((50, 64, 3), np.uint8)]
    with pytest.raises(ValueError, match="frame 2 is 64x50, but the clip is 64x48"):
        write_clip(frames, path, fps=8)
    assert not path.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("frames, message", [
    ([], "no frames"),
    ([np.zeros((49, 64, 3), np.uint8)], "even width and height"),
    ([np.zeros((48, 64), np.uint8)], "uint8 array of shape"),
    ([np.zeros((48, 64, 3), np.float32)], "uint8 array of shape"),
])
def test_bad_frames_are_refused(tmp_path, frames, message):
    with pytest.raises(ValueError, match=message):
        write_clip(frames, tmp_path / "clip.mp4", fps=8)


def test_count_frames_of_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        count_frames(tmp_path / "nothing.mp4")
