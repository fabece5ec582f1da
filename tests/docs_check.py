#!/usr/bin/env python3
"""docs_check.py - the user-facing files agree with grammar/keys.def and cli.md.

Checks, each printed as an "ok   ..." or "FAIL ..." line:

  a) schemas/meshc.schema.json is a valid draft 2020-12 schema whose
     properties per context are exactly the keys.def keys of that context,
     whose required lists are the REQUIRED keys, whose property descriptions
     start with the keys.def summary, and whose objects all forbid
     additional properties;
  b) man/meshc.yaml.5 has an ".It Cm KEY" item and the summary of every key;
  c) examples/*.yaml and tests/golden/*/mesh.yaml are YAML without duplicate
     keys, validate against the schema, and (examples) have tests and
     well-formed public keys;
  d) every command of the command line contract appears in man/meshc.8 as
     ".Cm NAME";
  e) the complete documents shown in man/meshc.yaml.5 and README.md
     validate against the schema and, when $MESHC names the meshc binary,
     pass `meshc check`.

Usage: docs_check.py [REPO_ROOT]   (default: the parent of this directory)
Exit 0 when everything holds, 1 when something does not, 77 when python3
lacks yaml or jsonschema.
"""

import base64
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

try:
    import jsonschema
    import yaml
except ImportError as e:  # the suite reports this as "cannot run"
    print("SKIP docs_check: %s (Debian: python3-yaml python3-jsonschema)" % e)
    sys.exit(77)

# keys.def contexts -> where the schema describes that mapping.
CONTEXT_PATHS = {
    "TOP": (),
    "MESH": ("$defs", "mesh"),
    "NODE": ("$defs", "node"),
    "PERMISSIONS": ("$defs", "permissions"),
    "FLAGS": ("$defs", "flags"),
    "LAN_GRANT": ("$defs", "lan_grant"),
    "TEST": ("$defs", "test"),
}

# The commands of cli.md (version 1).  The file itself is read too when it
# can be found, so a command added there is checked without editing this.
CLI_COMMANDS = ["validate", "compile", "diff", "apply", "confirm", "down",
                "check", "explain", "graph", "genkey", "pubkey", "genpsk"]

KEY_RE = re.compile(
    r'^\s*KEY\(\s*(\w+)\s*,\s*(\w+)\s*,\s*(\w+)\s*,\s*(REQUIRED|OPTIONAL)\s*,'
    r'\s*(\w+)\s*,\s*"((?:[^"\\]|\\.)*)"\s*\)', re.M)


class Report:
    def __init__(self):
        self.failed = 0
        self.passed = 0

    def ok(self, what):
        self.passed += 1
        print("ok   " + what)

    def fail(self, what, details=()):
        self.failed += 1
        print("FAIL " + what)
        for d in details:
            print("     " + d)

    def check(self, what, problems):
        if problems:
            self.fail(what, problems)
        else:
            self.ok(what)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def parse_keys(text):
    """[(context, name, presence, summary)] in file order."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return [(m.group(1), m.group(2), m.group(4), m.group(6))
            for m in KEY_RE.finditer(text)]


def schema_at(schema, path):
    node = schema
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    return node


def open_objects(node, where="#"):
    """Places in the schema that describe an object with named properties
    but do not set additionalProperties to false."""
    found = []
    if isinstance(node, dict):
        if ("properties" in node or "patternProperties" in node) and \
                node.get("additionalProperties") is not False:
            found.append(where)
        for k, v in node.items():
            found += open_objects(v, where + "/" + k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += open_objects(v, "%s/%d" % (where, i))
    return found


def check_schema(rep, schema, keys):
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
        rep.ok("schema: valid JSON Schema draft 2020-12")
    except jsonschema.exceptions.SchemaError as e:
        rep.fail("schema: valid JSON Schema draft 2020-12", [e.message])
        return False
    rep.check("schema: declares draft 2020-12",
              [] if schema.get("$schema") ==
              "https://json-schema.org/draft/2020-12/schema"
              else ["$schema is %r" % schema.get("$schema")])
    contexts = sorted({k[0] for k in keys})
    unknown = [c for c in contexts if c not in CONTEXT_PATHS]
    rep.check("keys.def: every context has a schema location",
              ["no schema location for context %s" % c for c in unknown])
    for ctx, path in CONTEXT_PATHS.items():
        where = "/".join(("#",) + path)
        obj = schema_at(schema, path)
        if not isinstance(obj, dict):
            rep.fail("schema: %s (%s) exists" % (ctx, where))
            continue
        want = {k[1]: k for k in keys if k[0] == ctx}
        have = obj.get("properties", {})
        problems = []
        for name in sorted(set(want) - set(have)):
            problems.append("missing property %r" % name)
        for name in sorted(set(have) - set(want)):
            problems.append("property %r is not in keys.def" % name)
        rep.check("schema: %s properties at %s equal keys.def" % (ctx, where),
                  problems)
        req_want = sorted(n for n, k in want.items() if k[2] == "REQUIRED")
        req_have = sorted(obj.get("required", []))
        rep.check("schema: %s required keys equal keys.def" % ctx,
                  [] if req_want == req_have else
                  ["schema requires %s, keys.def %s" % (req_have, req_want)])
        problems = []
        for name, k in sorted(want.items()):
            desc = have.get(name, {}).get("description", "")
            if not desc.lower().startswith(k[3].lower()):
                problems.append("%s: description %r does not start with %r"
                                % (name, desc, k[3]))
        rep.check("schema: %s descriptions start with the keys.def summary"
                  % ctx, problems)
    rep.check("schema: additionalProperties is false on every object",
              ["%s allows unknown keys" % w for w in open_objects(schema)])
    return True


def check_man5(rep, man, keys):
    flat = re.sub(r"\s+", " ", man).lower()
    problems = []
    for ctx, name, _, summary in keys:
        if not re.search(r"^\.It Cm %s(\s|$)" % re.escape(name), man, re.M):
            problems.append("%s key %r has no '.It Cm %s' item"
                            % (ctx, name, name))
        if re.sub(r"\s+", " ", summary).lower() not in flat:
            problems.append("%s key %r: summary %r not in the text"
                            % (ctx, name, summary))
    rep.check("man/meshc.yaml.5 documents all %d keys of keys.def"
              % len(keys), problems)


class UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, as meshc does."""


