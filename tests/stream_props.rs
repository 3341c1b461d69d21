//! Property test of the streaming engine: random SLA-shaped rules (the
//! shapes `stream::plan` accepts — one or two commitments, kinds shared
//! between triggers, required and `unless` events, literal constraints,
//! `within` of zero hours or more, or no deadline) over random time-ordered
//! logs with many events at one instant, run with `--engine stream` and
//! with `--engine memory`: every report format must be the same bytes.
//!
//! `PROPTEST_CASES=N` runs more cases (default 64).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]

mod common;

use std::fmt::Write as _;
use std::path::PathBuf;

use pacta::events::Input;
use pacta::{AsOf, CheckOptions, Engine};
use proptest::prelude::*;

const KINDS: [&str; 4] = ["a", "b", "c", "d"];

#[derive(Clone, Debug)]
struct Com {
    trigger: usize,
    action: usize,
    unless: Option<usize>,
    /// `None`: no deadline.
    within_h: Option<u8>,
    /// A literal constraint `n >= 2` on the required event.
    action_lit: bool,
    /// Two variables (`k` and `m`) instead of one.
    two_vars: bool,
    /// With one variable, the required event binds it twice (`k: k, m: k`):
    /// both fields must hold the same value.
    twice: bool,
}

#[derive(Clone, Debug)]
struct Case {
    coms: Vec<Com>,
    /// (hour·4 + quarter, kind, key, second key, n, with source)
    lines: Vec<(u8, usize, u8, u8, u8, bool)>,
    noise: Vec<(u8, u8)>,
    as_of: Option<u8>,
}

fn com() -> impl Strategy<Value = Com> {
    (
        0usize..4,
        0usize..4,
        prop::option::of(0usize..4),
        prop::option::weighted(0.85, 0u8..5),
        any::<bool>(),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(trigger, action, unless, within_h, action_lit, two_vars, twice)| Com {
                trigger,
                action,
                unless,
                within_h,
                action_lit,
                two_vars,
                twice,
            },
        )
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(com(), 1..3),
        prop::collection::vec(
            (0u8..40, 0usize..4, 0u8..4, 0u8..2, 0u8..4, any::<bool>()),
            0..40,
        ),
        prop::collection::vec((0u8..40, 0u8..3), 0..4),
        prop::option::of(0u8..44),
    )
        .prop_map(|(coms, mut lines, noise, as_of)| {
            lines.sort_by_key(|l| l.0);
            Case {
                coms,
                lines,
                noise,
                as_of,
            }
        })
}

fn time(q: u8) -> String {
    format!("2025-03-01T{:02}:{:02}:00Z", q / 4, (q % 4) * 15)
}

impl Case {
    fn rules(&self) -> String {
        let mut s = String::from("timezone \"UTC\"\nparty shop\n");
        for k in KINDS {
            writeln!(s, "event {k}(k: id, m: id, n: int)").unwrap();
        }
        for (i, c) in self.coms.iter().enumerate() {
            let vars = if c.two_vars { "k, m" } else { "k" };
            let bind = if c.two_vars { "k: k, m: m" } else { "k: k" };
            let lit = if c.action_lit { ", n >= 2" } else { "" };
            let action_bind = if c.twice && !c.two_vars {
                "k: k, m: k"
            } else {
                bind
            };
            writeln!(s, "commitment c{i} {{\n    for each {vars}\n    by shop").unwrap();
            writeln!(s, "    after {}({bind})", KINDS[c.trigger]).unwrap();
            writeln!(s, "    must {}({action_bind}{lit})", KINDS[c.action]).unwrap();
            if let Some(h) = c.within_h {
                writeln!(s, "    within {h}h").unwrap();
            }
            if let Some(u) = c.unless {
                writeln!(s, "    unless {}({bind})", KINDS[u]).unwrap();
            }
            s.push_str("}\n");
        }
        s
    }

    fn log(&self) -> String {
        let mut lines: Vec<(u8, String)> = self
            .lines
            .iter()
            .map(|&(q, kind, k, m, n, src)| {
                let source = if src { ",\"source\":\"s1\"" } else { "" };
                (
                    q,
                    format!(
                        "{{\"at\":\"{}\",\"event\":\"{}\",\"k\":\"K{k}\",\"m\":\"K{m}\",\"n\":{n}{source}}}",
                        time(q),
                        KINDS[kind]
                    ),
                )
            })
            .collect();
        for &(q, kind) in &self.noise {
            lines.push((
                q,
                format!(
                    "{{\"at\":\"{}\",\"event\":\"noise{kind}\",\"x\":[1,2]}}",
                    time(q)
                ),
            ));
        }
        lines.sort_by_key(|l| l.0);
        lines.into_iter().map(|(_, l)| l + "\n").collect()
    }
}

