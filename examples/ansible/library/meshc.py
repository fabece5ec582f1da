#!/usr/bin/python
# -*- coding: utf-8 -*-
# meshc.py - an Ansible module that makes a host match its node of a meshc
# document by calling the meshc command line and reading its JSON reports.
# Python 3 standard library and Ansible's own module_utils, nothing else.

DOCUMENTATION = r"""
---
module: meshc
short_description: Make this host match its node of a meshc WireGuard mesh document
description:
  - Runs C(meshc apply) on the managed host for the node of C(src) that the
    host is (or C(node)), and reports what it changed, read from
    C(meshc apply --format json).
  - In check mode runs C(meshc apply --dry-run --format json) instead
    (exit 0 nothing to do, 2 changes) and changes nothing.
  - With C(state=absent) runs C(meshc down), which removes the interface,
    routes, rules, firewall part and sysctls meshc set up for the node.
  - With C(confirm) the apply is a try (C(meshc apply --confirm)); meshc
    reverts it after that many seconds unless the play confirms it
    (C(state=confirmed), which runs C(meshc confirm)) after its health check.
  - >-
    meshc's diagnostics (C(FILE:LINE:COL: error: ...)) and exit code are in
    the result of a failed run, and its warnings become Ansible warnings.
author:
  - meshc authors
requirements:
  - meshc on the managed host (C(meshc --version)); root, as meshc apply needs
options:
  src:
    description:
      - Path of the mesh document on the managed host.
      - Required unless C(state=confirmed).
    type: path
  node:
    description:
      - The node of the document this host is.
      - Without it meshc finds it, as C(meshc apply) does, from the public
        key of the host's private key file, else from the host name.
    type: str
  state:
    description:
      - C(present) applies the document; C(absent) removes all that meshc
        set up for the node; C(confirmed) keeps a pending apply made with
        C(confirm) (C(meshc confirm)).
    type: str
    choices: [present, absent, confirmed]
    default: present
  confirm:
    description:
      - Seconds. Apply with C(--confirm) so that meshc reverts to the state
        before the run unless C(meshc confirm) comes first (a later task
        with C(state=confirmed)). The result's C(pending_confirm) says
        whether a revert timer waits; nothing waits when nothing changed.
      - Ignored in check mode and with C(state=absent).
    type: int
  meshc:
    description:
      - The meshc binary on the managed host (a name looked up in PATH, or
        a path).
    type: str
    default: meshc
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: >-
      Before and after list the changed items only, one line each,
      as meshc's diff names them; the unchanged rest of the node is left out.
notes:
  - Check mode with C(state=absent) asks C(meshc status), changed when the
    interface exists; its diff names the interface and the peers on its
    device, not every route and firewall element C(meshc down) would remove.
  - The module runs meshc with C(NO_COLOR=1).
  - The exit codes and JSON reports it reads are described in meshc(8).
"""

EXAMPLES = r"""
- name: Preview what meshc would change (run with --check --diff)
  meshc:
    src: /etc/meshc/mesh.yaml

- name: Apply, reverted in 60 s unless confirmed
  meshc:
    src: /etc/meshc/mesh.yaml
    node: gateway1
    confirm: 60
  register: mesh

- name: The mesh still works from here
  ansible.builtin.command: ping -c 1 -W 2 100.64.0.1
  changed_when: false
  when: mesh.pending_confirm

- name: Keep the new configuration
  meshc:
    state: confirmed
  when: mesh.pending_confirm

- name: Take the node off the mesh
  meshc:
    src: /etc/meshc/mesh.yaml
    state: absent
"""

RETURN = r"""
changes:
  description: What changed (or, in check mode, would change), one item per
    change in meshc's order, as C(meshc diff --format json) names them.
  returned: state is present or absent
  type: list
  elements: dict
  sample:
    - {layer: peers, op: add, subject: b, detail: "UYY0c4YP...  allowed-ips 100.64.7.2/32  endpoint 203.0.113.5:51820"}
node:
  description: The node of the document this host is, when meshc named it.
  returned: when something changed
  type: str
  sample: a
pending_confirm:
  description: An apply made with C(confirm) changed something and its
    revert timer waits for C(state=confirmed).
  returned: state is present
  type: bool
cmd:
  description: The meshc command line that ran.
  returned: always
  type: list
  elements: str
rc:
  description: meshc's exit code (2 from C(--dry-run) means changes, which
    is no failure; Ansible fails a task whose result has a non-zero rc, so
    only a failed run returns it).
  returned: failure
  type: int
stderr:
  description: meshc's diagnostics and warnings.
  returned: always
  type: str
diff:
  description: The changed items before and after, one line each (shown by
    C(--diff)).
  returned: when diff mode is on and something changed
  type: dict
"""

import json

from ansible.module_utils.basic import AnsibleModule


# ---- meshc's change items as lines ---------------------------------------

