#include "base/strmap.h"

#include <stdint.h>
#include <string.h>

static uint64_t strmap_hash(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

void strmap_init(struct strmap *m, struct arena *a)
{
	memset(m, 0, sizeof(*m));
	m->arena = a;
}

static struct strmap_slot *strmap_find(const struct strmap *m,
				       const char *key)
{
	size_t mask = m->cap - 1, i = (size_t)strmap_hash(key) & mask;

	while (m->slots[i].key && strcmp(m->slots[i].key, key))
		i = (i + 1) & mask;
	return &m->slots[i];
}

static void strmap_grow(struct strmap *m)
{
	struct strmap_slot *old = m->slots;
	size_t old_cap = m->cap, i;

	m->cap = old_cap ? old_cap * 2 : 16;
	m->slots = arena_calloc(m->arena, m->cap, sizeof(*m->slots));
	for (i = 0; i < old_cap; i++)
		if (old[i].key)
			*strmap_find(m, old[i].key) = old[i];
}

bool strmap_put(struct strmap *m, const char *key, size_t value)
{
	struct strmap_slot *s;

	if ((m->count + 1) * 4 > m->cap * 3)
		strmap_grow(m);
	s = strmap_find(m, key);
	if (s->key)
		return false;
	s->key = key;
	s->value = value;
	m->count++;
	return true;
}

bool strmap_get(const struct strmap *m, const char *key, size_t *value)
{
	const struct strmap_slot *s;

	if (!m->cap)
		return false;
	s = strmap_find(m, key);
	if (!s->key)
		return false;
	*value = s->value;
	return true;
}
