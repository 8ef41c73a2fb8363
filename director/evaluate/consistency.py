"""Frame consistency: CLIP image embeddings of consecutive frames, compared by cosine.

The value of a pair is ``cos(e[i-1], e[i])`` of the unit CLIP image embeddings of two
consecutive evaluated frames (``stride`` film frames apart): 1 for frames CLIP sees as
the same, lower the more they differ. Shots and the film are summed up over within-shot
pairs (``director.evaluate.summary.pair_figure``), so a cut does not lower the figure
of the shot it ends; the cuts show as drops in the series.
"""

from __future__ import annotations

import numpy as np

DEFINITION = (
    "Mean cosine similarity of the CLIP image embeddings of consecutive evaluated frames"
    " (stride film frames apart); 1: unchanged. value and per_shot: pairs inside one shot"
    " only (cuts and transition starts left out); details.all_pairs: every pair, cuts"
    " included; details.boundary_pairs: only the pairs across shot boundaries.")
SERIES = "Cosine of each evaluated frame's CLIP image embedding to the previous one's."


def consecutive_cosines(embeddings: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
    """Cosine of each unit embedding to the one before it (``previous`` before the first;
    with no previous, the first has none: the result is one shorter)."""
    if previous is not None:
        embeddings = np.concatenate([previous[None], embeddings])
    return np.sum(embeddings[1:] * embeddings[:-1], axis=1)
