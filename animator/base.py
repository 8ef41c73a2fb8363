"""The Animator interface: batched keyframe and in-between requests in, frames out.

The scheduler turns a storyboard into requests that carry everything a backend may
need: a diffusion backend reads ``prompt``, ``negative_prompt``, ``layout`` boxes and
``seed``; the animatic previz reads the setting, camera and entity colours. Frames are
``uint8`` numpy arrays of shape (height, width, 3).

A backend is made of **roles** (:data:`ROLES`): ``reference`` (one portrait per entity),
``keyframe``, ``inbetween`` and ``clip``. Each job kind uses one role, and a job's key holds
only that role's fingerprint (:meth:`Animator.role_fingerprints`), so changing the
in-between model does not re-key keyframes. A backend whose capabilities say
``references`` makes one :class:`ReferenceRequest` image per entity; with
``keyframe_references`` each keyframe request also carries the reference images of the
entities it shows (``FrameRequest.references``).
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

Frame = np.ndarray
"""One RGB frame: uint8, shape (height, width, 3)."""

ROLES: tuple[str, ...] = ("reference", "keyframe", "inbetween", "clip")
"""The parts of a backend, one per kind of call: references, keyframes, inbetweens, clips."""
KIND_ROLES: dict[str, str] = {"reference": "reference", "keyframe": "keyframe",
                              "interpolate": "inbetween", "clip": "clip"}
"""job kind (``director.schedule``) -> the role that makes its artifacts"""


class _Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EntityBox(_Request):
    """An entity's box in a frame, with what a renderer needs to draw or ground it."""

    entity: str
    name: str
    kind: str
    phrase: str
    color: str
    box: tuple[float, float, float, float]


class ReferenceImage(BaseModel):
    """An entity's reference image, given to a request of a frame that shows it."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    entity: str
    image: Frame


class FrameRequest(_Request):
    """Everything about one frame to be made, at time ``t`` of its shot."""

    shot_id: str
    t: float = Field(ge=0, le=1)
    prompt: str
    """the full prompt: style, setting, entities' appearance, the keyframe's own words"""
    negative_prompt: str = ""
    caption: str = ""
    """the storyboard keyframe's own prompt, for previews"""
    layout: tuple[EntityBox, ...] = ()
    setting: str = ""
    time_of_day: str = "day"
    camera_size: str = "medium"
    camera_movement: str = "static"
    width: int
    height: int
    seed: int
    references: tuple[ReferenceImage, ...] = ()
    """reference images of the entities of its layout (only for an animator whose
    capabilities say ``keyframe_references``)"""


class ReferenceRequest(_Request):
    """One entity's reference portrait: made from its fixed appearance, or taken from the
    user's ``image`` (then the backend only fits it to its own size)."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    entity: str
    name: str
    kind: str
    appearance: str
    prompt: str
    """style and appearance: what a text-to-image role draws"""
    negative_prompt: str = ""
    seed: int
    image: Frame | None = None
    """the user's reference image (Entity.reference), when the storyboard gives one"""


class InbetweenRequest(BaseModel):
    """Frames to make between two frames already made (NUWA-XL's local diffusion)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    first: Frame
    last: Frame
    frames: tuple[FrameRequest, ...]
    """one request per in-between, in time order, strictly between ``first`` and ``last``"""
    first_t: float | None = None
    last_t: float | None = None
    """times (0..1 of the shot) of ``first`` and ``last``; None when not known"""
    offsets: tuple[int, ...] = ()
    """film frames from ``first`` to each in-between, then to ``last`` (one more than
    ``frames``); () means contiguous: 1, 2, ..., len(frames) + 1"""
    fps: float = Field(24.0, gt=0)
    """the film's frame rate (a video model maps it to its own)"""

    def spacing(self) -> tuple[tuple[int, ...], int]:
        """The in-betweens' offsets from ``first`` and the offset of ``last``."""
        offsets = self.offsets or tuple(range(1, len(self.frames) + 2))
        return offsets[:-1], offsets[-1]


