/* test_status.c - meshc status: peers matched to the document, and the
 * text, JSON and Prometheus renderings, byte for byte with a fixed clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "base/strbuf.h"
#include "compile/compile.h"
#include "load/load.h"
#include "status/status.h"
#include "validate/validate.h"

#define KEY_A "cshLTDHpqLM4ecVPEvtX8Swn2dP1hNV2zxxfXz4+KjM="
#define KEY_B "fIw5W2sX1IHsm9+oi1pD3AV5VIEeakKwRTYpKanfjhI="
#define KEY_C "4SE3jhDWzW+SwkDb7kOd0BIqd8AgiF6DZcSmMMLo0F0="
#define KEY_S "SrIGWWIAmzS87lFlpRt4qfS0PrmXqonjxvSPWgCenDU="
#define NOW 1700000000

static const char doc_text[] =
	"version: 1\n"
	"meshes:\n"
	"  x: { network: 100.64.0.0/24, interface: meshx }\n"
	"nodes:\n"
	"  a:\n"
	"    mesh: x\n"
	"    public_key: " KEY_A "\n"
	"    address: 100.64.0.1\n"
	"    endpoint: 198.51.100.10:51820\n"
	"    permissions:\n"
	"      peers:\n"
	"        b: { routing: true }\n"
	"        c: { incoming: false }\n"
	"  b:\n"
	"    mesh: x\n"
	"    public_key: " KEY_B "\n"
	"    address: 100.64.0.2\n"
	"    endpoint: 203.0.113.5:51820\n"
	"  c:\n"
	"    mesh: x\n"
	"    public_key: " KEY_C "\n"
	"    address: 100.64.0.3\n";

static const char *age(struct strbuf *sb, int64_t last, int64_t now)
{
	strbuf_reset(sb);
	status_format_age(sb, last, now);
	return strbuf_str(sb);
}

static void test_handshake_age(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	assert_string_equal(age(&sb, 0, NOW), "never");
	assert_string_equal(age(&sb, NOW, NOW), "0s ago");
	assert_string_equal(age(&sb, NOW - 5, NOW), "5s ago");
	assert_string_equal(age(&sb, NOW - 60, NOW), "1m ago");
	assert_string_equal(age(&sb, NOW - 65, NOW), "1m 5s ago");
	assert_string_equal(age(&sb, NOW - 3599, NOW), "59m 59s ago");
	assert_string_equal(age(&sb, NOW - 7200 - 59, NOW), "2h ago");
	assert_string_equal(age(&sb, NOW - 3 * 86400 - 4 * 3600, NOW),
			    "3d 4h ago");
	/* a clock that stepped back: not a negative age */
	assert_string_equal(age(&sb, NOW + 30, NOW), "0s ago");
	strbuf_free(&sb);
}

static const char *bytes(struct strbuf *sb, uint64_t n)
{
	strbuf_reset(sb);
	status_format_bytes(sb, n);
	return strbuf_str(sb);
}

static void test_bytes_for_people(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	assert_string_equal(bytes(&sb, 0), "0 B");
	assert_string_equal(bytes(&sb, 1023), "1023 B");
	assert_string_equal(bytes(&sb, 1024), "1.0 KiB");
	assert_string_equal(bytes(&sb, 1536), "1.5 KiB");
	/* 1023.999 KiB rounds up to the next unit, not "1024.0 KiB" */
	assert_string_equal(bytes(&sb, 1048575), "1.0 MiB");
	assert_string_equal(bytes(&sb, 5ull << 30), "5.0 GiB");
	assert_string_equal(bytes(&sb, UINT64_MAX), "16.0 EiB");
	strbuf_free(&sb);
}

static void test_prometheus_label_escapes(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	status_prom_label(&sb, "a\\b\"c\nd");
	assert_string_equal(strbuf_str(&sb), "a\\\\b\\\"c\\nd");
	strbuf_free(&sb);
}

/* a's interface: b on the device with a handshake, c in the document
 * but not on the device, and a stranger the document does not know. */
