#!/usr/bin/env python3
"""tests/e2e/dashboard_shot.py SHOT.png — finds the dashboard's cards in a screenshot
(white boxes on the grey page, laid out by index.html's grid at a 1280-pixel window) and
prints one line per card, in reading order: "x0 y0 x1 y1 inked colour", where inked
is the share of pixels that are not white below the card's title and colour the number
of pixels in one of the Okabe-Ito chart colours. Pure Python (zlib), no PIL."""
import struct
import sys
import zlib


def read_png(path):
    d = open(path, "rb").read()
    assert d[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    i, idat = 8, []
    while i < len(d):
        n, = struct.unpack(">I", d[i:i + 4])
        t = d[i + 4:i + 8]
        if t == b"IHDR":
            w, h, bd, ct, _, _, il = struct.unpack(">IIBBBBB", d[i + 8:i + 21])
            assert bd == 8 and ct in (2, 6) and il == 0, "unexpected PNG format"
        elif t == b"IDAT":
            idat.append(d[i + 8:i + 8 + n])
        i += 12 + n
    raw = zlib.decompress(b"".join(idat))
    bpp = 3 if ct == 2 else 4
    stride = w * bpp
    rows, prev = [], bytes(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for x in range(bpp, stride):
                line[x] = (line[x] + line[x - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for x in range(stride):
                left = line[x - bpp] if x >= bpp else 0
                line[x] = (line[x] + ((left + prev[x]) >> 1)) & 255
        elif f == 4:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def main():
    w, h, bpp, rows = read_png(sys.argv[1])

    def px(x, y):
        r = rows[y]
        return r[x * bpp], r[x * bpp + 1], r[x * bpp + 2]

    white = (255, 255, 255)

    def runs(x):
        out, start = [], None
        for y in range(h):
            if px(x, y) == white:
                if start is None:
                    start = y
            elif start is not None:
                if y - start >= 40:
                    out.append((start, y))
                start = None
        return out

    # the grid at 1280 pixels: two columns, 28..632 and 648..1252; x=36 and x=656 lie
    # in the cards' padding, x=640 in the gap between them unless a card is wide
    cards = []
    for y0, y1 in runs(36):
        wide = px(640, (y0 + y1) // 2) == white
        cards.append((28, y0, 1252 if wide else 632, y1))
    for y0, y1 in runs(656):
        if px(640, (y0 + y1) // 2) != white:
            cards.append((648, y0, 1252, y1))
    cards.sort(key=lambda c: (c[1], c[0]))
    palette = [(0, 114, 178), (230, 159, 0), (0, 158, 115), (204, 121, 167), (86, 180, 233), (213, 94, 0)]
    for x0, y0, x1, y1 in cards:
        inked = colour = total = 0
        for y in range(y0 + 50, y1 - 4, 2):
            r = rows[y]
            for x in range(x0 + 8, x1 - 8, 2):
                p = (r[x * bpp], r[x * bpp + 1], r[x * bpp + 2])
                total += 1
                if p != white:
                    inked += 1
                    if any(abs(p[0] - c[0]) + abs(p[1] - c[1]) + abs(p[2] - c[2]) < 30 for c in palette):
                        colour += 1
        print(x0, y0, x1, y1, "%.4f" % (inked / total if total else 0), colour)


main()
