"""PSNR and SSIM (scikit-image): against a reference film, or frame to frame as a measure
of flicker.

- **PSNR** of two RGB uint8 frames: ``10 log10(255^2 / MSE)`` over every pixel and
  channel. Identical frames have an MSE of 0 and an infinite PSNR; a frame's PSNR is
  reported as ``min(PSNR, PSNR_CAP_DB)``, so identical frames read exactly
  :data:`PSNR_CAP_DB` and means stay finite.
- **SSIM** (Wang et al. 2004) on the frames' luma (BT.601: ``0.299 R + 0.587 G +
  0.114 B``), with the paper's settings: an 11x11 Gaussian window of sigma 1.5,
  K1 = 0.01, K2 = 0.03, data range 255; 1 for identical frames.
"""

from __future__ import annotations

import numpy as np

from storyboard.errors import UserError

PSNR_CAP_DB = 100.0
"""PSNR reported for identical frames (and the most reported for any pair)."""
LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def _metrics():
    try:
        from skimage import metrics
    except ImportError:
        raise UserError("PSNR and SSIM need scikit-image: pip install 'llm-director[eval]'"
                        ) from None
    return metrics


def check_available() -> None:
    """UserError now, before work starts, if scikit-image is missing."""
    _metrics()


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two RGB uint8 frames of one size, capped at :data:`PSNR_CAP_DB`."""
    if np.array_equal(a, b):
        return PSNR_CAP_DB
    value = _metrics().peak_signal_noise_ratio(a, b, data_range=255)
    return float(min(value, PSNR_CAP_DB))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM of the luma of two RGB uint8 frames of one size (1 when identical)."""
    return float(_metrics().structural_similarity(
        a.astype(np.float32) @ LUMA, b.astype(np.float32) @ LUMA, data_range=255.0,
        gaussian_weights=True, sigma=1.5, use_sample_covariance=False))


def pair_scores(frames: np.ndarray, others: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """PSNR and SSIM of each frame against the frame at the same place of ``others``."""
    scores = [(psnr(a, b), ssim(a, b)) for a, b in zip(frames, others, strict=True)]
    values = np.array(scores, np.float64).reshape(-1, 2)
    return values[:, 0], values[:, 1]
