"""The clip role: an image-to-video model makes a window of frames from its first frame
(the scheduler's ``clip`` strategy), one request per call.

    role = ClipRole(config, resolved, placement)
    frames = role(requests)            # per request, the frames after its first frame

A call, step by step, for each request: map the film frames asked for onto the model's
own frames (``frames.native_frames`` at the model's rate: a clip's motion is the
model's, so a film faster than the model repeats frames rather than slowing the motion);
fit the first frame to the working size; run the pipeline with it as the first frame,
the prompt of the middle frame asked for (the nearest keyframe's) and the first frame's
seed; take the picked frames and resize them to the film's size. The pipelines, by the
class in the model's folder:

- ``WanImageToVideoPipeline`` (Wan 2.2 TI2V 5B, Wan 2.1 I2V): ``image``. A window without
  a first frame starts from text with ``WanPipeline.from_pipe`` (the same weights) where
  the transformer takes plain video latents (TI2V).
- ``CogVideoXImageToVideoPipeline`` (CogVideoX 5B I2V): ``image``; its learned position
  embeddings fix its size and frame count (49). No text-only start.
- ``LTXConditionPipeline``: a condition at frame 0, ``frame_rate`` the film's; without a
  first frame, no condition (text-to-video).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from animator.base import ClipRequest, Frame
from animator.diffusion.config import RoleConfig
from animator.diffusion.frames import NativeFrames, native_frames, to_film, to_model
from animator.diffusion.loading import LoadedPipeline, ResolvedModel
from animator.diffusion.role import Placement
from animator.diffusion.video import VideoRole, one_prompt, read_config
from storyboard.errors import UserError


class ClipRole(VideoRole):
    """Image-to-video windows (see the module docstring)."""

    classes = ("WanImageToVideoPipeline", "CogVideoXImageToVideoPipeline",
               "LTXConditionPipeline")

    def __init__(self, config: RoleConfig, resolved: ResolvedModel,
                 placement: Placement) -> None:
        super().__init__("clip", config, resolved, placement)
        folder = resolved.folder
        transformer = read_config(folder, "transformer")
        encoder = read_config(folder, "image_encoder").get("vision_config") or \
            read_config(folder, "image_encoder")
        if resolved.pipeline_class == "WanImageToVideoPipeline" and \
                transformer.get("pos_embed_seq_len") and encoder:
            tokens = (encoder["image_size"] // encoder["patch_size"]) ** 2 + 1
            if transformer["pos_embed_seq_len"] == 2 * tokens:
                raise UserError(f"the clip model {resolved.model!r} is Wan FLF2V, which "
                                f"needs a last frame: use it as the inbetween model")
        self.text_start = (resolved.pipeline_class == "LTXConditionPipeline" or bool(
            read_config(folder, "").get("expand_timesteps")))
        """whether a window without a first frame can start from text"""

    @property
    def clip_frames(self) -> int:
        """Frames one call makes after its first frame."""
        return self.rule.max_frames - 1

    def __call__(self, requests: Sequence[ClipRequest]) -> list[list[Frame]]:
        if any(r.first is None for r in requests) and not self.text_start:
            raise ValueError(f"the clip model {self.resolved.model!r} "
                             f"({self.resolved.pipeline_class}) needs a first frame")
        results = []
        for request in requests:
            video, plan = self.native_video(request)
            film = (request.frames[0].width, request.frames[0].height)
            results.append(to_film(video, plan.picks, film))  # 4. picked, at the film's size
        return results

    def native_video(self, request: ClipRequest) -> tuple[np.ndarray, NativeFrames]:
        """The model's own frames for ``request`` (floats in 0..1, the first included)
        and which of them the frames asked for take."""
        # 1. the model's frames for the film frames asked for, at the model's rate
        asked = request.spacing()
        plan = native_frames(asked, asked[-1], request.fps, self.rule, distinct=False)
        # 2. the first frame at the working size
        width, height = self.size_for(request.frames[0].width, request.frames[0].height)
        kwargs: dict[str, Any] = {"height": height, "width": width, "num_frames": plan.count}
        first = None if request.first is None else to_model(request.first, (width, height))
        # 3. one pipeline call from the first frame (or from text)
        loaded = self.pipeline()
        if self.resolved.pipeline_class == "LTXConditionPipeline":
            from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

            kwargs["frame_rate"] = request.fps
            if first is not None:
                kwargs["conditions"] = [LTXVideoCondition(image=first, frame_index=0)]
        elif first is not None:
            kwargs["image"] = first
        else:
            loaded = self._text_to_video(loaded)
        return self.run(loaded, one_prompt(request.frames), **kwargs), plan

    @staticmethod
    def _text_to_video(loaded: LoadedPipeline) -> LoadedPipeline:
        """Wan's text-to-video pipeline on the same modules (made once, same lock)."""
        if "text_to_video" not in loaded.extras:
            from diffusers import WanPipeline

            pipe = loaded.pipe
            loaded.extras["text_to_video"] = WanPipeline.from_pipe(pipe)
        return type(loaded)(loaded.extras["text_to_video"], loaded.lock)