class ClipRequest(BaseModel):
    """A whole window of frames from its first frame (image/text-to-video models)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    first: Frame | None
    frames: tuple[FrameRequest, ...]
    """one request per frame to make after ``first``, in time order"""
    offsets: tuple[int, ...] = ()
    """film frames from ``first`` to each frame to make; () means 1, 2, ..., len(frames)"""
    fps: float = Field(24.0, gt=0)
    """the film's frame rate (a video model maps it to its own)"""

    def spacing(self) -> tuple[int, ...]:
        """The frames' offsets from ``first``."""
        return self.offsets or tuple(range(1, len(self.frames) + 1))


class Capabilities(BaseModel):
    """What the scheduler needs to know to plan jobs for an animator."""

    model_config = ConfigDict(frozen=True)

    max_inbetweens: int = Field(ge=1, description="most in-between frames one call makes (m)")
    batch_size: int = Field(1, ge=1, description="requests an animator takes in one call")
    clip_frames: int = Field(
        0, ge=0, description="frames one clip call makes; 0 when the animator makes no clips"
    )
    references: bool = Field(
        False, description="makes one reference image per entity (reference jobs)")
    keyframe_references: bool = Field(
        False, description="keyframes condition on the references of the entities they show")
    frame_counts: tuple[int, ...] = Field(
        (), description="frames one in-between call makes natively, both end frames included "
                        "(Wan 5, 9, ..., 81: 4k+1); () when any count up to m + 2 is native")
    sparse: bool = Field(
        True, description="whether the frames of one in-between call may be evenly spaced "
                          "with gaps (NUWA-XL's upper levels); False: only contiguous frames")

    batch_sizes: dict[str, int] = Field(
        default_factory=dict, description="requests per call by job kind (keyframe, "
        "interpolate, clip) where it differs from batch_size: video pipelines take one")
    model_roles: tuple[str, ...] = Field(
        (), description="roles (KIND_ROLES values) that load a model: their ready jobs "
                        "are grouped, so a run does not swap models back and forth")
    one_model_at_a_time: bool = Field(
        False, description="only one role's model may be on the device at once (model "
                           "offload): jobs of two model roles never run at the same time")

    def batch_size_for(self, kind: str) -> int:
        """Requests per call for jobs of ``kind``."""
        return self.batch_sizes.get(kind, self.batch_size)

    @model_validator(mode="after")
    def _counts_hold_m(self) -> Capabilities:
        counts = self.frame_counts
        if counts and (list(counts) != sorted(set(counts)) or counts[0] < 3):
            raise ValueError(f"frame_counts must increase from at least 3; got {counts}")
        if counts and self.max_inbetweens > counts[-1] - 2:
            raise ValueError(f"max_inbetweens {self.max_inbetweens} is more than the "
                             f"{counts[-1]} frames of a call hold between their two ends")
        return self


class RoleUsage(BaseModel):
    """What one role has used in this process so far (cumulative; a run reports the
    difference)."""

    loads: int = 0
    """models loaded for it"""
    load_seconds: float = 0.0
    calls: int = 0
    """pipeline calls"""
    device_seconds: float = 0.0
    """seconds inside pipeline calls"""
    peak_gpu_bytes: int | None = None
    """the most GPU memory torch had allocated during one of its calls; None off CUDA"""


class Interrupted(RuntimeError):
    """A call stopped between two denoising steps because the run was interrupted."""


@dataclass(frozen=True)
class AnimatorSpec:
    """How to build an animator again in another process (a Ray worker): its class as
    ``"module:Class"`` and the keyword options it was built with (plain data)."""

    target: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def build(self) -> Animator:
        module_name, class_name = self.target.split(":")
        animator = getattr(importlib.import_module(module_name), class_name)(**self.options)
        animator._spec = self
        return animator


