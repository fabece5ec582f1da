#include "load/keys.h"

#include <string.h>

#include "model/model.h"

/* The struct each context's fields live in. */
#define CTX_STRUCT_TOP struct model
#define CTX_STRUCT_MESH struct m_mesh
#define CTX_STRUCT_NODE struct m_node
#define CTX_STRUCT_PERMISSIONS struct m_permissions
#define CTX_STRUCT_FLAGS struct m_flags
#define CTX_STRUCT_LAN_GRANT struct m_lan_grant
#define CTX_STRUCT_TEST struct m_test

/* The C type of the field each value type is stored in. */
#define FIELD_TYPE_VERSION struct m_uint
#define FIELD_TYPE_MESHES struct m_mesh *
#define FIELD_TYPE_NODES struct m_node *
#define FIELD_TYPE_LINKS struct m_link *
#define FIELD_TYPE_TESTS struct m_test *
#define FIELD_TYPE_CIDR4 struct m_prefix
#define FIELD_TYPE_CIDR6 struct m_prefix
#define FIELD_TYPE_PORT struct m_uint
#define FIELD_TYPE_IFNAME struct m_str
#define FIELD_TYPE_FLAGS struct m_flags
#define FIELD_TYPE_NAME struct m_str
#define FIELD_TYPE_PUBKEY struct m_key
#define FIELD_TYPE_ADDR4 struct m_addr
#define FIELD_TYPE_ADDR6 struct m_addr
#define FIELD_TYPE_ENDPOINT struct m_endpoint
#define FIELD_TYPE_PLATFORM struct m_platform
#define FIELD_TYPE_CIDR_LIST struct m_prefix_list
#define FIELD_TYPE_KEEPALIVE struct m_uint
#define FIELD_TYPE_PATH struct m_str
#define FIELD_TYPE_PERMISSIONS struct m_permissions
#define FIELD_TYPE_NAME_LIST struct m_name_list
#define FIELD_TYPE_GRANTS struct m_grant *
#define FIELD_TYPE_BOOL struct m_bool
#define FIELD_TYPE_TARGET struct m_str
#define FIELD_TYPE_VERDICT struct m_str
#define FIELD_TYPE_DNS_LIST struct m_dns_list
#define FIELD_TYPE_MTU struct m_uint
#define FIELD_TYPE_GRANT_IN struct m_grant_flag
#define FIELD_TYPE_GRANT_LAN struct m_grant_flag
#define FIELD_TYPE_LAN_TO struct m_prefix
#define FIELD_TYPE_SERVICES struct m_service_list
#define FIELD_TYPE_SERVICE struct m_service

#define PRESENCE_REQUIRED true
#define PRESENCE_OPTIONAL false

/* A keys.def row whose field has the wrong C type would make the loader
 * write one struct over another; refuse to compile instead. */
#define KEY(ctx, name, type, presence, field, summary)                       \
	_Static_assert(_Generic(((CTX_STRUCT_##ctx *)0)->field,              \
				FIELD_TYPE_##type: 1, default: 0),           \
		       #ctx "." #name ": field is not a " #type " field");
#include "../../grammar/keys.def"
#undef KEY

static const struct key_info key_table[] = {
#define KEY(ctx, name, type, presence, field, summary)                       \
	{ KC_##ctx, #name, KT_##type, PRESENCE_##presence,                   \
	  offsetof(CTX_STRUCT_##ctx, field), summary },
#include "../../grammar/keys.def"
#undef KEY
};

#define N_KEYS (sizeof(key_table) / sizeof(key_table[0]))

static const char *const context_names[KC__COUNT] = {
	[KC_TOP] = "top",
	[KC_MESH] = "mesh",
	[KC_NODE] = "node",
	[KC_PERMISSIONS] = "permissions",
	[KC_FLAGS] = "flags",
	[KC_LAN_GRANT] = "lan_grant",
	[KC_TEST] = "test",
};

static const char *const type_names[KT__COUNT] = {
	[KT_VERSION] = "VERSION",	[KT_MESHES] = "MESHES",
	[KT_NODES] = "NODES",		[KT_LINKS] = "LINKS",
	[KT_TESTS] = "TESTS",		[KT_CIDR4] = "CIDR4",
	[KT_CIDR6] = "CIDR6",		[KT_PORT] = "PORT",
	[KT_IFNAME] = "IFNAME",		[KT_FLAGS] = "FLAGS",
	[KT_NAME] = "NAME",		[KT_PUBKEY] = "PUBKEY",
	[KT_ADDR4] = "ADDR4",		[KT_ADDR6] = "ADDR6",
	[KT_ENDPOINT] = "ENDPOINT",	[KT_PLATFORM] = "PLATFORM",
	[KT_CIDR_LIST] = "CIDR_LIST",	[KT_KEEPALIVE] = "KEEPALIVE",
	[KT_PATH] = "PATH",		[KT_PERMISSIONS] = "PERMISSIONS",
	[KT_NAME_LIST] = "NAME_LIST",	[KT_GRANTS] = "GRANTS",
	[KT_BOOL] = "BOOL",		[KT_TARGET] = "TARGET",
	[KT_VERDICT] = "VERDICT",	[KT_DNS_LIST] = "DNS_LIST",
	[KT_MTU] = "MTU",		[KT_GRANT_IN] = "GRANT_IN",
	[KT_GRANT_LAN] = "GRANT_LAN",	[KT_LAN_TO] = "LAN_TO",
	[KT_SERVICES] = "SERVICES",	[KT_SERVICE] = "SERVICE",
};

/* keys.def lists each context's keys together; the slice starts at the
 * context's first row (the grammar test checks the slices cover the
 * table, so a row out of place cannot hide). */
const struct key_info *keys_for_context(enum key_context c, size_t *n)
{
	size_t i = 0, j;

	while (i < N_KEYS && key_table[i].context != c)
		i++;
	for (j = i; j < N_KEYS && key_table[j].context == c; j++)
		;
	*n = j - i;
	return *n ? &key_table[i] : NULL;
}

const struct key_info *keys_all(size_t *n)
{
	*n = N_KEYS;
	return key_table;
}

const struct key_info *key_find(enum key_context c, const char *name)
{
	size_t n, i;
	const struct key_info *k = keys_for_context(c, &n);

	/* the first byte before the whole name: 40,000 lookups at 10,000
	 * nodes, most rows differ at once */
	for (i = 0; i < n; i++)
		if (k[i].name[0] == name[0] && !strcmp(k[i].name, name))
			return &k[i];
	return NULL;
}

const char *key_context_name(enum key_context c)
{
	return (unsigned)c < KC__COUNT ? context_names[c] : "?";
}

const char *key_type_name(enum key_type t)
{
	return (unsigned)t < KT__COUNT ? type_names[t] : "?";
}
