/* Unit tests of src/base: arena, strbuf, ip, strmap, diag, secret. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sodium.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/ip.h"
#include "base/secret.h"
#include "base/strbuf.h"
#include "base/strmap.h"
#include "base/suggest.h"

static void test_arena_push_grows_and_keeps_contents(void **state)
{
	struct arena a;
	int *items = NULL;
	size_t n = 0, cap = 0;

	(void)state;
	arena_init(&a);
	for (int i = 0; i < 100000; i++)
		*(int *)arena_push(&a, &items, &n, &cap, sizeof(int)) = i;
	assert_int_equal(n, 100000);
	for (int i = 0; i < 100000; i++)
		assert_int_equal(items[i], i);
	assert_string_equal(arena_printf(&a, "%s-%d", "x", 7), "x-7");
	arena_free(&a);
}

/* A push whose doubled capacity, in bytes, does not fit size_t fails
 * (out of memory, abort) instead of wrapping to a small block and
 * writing past it. */
static void test_arena_push_size_overflow_fails(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct arena a;
		void *items = NULL;
		size_t cap = (SIZE_MAX / 16) / 2 + 1, n = cap;

		close(2);	/* the report is not this test's output */
		arena_init(&a);
		arena_push(&a, &items, &n, &cap, 16);
		_exit(0);	/* wrapped: the bug */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

/* Recycled memory is handed out again; adopted memory lives on in the
 * adopting arena and is never handed out twice. */
static void test_arena_recycle_and_adopt(void **state)
{
	struct arena main_a, tree, side;
	char *t, *s, *m;

	(void)state;
	arena_init(&main_a);
	arena_init(&tree);
	arena_init(&side);
	t = arena_alloc(&tree, 100);
	memset(t, 'x', 100);
	arena_recycle(&main_a, &tree);
	assert_null(tree.head);
	m = arena_alloc(&main_a, 200);
	for (int i = 0; i < 200; i++)
		assert_int_equal(m[i], 0);	/* reused, zeroed again */
	s = arena_strdup(&side, "kept");
	arena_adopt(&main_a, &side);
	assert_null(side.head);
	for (int i = 0; i < 1000; i++)
		memset(arena_alloc(&main_a, 64), 'y', 64);
	assert_string_equal(s, "kept");
	arena_free(&main_a);
	arena_free(&tree);
	arena_free(&side);
}

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* arena_alloc clears only memory that was handed out before: mapped
 * chunks (from 256 KiB) start zeroed.  Memory used, recycled and handed
 * out again, in part or whole, straddling the used and the never used,
 * comes back zeroed. */
static void test_arena_alloc_zeroes_reused_mapped_memory(void **state)
{
	const size_t big = 512 * 1024;
	struct arena a, b;
	unsigned char *p;

	(void)state;
	arena_init(&a);
	arena_init(&b);
	p = arena_alloc(&a, big);		/* a chunk of its own */
	assert_true(all_zero(p, big));
	memset(p, 0xff, big / 2);		/* the first half written */
	assert_non_null(arena_strndup(&a, "abc", 3));	/* raw memory */
	arena_recycle(&b, &a);
	p = arena_alloc(&b, big / 4);		/* inside the written half */
	assert_true(all_zero(p, big / 4));
	memset(p, 0xee, big / 4);
	p = arena_alloc(&b, big / 2);		/* straddles written/unwritten */
	assert_true(all_zero(p, big / 2));
	memset(p, 0xdd, big / 2);
	arena_recycle(&a, &b);
	p = arena_alloc(&a, big);		/* all of it, all written */
	assert_true(all_zero(p, big));
	arena_free(&a);
	arena_free(&b);
}

/* Chunks from 2 MiB up are mapped in whole huge pages, aligned: sizes
 * just below, at and above a multiple of 2 MiB come back zeroed and
 * whole, and the small allocations of the shared chunks (which grow to
 * one huge page) are never handed out twice. */
static void test_arena_huge_chunks(void **state)
{
	static const size_t sizes[] = { (2 << 20) - 100, 2 << 20,
					(2 << 20) + 1, (5 << 20) + 3 };
	struct arena a;
	unsigned char *p[4];
	char *small[2000];

	(void)state;
	arena_init(&a);
	for (size_t i = 0; i < 4; i++) {
		p[i] = arena_alloc(&a, sizes[i]);
		assert_true(all_zero(p[i], sizes[i]));
		memset(p[i], (int)(i + 1), sizes[i]);
	}
	for (size_t i = 0; i < 2000; i++) {	/* 8 MB in 4 KiB pieces */
		small[i] = arena_alloc(&a, 4096);
		assert_true(all_zero((unsigned char *)small[i], 4096));
		memset(small[i], 0x5a, 4096);
		small[i][0] = (char)(i & 0x7f);
	}
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(p[i][sizes[i] - 1], i + 1);
	for (size_t i = 0; i < 2000; i++)
		assert_int_equal(small[i][0], (char)(i & 0x7f));
	arena_free(&a);
}

static void test_arena_big_allocation(void **state)
{
	struct arena a;
	char *small, *big;

	(void)state;
	arena_init(&a);
	small = arena_alloc(&a, 10);
	big = arena_alloc(&a, 1 << 20);
	memset(big, 1, 1 << 20);
	strcpy(small, "ok");
	assert_string_equal(small, "ok");
	arena_free(&a);
}

static void test_strbuf_json_escapes_control_bytes(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	strbuf_json_string(&sb, "a\"b\\c\n\x01");
	assert_string_equal(strbuf_str(&sb), "\"a\\\"b\\\\c\\n\\u0001\"");
	strbuf_free(&sb);
}

/* The JSON literal of s, byte by byte: the reference for the word-wise
 * scan of strbuf_json_string. */
static void json_reference(char *out, const char *s)
{
	*out++ = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			*out++ = '\\';
			*out++ = (char)*p;
		} else if (*p == '\n') {
			out += sprintf(out, "\\n");
		} else if (*p == '\t') {
			out += sprintf(out, "\\t");
		} else if (*p == '\r') {
			out += sprintf(out, "\\r");
		} else if (*p < 0x20) {
			out += sprintf(out, "\\u%04x", *p);
		} else {
			*out++ = (char)*p;
		}
	}
	*out++ = '"';
	*out = '\0';
}

