/* uapi - fuzz the parser of a WireGuard UAPI "get=1" reply
 * (wg_uapi_parse), then the conversion of what it read into a plan. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "apply/wg.h"
#include "base/arena.h"
#include "plan/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wg_device_state st;
	struct wg_psks psks;
	struct arena a;
	struct plan p;
	/* An exact-size copy: any read past the reply trips ASan. */
	char *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	/* Key material lives in sodium_malloc memory: meshc calls
	 * sodium_init() first (idempotent and cheap once done). */
	if (sodium_init() < 0)
		abort();
	arena_init(&a);
	memset(&st, 0, sizeof(st));
	if (wg_uapi_parse(buf, size, &a, &st) == 0) {
		memset(&p, 0, sizeof(p));
		wg_state_to_plan(&a, &st, &p);
	}
	/* again as apply reads it: the preshared keys themselves too */
	wg_psks_init(&psks, &a);
	memset(&st, 0, sizeof(st));
	st.psk_out = &psks;
	(void)wg_uapi_parse(buf, size, &a, &st);
	wg_psks_free(&psks);
	arena_free(&a);
	free(buf);
	return 0;
}
