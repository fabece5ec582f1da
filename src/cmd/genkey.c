/* genkey.c - meshc genkey: a new private key, base64, like wg genkey. */
#include "cmd/cmd.h"

#include <sys/stat.h>
#include <unistd.h>

#include "base/secret.h"

const struct cmd_spec genkey_spec = {
	.name = "genkey", .min_args = 0, .max_args = 0, .usage = "",
	.summary = "generate a private key",
	.example = "(umask 077; meshc genkey > node.key)",
};

/* Shared by genkey and genpsk: both print 32 random bytes in base64. */
int keygen_print(bool clamp)
{
	struct secret_key key;
	char *b64;
	int rc = EXIT_ERROR;

	if (isatty(fileno(stdout)) == 0) {
		struct stat st;

		if (fstat(fileno(stdout), &st) == 0 && S_ISREG(st.st_mode) &&
		    (st.st_mode & (S_IRWXG | S_IRWXO)))
			fprintf(stderr, "meshc: warning: writing a key to a "
					"file readable by group/other\n");
	}
	if (secret_key_generate(&key, clamp))
		return EXIT_ERROR;
	b64 = secret_key_to_base64(&key);
	secret_key_free(&key);
	if (b64 && printf("%s\n", b64) > 0 && fflush(stdout) == 0)
		rc = EXIT_OK;
	secret_string_free(b64);
	return rc;
}

int cmd_genkey(int argc, char **argv)
{
	struct cmd_opts o;
	int rc = cmd_parse(argc, argv, &genkey_spec, &o);

	if (rc)
		return rc < 0 ? EXIT_OK : EXIT_ERROR;
	return keygen_print(true);
}