/* strbuf_json_string scans 8 bytes at a time: every byte value, at every
 * offset of strings of 1 to 19 bytes (a word, a word and a tail, two
 * words and a tail), comes out as the byte-wise reference writes it. */
static void test_strbuf_json_string_every_byte_everywhere(void **state)
{
	char s[24], want[24 * 6 + 3];

	(void)state;
	for (size_t len = 1; len < 20; len++) {
		for (size_t at = 0; at < len; at++) {
			for (int c = 1; c < 256; c++) {
				struct strbuf sb = STRBUF_INIT;

				memset(s, 'a', len);
				s[len] = '\0';
				s[at] = (char)c;
				json_reference(want, s);
				strbuf_json_string(&sb, s);
				assert_string_equal(strbuf_str(&sb), want);
				strbuf_free(&sb);
			}
		}
	}
}

static void test_ip_parse_strict_v4(void **state)
{
	struct ip_addr a;
	const char *why;

	(void)state;
	assert_int_equal(ip_addr_parse("100.64.0.1", &a, &why), 0);
	assert_int_equal(a.family, IP_V4);
	assert_int_equal(ip_addr_parse("100.064.0.1", &a, &why), -1);
	assert_string_equal(why, "leading zero in an IPv4 octet");
	assert_int_equal(ip_addr_parse("1.2.3", &a, &why), -1);
	assert_int_equal(ip_addr_parse("1.2.3.256", &a, &why), -1);
	assert_int_equal(ip_addr_parse("fe80::1%eth0", &a, &why), -1);
	assert_string_equal(why, "zone ids are not allowed");
}

static void test_ip_prefix_edges(void **state)
{
	struct ip_prefix p;
	const char *why;
	char buf[IP_STRLEN];

	(void)state;
	assert_int_equal(ip_prefix_parse("0.0.0.0/0", &p, &why), 0);
	assert_int_equal(ip_prefix_parse("10.0.0.1/32", &p, &why), 0);
	assert_int_equal(ip_prefix_parse("10.0.0.0/33", &p, &why), -1);
	assert_string_equal(why, "prefix length must be 0-32");
	assert_int_equal(ip_prefix_parse("10.0.0.1/24", &p, &why), -1);
	assert_string_equal(why, "host bits set");
	assert_int_equal(ip_prefix_parse("10.0.0.0", &p, &why), -1);
	assert_string_equal(why, "missing /prefix-length");
	assert_int_equal(ip_prefix_parse("10.0.0.0/08", &p, &why), -1);
	assert_int_equal(ip_prefix_parse("fd00::/129", &p, &why), -1);
	assert_int_equal(ip_prefix_parse("fd00:1::/64", &p, &why), 0);
	assert_string_equal(ip_prefix_str(&p, buf), "fd00:1::/64");
}

