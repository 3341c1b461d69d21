//! Hostile inputs: each test feeds `pacta` one input built to break it and
//! asserts a located message and exit status 2 (or the documented
//! behaviour) — never a panic (exit 101), a stack overflow or an abort (a
//! signal), nor unbounded memory. Big inputs are generated at test time
//! under `CARGO_TARGET_TMPDIR`; nothing large is committed.
//!
//! A test that shows a bug in pacta is kept, marked `#[ignore = "bug: …"]`,
//! so that the suite stays green; `cargo test --test hostile -- --ignored`
//! runs them.
//!
//! The `fuzz_regressions_*` tests replay the inputs the fuzz targets
//! (`fuzz/`, `scripts/fuzz-smoke.sh`) once crashed on, kept in
//! `tests/fixtures/fuzz/TARGET-N`, through the same code (`fuzz/harness.rs`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]
mod common;

#[path = "../fuzz/harness.rs"]
mod harness;

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// Helpers

/// One commitment, fulfilled by [`SHIP_A`].
const SHIP_RULES: &str = "party shop\nevent shipped(order: id)\ncommitment ship { by shop must shipped(order: \"A\") }\n";

/// The event that fulfils [`SHIP_RULES`].
const SHIP_A: &str = r#"{"at": "2025-03-01T10:00:00Z", "event": "shipped", "order": "A"}"#;

/// A folder of its own for one test, emptied first.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("hostile")
            .join(test);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// Writes a file; returns its path as an argument.
    fn file(&self, name: &str, bytes: impl AsRef<[u8]>) -> String {
        let p = self.0.join(name);
        fs::write(&p, bytes).unwrap();
        self.path(name)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

/// How a run ended.
#[derive(Debug)]
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl From<std::process::Output> for Out {
    fn from(o: std::process::Output) -> Out {
        Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// The `pacta` binary, run as `common::pacta` runs it.
fn pacta_cmd() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pacta"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("PACTA_ACCEPT");
    c
}

fn run(args: &[&str]) -> Out {
    let (code, stdout, stderr) = common::pacta(args);
    Out {
        code,
        stdout,
        stderr,
    }
}

/// Spawns pacta with standard output and error piped.
fn spawn_piped(args: &[&str], stdin: Stdio) -> Child {
    pacta_cmd()
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Runs with `input` on standard input, written from a thread.
fn run_stdin(args: &[&str], input: Vec<u8>) -> Out {
    let mut child = spawn_piped(args, Stdio::piped());
    let mut stdin = child.stdin.take().unwrap();
    // pacta may stop reading early: a broken pipe here is no failure.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out.into()
}

/// pacta ended by itself, with 0, 1 or 2: no panic (101), no signal (-1,
/// e.g. the abort of a stack overflow), no panic message.
#[track_caller]
fn assert_no_crash(o: &Out) {
    assert!(
        matches!(o.code, 0..=2),
        "pacta crashed: exit {} (101 = panic, -1 = killed by a signal such as a stack overflow's abort)\nstderr:\n{}",
        o.code,
        tail(&o.stderr)
    );
    for word in ["panicked", "overflowed its stack", "RUST_BACKTRACE"] {
        assert!(
            !o.stderr.contains(word),
            "stderr mentions `{word}`:\n{}",
            tail(&o.stderr)
        );
    }
}

/// Exit 2, no report, and every needle on standard error.
#[track_caller]
fn assert_refused(o: &Out, needles: &[&str]) {
    assert_no_crash(o);
    assert_eq!(o.code, 2, "expected exit 2\nstderr:\n{}", tail(&o.stderr));
    assert!(
        o.stdout.is_empty(),
        "a run that could not be made printed a report:\n{}",
        tail(&o.stdout)
    );
    for n in needles {
        assert!(
            o.stderr.contains(n),
            "stderr lacks `{n}`:\n{}",
            tail(&o.stderr)
        );
    }
}

/// Exit 2 with a diagnostic located at `name:line` (then `:col` or `: …`).
#[track_caller]
fn assert_refused_at(o: &Out, name: &str, line: u32, needles: &[&str]) {
    assert_refused(o, needles);
    assert!(
        names_line(&o.stderr, name, line),
        "stderr does not point at `{name}:{line}`:\n{}",
        tail(&o.stderr)
    );
}

/// No crash, and a refusal (exit 2) points at `name:line`; returns whether pacta refused.
#[track_caller]
fn assert_located_if_refused(o: &Out, name: &str, line: u32) -> bool {
    assert_no_crash(o);
    let refused = o.code == 2;
    if refused {
        assert!(
            names_line(&o.stderr, name, line),
            "stderr does not point at `{name}:{line}`:\n{}",
            tail(&o.stderr)
        );
    }
    refused
}

/// True when `text` holds `name:line` not followed by another digit.
fn names_line(text: &str, name: &str, line: u32) -> bool {
    let needle = format!("{name}:{line}");
    text.match_indices(&needle).any(|(i, _)| {
        !text
            .get(i + needle.len()..)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
    })
}

/// True when `text` holds `name:N` for some line number N.
fn names_some_line(text: &str, name: &str) -> bool {
    let needle = format!("{name}:");
    text.match_indices(&needle).any(|(i, _)| {
        text.get(i + needle.len()..)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
    })
}

/// The end of a long text, for assertion messages.
fn tail(s: &str) -> &str {
    let mut start = s.len().saturating_sub(3000);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

/// A JSON report.
fn json(o: &Out) -> serde_json::Value {
    serde_json::from_str(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not a JSON report ({e}); exit {}\nstderr:\n{}",
            o.code,
            tail(&o.stderr)
        )
    })
}

/// The verdicts of a JSON report, without the evidence's log lines (which
/// move when lines are added): per instance its status and times, per claim
/// its verdict, the disputes and the summary.
fn verdicts(report: &serde_json::Value) -> serde_json::Value {
    let commitments: Vec<serde_json::Value> = report["commitments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            serde_json::json!([
                c["id"],
                c["bindings"],
                c["status"],
                c["trigger_at"],
                c["deadline"],
                c["decided_at"],
                c["late_at"],
                c["progress"]
            ])
        })
        .collect();
    let claims: Vec<serde_json::Value> = report["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| serde_json::json!([c["by"], c["at"], c["verdict"], c["actual"]]))
        .collect();
    serde_json::json!({
        "as_of": report["as_of"],
        "commitments": commitments,
        "claims": claims,
        "disputes": report["disputes"].as_array().unwrap().len(),
        "summary": report["summary"],
    })
}

/// A small deterministic generator (xorshift64*), so that "random" inputs
/// are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next().to_le_bytes()[0]).collect()
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// The peak resident set size (`VmHWM`) of a running process, in KiB.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Waits for `child`, polling its peak memory every few milliseconds; kills
/// it once it passes `kill_above_kib` or runs past `timeout`. Returns the
/// outcome (stdout and stderr were sent to files in `s`) and the largest
/// `VmHWM` seen.
fn wait_measured(
    mut child: Child,
    s: &Scratch,
    kill_above_kib: u64,
    timeout: Duration,
) -> (Out, u64) {
    let pid = child.id();
    let start = Instant::now();
    let mut peak = 0u64;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if let Some(kib) = vm_hwm_kib(pid) {
            peak = peak.max(kib);
        }
        if peak > kill_above_kib || start.elapsed() > timeout {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let out = Out {
        code: status.code().unwrap_or(-1),
        stdout: fs::read_to_string(s.0.join("stdout")).unwrap_or_default(),
        stderr: fs::read_to_string(s.0.join("stderr")).unwrap_or_default(),
    };
    (out, peak)
}

/// Spawns pacta with standard output and error sent to files in `s`.
fn spawn_to_files(args: &[&str], s: &Scratch, stdin: Stdio) -> Child {
    pacta_cmd()
        .args(args)
        .stdin(stdin)
        .stdout(fs::File::create(s.0.join("stdout")).unwrap())
        .stderr(fs::File::create(s.0.join("stderr")).unwrap())
        .spawn()
        .unwrap()
}

/// [`spawn_to_files`] then [`wait_measured`]; asserts that `what` finished within `limit`.
#[track_caller]
fn run_within(args: &[&str], s: &Scratch, kill_above_kib: u64, limit: Duration, what: &str) -> Out {
    let child = spawn_to_files(args, s, Stdio::null());
    let start = Instant::now();
    let (o, _) = wait_measured(child, s, kill_above_kib, limit);
    assert!(
        start.elapsed() < limit,
        "{what} did not finish in {} s",
        limit.as_secs()
    );
    o
}

/// Checks [`SHIP_RULES`] against `head` and a 1 GiB line on stdin; returns outcome and peak RSS.
fn check_gib_line_on_stdin(test: &str, head: &'static [u8]) -> (Out, u64) {
    let s = Scratch::new(test);
    let rules = s.file("rules.pacta", SHIP_RULES);
    let mut child = spawn_to_files(&["check", &rules, "--events", "-"], &s, Stdio::piped());
    let stdin: ChildStdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || feed_long_line(stdin, head, GIB));
    let (o, peak) = wait_measured(child, &s, 1024 * MIB, Duration::from_secs(300));
    writer.join().unwrap();
    (o, peak)
}

