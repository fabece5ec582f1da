/* eval.h - reachability over compiled plans (check, explain).
 *
 * The evaluator walks one new connection through the plans the compiler
 * produced, hop by hop: the sender's routes (table main, then the exit-node
 * policy table), WireGuard's cryptokey routing on the sender
 * (plan_peer_for), the receiver's allowed IPs for the sender, then the
 * receiver's firewall rules (input when the destination is the receiver's
 * own address, forward otherwise) with a generic interpreter over
 * plan->fw.rules.  It never restates the spec: what it answers is what the
 * rendered nftables/pf rules would do.
 *
 * Plans come from a callback so that a check over many tests compiles
 * each node at most once (struct plan_cache below), and so that unit tests
 * can hand in plans built by hand.
 */
#ifndef MESHC_EVAL_EVAL_H
#define MESHC_EVAL_EVAL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/ip.h"
#include "base/strbuf.h"
#include "model/model.h"
#include "plan/plan.h"

/* `to: internet` probes this address, which must be in no private set.
 * The documentation blocks (TEST-NET) are not globally reachable, so the
 * private set holds them; this is the AMT block (RFC 7450), which the
 * IANA special-purpose registry lists as globally reachable: public to
 * meshc, yet no one's ordinary host.  No packet is ever sent to it. */
#define EVAL_INTERNET_PROBE "192.52.193.1"

/* ---- targets ---------------------------------------------------------- */

enum eval_target_kind {
	EVAL_TO_NODE,		/* a node name: its IPv4 mesh address */
	EVAL_TO_ADDR,		/* an IPv4 or IPv6 address */
	EVAL_TO_INTERNET,	/* EVAL_INTERNET_PROBE */
	EVAL_TO_LAN,		/* lan:NODE: first lan prefix's address + 1 */
};

struct eval_target {
	enum eval_target_kind kind;
	const char *text;	/* as written */
	struct ip_addr addr;	/* the address a packet is sent to */
	size_t node_idx;	/* NODE, LAN: the node; else MODEL_NONE */
	struct loc loc;		/* where addr comes from in the document */
};

/* Parse a test target: a node name (looked up first, so a node may be
 * called "internet"), `internet`, `lan:NODE`, or an IP address.  Returns
 * 0, or -1 with *why set to a message allocated from the arena. */
int eval_target_parse(struct arena *a, const struct model *m,
		      const char *text, struct eval_target *t,
		      const char **why);

/* ---- the firewall interpreter ----------------------------------------- */

/* The interface a packet enters or leaves through, as the rules see it. */
enum eval_if {
	EVAL_IF_NONE,		/* no such interface (oif on input) */
	EVAL_IF_MESH,		/* the plan's mesh interface */
	EVAL_IF_LAN,		/* toward one of the node's lans */
	EVAL_IF_UPLINK,		/* the uplink toward the internet */
};

struct eval_packet {
	struct ip_addr saddr, daddr;	/* same family */
	enum eval_if iif, oif;
	/* What the packet opens: one protocol and destination port
	 * (port_lo == port_hi), SVC_ICMP for an echo request. */
	struct fw_service svc;
};

/* One rule that matched on the way: the jumps, then the deciding rule. */
struct eval_fw_hit {
	const struct fw_rule *rule;
	const struct fw_elem *saddr_elem;	/* the matching element */
	const struct fw_elem *daddr_elem;
};

struct eval_fw_trace {
	enum fw_chain base;
	struct eval_fw_hit *hits;
	size_t n_hits, cap_hits;
	bool accept;		/* accept, masquerade or policy accept */
	/* The deciding hit (the last one); NULL when the base chain ran to
	 * its end (policy accept). */
	const struct eval_fw_hit *decider;
	/* The first accepting rule on the path that failed only because the
	 * source was not in its set: "what grant is missing" for a drop. */
	const struct fw_rule *near_miss;
};

/* Run `base` and the chains it jumps to, for a NEW connection (ct state
 * established never matches).  0, or -ELOOP when jumps nest too deep. */
int eval_fw_run(struct arena *a, const struct plan *p, enum fw_chain base,
		const struct eval_packet *pkt, struct eval_fw_trace *t);

/* ---- reachability ----------------------------------------------------- */

struct eval_step {
	const char *node;	/* where this happens; NULL: not at a node */
	const char *text;	/* one line, no trailing newline */
	struct loc loc;		/* document place; line 0 = none */
};

struct eval_result {
	bool allow;
	const char *target;	/* "a (100.64.0.1)", "192.168.2.10", ... */
	struct ip_addr daddr;
	/* "deny: c cannot reach a (100.64.0.1): b drops it: never forward to
	 * a mesh address (spec rule 2; seed.yaml:5)" */
	const char *summary;
	/* The deciding reason alone, e.g. "b drops it: never forward to a
	 * mesh address" (no verdict, no location). */
	const char *reason;
	struct eval_step *steps;
	size_t n_steps, cap_steps;
	const struct fw_rule *deciding_rule;	/* NULL: not a fw rule */
	struct loc deciding_loc;	/* line 0 when the document has none */
	const char *deciding_node;	/* NULL when no node decides */
	/* The service the steps follow (eval_reach_service's, or for
	 * eval_reach the first one probed). */
	struct fw_service svc;
	/* eval_reach without a service, where the answer depends on it:
	 * allow is false, and open lists what is allowed ("tcp/22, icmp"). */
	bool partial;
	const char *open;
};

/* Plan for a node index; NULL when it cannot be built (reason reported). */
typedef struct plan *(*eval_get_plan_fn)(void *ctx, size_t node_idx);

/* Evaluate a new connection from node `from` to `target`.  Returns 0 with
 * *res filled (allow or deny), or -EIO when a plan could not be built,
 * -ELOOP on a firewall jump loop. */
int eval_reach(struct arena *a, const struct model *m, size_t from,
	       const struct eval_target *target, eval_get_plan_fn get_plan,
	       void *ctx, struct eval_result *res);

/* The same for one service (a test's port, explain's SERVICE). */
int eval_reach_service(struct arena *a, const struct model *m, size_t from,
		       const struct eval_target *target,
		       const struct fw_service *svc,
		       eval_get_plan_fn get_plan, void *ctx,
		       struct eval_result *res);
/* eval_reach, without a service, answers for every protocol and port:
 * it probes one service per stretch of ports that the document's lists
 * treat alike (their boundaries), icmp, and a protocol no list names.
 * Allowed when every probe is, denied when none is, else partial. */

/* "file:line" of a document place, or NULL when it has none. */
const char *eval_where(struct arena *a, struct loc loc);

/* One line per step, each after `indent`, with " (file:line)" when the
 * step has a document place. */
void eval_steps_text(struct strbuf *sb, struct arena *a,
		     const struct eval_result *r, const char *indent);

/* ---- compiled plans, once per node ------------------------------------ */

struct plan_cache {
	struct arena *arena;
	const struct model *m;
	struct plan **plans;	/* [n_nodes], NULL until first asked for */
};

/* m must be resolved.  The cache lives in (and dies with) the arena. */
void plan_cache_init(struct plan_cache *c, struct arena *a,
		     const struct model *m);
/* An eval_get_plan_fn: ctx is a struct plan_cache. */
struct plan *plan_cache_get(void *ctx, size_t node_idx);

#endif
