/* Unit tests of src/load: bytes -> model, with every refusal checked for
 * its exact message and position. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/secret.h"
#include "load/keys.h"
#include "load/load.h"
#include "model/model.h"

#define KEY1 "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
#define KEY2 "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
#define KEY3 "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="

/* Three lines every small document starts with; a node follows at
 * line 5 ("  a:") when a test appends NODE_A. */
#define HEAD "version: 1\nmeshes:\n  x: {network: 100.64.0.0/24}\nnodes:\n"
#define NODE_A "  a:\n    mesh: x\n    public_key: " KEY1 "\n"

struct t {
	struct arena a;
	struct diags d;
	struct source src;
	struct model *m;
};

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	arena_init(&t->a);
	diags_init(&t->d, &t->a);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	arena_free(&t->a);
	free(t);
	return 0;
}

/* Load a buffer (may hold NULs) as "t.yaml"; diagnostics sorted. */
static struct model *load_buf(struct t *t, const char *text, size_t len)
{
	t->src.name = "t.yaml";
	t->src.text = text;
	t->src.len = len;
	t->m = load_model(&t->a, &t->src, &t->d);
	diags_sort(&t->d);
	return t->m;
}

static struct model *load_str(struct t *t, const char *text)
{
	return load_buf(t, text, strlen(text));
}

static void print_diags(const struct t *t)
{
	for (size_t i = 0; i < t->d.count; i++)
		print_message("  diag %zu: %u:%u: %s\n", i,
			      t->d.items[i].loc.line, t->d.items[i].loc.col,
			      t->d.items[i].msg);
}

static void assert_diag(const struct t *t, size_t i, unsigned line,
			unsigned col, const char *msg)
{
	if (i >= t->d.count) {
		print_diags(t);
		fail_msg("no diagnostic %zu (have %zu)", i, t->d.count);
	}
	if (t->d.items[i].loc.line != line || t->d.items[i].loc.col != col ||
	    strcmp(t->d.items[i].msg, msg)) {
		print_diags(t);
		fail_msg("diagnostic %zu: want %u:%u: %s", i, line, col, msg);
	}
	assert_int_equal(t->d.items[i].level, DIAG_ERROR);
}

static void assert_only(const struct t *t, unsigned line, unsigned col,
			const char *msg)
{
	assert_diag(t, 0, line, col, msg);
	if (t->d.count != 1)
		print_diags(t);
	assert_int_equal(t->d.count, 1);
}

static void assert_clean(const struct t *t)
{
	if (t->d.count)
		print_diags(t);
	assert_int_equal(t->d.count, 0);
	assert_non_null(t->m);
}

static void assert_loc(struct loc l, unsigned line, unsigned col)
{
	assert_string_equal(l.file, "t.yaml");
	assert_int_equal(l.line, line);
	assert_int_equal(l.col, col);
}

/* ---- a valid document -------------------------------------------- */

static const char valid_doc[] =
	"version: 1\n"						/* 1 */
	"meshes:\n"						/* 2 */
	"  x:\n"						/* 3 */
	"    network: 100.64.0.0/24\n"				/* 4 */
	"    network6: fd64:0:0:1::/64\n"			/* 5 */
	"    listen_port: 51821\n"				/* 6 */
	"    interface: meshx\n"				/* 7 */
	"    defaults: {incoming: false}\n"			/* 8 */
	"  y:\n"						/* 9 */
	"    network: 100.64.1.0/24\n"				/* 10 */
	"nodes:\n"						/* 11 */
	"  a:\n"						/* 12 */
	"    mesh: x\n"						/* 13 */
	"    public_key: \"" KEY1 "\"\n"			/* 14 */
	"    address: 100.64.0.1\n"				/* 15 */
	"    address6: fd64:0:0:1::1\n"				/* 16 */
	"    endpoint: 198.51.100.10:51820\n"			/* 17 */
	"  b:\n"						/* 18 */
	"    mesh: x\n"						/* 19 */
	"    public_key: " KEY2 "\n"				/* 20 */
	"    endpoint: '[2001:db8::1]:443'\n"			/* 21 */
	"    platform: macos\n"					/* 22 */
	"    lan: [192.168.2.0/24, 'fd00:1::/64']\n"		/* 23 */
	"    uplink: eth0\n"					/* 24 */
	"    keepalive: 0\n"					/* 25 */
	"    private_key_file: /var/lib/k\n"			/* 26 */
	"    permissions:\n"					/* 27 */
	"      default: { incoming: true }\n"			/* 28 */
	"      peers:\n"					/* 29 */
	"        c: { routing: true, local_network: false }\n"	/* 30 */
	"  c:\n"						/* 31 */
	"    mesh: y\n"						/* 32 */
	"    public_key: " KEY3 "\n"				/* 33 */
	"    endpoint: vpn.example.com:51820\n"			/* 34 */
	"    exit_node: b\n"					/* 35 */
	"    lans_via: [b]\n"					/* 36 */
	"    listen_port: 1\n"					/* 37 */
	"    interface: wg-c\n"					/* 38 */
	"links:\n"						/* 39 */
	"  - [c, b]\n"						/* 40 */
	"tests:\n"						/* 41 */
	"  - { from: c, to: a, expect: deny }\n"		/* 42 */
	"  - { from: c, to: internet, expect: allow }\n";	/* 43 */

static void test_valid_document_values(void **state)
{
	struct t *t = *state;
	struct model *m = load_str(t, valid_doc);
	const struct m_mesh *x;
	const struct m_node *a, *b, *c;
	char buf[IP_STRLEN];
	uint8_t key[WG_KEY_LEN];
	size_t idx;

	assert_clean(t);
	assert_string_equal(m->file, "t.yaml");
	assert_true(m->version.set);
	assert_int_equal(m->version.v, 1);
	assert_int_equal(m->n_meshes, 2);
	assert_int_equal(m->n_nodes, 3);
	assert_true(m->meshes_set && m->nodes_set && m->links_set &&
		    m->tests_set);

	x = &m->meshes[0];
	assert_string_equal(x->name.v, "x");
	assert_true(x->name.set);
	assert_string_equal(ip_prefix_str(&x->network.v, buf),
			    "100.64.0.0/24");
	assert_string_equal(ip_prefix_str(&x->network6.v, buf),
			    "fd64:0:0:1::/64");
	assert_int_equal(x->listen_port.v, 51821);
	assert_string_equal(x->interface.v, "meshx");
	assert_true(x->defaults.set);
	assert_true(x->defaults.incoming.b.set);
	assert_false(x->defaults.incoming.b.v);
	assert_false(x->defaults.routing.set);
	assert_false(m->meshes[1].network6.set);

	a = &m->nodes[0];
	b = &m->nodes[1];
	c = &m->nodes[2];
	assert_string_equal(a->mesh.v, "x");
	assert_true(a->public_key.set);
	assert_string_equal(a->public_key.b64, KEY1);
	memset(key, 1, sizeof(key));
	assert_memory_equal(a->public_key.v, key, WG_KEY_LEN);
	assert_string_equal(ip_addr_str(&a->address.v, buf), "100.64.0.1");
	assert_false(a->address.derived);
	assert_string_equal(ip_addr_str(&a->address6.v, buf),
			    "fd64:0:0:1::1");
	assert_true(a->endpoint.host_is_ip);
	assert_string_equal(a->endpoint.host, "198.51.100.10");
	assert_string_equal(a->endpoint.text, "198.51.100.10:51820");
	assert_int_equal(a->endpoint.port, 51820);
	assert_false(a->platform.set);
	assert_int_equal(a->mesh_idx, MODEL_NONE);
	assert_int_equal(a->exit_idx, MODEL_NONE);

	assert_string_equal(b->endpoint.host, "2001:db8::1");
	assert_true(b->endpoint.host_is_ip);
	assert_int_equal(b->endpoint.ip.family, IP_V6);
	assert_int_equal(b->endpoint.port, 443);
	assert_int_equal(b->platform.v, PLATFORM_MACOS);
	assert_true(b->lan.set);
	assert_int_equal(b->lan.count, 2);
	assert_string_equal(ip_prefix_str(&b->lan.items[1].v, buf),
			    "fd00:1::/64");
	assert_string_equal(b->uplink.v, "eth0");
	assert_true(b->keepalive.set);
	assert_int_equal(b->keepalive.v, 0);
	assert_string_equal(b->private_key_file.v, "/var/lib/k");
	assert_true(b->permissions.set);
	assert_true(b->permissions.def.incoming.b.v);
	assert_true(b->permissions.grants_set);
	assert_int_equal(b->permissions.n_grants, 1);
	assert_string_equal(b->permissions.grants[0].peer.v, "c");
	assert_int_equal(b->permissions.grants[0].peer_idx, MODEL_NONE);
	assert_true(b->permissions.grants[0].flags.routing.v);
	assert_true(b->permissions.grants[0].flags.local_network.b.set);
	assert_false(b->permissions.grants[0].flags.local_network.b.v);
	assert_false(b->permissions.grants[0].flags.incoming.b.set);

	assert_false(c->endpoint.host_is_ip);
	assert_string_equal(c->endpoint.host, "vpn.example.com");
	assert_string_equal(c->exit_node.v, "b");
	assert_int_equal(c->lans_via.count, 1);
	assert_string_equal(c->lans_via.items[0].v, "b");
	assert_int_equal(c->lans_via.idx[0], MODEL_NONE);
	assert_int_equal(c->listen_port.v, 1);
	assert_string_equal(c->interface.v, "wg-c");

	assert_int_equal(m->n_links, 1);
	assert_string_equal(m->links[0].a.v, "c");
	assert_string_equal(m->links[0].b.v, "b");
	assert_int_equal(m->links[0].a_idx, MODEL_NONE);
	assert_int_equal(m->n_tests, 2);
	assert_false(m->tests[0].expect_allow);
	assert_true(m->tests[1].expect_allow);
	assert_string_equal(m->tests[1].to.v, "internet");

	assert_true(strmap_get(&m->node_index, "c", &idx));
	assert_int_equal(idx, 2);
	assert_true(strmap_get(&m->mesh_index, "y", &idx));
	assert_int_equal(idx, 1);
	assert_false(strmap_get(&m->node_index, "d", &idx));
}

