"""A tiny PNG writer (zlib + struct, no numpy/matplotlib) and the reliability diagram drawn with it.

Enough for lines and dots on a grid; labels live in the text output (a legend of colours), which
keeps the image code honest and small.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Sequence

from hourmm_lab.calibration.scoring import ReliabilityBin

Rgb = tuple[int, int, int]
WHITE: Rgb = (255, 255, 255)
GRID: Rgb = (225, 225, 225)
AXIS: Rgb = (60, 60, 60)
DIAGONAL: Rgb = (150, 150, 150)
# One colour per line, in the order the series are given (the text legend repeats it).
PALETTE: tuple[tuple[str, Rgb], ...] = (
    ("blue", (31, 119, 180)), ("orange", (255, 127, 14)), ("green", (44, 160, 44)),
    ("red", (214, 39, 40)), ("purple", (148, 103, 189)), ("brown", (140, 86, 75)),
    ("pink", (227, 119, 194)), ("olive", (188, 189, 34)),
)


class Canvas:
    """An RGB raster with (0, 0) at the top left."""

    def __init__(self, width: int, height: int, background: Rgb = WHITE) -> None:
        self.width = width
        self.height = height
        self.pixels = bytearray(bytes(background) * (width * height))

    def set(self, x: int, y: int, color: Rgb) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            i = 3 * (y * self.width + x)
            self.pixels[i:i + 3] = bytes(color)

    def line(self, x0: int, y0: int, x1: int, y1: int, color: Rgb, thickness: int = 1) -> None:
        """Bresenham, thickened by stamping a small square at every step."""
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err = dx + dy
        r = thickness // 2
        while True:
            for ox in range(-r, thickness - r):
                for oy in range(-r, thickness - r):
                    self.set(x0 + ox, y0 + oy, color)
            if x0 == x1 and y0 == y1:
                return
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                x0 += sx
            if e2 <= dx:
                err += dx
                y0 += sy

    def dot(self, x: int, y: int, radius: int, color: Rgb) -> None:
        for ox in range(-radius, radius + 1):
            for oy in range(-radius, radius + 1):
                if ox * ox + oy * oy <= radius * radius:
                    self.set(x + ox, y + oy, color)

    def to_png(self) -> bytes:
        raw = b"".join(b"\x00" + bytes(self.pixels[3 * self.width * y:3 * self.width * (y + 1)])
                       for y in range(self.height))

        def chunk(tag: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
                + chunk(b"IEND", b""))


def reliability_png(series: Sequence[Sequence[ReliabilityBin]], size: int = 420, margin: int = 30) -> bytes:
    """Forecast probability (x) against observed frequency of Up (y), one coloured line per series.

    Dots are sized by how many forecasts fell in the bin; empty bins are skipped.
    """
    canvas = Canvas(size, size)
    span = size - 2 * margin

    def px(p: float, f: float) -> tuple[int, int]:
        return margin + round(p * span), size - margin - round(f * span)

    for k in range(11):
        x, y = px(k / 10, k / 10)
        canvas.line(x, margin, x, size - margin, GRID)
        canvas.line(margin, y, size - margin, y, GRID)
    canvas.line(*px(0, 0), *px(1, 1), DIAGONAL)
    canvas.line(*px(0, 0), *px(1, 0), AXIS, 2)
    canvas.line(*px(0, 0), *px(0, 1), AXIS, 2)
    for bins, (_, color) in zip(series, PALETTE, strict=False):
        points = [(px(b.mean_p, b.freq_up), b.n) for b in bins if b.n > 0]
        for (a, _), (b, _) in zip(points, points[1:], strict=False):
            canvas.line(*a, *b, color, 2)
        for (x, y), n in points:
            canvas.dot(x, y, 2 + min(4, int(math.log10(n + 1) * 2)), color)
    return canvas.to_png()
