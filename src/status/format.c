/* format.c - the small pieces of a status line: a handshake's age, a byte
 * count for people, a Prometheus label value. */
#include "status/status.h"

#include <inttypes.h>

void status_format_age(struct strbuf *out, int64_t last, int64_t now)
{
	static const struct {
		int64_t seconds;
		const char *unit;
	} units[] = {
		{ 86400, "d" }, { 3600, "h" }, { 60, "m" }, { 1, "s" },
	};
	int64_t age;
	size_t i = 0;

	if (last <= 0) {
		strbuf_puts(out, "never");
		return;
	}
	age = now > last ? now - last : 0;
	/* the largest unit that fits, and the next one when it is not 0:
	 * "1m 5s ago", "2h ago"; a reader wants the order of magnitude */
	while (i < 3 && age < units[i].seconds)
		i++;
	strbuf_printf(out, "%" PRId64 "%s", age / units[i].seconds,
		      units[i].unit);
	if (i < 3 && (age % units[i].seconds) / units[i + 1].seconds)
		strbuf_printf(out, " %" PRId64 "%s",
			      (age % units[i].seconds) / units[i + 1].seconds,
			      units[i + 1].unit);
	strbuf_puts(out, " ago");
}

void status_format_bytes(struct strbuf *out, uint64_t n)
{
	static const char *const units[] = {
		"KiB", "MiB", "GiB", "TiB", "PiB", "EiB",
	};
	double v = (double)n;
	size_t i = 0;

	if (n < 1024) {
		strbuf_printf(out, "%" PRIu64 " B", n);
		return;
	}
	v /= 1024;
	/* 1023.95 KiB would print as "1024.0 KiB": the next unit then */
	while (i + 1 < sizeof(units) / sizeof(*units) && v >= 1023.95) {
		v /= 1024;
		i++;
	}
	strbuf_printf(out, "%.1f %s", v, units[i]);
}

void status_prom_label(struct strbuf *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			strbuf_puts(out, "\\\\");
		else if (*v == '"')
			strbuf_puts(out, "\\\"");
		else if (*v == '\n')
			strbuf_puts(out, "\\n");
		else
			strbuf_putc(out, *v);
	}
}
