/* model.c - questions about a model: lookups, effective values,
 * permissions and the address a key derives.
 *
 * Everything here is a pure function of the model.  The functions marked
 * "needs validate" in model.h rely on the indices the validator fills in
 * (mesh_idx, linked, grants sorted by peer_idx).
 */
#include "model/model.h"

#include <sodium.h>
#include <string.h>

#include "base/suggest.h"

size_t model_mesh_find(const struct model *m, const char *name)
{
	size_t idx;

	if (!name || !strmap_get(&m->mesh_index, name, &idx))
		return MODEL_NONE;
	return idx;
}

size_t model_node_find(const struct model *m, const char *name)
{
	size_t idx;

	if (!name || !strmap_get(&m->node_index, name, &idx))
		return MODEL_NONE;
	return idx;
}

/* The node's mesh, also before validation has filled mesh_idx. */
static const struct m_mesh *node_mesh(const struct model *m,
				      const struct m_node *n)
{
	size_t idx = n->mesh_idx;

	if (idx == MODEL_NONE && n->mesh.set)
		idx = model_mesh_find(m, n->mesh.v);
	if (idx == MODEL_NONE || idx >= m->n_meshes)
		return NULL;
	return &m->meshes[idx];
}

const char *model_node_interface(const struct model *m, const struct m_node *n)
{
	const struct m_mesh *mesh;

	if (n->interface.set && n->interface.v)
		return n->interface.v;
	mesh = node_mesh(m, n);
	if (mesh && mesh->interface.set && mesh->interface.v)
		return mesh->interface.v;
	return MESHC_DEFAULT_INTERFACE;
}

uint16_t model_node_listen_port(const struct model *m, const struct m_node *n)
{
	const struct m_mesh *mesh;

	if (n->listen_port.set)
		return (uint16_t)n->listen_port.v;
	mesh = node_mesh(m, n);
	if (mesh && mesh->listen_port.set)
		return (uint16_t)mesh->listen_port.v;
	return MESHC_DEFAULT_LISTEN_PORT;
}

const struct m_dns_list *model_node_dns(const struct model *m,
					const struct m_node *n)
{
	const struct m_mesh *mesh;

	if (n->dns.set)
		return &n->dns;
	mesh = node_mesh(m, n);
	return mesh && mesh->dns.set ? &mesh->dns : NULL;
}

const struct m_uint *model_node_mtu(const struct model *m,
				    const struct m_node *n)
{
	const struct m_mesh *mesh;

	if (n->mtu.set)
		return &n->mtu;
	mesh = node_mesh(m, n);
	return mesh && mesh->mtu.set ? &mesh->mtu : NULL;
}

const char *model_node_private_key_file(const struct m_node *n)
{
	if (n->private_key_file.set && n->private_key_file.v)
		return n->private_key_file.v;
	return MESHC_DEFAULT_PRIVATE_KEY_FILE;
}

enum platform model_node_platform(const struct m_node *n)
{
	return n->platform.set ? n->platform.v : PLATFORM_LINUX;
}

const char *platform_name(enum platform p)
{
	switch (p) {
	case PLATFORM_LINUX:
		return "linux";
	case PLATFORM_MACOS:
		return "macos";
	case PLATFORM_WINDOWS:
		return "windows";
	case PLATFORM_IOS:
		return "ios";
	case PLATFORM_ANDROID:
		return "android";
	}
	return "unknown";
}

/* iOS and Android apps get a tunnel but no way to forward or NAT. */
bool platform_can_forward(enum platform p)
{
	return p == PLATFORM_LINUX || p == PLATFORM_MACOS ||
	       p == PLATFORM_WINDOWS;
}

bool platform_can_be_managed(enum platform p)
{
	return p == PLATFORM_LINUX || p == PLATFORM_MACOS;
}

bool model_node_managed(const struct m_node *n)
{
	if (n->managed.set)
		return n->managed.v;
	return model_node_platform(n) == PLATFORM_LINUX;
}

static bool index_in(const size_t *sorted, size_t n, size_t want)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sorted[mid] == want)
			return true;
		if (sorted[mid] < want)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool model_are_peers(const struct model *m, size_t a, size_t b)
{
	const struct m_node *na;

	if (a == b || a >= m->n_nodes || b >= m->n_nodes)
		return false;
	na = &m->nodes[a];
	if (na->mesh_idx != MODEL_NONE && na->mesh_idx == m->nodes[b].mesh_idx)
		return true;
	return na->linked && index_in(na->linked, na->n_linked, b);
}

bool model_relayed(const struct model *m, size_t a, size_t b)
{
	const struct m_node *na, *nb;

	if (a >= m->n_nodes || b >= m->n_nodes)
		return false;
	na = &m->nodes[a];
	nb = &m->nodes[b];
	return na->relay_idx != MODEL_NONE && na->relay_idx == nb->relay_idx &&
	       !na->endpoint.set && !nb->endpoint.set &&
	       model_are_peers(m, a, b);
}

