/* pubkey.c - meshc pubkey: private key on stdin -> public key on stdout,
 * byte-compatible with wg pubkey. */
#include "cmd/cmd.h"

#include <unistd.h>

#include "base/secret.h"

const struct cmd_spec pubkey_spec = {
	.name = "pubkey", .min_args = 0, .max_args = 0, .usage = "< private.key",
	.summary = "private key on stdin -> public key",
	.example = "meshc pubkey < node.key",
};

int cmd_pubkey(int argc, char **argv)
{
	struct cmd_opts o;
	struct secret_key key;
	uint8_t pub[WG_KEY_LEN];
	char pub_b64[WG_KEY_B64_LEN + 1];
	/* a key plus a newline or two; anything longer is not a key */
	char buf[WG_KEY_B64_LEN + 4];
	size_t len = 0;
	ssize_t n;
	int rc = cmd_parse(argc, argv, &pubkey_spec, &o);

	if (rc)
		return rc < 0 ? EXIT_OK : EXIT_ERROR;
	while (len < sizeof(buf) &&
	       (n = read(STDIN_FILENO, buf + len, sizeof(buf) - len)) > 0)
		len += (size_t)n;
	rc = secret_key_from_base64(buf, len, &key);
	secret_wipe(buf, sizeof(buf));
	if (rc) {
		fprintf(stderr, "meshc pubkey: stdin is not a base64 "
				"WireGuard private key\n");
		return EXIT_ERROR;
	}
	secret_key_public(&key, pub);
	secret_key_free(&key);
	key_to_base64(pub, pub_b64);
	printf("%s\n", pub_b64);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_ERROR;
}