/// Writes the rule file `name` and checks it, with an empty log, as of 2025-03-01.
fn check_rule_file(s: &Scratch, name: &str, text: impl AsRef<[u8]>) -> Out {
    let rules = s.file(name, text);
    let log = s.file("empty.jsonl", "");
    run(&["check", &rules, "--events", &log, "--as-of", "2025-03-01"])
}

/// Writes the log `name` and checks `rules` against it, with `extra` args.
fn check_log(
    s: &Scratch,
    rules: &str,
    name: &str,
    events: impl AsRef<[u8]>,
    extra: &[&str],
) -> Out {
    let log = s.file(name, events);
    let mut args = vec!["check", rules, "--events", &log];
    args.extend(extra);
    run(&args)
}

/// Checks `deep.pacta`, a commitment triggered by `condition`, with an empty log as of 2025-03-01.
fn check_trigger(test: &str, condition: &str) -> Out {
    let s = Scratch::new(test);
    let rules = s.file(
        "deep.pacta",
        format!(
            "party shop\nevent e(x: int)\ncommitment c {{ by shop after {condition} must e(x: 2) }}\n"
        ),
    );
    let log = s.file("events.jsonl", "");
    run(&["check", &rules, "--events", &log, "--as-of", "2025-03-01"])
}

/// Writes `name` ([`many_commitments`] of `size` bytes) and a [`SHIP_A`] log; returns paths and n.
fn write_many_commitments(s: &Scratch, name: &str, size: usize) -> (String, String, usize) {
    let (text, n) = many_commitments(size);
    let rules = s.file(name, text);
    let log = s.file("events.jsonl", format!("{SHIP_A}\n"));
    (rules, log, n)
}

/// The example's rule file.
const ORDER_SLA_RULES: &str = "examples/order_sla/rules.pacta";

/// The example's log, read by [`example_events`].
const ORDER_SLA_LOG: &str = "examples/order_sla/events.jsonl";

/// The text of [`ORDER_SLA_LOG`].
fn example_events() -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(ORDER_SLA_LOG)).unwrap()
}

/// Writes `head`, then `len` bytes of `x` in 1 MiB chunks, and no newline;
/// stops quietly when the reader has gone.
fn feed_long_line(mut w: impl std::io::Write, head: &[u8], len: usize) {
    let chunk = vec![b'x'; 1 << 20];
    if w.write_all(head).is_err() {
        return;
    }
    let mut left = len;
    while left > 0 {
        let n = left.min(chunk.len());
        if w.write_all(&chunk[..n]).is_err() {
            return;
        }
        left -= n;
    }
}

const GIB: usize = 1 << 30;
const MIB: u64 = 1024;

// ---------------------------------------------------------------------------
// Nesting in rule files

/// 100,000 nested parentheses in a condition: refused at the 65th bracket
/// (the guard of `syntax::check_nesting`), not by overflowing pest's stack.
#[test]
fn rule_file_nested_parentheses_100k() {
    let n = 100_000;
    let condition = format!("{}e(x: 1){}", "(".repeat(n), ")".repeat(n));
    let o = check_trigger("nested_parentheses", &condition);
    assert_refused_at(&o, "deep.pacta", 3, &["nesting deeper than 64 levels"]);
}

/// 100,000 opening braces.
#[test]
fn rule_file_nested_braces_100k() {
    let s = Scratch::new("nested_braces");
    let o = check_rule_file(
        &s,
        "deep.pacta",
        format!("party shop\n{}\n", "{".repeat(100_000)),
    );
    assert_refused_at(&o, "deep.pacta", 2, &["nesting deeper than 64 levels"]);
}

/// 100,000 opening brackets in a `holidays` list.
#[test]
fn rule_file_nested_brackets_100k() {
    let s = Scratch::new("nested_brackets");
    let o = check_rule_file(
        &s,
        "deep.pacta",
        format!("party shop\nholidays {}\n", "[".repeat(100_000)),
    );
    assert_refused_at(&o, "deep.pacta", 2, &["nesting deeper than 64 levels"]);
}

/// `not not not … e(x: 1)`, 100,000 times: no bracket, so the nesting guard
/// does not see it, and the condition tree is 100,000 deep.
#[test]
fn rule_file_chain_of_100k_nots() {
    let condition = format!("{}e(x: 1)", "not ".repeat(100_000));
    let o = check_trigger("chain_of_nots", &condition);
    assert_located_if_refused(&o, "deep.pacta", 3);
}

/// `e(x: 1) and e(x: 1) and …`, 50,000 terms: flat to the reader, but
/// lowered into a left-deep tree 50,000 levels deep.
#[test]
fn rule_file_chain_of_50k_ands() {
    let terms = vec!["e(x: 1)"; 50_000].join(" and ");
    let o = check_trigger("chain_of_ands", &terms);
    assert_located_if_refused(&o, "deep.pacta", 3);
}

/// The same with `or`.
#[test]
fn rule_file_chain_of_50k_ors() {
    let terms = vec!["e(x: 1)"; 50_000].join(" or ");
    let o = check_trigger("chain_of_ors", &terms);
    assert_located_if_refused(&o, "deep.pacta", 3);
}

// ---------------------------------------------------------------------------
// Huge lines and logs

