#include "base/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

int secret_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

static bool is_base64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* libsodium decodes (the project's one base64 codec).  The alphabet is
 * checked first because libsodium 1.0.18 reads a byte from 0x80 up as
 * '/': a key whose first two characters had become one two-byte
 * character ("\xc3\xa9", still 44 bytes) loaded as another key. */
bool key_from_base64(const char *s, uint8_t out[WG_KEY_LEN])
{
	size_t len = 0;
	const char *end = NULL;

	if (strnlen(s, WG_KEY_B64_LEN + 1) != WG_KEY_B64_LEN ||
	    s[WG_KEY_B64_LEN - 1] != '=')
		return false;
	for (size_t i = 0; i < WG_KEY_B64_LEN - 1; i++)
		if (!is_base64_char(s[i]))
			return false;
	if (sodium_base642bin(out, WG_KEY_LEN, s, WG_KEY_B64_LEN, NULL, &len,
			      &end, sodium_base64_VARIANT_ORIGINAL) != 0)
		return false;
	return len == WG_KEY_LEN && end == s + WG_KEY_B64_LEN;
}

/* A character as it should be quoted in a message. */
static void char_text(char c, char *out, size_t size)
{
	if (c > ' ' && c < 0x7f && c != '\'')
		snprintf(out, size, "'%c'", c);
	else
		snprintf(out, size, "byte 0x%02x", (unsigned char)c);
}

const char *key_base64_problem(const char *s, char *buf, size_t size)
{
	/* 32 bytes are 43 base64 characters and one '=': the 43rd carries
	 * 2 bits of padding, which must be zero. */
	static const char last[] = "AEIMQUYcgkosw048";
	size_t len = strlen(s), i;
	char c[16];
	uint8_t key[WG_KEY_LEN];

	for (i = 0; i < len && is_base64_char(s[i]); i++)
		;
	if (i < len && s[i] != '=') {
		char_text(s[i], c, sizeof(c));
		snprintf(buf, size,
			 "character %zu (%s) is not base64 (A-Z, a-z, 0-9, "
			 "+, /)",
			 i + 1, c);
		return buf;
	}
	if (i < len && strspn(s + i, "=") != len - i) {
		snprintf(buf, size,
			 "'=' at character %zu: only the last of the 44 "
			 "characters is '='",
			 i + 1);
		return buf;
	}
	if (len - i > 1) {
		snprintf(buf, size,
			 "it ends with %zu '=': a 32-byte key has exactly one",
			 len - i);
		return buf;
	}
	if (len != WG_KEY_B64_LEN) {
		snprintf(buf, size,
			 "it has %zu characters; a WireGuard key has 44 (43 "
			 "and a final '=')%s",
			 len,
			 len == WG_KEY_B64_LEN - 1 && i == len
				 ? ": the final '=' is missing"
				 : "");
		return buf;
	}
	if (s[WG_KEY_B64_LEN - 1] != '=') {
		snprintf(buf, size, "it must end with '=' (it ends with '%c')",
			 s[WG_KEY_B64_LEN - 1]);
		return buf;
	}
	if (!strchr(last, s[WG_KEY_B64_LEN - 2])) {
		snprintf(buf, size,
			 "character 43 ('%c') cannot end a 32-byte key (its "
			 "last 2 bits must be zero): a character was lost or "
			 "changed in copying",
			 s[WG_KEY_B64_LEN - 2]);
		return buf;
	}
	if (!key_from_base64(s, key)) {
		snprintf(buf, size, "it does not decode to 32 bytes");
		return buf;
	}
	sodium_memzero(key, sizeof(key));
	return NULL;
}

void key_to_base64(const uint8_t key[WG_KEY_LEN], char out[WG_KEY_B64_LEN + 1])
{
	sodium_bin2base64(out, WG_KEY_B64_LEN + 1, key, WG_KEY_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
}

/* A core dump (or a same-user ptrace, or a read of /proc/PID/mem) would
 * copy the key out of its guarded memory: sodium_malloc's mlock keeps it
 * off swap, not out of a core file (MADV_DONTDUMP covers only the page
 * itself, not copies on the stack or in stdio buffers).  So from the first
 * key on, this process is not dumpable.  It is never made dumpable again:
 * copies may outlive the key.  Failures are ignored: there is nothing
 * better to do than to go on. */
static void secret_no_dump(void)
{
#ifdef __linux__
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#else
	struct rlimit none = { 0, 0 };

	(void)setrlimit(RLIMIT_CORE, &none);
#endif
}

/* Every private key or PSK is born here: generated, parsed or read. */
static int secret_alloc(struct secret_key *k)
{
	secret_no_dump();
	k->bytes = sodium_malloc(WG_KEY_LEN);
	return k->bytes ? 0 : -ENOMEM;
}

int secret_key_generate(struct secret_key *k, bool clamp)
{
	if (secret_alloc(k))
		return -ENOMEM;
	randombytes_buf(k->bytes, WG_KEY_LEN);
	if (clamp) {
		/* curve25519 clamping, as wg genkey does */
		k->bytes[0] &= 248;
		k->bytes[31] = (uint8_t)((k->bytes[31] & 127) | 64);
	}
	return 0;
}

int secret_key_from_base64(const char *s, size_t len, struct secret_key *k)
{
	size_t out_len = 0;
	const char *end = NULL;

	/* Trailing whitespace (a newline from a file or echo) is fine. */
	while (len && (s[len - 1] == '\n' || s[len - 1] == '\r' ||
		       s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len != WG_KEY_B64_LEN)
		return -EINVAL;
	if (secret_alloc(k))
		return -ENOMEM;
	if (sodium_base642bin(k->bytes, WG_KEY_LEN, s, len, NULL, &out_len,
			      &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    out_len != WG_KEY_LEN || end != s + len) {
		secret_key_free(k);
		return -EINVAL;
	}
	return 0;
}

int secret_key_read_file(const char *path, struct secret_key *k)
{
	struct stat st;
	char *buf;
	ssize_t n;
	int fd, err;

	k->bytes = NULL;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer (it is
	 * refused below, before anything is read) */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "meshc: %s: %s\n", path, strerror(errno));
		return err;
	}
	if (fstat(fd, &st) < 0) {
		err = -errno;
		fprintf(stderr, "meshc: %s: %s\n", path, strerror(errno));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "meshc: %s: not a regular file\n", path);
		err = -EINVAL;
		goto out_close;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		fprintf(stderr,
			"meshc: %s: key file is accessible by group/other "
			"(mode %04o); run: chmod 600 %s\n",
			path, (unsigned)(st.st_mode & 07777), path);
		err = -EPERM;
		goto out_close;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		fprintf(stderr,
			"meshc: %s: key file (mode %04o) is owned by uid "
			"%u, not by this user (uid %u) or root\n",
			path, (unsigned)(st.st_mode & 07777),
			(unsigned)st.st_uid, (unsigned)geteuid());
		err = -EPERM;
		goto out_close;
	}
	/* Read into guarded memory so the base64 text is wiped too. */
	secret_no_dump();
	buf = sodium_malloc(WG_KEY_B64_LEN + 3);
	if (!buf) {
		err = -ENOMEM;
		goto out_close;
	}
	n = read(fd, buf, WG_KEY_B64_LEN + 3);
	if (n < 0) {
		err = -errno;
		fprintf(stderr, "meshc: %s: %s\n", path, strerror(errno));
	} else if (secret_key_from_base64(buf, (size_t)n, k) != 0) {
		fprintf(stderr, "meshc: %s: not a base64 WireGuard key\n",
			path);
		err = -EINVAL;
	} else {
		err = 0;
	}
	sodium_free(buf);
out_close:
	close(fd);
	return err;
}

int secret_key_from_bytes(const uint8_t bytes[WG_KEY_LEN],
			  struct secret_key *k)
{
	if (secret_alloc(k))
		return -ENOMEM;
	memcpy(k->bytes, bytes, WG_KEY_LEN);
	return 0;
}

void secret_key_public(const struct secret_key *k, uint8_t pub[WG_KEY_LEN])
{
	crypto_scalarmult_curve25519_base(pub, k->bytes);
}

void secret_key_free(struct secret_key *k)
{
	if (k->bytes)
		sodium_free(k->bytes);	/* wipes before unmapping */
	k->bytes = NULL;
}

char *secret_key_to_base64(const struct secret_key *k)
{
	char *s = sodium_malloc(WG_KEY_B64_LEN + 1);

	if (s)
		sodium_bin2base64(s, WG_KEY_B64_LEN + 1, k->bytes, WG_KEY_LEN,
				  sodium_base64_VARIANT_ORIGINAL);
	return s;
}

void secret_string_free(char *s)
{
	if (s)
		sodium_free(s);
}

void secret_wipe(void *p, size_t len)
{
	if (p && len)
		sodium_memzero(p, len);
}

/* Doubling: 10,000 peers cost 14 moves of the block, not 10,000
 * allocations. */
int secret_keys_add(struct secret_keys *s, size_t *idx)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? 2 * s->cap : 16;
		uint8_t *nb;

		if (ncap > SIZE_MAX / WG_KEY_LEN)
			return -ENOMEM;
		secret_no_dump();
		nb = sodium_malloc(ncap * WG_KEY_LEN);
		if (!nb)
			return -ENOMEM;
		if (s->n)
			memcpy(nb, s->bytes, s->n * WG_KEY_LEN);
		if (s->bytes)
			sodium_free(s->bytes);	/* wipes the old copy */
		s->bytes = nb;
		s->cap = ncap;
	}
	sodium_memzero(s->bytes + s->n * WG_KEY_LEN, WG_KEY_LEN);
	*idx = s->n++;
	return 0;
}

uint8_t *secret_keys_at(const struct secret_keys *s, size_t idx)
{
	return s->bytes + idx * WG_KEY_LEN;
}

void secret_keys_free(struct secret_keys *s)
{
	if (s->bytes)
		sodium_free(s->bytes);
	s->bytes = NULL;
	s->n = s->cap = 0;
}

void psk_derive(const struct secret_key *secret, const uint8_t a[WG_KEY_LEN],
		const uint8_t b[WG_KEY_LEN], uint8_t out[WG_KEY_LEN])
{
	crypto_generichash_state st;
	bool a_first = memcmp(a, b, WG_KEY_LEN) <= 0;

	/* The keyed state holds the secret: it is wiped, not left on the
	 * stack. */
	crypto_generichash_init(&st, secret->bytes, WG_KEY_LEN, WG_KEY_LEN);
	crypto_generichash_update(&st, a_first ? a : b, WG_KEY_LEN);
	crypto_generichash_update(&st, a_first ? b : a, WG_KEY_LEN);
	crypto_generichash_final(&st, out, WG_KEY_LEN);
	sodium_memzero(&st, sizeof(st));
}
