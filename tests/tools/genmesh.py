#!/usr/bin/env python3
"""Generate a valid mesh document with N nodes, for scaling tests and
benchmarks: one mesh (or several, linked), explicit addresses, random
public keys, some grants, lans and an exit node so every compiler path
runs.  Deterministic for a given --seed."""
import argparse
import base64
import ipaddress
import random
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("nodes", type=int)
    ap.add_argument("--meshes", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rotate", type=int, default=-1,
                    help="give node N a different key (one key rotation)")
    ap.add_argument("--grant", type=int, default=-1,
                    help="node N denies its mesh's first node incoming "
                         "(one node's grant changed)")
    ap.add_argument("--services", action="store_true",
                    help="the servers grant every peer incoming for two "
                         "services only (a limited grant)")
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    out = sys.stdout
    out.write("version: 1\nmeshes:\n")
    per_mesh = (args.nodes + args.meshes - 1) // args.meshes
    nets = []
    for m in range(args.meshes):
        net = ipaddress.ip_network(f"10.{64 + m}.0.0/16" if per_mesh < 65000
                                   else f"{10 + m}.0.0.0/8")
        nets.append(net)
        out.write(f"  m{m}:\n    network: {net}\n    network6: fd00:{m + 1}::/64\n"
                  f"    interface: mesh{m}\n")
    out.write("nodes:\n")
    for i in range(args.nodes):
        m = i // per_mesh
        key = bytes(rnd.getrandbits(8) for _ in range(32))
        if i == args.rotate:
            key = bytes(b ^ 0x5a for b in key)
        addr = nets[m].network_address + 1 + (i % per_mesh)
        out.write(f"  n{i}:\n    mesh: m{m}\n"
                  f"    public_key: \"{base64.b64encode(key).decode()}\"\n"
                  f"    address: {addr}\n")
        # Servers have endpoints; node 1 of each mesh is a roaming client
        # (no endpoint) that uses node 0 as its exit node.
        if i % per_mesh == 0:
            out.write(f"    endpoint: 198.18.{m}.1:51820\n"
                      f"    lan: [192.168.{m % 250}.0/24]\n"
                      "    permissions:\n"
                      "      default: { routing: true%s }\n"
                      % (", incoming: [tcp/22, udp/53]" if args.services
                         else ""))
        elif i % per_mesh != 1:
            out.write(f"    endpoint: 198.19.{(i >> 8) & 255}.{i & 255}:51820\n")
        if i % per_mesh == 1:
            out.write(f"    exit_node: n{m * per_mesh}\n")
        if i == args.grant and i % per_mesh > 1:
            out.write("    permissions:\n      peers:\n"
                      f"        n{m * per_mesh}: {{ incoming: false }}\n")
    if args.meshes > 1:
        out.write("links:\n")
        for m in range(1, args.meshes):
            out.write(f"  - [n{m * per_mesh}, n0]\n")


if __name__ == "__main__":
    main()