/// A single JSON Lines line of 1 GiB with no newline, on standard input
/// from a pipe: refused as longer than `events::MAX_LINE` at `<stdin>:1`,
/// and read in bounded memory — the line is never held whole.
#[test]
fn log_line_of_1_gib_on_stdin() {
    let (o, peak) = check_gib_line_on_stdin("gib_line_stdin", br#"{"at": ""#);
    eprintln!("peak RSS for a 1 GiB line on stdin: {} MiB", peak / MIB);
    assert!(
        peak < 256 * MIB,
        "pacta's peak RSS was {} MiB for a 1 GiB line on stdin: the input is held in memory",
        peak / MIB
    );
    assert_refused_at(&o, "<stdin>", 1, &["longer than"]);
}

/// The same line, 256 MiB, read from a named pipe given as a `.jsonl` path.
#[test]
fn log_line_of_256_mib_from_a_named_pipe() {
    let s = Scratch::new("long_line_fifo");
    let rules = s.file("rules.pacta", SHIP_RULES);
    let fifo = s.path("events.jsonl");
    match Command::new("mkfifo").arg(&fifo).status() {
        Ok(st) if st.success() => {}
        _ => {
            eprintln!("mkfifo is not available: test skipped");
            return;
        }
    }
    let child = spawn_to_files(&["check", &rules, "--events", &fifo], &s, Stdio::null());
    let path = fifo.clone();
    let writer = std::thread::spawn(move || {
        let f = fs::OpenOptions::new().write(true).open(path).unwrap();
        feed_long_line(f, br#"{"at": ""#, 256 << 20);
    });
    let (o, peak) = wait_measured(child, &s, 1024 * MIB, Duration::from_secs(120));
    writer.join().unwrap();
    assert!(peak < 128 * MIB, "peak RSS {} MiB", peak / MIB);
    assert_refused_at(&o, "events.jsonl", 1, &["longer than"]);
}

/// A CSV log on standard input whose second line is 1 GiB long.
#[test]
fn csv_line_of_1_gib_on_stdin() {
    let (o, peak) = check_gib_line_on_stdin("gib_line_csv", b"at,event,order\n");
    assert!(
        peak < 256 * MIB,
        "pacta's peak RSS passed {} MiB for a 1 GiB CSV line on stdin",
        peak / MIB
    );
    assert_refused_at(&o, "<stdin>", 2, &[]);
}

/// A 17 MiB CSV line in a file, after a good row: the run ends there with
/// its line, even with `--skip-bad-lines` (a quoted cell could run over
/// several lines; the rows after it cannot be told apart).
#[test]
fn csv_line_over_the_limit_in_a_file() {
    let s = Scratch::new("long_line_csv");
    let rules = s.file("rules.pacta", SHIP_RULES);
    let mut text = String::from("at,event,order\n2025-03-01T10:00:00Z,shipped,A\n");
    text.push_str(&"x".repeat(17 << 20));
    text.push_str("\n2025-03-01T11:00:00Z,shipped,A\n");
    let log = s.file("events.csv", text);
    for extra in [&[][..], &["--skip-bad-lines"][..]] {
        let mut args = vec!["check", &rules, "--events", &log];
        args.extend(extra);
        let o = run(&args);
        assert_refused_at(&o, "events.csv", 3, &["longer than 16 MiB"]);
    }
}

/// A quoted cell of 70 MiB over short lines, after a good row: no line is
/// long, but the row is, and the run ends at the line it starts on.
#[test]
fn csv_row_over_the_limit_in_a_file() {
    let s = Scratch::new("long_row_csv");
    let rules = s.file("rules.pacta", SHIP_RULES);
    let mut text = String::from("at,event,order\n2025-03-01T10:00:00Z,shipped,A\n");
    text.push_str("2025-03-01T11:00:00Z,shipped,\"");
    text.push_str(&"x\n".repeat(35 << 20));
    text.push_str("\"\n");
    let log = s.file("events.csv", text);
    let o = run(&["check", &rules, "--events", &log]);
    assert_refused_at(&o, "events.csv", 3, &["row longer than 64 MiB"]);
}

/// `/dev/zero` as a rule file: an endless input.
#[test]
fn rule_file_that_never_ends() {
    if !Path::new("/dev/zero").exists() {
        return;
    }
    let s = Scratch::new("endless_rule_file");
    let child = spawn_to_files(
        &[
            "check",
            "/dev/zero",
            "--events",
            "/dev/null",
            "--as-of",
            "2025-03-01",
        ],
        &s,
        Stdio::null(),
    );
    let (o, peak) = wait_measured(child, &s, 512 * MIB, Duration::from_secs(60));
    assert!(
        peak <= 512 * MIB,
        "killed past {} MiB of RSS reading /dev/zero as a rule file",
        peak / MIB
    );
    assert_refused(&o, &["/dev/zero"]);
}

/// A 256 KiB rule file of ~3,000 valid commitments: every one is reported.
#[test]
fn rule_file_of_many_commitments() {
    let s = Scratch::new("many_commitments");
    let (rules, log, n) = write_many_commitments(&s, "big.pacta", 256 << 10);
    let o = run(&["check", &rules, "--events", &log, "--format", "json"]);
    assert_no_crash(&o);
    let report = json(&o);
    assert_eq!(report["commitments"].as_array().unwrap().len(), n);
}

/// The 10 MB variant: it must finish (here: within 120 s, a debug build).
#[test]
fn rule_file_of_10_mb() {
    let s = Scratch::new("ten_mb_rule_file");
    let (rules, log, n) = write_many_commitments(&s, "big.pacta", 10 << 20);
    let o = run_within(
        &["check", &rules, "--events", &log, "--format", "json"],
        &s,
        4096 * MIB,
        Duration::from_secs(120),
        &format!("a 10 MB rule file ({n} commitments)"),
    );
    assert_no_crash(&o);
    assert_eq!(json(&o)["commitments"].as_array().unwrap().len(), n);
}

/// Valid commitments up to `size` bytes; returns the text and how many.
fn many_commitments(size: usize) -> (String, usize) {
    let mut text = String::from("party shop\nevent shipped(order: id)\n");
    let mut n = 0;
    while text.len() < size {
        text.push_str(&format!(
            "commitment c{n} \"Ship order {n}\" {{ by shop must shipped(order: \"O{n}\") by 2025-03-02 }}\n"
        ));
        n += 1;
    }
    (text, n)
}

// ---------------------------------------------------------------------------
// Encodings and line ends

/// Invalid UTF-8 inside a rule file: refused, naming the file, the line
/// and column, and the byte offset of the first bad byte.
#[test]
fn rule_file_with_invalid_utf8() {
    let s = Scratch::new("rule_invalid_utf8");
    let o = check_rule_file(
        &s,
        "bad.pacta",
        b"party shop\nevent shipped(order: id)\ncommitment ship { by shop must shipped(order: \"\xff\xfe\") }\n",
    );
    assert_refused(&o, &["bad.pacta", "UTF-8"]);
    assert!(
        o.stderr.contains("bad.pacta:3:48 (byte 83)"),
        "the bad byte is not located:\n{}",
        tail(&o.stderr)
    );
}

/// Invalid UTF-8 inside a JSON Lines log: line 2 is refused.
#[test]
fn jsonl_log_with_invalid_utf8() {
    let s = Scratch::new("jsonl_invalid_utf8");
    let rules = s.file("rules.pacta", SHIP_RULES);
    let mut log = format!("{SHIP_A}\n").into_bytes();
    log.extend_from_slice(
        b"{\"at\": \"2025-03-01T11:00:00Z\", \"event\": \"shipped\", \"order\": \"\xff\"}\n",
    );
    let o = check_log(&s, &rules, "events.jsonl", log, &[]);
    assert_refused_at(&o, "events.jsonl", 2, &[]);
}

/// Invalid UTF-8 in a CSV cell: row 3 is refused, naming the column.
#[test]
fn csv_log_with_invalid_utf8() {
    let s = Scratch::new("csv_invalid_utf8");
    let rules = s.file("rules.pacta", SHIP_RULES);
    let o = check_log(
        &s,
        &rules,
        "events.csv",
        b"at,event,order\n2025-03-01T10:00:00Z,shipped,A\n2025-03-01T11:00:00Z,shipped,\xff\n",
        &[],
    );
    assert_refused_at(&o, "events.csv", 3, &["`order`", "not UTF-8"]);
}

/// A byte-order mark opens the rule file, a JSON Lines log, a CSV log and
/// standard input: all are read as without it (documented, §2 and §8.1).
#[test]
fn byte_order_marks_are_accepted() {
    let s = Scratch::new("bom");
    let bom = "\u{feff}";
    let rules = s.file("rules.pacta", format!("{bom}{SHIP_RULES}"));
    let jsonl = s.file("events.jsonl", format!("{bom}{SHIP_A}\n"));
    let csv = s.file(
        "events.csv",
        format!("{bom}at,event,order\r\n2025-03-01T10:00:00Z,shipped,A\r\n"),
    );
    for log in [&jsonl, &csv] {
        let o = run(&["check", &rules, "--events", log, "--format", "json"]);
        assert_no_crash(&o);
        assert_eq!(o.code, 0, "{log}: {}", tail(&o.stderr));
        assert_eq!(json(&o)["commitments"][0]["status"], "fulfilled", "{log}");
    }
    let o = run_stdin(
        &["check", &rules, "--events", "-", "--format", "json"],
        format!("{bom}{SHIP_A}\n").into_bytes(),
    );
    assert_eq!(o.code, 0, "stdin: {}", tail(&o.stderr));
    assert_eq!(json(&o)["commitments"][0]["status"], "fulfilled");
}

/// Windows line ends everywhere: the verdicts are the same, and errors
/// still name the right line.
#[test]
fn crlf_line_ends() {
    let s = Scratch::new("crlf");
    let rules = s.file("rules.pacta", SHIP_RULES.replace('\n', "\r\n"));
    let jsonl = s.file("events.jsonl", format!("{SHIP_A}\r\n\r\n"));
    let csv = s.file(
        "events.csv",
        "at,event,order\r\n2025-03-01T10:00:00Z,shipped,A\r\n\r\n",
    );
    for log in [&jsonl, &csv] {
        let o = run(&["check", &rules, "--events", log]);
        assert_no_crash(&o);
        assert_eq!(o.code, 0, "{log}: {}", tail(&o.stderr));
    }
    let bad_rules = s.file(
        "bad.pacta",
        format!("{SHIP_RULES}nonsense\n").replace('\n', "\r\n"),
    );
    let o = run(&["check", &bad_rules, "--events", &jsonl]);
    assert_refused_at(&o, "bad.pacta", 4, &[]);
    let o = check_log(
        &s,
        &rules,
        "bad.jsonl",
        format!("{SHIP_A}\r\n\r\n{{\"at\": \"x\", \"event\": \"shipped\", \"order\": \"A\"}}\r\n"),
        &[],
    );
    assert_refused_at(&o, "bad.jsonl", 3, &["`at`"]);
    let o = check_log(
        &s,
        &rules,
        "bad.csv",
        "at,event,order\r\n2025-03-01T10:00:00Z,shipped,A\r\n\r\n2025-03-01T10:00:00Z,shipped\r\n",
        &[],
    );
    assert_refused_at(&o, "bad.csv", 4, &["columns"]);
}

/// Blank and white-space-only lines are skipped but counted for line numbers.
#[test]
fn blank_lines_in_logs() {
    let s = Scratch::new("blank_lines");
    let rules = s.file("rules.pacta", SHIP_RULES);
    let good = format!("\n   \n\t\n{SHIP_A}\n\n\n");
    let o = check_log(&s, &rules, "good.jsonl", good, &["--format", "json"]);
    assert_eq!(o.code, 0, "{}", tail(&o.stderr));
    assert_eq!(json(&o)["commitments"][0]["status"], "fulfilled");
    let bad = format!("\n   \n{SHIP_A}\n\n{{\"at\": 5}}\n");
    let o = check_log(&s, &rules, "bad.jsonl", bad, &[]);
    assert_refused_at(&o, "bad.jsonl", 5, &[]);
    let csv = "at,event,order\n\n2025-03-01T10:00:00Z,shipped,A\n\n,,\n";
    let o = check_log(&s, &rules, "events.csv", csv, &[]);
    assert_eq!(o.code, 0, "{}", tail(&o.stderr));
}

/// The last line is cut short: no newline, incomplete JSON. Refused at
/// line 2. (A complete last line without a newline is read.)
#[test]
fn truncated_last_line() {
    let s = Scratch::new("truncated");
    let rules = s.file("rules.pacta", SHIP_RULES);
    let cut = format!("{SHIP_A}\n{{\"at\": \"2025-03-01T10:00:00Z\", \"event\": \"shi");
    let o = check_log(&s, &rules, "cut.jsonl", cut, &[]);
    assert_refused_at(&o, "cut.jsonl", 2, &["invalid JSON"]);
    let o = check_log(&s, &rules, "whole.jsonl", SHIP_A, &[]);
    assert_eq!(o.code, 0, "{}", tail(&o.stderr));
    let csv = "at,event,order\n2025-03-01T10:00:00Z,shipped,A\n2025-03-01T10:00:00Z,\"shi";
    let o = check_log(&s, &rules, "cut.csv", csv, &[]);
    assert_refused_at(&o, "cut.csv", 3, &[]);
}

// ---------------------------------------------------------------------------
// Missing, empty and wrong inputs

/// An empty log: no default as-of, so exit 2 (documented, §9.3); with
/// `--as-of` a report. The same for standard input and a log of blanks.
#[test]
fn empty_log() {
    let s = Scratch::new("empty_log");
    let rules = s.file("rules.pacta", SHIP_RULES);
    let empty = s.file("empty.jsonl", "");
    let blanks = s.file("blanks.jsonl", "\n \r\n\t\n");
    for log in [&empty, &blanks] {
        let o = run(&["check", &rules, "--events", log]);
        assert_refused(&o, &["no events", "--as-of"]);
        let o = run(&[
            "check",
            &rules,
            "--events",
            log,
            "--as-of",
            "2025-03-01",
            "--format",
            "json",
        ]);
        assert_eq!(o.code, 0, "{}", tail(&o.stderr));
        assert_eq!(json(&o)["commitments"][0]["status"], "pending");
    }
    let o = run_stdin(&["check", &rules, "--events", "-"], Vec::new());
    assert_refused(&o, &["no events"]);
    // `--events` is required: a run without a log is refused before the
    // rules are read (a check of an empty world is `--events` on an empty log).
    let o = run(&["check", &rules]);
    assert_refused(&o, &["required", "--events <LOG>"]);
    for cmd in ["explain", "snapshot"] {
        let mut args = vec![cmd];
        if cmd == "explain" {
            args.push("ship");
        }
        args.extend([rules.as_str(), "--as-of", "2025-03-01"]);
        let o = run(&args);
        assert_refused(&o, &["required", "--events <LOG>"]);
    }
}

/// A log that is a folder.
#[test]
fn log_that_is_a_directory() {
    let s = Scratch::new("log_dir");
    let rules = s.file("rules.pacta", SHIP_RULES);
    fs::create_dir_all(s.0.join("logs.jsonl")).unwrap();
    let o = run(&["check", &rules, "--events", &s.path("logs.jsonl")]);
    assert_refused(&o, &["logs.jsonl", "folder"]);
}

/// Rule and log paths that do not exist; a folder without rule files.
#[test]
fn paths_that_do_not_exist() {
    let s = Scratch::new("missing_paths");
    let rules = s.file("rules.pacta", SHIP_RULES);
    let empty = s.file("empty.jsonl", "");
    let o = run(&[
        "check",
        &s.path("nowhere.pacta"),
        "--events",
        &empty,
        "--as-of",
        "2025-03-01",
    ]);
    assert_refused(&o, &["nowhere.pacta", "cannot read rule file"]);
    let o = run(&["check", &rules, "--events", &s.path("nowhere.jsonl")]);
    assert_refused(&o, &["nowhere.jsonl", "cannot read log"]);
    fs::create_dir_all(s.0.join("empty_folder")).unwrap();
    let o = run(&[
        "check",
        &s.path("empty_folder"),
        "--events",
        &empty,
        "--as-of",
        "2025-03-01",
    ]);
    assert_refused(&o, &["empty_folder", "no `*.pacta` files"]);
}

/// `-` twice: standard input cannot be read twice.
#[test]
fn stdin_given_twice() {
    let s = Scratch::new("stdin_twice");
    let rules = s.file("rules.pacta", SHIP_RULES);
    let o = run_stdin(
        &["check", &rules, "--events", "-", "--events", "-"],
        format!("{SHIP_A}\n").into_bytes(),
    );
    assert_refused(&o, &["standard input is given twice"]);
}

/// The same log file twice, by one name or two: its events would count
/// twice (an aggregate reached on half the evidence). Refused.
#[test]
fn log_given_twice() {
    let s = Scratch::new("log_twice");
    let rules = s.file("rules.pacta", SHIP_RULES);
    let log = s.file("events.jsonl", format!("{SHIP_A}\n"));
    let with = |other: &str| run(&["check", &rules, "--events", &log, "--events", other]);
    assert_refused(&with(&log), &["is given twice", "give each log once"]);
    // The same file by another path.
    let dir = Path::new(&log).parent().unwrap();
    let other = dir.join(".").join("events.jsonl");
    assert_refused(&with(other.to_str().unwrap()), &["given already"]);
    // A hard link is the same file under another name.
    let hard = dir.join("hard.jsonl");
    fs::hard_link(&log, &hard).unwrap();
    assert_refused(&with(hard.to_str().unwrap()), &["given already"]);
    fs::remove_file(&hard).unwrap();
    // Two files with the same contents are two logs.
    let copy = s.file("copy.jsonl", format!("{SHIP_A}\n"));
    let o = with(&copy);
    assert_no_crash(&o);
    assert_ne!(o.code, 2, "{}", o.stderr);
}

/// Standard input whose first line is not JSON is read as CSV; a header
/// without the time or kind column is the error, at line 1, with why it
/// was read as CSV — not a row count mismatch on line 2.
#[test]
fn stdin_read_as_csv_without_a_time_column() {
    let s = Scratch::new("stdin_csv_header");
    let rules = s.file("rules.pacta", SHIP_RULES);
    for skip in [false, true] {
        let mut args = vec!["check", rules.as_str(), "--events", "-"];
        if skip {
            args.push("--skip-bad-lines");
        }
        let o = run_stdin(&args, format!("oops\n{SHIP_A}\n").into_bytes());
        assert_refused_at(&o, "<stdin>", 1, &["has no `at` column", "read as CSV"]);
    }
    let o = run_stdin(
        &["check", &rules, "--events", "-"],
        b"at,order\n2025-03-01T10:00:00Z,A\n".to_vec(),
    );
    assert_refused_at(&o, "<stdin>", 1, &["has no `event` column"]);
}

/// A CSV header that names a column twice is refused at line 1 (which
/// cell holds the field would be a guess); unnamed columns, as trailing
/// commas leave, are not names.
#[test]
fn csv_header_with_a_column_named_twice() {
    let s = Scratch::new("csv_dup_column");
    let rules = s.file("rules.pacta", SHIP_RULES);
    let log = s.file(
        "events.csv",
        "at,event,order,order\n2025-03-01T10:00:00Z,shipped,A,B\n",
    );
    let o = run(&["check", &rules, "--events", &log]);
    assert_refused_at(&o, "events.csv", 1, &["names the column `order` twice"]);
    let log = s.file(
        "trailing.csv",
        "at,event,order,,\n2025-03-01T10:00:00Z,shipped,A,,\n",
    );
    let o = run(&["check", &rules, "--events", &log]);
    assert_no_crash(&o);
    assert_eq!(o.code, 0, "{}", tail(&o.stderr));
}

/// `pacta fmt`, `--output` and `snapshot --accept` replace a file whole or
/// not at all: the new bytes go to a temporary file beside it, renamed over
/// it. The file keeps its permissions, nothing is left behind, and when
/// the new file cannot be written (here a folder that refuses new files,
/// as a full disk would refuse new bytes) the old one is left as it was.
#[cfg(unix)]
#[test]
fn files_are_replaced_whole_or_not_at_all() {
    use std::os::unix::fs::PermissionsExt as _;
    let s = Scratch::new("replace_whole");
    let rules = s.file("rules.pacta", "party  shop\nevent shipped(order: id)\ncommitment ship { by shop must shipped(order: \"A\") }\n");
    fs::set_permissions(&rules, fs::Permissions::from_mode(0o751)).unwrap();
    let o = run(&["fmt", &rules]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        fs::read_to_string(&rules)
            .unwrap()
            .starts_with("party shop\n")
    );
    assert_eq!(
        fs::metadata(&rules).unwrap().permissions().mode() & 0o777,
        0o751
    );
    let log = s.file("events.jsonl", format!("{SHIP_A}\n"));
    let report = Path::new(&rules).with_file_name("report.txt");
    let o = run(&[
        "check",
        &rules,
        "--events",
        &log,
        "--output",
        report.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(fs::read_to_string(&report).unwrap().contains("fulfilled"));
    let dir = Path::new(&rules).parent().unwrap();
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["events.jsonl", "report.txt", "rules.pacta"]);
    // A folder that takes no new file (root ignores permissions: skip).
    fs::write(&rules, "party  shop\n").unwrap();
    fs::set_permissions(dir, fs::Permissions::from_mode(0o555)).unwrap();
    let probe = dir.join("probe");
    if fs::write(&probe, "x").is_ok() {
        let _ = fs::remove_file(&probe);
    } else {
        let o = run(&["fmt", &rules]);
        assert_refused(&o, &["cannot write"]);
        assert_eq!(fs::read_to_string(&rules).unwrap(), "party  shop\n");
    }
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).unwrap();
}

/// An empty CSV log, or one of blank lines, holds no events, as an empty
/// JSON Lines log does: with an as-of the check runs (nothing is missing a
/// header it never had).
#[test]
fn empty_csv_log_holds_no_events() {
    let s = Scratch::new("empty_csv");
    let rules = s.file("rules.pacta", SHIP_RULES);
    for (name, text) in [
        ("empty.csv", ""),
        ("blank.csv", "\n\n"),
        ("empty.jsonl", ""),
    ] {
        let log = s.file(name, text);
        let o = run(&[
            "check",
            &rules,
            "--events",
            &log,
            "--as-of",
            "2025-03-01T00:00:00Z",
        ]);
        assert_no_crash(&o);
        assert_eq!(o.code, 0, "{name}: {}", tail(&o.stderr));
        assert!(
            o.stdout.contains("0 log lines read") || o.stdout.contains("no events"),
            "{name}: {}",
            o.stdout
        );
    }
}

/// A hostile log's values reach the terminal of whoever reads the text
/// report or an explanation: control characters (a window title, a screen
/// clear, a carriage return) are shown as `\u{…}` text, never written raw.
#[test]
fn control_characters_from_logs_are_shown_not_obeyed() {
    let s = Scratch::new("terminal_escapes");
    let rules = s.file(
        "rules.pacta",
        "party shop\nevent shipped(order: id)\ncommitment ship { for each order by shop must shipped(order) within 1 day }\n",
    );
    let log = s.file(
        "events.jsonl",
        concat!(
            r#"{"at": "2025-03-01T10:00:00Z", "event": "shipped", "order": "A\u001b[2J\r"}"#,
            "\n",
            r#"{"at": "2025-03-01T11:00:00Z", "event": "claim", "by": "shop", "about": "ship", "says": "fulfilled", "text": "evil \u001b]0;pwned\u0007 \u009b2J"}"#,
            "\n",
        ),
    );
    for args in [
        vec!["check", &rules, "--events", &log],
        vec!["check", &rules, "--events", &log, "--format", "summary"],
        vec!["explain", "ship", &rules, "--events", &log],
        vec!["explain", "events.jsonl:2", &rules, "--events", &log],
    ] {
        let o = run(&args);
        assert_no_crash(&o);
        let raw: Vec<char> = o
            .stdout
            .chars()
            .filter(|c| c.is_control() && *c != '\n' && *c != '\t')
            .collect();
        assert!(
            raw.is_empty(),
            "{args:?}: raw controls {raw:?} in\n{}",
            o.stdout
        );
    }
    let o = run(&["check", &rules, "--events", &log]);
    assert!(o.stdout.contains("A\\u{1b}[2J\\u{d}"), "{}", o.stdout);
}

/// A param given two values, and an empty field name: bad arguments.
#[test]
fn param_twice_and_empty_field_names() {
    let s = Scratch::new("param_twice");
    let rules = s.file(
        "rules.pacta",
        "party shop\nevent shipped(order: id)\nparam soon = 1 day\ncommitment ship { by shop must shipped(order: \"A\") within soon }\n",
    );
    let log = s.file("events.jsonl", format!("{SHIP_A}\n"));
    let o = run(&[
        "check",
        &rules,
        "--events",
        &log,
        "--param",
        "soon=2d",
        "--param",
        "soon = 3d",
    ]);
    assert_refused(&o, &["`--param soon` is given twice"]);
    for flag in ["--time-field", "--kind-field"] {
        for empty in ["", " "] {
            let o = run(&["check", &rules, "--events", &log, flag, empty]);
            assert_refused(&o, &[&format!("`{flag}` needs a field name")]);
        }
    }
}

// ---------------------------------------------------------------------------
// Numbers and times

const NUM_RULES: &str = "party shop\nevent paid(order: id, n: int, amount: number)\ncommitment pay { by shop must paid(order: \"A\") }\n";

fn paid(n: &str, amount: &str) -> String {
    format!(
        "{{\"at\": \"2025-03-01T10:00:00Z\", \"event\": \"paid\", \"order\": \"A\", \"n\": {n}, \"amount\": {amount}}}\n"
    )
}

/// `int` fields past 64 bits, either way, are refused at their line;
/// `i64::MAX` and `i64::MIN` are read.
#[test]
fn log_int_overflow() {
    let s = Scratch::new("int_overflow");
    let rules = s.file("rules.pacta", NUM_RULES);
    for n in [
        "9223372036854775808",
        "-9223372036854775809",
        "1e400",
        "99999999999999999999999999999999999999",
    ] {
        let events = format!("{}{}", paid("1", "1"), paid(n, "1"));
        let o = check_log(&s, &rules, "events.jsonl", events, &[]);
        assert_refused_at(&o, "events.jsonl", 2, &["field `n`", "whole number"]);
        // A whole number past 64 bits is said to be out of range.
        if !n.contains('e') {
            assert!(
                o.stderr.contains("out of range"),
                "{n}: {}",
                tail(&o.stderr)
            );
        }
    }
    // A number with more digits than pacta holds exactly says so; an id
    // may be any whole number, negative too.
    let o = check_log(
        &s,
        &rules,
        "events.jsonl",
        paid("1", "0.1234567890123456789012345678901234"),
        &[],
    );
    assert_refused_at(&o, "events.jsonl", 1, &["more than 28 significant digits"]);
    let negative_id = "{\"at\": \"2025-03-01T10:00:00Z\", \"event\": \"paid\", \"order\": -5, \"n\": 1, \"amount\": 1}\n";
    let o = check_log(&s, &rules, "events.jsonl", negative_id, &[]);
    assert_no_crash(&o);
    assert_ne!(o.code, 2, "{}", tail(&o.stderr));
    for n in ["9223372036854775807", "-9223372036854775808"] {
        let o = check_log(&s, &rules, "events.jsonl", paid(n, "1"), &[]);
        assert_eq!(o.code, 0, "{n}: {}", tail(&o.stderr));
    }
}

/// Sums of `int`s and `number`s past their range do not wrap or panic.
#[test]
fn aggregate_sums_past_the_range() {
    let s = Scratch::new("sum_overflow");
    let rules = s.file(
        "rules.pacta",
        "party shop\nevent paid(order: id, n: int, amount: number)\n\
         commitment ints { by shop must paid(order: \"A\") with sum(n) >= 9223372036854775807 }\n\
         commitment numbers { by shop must paid(order: \"A\") with sum(amount) >= 79228162514264337593543950335 }\n",
    );
    let line = paid("9223372036854775807", "79228162514264337593543950335");
    let events = format!("{line}{line}{line}");
    let o = check_log(&s, &rules, "events.jsonl", events, &["--format", "json"]);
    assert_no_crash(&o);
    let report = json(&o);
    for c in report["commitments"].as_array().unwrap() {
        assert_eq!(c["status"], "fulfilled", "{c:#}");
    }
}

/// `number` values past 28 digits: a 32-digit integer is refused in the
/// log and in the rule file.
#[test]
fn number_beyond_28_digits_is_refused() {
    let s = Scratch::new("number_28_digits");
    let rules = s.file("rules.pacta", NUM_RULES);
    let events = format!(
        "{}{}",
        paid("1", "1"),
        paid("1", "12345678901234567890123456789012")
    );
    let o = check_log(&s, &rules, "events.jsonl", events, &[]);
    assert_refused_at(
        &o,
        "events.jsonl",
        2,
        &["field `amount`", "expected a number"],
    );
    let o = check_rule_file(
        &s,
        "big.pacta",
        "party shop\nevent paid(order: id, amount: number)\ncommitment c { by shop must paid(order: \"A\", amount >= 12345678901234567890123456789012) }\n",
    );
    assert_refused_at(&o, "big.pacta", 3, &["invalid number"]);
    let o = check_rule_file(
        &s,
        "int.pacta",
        "party shop\nevent paid(order: id, n: int)\ncommitment c { by shop must paid(order: \"A\", n: 9223372036854775808) }\n",
    );
    assert_refused_at(&o, "int.pacta", 3, &[]);
}

/// A decimal with 29 significant digits, `0.10000000000000000000000000001`,
/// must not be read as `0.1` (numbers are "read exactly, up to 28
/// significant digits"): either refused, or kept apart from `0.1`.
#[test]
fn number_beyond_28_significant_digits_is_not_rounded() {
    let s = Scratch::new("number_rounding");
    let digits_29 = "0.10000000000000000000000000001";
    let o = check_amounts(&s, "rules.pacta", "0.1", "events.jsonl", digits_29);
    assert_not_rounded(&o, "events.jsonl", 1, "the log's amount");
    let o = check_amounts(&s, "rules2.pacta", digits_29, "events2.jsonl", "0.1");
    assert_not_rounded(&o, "rules2.pacta", 3, "the rule's amount");
}

/// Checks, as JSON, a rule wanting `paid` of `rule_amount` against one `paid` of `log_amount`.
fn check_amounts(
    s: &Scratch,
    rules_name: &str,
    rule_amount: &str,
    log_name: &str,
    log_amount: &str,
) -> Out {
    let rules = s.file(
        rules_name,
        format!(
            "party shop\nevent paid(order: id, amount: number)\n\
             commitment exact {{ by shop must paid(order: \"A\", amount: {rule_amount}) }}\n"
        ),
    );
    let events = format!(
        "{{\"at\": \"2025-03-01T10:00:00Z\", \"event\": \"paid\", \"order\": \"A\", \"amount\": {log_amount}}}\n"
    );
    check_log(s, &rules, log_name, events, &["--format", "json"])
}

/// No crash; a refusal points at `name:line`; a report must not call the commitment fulfilled.
#[track_caller]
fn assert_not_rounded(o: &Out, name: &str, line: u32, what: &str) {
    if !assert_located_if_refused(o, name, line) {
        assert_ne!(
            json(o)["commitments"][0]["status"],
            "fulfilled",
            "{what} was rounded to 0.1"
        );
    }
}

/// Years past 9999: refused in a log, in a rule file and in `--as-of`;
/// deadlines that would fall past the end of time never come.
#[test]
fn years_past_9999() {
    let s = Scratch::new("year_10000");
    let rules = s.file("rules.pacta", SHIP_RULES);
    for at in [
        "10000-01-01T00:00:00Z",
        "+010000-01-01T00:00:00Z",
        "99999-12-31T23:59",
    ] {
        let events =
            format!("{SHIP_A}\n{{\"at\": \"{at}\", \"event\": \"shipped\", \"order\": \"A\"}}\n");
        let o = check_log(&s, &rules, "events.jsonl", events, &[]);
        assert_refused_at(&o, "events.jsonl", 2, &["`at`"]);
    }
    let o = check_rule_file(
        &s,
        "late.pacta",
        "party shop\nevent shipped(order: id)\ncommitment ship { by shop must shipped(order: \"A\") by 10000-01-01 }\n",
    );
    assert_refused_at(&o, "late.pacta", 3, &[]);
    let empty = s.file("empty.jsonl", "");
    let o = run(&[
        "check",
        &rules,
        "--events",
        &empty,
        "--as-of",
        "10000-01-01",
    ]);
    assert_refused(&o, &["--as-of 10000-01-01"]);
    // Triggered near the end of jiff's range: the deadlines cannot be
    // written, and the instances stay pending.
    let end = s.file(
        "end.pacta",
        "timezone \"Pacific/Kiritimati\"\nparty shop\nevent paid(order: id)\nevent shipped(order: id)\n\
         commitment a { for each order by shop after paid(order) must shipped(order) within 999 weeks }\n\
         commitment b { for each order by shop after paid(order) must shipped(order) within 5 business days }\n",
    );
    let o = check_log(
        &s,
        &end,
        "end.jsonl",
        "{\"at\": \"9999-12-30T00:00:00Z\", \"event\": \"paid\", \"order\": \"A\"}\n",
        &["--format", "json"],
    );
    assert_no_crash(&o);
    assert_eq!(o.code, 0, "{}", tail(&o.stderr));
    for c in json(&o)["commitments"].as_array().unwrap() {
        assert_eq!(c["status"], "pending", "{c:#}");
    }
}

/// A leap second. In a log, `23:59:60` is read as `23:59:59` of the same
/// minute (jiff's parsing; the fraction is kept), so an event "at" a leap
/// second counts as on time for a deadline at `:59`. In a rule file it is
/// refused with a located error that says to write `:59`.
#[test]
fn leap_second() {
    let s = Scratch::new("leap_second");
    let rules = s.file(
        "rules.pacta",
        "party shop\nevent shipped(order: id)\ncommitment ship { by shop must shipped(order: \"A\") by 2016-12-31T23:59:59Z }\n",
    );
    let log = s.file(
        "events.jsonl",
        "{\"at\": \"2016-12-31T23:59:60Z\", \"event\": \"shipped\", \"order\": \"A\"}\n\
         {\"at\": \"2016-12-31T23:59:60.5Z\", \"event\": \"other\"}\n",
    );
    let o = run(&["check", &rules, "--events", &log, "--format", "json"]);
    assert_eq!(o.code, 0, "{}", tail(&o.stderr));
    let report = json(&o);
    assert_eq!(report["as_of"], "2016-12-31T23:59:59.5Z");
    let c = &report["commitments"][0];
    assert_eq!(c["status"], "fulfilled", "{c:#}");
    assert_eq!(c["evidence"][0]["at"], "2016-12-31T23:59:59Z", "{c:#}");
    let leap_rules = s.file(
        "leap.pacta",
        "party shop\nevent shipped(order: id)\ncommitment ship { by shop must shipped(order: \"A\") by 2016-12-31T23:59:60Z }\n",
    );
    let o = run(&["check", &leap_rules, "--events", &log]);
    assert_refused_at(&o, "leap.pacta", 3, &["leap seconds"]);
}

/// Every line of a log twice: the same verdicts (apart from the log lines
/// cited as evidence). Aggregates would count a repeated line twice: pacta
/// does not deduplicate, so the example has none.
#[test]
fn duplicate_events() {
    let s = Scratch::new("duplicates");
    let rules = ORDER_SLA_RULES;
    let doubled: String = example_events()
        .lines()
        .map(|l| format!("{l}\n{l}\n"))
        .collect();
    let log = s.file("doubled.jsonl", doubled);
    let a = run(&[
        "check",
        rules,
        "--events",
        ORDER_SLA_LOG,
        "--format",
        "json",
    ]);
    let b = run(&["check", rules, "--events", &log, "--format", "json"]);
    assert_no_crash(&b);
    assert_eq!(a.code, b.code);
    assert_eq!(verdicts(&json(&a)), verdicts(&json(&b)));
}

/// Every event at the same instant: the report is the same on every run,
/// and the same when the log is given twice as two logs (a stable merge).
#[test]
fn equal_timestamps() {
    let s = Scratch::new("equal_timestamps");
    let rules = ORDER_SLA_RULES;
    let same: String = example_events()
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["at"] = "2025-06-03T12:00:00+02:00".into();
            format!("{v}\n")
        })
        .collect();
    let log = s.file("same.jsonl", same.clone());
    // The same events again, in a second log (one log given twice is
    // refused: `log_given_twice`).
    let copy = s.file("same-copy.jsonl", same);
    let a = run(&["check", rules, "--events", &log, "--format", "json"]);
    let b = run(&["check", rules, "--events", &log, "--format", "json"]);
    assert_no_crash(&a);
    assert_eq!(a.stdout, b.stdout, "two runs differ");
    assert_eq!(json(&a)["as_of"], "2025-06-03T12:00:00+02:00");
    let twice = run(&[
        "check", rules, "--events", &log, "--events", &copy, "--format", "json",
    ]);
    assert_no_crash(&twice);
    assert_eq!(verdicts(&json(&a)), verdicts(&json(&twice)));
}