static void test_valid_document_locs(void **state)
{
	struct t *t = *state;
	struct model *m = load_str(t, valid_doc);
	const struct m_node *b;

	assert_clean(t);
	assert_loc(m->loc, 1, 1);
	assert_loc(m->version.loc, 1, 10);
	assert_loc(m->meshes[0].name.loc, 3, 3);
	assert_loc(m->meshes[0].loc, 4, 5);	/* the mapping */
	assert_loc(m->meshes[0].network.loc, 4, 14);
	assert_loc(m->meshes[0].defaults.loc, 8, 15);
	assert_loc(m->meshes[0].defaults.incoming.b.loc, 8, 26);
	assert_loc(m->nodes[0].public_key.loc, 14, 17);
	b = &m->nodes[1];
	assert_loc(b->name.loc, 18, 3);
	assert_loc(b->endpoint.loc, 21, 15);
	assert_loc(b->lan.loc, 23, 10);
	assert_loc(b->lan.items[1].loc, 23, 27);
	assert_loc(b->permissions.loc, 28, 7);
	assert_loc(b->permissions.grants_loc, 30, 9);
	assert_loc(b->permissions.grants[0].peer.loc, 30, 9);
	assert_loc(b->permissions.grants[0].flags.loc, 30, 12);
	assert_loc(b->permissions.grants[0].flags.routing.loc, 30, 23);
	assert_loc(m->links[0].loc, 40, 5);
	assert_loc(m->links[0].b.loc, 40, 9);
	assert_loc(m->tests[1].loc, 43, 5);
	assert_loc(m->tests[1].expect.loc, 43, 38);
}

/* ---- reading ----------------------------------------------------- */

static void test_read_missing_file_says_why(void **state)
{
	struct t *t = *state;

	assert_int_equal(load_read_source(&t->a, "/nonexistent/mesh.yaml",
					  &t->src, &t->d),
			 -1);
	assert_int_equal(t->d.count, 1);
	assert_string_equal(t->d.items[0].loc.file, "/nonexistent/mesh.yaml");
	assert_int_equal(t->d.items[0].loc.line, 0);
	assert_string_equal(t->d.items[0].msg,
			    "cannot read: No such file or directory");
}

static char *write_temp(const char *text, size_t len)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_load.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static void test_read_file_and_stdin(void **state)
{
	struct t *t = *state;
	char *path = write_temp(HEAD, strlen(HEAD));
	int saved = dup(STDIN_FILENO), fd;

	assert_int_equal(load_read_source(&t->a, path, &t->src, &t->d), 0);
	assert_string_equal(t->src.name, path);
	assert_int_equal(t->src.len, strlen(HEAD));
	assert_memory_equal(t->src.text, HEAD, strlen(HEAD));

	fd = open(path, O_RDONLY);
	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, STDIN_FILENO);
	close(fd);
	assert_int_equal(load_read_source(&t->a, "-", &t->src, &t->d), 0);
	dup2(saved, STDIN_FILENO);
	close(saved);
	assert_string_equal(t->src.name, "<stdin>");
	assert_int_equal(t->src.len, strlen(HEAD));
	assert_int_equal(t->d.count, 0);
	unlink(path);
}

/* A regular file is read at the size fstat gives; one that says 0 but
 * has content (a /proc file) is still read whole, and standard input that
 * is a file read part way is read from where it stands, not rewound. */
static void test_read_regular_file_of_another_size(void **state)
{
	struct t *t = *state;
	char *path = write_temp(HEAD, strlen(HEAD));
	int saved = dup(STDIN_FILENO), fd;

	assert_int_equal(load_read_source(&t->a, "/proc/self/status", &t->src,
					  &t->d), 0);
	assert_true(t->src.len > 0);
	assert_true(t->src.len == strlen(t->src.text));
	assert_memory_equal(t->src.text, "Name:", 5);

	fd = open(path, O_RDONLY);
	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(lseek(fd, 3, SEEK_SET), 3);
	dup2(fd, STDIN_FILENO);
	close(fd);
	assert_int_equal(load_read_source(&t->a, "-", &t->src, &t->d), 0);
	dup2(saved, STDIN_FILENO);
	close(saved);
	assert_int_equal(t->src.len, strlen(HEAD) - 3);
	assert_memory_equal(t->src.text, HEAD + 3, strlen(HEAD) - 3);
	assert_int_equal(t->d.count, 0);
	unlink(path);
}

static void test_read_refuses_big_file_without_reading_it(void **state)
{
	struct t *t = *state;
	char *path = write_temp("", 0);

	/* Sparse: costs no disk, and the size alone must refuse it. */
	assert_int_equal(truncate(path, (off_t)LOAD_MAX_FILE_SIZE + 1), 0);
	assert_int_equal(load_read_source(&t->a, path, &t->src, &t->d), -1);
	assert_int_equal(t->d.count, 1);
	assert_int_equal(t->d.items[0].loc.line, 1);
	assert_int_equal(t->d.items[0].loc.col, 1);
	assert_string_equal(t->d.items[0].msg, "file is larger than 64 MiB");
	unlink(path);
}

/* A pipe that never ends: the reader must stop just past the limit. */
static void test_read_stdin_is_bounded(void **state)
{
	struct t *t = *state;
	int p[2], saved = dup(STDIN_FILENO), status;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static char zeros[65536];

		close(p[0]);
		signal(SIGPIPE, SIG_DFL);
		for (;;)
			if (write(p[1], zeros, sizeof(zeros)) < 0)
				_exit(0);
	}
	close(p[1]);
	dup2(p[0], STDIN_FILENO);
	close(p[0]);
	assert_int_equal(load_read_source(&t->a, "-", &t->src, &t->d), -1);
	dup2(saved, STDIN_FILENO);	/* closes the pipe: the writer ends */
	close(saved);
	waitpid(pid, &status, 0);
	assert_int_equal(t->d.count, 1);
	assert_string_equal(t->d.items[0].loc.file, "<stdin>");
	assert_string_equal(t->d.items[0].msg, "file is larger than 64 MiB");
}

