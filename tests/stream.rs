//! The streaming engine against the in-memory engine: for every check
//! fixture, bad log and example, in every format, `--engine auto` (which
//! streams what it can) must give the same exit status and the same bytes
//! on stdout and stderr as `--engine memory`. And the fixtures the
//! streaming engine should take, it must take (`--engine stream`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]

use std::path::{Path, PathBuf};

mod common;
use common::{pacta, rel};

const FORMATS: [&str; 7] = [
    "text", "json", "summary", "markdown", "github", "sarif", "junit",
];

/// (rules, logs, extra args) of a fixture folder.
fn fixture(dir: &Path) -> Option<(PathBuf, Vec<PathBuf>, Vec<String>)> {
    let rules = std::fs::read_dir(dir)
        .ok()?
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pacta"))?;
    let (logs, args) = (common::case_logs(dir), common::case_args(dir));
    Some((rules, logs, args))
}

fn dirs(parent: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(parent);
    let mut v: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

fn run(dir: &Path, format: &str, engine: &str) -> (i32, String, String) {
    let (rules, logs, extra) = fixture(dir).unwrap();
    let mut args = vec!["check".to_string(), rel(&rules)];
    for l in logs {
        args.push("--events".into());
        args.push(rel(&l));
    }
    args.extend(extra);
    args.extend([
        "--format".into(),
        format.into(),
        "--engine".into(),
        engine.into(),
    ]);
    pacta(&args)
}

#[test]
fn auto_gives_the_bytes_of_the_in_memory_engine() {
    let mut all = dirs("tests/cases/check");
    all.extend(dirs("tests/cases/log_errors"));
    all.extend(dirs("examples"));
    let mut streamed = Vec::new();
    for dir in &all {
        if fixture(dir).is_none() {
            continue;
        }
        for format in FORMATS {
            let memory = run(dir, format, "memory");
            let auto = run(dir, format, "auto");
            assert_eq!(
                memory,
                auto,
                "{} --format {format}: the engines differ",
                rel(dir)
            );
        }
        if run(dir, "json", "stream").0 != 2 {
            streamed.push(rel(dir));
        }
    }
    // The SLA-shaped fixtures do stream: the comparison above is not
    // vacuous. (The count guards against the planner refusing everything.)
    assert!(
        streamed.len() >= 15,
        "only {} fixtures streamed: {streamed:?}",
        streamed.len()
    );
    for must in [
        "tests/cases/check/unless_cancels",
        "tests/cases/check/unless_before_trigger",
        "tests/cases/check/unless_same_instant_as_fulfilment",
        "tests/cases/check/for_each_duplicate_trigger",
    ] {
        if Path::new(env!("CARGO_MANIFEST_DIR")).join(must).exists() {
            assert!(streamed.iter().any(|s| s == must), "{must} did not stream");
        }
    }
}

/// A streamed summary spills its decided instances to sorted runs and
/// forgets decided keys; with `PACTA_SPILL_BYTES=64` it does both after
/// almost every record, and every fixture's summary, under several
/// `--fail-on` lists, must still be the in-memory engine's.
#[test]
fn a_spilling_summary_gives_the_bytes_of_the_in_memory_engine() {
    let mut all = dirs("tests/cases/check");
    all.extend(dirs("examples"));
    let mut compared = 0;
    for dir in &all {
        let Some((_, _, extra)) = fixture(dir) else {
            continue;
        };
        let lists: &[&str] = if extra.iter().any(|a| a.starts_with("--fail-on")) {
            &[""]
        } else {
            &[
                "",
                "cancelled",
                "violated,pending,inactive,fulfilled,cancelled",
            ]
        };
        for list in lists {
            let run = |engine: &str, env: &[(&str, &str)]| {
                let (rules, logs, extra) = fixture(dir).unwrap();
                let mut args = vec!["check".to_string(), rel(&rules)];
                for l in logs {
                    args.extend(["--events".into(), rel(&l)]);
                }
                args.extend(extra);
                if !list.is_empty() {
                    args.push(format!("--fail-on={list}"));
                }
                args.extend(["--format", "summary", "--engine", engine].map(String::from));
                common::pacta_env(&args, env)
            };
            let memory = run("memory", &[]);
            let spilled = run("auto", &[("PACTA_SPILL_BYTES", "64")]);
            assert_eq!(
                memory,
                spilled,
                "{} --fail-on={list}: the spilling summary differs",
                rel(dir)
            );
            compared += usize::from(run("stream", &[("PACTA_SPILL_BYTES", "64")]).0 != 2);
        }
    }
    assert!(compared >= 30, "only {compared} spilled runs compared");
}

/// A summary whose runs cannot go to a temporary file is evaluated in
/// memory instead, or with `--engine stream` fails saying why.
#[test]
fn a_summary_that_cannot_spill_says_so_or_runs_in_memory() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cannot_spill");
    std::fs::create_dir_all(&dir).unwrap();
    let (rules, log) = (dir.join("rules.pacta"), dir.join("events.jsonl"));
    std::fs::write(
        &rules,
        "party shop\nevent paid(order: id)\nevent shipped(order: id)\n\
         commitment ship { for each order by shop after paid(order) \
         must shipped(order) within 1 day }\n",
    )
    .unwrap();
    // 20 orders, the odd ones never shipped: runs of 64 bytes must spill.
    let mut text = String::new();
    for i in 0..20 {
        text += &format!(
            "{{\"at\": \"2025-03-01T10:{i:02}:00Z\", \"event\": \"paid\", \"order\": \"O{i}\"}}\n"
        );
    }
    for i in (0..20).step_by(2) {
        text += &format!(
            "{{\"at\": \"2025-03-01T12:{i:02}:00Z\", \"event\": \"shipped\", \"order\": \"O{i}\"}}\n"
        );
    }
    text += "{\"at\": \"2025-03-05T00:00:00Z\", \"event\": \"paid\", \"order\": \"Z\"}\n";
    std::fs::write(&log, text).unwrap();
    let args = |engine: &str| {
        vec![
            "check".to_string(),
            rules.display().to_string(),
            "--events".into(),
            log.display().to_string(),
            "--format".into(),
            "summary".into(),
            "--engine".into(),
            engine.into(),
        ]
    };
    let tiny = [("PACTA_SPILL_BYTES", "64")];
    let nowhere = [tiny[0], ("TMPDIR", "/nonexistent/pacta-tmp")];
    let memory = common::pacta_env(&args("memory"), &[]);
    assert!(memory.1.contains("failing (10):"), "{}", memory.1);
    // It spills, and says what memory says.
    assert_eq!(common::pacta_env(&args("stream"), &tiny), memory);
    let (code, out, err) = common::pacta_env(&args("stream"), &nowhere);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("cannot keep the decided instances in a temporary file"),
        "{err}"
    );
    assert_eq!(common::pacta_env(&args("auto"), &nowhere), memory);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn stream_says_why_it_cannot_stream() {
    let (code, out, err) = pacta(&[
        "check",
        "examples/istanbul/istanbul.pacta",
        "--events",
        "examples/istanbul/events.jsonl",
        "--engine",
        "stream",
    ]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.is_empty());
    assert!(err.contains("cannot be streamed"), "{err}");
}

