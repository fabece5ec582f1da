# meshc - declarative WireGuard mesh compiler and applier
#
#   make            build ./meshc
#   make check      install missing Debian packages (as root), build, run
#                   every test, also under AddressSanitizer + UBSan
#   make demo       the seed scenario applied across network namespaces
#   make golden     regenerate tests/golden/*/ (review the diff!)
#   make fuzz       libFuzzer on every target for FUZZ_SECONDS (clang-14)
#   make bench      meshc against the standard tools (bench/results.md)
#   make install    PREFIX=/usr/local DESTDIR=
#
# Honours CC, CFLAGS, LDFLAGS, PREFIX, DESTDIR, V=1.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/meshc
DOCDIR ?= $(PREFIX)/share/doc/meshc
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/vendor-completions
CC ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
VERSION := 0.1.0

PKGS := yaml-0.1 libsodium libmnl libnftnl libqrencode libpng
# -pthread: apply reads the WireGuard device in a thread while the
# document compiles (src/apply/prefetch.c)
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS)) -pthread
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS)) -pthread
CMOCKA_CFLAGS = $(shell $(PKG_CONFIG) --cflags cmocka)
CMOCKA_LIBS = $(shell $(PKG_CONFIG) --libs cmocka)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 \
	-Wno-format-nonliteral -Wvla
MESHC_CFLAGS = -std=c11 -D_GNU_SOURCE -DMESHC_VERSION='"$(VERSION)"' \
	-Isrc $(WARN) $(PKG_CFLAGS) $(CFLAGS)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer

ifeq ($(V),1)
Q :=
else
Q := @
endif

SRCS := $(sort $(shell find src -name '*.c' ! -name main.c))
OBJS := $(SRCS:src/%.c=build/obj/%.o)
SAN_OBJS := $(SRCS:src/%.c=build/san/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/tests/%)
SAN_UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/san-tests/%)

all: meshc

# Tests link against the library so each pulls in only what it uses.
build/libmeshc.a: $(OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

build/libmeshc-san.a: $(SAN_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

meshc: build/obj/main.o build/libmeshc.a
	@echo "  LD      $@"
	$(Q)$(CC) $(MESHC_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

build/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(MESHC_CFLAGS) -MMD -MP -c -o $@ $<

build/meshc-san: build/san/main.o build/libmeshc-san.a
	@echo "  LD      $@"
	$(Q)$(CC) $(MESHC_CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The same meshc with MESHC_FAULT=<step> honoured (tests of rollback only;
# never installed).
build/fault/apply/converge.o: src/apply/converge.c
	@mkdir -p $(dir $@)
	@echo "  CC/FLT  $<"
	$(Q)$(CC) $(MESHC_CFLAGS) -DMESHC_FAULT_INJECTION -MMD -MP -c -o $@ $<

build/meshc-fault: build/obj/main.o build/fault/apply/converge.o build/libmeshc.a
	@echo "  LD      $@"
	$(Q)$(CC) $(MESHC_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

build/san/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC/SAN  $<"
	$(Q)$(CC) $(MESHC_CFLAGS) $(SAN_FLAGS) -MMD -MP -c -o $@ $<

build/tests/%: tests/unit/%.c build/libmeshc.a
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	$(Q)$(CC) $(MESHC_CFLAGS) $(CMOCKA_CFLAGS) -Itests/unit $(LDFLAGS) \
		-o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)

build/san-tests/%: tests/unit/%.c build/libmeshc-san.a
	@mkdir -p $(dir $@)
	@echo "  TEST/SAN $@"
	$(Q)$(CC) $(MESHC_CFLAGS) $(SAN_FLAGS) $(CMOCKA_CFLAGS) -Itests/unit \
		$(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)

-include $(shell find build -name '*.d' 2>/dev/null)

# Debian packages the build and the tests need.  Installed only when
# missing and only as root; otherwise the list is printed.
DEB_PKGS := build-essential pkg-config libyaml-dev libsodium-dev libmnl-dev \
	libnftnl-dev libqrencode-dev libpng-dev libcmocka-dev nftables iproute2 mandoc python3 \
	python3-jsonschema python3-yaml graphviz socat iputils-ping wireguard-tools wireguard-go \
	systemd procps zbar-tools python3-prometheus-client zsh git ansible-core

deps:
	@tests/install-deps.sh $(DEB_PKGS)

unit: $(UNIT_BINS)
	@tests/run-unit.sh $(UNIT_BINS)

unit-san: $(SAN_UNIT_BINS)
	@tests/run-unit.sh $(SAN_UNIT_BINS)

# Every test.  MESHC is the binary the script-driven suites exercise; the
# sanitizer build runs the same suites.
check: deps
	$(MAKE) --no-print-directory meshc build/meshc-san build/meshc-fault
	$(MAKE) --no-print-directory unit unit-san
	$(MAKE) --no-print-directory fuzz-replay
	@MESHC_FAULT_BIN=$(CURDIR)/build/meshc-fault tests/run-suites.sh ./meshc
	@MESHC_FAULT_BIN=$(CURDIR)/build/meshc-fault MESHC_SANITIZED=1 \
		tests/run-suites.sh build/meshc-san

# The main job: the seed scenario applied by meshc across network
# namespaces, with who-reaches-whom measured next to meshc's prediction.
demo: deps
	$(MAKE) --no-print-directory meshc
	@tests/e2e/demo.sh

golden: meshc
	@tests/golden/regenerate.sh ./meshc

install: meshc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DATADIR)/schemas \
		$(DESTDIR)$(DOCDIR)/examples/systemd $(DESTDIR)$(DOCDIR)/examples/ci \
		$(DESTDIR)$(DOCDIR)/examples/ansible/library \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 0755 meshc $(DESTDIR)$(BINDIR)/meshc
	install -m 0644 man/meshc.8 $(DESTDIR)$(MANDIR)/man8/meshc.8
	install -m 0644 man/meshc.yaml.5 $(DESTDIR)$(MANDIR)/man5/meshc.yaml.5
	install -m 0644 src/completion/meshc.bash $(DESTDIR)$(BASHCOMPDIR)/meshc
	install -m 0644 src/completion/_meshc $(DESTDIR)$(ZSHCOMPDIR)/_meshc
	install -m 0644 schemas/*.schema.json $(DESTDIR)$(DATADIR)/schemas/
	install -m 0644 examples/*.yaml $(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 examples/systemd/* $(DESTDIR)$(DOCDIR)/examples/systemd/
	install -m 0755 examples/ci/check-pr.sh $(DESTDIR)$(DOCDIR)/examples/ci/
	install -m 0644 examples/ci/github-actions.yml $(DESTDIR)$(DOCDIR)/examples/ci/
	install -m 0644 examples/ansible/README.md examples/ansible/site.yml \
		examples/ansible/inventory $(DESTDIR)$(DOCDIR)/examples/ansible/
	install -m 0644 examples/ansible/library/meshc.py \
		$(DESTDIR)$(DOCDIR)/examples/ansible/library/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/meshc $(DESTDIR)$(MANDIR)/man8/meshc.8 \
		$(DESTDIR)$(MANDIR)/man5/meshc.yaml.5 \
		$(DESTDIR)$(BASHCOMPDIR)/meshc $(DESTDIR)$(ZSHCOMPDIR)/_meshc
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)

clean:
	rm -rf build meshc

# make bench (tests/bench.mk) and make fuzz / fuzz-replay (tests/fuzz/fuzz.mk)
include tests/bench.mk
include tests/fuzz/fuzz.mk

.PHONY: all deps unit unit-san check demo golden install uninstall clean
