/* apply.c - meshc apply / diff FILE / down: lock, read, diff, converge,
 * and roll back to the state read before the run when a step fails. */
#include "apply/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apply/pending.h"
#include "base/strbuf.h"

static int ctx_open(struct apply_ctx *c, struct arena *a,
		    const struct apply_opts *o)
{
	memset(c, 0, sizeof(*c));
	c->a = a;
	c->o = o;
	c->st.lock_fd = -1;
	wg_psks_init(&c->want_psks, a);
	return rtnl_open(&c->rtnl);
}

static void ctx_close(struct apply_ctx *c)
{
	secret_key_free(&c->priv);
	wg_psks_free(&c->want_psks);
	state_unlock(&c->st);
	if (c->rtnl)
		rtnl_close(c->rtnl);
}

/* The key file must hold the private key of the node's public_key: a
 * mismatch would silently cut the node off the mesh. */
static int load_private_key(struct apply_ctx *c, const struct plan *want)
{
	uint8_t pub[WG_KEY_LEN];
	char b64[WG_KEY_B64_LEN + 1];
	int err = secret_key_read_file(want->iface.private_key_file, &c->priv);

	if (err)
		return err;
	secret_key_public(&c->priv, pub);
	key_to_base64(pub, b64);
	if (strcmp(b64, want->iface.public_key)) {
		fprintf(stderr,
			"meshc: %s holds the key of public key %s, but node "
			"'%s' has public_key %s in %s\n",
			want->iface.private_key_file, b64, want->node,
			want->iface.public_key, want->document);
		return -EKEYREJECTED;
	}
	return 0;
}

/* Each wanted peer's preshared key, derived from its mesh's secret (read
 * once, checked like the private key file).  Also for a dry run and diff
 * FILE: without them the device's keys cannot be compared. */
static int load_psks(struct apply_ctx *c, const struct plan *want)
{
	struct secret_key secret = { NULL };
	uint8_t self[WG_KEY_LEN], pub[WG_KEY_LEN];
	int err = 0;

	if (!key_from_base64(want->iface.public_key, self))
		return -EINVAL;
	for (size_t i = 0; !err && i < want->n_peers; i++) {
		const struct plan_peer *peer = &want->peers[i];
		uint8_t *slot;

		if (!peer->preshared_key_file)
			continue;
		/* all of them name the node's own mesh's one file */
		if (!secret.bytes) {
			err = secret_key_read_file(peer->preshared_key_file,
						   &secret);
			if (err)
				break;
			c->want_psks.file = peer->preshared_key_file;
		}
		if (!key_from_base64(peer->public_key, pub))
			err = -EINVAL;
		else if (!(slot = wg_psks_slot(&c->want_psks, pub)))
			err = -ENOMEM;
		else
			psk_derive(&secret, self, pub, slot);
	}
	secret_key_free(&secret);
	return err;
}

/* The change list: the output itself of `diff FILE` and --dry-run
 * (is_output), printed with -q too; apply's progress otherwise. */
static void print_changes(const struct apply_ctx *c, const struct plan *old,
			  const struct plan *new, const struct changeset *cs,
			  bool is_output)
{
	struct strbuf out = STRBUF_INIT;
	struct node_diff nd = { new ? new->node : old->node, old, new, cs };

	if (c->o->json) {
		diff_render_json_open(&out);
		if (!changeset_empty(cs))
			diff_render_json_node(&out, &nd, true);
		diff_render_json_close(&out, !changeset_empty(cs), 1);
	} else if (is_output || !c->o->quiet) {
		diff_render_text(&out, &nd, c->o->color);
	}
	strbuf_write(&out, stdout);
	strbuf_free(&out);
}

/* Bring the system back to `before` (the live state read at the start).
 * When this run created the interface, "before" had none: tear down. */
