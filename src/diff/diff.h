/* diff.h - plan x plan -> ordered change set.
 *
 * One engine serves `meshc diff OLD NEW` (two compiled documents) and
 * `meshc apply` (the live system read back into a plan, then compared with
 * the document's plan): the change set is the minimal list of items to
 * add, remove or modify to turn `old` into `new`, each with typed pointers
 * into the two plans, so apply can send exactly these to the kernel.
 *
 * Identity (what makes two items "the same item"):
 *   interface       one per plan (its mtu differs only when the new plan
 *                   sets one: 0 leaves the link's alone; its dns only
 *                   when both plans have one, as a live plan has none)
 *   addresses       prefix
 *   peers           public key (same key, other name: a cosmetic MODIFY;
 *                   a key rotation: REMOVE old key + ADD new key)
 *   routes          (table, dst); another dev is a MODIFY
 *   rules           (family, priority)
 *   sysctls         key
 *   firewall sets   (set id, family, prefix)
 *   firewall rules  the ordered list of one chain: any difference is a
 *                   MODIFY of the whole chain (order is its meaning)
 * Locations, `why` strings and rule comments never make a difference; a
 * name only counts when both sides have one (a live plan has none).
 *
 * Both plans must be in plan_sort() order: every layer is a linear merge
 * (peers: one sort of pointers by key), so 10,000 peers cost O(n log n).
 */
#ifndef MESHC_DIFF_DIFF_H
#define MESHC_DIFF_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/strbuf.h"
#include "plan/plan.h"

#define DIFF_JSON_FORMAT "meshc-diff"
#define DIFF_JSON_VERSION 1

/* In the order apply reads them and the renderers print them. */
enum change_layer {
	LAYER_INTERFACE,
	LAYER_ADDRESSES,
	LAYER_PEERS,
	LAYER_ROUTES,
	LAYER_RULES,
	LAYER_SYSCTLS,
	LAYER_FIREWALL_SETS,
	LAYER_FIREWALL_RULES,
	LAYER_COUNT,
};

enum change_op {
	CHANGE_ADD,
	CHANGE_REMOVE,
	CHANGE_MODIFY,
};

/* What a MODIFY changed: struct change.what. */
enum change_what {
	/* LAYER_INTERFACE */
	CHG_IFACE_NAME = 1u << 0,	/* another interface: all moves */
	CHG_IFACE_PRIVATE_KEY = 1u << 1, /* the public keys differ */
	CHG_IFACE_LISTEN_PORT = 1u << 2,
	CHG_IFACE_FWMARK = 1u << 3,
	CHG_IFACE_KEY_FILE = 1u << 4,	/* the path only: cosmetic */
	CHG_IFACE_MTU = 1u << 5,	/* the link's, over rtnetlink */
	CHG_IFACE_DNS = 1u << 6,	/* export's only: cosmetic */
	/* LAYER_PEERS */
	CHG_PEER_NAME = 1u << 8,	/* cosmetic */
	CHG_PEER_ENDPOINT = 1u << 9,
	CHG_PEER_KEEPALIVE = 1u << 10,
	CHG_PEER_ALLOWED_IPS = 1u << 11, /* see ips_added / ips_removed */
	CHG_PEER_PSK = 1u << 18,	/* preshared_key_file: another key */
	/* LAYER_ROUTES */
	CHG_ROUTE_DEV = 1u << 12,
	/* LAYER_RULES */
	CHG_RULE_TABLE = 1u << 13,
	CHG_RULE_FWMARK = 1u << 14,	/* fwmark or its inversion */
	CHG_RULE_SUPPRESS = 1u << 15,
	/* LAYER_SYSCTLS */
	CHG_SYSCTL_VALUE = 1u << 16,
	/* LAYER_FIREWALL_RULES: always set on a chain MODIFY */
	CHG_CHAIN_RULES = 1u << 17,
};

/* Bits that no kernel object holds: a change made only of these needs no
 * message to the system (apply skips it; diff still shows it). */
#define CHG_COSMETIC (CHG_IFACE_KEY_FILE | CHG_IFACE_DNS | CHG_PEER_NAME)
/* Interface bits the link holds, not WireGuard: set over rtnetlink alike
 * for kernel WireGuard and wireguard-go. */
#define CHG_IFACE_LINK CHG_IFACE_MTU

/* One item, typed by the change's layer.  All members are pointers to
 * structs, so the one that matches the layer is the one to read. */