// ---------------------------------------------------------------------------
// Rule-file declarations

/// A time zone that is not in the database, and names that try to reach
/// the file system: refused, pointing at the name.
#[test]
fn unknown_time_zone() {
    let s = Scratch::new("unknown_zone");
    for zone in [
        "Mars/Olympus_Mons",
        "../../../../etc/passwd",
        "/etc/localtime",
        "",
    ] {
        let o = check_rule_file(&s, "tz.pacta", format!("timezone \"{zone}\"\nparty shop\n"));
        assert_refused_at(&o, "tz.pacta", 1, &["unknown time zone"]);
    }
}

/// A rule file that imports itself, directly or as `./self.pacta`.
#[test]
fn rule_file_that_imports_itself() {
    let s = Scratch::new("self_import");
    let o = check_rule_file(&s, "self.pacta", "import \"self.pacta\"\nparty shop\n");
    assert_refused_at(&o, "self.pacta", 1, &["import cycle"]);
    let o = check_rule_file(&s, "dot.pacta", "party shop\nimport \"./dot.pacta\"\n");
    assert_refused_at(&o, "dot.pacta", 2, &["import cycle"]);
}

// ---------------------------------------------------------------------------
// Output

/// `pacta … | head -c 1`: standard output is closed before pacta writes its
/// (larger than a pipe buffer) report. The run ends as it would have, with 0
/// or 1, and no panic — for every command that prints.
#[test]
fn closed_stdout_pipe() {
    let s = Scratch::new("closed_stdout");
    let (rules, log, _) = write_many_commitments(&s, "rules.pacta", 64 << 10);
    let commands: [&[&str]; 5] = [
        &["check", &rules, "--events", &log],
        &["check", &rules, "--events", &log, "--format", "json"],
        &["graph", &rules],
        &["explain", "c0", &rules, "--events", &log],
        &["check", &rules, "--events", &log, "--format", "markdown"],
    ];
    for args in commands {
        let mut child = spawn_piped(args, Stdio::null());
        drop(child.stdout.take());
        let o: Out = child.wait_with_output().unwrap().into();
        assert_no_crash(&o);
        assert!(
            matches!(o.code, 0 | 1),
            "{args:?}: exit {}\n{}",
            o.code,
            tail(&o.stderr)
        );
    }
}

