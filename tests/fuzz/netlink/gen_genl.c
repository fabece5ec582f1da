/* gen_genl.c - write WireGuard genl seeds for the netlink target.
 *
 *   gen_genl DOC.yaml OUTDIR
 *
 * No kernel dump is recorded in the tree, so the seeds are made from
 * what meshc itself would send: wg_genl_build_set for every node of the
 * document (once in one message, once split into small ones), with the
 * command changed to WG_CMD_GET_DEVICE.  A device dump carries the same
 * attributes, so the parser's paths are reached.  Run by `make
 * fuzz-seeds`; the output goes to tests/fuzz/netlink/corpus.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>

#include "apply/wg.h"
#include "base/arena.h"
#include "base/diag.h"
#include "base/secret.h"
#include "compile/compile.h"
#include "load/load.h"
#include "validate/validate.h"

static int write_msgs(const char *dir, const char *node, size_t max,
		      const struct wg_genl_msgs *msgs)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/genl-%s-%zu", dir, node, max);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		return -1;
	}
	for (size_t i = 0; i < msgs->count; i++) {
		struct nlmsghdr *nlh = msgs->msgs[i];
		struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);

		genl->cmd = WG_CMD_GET_DEVICE;
		nlh->nlmsg_flags |= NLM_F_MULTI;
		fwrite(nlh, 1, nlh->nlmsg_len, f);
	}
	return fclose(f) ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct arena a;
	struct diags d;
	struct source src;
	struct model *m;
	struct secret_key k;
	static const size_t sizes[] = { 8192, 200 };
	uint8_t key[WG_KEY_LEN];
	int rc = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: gen_genl DOC.yaml OUTDIR\n");
		return 2;
	}
	/* The fixed test key of tests/unit (01 02 .. 20), so the seeds are
	 * the same on every run and hold no real secret. */
	for (size_t i = 0; i < WG_KEY_LEN; i++)
		key[i] = (uint8_t)(i + 1);
	if (secret_init() || secret_key_from_bytes(key, &k))
		return 1;
	arena_init(&a);
	diags_init(&d, &a);
	if (load_read_source(&a, argv[1], &src, &d))
		goto out;
	m = load_model(&a, &src, &d);
	if (!m)
		goto out;
	validate_model(&a, m, &d);
	if (!m->resolved)
		goto out;
	for (size_t i = 0; i < m->n_nodes; i++) {
		struct plan *p = compile_node(&a, m, i);

		for (size_t j = 0; p && j < sizeof(sizes) / sizeof(*sizes);
		     j++) {
			struct wg_genl_msgs msgs = { 0 };

			if (wg_genl_build_set(&a, 0x15, p->iface.name, &k, NULL, p,
					      NULL, sizes[j], &msgs))
				continue;
			if (write_msgs(argv[2], m->nodes[i].name.v, sizes[j],
				       &msgs))
				goto out;
		}
	}
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "gen_genl: %s: failed (%zu errors)\n", argv[1],
			d.errors);
	secret_key_free(&k);
	arena_free(&a);
	return rc;
}
