#!/usr/bin/env python3
"""json_schemas.py - meshc's JSON reports against schemas/*.schema.json.

As a module (tests/suites/status.sh):

    validator(schema_dir, name)  a Draft202012Validator for
                                 SCHEMA_DIR/NAME.schema.json

The schemas refer to each other by relative URI (meshc-status's changes
are meshc-diff's "#/$defs/change"), resolved against the file they are
read from, as an editor or a CI tool that loads them from share/meshc/
schemas/ does.  Every schema of the directory is registered under its
file URI and its $id, with whichever API the installed jsonschema has:
a referencing.Registry (jsonschema >= 4.18) or a RefResolver store
(older, e.g. Debian bookworm's 4.10).

As a script (tests/suites/schemas.sh):

    json_schemas.py SCHEMA_DIR MANIFEST

checks that
  a) every SCHEMA_DIR/*.schema.json is a valid draft 2020-12 schema;
  b) every output the manifest names is JSON valid against its schema and
     makes its expression true;
  c) every schema rejects each of its outputs' kinds of object with an
     unknown field added, so no schema lets anything through;
  d) the meshc-validate reports say what the text on standard error says;
  e) the meshc-diff outputs hold a change of every layer.
Each line of MANIFEST is GROUP TAB SCHEMA TAB FILE [TAB STDERR [TAB EXPR]]:
the output FILE of one meshc run, the name of its schema (meshc-diff), the
run's standard error (or empty) and a Python expression over `doc`, the
parsed output (or empty).  Prints "ok"/"FAIL" lines; exit 1 on a failure.
"""

import copy
import glob
import json
import os
import re
import sys

import jsonschema

DRAFT = "https://json-schema.org/draft/2020-12/schema"
UNKNOWN = "x_not_in_the_schema"


def _load_dir(schema_dir):
    """{name: (file URI, schema)} for every NAME.schema.json."""
    found = {}
    for path in sorted(glob.glob(os.path.join(schema_dir, "*.schema.json"))):
        name = os.path.basename(path)[:-len(".schema.json")]
        with open(path, encoding="utf-8") as f:
            found[name] = ("file://" + os.path.abspath(path), json.load(f))
    return found


def _validator_for(schemas, name):
    uri, schema = schemas[name]
    try:
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012
    except ImportError:
        # RefResolver: the schema's "#..." refs resolve in the schema
        # itself, its relative ones against its file URI, and the other
        # files from the store
        store = {}
        for u, s in schemas.values():
            store[u] = s
            if "$id" in s:
                store[s["$id"]] = s
        resolver = jsonschema.RefResolver(uri, schema, store=store)
        return jsonschema.Draft202012Validator(schema, resolver=resolver)
    # the root is reached through its file URI, so a schema without $id
    # (meshc-status) resolves its relative $ref against where it is
    pairs = []
    for u, s in schemas.values():
        res = Resource.from_contents(s, default_specification=DRAFT202012)
        pairs.append((u, res))
        if "$id" in s:
            pairs.append((s["$id"], res))
    return jsonschema.Draft202012Validator(
        {"$schema": DRAFT, "$ref": uri},
        registry=Registry().with_resources(pairs))


def validator(schema_dir, name):
    return _validator_for(_load_dir(schema_dir), name)


def _first_error(v, doc):
    err = jsonschema.exceptions.best_match(v.iter_errors(doc))
    if err is None:
        return None
    # a change that fits no layer: say why it does not fit its own
    while err.context:
        branches = {}
        for e in err.context:
            branches.setdefault(e.relative_schema_path[0], []).append(e)
        own = [e for es in branches.values()
               if not any(x.validator == "const" and
                          list(x.relative_path) == ["layer"] for x in es)
               for e in es]
        err = jsonschema.exceptions.best_match(own or err.context)
    where = "/".join(str(p) for p in err.absolute_path) or "(top)"
    return "%s: %s" % (where, err.message[:300])


class Report:
    def __init__(self):
        self.failed = 0

    def ok(self, what):
        print("ok   schemas: " + what)

    def fail(self, what, details=()):
        self.failed += 1
        print("FAIL schemas: " + what)
        for d in list(details)[:10]:
            print("     " + d)
        if len(details) > 10:
            print("     ... %d more" % (len(details) - 10))

    def check(self, what, problems):
        if problems:
            self.fail(what, problems)
        else:
            self.ok(what)


def check_schemas(rep, schemas):
    for name, (uri, s) in schemas.items():
        problems = []
        if s.get("$schema") != DRAFT:
            problems.append("$schema is %r" % s.get("$schema"))
        try:
            jsonschema.Draft202012Validator.check_schema(s)
        except jsonschema.exceptions.SchemaError as e:
            problems.append(e.message)
        rep.check("%s.schema.json is a valid draft 2020-12 schema" % name,
                  problems)


def read_manifest(path):
    entries = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            parts += [""] * (5 - len(parts))
            entries.append(dict(zip(("group", "schema", "file", "stderr",
                                     "expr"), parts)))
    return entries