def _construct_mapping(loader, node, deep=False):
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, "duplicate key %r (first on line %d)"
                % (key, seen[key] + 1), key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep)


UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def key_problems(doc):
    out = []
    nodes = doc.get("nodes") if isinstance(doc, dict) else None
    for name, node in (nodes or {}).items():
        key = node.get("public_key") if isinstance(node, dict) else None
        try:
            ok = len(base64.b64decode(key, validate=True)) == 32
        except (ValueError, TypeError):
            ok = False
        if not ok:
            out.append("node %s: public_key %r is not base64 of 32 bytes"
                       % (name, key))
    return out


def check_documents(rep, root, schema):
    validator = jsonschema.Draft202012Validator(schema)
    examples = sorted(glob.glob(os.path.join(root, "examples", "*.yaml")))
    goldens = sorted(glob.glob(os.path.join(root, "tests", "golden", "*",
                                            "mesh.yaml")))
    rep.check("examples: there are some", [] if examples else
              ["no examples/*.yaml"])
    keys_seen = {}
    for path in examples + goldens:
        rel = os.path.relpath(path, root)
        try:
            doc = yaml.load(read(path), Loader=UniqueKeyLoader)
        except yaml.YAMLError as e:
            rep.fail("%s: YAML" % rel, [str(e).replace("\n", " ")])
            continue
        problems = ["%s: %s" % ("/".join(str(p) for p in e.absolute_path)
                                or "(root)", e.message)
                    for e in sorted(validator.iter_errors(doc),
                                    key=lambda e: list(e.absolute_path))]
        rep.check("%s: valid against the schema" % rel, problems)
        if path in goldens:
            continue
        extra = key_problems(doc)
        if not (isinstance(doc, dict) and doc.get("tests")):
            extra.append("no tests: section")
        for name, node in (doc.get("nodes") or {}).items():
            k = node.get("public_key")
            if k in keys_seen:
                extra.append("node %s reuses the key of %s" %
                             (name, keys_seen[k]))
            keys_seen[k] = "%s:%s" % (rel, name)
        rep.check("%s: tests and distinct, well-formed keys" % rel, extra)