/* ---- bytes before YAML ------------------------------------------- */

static void test_prescan_invalid_utf8(void **state)
{
	struct t *t = *state;
	static const char doc[] = "version: 1\nmeshes: {}\nnodes: {a\xff: 1}\n";

	assert_null(load_buf(t, doc, sizeof(doc) - 1));
	assert_only(t, 3, 10, "invalid UTF-8 byte 0xff");
}

static void test_prescan_overlong_and_surrogate(void **state)
{
	struct t *t = *state;
	static const char overlong[] = "a: \xc0\xaf\n";
	static const char surrogate[] = "ab: x\xed\xa0\x80\n";

	assert_null(load_buf(t, overlong, sizeof(overlong) - 1));
	assert_only(t, 1, 4, "invalid UTF-8 byte 0xc0");
	t->d.count = 0;
	assert_null(load_buf(t, surrogate, sizeof(surrogate) - 1));
	assert_only(t, 1, 6, "invalid UTF-8 byte 0xed");
}

static void test_prescan_nul_byte(void **state)
{
	struct t *t = *state;
	static const char doc[] = "version: 1\nmesh\0es: {}\n";

	assert_null(load_buf(t, doc, sizeof(doc) - 1));
	assert_only(t, 2, 5, "NUL byte in document");
}

static void test_prescan_bom_only_at_start(void **state)
{
	struct t *t = *state;
	static const char late[] = "version: 1\n  \xef\xbb\xbfx: 1\n";
	static const char first[] =
		"\xef\xbb\xbfversion: 2\nmeshes: {}\nnodes: {}\n";

	assert_null(load_buf(t, late, sizeof(late) - 1));
	assert_only(t, 2, 3,
		    "byte order mark is only allowed at the start of the "
		    "file");
	/* A leading BOM is accepted and is not counted in columns. */
	t->d.count = 0;
	load_buf(t, first, sizeof(first) - 1);
	assert_only(t, 1, 10,
		    "unsupported version 2; this meshc reads version 1");
}

static void test_prescan_control_character(void **state)
{
	struct t *t = *state;

	assert_null(load_str(t, "a: \"x\x1b[2J\"\n"));
	assert_only(t, 1, 6, "control character 0x1b is not allowed");
}

/* The prescan reads 8 bytes at a time where it can: a bad byte is found,
 * and placed, at every offset of a word and of the document's tail, in a
 * line of plain text around it; 0x7f and 0x1f sit at the edges of the
 * word test's ranges, 0x20 and 0x7e (accepted) just inside them. */
static void test_prescan_finds_a_bad_byte_anywhere(void **state)
{
	struct t *t = *state;
	static const unsigned char bad[] = { 0x00, 0x01, 0x1b, 0x1f, 0x7f };
	char doc[64], want[64];

	for (size_t k = 0; k < sizeof(bad); k++) {
		for (size_t at = 0; at < 40; at++) {
			size_t len = 41;

			memset(doc, 'x', sizeof(doc));
			memcpy(doc, "a: \"", 4);
			doc[len - 2] = '"';
			doc[len - 1] = '\n';
			doc[4 + at % 35] = (char)bad[k];
			if (bad[k])
				snprintf(want, sizeof(want),
					 "control character 0x%02x is not "
					 "allowed", bad[k]);
			else
				snprintf(want, sizeof(want),
					 "NUL byte in document");
			t->d.count = 0;
			assert_null(load_buf(t, doc, len - (at >= 35)));
			assert_only(t, 1, 5 + at % 35, want);
		}
	}
	/* the word test's edges: 0x20 and 0x7e pass, so do tab and CR */
	t->d.count = 0;
	load_str(t, "version: 1\nmeshes: {}\nnodes: {}\n# ~~~~~~~~~~~~\t\r\n"
		    "#~~~~~~~~~~ ~\n");
	assert_int_equal(t->d.count, 0);
}

static void test_columns_count_bytes(void **state)
{
	struct t *t = *state;

	/* é is two bytes: 'bad' starts at byte 26, character 24. */
	load_str(t, "version: 1\nmeshes: {\xc3\xa9\xc3\xa9: {network: bad}}\n"
		    "nodes: {}\n");
	assert_diag(t, 0, 2, 10,
		    "invalid mesh name '\xc3\xa9\xc3\xa9': use letters, "
		    "digits, '_', '.' and '-'");
	assert_diag(t, 1, 2, 26,
		    "'bad' is not a valid network: missing /prefix-length");
}

static void test_crlf_line_endings(void **state)
{
	struct t *t = *state;

	load_str(t, "version: 1\r\nmeshes:\r\n  x: {network: \"a\r\n"
		    "  \xc3\xa9\", network6: bad}\r\nnodes: {}\r\n");
	assert_diag(t, 0, 3, 16,
		    "'a \xc3\xa9' is not a valid network: missing "
		    "/prefix-length");
	assert_diag(t, 1, 4, 18,
		    "'bad' is not a valid network: missing /prefix-length");
	assert_int_equal(t->d.count, 2);
}

/* ---- the YAML subset --------------------------------------------- */

static void test_syntax_error_at_problem_mark(void **state)
{
	struct t *t = *state;

	/* an indentation slip: libyaml's words, and the line that broke
	 * it */
	assert_null(load_str(t, "version: 1\nmeshes:\n  x: 1\n y: 2\n"));
	assert_only(t, 4, 2,
		    "YAML syntax error (did not find expected key): line 4 is "
		    "indented 1 space, which lines up with no key above it "
		    "(they are at 0 or 2)");
}

/* No common cause found: libyaml's place and words as they are. */
static void test_syntax_error_without_a_known_cause(void **state)
{
	struct t *t = *state;

	assert_null(load_str(t, "version: 1\nmeshes: [a, b\nnodes: {}\n"));
	assert_only(t, 3, 6,
		    "YAML syntax error: did not find expected ',' or ']'");
}

static void test_one_document_only(void **state)
{
	struct t *t = *state;

	assert_non_null(load_str(t, HEAD NODE_A "---\nversion: 1\n"));
	assert_only(t, 8, 1, "only one document per file");
}

static void test_tags_are_refused(void **state)
{
	struct t *t = *state;

	load_str(t, HEAD "  a:\n    mesh: !!str x\n    public_key: !k " KEY1
		       "\n");
	assert_diag(t, 0, 6, 11, "tags are not allowed ('!!str')");
	assert_diag(t, 1, 7, 17, "tags are not allowed ('!k')");
	assert_int_equal(t->d.count, 2);
}

static void test_empty_and_non_mapping_documents(void **state)
{
	struct t *t = *state;
	static const char *const docs[] = { "", "---\n", "# only\n",
					    "- a\n", "just text\n" };

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		t->d.count = 0;
		assert_null(load_str(t, docs[i]));
		assert_only(t, 1, 1,
			    "document must be a mapping with version, meshes "
			    "and nodes");
	}
}

static void test_deep_nesting_is_refused(void **state)
{
	struct t *t = *state;
	size_t depth = 10000, i;
	char *doc = malloc(2 * depth + 16), *p = doc;

	assert_non_null(doc);
	p += sprintf(p, "a: ");
	for (i = 0; i < depth; i++)
		*p++ = '[';
	for (i = 0; i < depth; i++)
		*p++ = ']';
	*p++ = '\n';
	assert_null(load_buf(t, doc, (size_t)(p - doc)));
	/* The root mapping is level 1, so the 64th '[' is level 65. */
	assert_only(t, 1, 67, "nesting deeper than 64 levels");
	free(doc);
}

static void test_nesting_of_64_levels_is_fine(void **state)
{
	struct t *t = *state;
	char doc[256], *p = doc;

	p += sprintf(p, "a: ");
	for (int i = 0; i < 63; i++)
		*p++ = '[';
	for (int i = 0; i < 63; i++)
		*p++ = ']';
	strcpy(p, "\n");
	assert_non_null(load_str(t, doc));
	assert_diag(t, 0, 1, 1, "unknown key 'a' at top level");
	assert_int_equal(t->d.count, 4);	/* and the 3 missing keys */
}

