//! `pacta fmt` and `pacta lint` as library calls.
//!
//! fmt: idempotent on every `*.pacta` file of the repository that parses,
//! keeps every comment, keeps the syntax tree and the resolved model (spans
//! aside), and keeps the verdicts of every worked example; a snapshot of a
//! deliberately messy fixture. lint: each fixture under
//! `tests/fixtures/lint/` gives exactly the lint it is named after
//! (snapshotted as rendered), and the examples and `rules/` give none.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]

use std::path::{Path, PathBuf};

use pacta::diagnostics::Theme;
use pacta::events::Input;
use pacta::fmt::format_source;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A path relative to the crate root, with `/`.
fn rel(p: &Path) -> String {
    p.strip_prefix(root())
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Every `*.pacta` file under the given folders of the crate, sorted.
fn pacta_files(dirs: &[&str]) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "pacta") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    for d in dirs {
        walk(&root().join(d), &mut out);
    }
    out.sort();
    out
}

/// The `//` comments of a rule file (not those inside strings), trimmed.
fn comments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut in_string = false;
        let mut escaped = false;
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        for (k, &(i, c)) in chars.iter().enumerate() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_string = false;
                }
            } else if c == '"' {
                in_string = true;
            } else if c == '/' && chars.get(k + 1).is_some_and(|&(_, n)| n == '/') {
                out.push(line[i..].trim_end().to_string());
                break;
            }
        }
    }
    out
}

/// Removes every `Span { … }` from a debug rendering.
fn strip_spans(debug: &str) -> String {
    let mut out = String::new();
    let mut rest = debug;
    while let Some(i) = rest.find("Span { source: ") {
        out.push_str(&rest[..i]);
        let j = rest[i..].find(" }").unwrap();
        rest = &rest[i + j + 2..];
    }
    out.push_str(rest);
    out
}

/// The syntax tree, `timezone` first as fmt puts it, without spans.
fn ast_shape(name: &str, text: &str) -> String {
    let file = pacta::syntax::parse_file(pacta::source::SourceId(0), text)
        .unwrap_or_else(|d| panic!("{name}: {d:?}"));
    let mut items: Vec<&pacta::ast::Item> = file
        .items
        .iter()
        .filter(|i| matches!(i, pacta::ast::Item::Timezone(_)))
        .collect();
    items.extend(
        file.items
            .iter()
            .filter(|i| !matches!(i, pacta::ast::Item::Timezone(_))),
    );
    strip_spans(&format!("{items:?}"))
}

/// The resolved model without spans; `None` when the file does not resolve
/// on its own (errors, or imports).
fn model_shape(name: &str, text: &str) -> Option<String> {
    let loaded = pacta::load::load_text(name, text).ok()?;
    let rules = pacta::loaded_to_model(loaded, &[]).ok()?;
    Some(strip_spans(&format!("{:?}", rules.model)))
}

#[test]
fn fmt_is_idempotent_and_faithful_on_every_rule_file() {
    let files = pacta_files(&["examples", "rules", "tests", "docs"]);
    let (mut formatted, mut skipped, mut resolved) = (0, Vec::new(), 0);
    for path in &files {
        let name = rel(path);
        let text = std::fs::read_to_string(path).unwrap();
        let once = match format_source(&name, &text) {
            Ok(out) => out,
            Err(f) => {
                // Files that do not parse are returned with their diagnostics;
                // a file that parses must format (`fmt` once refused every
                // `by PARAM` deadline as "would change its meaning").
                assert!(!f.diags.is_empty(), "{name}: an error without diagnostics");
                assert!(
                    pacta::syntax::parse_file(pacta::source::SourceId(0), &text).is_err(),
                    "{name}: parses, but fmt refused it: {:?}",
                    f.diags
                );
                skipped.push(name);
                continue;
            }
        };
        formatted += 1;
        let twice = format_source(&name, &once)
            .unwrap_or_else(|f| panic!("{name}: the output does not format: {:?}", f.diags));
        assert_eq!(twice, once, "{name}: fmt is not idempotent");

        let (mut before, mut after) = (comments(&text), comments(&once));
        assert_eq!(before.len(), after.len(), "{name}: comments lost or added");
        before.sort();
        after.sort();
        assert_eq!(before, after, "{name}: comments changed");

        assert_eq!(
            ast_shape(&name, &text),
            ast_shape(&name, &once),
            "{name}: the syntax tree changed"
        );
        if let Some(model) = model_shape(&name, &text) {
            resolved += 1;
            assert_eq!(
                Some(model),
                model_shape(&name, &once),
                "{name}: the resolved model changed"
            );
        }
    }
    // The corpus is real: most files parse, and many resolve.
    assert!(
        formatted >= 100,
        "only {formatted} files formatted; skipped {skipped:?}"
    );
    assert!(resolved >= 50, "only {resolved} files resolved");
}

/// The worked examples: a rule file and its log.
fn examples() -> Vec<(PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root().join("examples")).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let rules = pacta_files(&[&rel(&dir)]);
        let log = ["events.jsonl", "events.csv"]
            .iter()
            .map(|f| dir.join(f))
            .find(|p| p.is_file());
        if let (Some(r), Some(l)) = (rules.first(), log) {
            out.push((r.clone(), l));
        }
    }
    out.sort();
    out
}

/// Removes the `rule` locations (they move when the layout changes).
fn without_rule_locations(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(o) => {
            o.remove("rule");
            o.values_mut().for_each(without_rule_locations);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(without_rule_locations),
        _ => {}
    }
}

