#!/usr/bin/env python3
"""Random mesh documents and random edits of them, for the differential
test of `meshc diff`'s incremental path (tests/suites/incr.sh).

    meshedit.py MESHC [--rounds N] [--seed S] [--work DIR]

Each round draws a document (several meshes, links, grants, unmanaged
nodes, lans, lans_via, exit nodes, dns, mtu, preshared secrets, derived
and pinned addresses, tests) and one to three edits of the kinds in
EDITS, writes OLD and NEW, and runs `meshc diff` both ways, as text, as
JSON and for one node, once as users run it and once with
MESHC_DIFF_FULL=1 (every node compiled in full, the reference): stdout,
stderr and the exit code must be the same bytes.  At the end every edit
kind must have been seen in enough rounds whose documents were valid
(a generator whose edits stop validating would otherwise test nothing).

A new kind of change is one function that edits the document dict in
place and one line in EDITS (and, when the document needs a new key to
draw, a line in gen_doc)."""
import argparse
import base64
import copy
import os
import random
import subprocess
import sys

PLATFORMS_UNMANAGED = ["macos", "ios", "android", "windows"]


# ---- the document -----------------------------------------------------

def rand_key(rnd):
    return base64.b64encode(bytes(rnd.getrandbits(8) for _ in range(32))).decode()


def mesh_of(doc, name):
    return doc["nodes"][name]["mesh"]


def managed(node):
    """model_node_managed(): managed, else linux (the default) only."""
    if "managed" in node:
        return node["managed"]
    return node.get("platform", "linux") == "linux"


def peers_of(doc, name):
    m = mesh_of(doc, name)
    out = {n for n, v in doc["nodes"].items() if v["mesh"] == m and n != name}
    for a, b in doc["links"]:
        if a == name:
            out.add(b)
        if b == name:
            out.add(a)
    return sorted(out)


def new_name(doc, rnd):
    while True:
        n = "n%d" % rnd.randrange(1000)
        if n not in doc["nodes"]:
            return n


def free_address(doc, mesh, rnd):
    net = doc["meshes"][mesh]["_octet"]
    used = {v.get("address") for v in doc["nodes"].values()}
    while True:
        a = "10.%d.%d.%d" % (net, rnd.randrange(256), rnd.randrange(1, 255))
        if a not in used:
            return a


def free_lan(doc, rnd):
    used = {p for v in doc["nodes"].values() for p in v.get("lan", [])}
    while True:
        p = "192.168.%d.0/24" % rnd.randrange(256)
        if p not in used:
            return p


def gen_node(doc, mesh, rnd):
    n = {"mesh": mesh, "public_key": rand_key(rnd)}
    if rnd.random() < 0.6:
        n["address"] = free_address(doc, mesh, rnd)
    if rnd.random() < 0.85:
        n["endpoint"] = "198.18.%d.%d:%d" % (rnd.randrange(256),
                                           rnd.randrange(1, 255),
                                           rnd.choice([51820, 51821, 443]))
    r = rnd.random()
    if r < 0.2:
        n["platform"] = rnd.choice(PLATFORMS_UNMANAGED)
    elif r < 0.26:
        n["platform"] = "macos"
        n["managed"] = True
    if managed(n) and rnd.random() < 0.3:
        n["lan"] = [free_lan(doc, rnd)]
    if rnd.random() < 0.15:
        n["keepalive"] = rnd.choice([0, 15, 25])
    if rnd.random() < 0.1:
        n["mtu"] = rnd.choice([1280, 1380, 1420])
    if rnd.random() < 0.1:
        n["dns"] = [rnd.choice(["10.0.0.53", "1.1.1.1", "corp.example"])]
    n["permissions"] = {"default": {}, "peers": {}}
    if rnd.random() < 0.3:
        n["permissions"]["default"]["incoming"] = rnd.random() < 0.5
    if managed(n) and rnd.random() < 0.15:
        n["permissions"]["default"]["routing"] = True
    return n


