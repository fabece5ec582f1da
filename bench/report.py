#!/usr/bin/env python3
"""bench/report.py DATA OUT: turn bench.sh's raw data (hyperfine JSON per
repetition, size and step; checks; peak RSS; machine) into OUT/results.md,
OUT/results.png (gnuplot) and OUT/results.json."""
import glob
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys

# step, title, meshc's command, the peer it is compared with, what the
# ratio is checked against at 10,000 peers (None: report only)
STEPS = [
    ("compile", "parse + validate + compile one node", 2.5),
    ("fresh", "fresh apply", None),
    ("freshwg", "fresh WireGuard step", 1.1),
    ("noop", "no-op apply", 0.25),
    ("noopcold", "no-op apply, another program changed the ruleset since",
     None),
    ("change", "one peer changed", 0.2),
    ("firewall", "firewall load", 1.5),
    ("diff", "CI diff (all nodes, one key rotated)", None),
    ("diffgrant", "CI diff (all nodes, one node's grant changed)", None),
    ("baseline", "nsenter into the namespace (overhead in every apply row)", None),
]
# Peers after the first that a step is also compared with in full (ratio
# per repetition, spread, the derived write), by hyperfine command name:
# the floors that the step's target is stated against.
FLOORS = {"firewall": ["libnftnl batch (nft_batch load)"]}
TARGET_N = 10000
# steps measured at their own sizes (BENCH_DIFF_SIZES), without the
# standard tools: not in the scaling table nor the plot
REPORT_ONLY = ("diff", "diffgrant", "baseline")
# issue 14: the CI diff at TARGET_N nodes, one key rotated and one grant
DIFF_MAX_S, DIFF_MIN_SPEEDUP, DIFF_GRANT_MAX_S = 5.0, 20.0, 0.5
RSS_LIMIT_KIB = 64 * 1024


def load(data):
    runs = {}  # (step, n) -> [rep1 results, rep2 results, ...]
    for path in glob.glob(os.path.join(data, "r*-n*-*.json")):
        m = re.match(r"r(\d+)-n(\d+)-(\w+)\.json", os.path.basename(path))
        rep, n, step = int(m[1]), int(m[2]), m[3]
        res = json.load(open(path))["results"]
        runs.setdefault((step, n), {})[rep] = res
    kv = {}
    for path in glob.glob(os.path.join(data, "*-n*.txt")):
        m = re.match(r"(\w+)-n(\d+)\.txt", os.path.basename(path))
        d = kv.setdefault(int(m[2]), {})
        for line in open(path):
            k, _, v = line.strip().partition(" ")
            d[f"{m[1]}:{k}"] = int(v)
    meta = {}
    for line in open(os.path.join(data, "meta.txt")):
        k, _, v = line.rstrip("\n").partition(" ")
        meta[k] = v
    return runs, kv, meta


def ms(s):
    return f"{s * 1000:.1f}" if s < 10 else f"{s:.0f} s"


def cell(r):
    return f"{ms(r['median'])} ({ms(r['min'])}-{ms(r['max'])})"


def ratio(res):
    return res[0]["median"] / res[1]["median"] if len(res) > 1 else None


def find(res, name):
    """the result of the command named name in one hyperfine run, or None"""
    return next((r for r in res if r["command"] == name), None)


def rep_cells(vals, nreps):
    """each repetition's ratio ('-' when missing), then the spread"""
    cells = [f"{x:.2f}" for x in vals] + ["-"] * (nreps - len(vals))
    cells.append(f"{max(vals) - min(vals):.2f}" if len(vals) > 1 else "-")
    return " | ".join(cells)


def floor_ratios(byrep, dry, name):
    """meshc's median / the floor's, and (apply - dry-run) / the floor's,
    for every repetition that ran both"""
    whole, write = [], []
    for r in sorted(byrep):
        f = find(byrep[r], name)
        if not f:
            continue
        whole.append(byrep[r][0]["median"] / f["median"])
        if r in dry:
            write.append((byrep[r][0]["median"] - dry[r][0]["median"])
                         / f["median"])
    return whole, write


def slope(pts):
    """least-squares slope of log t against log n"""
    if len(pts) < 2:
        return None
    xs = [math.log(n) for n, _ in pts]
    ys = [math.log(t) for _, t in pts]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den


