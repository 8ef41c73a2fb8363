"""One evaluation of a film: read it once, measure every figure, write the reports.

    report = evaluate("fox.mp4", storyboard=board, output="eval.json", html="eval.html")

Steps: check the inputs (the film, the reference, the storyboard against the film's
length, the CLIP model, the output folders) before anything is measured; read the film
(``director.evaluate.frames``: once, batched, at a stride); for each batch embed the
frames with CLIP and measure frame consistency, CLIPSIM, PSNR/SSIM and the entity crops;
then sum up per shot and for the film and write the JSON and the HTML.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from director.evaluate import clipsim, consistency, fidelity, fvd
from director.evaluate.clip import DEFAULT_CLIP, Clip, load_clip, resolve_clip
from director.evaluate.entities import EntityCrops, crop_frames
from director.evaluate.frames import choose_stride, film_info, iter_batches
from director.evaluate.lowest import Lowest
from director.evaluate.report import EvalReport, Figure, Series, Shot
from director.evaluate.shots import FilmShots
from director.evaluate.summary import frame_figure, pair_figure
from storyboard.errors import UserError
from storyboard.io import writable_dir
from storyboard.models import Storyboard

WHOLE_FILM = "film"
"""The owner of every frame when no storyboard is given: one shot, no boundaries."""
NO_STORYBOARD = ("no storyboard given (--project or --storyboard): the prompts and boxes"
                 " the frames were made from are unknown")
NO_FVD_MODEL = ("not computed: no --fvd-model given (FVD needs the weights of an I3D video"
                " network as .safetensors, which are neither bundled nor downloaded, and a"
                " --reference film to compare with)")


def _check_output(path: str | os.PathLike | None, suffix: str, what: str) -> Path | None:
    if path is None:
        return None
    path = Path(path)
    if path.suffix.lower() != suffix:
        raise UserError(f"the {what} must be a {suffix} file; got {str(path)!r}")
    writable_dir(path.parent)
    return path


def evaluate(film: str | os.PathLike, *, storyboard: Storyboard | None = None,
             storyboard_name: str | None = None,
             clip_model: str | os.PathLike | None = None,
             reference: str | os.PathLike | None = None, stride: int | None = None,
             output: str | os.PathLike | None = None, html: str | os.PathLike | None = None,
             fvd_model: str | os.PathLike | None = None, clip: Clip | None = None
             ) -> EvalReport:
    """Measure ``film`` (see the package docstring for the figures); write the JSON report
    to ``output`` and the HTML page to ``html`` when given. ``fvd_model``: an I3D
    checkpoint (.safetensors) for FVD against ``reference``. ``clip``: an already loaded
    model (else ``clip_model`` is loaded: a folder or a Hugging Face id in the local cache,
    default :data:`~director.evaluate.clip.DEFAULT_CLIP`)."""
    started = time.perf_counter()
    if clip is None:
        resolve_clip(clip_model or DEFAULT_CLIP)
    info = film_info(film)
    if reference is not None:
        other = film_info(reference)
        if (other.frames, other.width, other.height) != (info.frames, info.width, info.height):
            raise UserError(
                f"the reference {str(reference)!r} has {other.frames} frames of"
                f" {other.width}x{other.height}, the film {info.frames} of"
                f" {info.width}x{info.height}: PSNR and SSIM need a reference of the same"
                f" length and size")
    shots = FilmShots(storyboard, info.frames) if storyboard is not None else None
    output = _check_output(output, ".json", "evaluation report")
    html = _check_output(html, ".html", "HTML report")
    fidelity.check_available()
    if fvd_model is not None and reference is None:
        raise UserError("--fvd-model needs --reference: FVD compares the film with another")
    i3d = fvd.load_i3d(fvd_model) if fvd_model is not None else None
    stride = choose_stride(info.frames, stride)
    clip = clip if clip is not None else load_clip(clip_model or DEFAULT_CLIP)

    measured = _measure(info.path, clip, shots, stride, reference)
    report = _report(info, clip, shots, stride, reference, storyboard_name, measured)
    _add_fvd(report, i3d, info, reference)
    report.seconds = round(time.perf_counter() - started, 3)
    if output is not None:
        report.write(output)
    if html is not None:
        from director.evaluate.html import write_html

        write_html(report, html)
    return report


class _Measured:
    """Per-frame and per-pair values gathered in the pass over the film."""

    def __init__(self, clip: Clip) -> None:
        self.frames: list[int] = []
        self.owners: list[str | None] = []
        self.cosines: list[float] = []
        self.clipsim: list[float] = []
        self.clipsim_frames: list[int] = []
        self.clipsim_owners: list[str | None] = []
        self.psnr: list[float] = []
        self.ssim: list[float] = []
        self.crops = EntityCrops(clip)
        self.lowest = {"frame_consistency": Lowest("frame_consistency"),
                       "clipsim": Lowest("clipsim")}


def _measure(film: Path, clip: Clip, shots: FilmShots | None, stride: int,
             reference: str | os.PathLike | None) -> _Measured:
    found = _Measured(clip)
    prompts = clipsim.PromptScores(clip)
    crop_at = crop_frames(shots.shots, stride) if shots is not None else set()
    previous_vector = previous_frame = previous_owner = None
    for batch in iter_batches(film, stride, reference=reference):
        vectors = clip.images(batch.frames)
        owners = [_owner(shots, i) for i in batch.indices]
        cosines = consistency.consecutive_cosines(vectors, previous_vector)
        before = ([previous_owner] if previous_vector is not None else []) + owners[:-1]
        first = len(batch.indices) - len(cosines)  # 1 in the film's first batch, else 0
        found.cosines += cosines.tolist()
        for value, index, a, b in zip(cosines, batch.indices[first:], before, owners[first:],
                                      strict=True):
            if a is not None and a == b:
                found.lowest["frame_consistency"].offer(
                    float(value), index, b, batch.frames[batch.indices.index(index)])

        if reference is not None:
            psnr, ssim = fidelity.pair_scores(batch.frames, batch.reference)
        else:
            earlier = batch.frames[:-1] if previous_frame is None else np.concatenate(
                [previous_frame[None], batch.frames[:-1]])
            psnr, ssim = fidelity.pair_scores(batch.frames[len(batch.frames) - len(earlier):],
                                              earlier)
        found.psnr += psnr.tolist()
        found.ssim += ssim.tolist()

        if shots is not None:
            _score_prompts(found, prompts, shots, batch, vectors, owners, crop_at)
        found.frames += batch.indices
        found.owners += owners
        previous_vector, previous_frame, previous_owner = vectors[-1], batch.frames[-1], owners[-1]
    return found


def _score_prompts(found: _Measured, prompts: clipsim.PromptScores, shots: FilmShots, batch,
                   vectors: np.ndarray, owners: list[str | None], crop_at: set[int]) -> None:
    """CLIPSIM of the batch's frames and the crops of its entity boxes."""
    rows = [k for k, owner in enumerate(owners) if owner is not None]
    requests = {k: shots.request(batch.indices[k]) for k in rows}
    scores = prompts.scores(vectors[rows], [requests[k].prompt for k in rows])
    for k, score in zip(rows, scores, strict=True):
        index = batch.indices[k]
        found.clipsim.append(float(score))
        found.clipsim_frames.append(index)
        found.clipsim_owners.append(owners[k])
        found.lowest["clipsim"].offer(float(score), index, owners[k], batch.frames[k])
        if index in crop_at:
            found.crops.add(batch.frames[k], owners[k], requests[k])
    found.crops.embed()


