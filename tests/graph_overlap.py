#!/usr/bin/env python3
"""graph_overlap.py - no label of a rendered `meshc graph` covers another.

Reads Graphviz's JSON output (`dot -Tjson`) on stdin: every node box
(outside the legend) and every edge label's text box, as dot placed them;
prints each pair that overlaps and exits 1 if there is one.  Text boxes
are the width dot measured and the font's height (14 points, the default).
"""
import json
import sys

FONT_HEIGHT = 14.0


def boxes(graph):
    out = []
    for o in graph.get("objects", []):
        if "pos" not in o or "width" not in o or o["name"].startswith("legend"):
            continue
        x, y = (float(v) for v in o["pos"].split(","))
        w, h = float(o["width"]) * 72, float(o["height"]) * 72
        out.append(("node " + o["name"], x - w / 2, y - h / 2, x + w / 2, y + h / 2))
    for e in graph.get("edges", []):
        for op in e.get("_ldraw_", []):
            if op.get("op") != "T":
                continue
            x, y = op["pt"]
            w = op["width"]
            x0 = {"l": x, "r": x - w}.get(op.get("align"), x - w / 2)
            out.append(("label '%s'" % op["text"], x0, y - FONT_HEIGHT / 4,
                        x0 + w, y + FONT_HEIGHT * 3 / 4))
    return out


def main():
    b = boxes(json.load(sys.stdin))
    bad = 0
    for i, p in enumerate(b):
        for q in b[i + 1:]:
            if p[1] < q[3] and q[1] < p[3] and p[2] < q[4] and q[2] < p[4]:
                print("overlap: %s and %s" % (p[0], q[0]))
                bad += 1
    print("%d boxes, %d overlaps" % (len(b), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
