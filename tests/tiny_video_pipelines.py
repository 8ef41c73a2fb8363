"""Tiny video pipelines built from configs in code: nothing comes from a hub.

The components follow diffusers' own fast tests (``get_dummy_components``) and the
research notes (``shared/research/diffusers-backends.md`` section 7), with the T5
tokenizer built in memory (whole words plus single characters). Saved with
``save_pretrained`` they are folders a user could name with ``--inbetween-model`` or
``--clip-model``; the tests load them back through that path. Importing this module
imports diffusers (seconds): use it from session fixtures.

    save_tiny_wan_flf2v(folder)    WanImageToVideoPipeline + CLIP image encoder: first/last
    save_tiny_wan_vace(folder)     WanVACEPipeline: known frames at any index
    save_tiny_ltx(folder)          LTXConditionPipeline: conditions at any frame
    save_tiny_wan_ti2v(folder)     WanImageToVideoPipeline, expand_timesteps (TI2V): clips
    save_tiny_cogvideox_i2v(folder) CogVideoXImageToVideoPipeline: clips of 9 frames
"""

from __future__ import annotations

import string
from pathlib import Path

import torch
from diffusers import (
    AutoencoderKLCogVideoX,
    AutoencoderKLLTXVideo,
    AutoencoderKLWan,
    CogVideoXDDIMScheduler,
    CogVideoXImageToVideoPipeline,
    CogVideoXTransformer3DModel,
    FlowMatchEulerDiscreteScheduler,
    LTXConditionPipeline,
    LTXVideoTransformer3DModel,
    WanImageToVideoPipeline,
    WanTransformer3DModel,
    WanVACEPipeline,
    WanVACETransformer3DModel,
)
from transformers import (
    CLIPImageProcessor,
    CLIPVisionConfig,
    CLIPVisionModelWithProjection,
    T5Config,
    T5EncoderModel,
    T5Tokenizer,
)

WORDS_TEXT = """
a an the of in on at over under with and fox owl moon sun sky snow snowy forest night
day hill tree trees river field house road red white black orange blue grey small big
old young she he it flies jumps runs walks sits looks watches climbs wide shot close up
medium static pan style film animation
"""
WORDS = tuple(WORDS_TEXT.split())


def tiny_t5_tokenizer(max_length: int = 32) -> T5Tokenizer:
    """A T5 (Unigram) tokenizer over common words and single characters, in memory."""
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    vocab += [("\u2581" + w, -1.0) for w in WORDS]
    vocab += [(c, -5.0) for c in string.ascii_letters + string.digits + string.punctuation]
    vocab += [("\u2581", -3.0)]
    return T5Tokenizer(vocab=vocab, extra_ids=0, model_max_length=max_length)


def _text_encoder(vocab_size: int) -> T5EncoderModel:
    torch.manual_seed(0)
    return T5EncoderModel(T5Config(vocab_size=vocab_size, d_model=32, d_kv=8, d_ff=37,
                                   num_layers=2, num_heads=4,
                                   relative_attention_num_buckets=8)).eval()


def _wan_vae() -> AutoencoderKLWan:
    torch.manual_seed(0)
    return AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                            temperal_downsample=[False, True, True]).eval()


def _wan_transformer(in_channels: int, image_dim: int | None,
                     pos_embed_seq_len: int | None) -> WanTransformer3DModel:
    torch.manual_seed(0)
    return WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12,
        in_channels=in_channels, out_channels=16, text_dim=32, freq_dim=256, ffn_dim=32,
        num_layers=2, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32, image_dim=image_dim, pos_embed_seq_len=pos_embed_seq_len).eval()


def _wan_text() -> dict:
    tokenizer = tiny_t5_tokenizer()
    return {"tokenizer": tokenizer, "text_encoder": _text_encoder(len(tokenizer)),
            "vae": _wan_vae(), "scheduler": FlowMatchEulerDiscreteScheduler(shift=7.0)}