fn dir() -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("stream_props")
        .join(format!(
            "{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every report of the run, or the error messages.
fn reports(
    rules: &str,
    log: &std::path::Path,
    as_of: &AsOf,
    engine: Engine,
) -> Result<Vec<String>, String> {
    let loaded = pacta::load::load_text("rules.pacta", rules).map_err(|_| "parse".to_string())?;
    let r = pacta::loaded_to_model(loaded, &[]).map_err(|f| format!("{:?}", f.diags.messages()))?;
    let opts = CheckOptions {
        as_of: as_of.clone(),
        engine,
        ..CheckOptions::default()
    };
    let run = pacta::check_rules(r, &[Input::Path(log.to_path_buf())], &opts)
        .map_err(|f| format!("{:?}", f.diags.messages()))?;
    if engine == Engine::Stream {
        assert!(run.eval.streamed.is_some());
    }
    let fail_on = pacta::report::FailOn::default();
    Ok(vec![
        pacta::report::json::render(&run),
        pacta::report::text::render(&run),
        pacta::report::text::render_summary(&run, &fail_on),
        pacta::report::ci::render_markdown(&run),
        pacta::report::ci::render_github(&run),
        format!("fails: {}", fail_on.fails(&run)),
    ])
}

/// The summary of the run with `--fail-on` `fail_on`: in memory, or
/// streamed as the CLI streams a summary (only the listed statuses kept),
/// with runs of `spill` bytes.
fn summary(
    rules: &str,
    log: &std::path::Path,
    as_of: &AsOf,
    fail_on: &str,
    spill: Option<usize>,
) -> Result<String, String> {
    let loaded = pacta::load::load_text("rules.pacta", rules).map_err(|_| "parse".to_string())?;
    let r = pacta::loaded_to_model(loaded, &[]).map_err(|f| format!("{:?}", f.diags.messages()))?;
    let fail_on = pacta::report::FailOn::parse(fail_on).unwrap();
    let opts = CheckOptions {
        as_of: as_of.clone(),
        engine: if spill.is_some() {
            Engine::Stream
        } else {
            Engine::Memory
        },
        keep: pacta::stream::Keep::Statuses(fail_on.statuses.clone()),
        spill_bytes: spill,
        ..CheckOptions::default()
    };
    let run = pacta::check_rules(r, &[Input::Path(log.to_path_buf())], &opts)
        .map_err(|f| format!("{:?}", f.diags.messages()))?;
    assert_eq!(run.eval.streamed.is_some(), spill.is_some());
    Ok(format!(
        "{}fails: {}",
        pacta::report::text::render_summary(&run, &fail_on),
        fail_on.fails(&run)
    ))
}

/// Writes the case's log into a fresh folder: (folder, log, rules, as-of).
fn setup(case: &Case) -> (PathBuf, PathBuf, String, AsOf) {
    let d = dir();
    let log = d.join("events.jsonl");
    std::fs::write(&log, case.log()).unwrap();
    let as_of = match case.as_of {
        Some(q) => AsOf::At(time(q)),
        None => AsOf::LastEvent,
    };
    (d, log, case.rules(), as_of)
}

/// The `--fail-on` lists the summary property tries: what a summary keeps
/// decides which events its spilled records carry.
const FAIL_ON: [&str; 4] = [
    "violated",
    "cancelled",
    "violated,pending,inactive",
    "fulfilled,cancelled,violated,pending,inactive",
];

proptest! {
    #![proptest_config(common::proptest_config(64))]

    /// A summary run spills its decided instances and forgets decided
    /// keys; with runs of 64 bytes (one record or two) it does both all
    /// the time, and must still say what the in-memory engine says.
    #[test]
    fn a_spilling_summary_gives_the_bytes_of_the_in_memory_engine(
        case in case(),
        fail_on in 0usize..4,
        spill in prop::sample::select(vec![64usize, 512, 1 << 20]),
    ) {
        let (d, log, rules, as_of) = setup(&case);
        let fail_on = FAIL_ON[fail_on];
        let memory = summary(&rules, &log, &as_of, fail_on, None);
        let stream = summary(&rules, &log, &as_of, fail_on, Some(spill));
        let _ = std::fs::remove_dir_all(&d);
        match (memory, stream) {
            (Ok(m), Ok(s)) => prop_assert_eq!(m, s, "\n--- rules\n{}--- log\n{}", rules, case.log()),
            (Err(_), Err(_)) if case.lines.is_empty() && case.noise.is_empty() => {}
            (m, s) => prop_assert!(false, "memory {:?}\nstream {:?}\n--- rules\n{}--- log\n{}", m.err(), s.err(), rules, case.log()),
        }
    }

    #[test]
    fn streaming_gives_the_bytes_of_the_in_memory_engine(case in case()) {
        let (d, log, rules, as_of) = setup(&case);
        let memory = reports(&rules, &log, &as_of, Engine::Memory);
        let stream = reports(&rules, &log, &as_of, Engine::Stream);
        let _ = std::fs::remove_dir_all(&d);
        match (memory, stream) {
            (Ok(m), Ok(s)) => {
                for (a, b) in m.iter().zip(&s) {
                    prop_assert_eq!(a, b, "\n--- rules\n{}--- log\n{}", rules, case.log());
                }
            }
            // An empty log without an as-of: both refuse.
            (Err(_), Err(_)) if case.lines.is_empty() && case.noise.is_empty() => {}
            (m, s) => prop_assert!(false, "memory {:?}\nstream {:?}\n--- rules\n{}--- log\n{}", m.err(), s.err(), rules, case.log()),
        }
    }
}
