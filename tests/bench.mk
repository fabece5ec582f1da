# make bench: meshc against the standard tools and the libraries' floors,
# for one node of meshes of 100, 1,000 and 10,000 nodes (50,000 with
# BENCH_FULL=1), in network namespaces it creates and removes.  Writes
# bench/results.md and bench/results.png.  See bench/README.md.
#
#   BENCH_SIZES="100 1000"   node counts (default 100 1000 10000)
#   BENCH_RUNS=N             hyperfine runs per command (default: by size)
#   BENCH_REPEAT=N           whole measurements, for the spread (default 2)
#
# Included from the Makefile; needs its PKG_CONFIG, CC, CFLAGS, Q.

BENCH_DEB_PKGS := hyperfine time gnuplot-nox strace python3 libyaml-dev iputils-ping \
	pkg-config nftables iproute2 wireguard-tools wireguard-go
BENCH_BINS := build/bench/libyaml_floor build/bench/uapi_write build/bench/nft_batch
BENCH_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS)

build/bench/libyaml_floor: bench/libyaml_floor.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(BENCH_CFLAGS) $(shell $(PKG_CONFIG) --cflags yaml-0.1) \
		$(LDFLAGS) -o $@ $< $(shell $(PKG_CONFIG) --libs yaml-0.1)

build/bench/uapi_write: bench/uapi_write.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(BENCH_CFLAGS) $(LDFLAGS) -o $@ $<

build/bench/nft_batch: bench/nft_batch.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(BENCH_CFLAGS) $(shell $(PKG_CONFIG) --cflags libmnl libnftnl) \
		$(LDFLAGS) -o $@ $< $(shell $(PKG_CONFIG) --libs libmnl libnftnl)

bench-deps:
	@tests/install-deps.sh $(BENCH_DEB_PKGS)

bench: deps bench-deps
	$(MAKE) --no-print-directory meshc $(BENCH_BINS)
	@MESHC=$(CURDIR)/meshc BENCH_BIN=$(CURDIR)/build/bench bench/bench.sh

.PHONY: bench bench-deps
