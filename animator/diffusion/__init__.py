"""The ``diffusion`` animator: frames from diffusers pipelines, one pipeline per role.

Nothing here imports diffusers or torch at import time: the backend resolves its models
on disk when it is built and loads each pipeline on its role's first call.

    config.py     RoleConfig (model id or folder, steps, guidance, size rules, IP-Adapter),
                  Preset (roles + what the README table shows), Runtime (device, dtype,
                  memory mode, --download)
    presets.py    named presets with real model ids (``director models`` lists them)
    loading.py    resolve a Hub id (HF cache, offline) or a local folder; refuse pickles;
                  the missing-weights message; load once per process; one lock per pipeline
    role.py       the role interface (Role, PipelineRole: fingerprint, lazy pipeline,
                  one CPU generator per request)
    images.py     generation sizes, uint8 frames, resizing
    grounding.py  layout boxes -> pipeline (GLIGEN; otherwise the layout in prompt words)
    keyframe.py   the keyframe role: text-to-image, batched, grounded
    reference.py  the reference role (one portrait per entity, or the user's image) and
                  IP-Adapter conditioning of keyframes, masked per box
    blend.py      the cheap ``blend`` in-between role: a cross-fade of the two end frames
    frames.py     video models' frame rules (4k+1, 8k+1, size multiples) and the one
                  mapping from the film's frames to a model's native frames
    steps.py      stopping a denoising loop between two steps (Ctrl-C, a cancelled run)
    video.py      what the video roles share: frame rules read from the folder, working
                  size, one request per call, one prompt per call
    inbetween.py  the in-between role: Wan FLF2V, Wan VACE, LTX conditions
    clip.py       the clip role: Wan TI2V / I2V, CogVideoX I2V, LTX (text start too)
    backend.py    DiffusionAnimator: composes the roles (registered as ``diffusion``)
"""

from animator.diffusion.backend import DiffusionAnimator

__all__ = ["DiffusionAnimator"]
