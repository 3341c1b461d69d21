//! `pacta explain`: the story of one verdict, step by step — the rule's
//! lines, the trigger, the deadline arithmetic (zone and business days
//! shown), each event that mattered with `file:line` and `source`, and
//! the claims made about it.

use std::fmt::Write as _;

use super::text::{claim_timing, claim_when, evidence_line_with, fmt_moment};
use super::{fmt_bound, fmt_pattern, fmt_time, instance_name};
use crate::Checked;
use crate::eval::{ClaimVerdict, Instance, Role};
use crate::model::{Commitment, Duration, Says, Status, Trigger, Value, Window};
use crate::span::Span;

/// What `explain` was asked about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// A commitment or claim id.
    pub id: String,
    /// `var=value` pairs selecting instances.
    pub bindings: Vec<(String, String)>,
}

impl Target {
    /// Parses `id`, `id[var=value]` or `id[var: value, …]`.
    pub fn parse(s: &str) -> Result<Target, String> {
        let (id, bindings) = crate::events::instance_ref(s)?;
        Ok(Target { id, bindings })
    }
}

/// Explains a target; `Err` says why nothing matched.
pub fn explain(run: &Checked, target: &Target) -> Result<String, String> {
    if let Some(ci) = run.model.commitment(&target.id) {
        let (Some(c), Some(insts)) = (run.model.commitments.get(ci), run.eval.commitments.get(ci))
        else {
            return Err(format!("no commitment `{}`", target.id));
        };
        let chosen: Vec<&Instance> = insts
            .list
            .iter()
            .filter(|i| {
                target.bindings.iter().all(|(k, v)| {
                    c.vars
                        .iter()
                        .position(|var| &var.name == k)
                        .and_then(|p| i.bindings.get(p))
                        .is_some_and(|x| value_text(x) == *v)
                })
            })
            .collect();
        if let Some((k, _)) = target
            .bindings
            .iter()
            .find(|(k, _)| !c.vars.iter().any(|v| &v.name == k))
        {
            return Err(format!("`{}` has no variable `{k}`", c.id));
        }
        if chosen.is_empty() {
            let names: Vec<String> = insts
                .list
                .iter()
                .take(10)
                .map(|i| instance_name(c, &i.bindings))
                .collect();
            return Err(if names.is_empty() {
                format!("`{}` has no instances in these logs", c.id)
            } else {
                format!(
                    "no instance of `{}` matches; instances: {}",
                    c.id,
                    names.join(", ")
                )
            });
        }
        let mut out = String::new();
        for (n, inst) in chosen.iter().enumerate() {
            if n > 0 {
                out.push('\n');
            }
            explain_instance(&mut out, run, ci, c, inst);
        }
        return Ok(out);
    }
    if let Some(v) = run.eval.claims.iter().find(|v| v.claim.id == target.id) {
        let mut out = String::new();
        explain_claim(&mut out, run, v);
        return Ok(out);
    }
    let mut ids: Vec<&str> = run
        .model
        .commitments
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    ids.extend(run.eval.claims.iter().map(|v| v.claim.id.as_str()));
    Err(format!(
        "no commitment or claim `{}`; ids: {}",
        target.id,
        ids.join(", ")
    ))
}

fn value_text(v: &Value) -> String {
    v.to_string()
}

/// The rule's lines, numbered, as in a diagnostic.
fn quote(run: &Checked, span: Span) -> String {
    let Some(file) = run.sources.get(span.source) else {
        return String::new();
    };
    let (first, _) = run.sources.line_col(span.source, span.start);
    let text = file
        .text
        .get(span.start as usize..span.end as usize)
        .unwrap_or("");
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let _ = writeln!(out, "  {:>4} │ {line}", first + i);
    }
    out
}

fn line_of(run: &Checked, span: Span) -> usize {
    run.sources.line_col(span.source, span.start).0
}

