//! Every param flip a report gives is checked by running pacta again with
//! the param at the flip's threshold (design §10: "the value at which that
//! verdict would flip"): on the flip's side of the threshold the instance
//! must have the flip's status, and just on the other side the status of
//! the run. The cases cover `within` (also with `unless` and in force from
//! the start), business days, `must not`, look-back, `by`, the end of
//! `between` and an aggregate's bound; and the Istanbul example.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::{pacta, rel};

/// (name, rules, log, as-of or "").
const CASES: &[(&str, &str, &str, &str)] = &[
    (
        "within_unless",
        "party shop
event paid(order: id)
event shipped(order: id)
event cancelled(order: id)
param soon = 1 day
commitment ship {
    for each order
    by shop
    after paid(order)
    must shipped(order)
    within soon
    unless cancelled(order)
}
",
        // A on time; B cancelled after its deadline (a longer one lets the
        // cancellation in); C shipped late, cancelled later still; D
        // cancelled, then shipped late; E never shipped; F shipped exactly
        // at the deadline; G cancelled in time.
        r#"{"at":"2025-03-01T10:00:00Z","event":"paid","order":"A"}
{"at":"2025-03-01T10:00:00Z","event":"paid","order":"B"}
{"at":"2025-03-01T10:00:00Z","event":"paid","order":"C"}
{"at":"2025-03-01T10:00:00Z","event":"paid","order":"D"}
{"at":"2025-03-01T10:00:00Z","event":"paid","order":"E"}
{"at":"2025-03-01T10:00:00Z","event":"paid","order":"F"}
{"at":"2025-03-01T10:00:00Z","event":"paid","order":"G"}
{"at":"2025-03-01T12:00:00Z","event":"cancelled","order":"G"}
{"at":"2025-03-01T20:00:00Z","event":"shipped","order":"A"}
{"at":"2025-03-02T10:00:00Z","event":"shipped","order":"F"}
{"at":"2025-03-03T10:00:00Z","event":"shipped","order":"C"}
{"at":"2025-03-03T12:00:00Z","event":"cancelled","order":"D"}
{"at":"2025-03-04T10:00:00Z","event":"cancelled","order":"B"}
{"at":"2025-03-04T15:00:00Z","event":"cancelled","order":"C"}
{"at":"2025-03-05T09:00:00Z","event":"shipped","order":"D"}
"#,
        "2025-03-06T00:00:00Z",
    ),
    (
        "within_pending",
        "party shop
event paid(order: id)
event shipped(order: id)
param soon = 2 days
commitment ship {
    for each order
    by shop
    after paid(order)
    must shipped(order)
    within soon
}
",
        r#"{"at":"2025-03-01T10:00:00Z","event":"paid","order":"A"}
{"at":"2025-03-02T10:00:00Z","event":"paid","order":"B"}
{"at":"2025-03-02T11:00:00Z","event":"shipped","order":"B"}
"#,
        "2025-03-02T12:00:00Z",
    ),
    (
        "from_the_start",
        "party shop
event opened(n: int)
event filed(n: int)
param grace = 2 days
commitment file {
    by shop
    must filed()
    within grace
}
",
        r#"{"at":"2025-03-01T00:00:00Z","event":"opened","n":0}
{"at":"2025-03-04T06:00:00Z","event":"filed","n":1}
"#,
        "",
    ),
    (
        "business_days",
        r#"timezone "Europe/Berlin"
holidays [2025-04-18, 2025-04-21]
party shop
event paid(order: id)
event shipped(order: id)
param soon = 2 business days
commitment ship {
    for each order
    by shop
    after paid(order)
    must shipped(order)
    within soon
}
"#,
        // Paid on Thursday 17 April; Easter Friday and Monday are holidays.
        r#"{"at":"2025-04-17T10:00:00+02:00","event":"paid","order":"A"}
{"at":"2025-04-17T10:00:00+02:00","event":"paid","order":"B"}
{"at":"2025-04-23T09:00:00+02:00","event":"shipped","order":"A"}
{"at":"2025-04-25T09:00:00+02:00","event":"shipped","order":"B"}
"#,
        "2025-04-30T00:00:00Z",
    ),
    (
        "must_not",
        "party shop
event signed(doc: id)
event leaked(doc: id)
param quiet = 3 days
param cutoff = 2025-03-05
commitment nda {
    for each doc
    by shop
    after signed(doc)
    must not leaked(doc)
    within quiet
}
commitment nda_by {
    for each doc
    by shop
    after signed(doc)
    must not leaked(doc)
    by cutoff
}
",
        r#"{"at":"2025-03-01T10:00:00Z","event":"signed","doc":"A"}
{"at":"2025-03-01T10:00:00Z","event":"signed","doc":"B"}
{"at":"2025-03-01T10:00:00Z","event":"signed","doc":"C"}
{"at":"2025-03-03T10:00:00Z","event":"leaked","doc":"A"}
{"at":"2025-03-09T10:00:00Z","event":"leaked","doc":"B"}
"#,
        "2025-03-10T00:00:00Z",
    ),
    (
        "look_back",
        "party shop
event approved(doc: id)
event published(doc: id)
param recent = 7 days
commitment approval {
    for each doc
    by shop
    after published(doc)
    must approved(doc)
    within recent before
}
",
        r#"{"at":"2025-03-01T10:00:00Z","event":"approved","doc":"A"}
{"at":"2025-03-05T10:00:00Z","event":"approved","doc":"B"}
{"at":"2025-03-10T10:00:00Z","event":"published","doc":"A"}
{"at":"2025-03-10T10:00:00Z","event":"published","doc":"B"}
{"at":"2025-03-10T10:00:00Z","event":"published","doc":"C"}
"#,
        "",
    ),
    (
        "between_end",
        "party shop
event ordered(order: id)
event shipped(order: id)
param closing = 2025-03-12
commitment ship {
    for each order
    by shop
    after ordered(order)
    must shipped(order)
    between 2025-03-10 and closing
}
",
        r#"{"at":"2025-03-08T09:00:00Z","event":"ordered","order":"A"}
{"at":"2025-03-08T09:00:00Z","event":"ordered","order":"B"}
{"at":"2025-03-08T09:00:00Z","event":"ordered","order":"C"}
{"at":"2025-03-11T09:00:00Z","event":"shipped","order":"A"}
{"at":"2025-03-13T09:00:00Z","event":"shipped","order":"B"}
"#,
        "2025-03-14T00:00:00Z",
    ),
    (
        // `refund` waits on `ship`, which uses the same param: moving the
        // param moves both, so `refund` gets no flip (moving its window
        // alone would name a false threshold); `ship` does.
        "shared_param",
        "party shop
event paid(order: id)
event shipped(order: id)
event refunded(order: id)
param soon = 1 day
commitment ship {
    for each order
    by shop
    after paid(order)
    must shipped(order)
    within soon
}
commitment refund {
    for each order
    by shop
    after ship is violated
    must refunded(order)
    within soon
}
",
        r#"{"at":"2025-03-01T00:00:00Z","event":"paid","order":"A"}
{"at":"2025-03-02T12:00:00Z","event":"refunded","order":"A"}
"#,
        "2025-03-05T00:00:00Z",
    ),
    (
        // A shipment before the window opens: an end moved before the
        // start would be refused by the rules, so no such flip is named.
        "between_before_start",
        "party shop
event ordered(order: id)
event shipped(order: id)
param closing = 2025-03-12
commitment ship {
    for each order
    by shop
    after ordered(order)
    must shipped(order)
    between 2025-03-10 and closing
}
",
        r#"{"at":"2025-03-08T09:00:00Z","event":"ordered","order":"A"}
{"at":"2025-03-09T09:00:00Z","event":"shipped","order":"A"}
"#,
        "2025-03-30T00:00:00Z",
    ),
    (
        "aggregate_bound",
        "party shop
event delivered(n: int)
param enough = 3
commitment deliver {
    by shop
    must delivered() with count >= enough
    by 2025-03-05
}
",
        r#"{"at":"2025-03-01T10:00:00Z","event":"delivered","n":1}
{"at":"2025-03-02T10:00:00Z","event":"delivered","n":2}
"#,
        "2025-03-06T00:00:00Z",
    ),
];