static void test_long_scalar_is_refused(void **state)
{
	struct t *t = *state;
	size_t n = LOAD_MAX_SCALAR + 1;
	char *doc = malloc(n + 16);

	assert_non_null(doc);
	memcpy(doc, "a: ", 3);
	memset(doc + 3, 'x', n);
	assert_null(load_buf(t, doc, n + 3));
	assert_only(t, 1, 4, "scalar longer than 64 KiB");
	/* Exactly the limit is accepted. */
	t->d.count = 0;
	assert_non_null(load_buf(t, doc, n + 2));
	assert_diag(t, 0, 1, 1, "unknown key 'a' at top level");
	assert_int_equal(t->d.count, 4);
	free(doc);
}

/* 9^30 values if expanded: only O(1) accounting per alias finishes. */
static void test_alias_bomb_fails_fast(void **state)
{
	struct t *t = *state;
	char *doc = malloc(64 * 1024), *p = doc;

	assert_non_null(doc);
	p += sprintf(p, "l0: &l0 [x, x, x, x, x, x, x, x, x]\n");
	for (int i = 1; i <= 30; i++) {
		p += sprintf(p, "l%d: &l%d [", i, i);
		for (int j = 0; j < 9; j++)
			p += sprintf(p, "%s*l%d", j ? ", " : "", i - 1);
		p += sprintf(p, "]\n");
	}
	assert_null(load_buf(t, doc, (size_t)(p - doc)));
	/* l0..l6 expand to 10, 91, 820, ... 5,380,840 values: about 6
	 * million so far, and l7's first alias of l6 crosses 10 million. */
	assert_only(t, 8, 10,
		    "document expands to more than 10000000 values (alias "
		    "expansion)");
	free(doc);
}

static void test_aliases_are_shared_and_allowed(void **state)
{
	struct t *t = *state;
	struct model *m = load_str(
		t, HEAD NODE_A
		"    permissions:\n"				/* 8 */
		"      default: &r {routing: true}\n"		/* 9 */
		"      peers: {b: *r, c: *r}\n"			/* 10 */
		"    exit_node: &e b\n"				/* 11 */
		"    lans_via: [*e]\n");			/* 12 */
	const struct m_permissions *p;

	assert_clean(t);
	p = &m->nodes[0].permissions;
	assert_int_equal(p->n_grants, 2);
	assert_true(p->grants[1].flags.routing.v);
	/* Inside an aliased mapping, positions are the alias's: that is
	 * where this use of the values is written. */
	assert_loc(p->grants[1].flags.routing.loc, 10, 25);
	assert_loc(p->def.routing.loc, 9, 29);
	/* An alias to a scalar points at the alias. */
	assert_string_equal(m->nodes[0].lans_via.items[0].v, "b");
	assert_loc(m->nodes[0].lans_via.items[0].loc, 12, 16);
}

static void test_unknown_and_recursive_alias(void **state)
{
	struct t *t = *state;

	load_str(t, HEAD NODE_A "    exit_node: *nope\n"
			       "    lans_via: &l [a, *l]\n");
	assert_diag(t, 0, 8, 16, "unknown alias '*nope'");
	assert_diag(t, 1, 9, 22,
		    "alias '*l' is inside the node it refers to");
	assert_int_equal(t->d.count, 2);
}

static void test_nul_escape_in_string(void **state)
{
	struct t *t = *state;

	load_str(t, HEAD "  a:\n    mesh: \"x\\0y\"\n    public_key: " KEY1
		       "\n");
	assert_only(t, 6, 11, "NUL character in a string is not allowed");
	assert_false(t->m->nodes[0].mesh.set);
}

/* ---- keys -------------------------------------------------------- */

static void test_unknown_key_with_hint(void **state)
{
	struct t *t = *state;

	load_str(t, HEAD NODE_A "    adress: 100.64.0.1\n"
			       "    listen: 1\n"
			       "    colour: red\n"
			       "nodez: 1\n");
	assert_diag(t, 0, 8, 5,
		    "unknown key 'adress' in node 'a'; did you mean "
		    "'address'?");
	assert_diag(t, 1, 9, 5,
		    "unknown key 'listen' in node 'a'; did you mean "
		    "'listen_port'?");
	assert_diag(t, 2, 10, 5, "unknown key 'colour' in node 'a'");
	assert_diag(t, 3, 11, 1,
		    "unknown key 'nodez' at top level; did you mean 'nodes'?");
	assert_int_equal(t->d.count, 4);
}

static void test_unknown_key_names_its_place(void **state)
{
	struct t *t = *state;

	load_str(t, "version: 1\n"
		    "meshes:\n"
		    "  x: {network: 100.64.0.0/24, defaults: {routin: true},"
		    " weight: 1}\n"
		    "nodes:\n"
		    "  b:\n"
		    "    mesh: x\n"
		    "    public_key: " KEY1 "\n"
		    "    permissions:\n"
		    "      defualt: {}\n"
		    "      peers:\n"
		    "        c: {incomming: true}\n"
		    "tests:\n"
		    "  - {from: b, to: c, expect: deny, expected: deny}\n");
	assert_diag(t, 0, 3, 42,
		    "unknown key 'routin' in defaults of mesh 'x'; did you "
		    "mean 'routing'?");
	assert_diag(t, 1, 3, 57, "unknown key 'weight' in mesh 'x'");
	assert_diag(t, 2, 9, 7,
		    "unknown key 'defualt' in permissions of node 'b'; did "
		    "you mean 'default'?");
	assert_diag(t, 3, 11, 13,
		    "unknown key 'incomming' in permissions.peers.c of node "
		    "'b'; did you mean 'incoming'?");
	assert_diag(t, 4, 13, 36,
		    "unknown key 'expected' in test; did you mean 'expect'?");
	assert_int_equal(t->d.count, 5);
}

static void test_private_key_and_merge_key(void **state)
{
	struct t *t = *state;

	load_str(t, HEAD NODE_A "    private_key: abc\n"
			       "    <<: {address: 100.64.0.9}\n");
	assert_diag(t, 0, 8, 5,
		    "private_key is not allowed in the document: keep the key "
		    "in a file on the node and point private_key_file at it "
		    "(default /etc/meshc/private.key)");
	assert_diag(t, 1, 9, 5,
		    "merge keys (<<) are not supported; use the mesh's "
		    "defaults");
	assert_int_equal(t->d.count, 2);
}

/* preshared_key_file is the mesh's, a path kept with its place; the
 * loader never opens it (validate runs without secrets). */
static void test_mesh_preshared_key_file(void **state)
{
	struct t *t = *state;
	struct model *m = load_str(t,
		"version: 1\nmeshes:\n"
		"  x: {network: 100.64.0.0/24, "
		"preshared_key_file: /nonexistent/x.psk}\n"
		"  y: {network: 100.64.1.0/24}\n"
		"nodes:\n" NODE_A);

	assert_clean(t);
	assert_true(m->meshes[0].preshared_key_file.set);
	assert_string_equal(m->meshes[0].preshared_key_file.v,
			    "/nonexistent/x.psk");
	assert_loc(m->meshes[0].preshared_key_file.loc, 3, 51);
	assert_false(m->meshes[1].preshared_key_file.set);
}

/* The secret is never written into the document, and a node has no key
 * of its own: both refusals say where it belongs. */
static void test_preshared_key_refusals(void **state)
{
	struct t *t = *state;

	load_str(t, "version: 1\nmeshes:\n"
		    "  x: {network: 100.64.0.0/24, preshared_key: abc}\n"
		    "nodes:\n" NODE_A "    preshared_key_file: /a.psk\n");
	assert_diag(t, 0, 3, 31,
		    "preshared_key is not allowed in the document: keep the "
		    "secret in a file on the nodes (meshc genpsk > FILE, mode "
		    "0600) and point the mesh's preshared_key_file at it");
	assert_diag(t, 1, 8, 5,
		    "preshared_key_file belongs to the mesh, not to a node: "
		    "every pair of the mesh's nodes derives its key from that "
		    "one secret");
	assert_int_equal(t->d.count, 2);
}

