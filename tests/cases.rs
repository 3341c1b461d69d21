//! Fixture-driven tests of the `pacta` binary, as users run it.
//!
//! - `cases/check/<name>/`: `rules.pacta`, one or more `events*.jsonl|csv`,
//!   an optional `args` file (one extra argument per line) and an `expect`
//!   file of verdicts the run must give (see `check_expectations`). Each case
//!   snapshots the text report and the JSON report, asserts the `expect`
//!   lines against the JSON, and checks determinism invariants.
//! - `cases/errors/*.pacta`: bad rule files. Each must exit 2 with at least
//!   one diagnostic; its first line `// expect: CODE …` names the codes
//!   that must appear. Stderr is snapshotted.
//! - `cases/log_errors/<name>/`: good rules, bad log: exit 2, `file:line`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]

use std::path::Path;

mod common;
use common::{case_args, case_logs, pacta, rel};

fn check_args(dir: &Path, format: &str) -> Vec<String> {
    let mut args = vec!["check".to_string(), rel(&dir.join("rules.pacta"))];
    for log in case_logs(dir) {
        args.push("--events".into());
        args.push(rel(&log));
    }
    args.extend(case_args(dir));
    args.push("--format".into());
    args.push(format.into());
    args
}

#[test]
fn check_cases() {
    insta::glob!("cases/check/*/rules.pacta", |path| {
        let dir = path.parent().unwrap();
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let text_args = check_args(dir, "text");
        let (code, text, err) = pacta(&text_args);
        assert!(code == 0 || code == 1, "{name}: exit {code}\n{err}");
        let (code_json, json, _) = pacta(&check_args(dir, "json"));
        assert_eq!(
            code, code_json,
            "{name}: text and json runs disagree on the exit status"
        );
        // Determinism: a second run is byte-identical.
        assert_eq!(
            pacta(&text_args).1,
            text,
            "{name}: text report differs between runs"
        );
        let report: serde_json::Value = serde_json::from_str(&json).unwrap();
        common::assert_sorted(&report);
        let expect = std::fs::read_to_string(dir.join("expect"))
            .unwrap_or_else(|_| panic!("{}: missing `expect` file", dir.display()));
        common::check_expectations(&dir.display().to_string(), &expect, code, &report);
        let shown = format!("$ pacta {}\nexit: {code}\n\n{text}", text_args.join(" "));
        insta::assert_snapshot!("text", shown);
        insta::assert_snapshot!("json", json);
    });
}

#[test]
fn rule_file_errors() {
    insta::glob!("cases/errors/*.pacta", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let codes: Vec<&str> = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("// expect:"))
            .map(|l| l.split_whitespace().collect())
            .unwrap_or_default();
        assert!(
            !codes.is_empty(),
            "{}: first line must be `// expect: CODE …`",
            path.display()
        );
        let args = vec![
            "check".to_string(),
            rel(path),
            "--events".into(),
            "tests/fixtures/empty.jsonl".into(),
            "--as-of".into(),
            "2025-01-01T00:00:00Z".into(),
        ];
        let (code, out, err) = pacta(&args);
        assert_eq!(code, 2, "{}: expected exit 2\n{out}{err}", path.display());
        assert!(
            out.is_empty(),
            "{}: a failed run must print no report",
            path.display()
        );
        for c in &codes {
            assert!(
                err.contains(&format!("pacta::{c}")),
                "{}: missing diagnostic `{c}` in\n{err}",
                path.display()
            );
        }
        insta::assert_snapshot!(err);
    });
}

#[test]
fn log_errors() {
    insta::glob!("cases/log_errors/*/rules.pacta", |path| {
        let dir = path.parent().unwrap();
        let args = check_args(dir, "text");
        let (code, out, err) = pacta(&args);
        assert_eq!(code, 2, "{}: expected exit 2\n{out}{err}", dir.display());
        assert!(
            out.is_empty(),
            "{}: a failed run must print no report",
            dir.display()
        );
        let expected = std::fs::read_to_string(dir.join("expect")).unwrap();
        for line in expected.lines().map(str::trim).filter(|l| !l.is_empty()) {
            assert!(
                err.contains(line),
                "{}: stderr lacks `{line}`:\n{err}",
                dir.display()
            );
        }
        insta::assert_snapshot!("stderr", err);
    });
}

/// Every rule file shipped in `examples/` and `rules/` loads without a diagnostic.
#[test]
fn shipped_rule_files_resolve() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["examples", "rules"] {
        common::collect(&root.join(dir), "pacta", &mut files);
    }
    assert!(!files.is_empty());
    for f in files {
        if let Err(fail) = pacta::rules_to_model(std::slice::from_ref(&f), &[]) {
            panic!(
                "{}:\n{}",
                f.display(),
                fail.diags
                    .render(&fail.sources, pacta::diagnostics::Theme::Plain)
            );
        }
    }
}

