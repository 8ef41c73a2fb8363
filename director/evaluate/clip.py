"""CLIP for evaluation: loaded once from a local folder or the Hugging Face cache, offline,
safetensors only; image and text embeddings in batches, unit length.

    clip = load_clip("openai/clip-vit-base-patch32")        # or a folder of save_pretrained
    images = clip.images(frames)                             # (n, d) float32, unit rows
    texts = clip.texts(["a red fox in the snow"])            # (1, d)
    similarity = images @ texts.T                            # cosines

Nothing is downloaded: a model that is not on this machine ends in one UserError naming
the command that downloads it. Texts longer than CLIP's 77 tokens are cut there (CLIP
reads no more). Images go through the model's own CLIPImageProcessor (PIL path: resize
the short side, centre crop, normalise).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from storyboard.errors import UserError

DEFAULT_CLIP = "openai/clip-vit-base-patch32"
WEIGHTS = "model.safetensors"


def download_command(model: str) -> str:
    """The command that puts ``model``'s config, tokenizer and safetensors weights in the
    Hugging Face cache."""
    return (f'hf download {model} --include "*.json" --include "*.txt"'
            f' --include "*.safetensors"')


def resolve_clip(model: str | os.PathLike = DEFAULT_CLIP) -> Path:
    """The local folder of a CLIP model: ``model`` itself when it is a folder, else its
    snapshot in the Hugging Face cache. Cheap (no weights are read): call it before work
    starts. UserError when it is missing or holds no safetensors weights."""
    folder = Path(model).expanduser()
    if not folder.is_dir():
        name = str(model)
        if name.count("/") != 1 or name.startswith((".", "/", "~")):
            raise UserError(f"CLIP model {name!r} is neither a folder nor a Hugging Face model"
                            f" id (owner/name); pass --clip-model a folder or an id such as"
                            f" {DEFAULT_CLIP}")
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

        try:
            folder = Path(snapshot_download(name, local_files_only=True))
        except (LocalEntryNotFoundError, HFValidationError, OSError):
            raise UserError(f"CLIP model {name!r} is not on this machine (nothing is"
                            f" downloaded while evaluating); download it with:"
                            f" {download_command(name)}") from None
    if not (folder / WEIGHTS).is_file():
        raise UserError(f"{str(folder)!r} holds no {WEIGHTS} (only safetensors weights are"
                        f" loaded); download them with: {download_command(str(model))}")
    return folder


@dataclass
class Clip:
    """A loaded CLIP model with its tokenizer and image processor."""

    name: str
    model: Any
    tokenizer: Any
    processor: Any

    def images(self, images: list[np.ndarray] | np.ndarray) -> np.ndarray:
        """Unit-length image embeddings of RGB uint8 images (any sizes), one row each."""
        import torch

        if len(images) == 0:
            return np.zeros((0, self.dimensions), np.float32)
        pixels = self.processor(images=list(images), return_tensors="pt")["pixel_values"]
        with torch.inference_mode():
            features = self.model.get_image_features(pixel_values=pixels)
        return _unit(features)

    def texts(self, texts: list[str]) -> np.ndarray:
        """Unit-length text embeddings, one row each (cut at CLIP's 77 tokens)."""
        import torch

        if not texts:
            return np.zeros((0, self.dimensions), np.float32)
        tokens = self.tokenizer(list(texts), padding=True, truncation=True,
                                max_length=self.max_tokens, return_tensors="pt")
        with torch.inference_mode():
            features = self.model.get_text_features(input_ids=tokens["input_ids"],
                                                    attention_mask=tokens["attention_mask"])
        return _unit(features)

    @property
    def dimensions(self) -> int:
        return int(self.model.config.projection_dim)

    @property
    def max_tokens(self) -> int:
        return int(self.model.config.text_config.max_position_embeddings)


def _unit(features: Any) -> np.ndarray:
    """Rows scaled to unit length. transformers 5 returns the projected vectors as the
    ``pooler_output`` of a model output; 4.x returns the tensor itself."""
    tensor = getattr(features, "pooler_output", features)
    vectors = tensor.float().cpu().numpy()
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def load_clip(model: str | os.PathLike = DEFAULT_CLIP) -> Clip:
    """Load a CLIP model (see :func:`resolve_clip`) on the CPU, in eval mode, offline."""
    folder = resolve_clip(model)
    from transformers import CLIPModel, CLIPTokenizer

    try:
        from transformers import CLIPImageProcessorPil as ImageProcessor
    except ImportError:  # transformers 4.x: the PIL path is the plain class
        from transformers import CLIPImageProcessor as ImageProcessor
    try:
        clip = CLIPModel.from_pretrained(folder, local_files_only=True, use_safetensors=True)
        tokenizer = CLIPTokenizer.from_pretrained(folder, local_files_only=True)
        processor = ImageProcessor.from_pretrained(folder, local_files_only=True)
    except (OSError, ValueError) as error:
        raise UserError(f"cannot load the CLIP model in {str(folder)!r}: {error}") from None
    return Clip(str(model), clip.eval(), tokenizer, processor)