def gen_doc(rnd):
    doc = {"meshes": {}, "nodes": {}, "links": [], "tests": []}
    for i in range(rnd.randint(1, 3)):
        m = {"network": "10.%d.0.0/16" % (64 + i), "_octet": 64 + i}
        if rnd.random() < 0.5:
            m["network6"] = "fd00:%x::/64" % (i + 1)
        if rnd.random() < 0.3:
            m["preshared_key_file"] = "/etc/meshc/m%d.psk" % i
        if rnd.random() < 0.2:
            m["dns"] = ["10.%d.0.53" % (64 + i)]
        if rnd.random() < 0.2:
            m["mtu"] = 1400
        if rnd.random() < 0.2:
            m["defaults"] = {"incoming": rnd.random() < 0.5}
        if rnd.random() < 0.3:
            m["interface"] = "wg%d" % i
        doc["meshes"]["m%d" % i] = m
    for mesh in doc["meshes"]:
        for _ in range(rnd.randint(2, 9)):
            doc["nodes"][new_name(doc, rnd)] = gen_node(doc, mesh, rnd)
    for _ in range(rnd.randint(0, 6)):
        edit_grant(doc, rnd)
    for _ in range(rnd.randint(0, 2)):
        edit_link(doc, rnd)
    for _ in range(rnd.randint(0, 2)):
        edit_exit(doc, rnd)
    for _ in range(rnd.randint(0, 2)):
        edit_lans_via(doc, rnd)
    for _ in range(rnd.randint(0, 3)):
        edit_tests(doc, rnd)
    for mesh in doc["meshes"]:
        if rnd.random() < 0.4:
            gen_relay(doc, mesh, rnd)
    return doc


def can_relay(v):
    return managed(v) and "endpoint" in v


def gen_relay(doc, mesh, rnd):
    """A mesh relay, and some of the other members without an endpoint:
    the relayed pairs the edits then work on."""
    c = [n for n, v in doc["nodes"].items() if v["mesh"] == mesh and can_relay(v)]
    if not c:
        return
    r = rnd.choice(sorted(c))
    doc["meshes"][mesh]["relay"] = r
    for n, v in doc["nodes"].items():
        if v["mesh"] == mesh and n != r and rnd.random() < 0.5:
            v.pop("endpoint", None)
            v.pop("exit_node", None)	# no tunnel for it through a relay
            v.pop("lans_via", None)


# ---- YAML -------------------------------------------------------------