def cli_commands(root):
    cmds = list(CLI_COMMANDS)
    candidates = [os.environ.get("MESHC_CLI_SPEC", ""),
                  os.path.join(root, "docs", "cli.md"),
                  os.path.join(root, "..", "shared", "spec", "cli.md")]
    for path in candidates:
        if path and os.path.isfile(path):
            block = re.search(r"```\n(.*?)```", read(path), re.S)
            for line in (block.group(1) if block else "").splitlines():
                m = re.match(r"meshc\s+([a-z]+(?:\s*\|\s*[a-z]+)*)", line)
                if m:
                    for c in re.split(r"\s*\|\s*", m.group(1)):
                        if c not in cmds:
                            cmds.append(c)
            break
    # every command has its spec in src/cmd/ (main.c's table lists them)
    cmd_dir = os.path.join(root, "src", "cmd")
    if os.path.isdir(cmd_dir):
        for f in sorted(os.listdir(cmd_dir)):
            if f.endswith(".c"):
                for c in re.findall(r'const struct cmd_spec \w+_spec = \{\s*'
                                    r'\.name = "([a-z]+)"',
                                    read(os.path.join(cmd_dir, f))):
                    if c not in cmds:
                        cmds.append(c)
    return cmds


def check_man8(rep, root):
    man = read(os.path.join(root, "man", "meshc.8"))
    cmds = cli_commands(root)
    rep.check("man/meshc.8 documents all %d commands" % len(cmds),
              ["command %r: no '.Cm %s' in man/meshc.8" % (c, c)
               for c in cmds
               if not re.search(r"\bCm %s\b" % re.escape(c), man)])


def unescape_roff(text):
    for a, b in (("\\&", ""), ("\\(dq", '"'), ("\\e", "\\")):
        text = text.replace(a, b)
    return text


def embedded_documents(root):
    """(label, text) of every complete document in the man page's literal
    displays and the README's yaml blocks."""
    docs = []
    man = read(os.path.join(root, "man", "meshc.yaml.5"))
    for i, m in enumerate(re.finditer(r"^\.Bd -literal[^\n]*\n(.*?)^\.Ed",
                                      man, re.M | re.S)):
        text = unescape_roff(m.group(1))
        if text.startswith("version:"):
            docs.append(("man/meshc.yaml.5 display %d" % (i + 1), text))
    readme = os.path.join(root, "README.md")
    if os.path.isfile(readme):
        for i, m in enumerate(re.finditer(r"^```yaml\n(.*?)^```",
                                          read(readme), re.M | re.S)):
            if m.group(1).startswith("version:"):
                docs.append(("README.md yaml block %d" % (i + 1),
                             m.group(1)))
    return docs


def check_embedded(rep, root, schema):
    validator = jsonschema.Draft202012Validator(schema)
    docs = embedded_documents(root)
    rep.check("man/meshc.yaml.5 shows a full example",
              [] if any(l.startswith("man/") for l, _ in docs) else
              ["no literal display starting with 'version:'"])
    meshc = os.environ.get("MESHC", "")
    for label, text in docs:
        try:
            doc = yaml.load(text, Loader=UniqueKeyLoader)
        except yaml.YAMLError as e:
            rep.fail("%s: YAML" % label, [str(e).replace("\n", " ")])
            continue
        rep.check("%s: valid against the schema" % label,
                  ["%s: %s" % ("/".join(str(p) for p in e.absolute_path)
                               or "(root)", e.message)
                   for e in validator.iter_errors(doc)])
        if not (meshc and os.access(meshc, os.X_OK)):
            continue
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write(text)
            f.flush()
            r = subprocess.run([meshc, "check", "--color", "never", f.name],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT,
                               universal_newlines=True)
        rep.check("%s: meshc check passes" % label,
                  [] if r.returncode == 0 else
                  ["exit %d" % r.returncode] +
                  [l for l in r.stdout.splitlines()
                   if not l.startswith("PASS")][:10])


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rep = Report()
    keys = parse_keys(read(os.path.join(root, "grammar", "keys.def")))
    rep.check("keys.def: parsed %d keys" % len(keys),
              [] if keys else ["no KEY(...) lines found"])
    dup = sorted({"%s.%s" % (k[0], k[1]) for k in keys
                  if sum(1 for j in keys if j[:2] == k[:2]) > 1})
    rep.check("keys.def: no key twice in one context",
              ["%s is defined twice" % d for d in dup])
    try:
        schema = json.loads(read(os.path.join(root, "schemas",
                                              "meshc.schema.json")))
    except ValueError as e:
        rep.fail("schemas/meshc.schema.json: JSON", [str(e)])
        schema = None
    schema_ok = schema is not None and check_schema(rep, schema, keys)
    check_man5(rep, read(os.path.join(root, "man", "meshc.yaml.5")), keys)
    if schema_ok:
        check_documents(rep, root, schema)
        check_embedded(rep, root, schema)
    check_man8(rep, root)
    print("docs_check: %d passed, %d failed" % (rep.passed, rep.failed))
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
