//! Lints (`pacta lint`): warnings about rules that resolve and order
//! without error but cannot do what their author meant — a duty that can
//! never be violated, a trigger that can never happen, a window that closes
//! before its commitment can come in force, a condition that any one of
//! several instances decides (a partial join), declarations nothing uses.
//! Runs after the graph: `parse → resolve → graph → lint`. Every lint is
//! decided statically, from the rules alone; none looks at a log.

use std::collections::HashSet;
use std::path::PathBuf;

use miette::Diagnostic;
use thiserror::Error;

use crate::Failure;
use crate::ast;
use crate::diagnostics::{Diagnostics, Located};
use crate::eval::Moment;
use crate::load;
use crate::model::{
    Commitment, CommitmentIdx, Cond, Duration, Model, Operand, Pattern, Says, Status, Trigger,
    Value, Window,
};
use crate::report::fmt_time;
use crate::source::{SourceId, SourceMap};
use crate::span::Span;

/// How deep [`trigger_possible`] and the time bounds follow `after`
/// chains; the graph refuses cycles, this only bounds the work.
const MAX_DEPTH: usize = 64;

/// A warning about rules that are valid but probably not what was meant.
#[derive(Debug, Error, Diagnostic)]
pub enum Lint {
    /// A `must` without `within`, `by` or `between`: its instances stay
    /// pending forever and are never violated, so the rule can never fail.
    /// Example: `must pay(order)` with no deadline. Fix: add one.
    #[error("commitment `{id}` has no deadline, so it can never be violated")]
    #[diagnostic(
        code(pacta::lint::must_without_deadline),
        severity(Warning),
        help(
            "add `within DURATION`, `by TIME` or `between START and END`; without one every instance stays pending forever"
        )
    )]
    MustWithoutDeadline {
        /// The commitment.
        id: String,
        /// Its `must` clause.
        #[label("`must` without a deadline")]
        span: Span,
    },

    /// An `after` condition (or, for a reparation, the violations that
    /// trigger it) that can never become true, so the commitment never
    /// comes in force. Example: `after nda is fulfilled` where `nda` is a
    /// `must not` without a window, which can be violated but never
    /// fulfilled. Fix: wait for something that can happen.
    #[error("the trigger of commitment `{id}` can never happen")]
    #[diagnostic(
        code(pacta::lint::trigger_never_happens),
        severity(Warning),
        help("{reason}")
    )]
    TriggerNeverHappens {
        /// The commitment.
        id: String,
        /// Its `after` clause, or its id for a reparation.
        #[label("{label}")]
        span: Span,
        /// What the label says.
        label: String,
        /// Why it can never happen.
        reason: String,
    },

    /// A `by` or `between` window that closes before the earliest moment
    /// the trigger can come, so every instance expires. Example: `after
    /// 2025-06-10` with `by 2025-06-01`. Fix: move the deadline, or count
    /// from the trigger with `within`.
    #[error("commitment `{id}` can never come in force: its window closes before its trigger")]
    #[diagnostic(
        code(pacta::lint::window_closes_before_opens),
        severity(Warning),
        help("{help}")
    )]
    WindowClosesBeforeOpens {
        /// The commitment.
        id: String,
        /// The window clause.
        #[label("closes at {closes}")]
        span: Span,
        /// The trigger (`after` clause), when it is in the same file.
        #[label("{trigger_label}")]
        trigger: Option<Span>,
        /// What the trigger label says.
        trigger_label: String,
        /// When the window closes.
        closes: String,
        /// How to fix it.
        help: String,
    },

    /// An aggregate's bound that no event is needed to reach
    /// (`with count >= 0`): it is reached as the window opens, so a `must`
    /// is fulfilled and a `must not` violated at once, whatever the log
    /// says. Fix: a positive bound.
    #[error(
        "the bound of commitment `{id}` is reached before any event: it is {verdict} as its window opens"
    )]
    #[diagnostic(
        code(pacta::lint::bound_needs_no_event),
        severity(Warning),
        help(
            "give a positive bound (`with count >= 1`); a bound of {bound} decides every instance without evidence"
        )
    )]
    BoundNeedsNoEvent {
        /// The commitment.
        id: String,
        /// Its `must` clause.
        #[label("`with … >= {bound}`")]
        span: Span,
        /// The bound.
        bound: String,
        /// `fulfilled` or `violated`.
        verdict: &'static str,
    },

    /// `within 0 …`: the window opens and closes at the same instant, so
    /// only an event at exactly the trigger's time counts. Fix: give a
    /// positive duration.
    #[error("the window of commitment `{id}` has no length")]
    #[diagnostic(
        code(pacta::lint::empty_window),
        severity(Warning),
        help(
            "only an event at the very instant of the trigger would count; give a positive duration such as `within 1 day`"
        )
    )]
    EmptyWindow {
        /// The commitment.
        id: String,
        /// The window clause.
        #[label("zero length")]
        span: Span,
    },

    /// A condition (`after` or `unless`) that names a commitment with `for
    /// each` variables the waiting commitment does not have. The two join on
    /// the variables they share, so the first of the named commitment's
    /// matching instances to reach the status decides, while the others may
    /// still be open. Example: `pack` per order and item, `ship` per order
    /// `after pack`: `ship[order: "A"]` comes in force as soon as one item of
    /// order A is packed. Fix: to wait for every instance, wait on an event
    /// that says so (`order_packed(order)`); or give the waiting commitment
    /// the same variables.
    #[error("`{id}` waits on `{other}`, which has {extra} that `{id}` does not")]
    #[diagnostic(code(pacta::lint::partial_join), severity(Warning), help("{help}"))]
    PartialJoin {
        /// The waiting commitment.
        id: String,
        /// The commitment its condition names.
        other: String,
        /// "the variable `item`", "the variables `order`, `item`".
        extra: String,
        /// The condition's clause.
        #[label("{label}")]
        span: Span,
        /// What the label says.
        label: String,
        /// Which instance decides, and what to do instead.
        help: String,
    },

    /// A party no commitment, claim or pattern names. Fix: remove it —
    /// unless only the logs name it in a `party` field (logs may only name
    /// declared parties).
    #[error("party `{name}` is declared but never used")]
    #[diagnostic(
        code(pacta::lint::unused_party),
        severity(Warning),
        help(
            "no commitment, claim or pattern names it; remove it, unless only the logs name it in a `party` field"
        )
    )]
    UnusedParty {
        /// The party.
        name: String,
        /// Its declaration.
        #[label("never used")]
        span: Span,
    },

    /// An event kind no pattern reads: its log events change no verdict.
    /// Fix: use it in `must`, `after`, `unless` or `says`, or remove it.
    #[error("event kind `{name}` is declared but never used")]
    #[diagnostic(
        code(pacta::lint::unused_event),
        severity(Warning),
        help(
            "no `must`, `after`, `unless` or `says` pattern reads it, so its events change no verdict; use it or remove it"
        )
    )]
    UnusedEvent {
        /// The kind.
        name: String,
        /// Its declaration.
        #[label("never used")]
        span: Span,
    },

    /// A param no rule reads: `--param NAME=…` would change nothing.
    /// Fix: use it (`within NAME`, `by NAME`, an end of `between`, a pattern
    /// value or an aggregate's bound) or remove it.
    #[error("param `{name}` is declared but never used")]
    #[diagnostic(
        code(pacta::lint::unused_param),
        severity(Warning),
        help(
            "no deadline, pattern or aggregate names it, so `--param {name}=…` would change nothing; use it or remove it"
        )
    )]
    UnusedParam {
        /// The param.
        name: String,
        /// Its declaration.
        #[label("never used")]
        span: Span,
    },
}