static void build_a(struct arena *ar, struct status_iface *s)
{
	struct source src = { "t.yaml", doc_text, strlen(doc_text) };
	struct status_live_peer live[2];
	struct diags d;
	struct model *m;
	size_t a;
	struct plan *want;

	diags_init(&d, ar);
	m = load_model(ar, &src, &d);
	assert_non_null(m);
	validate_model(ar, m, &d);
	assert_int_equal(d.errors, 0);
	a = model_node_find(m, "a");
	want = compile_node(ar, m, a);
	memset(live, 0, sizeof(live));
	assert_true(key_from_base64(KEY_S, live[0].public_key));
	live[0].endpoint = "192.0.2.9:51820";
	assert_true(key_from_base64(KEY_B, live[1].public_key));
	live[1].endpoint = "203.0.113.5:51820";
	live[1].last_handshake = NOW - 65;
	live[1].rx_bytes = 1536;
	live[1].tx_bytes = 300;
	memset(s, 0, sizeof(*s));
	s->interface = "meshx";
	s->node = "a";
	s->mesh = "x";
	s->document = "t.yaml";
	s->exists = true;
	status_peers_build(ar, m, a, want, live, 2, s);
}

static void test_peers_by_name_then_unknown(void **state)
{
	struct arena ar;
	struct status_iface s;

	(void)state;
	arena_init(&ar);
	build_a(&ar, &s);
	assert_int_equal(s.n_peers, 3);
	assert_int_equal(s.n_device_peers, 2);
	/* b: on the device, by name, with what a grants it */
	assert_string_equal(s.peers[0].node, "b");
	assert_string_equal(s.peers[0].public_key, KEY_B);
	assert_true(s.peers[0].on_device);
	assert_int_equal(s.peers[0].rx_bytes, 1536);
	assert_true(s.peers[0].incoming);
	assert_true(s.peers[0].routing);
	assert_false(s.peers[0].local_network);
	/* c: the document's, missing on the device */
	assert_string_equal(s.peers[1].node, "c");
	assert_false(s.peers[1].on_device);
	assert_false(s.peers[1].incoming);
	/* the stranger last, no name, no grants */
	assert_null(s.peers[2].node);
	assert_string_equal(s.peers[2].public_key, KEY_S);
	assert_true(s.peers[2].on_device);
	assert_false(s.peers[2].incoming);
	arena_free(&ar);
}

static void test_text_table(void **state)
{
	struct arena ar;
	struct status_iface s;
	struct changeset cs = { 0 };
	struct status_report r = { NOW, &s, 1 };
	struct strbuf out = STRBUF_INIT;

	(void)state;
	arena_init(&ar);
	build_a(&ar, &s);
	s.drift = (struct node_diff){ "a", NULL, NULL, &cs };
	status_render_text(&out, &r, false);
	assert_string_equal(
		strbuf_str(&out),
		"interface meshx: node a, mesh x, document t.yaml\n"
		"  PEER                                                       "
		"ENDPOINT           HANDSHAKE          RECEIVED  SENT   VIA     "
		"GRANTS\n"
		"  b                                                          "
		"203.0.113.5:51820  1m 5s ago          1.5 KiB   300 B  direct  "
		"incoming, routing\n"
		"  c                                                          "
		"-                  not on the device  -         -      direct  "
		"none\n"
		"  unknown peer " KEY_S "  "
		"192.0.2.9:51820    never              0 B       0 B    direct  "
		"-\n"
		"in step with the document\n");
	strbuf_free(&out);
	arena_free(&ar);
}

/* c and d have no endpoint and share the relay b: on c, d is listed
 * "relay b" (no entry on the device: its packets ride in b's tunnel). */