def _flags(obj, keys):
    """'key value' for each of keys that obj sets, in that order."""
    out = []
    for k in keys:
        v = obj.get(k)
        if v in (None, "", [], False, 0):
            continue
        if isinstance(v, list):
            v = ",".join(str(x) for x in v)
        out.append("%s %s" % (k.replace("_", "-"), v))
    return out


def _iface(obj):
    parts = ["public-key %s" % (obj.get("public_key") or "(none)"),
             "listen-port %s" % obj.get("listen_port")]
    return ", ".join(parts + _flags(obj, ("fwmark", "mtu", "dns")))


def _peer(obj):
    parts = ["endpoint %s" % (obj.get("endpoint") or "(none)"),
             "allowed-ips %s" % (",".join(obj.get("allowed_ips") or [])
                                 or "(none)")]
    return ", ".join(parts + _flags(obj, ("keepalive",)))


def _generic(obj):
    """A route, a policy rule or anything newer: its fields in JSON order."""
    if not isinstance(obj, dict):
        return json.dumps(obj, sort_keys=True)
    return ", ".join(_flags(obj, list(obj)))


def _fw_rule(rule):
    parts = []
    if rule.get("family") not in (None, "any"):
        parts.append(rule["family"])
    for k in ("iif", "oif"):
        if rule.get(k):
            parts.append("%s %s%s" % (k, "!= " if rule[k].get("negate")
                                      else "", rule[k].get("name")))
    if rule.get("ct_established"):
        parts.append("ct established,related")
    if rule.get("tcp_pickup"):
        parts.append("ct new tcp not syn")
    for k in ("saddr_set", "daddr_set"):
        if rule.get(k):
            parts.append("%s @%s" % (k[:5], rule[k]))
    parts.append(str(rule.get("verdict")))
    if rule.get("target"):
        parts.append(rule["target"])
    return "%s  [%s]" % (" ".join(parts), rule.get("id"))


def change_lines(ch, side):
    """The lines of one change on one side ('old' or 'new'): none when the
    item is not there on that side (an add has no old side)."""
    layer, subject = ch.get("layer"), ch.get("subject")
    if (side == "old" and ch.get("op") == "add") or \
            (side == "new" and ch.get("op") == "remove"):
        return []
    if layer == "interface":
        return ["interface %s: %s" % (ch[side]["name"], _iface(ch[side]))]
    if layer == "addresses":
        return ["address %s" % ch.get("address")]
    if layer == "peers":
        label = subject if subject == ch.get("public_key") else \
            "%s %s" % (subject, ch.get("public_key"))
        return ["peer %s: %s" % (label, _peer(ch[side]))]
    if layer == "sysctls":
        return ["sysctl %s = %s" % (ch.get("key"), ch.get(side + "_value"))]
    if layer == "firewall_sets":
        return ["firewall set %s: %s (%s)" % (
            ch.get("set"), ch.get("prefix") or ch.get("ifname"),
            ch.get("why"))]
    if layer == "firewall_rules":
        return ["firewall chain %s: %s" % (ch.get("chain"), _fw_rule(r))
                for r in ch.get(side + "_rules") or []]
    if layer in ("routes", "rules") and ch.get(side) is not None:
        return ["%s %s" % (layer[:-1], _generic(ch[side]))]
    # a layer this module does not know yet: meshc's own words for it
    return ["%s %s: %s" % (layer, subject,
                           _generic(ch.get(side)) if side in ch
                           else ch.get("detail"))]


def report_diff(nodes, before_header, after_header):
    before, after = [], []
    for n in nodes:
        for ch in n.get("changes", []):
            before += change_lines(ch, "old")
            after += change_lines(ch, "new")
    return {
        "before_header": before_header,
        "after_header": after_header,
        "before": "".join(line + "\n" for line in before),
        "after": "".join(line + "\n" for line in after),
    }


def change_items(nodes):
    return [{k: ch.get(k) for k in ("layer", "op", "subject", "detail")}
            for n in nodes for ch in n.get("changes", [])]


# ---- running meshc ---------------------------------------------------------

