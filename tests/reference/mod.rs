//! A deliberately naive reference evaluator for pacta, written from the
//! design (`LANGUAGE.md`) and the decisions pacta made where the design is
//! silent, for differential testing (`tests/differential.rs`).
//!
//! It shares no code with `src/eval`: it reads the checked [`Model`] and the
//! typed [`Log`] and decides everything by looping over all events. Nothing is
//! indexed or cached beyond one record per commitment instance. It is meant to
//! be read side by side with `LANGUAGE.md` §4–§5.
//!
//! # Time
//!
//! A [`Pt`] is a point of the time line: an instant `t` itself, or "just
//! after" `t` (after every event at `t`, before any later instant). A deadline
//! `d` passes at `Pt::after(d)`: an event at `d` is on time, and the status as
//! of the instant `d` is still pending. "The status as of instant `t`" is the
//! status at `Pt::at(t)`: events with time ≤ `t` are known, deadlines `< t`
//! have passed.
//!
//! # What it supports (what the generator produces)
//!
//! Triggers: none, `after CONDITION`, reparations named by one `otherwise`.
//! `must` / `must not`, `with count >= N` / `with sum(F) >= N`. Windows:
//! none, `within D` and `within D before` with an exact duration, `by T`,
//! `between A and B`. `unless`. Conditions: event patterns, `ID`, `ID is
//! STATUS`, `TIME`, `and`, `or`, and `not` over atoms independent of the
//! rest of the condition (see `truth`). `for each` with at most one
//! variable. Claims about a status or an event, from rule files and logs
//! (one dated by a day is read at every point of it, most favourably).
//!
//! Not supported (it panics; the generator never produces them): `business
//! days`, `for each` with several variables, a commitment named by two
//! `otherwise` clauses.

use std::collections::BTreeSet;

use jiff::Timestamp;
use pacta::ast::CmpOp;
use pacta::events::{Event, Log};
use pacta::model::{
    Aggregate, Claim, Commitment, Cond, Duration, Model, Operand, Pattern, Says, Status, Trigger,
    Value, Window,
};
use rust_decimal::Decimal;

/// A point of the time line: an instant, or just after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pt {
    /// The instant.
    pub at: Timestamp,
    /// `true`: just after `at` (after every event at `at`).
    pub after: bool,
}

impl Pt {
    /// Before everything: "from the start".
    const START: Pt = Pt {
        at: Timestamp::MIN,
        after: false,
    };

    fn at(at: Timestamp) -> Pt {
        Pt { at, after: false }
    }

    fn after(at: Timestamp) -> Pt {
        Pt { at, after: true }
    }
}

/// What the reference decides: the verdict sets the differential test compares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdicts {
    /// (commitment id, bindings, status) for every instance.
    pub commitments: BTreeSet<(String, Vec<String>, String)>,
    /// (claim id, verdict, actual) for every claim.
    pub claims: BTreeSet<(String, String, Option<String>)>,
}

/// Everything decided about one commitment instance. Every moment is at or
/// before the as-of (later ones are not known yet, so they are `None`).
#[derive(Clone, Debug)]
struct Record {
    /// Values of the `for each` variables, in order.
    bindings: Vec<Value>,
    /// When it came in force (`Pt::START` for a commitment without trigger).
    in_force: Option<Pt>,
    /// When its trigger became impossible (only when never in force).
    expired: Option<Pt>,
    /// Its final status (fulfilled, violated, cancelled) and when.
    end: Option<(Status, Pt)>,
}

impl Record {
    /// The status at `p`, read off the moments above (all of which were
    /// decided from events at or before themselves).
    fn status_at(&self, p: Pt) -> Status {
        match self.in_force {
            Some(trigger) if trigger <= p => match self.end {
                Some((status, when)) if when <= p => status,
                _ => Status::Pending,
            },
            Some(_) => Status::Inactive,
            None => match self.expired {
                Some(when) if when <= p => Status::Expired,
                _ => Status::Inactive,
            },
        }
    }
}

/// Three-valued truth of a condition at a point: true now, still possible,
/// or false for ever.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Truth {
    True,
    Possible,
    Dead,
}