/* The formatter must write exactly what inet_ntop writes: the text of an
 * address is part of every golden file and of the live-vs-plan diff.
 * Groups are drawn from {0, 0xffff, 1, random} so that zero runs of every
 * length and position, and the IPv4-mapped/compatible forms, all occur. */
static void test_ip_str_matches_inet_ntop(void **state)
{
	uint32_t seed = 12345;
	char want[IP_STRLEN], got[IP_STRLEN];

	(void)state;
	for (int round = 0; round < 200000; round++) {
		struct ip_addr a = { .family = round % 7 ? IP_V6 : IP_V4 };

		for (int g = 0; g < 8; g++) {
			unsigned v;

			seed = seed * 1103515245u + 12345u;
			switch (seed >> 28 & 3) {
			case 0:
			case 1:
				v = 0;
				break;
			case 2:
				v = seed >> 16 & 1 ? 0xffff : 1;
				break;
			default:
				v = (seed >> 8) & (seed >> 20 & 1 ? 0xffff : 0xf);
			}
			a.b[2 * g] = (uint8_t)(v >> 8);
			a.b[2 * g + 1] = (uint8_t)v;
		}
		inet_ntop(a.family == IP_V4 ? AF_INET : AF_INET6, a.b, want,
			  sizeof(want));
		assert_string_equal(ip_addr_str(&a, got), want);
	}
}

/* Stream mode passes full chunks on and writes the same bytes as a
 * buffer held whole, across chunk edges and with pieces larger than a
 * chunk; a failed write is reported by strbuf_write. */
static void test_strbuf_stream_writes_same_bytes(void **state)
{
	struct strbuf whole = STRBUF_INIT, stream = STRBUF_INIT;
	static char big[3 * STRBUF_STREAM_CHUNK];
	FILE *f = tmpfile(), *full;
	char *back;
	long size;

	(void)state;
	assert_non_null(f);
	memset(big, 'x', sizeof(big));
	strbuf_stream_to(&stream, f);
	for (int i = 0; i < 20000; i++) {
		struct strbuf *sb[2] = { &whole, &stream };

		for (int k = 0; k < 2; k++) {
			strbuf_put_uint(sb[k], (unsigned long)i * 7919);
			strbuf_json_string(sb[k], i % 3 ? "plain" : "q\"uo\nte");
			if (i % 5000 == 0)
				strbuf_add(sb[k], big, sizeof(big) - (size_t)i);
			strbuf_printf(sb[k], "%d\n", -i);
		}
	}
	assert_true(stream.cap < 4 * STRBUF_STREAM_CHUNK);
	assert_int_equal(strbuf_write(&stream, f), 0);
	size = ftell(f);
	assert_int_equal((size_t)size, whole.len);
	back = malloc((size_t)size);
	rewind(f);
	assert_int_equal(fread(back, 1, (size_t)size, f), (size_t)size);
	assert_memory_equal(back, whole.buf, whole.len);
	free(back);
	fclose(f);
	strbuf_free(&stream);

	full = fopen("/dev/full", "w");
	if (full) {
		struct strbuf sb = STRBUF_INIT;

		setvbuf(full, NULL, _IONBF, 0);
		strbuf_stream_to(&sb, full);
		strbuf_add(&sb, whole.buf, whole.len);
		assert_true(strbuf_write(&sb, full) < 0);
		strbuf_free(&sb);
		fclose(full);
	}
	strbuf_free(&whole);
}

