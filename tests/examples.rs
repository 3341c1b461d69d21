//! The worked examples under `examples/`, run as a newcomer runs them.
//!
//! Each example folder holds `rules.pacta`, one log (`events.jsonl` or
//! `events.csv`), an `expect` file of the verdicts the run must give (the
//! grammar of `common::check_expectations`) and a `README.md`. Each test runs
//! `pacta check` with `--format json` and `--format text`, asserts the
//! `expect` lines against the JSON report and the exit status, and snapshots
//! the text report. The flagship `istanbul` example is tested in `cases.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]

mod common;

use std::path::{Path, PathBuf};

use common::pacta;

/// The example folders this file tests, besides `istanbul`.
const EXAMPLES: [&str; 4] = ["confidentiality", "lease", "order_sla", "supply"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The example's single log, relative to the crate root.
fn log_of(name: &str) -> String {
    let dir = root().join("examples").join(name);
    let logs: Vec<PathBuf> = ["events.jsonl", "events.csv"]
        .iter()
        .map(|f| dir.join(f))
        .filter(|p| p.is_file())
        .collect();
    assert_eq!(
        logs.len(),
        1,
        "examples/{name}: expected exactly one of events.jsonl, events.csv"
    );
    common::rel(&logs[0])
}

fn check_args(name: &str, format: &str) -> Vec<String> {
    vec![
        "check".into(),
        format!("examples/{name}/rules.pacta"),
        "--events".into(),
        log_of(name),
        "--format".into(),
        format.into(),
    ]
}

/// Runs one example in both formats, checks its `expect` file and snapshots
/// the text report as `examples__NAME.snap`.
fn run_example(name: &str) {
    let dir = root().join("examples").join(name);
    let text_args = check_args(name, "text");
    let (code, text, err) = pacta(&text_args);
    assert!(
        code == 0 || code == 1,
        "examples/{name}: exit {code}\n{err}"
    );
    assert!(
        err.is_empty(),
        "examples/{name}: unexpected diagnostics\n{err}"
    );
    let (code_json, json, err_json) = pacta(&check_args(name, "json"));
    assert_eq!(
        code, code_json,
        "examples/{name}: text and json runs disagree on the exit status\n{err_json}"
    );
    // Determinism: a second run is byte-identical.
    assert_eq!(
        pacta(&text_args).1,
        text,
        "examples/{name}: text report differs between runs"
    );

    let report: serde_json::Value = serde_json::from_str(&json)
        .unwrap_or_else(|e| panic!("examples/{name}: bad JSON report: {e}\n{json}"));
    common::assert_sorted(&report);
    let expect = std::fs::read_to_string(dir.join("expect"))
        .unwrap_or_else(|_| panic!("examples/{name}: missing `expect` file"));
    assert!(
        expect.lines().any(|l| l.trim().starts_with("exit ")),
        "examples/{name}: `expect` must state the exit status"
    );
    common::check_expectations(&format!("examples/{name}/expect"), &expect, code, &report);

    // The README tells a newcomer how to run it, with this very command.
    let readme = std::fs::read_to_string(dir.join("README.md"))
        .unwrap_or_else(|_| panic!("examples/{name}: missing README.md"));
    let command = format!(
        "cargo run -- check examples/{name}/rules.pacta --events {}",
        log_of(name)
    );
    assert!(
        readme.contains(&command),
        "examples/{name}/README.md does not show `{command}`"
    );

    let shown = format!("$ pacta {}\nexit: {code}\n\n{text}", text_args.join(" "));
    insta::assert_snapshot!(name, shown);
}

#[test]
fn order_sla() {
    run_example("order_sla");
}

#[test]
fn lease() {
    run_example("lease");
}

#[test]
fn supply() {
    run_example("supply");
}

#[test]
fn confidentiality() {
    run_example("confidentiality");
}

/// A new folder under `examples/` gets a test here (or in `cases.rs`).
#[test]
fn every_example_is_tested() {
    let mut found: Vec<String> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .filter(|n| n != "istanbul")
        .collect();
    found.sort();
    assert_eq!(
        found, EXAMPLES,
        "examples/ and the list of tested examples differ"
    );
}

/// `rules/order_sla.pacta`, the reusable copy of the SLA, gives the example's
/// log the same verdicts as the example's own rules.
#[test]
fn reusable_order_sla_rule() {
    let run = |rules: &str| {
        let (code, json, err) = pacta(&[
            "check",
            rules,
            "--events",
            "examples/order_sla/events.jsonl",
            "--format",
            "json",
        ]);
        assert_eq!(code, 1, "{rules}: a violated order fails the run\n{err}");
        let report: serde_json::Value = serde_json::from_str(&json).unwrap();
        report["commitments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["id"].to_string(),
                    c["bindings"].to_string(),
                    c["status"].to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let shipped = run("rules/order_sla.pacta");
    assert_eq!(shipped.len(), 11, "one instance per paid order");
    assert_eq!(shipped, run("examples/order_sla/rules.pacta"));
}

/// Every output format on every worked example: each is well-formed, and
/// agrees with the JSON report on what failed.
#[test]
fn every_format_on_every_example() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string("tests/fixtures/sarif-schema-2.1.0.json").unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for dir in [
        "examples/istanbul",
        "examples/order_sla",
        "examples/lease",
        "examples/supply",
        "examples/confidentiality",
    ] {
        let rules = if dir.ends_with("istanbul") {
            format!("{dir}/istanbul.pacta")
        } else {
            format!("{dir}/rules.pacta")
        };
        let log = ["events.jsonl", "events.csv"]
            .iter()
            .map(|l| format!("{dir}/{l}"))
            .find(|p| std::path::Path::new(p).exists())
            .unwrap();
        let run =
            |format: &str| common::pacta(&["check", &rules, "--events", &log, "--format", format]);
        let (code, json, err) = run("json");
        assert!(code < 2, "{dir}: {err}");
        let report: serde_json::Value = serde_json::from_str(&json).unwrap();
        let violated = report["summary"]["commitments"]["violated"]
            .as_u64()
            .unwrap();
        let contradicted = report["summary"]["claims"]["contradicted"]
            .as_u64()
            .unwrap();
        for format in ["text", "summary", "github", "markdown", "sarif", "junit"] {
            let (c, out, err) = run(format);
            assert_eq!(
                c, code,
                "{dir} --format {format}: exit differs from json\n{err}"
            );
            assert!(!out.is_empty(), "{dir} --format {format}: empty");
            match format {
                "sarif" => {
                    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
                    let errors: Vec<String> =
                        validator.iter_errors(&v).map(|e| e.to_string()).collect();
                    assert!(errors.is_empty(), "{dir}: {errors:?}");
                    let failing = v["runs"][0]["results"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|r| r["level"] == "error")
                        .count();
                    assert_eq!(
                        failing as u64,
                        violated + contradicted,
                        "{dir}: SARIF errors"
                    );
                    // A claim result points at the log lines of the events
                    // that decided it, as the JSON report's evidence lists.
                    for c in report["claims"].as_array().unwrap() {
                        if c["verdict"] != "contradicted" {
                            continue;
                        }
                        let result = v["runs"][0]["results"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .find(|r| {
                                r["message"]["text"]
                                    .as_str()
                                    .unwrap()
                                    .starts_with(&format!("claim {} by", c["id"].as_str().unwrap()))
                            })
                            .unwrap_or_else(|| panic!("{dir}: no SARIF result for {c}"));
                        let lines: Vec<String> = result["relatedLocations"]
                            .as_array()
                            .map(|l| {
                                l.iter()
                                    .map(|x| {
                                        let p = &x["physicalLocation"];
                                        format!(
                                            "{}:{}",
                                            p["artifactLocation"]["uri"].as_str().unwrap(),
                                            p["region"]["startLine"]
                                        )
                                    })
                                    .collect()
                            })
                            .unwrap_or_default();
                        let logs: Vec<String> = c["evidence"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .filter_map(|e| e["log"].as_str().map(String::from))
                            .collect();
                        assert_eq!(lines, logs, "{dir}: claim {}", c["id"]);
                    }
                }
                "junit" => {
                    assert!(
                        out.contains(&format!("failures=\"{}\"", violated + contradicted)),
                        "{dir}: {out}"
                    );
                }
                "github" => {
                    let errors = out.lines().filter(|l| l.starts_with("::error ")).count();
                    assert_eq!(errors as u64, violated + contradicted, "{dir}: {out}");
                }
                "markdown" => {
                    assert_eq!(
                        out.matches("❌ violated").count() as u64,
                        violated,
                        "{dir}: {out}"
                    );
                }
                _ => {}
            }
        }
    }
}
