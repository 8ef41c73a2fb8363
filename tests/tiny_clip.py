"""A tiny CLIP built from a config in code (random weights unless trained), saved as a
model folder the evaluation loads like any other: config, safetensors, tokenizer, image
processor. Its tokenizer spells words out letter by letter (a hand-written vocabulary)."""

from __future__ import annotations

import string
from pathlib import Path

import torch
from transformers import CLIPConfig, CLIPModel, CLIPTokenizer

try:
    from transformers import CLIPImageProcessorPil as ImageProcessor
except ImportError:  # transformers 4.x
    from transformers import CLIPImageProcessor as ImageProcessor

IMAGE_SIZE = 32


def tiny_tokenizer() -> CLIPTokenizer:
    """Letters, digits and a few marks, each alone or ending a word; special tokens last."""
    chars = string.ascii_lowercase + string.digits + ",.'-"
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({c + "</w>": len(chars) + i for i, c in enumerate(chars)})
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)


def tiny_clip(seed: int = 0) -> tuple[CLIPModel, CLIPTokenizer, ImageProcessor]:
    """A CLIPModel of 2 layers, width 32, 32x32 images, 16-d projections (eval mode)."""
    tokenizer = tiny_tokenizer()
    torch.manual_seed(seed)
    config = CLIPConfig(
        text_config={"vocab_size": len(tokenizer), "hidden_size": 32, "intermediate_size": 64,
                     "num_hidden_layers": 2, "num_attention_heads": 2,
                     "max_position_embeddings": 77, "bos_token_id": tokenizer.bos_token_id,
                     "eos_token_id": tokenizer.eos_token_id,
                     "pad_token_id": tokenizer.pad_token_id},
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                       "num_attention_heads": 2, "image_size": IMAGE_SIZE, "patch_size": 8},
        projection_dim=16)
    processor = ImageProcessor(size={"shortest_edge": IMAGE_SIZE},
                               crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE})
    return CLIPModel(config).eval(), tokenizer, processor


def save_clip(folder: Path, model: CLIPModel, tokenizer, processor) -> Path:
    """Save a model folder as ``save_pretrained`` does (weights as safetensors)."""
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def train(model: CLIPModel, tokenizer, processor, images, texts, steps: int = 20) -> CLIPModel:
    """A few steps of CLIP's own contrastive loss on matching (image, text) pairs (on one
    thread: a model this small gains nothing from more, and loses much on a busy machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train(model, tokenizer, processor, images, texts, steps)
    finally:
        torch.set_num_threads(threads)


def _train(model: CLIPModel, tokenizer, processor, images, texts, steps: int) -> CLIPModel:
    pixels = processor(images=list(images), return_tensors="pt")["pixel_values"]
    tokens = tokenizer(list(texts), padding=True, return_tensors="pt")
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        out = model(input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"],
                    pixel_values=pixels, return_loss=True)
        out.loss.backward()
        optimizer.step()
    return model.eval()
