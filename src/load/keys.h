/* keys.h - the document's keys as data, generated from grammar/keys.def.
 *
 * The loader walks every fixed-key mapping with this table (unknown keys,
 * "did you mean" hints, required keys, where each value goes); the grammar
 * tests compare it with the JSON Schema and the man page.
 */
#ifndef MESHC_LOAD_KEYS_H
#define MESHC_LOAD_KEYS_H

#include <stdbool.h>
#include <stddef.h>

/* How a value is read.  Names match the type column of keys.def. */
enum key_type {
	KT_VERSION,	/* m_uint, must be 1 */
	KT_MESHES,	/* mapping name -> mesh (struct model) */
	KT_NODES,	/* mapping name -> node (struct model) */
	KT_LINKS,	/* list of [a, b] (struct model) */
	KT_TESTS,	/* list of test mappings (struct model) */
	KT_CIDR4,	/* m_prefix, IPv4 */
	KT_CIDR6,	/* m_prefix, IPv6, not v4-mapped */
	KT_PORT,	/* m_uint 1-65535 */
	KT_IFNAME,	/* m_str, a Linux interface name */
	KT_FLAGS,	/* m_flags mapping */
	KT_NAME,	/* m_str, a name (resolved by validate) */
	KT_PUBKEY,	/* m_key */
	KT_ADDR4,	/* m_addr, IPv4 */
	KT_ADDR6,	/* m_addr, IPv6 */
	KT_ENDPOINT,	/* m_endpoint */
	KT_PLATFORM,	/* m_platform */
	KT_CIDR_LIST,	/* m_prefix_list, v4 or v6 */
	KT_KEEPALIVE,	/* m_uint 0-65535 */
	KT_PATH,	/* m_str */
	KT_PERMISSIONS,	/* m_permissions mapping */
	KT_NAME_LIST,	/* m_name_list */
	KT_GRANTS,	/* mapping peer name -> flags (struct m_permissions) */
	KT_BOOL,	/* m_bool, true or false only */
	KT_TARGET,	/* m_str (node, address, internet, lan:NODE) */
	KT_VERDICT,	/* m_str allow|deny, sets m_test.expect_allow */
	KT_DNS_LIST,	/* m_dns_list: addresses and search domains */
	KT_MTU,		/* m_uint 1280-9000 */
	KT_GRANT_IN,	/* m_grant_flag: true, false or a list of services */
	KT_GRANT_LAN,	/* m_grant_flag: true, false or a list of LAN_GRANT */
	KT_LAN_TO,	/* m_prefix: an address (host prefix) or a network */
	KT_SERVICES,	/* m_service_list, not empty */
	KT_SERVICE,	/* m_service: tcp/N, udp/N or icmp */
	KT__COUNT
};

/* The mapping a key appears in, and the struct its fields live in. */
enum key_context {
	KC_TOP,		/* struct model */
	KC_MESH,	/* struct m_mesh */
	KC_NODE,	/* struct m_node */
	KC_PERMISSIONS,	/* struct m_permissions */
	KC_FLAGS,	/* struct m_flags */
	KC_LAN_GRANT,	/* struct m_lan_grant */
	KC_TEST,	/* struct m_test */
	KC__COUNT
};

struct key_info {
	enum key_context context;
	const char *name;	/* as written in the document */
	enum key_type type;
	bool required;
	size_t offset;		/* of the field in the context's struct */
	const char *summary;	/* keys.def's one-line description */
};

/* The keys of one context, in keys.def order; *n set to their count. */
const struct key_info *keys_for_context(enum key_context c, size_t *n);
/* Every key, in keys.def order. */
const struct key_info *keys_all(size_t *n);
/* The key `name` of context c, or NULL. */
const struct key_info *key_find(enum key_context c, const char *name);
/* "top", "mesh", "node", "permissions", "flags", "lan_grant", "test". */
const char *key_context_name(enum key_context c);
/* "VERSION", "CIDR4", ... as in keys.def. */
const char *key_type_name(enum key_type t);

#endif