static void test_ip_contains_and_overlap(void **state)
{
	struct ip_prefix net, sub, other;
	struct ip_addr a;
	const char *why;

	(void)state;
	ip_prefix_parse("100.64.0.0/24", &net, &why);
	ip_prefix_parse("100.64.0.128/25", &sub, &why);
	ip_prefix_parse("100.64.1.0/24", &other, &why);
	ip_addr_parse("100.64.0.77", &a, &why);
	assert_true(ip_prefix_contains(&net, &a));
	assert_false(ip_prefix_contains(&other, &a));
	assert_true(ip_prefix_overlap(&net, &sub));
	assert_true(ip_prefix_covers(&net, &sub));
	assert_false(ip_prefix_covers(&sub, &net));
	assert_false(ip_prefix_overlap(&net, &other));
	ip_addr_parse("::ffff:1.2.3.4", &a, &why);
	assert_true(ip_addr_is_v4_mapped(&a));
}

static void test_strmap_many_keys(void **state)
{
	struct arena a;
	struct strmap m;
	size_t v;

	(void)state;
	arena_init(&a);
	strmap_init(&m, &a);
	for (size_t i = 0; i < 5000; i++)
		assert_true(strmap_put(&m, arena_printf(&a, "node%zu", i), i));
	assert_false(strmap_put(&m, "node42", 1));
	for (size_t i = 0; i < 5000; i += 7) {
		assert_true(strmap_get(&m, arena_printf(&a, "node%zu", i), &v));
		assert_int_equal(v, i);
	}
	assert_false(strmap_get(&m, "nope", &v));
	arena_free(&a);
}

static void test_diags_sorted_by_position_and_deduplicated(void **state)
{
	struct arena a;
	struct diags d;

	(void)state;
	arena_init(&a);
	diags_init(&d, &a);
	diag_error(&d, ((struct loc){ "f", 9, 1 }), "late");
	diag_error(&d, ((struct loc){ "f", 2, 5 }), "early");
	diag_warn(&d, ((struct loc){ "f", 2, 1 }), "warn");
	diag_error(&d, ((struct loc){ "f", 2, 5 }), "early");
	diags_sort(&d);
	assert_int_equal(d.count, 3);
	assert_string_equal(d.items[0].msg, "warn");
	assert_string_equal(d.items[1].msg, "early");
	assert_string_equal(d.items[2].msg, "late");
	assert_int_equal(d.errors, 2);
	arena_free(&a);
}

static void test_diag_print_quotes_line_with_caret(void **state)
{
	struct arena a;
	struct diags d;
	struct source src = { "m.yaml", "a: 1\nbad: \x1b[31mx\n", 17 };
	struct diag_style style = { .show_source = true };
	char out[512] = "";
	FILE *f = fmemopen(out, sizeof(out), "w");

	(void)state;
	arena_init(&a);
	diags_init(&d, &a);
	diag_error(&d, ((struct loc){ "m.yaml", 2, 6 }), "odd \x1b value");
	diags_print(&d, f, &src, 1, &style);
	fclose(f);
	/* control bytes from the document never reach the terminal */
	assert_string_equal(out, "m.yaml:2:6: error: odd ? value\n"
				 "  bad: ?[31mx\n"
				 "       ^\n");
	arena_free(&a);
}

static void test_key_base64_roundtrip_and_public_key(void **state)
{
	/* test vector made with: wg genkey | tee k | wg pubkey */
	const char *priv = "aBefG/k4s/25BiNeCZ97jJCYO/4y6kZgvlmZDIi6WnE=";
	struct secret_key k;
	uint8_t pub[WG_KEY_LEN], raw[WG_KEY_LEN];
	char b64[WG_KEY_B64_LEN + 1];

	(void)state;
	assert_int_equal(secret_init(), 0);
	assert_int_equal(secret_key_from_base64(priv, strlen(priv), &k), 0);
	secret_key_public(&k, pub);
	secret_key_free(&k);
	key_to_base64(pub, b64);
	assert_string_equal(b64, "2m3nUZQ64sf8LfND1Jwtt6h8+JpKLqFdnteXSRWuI3A=");
	assert_true(key_from_base64(b64, raw));
	assert_memory_equal(raw, pub, WG_KEY_LEN);
	assert_false(key_from_base64("short=", raw));
	assert_false(key_from_base64("aBefG/k4s/25BiNeCZ97jJCYO/4y6kZgvlmZDIi6Wn!=", raw));
}

