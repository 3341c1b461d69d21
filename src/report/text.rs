//! The human report: verdicts grouped by status, each with its rule, its
//! trigger, deadline and deciding events (`file:line`), then claims,
//! disputes and a summary.

use std::fmt::Write as _;
use std::io;

use super::{fmt_bound, fmt_time, instance_name, rows_with, summary};
use crate::Checked;
use crate::eval::{ClaimVerdict, Evidence, Instance, Item, Verdict};
use crate::model::{Commitment, Origin, Says, Status, Window};

/// `3 violated, 1 pending` in the given order, skipping zeros; `none` when all are zero.
fn counts(m: &std::collections::BTreeMap<&'static str, u64>, order: &[&str]) -> String {
    let parts: Vec<String> = order
        .iter()
        .filter_map(|k| m.get(k).filter(|n| **n > 0).map(|n| format!("{n} {k}")))
        .collect();
    if parts.is_empty() {
        "none".to_string()
    } else {
        parts.join(", ")
    }
}

/// The first two lines of the text and summary reports: the as-of and the logs read.
fn write_header(out: &mut String, run: &Checked) {
    let zone = &run.model.zone;
    let _ = writeln!(
        out,
        "pacta check as of {} ({})",
        fmt_time(run.eval.as_of, zone),
        zone.name
    );
    let _ = writeln!(out, "{}", log_line(run));
}

/// When the claimed state came later: shared by the report and `explain`.
pub(super) fn claim_timing(out: &mut String, run: &Checked, v: &ClaimVerdict, indent: &str) {
    let zone = &run.model.zone;
    if let Some(l) = v.later {
        let _ = writeln!(
            out,
            "{indent}the claimed state came later, {}",
            fmt_moment(l, zone)
        );
    }
}

/// `at TIME`, or `just after TIME` for a moment just after an instant (a
/// deadline passing).
pub(super) fn fmt_moment(m: crate::eval::Moment, zone: &crate::model::Zone) -> String {
    let when = if m.after { "just after" } else { "at" };
    format!("{when} {}", fmt_time(m.at, zone))
}

/// How a claim's time is read, after its day or instant: shared by the
/// report and `explain`.
pub(super) fn claim_when(run: &Checked, c: &crate::model::Claim) -> String {
    let zone = &run.model.zone;
    match c.at.day {
        Some(d) => format!(
            "on {d} (at any instant of that day, on the evidence up to {})",
            fmt_time(c.at.judged_at, zone)
        ),
        None => format!("at {}", fmt_time(c.at.judged_at, zone)),
    }
}

/// Renders the text report.
pub fn render(run: &Checked) -> String {
    render_styled(run, false)
}

/// Writes the piece built in `out` (a heading, an instance, a claim) to `w`
/// and empties `out`: the reports are streamed a piece at a time, so the
/// report of millions of instances is never one string.
fn flush(out: &mut String, w: &mut dyn io::Write) -> io::Result<()> {
    w.write_all(out.as_bytes())?;
    out.clear();
    Ok(())
}