/* The granter's entry for a peer: grants are sorted by peer_idx. */
static const struct m_grant *find_grant(const struct m_node *n, size_t peer)
{
	size_t lo = 0, hi = n->permissions.n_grants;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct m_grant *g = &n->permissions.grants[mid];

		if (g->peer_idx == peer)
			return g;
		if (g->peer_idx < peer)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* One flag through the chain of mesh-format.md: peer entry, node default,
 * mesh defaults, built-in.  Any link of the chain may be absent (NULL). */
static struct perm_value perm_resolve(const struct m_bool *entry,
				      const struct m_bool *node_def,
				      const struct m_bool *mesh_def,
				      bool builtin, struct loc granter_loc)
{
	struct perm_value p = { 0 };

	if (entry && entry->set) {
		p.v = entry->v;
		p.loc = entry->loc;
		p.source = "peer entry";
	} else if (node_def && node_def->set) {
		p.v = node_def->v;
		p.loc = node_def->loc;
		p.source = "node default";
	} else if (mesh_def && mesh_def->set) {
		p.v = mesh_def->v;
		p.loc = mesh_def->loc;
		p.source = "mesh defaults";
	} else {
		/* No document value decides; point at the granter so that
		 * explain still names a line the user can edit. */
		p.v = builtin;
		p.loc = granter_loc;
		p.source = "built-in default";
	}
	return p;
}

/* A list resolves as a whole: the first level that sets the flag decides,
 * true, false or its list; lists of different levels are never merged. */
static struct perm_value perm_resolve_grant(const struct m_grant_flag *entry,
					    const struct m_grant_flag *node_def,
					    const struct m_grant_flag *mesh_def,
					    bool builtin, struct loc granter_loc)
{
	const struct m_grant_flag *levels[] = { entry, node_def, mesh_def };
	const struct m_grant_flag *by = NULL;
	struct perm_value p;

	p = perm_resolve(entry ? &entry->b : NULL,
			 node_def ? &node_def->b : NULL,
			 mesh_def ? &mesh_def->b : NULL, builtin, granter_loc);
	for (size_t i = 0; i < 3 && !by; i++)
		if (levels[i] && levels[i]->b.set)
			by = levels[i];
	p.limited = by && by->b.v && by->limited;
	p.grant = p.limited ? by : NULL;
	return p;
}

struct perm_set model_permissions(const struct model *m, size_t granter,
				  size_t peer)
{
	const struct m_node *n = &m->nodes[granter];
	const struct m_mesh *mesh = node_mesh(m, n);
	const struct m_grant *g = find_grant(n, peer);
	const struct m_flags *e = g ? &g->flags : NULL;
	const struct m_flags *nd = &n->permissions.def;
	const struct m_flags *md = mesh ? &mesh->defaults : NULL;
	struct perm_set s;

	s.incoming = perm_resolve_grant(e ? &e->incoming : NULL, &nd->incoming,
					md ? &md->incoming : NULL, true, n->loc);
	s.routing = perm_resolve(e ? &e->routing : NULL, &nd->routing,
				 md ? &md->routing : NULL, false, n->loc);
	s.local_network = perm_resolve_grant(e ? &e->local_network : NULL,
					     &nd->local_network,
					     md ? &md->local_network : NULL,
					     false, n->loc);
	return s;
}

/*
 * The derived address (a contract: the same key gives the same address on
 * every machine, in every run, in every version of meshc that reads
 * version 1 documents):
 *
 *   h = BLAKE2b-256("meshc address v1" || key || family)
 *       (crypto_generichash with no key; the domain string is its 16 ASCII
 *       bytes without a NUL, key the 32 raw public key bytes, family one
 *       byte: 4 or 6)
 *   H = the first 8 bytes of h as a big-endian unsigned 64-bit number
 *   b = number of host bits (32 or 128 minus the prefix length),
 *       at most 64 for IPv6 (wider IPv6 host parts keep their upper bits 0)
 *   IPv4: host = 1 + H mod (2^b - 2)   skips network and broadcast; b >= 2
 *   IPv6: host = 1 + H mod (2^b - 1)   skips the all-zero host;    b >= 2
 *   address = network address + host (host in the low b bits)
 *
 * A network smaller than /30 (IPv4) or /126 (IPv6) has no room: false.
 */
#define DERIVE_DOMAIN "meshc address v1"

static uint64_t derive_hash(const uint8_t key[WG_KEY_LEN], uint8_t family)
{
	uint8_t in[sizeof(DERIVE_DOMAIN) - 1 + WG_KEY_LEN + 1];
	uint8_t h[crypto_generichash_BYTES];
	uint64_t v = 0;
	size_t i, off = sizeof(DERIVE_DOMAIN) - 1;

	memcpy(in, DERIVE_DOMAIN, off);
	memcpy(in + off, key, WG_KEY_LEN);
	in[off + WG_KEY_LEN] = family;
	crypto_generichash(h, sizeof(h), in, sizeof(in), NULL, 0);
	for (i = 0; i < 8; i++)
		v = v << 8 | h[i];
	return v;
}

bool model_derive_address(const struct ip_prefix *network,
			  const uint8_t key[WG_KEY_LEN], struct ip_addr *out)
{
	uint8_t family = network->addr.family;
	unsigned bits, host_bits, i;
	uint64_t range, host;

	if (family != IP_V4 && family != IP_V6)
		return false;
	bits = ip_bits(family);
	if (network->len > bits)
		return false;
	host_bits = bits - network->len;
	if (host_bits < 2)
		return false;
	if (host_bits > 64)
		host_bits = 64;
	/* 2^b - 2 or 2^b - 1 usable hosts; b = 64 cannot be shifted. */
	range = host_bits == 64 ? UINT64_MAX : (UINT64_C(1) << host_bits) - 1;
	if (family == IP_V4)
		range--;
	host = 1 + derive_hash(key, family) % range;

	*out = network->addr;
	/* host < 2^b, so OR-ing it into the zero host bits is an addition. */
	for (i = 0; i < 8 && host; i++, host >>= 8)
		out->b[bits / 8 - 1 - i] |= (uint8_t)(host & 0xff);
	return true;
}

void model_suggest_nodes(const struct model *m, struct suggest *s)
{
	for (size_t i = 0; i < m->n_nodes; i++)
		suggest_offer(s, m->nodes[i].name.v);
}