/// Standard error closed while pacta reports an error: still exit 2.
#[test]
fn closed_stderr_pipe() {
    let s = Scratch::new("closed_stderr");
    let rules = s.file("bad.pacta", "party shop\nnonsense\n".repeat(200));
    let log = s.file("empty.jsonl", "");
    let mut child = spawn_piped(
        &["check", &rules, "--events", &log, "--as-of", "2025-03-01"],
        Stdio::null(),
    );
    drop(child.stderr.take());
    let o: Out = child.wait_with_output().unwrap().into();
    assert_eq!(o.code, 2, "exit {} (101 = panic)", o.code);
}

// ---------------------------------------------------------------------------
// Garbage

/// Random bytes, and random soups of the language's words, as rule files:
/// refused with a diagnostic that names the file (or, for a soup that
/// happens to be valid, a report) — never a crash.
#[test]
fn garbage_rule_files() {
    let s = Scratch::new("garbage_rules");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for i in 0..12 {
        let o = check_rule_file(&s, &format!("bytes{i}.pacta"), rng.bytes(4096));
        assert_refused(&o, &[&format!("bytes{i}.pacta")]);
    }
    let words = [
        "party",
        "event",
        "commitment",
        "claim",
        "timezone",
        "holidays",
        "import",
        "param",
        "for",
        "each",
        "by",
        "to",
        "after",
        "must",
        "not",
        "within",
        "before",
        "between",
        "and",
        "or",
        "is",
        "unless",
        "otherwise",
        "with",
        "sum",
        "count",
        "says",
        "happened",
        "did",
        "happen",
        "on",
        "source",
        "shop",
        "e",
        "x",
        "c",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        ",",
        ":",
        ">=",
        "=",
        "<",
        "1",
        "-3",
        "2.5",
        "\"A\"",
        "\"UTC\"",
        "2025-03-01",
        "2025-03-01T10:00",
        "2025-03-01T10:00:00Z",
        "1d",
        "2 business days",
        "int",
        "number",
        "id",
        "time",
        "//",
        "\n",
        "fulfilled",
        "violated",
        "\"\\u{41}\"",
        "\"\\q\"",
        "\"",
        "\u{feff}",
        "é",
    ];
    for i in 0..24 {
        let soup: Vec<&str> = (0..300).map(|_| rng.pick(&words)).collect();
        let name = format!("soup{i}.pacta");
        let o = check_rule_file(&s, &name, soup.join(" "));
        assert_no_crash(&o);
        if o.code == 2 {
            assert!(
                names_some_line(&o.stderr, &name) || o.stderr.contains(&format!("`{name}`")),
                "{name}: no location in\n{}",
                tail(&o.stderr)
            );
        }
    }
}