impl Lint {
    /// Where the lint points: the offending declaration or clause.
    pub fn span(&self) -> Span {
        match self {
            Lint::MustWithoutDeadline { span, .. }
            | Lint::TriggerNeverHappens { span, .. }
            | Lint::WindowClosesBeforeOpens { span, .. }
            | Lint::EmptyWindow { span, .. }
            | Lint::BoundNeedsNoEvent { span, .. }
            | Lint::PartialJoin { span, .. }
            | Lint::UnusedParty { span, .. }
            | Lint::UnusedEvent { span, .. }
            | Lint::UnusedParam { span, .. } => *span,
        }
    }

    /// The lint's name, the last part of its code (`must_without_deadline`).
    pub fn name(&self) -> &'static str {
        match self {
            Lint::MustWithoutDeadline { .. } => "must_without_deadline",
            Lint::TriggerNeverHappens { .. } => "trigger_never_happens",
            Lint::WindowClosesBeforeOpens { .. } => "window_closes_before_opens",
            Lint::EmptyWindow { .. } => "empty_window",
            Lint::BoundNeedsNoEvent { .. } => "bound_needs_no_event",
            Lint::PartialJoin { .. } => "partial_join",
            Lint::UnusedParty { .. } => "unused_party",
            Lint::UnusedEvent { .. } => "unused_event",
            Lint::UnusedParam { .. } => "unused_param",
        }
    }
}