/// Evaluates `model` on `log` as of `as_of`, following the design.
pub fn evaluate(model: &Model, log: &Log, as_of: Timestamp) -> Verdicts {
    // "Events after the as-of are ignored."
    let events: Vec<&Event> = log.events.iter().filter(|e| e.at <= as_of).collect();
    let mut r = Reference {
        model,
        events,
        now: Pt::at(as_of),
        records: vec![None; model.commitments.len()],
    };
    // Decide commitments once everything they name is decided (the rules
    // have no cycles, so each pass decides at least one).
    loop {
        let mut progress = false;
        for c in 0..model.commitments.len() {
            if r.records[c].is_none() && r.depends_on(c).iter().all(|d| r.records[*d].is_some()) {
                let recs = r.commitment(c);
                r.records[c] = Some(recs);
                progress = true;
            }
        }
        if !progress {
            break;
        }
    }
    let mut out = Verdicts::default();
    for (c, recs) in r.records.iter().enumerate() {
        let id = &model.commitments[c].id;
        for rec in recs.as_ref().expect("acyclic rules") {
            let bindings = rec.bindings.iter().map(show).collect();
            let status = rec.status_at(r.now).name().to_string();
            out.commitments.insert((id.clone(), bindings, status));
        }
    }
    // Claims read from the logs are log lines too: those after the as-of
    // are not known yet.
    let log_claims = log.claims.iter().filter(|c| c.at.judged_at <= as_of);
    for claim in model.claims.iter().chain(log_claims) {
        out.claims.insert(r.claim(claim));
    }
    out
}

/// A binding as the JSON report shows it.
fn show(v: &Value) -> String {
    v.to_string()
}

struct Reference<'a> {
    model: &'a Model,
    /// The events at or before the as-of, in log order (sorted by time).
    events: Vec<&'a Event>,
    /// The as-of, as a point.
    now: Pt,
    /// Per commitment, its instances once decided.
    records: Vec<Option<Vec<Record>>>,
}