/// Random bytes as JSON Lines and CSV logs: refused at a line of the log.
#[test]
fn garbage_logs() {
    let s = Scratch::new("garbage_logs");
    let rules = s.file("rules.pacta", SHIP_RULES);
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    for i in 0..8 {
        for ext in ["jsonl", "csv"] {
            let name = format!("garbage{i}.{ext}");
            let o = check_log(&s, &rules, &name, rng.bytes(4096), &[]);
            assert_refused(&o, &[]);
            assert!(
                names_some_line(&o.stderr, &name),
                "{name}: {}",
                tail(&o.stderr)
            );
        }
    }
    let o = run_stdin(&["check", &rules, "--events", "-"], rng.bytes(4096));
    assert_refused(&o, &[]);
    assert!(names_some_line(&o.stderr, "<stdin>"), "{}", tail(&o.stderr));
}

/// A JSON line with the same key twice (`"order": "B", "order": "A"`):
/// read without a crash, one of the two values winning (today the first;
/// the design does not say which).
#[test]
fn duplicate_keys_in_a_json_line() {
    let s = Scratch::new("duplicate_keys");
    let rules = s.file("rules.pacta", SHIP_RULES);
    let o = check_log(
        &s,
        &rules,
        "events.jsonl",
        "{\"at\": \"2025-03-01T10:00:00Z\", \"event\": \"shipped\", \"order\": \"B\", \"order\": \"A\", \"event\": \"other\"}\n",
        &["--format", "json"],
    );
    if !assert_located_if_refused(&o, "events.jsonl", 1) {
        let status = &json(&o)["commitments"][0]["status"];
        assert!(status == "fulfilled" || status == "pending", "{status}");
    }
}