impl Located for Lint {
    fn source_id(&self) -> Option<SourceId> {
        Some(self.span().source)
    }
}

/// The lints of a set of rule files, with the files for rendering.
#[derive(Debug)]
pub struct Linted {
    /// The rule files.
    pub sources: SourceMap,
    /// The lints, sorted by file and position.
    pub lints: Vec<Lint>,
}

impl Linted {
    /// The lints as warning diagnostics, to render with
    /// [`Diagnostics::render`] and `self.sources`.
    pub fn into_diagnostics(self) -> (SourceMap, Diagnostics) {
        (self.sources, lints_to_diagnostics(self.lints))
    }
}

/// Loads, resolves and orders the rule files named by `paths` (as `pacta
/// check` does), then lints them. Rules that do not load or resolve give
/// back their diagnostics; lints need valid rules.
pub fn lint_rules(paths: &[PathBuf]) -> Result<Linted, Failure> {
    let loaded = load::load_rules(paths).map_err(|(sources, diags)| Failure { sources, diags })?;
    lint_loaded(loaded)
}

/// Lints rule text already in memory (a single file, no imports followed).
pub fn lint_text(name: &str, text: &str) -> Result<Linted, Failure> {
    let loaded =
        load::load_text(name, text).map_err(|(sources, diags)| Failure { sources, diags })?;
    lint_loaded(loaded)
}

fn lint_loaded(loaded: load::Loaded) -> Result<Linted, Failure> {
    let files = loaded.files.clone();
    let rules = crate::loaded_to_model(loaded, &[])?;
    let lints = lint(&rules.model, &files);
    Ok(Linted {
        sources: rules.sources,
        lints,
    })
}

/// Wraps lints as diagnostics (severity: warning).
pub fn lints_to_diagnostics(lints: Vec<Lint>) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for l in lints {
        diags.push(l);
    }
    diags
}

/// Every lint of a resolved model; `files` are the syntax trees it was
/// resolved from (params are only visible there: the model has already
/// replaced them by their values). Sorted by file, then position.
pub fn lint(model: &Model, files: &[(SourceId, ast::File)]) -> Vec<Lint> {
    let mut out = Vec::new();
    for (i, c) in model.commitments.iter().enumerate() {
        commitment_lints(model, i, c, &mut out);
    }
    unused_declarations(model, files, &mut out);
    out.sort_by_key(|l| (l.span().source, l.span().start, l.name()));
    out
}

// ---- commitments -------------------------------------------------------------