int apply_rollback(struct apply_ctx *c, const struct plan *want,
		   const struct live *before)
{
	struct changeset cs = { 0 };
	struct live now = { 0 };
	sigset_t mask;
	int err;

	c->rollback = before;	/* its sysctl needs, not the target's */
	/* a signal now would leave the system between two states: it waits
	 * for the rollback (signals.c) */
	signals_hold(&mask);
	fprintf(stderr, "meshc: rolling back to the state before this run\n");
	err = live_read(c, want, &now);
	live_free_secrets(&now);
	if (!err && before->link.exists && !c->created) {
		/* a run that changed the private key puts the old one back */
		struct secret_key mine = c->priv;

		if (before->private_key.bytes)
			c->priv = before->private_key;
		diff_plans(c->a, &now.plan, &before->plan, &cs);
		err = converge(c, &now, &before->plan, &cs);
		c->priv = mine;
	} else if (!err) {
		/* The interface is this run's: remove it (its addresses and
		 * routes go with it), then put back what does not hang on
		 * it and was there before: policy rules, sysctls and the
		 * firewall (another interface of the node may use them). */
		if (now.link.exists)
			err = wg_destroy(c->rtnl, now.wg, want->iface.name);
		if (!err)
			err = live_read(c, want, &now);
		live_free_secrets(&now);
		if (!err) {
			diff_plans(c->a, &now.plan, &before->plan, &cs);
			err = converge_shared(c, &now, &before->plan, &cs);
		}
	}
	if (err)
		fprintf(stderr, "meshc: ROLLBACK FAILED (%s): the system may "
				"be between two states; run meshc apply "
				"again\n",
			strerror(-err));
	else
		fprintf(stderr, "meshc: rolled back; nothing of this run "
				"remains\n");
	signals_restore(&mask);
	c->rollback = NULL;
	return err;
}

/* The document a plan came from, as one name whatever the path it was
 * given by: its real path; NULL when it has none (stdin, gone). */
static const char *document_id(struct arena *a, const char *path)
{
	char *rp = path ? realpath(path, NULL) : NULL;
	const char *id;

	if (!rp)
		return NULL;
	id = arena_strdup(a, rp);
	free(rp);
	return id;
}

/* Which document the interface's last successful run applied: the next
 * run of it knows its interface before it has compiled anything. */
static void record_document(struct apply_ctx *c, const struct plan *want)
{
	const char *id = document_id(c->a, want->document), *line, *was;

	if (!id)
		return;
	line = arena_printf(c->a, "%s\n", id);
	was = state_read(c->a, &c->st, STATE_DOCUMENT_FILE);
	if (!was || strcmp(was, line))	/* a no-op run writes nothing */
		(void)state_write(c->a, &c->st, STATE_DOCUMENT_FILE, line);
}

/* Say why a run that was told to stop failed (sig 0: it was not). */
static void interrupted(int sig)
{
	if (sig)
		fprintf(stderr, "meshc: interrupted by %s (held until the "
				"rollback above was done)\n",
			signals_name(sig));
}

/* The one comparison that apply, diff FILE and status make: the live
 * system read into *live, the plan to converge to (*want with the
 * firewall's live sets filled, *target with its endpoints resolved) and
 * the changes between them.  0 or -errno (reported). */
static int read_and_diff(struct apply_ctx *c, const struct plan **want,
			 struct live *live, struct plan **target,
			 struct changeset *cs)
{
	/* the preshared keys to compare the device's with; then the live
	 * sets, so the diff and the trust record compare the firewall that
	 * will be loaded */
	int err = load_psks(c, *want);

	if (!err)
		err = live_fill_egress(c, *want, want);
	if (!err)
		err = live_read(c, *want, live);
	/* No second thread past this point: converge may fork (--confirm),
	 * and a rollback reads the device afresh. */
	wg_prefetch_end(c->prefetch);
	c->prefetch = NULL;
	if (!err)
		err = normalize_plans(c, *want, target, live);
	if (!err)
		diff_plans(c->a, &live->plan, *target, cs);
	return err;
}

