"""The pure-Python PNG writer, canvas, font and equity chart: valid PNG files (chunks, CRCs,
sizes, pixels) read back by an independent reader."""

from __future__ import annotations

import struct

import pytest
from fundos.cli import font
from fundos.cli.chart import nice_step, percent_changes, render_chart, tick_values
from fundos.cli.equity import EquityCurves, Series
from fundos.cli.png import Canvas, encode_png
from png_reader import chunks, read_png

RED = (255, 0, 0)


def test_encode_png_round_trip() -> None:
    width, height = 7, 3
    rgb = bytes((x * 30 + y, y * 80, (x ^ y) * 20) [c] for y in range(height) for x in range(width) for c in range(3))
    data = encode_png(width, height, rgb)
    kinds = [kind for kind, _ in chunks(data)]
    assert kinds == [b"IHDR", b"IDAT", b"IEND"]
    assert struct.unpack(">II", chunks(data)[0][1][:8]) == (width, height)
    assert read_png(data) == (width, height, [rgb[y * width * 3:(y + 1) * width * 3] for y in range(height)])


def test_a_damaged_chunk_fails_its_crc() -> None:
    data = bytearray(encode_png(2, 2, bytes(12)))
    data[20] ^= 0xFF  # inside IHDR's data
    with pytest.raises(AssertionError, match="bad CRC"):
        chunks(bytes(data))


def test_encode_png_checks_its_input() -> None:
    with pytest.raises(ValueError):
        encode_png(2, 2, bytes(11))


def test_canvas_draws_lines_rectangles_and_text() -> None:
    canvas = Canvas(40, 20)
    canvas.line(0, 0, 39, 19, RED)
    assert canvas.pixel(0, 0) == RED and canvas.pixel(39, 19) == RED and canvas.pixel(39, 0) == (255, 255, 255)
    canvas.line(5, 15, 5, 15, RED, width=3)
    assert all(canvas.pixel(x, y) == RED for x in (4, 5, 6) for y in (14, 15, 16))
    canvas.fill_rect(-5, -5, 200, 1, (0, 0, 255))  # clipped, no error
    assert canvas.pixel(39, 1) == (0, 0, 255)
    before = bytes(canvas.pixels)
    canvas.text(2, 5, "-", (0, 0, 0))  # the dash is row 3 of the glyph, 5 cells wide
    assert [canvas.pixel(x, 8) for x in range(2, 7)] == [(0, 0, 0)] * 5 and canvas.pixel(7, 8) != (0, 0, 0)
    assert bytes(canvas.pixels) != before
    assert Canvas.text_size("abc", 2) == ((3 * 6 - 1) * 2, 14)
    assert read_png(canvas.to_png())[:2] == (40, 20)


def test_font_covers_printable_ascii() -> None:
    box = font.glyph("\u2603")
    for code in range(32, 127):
        cells = font.glyph(chr(code))
        assert all(0 <= x < font.WIDTH and 0 <= y < font.HEIGHT + font.DESCENT for x, y in cells)
        assert chr(code) == " " or cells, chr(code)
        assert cells != box or chr(code) == "0", chr(code)


def test_ticks_are_round() -> None:
    assert nice_step(10, 5) == 2 and nice_step(0.3, 6) == 0.05 and nice_step(1234, 6) == 250
    assert tick_values(-0.03, 0.11) == [-0.025, 0.0, 0.025, 0.05, 0.075, 0.1]
    assert tick_values(0, 10) == [0, 2, 4, 6, 8, 10]


def test_percent_changes_start_at_zero() -> None:
    assert percent_changes(Series("a", ((0, 200.0), (1, 210.0), (2, 190.0)))) == [(0, 0.0), (1, 5.0), (2, -5.0)]
    assert percent_changes(Series("z", ((0, 0.0), (1, 0.0)))) == [(0, 0.0), (1, 0.0)]


def test_chart_is_a_valid_png_with_a_line_per_series() -> None:
    points = 3000  # more points than pixel columns: drawn as an envelope
    curves = EquityCurves((
        Series("fund", tuple((1.7e9 + 60 * i, 1e6 + 10 * i) for i in range(points))),
        Series("ma", tuple((1.7e9 + 60 * i, 5e5 - 7 * i) for i in range(points))),
        Series("flat", tuple((1.7e9 + 60 * i, 2e5) for i in range(points))),
    ), x_is_time=True)
    data = render_chart(curves, "Equity: test", width=640, height=360)
    width, height, rows = read_png(data)
    assert (width, height) == (640, 360)
    colors = {rows[y][x * 3:x * 3 + 3] for y in range(height) for x in range(width)}
    assert bytes((30, 30, 30)) in colors  # the fund's line
    assert bytes((31, 119, 180)) in colors and bytes((255, 127, 14)) in colors  # the two agents


def test_chart_of_one_point() -> None:
    data = render_chart(EquityCurves((Series("fund", ((0.0, 5.0),)),), x_is_time=False), "one")
    assert read_png(data)[:2] == (960, 540)