impl Reference<'_> {
    /// The commitments that `c` needs decided first.
    fn depends_on(&self, c: usize) -> Vec<usize> {
        let cm = &self.model.commitments[c];
        let mut out = Vec::new();
        match &cm.trigger {
            Trigger::After(cond) => cond.commitments(&mut out),
            Trigger::Reparation(from) => out.extend(from),
            Trigger::Immediate => {}
        }
        if let Some(u) = &cm.unless {
            u.commitments(&mut out);
        }
        out
    }

    /// All instances of commitment `c`.
    fn commitment(&self, c: usize) -> Vec<Record> {
        let cm = &self.model.commitments[c];
        assert!(
            cm.vars.len() <= 1,
            "the reference supports at most one `for each` variable"
        );
        let mut keys: BTreeSet<Vec<Value>> = BTreeSet::new();
        if cm.vars.is_empty() {
            keys.insert(Vec::new());
        } else {
            match &cm.trigger {
                // "by the `must` pattern when there is no `after`"
                Trigger::Immediate => {
                    for e in &self.events {
                        if let Some(v) = self.binds(&cm.action, e) {
                            keys.insert(vec![v]);
                        }
                    }
                }
                // "bindings seen by the trigger patterns (or commitments
                // sharing the variables)"
                Trigger::After(cond) => {
                    let seen = self
                        .cond_keys(cm, cond)
                        .expect("the trigger binds the variable");
                    for v in seen {
                        keys.insert(vec![v]);
                    }
                }
                // "from violated source instances for a reparation"
                Trigger::Reparation(from) => {
                    for s in from {
                        for rec in self.records[*s].as_ref().expect("source decided") {
                            if matches!(rec.end, Some((Status::Violated, _))) {
                                keys.insert(self.project(
                                    cm,
                                    &self.model.commitments[*s],
                                    &rec.bindings,
                                ));
                            }
                        }
                    }
                }
            }
        }
        // "A trigger that can never happen expires at the start" (silent
        // 17): as the rules alone show, through the commitments it names.
        if self.trigger_impossible(c, 0) {
            return keys
                .into_iter()
                .map(|b| self.expired_from_start(b))
                .collect();
        }
        keys.into_iter().map(|b| self.instance(cm, b)).collect()
    }

    /// Where the record starts: the first event at or before the as-of;
    /// `None` before any.
    fn start(&self) -> Option<Timestamp> {
        self.events.first().map(|e| e.at)
    }

    /// An instance whose trigger the rules alone rule out.
    fn expired_from_start(&self, bindings: Vec<Value>) -> Record {
        Record {
            bindings,
            in_force: None,
            expired: Some(Pt::START),
            end: None,
        }
    }

    /// Decides one instance.
    fn instance(&self, cm: &Commitment, bindings: Vec<Value>) -> Record {
        // 1. When it comes in force, or when that became impossible.
        let (mut trigger, mut expired) = match &cm.trigger {
            // "`within D` counts ... from the window's opening if there is no
            // trigger": pacta opens it at the start of the record.
            Trigger::Immediate => (Some(Pt::START), None),
            Trigger::After(cond) => self.first_true_or_dead(cm, &bindings, cond),
            Trigger::Reparation(from) => {
                assert!(
                    from.len() == 1,
                    "the reference supports one `otherwise` per reparation"
                );
                let src = &self.model.commitments[from[0]];
                // A source that can never be violated (a `must` without a
                // deadline) never triggers it: expired from the start.
                if !src.prohibition && matches!(src.window, Window::Open) {
                    return self.expired_from_start(bindings);
                }
                let key: Vec<Value> = src
                    .vars
                    .iter()
                    .map(|v| self.var_value(cm, &bindings, &v.name))
                    .collect();
                match self.record(from[0], &key) {
                    // "comes in force at the violation instant (the deadline)"
                    Some(Record {
                        end: Some((Status::Violated, when)),
                        ..
                    }) => (Some(*when), None),
                    // "expired when the source ended otherwise"
                    Some(Record {
                        end: Some((_, when)),
                        ..
                    }) => (None, Some(*when)),
                    Some(Record {
                        expired: Some(when),
                        ..
                    }) => (None, Some(*when)),
                    _ => (None, None),
                }
            }
        };
        // A trigger after the end of a `by`/`between` window never puts the
        // commitment in force; it is expired just after the end.
        let absolute_end = match &cm.window {
            Window::By(b) | Window::Between(_, b) => Some(b.at),
            Window::Open | Window::Within { .. } => None,
        };
        if let Some(end) = absolute_end {
            if !matches!(cm.trigger, Trigger::Immediate) {
                if trigger.is_some_and(|t| t > Pt::at(end)) {
                    trigger = None;
                }
                if trigger.is_none() && expired.is_none_or(|x| x > Pt::after(end)) {
                    expired = Some(Pt::after(end));
                }
            }
        }
        // Nothing after the as-of is known.
        let trigger = trigger.filter(|t| *t <= self.now);
        let expired = expired.filter(|x| *x <= self.now);
        let Some(trigger) = trigger else {
            return Record {
                bindings,
                in_force: None,
                expired,
                end: None,
            };
        };

        // 2. The window: the events that count are those from `open` to
        // `close`, both included.
        // Events count from the trigger's instant, also when the trigger
        // comes just after it: a reparation "comes in force at the violation
        // instant (the deadline) of its source", so an event exactly at the
        // source's deadline counts for the reparation.
        let open = match &cm.window {
            // "`after` + `by T`/`between A and B`: events count from max(trigger, A)"
            Window::Between(a, _) => Pt::at(trigger.at).max(Pt::at(*a)),
            // "`within D before` … looks back: the window is [trigger − D, trigger]"
            Window::Within {
                duration,
                before: true,
            } => Pt::at(minus(trigger.at, *duration)),
            // In force from the start: "`within D` counts ... from the
            // window's opening if there is no trigger", the start of the
            // record for pacta.
            Window::Within { before: false, .. } if matches!(cm.trigger, Trigger::Immediate) => {
                self.start().map_or(Pt::START, Pt::at)
            }
            _ => Pt::at(trigger.at),
        };
        let close: Option<Timestamp> = match &cm.window {
            Window::Open => None,
            Window::Within {
                duration,
                before: false,
            } if matches!(cm.trigger, Trigger::Immediate) && self.start().is_none() => {
                // Before the record starts, the clock has not started.
                let _ = duration;
                None
            }
            Window::Within {
                duration,
                before: false,
            } => Some(plus(open.at, *duration)),
            Window::Within { before: true, .. } => Some(trigger.at),
            Window::By(b) | Window::Between(_, b) => Some(b.at),
        };
        // Before the record starts, a `within` clock in force from the start
        // has not started: nothing decides it yet.
        if matches!(cm.trigger, Trigger::Immediate)
            && matches!(cm.window, Window::Within { before: false, .. })
            && self.start().is_none()
        {
            return Record {
                bindings,
                in_force: Some(trigger),
                expired: None,
                end: None,
            };
        }
        let counts = |e: &Event| Pt::at(e.at) >= open && close.is_none_or(|c| e.at <= c);

        // 3. The first instant at which the matching events in the window,
        // all those up to and at that instant together, reach the bound (one
        // event without an aggregate).
        let bound = cm.aggregate.as_ref().map_or(Decimal::ONE, |a| a.at_least);
        let mut reached: Option<Timestamp> = None;
        // "the first moment the matching events inside its window reach the
        // bound": with a bound of 0 or less, the window's first moment.
        let no_clock = matches!(cm.trigger, Trigger::Immediate)
            && matches!(cm.window, Window::Within { before: false, .. })
            && self.start().is_none();
        if bound <= Decimal::ZERO && !no_clock {
            reached = Some(open.at);
        }
        for candidate in &self.events {
            if reached.is_some() {
                break;
            }
            if !counts(candidate) || !self.matches(cm, &bindings, &cm.action, candidate) {
                continue;
            }
            let t = candidate.at;
            let mut total = Decimal::ZERO;
            for e in &self.events {
                if e.at <= t && counts(e) && self.matches(cm, &bindings, &cm.action, e) {
                    total += amount(&cm.aggregate, e);
                }
            }
            if total >= bound {
                reached = Some(t);
                break;
            }
        }
        let decided: Option<(Status, Pt)> = match (cm.prohibition, reached, close) {
            (false, Some(t), _) => Some((Status::Fulfilled, Pt::at(t))),
            (false, None, Some(c)) => Some((Status::Violated, Pt::after(c))),
            (true, Some(t), _) => Some((Status::Violated, Pt::at(t))),
            (true, None, Some(c)) => Some((Status::Fulfilled, Pt::after(c))),
            (_, None, None) => None,
        };
        // "the instance is fulfilled or violated at the trigger"
        let decided = match (&cm.window, decided) {
            (Window::Within { before: true, .. }, Some((status, _))) => Some((status, trigger)),
            (_, d) => d,
        };
        let decided = decided.filter(|(_, when)| *when <= self.now);

        // 4. `unless`: cancels when it holds strictly before the decision, or
        // as the deadline that decides it passes; at the trigger when it held
        // before.
        let unless_at = cm
            .unless
            .as_ref()
            .and_then(|u| self.first_true_or_dead(cm, &bindings, u).0);
        // A look-back instance is decided at its trigger, the end of its
        // window: like an `unless` exactly at a deadline, one that holds at
        // the trigger cancels it.
        let look_back = matches!(cm.window, Window::Within { before: true, .. });
        // In force from the start with `within`: its clock starts with the
        // record, and nothing decides it before (an `unless` that held
        // earlier cancels it then).
        let from = if matches!(cm.trigger, Trigger::Immediate)
            && matches!(cm.window, Window::Within { before: false, .. })
        {
            open
        } else {
            trigger
        };
        let end = match (unless_at, decided) {
            (Some(u), None) => Some((Status::Cancelled, u.max(from))),
            // Decided as a deadline passes: an `unless` that holds as it
            // passes (another commitment violated at that same deadline)
            // held within the window, which includes its end.
            (Some(u), Some((_, when))) if u < when || ((look_back || when.after) && u <= when) => {
                Some((Status::Cancelled, u.max(from)))
            }
            _ => decided,
        };
        // A decision is never before the instance is in force (an event at a
        // reparation's trigger instant decides it just after the violation).
        let end = end.map(|(status, when)| (status, when.max(from)));
        Record {
            bindings,
            in_force: Some(trigger),
            expired: None,
            end,
        }
    }

    /// The first point (up to the as-of) at which `cond` is true, or else
    /// the first at which it can no longer become true.
    fn first_true_or_dead(
        &self,
        cm: &Commitment,
        bindings: &[Value],
        cond: &Cond,
    ) -> (Option<Pt>, Option<Pt>) {
        // The truth of a condition changes only at these points.
        let mut points: BTreeSet<Pt> = BTreeSet::new();
        points.insert(Pt::START);
        for e in &self.events {
            points.insert(Pt::at(e.at));
        }
        let mut named = Vec::new();
        cond.commitments(&mut named);
        for c in named {
            for rec in self.records[c].as_ref().expect("named commitment decided") {
                points.extend(rec.in_force);
                points.extend(rec.expired);
                points.extend(rec.end.map(|(_, when)| when));
            }
        }
        times(cond, &mut points);
        for p in points {
            if p > self.now {
                break;
            }
            match self.truth(cm, bindings, cond, p) {
                Truth::True => return (Some(p), None),
                Truth::Dead => return (None, Some(p)),
                Truth::Possible => {}
            }
        }
        (None, None)
    }

    /// The truth of `cond` for the instance with `bindings`, at `p`: true
    /// now; false now but may still become true; or false for ever. Each atom
    /// is monotone (once true, true for ever), so `cond` can still become
    /// true exactly when some way of making the still-possible atoms true or
    /// not makes it true (the generator only negates atoms independent of
    /// the others, so every such way can happen).
    fn truth(&self, cm: &Commitment, bindings: &[Value], cond: &Cond, p: Pt) -> Truth {
        let mut atoms: Vec<&Cond> = Vec::new();
        atoms_of(cond, &mut atoms);
        let states: Vec<Truth> = atoms
            .iter()
            .map(|a| self.atom_truth(cm, bindings, a, p))
            .collect();
        let now: Vec<bool> = states.iter().map(|s| *s == Truth::True).collect();
        if holds(cond, &now, &mut 0) {
            return Truth::True;
        }
        let open: Vec<usize> = (0..atoms.len())
            .filter(|i| states[*i] == Truth::Possible)
            .collect();
        for way in 0u64..(1 << open.len()) {
            let mut values = now.clone();
            for (bit, i) in open.iter().enumerate() {
                values[*i] = way & (1 << bit) != 0;
            }
            if holds(cond, &values, &mut 0) {
                return Truth::Possible;
            }
        }
        Truth::Dead
    }

    /// The state of one atom at `p`.
    fn atom_truth(&self, cm: &Commitment, bindings: &[Value], cond: &Cond, p: Pt) -> Truth {
        match cond {
            Cond::And(..) | Cond::Or(..) | Cond::Not(_) => unreachable!("not an atom"),
            // "the first matching event": true from then on.
            Cond::Event(pattern) => {
                let happened = self
                    .events
                    .iter()
                    .any(|e| Pt::at(e.at) <= p && self.matches(cm, bindings, pattern, e));
                if happened {
                    Truth::True
                } else {
                    Truth::Possible
                }
            }
            // "that instant has come"
            Cond::Time(t) => {
                if Pt::at(*t) <= p {
                    Truth::True
                } else {
                    Truth::Possible
                }
            }
            // "that commitment reached this status (its instance on shared
            // variables)": true from when it reached it; impossible once it
            // ended otherwise (or, for `expired`, once it came in force).
            Cond::Status(other, wanted) => {
                let oc = &self.model.commitments[*other];
                // Statuses the rules alone rule out: "its trigger can no
                // longer happen" from the start.
                let never = match wanted {
                    Status::Fulfilled => oc.prohibition && matches!(oc.window, Window::Open),
                    Status::Violated => !oc.prohibition && matches!(oc.window, Window::Open),
                    Status::Cancelled => oc.unless.is_none(),
                    Status::Expired => matches!(oc.trigger, Trigger::Immediate),
                    _ => false,
                };
                if never {
                    return Truth::Dead;
                }
                // A commitment with variables this one lacks: "some
                // instance that agrees on the shared ones reached it" (the
                // first one decides); another may still appear, so never
                // impossible (docs/language.md, silent 18).
                if oc
                    .vars
                    .iter()
                    .any(|v| !cm.vars.iter().any(|w| w.name == v.name))
                {
                    let shared: Vec<(usize, Value)> = oc
                        .vars
                        .iter()
                        .enumerate()
                        .filter(|(_, v)| cm.vars.iter().any(|w| w.name == v.name))
                        .map(|(i, v)| (i, self.var_value(cm, bindings, &v.name)))
                        .collect();
                    let reached = self.records[*other]
                        .as_ref()
                        .expect("decided")
                        .iter()
                        .filter(|r| shared.iter().all(|(i, x)| r.bindings.get(*i) == Some(x)))
                        .any(|r| r.status_at(p) == *wanted);
                    return if reached {
                        Truth::True
                    } else {
                        Truth::Possible
                    };
                }
                let key: Vec<Value> = oc
                    .vars
                    .iter()
                    .map(|v| self.var_value(cm, bindings, &v.name))
                    .collect();
                let Some(rec) = self.record(*other, &key) else {
                    return Truth::Possible;
                };
                let now = rec.status_at(p);
                if now == *wanted {
                    Truth::True
                } else if now.is_final() || (now == Status::Pending && *wanted == Status::Expired) {
                    Truth::Dead
                } else {
                    Truth::Possible
                }
            }
        }
    }

    /// The bindings a trigger condition brings: `None` when it binds no
    /// variable; `and` keeps the values both sides bind, `or` those of either.
    fn cond_keys(&self, cm: &Commitment, cond: &Cond) -> Option<BTreeSet<Value>> {
        match cond {
            Cond::And(a, b) => match (self.cond_keys(cm, a), self.cond_keys(cm, b)) {
                (None, x) | (x, None) => x,
                (Some(x), Some(y)) => Some(x.intersection(&y).cloned().collect()),
            },
            Cond::Or(a, b) => match (self.cond_keys(cm, a), self.cond_keys(cm, b)) {
                (Some(x), Some(y)) => Some(x.union(&y).cloned().collect()),
                _ => None,
            },
            Cond::Not(_) | Cond::Time(_) => None,
            Cond::Event(pattern) => {
                if !pattern
                    .constraints
                    .iter()
                    .any(|k| matches!(k.operand, Operand::Var(_)))
                {
                    return None;
                }
                let mut seen = BTreeSet::new();
                for e in &self.events {
                    if let Some(v) = self.binds(pattern, e) {
                        seen.insert(v);
                    }
                }
                Some(seen)
            }
            Cond::Status(other, _) => {
                let oc = &self.model.commitments[*other];
                let name = &cm.vars[0].name;
                if !oc.vars.iter().any(|v| &v.name == name) {
                    return None;
                }
                let recs = self.records[*other]
                    .as_ref()
                    .expect("named commitment decided");
                Some(recs.iter().map(|r| r.bindings[0].clone()).collect())
            }
        }
    }

    /// The value `e` gives the (single) variable of `pattern`, when `e`
    /// matches the pattern's literal constraints.
    fn binds(&self, pattern: &Pattern, e: &Event) -> Option<Value> {
        if e.kind != pattern.kind {
            return None;
        }
        let mut value: Option<Value> = None;
        for k in &pattern.constraints {
            let field = &e.values[k.field];
            match &k.operand {
                Operand::Lit(lit) => {
                    if !compare(field, k.op, lit) {
                        return None;
                    }
                }
                Operand::Var(_) => {
                    if value.as_ref().is_some_and(|v| v != field) {
                        return None;
                    }
                    value = Some(field.clone());
                }
            }
        }
        value
    }

    /// True when `e` matches `pattern` for the instance with `bindings`.
    fn matches(&self, _cm: &Commitment, bindings: &[Value], pattern: &Pattern, e: &Event) -> bool {
        if e.kind != pattern.kind {
            return false;
        }
        pattern.constraints.iter().all(|k| {
            let field = &e.values[k.field];
            match &k.operand {
                Operand::Lit(lit) => compare(field, k.op, lit),
                Operand::Var(i) => field == &bindings[*i],
            }
        })
    }

    /// The value of variable `name` in the instance of `cm` with `bindings`.
    fn var_value(&self, cm: &Commitment, bindings: &[Value], name: &str) -> Value {
        let i = cm
            .vars
            .iter()
            .position(|v| v.name == name)
            .expect("a named commitment's variables are the naming one's");
        bindings[i].clone()
    }

    /// The bindings of `target` taken from an instance of `source`.
    fn project(&self, target: &Commitment, source: &Commitment, bindings: &[Value]) -> Vec<Value> {
        target
            .vars
            .iter()
            .map(|v| self.var_value(source, bindings, &v.name))
            .collect()
    }

    /// Whether the rules alone rule out that commitment `c` ever reaches
    /// `status` (docs/language.md, silent 17): by its own clauses (a `must`
    /// without a deadline is never violated, …), or, for `fulfilled` and
    /// `violated`, because it can never come in force.
    fn status_impossible(&self, c: usize, status: Status, depth: usize) -> bool {
        let oc = &self.model.commitments[c];
        let own = match status {
            Status::Fulfilled => oc.prohibition && matches!(oc.window, Window::Open),
            Status::Violated => !oc.prohibition && matches!(oc.window, Window::Open),
            Status::Cancelled => oc.unless.is_none(),
            Status::Expired => matches!(oc.trigger, Trigger::Immediate),
            _ => false,
        };
        own || (matches!(status, Status::Fulfilled | Status::Violated)
            && depth < 64
            && self.trigger_impossible(c, depth + 1))
    }

    /// Whether commitment `c`'s trigger can never happen, by the rules alone.
    fn trigger_impossible(&self, c: usize, depth: usize) -> bool {
        fn never(r: &Reference<'_>, cond: &Cond, depth: usize) -> bool {
            match cond {
                Cond::And(a, b) => never(r, a, depth) || never(r, b, depth),
                Cond::Or(a, b) => never(r, a, depth) && never(r, b, depth),
                Cond::Status(j, st) => r.status_impossible(*j, *st, depth),
                Cond::Not(_) | Cond::Event(_) | Cond::Time(_) => false,
            }
        }
        match &self.model.commitments[c].trigger {
            Trigger::Immediate => false,
            Trigger::After(c) => never(self, c, depth),
            Trigger::Reparation(from) => from
                .iter()
                .all(|s| self.status_impossible(*s, Status::Violated, depth)),
        }
    }

    /// The instance of commitment `c` with exactly these bindings.
    fn record(&self, c: usize, key: &[Value]) -> Option<&Record> {
        self.records[c]
            .as_ref()
            .expect("decided")
            .iter()
            .find(|r| r.bindings == key)
    }

    /// The verdict on one claim: (id, verdict, actual). A claim dated by a
    /// day may have been made at any point of it (`from` to `judged_at`):
    /// it is consistent when what it says held at one of them, on the
    /// evidence up to the day's end.
    fn claim(&self, claim: &Claim) -> (String, String, Option<String>) {
        let (from, to) = (claim.at.from, claim.at.judged_at);
        let unverifiable = (claim.id.clone(), "unverifiable".to_string(), None);
        let judge = |actual: &str, said: &str| {
            let verdict = if actual == said {
                "consistent"
            } else {
                "contradicted"
            };
            (
                claim.id.clone(),
                verdict.to_string(),
                Some(actual.to_string()),
            )
        };
        match &claim.says {
            Says::Unknown { .. } => unverifiable,
            Says::Status {
                commitment,
                bindings,
                status,
            } => {
                let Some(key) = bindings else {
                    return unverifiable;
                };
                let Some(rec) = self.record(*commitment, key) else {
                    return unverifiable;
                };
                let actual = if Pt::at(from) <= self.now {
                    // Every point of the claim's time the evidence covers:
                    // its ends, every moment of the record and, naively,
                    // every event time and just after it.
                    let hi = Pt::at(to).min(self.now);
                    let mut points: BTreeSet<Pt> = BTreeSet::from([Pt::at(from), hi]);
                    points.extend(
                        [rec.in_force, rec.expired, rec.end.map(|(_, p)| p)]
                            .into_iter()
                            .flatten(),
                    );
                    for e in &self.events {
                        points.insert(Pt::at(e.at));
                        points.insert(Pt::after(e.at));
                    }
                    if points
                        .range(Pt::at(from)..=hi)
                        .any(|p| rec.status_at(*p) == *status)
                    {
                        *status
                    } else {
                        let s = rec.status_at(hi);
                        // The rest of the day is after the as-of.
                        if Pt::at(to) > self.now && !s.is_final() {
                            return unverifiable;
                        }
                        s
                    }
                } else {
                    // After the as-of: judged only on a status already final.
                    let s = rec.status_at(self.now);
                    if !s.is_final() {
                        return unverifiable;
                    }
                    s
                };
                judge(actual.name(), status.name())
            }
            Says::Event { pattern, happened } => {
                assert!(
                    !pattern
                        .constraints
                        .iter()
                        .any(|k| matches!(k.operand, Operand::Var(_))),
                    "claims name literal values only"
                );
                let by = |t: Timestamp| {
                    self.events
                        .iter()
                        .any(|e| e.at <= t && self.matches_literal(pattern, e))
                };
                // Most favourable: "happened" by the end of the claim's
                // time, "did not happen" at its start.
                let at = if *happened { to } else { from };
                let did = if Pt::at(at) <= self.now {
                    by(at)
                } else if by(self.now.at) {
                    true // "happened" can no longer change
                } else {
                    return unverifiable;
                };
                let actual = if did { "happened" } else { "did not happen" };
                let said = if *happened {
                    "happened"
                } else {
                    "did not happen"
                };
                judge(actual, said)
            }
        }
    }

    fn matches_literal(&self, pattern: &Pattern, e: &Event) -> bool {
        e.kind == pattern.kind
            && pattern.constraints.iter().all(|k| match &k.operand {
                Operand::Lit(lit) => compare(&e.values[k.field], k.op, lit),
                Operand::Var(_) => false,
            })
    }
}