/// What a writer writes, as one string: the `render_*` functions are the
/// `write_*` ones run into memory.
fn written(write: impl FnOnce(&mut dyn io::Write) -> io::Result<()>) -> String {
    let mut buf = Vec::new();
    // Writing into a `Vec` cannot fail.
    let _ = write(&mut buf);
    String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The `--coverage` section: commitments never triggered, kinds no rule reads.
pub fn render_coverage(run: &Checked) -> String {
    let cov = super::coverage(run);
    let mut out = String::from("\nCOVERAGE\n");
    if cov.untriggered.is_empty() {
        out.push_str("  every commitment was triggered\n");
    } else {
        let list: Vec<String> = cov.untriggered.iter().map(|c| format!("`{c}`")).collect();
        let _ = writeln!(out, "  never triggered: {}", list.join(", "));
    }
    if cov.unread_kinds.is_empty() {
        out.push_str("  every event kind in the logs is read by a rule\n");
    } else {
        let list: Vec<String> = cov
            .unread_kinds
            .iter()
            .map(|(k, n)| format!("`{k}` ({n} line{})", plural(*n)))
            .collect();
        let _ = writeln!(out, "  event kinds no rule reads: {}", list.join(", "));
    }
    out
}

/// Colour of a status heading.
fn status_style(s: Status) -> anstyle::Style {
    use anstyle::{AnsiColor, Style};
    let c = match s {
        Status::Violated => AnsiColor::Red,
        Status::Pending => AnsiColor::Yellow,
        Status::Fulfilled => AnsiColor::Green,
        _ => AnsiColor::BrightBlack,
    };
    Style::new().bold().fg_color(Some(c.into()))
}

fn paint(text: &str, style: anstyle::Style, colour: bool) -> String {
    if colour {
        format!("{}{text}{}", style.render(), style.render_reset())
    } else {
        text.to_string()
    }
}

/// Renders the text report, with ANSI colour on status headings and
/// verdicts when `colour` is set (the CLI sets it only on a terminal
/// without `NO_COLOR`).
pub fn render_styled(run: &Checked, colour: bool) -> String {
    written(|w| write_styled(run, colour, w))
}

/// Writes the text report of [`render_styled`] to `w`, one instance, claim
/// or dispute at a time.
pub fn write_styled(run: &Checked, colour: bool, w: &mut dyn io::Write) -> io::Result<()> {
    let mut out = String::new();
    write_header(&mut out, run);
    let s = summary(run);
    for status in Status::ALL {
        let n = s.statuses.get(status.name()).copied().unwrap_or(0);
        if n == 0 {
            continue;
        }
        let heading = format!("{} ({n})", status.name().to_uppercase());
        let _ = writeln!(out, "\n{}", paint(&heading, status_style(status), colour));
        flush(&mut out, w)?;
        // The instances, formatted on every core and written in order.
        let keep = move |st| st == status;
        let rows = move || super::blocks(run, keep);
        let format = |block: super::Block<'_>, buf: &mut Vec<u8>| {
            // Into the worker's recycled buffer (cleared, so valid text).
            let mut text = String::from_utf8(std::mem::take(buf)).unwrap_or_default();
            match block {
                super::Block::Rows(rows) => {
                    for (c, i) in &rows {
                        render_instance(&mut text, run, c, i, status);
                    }
                }
                super::Block::Stored(ci, range) => {
                    let store = run.eval.streamed.as_ref();
                    if let (Some(store), Some(c)) = (store, run.model.commitments.get(ci)) {
                        for i in store.instances(&run.model, (ci, range), keep) {
                            render_instance(&mut text, run, c, &i, status);
                        }
                    }
                }
            }
            *buf = text.into_bytes();
        };
        let start = super::ListStart { open: b"", skip: 0 };
        if super::write_blocks(rows, format, start, w)?.is_none() {
            write_rows_one_thread(run, status, w)?;
        }
    }
    super::rows_read(run)?;
    if !run.eval.claims.is_empty() {
        let _ = writeln!(out, "\nCLAIMS ({})", run.eval.claims.len());
        for v in &run.eval.claims {
            render_claim(&mut out, run, v, colour);
            flush(&mut out, w)?;
        }
    }
    if !run.eval.disputes.is_empty() {
        let _ = writeln!(out, "\nDISPUTES ({})", run.eval.disputes.len());
        for d in &run.eval.disputes {
            let side = match &d.supported {
                Some(s) => format!("the evidence supports `{s}`"),
                None => "the evidence supports neither".to_string(),
            };
            let _ = writeln!(out, "  `{}` vs `{}`: {side}", d.a, d.b);
            flush(&mut out, w)?;
        }
    }
    let status_order: Vec<&str> = Status::ALL.iter().map(|s| s.name()).collect();
    let _ = writeln!(out, "\nSUMMARY");
    let _ = writeln!(out, "  commitments: {}", counts(&s.statuses, &status_order));
    let _ = writeln!(
        out,
        "  claims: {}",
        counts(&s.verdicts, &["contradicted", "consistent", "unverifiable"])
    );
    flush(&mut out, w)
}