static void test_duplicate_keys_at_second_occurrence(void **state)
{
	struct t *t = *state;
	struct model *m = load_str(
		t, "version: 1\n"				/* 1 */
		   "meshes:\n"					/* 2 */
		   "  x: {network: 100.64.0.0/24}\n"		/* 3 */
		   "  x: {network: 100.64.1.0/24}\n"		/* 4 */
		   "nodes:\n"					/* 5 */
		   "  a:\n"					/* 6 */
		   "    mesh: x\n"				/* 7 */
		   "    address: 100.64.0.1\n"			/* 8 */
		   "    public_key: " KEY1 "\n"		/* 9 */
		   "    address: 100.64.0.2\n"			/* 10 */
		   "    permissions: {peers: {b: {}, \"b\": {}}}\n"	/* 11 */
		   "  a: {}\n"					/* 12 */
		   "version: 1\n");				/* 13 */
	char buf[IP_STRLEN];

	assert_diag(t, 0, 4, 3, "duplicate key 'x' (first at line 3)");
	assert_diag(t, 1, 10, 5, "duplicate key 'address' (first at line 8)");
	assert_diag(t, 2, 11, 34, "duplicate key 'b' (first at line 11, column 27)");
	assert_diag(t, 3, 12, 3, "duplicate key 'a' (first at line 6)");
	assert_diag(t, 4, 13, 1, "duplicate key 'version' (first at line 1)");
	assert_int_equal(t->d.count, 5);
	/* The first occurrence is the one that counts. */
	assert_int_equal(m->n_meshes, 1);
	assert_int_equal(m->n_nodes, 1);
	assert_string_equal(ip_addr_str(&m->nodes[0].address.v, buf),
			    "100.64.0.1");
	assert_int_equal(m->nodes[0].permissions.n_grants, 1);
}

static void test_duplicate_in_a_big_mapping(void **state)
{
	struct t *t = *state;
	char *doc = malloc(1 << 20), *p = doc;
	int i;

	assert_non_null(doc);
	p += sprintf(p, "version: 1\nmeshes:\n  x: {network: 10.0.0.0/8}\n"
			"nodes:\n");
	for (i = 0; i < 2000; i++)
		p += sprintf(p, "  n%d: {mesh: x, public_key: %s}\n", i, KEY1);
	p += sprintf(p, "  n7: {mesh: x, public_key: %s}\n", KEY1);
	assert_non_null(load_buf(t, doc, (size_t)(p - doc)));
	assert_only(t, 2005, 3, "duplicate key 'n7' (first at line 12)");
	assert_int_equal(t->m->n_nodes, 2000);
	free(doc);
}

static void test_missing_required_keys(void **state)
{
	struct t *t = *state;

	load_str(t, "version: 1\n"
		    "meshes:\n"
		    "  x: {interface: wg0}\n"
		    "nodes:\n"
		    "  a: {mesh: x}\n"
		    "tests:\n"
		    "  - {from: a, to: b}\n");
	assert_diag(t, 0, 3, 6, "mesh 'x': missing required key 'network'");
	assert_diag(t, 1, 5, 6, "node 'a': missing required key 'public_key'");
	assert_diag(t, 2, 7, 5, "test: missing required key 'expect'");
	assert_int_equal(t->d.count, 3);

	t->d.count = 0;
	load_str(t, "version: 1\nmeshes: {}\n");
	assert_only(t, 1, 1, "missing required key 'nodes' at top level");
}

static void test_keys_must_be_scalars(void **state)
{
	struct t *t = *state;

	load_str(t, HEAD NODE_A "    ? [a]\n    : 1\n");
	assert_only(t, 8, 7, "mapping keys must be plain or quoted scalars");
}

/* ---- values ------------------------------------------------------ */

static void test_booleans_are_true_or_false_only(void **state)
{
	struct t *t = *state;

	load_str(t, HEAD "  a:\n    mesh: x\n    public_key: " KEY1 "\n"
		       "    permissions:\n"
		       "      default: {incoming: yes, routing: \"true\","
		       " local_network: maybe}\n"
		       "      peers:\n"
		       "        b: {incoming: True, routing: off,"
		       " local_network: 'no'}\n");
	assert_diag(t, 0, 9, 27,
		    "'yes' is not a boolean; write true or false (YAML 1.1 "
		    "booleans are not accepted)");
	assert_diag(t, 1, 9, 41,
		    "\"true\" is a quoted string; write true or false without "
		    "quotes");
	assert_diag(t, 2, 9, 64, "'maybe' is not a boolean; write true or false");
	assert_diag(t, 3, 11, 23,
		    "'True' is not a boolean; write true or false (YAML 1.1 "
		    "booleans are not accepted)");
	assert_diag(t, 4, 11, 38,
		    "'off' is not a boolean; write true or false (YAML 1.1 "
		    "booleans are not accepted)");
	assert_diag(t, 5, 11, 58, "'no' is not a boolean; write true or false");
	assert_int_equal(t->d.count, 6);
	assert_false(t->m->nodes[0].permissions.def.incoming.b.set);
}

static void test_norway_is_a_string_where_a_string_is_wanted(void **state)
{
	struct t *t = *state;
	struct model *m = load_str(
		t, "version: 1\nmeshes:\n  no: {network: 10.0.0.0/8}\n"
		   "nodes:\n  y: {mesh: no, public_key: " KEY1 "}\n");

	assert_clean(t);
	assert_string_equal(m->meshes[0].name.v, "no");
	assert_string_equal(m->nodes[0].name.v, "y");
	assert_string_equal(m->nodes[0].mesh.v, "no");
}

static void test_integers_are_plain_decimal(void **state)
{
	struct t *t = *state;

	load_str(t, "version: 1\n"
		    "meshes:\n"
		    "  a: {network: 10.0.0.0/24, listen_port: 0755}\n"
		    "  b: {network: 10.0.1.0/24, listen_port: 0x1f}\n"
		    "  c: {network: 10.0.2.0/24, listen_port: 1_000}\n"
		    "  d: {network: 10.0.3.0/24, listen_port: 51:820}\n"
		    "  e: {network: 10.0.4.0/24, listen_port: 1e3}\n"
		    "  f: {network: 10.0.5.0/24, listen_port: \"51820\"}\n"
		    "  g: {network: 10.0.6.0/24, listen_port: -1}\n"
		    "  h: {network: 10.0.7.0/24, listen_port: 70000}\n"
		    "  i: {network: 10.0.8.0/24, listen_port: 0}\n"
		    "  j: {network: 10.0.9.0/24, listen_port: "
		    "99999999999999999999999}\n"
		    "nodes: {}\n");
	assert_diag(t, 0, 3, 42,
		    "'0755' is not a decimal integer (leading zeros are not "
		    "allowed)");
	assert_diag(t, 1, 4, 42, "'0x1f' is not a decimal integer");
	assert_diag(t, 2, 5, 42, "'1_000' is not a decimal integer");
	assert_diag(t, 3, 6, 42, "'51:820' is not a decimal integer");
	assert_diag(t, 4, 7, 42, "'1e3' is not a decimal integer");
	assert_diag(t, 5, 8, 42,
		    "\"51820\" is a quoted string; write 51820 without quotes");
	assert_diag(t, 6, 9, 42, "listen_port -1 is out of range 1-65535");
	assert_diag(t, 7, 10, 42, "listen_port 70000 is out of range 1-65535");
	assert_diag(t, 8, 11, 42, "listen_port 0 is out of range 1-65535");
	assert_diag(t, 9, 12, 42,
		    "listen_port 99999999999999999999999 is out of range "
		    "1-65535");
	assert_int_equal(t->d.count, 10);
}

static void test_version_and_keepalive_ranges(void **state)
{
	struct t *t = *state;

	load_str(t, "version: 2\nmeshes: {}\nnodes:\n"
		    "  a: {mesh: x, public_key: " KEY1 ", keepalive: 65536}\n"
		    "  b: {mesh: x, public_key: " KEY2 ", keepalive: 0}\n");
	assert_diag(t, 0, 1, 10,
		    "unsupported version 2; this meshc reads version 1");
	assert_diag(t, 1, 4, 85, "keepalive 65536 is out of range 0-65535");
	assert_int_equal(t->d.count, 2);
	assert_false(t->m->version.set);
	assert_true(t->m->nodes[1].keepalive.set);
}