def scalar(v):
    if isinstance(v, list):
        return "[%s]" % ", ".join(scalar(x) for x in v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return '"%s"' % v if ("=" in v or v.startswith(("/", "["))) else v


def flow(d):
    return "{ %s }" % ", ".join("%s: %s" % (k, scalar(v)) for k, v in d.items())


def emit(doc, order):
    out = ["version: 1", "meshes:"]
    for name, m in doc["meshes"].items():
        out.append("  %s:" % name)
        for k, v in m.items():
            if k.startswith("_"):
                continue
            if isinstance(v, list):
                out.append("    %s: [%s]" % (k, ", ".join(scalar(x) for x in v)))
            elif isinstance(v, dict):
                out.append("    %s: %s" % (k, flow(v)))
            else:
                out.append("    %s: %s" % (k, scalar(v)))
    out.append("nodes:")
    for name in order:
        n = doc["nodes"][name]
        out.append("  %s:" % name)
        for k, v in n.items():
            if k == "permissions":
                if not v["default"] and not v["peers"]:
                    continue
                out.append("    permissions:")
                if v["default"]:
                    out.append("      default: %s" % flow(v["default"]))
                if v["peers"]:
                    out.append("      peers:")
                    for p, f in v["peers"].items():
                        out.append("        %s: %s" % (p, flow(f)))
            elif isinstance(v, list):
                out.append("    %s: [%s]" % (k, ", ".join(scalar(x) for x in v)))
            else:
                out.append("    %s: %s" % (k, scalar(v)))
    if doc["links"]:
        out.append("links:")
        out += ["  - [%s, %s]" % tuple(l) for l in doc["links"]]
    if doc["tests"]:
        out.append("tests:")
        out += ["  - %s" % flow(t) for t in doc["tests"]]
    return "\n".join(out) + "\n"


# ---- edits: each changes doc in place, keeping it valid where it can --

def pick_node(doc, rnd, pred=lambda n, v: True):
    c = [n for n, v in doc["nodes"].items() if pred(n, v)]
    return rnd.choice(sorted(c)) if c else None


def edit_key(doc, rnd):
    n = pick_node(doc, rnd)
    doc["nodes"][n]["public_key"] = rand_key(rnd)


def forget_relay(doc, name):
    """No one uses node name as relay (it can no longer be one)."""
    for m in list(doc["meshes"].values()) + list(doc["nodes"].values()):
        if m.get("relay") == name:
            del m["relay"]


def edit_endpoint(doc, rnd):
    n = pick_node(doc, rnd)
    v = doc["nodes"][n]
    if "endpoint" in v and rnd.random() < 0.3:
        del v["endpoint"]
        forget_relay(doc, n)
    else:
        v["endpoint"] = "198.19.%d.%d:51820" % (rnd.randrange(256),
                                                 rnd.randrange(1, 255))


def edit_address(doc, rnd):
    name = pick_node(doc, rnd)
    v = doc["nodes"][name]
    if "address" in v and rnd.random() < 0.4:
        del v["address"]	# derived from the key from now on
    else:
        v["address"] = free_address(doc, v["mesh"], rnd)


def pick_granter(doc, rnd):
    """An unmanaged node often: what it grants is enforced in its peers'
    plans (the closed set), not in its own."""
    if rnd.random() < 0.4:
        n = pick_node(doc, rnd, lambda n, v: not managed(v))
        if n:
            return n
    return pick_node(doc, rnd)


def grant_target(doc, rnd):
    g = pick_granter(doc, rnd)
    p = peers_of(doc, g)
    return (g, rnd.choice(p)) if p else (None, None)


def edit_grant(doc, rnd):
    g, p = grant_target(doc, rnd)
    if not g:
        return
    v = doc["nodes"][g]
    flags = v["permissions"]["peers"].setdefault(p, {})
    keys = ["incoming"] + (["routing", "local_network"] if managed(v) else [])
    k = rnd.choice(keys)
    if k in flags and rnd.random() < 0.3:
        del flags[k]
    else:
        flags[k] = rnd.random() < 0.6
    if not flags and rnd.random() < 0.5:
        del v["permissions"]["peers"][p]


def edit_default(doc, rnd):
    v = doc["nodes"][pick_granter(doc, rnd)]
    d = v["permissions"]["default"]
    k = rnd.choice(["incoming"] + (["routing"] if managed(v) else []))
    if k in d and rnd.random() < 0.4:
        del d[k]
    else:
        d[k] = not d.get(k, k == "incoming")


def edit_exit(doc, rnd):
    n = pick_node(doc, rnd, lambda n, v: "exit_node" not in v)
    if not n:
        return
    users = {v.get("exit_node") for v in doc["nodes"].values()}
    if n in users:
        return
    c = [p for p in peers_of(doc, n)
         if managed(doc["nodes"][p]) and "exit_node" not in doc["nodes"][p]]
    if not c:
        return
    e = rnd.choice(c)
    doc["nodes"][n]["exit_node"] = e
    doc["nodes"][e]["permissions"]["peers"].setdefault(n, {})["routing"] = True


def edit_exit_toggle(doc, rnd):
    n = pick_node(doc, rnd, lambda n, v: "exit_node" in v)
    if n and rnd.random() < 0.6:
        del doc["nodes"][n]["exit_node"]
    else:
        edit_exit(doc, rnd)


def edit_lan(doc, rnd):
    via = {t for v in doc["nodes"].values() for t in v.get("lans_via", [])}
    n = None
    if rnd.random() < 0.5:	# a lan other nodes route to
        n = pick_node(doc, rnd, lambda n, v: n in via)
    n = n or pick_node(doc, rnd, lambda n, v: managed(v))
    if not n:
        return
    v = doc["nodes"][n]
    users = [u for u, x in doc["nodes"].items() if n in x.get("lans_via", [])]
    if "lan" in v and not users and rnd.random() < 0.3:
        del v["lan"]
    elif "lan" in v and rnd.random() < 0.5:
        v["lan"] = v["lan"] + [free_lan(doc, rnd)]
    else:
        v["lan"] = [free_lan(doc, rnd)]


def edit_lans_via(doc, rnd):
    n = pick_node(doc, rnd)
    v = doc["nodes"][n]
    if v.get("lans_via") and rnd.random() < 0.4:
        v["lans_via"].pop(rnd.randrange(len(v["lans_via"])))
        if not v["lans_via"]:
            del v["lans_via"]
        return
    c = [p for p in peers_of(doc, n) if doc["nodes"][p].get("lan")
         and p not in v.get("lans_via", [])]
    if not c:
        return
    t = rnd.choice(c)
    v.setdefault("lans_via", []).append(t)
    doc["nodes"][t]["permissions"]["peers"].setdefault(n, {})["local_network"] = True


def forget(doc, name):
    """Every reference to node name, gone."""
    forget_relay(doc, name)
    for v in doc["nodes"].values():
        v["permissions"]["peers"].pop(name, None)
        if v.get("exit_node") == name:
            del v["exit_node"]
        if name in v.get("lans_via", []):
            v["lans_via"].remove(name)
            if not v["lans_via"]:
                del v["lans_via"]
    doc["links"] = [l for l in doc["links"] if name not in l]
    doc["tests"] = [t for t in doc["tests"] if name not in (t["from"], t["to"])
                    and t["to"] != "lan:" + name]


def edit_add_node(doc, rnd):
    mesh = rnd.choice(sorted(doc["meshes"]))
    doc["nodes"][new_name(doc, rnd)] = gen_node(doc, mesh, rnd)


def edit_remove_node(doc, rnd):
    if len(doc["nodes"]) <= 2:
        return
    n = pick_node(doc, rnd)
    del doc["nodes"][n]
    forget(doc, n)


def edit_rename_node(doc, rnd):
    n = pick_node(doc, rnd)
    m = new_name(doc, rnd)
    nodes = {}
    for k, v in doc["nodes"].items():
        nodes[m if k == n else k] = v
    doc["nodes"] = nodes
    for v in nodes.values():
        peers = v["permissions"]["peers"]
        if n in peers:
            peers[m] = peers.pop(n)
        if v.get("exit_node") == n:
            v["exit_node"] = m
        if v.get("relay") == n:
            v["relay"] = m
        if n in v.get("lans_via", []):
            v["lans_via"] = [m if x == n else x for x in v["lans_via"]]
    for x in doc["meshes"].values():
        if x.get("relay") == n:
            x["relay"] = m
    doc["links"] = [[m if x == n else x for x in l] for l in doc["links"]]
    for t in doc["tests"]:
        for k in ("from", "to"):
            if t[k] == n:
                t[k] = m
            if t[k] == "lan:" + n:
                t[k] = "lan:" + m


def edit_move_node(doc, rnd):
    if len(doc["meshes"]) < 2:
        return
    n = pick_node(doc, rnd)
    v = doc["nodes"][n]
    v["mesh"] = rnd.choice(sorted(set(doc["meshes"]) - {v["mesh"]}))
    if "address" in v:
        v["address"] = free_address(doc, v["mesh"], rnd)
    forget(doc, n)	# its grants, exit and lans_via were of the old mesh
    v["permissions"]["peers"].clear()
    v.pop("exit_node", None)
    v.pop("lans_via", None)
    v.pop("relay", None)


def edit_mesh_defaults(doc, rnd):
    m = doc["meshes"][rnd.choice(sorted(doc["meshes"]))]
    d = m.setdefault("defaults", {})
    d["incoming"] = not d.get("incoming", True)


def edit_mesh_network(doc, rnd):
    name = rnd.choice(sorted(doc["meshes"]))
    m = doc["meshes"][name]
    old = m["_octet"]
    new = max(x["_octet"] for x in doc["meshes"].values()) + 1
    m["_octet"] = new
    m["network"] = "10.%d.0.0/16" % new
    for v in doc["nodes"].values():
        if v["mesh"] == name and "address" in v:
            v["address"] = v["address"].replace("10.%d." % old, "10.%d." % new, 1)


def edit_link(doc, rnd):
    if doc["links"] and rnd.random() < 0.3:
        doc["links"].pop(rnd.randrange(len(doc["links"])))
        return
    a = pick_node(doc, rnd)
    b = pick_node(doc, rnd, lambda n, v: v["mesh"] != mesh_of(doc, a))
    if b and [a, b] not in doc["links"] and [b, a] not in doc["links"]:
        doc["links"].append([a, b])


def edit_tests(doc, rnd):
    if doc["tests"] and rnd.random() < 0.3:
        doc["tests"].pop(rnd.randrange(len(doc["tests"])))
        return
    a, b = pick_node(doc, rnd), pick_node(doc, rnd)
    to = rnd.choice([b, "internet", "10.64.0.9"])
    doc["tests"].append({"from": a, "to": to,
                         "expect": rnd.choice(["allow", "deny"])})


def edit_dns(doc, rnd):
    if rnd.random() < 0.5:
        v = doc["nodes"][pick_node(doc, rnd)]
    else:
        v = doc["meshes"][rnd.choice(sorted(doc["meshes"]))]
    if "dns" in v and rnd.random() < 0.3:
        del v["dns"]
    else:
        v["dns"] = [rnd.choice(["9.9.9.9", "10.64.0.53", "lan.example"])]


def edit_mtu(doc, rnd):
    if rnd.random() < 0.5:
        v = doc["nodes"][pick_node(doc, rnd)]
    else:
        v = doc["meshes"][rnd.choice(sorted(doc["meshes"]))]
    v["mtu"] = rnd.choice([1280, 1300, 1420, 1500])


def edit_psk(doc, rnd):
    m = doc["meshes"][rnd.choice(sorted(doc["meshes"]))]
    if "preshared_key_file" in m:
        del m["preshared_key_file"]
    else:
        m["preshared_key_file"] = "/etc/meshc/new.psk"


def edit_keepalive(doc, rnd):
    v = doc["nodes"][pick_node(doc, rnd)]
    v["keepalive"] = rnd.choice([0, 10, 25, 60])


def edit_port(doc, rnd):
    v = doc["nodes"][pick_node(doc, rnd)]
    v["listen_port"] = rnd.choice([51820, 51830, 4500])


def edit_managed(doc, rnd):
    """A macos node between the WireGuard app and meshc."""
    n = pick_node(doc, rnd, lambda n, v: v.get("platform") == "macos")
    if not n:
        n = pick_node(doc, rnd, lambda n, v: "platform" not in v
                      and not v.get("lan"))
        if not n:
            return
        doc["nodes"][n]["platform"] = "macos"
    v = doc["nodes"][n]
    v["managed"] = not v.get("managed", False)
    if not v["managed"]:
        unmanage(doc, n)


def unmanage(doc, n):
    """What an unmanaged node cannot have: a lan, forwarding grants,
    being someone's exit node."""
    v = doc["nodes"][n]
    v.pop("lan", None)
    forget_lan_users(doc, n)
    forget_relay(doc, n)
    for f in list(v["permissions"]["peers"].values()) + [v["permissions"]["default"]]:
        f.pop("routing", None)
        f.pop("local_network", None)
    for u in doc["nodes"].values():
        if u.get("exit_node") == n:
            del u["exit_node"]


def edit_platform(doc, rnd):
    """A node between linux (managed) and a phone or desktop app."""
    n = pick_node(doc, rnd)
    v = doc["nodes"][n]
    if "platform" in v:
        del v["platform"]
        v.pop("managed", None)
    else:
        v["platform"] = rnd.choice(PLATFORMS_UNMANAGED)
        v.pop("managed", None)
        unmanage(doc, n)


def forget_lan_users(doc, n):
    for u in doc["nodes"].values():
        if n in u.get("lans_via", []):
            u["lans_via"].remove(n)
            if not u["lans_via"]:
                del u["lans_via"]


def edit_relay(doc, rnd):
    """A mesh's relay or a node's own: set, moved or removed."""
    if rnd.random() < 0.5:
        mesh = rnd.choice(sorted(doc["meshes"]))
        m = doc["meshes"][mesh]
        if "relay" in m and rnd.random() < 0.4:
            del m["relay"]
        else:
            gen_relay(doc, mesh, rnd)
        return
    n = pick_node(doc, rnd)
    v = doc["nodes"][n]
    if "relay" in v and rnd.random() < 0.4:
        del v["relay"]
        return
    c = [p for p in peers_of(doc, n) if can_relay(doc["nodes"][p])]
    if c:
        v["relay"] = rnd.choice(c)
        v.pop("endpoint", None)


# services a list grant draws from (disjoint: a list's items never overlap)
LIST_SERVICES = ["tcp/22", "udp/53", "tcp/8000-8100", "icmp", "udp/5000-5010"]


def relay_of(doc, n):
    """The relay node n uses, or None (a mesh's relay is not its own)."""
    v = doc["nodes"][n]
    r = v.get("relay") or doc["meshes"][v["mesh"]].get("relay")
    return r if r != n else None


def relayed_pairs(doc):
    """(x, y): peers without an endpoint that use the same relay."""
    out = []
    for y, v in sorted(doc["nodes"].items()):
        r = relay_of(doc, y)
        if not r or "endpoint" in v:
            continue
        for x in peers_of(doc, y):
            if "endpoint" not in doc["nodes"][x] and relay_of(doc, x) == r:
                out.append((x, y))
    return out


def edit_relay_list(doc, rnd):
    """A relayed user's incoming becomes a list of services, for one
    relayed peer or as its default: the relay then holds the pair's
    services instead of the pair (or of the user in relay_open)."""
    pairs = relayed_pairs(doc)
    if not pairs:
        gen_relay(doc, rnd.choice(sorted(doc["meshes"])), rnd)
        pairs = relayed_pairs(doc)
    if not pairs:
        return
    x, y = rnd.choice(pairs)
    svcs = rnd.sample(LIST_SERVICES, rnd.randint(1, 3))
    perms = doc["nodes"][y]["permissions"]
    if rnd.random() < 0.3:
        perms["default"]["incoming"] = svcs
    else:
        perms["peers"].setdefault(x, {})["incoming"] = svcs


def edit_shuffle(doc, rnd):
    """The nodes in another order: other indices, the same document."""
    items = list(doc["nodes"].items())
    rnd.shuffle(items)
    doc["nodes"] = dict(items)


# name -> function: the kinds of change the test draws from
EDITS = {
    "key": edit_key,
    "endpoint": edit_endpoint,
    "address": edit_address,
    "grant": edit_grant,
    "default": edit_default,
    "exit": edit_exit_toggle,
    "lan": edit_lan,
    "lans_via": edit_lans_via,
    "add_node": edit_add_node,
    "remove_node": edit_remove_node,
    "rename_node": edit_rename_node,
    "move_node": edit_move_node,
    "mesh_defaults": edit_mesh_defaults,
    "mesh_network": edit_mesh_network,
    "link": edit_link,
    "tests": edit_tests,
    "dns": edit_dns,
    "mtu": edit_mtu,
    "psk": edit_psk,
    "keepalive": edit_keepalive,
    "listen_port": edit_port,
    "managed": edit_managed,
    "platform": edit_platform,
    "shuffle": edit_shuffle,
    "relay": edit_relay,
    "relay_list": edit_relay_list,
}


# ---- the differential run ---------------------------------------------

def run(meshc, args, full):
    env = dict(os.environ)
    env.pop("MESHC_DIFF_FULL", None)
    env["NO_COLOR"] = "1"
    if full:
        env["MESHC_DIFF_FULL"] = "1"
    p = subprocess.run([meshc, "diff"] + args, env=env, capture_output=True)
    return p.returncode, p.stdout, p.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("meshc")
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", default=".")
    ap.add_argument("--min-valid", type=int, default=3,
                    help="valid rounds each edit kind needs")
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    kinds = sorted(EDITS)
    valid = {k: 0 for k in kinds}
    changed = 0
    failures = 0
    old_p = os.path.join(args.work, "old.yaml")
    new_p = os.path.join(args.work, "new.yaml")
    for r in range(args.rounds):
        doc = gen_doc(rnd)
        new = copy.deepcopy(doc)
        # every kind in turn first, then at random, one to three per round
        done = [kinds[r % len(kinds)]] + rnd.sample(kinds, rnd.randint(0, 2))
        for k in done:
            EDITS[k](new, rnd)
        with open(old_p, "w") as f:
            f.write(emit(doc, list(doc["nodes"])))
        with open(new_p, "w") as f:
            f.write(emit(new, list(new["nodes"])))
        names = sorted(set(doc["nodes"]) | set(new["nodes"]))
        variants = [[old_p, new_p], [new_p, old_p],
                    [old_p, new_p, "--format", "json"],
                    [old_p, new_p, "--node", rnd.choice(names)]]
        ok_round = True
        for v in variants:
            inc, ref = run(args.meshc, v, False), run(args.meshc, v, True)
            if inc != ref:
                failures += 1
                ok_round = False
                keep = os.path.join(args.work, "fail-%d" % r)
                os.makedirs(keep, exist_ok=True)
                for p in (old_p, new_p):
                    with open(p) as s, open(os.path.join(keep, os.path.basename(p)), "w") as d:
                        d.write(s.read())
                print("FAIL incr: round %d (seed %d, edits %s): meshc diff %s: "
                      "exit %d vs %d, stdout %s, stderr %s; documents in %s"
                      % (r, args.seed, ",".join(done), " ".join(v[2:]), inc[0], ref[0],
                         "same" if inc[1] == ref[1] else "differs",
                         "same" if inc[2] == ref[2] else "differs", keep))
        if ok_round and ref[0] != 1:
            for k in set(done):
                valid[k] += 1
            changed += ref[0] == 2
    thin = [k for k in kinds if valid[k] < args.min_valid]
    for k in thin:
        print("FAIL incr: edit kind %s: %d valid rounds, want %d (the "
              "generator's documents or edits no longer validate)"
              % (k, valid[k], args.min_valid))
    print("%s incr: %d rounds, %d with a change; valid rounds per kind: %s"
          % ("FAIL" if failures or thin else "ok  ", args.rounds, changed,
             " ".join("%s=%d" % (k, valid[k]) for k in kinds)))
    return 1 if failures or thin else 0


if __name__ == "__main__":
    sys.exit(main())