fn commitment_lints(model: &Model, idx: CommitmentIdx, c: &Commitment, out: &mut Vec<Lint>) {
    partial_joins(model, c, out);
    if !c.prohibition && matches!(c.window, Window::Open) {
        out.push(Lint::MustWithoutDeadline {
            id: c.id.clone(),
            span: c.spans.must,
        });
    }
    if let Some(a) = c
        .aggregate
        .as_ref()
        .filter(|a| a.at_least <= rust_decimal::Decimal::ZERO)
    {
        out.push(Lint::BoundNeedsNoEvent {
            id: c.id.clone(),
            span: c.spans.must,
            bound: a.at_least.normalize().to_string(),
            verdict: if c.prohibition {
                "violated"
            } else {
                "fulfilled"
            },
        });
    }
    if let Window::Within { duration, .. } = c.window {
        let zero = match duration {
            Duration::Exact(d) => d.is_zero(),
            Duration::BusinessDays(n) => n == 0,
        };
        if zero {
            out.push(Lint::EmptyWindow {
                id: c.id.clone(),
                span: c.spans.window.unwrap_or(c.spans.id),
            });
        }
    }
    if let Err(reason) = crate::eval::reach::trigger_possible(model, idx) {
        let (span, label) = match (&c.trigger, c.spans.after) {
            (Trigger::After(_), Some(after)) => (after, "this can never be true"),
            _ => (c.spans.id, "never triggered"),
        };
        out.push(Lint::TriggerNeverHappens {
            id: c.id.clone(),
            span,
            label: label.into(),
            reason,
        });
        return;
    }
    let close = match &c.window {
        Window::By(b) | Window::Between(_, b) => *b,
        _ => return,
    };
    let Some(opens) = trigger_bound(model, idx, 0) else {
        return;
    };
    // The evaluator's rule: a trigger after the window's last instant
    // cannot put the commitment in force.
    if opens > Moment::at(close.at) {
        let zone = &model.zone;
        let (trigger, trigger_label, help) = match &c.trigger {
            Trigger::Reparation(_) => (
                None,
                String::new(),
                format!(
                    "a reparation comes in force when a commitment naming it in `otherwise` is violated, at {} at the earliest; move the deadline later, or count from the violation with `within`",
                    fmt_time(opens.at, zone)
                ),
            ),
            _ => (
                c.spans.after.filter(|s| s.source == c.spans.id.source),
                format!("true at {} at the earliest", fmt_time(opens.at, zone)),
                "move the deadline after the trigger, or count from the trigger with `within DURATION`"
                    .to_string(),
            ),
        };
        out.push(Lint::WindowClosesBeforeOpens {
            id: c.id.clone(),
            span: c.spans.window.unwrap_or(c.spans.id),
            trigger,
            trigger_label,
            closes: match close.day {
                Some(day) => format!("the end of {day}"),
                None => fmt_time(close.at, zone),
            },
            help,
        });
    }
}

/// [`Lint::PartialJoin`]: each commitment a condition of `c` names (with
/// the status it waits for) that has variables `c` does not, once per
/// clause, commitment and status.
fn partial_joins(model: &Model, c: &Commitment, out: &mut Vec<Lint>) {
    fn named(cond: &Cond, out: &mut Vec<(CommitmentIdx, Status)>) {
        match cond {
            Cond::And(a, b) | Cond::Or(a, b) => {
                named(a, out);
                named(b, out);
            }
            Cond::Not(a) => named(a, out),
            Cond::Status(i, st) => {
                if !out.contains(&(*i, *st)) {
                    out.push((*i, *st));
                }
            }
            Cond::Time(_) | Cond::Event(_) => {}
        }
    }
    let clauses = [
        (
            match &c.trigger {
                Trigger::After(cond) => Some(cond),
                _ => None,
            },
            c.spans.after,
            "puts it in force",
        ),
        (
            c.unless.as_ref(),
            c.spans.unless,
            "cancels it (if it is still open)",
        ),
    ];
    let quote = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (cond, span, effect) in clauses {
        let Some(cond) = cond else {
            continue;
        };
        let mut found = Vec::new();
        named(cond, &mut found);
        for (other, status) in found {
            let Some(oc) = model.commitments.get(other) else {
                continue;
            };
            let has = |name: &str| c.vars.iter().any(|v| v.name == name);
            let extra: Vec<&str> = oc
                .vars
                .iter()
                .map(|v| v.name.as_str())
                .filter(|n| !has(n))
                .collect();
            if extra.is_empty() {
                continue;
            }
            let shared: Vec<&str> = oc
                .vars
                .iter()
                .map(|v| v.name.as_str())
                .filter(|n| has(n))
                .collect();
            let which = if shared.is_empty() {
                format!("the first instance of `{}`", oc.id)
            } else {
                format!(
                    "the first instance of `{}` with the same {}",
                    oc.id,
                    quote(&shared)
                )
            };
            let st = status.name();
            out.push(Lint::PartialJoin {
                id: c.id.clone(),
                other: oc.id.clone(),
                extra: format!(
                    "the variable{} {}",
                    if extra.len() > 1 { "s" } else { "" },
                    quote(&extra)
                ),
                span: span.unwrap_or(c.spans.id),
                label: format!("any one instance of `{}` decides", oc.id),
                help: format!(
                    "{which} to be {st} {effect}, even while other instances of `{}` are still open; to wait for all of them, wait on an event that says so, or give `{}` the same variables",
                    oc.id, c.id
                ),
            });
        }
    }
}

