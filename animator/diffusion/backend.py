"""DiffusionAnimator: the ``diffusion`` backend, composed of roles.

    animator = DiffusionAnimator(preset="sd15", device="cuda", steps=25)
    animator.keyframes(requests)      # FrameRequest.references: the entities' portraits

Building it checks every setting and resolves every role's model on disk (a missing or
pickle-only model is one UserError here, before any job runs) but loads nothing: each
pipeline is loaded on its role's first call, once per process. Each call goes to its
role: ``references`` -> reference, ``keyframes`` -> keyframe, ``inbetweens`` ->
inbetween, ``clips`` -> clip. :data:`ROLE_BUILDERS` maps a role and its config to the role
object (the video roles: ``inbetween.py``, ``clip.py``).

The video roles follow the model in their folder: ``inbetween_model`` / ``clip_model``
replace the preset's (any folder of a supported pipeline class), ``video_frames`` caps the
frames per call (a count the model makes: Wan 4k+1, LTX 8k+1) and ``video_size`` sets the
side of the square whose area they work at. The capabilities follow: ``max_inbetweens``
is the in-between model's frames per call minus its two ends, ``frame_counts`` its native
counts, ``clip_frames`` the clip model's frames after the first; video kinds take one
request per call; every pipeline role is a model role for the executor's grouping, with
one model at a time on the device under an offload memory mode.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from animator.base import (
    KIND_ROLES,
    Animator,
    Capabilities,
    ClipRequest,
    Frame,
    FrameRequest,
    InbetweenRequest,
    ReferenceRequest,
    RoleUsage,
)
from animator.diffusion.blend import BlendRole
from animator.diffusion.clip import ClipRole
from animator.diffusion.config import BLEND, SAME_AS_KEYFRAME, RoleConfig, Runtime
from animator.diffusion.inbetween import InbetweenRole
from animator.diffusion.keyframe import KeyframeRole
from animator.diffusion.loading import resolve, resolve_files
from animator.diffusion.presets import DEFAULT_PRESET, get_preset
from animator.diffusion.reference import IPAdapterConditioning, ReferenceRole
from animator.diffusion.role import PipelineRole, Placement, Role
from storyboard.errors import UserError

RoleBuilder = Callable[[RoleConfig, Placement, bool], Role]


def _video_role(cls: type) -> RoleBuilder:
    def build(config: RoleConfig, placement: Placement, download: bool) -> Role:
        resolved = resolve(config.model, cls.name, download=download, size_gb=config.size_gb)
        return cls(config, resolved, placement)
    return build


ROLE_BUILDERS: dict[str, RoleBuilder] = {"inbetween": _video_role(InbetweenRole),
                                         "clip": _video_role(ClipRole)}
"""Role name -> builder of its pipeline role from (config, placement, download), for the
video roles (``inbetween``, ``clip``); ``blend`` needs none."""


def _ip_adapter(config: RoleConfig, download: bool) -> IPAdapterConditioning | None:
    adapter = config.ip_adapter
    if adapter is None:
        return None
    files = (f"{adapter.subfolder}/{adapter.weight_name}".lstrip("/"), adapter.image_encoder)
    resolved = resolve_files(adapter.model, "keyframe IP-Adapter", files, download=download,
                             size_gb=adapter.size_gb)
    return IPAdapterConditioning(adapter, resolved)


class DiffusionAnimator(Animator):
    """Frames from diffusers pipelines, one per role (see the module docstring)."""

    name = "diffusion"

    def __init__(self, preset: str = DEFAULT_PRESET, *, keyframe_model: str | None = None,
                 inbetween_model: str | None = None, clip_model: str | None = None,
                 video_frames: int | None = None, video_size: int | None = None,
                 device: str = "auto", dtype: str | None = None, steps: int | None = None,
                 guidance: float | None = None, memory: str = "full",
                 download: bool = False) -> None:
        self.preset = get_preset(preset)
        if steps is not None and steps < 1:
            raise UserError(f"--steps must be at least 1; got {steps}")
        if guidance is not None and not guidance >= 0:
            raise UserError(f"--guidance must be 0 or more; got {guidance}")
        runtime = Runtime(device=device, dtype=dtype, memory=memory, download=download).check()
        resolved_device = runtime.resolved_device()
        self.placement = Placement(resolved_device,
                                   runtime.resolved_dtype(self.preset, resolved_device), memory)

        keyframe = self.preset.roles["keyframe"]
        if keyframe_model is not None:  # the user's model: its own size, no preset adapter
            keyframe = RoleConfig(model=keyframe_model, steps=keyframe.steps,
                                  guidance=keyframe.guidance)
        keyframe = keyframe.replace(steps=steps, guidance=guidance)
        self.roles: dict[str, Role] = {}
        resolved = resolve(keyframe.model, "keyframe", download=download,
                           size_gb=keyframe.size_gb)
        self.roles["keyframe"] = KeyframeRole(keyframe, resolved, self.placement,
                                              _ip_adapter(keyframe, download),
                                              self.preset.batch_size)
        reference = self.preset.roles.get("reference")
        if reference is not None:
            if reference.model == SAME_AS_KEYFRAME:
                self.roles["reference"] = ReferenceRole(keyframe, resolved, self.placement)
            else:
                reference = reference.replace(steps=steps, guidance=guidance)
                self.roles["reference"] = ReferenceRole(
                    reference, resolve(reference.model, "reference", download=download,
                                       size_gb=reference.size_gb), self.placement)
        for name, model in (("inbetween", inbetween_model), ("clip", clip_model)):
            config = self.preset.roles.get(name)
            if model is not None:  # the user's folder or id: its own frame rule and size
                config = RoleConfig(model=model, steps=config.steps if config and
                                    config.is_pipeline else 30,
                                    guidance=config.guidance if config and config.is_pipeline
                                    else 5.0)
            if config is None:
                continue
            if config.is_pipeline:
                config = config.replace(steps=steps, guidance=guidance, max_frames=video_frames,
                                        native=video_size)
            if config.model == BLEND:
                self.roles[name] = BlendRole()
            elif name in ROLE_BUILDERS:
                self.roles[name] = ROLE_BUILDERS[name](config, self.placement, download)
            else:
                raise UserError(f"the {self.preset.name} preset's {name} role"
                                f" ({config.model}) is not supported by this version")

    # -- what the scheduler reads -----------------------------------------------------------
    def role_fingerprints(self) -> dict[str, dict[str, Any]]:
        return {name: role.fingerprint() for name, role in self.roles.items()}

    def fingerprint(self) -> dict[str, Any]:
        return {"backend": self.name, "preset": self.preset.name,
                "roles": self.role_fingerprints()}

    @property
    def capabilities(self) -> Capabilities:
        inbetween = self.roles.get("inbetween")
        clip = self.roles.get("clip")
        keyframe: KeyframeRole = self.roles["keyframe"]  # type: ignore[assignment]
        models = tuple(name for name, role in self.roles.items()
                       if isinstance(role, PipelineRole))
        return Capabilities(
            max_inbetweens=getattr(inbetween, "max_inbetweens", 1),
            batch_size=self.preset.batch_size,
            clip_frames=getattr(clip, "clip_frames", 0),
            references="reference" in self.roles,
            keyframe_references=keyframe.conditioning is not None,
            frame_counts=getattr(inbetween, "frame_counts", ()),
            batch_sizes={kind: 1 for kind, role in (("interpolate", inbetween), ("clip", clip))
                         if isinstance(role, PipelineRole)},
            model_roles=models,
            one_model_at_a_time=self.placement.memory != "full")

    def role(self, kind: str) -> str:
        """The role that makes ``kind`` jobs; the reference role is the keyframe role's when
        it runs the keyframe pipeline (one model, so one worker pool on a cluster)."""
        name = KIND_ROLES.get(kind, kind)
        reference = self.roles.get("reference")
        if name == "reference" and isinstance(reference, PipelineRole) and \
                reference.resolved == self.roles["keyframe"].resolved:  # type: ignore[attr-defined]
            return "keyframe"
        return name

    def worker_resources(self, role: str) -> dict[str, float]:
        """A GPU for each worker of a role that runs a pipeline on CUDA."""
        if self.placement.device_type == "cuda" and isinstance(self.roles.get(role),
                                                                PipelineRole):
            return {"num_cpus": 1, "num_gpus": 1}
        return {"num_cpus": 1}

    def describe(self) -> dict[str, str]:
        """Each role's model and method, for the render report."""
        return {name: role.describe() for name, role in self.roles.items()}

    def usage(self) -> dict[str, RoleUsage]:
        return {name: role.usage() for name, role in self.roles.items()
                if isinstance(role, PipelineRole)}

    def interrupt(self) -> None:
        self.placement.guard.interrupt()

    # -- calls, one role each -----------------------------------------------------------------
    def references(self, requests: Sequence[ReferenceRequest]) -> list[Frame]:
        if "reference" not in self.roles:
            return super().references(requests)
        return self.roles["reference"](requests)  # type: ignore[operator]

    def keyframes(self, requests: Sequence[FrameRequest]) -> list[Frame]:
        return self.roles["keyframe"](requests)  # type: ignore[operator]

    def inbetweens(self, requests: Sequence[InbetweenRequest]) -> list[list[Frame]]:
        if "inbetween" not in self.roles:
            raise NotImplementedError(f"the {self.preset.name} preset makes no in-betweens")
        return self.roles["inbetween"](requests)  # type: ignore[operator]

    def clips(self, requests: Sequence[ClipRequest]) -> list[list[Frame]]:
        if "clip" not in self.roles:
            return super().clips(requests)
        return self.roles["clip"](requests)  # type: ignore[operator]
