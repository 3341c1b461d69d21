//! Helpers shared by the integration tests.
#![allow(dead_code, reason = "each test binary uses a different subset")]
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs the `pacta` binary from the crate root; returns (status, stdout, stderr).
pub fn pacta<S: AsRef<str>>(args: &[S]) -> (i32, String, String) {
    pacta_env(args, &[])
}

/// [`pacta`] with environment variables set.
pub fn pacta_env<S: AsRef<str>>(args: &[S], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pacta"))
        .args(args.iter().map(AsRef::as_ref))
        .envs(env.iter().copied())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("PACTA_ACCEPT")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A path relative to the crate root, with `/`.
pub fn rel(p: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

/// The JSON report's instance `id` or `id[var=value,…]`.
pub fn instance<'r>(report: &'r serde_json::Value, name: &str) -> Option<&'r serde_json::Value> {
    let (id, sel) = match name.split_once('[') {
        Some((id, rest)) => (id, Some(rest.trim_end_matches(']'))),
        None => (name, None),
    };
    report["commitments"].as_array()?.iter().find(|c| {
        c["id"] == id
            && sel.is_none_or(|s| {
                s.split(',').all(|kv| {
                    let (k, v) = kv.split_once('=').unwrap();
                    let b = &c["bindings"][k.trim()];
                    b.as_str().map_or_else(|| b.to_string(), String::from) == v.trim()
                })
            })
    })
}

/// Section 9: commitments sorted by id (then bindings), claims by id.
pub fn assert_sorted(report: &serde_json::Value) {
    let ids: Vec<String> = report["commitments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "commitments not sorted by id");
    let ids: Vec<String> = report["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "claims not sorted by id");
    for key in ["as_of", "commitments", "claims", "disputes", "summary"] {
        assert!(report.get(key).is_some(), "missing key `{key}`");
    }
}

/// Every file under `dir` with extension `ext`, sorted.
pub fn collect(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            collect(&p, ext, out);
        } else if p.extension().is_some_and(|e| e == ext) {
            out.push(p);
        }
    }
}

