"""What running one batch does, for every engine: build the animator's requests (end
frames, and the reference pictures a keyframe conditions on, read from the store), call
the animator, check its frames and store them; shot jobs write their clip segments and
the film job assembles the film.

The animator is reached through an :data:`AnimatorCall`, ``call(kind, requests)``, so an
engine can run the call anywhere (this thread, or a remote worker) while the store is
read and written here. A batch never raises: each job ends as a
:class:`director.policy.JobResult`; a failing batch is retried job by job, so one bad job
does not fail its batch mates.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import networkx as nx
import numpy as np

from animator.base import (
    Animator,
    ClipRequest,
    Frame,
    FrameRequest,
    InbetweenRequest,
    ReferenceImage,
    ReferenceRequest,
)
from director.artifacts import ArtifactStore
from director.policy import Batch, JobResult, error_message
from director.schedule import (
    BATCHED_KINDS,
    FilmPayload,
    Job,
    ReferencePayload,
    ScheduleConfig,
    ShotPayload,
)
from director.segments import ShotSegments, write_shot_segments
from storyboard.errors import UserError

log = logging.getLogger(__name__)

Request = FrameRequest | InbetweenRequest | ClipRequest | ReferenceRequest
AnimatorCall = Callable[[str, Sequence[Request]], list[list[Frame]]]
"""``call(kind, requests)``: the frames of each request of a reference, keyframe,
interpolate or clip batch (one frame per reference or keyframe request)."""


def call_animator(animator: Animator, kind: str, requests: Sequence[Request]
                  ) -> list[list[Frame]]:
    """Run one frame batch on ``animator``: its keyframes, inbetweens or clips call."""
    if kind == "keyframe":
        return [[frame] for frame in animator.keyframes(requests)]  # type: ignore[arg-type]
    if kind == "reference":
        return [[frame] for frame in animator.references(requests)]  # type: ignore[arg-type]
    if kind == "interpolate":
        return animator.inbetweens(requests)  # type: ignore[arg-type]
    if kind == "clip":
        return animator.clips(requests)  # type: ignore[arg-type]
    raise ValueError(f"unknown frame job kind {kind!r}")


class BatchRunner:
    """Runs batches of one graph's jobs against a store, calling the animator by ``call``."""

    def __init__(self, graph: nx.DiGraph, store: ArtifactStore, call: AnimatorCall) -> None:
        self.graph, self.store, self.call = graph, store, call
        self.jobs: dict[str, Job] = {n: d["job"] for n, d in graph.nodes(data=True)}

    def run(self, batch: Batch) -> list[JobResult]:
        """Run one batch; never raises: errors come back as messages, job by job."""
        kind, jobs = batch.kind, batch.jobs
        start = time.perf_counter()
        try:
            if kind in BATCHED_KINDS:
                return self._make_frames(kind, jobs)
            if kind == "shot":
                self._make_shot(jobs[0])
            elif kind == "film":
                self._make_film(jobs[0])
            else:
                raise ValueError(f"unknown job kind {kind!r}")
            return [JobResult(jobs[0], time.perf_counter() - start)]
        except Exception as error:  # noqa: BLE001 - a failing job becomes a record
            if len(jobs) > 1:  # find the bad ones; keep the rest
                return [r for job in jobs for r in self.run(Batch(kind, (job,)))]
            log.debug("job %s raised", jobs[0].id, exc_info=True)
            return [JobResult(jobs[0], time.perf_counter() - start, error_message(error))]

    # -- frame jobs ----------------------------------------------------------------------
    def _end_frame(self, job: Job, which: int) -> np.ndarray:
        parent = self.jobs[job.parents[which]]
        frame = job.ends[which]
        try:
            return self.store.frame(parent.key, frame)
        except KeyError:  # an equal key stored by a job at other indices: read by position
            stored = self.store.frames(parent.key)  # (a keyframe's key holds no frame index)
            return stored[sorted(stored)[parent.frames.index(frame)]]

    def _with_references(self, job: Job, request: FrameRequest) -> FrameRequest:
        """A keyframe request with the pictures of its reference parents, if it has any."""
        refs = tuple(ReferenceImage(entity=parent.payload.entity.id,  # type: ignore[union-attr]
                                    image=self.store.frame(parent.key, 0))
                     for parent in (self.jobs[p] for p in job.parents)
                     if parent.kind == "reference")
        return request.model_copy(update={"references": refs}) if refs else request

    def requests(self, kind: str, jobs: Sequence[Job]) -> list[Request]:
        """The animator's request for each job: plain data, no storyboard."""
        if kind == "reference":
            return [job.payload.request() for job in jobs]  # type: ignore[union-attr]
        if kind == "keyframe":
            return [self._with_references(job, job.frame_requests()[0]) for job in jobs]
        if kind == "interpolate":
            return [InbetweenRequest(first=self._end_frame(job, 0), last=self._end_frame(job, 1),
                                     frames=tuple(job.frame_requests()),
                                     first_t=job.payload.time(job.ends[0]),  # type: ignore
                                     last_t=job.payload.time(job.ends[1]),  # type: ignore
                                     offsets=job.offsets(), fps=job.payload.fps)
                    for job in jobs]
        return [ClipRequest(first=self._end_frame(job, 0), frames=tuple(job.frame_requests()),
                            offsets=job.offsets(), fps=job.payload.fps) for job in jobs]

    def _make_frames(self, kind: str, jobs: Sequence[Job]) -> list[JobResult]:
        start = time.perf_counter()
        outputs = self.call(kind, self.requests(kind, jobs))
        if len(outputs) != len(jobs):
            raise RuntimeError(f"the animator returned {len(outputs)} results for "
                               f"{len(jobs)} requests")
        share = (time.perf_counter() - start) / len(jobs)
        results: list[JobResult] = []
        for job, frames in zip(jobs, outputs, strict=True):
            began = time.perf_counter()
            try:
                self._check_frames(job, frames)
                meta = {"kind": kind, "job": job.id, "shot": job.shot,
                        "seconds": round(share, 4)}
                if isinstance(job.payload, ReferencePayload):  # found by the contact sheet
                    meta["entity"] = job.payload.entity.id
                    meta["made_from"] = job.payload.source_digest()
                self.store.put_frames(job.key, dict(zip(job.frames, frames, strict=True)), meta)
                results.append(JobResult(job, share + time.perf_counter() - began))
            except Exception as error:  # noqa: BLE001 - one bad output fails one job
                results.append(JobResult(job, share + time.perf_counter() - began,
                                         error_message(error)))
        return results

    @staticmethod
    def _check_frames(job: Job, frames: list[np.ndarray]) -> None:
        if len(frames) != len(job.frames):
            raise ValueError(f"the animator returned {len(frames)} frames for a job of "
                             f"{len(job.frames)}")
        fmt = job.payload.storyboard.format
        for frame in frames:
            if isinstance(job.payload, ReferencePayload):  # any size the animator draws at
                if isinstance(frame, np.ndarray) and frame.dtype == np.uint8 and \
                        frame.ndim == 3 and frame.shape[2] == 3:
                    continue
                expected = "a uint8 (height, width, 3) picture"
            elif isinstance(frame, np.ndarray) and frame.dtype == np.uint8 and \
                    frame.shape == (fmt.height, fmt.width, 3):
                continue
            else:
                expected = f"uint8 {(fmt.height, fmt.width, 3)}"
            raise ValueError(
                f"the animator returned a {getattr(frame, 'dtype', type(frame).__name__)} "
                f"frame of shape {getattr(frame, 'shape', None)}; expected {expected}")

    # -- shot and film jobs --------------------------------------------------------------
    def _make_shot(self, job: Job) -> None:
        start = time.perf_counter()
        makers = [self.jobs[p] for p in job.parents]
        owner = {frame: maker for maker in makers for frame in maker.frames}
        left = {maker.id: len(maker.frames) for maker in makers}
        loaded: dict[str, dict[int, np.ndarray]] = {}

        def frames() -> Iterator[np.ndarray]:
            for index in job.frames:
                maker = owner[index]
                if maker.id not in loaded:
                    stored = self.store.frames(maker.key)  # by position: see _end_frame
                    loaded[maker.id] = dict(zip(maker.frames, (stored[i] for i in sorted(stored)),
                                                strict=True))
                yield loaded[maker.id][index]
                left[maker.id] -= 1
                if left[maker.id] == 0:
                    del loaded[maker.id]

        payload: ShotPayload = job.payload  # type: ignore[assignment]
        lengths = payload.segments
        if lengths.frames != len(job.frames):
            raise RuntimeError(f"the shot's segments hold {lengths.frames} frames, the shot"
                               f" {len(job.frames)}")
        meta: dict[str, Any] = {"kind": "shot", "job": job.id, "shot": job.shot,
                                "frames": len(job.frames), "segments": lengths.as_dict()}
        with self.store.writing(job.key, meta) as work:
            write_shot_segments(frames(), work, lengths, payload.fps, payload.shot.narration)
            meta["seconds"] = round(time.perf_counter() - start, 4)

    def _make_film(self, job: Job) -> None:
        from director.assemble import assemble_film

        start = time.perf_counter()
        payload: FilmPayload = job.payload  # type: ignore[assignment]
        config: ScheduleConfig | None = self.graph.graph.get("config")
        if config is not None and config.audio_sha256 and payload.audio is None:
            raise UserError("the film has background audio, but no audio file was given")
        shots = [ShotSegments.in_folder(self.store.path(self.jobs[p].key))
                 for p in job.parents]
        meta: dict[str, Any] = {"kind": "film", "job": job.id, "shot": None}
        with self.store.writing(job.key, meta) as work:
            info = assemble_film(payload.storyboard, shots, work / "film.mp4",
                                 title=payload.title, audio=payload.audio)
            meta["subtitles"] = info.subtitles.name if info.subtitles else None
            meta["frames"] = int(info.frames)
            meta["film_seconds"] = float(info.seconds)
            meta["seconds"] = round(time.perf_counter() - start, 4)