/// The earliest moment the commitment's trigger can come, when the rules
/// fix one (time literals, and windows of the commitments it waits on).
fn trigger_bound(model: &Model, idx: CommitmentIdx, depth: usize) -> Option<Moment> {
    let c = model.commitments.get(idx)?;
    if depth > MAX_DEPTH {
        return None;
    }
    match &c.trigger {
        Trigger::Immediate => None,
        Trigger::After(cond) => cond_bound(model, cond, depth + 1),
        Trigger::Reparation(sources) => {
            let mut earliest: Option<Moment> = None;
            for &s in sources {
                let b = status_bound(model, s, Status::Violated, depth + 1)?;
                earliest = Some(earliest.map_or(b, |e| e.min(b)));
            }
            earliest
        }
    }
}

/// The later of two lower bounds, either of which may be unknown.
fn later(a: Option<Moment>, b: Option<Moment>) -> Option<Moment> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn cond_bound(model: &Model, cond: &Cond, depth: usize) -> Option<Moment> {
    match cond {
        // `and` is true at the later of its sides, `or` at the earlier.
        Cond::And(a, b) => later(cond_bound(model, a, depth), cond_bound(model, b, depth)),
        Cond::Or(a, b) => {
            let x = cond_bound(model, a, depth)?;
            let y = cond_bound(model, b, depth)?;
            Some(x.min(y))
        }
        Cond::Time(t) => Some(Moment::at(*t)),
        Cond::Not(_) | Cond::Event(_) => None,
        Cond::Status(c, st) => status_bound(model, *c, *st, depth),
    }
}

/// The earliest moment an instance of the commitment can reach `status`.
fn status_bound(model: &Model, idx: CommitmentIdx, status: Status, depth: usize) -> Option<Moment> {
    let c = model.commitments.get(idx)?;
    if !matches!(status, Status::Fulfilled | Status::Violated) {
        return None;
    }
    let trigger = trigger_bound(model, idx, depth + 1);
    let own = match (status, c.prohibition, &c.window) {
        // A duty is fulfilled inside its window; a prohibition when it closes.
        (Status::Fulfilled, false, Window::Between(a, _)) => Some(Moment::at(*a)),
        (Status::Fulfilled, true, Window::By(b) | Window::Between(_, b)) => {
            Some(Moment::just_after(b.at))
        }
        // A duty is violated once its deadline passes; a prohibition at
        // the first matching event inside its window.
        (Status::Violated, false, Window::By(b) | Window::Between(_, b)) => {
            Some(Moment::just_after(b.at))
        }
        (Status::Violated, true, Window::Between(a, _)) => Some(Moment::at(*a)),
        (
            Status::Violated,
            false,
            Window::Within {
                duration: Duration::Exact(d),
                before: false,
            },
        ) => trigger.and_then(|t| t.at.checked_add(*d).ok().map(Moment::just_after)),
        _ => None,
    };
    later(trigger, own)
}

// ---- declarations --------------------------------------------------------------

fn unused_declarations(model: &Model, files: &[(SourceId, ast::File)], out: &mut Vec<Lint>) {
    let used = Uses::of(model, files);
    for (_, file) in files {
        for item in &file.items {
            match item {
                ast::Item::Party(p) if !used.parties.contains(p.id.name.as_str()) => {
                    out.push(Lint::UnusedParty {
                        name: p.id.name.clone(),
                        span: p.id.span,
                    });
                }
                ast::Item::Event(e) if !used.kinds.contains(e.id.name.as_str()) => {
                    out.push(Lint::UnusedEvent {
                        name: e.id.name.clone(),
                        span: e.id.span,
                    });
                }
                ast::Item::Param(p) if !used.params.contains(p.id.name.as_str()) => {
                    out.push(Lint::UnusedParam {
                        name: p.id.name.clone(),
                        span: p.id.span,
                    });
                }
                _ => {}
            }
        }
    }
}

