#!/usr/bin/env python3
"""Draws the site's icon (public/favicon.svg: a rounded indigo square with
four tiles, two white and two amber) as the bitmaps browsers and phones
ask for: public/favicon.ico (16 and 32 px) and public/apple-touch-icon.png
(180 px, square: iOS rounds the corners itself). Standard library only;
run again after changing the design:  python3 scripts/make-icons.py
"""
import struct
import zlib
from pathlib import Path

INDIGO = (0x3B, 0x4C, 0xCA)
WHITE = (0xFF, 0xFF, 0xFF)
AMBER = (0xF5, 0x9E, 0x0B)
# The SVG's 32-unit grid: (x, y, size, colour) of each tile, corner radius 1.5.
TILES = [(6, 6, WHITE), (17, 6, AMBER), (6, 17, AMBER), (17, 17, WHITE)]
TILE, TILE_RADIUS, RADIUS = 9, 1.5, 6


def inside_rounded(x, y, left, top, size, radius):
    """Whether the point lies in a square with rounded corners."""
    if not (left <= x < left + size and top <= y < top + size):
        return False
    cx = min(max(x, left + radius), left + size - radius)
    cy = min(max(y, top + radius), top + size - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2


def render(pixels, rounded=True, samples=4):
    """RGBA rows, each pixel averaged over samples² points."""
    scale = 32 / pixels
    rows = []
    for py in range(pixels):
        row = bytearray()
        for px in range(pixels):
            total = [0, 0, 0, 0]
            for sy in range(samples):
                for sx in range(samples):
                    x = (px + (sx + 0.5) / samples) * scale
                    y = (py + (sy + 0.5) / samples) * scale
                    if rounded and not inside_rounded(x, y, 0, 0, 32, RADIUS):
                        continue
                    colour = INDIGO
                    for left, top, tile in TILES:
                        if inside_rounded(x, y, left, top, TILE, TILE_RADIUS):
                            colour = tile
                    for i in range(3):
                        total[i] += colour[i]
                    total[3] += 255
            n = samples * samples
            covered = total[3] // 255
            if covered:
                row += bytes(total[i] // covered for i in range(3)) + bytes([total[3] // n])
            else:
                row += bytes(4)
        rows.append(bytes(row))
    return rows


def png(rows):
    width, height = len(rows[0]) // 4, len(rows)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\0" + row for row in rows)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def ico(images):
    """An ICO file whose images are PNGs (read by every current browser)."""
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, data = b"", b""
    for size, image in images:
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(image), offset)
        offset += len(image)
        data += image
    return header + entries + data


public = Path(__file__).resolve().parent.parent / "public"
(public / "favicon.ico").write_bytes(ico([(size, png(render(size))) for size in (16, 32)]))
(public / "apple-touch-icon.png").write_bytes(png(render(180, rounded=False, samples=2)))
