/* internal.h - shared between the diff engine and its renderers. */
#ifndef MESHC_DIFF_INTERNAL_H
#define MESHC_DIFF_INTERNAL_H

#include "diff/diff.h"

/* Room for an abbreviated public key ("1sYBabcd...") and NUL. */
#define KEY_ABBREV_LEN 16

/* The first characters of a public key, for eyes only: names identify
 * peers in the text, JSON carries whole keys. */
const char *key_abbrev(const char *key, char buf[KEY_ABBREV_LEN]);

/* Fill ch->subject and ch->detail from the change's typed fields. */
void describe_change(struct arena *a, struct change *ch);

/* The interface a rule's iif/oif means on this firewall: any (name
 * NULL), the mesh interface, anything but it (negate), or the uplink. */
struct fw_iface_ref {
	bool negate;
	const char *name;
};

struct fw_iface_ref fw_iface_resolve(enum fw_iface f,
				     const struct plan_firewall *fw);
/* Do two rules do the same, each on its own firewall (comments and
 * locations aside)? */
bool fw_rule_same(const struct fw_rule *a, const struct plan_firewall *fa,
		  const struct fw_rule *b, const struct plan_firewall *fb);
/* One rule as words: "iif meshx saddr @routing accept  [routing]". */
void fw_rule_str(struct strbuf *sb, const struct fw_rule *r,
		 const struct plan_firewall *fw);

#endif