/// `expect` lines: `exit N`, `ID STATUS`, `ID[var=value] STATUS`,
/// `claim ID VERDICT [ACTUAL]`, `dispute A B SUPPORTED|none`, `disputes N`,
/// `late ID`, `progress ID VALUE`, `count STATUS N`, `deadline ID AT`,
/// `decided ID AT|null`, `absent ID`, and
/// `claim-evidence ID ROLE@WHAT …` (or `claim-evidence ID none`): the claim's
/// evidence, in order, each item named by its role and its log position
/// (`events.jsonl:2`, matched as a suffix), its `what` (`deadline`) or the
/// commitment it cites.
pub fn check_expectations(what: &str, text: &str, code: i32, report: &serde_json::Value) {
    let mut checked = 0;
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        checked += 1;
        let words: Vec<&str> = line.split_whitespace().collect();
        let ctx = format!("{what}: `{line}`");
        match words.as_slice() {
            ["exit", n] => assert_eq!(code.to_string(), *n, "{ctx}"),
            ["claim", id, verdict, rest @ ..] => {
                let c = report["claims"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|c| c["id"] == *id)
                    .unwrap_or_else(|| panic!("{ctx}: no claim {id}"));
                assert_eq!(c["verdict"], *verdict, "{ctx}: {c:#}");
                if !rest.is_empty() {
                    assert_eq!(c["actual"], rest.join(" "), "{ctx}: {c:#}");
                }
            }
            ["dispute", a, b, supported] => {
                let found = report["disputes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|d| d["claims"][0] == *a && d["claims"][1] == *b)
                    .unwrap_or_else(|| {
                        panic!("{ctx}: no such dispute in {:#}", report["disputes"])
                    });
                if *supported == "none" {
                    assert!(found["supported"].is_null(), "{ctx}");
                } else {
                    assert_eq!(found["supported"], *supported, "{ctx}");
                }
            }
            ["claim-evidence", id, items @ ..] => {
                let c = report["claims"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|c| c["id"] == *id)
                    .unwrap_or_else(|| panic!("{ctx}: no claim {id}"));
                let got: Vec<String> = c["evidence"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{ctx}: no evidence list in {c:#}"))
                    .iter()
                    .map(|e| {
                        let what = e["log"]
                            .as_str()
                            .or(e["what"].as_str())
                            .or(e["commitment"].as_str())
                            .unwrap_or("?");
                        format!("{}@{what}", e["role"].as_str().unwrap_or("?"))
                    })
                    .collect();
                let want: Vec<&str> = if items == ["none"] {
                    Vec::new()
                } else {
                    items.to_vec()
                };
                let same = got.len() == want.len()
                    && got.iter().zip(&want).all(|(g, w)| {
                        g == w
                            || w.split_once('@').is_some_and(|(role, at)| {
                                g.starts_with(&format!("{role}@")) && g.ends_with(&format!("/{at}"))
                            })
                    });
                assert!(same, "{ctx}: evidence {got:?}");
            }
            ["disputes", n] => {
                let got = report["disputes"].as_array().unwrap().len();
                assert_eq!(got.to_string(), *n, "{ctx}: {:#}", report["disputes"]);
            }
            ["no-disputes"] => assert_eq!(report["disputes"].as_array().unwrap().len(), 0, "{ctx}"),
            ["count", status, n] => {
                let got = &report["summary"]["commitments"][*status];
                assert_eq!(got.to_string(), *n, "{ctx}");
            }
            ["late", id, at] => {
                let c = instance(report, id).unwrap_or_else(|| panic!("{ctx}: no instance"));
                assert_eq!(c["late_at"], *at, "{ctx}: {c:#}");
            }
            ["progress", id, value] => {
                let c = instance(report, id).unwrap_or_else(|| panic!("{ctx}: no instance"));
                assert_eq!(c["progress"]["value"].to_string(), *value, "{ctx}: {c:#}");
            }
            ["decided", id, at] => {
                let c = instance(report, id).unwrap_or_else(|| panic!("{ctx}: no instance"));
                let want = if *at == "null" {
                    serde_json::Value::Null
                } else {
                    serde_json::Value::from(*at)
                };
                assert_eq!(c["decided_at"], want, "{ctx}: {c:#}");
            }
            ["deadline", id, at] => {
                let c = instance(report, id).unwrap_or_else(|| panic!("{ctx}: no instance"));
                assert_eq!(c["deadline"], *at, "{ctx}: {c:#}");
            }
            ["absent", id] => assert!(instance(report, id).is_none(), "{ctx}: instance exists"),
            [id, status] => {
                let c = instance(report, id).unwrap_or_else(|| {
                    panic!("{ctx}: no instance {id} in {:#}", report["commitments"])
                });
                assert_eq!(c["status"], *status, "{ctx}: {c:#}");
            }
            _ => panic!("{ctx}: cannot read this expectation"),
        }
    }
    assert!(checked > 0, "{what}: the expectations state nothing");
}

/// The logs of a fixture or example folder: `events*.jsonl|csv`, sorted.
pub fn case_logs(dir: &Path) -> Vec<PathBuf> {
    let mut logs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("events") && (name.ends_with(".jsonl") || name.ends_with(".csv"))
        })
        .collect();
    logs.sort();
    logs
}

/// The extra arguments of a fixture (its `args` file, one per line; `#`
/// starts a comment line).
pub fn case_args(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("args"))
        .map(|s| {
            s.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// A proptest configuration: `default` cases, or `PROPTEST_CASES` when it
/// is set; failures printed, not persisted to a file.
pub fn proptest_config(default: u32) -> proptest::test_runner::Config {
    let mut c = proptest::test_runner::Config::with_cases(default);
    if let Some(n) = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        c.cases = n;
    }
    c.failure_persistence = None;
    c
}