/* dns keeps the document's order (resolvers try servers in it) and each
 * entry's place; addresses and search domains are told apart as wg-quick
 * does; mtu is a plain number. */
static void test_dns_and_mtu_values(void **state)
{
	struct t *t = *state;
	struct model *m;
	const struct m_dns_list *d;
	char buf[IP_STRLEN];

	m = load_str(t, "version: 1\n"
			"meshes:\n"
			"  x:\n"
			"    network: 100.64.0.0/24\n"
			"    dns: [100.64.0.1, 'FD64::1', Corp.Example]\n"
			"    mtu: 1280\n"
			"nodes:\n"
			"  a:\n"
			"    mesh: x\n"
			"    public_key: " KEY1 "\n"
			"    dns:\n"
			"      - lan.example\n"
			"    mtu: 9000\n");
	assert_clean(t);
	d = &m->meshes[0].dns;
	assert_true(d->set);
	assert_int_equal(d->count, 3);
	assert_true(d->items[0].is_ip);
	assert_string_equal(ip_addr_str(&d->items[0].ip, buf), "100.64.0.1");
	assert_true(d->items[1].is_ip);
	assert_int_equal(d->items[1].ip.family, IP_V6);
	assert_string_equal(d->items[1].v, "FD64::1");
	assert_false(d->items[2].is_ip);
	assert_string_equal(d->items[2].v, "Corp.Example");
	assert_loc(d->loc, 5, 10);
	assert_loc(d->items[2].loc, 5, 34);
	assert_int_equal(m->meshes[0].mtu.v, 1280);
	assert_loc(m->meshes[0].mtu.loc, 6, 10);
	d = &m->nodes[0].dns;
	assert_int_equal(d->count, 1);
	assert_false(d->items[0].is_ip);
	assert_loc(d->items[0].loc, 12, 9);
	assert_int_equal(m->nodes[0].mtu.v, 9000);
}

/* Each refusal at the value, naming what is wrong and the rule. */
static void test_dns_and_mtu_refusals(void **state)
{
	struct t *t = *state;

	load_str(t, "version: 1\n"
		    "meshes:\n"
		    "  x: {network: 100.64.0.0/24, dns: [], mtu: 1279}\n"
		    "nodes:\n"
		    "  a:\n"
		    "    mesh: x\n"
		    "    public_key: " KEY1 "\n"
		    "    dns: [1.1.1.1, a-.example, 1.2.3, 'fd00::1%eth0',"
		    " '::ffff:1.1.1.1', 1.1.1.1]\n"
		    "    mtu: 9001\n"
		    "  b:\n"
		    "    mesh: x\n"
		    "    public_key: " KEY2 "\n"
		    "    dns:\n"
		    "      - " "abcdefghij" "abcdefghij" "abcdefghij" "abcdefghij"
		    "abcdefghij" "abcdefghij" "abcd.example\n"
		    "      - Ex.Org\n"
		    "      - ex.org\n"
		    "      - 2001:DB8::1\n"
		    "      - 2001:db8:0::1\n"
		    "    mtu: \"1400\"\n"
		    "  c: {mesh: x, public_key: " KEY3 ", dns: ex.org}\n");
	assert_diag(t, 0, 3, 36,
		    "dns is an empty list; leave the key out for none");
	assert_diag(t, 1, 3, 45, "mtu 1279 is out of range 1280-9000");
	assert_diag(t, 2, 8, 20,
		    "dns entry 'a-.example' is neither an IP address nor a "
		    "search domain (labels of letters, digits and '-', 1-63 "
		    "bytes each, not starting or ending with '-', 253 bytes in "
		    "all)");
	assert_diag(t, 3, 8, 32,
		    "'1.2.3' is not a valid address: not a valid IPv4 address");
	assert_diag(t, 4, 8, 39,
		    "'fd00::1%eth0' is not a valid address: zone ids are not "
		    "allowed");
	assert_diag(t, 5, 8, 55, "IPv4-mapped IPv6 addresses are not allowed");
	assert_diag(t, 6, 8, 73,
		    "duplicate dns entry '1.1.1.1' (first at line 8, column "
		    "11)");
	assert_diag(t, 7, 9, 10, "mtu 9001 is out of range 1280-9000");
	assert_int_equal(t->d.items[8].loc.line, 14);	/* a 64-byte label */
	assert_diag(t, 9, 16, 9,
		    "duplicate dns entry 'ex.org' (first at line 15)");
	assert_diag(t, 10, 18, 9,
		    "duplicate dns entry '2001:db8:0::1' (first at line 17)");
	assert_diag(t, 11, 19, 10,
		    "\"1400\" is a quoted string; write 1400 without quotes");
	assert_diag(t, 12, 20, 79, "'dns' must be a list, not a string");
	assert_int_equal(t->d.count, 13);
	assert_false(t->m->meshes[0].dns.set);
	assert_false(t->m->nodes[0].dns.set);
	assert_false(t->m->nodes[0].mtu.set);
}

/* The plain scalars YAML reads as null, and their near misses (which
 * are strings): ynode_is_null looks at the length first. */
static void test_null_spellings(void **state)
{
	struct t *t = *state;

	load_str(t, HEAD "  a: {mesh: null, public_key: " KEY1 "}\n"
		       "  b: {mesh: Null, public_key: " KEY1 "}\n"
		       "  c: {mesh: NULL, public_key: " KEY1 "}\n"
		       "  d: {mesh: ~, public_key: " KEY1 "}\n"
		       "  e: {mesh: nul, public_key: " KEY1 "}\n"
		       "  f: {mesh: nulls, public_key: " KEY1 "}\n"
		       "  g: {mesh: nULL, public_key: " KEY1 "}\n"
		       "  h: {mesh: ~~, public_key: " KEY1 "}\n"
		       "  i: {mesh: \"null\", public_key: " KEY1 "}\n");
	for (size_t i = 0; i < 4; i++)
		assert_false(t->m->nodes[i].mesh.set);
	for (size_t i = 4; i < 9; i++)
		assert_true(t->m->nodes[i].mesh.set);
	assert_string_equal(t->m->nodes[7].mesh.v, "~~");
	assert_string_equal(t->m->nodes[8].mesh.v, "null");
}

static void test_strings_missing_or_wrong_kind(void **state)
{
	struct t *t = *state;

	load_str(t, HEAD "  a: {mesh: , public_key: " KEY1 "}\n"
		       "  b: {mesh: ~, public_key: " KEY1 "}\n"
		       "  c: {mesh: \"\", public_key: " KEY1 "}\n"
		       "  d: {mesh: {x: 1}, public_key: " KEY1 "}\n"
		       "  e: {mesh: [x], public_key: " KEY1 "}\n"
		       "  f: x\n"
		       "  g:\n");
	assert_diag(t, 0, 5, 13, "missing value for 'mesh'");
	assert_diag(t, 1, 6, 13, "missing value for 'mesh'");
	assert_diag(t, 2, 7, 13, "missing value for 'mesh'");
	assert_diag(t, 3, 8, 13, "'mesh' must be a string, not a mapping");
	assert_diag(t, 4, 9, 13, "'mesh' must be a string, not a list");
	assert_diag(t, 5, 10, 6, "node 'f' must be a mapping, not a string");
	assert_diag(t, 6, 11, 5, "missing value for node 'g'");
	assert_int_equal(t->d.count, 7);
	assert_int_equal(t->m->n_nodes, 7);
}