/// JSON 100,000 levels deep in a log line: `{"a":{"a":…}}` as the whole
/// line, `[[[…]]]` in a field no rule reads, an object in a read field,
/// and an unclosed `[[[…` — each a located error or, for the field nobody
/// reads, an accepted line; never a stack overflow. The same on standard
/// input.
#[test]
fn deeply_nested_json_in_a_log_line() {
    let s = Scratch::new("deep_json");
    let rules = s.file("rules.pacta", SHIP_RULES);
    let n = 100_000;
    let objects = format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n));
    let event = |field: &str, value: &str| {
        format!(
            "{{\"at\": \"2025-03-01T10:00:00Z\", \"event\": \"shipped\", \"order\": \"A\", \"{field}\": {value}}}"
        )
    };
    let arrays = event("x", &format!("{}{}", "[".repeat(n), "]".repeat(n)));
    let in_order = format!(
        "{{\"at\": \"2025-03-01T10:00:00Z\", \"event\": \"shipped\", \"order\": {objects}}}"
    );
    let unclosed = event("x", &"[".repeat(n));
    for (name, line) in [
        ("objects.jsonl", &objects),
        ("arrays.jsonl", &arrays),
        ("order.jsonl", &in_order),
        ("unclosed.jsonl", &unclosed),
    ] {
        let o = check_log(&s, &rules, name, format!("{SHIP_A}\n{line}\n"), &[]);
        assert_no_crash(&o);
        if name == "arrays.jsonl" && o.code == 0 {
            continue;
        }
        assert_refused_at(&o, name, 2, &[]);
    }
    let o = run_stdin(
        &["check", &rules, "--events", "-"],
        format!("{SHIP_A}\n{objects}\n").into_bytes(),
    );
    assert_refused_at(&o, "<stdin>", 2, &[]);
}