/// The atoms of a condition, left to right.
fn atoms_of<'c>(cond: &'c Cond, out: &mut Vec<&'c Cond>) {
    match cond {
        Cond::And(a, b) | Cond::Or(a, b) => {
            atoms_of(a, out);
            atoms_of(b, out);
        }
        Cond::Not(a) => atoms_of(a, out),
        atom => out.push(atom),
    }
}

/// The value of `cond` when its atoms (left to right from `*next`) have
/// these values.
fn holds(cond: &Cond, values: &[bool], next: &mut usize) -> bool {
    match cond {
        Cond::And(a, b) => {
            let x = holds(a, values, next);
            let y = holds(b, values, next);
            x && y
        }
        Cond::Or(a, b) => {
            let x = holds(a, values, next);
            let y = holds(b, values, next);
            x || y
        }
        Cond::Not(a) => !holds(a, values, next),
        _ => {
            *next += 1;
            values[*next - 1]
        }
    }
}

/// The instants a condition names.
fn times(cond: &Cond, out: &mut BTreeSet<Pt>) {
    match cond {
        Cond::And(a, b) | Cond::Or(a, b) => {
            times(a, out);
            times(b, out);
        }
        Cond::Not(a) => times(a, out),
        Cond::Time(t) => {
            out.insert(Pt::at(*t));
        }
        Cond::Event(_) | Cond::Status(..) => {}
    }
}

