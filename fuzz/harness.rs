//! The code paths the fuzz targets drive, one function per target.
//!
//! Shared, through `#[path]`, by the targets in `fuzz/fuzz_targets/` and by
//! the regression tests of `tests/hostile.rs`, which replay every input in
//! `tests/fixtures/fuzz/` (named `TARGET-N`) through the same function. Each
//! function goes through pacta's public API the way `pacta check` does and
//! renders what the CLI would print; it must never panic, whatever the bytes.
#![allow(dead_code, reason = "each fuzz target uses one of these functions")]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use pacta::ast;
use pacta::diagnostics::{Diagnostics, Theme};
use pacta::events::{Input, ReadOptions};
use pacta::load::Loaded;
use pacta::report::{self, FailOn};
use pacta::source::{SourceId, SourceMap};
use pacta::{AsOf, CheckOptions, Checked, Failure};

/// The rules that fuzzed logs are read against: every field type, a nested
/// field, a param, holidays, aggregates, `otherwise`, `unless`, a look-back,
/// a prohibition and claims of both kinds.
pub const LOG_RULES: &str = r#"timezone "Europe/Istanbul"
holidays [2025-05-01]
party shop "Shop"
party customer
param quickly = 2 business days
event paid(order: id, amount: number, items: int, by: party, express: bool, note: text, due: time)
event shipped(order: id, meta.carrier: text)
event cancelled(order: id)
commitment ship "ship" {
    for each order
    by shop to customer
    after paid(order, amount >= 10)
    must shipped(order)
    within quickly
    unless cancelled(order)
    otherwise refund
}
commitment refund { for each order by shop to customer must cancelled(order) within 1 day }
commitment volume { by shop must paid(amount >= 0) with sum(amount) >= 1000 between 2025-01-01 and 2025-12-31 }
commitment items { by shop must paid(items > 0) with count >= 3 by 2025-06-01T12:00 }
commitment never { by shop must not shipped(order: "X") }
commitment later { by shop after ship is violated or volume must cancelled(order: "Z") within 3 days before }
claim c1 { by shop on 2025-03-01 says ship[order: "A"] is fulfilled }
claim c2 { by customer on 2025-03-02 says shipped(order: "A") happened }
"#;

/// A per-process folder for the log files the targets write; the fuzz
/// script removes it once the process has ended.
pub fn scratch_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // tmpfs when there is one: a log file is written for every input.
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("pacta-fuzz-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        dir
    })
    .clone()
}

/// Runs the named target on `data`; false when there is no such target.
pub fn run(target: &str, data: &[u8], scratch: &Path) -> bool {
    match target {
        "parse_rules" => parse_rules(data, scratch),
        "read_jsonl" => read_jsonl(data, scratch),
        "read_csv" => read_csv(data, scratch),
        "check_end_to_end" => check_end_to_end(data, scratch),
        _ => return false,
    }
    true
}

/// Bytes as a rule file: load (UTF-8 check, parse), resolve, order; the
/// graph drawn on success, the diagnostics rendered on failure.
pub fn parse_rules(data: &[u8], _scratch: &Path) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let loaded = match pacta::load::load_text("fuzz.pacta", text) {
        Ok(l) => l,
        Err((sources, diags)) => {
            let _ = diags.render(&sources, Theme::Plain);
            return;
        }
    };
    match pacta::loaded_to_model(loaded, &[]) {
        Ok(rules) => {
            let _ = report::graph::render_dot(&rules.model, &rules.graph, None);
            let _ = report::graph::render_mermaid(&rules.model, &rules.graph, None);
        }
        Err(Failure { sources, diags }) => {
            let _ = diags.render(&sources, Theme::Plain);
        }
    }
}

/// SLA-shaped rules the streaming engine takes (`src/stream/plan.rs`).
pub const STREAM_RULES: &str = r#"timezone "Europe/Istanbul"
party shop
event paid(order: id, amount: number, meta.src: text)
event shipped(order: id)
event cancelled(order: id)
commitment ship { for each order by shop after paid(order, amount >= 10) must shipped(order) within 2h unless cancelled(order) }
commitment ack { for each order by shop after shipped(order) must paid(order) }
"#;

/// Bytes as a JSON Lines log, read against [`LOG_RULES`], then against
/// [`STREAM_RULES`], where a streamed run must give the in-memory bytes.
pub fn read_jsonl(data: &[u8], scratch: &Path) {
    read_log(LOG_RULES, data, "jsonl", scratch, AsOf::LastEvent, false);
    read_log(STREAM_RULES, data, "jsonl", scratch, AsOf::LastEvent, false);
}

/// Bytes as a CSV log, read against [`LOG_RULES`].
pub fn read_csv(data: &[u8], scratch: &Path) {
    read_log(LOG_RULES, data, "csv", scratch, AsOf::LastEvent, false);
}

/// `FLAGS RULES \0 LOG`: the first byte chooses the log's format (bit 0:
/// CSV), an explicit as-of (bit 1) and `--skip-bad-lines` (bit 2); the rest is
/// a rule file, then after the first NUL byte a log.
pub fn check_end_to_end(data: &[u8], scratch: &Path) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let (rules, log) = match rest.iter().position(|b| *b == 0) {
        Some(i) => (
            rest.get(..i).unwrap_or(&[]),
            rest.get(i + 1..).unwrap_or(&[]),
        ),
        None => (rest, &[][..]),
    };
    let Ok(rules) = std::str::from_utf8(rules) else {
        return;
    };
    let ext = if flags & 1 == 1 { "csv" } else { "jsonl" };
    let as_of = if flags & 2 == 2 {
        AsOf::At("2025-06-01".into())
    } else {
        AsOf::LastEvent
    };
    read_log(rules, log, ext, scratch, as_of, flags & 4 == 4);
}