/// A declared field `a.a.a…` 20,000 levels deep is refused by the rules
/// (field paths nest at most 16 levels), so no log line is searched that deep.
#[test]
fn deeply_nested_declared_field() {
    let s = Scratch::new("deep_field_path");
    let n = 20_000;
    let path = vec!["a"; n].join(".");
    let rules = s.file(
        "rules.pacta",
        format!(
            "party shop\nevent shipped({path}: int)\ncommitment c {{ by shop must shipped() }}\n"
        ),
    );
    let log = s.file(
        "events.jsonl",
        format!(
            "{{\"at\": \"2025-03-01T10:00:00Z\", \"event\": \"shipped\", \"a\": {}1{}}}\n",
            "{\"a\":".repeat(n - 1),
            "}".repeat(n - 1)
        ),
    );
    let o = run_within(
        &["check", &rules, "--events", &log],
        &s,
        1024 * MIB,
        Duration::from_secs(10),
        &format!("one log line {n} levels deep"),
    );
    assert_no_crash(&o);
    assert_eq!(o.code, 2, "{}", tail(&o.stderr));
    assert!(
        o.stderr.contains("nests deeper than 16 levels"),
        "{}",
        tail(&o.stderr)
    );
}

// ---------------------------------------------------------------------------
// Fuzz regressions

/// Replays every `tests/fixtures/fuzz/TARGET-N` input of one target through
/// `fuzz/harness.rs`, as the fuzz target does; fails naming every input
/// that panics.
fn replay_fuzz_fixtures(target: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let s = Scratch::new(&format!("fuzz_{target}"));
    let prefix = format!("{target}-");
    let mut inputs: Vec<PathBuf> = fs::read_dir(&dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(&prefix))
                })
                .collect()
        })
        .unwrap_or_default();
    inputs.sort();
    let mut failed = Vec::new();
    for input in &inputs {
        let data = fs::read(input).unwrap();
        let result = std::panic::catch_unwind(|| harness::run(target, &data, &s.0));
        match result {
            Ok(known) => assert!(known, "no fuzz target `{target}`"),
            Err(_) => failed.push(common::rel(input)),
        }
    }
    assert!(failed.is_empty(), "panics on: {failed:?}");
}

/// Inputs that crashed `fuzz_targets/parse_rules.rs`.
#[test]
fn fuzz_regressions_parse_rules() {
    replay_fuzz_fixtures("parse_rules");
}

/// Inputs that crashed `fuzz_targets/read_jsonl.rs`.
#[test]
fn fuzz_regressions_read_jsonl() {
    replay_fuzz_fixtures("read_jsonl");
}

/// Inputs that crashed `fuzz_targets/read_csv.rs`.
#[test]
fn fuzz_regressions_read_csv() {
    replay_fuzz_fixtures("read_csv");
}

/// Inputs that crashed `fuzz_targets/check_end_to_end.rs`.
#[test]
fn fuzz_regressions_check_end_to_end() {
    replay_fuzz_fixtures("check_end_to_end");
}
