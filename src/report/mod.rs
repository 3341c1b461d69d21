//! Reports: an [`crate::Checked`] run → text a person reads or JSON a
//! script reads. Deterministic: lists are sorted by id then bindings, times
//! are printed in the rules' zone with their offset, nothing depends on the
//! clock or the machine.

pub mod ci;
pub mod exchange;
pub mod explain;
pub mod graph;
pub mod json;
pub mod snapshot;
pub mod text;

use std::borrow::Cow;
use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::Checked;
use crate::eval::{Instance, Verdict};
use crate::model::{Bound, Commitment, Model, Status, Value, Zone};

/// The verdicts that fail a run (exit status 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailOn {
    /// Commitment statuses that fail.
    pub statuses: Vec<Status>,
    /// Claim verdicts that fail.
    pub verdicts: Vec<Verdict>,
}

impl Default for FailOn {
    fn default() -> Self {
        FailOn {
            statuses: vec![Status::Violated],
            verdicts: vec![Verdict::Contradicted],
        }
    }
}

impl FailOn {
    /// Parses `violated,contradicted,pending`; an empty list fails nothing.
    pub fn parse(list: &str) -> Result<FailOn, String> {
        let mut f = FailOn {
            statuses: Vec::new(),
            verdicts: Vec::new(),
        };
        for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            if let Some(s) = Status::from_name(word) {
                f.statuses.push(s);
            } else if let Some(v) = [
                Verdict::Consistent,
                Verdict::Contradicted,
                Verdict::Unverifiable,
            ]
            .into_iter()
            .find(|v| v.name() == word)
            {
                f.verdicts.push(v);
            } else {
                return Err(format!("`{word}` is not a status or a verdict"));
            }
        }
        Ok(f)
    }

    /// True when some verdict of the run is in the set.
    pub fn fails(&self, run: &Checked) -> bool {
        let as_of = run.eval.as_of;
        run.eval
            .commitments
            .iter()
            .flat_map(|c| &c.list)
            .any(|i| self.statuses.contains(&i.status_at(as_of)))
            || run.eval.streamed.as_ref().is_some_and(|store| {
                store
                    .counts()
                    .any(|(st, n)| n > 0 && self.statuses.contains(&st))
            })
            || run
                .eval
                .claims
                .iter()
                .any(|c| self.verdicts.contains(&c.verdict))
    }
}

/// An instant in the report's zone: `2025-05-25T18:00:00+03:00`.
pub fn fmt_time(t: Timestamp, zone: &Zone) -> String {
    if t == Timestamp::MIN || t == Timestamp::MAX {
        return if t == Timestamp::MIN {
            "the beginning".into()
        } else {
            "the end of time".into()
        };
    }
    let z = t.to_zoned_datetime(zone.tz.clone());
    let base = z.strftime("%Y-%m-%dT%H:%M:%S").to_string();
    let frac = if z.subsec_nanosecond() != 0 {
        let s = format!(".{:09}", z.subsec_nanosecond());
        s.trim_end_matches('0').to_string()
    } else {
        String::new()
    };
    let off = z.strftime("%:z").to_string();
    let off = if off == "+00:00" && zone.name == "UTC" {
        "Z".to_string()
    } else {
        off
    };
    format!("{base}{frac}{off}")
}

/// A deadline for people: a day's end reads "end of 2025-05-25".
pub fn fmt_bound(b: Bound, zone: &Zone) -> String {
    match b.day {
        Some(d) => format!("end of {d} ({})", fmt_time(b.at, zone)),
        None => fmt_time(b.at, zone),
    }
}

/// `order=A1, item=7` for an instance; empty without bindings.
pub fn fmt_bindings(c: &Commitment, values: &[Value]) -> String {
    c.vars
        .iter()
        .zip(values)
        .map(|(v, x)| format!("{}={}", v.name, x))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `memorandum_ru` or `order_sla[order=A1]`.
pub fn instance_name(c: &Commitment, values: &[Value]) -> String {
    if values.is_empty() {
        c.id.clone()
    } else {
        format!("{}[{}]", c.id, fmt_bindings(c, values))
    }
}

/// Counts of instances by status and claims by verdict.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Instances by status (every status present, zero or not).
    pub statuses: BTreeMap<&'static str, u64>,
    /// Claims by verdict.
    pub verdicts: BTreeMap<&'static str, u64>,
}

/// Counts the run's verdicts.
pub fn summary(run: &Checked) -> Summary {
    let mut s = Summary::default();
    for st in Status::ALL {
        s.statuses.insert(st.name(), 0);
    }
    for v in [
        Verdict::Consistent,
        Verdict::Contradicted,
        Verdict::Unverifiable,
    ] {
        s.verdicts.insert(v.name(), 0);
    }
    for i in run.eval.commitments.iter().flat_map(|c| &c.list) {
        *s.statuses
            .entry(i.status_at(run.eval.as_of).name())
            .or_insert(0) += 1;
    }
    if let Some(store) = &run.eval.streamed {
        for (st, n) in store.counts() {
            *s.statuses.entry(st.name()).or_insert(0) += n;
        }
    }
    for c in &run.eval.claims {
        *s.verdicts.entry(c.verdict.name()).or_insert(0) += 1;
    }
    s
}

/// One row of a report: a commitment and one of its instances. Borrowed
/// from the evaluation, or built on the fly from the streaming engine's
/// compact store ([`crate::stream`]).
pub type Row<'r> = (&'r Commitment, Cow<'r, Instance>);

