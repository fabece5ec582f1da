/* libyaml_floor.c - the cost of reading a document with libyaml and nothing
 * else: the floor under `meshc compile`, which cannot parse faster than the
 * parser it is built on.
 *
 * Reads FILE with libyaml's event API and, so the loop does a little of
 * the work a real loader must do, touches every scalar's bytes (a
 * checksum) and counts events.  It builds no tree and checks nothing.
 *
 * usage: libyaml_floor FILE     prints "EVENTS CHECKSUM"; exit 1 on error
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <yaml.h>

struct tally {
	unsigned long events;
	uint32_t sum;
};

/* FNV-1a over the scalar: forces every byte to be read, as a loader would. */
static void touch_scalar(struct tally *t, const yaml_event_t *ev)
{
	const unsigned char *p = ev->data.scalar.value;

	for (size_t i = 0; i < ev->data.scalar.length; i++)
		t->sum = (t->sum ^ p[i]) * 16777619u;
}

static int run(FILE *f, const char *path, struct tally *t)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int err = 0;
	int done = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_file(&parser, f);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			fprintf(stderr, "%s:%zu:%zu: error: %s\n", path,
				parser.problem_mark.line + 1,
				parser.problem_mark.column + 1,
				parser.problem ? parser.problem : "parse error");
			err = -EINVAL;
			goto out_parser;
		}
		t->events++;
		if (ev.type == YAML_SCALAR_EVENT)
			touch_scalar(t, &ev);
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
out_parser:
	yaml_parser_delete(&parser);
	return err;
}

int main(int argc, char **argv)
{
	struct tally t = { 0, 2166136261u };
	FILE *f;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: libyaml_floor FILE\n");
		return 1;
	}
	f = fopen(argv[1], "rb");
	if (!f) {
		fprintf(stderr, "libyaml_floor: %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	err = run(f, argv[1], &t);
	fclose(f);
	if (err)
		return 1;
	printf("%lu %08x\n", t.events, (unsigned)t.sum);
	return 0;
}