def diag_lines(doc):
    """The lines meshc prints to stderr for the report's errors and
    warnings (notes and the quoted source are extra lines there)."""
    out = []
    for d in doc["diagnostics"]:
        if d["level"] == "note":
            continue
        where = doc["file"]
        if d["line"]:
            where += ":%d:%d" % (d["line"], d["col"])
        out.append("%s: %s: %s" % (where, d["level"], d["message"]))
    return out


def check_outputs(rep, schemas, entries):
    """b) and d); returns {schema: [(size, doc)]} of the valid outputs."""
    validators = {}
    valid = {}
    groups = {}
    for e in entries:
        groups.setdefault(e["group"], []).append(e)
    for group, members in groups.items():
        problems = []
        for e in members:
            name = e["schema"]
            if name not in schemas:
                problems.append("%s: no schema %s" % (e["file"], name))
                continue
            if name not in validators:
                validators[name] = _validator_for(schemas, name)
            try:
                with open(e["file"], encoding="utf-8") as f:
                    text = f.read()
                doc = json.loads(text)
            except (OSError, ValueError) as err:
                problems.append("%s: not JSON: %s" % (e["file"], err))
                continue
            err = _first_error(validators[name], doc)
            if err:
                problems.append("%s: %s" % (e["file"], err))
                continue
            valid.setdefault(name, []).append((len(text), doc))
            if e["expr"] and not eval(e["expr"], {"doc": doc}):
                problems.append("%s: false: %s" % (e["file"], e["expr"]))
            if name == "meshc-validate" and e["stderr"]:
                with open(e["stderr"], encoding="utf-8") as f:
                    said = [l for l in f.read().splitlines()
                            if re.match(re.escape(doc["file"]) +
                                        r"(:\d+:\d+)?: (error|warning): ", l)]
                if said != diag_lines(doc):
                    problems.append("%s: the report's diagnostics are not "
                                    "those on stderr: %r != %r"
                                    % (e["file"], diag_lines(doc), said))
        rep.check("%s: %d %s, each valid against %s" %
                  (group, len(members),
                   "output" if len(members) == 1 else "outputs",
                   ", ".join(sorted({e["schema"] for e in members}))),
                  problems)
    return valid


def object_kinds(node, path=(), kind=()):
    """(kind, path) of every object in a document: path leads to it, kind
    is path with array indices as * and, after a change, its layer, so
    each layer's change object (and what is in it) is a kind of its own."""
    if isinstance(node, dict):
        if "layer" in node:
            kind = kind + ("layer=" + str(node["layer"]),)
        yield kind, path
        for k, v in node.items():
            yield from object_kinds(v, path + (k,), kind + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from object_kinds(v, path + (i,), kind + ("*",))


def at(doc, path):
    for p in path:
        doc = doc[p]
    return doc


def check_closed(rep, schemas, valid):
    """c) Every kind of object seen in a schema's outputs, in the smallest
    output that has it, with an unknown field added, is rejected."""
    for name in sorted(schemas):
        if name == "meshc":
            continue	# the document's schema: docs_check.py checks it
        docs = sorted(valid.get(name, []), key=lambda x: x[0])
        if not docs:
            rep.fail("%s: no valid output to try unknown fields on" % name)
            continue
        v = _validator_for(schemas, name)
        seen = {}
        for _, doc in docs:
            for kind, path in object_kinds(doc):
                seen.setdefault(kind, (doc, path))
        let_through = []
        for kind, (doc, path) in sorted(seen.items(), key=lambda x: str(x)):
            bad = copy.deepcopy(doc)
            at(bad, path)[UNKNOWN] = 1
            if v.is_valid(bad):
                let_through.append("/".join(map(str, kind)) or "(top)")
        rep.check("%s rejects an unknown field in each of its %d kinds of "
                  "object" % (name, len(seen)), let_through)


def check_diff_layers(rep, valid):
    """e) The diffs cover every layer the schema knows."""
    layers = ["interface", "addresses", "peers", "routes", "rules",
              "sysctls", "firewall_sets", "firewall_rules"]
    seen = set()
    changed = set()
    for _, doc in valid.get("meshc-diff", []):
        for n in doc["nodes"]:
            for c in n["changes"]:
                seen.add((c["layer"], c["op"]))
                changed.update((c["layer"], w) for w in c["changed"])
    missing = [l for l in layers if not any(s[0] == l for s in seen)]
    rep.check("the diffs have changes of every layer (%s; modified: %s)" %
              (", ".join("%s %s" % s for s in sorted(seen)),
               ", ".join("%s.%s" % c for c in sorted(changed))),
              ["no change of layer " + l for l in missing])


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: json_schemas.py SCHEMA_DIR MANIFEST")
    rep = Report()
    schemas = _load_dir(argv[1])
    check_schemas(rep, schemas)
    valid = check_outputs(rep, schemas, read_manifest(argv[2]))
    check_closed(rep, schemas, valid)
    check_diff_layers(rep, valid)
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