/// The names the rules use.
#[derive(Default)]
struct Uses<'m> {
    parties: HashSet<&'m str>,
    kinds: HashSet<&'m str>,
    params: HashSet<&'m str>,
}

impl<'m> Uses<'m> {
    fn of(model: &'m Model, files: &'m [(SourceId, ast::File)]) -> Uses<'m> {
        let mut u = Uses::default();
        for c in &model.commitments {
            u.parties.insert(c.debtor.as_str());
            if let Some(cr) = &c.creditor {
                u.parties.insert(cr.as_str());
            }
            u.pattern(model, &c.action);
            if let Some(p) = c.aggregate.as_ref().and_then(|a| a.param.as_deref()) {
                u.params.insert(p);
            }
            if let Trigger::After(cond) = &c.trigger {
                u.cond(model, cond);
            }
            if let Some(cond) = &c.unless {
                u.cond(model, cond);
            }
        }
        for claim in &model.claims {
            u.parties.insert(claim.by.as_str());
            match &claim.says {
                Says::Status {
                    bindings: Some(values),
                    ..
                } => values.iter().for_each(|v| u.value(v)),
                Says::Event { pattern, .. } => u.pattern(model, pattern),
                Says::Status { .. } | Says::Unknown { .. } => {}
            }
        }
        // Params are replaced by their values in the model, so they are
        // found in the syntax trees, with the resolver's lookup order: a
        // `for each` variable, then a party, then a param.
        let declared: HashSet<&str> = files
            .iter()
            .flat_map(|(_, f)| &f.items)
            .filter_map(|i| match i {
                ast::Item::Param(p) => Some(p.id.name.as_str()),
                _ => None,
            })
            .collect();
        let mut names: Vec<(&'m str, Vec<&'m str>)> = Vec::new();
        for (_, file) in files {
            for item in &file.items {
                match item {
                    ast::Item::Commitment(c) => {
                        let vars: Vec<&str> = c.for_each.iter().map(|v| v.name.as_str()).collect();
                        match &c.window {
                            Some(ast::Window::Within {
                                duration: ast::DurationOrParam::Param(p),
                                ..
                            }) => {
                                u.params.insert(p.name.as_str());
                            }
                            Some(ast::Window::Between(a, b, _)) => {
                                for x in [a, b] {
                                    if let ast::TimeOrParam::Param(p) = x {
                                        u.params.insert(p.name.as_str());
                                    }
                                }
                            }
                            _ => {}
                        }
                        // `by cutoff`: a second `by NAME` may be a deadline
                        // naming a time param (resolving tells); the party
                        // clause's name may be the param when it comes first.
                        for name in c.by_names.iter().chain(
                            c.parties
                                .iter()
                                .filter(|_| !c.by_names.is_empty())
                                .map(|p| &p.debtor),
                        ) {
                            u.params.insert(name.name.as_str());
                        }
                        let mut found = Vec::new();
                        for cond in [&c.after, &c.unless].into_iter().flatten() {
                            ast_cond_names(cond, &mut found);
                        }
                        if let Some(m) = &c.must {
                            pattern_names(&m.pattern, &mut found);
                        }
                        names.extend(found.into_iter().map(|n| (n, vars.clone())));
                    }
                    ast::Item::Claim(c) => {
                        let mut found = Vec::new();
                        match &c.says {
                            Some(ast::Says::Status { selector, .. }) => {
                                for (_, v) in selector {
                                    if let ast::Value::Name(n) = v {
                                        found.push(n.name.as_str());
                                    }
                                }
                            }
                            Some(ast::Says::Event { pattern, .. }) => {
                                pattern_names(pattern, &mut found);
                            }
                            None => {}
                        }
                        names.extend(found.into_iter().map(|n| (n, Vec::new())));
                    }
                    _ => {}
                }
            }
        }
        for (name, vars) in names {
            let shadowed = vars.contains(&name) || model.has_party(name);
            if !shadowed && declared.contains(name) {
                u.params.insert(name);
            }
        }
        u
    }

    fn cond(&mut self, model: &'m Model, cond: &'m Cond) {
        match cond {
            Cond::And(a, b) | Cond::Or(a, b) => {
                self.cond(model, a);
                self.cond(model, b);
            }
            Cond::Not(a) => self.cond(model, a),
            Cond::Event(p) => self.pattern(model, p),
            Cond::Status(..) | Cond::Time(_) => {}
        }
    }

    fn pattern(&mut self, model: &'m Model, p: &'m Pattern) {
        if let Some(k) = model.kinds.get(p.kind) {
            self.kinds.insert(k.name.as_str());
        }
        for c in &p.constraints {
            if let Operand::Lit(v) = &c.operand {
                self.value(v);
            }
        }
    }

    fn value(&mut self, v: &'m Value) {
        if let Value::Party(p) = v {
            self.parties.insert(p);
        }
    }
}

