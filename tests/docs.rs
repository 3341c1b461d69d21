//! The language reference, `docs/language.md`, checked against the binary.
//!
//! Every checked example in the reference is a fenced block with the info
//! string `pacta example` (the rule file), followed by zero or more log
//! blocks (`jsonl` or `csv`; add ` stdin` to feed that log on standard input
//! as `--events -`), optionally a line `<!-- args: … -->` (extra arguments;
//! `$DIR` is the example's folder) and a line `<!-- rules: … -->` (rule
//! arguments instead of the rule file), and then an `expect` block. Blocks
//! with the info string `pacta file=NAME` before an example are written next
//! to its rule file (for `import`). Only blank lines may separate the parts.
//!
//! The example is written to `target/doc-examples/<n>/` (`rules.pacta`,
//! `events.jsonl` or `events.csv`, then `events-2.jsonl`, …), run with
//! `pacta check … --format json`, and its `expect` lines are asserted with
//! [`common::check_expectations`], plus three kinds of lines this test reads
//! itself:
//!
//! - `field INSTANCE KEY VALUE`: the instance's JSON `KEY` equals `VALUE`;
//! - `json POINTER VALUE`: the report's value at the JSON pointer equals
//!   `VALUE` (`absent`: there is no value there);
//! - `stderr TEXT`: standard error contains `TEXT`.
//!
//! A `VALUE` is read as JSON when it parses (`null`, `3`, `"9"`, `[]`), else
//! as a string. In every line, a position such as `events.jsonl:3` or
//! `rules.pacta:6:1` is rewritten to the path pacta prints
//! (`target/doc-examples/<n>/events.jsonl:3`).
//!
//! Blocks with the info string `pacta` (exactly) are snippets: each must
//! load and resolve without a diagnostic.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]

mod common;

use std::io::Write as _;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Fewest checked examples the reference may hold.
const MIN_EXAMPLES: usize = 25;

/// A fenced block of the reference.
#[derive(Debug, Clone)]
struct Block {
    info: String,
    body: String,
    /// 1-based line of the opening fence.
    line: usize,
    /// The nearest heading above it.
    heading: String,
}

/// One line of the document outside fenced blocks, or a block.
#[derive(Debug, Clone)]
enum Part {
    Block(Block),
    Text { text: String, line: usize },
}

/// A log of an example.
struct LogBlock {
    ext: String,
    body: String,
    stdin: bool,
}

/// A checked example.
struct Example {
    name: String,
    files: Vec<(String, String)>,
    rules: String,
    logs: Vec<LogBlock>,
    args: Vec<String>,
    rule_args: Option<Vec<String>>,
    expect: String,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn parse_parts(doc: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut heading = String::from("(top)");
    let mut lines = doc.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("```") {
            let fence_len = 3 + rest.chars().take_while(|c| *c == '`').count();
            let info = rest.trim_start_matches('`').trim().to_string();
            let fence = "`".repeat(fence_len);
            let mut body = String::new();
            let mut closed = false;
            for (_, l) in lines.by_ref() {
                if l.trim_start().starts_with(&fence) && l.trim() == fence {
                    closed = true;
                    break;
                }
                body.push_str(l);
                body.push('\n');
            }
            assert!(closed, "docs/language.md:{}: unclosed fenced block", i + 1);
            parts.push(Part::Block(Block {
                info,
                body,
                line: i + 1,
                heading: heading.clone(),
            }));
            continue;
        }
        if trimmed.starts_with('#') {
            heading = trimmed.trim_start_matches('#').trim().to_string();
        }
        parts.push(Part::Text {
            text: line.to_string(),
            line: i + 1,
        });
    }
    parts
}

/// The words after `<!-- KEY:` up to `-->`, if the line is such a comment.
fn comment_args(text: &str, key: &str) -> Option<Vec<String>> {
    let inner = text
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim();
    let rest = inner.strip_prefix(key)?.strip_prefix(':')?;
    Some(rest.split_whitespace().map(String::from).collect())
}