/// Writes `log` to a file and runs the whole check on it; when the log has
/// bad lines, runs again skipping them, so later lines are reached too.
fn read_log(rules: &str, log: &[u8], ext: &str, scratch: &Path, as_of: AsOf, skip: bool) {
    let path = scratch.join(format!("fuzz.{ext}"));
    if std::fs::write(&path, log).is_err() {
        return;
    }
    let failed = !check_and_render(rules, &path, &as_of, skip);
    if failed && !skip {
        check_and_render(rules, &path, &as_of, true);
    }
}

/// One check; true when it made a report.
fn check_and_render(rules: &str, log: &Path, as_of: &AsOf, skip: bool) -> bool {
    let rules_text = rules;
    let loaded = match load(rules) {
        Ok(l) => l,
        Err((sources, diags)) => {
            let _ = diags.render(&sources, Theme::Plain);
            return false;
        }
    };
    let rules = match pacta::loaded_to_model(loaded, &[]) {
        Ok(r) => r,
        Err(Failure { sources, diags }) => {
            let _ = diags.render(&sources, Theme::Plain);
            return false;
        }
    };
    let opts = CheckOptions {
        as_of: as_of.clone(),
        read: ReadOptions {
            skip_bad_lines: skip,
            ..ReadOptions::default()
        },
        params: Vec::new(),
        // The streaming engine where it applies, the in-memory one elsewhere.
        engine: pacta::Engine::Auto,
        keep: pacta::stream::Keep::All,
        spill_bytes: None,
    };
    match pacta::check_rules(rules, &[Input::Path(log.to_path_buf())], &opts) {
        Ok(run) => {
            render_all(&run);
            if run.eval.streamed.is_some() {
                same_in_memory(rules_text, log, &opts, &run);
            }
            true
        }
        Err(Failure { sources, diags }) => {
            let _ = diags.render(&sources, Theme::Plain);
            false
        }
    }
}

/// A streamed run must give the bytes of the in-memory engine.
fn same_in_memory(rules: &str, log: &Path, opts: &CheckOptions, streamed: &pacta::Checked) {
    let Ok(loaded) = load(rules) else { return };
    let Ok(r) = pacta::loaded_to_model(loaded, &[]) else {
        return;
    };
    let opts = CheckOptions {
        engine: pacta::Engine::Memory,
        ..opts.clone()
    };
    let memory = match pacta::check_rules(r, &[Input::Path(log.to_path_buf())], &opts) {
        Ok(memory) => memory,
        Err(_) => panic!("streamed a log the in-memory engine refuses"),
    };
    assert_eq!(
        pacta::report::json::render(streamed),
        pacta::report::json::render(&memory),
        "the engines differ"
    );
    // And a summary that spills after every record or two.
    let Ok(loaded) = load(rules) else { return };
    let Ok(r) = pacta::loaded_to_model(loaded, &[]) else {
        return;
    };
    let fail_on = pacta::report::FailOn::default();
    let opts = CheckOptions {
        engine: pacta::Engine::Stream,
        keep: pacta::stream::Keep::Statuses(fail_on.statuses.clone()),
        spill_bytes: Some(64),
        ..opts
    };
    match pacta::check_rules(r, &[Input::Path(log.to_path_buf())], &opts) {
        Ok(spilled) => assert_eq!(
            pacta::report::text::render_summary(&spilled, &fail_on),
            pacta::report::text::render_summary(&memory, &fail_on),
            "the spilling summary differs"
        ),
        Err(_) => panic!("a spilling summary refused what streamed"),
    }
}

/// Parsed rule files: their sources and syntax trees.
type Parsed = (SourceMap, Vec<(SourceId, ast::File)>);

/// Parses rule text; [`LOG_RULES`] is parsed once and cloned after.
fn load(rules: &str) -> Result<Loaded, (SourceMap, Diagnostics)> {
    static PARSED: OnceLock<Option<Parsed>> = OnceLock::new();
    if rules == LOG_RULES {
        let parsed = PARSED.get_or_init(|| {
            pacta::load::load_text("fuzz.pacta", LOG_RULES)
                .ok()
                .map(|l| (l.sources, l.files))
        });
        if let Some((sources, files)) = parsed {
            return Ok(Loaded {
                sources: sources.clone(),
                files: files.clone(),
                imports: Default::default(),
            });
        }
    }
    pacta::load::load_text("fuzz.pacta", rules)
}

/// Every report the CLI can print for a run.
fn render_all(run: &Checked) {
    let _ = report::text::render_styled(run, false);
    let _ = report::text::render_styled(run, true);
    let _ = report::text::render_coverage(run);
    let _ = report::json::render_with(run, true);
    let _ = report::ci::render_github(run);
    let _ = report::ci::render_markdown(run);
    let _ = report::snapshot::render(run);
    let _ = report::graph::render_dot(&run.model, &run.graph, Some(&run.eval));
    let _ = report::graph::render_mermaid(&run.model, &run.graph, Some(&run.eval));
    if let Ok(fail_on) = FailOn::parse("violated,contradicted") {
        let _ = fail_on.fails(run);
        let _ = report::exchange::render_sarif(run, &fail_on);
        let _ = report::exchange::render_junit(run, &fail_on);
    }
    let ids = run
        .model
        .commitments
        .iter()
        .map(|c| c.id.clone())
        .chain(run.model.claims.iter().map(|c| c.id.clone()))
        .chain(run.log.claims.iter().map(|c| c.id.clone()));
    for id in ids.take(8) {
        if let Ok(target) = report::explain::Target::parse(&id) {
            let _ = report::explain::explain(run, &target);
        }
    }
}
