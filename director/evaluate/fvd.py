"""FVD (Unterthiner et al. 2018): the Fréchet distance between I3D logits of the film's
clips and of a reference film's clips. Only with the user's own I3D weights.

- **Clips**: 16 consecutive frames each, back to back from the first frame; at most
  :data:`MAX_CLIPS` of them, spread evenly over the film when it holds more. The same
  frames of the film and of the reference are taken. They are read in a pass of their
  own (every frame of a clip is needed, whatever the evaluation's stride).
- **Network**: ``director.evaluate.i3d`` with the weights of ``--fvd-model``, a
  ``.safetensors`` file (the Kinetics-400 I3D of the FVD papers, converted once:
  ``python -c "import torch, safetensors.torch as st;
  st.save_file(torch.load('i3d_pretrained_400.pt', weights_only=True), 'i3d.safetensors')"``).
  Frames are scaled so the short side is 224, centre-cropped to 224x224, mapped to [-1, 1].
- **Distance**: ``|mu_f - mu_r|^2 + Tr(S_f + S_r - 2 (S_f S_r)^(1/2))`` of the means and
  covariances of the two sets of logits (SciPy's ``sqrtm``, its real part). 0 for the same
  film; with few clips the covariances are poorly estimated, so compare FVDs measured on
  clips of the same number and length only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from director.video import read_frames
from storyboard.errors import UserError

CLIP_FRAMES = 16
MIN_CLIPS = 2
MAX_CLIPS = 64
SIZE = 224
BATCH = 4


def load_i3d(path: str | os.PathLike):
    """The I3D network with the weights of a safetensors file; UserError if they are not
    an I3D's."""
    from safetensors.torch import load_file

    from director.evaluate.i3d import I3D

    path = Path(path)
    if path.suffix != ".safetensors" or not path.is_file():
        raise UserError(f"--fvd-model must be an I3D checkpoint as a .safetensors file;"
                        f" got {str(path)!r}")
    try:
        weights = load_file(path)
    except (OSError, ValueError) as error:
        raise UserError(f"cannot read {str(path)!r} as safetensors: {error}") from None
    classes = weights.get("logits.conv3d.bias")
    model = I3D(classes=int(classes.shape[0]) if classes is not None else 400)
    missing, unexpected = _mismatch(model.state_dict(), weights)
    if missing or unexpected:
        raise UserError(f"{str(path)!r} does not hold I3D weights ({len(missing)} missing,"
                        f" {len(unexpected)} unexpected, e.g."
                        f" {(missing or unexpected)[0]!r})")
    model.load_state_dict(weights)
    return model.eval()


def _mismatch(expected: dict, found: dict) -> tuple[list[str], list[str]]:
    missing = [k for k, v in expected.items() if k not in found or found[k].shape != v.shape]
    return missing, [k for k in found if k not in expected]


def clip_starts(frames: int, clip_frames: int = CLIP_FRAMES,
                max_clips: int = MAX_CLIPS) -> list[int]:
    """First frames of the clips measured (see the module docstring)."""
    count = frames // clip_frames
    if count <= max_clips:
        return [k * clip_frames for k in range(count)]
    return [round(k * (count - 1) / (max_clips - 1)) * clip_frames for k in range(max_clips)]


def read_clips(path: str | os.PathLike, starts: list[int],
               clip_frames: int = CLIP_FRAMES) -> Iterator[np.ndarray]:
    """The clips starting at ``starts`` (sorted), each (frames, h, w, 3) uint8, decoded in
    one pass."""
    wanted = set(starts)
    current: list[np.ndarray] = []
    for index, frame in enumerate(read_frames(path)):
        if index in wanted or current:
            current.append(frame)
        if len(current) == clip_frames:
            yield np.stack(current)
            current = []
        if starts and index >= starts[-1] + clip_frames:
            break


def logits(model, clips: Iterator[np.ndarray], size: int) -> np.ndarray:
    """I3D logits of each clip, in batches."""
    import torch

    rows: list[np.ndarray] = []
    batch: list[torch.Tensor] = []

    def flush() -> None:
        with torch.inference_mode():
            rows.append(model(torch.stack(batch)).float().numpy())
        batch.clear()

    for clip in clips:
        batch.append(_prepare(clip, size))
        if len(batch) == BATCH:
            flush()
    if batch:
        flush()
    return np.concatenate(rows) if rows else np.zeros((0, 0), np.float32)


def _prepare(clip: np.ndarray, size: int):
    """(frames, h, w, 3) uint8 -> (3, frames, size, size) in [-1, 1]: short side scaled to
    ``size``, centre crop."""
    import torch
    import torch.nn.functional as F

    x = torch.from_numpy(clip).permute(0, 3, 1, 2).float() / 127.5 - 1.0
    h, w = x.shape[2:]
    scale = size / min(h, w)
    x = F.interpolate(x, size=(max(size, round(h * scale)), max(size, round(w * scale))),
                      mode="bilinear", align_corners=False, antialias=True)
    top, left = (x.shape[2] - size) // 2, (x.shape[3] - size) // 2
    return x[:, :, top:top + size, left:left + size].permute(1, 0, 2, 3).contiguous()


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance of two sets of feature rows, as Gaussians."""
    from scipy import linalg

    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a = np.atleast_2d(np.cov(a, rowvar=False))
    cov_b = np.atleast_2d(np.cov(b, rowvar=False))
    root = linalg.sqrtm(cov_a @ cov_b)
    root = root.real if np.iscomplexobj(root) else root
    value = float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2 * root))
    return max(value, 0.0)


def fvd(model, film: str | os.PathLike, reference: str | os.PathLike, frames: int,
        size: int | None = None) -> tuple[float, int]:
    """FVD of ``film`` against ``reference`` (both of ``frames`` frames, at least two clips'
    worth) and the number of clips it was measured on. ``size``: the frames' side for I3D
    (:data:`SIZE`, the network's own, unless given)."""
    size = size or SIZE
    starts = clip_starts(frames)
    ours = logits(model, read_clips(film, starts), size)
    theirs = logits(model, read_clips(reference, starts), size)
    return frechet_distance(ours.astype(np.float64), theirs.astype(np.float64)), len(starts)