/// The instances of one status, on the calling thread alone: the bytes
/// of the rows [`write_styled`] writes on every core.
fn write_rows_one_thread(run: &Checked, status: Status, w: &mut dyn io::Write) -> io::Result<()> {
    let mut out = String::new();
    for (c, i) in rows_with(run, move |st| st == status) {
        render_instance(&mut out, run, c, &i, status);
        flush(&mut out, w)?;
    }
    Ok(())
}

fn log_line(run: &Checked) -> String {
    let log = &run.log;
    let mut parts = vec![format!(
        "{} log line{} read, {} event{} of declared kinds, {} claim{} from logs",
        log.lines,
        plural(log.lines),
        log.event_count(),
        plural(log.event_count()),
        log.claims.len(),
        plural(log.claims.len() as u64)
    )];
    if !log.ignored.is_empty() {
        let total: u64 = log.ignored.values().sum();
        let kinds: Vec<String> = log
            .ignored
            .iter()
            .map(|(k, n)| format!("{k}: {n}"))
            .collect();
        parts.push(format!(
            "{total} of undeclared kinds ignored ({})",
            kinds.join(", ")
        ));
    }
    if log.skipped > 0 {
        let first = log
            .first_skipped
            .as_ref()
            .map(|(r, m)| format!("; first at {}: {m}", run.sources.log_ref(*r)))
            .unwrap_or_default();
        parts.push(format!(
            "{} bad line{} skipped{first}",
            log.skipped,
            plural(log.skipped)
        ));
    }
    let after = log.events_after(run.eval.as_of);
    if after > 0 {
        parts.push(format!(
            "{after} event{} after the as-of not counted",
            plural(after)
        ));
    }
    parts.join("; ")
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn render_instance(out: &mut String, run: &Checked, c: &Commitment, i: &Instance, status: Status) {
    let zone = &run.model.zone;
    let title = c
        .title
        .as_deref()
        .map(|t| format!("  {t}"))
        .unwrap_or_default();
    let _ = writeln!(out, "  {}{title}", instance_name(c, &i.bindings));
    let parties = match &c.creditor {
        Some(to) => format!("by {} to {to}", c.debtor),
        None => format!("by {}", c.debtor),
    };
    let _ = writeln!(
        out,
        "    rule      {} ({parties})",
        run.sources.location(c.span)
    );
    if i.from_start {
        let _ = writeln!(out, "    in force  from the start");
    } else if let Some(t) = i.trigger {
        let _ = writeln!(out, "    in force  {}", fmt_time(t.at, zone));
    }
    if let Some(o) = i.opens {
        let _ = writeln!(out, "    opens     {}", fmt_time(o, zone));
    }
    if let Some(d) = i.deadline {
        let how = match (&c.window, c.spans.window) {
            (Window::Within { .. }, Some(span)) => {
                format!(" ({})", run.sources.snippet(span).trim())
            }
            _ => String::new(),
        };
        let label = if c.prohibition {
            "closes   "
        } else {
            "deadline "
        };
        let _ = writeln!(out, "    {label} {}{how}", fmt_bound(d, zone));
    } else if matches!(c.window, Window::Open)
        && !matches!(status, Status::Inactive | Status::Expired)
    {
        let _ = writeln!(out, "    deadline  none");
    }
    if let Some(f) = i.flip.as_deref() {
        let _ = writeln!(
            out,
            "    param     {} = {}; {} if {} {} {}",
            f.param,
            f.value,
            f.to,
            f.param,
            f.op,
            super::fmt_threshold(f.at, &run.model.zone)
        );
    }
    if let Some(p) = i.progress {
        let _ = writeln!(
            out,
            "    progress  {} of {}",
            p.value.normalize(),
            p.target.normalize()
        );
    }
    match status {
        Status::Fulfilled | Status::Violated | Status::Cancelled => {
            if let Some(d) = i.decision {
                let _ = writeln!(out, "    {:<9} {}", status.name(), fmt_time(d.at.at, zone));
            }
        }
        Status::Expired => {
            if let Some(m) = i.expired {
                let _ = writeln!(out, "    expired   {}", fmt_time(m.at, zone));
            }
        }
        _ => {}
    }
    if let Some(l) = i.late {
        let _ = writeln!(out, "    late      fulfilled late at {}", fmt_time(l, zone));
    }
    for (n, e) in i.evidence.iter().enumerate() {
        let head = if n == 0 { "evidence" } else { "" };
        let _ = writeln!(out, "    {head:<9} {}", evidence_line(run, e));
    }
}

/// One line of evidence: role, what, when, where, and its source (cut short).
pub fn evidence_line(run: &Checked, e: &Evidence) -> String {
    evidence_line_with(run, e, true)
}

/// One line of evidence, with or without the event's `source`.
pub fn evidence_line_with(run: &Checked, e: &Evidence, with_source: bool) -> String {
    let zone = &run.model.zone;
    let at = fmt_time(e.at, zone);
    let what = match &e.item {
        Item::Event {
            origin,
            kind,
            source,
        } => {
            let kind = run.model.kinds.get(*kind).map_or("?", |k| k.name.as_str());
            let src = source
                .as_deref()
                .filter(|_| with_source)
                .map(|s| format!(" source: \"{}\"", shorten(s, 100)))
                .unwrap_or_default();
            format!("{} at {at} ({}){src}", kind, run.sources.log_ref(*origin))
        }
        Item::Commitment {
            commitment,
            bindings,
            status,
        } => match run.model.commitments.get(*commitment) {
            Some(c) => format!("`{}` {status} at {at}", instance_name(c, bindings)),
            None => format!("commitment {status} at {at}"),
        },
        Item::Time => format!("{at} came"),
        Item::Deadline => format!("deadline {at} passed"),
        Item::WindowClosed => format!("window closed at {at}"),
        Item::WindowOpened => format!("window opened at {at}, bound met with no event"),
        Item::Never => "its trigger can never happen (see `pacta lint`)".to_string(),
    };
    format!("{:<12} {what}", e.role.name())
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        let head: String = s.chars().take(n).collect();
        format!("{head}…")
    } else {
        s.to_string()
    }
}

