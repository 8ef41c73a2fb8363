"""The I3D video network (Carreira and Zisserman 2017, Inflated Inception-v1), as FVD uses
it: 16 frames of 224x224 in [-1, 1] in, 400 Kinetics logits (averaged over time) out.

Module and parameter names follow the widely used PyTorch port (``Conv3d_1a_7x7``,
``Mixed_3b.b1b.conv3d.weight``, ``logits.conv3d.bias``, ...), so its Kinetics-400
checkpoint loads once converted to safetensors. Every convolution and pooling pads as
TensorFlow's "SAME" does. The last pooling is written as a mean over the spatial map and a
2-frame temporal average, which equals the original ``AvgPool3d([2, 7, 7])`` at 224x224
and also runs on the small inputs of the tests.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

Triple = tuple[int, int, int]

# (name, input channels, [1x1, 3x3 reduce, 3x3, 3x3 reduce, 3x3, pool projection])
MIXED: dict[str, tuple[int, list[int]]] = {
    "Mixed_3b": (192, [64, 96, 128, 16, 32, 32]),
    "Mixed_3c": (256, [128, 128, 192, 32, 96, 64]),
    "Mixed_4b": (480, [192, 96, 208, 16, 48, 64]),
    "Mixed_4c": (512, [160, 112, 224, 24, 64, 64]),
    "Mixed_4d": (512, [128, 128, 256, 24, 64, 64]),
    "Mixed_4e": (512, [112, 144, 288, 32, 64, 64]),
    "Mixed_4f": (528, [256, 160, 320, 32, 128, 128]),
    "Mixed_5b": (832, [256, 160, 320, 32, 128, 128]),
    "Mixed_5c": (832, [384, 192, 384, 48, 128, 128]),
}


def same_padding(x: torch.Tensor, kernel: Triple, stride: Triple) -> torch.Tensor:
    """Zero-pad (time, height, width) as TensorFlow's "SAME" padding does."""
    pads: list[int] = []
    for size, k, s in reversed(list(zip(x.shape[2:], kernel, stride, strict=True))):
        total = max(k - s, 0) if size % s == 0 else max(k - size % s, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads)


class Unit3D(nn.Module):
    """Convolution ("SAME"), batch norm and ReLU; the logits layer has a bias and neither."""

    def __init__(self, inputs: int, outputs: int, kernel: Triple = (1, 1, 1),
                 stride: Triple = (1, 1, 1), *, norm: bool = True, relu: bool = True,
                 bias: bool = False) -> None:
        super().__init__()
        self.kernel, self.stride, self.relu = kernel, stride, relu
        self.conv3d = nn.Conv3d(inputs, outputs, kernel, stride, padding=0, bias=bias)
        self.bn = nn.BatchNorm3d(outputs, eps=0.001, momentum=0.01) if norm else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv3d(same_padding(x, self.kernel, self.stride))
        if self.bn is not None:
            x = self.bn(x)
        return F.relu(x) if self.relu else x


class MaxPool(nn.Module):
    """Max pooling with "SAME" zero padding."""

    def __init__(self, kernel: Triple, stride: Triple) -> None:
        super().__init__()
        self.kernel, self.stride = kernel, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.max_pool3d(same_padding(x, self.kernel, self.stride), self.kernel, self.stride)


class Mixed(nn.Module):
    """An Inception block: 1x1; 1x1 then 3x3; 1x1 then 3x3; 3x3 max pool then 1x1."""

    def __init__(self, inputs: int, widths: list[int]) -> None:
        super().__init__()
        self.b0 = Unit3D(inputs, widths[0])
        self.b1a = Unit3D(inputs, widths[1])
        self.b1b = Unit3D(widths[1], widths[2], (3, 3, 3))
        self.b2a = Unit3D(inputs, widths[3])
        self.b2b = Unit3D(widths[3], widths[4], (3, 3, 3))
        self.b3a = MaxPool((3, 3, 3), (1, 1, 1))
        self.b3b = Unit3D(inputs, widths[5])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b0(x), self.b1b(self.b1a(x)), self.b2b(self.b2a(x)),
                          self.b3b(self.b3a(x))], dim=1)


class I3D(nn.Module):
    """Inflated Inception-v1 up to its logits: (batch, 3, frames, h, w) in [-1, 1] ->
    (batch, classes), the logits averaged over time."""

    def __init__(self, classes: int = 400) -> None:
        super().__init__()
        self.Conv3d_1a_7x7 = Unit3D(3, 64, (7, 7, 7), (2, 2, 2))
        self.MaxPool3d_2a_3x3 = MaxPool((1, 3, 3), (1, 2, 2))
        self.Conv3d_2b_1x1 = Unit3D(64, 64)
        self.Conv3d_2c_3x3 = Unit3D(64, 192, (3, 3, 3))
        self.MaxPool3d_3a_3x3 = MaxPool((1, 3, 3), (1, 2, 2))
        self.Mixed_3b, self.Mixed_3c = Mixed(*MIXED["Mixed_3b"]), Mixed(*MIXED["Mixed_3c"])
        self.MaxPool3d_4a_3x3 = MaxPool((3, 3, 3), (2, 2, 2))
        self.Mixed_4b, self.Mixed_4c = Mixed(*MIXED["Mixed_4b"]), Mixed(*MIXED["Mixed_4c"])
        self.Mixed_4d, self.Mixed_4e = Mixed(*MIXED["Mixed_4d"]), Mixed(*MIXED["Mixed_4e"])
        self.Mixed_4f = Mixed(*MIXED["Mixed_4f"])
        self.MaxPool3d_5a_2x2 = MaxPool((2, 2, 2), (2, 2, 2))
        self.Mixed_5b, self.Mixed_5c = Mixed(*MIXED["Mixed_5b"]), Mixed(*MIXED["Mixed_5c"])
        self.logits = Unit3D(1024, classes, norm=False, relu=False, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for name, layer in self.named_children():
            if name == "logits":
                break
            x = layer(x)
        x = x.mean(dim=(3, 4), keepdim=True)  # = AvgPool3d([2, 7, 7]) on a 7x7 map,
        x = F.avg_pool3d(x, (min(2, x.shape[2]), 1, 1), stride=1)  # with the 2-frame window
        return self.logits(x).mean(dim=(2, 3, 4))