static enum apply_result run(struct apply_ctx *c, const struct plan *want,
			     bool read_only)
{
	struct changeset cs = { 0 };
	struct live before = { 0 }, work;
	struct plan *target;
	enum apply_result r = APPLY_FAILED;
	sigset_t mask;
	bool held = false;
	int err;

	if (!read_only) {
		if ((c->st.lock_fd < 0 &&
		     state_lock(c->a, want->iface.name, &c->st)) ||
		    load_private_key(c, want))
			return APPLY_FAILED;
		if (pending_waiting(c->a, &c->st)) {
			fprintf(stderr,
				"meshc: an apply --confirm on %s is waiting "
				"for confirmation; run meshc confirm (or wait "
				"for it to revert) first\n",
				want->iface.name);
			return APPLY_FAILED;
		}
	} else if (!c->st.dir && state_open(c->a, want->iface.name, &c->st)) {
		return APPLY_FAILED;
	}
	if (read_and_diff(c, &want, &before, &target, &cs))
		goto out;
	if (!changeset_affects_system(&cs)) {
		if (c->o->json)
			print_changes(c, &before.plan, target, &cs, read_only);
		else if (!c->o->quiet)
			printf("no changes\n");
		if (!read_only) {
			/* a table just read in full and found right is
			 * recorded: the next run need not read it again */
			if (!before.nft_seen.trusted)
				nft_record_save(c->a, &c->st, &target->fw,
						before.nft_seen.gen, 0);
			record_document(c, want);
		}
		r = APPLY_NO_CHANGES;
		goto out;
	}
	print_changes(c, &before.plan, target, &cs, read_only);
	if (read_only) {
		r = APPLY_CHANGED;
		goto out;
	}
	/* From here until the system is in the new state or back in the
	 * old one, SIGINT, SIGTERM and SIGHUP wait (signals.c); converge
	 * stops at the next step when one came, and the run rolls back. */
	signals_hold(&mask);
	held = true;
	/* converge records what it creates in its live state; `before`
	 * stays the state to roll back to */
	nft_record_forget(c->a, &c->st);
	work = before;
	c->stop_on_signal = true;
	err = converge(c, &work, target, &cs);
	c->stop_on_signal = false;
	if (!err && c->o->confirm_seconds > 0)
		err = confirm_spawn(c, want, &before, c->o->confirm_seconds);
	if (err) {
		apply_rollback(c, want, &before);
		interrupted(signals_take());
		goto out;
	}
	nft_record_save(c->a, &c->st, &target->fw, before.nft_seen.gen,
			c->nft_batches);
	record_document(c, want);
	if (!c->o->quiet && !c->o->json)
		printf("applied %zu %s to %s\n", cs.count,
		       plural(cs.count, "change", "changes"),
		       want->iface.name);
	r = APPLY_CHANGED;
	/* A signal that came after the last step finds the new state
	 * complete and recorded: it takes effect as the mask is restored. */
	fflush(stdout);
out:
	if (held)
		signals_restore(&mask);
	live_free_secrets(&before);
	return r;
}

struct apply_early *apply_early_start(struct arena *a, const char *document,
				      const struct apply_opts *o)
{
	const char *id = document_id(a, document);
	const char *iface = id ? state_find_document(a, id) : NULL;
	struct apply_early *e;

	if (!iface)
		return NULL;
	e = arena_alloc(a, sizeof(*e));
	e->iface = iface;
	e->st.lock_fd = -1;
	/* the device is read under the lock a run holds for its whole
	 * length: no other run changes it between this read and the diff */
	if (!o->dry_run && state_lock_existing(a, iface, &e->st))
		return NULL;
	wg_prefetch_start(&e->pf, iface);
	return e;
}

void apply_early_end(struct apply_early *e)
{
	if (!e)
		return;
	wg_prefetch_end(&e->pf);
	state_unlock(&e->st);
}

/* Take over what apply_early_start did, if it guessed the plan's
 * interface; otherwise let go of it. */
static void ctx_adopt_early(struct apply_ctx *c, const struct plan *want,
			    struct apply_early *e)
{
	if (!e)
		return;
	if (strcmp(e->iface, want->iface.name) != 0) {
		apply_early_end(e);
		return;
	}
	c->st = e->st;		/* the lock (or none, read only) */
	e->st.lock_fd = -1;
	c->prefetch = &e->pf;
}