/* libsodium's decoder, the reference key_from_base64 must agree with. */
static bool sodium_decodes_key(const char *s, uint8_t out[WG_KEY_LEN])
{
	size_t len = 0;
	const char *end = NULL;

	if (strlen(s) != WG_KEY_B64_LEN)
		return false;
	return sodium_base642bin(out, WG_KEY_LEN, s, WG_KEY_B64_LEN, NULL,
				 &len, &end,
				 sodium_base64_VARIANT_ORIGINAL) == 0 &&
	       len == WG_KEY_LEN && end == s + WG_KEY_B64_LEN;
}

/* key_from_base64 is libsodium's decoder behind an alphabet check: it
 * must accept exactly what libsodium accepts, with the same bytes, for
 * random keys and for every one-character (ASCII) change of them, cut
 * short or made longer.  A byte from 0x80 up is refused, where libsodium
 * 1.0.18 reads it as '/' (so "\xc3\xa9" in place of two characters was
 * taken for "//"). */
static void test_key_from_base64_agrees_with_sodium(void **state)
{
	static const char chars[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789+/=-_ .!\x7f";
	uint8_t key[WG_KEY_LEN], ours[WG_KEY_LEN], theirs[WG_KEY_LEN];
	char b64[WG_KEY_B64_LEN + 2], m[WG_KEY_B64_LEN + 2];
	size_t accepted = 0, refused = 0;

	(void)state;
	assert_int_equal(secret_init(), 0);
	for (int round = 0; round < 64; round++) {
		randombytes_buf(key, sizeof(key));
		key_to_base64(key, b64);
		assert_true(key_from_base64(b64, ours));
		assert_memory_equal(ours, key, WG_KEY_LEN);
		for (size_t i = 0; i < WG_KEY_B64_LEN; i++) {
			for (size_t c = 0; c < sizeof(chars) - 1; c++) {
				bool a, b;

				memcpy(m, b64, sizeof(b64));
				m[i] = chars[c];
				a = key_from_base64(m, ours);
				b = sodium_decodes_key(m, theirs);
				assert_int_equal(a, b);
				if (a) {
					assert_memory_equal(ours, theirs,
							    WG_KEY_LEN);
					accepted++;
				} else {
					refused++;
				}
			}
		}
		memcpy(m, b64, sizeof(b64));
		m[round % (WG_KEY_B64_LEN - 1)] = (char)(0x80 + round);
		assert_false(key_from_base64(m, ours));
		memcpy(m, b64, sizeof(b64));
		m[WG_KEY_B64_LEN - 1] = '\0';	/* 43 characters */
		assert_false(key_from_base64(m, ours));
		memcpy(m, b64, sizeof(b64));
		m[WG_KEY_B64_LEN] = '=';	/* 45 characters */
		m[WG_KEY_B64_LEN + 1] = '\0';
		assert_false(key_from_base64(m, ours));
	}
	/* both outcomes were exercised (the 43rd character's spare bits) */
	assert_true(accepted > 0 && refused > 0);
}

static void fill(uint8_t *b, uint8_t first, uint8_t step)
{
	for (size_t i = 0; i < WG_KEY_LEN; i++)
		b[i] = (uint8_t)(first + step * i);
}

/* The fixture was computed outside meshc, with Python's hashlib:
 *   key = bytes(range(0x40, 0x60)); a = bytes([0x11] * 32)
 *   b = bytes([0x22] * 32)
 *   hashlib.blake2b(a + b, key=key, digest_size=32).hexdigest() */
static void test_psk_derive_is_keyed_blake2b_of_sorted_keys(void **state)
{
	static const char want_hex[] =
		"918b8272071e62c6826c03a20cdaf284d760dcb99078d85ad9acc5490fe7c87e";
	uint8_t a[WG_KEY_LEN], b[WG_KEY_LEN], c[WG_KEY_LEN];
	uint8_t ab[WG_KEY_LEN], ba[WG_KEY_LEN], ac[WG_KEY_LEN];
	uint8_t secret[WG_KEY_LEN], want[WG_KEY_LEN];
	struct secret_key k, k2;

	(void)state;
	assert_int_equal(secret_init(), 0);
	for (size_t i = 0; i < WG_KEY_LEN; i++)
		sscanf(want_hex + 2 * i, "%2hhx", &want[i]);
	fill(secret, 0x40, 1);
	fill(a, 0x11, 0);
	fill(b, 0x22, 0);
	fill(c, 0x10, 0);	/* sorts before a */
	assert_int_equal(secret_key_from_bytes(secret, &k), 0);
	psk_derive(&k, a, b, ab);
	psk_derive(&k, b, a, ba);
	assert_memory_equal(ab, want, WG_KEY_LEN);
	/* both ends of a pair derive the same key */
	assert_memory_equal(ba, want, WG_KEY_LEN);
	/* another pair, another key; the smaller key goes first there too */
	psk_derive(&k, a, c, ac);
	assert_memory_not_equal(ac, ab, WG_KEY_LEN);
	psk_derive(&k, c, a, ba);
	assert_memory_equal(ba, ac, WG_KEY_LEN);
	/* another secret, another key for the same pair */
	secret[0] ^= 1;
	assert_int_equal(secret_key_from_bytes(secret, &k2), 0);
	psk_derive(&k2, a, b, ba);
	assert_memory_not_equal(ba, ab, WG_KEY_LEN);
	secret_key_free(&k);
	secret_key_free(&k2);
}

/* Keys added one by one to a growing guarded block keep their values
 * (by index) across every move of the block. */
static void test_secret_keys_grow_and_keep(void **state)
{
	struct secret_keys s = { 0 };
	size_t idx;

	(void)state;
	assert_int_equal(secret_init(), 0);
	for (size_t i = 0; i < 100; i++) {
		assert_int_equal(secret_keys_add(&s, &idx), 0);
		assert_int_equal(idx, i);
		fill(secret_keys_at(&s, idx), (uint8_t)i, 3);
	}
	for (size_t i = 0; i < 100; i++) {
		uint8_t want[WG_KEY_LEN];

		fill(want, (uint8_t)i, 3);
		assert_memory_equal(secret_keys_at(&s, i), want, WG_KEY_LEN);
	}
	secret_keys_free(&s);
	assert_null(s.bytes);
	assert_int_equal(s.n, 0);
	assert_int_equal(secret_keys_add(&s, &idx), 0);	/* reusable */
	assert_int_equal(idx, 0);
	secret_keys_free(&s);
}

/* Each way a private key enters the process, in a child made dumpable
 * again: it is not dumpable (no core file, no same-user ptrace) once it
 * holds the key. */
enum key_entry { ENTRY_READ_FILE, ENTRY_FROM_BASE64, ENTRY_GENERATE };

static int child_loads_key(enum key_entry how, const char *path)
{
	static const char priv[] =
		"yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
	struct secret_key k;
	int rc = -1;

	/* An earlier test in the parent may have loaded a key already. */
	if (secret_init() || prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) ||
	    prctl(PR_GET_DUMPABLE) != 1)
		return 2;
	if (how == ENTRY_READ_FILE)
		rc = secret_key_read_file(path, &k);
	else if (how == ENTRY_FROM_BASE64)
		rc = secret_key_from_base64(priv, strlen(priv), &k);
	else
		rc = secret_key_generate(&k, true);
	if (rc)
		return 3;
	rc = prctl(PR_GET_DUMPABLE) == 0 ? 0 : 1;
	secret_key_free(&k);
	return rc;
}