#[test]
fn coverage_is_never_streamed() {
    let (code, out, err) = pacta(&[
        "check",
        "tests/cases/check/unless_cancels/rules.pacta",
        "--events",
        "tests/cases/check/unless_cancels/events.jsonl",
        "--coverage",
        "--engine",
        "stream",
    ]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("`--coverage` cannot be streamed"), "{err}");
    // By default, `--coverage` runs in memory and lists what it should.
    let auto = pacta(&[
        "check",
        "tests/cases/check/unless_cancels/rules.pacta",
        "--events",
        "tests/cases/check/unless_cancels/events.jsonl",
        "--coverage",
    ]);
    let memory = pacta(&[
        "check",
        "tests/cases/check/unless_cancels/rules.pacta",
        "--events",
        "tests/cases/check/unless_cancels/events.jsonl",
        "--coverage",
        "--engine",
        "memory",
    ]);
    assert_eq!(auto, memory);
}

/// A line over the 16 MiB limit is a bad line in either engine: the
/// streaming engine leaves it to the in-memory reader, which reports it
/// (or skips and counts it). Lines just under, at and over the limit, with
/// and without a byte order mark, so that the limit is the in-memory
/// reader's to the byte.
#[test]
fn a_line_over_the_limit_is_bad_in_either_engine() {
    const LIMIT: usize = 16 * 1024 * 1024;
    let dir = std::env::temp_dir().join(format!("pacta-long-lines-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rules = dir.join("rules.pacta");
    std::fs::write(
        &rules,
        "party shop\nevent paid(order: id)\nevent shipped(order: id)\n\
         commitment ship {\n    for each order\n    by shop\n    after paid(order)\n    \
         must shipped(order)\n    within 1 day\n}\n",
    )
    .unwrap();
    let event = |kind: &str, order: &str, len: usize| {
        let head = format!(
            "{{\"at\": \"2025-03-01T10:00:00Z\", \"event\": \"{kind}\", \"order\": \"{order}\", \"pad\": \""
        );
        let tail = "\"}\n";
        let pad = len.saturating_sub(head.len() + tail.len());
        format!("{head}{}{tail}", "x".repeat(pad))
    };
    let mut streamed = 0;
    for bom in [false, true] {
        for len in [
            LIMIT - 4,
            LIMIT - 1,
            LIMIT,
            LIMIT + 1,
            LIMIT + 2 * 1024 * 1024,
        ] {
            let mut log = if bom {
                "\u{feff}".to_string()
            } else {
                String::new()
            };
            log.push_str(&event("paid", "A", len));
            log.push_str(&event("paid", "B", 80));
            log.push_str(&event("shipped", "B", 80));
            let path = dir.join("events.jsonl");
            std::fs::write(&path, log).unwrap();
            for extra in [None, Some("--skip-bad-lines")] {
                let args = |engine: &str| {
                    let mut a = vec![
                        "check".to_string(),
                        rel(&rules),
                        "--events".into(),
                        rel(&path),
                        "--format".into(),
                        "json".into(),
                        "--engine".into(),
                        engine.into(),
                    ];
                    a.extend(extra.map(String::from));
                    a
                };
                let memory = pacta(&args("memory"));
                assert_eq!(
                    pacta(&args("auto")),
                    memory,
                    "a line of {len} bytes (BOM: {bom}, {extra:?})"
                );
                let over = len + if bom { 3 } else { 0 } > LIMIT;
                if extra.is_none() {
                    assert_eq!(
                        memory.0,
                        if over { 2 } else { 0 },
                        "{len} {bom}: {}",
                        memory.2
                    );
                }
                streamed += usize::from(pacta(&args("stream")).0 != 2);
            }
        }
    }
    // Short enough lines still stream.
    assert!(streamed >= 2, "{streamed}");
    let _ = std::fs::remove_dir_all(&dir);
}
