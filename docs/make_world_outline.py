"""Natural Earth 1:110m admin-0 countries (public domain) -> compact JSON rings."""
import json, struct, sys
shp = sys.argv[1]; out = sys.argv[2]
data = open(shp, 'rb').read()
pos = 100
rings = []
while pos < len(data):
    num, length = struct.unpack('>ii', data[pos:pos+8]); pos += 8
    rec = data[pos:pos + 2*length]; pos += 2*length
    st = struct.unpack('<i', rec[:4])[0]
    if st not in (5, 15, 25):
        continue
    nparts, npoints = struct.unpack('<ii', rec[36:44])
    parts = list(struct.unpack('<%di' % nparts, rec[44:44+4*nparts]))
    pts = struct.unpack('<%dd' % (2*npoints), rec[44+4*nparts:44+4*nparts+16*npoints])
    parts.append(npoints)
    for a, b in zip(parts[:-1], parts[1:]):
        ring = []
        for k in range(a, b):
            x, y = round(pts[2*k], 1), round(pts[2*k+1], 1)
            if not ring or ring[-1] != [x, y]:
                ring.append([x, y])
        if len(ring) >= 4:
            rings.append([v for p in ring for v in (int(round(p[0]*10)), int(round(p[1]*10)))])
json.dump({"source": "Natural Earth 1:110m Cultural Vectors, Admin 0 - Countries (public domain), as shipped in geopandas 0.14.4 (datasets/naturalearth_lowres)", "scale": 10, "rings": rings}, open(out, 'w'), separators=(',', ':'))
print(len(rings), sum(len(r)//2 for r in rings))