/// Commitments in report order (by id), each with its instances (by
/// bindings), one at a time: a streamed run of millions of instances is
/// never materialised whole.
pub fn sorted_commitments(run: &Checked) -> Box<dyn Iterator<Item = Row<'_>> + '_> {
    if let Some(store) = &run.eval.streamed {
        return Box::new(store.rows(&run.model));
    }
    let mut out: Vec<(&Commitment, &Instance)> = run
        .model
        .commitments
        .iter()
        .zip(&run.eval.commitments)
        .flat_map(|(c, insts)| insts.list.iter().map(move |i| (c, i)))
        .collect();
    out.sort_by(|a, b| {
        a.0.id
            .cmp(&b.0.id)
            .then_with(|| a.1.bindings.cmp(&b.1.bindings))
    });
    Box::new(out.into_iter().map(|(c, i)| (c, Cow::Borrowed(i))))
}

/// The display name of a party.
pub fn party_name<'m>(model: &'m Model, id: &'m str) -> &'m str {
    model
        .parties
        .iter()
        .find(|p| p.id == id)
        .and_then(|p| p.name.as_deref())
        .unwrap_or(id)
}

/// A pattern as written: `memorandum_delivered(by: russia, amount >= 100)`.
pub fn fmt_pattern(model: &Model, p: &crate::model::Pattern, vars: &[crate::model::Var]) -> String {
    let Some(kind) = model.kinds.get(p.kind) else {
        return "?".into();
    };
    let args: Vec<String> = p
        .constraints
        .iter()
        .map(|c| {
            let field = kind.fields.get(c.field).map_or("?", |f| f.name.as_str());
            let value = match &c.operand {
                crate::model::Operand::Lit(Value::Str(s)) => format!("\"{s}\""),
                crate::model::Operand::Lit(v) => v.to_string(),
                crate::model::Operand::Var(i) => {
                    vars.get(*i).map_or("?".into(), |v| v.name.clone())
                }
            };
            match c.op {
                crate::ast::CmpOp::Eq => format!("{field}: {value}"),
                op => format!("{field} {} {value}", op.symbol()),
            }
        })
        .collect();
    format!("{}({})", kind.name, args.join(", "))
}

/// A duration for people, exact: `7 days 22 hours 5 minutes`.
pub fn fmt_span_of(d: crate::model::Duration) -> String {
    let crate::model::Duration::Exact(d) = d else {
        return d.to_string();
    };
    let mut secs = d.as_secs();
    let nanos = d.subsec_nanos();
    if secs == 0 && nanos == 0 {
        return "0 seconds".into();
    }
    let mut parts = Vec::new();
    for (unit, size) in [
        ("day", 86_400),
        ("hour", 3600),
        ("minute", 60),
        ("second", 1),
    ] {
        let n = secs / size;
        secs %= size;
        if n != 0 {
            parts.push(format!("{n} {unit}{}", if n == 1 { "" } else { "s" }));
        }
    }
    if nanos != 0 {
        parts.push(format!("{nanos} nanoseconds"));
    }
    parts.join(" ")
}

/// What the logs exercised (design §10, `--coverage`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Commitments that nothing in the logs ever put in force.
    pub untriggered: Vec<String>,
    /// Event kinds in the logs that no rule reads, with their line counts.
    pub unread_kinds: BTreeMap<String, u64>,
}

fn cond_kinds(c: &crate::model::Cond, out: &mut Vec<usize>) {
    use crate::model::Cond;
    match c {
        Cond::And(a, b) | Cond::Or(a, b) => {
            cond_kinds(a, out);
            cond_kinds(b, out);
        }
        Cond::Not(a) => cond_kinds(a, out),
        Cond::Event(p) => out.push(p.kind),
        Cond::Status(..) | Cond::Time(_) => {}
    }
}

/// Computes the coverage of a run.
pub fn coverage(run: &Checked) -> Coverage {
    use crate::model::{Says, Trigger};
    let mut read: Vec<usize> = Vec::new();
    for c in &run.model.commitments {
        read.push(c.action.kind);
        if let Trigger::After(cond) = &c.trigger {
            cond_kinds(cond, &mut read);
        }
        if let Some(u) = &c.unless {
            cond_kinds(u, &mut read);
        }
    }
    for c in &run.model.claims {
        if let Says::Event { pattern, .. } = &c.says {
            read.push(pattern.kind);
        }
    }
    let mut unread_kinds: BTreeMap<String, u64> = run.log.ignored.clone();
    for e in &run.log.events {
        if !read.contains(&e.kind) {
            if let Some(k) = run.model.kinds.get(e.kind) {
                *unread_kinds.entry(k.name.clone()).or_insert(0) += 1;
            }
        }
    }
    let mut untriggered: Vec<String> = run
        .model
        .commitments
        .iter()
        .zip(&run.eval.commitments)
        .filter(|(_, insts)| {
            !insts
                .list
                .iter()
                .any(|i| i.from_start || i.trigger.is_some())
        })
        .map(|(c, _)| c.id.clone())
        .collect();
    untriggered.sort();
    Coverage {
        untriggered,
        unread_kinds,
    }
}

/// Where a param's verdict flips, for people.
pub fn fmt_threshold(t: crate::eval::params::Threshold, zone: &Zone) -> String {
    match t {
        crate::eval::params::Threshold::Length(d) => fmt_span_of(d),
        crate::eval::params::Threshold::Instant(ts) => fmt_time(ts, zone),
    }
}
