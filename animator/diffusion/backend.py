"""DiffusionAnimator: the ``diffusion`` backend, composed of roles.

    animator = DiffusionAnimator(preset="sd15", device="cuda", steps=25)
    animator.keyframes(requests, references={"fox": portrait})

Building it checks every setting and resolves every role's model on disk (a missing or
pickle-only model is one UserError here, before any job runs) but loads nothing: each
pipeline is loaded on its role's first call, once per process. Each call goes to its
role: ``references`` -> reference, ``keyframes`` -> keyframe, ``inbetweens`` ->
inbetween, ``clips`` -> clip. :data:`ROLE_BUILDERS` maps a role and its config to the role
object; part 2 adds the video in-between and clip roles there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from animator.base import (
    Animator,
    Capabilities,
    ClipRequest,
    Frame,
    FrameRequest,
    InbetweenRequest,
    ReferenceRequest,
)
from animator.diffusion.blend import BlendRole
from animator.diffusion.config import BLEND, SAME_AS_KEYFRAME, RoleConfig, Runtime
from animator.diffusion.keyframe import KeyframeRole
from animator.diffusion.loading import resolve, resolve_files
from animator.diffusion.presets import DEFAULT_PRESET, get_preset
from animator.diffusion.reference import IPAdapterConditioning, ReferenceRole
from animator.diffusion.role import Placement, Role
from storyboard.errors import UserError

RoleBuilder = Callable[[RoleConfig, Placement, bool], Role]
ROLE_BUILDERS: dict[str, RoleBuilder] = {}
"""Role name -> builder of its pipeline role from (config, placement, download), for the
video roles (``inbetween``, ``clip``) of part 2; ``blend`` needs none."""


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
        for name in ("inbetween", "clip"):
            config = self.preset.roles.get(name)
            if config is None:
                continue
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
        return Capabilities(
            max_inbetweens=getattr(inbetween, "max_inbetweens", 1),
            batch_size=self.preset.batch_size,
            clip_frames=getattr(clip, "clip_frames", 0),
            references="reference" in self.roles,
            keyframe_references=keyframe.conditioning is not None)

    def describe(self) -> dict[str, str]:
        """Each role's model and method, for the render report."""
        return {name: role.describe() for name, role in self.roles.items()}

    # -- calls, one role each -----------------------------------------------------------------
    def references(self, requests: Sequence[ReferenceRequest]) -> list[Frame]:
        if "reference" not in self.roles:
            return super().references(requests)
        return self.roles["reference"](requests)  # type: ignore[operator]

    def keyframes(self, requests: Sequence[FrameRequest],
                  references: Mapping[str, Frame] | None = None) -> list[Frame]:
        return self.roles["keyframe"](requests, references)  # type: ignore[operator]

    def inbetweens(self, requests: Sequence[InbetweenRequest]) -> list[list[Frame]]:
        if "inbetween" not in self.roles:
            raise NotImplementedError(f"the {self.preset.name} preset makes no in-betweens")
        return self.roles["inbetween"](requests)  # type: ignore[operator]

    def clips(self, requests: Sequence[ClipRequest]) -> list[list[Frame]]:
        if "clip" not in self.roles:
            return super().clips(requests)
        return self.roles["clip"](requests)  # type: ignore[operator]
