#include "base/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Chunks are allocated on demand; big requests get a chunk of their own. */
#define ARENA_CHUNK_SIZE (64 * 1024)
#define ARENA_ALIGN _Alignof(max_align_t)

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	size_t used;
	_Alignas(max_align_t) unsigned char data[];
};

static void arena_oom(size_t size)
{
	fprintf(stderr, "meshc: out of memory (allocating %zu bytes)\n", size);
	abort();
}

void arena_init(struct arena *a)
{
	a->head = NULL;
	a->used_bytes = 0;
}

void arena_free(struct arena *a)
{
	struct arena_chunk *c = a->head;

	while (c) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->used_bytes = 0;
}

static struct arena_chunk *arena_new_chunk(struct arena *a, size_t need)
{
	size_t size = need > ARENA_CHUNK_SIZE ? need : ARENA_CHUNK_SIZE;
	struct arena_chunk *c;

	if (size > SIZE_MAX - sizeof(*c))
		arena_oom(size);
	c = malloc(sizeof(*c) + size);
	if (!c)
		arena_oom(size);
	c->size = size;
	c->used = 0;
	/* A dedicated big chunk goes behind the head so the head's free space
	 * stays usable for the small allocations that follow. */
	if (a->head && need > ARENA_CHUNK_SIZE) {
		c->next = a->head->next;
		a->head->next = c;
	} else {
		c->next = a->head;
		a->head = c;
	}
	return c;
}

/* Uninitialized memory: for callers that overwrite it at once. */
static void *arena_alloc_raw(struct arena *a, size_t size)
{
	struct arena_chunk *c = a->head;
	size_t rounded;
	void *p;

	if (size == 0)
		size = 1;
	if (size > SIZE_MAX - ARENA_ALIGN)
		arena_oom(size);
	rounded = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	if (!c || c->size - c->used < rounded)
		c = arena_new_chunk(a, rounded);
	p = c->data + c->used;
	c->used += rounded;
	a->used_bytes += rounded;
	return p;
}

void *arena_alloc(struct arena *a, size_t size)
{
	return memset(arena_alloc_raw(a, size), 0, size ? size : 1);
}

void *arena_calloc(struct arena *a, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		arena_oom(SIZE_MAX);
	return arena_alloc(a, n * size);
}

/* A copy of the first old_size bytes in new_size bytes; the rest is left
 * uninitialized. */
static unsigned char *arena_grow_raw(struct arena *a, void *old,
				     size_t old_size, size_t new_size)
{
	unsigned char *p = arena_alloc_raw(a, new_size);

	if (old && old_size)
		memcpy(p, old, old_size < new_size ? old_size : new_size);
	return p;
}

void *arena_grow(struct arena *a, void *old, size_t old_size, size_t new_size)
{
	unsigned char *p = arena_grow_raw(a, old, old_size, new_size);
	size_t kept = old ? old_size : 0;

	if (kept < new_size)
		memset(p + kept, 0, new_size - kept);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc_raw(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	char *p;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		arena_oom(0);
	p = arena_alloc_raw(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

void *arena_push(struct arena *a, void *items_ptr, size_t *count, size_t *cap,
		 size_t elem_size)
{
	void **items = items_ptr;

	if (*count == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;

		/* no zeroing: every element is zeroed as it is pushed */
		*items = arena_grow_raw(a, *items, *count * elem_size,
					ncap * elem_size);
		*cap = ncap;
	}
	return memset((char *)*items + (*count)++ * elem_size, 0, elem_size);
}