/// Groups the parts into examples and snippets.
fn collect_examples(parts: &[Part]) -> (Vec<Example>, Vec<Block>) {
    let mut examples = Vec::new();
    let mut snippets = Vec::new();
    let mut pending_files: Vec<(String, String)> = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        let Part::Block(b) = &parts[i] else {
            i += 1;
            continue;
        };
        if b.info == "pacta" {
            snippets.push(b.clone());
            i += 1;
            continue;
        }
        if let Some(name) = b.info.strip_prefix("pacta file=") {
            pending_files.push((name.trim().to_string(), b.body.clone()));
            i += 1;
            continue;
        }
        if b.info != "pacta example" {
            assert!(
                !matches!(
                    b.info.as_str(),
                    "expect" | "jsonl" | "csv" | "jsonl stdin" | "csv stdin"
                ),
                "docs/language.md:{} ({}): a `{}` block that follows no `pacta example`",
                b.line,
                b.heading,
                b.info
            );
            i += 1;
            continue;
        }
        let name = format!("docs/language.md:{} ({})", b.line, b.heading);
        let mut ex = Example {
            name: name.clone(),
            files: std::mem::take(&mut pending_files),
            rules: b.body.clone(),
            logs: Vec::new(),
            args: Vec::new(),
            rule_args: None,
            expect: String::new(),
        };
        let mut found_expect = false;
        i += 1;
        while i < parts.len() {
            match &parts[i] {
                Part::Text { text, line } => {
                    if text.trim().is_empty() {
                    } else if let Some(a) = comment_args(text, "args") {
                        ex.args.extend(a);
                    } else if let Some(a) = comment_args(text, "rules") {
                        ex.rule_args = Some(a);
                    } else {
                        panic!(
                            "{name}: line {line} comes between the example's blocks; only blank lines, `<!-- args: … -->` and `<!-- rules: … -->` may"
                        );
                    }
                }
                Part::Block(lb) => match lb.info.as_str() {
                    "jsonl" | "csv" | "jsonl stdin" | "csv stdin" => {
                        let mut words = lb.info.split_whitespace();
                        let ext = words.next().unwrap_or("jsonl").to_string();
                        ex.logs.push(LogBlock {
                            ext,
                            body: lb.body.clone(),
                            stdin: words.next() == Some("stdin"),
                        });
                    }
                    "expect" => {
                        ex.expect = lb.body.clone();
                        found_expect = true;
                        i += 1;
                        break;
                    }
                    other => panic!(
                        "{name}: a `{other}` block at line {} before the `expect` block",
                        lb.line
                    ),
                },
            }
            i += 1;
        }
        assert!(found_expect, "{name}: no `expect` block");
        examples.push(ex);
    }
    assert!(
        pending_files.is_empty(),
        "`pacta file=` blocks after the last example"
    );
    (examples, snippets)
}

/// Rewrites `events….jsonl:N`, `events….csv:N` and `rules.pacta:N` to the
/// paths pacta prints.
fn localize(line: &str, dir: &str) -> String {
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let mut out = String::new();
    let mut rest = line;
    let mut prev: Option<char> = None;
    while let Some(c) = rest.chars().next() {
        if !is_name_char(c) {
            out.push(c);
            prev = Some(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let len = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
        let (name, after) = rest.split_at(len);
        let known = name == "rules.pacta"
            || (name.starts_with("events") && (name.ends_with(".jsonl") || name.ends_with(".csv")));
        let positioned =
            after.starts_with(':') && after[1..].starts_with(|c: char| c.is_ascii_digit());
        if known && positioned && prev != Some('/') {
            out.push_str(dir);
            out.push('/');
        }
        out.push_str(name);
        prev = name.chars().last();
        rest = after;
    }
    out
}

/// `VALUE` as JSON when it parses, else as a string.
fn json_value(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_string()))
}