union change_item {
	const struct plan_interface *iface;	/* LAYER_INTERFACE */
	const struct plan_address *addr;	/* LAYER_ADDRESSES */
	const struct plan_peer *peer;		/* LAYER_PEERS */
	const struct plan_route *route;		/* LAYER_ROUTES */
	const struct plan_rule *rule;		/* LAYER_RULES */
	const struct plan_sysctl *sysctl;	/* LAYER_SYSCTLS */
	const struct fw_elem *elem;		/* LAYER_FIREWALL_SETS */
	const struct fw_rule *fw_rules;		/* LAYER_FIREWALL_RULES:
						 * first rule of the chain */
};

struct change {
	enum change_layer layer;
	enum change_op op;
	unsigned what;		/* MODIFY: CHG_* bits; 0 for ADD/REMOVE */
	/* The item in the old and the new plan: old is NULL for ADD, new is
	 * NULL for REMOVE, both set for MODIFY. */
	union change_item old, new;

	/* LAYER_PEERS, CHG_PEER_ALLOWED_IPS: the allowed IPs only in new
	 * (pointers into new.peer) and only in old (into old.peer). */
	const struct plan_allowed_ip **ips_added, **ips_removed;
	size_t n_ips_added, n_ips_removed;

	/* LAYER_FIREWALL_SETS: which set the element is added to or
	 * removed from. */
	enum fw_set_id set_id;
	uint8_t set_family;	/* IP_V4 / IP_V6 */

	/* LAYER_FIREWALL_RULES: the whole chain in each plan, in evaluation
	 * order (old.fw_rules[0 .. n_old_rules), new.fw_rules[...]). */
	enum fw_chain chain;
	size_t n_old_rules, n_new_rules;

	/* For printing; public keys may appear, private material never. */
	const char *subject;	/* the item: "c", "10.0.0.0/8", "input" */
	const char *detail;	/* what about it; NULL when nothing to add */
};

struct changeset {
	struct change *items;	/* by layer, then the layer's item order */
	size_t count, cap;
};

/* Append to *out the changes that turn old into new.  Either may be NULL:
 * a node that appears (everything is ADD) or disappears (everything is
 * REMOVE).  Strings and arrays of the changes live in a; they point into
 * the plans, which must outlive the change set. */
void diff_plans(struct arena *a, const struct plan *old,
		const struct plan *new, struct changeset *out);

/* No change at all. */
bool changeset_empty(const struct changeset *cs);
/* Does any change need the system touched (a change that is not only
 * CHG_COSMETIC bits)? */
bool changeset_affects_system(const struct changeset *cs);
/* The changes of one layer as a range [*first, *first + return). */
size_t changeset_layer(const struct changeset *cs, enum change_layer layer,
		       size_t *first);
/* Is a change made only of cosmetic bits? */
bool change_is_cosmetic(const struct change *ch);

const char *change_layer_name(enum change_layer l);	/* "peers" */
const char *change_layer_title(enum change_layer l);	/* "policy rules" */
const char *change_op_name(enum change_op op);		/* "add" */

/* One node's comparison, as the renderers take it. */
struct node_diff {
	const char *node;
	const struct plan *old, *new;	/* NULL: the node is not there */
	const struct changeset *changes;
};

/* Text, grouped by layer:
 *   node b (mesh x):
 *     peers:
 *       + c  1sYBabcd...  allowed-ips 100.64.1.1/32  endpoint h:51820
 *       ~ a  endpoint 198.51.100.10:51820 -> 198.51.100.11:51820
 * Nothing for a node without changes.  color: ANSI colours. */
void diff_render_text(struct strbuf *out, const struct node_diff *nd,
		      bool color);
/* "N of M nodes change\n" or "no changes\n". */
void diff_render_text_summary(struct strbuf *out, size_t changed,
			      size_t total);

/* JSON, streamed node by node:
 *   diff_render_json_open(out);
 *   for each node with changes: diff_render_json_node(out, &nd, first);
 *   diff_render_json_close(out, changed, total);
 * gives {"format":"meshc-diff","version":1,"nodes":[...],
 *        "changed_nodes":N,"total_nodes":M}. */
void diff_render_json_open(struct strbuf *out);
void diff_render_json_node(struct strbuf *out, const struct node_diff *nd,
			   bool first);
void diff_render_json_close(struct strbuf *out, size_t changed,
			    size_t total);
/* The "changes" array of a node alone (meshc status embeds it). */
void diff_render_json_changes(struct strbuf *out, const struct node_diff *nd);

#endif
