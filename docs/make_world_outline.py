"""Natural Earth 1:110m admin-0 countries (public domain) -> compact JSON rings.

Usage: python docs/make_world_outline.py COUNTRIES.shp chainopt/report/geo/world_110m.json
Reads the polygons of an ESRI shapefile (shape types 5, 15, 25), rounds coordinates to
0.1 degree, drops repeated points and rings of fewer than 4 points, and writes every
ring as a flat list of integers (degrees x 10).
"""

import itertools
import json
import struct
import sys
from pathlib import Path

SOURCE = ("Natural Earth 1:110m Cultural Vectors, Admin 0 - Countries (public domain), "
          "as shipped in geopandas 0.14.4 (datasets/naturalearth_lowres)")


def rings_of(data: bytes) -> list[list[int]]:
    """The polygon rings of a shapefile's bytes, as flat integer lists."""
    pos = 100
    rings = []
    while pos < len(data):
        _num, length = struct.unpack(">ii", data[pos:pos + 8])
        pos += 8
        rec = data[pos:pos + 2 * length]
        pos += 2 * length
        if struct.unpack("<i", rec[:4])[0] not in (5, 15, 25):
            continue
        nparts, npoints = struct.unpack("<ii", rec[36:44])
        parts = list(struct.unpack(f"<{nparts}i", rec[44:44 + 4 * nparts]))
        start = 44 + 4 * nparts
        pts = struct.unpack(f"<{2 * npoints}d", rec[start:start + 16 * npoints])
        parts.append(npoints)
        for a, b in itertools.pairwise(parts):
            ring: list[list[float]] = []
            for k in range(a, b):
                x, y = round(pts[2 * k], 1), round(pts[2 * k + 1], 1)
                if not ring or ring[-1] != [x, y]:
                    ring.append([x, y])
            if len(ring) >= 4:
                rings.append([v for p in ring for v in (round(p[0] * 10), round(p[1] * 10))])
    return rings


def main() -> None:
    rings = rings_of(Path(sys.argv[1]).read_bytes())
    Path(sys.argv[2]).write_text(json.dumps({"source": SOURCE, "scale": 10, "rings": rings},
                                            separators=(",", ":")))
    print(len(rings), sum(len(r) // 2 for r in rings))


if __name__ == "__main__":
    main()
