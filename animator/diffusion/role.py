"""The role interface: one part of the diffusion backend, usually one diffusers pipeline.

Every role has a ``name`` (one of ``animator.base.ROLES``), a :meth:`Role.fingerprint`
(what decides its pixels; a job's key holds only the fingerprint of the role that makes
it), a one-line :meth:`Role.describe` for the render report and :meth:`Role.models` for
``director models``. A role is called like a pipeline (``role(requests)``); the call
signature depends on the role:

    reference  (Sequence[ReferenceRequest]) -> list[Frame]
    keyframe   (Sequence[FrameRequest]) -> list[Frame]   (references ride on the requests)
    inbetween  (Sequence[InbetweenRequest]) -> list[list[Frame]]
    clip       (Sequence[ClipRequest]) -> list[list[Frame]]

:class:`PipelineRole` is the base of the roles that run a pipeline: the model is resolved
(found on disk, fingerprinted) when the role is built, and loaded on its first call, once
per process (``loading.load_pipeline``); :meth:`PipelineRole.generators` gives one fresh
CPU ``torch.Generator`` per request, seeded from the request's seed. Every pipeline call
goes through :meth:`PipelineRole.call`, inside the pipeline's lock: it can be interrupted
between denoising steps (``Placement.guard``) and is counted in the role's
:class:`animator.base.RoleUsage` (loads, seconds, peak GPU memory) for the report.
"""

from __future__ import annotations

import inspect
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from animator.base import RoleUsage
from animator.diffusion.config import RoleConfig
from animator.diffusion.images import native_side
from animator.diffusion.loading import (
    LoadedPipeline,
    ResolvedModel,
    library_versions,
    load_pipeline,
    scheduler_config,
)
from animator.diffusion.steps import StepGuard

_COUNTING = threading.Lock()
"""taken to decide which role counts a pipeline's load (the first to get it)"""


@dataclass(frozen=True)
class Placement:
    """Where and how pipelines run (``Runtime`` resolved): shared by every role."""

    device: str
    dtype: str
    memory: str
    guard: StepGuard = field(default_factory=StepGuard, compare=False, repr=False)
    """the interrupt flag every pipeline call checks between denoising steps"""

    @property
    def device_type(self) -> str:
        """``cpu`` or ``cuda``: outputs differ between them, not between GPUs."""
        return self.device.partition(":")[0]


class Role:
    """One part of the backend."""

    name: str = "role"

    def fingerprint(self) -> dict[str, Any]:
        raise NotImplementedError

    def describe(self) -> str:
        """One line for the render report: model and method."""
        raise NotImplementedError

    def models(self) -> list[ResolvedModel]:
        """The models it reads from disk."""
        return []


class PipelineRole(Role):
    """A role that runs a diffusers pipeline from a resolved folder."""

    def __init__(self, name: str, config: RoleConfig, resolved: ResolvedModel,
                 placement: Placement) -> None:
        self.name, self.config, self.resolved, self.placement = name, config, resolved, placement
        native, factor = native_side(resolved.folder)
        self.native = config.native or native or 512
        """side of the square the model generates best at"""
        self.multiple = max(config.multiple, factor)
        self._usage = RoleUsage()
        self._usage_lock = threading.Lock()

    def pipeline(self) -> LoadedPipeline:
        """The loaded pipeline (loaded on first use, then shared by every role naming the
        same folder, dtype, device and memory mode); a load made here is counted."""
        p = self.placement
        loaded = load_pipeline(self.resolved, role=self.name, dtype=p.dtype, device=p.device,
                               memory=p.memory)
        with _COUNTING:
            first = not loaded.counted
            loaded.counted = True
        if first:
            with self._usage_lock:
                self._usage.loads += 1
                self._usage.load_seconds += loaded.load_seconds
        return loaded

    def call(self, pipe: Any, **kwargs: Any) -> Any:
        """``pipe(**kwargs)`` (the caller holds the pipeline's lock), stopping between
        steps when the run is interrupted, counted in :meth:`usage`."""
        import torch

        cuda = self.placement.device_type == "cuda"
        if cuda:
            torch.cuda.reset_peak_memory_stats(self.placement.device)
        start = time.perf_counter()
        try:
            return pipe(**kwargs, **self._step_check(pipe))
        finally:
            seconds = time.perf_counter() - start
            peak = torch.cuda.max_memory_allocated(self.placement.device) if cuda else None
            with self._usage_lock:
                usage = self._usage
                usage.calls += 1
                usage.device_seconds += seconds
                if peak is not None:
                    usage.peak_gpu_bytes = max(usage.peak_gpu_bytes or 0, peak)

    def _step_check(self, pipe: Any) -> dict[str, Any]:
        """The argument that checks for an interrupt after every step: diffusers'
        ``callback_on_step_end``, or the older ``callback`` of pipelines such as GLIGEN."""
        step_end = self.placement.guard.callback()
        parameters = inspect.signature(pipe.__call__).parameters
        if "callback_on_step_end" in parameters:
            return {"callback_on_step_end": step_end}
        if "callback" in parameters:
            return {"callback": lambda step, timestep, latents: step_end(pipe, step, timestep,
                                                                        {}),
                    "callback_steps": 1}
        return {}

    def usage(self) -> RoleUsage:
        """What it has used in this process so far."""
        with self._usage_lock:
            return self._usage.model_copy()

    @staticmethod
    def generators(seeds: list[int]) -> list[Any]:
        """One fresh CPU generator per request, seeded from it: the same seed gives the same
        noise on every device and in every batch."""
        import torch

        return [torch.Generator("cpu").manual_seed(seed) for seed in seeds]

    def fingerprint(self) -> dict[str, Any]:
        c, p = self.config, self.placement
        return {
            **self.resolved.fingerprint(),
            "dtype": p.dtype, "device": p.device_type,
            "scheduler": scheduler_config(self.resolved.folder),
            "steps": c.steps, "guidance": c.guidance, "size": [self.native, self.multiple],
            "options": dict(c.call_options), "versions": library_versions(),
        }

    def describe(self) -> str:
        return f"{self.resolved.model} ({self.resolved.pipeline_class})"

    def models(self) -> list[ResolvedModel]:
        return [self.resolved]
