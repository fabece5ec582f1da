#!/bin/sh
# merge.sh TARGET... - minimize a target's committed corpus: libFuzzer's
# -merge=1 keeps the smallest set of inputs of tests/fuzz/T/corpus and
# build/fuzz/T/corpus (what `make fuzz` found) that covers all their
# edges (-use_counters=0: hit counts are not told apart, which keeps the
# corpus at a few hundred files), and that set replaces
# tests/fuzz/T/corpus.  Run from the repository root after `make fuzz`
# (the fuzzers must be built).
set -eu
for t in "$@"; do
	bin=build/fuzz/$t/fuzzer
	[ -x "$bin" ] || { echo "merge.sh: $bin: not built (make fuzz)" >&2; exit 1; }
	new=build/fuzz/$t/merged
	rm -rf "$new"
	mkdir -p "$new" "build/fuzz/$t/corpus"
	"$bin" -merge=1 -use_counters=0 -max_len=65536 "$new" "tests/fuzz/$t/corpus" \
		"build/fuzz/$t/corpus" >"build/fuzz/$t/merge.log" 2>&1 || {
		tail -20 "build/fuzz/$t/merge.log" >&2
		exit 1
	}
	rm -rf "tests/fuzz/$t/corpus"
	mv "$new" "tests/fuzz/$t/corpus"
	echo "merge.sh: $t: $(ls "tests/fuzz/$t/corpus" | wc -l) files," \
		"$(cat "tests/fuzz/$t/corpus"/* | wc -c) bytes"
done