/// Runs `pacta` from the crate root, with `stdin` on standard input.
fn run(args: &[String], stdin: Option<&str>) -> (i32, String, String) {
    let Some(input) = stdin else {
        return common::pacta(args);
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_pacta"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("PACTA_ACCEPT")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn check_example(n: usize, ex: &Example, base: &Path) {
    let dir = base.join(n.to_string());
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let rel_dir = common::rel(&dir);
    for (name, body) in &ex.files {
        std::fs::write(dir.join(name), body).unwrap();
    }
    let rules = dir.join("rules.pacta");
    std::fs::write(&rules, &ex.rules).unwrap();
    let expand = |a: &String| a.replace("$DIR", &rel_dir);
    let mut args = vec!["check".to_string()];
    match &ex.rule_args {
        Some(r) => args.extend(r.iter().map(expand)),
        None => args.push(common::rel(&rules)),
    }
    let mut stdin = None;
    for (k, log) in ex.logs.iter().enumerate() {
        args.push("--events".into());
        if log.stdin {
            assert!(stdin.is_none(), "{}: two logs on standard input", ex.name);
            stdin = Some(log.body.as_str());
            args.push("-".into());
            continue;
        }
        let file = if k == 0 {
            format!("events.{}", log.ext)
        } else {
            format!("events-{}.{}", k + 1, log.ext)
        };
        let path = dir.join(file);
        std::fs::write(&path, &log.body).unwrap();
        args.push(common::rel(&path));
    }
    args.extend(ex.args.iter().map(expand));
    assert!(
        !args.iter().any(|a| a == "--format"),
        "{}: the test chooses the format",
        ex.name
    );
    args.push("--format".into());
    args.push("json".into());
    let (code, out, err) = run(&args, stdin);
    let what = format!("{} [pacta {}]", ex.name, args.join(" "));
    let report: serde_json::Value = if code == 2 {
        assert!(
            out.is_empty(),
            "{what}: exit 2 but a report was printed:\n{out}"
        );
        serde_json::Value::Null
    } else {
        assert!(code == 0 || code == 1, "{what}: exit {code}\n{err}");
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("{what}: the report is not JSON ({e}):\n{out}\n{err}"))
    };
    if !report.is_null() {
        common::assert_sorted(&report);
    }
    let mut plain = String::new();
    let mut checked = 0;
    for raw in ex
        .expect
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let line = localize(raw, &rel_dir);
        let ctx = format!("{what}: `{raw}`");
        checked += 1;
        if let Some(text) = line.strip_prefix("stderr ") {
            assert!(
                err.contains(text.trim()),
                "{ctx}: standard error lacks it:\n{err}"
            );
        } else if let Some(rest) = line.strip_prefix("field ") {
            let mut w = rest.trim().splitn(3, ' ');
            let (id, key, value) = (
                w.next().unwrap_or(""),
                w.next().unwrap_or(""),
                w.next().unwrap_or("").trim(),
            );
            let inst = common::instance(&report, id).unwrap_or_else(|| {
                panic!("{ctx}: no instance {id} in {:#}", report["commitments"])
            });
            assert_eq!(inst[key], json_value(value), "{ctx}: {inst:#}");
        } else if let Some(rest) = line.strip_prefix("json ") {
            let (pointer, value) = rest.trim().split_once(' ').unwrap_or((rest.trim(), ""));
            let got = report.pointer(pointer);
            if value.trim() == "absent" {
                assert!(got.is_none(), "{ctx}: found {got:?}");
            } else {
                let got =
                    got.unwrap_or_else(|| panic!("{ctx}: nothing at {pointer} in {report:#}"));
                assert_eq!(*got, json_value(value.trim()), "{ctx}");
            }
        } else {
            plain.push_str(&line);
            plain.push('\n');
            checked -= 1;
        }
    }
    if !plain.trim().is_empty() {
        common::check_expectations(&what, &plain, code, &report);
        checked += 1;
    }
    assert!(checked > 0, "{what}: the expectations state nothing");
}

fn check_snippet(n: usize, b: &Block, base: &Path) {
    let dir = base.join(format!("snippet-{n}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path: PathBuf = dir.join("snippet.pacta");
    std::fs::write(&path, &b.body).unwrap();
    if let Err(fail) = pacta::rules_to_model(std::slice::from_ref(&path), &[]) {
        panic!(
            "docs/language.md:{} ({}): the snippet does not load:\n{}",
            b.line,
            b.heading,
            fail.diags
                .render(&fail.sources, pacta::diagnostics::Theme::Plain)
        );
    }
}

/// Runs `f`, turning a panic into a failure message.
fn attempt(name: &str, f: impl FnOnce()) -> Option<String> {
    match std::panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(()) => None,
        Err(e) => {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_string()))
                .unwrap_or_else(|| "panicked".into());
            Some(format!("{name}:\n{msg}"))
        }
    }
}

#[test]
fn language_reference_examples() {
    let doc = std::fs::read_to_string(root().join("docs/language.md")).expect("docs/language.md");
    let parts = parse_parts(&doc);
    let (examples, snippets) = collect_examples(&parts);
    let base = root().join("target/doc-examples");
    let mut failures = Vec::new();
    for (n, ex) in examples.iter().enumerate() {
        failures.extend(attempt(&ex.name, || check_example(n + 1, ex, &base)));
    }
    for (n, b) in snippets.iter().enumerate() {
        let name = format!("docs/language.md:{} ({})", b.line, b.heading);
        failures.extend(attempt(&name, || check_snippet(n + 1, b, &base)));
    }
    if examples.len() < MIN_EXAMPLES {
        failures.push(format!(
            "docs/language.md holds {} checked examples; at least {MIN_EXAMPLES} expected",
            examples.len()
        ));
    }
    assert!(
        failures.is_empty(),
        "{} of {} examples and snippets failed:\n\n{}",
        failures.len(),
        examples.len() + snippets.len(),
        failures.join("\n\n")
    );
}

#[test]
fn localize_rewrites_log_positions_only() {
    let dir = "target/doc-examples/7";
    assert_eq!(
        localize("claim events.jsonl:3 consistent", dir),
        "claim target/doc-examples/7/events.jsonl:3 consistent"
    );
    assert_eq!(
        localize("json /x \"events-2.csv:1\"", dir),
        "json /x \"target/doc-examples/7/events-2.csv:1\""
    );
    assert_eq!(
        localize("ship events fulfilled", dir),
        "ship events fulfilled"
    );
    assert_eq!(
        localize("json /r rules.pacta:6:1", dir),
        "json /r target/doc-examples/7/rules.pacta:6:1"
    );
    assert_eq!(
        localize("field a_events.jsonl:1 x", dir),
        "field a_events.jsonl:1 x"
    );
}
