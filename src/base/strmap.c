#include "base/strmap.h"

#include <string.h>

#include <sodium.h>

static uint64_t strmap_hash(const struct strmap *m, const char *s)
{
	unsigned char out[crypto_shorthash_BYTES];
	uint64_t h;

	crypto_shorthash(out, (const unsigned char *)s, strlen(s), m->seed);
	memcpy(&h, out, sizeof(h));
	return h;
}

void strmap_init(struct strmap *m, struct arena *a)
{
	memset(m, 0, sizeof(*m));
	m->arena = a;
}

static struct strmap_slot *strmap_find(const struct strmap *m,
				       const char *key, uint64_t hash)
{
	size_t mask = m->cap - 1, i = (size_t)hash & mask;

	while (m->slots[i].key &&
	       (m->slots[i].hash != hash || strcmp(m->slots[i].key, key)))
		i = (i + 1) & mask;
	return &m->slots[i];
}

static void strmap_resize(struct strmap *m, size_t cap)
{
	struct strmap_slot *old = m->slots;
	size_t old_cap = m->cap, i;

	if (!old_cap)
		randombytes_buf(m->seed, sizeof(m->seed));
	m->cap = cap;
	m->slots = arena_calloc(m->arena, m->cap, sizeof(*m->slots));
	for (i = 0; i < old_cap; i++)
		if (old[i].key)
			*strmap_find(m, old[i].key, old[i].hash) = old[i];
}

void strmap_reserve(struct strmap *m, size_t n)
{
	size_t cap = m->cap ? m->cap : 16;

	while (cap < 2 * n)
		cap *= 2;
	if (cap > m->cap)
		strmap_resize(m, cap);
}

bool strmap_put(struct strmap *m, const char *key, size_t value)
{
	struct strmap_slot *s;
	uint64_t hash;

	if (2 * (m->count + 1) > m->cap)
		strmap_resize(m, m->cap ? m->cap * 2 : 16);
	hash = strmap_hash(m, key);
	s = strmap_find(m, key, hash);
	if (s->key)
		return false;
	s->key = key;
	s->hash = hash;
	s->value = value;
	m->count++;
	return true;
}

bool strmap_get(const struct strmap *m, const char *key, size_t *value)
{
	const struct strmap_slot *s;

	if (!m->cap)
		return false;
	s = strmap_find(m, key, strmap_hash(m, key));
	if (!s->key)
		return false;
	*value = s->value;
	return true;
}
