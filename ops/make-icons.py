#!/usr/bin/env python3
"""Draws the web app's PNG icons (api/web/public/icons/icon-192.png and icon-512.png): the same
clock as icon.svg, for the manifest and phones that take no SVG. Run by hand when the icon
changes; the PNGs are committed. Python's standard library only."""
import math
import struct
import sys
import zlib
from pathlib import Path


def icon(size):
    bg, fg = (0x1D, 0x3B, 0x53), (0xFF, 0xFF, 0xFF)
    s = size / 512.0
    radius, ring, stroke = 96 * s, 168 * s, 36 * s / 2
    cx = cy = 256 * s
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            px, py = x + 0.5, y + 0.5
            # rounded square
            dx = max(abs(px - cx) - (cx - radius), 0)
            dy = max(abs(py - cy) - (cy - radius), 0)
            inside = dx * dx + dy * dy <= radius * radius
            if not inside:
                row += bytes([0, 0, 0, 0])
                continue
            d = math.hypot(px - cx, py - cy)
            on = abs(d - ring) <= stroke
            # hands: 12 o'clock to the centre, the centre towards (340, 316)
            for (ax, ay, bx, by) in ((256, 136, 256, 256), (256, 256, 340, 316)):
                ax, ay, bx, by = ax * s, ay * s, bx * s, by * s
                vx, vy = bx - ax, by - ay
                t = max(0, min(1, ((px - ax) * vx + (py - ay) * vy) / (vx * vx + vy * vy)))
                if math.hypot(px - (ax + t * vx), py - (ay + t * vy)) <= stroke:
                    on = True
            row += bytes(fg if on else bg) + b"\xff"
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind, data):
        c = kind + data
        return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "api/web/public/icons")
    for size in (192, 512):
        (out / f"icon-{size}.png").write_bytes(icon(size))