def main():
    data, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    runs, kv, meta = load(data)
    sizes = sorted({n for (s, n) in runs if s not in REPORT_ONLY})
    reps = sorted({r for v in runs.values() for r in v})
    w = []
    p = w.append
    p("# meshc benchmark results\n")
    if meta.get("note"):
        p(f"**{meta['note']}**\n")
    p("Written by `make bench` (bench/bench.sh, bench/report.py); what each "
      "number measures: [README.md](README.md).  Node n0 of a generated "
      "one-mesh document of N nodes (N-1 peers) on wireguard-go, in a "
      "network namespace of its own.  Times are wall-clock milliseconds of "
      "whole processes: median (min-max) over the runs of repetition 1; "
      "the ratio is meshc's median / the peer's median, for every "
      "repetition, and the spread is the largest minus the smallest of them."
      "\n")
    p("## Machine and versions\n")
    p("| | |\n|---|---|")
    for k in ("date", "kernel", "cpu", "load", "load_end", "meshc",
              "wireguard-go", "wireguard-tools", "nft", "iproute2", "libyaml",
              "libnftnl", "hyperfine", "sizes", "repeat", "elapsed"):
        if k in meta:
            v = meta[k] + (" s" if k == "elapsed" else "")
            p(f"| {k.replace('_', ' ')} | {v} |")
    p("")

    p("## Times\n")
    rep_cols = " | ".join(f"ratio #{r}" for r in reps)
    p(f"| step | N | meshc | compared with | meshc ms | peer ms | {rep_cols} "
      "| spread | meshc peak RSS |")
    p("|---|---:|---|---|---:|---:|" + "---:|" * len(reps) + "---:|---:|")
    rss_key = {"compile": "meshc_compile", "fresh": "meshc_fresh",
               "noop": "meshc_noop", "change": "meshc_change",
               "diff": "meshc_diff"}
    summary = {}
    derived = {}
    for step, title, _ in STEPS:
        for n in sorted({n for (s, n) in runs if s == step}):
            byrep = runs[(step, n)]
            first = byrep[min(byrep)]
            peers = first[1:] if len(first) > 1 else []
            ratios = [ratio(byrep[r]) for r in sorted(byrep)]
            ratios = [x for x in ratios if x is not None]
            rs = " | ".join(f"{x:.2f}" for x in ratios) or "-"
            rs += " | -" * (len(reps) - max(len(ratios), 1))
            spread = f"{max(ratios) - min(ratios):.2f}" if len(ratios) > 1 else "-"
            rss = kv.get(n, {}).get("rss:" + rss_key.get(step, ""), None)
            rss_s = f"{rss / 1024:.1f} MiB" if rss else "-"
            if step == "compile" and "rss:libyaml_floor" in kv.get(n, {}):
                rss_s += f" (floor {kv[n]['rss:libyaml_floor'] / 1024:.1f} MiB)"
            peer_name = peers[0]["command"] if peers else "(report only)"
            peer_cell = cell(peers[0]) if peers else "-"
            p(f"| {title} | {n} | {first[0]['command']} | {peer_name} | "
              f"{cell(first[0])} | {peer_cell} | {rs} | {spread} | {rss_s} |")
            floors = [f for f in FLOORS.get(step, []) if find(first, f)]
            for extra in peers[1:]:
                if extra["command"] in floors:
                    continue
                p(f"| | {n} | (also measured) | {extra['command']} | | "
                  f"{cell(extra)} | {first[0]['median'] / extra['median']:.2f}"
                  + " |" * (len(reps) + 1) + " |")
            dry = runs.get((step + "dry", n), {})
            floor_sum = {}
            for name in floors:
                whole, write = floor_ratios(byrep, dry, name)
                floor_sum[name] = {"median": find(first, name)["median"],
                                   "ratios": whole, "derived": write}
                p(f"| | {n} | {first[0]['command']} | {name} | "
                  f"{cell(first[0])} | {cell(find(first, name))} | "
                  f"{rep_cells(whole, len(reps))} | |")
            if dry and peers:
                # apply minus the same apply with --dry-run: the write alone
                dr = [(byrep[r][0]["median"] - dry[r][0]["median"])
                      / byrep[r][1]["median"] for r in sorted(byrep) if r in dry]
                d0 = dry[min(dry)][0]
                est = first[0]["median"] - d0["median"]
                p(f"| | {n} | (also measured) {d0['command']} | | "
                  f"{cell(d0)} | | | | | |")
                p(f"| | {n} | derived: apply minus --dry-run = meshc's write "
                  f"| {peers[0]['command']} | {ms(est)} | {cell(peers[0])} | "
                  f"{rep_cells(dr, len(reps))} | |")
                derived[(step, n)] = dr
                for name in floors:
                    p(f"| | {n} | derived: apply minus --dry-run = meshc's "
                      f"write | {name} | {ms(est)} | "
                      f"{cell(find(first, name))} | "
                      f"{rep_cells(floor_sum[name]['derived'], len(reps))} "
                      "| |")
            summary[(step, n)] = {
                "meshc": first[0]["median"],
                "peer": peers[0]["median"] if peers else None,
                "ratios": ratios, "rss_kib": rss,
                "commands": [r["command"] for r in first],
                "derived": derived.get((step, n)), "floors": floor_sum}
    p("")

    p("## Checks\n")
    p("| N | " + " | ".join(str(n) for n in sizes) + " |")
    p("|---|" + "---:|" * len(sizes))
    checks = [
        ("peers", "peers of n0"),
        ("rules", "rules in `table inet meshc`"),
        ("services_rules", "rules, every peer holding two services"),
        ("services_elems", "... elements of n0's incoming_svc4"),
        ("noop_meshc_ip_events", "no-op meshc apply: `ip monitor` events"),
        ("noop_meshc_nft_events", "no-op meshc apply: `nft monitor` events"),
        ("noop_meshc_uapi_sets", "no-op meshc apply: UAPI set=1 requests"),
        ("noop_tools_ip_events", "no-op standard tools: `ip monitor` events"),
        ("noop_tools_nft_events", "no-op standard tools: `nft monitor` events"),
        ("freshwg_uapi_sets", "fresh WireGuard step: meshc's set=1 requests"),
        ("freshwg_public_keys", "fresh WireGuard step: peers in them"),
        ("change_uapi_sets", "one key rotated: meshc's set=1 requests"),
        ("change_public_keys_sent", "one key rotated: public_key= lines sent"),
        ("change_replace_peers", "one key rotated: replace_peers=true sent"),
        ("change_peers_kept_identical", "one key rotated: peer entries kept identical"),
        ("change_peers_gone", "one key rotated: peer entries removed"),
        ("change_handshakes_unchanged", "one key rotated: latest-handshake unchanged"),
        ("change_session_established", "one key rotated: n3 (real, own namespace) had a session before (1 = yes)"),
        ("change_session_kept", "one key rotated: n3's session kept, same handshake after (1 = yes)"),
        ("fw_batch_same", "firewall: `nft list table` after the libnftnl batch equals it after meshc's apply (1 = yes)"),
    ]
    for key, title in checks:
        p(f"| {title} | " + " | ".join(
            str(kv.get(n, {}).get("checks:" + key, "-")) for n in sizes) + " |")
    p("")

    p("## Scaling (log-log slope of the median time against N)\n")
    p("1 is linear, 0 constant.  Between consecutive sizes, and the "
      "least-squares slope over all of them (repetition 1).\n")
    pairs = list(zip(sizes, sizes[1:]))
    p("| step | side | " + " | ".join(f"{a}->{b}" for a, b in pairs)
      + " | fit |")
    p("|---|---|" + "---:|" * (len(pairs) + 1))
    for step, title, _ in STEPS:
        if step in REPORT_ONLY:
            continue
        first = {n: runs[(step, n)][min(runs[(step, n)])] for n in sizes
                 if (step, n) in runs}
        sides = [("meshc", lambda res: res[0]),
                 ("peer", lambda res: res[1] if len(res) > 1 else None)]
        sides += [(name, lambda res, name=name: find(res, name))
                  for name in FLOORS.get(step, [])]
        for side, pick in sides:
            pts = [(n, pick(res)["median"]) for n, res in first.items()
                   if pick(res)]
            if len(pts) < 2:
                continue
            seg = [slope([a, b]) for a, b in zip(pts, pts[1:])]
            p(f"| {title} | {side} | " + " | ".join(f"{s:.2f}" for s in seg)
              + f" | {slope(pts):.2f} |")
    p("")

    nt = TARGET_N if TARGET_N in sizes else (sizes[-1] if sizes else None)
    p(f"## Targets (at {nt} peers" + (")\n" if nt == TARGET_N else
      f"; the targets are stated at {TARGET_N}, which this run did not "
      "measure: indicative only)\n"))
    p("Ratios: the worst (largest) of the repetitions.\n")
    p("| target | measured | met |")
    p("|---|---|---|")

    def row(t, measured, ok):
        p(f"| {t} | {measured} | {'yes' if ok else 'NO'} |")

    k = kv.get(nt, {})

    def rat(step):
        s = summary.get((step, nt))
        return max(s["ratios"]) if s and s["ratios"] else None

    r = rat("compile")
    if r is not None:
        row("parse+validate+compile <= 2.5x the libyaml floor",
            f"{r:.2f}x", r <= 2.5)
    rss = k.get("rss:meshc_compile")
    if rss:
        row("compile peak RSS <= 64 MiB", f"{rss / 1024:.1f} MiB", rss <= RSS_LIMIT_KIB)
    r = rat("freshwg")
    if r is not None:
        row("fresh WireGuard step <= 1.1x the raw UAPI set=1 write",
            f"{r:.2f}x", r <= 1.1)
    d = derived.get(("freshwg", nt))
    if d:
        row("... meshc's write alone (apply minus --dry-run) <= 1.1x the raw "
            "UAPI write", f"{max(d):.2f}x", max(d) <= 1.1)
    r = rat("noop")
    if r is not None:
        ev = (k.get("checks:noop_meshc_ip_events", -1),
              k.get("checks:noop_meshc_nft_events", -1),
              k.get("checks:noop_meshc_uapi_sets", -1))
        row("no-op apply <= 0.25x the standard tools' no-op", f"{r:.2f}x", r <= 0.25)
        row("no-op apply: zero modifying messages",
            f"{ev[0]} ip, {ev[1]} nft events, {ev[2]} UAPI sets", ev == (0, 0, 0))
    r = rat("change")
    if r is not None:
        row("one peer changed <= 0.2x the standard tools", f"{r:.2f}x", r <= 0.2)
        peers = k.get("checks:peers", 0)
        kept = k.get("checks:change_peers_kept_identical", -1)
        sess = k.get("checks:change_session_kept")
        row("one peer changed: no unchanged peer's session dropped",
            f"{kept} of {peers - 1} entries kept identical, replace_peers sent "
            f"{k.get('checks:change_replace_peers', '?')} times, n3's live "
            f"session {'kept' if sess else 'LOST or never made'}",
            kept == peers - 1 and sess == 1
            and k.get("checks:change_replace_peers") == 0)
    counts = {n: kv.get(n, {}).get("checks:rules") for n in sizes}
    if all(counts.values()):
        row("firewall rule count independent of N",
            ", ".join(f"{c} at {n}" for n, c in counts.items()),
            len(set(counts.values())) == 1)
    svc = {n: kv.get(n, {}).get("checks:services_rules") for n in sizes}
    if all(svc.values()):
        row("rule count independent of N with two services per peer "
            "(limited grants)",
            ", ".join(f"{c} at {n}" for n, c in svc.items()),
            len(set(svc.values())) == 1)
    fl = (summary.get(("firewall", nt)) or {}).get("floors", {})
    for name, f in fl.items():
        if f["ratios"]:
            r = max(f["ratios"])
            row("firewall load <= 1.5x a libnftnl batch of the same table "
                "(whole meshc apply: an upper bound)", f"{r:.2f}x", r <= 1.5)
        if f["derived"]:
            r = max(f["derived"])
            row("... meshc's nft step alone (apply minus --dry-run) <= 1.5x "
                "the libnftnl batch", f"{r:.2f}x", r <= 1.5)
    same = k.get("checks:fw_batch_same")
    if fl and same is not None:
        row("... the libnftnl batch loads the same table as meshc "
            "(`nft list table`)", "same" if same == 1 else "DIFFERENT",
            same == 1)
    r = rat("firewall")
    if r is not None:
        row("firewall load <= 1.5x loading the same table with nft -f "
            "(whole meshc apply: an upper bound)", f"{r:.2f}x", r <= 1.5)
    d = derived.get(("firewall", nt))
    if d:
        row("... meshc's nft step alone (apply minus --dry-run) <= 1.5x "
            "nft -f", f"{max(d):.2f}x", max(d) <= 1.5)
    d = summary.get(("diff", TARGET_N))
    if d:
        row(f"CI diff of {TARGET_N} nodes, one key rotated, <= "
            f"{DIFF_MAX_S:.0f} s", f"{d['meshc']:.2f} s", d["meshc"] <= DIFF_MAX_S)
        if d["peer"]:
            x = d["peer"] / d["meshc"]
            row(f"... <= 1/{DIFF_MIN_SPEEDUP:.0f} of the full compile's diff "
                f"(MESHC_DIFF_FULL=1, {d['peer']:.1f} s)", f"{x:.0f}x faster",
                x >= DIFF_MIN_SPEEDUP)
    d = summary.get(("diffgrant", TARGET_N))
    if d:
        row(f"CI diff of {TARGET_N} nodes, one node's grant changed, <= "
            f"{DIFF_GRANT_MAX_S} s", f"{d['meshc']:.2f} s",
            d["meshc"] <= DIFF_GRANT_MAX_S)
    p("")

    png = plot(runs, sizes, out)
    if png:
        p(f"![time against N for each step]({os.path.basename(png)})\n")
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(w))
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"meta": meta, "checks": kv,
                   "steps": {f"{s}@{n}": v for (s, n), v in summary.items()}},
                  f, indent=1, sort_keys=True)