static void test_node_and_mesh_names(void **state)
{
	struct t *t = *state;

	load_str(t, "version: 1\nmeshes:\n  x.y_z-1: {network: 10.0.0.0/8}\n"
		    "nodes:\n"
		    "  'a b': {mesh: x.y_z-1, public_key: " KEY1 "}\n"
		    "  -a: {mesh: x.y_z-1, public_key: " KEY1 "}\n"
		    "  10.0.0.1: {mesh: x.y_z-1, public_key: " KEY1 "}\n"
		    "  internet: {mesh: x.y_z-1, public_key: " KEY1 "}\n"
		    "  aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaa: {mesh: x.y_z-1, public_key: " KEY1 "}\n");
	assert_diag(t, 0, 5, 3,
		    "invalid node name 'a b': use letters, digits, '_', '.' "
		    "and '-'");
	assert_diag(t, 1, 6, 3,
		    "invalid node name '-a': must start with a letter or "
		    "digit");
	assert_diag(t, 2, 7, 3,
		    "invalid node name '10.0.0.1': an IP address cannot be a "
		    "name");
	assert_diag(t, 3, 8, 3,
		    "invalid node name 'internet': 'internet' is reserved for "
		    "tests");
	assert_diag(t, 4, 9, 3,
		    "invalid node name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaa': must be 1-63 bytes");
	assert_int_equal(t->d.count, 5);
	/* Kept (unset) so references to them do not cascade. */
	assert_int_equal(t->m->n_nodes, 5);
	assert_false(t->m->nodes[0].name.set);
	assert_true(t->m->meshes[0].name.set);
}

static void test_interface_names(void **state)
{
	struct t *t = *state;

	load_str(t, "version: 1\nmeshes:\n"
		    "  a: {network: 10.0.0.0/24, interface: meshc-very-long-name}\n"
		    "  b: {network: 10.0.1.0/24, interface: 'wg/0'}\n"
		    "  c: {network: 10.0.2.0/24, interface: '..'}\n"
		    "  d: {network: 10.0.3.0/24, interface: abcdefghijklmno}\n"
		    "nodes: {}\n");
	assert_diag(t, 0, 3, 40,
		    "interface name 'meshc-very-long-name' is longer than 15 "
		    "bytes");
	assert_diag(t, 1, 4, 40,
		    "interface name 'wg/0' must not contain '/', ':' or "
		    "whitespace");
	assert_diag(t, 2, 5, 40, "interface name '..' is not allowed");
	assert_int_equal(t->d.count, 3);
	assert_string_equal(t->m->meshes[3].interface.v, "abcdefghijklmno");
}

static void test_public_key_format(void **state)
{
	struct t *t = *state;

	load_str(t, HEAD "  a: {mesh: x, public_key: abc}\n"
		       "  b: {mesh: x, public_key: "
		       "\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQF=\"}\n");
	assert_diag(t, 0, 5, 28,
		    "public_key is not a base64 WireGuard key: it has 3 "
		    "characters; a WireGuard key has 44 (43 and a final '=')");
	assert_diag(t, 1, 6, 28,
		    "public_key is not a base64 WireGuard key: character 43 "
		    "('F') cannot end a 32-byte key (its last 2 bits must be "
		    "zero): a character was lost or changed in copying");
	assert_int_equal(t->d.count, 2);
	assert_false(t->m->nodes[0].public_key.set);
}

static void test_networks(void **state)
{
	struct t *t = *state;

	load_str(t, "version: 1\nmeshes:\n"
		    "  a: {network: 10.0.0.1/24}\n"
		    "  b: {network: 'fd00::/8'}\n"
		    "  c: {network: 10.0.2.0/24, network6: 10.1.0.0/16}\n"
		    "  d: {network: 10.0.3.0/24, network6: '::ffff:0:0/96'}\n"
		    "  e: {network: 10.0.4.0}\n"
		    "nodes:\n"
		    "  n: {mesh: a, public_key: " KEY1 ", lan: [10.9.0.0/16,"
		    " 'fd01::/64', '::ffff:10.0.0.0/104', 300.0.0.0/8]}\n");
	assert_diag(t, 0, 3, 16,
		    "'10.0.0.1/24' is not a valid network: host bits set; did "
		    "you mean 10.0.0.0/24?");
	assert_diag(t, 1, 4, 16, "network must be an IPv4 CIDR");
	assert_diag(t, 2, 5, 39, "network6 must be an IPv6 CIDR");
	assert_diag(t, 3, 6, 39, "IPv4-mapped IPv6 networks are not allowed");
	assert_diag(t, 4, 7, 16,
		    "'10.0.4.0' is not a valid network: missing "
		    "/prefix-length");
	assert_diag(t, 5, 9, 106, "IPv4-mapped IPv6 networks are not allowed");
	assert_diag(t, 6, 9, 129,
		    "'300.0.0.0/8' is not a valid network: not a valid IPv4 "
		    "address");
	assert_int_equal(t->d.count, 7);
	assert_int_equal(t->m->nodes[0].lan.count, 2);
	assert_false(t->m->nodes[0].lan.set);
}

static void test_addresses(void **state)
{
	struct t *t = *state;

	load_str(t, HEAD
		 "  a: {mesh: x, public_key: " KEY1 ", address: 100.64.0.1/32}\n"
		 "  b: {mesh: x, public_key: " KEY1 ", address: 'fd00::1'}\n"
		 "  c: {mesh: x, public_key: " KEY1 ", address6: 100.64.0.3}\n"
		 "  d: {mesh: x, public_key: " KEY1 ", address: 100.64.0.04}\n");
	assert_diag(t, 0, 5, 83, "address takes a plain address, not a CIDR");
	assert_diag(t, 1, 6, 83, "address must be an IPv4 address");
	assert_diag(t, 2, 7, 84, "address6 must be an IPv6 address");
	assert_diag(t, 3, 8, 83,
		    "'100.64.0.04' is not a valid address: leading zero in an "
		    "IPv4 octet");
	assert_int_equal(t->d.count, 4);
}

static void test_endpoints(void **state)
{
	struct t *t = *state;
	static const char *const bad[][2] = {
		{ "fe80::1:51820",
		  "IPv6 endpoint must be written [addr]:port" },
		{ "'[fe80::1:51820'", "endpoint '[fe80::1:51820' has '[' "
				      "without ']'" },
		{ "'[10.0.0.1]:1'", "'10.0.0.1' in brackets is not an IPv6 "
				    "address" },
		{ "'[fd00::1]'", "endpoint '[fd00::1]' must be written "
				 "[addr]:port" },
		{ "host.example.com", "endpoint 'host.example.com' has no "
				      "port; write host:port" },
		{ "host:0", "endpoint port '0' must be a decimal number "
			    "1-65535" },
		{ "host:65536", "endpoint port '65536' must be a decimal "
				"number 1-65535" },
		{ "host:051820", "endpoint port '051820' must be a decimal "
				 "number 1-65535" },
		{ "'host:'", "endpoint port '' must be a decimal number "
			   "1-65535" },
		{ "-bad.example:1", "endpoint host '-bad.example' is not a "
				    "valid DNS name or IPv4 address" },
		{ "a..b:1", "endpoint host 'a..b' is not a valid DNS name or "
			    "IPv4 address" },
		{ "1.2.3.256:1", "endpoint host '1.2.3.256' is not a valid "
				 "DNS name or IPv4 address" },
		{ "under_score.example:1", "endpoint host "
					   "'under_score.example' is not a "
					   "valid DNS name or IPv4 address" },
	};
	char doc[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t->d.count = 0;
		snprintf(doc, sizeof(doc),
			 HEAD "  a: {mesh: x, public_key: " KEY1
			      ", endpoint: %s}\n",
			 bad[i][0]);
		load_str(t, doc);
		assert_only(t, 5, 84, bad[i][1]);
		assert_false(t->m->nodes[0].endpoint.set);
	}
	t->d.count = 0;
	load_str(t, HEAD "  a: {mesh: x, public_key: " KEY1
		       ", endpoint: my-host:65535}\n");
	assert_clean(t);
	assert_string_equal(t->m->nodes[0].endpoint.host, "my-host");
	assert_int_equal(t->m->nodes[0].endpoint.port, 65535);
	assert_false(t->m->nodes[0].endpoint.host_is_ip);
}