def tiny_wan_flf2v() -> WanImageToVideoPipeline:
    """Wan 2.1 FLF2V in small: a CLIP image encoder sees both end frames (2 x 17 image
    tokens), so, like the real checkpoint, it needs ``last_image``."""
    torch.manual_seed(0)
    encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(
        hidden_size=4, projection_dim=4, num_hidden_layers=2, num_attention_heads=2,
        image_size=4, intermediate_size=16, patch_size=1)).eval()
    return WanImageToVideoPipeline(
        **_wan_text(), transformer=_wan_transformer(36, 4, 34), image_encoder=encoder,
        image_processor=CLIPImageProcessor(crop_size=4, size=4))


def tiny_wan_ti2v() -> WanImageToVideoPipeline:
    """Wan 2.2 TI2V in small: the first frame goes into the latents (expand_timesteps)."""
    return WanImageToVideoPipeline(**_wan_text(), transformer=_wan_transformer(16, None, None),
                                   expand_timesteps=True)


def tiny_wan_vace() -> WanVACEPipeline:
    torch.manual_seed(0)
    transformer = WanVACETransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=16,
        out_channels=16, text_dim=32, freq_dim=256, ffn_dim=32, num_layers=3,
        cross_attn_norm=True, qk_norm="rms_norm_across_heads", rope_max_seq_len=32,
        vace_layers=[0, 2], vace_in_channels=96).eval()
    return WanVACEPipeline(**_wan_text(), transformer=transformer)


def tiny_ltx() -> LTXConditionPipeline:
    """LTX-Video in small; its VAE compresses time by 4 (the real one by 8)."""
    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8, out_channels=8, patch_size=1, patch_size_t=1, num_attention_heads=4,
        attention_head_dim=8, cross_attention_dim=32, num_layers=1, caption_channels=32).eval()
    torch.manual_seed(0)
    vae = AutoencoderKLLTXVideo(
        in_channels=3, out_channels=3, latent_channels=8, block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8), layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False, False, False, False, False),
        upsample_residual=(False, False, False, False), upsample_factor=(1, 1, 1, 1),
        timestep_conditioning=False, patch_size=1, patch_size_t=1, encoder_causal=True,
        decoder_causal=False).eval()
    vae.use_framewise_encoding = False
    vae.use_framewise_decoding = False
    tokenizer = tiny_t5_tokenizer()
    return LTXConditionPipeline(scheduler=FlowMatchEulerDiscreteScheduler(), vae=vae,
                                text_encoder=_text_encoder(len(tokenizer)),
                                tokenizer=tokenizer, transformer=transformer)


def tiny_cogvideox_i2v(size: int = 64) -> CogVideoXImageToVideoPipeline:
    """CogVideoX image-to-video in small: learned position embeddings fix its size
    (``size`` square) and its 9 frames, as the real 5B I2V is fixed at 49."""
    latent = size // 8
    torch.manual_seed(0)
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=2, attention_head_dim=16, in_channels=8, out_channels=4,
        time_embed_dim=2, text_embed_dim=32, num_layers=1, sample_width=latent,
        sample_height=latent, sample_frames=9, patch_size=2, temporal_compression_ratio=4,
        max_text_seq_length=16, use_rotary_positional_embeddings=True,
        use_learned_positional_embeddings=True).eval()
    torch.manual_seed(0)
    vae = AutoencoderKLCogVideoX(
        in_channels=3, out_channels=3, down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4, block_out_channels=(8, 8, 8, 8),
        latent_channels=4, layers_per_block=1, norm_num_groups=2,
        temporal_compression_ratio=4).eval()
    tokenizer = tiny_t5_tokenizer(16)
    return CogVideoXImageToVideoPipeline(tokenizer=tokenizer,
                                         text_encoder=_text_encoder(len(tokenizer)), vae=vae,
                                         transformer=transformer,
                                         scheduler=CogVideoXDDIMScheduler())


def _save(pipe, folder: Path) -> Path:
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


def save_tiny_wan_flf2v(folder: Path) -> Path:
    return _save(tiny_wan_flf2v(), folder)


def save_tiny_wan_ti2v(folder: Path) -> Path:
    return _save(tiny_wan_ti2v(), folder)


def save_tiny_wan_vace(folder: Path) -> Path:
    return _save(tiny_wan_vace(), folder)


def save_tiny_ltx(folder: Path) -> Path:
    return _save(tiny_ltx(), folder)


def save_tiny_cogvideox_i2v(folder: Path, size: int = 64) -> Path:
    return _save(tiny_cogvideox_i2v(size), folder)
