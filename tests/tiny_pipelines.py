"""Tiny diffusers pipelines built from configs in code: nothing comes from a hub.

The components follow diffusers' own fast tests (``get_dummy_components``), with the CLIP
tokenizer built in memory (a character-level BPE vocabulary). Saved with
``save_pretrained`` they are folders a user could name with ``--keyframe-model``: the
tests load them back through the same path. Importing this module imports diffusers
(seconds): use it from session fixtures.

    save_tiny_sd(folder)                    StableDiffusionPipeline, 64x64 native
    save_tiny_sd(folder, gligen=True)       StableDiffusionGLIGENPipeline (gated attention on)
    save_tiny_ip_adapter(folder, unet)      an IP-Adapter for that UNet, with an image encoder
"""

from __future__ import annotations

import string
from pathlib import Path

import torch
from diffusers import (
    AutoencoderKL,
    DDIMScheduler,
    StableDiffusionGLIGENPipeline,
    StableDiffusionPipeline,
    UNet2DConditionModel,
)
from safetensors.torch import save_file
from transformers import (
    CLIPTextConfig,
    CLIPTextModel,
    CLIPTokenizer,
    CLIPVisionConfig,
    CLIPVisionModelWithProjection,
)

CROSS_ATTENTION_DIM = 32
IMAGE_EMBED_DIM = 16
IP_WEIGHTS = "ip-adapter_tiny.safetensors"


def tiny_clip_tokenizer() -> CLIPTokenizer:
    """A CLIP tokenizer over single printable characters, built in memory."""
    chars = [c for c in string.printable[:94]]  # digits, letters, punctuation
    vocab: dict[str, int] = {}
    for c in chars:
        vocab[c] = len(vocab)
        vocab[c + "</w>"] = len(vocab)
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)


def tiny_sd_components(gligen: bool = False) -> dict:
    """The components of a tiny Stable Diffusion (or GLIGEN) pipeline, in eval mode."""
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(4, 8), layers_per_block=1, sample_size=32, in_channels=4,
        out_channels=4, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=CROSS_ATTENTION_DIM, norm_num_groups=2,
        attention_type="gated" if gligen else "default")
    if gligen:  # gated attention starts closed; open it so boxes change the image
        with torch.no_grad():
            for name, param in unet.named_parameters():
                if name.endswith(("alpha_attn", "alpha_dense")):
                    param.fill_(1.0)
    torch.manual_seed(0)
    vae = AutoencoderKL(
        block_out_channels=[4, 8], in_channels=3, out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2,
        latent_channels=4, norm_num_groups=2)
    tokenizer = tiny_clip_tokenizer()
    torch.manual_seed(0)
    text_encoder = CLIPTextModel(CLIPTextConfig(
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, hidden_size=CROSS_ATTENTION_DIM,
        intermediate_size=37, layer_norm_eps=1e-05, num_attention_heads=4,
        num_hidden_layers=2, vocab_size=len(tokenizer), max_position_embeddings=77))
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                              clip_sample=False, set_alpha_to_one=False, steps_offset=1)
    return {"unet": unet.eval(), "vae": vae.eval(), "text_encoder": text_encoder.eval(),
            "tokenizer": tokenizer, "scheduler": scheduler, "safety_checker": None,
            "feature_extractor": None}


def tiny_sd_pipeline(gligen: bool = False):
    cls = StableDiffusionGLIGENPipeline if gligen else StableDiffusionPipeline
    kwargs = {} if gligen else {"image_encoder": None}
    return cls(**tiny_sd_components(gligen), requires_safety_checker=False, **kwargs)


def save_tiny_sd(folder: Path, gligen: bool = False) -> Path:
    """Save a tiny SD (or GLIGEN) pipeline as safetensors into ``folder``."""
    tiny_sd_pipeline(gligen).save_pretrained(folder, safe_serialization=True)
    return folder


def save_tiny_ip_adapter(folder: Path, unet: UNet2DConditionModel, seed: int = 0) -> Path:
    """An IP-Adapter for ``unet`` in the layout of ``h94/IP-Adapter``: ``models/<weights>``
    (image projection + key/value weights per cross-attention) and ``models/image_encoder``."""
    generator = torch.Generator().manual_seed(seed)

    def randn(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=generator) * 0.3

    tokens = 4
    state = {"image_proj.proj.weight": randn(CROSS_ATTENTION_DIM * tokens, IMAGE_EMBED_DIM),
             "image_proj.proj.bias": randn(CROSS_ATTENTION_DIM * tokens),
             "image_proj.norm.weight": torch.ones(CROSS_ATTENTION_DIM),
             "image_proj.norm.bias": torch.zeros(CROSS_ATTENTION_DIM)}
    channels = unet.config.block_out_channels
    key_id = 1
    for name in unet.attn_processors:
        if name.endswith("attn1.processor"):  # self-attention: no adapter weights
            continue
        if name.startswith("mid_block"):
            hidden = channels[-1]
        elif name.startswith("up_blocks"):
            hidden = list(reversed(channels))[int(name[len("up_blocks.")])]
        else:
            hidden = channels[int(name[len("down_blocks.")])]
        state[f"ip_adapter.{key_id}.to_k_ip.weight"] = randn(hidden, CROSS_ATTENTION_DIM) * 3
        state[f"ip_adapter.{key_id}.to_v_ip.weight"] = randn(hidden, CROSS_ATTENTION_DIM) * 3
        key_id += 2
    models = folder / "models"
    models.mkdir(parents=True, exist_ok=True)
    save_file(state, str(models / IP_WEIGHTS))
    torch.manual_seed(seed)
    encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(
        hidden_size=8, projection_dim=IMAGE_EMBED_DIM, num_hidden_layers=2,
        num_attention_heads=2, image_size=32, intermediate_size=16, patch_size=8))
    encoder.eval().save_pretrained(models / "image_encoder", safe_serialization=True)
    return folder
