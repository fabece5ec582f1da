/* model.h - the mesh document as typed C values.
 *
 * The loader fills these structs (every value with the struct loc it came
 * from); the validator resolves names into indices and derives omitted
 * addresses; the compiler reads them.  No libyaml type appears here.
 *
 * A field whose `set` is false was absent from the document (or was
 * rejected by the loader, which then reported why).
 */
#ifndef MESHC_MODEL_MODEL_H
#define MESHC_MODEL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/ip.h"
#include "base/secret.h"
#include "base/service.h"
#include "base/strmap.h"

#define MODEL_NONE SIZE_MAX	/* an unresolved index */

#define MESHC_DEFAULT_LISTEN_PORT 51820
#define MESHC_DEFAULT_INTERFACE "meshc0"
#define MESHC_DEFAULT_PRIVATE_KEY_FILE "/etc/meshc/private.key"
#define MESHC_DEFAULT_KEEPALIVE 25
#define MESHC_NAME_MAX 63
#define MESHC_IFNAME_MAX 15
#define MESHC_MTU_MIN 1280	/* IPv6's minimum link MTU */
#define MESHC_MTU_MAX 9000	/* a jumbo frame */

struct m_str {
	const char *v;
	bool set;
	struct loc loc;
};

struct m_uint {
	uint32_t v;
	bool set;
	struct loc loc;
};

struct m_bool {
	bool v;
	bool set;
	struct loc loc;
};

struct m_prefix {
	struct ip_prefix v;
	bool set;
	struct loc loc;
};

struct m_addr {
	struct ip_addr v;
	bool set;
	bool derived;		/* computed from the public key */
	struct loc loc;		/* of the value, or of public_key if derived */
};

struct m_key {
	uint8_t v[WG_KEY_LEN];
	const char *b64;
	bool set;
	struct loc loc;
};

enum platform {
	PLATFORM_LINUX,
	PLATFORM_MACOS,
	PLATFORM_WINDOWS,
	PLATFORM_IOS,
	PLATFORM_ANDROID,
};

struct m_platform {
	enum platform v;
	bool set;
	struct loc loc;
};

struct m_endpoint {
	const char *text;	/* as written */
	const char *host;	/* without brackets */
	uint16_t port;
	bool host_is_ip;
	struct ip_addr ip;	/* when host_is_ip */
	bool set;
	struct loc loc;
};

/* One service of a grant list or a test's port (base/service.h). */
struct m_service {
	struct fw_service v;
	bool set;
	struct loc loc;
};

struct m_service_list {
	struct m_service *items;	/* document order */
	size_t count;
	bool set;
	struct loc loc;
};

/* One entry of a local_network list: {to: ADDRESS_OR_CIDR, ports: [...]}.
 * to unset: every lan prefix of the node; ports unset: every service. */
struct m_lan_grant {
	struct m_prefix to;
	struct m_service_list ports;
	struct loc loc;
};

/* incoming or local_network: true, false, or a list (limited).  b.v is
 * true for a list too (something is granted); a consumer that reads b.v
 * alone must also look at `limited`, or it widens the grant. */
struct m_grant_flag {
	struct m_bool b;
	bool limited;
	struct m_service_list services;	/* incoming's list */
	struct m_lan_grant *lan;	/* local_network's list */
	size_t n_lan;
};

struct m_flags {
	struct m_grant_flag incoming;
	struct m_bool routing;
	struct m_grant_flag local_network;
	bool set;
	struct loc loc;
};

struct m_grant {
	struct m_str peer;
	size_t peer_idx;	/* resolved by validate */
	struct m_flags flags;
};

struct m_permissions {
	struct m_flags def;
	struct m_grant *grants;	/* sorted by peer_idx after validation */
	size_t n_grants;
	bool grants_set;
	struct loc grants_loc;
	bool set;
	struct loc loc;
};

struct m_prefix_list {
	struct m_prefix *items;
	size_t count;
	bool set;
	struct loc loc;
};

struct m_name_list {
	struct m_str *items;
	size_t *idx;		/* resolved by validate */
	size_t count;
	bool set;
	struct loc loc;
};

/* One entry of dns: a server's address or a search domain. */
struct m_dns {
	const char *v;		/* as written */
	bool is_ip;
	struct ip_addr ip;	/* when is_ip */
	struct loc loc;
};

struct m_dns_list {
	struct m_dns *items;	/* document order: resolvers keep it */
	size_t count;
	bool set;
	struct loc loc;
};

struct m_mesh {
	struct m_str name;
	struct loc loc;
	struct m_prefix network, network6;
	struct m_uint listen_port;
	struct m_str interface;
	struct m_dns_list dns;
	struct m_uint mtu;
	/* The secret each pair of member nodes derives its preshared key
	 * from (psk_derive); read only where a key is needed. */
	struct m_str preshared_key_file;
	/* The node that relays between members without endpoints (its own
	 * relay does not apply to it). */
	struct m_str relay;
	struct m_flags defaults;
	/* resolved by validate: member nodes, in document order */
	size_t *members;
	size_t n_members;
};