static void test_platforms(void **state)
{
	struct t *t = *state;

	load_str(t, HEAD "  a: {mesh: x, public_key: " KEY1 ", platform: bsd}\n"
		       "  b: {mesh: x, public_key: " KEY1
		       ", platform: android}\n");
	assert_only(t, 5, 84,
		    "unknown platform 'bsd'; expected linux, macos, windows, "
		    "ios or android");
	assert_true(t->m->nodes[1].platform.set);
	assert_int_equal(t->m->nodes[1].platform.v, PLATFORM_ANDROID);
}

static void test_links_shape(void **state)
{
	struct t *t = *state;

	load_str(t, HEAD NODE_A
		 "links:\n"
		 "  - [a, b, c]\n"
		 "  - [a]\n"
		 "  - a\n"
		 "  - [a, {b: 1}]\n"
		 "  - [a, ~]\n"
		 "  - {a: b}\n"
		 "  - [b, a]\n");
	for (size_t i = 0; i < 6; i++)
		assert_diag(t, i, 9 + (unsigned)i, 5,
			    "a link is a list of two node names, like [c, b]");
	assert_int_equal(t->d.count, 6);
	assert_int_equal(t->m->n_links, 1);
	assert_string_equal(t->m->links[0].a.v, "b");

	t->d.count = 0;
	load_str(t, HEAD NODE_A "links: {a: b}\n");
	assert_only(t, 8, 8, "'links' must be a list, not a mapping");
}

static void test_tests_entries(void **state)
{
	struct t *t = *state;

	load_str(t, HEAD NODE_A
		 "tests:\n"
		 "  - {from: a, to: 'lan:a', expect: allow}\n"
		 "  - {from: a, to: a, expect: maybe}\n"
		 "  - [a, a]\n"
		 "  -\n");
	assert_diag(t, 0, 10, 30, "expect must be allow or deny, not 'maybe'");
	assert_diag(t, 1, 11, 5, "test must be a mapping, not a list");
	assert_diag(t, 2, 12, 4, "missing value for test");
	assert_int_equal(t->d.count, 3);
	assert_int_equal(t->m->n_tests, 2);
	assert_true(t->m->tests[0].expect_allow);
	assert_string_equal(t->m->tests[0].to.v, "lan:a");
	assert_false(t->m->tests[1].expect.set);
}

static void test_lists_and_mappings_of_wrong_kind(void **state)
{
	struct t *t = *state;

	load_str(t, HEAD NODE_A
		 "    lan: 10.0.0.0/8\n"
		 "    lans_via: [b, [c]]\n"
		 "    permissions: [b]\n"
		 "  b:\n"
		 "    mesh: x\n"
		 "    public_key: " KEY2 "\n"
		 "    permissions:\n"
		 "      default: true\n"
		 "      peers: [a]\n"
		 "meshes2: 1\n");
	assert_diag(t, 0, 8, 10, "'lan' must be a list, not a string");
	assert_diag(t, 1, 9, 19,
		    "an item of 'lans_via' must be a string, not a list");
	assert_diag(t, 2, 10, 18, "'permissions' must be a mapping, not a list");
	assert_diag(t, 3, 15, 16, "'default' must be a mapping, not a string");
	assert_diag(t, 4, 16, 14, "'peers' must be a mapping, not a list");
	assert_diag(t, 5, 17, 1,
		    "unknown key 'meshes2' at top level; did you mean "
		    "'meshes'?");
	assert_int_equal(t->d.count, 6);
}

static void test_every_error_in_one_run(void **state)
{
	struct t *t = *state;

	load_str(t, "version: 01\n"
		    "meshes:\n"
		    "  x: {network: 10.0.0.1/24, listen_port: 0x1f}\n"
		    "nodes:\n"
		    "  a: {mesh: x, public_key: abc, platform: bsd,"
		    " endpoint: 'h:0', keepalive: yes}\n"
		    "links: [[a]]\n"
		    "tests: [{from: a}]\n");
	assert_int_equal(t->d.count, 10);
	assert_non_null(t->m);
}

/* ---- the key table ----------------------------------------------- */

static void test_keys_table_covers_every_context(void **state)
{
	size_t total = 0, n, all, i, j;
	const struct key_info *keys = keys_all(&all);

	(void)state;
	for (int c = 0; c < KC__COUNT; c++) {
		const struct key_info *k = keys_for_context(c, &n);

		assert_true(n > 0 && n <= 64);
		for (i = 0; i < n; i++) {
			assert_int_equal(k[i].context, c);
			assert_true(k[i].summary && *k[i].summary);
			assert_ptr_equal(key_find(c, k[i].name), &k[i]);
			for (j = 0; j < i; j++)
				assert_string_not_equal(k[i].name, k[j].name);
		}
		total += n;
	}
	/* Each context's rows are together: the slices cover the table. */
	assert_int_equal(total, all);
	assert_int_equal(all, 44);
	assert_string_equal(keys[0].name, "version");
	assert_int_equal(keys[0].type, KT_VERSION);
	assert_true(keys[0].required);
}

static void test_keys_lookup_and_names(void **state)
{
	const struct key_info *k = key_find(KC_NODE, "public_key");

	(void)state;
	assert_non_null(k);
	assert_int_equal(k->type, KT_PUBKEY);
	assert_true(k->required);
	assert_int_equal(k->offset, offsetof(struct m_node, public_key));
	k = key_find(KC_PERMISSIONS, "default");
	assert_non_null(k);
	assert_int_equal(k->offset, offsetof(struct m_permissions, def));
	assert_null(key_find(KC_NODE, "private_key"));
	assert_null(key_find(KC_MESH, "public_key"));
	assert_string_equal(key_context_name(KC_TOP), "top");
	assert_string_equal(key_context_name(KC_PERMISSIONS), "permissions");
	assert_string_equal(key_type_name(KT_CIDR_LIST), "CIDR_LIST");
	assert_string_equal(key_type_name(KT_VERDICT), "VERDICT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_valid_document_values),
		T(test_valid_document_locs),
		T(test_read_missing_file_says_why),
		T(test_read_file_and_stdin),
		T(test_read_regular_file_of_another_size),
		T(test_read_refuses_big_file_without_reading_it),
		T(test_read_stdin_is_bounded),
		T(test_prescan_invalid_utf8),
		T(test_prescan_overlong_and_surrogate),
		T(test_prescan_nul_byte),
		T(test_prescan_bom_only_at_start),
		T(test_prescan_finds_a_bad_byte_anywhere),
		T(test_prescan_control_character),
		T(test_columns_count_bytes),
		T(test_crlf_line_endings),
		T(test_syntax_error_at_problem_mark),
		T(test_syntax_error_without_a_known_cause),
		T(test_one_document_only),
		T(test_tags_are_refused),
		T(test_empty_and_non_mapping_documents),
		T(test_deep_nesting_is_refused),
		T(test_nesting_of_64_levels_is_fine),
		T(test_long_scalar_is_refused),
		T(test_alias_bomb_fails_fast),
		T(test_aliases_are_shared_and_allowed),
		T(test_unknown_and_recursive_alias),
		T(test_nul_escape_in_string),
		T(test_unknown_key_with_hint),
		T(test_unknown_key_names_its_place),
		T(test_private_key_and_merge_key),
		T(test_mesh_preshared_key_file),
		T(test_preshared_key_refusals),
		T(test_duplicate_keys_at_second_occurrence),
		T(test_duplicate_in_a_big_mapping),
		T(test_missing_required_keys),
		T(test_keys_must_be_scalars),
		T(test_booleans_are_true_or_false_only),
		T(test_norway_is_a_string_where_a_string_is_wanted),
		T(test_integers_are_plain_decimal),
		T(test_version_and_keepalive_ranges),
		T(test_dns_and_mtu_values),
		T(test_dns_and_mtu_refusals),
		T(test_null_spellings),
		T(test_strings_missing_or_wrong_kind),
		T(test_node_and_mesh_names),
		T(test_interface_names),
		T(test_public_key_format),
		T(test_networks),
		T(test_addresses),
		T(test_endpoints),
		T(test_platforms),
		T(test_links_shape),
		T(test_tests_entries),
		T(test_lists_and_mappings_of_wrong_kind),
		T(test_every_error_in_one_run),
		T(test_keys_table_covers_every_context),
		T(test_keys_lookup_and_names),
#undef T
	};

	if (secret_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
