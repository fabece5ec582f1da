/* arena.h - one allocation region per command run.
 *
 * The model, the plan and everything derived from a document live exactly as
 * long as the command that built them, so they are carved out of an arena and
 * released with one arena_free().  Allocation failure aborts: meshc cannot do
 * anything useful without memory and checking every small allocation would
 * bury the logic.
 */
#ifndef MESHC_BASE_ARENA_H
#define MESHC_BASE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
	size_t used_bytes;	/* total handed out, for resource accounting */
	size_t next_chunk;	/* size of the next shared chunk */
	struct arena_chunk *spare;	/* recycled chunks, reused first */
};

void arena_init(struct arena *a);
void arena_free(struct arena *a);
/* Hand all of `from`'s memory to `to` for reuse and leave `from` empty:
 * a stage's scratch data (the loader's YAML tree) ends where the next
 * stage starts allocating, and memory already paged in costs less than
 * new memory.  Nothing allocated from `from` may be used afterwards. */
void arena_recycle(struct arena *to, struct arena *from);
/* Make everything allocated from `from` part of `to` (it lives as long
 * as `to` now) and leave `from` empty: for data built in an arena of its
 * own, e.g. by another thread. */
void arena_adopt(struct arena *to, struct arena *from);

/* Zeroed memory, aligned for any object. */
void *arena_alloc(struct arena *a, size_t size);
/* n * size with overflow checking (aborts on overflow). */
void *arena_calloc(struct arena *a, size_t n, size_t size);
/* Grow an array allocated from this arena; old contents are copied. */
void *arena_grow(struct arena *a, void *old, size_t old_size, size_t new_size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap);

/* Append one element to an arena array that doubles as it grows.
 * (*items, *count, *cap) describe the array; returns the new slot, zeroed. */
void *arena_push(struct arena *a, void *items_ptr, size_t *count, size_t *cap,
		 size_t elem_size);

#endif
