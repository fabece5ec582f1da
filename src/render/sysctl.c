/* sysctl.c - the plan's kernel settings in sysctl.d(5) format, each with
 * the reason it is needed above it. */
#include "render/render.h"

#include "render/util.h"

void render_sysctl(struct strbuf *out, const struct plan *p)
{
	render_header(out, p, "kernel settings");
	strbuf_puts(out, "# install as /etc/sysctl.d/60-meshc.conf, or load "
			 "with: sysctl -p FILE\n");
	for (size_t i = 0; i < p->n_sysctls; i++) {
		const struct plan_sysctl *s = &p->sysctls[i];

		strbuf_puts(out, "\n# ");
		render_clean(out, s->why ? s->why : "required by meshc", 200);
		strbuf_putc(out, '\n');
		render_clean(out, s->key, 256);
		strbuf_puts(out, " = ");
		render_clean(out, s->value, 256);
		strbuf_putc(out, '\n');
	}
}
