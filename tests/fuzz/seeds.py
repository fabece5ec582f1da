#!/usr/bin/env python3
"""Write the fuzz targets' seed corpora from the repository's own inputs.

  tests/fuzz/seeds.py            (from the repository root)

document/corpus  the example, golden, bad and e2e documents
document/yaml.dict  a libFuzzer dictionary: the keys of grammar/keys.def
uapi/corpus      tests/unit/data/wg/*.txt (recorded wireguard-go replies)
netlink/corpus   the recorded rtnetlink dumps of tests/unit/data/rtnl, one
                 file per dump (genl seeds come from the gen_genl helper)
nft/corpus       the recorded nf_tables replies of tests/unit/data/nft in
                 the target's framing (see nft/target.c)

Seeds are named by content hash, as libFuzzer names corpus files.
"""
import glob
import hashlib
import os
import re
import shutil
import struct

ROOT = os.getcwd()
FUZZ = os.path.join(ROOT, "tests", "fuzz")


def put(target, data):
    d = os.path.join(FUZZ, target, "corpus")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def arrays(path):
    """name -> bytes of every `static const unsigned char NAME[N] = {...}`."""
    text = open(path).read()
    out = {}
    for m in re.finditer(r"unsigned char (\w+)\[\d*\] = \{(.*?)\};", text,
                         re.S):
        out[m.group(1)] = bytes(int(x, 16) for x in
                                re.findall(r"0x[0-9a-fA-F]{2}", m.group(2)))
    return out


def document():
    srcs = (glob.glob("examples/*.yaml") + glob.glob("tests/golden/*/mesh.yaml")
            + glob.glob("tests/bad/*.yaml") + glob.glob("tests/e2e/mesh.yaml"))
    for p in sorted(srcs):
        data = open(p, "rb").read()
        if len(data) <= 65536:
            put("document", data)
    keys = set()
    for m in re.finditer(r"^KEY\(\w+, (\w+),", open("grammar/keys.def").read(),
                         re.M):
        keys.add(m.group(1))
    words = sorted(keys) + ["true", "false", "allow", "deny", "internet",
                            "linux", "android", "ios", "macos", "windows",
                            "openbsd", "freebsd", "lan:", "&a", "*a", "<<",
                            "!!str", "---", "...", "- ", ": ", "{", "}",
                            "[", "]", "100.64.0.0/10", "fd00::/64", "::",
                            "192.168.1.0/24", ":51820"]
    with open(os.path.join(FUZZ, "document", "yaml.dict"), "w") as f:
        f.write("# libFuzzer dictionary, written by tests/fuzz/seeds.py\n")
        for w in words:
            f.write('"%s"\n' % w.replace("\\", "\\\\").replace('"', '\\"'))


def uapi():
    for p in sorted(glob.glob("tests/unit/data/wg/*.txt")):
        put("uapi", open(p, "rb").read())


def netlink():
    for name, data in sorted(arrays("tests/unit/data/rtnl/fixtures.inc")
                             .items()):
        put("netlink", data)


def nft():
    text = open("tests/unit/data/nft/fixtures.inc").read()
    bufs = arrays("tests/unit/data/nft/fixtures.inc")
    kinds = {"NFT_DUMP_TABLE": 0, "NFT_DUMP_CHAINS": 1, "NFT_DUMP_SETS": 2,
             "NFT_DUMP_ELEMS": 3, "NFT_DUMP_RULES": 4}
    for m in re.finditer(r"struct nft_fx \w+\[\] = \{(.*?)\n\};", text, re.S):
        seed = b""
        for e in re.finditer(r"\{ (\w+), (NULL|\"\w+\"), (\w+), sizeof",
                             m.group(1)):
            kind, setname, arr = e.groups()
            body = bufs[arr]
            if setname != "NULL":
                body = setname.strip('"').encode() + b"\0" + body
            seed += struct.pack("<BH", kinds[kind], len(body)) + body
            # each reply alone as well: short seeds mutate faster
            put("nft", struct.pack("<BH", kinds[kind], len(body)) + body)
        put("nft", seed)


if __name__ == "__main__":
    document()
    uapi()
    netlink()
    nft()