/// The JSON report of a run: exit status and parsed stdout.
fn run(rules: &Path, log: &Path, as_of: &str, param: Option<String>) -> Value {
    let mut args = vec![
        "check".to_string(),
        rel(rules),
        "--events".into(),
        rel(log),
        "--format".into(),
        "json".into(),
    ];
    if !as_of.is_empty() {
        args.extend(["--as-of".into(), as_of.into()]);
    }
    if let Some(p) = param {
        args.extend(["--param".into(), p]);
    }
    let (code, out, err) = pacta(&args);
    assert!(code == 0 || code == 1, "{args:?}: exit {code}: {err}");
    serde_json::from_str(&out).unwrap()
}

fn status_of(report: &Value, id: &str, bindings: &Value) -> String {
    let inst = report["commitments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id && &i["bindings"] == bindings)
        .unwrap_or_else(|| panic!("no instance {id} {bindings}"));
    inst["status"].as_str().unwrap().to_string()
}

/// The param values just on either side of a flip's threshold: (on the
/// flip's side, on the run's side).
fn sides(flip: &Value) -> (String, String) {
    let op = flip["op"].as_str().unwrap();
    let threshold = flip["threshold"].as_str().unwrap();
    // A length in seconds, a number of business days, an instant or a
    // number, and the value one step below it.
    // The threshold is given back as the report prints it (`2 days 2
    // hours`): what a reader would type.
    let (at, below) = if let Some(s) = flip["threshold_seconds"].as_i64() {
        (threshold.to_string(), format!("{}s", s - 1))
    } else if let Some(n) = threshold
        .strip_suffix(" business days")
        .or(threshold.strip_suffix(" business day"))
    {
        let n: i64 = n.parse().unwrap();
        (
            format!("{n} business days"),
            format!("{} business days", n - 1),
        )
    } else if let Ok(t) = threshold.parse::<jiff::Timestamp>() {
        let b = t - jiff::SignedDuration::from_secs(1);
        (t.to_string(), b.to_string())
    } else {
        let n: i64 = threshold.parse().unwrap();
        (n.to_string(), (n - 1).to_string())
    };
    let name = flip["param"].as_str().unwrap();
    let (at, below) = (format!("{name}={at}"), format!("{name}={below}"));
    match op {
        // The flip holds from the threshold up.
        ">=" => (at, below),
        // Below the threshold.
        "<" => (below, at),
        // An aggregate's bound: above the peak, or up to it.
        ">" => {
            let n: i64 = threshold.parse().unwrap();
            (format!("{name}={}", n + 1), format!("{name}={n}"))
        }
        "<=" => (
            at,
            format!("{name}={}", threshold.parse::<i64>().unwrap() + 1),
        ),
        other => panic!("op {other}"),
    }
}

/// A case's rule file and log, written under `dir/name`.
fn write_case(dir: &Path, name: &str, rules: &str, log: &str) -> (PathBuf, PathBuf) {
    let d = dir.join(name);
    std::fs::create_dir_all(&d).unwrap();
    let (r, l) = (d.join("rules.pacta"), d.join("events.jsonl"));
    std::fs::write(&r, rules).unwrap();
    std::fs::write(&l, log).unwrap();
    (r, l)
}

fn check_flips(name: &str, rules: &Path, log: &Path, as_of: &str) -> usize {
    let report = run(rules, log, as_of, None);
    let mut checked = 0;
    for inst in report["commitments"].as_array().unwrap() {
        let Some(flip) = inst.get("param_flip") else {
            continue;
        };
        let (id, bindings) = (inst["id"].as_str().unwrap(), &inst["bindings"]);
        let now = inst["status"].as_str().unwrap();
        let (there, here) = sides(flip);
        let flipped = status_of(&run(rules, log, as_of, Some(there.clone())), id, bindings);
        assert_eq!(
            flipped, flip["status"],
            "{name}: {id} {bindings} is {now}, flips as {flip}; with --param {there} it is {flipped}"
        );
        let kept = status_of(&run(rules, log, as_of, Some(here.clone())), id, bindings);
        assert_eq!(
            kept, now,
            "{name}: {id} {bindings} is {now}, flips as {flip}; with --param {here} it is {kept}"
        );
        checked += 1;
    }
    checked
}

#[test]
fn every_flip_holds_when_the_param_is_moved_to_it() {
    let dir = std::env::temp_dir().join(format!("pacta-flips-{}", std::process::id()));
    let mut total = 0;
    for (name, rules, log, as_of) in CASES {
        let (r, l) = write_case(&dir, name, rules, log);
        let n = check_flips(name, &r, &l, as_of);
        assert!(n > 0, "{name}: no flip to check");
        total += n;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    total += check_flips(
        "istanbul",
        &root.join("examples/istanbul/istanbul.pacta"),
        &root.join("examples/istanbul/events.jsonl"),
        "",
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert!(total >= 25, "only {total} flips checked");
}

/// The flips these cases must give, so that a flip that goes missing
/// fails too (the check above only checks the flips that are given).
#[test]
fn the_flips_the_cases_give() {
    let dir = std::env::temp_dir().join(format!("pacta-flips-list-{}", std::process::id()));
    let mut got = Vec::new();
    for (name, rules, log, as_of) in CASES {
        let (r, l) = write_case(&dir, name, rules, log);
        let report = run(&r, &l, as_of, None);
        for inst in report["commitments"].as_array().unwrap() {
            let b: Vec<String> = inst["bindings"]
                .as_object()
                .unwrap()
                .values()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect();
            let flip = inst
                .get("param_flip")
                .map_or("-".to_string(), |f| f["if"].as_str().unwrap().to_string());
            let to = inst
                .get("param_flip")
                .map_or("", |f| f["status"].as_str().unwrap());
            got.push(format!(
                "{name} {}[{}] {}: {to} if {flip}",
                inst["id"].as_str().unwrap(),
                b.join(","),
                inst["status"].as_str().unwrap()
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    insta::assert_snapshot!(got.join("\n"));
}