def plot(runs, sizes, out):
    """results.png: log-log time against N, meshc solid, the peer dashed,
    a floor of FLOORS dotted"""
    if not shutil.which("gnuplot") or len(sizes) < 1:
        print("report: no gnuplot, no plot", file=sys.stderr)
        return None
    dat = os.path.join(out, "results.dat")
    # every step with a peer to draw against (not the report-only ones)
    psteps = [st for st in STEPS if st[0] not in REPORT_ONLY]
    # the floors' columns come after every step's two
    floors = [(s, name) for s, _, _ in psteps for name in FLOORS.get(s, [])]
    with open(dat, "w") as f:
        f.write("# N " + " ".join(f"{s}_meshc {s}_peer" for s, _, _ in psteps)
                + "".join(f" {s}_floor{i}" for i, (s, _) in enumerate(floors))
                + "\n")
        for n in sizes:
            row = [str(n)]
            for step, _, _ in psteps:
                res = runs.get((step, n), {})
                res = res[min(res)] if res else []
                for i in (0, 1):
                    row.append(f"{res[i]['median'] * 1000:.3f}" if len(res) > i else "NaN")
            for step, name in floors:
                res = runs.get((step, n), {})
                r = find(res[min(res)], name) if res else None
                row.append(f"{r['median'] * 1000:.3f}" if r else "NaN")
            f.write(" ".join(row) + "\n")
    panels = []
    for i, (step, title, _) in enumerate(psteps):
        c = 2 + 2 * i
        names = next((v[min(v)] for (s, n), v in sorted(runs.items())
                      if s == step), [])
        peer = names[1]["command"] if len(names) > 1 else "peer"
        extra = "".join(
            f", \\\n     '{dat}' u 1:{2 + 2 * len(psteps) + j} w lp dt 3 pt 4 t '{name}'"
            for j, (s, name) in enumerate(floors) if s == step)
        panels.append(f"""set title '{title}'
plot '{dat}' u 1:{c} w lp lw 2 pt 7 t 'meshc', \\
     '{dat}' u 1:{c + 1} w lp dt 2 pt 6 t '{peer}'{extra}
""")
    png = os.path.join(out, "results.png")
    script = f"""set terminal pngcairo size 2000,900 noenhanced font ',10'
set output '{png}'
set logscale xy
set xlabel 'N (n0 has N-1 peers)'
set ylabel 'median wall time (ms)'
set key top left box opaque
set grid
set offsets graph 0.05, graph 0.05, 0, 0
set multiplot layout 2,4 title 'meshc against the standard tools and floors, time against N (log-log)'
{''.join(panels)}unset multiplot
"""
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"report: gnuplot failed: {e}", file=sys.stderr)
        return None
    os.remove(dat)
    return png


if __name__ == "__main__":
    main()
