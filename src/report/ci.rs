//! Reports for CI and code review: GitHub workflow annotations and a
//! Markdown table fit for a pull-request comment.

use std::fmt::Write as _;

use super::{fmt_time, instance_name, sorted_commitments, summary};
use crate::Checked;
use crate::eval::Verdict;
use crate::model::{Origin, Status};

/// Escapes a GitHub annotation's message (`%`, CR, LF).
fn gh_escape(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes an annotation property value (also `:` and `,`).
fn gh_prop(s: &str) -> String {
    gh_escape(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub workflow commands: one `::error` per violated commitment or
/// contradicted claim, `::warning` per pending one, `::notice` for the summary.
pub fn render_github(run: &Checked) -> String {
    let mut out = String::new();
    let zone = &run.model.zone;
    let as_of = run.eval.as_of;
    for (c, i) in sorted_commitments(run) {
        let status = i.status_at(as_of);
        let level = match status {
            Status::Violated => "error",
            Status::Pending => "warning",
            _ => continue,
        };
        let (line, col) = run.sources.line_col(c.span.source, c.span.start);
        let file = run.sources.name(c.span.source);
        let mut msg = format!("{} is {status}", instance_name(c, &i.bindings));
        if let Some(d) = i.deadline {
            let _ = write!(msg, "; deadline {}", fmt_time(d.at, zone));
        }
        if let Some(l) = i.late {
            let _ = write!(msg, "; fulfilled late at {}", fmt_time(l, zone));
        }
        let _ = writeln!(
            out,
            "::{level} file={},line={line},col={col},title={}::{}",
            gh_prop(file),
            gh_prop(&format!("pacta: {status}")),
            gh_escape(&msg)
        );
    }
    for v in &run.eval.claims {
        let level = match v.verdict {
            Verdict::Contradicted => "error",
            Verdict::Unverifiable => "notice",
            Verdict::Consistent => continue,
        };
        let mut msg = format!(
            "claim {} by {} is {}",
            v.claim.id,
            v.claim.by,
            v.verdict.name()
        );
        if let Some(a) = &v.actual {
            let _ = write!(msg, "; found: {a}");
        }
        let loc = match v.claim.origin {
            Origin::Rule(span) => {
                let (line, col) = run.sources.line_col(span.source, span.start);
                format!(
                    "file={},line={line},col={col},",
                    gh_prop(run.sources.name(span.source))
                )
            }
            Origin::Log(r) => format!(
                "file={},line={},",
                gh_prop(run.sources.log_name(r.log)),
                r.line
            ),
        };
        let _ = writeln!(
            out,
            "::{level} {loc}title={}::{}",
            gh_prop(&format!("pacta: {}", v.verdict.name())),
            gh_escape(&msg)
        );
    }
    let s = summary(run);
    let counts: Vec<String> = s
        .statuses
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    let _ = writeln!(
        out,
        "::notice title=pacta::as of {}: {}",
        fmt_time(as_of, zone),
        gh_escape(&counts.join(", "))
    );
    out
}

/// Escapes a Markdown table cell.
fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A Markdown report: a summary line and tables of commitments and claims.
pub fn render_markdown(run: &Checked) -> String {
    let mut out = String::new();
    let zone = &run.model.zone;
    let as_of = run.eval.as_of;
    let s = summary(run);
    let _ = writeln!(out, "### pacta check — as of {}\n", fmt_time(as_of, zone));
    let counts: Vec<String> = Status::ALL
        .iter()
        .filter_map(|st| {
            s.statuses
                .get(st.name())
                .filter(|n| **n > 0)
                .map(|n| format!("**{n}** {}", st.name()))
        })
        .collect();
    let _ = writeln!(
        out,
        "Commitments: {}  ",
        if counts.is_empty() {
            "none".into()
        } else {
            counts.join(" · ")
        }
    );
    let claims: Vec<String> = s
        .verdicts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("**{n}** {k}"))
        .collect();
    let _ = writeln!(
        out,
        "Claims: {}\n",
        if claims.is_empty() {
            "none".into()
        } else {
            claims.join(" · ")
        }
    );
    let mut rows = sorted_commitments(run).peekable();
    if rows.peek().is_some() {
        let _ = writeln!(
            out,
            "| commitment | status | in force | deadline | decided | rule |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|");
        for (c, i) in rows {
            let status = i.status_at(as_of);
            let mark = match status {
                Status::Violated => "❌ ",
                Status::Fulfilled => "✅ ",
                Status::Pending => "⏳ ",
                _ => "",
            };
            let trigger = if i.from_start {
                "from the start".to_string()
            } else {
                i.trigger.map_or(String::new(), |t| fmt_time(t.at, zone))
            };
            let deadline = i.deadline.map_or(String::new(), |d| fmt_time(d.at, zone));
            let decided = i
                .decision
                .filter(|d| d.at.reached_by(as_of))
                .map_or(String::new(), |d| fmt_time(d.at.at, zone));
            let mut status_cell = format!("{mark}{status}");
            if let Some(l) = i.late {
                let _ = write!(status_cell, " (late {})", fmt_time(l, zone));
            }
            if let Some(p) = i.progress {
                let _ = write!(
                    status_cell,
                    " ({} of {})",
                    p.value.normalize(),
                    p.target.normalize()
                );
            }
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {} |",
                md(&instance_name(c, &i.bindings)),
                md(&status_cell),
                trigger,
                deadline,
                decided,
                md(&run.sources.location(c.span))
            );
        }
        out.push('\n');
    }
    if !run.eval.claims.is_empty() {
        let _ = writeln!(out, "| claim | by | at | verdict | found |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for v in &run.eval.claims {
            let mark = match v.verdict {
                Verdict::Contradicted => "❌ ",
                Verdict::Consistent => "✅ ",
                Verdict::Unverifiable => "❔ ",
            };
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {mark}{} | {} |",
                md(&v.claim.id),
                md(&v.claim.by),
                fmt_time(v.claim.at.judged_at, zone),
                v.verdict.name(),
                md(v.actual.as_deref().or(v.reason.as_deref()).unwrap_or(""))
            );
        }
        out.push('\n');
    }
    for d in &run.eval.disputes {
        let side = d
            .supported
            .as_deref()
            .map_or("neither".to_string(), |s| format!("`{s}`"));
        let _ = writeln!(
            out,
            "- Dispute: `{}` vs `{}` — the evidence supports {side}",
            md(&d.a),
            md(&d.b)
        );
    }
    out
}

/// The coverage section of the Markdown report (`--coverage`): the
/// commitments nothing triggered and the event kinds no rule reads.
pub fn render_markdown_coverage(run: &Checked) -> String {
    let cov = super::coverage(run);
    let mut out = String::from("\n### Coverage\n\n");
    if cov.untriggered.is_empty() {
        out.push_str("- every commitment was triggered\n");
    } else {
        let list: Vec<String> = cov.untriggered.iter().map(|c| format!("`{c}`")).collect();
        let _ = writeln!(out, "- never triggered: {}", list.join(", "));
    }
    if cov.unread_kinds.is_empty() {
        out.push_str("- every event kind in the logs is read by a rule\n");
    } else {
        let list: Vec<String> = cov
            .unread_kinds
            .iter()
            .map(|(k, n)| format!("`{k}` ({n} line{})", if *n == 1 { "" } else { "s" }))
            .collect();
        let _ = writeln!(out, "- event kinds no rule reads: {}", list.join(", "));
    }
    out
}