fn explain_instance(out: &mut String, run: &Checked, ci: usize, c: &Commitment, inst: &Instance) {
    let zone = &run.model.zone;
    let as_of = run.eval.as_of;
    let status = inst.status_at(as_of);
    let title = c
        .title
        .as_deref()
        .map(|t| format!(" — {t}"))
        .unwrap_or_default();
    let _ = writeln!(out, "{}{title}", instance_name(c, &inst.bindings));
    let _ = writeln!(out, "rule {}", run.sources.location(c.span));
    out.push_str(&quote(run, c.span));
    let _ = writeln!(
        out,
        "\nstatus as of {} ({}): {status}",
        fmt_time(as_of, zone),
        zone.name
    );
    let mut step = 0;
    let mut next = || {
        step += 1;
        step
    };
    // 1. When it came in force.
    let n = next();
    match &c.trigger {
        Trigger::Immediate => {
            let _ = writeln!(
                out,
                "\n{n}. in force from the start: the commitment has no `after` clause"
            );
        }
        Trigger::After(_) => {
            let line = c.spans.after.map_or(0, |s| line_of(run, s));
            let text = c
                .spans
                .after
                .map_or(String::new(), |s| balanced(run.sources.snippet(s).trim()));
            let _ = writeln!(out, "\n{n}. trigger (line {line}): after {text}");
            match inst.trigger {
                Some(t) => {
                    let _ = writeln!(out, "   became true at {}", fmt_time(t.at, zone));
                }
                None if inst.expired.is_some() => {
                    let _ = writeln!(out, "   can no longer become true (expired)");
                }
                None => {
                    let _ = writeln!(
                        out,
                        "   has not become true as of {}",
                        fmt_time(as_of, zone)
                    );
                }
            }
        }
        Trigger::Reparation(sources) => {
            let names: Vec<String> = sources
                .iter()
                .filter_map(|s| run.model.commitments.get(*s).map(|x| format!("`{}`", x.id)))
                .collect();
            let _ = writeln!(
                out,
                "\n{n}. reparation: in force when {} is violated (`otherwise {}`)",
                names.join(" or "),
                c.id
            );
            if let Some(t) = inst.trigger {
                let _ = writeln!(out, "   triggered at {}", fmt_time(t.at, zone));
            }
        }
    }
    for e in inst
        .evidence
        .iter()
        .filter(|e| matches!(e.role, Role::Trigger | Role::Expiry))
    {
        let _ = writeln!(out, "   {}", evidence_line_with(run, e, false));
        cite_source(out, e);
    }
    // 2. The window and its arithmetic.
    let n = next();
    let line = c.spans.window.map_or(0, |s| line_of(run, s));
    let cal = &c.calendar;
    match (&c.window, inst.deadline) {
        (Window::Open, _) => {
            let _ = writeln!(
                out,
                "\n{n}. no deadline: {}",
                if c.prohibition {
                    "the prohibition holds forever; it can only be violated or pending"
                } else {
                    "it stays pending until fulfilled"
                }
            );
        }
        (Window::Within { duration, before }, Some(d)) => {
            let t = inst.trigger.map_or(as_of, |m| m.at);
            let how = match duration {
                Duration::Exact(d) if d.as_secs() % 3600 == 0 => {
                    format!("{duration} ({} hours of absolute time)", d.as_secs() / 3600)
                }
                Duration::Exact(_) => format!("{duration} of absolute time"),
                Duration::BusinessDays(_) => {
                    let hol: Vec<String> = cal.holidays.iter().map(ToString::to_string).collect();
                    format!(
                        "{duration} in {}, keeping the time of day, skipping Saturdays, Sundays{}",
                        cal.zone.name,
                        if hol.is_empty() {
                            String::new()
                        } else {
                            format!(" and the holidays {}", hol.join(", "))
                        }
                    )
                }
            };
            let local = |ts: jiff::Timestamp| {
                ts.to_zoned_datetime(cal.zone.tz.clone())
                    .strftime("%A")
                    .to_string()
            };
            if *before {
                let _ = writeln!(
                    out,
                    "\n{n}. window (line {line}): the {how} before the trigger"
                );
                if let Some(open) = inst.opens {
                    let _ = writeln!(out, "   [{}, {}]", fmt_time(open, zone), fmt_time(t, zone));
                }
            } else {
                let _ = writeln!(
                    out,
                    "\n{n}. deadline (line {line}): {} after the trigger",
                    run.sources
                        .snippet(c.spans.window.unwrap_or_default())
                        .trim()
                );
                let _ = writeln!(out, "   {} ({}) + {how}", fmt_time(t, zone), local(t));
                let _ = writeln!(
                    out,
                    "   = {} ({}); an event at that instant is on time",
                    fmt_time(d.at, zone),
                    local(d.at)
                );
            }
            if let Some(f) = inst.flip.as_deref() {
                let _ = writeln!(
                    out,
                    "   param {} = {}: {} if {} {} {}",
                    f.param,
                    f.value,
                    f.to,
                    f.param,
                    f.op,
                    super::fmt_threshold(f.at, &run.model.zone)
                );
            }
        }
        (Window::By(_), Some(d)) => {
            let _ = writeln!(
                out,
                "\n{n}. deadline (line {line}): {} in {}",
                fmt_bound(d, zone),
                cal.zone.name
            );
        }
        (Window::Between(a, _), Some(d)) => {
            let _ = writeln!(
                out,
                "\n{n}. window (line {line}): from {} to {} in {}, both ends included",
                fmt_time(*a, zone),
                fmt_bound(d, zone),
                cal.zone.name
            );
            if let Some(o) = inst.opens.filter(|o| o != a) {
                let _ = writeln!(
                    out,
                    "   events count from {} (the later of the trigger and the window's start)",
                    fmt_time(o, zone)
                );
            }
        }
        _ => {
            let _ = writeln!(out, "\n{n}. no window: the commitment was never in force");
        }
    }
    // 3. What was required and what happened.
    let n = next();
    let pattern = fmt_pattern(&run.model, &c.action, &c.vars);
    let agg = c.aggregate.as_ref().map(|a| {
        let bound = match &a.param {
            Some(p) => format!("{p} ({})", a.at_least.normalize()),
            None => a.at_least.normalize().to_string(),
        };
        match a
            .sum_of
            .and_then(|f| run.model.kinds.get(c.action.kind)?.fields.get(f))
        {
            Some(f) => format!(" with sum({}) >= {bound}", f.name),
            None => format!(" with count >= {bound}"),
        }
    });
    let _ = writeln!(
        out,
        "\n{n}. {} (line {}): {pattern}{}",
        if c.prohibition { "must not" } else { "must" },
        line_of(run, c.spans.must),
        agg.unwrap_or_default()
    );
    // A bound that names a param flips here (a deadline param's flip is
    // told with the deadline, and is the one reported).
    if c.params.is_empty() {
        if let Some(f) = inst.flip.as_deref() {
            let _ = writeln!(
                out,
                "   param {} = {}: {} if {} {} {}",
                f.param,
                f.value,
                f.to,
                f.param,
                f.op,
                super::fmt_threshold(f.at, &run.model.zone)
            );
        }
    }
    let decisive: Vec<_> = inst
        .evidence
        .iter()
        .filter(|e| !matches!(e.role, Role::Trigger | Role::Expiry))
        .collect();
    if decisive.is_empty() {
        let _ = writeln!(
            out,
            "   no matching event in the window as of {}",
            fmt_time(as_of, zone)
        );
    }
    for e in decisive {
        let _ = writeln!(out, "   {}", evidence_line_with(run, e, false));
        cite_source(out, e);
    }
    if let Some(p) = inst.progress {
        let _ = writeln!(
            out,
            "   progress: {} of {}",
            p.value.normalize(),
            p.target.normalize()
        );
    }
    if let Some(u) = c.spans.unless {
        let _ = writeln!(
            out,
            "   unless (line {}): {}",
            line_of(run, u),
            run.sources.snippet(u).trim()
        );
    }
    // 4. The verdict.
    let n = next();
    let why = match status {
        Status::Fulfilled if c.prohibition => {
            "the window closed without a prohibited event".to_string()
        }
        Status::Fulfilled => "the required event happened in time".to_string(),
        Status::Violated if c.prohibition => {
            "a prohibited event happened inside the window".to_string()
        }
        Status::Violated => match inst.deadline {
            Some(d) => format!("the deadline {} passed without it", fmt_time(d.at, zone)),
            None => "its window closed without it".to_string(),
        },
        Status::Pending => {
            "in force, not yet fulfilled, and the deadline has not passed".to_string()
        }
        Status::Cancelled => {
            "its `unless` condition held before it was fulfilled or violated".to_string()
        }
        Status::Expired => "its trigger can no longer happen".to_string(),
        Status::Inactive => "its trigger has not happened yet and still can".to_string(),
    };
    let at = inst
        .decision
        .filter(|d| d.at.reached_by(as_of))
        .map(|d| format!(" at {}", fmt_time(d.at.at, zone)))
        .unwrap_or_default();
    let _ = writeln!(out, "\n{n}. verdict: {status}{at}: {why}");
    if let Some(l) = inst.late {
        let _ = writeln!(
            out,
            "   fulfilled late at {}: recorded beside the violation, not instead of it",
            fmt_time(l, zone)
        );
    }
    // Claims about it.
    let claims: Vec<&ClaimVerdict> = run
        .eval
        .claims
        .iter()
        .filter(|v| matches!(&v.claim.says, Says::Status { commitment, bindings: Some(b), .. } if *commitment == ci && *b == inst.bindings))
        .collect();
    if !claims.is_empty() {
        let _ = writeln!(out, "\nclaims about it:");
        for v in claims {
            let _ = write!(out, "   ");
            claim_line(out, run, v);
        }
    }
}

