"""The shipping-SLA benchmark: pacta against DuckDB on the same log.

Run through bench/run.sh, which builds pacta and the generator in release,
copies both to bench/data/bin/ (PACTA_BIN, GEN_BIN) so that a rebuild of the
shared target/ during the run cannot swap the binary under test, and makes the
virtual environment with DuckDB first:

    bench/run.sh [SIZES…]          # default: 100000 1000000 10000000

For each size (a number of orders) it
1. generates bench/data/orders-N.jsonl with the deterministic generator
   (target/release/examples/gen_orders, seed 42), which also states the
   status every order should have as of AS_OF;
2. runs the DuckDB query (bench/duckdb_check.py) over the file;
3. runs `pacta check rules/order_sla_bench.pacta --events FILE --format json
   --as-of AS_OF`, then the same with `--format text`, and with `--format
   summary` when `pacta check --help` lists it;
4. measures each run's wall time, CPU time and peak resident memory with
   `/usr/bin/time -v` (or, without it, `os.wait4`'s resource usage, the
   same kernel figures);
5. checks that pacta, DuckDB and the generator give the same number of
   instances per status, and prints one table.

Environment:
  PACTA_BENCH_MEM_MB   address-space cap for pacta (default: 60% of RAM, at
                       most 16384); DuckDB gets the same as `memory_limit`
  PACTA_BENCH_TIMEOUT  seconds before a run is stopped (default 1800)
  DUCKDB_THREADS       DuckDB threads (default: DuckDB's own, all cores)
  PACTA_BENCH_KEEP     1 keeps every data file and report (by default the
                       10^7-and-up logs and all pacta reports are deleted)
  PACTA_BENCH_RUNS     runs of each measurement (default 3); the table shows
                       the run of median wall time, and the range of all runs

Before each measured run the page cache is flushed to disk (`sync`), so
that no run pays for writing back the previous one's output (or the
generated log): every run starts from clean pages, the log warm in memory.
The table is also written to bench/data/results-<UTC time>.md.
"""

import hashlib
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
RULES = "rules/order_sla_bench.pacta"
AS_OF = "2025-12-31T12:00:00Z"
SEED = "42"
# bench/run.sh sets these to private copies of the release builds.
PACTA = ROOT / os.environ.get("PACTA_BIN", "target/release/pacta")
GEN = ROOT / os.environ.get("GEN_BIN", "target/release/examples/gen_orders")
PYTHON = ROOT / "bench" / ".venv" / "bin" / "python"
DUCK = ROOT / "bench" / "duckdb_check.py"
STATUSES = ["fulfilled", "violated", "cancelled", "pending"]
TIME_V = Path("/usr/bin/time")


def mem_total_mb() -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    return 8192


