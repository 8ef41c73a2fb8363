"""The in-between role: a first/last-frame video model fills the frames between two
frames already made (NUWA-XL's local diffusion), one request per call.

    role = InbetweenRole(config, resolved, placement)
    frames = role(requests)            # per request, its in-betweens in order

A call, step by step, for each request: map the film frames asked for onto the model's
own frames (``frames.native_frames``: ``count`` model frames cover the gap from the first
to the last end frame, each frame asked for takes its nearest model frame, never two the
same); fit both end frames to the working size; run the pipeline with the two ends as
conditions at model frames 0 and ``count - 1``, the prompt of the middle frame asked for
(the nearest keyframe's) and the first frame's seed; take the picked frames and resize
them to the film's size. The pipelines, by the class in the model's folder:

- ``WanImageToVideoPipeline`` (Wan 2.1 FLF2V, Wan 2.2 I2V A14B): ``image`` and
  ``last_image``. Wan 2.2 TI2V (``expand_timesteps``) ignores ``last_image`` and is
  refused here (it is a clip model).
- ``WanVACEPipeline`` (Wan 2.1 VACE): ``video`` = [first, grey..., last] with ``mask``
  black (keep) at both ends and white (make) between.
- ``LTXConditionPipeline`` (LTX-Video 0.9.5+): ``conditions`` at ``frame_index`` 0 and
  ``count - 1``, ``frame_rate`` the film's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from animator.base import Frame, InbetweenRequest
from animator.diffusion.config import RoleConfig
from animator.diffusion.frames import NativeFrames, native_frames, to_film, to_model
from animator.diffusion.loading import ResolvedModel
from animator.diffusion.role import Placement
from animator.diffusion.video import VideoRole, one_prompt, read_config
from storyboard.errors import UserError

KEEP, MAKE = 0, 255
"""VACE mask values: black keeps a frame, white makes it"""


class InbetweenRole(VideoRole):
    """First/last-frame in-betweens from a video pipeline (see the module docstring)."""

    classes = ("WanImageToVideoPipeline", "WanVACEPipeline", "LTXConditionPipeline")

    def __init__(self, config: RoleConfig, resolved: ResolvedModel,
                 placement: Placement) -> None:
        super().__init__("inbetween", config, resolved, placement)
        if read_config(resolved.folder, "").get("expand_timesteps"):
            raise UserError(f"the inbetween model {resolved.model!r} is Wan 2.2 TI2V, which "
                            f"ignores the last frame: use it as the clip model")

    @property
    def max_inbetweens(self) -> int:
        """Frames one call makes between its two end frames."""
        return self.rule.max_frames - 2

    @property
    def frame_counts(self) -> tuple[int, ...]:
        return self.rule.counts

    def __call__(self, requests: Sequence[InbetweenRequest]) -> list[list[Frame]]:
        results = []
        for request in requests:
            video, plan = self.native_video(request)
            film = (request.first.shape[1], request.first.shape[0])
            results.append(to_film(video, plan.picks, film))  # 4. picked, at the film's size
        return results

    def native_video(self, request: InbetweenRequest) -> tuple[np.ndarray, NativeFrames]:
        """The model's own frames for ``request`` (floats in 0..1, end frames included)
        and which of them the frames asked for take."""
        # 1. the model's frames for the film frames asked for
        asked, span = request.spacing()
        plan = native_frames(asked, span, request.fps, self.rule, distinct=True)
        # 2. both ends at the working size
        width, height = self.size_for(request.first.shape[1], request.first.shape[0])
        first = to_model(request.first, (width, height))
        last = to_model(request.last, (width, height))
        # 3. one pipeline call: the ends at model frames 0 and count - 1
        kwargs: dict[str, Any] = {"height": height, "width": width, "num_frames": plan.count}
        kwargs.update(self.conditions(first, last, plan.count, request.fps))
        return self.run(self.pipeline(), one_prompt(request.frames), **kwargs), plan

    def conditions(self, first, last, count: int, fps: float) -> dict[str, Any]:
        """The pipeline's arguments that put ``first`` and ``last`` at both ends."""
        cls = self.resolved.pipeline_class
        if cls == "WanImageToVideoPipeline":
            return {"image": first, "last_image": last}
        if cls == "WanVACEPipeline":
            from PIL import Image

            grey = Image.new("RGB", first.size, (128, 128, 128))
            keep, make = Image.new("L", first.size, KEEP), Image.new("L", first.size, MAKE)
            return {"video": [first, *[grey] * (count - 2), last],
                    "mask": [keep, *[make] * (count - 2), keep]}
        from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

        return {"conditions": [LTXVideoCondition(image=first, frame_index=0),
                               LTXVideoCondition(image=last, frame_index=count - 1)],
                "frame_rate": fps}
