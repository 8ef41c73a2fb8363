"""A 60-second, 12-shot preview film at 640x360, 24 fps, from request to MP4, offline.

Plans a request with the offline director (5 s shots, so 12 of them), schedules the job
graph for the animatic animator, runs it in a fresh project folder and times the whole
thing. Then, side by side on the same machine: the film's assembly from the 12 shots'
stored segments (``director.assemble.assemble_film``: title card and transitions encoded,
the rest stream-copied, the film decoded once to check it) against writing the same frames
(the film read back) with imageio-ffmpeg alone at the same encoder settings, median of
three runs each.

Prints ``preview_60s_film_seconds: <s>`` and ``assembly_vs_raw_encode: <ratio>``.
Goals on a 2-core machine: <= 10 s and <= 1.3.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg

from agents.offline import DirectorConfig, plan_offline
from animator.registry import get_animator
from director import Project, execute, schedule
from director.assemble import assemble_film
from director.segments import ShotSegments
from director.video import encoder_options, read_frames
from storyboard import film_frame_count, timeline

REQUEST = (
    "A 60-second film. A small fox wakes in a snowy forest at dawn. She sees an owl over the"
    " pines. The fox runs after the owl across the frozen river. The owl lands on an old oak."
    " At dusk the owl teaches the fox to jump. The fox falls in the snow. Night comes over the"
    " village. The fox tries again from the barn roof. She glides under the moon. At dawn the"
    " two friends sit together on the hill."
)


def raw_encode(frames, path: Path, width: int, height: int, fps: int) -> float:
    start = time.perf_counter()
    writer = imageio_ffmpeg.write_frames(
        str(path), (width, height), fps=fps, codec="libx264", pix_fmt_in="rgb24",
        pix_fmt_out="yuv420p", macro_block_size=1, quality=None, ffmpeg_log_level="error",
        output_params=[*encoder_options(), "-movflags", "+faststart"])
    writer.send(None)
    for frame in frames:
        writer.send(frame)
    writer.close()
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="preview-") as folder:
        folder = Path(folder)
        start = time.perf_counter()
        board = plan_offline(REQUEST, config=DirectorConfig(long_shot_seconds=5.0))
        animator = get_animator("animatic")
        graph = schedule(board, animator)
        report = execute(graph, animator, Project(folder / "project"), workers=2,
                         progress=False, output=folder / "film.mp4")
        film_seconds = time.perf_counter() - start
        if not report.ok:
            raise SystemExit(f"the render failed: {report.failure_summary()}")
        fmt = board.format
        shots = len(timeline(board))
        print(f"film: {shots} shots, {report.frames} frames ({report.frames / fmt.fps:.2f} s)"
              f" at {fmt.width}x{fmt.height}, {fmt.fps} fps; storyboard implies"
              f" {film_frame_count(board)} + title card")
        for kind, stats in report.jobs.by_kind.items():
            print(f"  {kind:12s} {stats.total:4d} jobs  {stats.seconds:7.2f} worker-seconds")

        jobs = {n: graph.nodes[n]["job"] for n in graph.nodes}
        film_job = next(j for j in jobs.values() if j.kind == "film")
        store = Project(folder / "project").store
        shots = [ShotSegments.in_folder(store.path(jobs[p].key)) for p in film_job.parents]
        frames = [f.copy() for f in read_frames(folder / "film.mp4")]
        assembly, raw = [], []
        for _ in range(3):
            t = time.perf_counter()
            assemble_film(board, shots, folder / "again.mp4")
            assembly.append(time.perf_counter() - t)
            raw.append(raw_encode(frames, folder / "raw.mp4", fmt.width, fmt.height, fmt.fps))
        a, r = statistics.median(assembly), statistics.median(raw)
        print(f"assembly {a:.2f} s vs raw imageio-ffmpeg encode {r:.2f} s"
              f" ({len(frames)} frames, median of 3)")
        print(f"preview_60s_film_seconds: {film_seconds:.2f}")
        print(f"assembly_vs_raw_encode: {a / r:.2f}")


if __name__ == "__main__":
    main()
