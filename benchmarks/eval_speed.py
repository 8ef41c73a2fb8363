"""Speed of `director eval` on a 60-second, 640x360, 24 fps film, on the CPU.

The film: the 12-shot request of ``benchmarks/preview.py`` planned by the offline director
(5 s shots) and rendered by the animatic, without a title card (1440 frames). The model: a
real-size ViT-B/32 CLIP (``CLIPConfig()``'s defaults: 224x224 images, 32x32 patches, 12
layers of width 768; a 12-layer text encoder of width 512; 512-d projections) built from
its config with random weights, so the figures mean nothing and only the speed counts;
saved as a model folder and loaded like any other. Its tokenizer is the letter-by-letter
one of the tests (``tests/tiny_clip.py``): token ids differ from CLIP's, lengths are
alike. Every figure is measured (storyboard given, every frame: stride 1).

Prints ``eval_frames_per_second: <x>`` (frames evaluated / seconds of ``evaluate``: decoding,
CLIP on frames, prompts and box crops, PSNR/SSIM, the reports), with the seconds and the
model's loading time beside it. Run from the repository root:
``python -m benchmarks.eval_speed``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from agents.offline import DirectorConfig, plan_offline
from benchmarks.preview import REQUEST
from director import api
from director.evaluate import evaluate
from director.evaluate.clip import load_clip
from tests.tiny_clip import tiny_tokenizer


def vit_b32_folder(folder: Path) -> Path:
    """A ViT-B/32 CLIP with random weights, saved as a model folder."""
    import torch
    from transformers import CLIPConfig, CLIPModel

    try:
        from transformers import CLIPImageProcessorPil as ImageProcessor
    except ImportError:
        from transformers import CLIPImageProcessor as ImageProcessor
    tokenizer = tiny_tokenizer()
    torch.manual_seed(0)
    config = CLIPConfig(text_config={"bos_token_id": tokenizer.bos_token_id,
                                     "eos_token_id": tokenizer.eos_token_id,
                                     "pad_token_id": tokenizer.pad_token_id})
    CLIPModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    ImageProcessor().save_pretrained(folder)
    return folder


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="eval-speed-") as temp:
        temp = Path(temp)
        board = plan_offline(REQUEST, config=DirectorConfig(long_shot_seconds=5.0))
        board = board.model_copy(update={"format": board.format.model_copy(
            update={"width": 640, "height": 360, "fps": 24})})
        film = temp / "film.mp4"
        api.render(board, film, title=False, progress=False)
        started = time.perf_counter()
        clip = load_clip(vit_b32_folder(temp / "vit-b32"))
        loading = time.perf_counter() - started

        started = time.perf_counter()
        report = evaluate(film, storyboard=board, clip=clip, output=temp / "eval.json",
                          html=temp / "eval.html")
        seconds = time.perf_counter() - started
    print(f"film: {report.frames} frames {report.width}x{report.height}, stride"
          f" {report.stride}, {len(report.shots)} shots")
    print(f"clip_loading_seconds: {loading:.1f}")
    print(f"eval_seconds: {seconds:.1f}")
    print(f"eval_frames_per_second: {report.frames_evaluated / seconds:.1f}")


if __name__ == "__main__":
    main()