LAYOUT_FIELDS: tuple[str, ...] = tuple(f"layout.{name}" for name in EntityBox.model_fields)
REQUEST_FIELDS: frozenset[str] = frozenset(
    [name for name in FrameRequest.model_fields if name != "layout"] + list(LAYOUT_FIELDS))
"""Every field of a FrameRequest that a backend can read; a layout box's fields are
``layout.<field>`` (``layout.color``, ``layout.box``, ...)."""


class Animator(ABC):
    """A backend that makes frames. It loads its models once and keeps them for every
    call; every call is batched, and the same requests give the same frames."""

    name: str = "animator"
    _spec: AnimatorSpec | None = None

    def spec(self) -> AnimatorSpec:
        """How to build this animator again elsewhere: the spec it was built from
        (``animator.registry.get_animator`` and :meth:`AnimatorSpec.build` record it),
        else its class with no options."""
        cls = type(self)
        return self._spec or AnimatorSpec(f"{cls.__module__}:{cls.__qualname__}")

    def role(self, kind: str) -> str:
        """The role (model) that makes frame jobs of ``kind`` (keyframe, interpolate,
        clip): on a cluster, each role gets its own workers. By default each kind is a
        role; a backend whose kinds share one model returns one name for them."""
        return kind

    def worker_resources(self, role: str) -> dict[str, float]:
        """What one worker of ``role`` holds on a cluster: ``num_cpus``, ``num_gpus``
        (fractions allowed) and custom resources by name. One CPU by default; a GPU
        backend returns e.g. ``{"num_cpus": 1, "num_gpus": 1}`` for its GPU roles."""
        return {"num_cpus": 1}

    @abstractmethod
    def fingerprint(self) -> dict[str, Any]:
        """What determines its output: backend, model ids, versions, settings. Part of
        every job key, so a change here makes every frame again."""

    def role_fingerprints(self) -> dict[str, dict[str, Any]]:
        """The fingerprint of each role (:data:`ROLES`): a job's key holds only that of
        the role that makes it. By default every role has the whole fingerprint."""
        whole = self.fingerprint()
        return {role: whole for role in ROLES}

    def describe(self) -> dict[str, str]:
        """What the render report says of each role: its model and method."""
        return {}

    @property
    @abstractmethod
    def capabilities(self) -> Capabilities:
        """How many in-betweens per call, batch size, clip length."""

    @abstractmethod
    def keyframes(self, requests: Sequence[FrameRequest]) -> list[Frame]:
        """One frame per request, in order."""

    @abstractmethod
    def inbetweens(self, requests: Sequence[InbetweenRequest]) -> list[list[Frame]]:
        """For each request, its in-between frames in order."""

    def reads(self) -> frozenset[str]:
        """The FrameRequest fields its frames depend on (names from
        :data:`REQUEST_FIELDS`). A job's key is hashed from its requests restricted to
        these, so changing a field it does not read (an entity's preview colour, for a
        diffusion backend) makes nothing again. The default, every field, is always safe."""
        return REQUEST_FIELDS

    def usage(self) -> dict[str, RoleUsage]:
        """Per role, what it has used in this process (models loaded, device time, GPU
        memory); {} for a backend without models."""
        return {}

    def interrupt(self) -> None:  # noqa: B027 - optional: most backends need nothing
        """Ask every call in flight to stop at its next denoising step (it raises
        :class:`Interrupted`); calls made afterwards run as usual. Ctrl-C and a cancelled
        run call it. A backend whose calls are short need not do anything."""

    def clips(self, requests: Sequence[ClipRequest]) -> list[list[Frame]]:
        """For each request, the frames of its window. Only where ``clip_frames`` > 0."""
        raise NotImplementedError(f"the {self.name} animator makes no clips")

    def references(self, requests: Sequence[ReferenceRequest]) -> list[Frame]:
        """One reference image per entity request. Only where ``capabilities.references``."""
        raise NotImplementedError(f"the {self.name} animator makes no entity references")
