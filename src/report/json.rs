//! The JSON report: the keys of section 9 of the design (`as_of`,
//! `commitments`, `claims`, `disputes`, `summary`), plus evidence. Keys keep
//! insertion order; lists are sorted by id then bindings.

use rust_decimal::Decimal;
use serde_json::{Map, Value as J, json};

use super::{fmt_time, sorted_commitments, summary};
use crate::Checked;
use crate::eval::{ClaimVerdict, Evidence, Item};
use crate::model::{Commitment, Origin, Says, Value};

/// Renders the JSON report (pretty-printed, newline-terminated).
pub fn render(run: &Checked) -> String {
    render_with(run, false)
}

/// Renders the JSON report, with a `coverage` object when asked.
pub fn render_with(run: &Checked, with_coverage: bool) -> String {
    let mut v = to_value(run);
    if with_coverage {
        let cov = super::coverage(run);
        if let Some(o) = v.as_object_mut() {
            o.insert(
                "coverage".into(),
                json!({"untriggered": cov.untriggered, "unread_kinds": cov.unread_kinds}),
            );
        }
    }
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

/// Writes the JSON report to `w`, one commitment instance at a time, so a
/// report of millions of instances is never held whole in memory. The bytes
/// are those of [`render_with`].
pub fn write_json(
    run: &Checked,
    with_coverage: bool,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut top = to_value_with(run, false);
    if with_coverage {
        let cov = super::coverage(run);
        if let Some(o) = top.as_object_mut() {
            o.insert(
                "coverage".into(),
                json!({"untriggered": cov.untriggered, "unread_kinds": cov.unread_kinds}),
            );
        }
    }
    let Some(obj) = top.as_object() else {
        return w.write_all(b"{}\n");
    };
    w.write_all(b"{")?;
    for (n, (key, value)) in obj.iter().enumerate() {
        w.write_all(if n == 0 { b"\n  " } else { b",\n  " })?;
        w.write_all(serde_json::to_string(key).unwrap_or_default().as_bytes())?;
        w.write_all(b": ")?;
        if key == "commitments" {
            let mut rows = sorted_commitments(run).peekable();
            if rows.peek().is_none() {
                w.write_all(b"[]")?;
                continue;
            }
            w.write_all(b"[")?;
            for (k, (c, i)) in rows.enumerate() {
                w.write_all(if k == 0 { b"\n    " } else { b",\n    " })?;
                let item =
                    serde_json::to_string_pretty(&commitment_value(run, c, &i)).unwrap_or_default();
                w.write_all(item.replace('\n', "\n    ").as_bytes())?;
            }
            w.write_all(b"\n  ]")?;
        } else {
            let text = serde_json::to_string_pretty(value).unwrap_or_default();
            w.write_all(text.replace('\n', "\n  ").as_bytes())?;
        }
    }
    w.write_all(b"\n}\n")
}

/// The report as a JSON value.
pub fn to_value(run: &Checked) -> J {
    to_value_with(run, true)
}

/// The report as a JSON value; with `commitments` empty unless asked.
fn to_value_with(run: &Checked, with_commitments: bool) -> J {
    let zone = &run.model.zone;
    let t = |ts| J::String(fmt_time(ts, zone));
    let as_of = run.eval.as_of;
    let commitments: Vec<J> = if with_commitments {
        sorted_commitments(run)
            .map(|(c, i)| commitment_value(run, c, &i))
            .collect()
    } else {
        Vec::new()
    };
    let claims: Vec<J> = run.eval.claims.iter().map(|v| claim(run, v)).collect();
    let disputes: Vec<J> = run
        .eval
        .disputes
        .iter()
        .map(|d| json!({"claims": [d.a, d.b], "supported": d.supported}))
        .collect();
    let s = summary(run);
    let log = &run.log;
    json!({
        "as_of": t(as_of),
        "timezone": zone.name,
        "commitments": commitments,
        "claims": claims,
        "disputes": disputes,
        "summary": {
            "commitments": s.statuses,
            "claims": s.verdicts,
        },
        "log": {
            "lines": log.lines,
            "events": log.event_count(),
            "ignored": log.ignored,
            "skipped": log.skipped,
            "first_skipped": log.first_skipped.as_ref().map(|(r, m)| json!({"at": run.sources.log_ref(*r), "error": m})),
        },
    })
}

/// One commitment instance as a JSON object.
fn commitment_value(run: &Checked, c: &Commitment, i: &crate::eval::Instance) -> J {
    let zone = &run.model.zone;
    let t = |ts| J::String(fmt_time(ts, zone));
    let as_of = run.eval.as_of;

    let status = i.status_at(as_of);
    let mut o = Map::new();
    o.insert("id".into(), J::String(c.id.clone()));
    o.insert("bindings".into(), bindings(c, &i.bindings));
    o.insert("status".into(), J::String(status.name().into()));
    o.insert("title".into(), c.title.clone().map_or(J::Null, J::String));
    o.insert("by".into(), J::String(c.debtor.clone()));
    o.insert("to".into(), c.creditor.clone().map_or(J::Null, J::String));
    o.insert("rule".into(), J::String(run.sources.location(c.span)));
    let trigger = if i.from_start {
        None
    } else {
        i.trigger.map(|m| m.at)
    };
    o.insert("trigger_at".into(), trigger.map_or(J::Null, t));
    o.insert("opens_at".into(), i.opens.map_or(J::Null, t));
    o.insert("deadline".into(), i.deadline.map_or(J::Null, |d| t(d.at)));
    let decided = match (i.decision, i.expired) {
        (Some(d), _) if d.at.reached_by(as_of) => Some(d.at.at),
        (None, Some(m)) if m.reached_by(as_of) => Some(m.at),
        _ => None,
    };
    o.insert("decided_at".into(), decided.map_or(J::Null, t));
    o.insert("late_at".into(), i.late.map_or(J::Null, t));
    o.insert(
        "progress".into(),
        i.progress.map_or(
            J::Null,
            |p| json!({"value": number(p.value), "target": number(p.target)}),
        ),
    );
    if let Some(f) = crate::eval::params::flip(c, i, as_of) {
        o.insert(
            "param_flip".into(),
            json!({
                "param": f.param,
                "value": f.value.to_string(),
                "status": f.to.name(),
                "if": format!("{} {} {}", f.param, f.op, super::fmt_threshold(f.at, &run.model.zone)),
                "op": f.op,
                "threshold_seconds": match f.at {
                    crate::eval::params::Threshold::Length(crate::model::Duration::Exact(d)) => json!(d.as_secs()),
                    _ => J::Null,
                },
                "threshold": super::fmt_threshold(f.at, &run.model.zone),
            }),
        );
    }
    o.insert(
        "evidence".into(),
        J::Array(i.evidence.iter().map(|e| evidence(run, e)).collect()),
    );
    J::Object(o)
}

/// A decimal as an exact JSON number.
fn number(d: Decimal) -> J {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(J::Null)
}

fn value(v: &Value) -> J {
    match v {
        Value::Party(s) | Value::Str(s) => J::String(s.to_string()),
        Value::Int(i) => J::from(*i),
        Value::Number(n) => number(*n),
        Value::Bool(b) => J::Bool(*b),
        Value::Time(t) => J::String(t.to_string()),
    }
}

fn bindings(c: &Commitment, values: &[Value]) -> J {
    let mut o = Map::new();
    for (var, v) in c.vars.iter().zip(values) {
        o.insert(var.name.clone(), value(v));
    }
    J::Object(o)
}

fn evidence(run: &Checked, e: &Evidence) -> J {
    let zone = &run.model.zone;
    let mut o = Map::new();
    o.insert("role".into(), J::String(e.role.name().into()));
    o.insert("at".into(), J::String(fmt_time(e.at, zone)));
    match &e.item {
        Item::Event {
            origin,
            kind,
            source,
        } => {
            o.insert("log".into(), J::String(run.sources.log_ref(*origin)));
            o.insert(
                "event".into(),
                J::String(
                    run.model
                        .kinds
                        .get(*kind)
                        .map_or("?", |k| k.name.as_str())
                        .into(),
                ),
            );
            if let Some(s) = source {
                o.insert("source".into(), J::String(s.to_string()));
            }
        }
        Item::Commitment {
            commitment,
            bindings: b,
            status,
        } => {
            if let Some(c) = run.model.commitments.get(*commitment) {
                o.insert("commitment".into(), J::String(c.id.clone()));
                o.insert("bindings".into(), bindings(c, b));
            }
            o.insert("status".into(), J::String(status.name().into()));
        }
        Item::Time => {
            o.insert("what".into(), J::String("time".into()));
        }
        Item::Deadline => {
            o.insert("what".into(), J::String("deadline".into()));
        }
        Item::WindowClosed => {
            o.insert("what".into(), J::String("window_closed".into()));
        }
    }
    J::Object(o)
}

fn claim(run: &Checked, v: &ClaimVerdict) -> J {
    let zone = &run.model.zone;
    let c = &v.claim;
    let mut o = Map::new();
    o.insert("id".into(), J::String(c.id.clone()));
    o.insert("by".into(), J::String(c.by.clone()));
    o.insert("at".into(), J::String(fmt_time(c.at.judged_at, zone)));
    o.insert(
        "on".into(),
        c.at.day.map_or(J::Null, |d| J::String(d.to_string())),
    );
    o.insert("verdict".into(), J::String(v.verdict.name().into()));
    o.insert("actual".into(), v.actual.clone().map_or(J::Null, J::String));
    match &c.says {
        Says::Status {
            commitment,
            bindings: b,
            status,
        } => {
            let cm = run.model.commitments.get(*commitment);
            o.insert(
                "about".into(),
                cm.map_or(J::Null, |x| J::String(x.id.clone())),
            );
            o.insert(
                "bindings".into(),
                match (cm, b) {
                    (Some(cm), Some(b)) => bindings(cm, b),
                    _ => J::Null,
                },
            );
            o.insert("says".into(), J::String(status.name().into()));
        }
        Says::Unknown { about, status } => {
            o.insert("about".into(), J::String(about.clone()));
            o.insert("bindings".into(), J::Null);
            o.insert("says".into(), J::String(status.name().into()));
        }
        Says::Event { pattern, happened } => {
            o.insert(
                "about".into(),
                J::String(super::fmt_pattern(&run.model, pattern, &[])),
            );
            o.insert("bindings".into(), J::Null);
            o.insert(
                "says".into(),
                J::String(
                    if *happened {
                        "happened"
                    } else {
                        "did not happen"
                    }
                    .into(),
                ),
            );
        }
    }
    o.insert(
        "later_at".into(),
        v.later.map_or(J::Null, |m| J::String(fmt_time(m.at, zone))),
    );
    // A violation comes just after its deadline instant (`later_at`).
    o.insert(
        "later_just_after".into(),
        J::Bool(v.later.is_some_and(|m| m.after)),
    );
    o.insert("reason".into(), v.reason.clone().map_or(J::Null, J::String));
    o.insert("title".into(), c.title.clone().map_or(J::Null, J::String));
    o.insert("source".into(), c.source.clone().map_or(J::Null, J::String));
    let origin = match c.origin {
        Origin::Rule(span) => json!({"rule": run.sources.location(span)}),
        Origin::Log(r) => json!({"log": run.sources.log_ref(r)}),
    };
    o.insert("origin".into(), origin);
    J::Object(o)
}
