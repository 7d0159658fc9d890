"""A small raster canvas and a PNG encoder in pure Python (zlib and struct, nothing else).

:class:`Canvas` holds 8-bit RGB pixels and draws what a line chart needs: rectangles, lines of a
given width, text in the 5x7 font of :mod:`fundos.cli.font` at an integer scale. :func:`encode_png`
writes the pixels as a PNG (colour type 2, bit depth 8, no interlace, filter type 0 on every
row: deflate alone packs a chart's flat background well).
"""

from __future__ import annotations

import itertools
import struct
import zlib
from typing import Final

from fundos.cli import font

Color = tuple[int, int, int]

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    """length, type, data, CRC-32 of type and data (PNG spec, section 5.3)."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(width: int, height: int, rgb: bytes | bytearray) -> bytes:
    """A PNG file of ``width`` x ``height`` pixels from ``rgb`` (3 bytes per pixel, rows top to
    bottom)."""
    if width < 1 or height < 1 or len(rgb) != width * height * 3:
        raise ValueError(f"need {width} x {height} x 3 bytes of RGB, got {len(rgb)}")
    stride = width * 3
    raw = b"".join(b"\x00" + bytes(rgb[y * stride:(y + 1) * stride]) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 9))
            + _chunk(b"IEND", b""))


class Canvas:
    """RGB pixels, (0, 0) at the top left. Drawing outside the canvas is clipped."""

    def __init__(self, width: int, height: int, background: Color = (255, 255, 255)) -> None:
        if width < 1 or height < 1:
            raise ValueError("a canvas needs at least one pixel")
        self.width = width
        self.height = height
        self.pixels = bytearray(bytes(background) * (width * height))

    def pixel(self, x: int, y: int) -> Color:
        i = (y * self.width + x) * 3
        return (self.pixels[i], self.pixels[i + 1], self.pixels[i + 2])

    def set(self, x: int, y: int, color: Color) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            i = (y * self.width + x) * 3
            self.pixels[i:i + 3] = bytes(color)

    def fill_rect(self, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        """Fill the rectangle with corners (x0, y0) and (x1, y1), both included."""
        left, right = max(0, min(x0, x1)), min(self.width - 1, max(x0, x1))
        top, bottom = max(0, min(y0, y1)), min(self.height - 1, max(y0, y1))
        if left > right or top > bottom:
            return
        span = bytes(color) * (right - left + 1)
        for y in range(top, bottom + 1):
            i = (y * self.width + left) * 3
            self.pixels[i:i + len(span)] = span

    def line(self, x0: int, y0: int, x1: int, y1: int, color: Color, width: int = 1) -> None:
        """A straight line (Bresenham), ``width`` pixels thick (a square brush)."""
        lo = -((width - 1) // 2)
        hi = width // 2
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err = dx + dy
        x, y = x0, y0
        while True:
            if width == 1:
                self.set(x, y, color)
            else:
                self.fill_rect(x + lo, y + lo, x + hi, y + hi, color)
            if x == x1 and y == y1:
                return
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                x += sx
            if e2 <= dx:
                err += dx
                y += sy

    def polyline(self, points: list[tuple[int, int]], color: Color, width: int = 1) -> None:
        if len(points) == 1:
            self.line(points[0][0], points[0][1], points[0][0], points[0][1], color, width)
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            self.line(x0, y0, x1, y1, color, width)

    @staticmethod
    def text_size(text: str, scale: int = 1) -> tuple[int, int]:
        """Width and height in pixels of ``text`` drawn at ``scale`` (one blank column between
        glyphs)."""
        if not text:
            return (0, font.HEIGHT * scale)
        return ((len(text) * (font.WIDTH + 1) - 1) * scale, font.HEIGHT * scale)

    def text(self, x: int, y: int, text: str, color: Color, scale: int = 1) -> None:
        """Draw ``text`` with its top left corner at (x, y)."""
        for index, char in enumerate(text):
            left = x + index * (font.WIDTH + 1) * scale
            for gx, gy in font.glyph(char):
                self.fill_rect(left + gx * scale, y + gy * scale, left + gx * scale + scale - 1,
                               y + gy * scale + scale - 1, color)

    def to_png(self) -> bytes:
        return encode_png(self.width, self.height, self.pixels)
