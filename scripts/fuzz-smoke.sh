#!/usr/bin/env bash
# Fuzz smoke run: every cargo-fuzz target in fuzz/ for N seconds each
# (default 30), one after another, on the stable toolchain (no sanitizer).
#
#   scripts/fuzz-smoke.sh [SECONDS] [TARGET…]
#
# Installs cargo-fuzz when it is missing, seeds each target's corpus
# (fuzz/corpus/TARGET, git-ignored) from the examples and test cases, and
# exits non-zero when a target found a crash. A crash is saved by libFuzzer
# under fuzz/artifacts/TARGET/; copy it to tests/fixtures/fuzz/TARGET-N so
# that `cargo test --test hostile` replays it (fuzz_regressions_* tests).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

secs="${1:-30}"
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    targets=(parse_rules read_jsonl read_csv check_end_to_end)
fi

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "fuzz-smoke: installing cargo-fuzz" >&2
    cargo install --locked cargo-fuzz
fi

# Copies files into a corpus folder, named by content hash.
seed() {
    local dir="fuzz/corpus/$1"
    shift
    mkdir -p "$dir"
    local f
    for f in "$@"; do
        [ -f "$f" ] || continue
        cp "$f" "$dir/seed-$(sha1sum <"$f" | cut -c1-16)"
    done
}

shopt -s nullglob globstar
seed parse_rules examples/**/*.pacta rules/*.pacta tests/cases/**/*.pacta
seed read_jsonl examples/**/*.jsonl tests/cases/**/*.jsonl
seed read_csv examples/**/*.csv tests/cases/**/*.csv
# check_end_to_end: a flags byte (bit 0: the log is CSV), the rules, NUL, the log.
mkdir -p fuzz/corpus/check_end_to_end
for dir in examples/*/ tests/cases/*/*/; do
    rules=("$dir"*.pacta)
    [ "${#rules[@]}" -eq 1 ] || continue
    for log in "$dir"*.jsonl "$dir"*.csv; do
        case "$log" in *.csv) flag='\001' ;; *) flag='\000' ;; esac
        out="fuzz/corpus/check_end_to_end/seed-$(cat "${rules[0]}" "$log" | sha1sum | cut -c1-16)"
        { printf "$flag"; cat "${rules[0]}"; printf '\000'; cat "$log"; } >"$out"
    done
done

failed=()
for t in "${targets[@]}"; do
    case "$t" in
        parse_rules | check_end_to_end) dict="$root/fuzz/dict/pacta.dict" ;;
        *) dict="$root/fuzz/dict/log.dict" ;;
    esac
    echo "fuzz-smoke: $t for ${secs}s" >&2
    if ! cargo fuzz run -s none "$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -dict="$dict" -print_final_stats=1; then
        failed+=("$t")
    fi
done

# The targets write their logs to a per-process folder (fuzz/harness.rs);
# remove those of processes that have ended.
for d in /dev/shm/pacta-fuzz-* "${TMPDIR:-/tmp}"/pacta-fuzz-*; do
    [ -d "$d" ] || continue
    kill -0 "${d##*-}" 2>/dev/null || rm -rf "$d"
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz-smoke: crashes in: ${failed[*]} (inputs under fuzz/artifacts/)" >&2
    exit 1
fi
echo "fuzz-smoke: no crash in ${targets[*]}" >&2