fn render_claim(out: &mut String, run: &Checked, v: &ClaimVerdict, colour: bool) {
    let zone = &run.model.zone;
    let c = &v.claim;
    let title = c
        .title
        .as_deref()
        .map(|t| format!("  \"{}\"", shorten(t, 100)))
        .unwrap_or_default();
    let style = match v.verdict {
        Verdict::Contradicted => status_style(Status::Violated),
        Verdict::Consistent => status_style(Status::Fulfilled),
        Verdict::Unverifiable => status_style(Status::Inactive),
    };
    let word = paint(&format!("{:<13}", v.verdict.name()), style, colour);
    let _ = writeln!(out, "  {word} {}{title}", c.id);
    let _ = writeln!(out, "    by {} {}", c.by, claim_when(run, c));
    let says = says_text(run, &c.says);
    let held = v
        .held
        .map(|m| format!(" (held {})", fmt_moment(m, zone)))
        .unwrap_or_default();
    let found = match (&v.verdict, &v.actual) {
        (Verdict::Unverifiable, _) => {
            format!("unverifiable: {}", v.reason.as_deref().unwrap_or(""))
        }
        (_, Some(a)) => format!("found: {a}{held}"),
        (_, None) => String::new(),
    };
    let _ = writeln!(out, "    says {says}; {found}");
    claim_timing(out, run, v, "    ");
    for (n, e) in v.evidence.iter().enumerate() {
        let head = if n == 0 { "evidence" } else { "" };
        let _ = writeln!(out, "    {head:<9} {}", evidence_line(run, e));
    }
    let loc = match c.origin {
        Origin::Rule(span) => format!("rule {}", run.sources.location(span)),
        Origin::Log(r) => format!("log {}", run.sources.log_ref(r)),
    };
    let src = c
        .source
        .as_deref()
        .map(|s| format!(", source: \"{}\"", shorten(s, 100)))
        .unwrap_or_default();
    let _ = writeln!(out, "    {loc}{src}");
}

