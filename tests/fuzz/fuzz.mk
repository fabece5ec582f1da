# tests/fuzz/fuzz.mk - fuzz targets (included by the Makefile).
#
#   make fuzz          build every target with clang + libFuzzer and run each
#                      for FUZZ_SECONDS (default 60) on its corpus
#   make fuzz-seeds    rewrite the seed corpora (tests/fuzz/seeds.py)
#   make fuzz-replay   build every target with $(CC) + ASan/UBSan, without
#                      libFuzzer, and feed it each file of its corpus and
#                      crashes/ directories (part of `make check`)
#
# Each target is tests/fuzz/<name>/target.c (LLVMFuzzerTestOneInput).  New
# inputs libFuzzer finds go to build/fuzz/<name>/corpus (the committed
# corpus is only read); crash artifacts to build/fuzz/<name>/.  Commit a
# reproducer under tests/fuzz/<name>/crashes/ with its fix.
#
# Uses the Makefile's SRCS, MESHC_CFLAGS, SAN_FLAGS, PKG_LIBS and
# build/libmeshc-san.a.

FUZZ_TARGETS := document uapi netlink nft
FUZZ_CC ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_ARGS ?=
# Debian packages `make fuzz` needs (`make deps` does not install them).
FUZZ_DEB_PKGS := clang-14 libclang-rt-14-dev

FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_OBJS := $(SRCS:src/%.c=build/fuzz-obj/%.o)
FUZZ_BINS := $(FUZZ_TARGETS:%=build/fuzz/%/fuzzer)
FUZZ_REPLAY_BINS := $(FUZZ_TARGETS:%=build/fuzz/%/replay)

# Per-target libFuzzer options: the document format's own size limit is
# far above what is useful to mutate.
FUZZ_OPTS_document := -max_len=65536 -dict=tests/fuzz/document/yaml.dict
FUZZ_OPTS_uapi := -max_len=65536
FUZZ_OPTS_netlink := -max_len=65536
FUZZ_OPTS_nft := -max_len=65536
# The nft target forks once per input (see nft/target.c): a small ASan
# quarantine keeps the process, and so each fork, small.
FUZZ_ENV_nft := ASAN_OPTIONS=quarantine_size_mb=4:malloc_context_size=5

build/fuzz-obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC/FUZZ $<"
	$(Q)$(FUZZ_CC) $(MESHC_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
		-MMD -MP -c -o $@ $<

build/fuzz/libmeshc-fuzz.a: $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

build/fuzz/%/fuzzer: tests/fuzz/%/target.c build/fuzz/libmeshc-fuzz.a
	@mkdir -p $(dir $@)
	@echo "  FUZZER  $@"
	$(Q)$(FUZZ_CC) $(MESHC_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer \
		$(LDFLAGS) -o $@ $^ $(PKG_LIBS)

build/fuzz/%/replay: tests/fuzz/%/target.c tests/fuzz/replay.c \
		build/libmeshc-san.a
	@mkdir -p $(dir $@)
	@echo "  REPLAY  $@"
	$(Q)$(CC) $(MESHC_CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Installs the compiler first when missing (as `check` does with deps).
fuzz: fuzz-deps
	$(Q)$(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) \
		fuzz-run

fuzz-run: $(FUZZ_BINS)
	@set -e; $(foreach t,$(FUZZ_TARGETS), \
		mkdir -p build/fuzz/$(t)/corpus; \
		echo "  FUZZ    $(t) ($(FUZZ_SECONDS) s)"; \
		$(FUZZ_ENV_$(t)) build/fuzz/$(t)/fuzzer -max_total_time=$(FUZZ_SECONDS) \
			-timeout=25 -print_final_stats=1 \
			-artifact_prefix=build/fuzz/$(t)/ \
			$(FUZZ_OPTS_$(t)) $(FUZZ_ARGS) \
			build/fuzz/$(t)/corpus tests/fuzz/$(t)/corpus;)

fuzz-replay: $(FUZZ_REPLAY_BINS)
	@set -e; for t in $(FUZZ_TARGETS); do \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		build/fuzz/$$t/replay tests/fuzz/$$t/corpus \
			tests/fuzz/$$t/crashes; \
	done

# Rewrite the seed corpora from the tree's examples and recorded replies
# (tests/fuzz/seeds.py), plus WireGuard genl seeds made by gen_genl.
build/fuzz/gen_genl: tests/fuzz/netlink/gen_genl.c build/libmeshc.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(MESHC_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

fuzz-seeds: build/fuzz/gen_genl
	@python3 tests/fuzz/seeds.py
	@for f in examples/*.yaml; do \
		build/fuzz/gen_genl $$f tests/fuzz/netlink/corpus || exit 1; \
	done

fuzz-deps:
	@tests/install-deps.sh $(FUZZ_DEB_PKGS)

.PHONY: fuzz fuzz-run fuzz-replay fuzz-seeds fuzz-deps