fn check_json(name: &str, text: &str, log: &Path) -> serde_json::Value {
    let loaded = pacta::load::load_text(name, text).unwrap();
    let rules =
        pacta::loaded_to_model(loaded, &[]).unwrap_or_else(|f| panic!("{name}: {:?}", f.diags));
    let run = pacta::check_rules(
        rules,
        &[Input::Path(log.to_path_buf())],
        &pacta::CheckOptions::default(),
    )
    .unwrap_or_else(|f| panic!("{name}: {:?}", f.diags));
    let mut v = pacta::report::json::to_value(&run);
    without_rule_locations(&mut v);
    v
}

#[test]
fn fmt_keeps_the_verdicts_of_every_example() {
    let examples = examples();
    assert!(examples.len() >= 5, "examples: {examples:?}");
    for (rules, log) in examples {
        let name = rel(&rules);
        let text = std::fs::read_to_string(&rules).unwrap();
        let formatted = format_source(&name, &text).unwrap();
        let before = check_json(&name, &text, &log);
        assert!(
            !before["commitments"].as_array().unwrap().is_empty(),
            "{name}: no verdicts"
        );
        assert_eq!(
            before,
            check_json(&name, &formatted, &log),
            "{name}: formatting changed the report"
        );
    }
}

#[test]
fn fmt_messy_fixture() {
    let path = root().join("tests/fixtures/fmt/messy.pacta");
    let text = std::fs::read_to_string(&path).unwrap();
    let out = format_source("tests/fixtures/fmt/messy.pacta", &text).unwrap();
    assert_eq!(comments(&text).len(), comments(&out).len());
    assert_eq!(format_source("messy", &out).unwrap(), out);
    insta::with_settings!({ input_file => &path, omit_expression => true }, {
        insta::assert_snapshot!("fmt_messy", out);
    });
}

#[test]
fn fmt_reports_parse_errors() {
    let fail = format_source("bad.pacta", "commitment c { by }").unwrap_err();
    let rendered = fail.diags.render(&fail.sources, Theme::Plain);
    assert!(rendered.contains("bad.pacta"), "{rendered}");
    assert!(pacta::fmt::is_formatted("ok.pacta", "party a\n").unwrap());
    assert!(!pacta::fmt::is_formatted("ok.pacta", "party  a\n").unwrap());
}

#[test]
fn lint_fixtures_each_give_their_lint() {
    insta::glob!("fixtures/lint/*.pacta", |path| {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let linted = pacta::lint::lint_rules(&[PathBuf::from(rel(path))])
            .unwrap_or_else(|f| panic!("{stem}: {:?}", f.diags));
        assert!(!linted.lints.is_empty(), "{stem}: no lint");
        for l in &linted.lints {
            assert_eq!(l.name(), stem, "{stem}: also gives `{}`", l.name());
        }
        let (sources, diags) = linted.into_diagnostics();
        assert!(
            diags
                .codes()
                .iter()
                .all(|c| *c == format!("pacta::lint::{stem}"))
        );
        insta::assert_snapshot!(diags.render(&sources, Theme::Plain));
    });
}

#[test]
fn examples_and_rules_give_no_lints() {
    let mut files: Vec<PathBuf> = examples().into_iter().map(|(r, _)| r).collect();
    files.extend(pacta_files(&["rules"]));
    for path in files {
        let linted = pacta::lint::lint_rules(&[PathBuf::from(rel(&path))]).unwrap();
        let (sources, diags) = linted.into_diagnostics();
        assert!(
            diags.is_empty(),
            "{}:\n{}",
            rel(&path),
            diags.render(&sources, Theme::Plain)
        );
    }
}

/// Params named only by a `between` window are used: no "unused param".
#[test]
fn params_of_a_between_window_are_used() {
    let path = PathBuf::from("tests/cases/check/between_params/rules.pacta");
    let linted = pacta::lint::lint_rules(&[path]).unwrap();
    let (sources, diags) = linted.into_diagnostics();
    assert!(diags.is_empty(), "{}", diags.render(&sources, Theme::Plain));
    // And the lint does see params that nothing uses.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("between_lint");
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(root().join("tests/cases/check/between_params/rules.pacta"))
        .unwrap()
        .replace(
            "between opening and closing",
            "between 2025-03-10 and closing",
        );
    let file = dir.join("rules.pacta");
    std::fs::write(&file, text).unwrap();
    let linted = pacta::lint::lint_rules(&[file]).unwrap();
    let (sources, diags) = linted.into_diagnostics();
    let shown = diags.render(&sources, Theme::Plain);
    assert!(shown.contains("opening"), "{shown}");
}

/// A time param named by a `by` deadline (`by cutoff`) is used: no
/// "unused param", and the file formats with the deadline where deadlines
/// go.
#[test]
fn a_by_param_deadline_is_used_and_formats() {
    for case in ["param_by_deadline", "param_by_deadline_override"] {
        let path = PathBuf::from(format!("tests/cases/check/{case}/rules.pacta"));
        let linted = pacta::lint::lint_rules(std::slice::from_ref(&path)).unwrap();
        assert!(
            linted.lints.iter().all(|l| l.name() != "unused_param"),
            "{case}: {:?}",
            linted.lints.iter().map(|l| l.name()).collect::<Vec<_>>()
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let out = format_source(&rel(&path), &text).unwrap();
        assert!(
            out.contains("    must shipped(order: \"A\")\n    by cutoff\n"),
            "{out}"
        );
    }
}
