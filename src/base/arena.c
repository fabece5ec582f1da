#include "base/arena.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Chunks are allocated on demand, each shared chunk twice the size of the
 * one before up to ARENA_CHUNK_MAX, so a run that builds a 10,000-node
 * model asks the kernel for memory a few dozen times, not thousands; big
 * requests get a chunk of their own.  Chunks from ARENA_MMAP_MIN up are
 * mapped with MAP_POPULATE: one call pages them in, where touching them
 * would take a page fault per 4 KiB (a fifth of a 10,000-peer compile);
 * from ARENA_HUGE_PAGE up, in huge pages where the kernel has them
 * (chunk_map), and the shared chunks stop growing at one huge page. */
#define ARENA_CHUNK_SIZE (64 * 1024)
#define ARENA_MMAP_MIN (256 * 1024)
#define ARENA_HUGE_PAGE (2 * 1024 * 1024)
/* Not max_align_t (16 on x86-64, for long double): meshc has no type
 * aligned beyond 8, and the 10,000s of small tree nodes and model
 * records would each waste 8 bytes.  Strings are not aligned at all. */
#define ARENA_ALIGN 8
_Static_assert(_Alignof(void *) <= ARENA_ALIGN &&
		       _Alignof(uint64_t) <= ARENA_ALIGN &&
		       _Alignof(double) <= ARENA_ALIGN,
	       "arena alignment");

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	size_t used;
	bool mapped;		/* mmap()ed, not malloc()ed */
	/* Everything from here on has never been handed out: in a mapped
	 * chunk it is still the kernel's zeroed memory, and arena_alloc
	 * need not clear it (the model of 10,000 nodes is 8.5 MB of it). */
	size_t fresh;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

/* The largest shared chunk fills one huge page, header included. */
#define ARENA_CHUNK_MAX (ARENA_HUGE_PAGE - sizeof(struct arena_chunk))

static void arena_oom(size_t size)
{
	fprintf(stderr, "meshc: out of memory (allocating %zu bytes)\n", size);
	abort();
}

void arena_init(struct arena *a)
{
	a->head = NULL;
	a->used_bytes = 0;
	a->next_chunk = ARENA_CHUNK_SIZE;
	a->spare = NULL;
}

static void chunk_release(struct arena_chunk *c)
{
	if (c->mapped)
		munmap(c, sizeof(*c) + c->size);
	else
		free(c);
}

static void chunk_list_release(struct arena_chunk *c)
{
	while (c) {
		struct arena_chunk *next = c->next;

		chunk_release(c);
		c = next;
	}
}

void arena_free(struct arena *a)
{
	chunk_list_release(a->head);
	chunk_list_release(a->spare);
	arena_init(a);
}

void arena_recycle(struct arena *to, struct arena *from)
{
#if defined(__SANITIZE_ADDRESS__)
	/* Sanitizer builds free instead, so that any use of the old data
	 * is a use after free that AddressSanitizer reports. */
	(void)to;
	arena_free(from);
#else
	struct arena_chunk *lists[2] = { from->head, from->spare };

	for (int i = 0; i < 2; i++) {
		struct arena_chunk *c = lists[i];

		while (c) {
			struct arena_chunk *next = c->next;

			c->used = 0;
			c->next = to->spare;
			to->spare = c;
			c = next;
		}
	}
	arena_init(from);
#endif
}

/* Chunks go behind to's head, whose free space stays in use. */
static void chunk_list_splice(struct arena_chunk **to_head,
			      struct arena_chunk *list)
{
	struct arena_chunk *tail = list;

	if (!list)
		return;
	while (tail->next)
		tail = tail->next;
	if (*to_head) {
		tail->next = (*to_head)->next;
		(*to_head)->next = list;
	} else {
		*to_head = list;
	}
}

void arena_adopt(struct arena *to, struct arena *from)
{
	chunk_list_splice(&to->head, from->head);
	chunk_list_splice(&to->spare, from->spare);
	to->used_bytes += from->used_bytes;
	arena_init(from);
}

/* A recycled chunk with room for `need`, taken off the spare list. */
static struct arena_chunk *spare_take(struct arena *a, size_t need)
{
	for (struct arena_chunk **pc = &a->spare; *pc; pc = &(*pc)->next) {
		struct arena_chunk *c = *pc;

		if (c->size >= need) {
			*pc = c->next;
			return c;
		}
	}
	return NULL;
}

/* Memory for a chunk of at least *size bytes (updated to what it got),
 * paged in.  From ARENA_HUGE_PAGE up it is whole, aligned 2 MiB pages asked
 * for as transparent huge pages: the kernel then clears and maps one 2 MiB
 * page where it would take 512 faults' worth of work, which was most of
 * the system time of a 10,000-node compile.  Where huge pages are not to
 * be had, the same memory comes in 4 KiB pages. */