static void test_key_loading_makes_process_undumpable(void **state)
{
	char path[] = "/tmp/meshc-test-key-XXXXXX";
	static const char key[] =
		"yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n";
	int fd = mkstemp(path), how, status;

	(void)state;
	assert_true(fd >= 0);	/* mkstemp: mode 0600, our own */
	assert_int_equal(write(fd, key, sizeof(key) - 1), sizeof(key) - 1);
	close(fd);
	for (how = ENTRY_READ_FILE; how <= ENTRY_GENERATE; how++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0)
			_exit(child_loads_key(how, path));
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	unlink(path);
}

/* One measure for every "did you mean": a swap is one edit, case does
 * not count, a third of the longer name may differ, a real shared prefix
 * wins when nothing is that close, and short names never suggest each
 * other. */
static void test_suggest_closest_name(void **state)
{
	static const char *const cmds[] = { "validate", "compile", "diff",
					     "apply", "export", "explain" };
	static const char *const keys[] = { "listen_port", "lan", "interface",
					    "network", "network6" };
	static const char *const one[] = { "a", "b", "q" };
	struct arena a;

	(void)state;
	arena_init(&a);
	assert_string_equal(suggest_among(&a, "vaildate", cmds, 6), "validate");
	assert_string_equal(suggest_among(&a, "VALIDATE", cmds, 6), "validate");
	assert_string_equal(suggest_among(&a, "expor", cmds, 6), "export");
	assert_string_equal(suggest_among(&a, "explian", cmds, 6), "explain");
	assert_null(suggest_among(&a, "frobnicate", cmds, 6));
	assert_string_equal(suggest_among(&a, "listen", keys, 5),
			    "listen_port");
	assert_string_equal(suggest_among(&a, "netwrk", keys, 5), "network");
	assert_string_equal(suggest_among(&a, "netwrk6", keys, 5),
			    "network6");
	assert_null(suggest_among(&a, "c", one, 3));
	assert_null(suggest_among(&a, "x", keys, 5));
	/* NULL names (an unnamed node) are skipped, not compared */
	assert_string_equal(suggest_among(&a, "lam",
					  (const char *const[]){ NULL, "lan" },
					  2),
			    "lan");
	arena_free(&a);
}