/// Names used as values in the patterns of a condition.
fn ast_cond_names<'a>(cond: &'a ast::Cond, out: &mut Vec<&'a str>) {
    match cond {
        ast::Cond::And(a, b, _) | ast::Cond::Or(a, b, _) => {
            ast_cond_names(a, out);
            ast_cond_names(b, out);
        }
        ast::Cond::Not(a, _) => ast_cond_names(a, out),
        ast::Cond::Event(p) => pattern_names(p, out),
        ast::Cond::Fulfilled(_) | ast::Cond::Status(..) | ast::Cond::Time(_) => {}
    }
}

/// Names used as values in a pattern.
fn pattern_names<'a>(p: &'a ast::Pattern, out: &mut Vec<&'a str>) {
    for c in &p.constraints {
        if let ast::Value::Name(n) = &c.value {
            out.push(n.name.as_str());
        }
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]

    use super::*;

    fn names(text: &str) -> Vec<&'static str> {
        lint_text("test.pacta", text)
            .map_err(|f| f.diags.messages())
            .unwrap()
            .lints
            .iter()
            .map(Lint::name)
            .collect()
    }

    const DECLS: &str = "party a\nparty b\nevent e(by: party)\n";

    #[test]
    fn must_without_deadline() {
        let text = format!("{DECLS}commitment c {{ by a to b must e(by: a) }}");
        assert_eq!(names(&text), vec!["must_without_deadline"]);
        let prohibition = format!("{DECLS}commitment c {{ by a to b must not e(by: a) }}");
        assert!(names(&prohibition).is_empty());
    }

    #[test]
    fn impossible_statuses_in_after() {
        for (cond, lints) in [
            ("p is fulfilled", vec!["trigger_never_happens"]),
            ("p is violated", vec![]),
            ("p is cancelled", vec!["trigger_never_happens"]),
            ("p is expired", vec!["trigger_never_happens"]),
            ("p is cancelled or 2025-01-01", vec![]),
            (
                "p is cancelled and 2025-01-01",
                vec!["trigger_never_happens"],
            ),
            ("e(by: b) and not p is cancelled", vec![]),
        ] {
            let text = format!(
                "{DECLS}commitment p {{ by a must not e(by: a) }}\ncommitment c {{ by b after {cond} must e(by: b) within 1d }}"
            );
            assert_eq!(names(&text), lints, "after {cond}");
        }
    }

    #[test]
    fn reparation_of_a_duty_without_deadline() {
        let text = format!(
            "{DECLS}commitment p {{ by a must e(by: a) otherwise q }}\ncommitment q {{ by a must e(by: b) within 1d }}"
        );
        assert_eq!(
            names(&text),
            vec!["must_without_deadline", "trigger_never_happens"]
        );
    }

    #[test]
    fn window_before_trigger() {
        let late = format!(
            "{DECLS}commitment c {{ by a to b after 2025-06-10 must e(by: a) by 2025-06-01 }}"
        );
        assert_eq!(names(&late), vec!["window_closes_before_opens"]);
        let same_day = format!(
            "{DECLS}commitment c {{ by a to b after 2025-06-01T12:00 must e(by: a) by 2025-06-01 }}"
        );
        assert!(names(&same_day).is_empty());
        let via_status = format!(
            "{DECLS}commitment p {{ by a must e(by: a) by 2025-06-10 }}\ncommitment c {{ by b after p is violated must e(by: b) between 2025-06-01 and 2025-06-10 }}"
        );
        assert_eq!(names(&via_status), vec!["window_closes_before_opens"]);
        let reparation = format!(
            "{DECLS}commitment p {{ by a must e(by: a) by 2025-06-10 otherwise q }}\ncommitment q {{ by a must e(by: b) by 2025-06-10 }}"
        );
        assert_eq!(names(&reparation), vec!["window_closes_before_opens"]);
    }

    #[test]
    fn zero_window() {
        let text =
            format!("{DECLS}commitment c {{ by a after e(by: b) must e(by: a) within 0 days }}");
        assert_eq!(names(&text), vec!["empty_window"]);
    }

    #[test]
    fn unused_declarations() {
        let text = "party a\nparty z\nevent e(by: party)\nevent f()\nparam p = 1d\nparam q = 2d\nparam n = 3\nevent g(x: int)\ncommitment c { by a after e(by: a) must e(by: a) within p }\nclaim k { by a on 2025-01-01 says g(x: n) happened }";
        assert_eq!(
            names(text),
            vec!["unused_party", "unused_event", "unused_param"]
        );
    }

    #[test]
    fn a_condition_on_a_commitment_with_more_variables_is_a_partial_join() {
        let decls = "party a\nevent o(order: id, item: id)\nevent s(order: id)\n\
            commitment pack { for each order, item by a after o(order, item) must o(order, item) within 1d }\n";
        let text = |waiting: &str| format!("{decls}{waiting}");
        // The same variables, or more: an exact join, no lint.
        assert!(
            names(&text(
                "commitment c { for each order, item by a after pack must s(order) within 1d }"
            ))
            .is_empty()
        );
        assert!(names(&text("commitment c { for each order, item, x by a after pack and o(order, item: x) must s(order) within 1d }")).is_empty());
        // Fewer: the first matching instance decides, in `after` and `unless`, also under `not`.
        let helps = |waiting: &str| -> Vec<String> {
            lint_text("test.pacta", &text(waiting))
                .unwrap()
                .lints
                .iter()
                .filter_map(|l| match l {
                    Lint::PartialJoin { extra, help, .. } => Some(format!("{extra}: {help}")),
                    _ => None,
                })
                .collect()
        };
        let one = helps("commitment c { for each order by a after pack must s(order) within 1d }");
        assert_eq!(one.len(), 1, "{one:?}");
        assert!(
            one[0].starts_with("the variable `item`: the first instance of `pack` with the same `order` to be fulfilled puts it in force"),
            "{one:?}"
        );
        let none_shared = helps(
            "commitment c { by a after s(order: \"A\") and not pack is violated must s(order: \"B\") within 1d unless pack is cancelled }",
        );
        assert_eq!(none_shared.len(), 2, "{none_shared:?}");
        assert!(
            none_shared[0].starts_with(
                "the variables `order`, `item`: the first instance of `pack` to be violated"
            ),
            "{none_shared:?}"
        );
        assert!(
            none_shared[1].contains("to be cancelled cancels it (if it is still open)"),
            "{none_shared:?}"
        );
    }

    #[test]
    fn a_param_as_an_aggregate_bound_is_used() {
        let text = "party a\nevent e(n: int)\nparam minimum = 3\nparam total = 10\nparam spare = 1\n\
            commitment c { by a must e() with count >= minimum }\n\
            commitment d { by a must e() with sum(n) >= total }";
        let linted = lint_text("test.pacta", text).unwrap();
        let unused: Vec<&str> = linted
            .lints
            .iter()
            .filter_map(|l| match l {
                Lint::UnusedParam { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(unused, vec!["spare"]);
    }

    #[test]
    fn a_variable_shadows_a_param() {
        let text = "party a\nevent e(id: id)\nparam order = 3\ncommitment c { for each order by a after e(id: order) must e(id: order) within 1d }";
        assert_eq!(names(text), vec!["unused_param"]);
    }
}