static void test_relayed_peer_listed_via_relay(void **state)
{
	static const char text[] =
		"version: 1\n"
		"meshes:\n"
		"  x: { network: 100.64.0.0/24, interface: meshx, relay: b }\n"
		"nodes:\n"
		"  b: { mesh: x, public_key: " KEY_B ", address: 100.64.0.2,"
		" endpoint: 203.0.113.5:51820 }\n"
		"  c: { mesh: x, public_key: " KEY_C ", address: 100.64.0.3 }\n"
		"  d: { mesh: x, public_key: " KEY_A ", address: 100.64.0.4 }\n";
	struct source src = { "t.yaml", text, strlen(text) };
	struct status_live_peer live[1];
	struct status_iface s;
	struct status_report r = { NOW, &s, 1 };
	struct changeset cs = { 0 };
	struct strbuf out = STRBUF_INIT;
	struct arena ar;
	struct diags d;
	struct model *m;
	size_t c;

	(void)state;
	arena_init(&ar);
	diags_init(&d, &ar);
	m = load_model(&ar, &src, &d);
	validate_model(&ar, m, &d);
	assert_int_equal(d.errors, 0);
	c = model_node_find(m, "c");
	memset(live, 0, sizeof(live));
	assert_true(key_from_base64(KEY_B, live[0].public_key));
	live[0].endpoint = "203.0.113.5:51820";
	live[0].last_handshake = NOW - 5;
	memset(&s, 0, sizeof(s));
	s.interface = "meshx";
	s.node = "c";
	s.mesh = "x";
	s.document = "t.yaml";
	s.exists = true;
	status_peers_build(&ar, m, c, compile_node(&ar, m, c), live, 1, &s);
	assert_int_equal(s.n_peers, 2);
	assert_string_equal(s.peers[0].node, "b");
	assert_null(s.peers[0].relay);
	assert_string_equal(s.peers[1].node, "d");
	assert_string_equal(s.peers[1].relay, "b");
	assert_false(s.peers[1].on_device);
	assert_true(s.peers[1].incoming);
	s.drift = (struct node_diff){ "c", NULL, NULL, &cs };
	status_render_text(&out, &r, false);
	assert_non_null(strstr(strbuf_str(&out),
			       "\n  d     -                  in the relay's "
			       "tunnel  -         -     relay b  incoming\n"));
	strbuf_free(&out);
	arena_free(&ar);
}

static void test_text_missing_interface(void **state)
{
	struct status_iface s = {
		.interface = "meshx", .node = "a", .mesh = "x",
		.document = "t.yaml", .exists = false, .drifted = false,
	};
	struct changeset cs = { 0 };
	struct status_report r = { NOW, &s, 1 };
	struct strbuf out = STRBUF_INIT;

	(void)state;
	s.drift = (struct node_diff){ "a", NULL, NULL, &cs };
	status_render_text(&out, &r, false);
	assert_string_equal(strbuf_str(&out),
			    "interface meshx: node a, mesh x, document t.yaml\n"
			    "  meshx is not on this system\n"
			    "in step with the document\n");
	strbuf_free(&out);
}

/* Two interfaces: each family once, HELP and TYPE first, the samples of
 * both under it; label values escaped; c (not on the device) has no
 * sample, the stranger an empty peer label. */
static void test_prometheus_families(void **state)
{
	struct arena ar;
	struct status_iface s[2];
	struct status_report r = { NOW, s, 2 };
	struct strbuf out = STRBUF_INIT;
	const char *lb = "node=\"a\",interface=\"meshx\",peer=\"b\",public_key=\""
			 KEY_B "\"";
	const char *ls = "node=\"a\",interface=\"meshx\",peer=\"\",public_key=\""
			 KEY_S "\"";
	char expect[4096];

	(void)state;
	arena_init(&ar);
	build_a(&ar, &s[0]);
	memset(&s[1], 0, sizeof(s[1]));
	s[1].interface = "mesh\"y";
	s[1].node = "a\\2";
	s[1].mesh = "y";
	s[1].drifted = true;
	status_render_prometheus(&out, &r);
	snprintf(expect, sizeof(expect),
		 "# HELP meshc_peers Peers on the WireGuard interface that "
		 "meshc manages.\n"
		 "# TYPE meshc_peers gauge\n"
		 "meshc_peers{node=\"a\",interface=\"meshx\"} 2\n"
		 "meshc_peers{node=\"a\\\\2\",interface=\"mesh\\\"y\"} 0\n"
		 "# HELP meshc_drift 1 when the live interface differs from "
		 "its document (meshc diff FILE would show changes), else 0.\n"
		 "# TYPE meshc_drift gauge\n"
		 "meshc_drift{node=\"a\",interface=\"meshx\"} 0\n"
		 "meshc_drift{node=\"a\\\\2\",interface=\"mesh\\\"y\"} 1\n"
		 "# HELP meshc_peer_latest_handshake_seconds Unix time of the "
		 "latest handshake with the peer, 0 if none.\n"
		 "# TYPE meshc_peer_latest_handshake_seconds gauge\n"
		 "meshc_peer_latest_handshake_seconds{%s} %d\n"
		 "meshc_peer_latest_handshake_seconds{%s} 0\n"
		 "# HELP meshc_peer_receive_bytes_total Bytes received from "
		 "the peer.\n"
		 "# TYPE meshc_peer_receive_bytes_total counter\n"
		 "meshc_peer_receive_bytes_total{%s} 1536\n"
		 "meshc_peer_receive_bytes_total{%s} 0\n"
		 "# HELP meshc_peer_transmit_bytes_total Bytes sent to the "
		 "peer.\n"
		 "# TYPE meshc_peer_transmit_bytes_total counter\n"
		 "meshc_peer_transmit_bytes_total{%s} 300\n"
		 "meshc_peer_transmit_bytes_total{%s} 0\n",
		 lb, NOW - 65, ls, lb, ls, lb, ls);
	assert_string_equal(strbuf_str(&out), expect);
	strbuf_free(&out);
	arena_free(&ar);
}

