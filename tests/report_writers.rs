//! The report writers that stream to an `io::Write` against the renderers
//! that build one string: byte-identical over every `tests/cases/check/*`
//! fixture (with its `args`: as-of, fields, params, fail-on) and every
//! example under `examples/`. The JSON renderer (`render_with`, through
//! `serde_json::Value`) is an independent reference; the text renderers are
//! now the writers run into memory, so the summary's failing list is also
//! checked against the way it used to be built.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]

mod common;

use std::path::{Path, PathBuf};

use clap::Parser as _;
use pacta::Checked;
use pacta::cli::{Cli, Command};
use pacta::events::Input;
use pacta::report::FailOn;

/// One run to render, where it comes from, and its `--fail-on` set.
struct Case {
    name: String,
    run: Checked,
    fail_on: FailOn,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
}

/// The logs of a fixture or example folder, as strings.
fn logs(dir: &Path) -> Vec<String> {
    common::case_logs(dir)
        .into_iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect()
}

/// Runs `pacta check RULES --events LOG… ARGS…` in process, reading the
/// arguments with the CLI's own parser.
fn run(name: &str, rules: &Path, dir: &Path) -> Case {
    let mut argv = vec![
        "pacta".to_string(),
        "check".into(),
        rules.to_string_lossy().into_owned(),
    ];
    for log in logs(dir) {
        argv.push("--events".into());
        argv.push(log);
    }
    argv.extend(common::case_args(dir));
    let Command::Check(args) = Cli::try_parse_from(&argv).unwrap().command else {
        panic!("{name}: not a check");
    };
    // The CLI's own options (the in-memory engine), as `check` builds them.
    let Ok(opts) = args.run.options() else {
        panic!("{name}: bad arguments");
    };
    let inputs: Vec<Input> = args.run.logs();
    let run = pacta::check(&args.run.rules, &inputs, &opts)
        .unwrap_or_else(|f| panic!("{name}: the check fails: {:?}", f.diags));
    Case {
        name: name.to_string(),
        run,
        fail_on: FailOn::parse(&args.fail_on).unwrap(),
    }
}

/// Every fixture under `tests/cases/check/` and every example.
fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for dir in sorted_entries(&root().join("tests/cases/check")) {
        let name = format!("cases/check/{}", dir.file_name().unwrap().to_string_lossy());
        out.push(run(&name, &dir.join("rules.pacta"), &dir));
    }
    for dir in sorted_entries(&root().join("examples")) {
        let rules: Vec<PathBuf> = sorted_entries(&dir)
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "pacta"))
            .collect();
        let [rules] = rules.as_slice() else {
            panic!("{}: expected one rule file", dir.display());
        };
        let name = format!("examples/{}", dir.file_name().unwrap().to_string_lossy());
        out.push(run(&name, rules, &dir));
    }
    assert!(out.len() > 80, "fixtures not found: {}", out.len());
    out
}

/// Runs a writer into a byte buffer; the bytes as text.
fn written(write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    write(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// `report::json::write_json` writes the bytes of `render_with` (the serde
/// path), with and without coverage.
#[test]
fn json_write_matches_render() {
    for case in cases() {
        for coverage in [false, true] {
            let expected = pacta::report::json::render_with(&case.run, coverage);
            let got = written(|w| pacta::report::json::write_json(&case.run, coverage, w));
            assert!(
                got == expected,
                "{} (coverage {coverage}): write_json differs from render_with\n{}",
                case.name,
                first_difference(&expected, &got)
            );
        }
    }
}

/// `report::text::write_styled` writes the bytes of `render_styled`, with
/// and without colour.
#[test]
fn text_write_matches_render() {
    for case in cases() {
        for colour in [false, true] {
            let expected = pacta::report::text::render_styled(&case.run, colour);
            let got = written(|w| pacta::report::text::write_styled(&case.run, colour, w));
            assert!(
                got == expected,
                "{} (colour {colour}): write_styled differs from render_styled\n{}",
                case.name,
                first_difference(&expected, &got)
            );
        }
    }
}

/// `--fail-on` sets for the summary besides each case's own: none, a
/// status named twice, every status and verdict, a claim verdict alone.
const FAIL_ON: [&str; 4] = [
    "",
    "violated,violated,pending",
    "violated,pending,inactive,expired,cancelled,fulfilled,contradicted,consistent,unverifiable",
    "unverifiable",
];

/// `report::text::write_summary` writes the bytes of `render_summary`; its
/// failing list, whose count is taken from the summary counts before the
/// lines are streamed, is the one the lines make (as the list was built
/// before the summary was streamed).
#[test]
fn summary_write_matches_render() {
    for case in cases() {
        let sets = std::iter::once(case.fail_on.clone())
            .chain(FAIL_ON.iter().map(|s| FailOn::parse(s).unwrap()));
        for fail_on in sets {
            let expected = pacta::report::text::render_summary(&case.run, &fail_on);
            let got = written(|w| pacta::report::text::write_summary(&case.run, &fail_on, w));
            assert!(
                got == expected,
                "{} ({fail_on:?}): write_summary differs from render_summary\n{}",
                case.name,
                first_difference(&expected, &got)
            );
            let tail = failing_list(&case.run, &fail_on);
            assert!(
                got.ends_with(&tail),
                "{} ({fail_on:?}): the failing list differs\n--- expected tail\n{tail}--- got\n{got}",
                case.name
            );
        }
    }
}

/// The summary's last lines as the report made them when it collected the
/// failing lines first and counted them.
fn failing_list(run: &Checked, fail_on: &FailOn) -> String {
    let as_of = run.eval.as_of;
    let mut failing = Vec::new();
    for (c, i) in pacta::report::sorted_commitments(run) {
        let st = i.status_at(as_of);
        if fail_on.statuses.contains(&st) {
            let when = i
                .deadline
                .map(|d| {
                    format!(
                        " (deadline {})",
                        pacta::report::fmt_time(d.at, &run.model.zone)
                    )
                })
                .unwrap_or_default();
            failing.push(format!(
                "  {} {st}{when}\n",
                pacta::report::instance_name(c, &i.bindings)
            ));
        }
    }
    for v in &run.eval.claims {
        if fail_on.verdicts.contains(&v.verdict) {
            failing.push(format!("  claim {} {}\n", v.claim.id, v.verdict.name()));
        }
    }
    if failing.is_empty() {
        "\nnothing fails the run\n".to_string()
    } else {
        format!("\nfailing ({}):\n{}", failing.len(), failing.concat())
    }
}

/// The first line where two outputs part, for the failure message.
fn first_difference(expected: &str, got: &str) -> String {
    let line = expected
        .lines()
        .zip(got.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| expected.lines().count().min(got.lines().count()));
    format!(
        "line {}:\n  expected: {:?}\n  got:      {:?}",
        line + 1,
        expected.lines().nth(line),
        got.lines().nth(line)
    )
}
