"""Evaluation of a film with the figures of the video-diffusion literature.

    from director.evaluate import evaluate
    report = evaluate("fox.mp4", storyboard=board, output="eval.json", html="eval.html")

Figures (each defined in the JSON report beside its value):

- ``frame_consistency``: CLIP image-embedding cosine of consecutive frames, per shot and
  for the film, cuts left out of within-shot figures (``consistency``);
- ``clipsim``: CLIP similarity of each frame to the prompt it was made from (``clipsim``);
- ``entity_consistency``: CLIP similarity of an entity's box crops across shots, and
  ``layout_adherence``: whether the box crop matches its phrase better than a region
  elsewhere (``entities``);
- ``psnr`` and ``ssim``: against a reference film of the same length, else frame to frame
  as a flicker measure (``fidelity``);
- ``fvd``: only with the user's I3D checkpoint and a reference film (``fvd``, ``i3d``);
  otherwise the report says why it was not computed.

Without a storyboard only the figures that need none are measured (consistency,
PSNR/SSIM). Modules: ``frames`` (reading, stride), ``clip`` (loading), ``shots`` (which
shot and request each frame shows), ``summary`` (per shot and film), ``report`` (JSON),
``html`` (the page), ``lowest`` (the lowest-scoring frames' thumbnails), ``evaluation``
(the pass that ties them together).
"""

from director.evaluate.evaluation import evaluate
from director.evaluate.report import EvalReport

__all__ = ["EvalReport", "evaluate"]