MEM_CAP_MB = int(os.environ.get("PACTA_BENCH_MEM_MB", min(16384, mem_total_mb() * 6 // 10)))
TIMEOUT = int(os.environ.get("PACTA_BENCH_TIMEOUT", "1800"))
KEEP = os.environ.get("PACTA_BENCH_KEEP") == "1"
RUNS = max(1, int(os.environ.get("PACTA_BENCH_RUNS", "3")))


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class Run:
    """One measured child process."""

    def __init__(self, rc, wall, cpu, peak_mb, stdout, stderr):
        self.rc = rc
        self.wall = wall
        self.cpu = cpu
        self.peak_mb = peak_mb
        self.stdout = stdout
        self.stderr = stderr


def measure(argv, cap_mb=None, stdout_path=None) -> Run:
    """Runs argv, measured by /usr/bin/time -v when present, else wait4."""

    def limit():
        if cap_mb:
            b = cap_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (b, b))

    out = open(stdout_path, "wb") if stdout_path else subprocess.PIPE
    try:
        if TIME_V.exists():
            tfile = DATA / ".time.txt"
            full = [str(TIME_V), "-v", "-o", str(tfile)] + argv
            p = subprocess.Popen(full, stdout=out, stderr=subprocess.PIPE, preexec_fn=limit, cwd=ROOT)
            try:
                so, se = p.communicate(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                p.kill()
                so, se = p.communicate()
            text = tfile.read_text()
            tfile.unlink()
            wall = parse_elapsed(re.search(r"Elapsed \(wall clock\) time.*: (\S+)", text).group(1))
            user = float(re.search(r"User time \(seconds\): (\S+)", text).group(1))
            sys_ = float(re.search(r"System time \(seconds\): (\S+)", text).group(1))
            peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024
            # GNU time prints "Exit status: 0" for a child killed by a
            # signal too: the signal line comes first.
            m = re.search(r"Exit status: (\d+)", text)
            sig = re.search(r"Command (?:terminated|killed) by signal (\d+)", text)
            rc = -int(sig.group(1)) if sig else (int(m.group(1)) if m else p.returncode)
            return Run(rc, wall, user + sys_, peak, so, se)
        start = time.monotonic()
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE, preexec_fn=limit, cwd=ROOT)
        # Drain stderr in the parent; wait4 gives this child's own rusage.
        se = p.stderr.read()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - start
        p.returncode = os.waitstatus_to_exitcode(status)
        so = p.stdout.read() if p.stdout else b""
        return Run(p.returncode, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, so, se)
    finally:
        if stdout_path:
            out.close()


def measure_median(argv, cap_mb=None, stdout_path=None):
    """RUNS runs of argv (each after a `sync`): the run of median wall time,
    and the (min, max) wall time of all runs. A failed run is returned at
    once."""
    runs = []
    for _ in range(RUNS):
        if stdout_path and Path(stdout_path).exists():
            Path(stdout_path).unlink()
        os.sync()
        r = measure(argv, cap_mb=cap_mb, stdout_path=stdout_path)
        if r.rc not in (0, 1):
            return r, (r.wall, r.wall)
        runs.append(r)
    walls = sorted(x.wall for x in runs)
    median = sorted(runs, key=lambda x: x.wall)[len(runs) // 2]
    return median, (walls[0], walls[-1])


def spread(median: float, rng) -> str:
    """`1.23` for one run, `1.23 (1.10–1.40)` for several."""
    if RUNS == 1:
        return f"{median:.2f}"
    return f"{median:.2f} ({rng[0]:.2f}–{rng[1]:.2f})"


def parse_elapsed(s: str) -> float:
    parts = [float(x) for x in s.split(":")]
    secs = 0.0
    for x in parts:
        secs = secs * 60 + x
    return secs


def pacta_json_counts(path: Path):
    """The summary of a JSON report, read from its tail (the report can be GBs)."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        f.seek(max(0, size - 65536))
        tail = f.read().decode("utf-8", "replace")
    i = tail.rfind('"summary":')
    if i < 0:
        return None, None
    dec = json.JSONDecoder()
    summary, _ = dec.raw_decode(tail[i + len('"summary":') :].lstrip())
    j = tail.rfind('"log":')
    logpart = dec.raw_decode(tail[j + len('"log":') :].lstrip())[0] if j > i else None
    return summary.get("commitments"), logpart


def pacta_text_counts(path: Path):
    """The counts of the `commitments: N violated, …` line of a text report
    (at its end) or of a summary report (at its head)."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(8192).decode("utf-8", "replace")
        f.seek(max(0, size - 8192))
        tail = f.read().decode("utf-8", "replace")
    names = "|".join(STATUSES + ["inactive", "expired"])
    for part in (tail, head):
        m = re.search(rf"commitments: ((?:\d+ (?:{names})(?:, )?)+)", part)
        if m:
            counts = {s: 0 for s in STATUSES}
            for n, status in re.findall(r"(\d+) (\w+)", m.group(1)):
                counts[status] = int(n)
            return counts
    return None


def pick(counts):
    return None if counts is None else {s: int(counts.get(s, 0)) for s in STATUSES}


def fmt_counts(c) -> str:
    return "none" if c is None else "/".join(str(c[s]) for s in STATUSES)


def fail_reason(r: Run) -> str:
    err = r.stderr.decode("utf-8", "replace")
    if "memory allocation" in err or r.rc == -6:
        return f"out of memory (cap {MEM_CAP_MB} MB, peak {r.peak_mb:.0f} MB)"
    if r.rc == -9:
        return f"killed (timeout {TIMEOUT} s or the OOM killer; peak {r.peak_mb:.0f} MB)"
    return f"exit {r.rc}: {err.strip().splitlines()[-1] if err.strip() else ''}"


def machine() -> list:
    lines = []
    model = platform.processor()
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        m = re.search(r"Model name:\s*(.*)", out)
        model = m.group(1).strip() if m else model
    except OSError:
        pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "src"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    duck = subprocess.run([str(PYTHON), "-c", "import duckdb; print(duckdb.__version__)"], capture_output=True, text=True).stdout.strip()
    lines.append(f"machine: {os.cpu_count()} CPUs ({model}), {mem_total_mb() / 1024:.1f} GiB RAM, {platform.system()} {platform.release()}")
    digest = hashlib.sha256(PACTA.read_bytes()).hexdigest()[:12]
    lines.append(f"pacta: {commit}{' + uncommitted changes in src/' if dirty else ''} (binary {PACTA.relative_to(ROOT)}, sha256 {digest}…); DuckDB {duck}; Python {platform.python_version()}")
    lines.append(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    lines.append(f"measured with: {'/usr/bin/time -v' if TIME_V.exists() else 'os.wait4 rusage'}; pacta address-space cap {MEM_CAP_MB} MB; DuckDB memory_limit {MEM_CAP_MB} MB, threads {os.environ.get('DUCKDB_THREADS', 'default (all cores)')}")
    lines.append(f"as of {AS_OF}; rules {RULES}; seed {SEED}; {RUNS} runs of each measurement, each after a sync")
    return lines


def pacta_formats() -> list:
    help_text = subprocess.run([str(PACTA), "check", "--help"], capture_output=True, text=True).stdout
    formats = ["json", "text"]
    # Long help lists `- summary: …`; short help `[possible values: …, summary]`.
    short = re.search(r"possible values: ([^\]]*)", help_text)
    if re.search(r"^\s*-\s*summary:", help_text, re.M) or (short and "summary" in short.group(1)):
        formats.append("summary")
    return formats


def main(argv) -> int:
    sizes = [int(a.replace("_", "")) for a in argv] or [100_000, 1_000_000, 10_000_000]
    DATA.mkdir(parents=True, exist_ok=True)
    header = machine()
    for h in header:
        log(h)
    formats = pacta_formats()
    if "summary" not in formats:
        log("pacta check has no --format summary: that row is skipped")
    rows = []
    notes = []
    ok = True
    for n in sizes:
        path = DATA / f"orders-{n}.jsonl"
        log(f"\n== {n} orders ==")
        t0 = time.monotonic()
        g = subprocess.run([str(GEN), str(n), "--seed", SEED, "--out", str(path), "--as-of", AS_OF], capture_output=True, text=True, cwd=ROOT)
        if g.returncode != 0:
            log(f"generator failed: {g.stderr}")
            return 2
        gen = json.loads(g.stderr.strip().splitlines()[-1])
        expected = pick(gen["expected"])
        mb = gen["bytes"] / 1e6
        log(f"generated {path.relative_to(ROOT)}: {gen['lines']} lines, {mb:.0f} MB in {time.monotonic() - t0:.1f} s; expected {fmt_counts(expected)} (fulfilled/violated/cancelled/pending)")

        duck_argv = [str(PYTHON), str(DUCK), str(path), AS_OF, "--memory-limit", f"{MEM_CAP_MB}MB"]
        if os.environ.get("DUCKDB_THREADS"):
            duck_argv += ["--threads", os.environ["DUCKDB_THREADS"]]
        log("duckdb …")
        d, d_range = measure_median(duck_argv)
        duck_counts = pick(json.loads(d.stdout.decode().strip().splitlines()[-1])) if d.rc == 0 else None
        log(f"duckdb: {d.wall:.2f} s wall, {d.cpu:.2f} s CPU, {d.peak_mb:.0f} MB peak; {fmt_counts(duck_counts) if duck_counts else fail_reason(d)}")

        for fmt in formats:
            out = DATA / f"pacta-{n}.{ 'json' if fmt == 'json' else 'txt'}"
            argv_p = [str(PACTA), "check", RULES, "--events", str(path.relative_to(ROOT)), "--format", fmt, "--as-of", AS_OF]
            log(f"pacta --format {fmt} …")
            r, r_range = measure_median(argv_p, cap_mb=MEM_CAP_MB, stdout_path=out)
            counts = None
            if r.rc in (0, 1):
                if fmt == "json":
                    c, lg = pacta_json_counts(out)
                    counts = pick(c)
                    if lg and lg.get("lines") != gen["lines"]:
                        notes.append(f"{n}: pacta read {lg.get('lines')} lines, the generator wrote {gen['lines']}")
                else:
                    counts = pacta_text_counts(out)
                status = "agree" if counts == duck_counts == expected else f"DIFFER pacta {fmt_counts(counts)} duckdb {fmt_counts(duck_counts)} generator {fmt_counts(expected)}"
                if status != "agree":
                    ok = False
                log(f"pacta {fmt}: {r.wall:.2f} s wall, {r.cpu:.2f} s CPU, {r.peak_mb:.0f} MB peak, report {out.stat().st_size / 1e6:.0f} MB; {fmt_counts(counts)}; {status}")
                pw, pm, pc = spread(r.wall, r_range), f"{r.peak_mb:.0f}", f"{r.cpu:.2f}"
                ratio = f"{r.wall / d.wall:.1f}×" if d.rc == 0 and d.wall > 0 else "–"
            else:
                reason = fail_reason(r)
                (DATA / f"pacta-{n}-{fmt}.stderr").write_bytes(r.stderr)
                status = f"pacta failed: {reason}"
                log(f"pacta {fmt}: failed after {r.wall:.1f} s: {reason}")
                notes.append(f"{n} orders, --format {fmt}: {reason}, after {r.wall:.0f} s")
                pw, pm, pc, ratio = f"failed after {r.wall:.1f}", f"{r.peak_mb:.0f}", f"{r.cpu:.2f}", "–"
            if status != "agree" and r.rc in (0, 1):
                keep = out.with_suffix(out.suffix + ".mismatch")
                out.rename(keep)
                notes.append(f"{n}: counts differ; report kept in {keep.relative_to(ROOT)}")
            elif not KEEP and out.exists():
                out.unlink()
            rows.append([f"{n:,}", f"{gen['lines']:,}", f"{mb:,.0f}", fmt, pw, pc, pm,
                         spread(d.wall, d_range), f"{d.cpu:.2f}", f"{d.peak_mb:.0f}", ratio,
                         "agree" if status == "agree" else status])
        if n >= 10_000_000 and not KEEP:
            path.unlink()
            log(f"deleted {path.relative_to(ROOT)}")

    head = ["orders", "lines", "MB", "pacta format", "pacta wall s (median, range)", "pacta CPU s", "pacta peak MB",
            "DuckDB wall s (median, range)", "DuckDB CPU s", "DuckDB peak MB", "wall pacta/DuckDB (medians)", "counts (pacta = DuckDB = generator)"]
    table = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    table += ["| " + " | ".join(r) + " |" for r in rows]
    footer = [f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"] + notes
    text = "\n".join(header + [""] + table + [""] + footer) + "\n"
    print(text)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (DATA / f"results-{stamp}.md").write_text(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