static enum apply_result apply_run(struct arena *a, const struct plan *want,
				   const struct apply_opts *o,
				   struct apply_early *e, bool read_only)
{
	struct apply_ctx c;
	enum apply_result r = APPLY_FAILED;

	if (ctx_open(&c, a, o) == 0) {
		ctx_adopt_early(&c, want, e);
		r = run(&c, want, read_only);
	}
	ctx_close(&c);
	apply_early_end(e);
	return r;
}

enum apply_result apply_plan(struct arena *a, const struct plan *want,
			     const struct apply_opts *o, struct apply_early *e)
{
	return apply_run(a, want, o, e, o->dry_run);
}

enum apply_result apply_diff_live(struct arena *a, const struct plan *want,
				  const struct apply_opts *o,
				  struct apply_early *e)
{
	return apply_run(a, want, o, e, true);
}

enum apply_result apply_status(struct arena *a, const struct plan *want,
			       struct live *lv, const struct plan **target,
			       struct changeset *cs)
{
	/* nothing is printed: the caller renders the changes */
	static const struct apply_opts quiet = { .confirm_seconds = -1,
						 .quiet = 1 };
	struct apply_ctx c;
	struct plan *t = NULL;
	enum apply_result r = APPLY_FAILED;

	memset(lv, 0, sizeof(*lv));
	if (ctx_open(&c, a, &quiet) == 0 &&
	    state_open(a, want->iface.name, &c.st) == 0 &&
	    read_and_diff(&c, &want, lv, &t, cs) == 0) {
		*target = t;
		r = changeset_affects_system(cs) ? APPLY_CHANGED
						 : APPLY_NO_CHANGES;
	}
	live_free_secrets(lv);
	ctx_close(&c);
	return r;
}

/* The live plan names the interface even when there is no link (its
 * routes and firewall chains are found by that name), so diffing it
 * against nothing lists the interface as removed.  Without a link there
 * is no interface to remove: down must neither say it removes one nor
 * count it as something to do (a second down has nothing to remove). */
static void drop_interface_change(struct changeset *cs)
{
	size_t first, n = changeset_layer(cs, LAYER_INTERFACE, &first);

	memmove(cs->items + first, cs->items + first + n,
		(cs->count - first - n) * sizeof(*cs->items));
	cs->count -= n;
}

enum apply_result apply_down(struct arena *a, const struct plan *want,
			     const struct apply_opts *o)
{
	struct apply_ctx c;
	struct changeset cs = { 0 };
	struct live now = { 0 };
	enum apply_result r = APPLY_FAILED;
	sigset_t mask;
	int err;

	if (ctx_open(&c, a, o) || state_lock(a, want->iface.name, &c.st))
		goto out;
	pending_cancel(a, &c.st);
	if (live_read(&c, want, &now))
		goto out;
	diff_plans(a, &now.plan, NULL, &cs);
	if (!now.link.exists)
		drop_interface_change(&cs);
	if (!now.link.exists && now.nft == NFT_TABLE_ABSENT &&
	    !changeset_affects_system(&cs)) {
		/* --format json: the empty report, as apply's "no changes" */
		if (o->json)
			print_changes(&c, &now.plan, NULL, &cs, false);
		else if (!o->quiet)
			printf("nothing to remove\n");
		r = APPLY_NO_CHANGES;
		goto out;
	}
	print_changes(&c, &now.plan, NULL, &cs, false);
	nft_record_forget(a, &c.st);
	/* a tear down half done is neither state: signals wait for it */
	signals_hold(&mask);
	err = converge(&c, &now, NULL, &cs);
	signals_restore(&mask);
	if (err == 0) {
		if (!o->quiet && !o->json)
			printf("removed %s and everything meshc set up for "
			       "it\n",
			       want->iface.name);
		r = APPLY_CHANGED;
	}
out:
	/* meshc no longer manages the interface: status without FILE
	 * stops listing it */
	if (r != APPLY_FAILED)
		state_remove(a, &c.st, STATE_DOCUMENT_FILE);
	live_free_secrets(&now);
	ctx_close(&c);
	return r;
}