fn cite_source(out: &mut String, e: &crate::eval::Evidence) {
    if let crate::eval::Item::Event {
        source: Some(s), ..
    } = &e.item
    {
        let _ = writeln!(out, "      source: \"{s}\"");
    }
}

fn claim_line(out: &mut String, run: &Checked, v: &ClaimVerdict) {
    let zone = &run.model.zone;
    let says = super::text::says_text(run, &v.claim.says);
    let when = match v.claim.at.day {
        Some(d) => format!("on {d} (at any instant of that day)"),
        None => format!("at {}", fmt_time(v.claim.at.judged_at, zone)),
    };
    let found = v
        .actual
        .as_deref()
        .map(|a| format!("found {a}"))
        .or_else(|| v.reason.clone())
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{} by {} {when}: says {says}; {found} → {}",
        v.claim.id,
        v.claim.by,
        v.verdict.name()
    );
}

fn explain_claim(out: &mut String, run: &Checked, v: &ClaimVerdict) {
    let zone = &run.model.zone;
    let c = &v.claim;
    let title = c
        .title
        .as_deref()
        .map(|t| format!(" — \"{t}\""))
        .unwrap_or_default();
    let _ = writeln!(out, "claim {}{title}", c.id);
    match c.origin {
        crate::model::Origin::Rule(span) => {
            let _ = writeln!(out, "rule {}", run.sources.location(span));
            out.push_str(&quote(run, span));
        }
        crate::model::Origin::Log(r) => {
            let _ = writeln!(out, "log {}", run.sources.log_ref(r));
        }
    }
    if let Some(s) = &c.source {
        let _ = writeln!(out, "source: \"{s}\"");
    }
    let _ = writeln!(out, "\n1. made by {} {}", c.by, claim_when(run, c));
    let _ = writeln!(out, "2. it says: {}", super::text::says_text(run, &c.says));
    match (&v.actual, &v.reason, v.held) {
        (Some(a), _, Some(m)) => {
            let _ = writeln!(
                out,
                "3. the evidence {}, the first moment of that day when it held: {a}",
                fmt_moment(m, zone)
            );
        }
        (Some(a), _, None) if c.at.day.is_some() => {
            let _ = writeln!(
                out,
                "3. the evidence at the end of that day: {a}; what it says held at no instant of the day"
            );
        }
        (Some(a), _, None) => {
            let _ = writeln!(out, "3. the evidence then: {a}");
        }
        (None, Some(r), _) => {
            let _ = writeln!(out, "3. the evidence cannot decide it: {r}");
        }
        _ => {}
    }
    if let (
        Says::Status {
            commitment,
            bindings: Some(b),
            ..
        },
        Some(a),
    ) = (&c.says, v.actual.as_deref().and_then(Status::from_name))
    {
        let inst = run.eval.commitments.get(*commitment).and_then(|r| r.get(b));
        if let (Some(inst), Some(cm)) = (inst, run.model.commitments.get(*commitment)) {
            if let Some(since) = inst.reached(a).filter(|m| *m != crate::eval::Moment::MIN) {
                let how = if since.after {
                    " (just after that instant)"
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "   `{}` had been {a} since {}{how}",
                    instance_name(cm, &inst.bindings),
                    fmt_time(since.at, zone)
                );
            }
        }
    }
    for e in &v.evidence {
        let _ = writeln!(out, "   {}", evidence_line_with(run, e, false));
        cite_source(out, e);
    }
    claim_timing(out, run, v, "   ");
    let _ = writeln!(out, "4. verdict: {}", v.verdict.name());
    for d in run
        .eval
        .disputes
        .iter()
        .filter(|d| d.a == c.id || d.b == c.id)
    {
        let other = if d.a == c.id { &d.b } else { &d.a };
        let side = d
            .supported
            .as_deref()
            .map_or("neither".to_string(), |s| format!("`{s}`"));
        let _ = writeln!(
            out,
            "   disputed by `{other}`: the evidence supports {side}"
        );
    }
}

/// A condition's text as written, closed: a condition's span leaves out the
/// parentheses around its last group (`after f(x) or (g(x) and e(x))`
/// spans up to `e(x`'s end), so the ones it opened and did not close are
/// added back.
fn balanced(text: &str) -> String {
    let open = text.matches('(').count();
    let close = text.matches(')').count();
    let mut out = text.to_string();
    for _ in close..open {
        out.push(')');
    }
    out
}