def _owner(shots: FilmShots | None, index: int) -> str | None:
    if shots is None:
        return WHOLE_FILM
    shot = shots.shot_at(index)
    return shot.id if shot is not None else None


def _report(info, clip: Clip, shots: FilmShots | None, stride: int, reference,
            storyboard_name: str | None, found: _Measured) -> EvalReport:
    shot_ids = [s.id for s in shots.shots] if shots is not None else []
    report = EvalReport(
        film=str(info.path), frames=info.frames, width=info.width, height=info.height,
        fps=info.fps, stride=stride, frames_evaluated=len(found.frames),
        title_frames=shots.title_frames if shots is not None else 0,
        storyboard=storyboard_name, reference=str(reference) if reference else None,
        clip_model=clip.name)
    pairs_before, pairs_after = found.owners[:-1], found.owners[1:]
    report.figures["frame_consistency"] = pair_figure(
        consistency.DEFINITION, found.cosines, pairs_before, pairs_after, shot_ids)
    pair_frames = [f if a is not None else None for f, a in zip(found.frames[1:], pairs_before,
                                                                  strict=True)]
    report.series["frame_consistency"] = _series(consistency.SERIES, pair_frames,
                                                 found.cosines, pairs_after)

    if reference is not None:
        for name, values, text in (("psnr", found.psnr, _PSNR_REF), ("ssim", found.ssim,
                                                                     _SSIM_REF)):
            report.figures[name] = frame_figure(text, values, found.owners, shot_ids)
            report.series[name] = _series(text, found.frames, values, found.owners)
    else:
        for name, values, text in (("psnr", found.psnr, _PSNR_F2F), ("ssim", found.ssim,
                                                                     _SSIM_F2F)):
            report.figures[name] = pair_figure(text, values, pairs_before, pairs_after,
                                               shot_ids)
            report.series[name] = _series(text, pair_frames, values, pairs_after)

    if shots is None:
        for name in ("clipsim", "entity_consistency", "layout_adherence"):
            report.not_computed[name] = NO_STORYBOARD
    else:
        report.figures["clipsim"] = frame_figure(clipsim.DEFINITION, found.clipsim,
                                                 found.clipsim_owners, shot_ids)
        report.series["clipsim"] = _series(clipsim.SERIES, found.clipsim_frames,
                                           found.clipsim, found.clipsim_owners)
        entities = found.crops.consistency()
        if entities.details:
            report.figures["entity_consistency"] = entities
        else:
            report.not_computed["entity_consistency"] = (
                "no entity has a box large enough to crop in two shots or more")
        layout = found.crops.layout()
        if layout.details["crops"]:
            report.figures["layout_adherence"] = layout
        else:
            report.not_computed["layout_adherence"] = (
                "no entity box could be compared with a region elsewhere in its frame")
        report.shots = [Shot(id=s.id, scene=s.scene, start=s.start, end=s.end,
                             transition=s.transition, description=s.description,
                             narration=s.narration) for s in shots.shots]
    report.lowest = [frame for keeper in found.lowest.values() for frame in keeper.frames()]
    return report