/// How much one event adds to a total.
fn amount(aggregate: &Option<Aggregate>, e: &Event) -> Decimal {
    match aggregate {
        None => Decimal::ONE,
        Some(Aggregate { sum_of: None, .. }) => Decimal::ONE,
        Some(Aggregate {
            sum_of: Some(f), ..
        }) => match &e.values[*f] {
            Value::Int(i) => Decimal::from(*i),
            Value::Number(n) => *n,
            other => panic!("sum over a non-numeric value {other:?}"),
        },
    }
}

/// `t - d` for an exact duration, saturating at the start of time (a
/// trigger "from the start").
fn minus(t: Timestamp, d: Duration) -> Timestamp {
    match d {
        Duration::Exact(sd) => t.checked_sub(sd).unwrap_or(Timestamp::MIN),
        Duration::BusinessDays(_) => panic!("the reference does not support business days"),
    }
}

/// `t + d` for an exact duration, saturating at the end of time.
fn plus(t: Timestamp, d: Duration) -> Timestamp {
    match d {
        Duration::Exact(sd) => t.checked_add(sd).unwrap_or(Timestamp::MAX),
        Duration::BusinessDays(_) => panic!("the reference does not support business days"),
    }
}

/// `field OP literal`, written out for the types the generator uses.
fn compare(field: &Value, op: CmpOp, lit: &Value) -> bool {
    use std::cmp::Ordering;
    let ord: Ordering = match (field, lit) {
        (Value::Int(a), Value::Int(b)) => a.cmp(b),
        (Value::Int(a), Value::Number(b)) => Decimal::from(*a).cmp(b),
        (Value::Number(a), Value::Int(b)) => a.cmp(&Decimal::from(*b)),
        (Value::Number(a), Value::Number(b)) => a.cmp(b),
        (Value::Str(a), Value::Str(b)) | (Value::Party(a), Value::Party(b)) => a.cmp(b),
        (Value::Party(a), Value::Str(b)) | (Value::Str(a), Value::Party(b)) => a.cmp(b),
        (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
        (Value::Time(a), Value::Time(b)) => a.cmp(b),
        (a, b) => panic!("comparing {a:?} with {b:?}"),
    };
    match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
    }
}