/* What is wrong with a key, for the message: nothing for a good key,
 * else the first thing a reader can fix. */
static void test_key_base64_problem_names_the_fault(void **state)
{
	static const char good[] =
		"7mgtuDbZ//ar2FSZQNrWG2p57HowsTguEDTNb3uYgQs=";
	char buf[160], k[64];

	(void)state;
	assert_null(key_base64_problem(good, buf, sizeof(buf)));
	snprintf(k, sizeof(k), "%.43s", good);
	assert_non_null(strstr(key_base64_problem(k, buf, sizeof(buf)),
			       "the final '=' is missing"));
	snprintf(k, sizeof(k), "%s=", good);
	assert_string_equal(key_base64_problem(k, buf, sizeof(buf)),
			    "it ends with 2 '=': a 32-byte key has exactly one");
	snprintf(k, sizeof(k), "%s", good);
	k[5] = '-';
	assert_string_equal(key_base64_problem(k, buf, sizeof(buf)),
			    "character 6 ('-') is not base64 (A-Z, a-z, 0-9, "
			    "+, /)");
	k[5] = '\n';
	assert_non_null(strstr(key_base64_problem(k, buf, sizeof(buf)),
			       "(byte 0x0a)"));
	snprintf(k, sizeof(k), "%s", good);
	k[42] = 't';
	assert_non_null(strstr(key_base64_problem(k, buf, sizeof(buf)),
			       "character 43 ('t') cannot end a 32-byte key"));
	/* every character a 32-byte key can end with decodes */
	for (const char *c = "AEIMQUYcgkosw048"; *c; c++) {
		k[42] = *c;
		assert_null(key_base64_problem(k, buf, sizeof(buf)));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arena_push_grows_and_keeps_contents),
		cmocka_unit_test(test_arena_big_allocation),
		cmocka_unit_test(test_arena_alloc_zeroes_reused_mapped_memory),
		cmocka_unit_test(test_arena_huge_chunks),
		cmocka_unit_test(test_arena_push_size_overflow_fails),
		cmocka_unit_test(test_arena_recycle_and_adopt),
		cmocka_unit_test(test_strbuf_json_escapes_control_bytes),
		cmocka_unit_test(test_strbuf_json_string_every_byte_everywhere),
		cmocka_unit_test(test_ip_parse_strict_v4),
		cmocka_unit_test(test_ip_prefix_edges),
		cmocka_unit_test(test_ip_str_matches_inet_ntop),
		cmocka_unit_test(test_strbuf_stream_writes_same_bytes),
		cmocka_unit_test(test_ip_contains_and_overlap),
		cmocka_unit_test(test_strmap_many_keys),
		cmocka_unit_test(test_suggest_closest_name),
		cmocka_unit_test(test_key_base64_problem_names_the_fault),
		cmocka_unit_test(test_diags_sorted_by_position_and_deduplicated),
		cmocka_unit_test(test_diag_print_quotes_line_with_caret),
		cmocka_unit_test(test_key_base64_roundtrip_and_public_key),
		cmocka_unit_test(test_key_from_base64_agrees_with_sodium),
		cmocka_unit_test(test_key_loading_makes_process_undumpable),
		cmocka_unit_test(test_psk_derive_is_keyed_blake2b_of_sorted_keys),
		cmocka_unit_test(test_secret_keys_grow_and_keep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