/// The README's first command works and prints the Istanbul verdicts.
#[test]
fn flagship_example() {
    let (code, out, err) = pacta(&[
        "check",
        "examples/istanbul/istanbul.pacta",
        "--events",
        "examples/istanbul/events.jsonl",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "a violated commitment fails the run\n{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    let status = |id: &str| common::instance(&r, id).unwrap()["status"].clone();
    assert_eq!(status("exchange_ru"), "fulfilled");
    assert_eq!(status("exchange_ua"), "fulfilled");
    assert_eq!(status("memorandum_ru"), "violated");
    assert_eq!(status("memorandum_ua"), "fulfilled");
    let claim = |id: &str| {
        r["claims"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(claim("implemented")["verdict"], "contradicted");
    assert_eq!(claim("implemented")["actual"], "violated");
    assert_eq!(claim("delaying")["verdict"], "consistent");
    assert_eq!(claim("still_waiting")["verdict"], "consistent");
    assert_eq!(r["disputes"][0]["supported"], "delaying");
    // Design §8 and §10: a claim's verdict cites the events that decided
    // it, with their log lines and sources.
    let handed = claim("ua_draft_handed_over");
    assert_eq!(handed["verdict"], "consistent");
    assert_eq!(
        handed["evidence"],
        serde_json::json!([{
            "role": "occurrence",
            "at": "2025-05-28T12:00:00+03:00",
            "log": "examples/istanbul/events.jsonl:8",
            "event": "memorandum_delivered",
            "source": "I handed over our document to the head of the Russian delegation, which reflects the Ukrainian position. They received this document."
        }])
    );
    let implemented = claim("implemented");
    let roles: Vec<&str> = implemented["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["role"].as_str().unwrap())
        .collect();
    // The memorandum was due after both exchanges: both are cited.
    assert_eq!(roles, ["trigger", "trigger", "violation"]);
    let waited_on: Vec<&str> = implemented["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["commitment"].as_str())
        .collect();
    assert_eq!(waited_on, ["exchange_ru", "exchange_ua"]);
    assert_eq!(claim("still_waiting")["evidence"], serde_json::json!([]));
    // Every logged event quotes the article sentence it comes from.
    let article = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/seeds/istanbul-talks-2025-06-02.txt"),
    );
    if let Ok(article) = article {
        let article = article.split_whitespace().collect::<Vec<_>>().join(" ");
        for line in std::fs::read_to_string("examples/istanbul/events.jsonl")
            .unwrap()
            .lines()
        {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let src = v["source"].as_str().unwrap();
            assert!(
                article.contains(src),
                "source not found in the article: {src}"
            );
        }
    }
}

/// `pacta graph` draws the Istanbul graph: the memorandum waits on both
/// exchanges, and the two claims about it hang off it, coloured by verdict.
#[test]
fn graph_drawings() {
    let base = ["graph", "examples/istanbul/istanbul.pacta"];
    let (code, dot, err) = pacta(&base);
    assert_eq!(code, 0, "{err}");
    assert!(
        dot.contains("n0 -> n2 [label=\"after\"]") && dot.contains("n1 -> n2 [label=\"after\"]"),
        "{dot}"
    );
    insta::assert_snapshot!("istanbul_graph_dot", dot);
    let (code, mermaid, err) = pacta(&[
        "graph",
        "examples/istanbul/istanbul.pacta",
        "--events",
        "examples/istanbul/events.jsonl",
        "--format",
        "mermaid",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(mermaid.contains("memorandum_ru<br/>violated"), "{mermaid}");
    insta::assert_snapshot!("istanbul_graph_mermaid", mermaid);
}

/// Claims read from a log are drawn too (design §7: an edge runs from each
/// commitment to the claims about it), in report order, coloured by
/// verdict.
#[test]
fn graph_draws_claims_from_logs() {
    let (code, dot, err) = pacta(&[
        "graph",
        "tests/cases/check/claims_from_log/rules.pacta",
        "--events",
        "tests/cases/check/claims_from_log/events.jsonl",
    ]);
    assert_eq!(code, 0, "{err}");
    for line in [
        "n1 [label=\"claim tests/cases/check/claims_from_log/events.jsonl:4\\ncontradicted\", shape=note",
        "n2 [label=\"claim tests/cases/check/claims_from_log/events.jsonl:5\\nconsistent\", shape=note",
        "n3 [label=\"claim tests/cases/check/claims_from_log/events.jsonl:6\\nconsistent\", shape=note",
        "n0 -> n1 [label=\"claim\"]",
        "n0 -> n2 [label=\"claim\"]",
        "n0 -> n3 [label=\"claim\"]",
    ] {
        assert!(dot.contains(line), "no `{line}` in:\n{dot}");
    }
    // Without a log, only the rules are drawn.
    let (code, rules_only, err) =
        pacta(&["graph", "tests/cases/check/claims_from_log/rules.pacta"]);
    assert_eq!(code, 0, "{err}");
    assert!(!rules_only.contains("claim"), "{rules_only}");
}

/// `explain` quotes a trigger as written, its last parenthesised group
/// closed (a condition's span ends inside it).
#[test]
fn explain_quotes_a_trigger_whole() {
    let dir = std::env::temp_dir().join(format!("pacta-explain-parens-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rules = dir.join("rules.pacta");
    std::fs::write(
        &rules,
        "party a\nevent f(x: id)\nevent g(x: id)\nevent e(x: id)\ncommitment c {\n    for each x\n    by a\n    after f(x) or (g(x) and e(x))\n    must e(x)\n    within 1 day\n}\n",
    )
    .unwrap();
    let log = dir.join("events.jsonl");
    std::fs::write(
        &log,
        "{\"at\":\"2025-03-01T10:00:00Z\",\"event\":\"f\",\"x\":\"A\"}\n",
    )
    .unwrap();
    let (code, out, err) = pacta(&["explain", "c", &rel(&rules), "--events", &rel(&log)]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("1. trigger (line 8): after f(x) or (g(x) and e(x))\n"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--coverage` is a section of every report people read (text, json,
/// summary, markdown); the formats for other tools have no place for it
/// and refuse it rather than drop it silently.
#[test]
fn coverage_in_every_format_or_refused() {
    let run = |format: &str| {
        pacta(&[
            "check",
            "examples/istanbul/istanbul.pacta",
            "--events",
            "examples/istanbul/events.jsonl",
            "--coverage",
            "--format",
            format,
        ])
    };
    for (format, needle) in [
        ("text", "event kinds no rule reads: `talks_held` (2 lines)"),
        (
            "summary",
            "event kinds no rule reads: `talks_held` (2 lines)",
        ),
        (
            "markdown",
            "- event kinds no rule reads: `talks_held` (2 lines)",
        ),
        ("json", "\"talks_held\": 2"),
    ] {
        let (code, out, err) = run(format);
        assert_eq!(code, 1, "{format}: {err}");
        assert!(out.contains(needle), "{format}: no `{needle}` in\n{out}");
    }
    for format in ["github", "sarif", "junit"] {
        let (code, out, err) = run(format);
        assert_eq!(code, 2, "{format}");
        assert!(out.is_empty(), "{format}: {out}");
        assert!(
            err.contains(&format!("`--coverage` is not shown in `--format {format}`")),
            "{err}"
        );
    }
}

/// The CI formats on the flagship example: annotations point at the rule
/// lines of the violated commitment and the contradicted claim.
#[test]
fn ci_formats() {
    let run = |format: &str| {
        pacta(&[
            "check",
            "examples/istanbul/istanbul.pacta",
            "--events",
            "examples/istanbul/events.jsonl",
            "--format",
            format,
        ])
    };
    let (code, github, err) = run("github");
    assert_eq!(code, 1, "{err}");
    let errors: Vec<&str> = github
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect();
    assert_eq!(errors.len(), 2, "{github}");
    assert!(
        errors[0].contains("line=36") && errors[0].contains("memorandum_ru is violated"),
        "{github}"
    );
    assert!(
        errors[1].contains("line=58") && errors[1].contains("claim implemented"),
        "{github}"
    );
    insta::assert_snapshot!("istanbul_github", github);
    let (code, markdown, err) = run("markdown");
    assert_eq!(code, 1, "{err}");
    assert!(
        markdown.contains("| `memorandum_ru` | ❌ violated |"),
        "{markdown}"
    );
    insta::assert_snapshot!("istanbul_markdown", markdown);
}

/// SARIF on the flagship example validates against the official SARIF
/// 2.1.0 schema, and its results point at the failing rules.
#[test]
fn sarif_matches_schema() {
    let (code, out, err) = pacta(&[
        "check",
        "examples/istanbul/istanbul.pacta",
        "--events",
        "examples/istanbul/events.jsonl",
        "--format",
        "sarif",
    ]);
    assert_eq!(code, 1, "{err}");
    let sarif: serde_json::Value = serde_json::from_str(&out).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string("tests/fixtures/sarif-schema-2.1.0.json").unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF does not match the schema: {errors:#?}"
    );
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let ids: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["pacta/violated", "pacta/contradicted"]);
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        36
    );
    insta::assert_snapshot!("istanbul_sarif", out);
}

/// JUnit: one test case per instance and claim; the violated commitment and
/// the contradicted claim are the two failures.
#[test]
fn junit_report() {
    let (code, out, err) = pacta(&[
        "check",
        "examples/istanbul/istanbul.pacta",
        "--events",
        "examples/istanbul/events.jsonl",
        "--format",
        "junit",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains(r#"<testsuites name="pacta" tests="8" skipped="0" failures="2" errors="0">"#),
        "{out}"
    );
    assert!(
        out.contains(r#"<failure message="violated; rule examples/istanbul/istanbul.pacta:36:1"#),
        "{out}"
    );
    insta::assert_snapshot!("istanbul_junit", out);
}

/// Colour is added only when asked for (the CLI asks only on a terminal
/// without `NO_COLOR`); every other report above is plain.
#[test]
fn colour_only_when_asked() {
    let run = pacta::check(
        &["examples/istanbul/istanbul.pacta".into()],
        &[pacta::events::Input::Path(
            "examples/istanbul/events.jsonl".into(),
        )],
        &pacta::CheckOptions::default(),
    )
    .unwrap();
    let plain = pacta::report::text::render_styled(&run, false);
    let coloured = pacta::report::text::render_styled(&run, true);
    assert!(!plain.contains('\u{1b}'));
    assert!(
        coloured.contains("\u{1b}[1m\u{1b}[31mVIOLATED (1)\u{1b}[0m"),
        "{coloured}"
    );
    assert_eq!(plain, pacta::report::text::render(&run));
}

/// Design §10: `--param` overrides a param, and each verdict that depends
/// on one says the value at which it would flip; `--coverage` lists what
/// the logs never exercised.
#[test]
fn params_flip_and_coverage() {
    let run = |extra: &[&str]| {
        let mut args = vec![
            "check",
            "tests/fixtures/params/rules.pacta",
            "--events",
            "tests/fixtures/params/events.jsonl",
            "--format",
            "json",
            "--coverage",
        ];
        args.extend_from_slice(extra);
        let (code, out, err) = pacta(&args);
        assert!(code < 2, "{err}");
        (
            code,
            serde_json::from_str::<serde_json::Value>(&out).unwrap(),
        )
    };
    // Exchange done May 25 12:00, memorandum June 2 10:00: 7 days 22 hours later.
    let (code, r) = run(&[]);
    assert_eq!(code, 1);
    let m = common::instance(&r, "memorandum").unwrap();
    assert_eq!(m["status"], "violated");
    assert_eq!(m["param_flip"]["status"], "fulfilled");
    assert_eq!(m["param_flip"]["if"], "immediately >= 7 days 22 hours");
    assert_eq!(m["param_flip"]["threshold_seconds"], 7 * 86_400 + 22 * 3600);
    // Ukraine replied Tuesday 09:00 after Monday 10:00: within 1 business day,
    // so with `soon = 2 business days` fulfilled; violated below 1.
    let reply = common::instance(&r, "reply").unwrap();
    assert_eq!(reply["status"], "fulfilled");
    assert_eq!(reply["param_flip"]["if"], "soon < 1 business day");
    assert_eq!(r["coverage"]["untriggered"], serde_json::json!(["refunds"]));
    assert_eq!(
        r["coverage"]["unread_kinds"],
        serde_json::json!({"press_conference": 1, "talks_held": 1})
    );
    // At the flip value the verdict flips; just below, it does not.
    let (code, r) = run(&["--param", "immediately=190h"]);
    assert_eq!(code, 0);
    assert_eq!(
        common::instance(&r, "memorandum").unwrap()["status"],
        "fulfilled"
    );
    let (_, r) = run(&["--param", "immediately=189h"]);
    assert_eq!(
        common::instance(&r, "memorandum").unwrap()["status"],
        "violated"
    );
    // An unknown param or a value of the wrong kind is an input error.
    let (code, _, err) = pacta(&[
        "check",
        "tests/fixtures/params/rules.pacta",
        "--events",
        "tests/fixtures/params/events.jsonl",
        "--param",
        "later=3d",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`--param later`: no param of that name is declared"),
        "{err}"
    );
    let (code, _, err) = pacta(&[
        "check",
        "tests/fixtures/params/rules.pacta",
        "--events",
        "tests/fixtures/params/events.jsonl",
        "--param",
        "immediately=2025-06-01",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("wrong kind of value"), "{err}");
}

/// `pacta explain` tells the story of a verdict: rule lines, trigger,
/// deadline arithmetic, evidence, verdict and the claims about it.
#[test]
fn explain_stories() {
    let ist = [
        "examples/istanbul/istanbul.pacta",
        "--events",
        "examples/istanbul/events.jsonl",
    ];
    let run = |target: &str, rest: &[&str]| {
        let mut args = vec!["explain", target];
        args.extend_from_slice(rest);
        pacta(&args)
    };
    let (code, out, err) = run("memorandum_ru", &ist);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("+ 1 day (24 hours of absolute time)"), "{out}");
    assert!(
        out.contains("4. verdict: violated at 2025-05-26T12:00:00+03:00"),
        "{out}"
    );
    assert!(out.contains("implemented by russia on 2025-05-28"), "{out}");
    insta::assert_snapshot!("explain_memorandum_ru", out);
    let (code, out, err) = run("implemented", &ist);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("4. verdict: contradicted"), "{out}");
    assert!(
        out.contains("disputed by `delaying`: the evidence supports `delaying`"),
        "{out}"
    );
    insta::assert_snapshot!("explain_claim_implemented", out);
    let (code, out, err) = run("exchange_ru", &ist);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("source: \"Despite the fact"),
        "explain cites sources\n{out}"
    );
    let sla = [
        "examples/order_sla/rules.pacta",
        "--events",
        "examples/order_sla/events.jsonl",
    ];
    let (code, _, err) = run("no_such", &sla);
    assert_eq!(code, 2);
    assert!(err.contains("no commitment or claim `no_such`"), "{err}");
    let (code, _, err) = run("ship_within_48h[nope=1]", &sla);
    assert_eq!(code, 2, "{err}");
}

/// `pacta explain` says at which moment of its day a day-dated claim held,
/// or that it held at none.
#[test]
fn explain_claims_dated_by_a_day() {
    let dir = "tests/cases/check/claim_on_day_true_at_some_instant";
    let rules = format!("{dir}/rules.pacta");
    let events = format!("{dir}/events.jsonl");
    let explain = |id: &str| {
        let (code, out, err) = pacta(&["explain", id, &rules, "--events", &events]);
        assert_eq!(code, 0, "{err}");
        out
    };
    let out = explain("b_late");
    assert!(
        out.contains("1. made by customer on 2025-03-02 (at any instant of that day, on the evidence up to 2025-03-02T23:59:59.999999999Z)"),
        "{out}"
    );
    assert!(
        out.contains("3. the evidence just after 2025-03-02T09:00:00Z, the first moment of that day when it held: violated"),
        "{out}"
    );
    let out = explain("c_late_that_day");
    assert!(
        out.contains("3. the evidence at the end of that day: pending; what it says held at no instant of the day"),
        "{out}"
    );
    assert!(
        out.contains("the claimed state came later, just after 2025-03-03T23:59:59.999999999Z"),
        "{out}"
    );
}

/// `pacta explain CLAIM` cites the evidence the JSON report lists, with
/// the events' sources.
#[test]
fn explain_claim_evidence() {
    let (code, out, err) = pacta(&[
        "explain",
        "ua_draft_handed_over",
        "examples/istanbul/istanbul.pacta",
        "--events",
        "examples/istanbul/events.jsonl",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(
            "happened\n   occurrence   memorandum_delivered at 2025-05-28T12:00:00+03:00 (examples/istanbul/events.jsonl:8)\n      source: \"I handed over"
        ),
        "{out}"
    );
    let dir = "tests/cases/check/claim_on_day_true_at_some_instant";
    let (code, out, err) = pacta(&[
        "explain",
        "b_late",
        &format!("{dir}/rules.pacta"),
        "--events",
        &format!("{dir}/events.jsonl"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!(
            "violated\n   `ship_b` had been violated since 2025-03-02T09:00:00Z (just after that instant)\n   trigger      paid at 2025-03-01T09:00:00Z ({dir}/events.jsonl:1)\n   violation    deadline 2025-03-02T09:00:00Z passed\n4. verdict: consistent"
        )),
        "{out}"
    );
}

/// The README's CI recipe, run end to end on a copy of the Istanbul example:
/// the snapshot is created, then kept; the check fails with annotations.
#[test]
fn readme_ci_recipe() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let block = readme
        .split("```yaml")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    let commands: Vec<Vec<String>> = block
        .lines()
        .map(|l| l.split('#').next().unwrap().trim())
        .filter(|l| l.starts_with("pacta "))
        .map(|l| {
            l.split_whitespace()
                .skip(1)
                .map(|w| {
                    if w == "''" {
                        String::new()
                    } else {
                        w.to_string()
                    }
                })
                .collect()
        })
        .collect();
    assert_eq!(commands.len(), 3, "{block}");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("readme_ci");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    std::fs::copy(
        "examples/istanbul/istanbul.pacta",
        dir.join("rules/istanbul.pacta"),
    )
    .unwrap();
    std::fs::copy(
        "examples/istanbul/events.jsonl",
        dir.join("logs/events.jsonl"),
    )
    .unwrap();
    let run = |args: &[String]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pacta"))
            .args(args)
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .env_remove("PACTA_ACCEPT")
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    // First run: the snapshot is created; a second run finds it up to date.
    assert_eq!(run(&commands[0]).0, 0);
    assert!(dir.join("rules/pacta.snap").exists());
    let (code, out) = run(&commands[0]);
    assert_eq!((code, out.contains("up to date")), (0, true), "{out}");
    // The Markdown report never fails the step; the annotations do.
    assert_eq!(run(&commands[1]).0, 0);
    assert!(
        std::fs::read_to_string(dir.join("pacta.md"))
            .unwrap()
            .contains("❌ violated")
    );
    let (code, out) = run(&commands[2]);
    assert_eq!(code, 1);
    assert!(
        out.contains("::error file=rules/istanbul.pacta,line=36"),
        "{out}"
    );
    // A change in the evidence moves a verdict: the snapshot step fails and
    // names the transition; `--accept` takes the new report.
    let log = std::fs::read_to_string(dir.join("logs/events.jsonl")).unwrap();
    let delivered = "{\"at\": \"2025-05-26T09:00:00+03:00\", \"event\": \"memorandum_delivered\", \"by\": \"russia\", \"to\": \"ukraine\"}\n";
    std::fs::write(dir.join("logs/events.jsonl"), format!("{log}{delivered}")).unwrap();
    let (code, out) = run(&commands[0]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("memorandum_ru: violated → fulfilled"), "{out}");
    assert!(dir.join("rules/pacta.snap.new").exists());
    let mut accept = commands[0].clone();
    accept.push("--accept".into());
    assert_eq!(run(&accept).0, 0);
    assert!(!dir.join("rules/pacta.snap.new").exists());
    assert_eq!(run(&commands[0]).0, 0);
}

/// `pacta diff` prints the verdict transitions between two JSON reports.
#[test]
fn diff_between_reports() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("diff_reports");
    std::fs::create_dir_all(&dir).unwrap();
    let report = |as_of: &str, name: &str| {
        let (_, out, _) = pacta(&[
            "check",
            "examples/istanbul/istanbul.pacta",
            "--events",
            "examples/istanbul/events.jsonl",
            "--format",
            "json",
            "--as-of",
            as_of,
        ]);
        let p = dir.join(name);
        std::fs::write(&p, out).unwrap();
        p.to_string_lossy().into_owned()
    };
    let old = report("2025-05-26T00:00:00+03:00", "old.json");
    let new = report("2025-06-02T12:00:00+03:00", "new.json");
    let (code, out, _) = pacta(&["diff", &old, &new]);
    assert_eq!(code, 1);
    assert!(
        out.contains("  memorandum_ru: pending → violated\n"),
        "{out}"
    );
    assert!(
        out.contains("  claim implemented: unverifiable → contradicted\n"),
        "{out}"
    );
    let (code, out, _) = pacta(&["diff", &new, &new]);
    assert_eq!((code, out.as_str()), (0, "no verdict moved\n"));
    let (code, _, err) = pacta(&["diff", &new, "README.md"]);
    assert_eq!(code, 2);
    assert!(err.contains("is not JSON"), "{err}");
}

/// `--format summary`: counts, then only what fails the run.
#[test]
fn summary_format() {
    let (code, out, err) = pacta(&[
        "check",
        "examples/order_sla/rules.pacta",
        "--events",
        "examples/order_sla/events.jsonl",
        "--format",
        "summary",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("commitments: 5 violated, 1 pending, 3 fulfilled, 2 cancelled\n"),
        "{out}"
    );
    assert!(out.contains("failing (6):\n"), "{out}");
    assert!(
        !out.contains("fulfilled late"),
        "only failing instances are listed\n{out}"
    );
    insta::assert_snapshot!("order_sla_summary", out);
}

/// Determinism: another `TZ`, another locale and another order of the
/// `--events` files give byte-identical reports in every format.
#[test]
fn reports_do_not_depend_on_environment_or_argument_order() {
    let dir = "tests/fixtures/determinism";
    let mut logs: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| common::rel(&e.unwrap().path()))
        .filter(|p| p.contains("/events"))
        .collect();
    logs.sort();
    assert!(logs.len() >= 2, "{logs:?}");
    let run = |logs: &[String], format: &str, tz: &str, lang: &str| {
        let mut args = vec!["check".to_string(), format!("{dir}/rules.pacta")];
        for l in logs {
            args.push("--events".into());
            args.push(l.clone());
        }
        args.extend(["--format".into(), format.into()]);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pacta"))
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("TZ", tz)
            .env("LC_ALL", lang)
            .env("LANG", lang)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let mut reversed = logs.clone();
    reversed.reverse();
    for format in ["text", "json", "sarif", "junit", "markdown", "github"] {
        let a = run(&logs, format, "UTC", "C");
        let b = run(&reversed, format, "Pacific/Chatham", "tr_TR.UTF-8");
        assert!(!a.is_empty(), "{format}");
        assert_eq!(
            a, b,
            "{format} output depends on the environment or argument order"
        );
    }
}

/// `pacta fmt --check` reports unformatted files (exit 1) and changes
/// nothing; `pacta fmt` rewrites them; every shipped rule file is formatted.
#[test]
fn fmt_and_lint_commands() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fmt_cmd");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let messy = dir.join("messy.pacta");
    let text = "party shop\nevent paid(order:id)   // the payment\ncommitment pay{by shop must paid(order:\"A\") by 2025-03-01}\n";
    std::fs::write(&messy, text).unwrap();
    let path = messy.to_string_lossy().into_owned();
    let (code, out, err) = pacta(&["fmt", "--check", &path]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("messy.pacta:2: not formatted"), "{out}");
    assert_eq!(
        std::fs::read_to_string(&messy).unwrap(),
        text,
        "--check must not write"
    );
    let (code, _, err) = pacta(&["fmt", &path]);
    assert_eq!(code, 0, "{err}");
    let formatted = std::fs::read_to_string(&messy).unwrap();
    assert!(
        formatted.contains("// the payment"),
        "comments kept:\n{formatted}"
    );
    assert_eq!(
        pacta(&["fmt", "--check", &path]).0,
        0,
        "formatting is idempotent"
    );
    // Every rule file shipped with pacta is formatted.
    let mut shipped = vec!["rules".to_string()];
    for e in std::fs::read_dir("examples").unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            shipped.push(common::rel(&p));
        }
    }
    let mut args = vec!["fmt".to_string(), "--check".to_string()];
    args.extend(shipped.clone());
    let (code, out, err) = pacta(&args);
    assert_eq!(code, 0, "run `pacta fmt` on:\n{out}{err}");
    // Lint: the examples are clean; a `must` without deadline is flagged.
    let mut args = vec!["lint".to_string()];
    args.push("examples/istanbul/istanbul.pacta".into());
    assert_eq!(pacta(&args).0, 0);
    let (code, _, err) = pacta(&["lint", &path]);
    assert_eq!(
        code, 0,
        "a formatted file with a deadline: no lint expected\n{err}"
    );
    let nodeadline = dir.join("nodeadline.pacta");
    std::fs::write(&nodeadline, "party shop\nevent paid(order: id)\ncommitment pay {\n    by shop\n    must paid(order: \"A\")\n}\n").unwrap();
    let (code, _, err) = pacta(&["lint", &nodeadline.to_string_lossy()]);
    assert_eq!(code, 1);
    assert!(err.contains("pacta::lint::must_without_deadline"), "{err}");
    let (code, _, err) = pacta(&["fmt", "tests/cases/errors/missing_brace.pacta", "--check"]);
    assert_eq!(
        code, 2,
        "a file that does not parse cannot be formatted\n{err}"
    );
}

/// The streamed JSON writer gives the same bytes as the in-memory renderer.
#[test]
fn streamed_json_matches_rendered_json() {
    for (rules, log) in [
        (
            "examples/istanbul/istanbul.pacta",
            "examples/istanbul/events.jsonl",
        ),
        (
            "examples/order_sla/rules.pacta",
            "examples/order_sla/events.jsonl",
        ),
        (
            "examples/confidentiality/rules.pacta",
            "examples/confidentiality/events.jsonl",
        ),
    ] {
        let run = pacta::check(
            &[rules.into()],
            &[pacta::events::Input::Path(log.into())],
            &pacta::CheckOptions::default(),
        )
        .unwrap();
        for coverage in [false, true] {
            let mut streamed = Vec::new();
            pacta::report::json::write_json(&run, coverage, &mut streamed).unwrap();
            assert_eq!(
                String::from_utf8(streamed).unwrap(),
                pacta::report::json::render_with(&run, coverage),
                "{rules} coverage={coverage}"
            );
        }
    }
}

/// `explain`, `graph` and `snapshot` read a log as `check` reads it: the
/// same `--time-field`, `--kind-field`, `--skip-bad-lines` and `--param`
/// (they once took only `--events` and `--as-of`).
#[test]
fn every_evaluating_command_reads_logs_as_check_does() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("run_args");
    std::fs::create_dir_all(&dir).unwrap();
    let rules = dir.join("rules.pacta");
    std::fs::write(
        &rules,
        "party shop\nevent paid(order: id)\nevent shipped(order: id)\nparam p = 1 hour\n\
         commitment ship { for each order by shop after paid(order) must shipped(order) within p }\n",
    )
    .unwrap();
    let log = dir.join("events.jsonl");
    std::fs::write(
        &log,
        "{\"ts\": \"2025-03-01T09:00:00Z\", \"kind\": \"paid\", \"order\": \"A\"}\n\
         not json\n\
         {\"ts\": \"2025-03-01T11:00:00Z\", \"kind\": \"shipped\", \"order\": \"A\"}\n",
    )
    .unwrap();
    let snap = dir.join("rules.snap");
    let _ = std::fs::remove_file(&snap);
    let (rules, log, snap) = (
        rules.display().to_string(),
        log.display().to_string(),
        snap.display().to_string(),
    );
    // Within 1 hour the shipment at 11:00 is late; `--param p=3h` makes it on time.
    let read: Vec<&str> = vec![
        "-e",
        &log,
        "--time-field",
        "ts",
        "--kind-field",
        "kind",
        "--skip-bad-lines",
        "--param",
        "p=3h",
    ];
    let with = |head: &[&str], tail: &[&str]| {
        let mut a: Vec<&str> = head.to_vec();
        a.extend_from_slice(&read);
        a.extend_from_slice(tail);
        pacta(&a)
    };
    let (code, out, err) = with(&["check", &rules], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("FULFILLED (1)"), "{out}");
    let (code, out, err) = with(&["explain", "ship[order=A]", &rules], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("verdict: fulfilled"), "{out}");
    let (code, out, err) = with(&["graph", &rules], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ship\\nfulfilled"), "{out}");
    let (code, out, err) = with(&["snapshot", &rules], &["--snap", &snap]);
    assert_eq!(code, 0, "{out}{err}");
    let kept = std::fs::read_to_string(&snap).unwrap();
    assert!(kept.contains("fulfilled"), "{kept}");
    // Without the field names the log cannot be read.
    let (code, _, err) = pacta(&["explain", "ship[order=A]", &rules, "-e", &log]);
    assert_eq!(code, 2, "{err}");
    // An unknown param is refused by every command, with or without logs
    // (only `graph` runs without one).
    for cmd in [
        &["graph", &rules][..],
        &["snapshot", &rules, "-e", &log, "--snap", &snap],
    ] {
        let mut a = cmd.to_vec();
        a.extend(["--param", "nope=1"]);
        let (code, _, err) = pacta(&a);
        assert_eq!(code, 2, "{cmd:?}: {err}");
        assert!(err.contains("`--param nope`"), "{err}");
    }
}

/// A `between` window gives a flip for its end param only: none for a
/// start param (a later start's effect depends on every event in the
/// window), none when both ends are the same param (it moves both).
#[test]
fn between_params_flip_only_where_one_threshold_holds() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("between_flips");
    std::fs::create_dir_all(&dir).unwrap();
    let rules = dir.join("rules.pacta");
    std::fs::write(
        &rules,
        "party shop\nevent shipped(order: id)\nparam day = 2025-03-10\n\
         param opening = 2025-03-01\nparam closing = 2025-03-12\n\
         commitment both { by shop must shipped(order: \"C\") between day and day }\n\
         commitment start { by shop must shipped(order: \"C\") between opening and 2025-03-12 }\n\
         commitment end { by shop must shipped(order: \"C\") between 2025-03-01 and closing }\n",
    )
    .unwrap();
    let log = dir.join("events.jsonl");
    std::fs::write(
        &log,
        "{\"at\": \"2025-03-05T10:00:00Z\", \"event\": \"shipped\", \"order\": \"C\"}\n\
         {\"at\": \"2025-03-08T10:00:00Z\", \"event\": \"shipped\", \"order\": \"C\"}\n\
         {\"at\": \"2025-03-12T10:00:00Z\", \"event\": \"shipped\", \"order\": \"C\"}\n",
    )
    .unwrap();
    let (rules, log) = (rules.display().to_string(), log.display().to_string());
    let (_, out, err) = pacta(&["check", &rules, "--events", &log, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{err}"));
    let flip = |id: &str| {
        report["commitments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()
            .get("param_flip")
            .cloned()
    };
    assert_eq!(flip("both"), None, "{out}");
    assert_eq!(flip("start"), None, "{out}");
    assert_eq!(
        flip("end").unwrap()["if"],
        "closing < 2025-03-05T10:00:00Z",
        "{out}"
    );
}

/// `pacta explain` of an aggregate whose bound is a param names the param
/// and its value, and says where the verdict flips.
#[test]
fn explain_an_aggregate_bound_param() {
    let dir = "tests/cases/check/aggregate_bound_param_default";
    let (code, out, err) = pacta(&[
        "explain",
        "tranches",
        &format!("{dir}/rules.pacta"),
        "--events",
        &format!("{dir}/events.jsonl"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("must (line 13): returned(by: ru) with count >= minimum (3)\n   param minimum = 3: fulfilled if minimum <= 2\n"),
        "{out}"
    );
}
