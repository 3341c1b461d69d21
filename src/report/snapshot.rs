//! Snapshot reports kept next to the rules (`NAME.pacta.snap`) and the
//! verdict transitions between two reports: what moved from one run to the
//! next (`memorandum_ru: pending → violated`), for code review.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{instance_name, sorted_commitments};
use crate::Checked;

/// The heading of the verdicts block of a snapshot.
const VERDICTS: &str = "VERDICTS";
/// The heading of the full report in a snapshot.
const REPORT: &str = "REPORT";

/// The snapshot text of a run: a verdict per line, then the text report.
pub fn render(run: &Checked) -> String {
    let mut out = String::new();
    out.push_str(
        "# pacta snapshot: review changes like code; `pacta snapshot --accept` replaces it\n\n",
    );
    let _ = writeln!(out, "{VERDICTS}");
    for (k, v) in verdicts_of(run) {
        let _ = writeln!(out, "  {k} {v}");
    }
    let _ = writeln!(out, "\n{REPORT}");
    out.push_str(&super::text::render(run));
    out
}

/// `instance → status` and `claim id → verdict`, sorted.
pub fn verdicts_of(run: &Checked) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for (c, i) in sorted_commitments(run) {
        m.insert(
            instance_name(c, &i.bindings),
            i.status_at(run.eval.as_of).name().to_string(),
        );
    }
    for v in &run.eval.claims {
        m.insert(
            format!("claim {}", v.claim.id),
            v.verdict.name().to_string(),
        );
    }
    m
}

/// Reads the verdicts block back from a snapshot's text.
pub fn parse_verdicts(snapshot: &str) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let mut inside = false;
    for line in snapshot.lines() {
        if line == VERDICTS {
            inside = true;
            continue;
        }
        if !inside {
            continue;
        }
        if line.is_empty() || line == REPORT {
            break;
        }
        if let Some((k, v)) = line.trim().rsplit_once(' ') {
            m.insert(k.to_string(), v.to_string());
        }
    }
    m
}

/// Verdicts from a JSON report (`pacta check --format json`).
pub fn verdicts_of_json(report: &serde_json::Value) -> Option<BTreeMap<String, String>> {
    let mut m = BTreeMap::new();
    for c in report.get("commitments")?.as_array()? {
        let id = c.get("id")?.as_str()?;
        let b = c.get("bindings")?.as_object()?;
        let key = if b.is_empty() {
            id.to_string()
        } else {
            let parts: Vec<String> = b
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{k}={}",
                        v.as_str().map_or_else(|| v.to_string(), String::from)
                    )
                })
                .collect();
            format!("{id}[{}]", parts.join(", "))
        };
        m.insert(key, c.get("status")?.as_str()?.to_string());
    }
    for c in report.get("claims")?.as_array()? {
        m.insert(
            format!("claim {}", c.get("id")?.as_str()?),
            c.get("verdict")?.as_str()?.to_string(),
        );
    }
    Some(m)
}

/// One verdict that moved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transition {
    /// It changed: `id: old → new`.
    Moved(String, String, String),
    /// It is new.
    Added(String, String),
    /// It is gone.
    Removed(String, String),
}

/// The transitions from `old` to `new`, in id order.
pub fn transitions(
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Vec<Transition> {
    let mut out = Vec::new();
    for (k, v) in new {
        match old.get(k) {
            Some(o) if o != v => out.push(Transition::Moved(k.clone(), o.clone(), v.clone())),
            Some(_) => {}
            None => out.push(Transition::Added(k.clone(), v.clone())),
        }
    }
    for (k, v) in old {
        if !new.contains_key(k) {
            out.push(Transition::Removed(k.clone(), v.clone()));
        }
    }
    out.sort_by(|a, b| key(a).cmp(key(b)));
    out
}

fn key(t: &Transition) -> &str {
    match t {
        Transition::Moved(k, ..) | Transition::Added(k, _) | Transition::Removed(k, _) => k,
    }
}

/// Transitions as lines, coloured when asked (moved yellow, added green, removed red).
pub fn render_transitions(ts: &[Transition], colour: bool) -> String {
    use anstyle::{AnsiColor, Style};
    let paint = |s: String, c: AnsiColor| {
        if colour {
            let st = Style::new().fg_color(Some(c.into()));
            format!("{}{s}{}", st.render(), st.render_reset())
        } else {
            s
        }
    };
    let mut out = String::new();
    for t in ts {
        let line = match t {
            Transition::Moved(k, o, n) => paint(format!("  {k}: {o} → {n}"), AnsiColor::Yellow),
            Transition::Added(k, n) => paint(format!("+ {k}: {n}"), AnsiColor::Green),
            Transition::Removed(k, o) => paint(format!("- {k}: {o}"), AnsiColor::Red),
        };
        let _ = writeln!(out, "{line}");
    }
    out
}

/// A unified diff of two snapshot texts.
pub fn text_diff(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(2)
        .header(old_name, new_name)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_round_trip_and_transitions() {
        let text = "# x\n\nVERDICTS\n  a fulfilled\n  b[order=A1] pending\n  claim c contradicted\n\nREPORT\n  z violated\n";
        let old = parse_verdicts(text);
        assert_eq!(old.len(), 3);
        assert_eq!(old.get("b[order=A1]").map(String::as_str), Some("pending"));
        let mut new = old.clone();
        new.insert("b[order=A1]".into(), "violated".into());
        new.remove("a");
        new.insert("d".into(), "inactive".into());
        let ts = transitions(&old, &new);
        assert_eq!(
            ts,
            vec![
                Transition::Removed("a".into(), "fulfilled".into()),
                Transition::Moved("b[order=A1]".into(), "pending".into(), "violated".into()),
                Transition::Added("d".into(), "inactive".into()),
            ]
        );
        assert_eq!(
            render_transitions(&ts, false),
            "- a: fulfilled\n  b[order=A1]: pending → violated\n+ d: inactive\n"
        );
    }
}
