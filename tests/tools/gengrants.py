#!/usr/bin/env python3
"""Generate a random mesh document with limited grants, for the
differential suite (tests/suites/grants-diff.sh): nodes a, b, c, d of
tests/e2e/lib.sh's underlay, b owning the lan (192.168.2.0/24 and
fd02::/64), every node managed, and each flag of each grant drawn at
random from true, false and lists over a small set of services (those the
suite probes, so lists hit and miss).  Exit nodes and lans_via are drawn
only where the grants make them valid.  Public keys are placeholders (the
suite writes the generated ones in).  Deterministic for a given seed.

Usage: gengrants.py SEED > doc.yaml"""
import random
import sys

NODES = ["a", "b", "c", "d"]
ENDPOINTS = {"a": "198.51.100.10:51820", "b": "203.0.113.5:51820",
             "c": None, "d": "198.51.100.11:51820"}
SERVICES = ["tcp/7001", "udp/7002", "tcp/7003-7004", "udp/7004", "tcp",
            "udp", "icmp", "tcp/7001-7002"]
LAN_TO = ["192.168.2.10", "192.168.2.0/24", "fd02::10", "fd02::/64"]


def service_list(rnd):
    return rnd.sample(SERVICES, rnd.randint(1, 3))


def incoming(rnd):
    r = rnd.random()
    if r < 0.25:
        return "true"
    if r < 0.45:
        return "false"
    return "[" + ", ".join(service_list(rnd)) + "]"


def local_network(rnd):
    r = rnd.random()
    if r < 0.2:
        return "true"
    if r < 0.35:
        return "false"
    entries = []
    for _ in range(rnd.randint(1, 3)):
        parts = []
        if rnd.random() < 0.8:
            parts.append('to: "%s"' % rnd.choice(LAN_TO))
        if rnd.random() < 0.8:
            parts.append("ports: [" + ", ".join(service_list(rnd)) + "]")
        entries.append("{ " + ", ".join(parts) + " }")
    return "[" + ", ".join(entries) + "]"


def main():
    rnd = random.Random(int(sys.argv[1]))
    grants = {}     # (granter, peer) -> {flag: value}
    for g in NODES:
        for p in NODES:
            if p == g:
                continue
            f = {}
            if rnd.random() < 0.8:
                f["incoming"] = incoming(rnd)
            if g == "b" and rnd.random() < 0.8:
                f["local_network"] = local_network(rnd)
            if g in ("b", "d") and rnd.random() < 0.4:
                f["routing"] = "true"
            grants[(g, p)] = f
    out = ["version: 1", "meshes:", "  gd:", "    network: 100.67.0.0/24",
           "    network6: fd67:0:0:1::/64", "    interface: wg-gd"]
    if rnd.random() < 0.5:
        out.append("    defaults: { incoming: %s }" % incoming(rnd))
    out.append("nodes:")
    for i, n in enumerate(NODES):
        out += ["  %s:" % n, "    mesh: gd",
                '    public_key: "%s"' % ("A" * 42 + "AEIM"[i] + "="),
                "    address: 100.67.0.%d" % (i + 1),
                "    address6: fd67:0:0:1::%d" % (i + 1)]
        if ENDPOINTS[n]:
            out.append("    endpoint: %s" % ENDPOINTS[n])
        if n == "b":
            out.append('    lan: [192.168.2.0/24, "fd02::/64"]')
            if any(grants[("b", p)].get("routing") for p in NODES if p != n):
                out.append("    uplink: eth0")
        # the node's uses: an exit node that grants it routing, the lan
        # of b when b grants it local_network (anything but false)
        exits = [g for g in ("b", "d") if g != n and
                 grants[(g, n)].get("routing") == "true"]
        if exits and rnd.random() < 0.5:
            out.append("    exit_node: %s" % rnd.choice(exits))
        ln = grants.get(("b", n), {}).get("local_network", "false")
        if n != "b" and ln != "false" and rnd.random() < 0.8:
            out.append("    lans_via: [b]")
        peers = [(p, f) for (g, p), f in grants.items() if g == n and f]
        if peers:
            out += ["    permissions:", "      peers:"]
            for p, f in peers:
                out.append("        %s: { %s }" % (
                    p, ", ".join("%s: %s" % kv for kv in sorted(f.items()))))
    print("\n".join(out))


if __name__ == "__main__":
    main()
