from __future__ import annotations

import struct
import zlib

from hourmm_lab.calibration.png import PALETTE, Canvas, reliability_png
from hourmm_lab.calibration.scoring import reliability


def _decode(png: bytes) -> tuple[int, int, bytes]:
    """Minimal PNG reader for the writer's own output (8-bit RGB, filter 0)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        tag, data = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(tag + data)
        if tag == b"IHDR":
            width, height = struct.unpack(">II", data[:8])
            assert data[8:10] == b"\x08\x02"
        elif tag == b"IDAT":
            idat += data
        pos += 12 + length
    raw = zlib.decompress(idat)
    assert len(raw) == height * (1 + 3 * width)
    return width, height, b"".join(raw[y * (1 + 3 * width) + 1:(y + 1) * (1 + 3 * width)] for y in range(height))


def test_a_canvas_round_trips_through_png_with_its_pixels() -> None:
    canvas = Canvas(5, 4)
    canvas.line(0, 0, 4, 3, (255, 0, 0))
    w, h, pixels = _decode(canvas.to_png())
    assert (w, h) == (5, 4)
    assert pixels[0:3] == b"\xff\x00\x00"  # (0, 0)
    assert pixels[3 * (3 * 5 + 4):3 * (3 * 5 + 4) + 3] == b"\xff\x00\x00"  # (4, 3)
    assert pixels[3 * 4:3 * 5] == b"\xff\xff\xff"  # (4, 0) untouched


def test_the_reliability_diagram_draws_each_series_in_its_colour() -> None:
    bins = reliability([0.1, 0.12, 0.5, 0.9, 0.92], [False, False, True, True, True])
    _, _, pixels = _decode(reliability_png([bins, bins[:3]], size=200))
    colours = {pixels[i:i + 3] for i in range(0, len(pixels), 3)}
    assert bytes(PALETTE[0][1]) in colours
