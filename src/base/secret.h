/* secret.h - WireGuard keys with libsodium.
 *
 * Public keys are ordinary values.  Private and preshared keys only ever
 * live in sodium_malloc() memory (guard pages, mlock'd, wiped on free) and
 * are read from files whose owner and mode are checked first.
 */
#ifndef MESHC_BASE_SECRET_H
#define MESHC_BASE_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WG_KEY_LEN 32
#define WG_KEY_B64_LEN 44	/* without the NUL */

/* Must run once before any other function here; 0 or -1. */
int secret_init(void);

/* Decode exactly 44 characters of standard base64 into 32 bytes. */
bool key_from_base64(const char *s, uint8_t out[WG_KEY_LEN]);
/* Why s is not a base64 WireGuard key, in words for a message ("it has 43
 * characters; ...", "character 29 ('$') is not base64 ..."), written to
 * buf; NULL when it is one. */
const char *key_base64_problem(const char *s, char *buf, size_t size);
void key_to_base64(const uint8_t key[WG_KEY_LEN], char out[WG_KEY_B64_LEN + 1]);

struct secret_key {
	uint8_t *bytes;		/* WG_KEY_LEN bytes of sodium_malloc memory */
};

/* A new private key (random, clamped like `wg genkey`) or PSK. */
int secret_key_generate(struct secret_key *k, bool clamp);
/* Read a base64 key file: a private key, or the secret of a mesh's
 * preshared_key_file.  Refuses files that group/other may read or that
 * another user owns, symbolic links and anything but a regular file (the
 * reason, with path and mode, goes to stderr).  0 or -errno. */
int secret_key_read_file(const char *path, struct secret_key *k);
/* Parse a base64 private key from a buffer (e.g. stdin for `pubkey`). */
int secret_key_from_base64(const char *s, size_t len, struct secret_key *k);
void secret_key_public(const struct secret_key *k, uint8_t pub[WG_KEY_LEN]);
/* A copy of raw key bytes in guarded memory.  0 or -ENOMEM. */
int secret_key_from_bytes(const uint8_t bytes[WG_KEY_LEN],
			  struct secret_key *k);
void secret_key_free(struct secret_key *k);
/* The key as base64 in sodium_malloc memory; free with secret_string_free. */
char *secret_key_to_base64(const struct secret_key *k);
void secret_string_free(char *s);
/* Wipe memory that held key material (e.g. an output buffer). */
void secret_wipe(void *p, size_t len);

/* Many keys in one guarded allocation: a device may have 10,000 peers
 * with a preshared key each, and one sodium_malloc per key costs several
 * system calls.  Keys are addressed by index: growing moves the block. */
struct secret_keys {
	uint8_t *bytes;		/* cap * WG_KEY_LEN bytes of sodium_malloc
				 * memory, or NULL */
	size_t n, cap;
};

/* Room for one more key, zeroed; its index in *idx.  0 or -ENOMEM. */
int secret_keys_add(struct secret_keys *s, size_t *idx);
uint8_t *secret_keys_at(const struct secret_keys *s, size_t idx);
/* Wipe and release every key; *s is empty (and reusable) after. */
void secret_keys_free(struct secret_keys *s);

/* The preshared key of two nodes of a mesh whose `preshared_key_file`
 * holds `secret`: keyed BLAKE2b-256 (key: the secret; message: the two
 * public keys, the smaller first in memcmp order), so both ends derive
 * the same key without ever exchanging it.  a and b in either order. */
void psk_derive(const struct secret_key *secret, const uint8_t a[WG_KEY_LEN],
		const uint8_t b[WG_KEY_LEN], uint8_t out[WG_KEY_LEN]);

#endif
