"""CLIPSIM: how well each frame matches the prompt it was made from.

The value of a frame is ``cos(image, text)`` of the unit CLIP embeddings of the frame and
of its prompt, the scheduler's own request prompt for that frame
(``director.evaluate.shots``; cut at CLIP's 77 tokens). Raw cosines, not CLIPScore's
``100 * max(cos, 0)``: multiply by 100 to compare with papers that report CLIPSIM
so. Each distinct prompt is embedded once.
"""

from __future__ import annotations

import numpy as np

from director.evaluate.clip import Clip

DEFINITION = (
    "Mean cosine similarity of the CLIP embeddings of each frame and of the prompt it was"
    " made from (the scheduler's request, cut at CLIP's 77 tokens); per_shot: the frames"
    " each shot owns; the title card left out.")
SERIES = "Cosine of each evaluated frame's CLIP image embedding to its prompt's."


class PromptScores:
    """CLIPSIM of frames against their prompts, the prompts' embeddings cached."""

    def __init__(self, clip: Clip) -> None:
        self.clip = clip
        self._texts: dict[str, np.ndarray] = {}

    def scores(self, images: np.ndarray, prompts: list[str]) -> np.ndarray:
        """Cosine of each unit image embedding to its prompt's text embedding."""
        missing = list(dict.fromkeys(p for p in prompts if p not in self._texts))
        for prompt, vector in zip(missing, self.clip.texts(missing), strict=True):
            self._texts[prompt] = vector
        texts = np.stack([self._texts[p] for p in prompts]) if prompts else images[:0]
        return np.sum(images * texts, axis=1)