static void test_json_peers(void **state)
{
	struct arena ar;
	struct status_iface s;
	struct changeset cs = { 0 };
	struct status_report r = { NOW, &s, 1 };
	struct strbuf out = STRBUF_INIT;
	const char *j;

	(void)state;
	arena_init(&ar);
	build_a(&ar, &s);
	s.drift = (struct node_diff){ "a", NULL, NULL, &cs };
	status_render_json(&out, &r);
	j = strbuf_str(&out);
	assert_non_null(strstr(j, "\"format\": \"meshc-status\",\n"
				  "  \"version\": 1,\n  \"time\": 1700000000,\n"));
	assert_non_null(strstr(
		j, "\"node\": \"b\",\n"
		   "          \"public_key\": \"" KEY_B "\",\n"
		   "          \"known\": true,\n"
		   "          \"on_device\": true,\n"
		   "          \"endpoint\": \"203.0.113.5:51820\",\n"
		   "          \"latest_handshake\": 1699999935,\n"
		   "          \"latest_handshake_age_seconds\": 65,\n"
		   "          \"receive_bytes\": 1536,\n"
		   "          \"transmit_bytes\": 300,\n"
		   "          \"via\": \"direct\",\n"
		   "          \"relay\": null,\n"
		   "          \"grants\": {\"incoming\": true, \"routing\": true, "
		   "\"local_network\": false}\n"));
	/* not on the device: nothing measured, so null, not 0 */
	assert_non_null(strstr(j, "\"node\": \"c\",\n"
				  "          \"public_key\": \"" KEY_C "\",\n"
				  "          \"known\": true,\n"
				  "          \"on_device\": false,\n"
				  "          \"endpoint\": null,\n"
				  "          \"latest_handshake\": null,\n"
				  "          \"latest_handshake_age_seconds\": null,\n"
				  "          \"receive_bytes\": null,\n"));
	assert_non_null(strstr(j, "\"node\": null,\n"
				  "          \"public_key\": \"" KEY_S "\",\n"
				  "          \"known\": false,\n"));
	assert_non_null(strstr(j, "\"grants\": null\n"));
	assert_non_null(strstr(j, "\"drift\": false,\n      \"changes\": []\n"));
	assert_non_null(strstr(j, "  ],\n  \"drift\": false\n}\n"));
	strbuf_free(&out);
	arena_free(&ar);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_age),
		cmocka_unit_test(test_bytes_for_people),
		cmocka_unit_test(test_prometheus_label_escapes),
		cmocka_unit_test(test_peers_by_name_then_unknown),
		cmocka_unit_test(test_text_table),
		cmocka_unit_test(test_text_missing_interface),
		cmocka_unit_test(test_relayed_peer_listed_via_relay),
		cmocka_unit_test(test_prometheus_families),
		cmocka_unit_test(test_json_peers),
	};

	if (secret_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
