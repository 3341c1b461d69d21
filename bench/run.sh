#!/usr/bin/env bash
# The shipping-SLA benchmark: pacta against DuckDB, one command.
#
#     bench/run.sh [SIZES…]        # orders per run; default 100000 1000000 10000000
#
# Builds pacta and the log generator in release, makes bench/.venv with DuckDB
# from PyPI if it is missing, then runs bench/run.py: for each size it generates
# bench/data/orders-N.jsonl (deterministic, seed 42), runs the DuckDB query and
# `pacta check … --format json` (and text, and summary when pacta has it) on it
# under /usr/bin/time -v, checks that pacta, DuckDB and the generator agree on
# the number of orders per status, and prints one table (also written to
# bench/data/results-*.md). See bench/run.py for the environment variables.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/time ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing GNU time (/usr/bin/time) …" >&2
        apt-get install -y -qq time >/dev/null 2>&1 || true
    fi
    [ -x /usr/bin/time ] || echo "no /usr/bin/time: measuring with os.wait4 instead" >&2
fi

echo "building pacta and gen_orders (release) …" >&2
cargo build --release --quiet --bin pacta --example gen_orders
# target/ may be shared with other builds of the working tree: measure private
# copies, so that a rebuild during the run cannot change the binary under test.
mkdir -p bench/data/bin
cp target/release/pacta target/release/examples/gen_orders bench/data/bin/
export PACTA_BIN=bench/data/bin/pacta GEN_BIN=bench/data/bin/gen_orders

VENV=bench/.venv
if ! "$VENV/bin/python" -c 'import duckdb' 2>/dev/null; then
    echo "creating $VENV with duckdb from PyPI …" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check duckdb
fi

exec "$VENV/bin/python" bench/run.py "$@"