/// What a claim says, as text.
pub fn says_text(run: &Checked, says: &Says) -> String {
    match says {
        Says::Status {
            commitment,
            bindings,
            status,
        } => {
            let name = match (run.model.commitments.get(*commitment), bindings) {
                (Some(c), Some(b)) => instance_name(c, b),
                (Some(c), None) => c.id.clone(),
                _ => "?".into(),
            };
            format!("{name} is {status}")
        }
        Says::Unknown { about, status } => format!("{about} is {status}"),
        Says::Event { pattern, happened } => {
            let p = super::fmt_pattern(&run.model, pattern, &[]);
            format!(
                "{p} {}",
                if *happened {
                    "happened"
                } else {
                    "did not happen"
                }
            )
        }
    }
}

/// The summary report: counts per status and verdict, then only the
/// instances and claims that fail the run (the `--fail-on` set).
pub fn render_summary(run: &Checked, fail_on: &super::FailOn) -> String {
    written(|w| write_summary(run, fail_on, w))
}

/// Writes the summary report of [`render_summary`] to `w`, one failing
/// instance or claim at a time.
pub fn write_summary(
    run: &Checked,
    fail_on: &super::FailOn,
    w: &mut dyn io::Write,
) -> io::Result<()> {
    let mut out = String::new();
    let zone = &run.model.zone;
    let as_of = run.eval.as_of;
    write_header(&mut out, run);
    let s = summary(run);
    let status_order: Vec<&str> = Status::ALL.iter().map(|s| s.name()).collect();
    let _ = writeln!(out, "commitments: {}", counts(&s.statuses, &status_order));
    let _ = writeln!(
        out,
        "claims: {}",
        counts(&s.verdicts, &["contradicted", "consistent", "unverifiable"])
    );
    // The count heads the list, so it comes from the counts, not from the
    // lines (which are streamed after it). Each status once, however often
    // `--fail-on` names it.
    // INVARIANT: `summary` counts exactly the rows `rows_with`
    // yields (the text report's headings rely on it too).
    let failing_instances: u64 = Status::ALL
        .iter()
        .filter(|st| fail_on.statuses.contains(st))
        .map(|st| s.statuses.get(st.name()).copied().unwrap_or(0))
        .sum();
    let failing_claims = run
        .eval
        .claims
        .iter()
        .filter(|v| fail_on.verdicts.contains(&v.verdict))
        .count() as u64;
    let failing = failing_instances + failing_claims;
    if failing == 0 {
        let _ = writeln!(out, "nothing fails the run");
        return flush(&mut out, w);
    }
    let _ = writeln!(out, "failing ({failing}):");
    flush(&mut out, w)?;
    if failing_instances > 0 {
        let failing = &fail_on.statuses;
        for (c, i) in rows_with(run, |st| failing.contains(&st)) {
            let st = i.status_at(as_of);
            let when = i
                .deadline
                .map(|d| format!(" (deadline {})", fmt_time(d.at, zone)))
                .unwrap_or_default();
            let _ = writeln!(out, "  {} {st}{when}", instance_name(c, &i.bindings));
            flush(&mut out, w)?;
        }
    }
    super::rows_read(run)?;
    for v in &run.eval.claims {
        if fail_on.verdicts.contains(&v.verdict) {
            let _ = writeln!(out, "  claim {} {}", v.claim.id, v.verdict.name());
        }
    }
    flush(&mut out, w)
}

#[cfg(test)]
mod one_thread_tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

    use crate::model::Status;

    /// The rows written on every core are those written on one thread, in
    /// the same order, for every status (the order_sla example has
    /// instances of four).
    #[test]
    fn one_thread_writes_the_rows_of_many() {
        let run = crate::report::example_run("order_sla");
        let report = super::render(&run);
        let mut statuses = 0;
        for status in Status::ALL {
            let mut one = Vec::new();
            super::write_rows_one_thread(&run, status, &mut one).unwrap();
            let one = String::from_utf8(one).unwrap();
            if one.is_empty() {
                continue;
            }
            statuses += 1;
            let heading = format!("{} (", status.name().to_uppercase());
            let at = report.find(&heading).expect("a heading per status");
            let rows = report.get(at..).and_then(|r| r.split_once('\n')).unwrap().1;
            assert!(rows.starts_with(&one), "{status:?}");
        }
        assert!(statuses >= 2);
    }
}