class Meshc(object):
    def __init__(self, module):
        self.m = module
        p = module.params
        binary = p["meshc"]
        if "/" not in binary:
            binary = module.get_bin_path(binary, required=True)
        self.binary = binary
        self.node_args = ["--node", p["node"]] if p["node"] else []
        self.result = {"changed": False}

    def run(self, *args, ok=(0,)):
        """meshc ARGS; fails the task with meshc's diagnostics unless the
        exit code is one of ok. Returns (rc, stdout)."""
        cmd = [self.binary] + list(args)
        rc, out, err = self.m.run_command(
            cmd, environ_update={"NO_COLOR": "1"})
        self.result.update(cmd=cmd, stderr=err)
        if rc not in ok:
            what = (err.strip() or out.strip() or "no output")
            self.m.fail_json(msg="meshc %s failed (exit %d): %s"
                             % (args[0], rc, what),
                             rc=rc, stdout=out, **self.result)
        for line in err.splitlines():
            if ": warning: " in line or line.startswith("warning: "):
                self.m.warn("meshc: " + line)
        return rc, out

    def report(self, out, what):
        try:
            doc = json.loads(out)
            return doc, doc["nodes"]
        except (ValueError, KeyError, TypeError) as e:
            self.m.fail_json(msg="%s: cannot read meshc's JSON report "
                             "(%s)" % (what, e), stdout=out, **self.result)

    def finish(self, changed, nodes, msg, src, after_header):
        self.result.update(changed=changed, msg=msg,
                           changes=change_items(nodes))
        if nodes:
            self.result["node"] = nodes[0].get("node")
        if changed and self.m._diff:
            self.result["diff"] = report_diff(
                nodes, "%s: live system" % self.result.get("node", "this node"),
                after_header)
        self.m.exit_json(**self.result)

    def present(self, src, confirm):
        if self.m.check_mode:
            rc, out = self.run("apply", src, *self.node_args, "--dry-run",
                               "--format", "json", ok=(0, 2))
            doc, nodes = self.report(out, "meshc apply --dry-run")
            self.result["pending_confirm"] = False
            n = sum(len(x.get("changes", [])) for x in nodes)
            self.finish(rc == 2, nodes,
                        "would apply %d changes" % n if rc == 2
                        else "no changes", src, src)
        args = ["apply", src] + self.node_args + ["--format", "json"]
        if confirm:
            args += ["--confirm", str(confirm)]
        rc, out = self.run(*args)
        doc, nodes = self.report(out, "meshc apply")
        changed = doc.get("changed_nodes", 0) > 0
        n = sum(len(x.get("changes", [])) for x in nodes)
        self.result["pending_confirm"] = bool(confirm) and changed
        msg = "applied %d changes" % n if changed else "no changes"
        if self.result["pending_confirm"]:
            msg += "; reverted in %d s unless confirmed" % confirm
        self.finish(changed, nodes, msg, src, src)

    def absent(self, src):
        if self.m.check_mode:
            self.absent_check(src)
        rc, out = self.run("down", src, *self.node_args, "--format", "json")
        doc, nodes = self.report(out, "meshc down")
        changed = doc.get("changed_nodes", 0) > 0
        self.finish(changed, nodes,
                    "removed all that meshc set up" if changed
                    else "nothing to remove", src, "removed")

    def absent_check(self, src):
        """meshc down has no dry run: meshc status says whether the
        interface is there (exit 2 is drift, a report all the same)."""
        rc, out = self.run("status", src, *self.node_args, "--format",
                           "json", ok=(0, 2))
        try:
            ifaces = json.loads(out)["interfaces"]
        except (ValueError, KeyError, TypeError) as e:
            self.m.fail_json(msg="meshc status: cannot read its JSON "
                             "report (%s)" % e, stdout=out, **self.result)
        there = [i for i in ifaces if i.get("exists")]
        before = ""
        for i in there:
            before += "interface %s (node %s, mesh %s)\n" % (
                i.get("interface"), i.get("node"), i.get("mesh"))
            before += "".join("peer %s %s\n" % (p.get("node") or "",
                                                p.get("public_key"))
                              for p in i.get("peers", [])
                              if p.get("on_device"))
        self.result.update(changed=bool(there), changes=[],
                           msg="would remove %s" % ", ".join(
                               i["interface"] for i in there)
                           if there else "nothing to remove")
        if there and self.m._diff:
            self.result["diff"] = {"before_header": "live system",
                                   "after_header": "after meshc down",
                                   "before": before, "after": ""}
        self.m.exit_json(**self.result)

    def confirmed(self):
        if self.m.check_mode:
            self.result["msg"] = "check mode: meshc confirm not run"
            self.m.exit_json(**self.result)
        rc, out = self.run("confirm", *self.node_args)
        self.result.update(changed=True, msg=out.strip())
        self.m.exit_json(**self.result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type="path"),
            node=dict(type="str"),
            state=dict(type="str", default="present",
                       choices=["present", "absent", "confirmed"]),
            confirm=dict(type="int"),
            meshc=dict(type="str", default="meshc"),
        ),
        required_if=[("state", "present", ["src"]),
                     ("state", "absent", ["src"])],
        supports_check_mode=True,
    )
    p = module.params
    if p["confirm"] is not None and p["confirm"] <= 0:
        module.fail_json(msg="confirm: a number of seconds > 0, not %d"
                         % p["confirm"])
    m = Meshc(module)
    if p["state"] == "present":
        m.present(p["src"], p["confirm"])
    elif p["state"] == "absent":
        m.absent(p["src"])
    else:
        m.confirmed()


if __name__ == "__main__":
    main()
