/* sysctl_ledger.c - NSDIR/:sysctl, one line a key:
 *
 *	KEY IFACE[/IFACE...] [ORIGINAL]
 *
 * ('/' and ' ' occur in no interface name; ORIGINAL is the rest of the
 * line, absent when meshc never knew it).  A key nobody needs has no
 * line; the file goes when the last line does. */
#include "apply/sysctl_ledger.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/strbuf.h"

#define LEDGER_MAX (64 * 1024)
#define LEGACY_SAVED "sysctl.saved"

struct ledger_entry {
	const char *key;
	const char *value;	/* NULL: unknown */
	const char **users;
	size_t n_users, cap_users;
};

struct ledger {
	struct ledger_entry *e;
	size_t n, cap;
};

static void add_user(struct arena *a, struct ledger_entry *e,
		     const char *iface)
{
	for (size_t i = 0; i < e->n_users; i++)
		if (!strcmp(e->users[i], iface))
			return;
	*(const char **)arena_push(a, &e->users, &e->n_users, &e->cap_users,
				   sizeof(*e->users)) = iface;
}

static bool drop_user(struct ledger_entry *e, const char *iface)
{
	for (size_t i = 0; i < e->n_users; i++)
		if (!strcmp(e->users[i], iface)) {
			e->users[i] = e->users[--e->n_users];
			return true;
		}
	return false;
}

static struct ledger_entry *find_entry(struct ledger *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->e[i].key, key))
			return &l->e[i];
	return NULL;
}

static int parse_line(struct arena *a, struct ledger *l, char *line)
{
	char *users = strchr(line, ' '), *value, *u;
	struct ledger_entry *e;

	if (!users || users == line)
		return -EINVAL;
	*users++ = '\0';
	value = strchr(users, ' ');
	if (value)
		*value++ = '\0';
	if (!*users || find_entry(l, line))
		return -EINVAL;
	e = arena_push(a, &l->e, &l->n, &l->cap, sizeof(*l->e));
	e->key = line;
	e->value = value;
	while ((u = strsep(&users, "/")))
		if (*u)
			add_user(a, e, u);
	return 0;
}

/* A ledger meshc cannot read is reported, never taken as empty: that
 * would lose the values to put back. */
static int ledger_load(struct arena *a, const char *path, struct ledger *l)
{
	const uint8_t *data;
	size_t len;
	char *text, *line;
	int err = state_file_read(a, path, LEDGER_MAX, &data, &len);

	memset(l, 0, sizeof(*l));
	if (err == -ENOENT)
		return 0;
	if (err) {
		fprintf(stderr, "meshc: sysctl ledger %s: %s\n", path,
			err == -EINVAL || err == -ELOOP
				? "not a regular file; refusing it"
				: strerror(-err));
		return err;
	}
	text = (char *)data;
	while ((line = strsep(&text, "\n")))
		if (*line && parse_line(a, l, line)) {
			fprintf(stderr, "meshc: sysctl ledger %s: a line meshc "
					"did not write; refusing it\n",
				path);
			return -EINVAL;
		}
	return 0;
}

static int ledger_store(struct arena *a, const char *path,
			const struct ledger *l)
{
	struct strbuf sb = STRBUF_INIT;
	size_t lines = 0;
	int err;

	for (size_t i = 0; i < l->n; i++) {
		const struct ledger_entry *e = &l->e[i];

		if (!e->n_users)
			continue;
		strbuf_puts(&sb, e->key);
		for (size_t j = 0; j < e->n_users; j++) {
			strbuf_putc(&sb, j ? '/' : ' ');
			strbuf_puts(&sb, e->users[j]);
		}
		if (e->value) {
			strbuf_putc(&sb, ' ');
			strbuf_puts(&sb, e->value);
		}
		strbuf_putc(&sb, '\n');
		lines++;
	}
	if (!lines)
		err = unlink(path) < 0 && errno != ENOENT ? -errno : 0;
	else
		err = state_file_write(a, path, sb.buf, sb.len);
	strbuf_free(&sb);
	if (err)
		fprintf(stderr, "meshc: sysctl ledger %s: %s\n", path,
			strerror(-err));
	return err;
}

/* meshc 0.1 kept the values it replaced per interface, in
 * IFACE/sysctl.saved ("KEY=VALUE" lines): the original of a key that
 * interface changed, which the ledger takes over. */
static const char *legacy_original(struct arena *a, const struct run_state *st,
				   const char *key)
{
	char *text = (char *)state_read(a, st, LEGACY_SAVED), *line;
	size_t klen = strlen(key);

	while (text && (line = strsep(&text, "\n")))
		if (!strncmp(line, key, klen) && line[klen] == '=')
			return line + klen + 1;
	return NULL;
}

static bool needed(const struct plan_sysctl *needs, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(needs[i].key, key))
			return true;
	return false;
}

int sysctl_ledger_set(struct arena *a, const struct run_state *st,
		      const struct plan_sysctl *needs, size_t n,
		      struct plan_sysctl **restore, size_t *n_restore)
{
	const char *path = arena_printf(a, "%s/:sysctl", st->ns);
	size_t cap = 0;
	struct ledger l;
	int lock, err;

	*restore = NULL;
	*n_restore = 0;
	lock = state_ns_lock(a, st->ns);
	if (lock < 0)
		return lock;
	err = ledger_load(a, path, &l);
	if (err)
		goto out_unlock;
	for (size_t i = 0; i < l.n; i++) {
		struct ledger_entry *e = &l.e[i];
		struct plan_sysctl *r;

		if (needed(needs, n, e->key) || !drop_user(e, st->iface) ||
		    e->n_users || !e->value)
			continue;
		r = arena_push(a, restore, n_restore, &cap, sizeof(*r));
		r->key = e->key;
		r->value = e->value;
	}
	for (size_t i = 0; i < n; i++) {
		struct ledger_entry *e = find_entry(&l, needs[i].key);

		if (!e || !e->n_users) {
			/* the first to need it (again): what is there now is
			 * what there was before meshc (or 0.1 saved it) */
			const char *old = legacy_original(a, st, needs[i].key);

			if (!e)
				e = arena_push(a, &l.e, &l.n, &l.cap,
					       sizeof(*l.e));
			e->key = needs[i].key;
			e->value = old ? old : needs[i].value;
		}
		add_user(a, e, st->iface);
	}
	err = ledger_store(a, path, &l);
	if (!err)
		state_remove(a, st, LEGACY_SAVED);	/* taken over */
out_unlock:
	close(lock);
	return err;
}

int sysctl_ledger_needs(struct arena *a, const struct run_state *st,
			const char ***keys, size_t *n)
{
	size_t cap = 0;
	struct ledger l;
	int err;

	*keys = NULL;
	*n = 0;
	if (!st->ns)
		return 0;
	err = ledger_load(a, arena_printf(a, "%s/:sysctl", st->ns), &l);
	for (size_t i = 0; !err && i < l.n; i++) {
		struct ledger_entry *e = &l.e[i];

		for (size_t j = 0; j < e->n_users; j++)
			if (!strcmp(e->users[j], st->iface))
				*(const char **)arena_push(a, keys, n, &cap,
							   sizeof(**keys)) =
					e->key;
	}
	return err;
}