static void *chunk_map(size_t *size)
{
	size_t len = sizeof(struct arena_chunk) + *size, map;
	unsigned char *p, *q;

	if (len < ARENA_HUGE_PAGE) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (p == MAP_FAILED)
			arena_oom(*size);
		return p;
	}
	if (len > SIZE_MAX - 2 * ARENA_HUGE_PAGE)
		arena_oom(*size);
	len = (len + ARENA_HUGE_PAGE - 1) & ~(size_t)(ARENA_HUGE_PAGE - 1);
	map = len + ARENA_HUGE_PAGE;	/* room to align */
	q = mmap(NULL, map, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q == MAP_FAILED)
		arena_oom(*size);
	p = (unsigned char *)(((uintptr_t)q + ARENA_HUGE_PAGE - 1) &
			      ~(uintptr_t)(ARENA_HUGE_PAGE - 1));
	if (p > q)
		munmap(q, (size_t)(p - q));
	if (q + map > p + len)
		munmap(p + len, (size_t)(q + map - (p + len)));
	(void)madvise(p, len, MADV_HUGEPAGE);
#ifdef MADV_POPULATE_WRITE
	(void)madvise(p, len, MADV_POPULATE_WRITE);
#endif
	*size = len - sizeof(struct arena_chunk);
	return p;
}

static struct arena_chunk *chunk_alloc(size_t size)
{
	struct arena_chunk *c;
	void *p;

	if (size > SIZE_MAX - sizeof(*c))
		arena_oom(size);
	if (sizeof(*c) + size < ARENA_MMAP_MIN) {
		c = malloc(sizeof(*c) + size);
		if (!c)
			arena_oom(size);
		c->mapped = false;
	} else {
		p = chunk_map(&size);
		c = p;
		c->mapped = true;
	}
	c->size = size;
	c->used = 0;
	c->fresh = c->mapped ? 0 : size;
	return c;
}

static struct arena_chunk *arena_new_chunk(struct arena *a, size_t need)
{
	struct arena_chunk *c;
	bool own;

	if (!a->next_chunk)	/* zero-initialized, never arena_init()ed */
		a->next_chunk = ARENA_CHUNK_SIZE;
	own = need > a->next_chunk;
	c = spare_take(a, need);
	if (c) {
		own = false;
	} else {
		c = chunk_alloc(own ? need : a->next_chunk);
		if (!own && a->next_chunk < ARENA_CHUNK_MAX)
			a->next_chunk = a->next_chunk * 2 < ARENA_CHUNK_MAX
						? a->next_chunk * 2
						: ARENA_CHUNK_MAX;
	}
	/* A dedicated big chunk goes behind the head so the head's free space
	 * stays usable for the small allocations that follow. */
	if (a->head && own) {
		c->next = a->head->next;
		a->head->next = c;
	} else {
		c->next = a->head;
		a->head = c;
	}
	return c;
}

/* Uninitialized memory at a multiple of align (1 or ARENA_ALIGN); *dirty
 * (when not NULL) says how many of its first bytes may be nonzero. */
static void *arena_alloc_at(struct arena *a, size_t size, size_t align,
			    size_t *dirty)
{
	struct arena_chunk *c = a->head;
	size_t start;
	void *p;

	if (size == 0)
		size = 1;
	if (size > SIZE_MAX - ARENA_ALIGN)
		arena_oom(size);
	start = c ? (c->used + align - 1) & ~(align - 1) : 0;
	if (!c || start > c->size || c->size - start < size) {
		c = arena_new_chunk(a, size);
		start = 0;
	}
	p = c->data + start;
	c->used = start + size;
	a->used_bytes += size;
	if (dirty)
		*dirty = start >= c->fresh ? 0
			 : c->fresh - start < size ? c->fresh - start : size;
	if (c->fresh < c->used)
		c->fresh = c->used;
	return p;
}

static void *arena_alloc_aligned(struct arena *a, size_t size, size_t align)
{
	return arena_alloc_at(a, size, align, NULL);
}

/* Uninitialized memory: for callers that overwrite it at once. */
static void *arena_alloc_raw(struct arena *a, size_t size)
{
	return arena_alloc_aligned(a, size, ARENA_ALIGN);
}

void *arena_alloc(struct arena *a, size_t size)
{
	size_t dirty;
	void *p = arena_alloc_at(a, size, ARENA_ALIGN, &dirty);

	return memset(p, 0, dirty);
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
	char *p = arena_alloc_aligned(a, n + 1, 1);

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
	p = arena_alloc_aligned(a, (size_t)n + 1, 1);
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

		/* a doubling or a byte size that wraps would hand out a
		 * small block and write past it */
		if (ncap < *cap || (elem_size && ncap > SIZE_MAX / elem_size))
			arena_oom(SIZE_MAX);

		/* no zeroing: every element is zeroed as it is pushed */
		*items = arena_grow_raw(a, *items, *count * elem_size,
					ncap * elem_size);
		*cap = ncap;
	}
	return memset((char *)*items + (*count)++ * elem_size, 0, elem_size);
}