struct m_node {
	struct m_str name;
	struct loc loc;
	struct m_str mesh;
	struct m_key public_key;
	struct m_addr address, address6;
	struct m_endpoint endpoint;
	struct m_uint listen_port;
	struct m_str interface;
	struct m_dns_list dns;
	struct m_uint mtu;
	struct m_platform platform;
	struct m_bool managed;
	struct m_prefix_list lan;
	struct m_str uplink;
	struct m_uint keepalive;
	struct m_str private_key_file;
	struct m_permissions permissions;
	struct m_str exit_node;
	struct m_name_list lans_via;
	struct m_str relay;
	/* resolved by validate */
	size_t mesh_idx;
	size_t exit_idx;
	/* The node's relay: its own `relay`, else its mesh's unless it is
	 * that relay; MODEL_NONE for none. */
	size_t relay_idx;
	/* For a relay: the nodes whose relay_idx is this node, sorted. */
	size_t *relay_users;
	size_t n_relay_users;
	size_t *linked;		/* link partners, sorted, unique */
	size_t n_linked;
	struct loc *linked_loc;	/* where each link is written */
};

struct m_link {
	struct m_str a, b;
	struct loc loc;
	size_t a_idx, b_idx;
};

struct m_test {
	struct m_str from, to, expect;
	bool expect_allow;
	struct m_service port;	/* unset: every protocol and port */
	struct loc loc;
};

struct model {
	const char *file;
	struct m_uint version;
	struct m_mesh *meshes;
	size_t n_meshes;
	bool meshes_set;
	struct m_node *nodes;
	size_t n_nodes;
	bool nodes_set;
	struct m_link *links;
	size_t n_links;
	bool links_set;
	struct m_test *tests;
	size_t n_tests;
	bool tests_set;
	struct loc loc;		/* the document root */
	struct strmap mesh_index, node_index;	/* name -> index, by the loader */
	bool resolved;		/* validate ran and found no errors */
};

/* Look a mesh or node up by name; MODEL_NONE when absent. */
size_t model_mesh_find(const struct model *m, const char *name);
size_t model_node_find(const struct model *m, const char *name);
struct suggest;
/* Offer every node's name to s, for a "did you mean" (base/suggest.h). */
void model_suggest_nodes(const struct model *m, struct suggest *s);

/* Effective values, with the document's defaults applied. */
const char *model_node_interface(const struct model *m, const struct m_node *n);
uint16_t model_node_listen_port(const struct model *m, const struct m_node *n);
const char *model_node_private_key_file(const struct m_node *n);
/* The node's dns and mtu, else its mesh's; NULL when neither sets it. */
const struct m_dns_list *model_node_dns(const struct model *m,
					const struct m_node *n);
const struct m_uint *model_node_mtu(const struct model *m,
				    const struct m_node *n);
enum platform model_node_platform(const struct m_node *n);
const char *platform_name(enum platform p);
bool platform_can_forward(enum platform p);
/* Does meshc enforce the node's grants on the node itself: `managed`, else
 * true for linux only (the others run the WireGuard app). */
bool model_node_managed(const struct m_node *n);
/* Can anything meshc makes enforce grants on this platform (false for
 * windows, ios and android: `managed: true` there is an error). */
bool platform_can_be_managed(enum platform p);

/* Are two (distinct) nodes peers: same mesh, or linked?  Needs validate. */
bool model_are_peers(const struct model *m, size_t a, size_t b);

/* Are a and b a relayed pair: peers, neither with an endpoint, both with
 * the same relay (meshc.yaml(5), Relays)?  The one definition of it, for
 * compile, check and graph alike.  Needs validate. */
bool model_relayed(const struct model *m, size_t a, size_t b);
/* One resolved permission flag and where its value came from. */
struct perm_value {
	bool v;
	struct loc loc;		/* loc of the deciding value; line 0 = built-in */
	const char *source;	/* "peer entry", "node default", "mesh defaults",
				 * "built-in default" */
	/* v true and limited: only what the list says (grant is the deciding
	 * value, never NULL then). */
	bool limited;
	const struct m_grant_flag *grant;
};

struct perm_set {
	struct perm_value incoming, routing, local_network;
};

/* What node `granter` lets node `peer` do (spec: peer entry, then node
 * default, then mesh defaults, then built-in).  Needs validate. */
struct perm_set model_permissions(const struct model *m, size_t granter,
				  size_t peer);

/* The address a node gets when its document omits one: a hash of the
 * public key inside the mesh network, avoiding the network's first and
 * (IPv4) last address.  Returns false when the network has no room. */
bool model_derive_address(const struct ip_prefix *network,
			  const uint8_t key[WG_KEY_LEN], struct ip_addr *out);

#endif
