"""Making pixels: the Animator interface and its backends."""

from animator.base import (
    Animator,
    Capabilities,
    ClipRequest,
    EntityBox,
    Frame,
    FrameRequest,
    InbetweenRequest,
    ReferenceRequest,
)

__all__ = [
    "Animator", "Capabilities", "ClipRequest", "EntityBox", "Frame", "FrameRequest",
    "InbetweenRequest", "ReferenceRequest",
]