def _add_fvd(report: EvalReport, i3d, info, reference) -> None:
    if i3d is None:
        report.not_computed["fvd"] = NO_FVD_MODEL
    elif len(fvd.clip_starts(info.frames)) < fvd.MIN_CLIPS:
        report.not_computed["fvd"] = (f"not computed: FVD needs {fvd.MIN_CLIPS} clips of"
                                      f" {fvd.CLIP_FRAMES} frames; the film has {info.frames}")
    else:
        value, clips = fvd.fvd(i3d, info.path, reference, info.frames)
        report.figures["fvd"] = Figure(
            definition=f"Fréchet distance between the I3D logits of {clips} clips of"
                       f" {fvd.CLIP_FRAMES} frames of the film and of the reference at the"
                       f" same frames (224x224, short side scaled, centre crop); 0: alike."
                       f" Compare only FVDs measured on as many clips.",
            value=value, details={"clips": clips, "clip_frames": fvd.CLIP_FRAMES})


def _series(definition: str, frames: list[int | None], values: list[float],
            owners: list[str | None]) -> Series:
    """A series without the title card (frames or owners of None)."""
    kept = [(f, v) for f, v, o in zip(frames, values, owners, strict=True)
            if f is not None and o is not None]
    return Series(definition=definition, frames=[f for f, _ in kept],
                  values=[v for _, v in kept])


_PSNR_CAP = f"capped at {fidelity.PSNR_CAP_DB:g} dB: identical frames read {fidelity.PSNR_CAP_DB:g}"
_PSNR_REF = ("Mean PSNR in dB of each frame against the reference film's frame at the same"
             f" index, RGB, 8-bit ({_PSNR_CAP}); per_shot: the frames each shot owns.")
_SSIM_REF = ("Mean SSIM of each frame's luma against the reference film's frame at the same"
             " index (Gaussian window 11, sigma 1.5); 1: identical; per_shot: the frames"
             " each shot owns.")
_PSNR_F2F = ("No reference film: mean PSNR in dB of each evaluated frame against the one"
             f" before it, RGB, 8-bit ({_PSNR_CAP}), a measure of flicker: high in still or"
             " slowly moving shots, low where frames jump. value and per_shot: pairs inside"
             " one shot; details as for frame_consistency.")
_SSIM_F2F = ("No reference film: mean SSIM of each evaluated frame's luma against the one"
             " before it (Gaussian window 11, sigma 1.5), a measure of flicker; 1: no"
             " change. value and per_shot: pairs inside one shot; details as for"
             " frame_consistency.")
