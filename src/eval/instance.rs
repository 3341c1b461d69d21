//! One commitment's instances: which exist, when each came in force, its
//! window, and whether it was fulfilled, violated, cancelled or expired.

use rustc_hash::FxHashSet as HashSet;

use jiff::Timestamp;
use rust_decimal::Decimal;

use super::cond::{self, Ctx, Env};
use super::window::{self, Moment};
use super::{Decision, Evidence, Instance, Instances, Item, Progress, Role, instances_from};
use crate::model::{Bound, Commitment, CommitmentIdx, Status, Trigger, Value, Window};

/// Most events listed as counted toward an aggregate, per instance.
const MAX_COUNTED: usize = 50;

pub(crate) fn eval_commitment(
    ctx: &mut Ctx<'_>,
    idx: CommitmentIdx,
    results: &[Option<Instances>],
) -> Instances {
    let Some(c) = ctx.model.commitments.get(idx) else {
        return Instances::default();
    };
    let env = Env {
        results,
        vars: c.vars.iter().map(|v| v.name.as_str()).collect(),
    };
    let bindings = instance_bindings(ctx, &env, c);
    // A trigger the rules alone show can never happen: the commitment is
    // expired from the start of the record.
    let possible = super::reach::trigger_possible(ctx.model, idx).is_ok();
    let start = ctx.start();
    let list = bindings
        .into_iter()
        .map(|b| {
            let mut inst = eval_instance(ctx, &env, c, b, start);
            if !c.params.is_empty() || c.aggregate.as_ref().is_some_and(|a| a.param.is_some()) {
                inst.flip = super::params::flip(ctx, &env, c, &inst, start).map(Box::new);
            }
            if !possible && inst.trigger.is_none() && inst.decision.is_none() {
                let m = Moment::MIN;
                if inst.expired.is_none_or(|e| m < e) {
                    inst.expired = Some(m);
                    inst.evidence.retain(|e| e.role != Role::Expiry);
                    inst.evidence.push(Evidence {
                        role: Role::Expiry,
                        at: Timestamp::MIN,
                        item: Item::Never,
                    });
                }
            }
            inst
        })
        .collect();
    instances_from(list)
}

/// The distinct bindings that create instances (one empty binding when the
/// commitment has no `for each`).
fn instance_bindings(ctx: &mut Ctx<'_>, env: &Env<'_>, c: &Commitment) -> Vec<Vec<Value>> {
    if c.vars.is_empty() {
        return vec![Vec::new()];
    }
    let n = c.vars.len();
    let partial: HashSet<Vec<Option<Value>>> = match &c.trigger {
        Trigger::After(cond) => cond::candidates(ctx, env, cond, n).unwrap_or_default(),
        Trigger::Immediate => {
            cond::candidates(ctx, env, &crate::model::Cond::Event(c.action.clone()), n)
                .unwrap_or_default()
        }
        Trigger::Reparation(sources) => {
            let mut out = HashSet::default();
            for &s in sources {
                let Some(Some(insts)) = env.results.get(s) else {
                    continue;
                };
                let Some(sc) = ctx.model.commitments.get(s) else {
                    continue;
                };
                for inst in insts
                    .list
                    .iter()
                    .filter(|i| i.decision.is_some_and(|d| d.status == Status::Violated))
                {
                    let b: Vec<Option<Value>> = c
                        .vars
                        .iter()
                        .map(|v| {
                            sc.vars
                                .iter()
                                .position(|sv| sv.name == v.name)
                                .and_then(|j| inst.bindings.get(j).cloned())
                        })
                        .collect();
                    out.insert(b);
                }
            }
            out
        }
    };
    let mut full: Vec<Vec<Value>> = partial
        .into_iter()
        .filter_map(|b| b.into_iter().collect())
        .collect();
    full.sort();
    full
}

pub(super) fn eval_instance(
    ctx: &mut Ctx<'_>,
    env: &Env<'_>,
    c: &Commitment,
    bindings: Vec<Value>,
    start: Option<Timestamp>,
) -> Instance {
    let as_of = ctx.as_of;
    let mut inst = Instance::untriggered(bindings);
    let close = closing_bound(c);
    // 1. When does it come in force?
    let trigger: Option<(Moment, Vec<Evidence>)> = match &c.trigger {
        Trigger::Immediate => {
            inst.from_start = true;
            // In force at once: `within D` counts from the start of the
            // record (design §4: "from the window's opening if there is no
            // trigger"); other windows fix their own times.
            let m = match (&c.window, start) {
                (Window::Within { before: false, .. }, Some(start)) => Moment::at(start),
                _ => Moment::MIN,
            };
            Some((m, Vec::new()))
        }
        Trigger::After(cond) => {
            let e = cond::eval_cond(ctx, env, cond, &inst.bindings, Moment::MIN);
            if e.first_true.is_none() {
                if let Some((m, ev)) = e.dead {
                    inst.expired = Some(m);
                    inst.evidence.extend(ev);
                }
            }
            e.first_true
        }
        Trigger::Reparation(sources) => reparation_trigger(ctx, env, sources, &inst.bindings)
            .map(|(m, e)| (m, e.into_iter().collect())),
    };
    // A trigger after the window closed cannot put the commitment in force.
    let trigger = match (trigger, close) {
        (Some((m, _)), Some(b)) if !inst.from_start && m > Moment::at(b.at) => None,
        (t, _) => t,
    };
    if trigger.is_none() && !inst.from_start {
        if let Some(b) = close {
            let m = Moment::just_after(b.at);
            if m.reached_by(as_of) && inst.expired.is_none_or(|e| m < e) {
                inst.expired = Some(m);
                inst.evidence.push(Evidence {
                    role: Role::Expiry,
                    at: b.at,
                    item: Item::WindowClosed,
                });
            }
        }
        if let Trigger::Reparation(sources) = &c.trigger {
            if let Some(m) = reparation_dead(env, sources) {
                if m.reached_by(as_of) && inst.expired.is_none_or(|e| m < e) {
                    inst.expired = Some(m);
                }
            }
        }
        return inst;
    }
    let Some((t, t_ev)) = trigger else {
        return inst;
    };
    if !inst.from_start {
        inst.trigger = Some(t);
        inst.expired = None;
        inst.evidence.retain(|e| e.role != Role::Expiry);
        inst.evidence.extend(t_ev);
    }
    // 2. The window.
    let cal = &c.calendar;
    // In force from the start with `within`, before the record has started
    // (no event yet): the clock has not started, there is no deadline yet.
    let no_clock = inst.from_start
        && start.is_none()
        && matches!(c.window, Window::Within { before: false, .. });
    let (open, deadline, look_back): (Timestamp, Option<Bound>, bool) = match &c.window {
        Window::Open => (t.at, None, false),
        Window::Within { before: false, .. } if no_clock => (t.at, None, false),
        Window::Within {
            duration,
            before: false,
        } => {
            let end = window::add(t.at, *duration, cal);
            (t.at, Some(Bound { at: end, day: None }), false)
        }
        Window::Within {
            duration,
            before: true,
        } => {
            let start = window::sub(t.at, *duration, cal);
            (
                start,
                Some(Bound {
                    at: t.at,
                    day: None,
                }),
                true,
            )
        }
        Window::By(b) => (t.at, Some(*b), false),
        Window::Between(a, b) => (
            if inst.from_start { *a } else { t.at.max(*a) },
            Some(*b),
            false,
        ),
    };
    if inst.from_start {
        if let Window::Between(a, _) = &c.window {
            inst.opens = Some(*a);
        }
    } else if open != t.at {
        inst.opens = Some(open);
    }
    inst.deadline = deadline;
    // Before the record starts, a `within` clock in force from the start
    // has not started: nothing decides the instance yet (any decision would
    // depend on when the first event comes).
    if no_clock {
        return inst;
    }
    // 3. The action's events, in time order, up to the as-of.
    let events: Vec<usize> = ctx.index(&c.action).lookup(&inst.bindings).to_vec();
    let close_at = deadline.map(|d| d.at);
    let in_window = |at: Timestamp| at >= open && close_at.is_none_or(|d| at <= d);
    let target = c.aggregate.as_ref().map(|a| a.at_least);
    let mut total = Decimal::ZERO;
    let mut peak = Decimal::ZERO;
    let mut reached: Option<(Timestamp, usize)> = None;
    let mut counted: Vec<usize> = Vec::new();
    let mut late: Option<(Timestamp, usize)> = None;
    let mut late_total = Decimal::ZERO;
    // All events at one instant count together: the bound is checked only
    // after the last event of each instant, so their order in the log (or
    // a negative amount among them) cannot change the verdict.
    let at_of = |e: usize| ctx.log.events.get(e).map(|ev| ev.at);
    for (k, &e) in events.iter().enumerate() {
        let Some(ev) = ctx.log.events.get(e) else {
            continue;
        };
        if ev.at < open {
            continue;
        }
        // Without an aggregate the first matching event decides (and is cited).
        let last_of_instant =
            target.is_none() || events.get(k + 1).and_then(|n| at_of(*n)) != Some(ev.at);
        let amount = match c.aggregate.as_ref().and_then(|a| a.sum_of) {
            Some(f) => ev
                .values
                .get(f)
                .and_then(Value::as_decimal)
                .unwrap_or(Decimal::ZERO),
            None => Decimal::ONE,
        };
        if in_window(ev.at) {
            // Progress counts every matching event in the window; the
            // evidence stops at the instant that reached the bound.
            total = total.saturating_add(amount);
            if last_of_instant {
                peak = peak.max(total);
            }
            if reached.is_none() {
                if counted.len() < MAX_COUNTED {
                    counted.push(e);
                }
                if last_of_instant && target.is_none_or(|tg| total >= tg) {
                    reached = Some((ev.at, e));
                }
            }
            late_total = total;
        } else if reached.is_none() && late.is_none() && !look_back {
            late_total = late_total.saturating_add(amount);
            if last_of_instant && target.is_none_or(|tg| late_total >= tg) {
                late = Some((ev.at, e));
            }
        }
    }
    if let Some(tg) = target {
        inst.progress = Some(Progress {
            value: total,
            target: tg,
            peak,
        });
    }
    // 4. The decision, before the unless.
    let mut decision: Option<(Decision, Vec<Evidence>)> = None;
    // A bound that no event is needed to reach (`with count >= 0`) is
    // reached as the window opens: the matching events "reach the bound"
    // at its first moment (for a look-back, decided at the trigger).
    // (Not before a `within` clock has started.)
    let met_at_opening = target.is_some_and(|tg| tg <= Decimal::ZERO) && !no_clock;
    if met_at_opening {
        let status = if c.prohibition {
            Status::Violated
        } else {
            Status::Fulfilled
        };
        let role = if c.prohibition {
            Role::Violation
        } else {
            Role::Fulfilment
        };
        let m = if look_back { t } else { Moment::at(open) };
        decision = Some((
            decision_at(status, m),
            vec![Evidence {
                role,
                at: open,
                item: Item::WindowOpened,
            }],
        ));
    } else if c.prohibition {
        if let Some((at, e)) = reached {
            let mut ev: Vec<Evidence> = Vec::new();
            if target.is_some() {
                ev.extend(
                    counted
                        .iter()
                        .filter(|x| **x != e)
                        .filter_map(|x| ctx.event_evidence(*x, Role::Counted)),
                );
            }
            ev.extend(ctx.event_evidence(e, Role::Violation));
            decision = Some((
                decision_at(Status::Violated, if look_back { t } else { Moment::at(at) }),
                ev,
            ));
        } else if let Some(d) = deadline {
            let m = if look_back {
                t
            } else {
                Moment::just_after(d.at)
            };
            decision = Some((
                decision_at(Status::Fulfilled, m),
                vec![Evidence {
                    role: Role::Fulfilment,
                    at: d.at,
                    item: Item::WindowClosed,
                }],
            ));
        }
    } else if let Some((at, e)) = reached {
        let mut ev: Vec<Evidence> = Vec::new();
        if target.is_some() {
            ev.extend(
                counted
                    .iter()
                    .filter(|x| **x != e)
                    .filter_map(|x| ctx.event_evidence(*x, Role::Counted)),
            );
        }
        ev.extend(ctx.event_evidence(e, Role::Fulfilment));
        decision = Some((
            decision_at(
                Status::Fulfilled,
                if look_back { t } else { Moment::at(at) },
            ),
            ev,
        ));
    } else if let Some(d) = deadline {
        let m = if look_back {
            t
        } else {
            Moment::just_after(d.at)
        };
        let mut ev: Vec<Evidence> = Vec::new();
        if target.is_some() {
            ev.extend(
                counted
                    .iter()
                    .filter_map(|x| ctx.event_evidence(*x, Role::Counted)),
            );
        }
        ev.push(Evidence {
            role: Role::Violation,
            at: d.at,
            item: Item::Deadline,
        });
        decision = Some((decision_at(Status::Violated, m), ev));
        if let Some((at, e)) = late {
            inst.late = Some(at);
            ev_push(&mut decision, ctx.event_evidence(e, Role::Late));
        }
    }
    // 5. The unless: cancels when it holds strictly before the decision,
    // or as the deadline that decides it passes.
    if let Some(u) = &c.unless {
        let e = cond::eval_cond(ctx, env, u, &inst.bindings, Moment::MIN);
        if let Some((m, ev)) = e.first_true {
            let effective = m.max(t);
            let cancels = match &decision {
                Some((d, _)) if look_back => effective <= d.at && m <= t,
                // Held before the trigger: cancelled at the trigger, even
                // when the decision comes at that same instant.
                Some(_) if m.at < t.at => true,
                // Decided as the deadline passes: an `unless` that holds
                // as it passes too (another commitment violated or expired
                // at that same deadline) held within the window, which
                // includes its end.
                Some((d, _)) if d.at.after => effective <= d.at,
                Some((d, _)) => effective < d.at,
                None => true,
            };
            if cancels && effective.reached_by(as_of) {
                let ev = ev.into_iter().map(|mut x| {
                    x.role = Role::Cancellation;
                    x
                });
                inst.late = None;
                decision = Some((
                    decision_at(Status::Cancelled, effective),
                    ev.into_iter().collect(),
                ));
            }
        }
    }
    // No decision before the instance is in force: a reparation comes in
    // force just after its source's deadline, and an event at that instant
    // decides it then, not earlier.
    if let Some((d, _)) = decision.as_mut() {
        if d.at < t {
            d.at = t;
        }
    }
    let decided = decision
        .as_ref()
        .is_some_and(|(d, _)| d.at.reached_by(as_of));
    if let Some((d, ev)) = decision.filter(|_| decided) {
        inst.decision = Some(d);
        inst.evidence.extend(ev);
    } else {
        inst.late = None;
        // Still open: cite what counts toward the aggregate so far.
        if target.is_some() {
            inst.evidence.extend(
                counted
                    .iter()
                    .filter_map(|x| ctx.event_evidence(*x, Role::Counted)),
            );
        }
    }
    if inst.decision.is_none_or(|d| d.status != Status::Violated) {
        inst.late = None;
        inst.evidence.retain(|e| e.role != Role::Late);
    }
    inst.evidence
        .sort_by(|a, b| a.at.cmp(&b.at).then(a.role.cmp(&b.role)));
    inst
}

fn ev_push(decision: &mut Option<(Decision, Vec<Evidence>)>, e: Option<Evidence>) {
    if let (Some((_, v)), Some(e)) = (decision.as_mut(), e) {
        v.push(e);
    }
}

fn decision_at(status: Status, at: Moment) -> Decision {
    Decision { status, at }
}

/// The last instant a trigger can put the commitment in force: the end of a
/// `by` or `between` window.
fn closing_bound(c: &Commitment) -> Option<Bound> {
    match &c.window {
        Window::By(b) | Window::Between(_, b) => Some(*b),
        _ => None,
    }
}

/// A reparation comes in force at the first violation of a matching
/// instance of a commitment that names it in `otherwise`.
fn reparation_trigger(
    ctx: &Ctx<'_>,
    env: &Env<'_>,
    sources: &[CommitmentIdx],
    binding: &[Value],
) -> Option<(Moment, Option<Evidence>)> {
    let mut best: Option<(Moment, Evidence)> = None;
    for &s in sources {
        let (found, _) = cond::matching(env, ctx.model, s, binding);
        for inst in found {
            if let Some(d) = inst.decision.filter(|d| d.status == Status::Violated) {
                if best.as_ref().is_none_or(|(m, _)| d.at < *m) {
                    let ev = Evidence {
                        role: Role::Trigger,
                        at: d.at.at,
                        item: Item::Commitment {
                            commitment: s,
                            bindings: inst.bindings.clone(),
                            status: Status::Violated,
                        },
                    };
                    best = Some((d.at, ev));
                }
            }
        }
    }
    best.map(|(m, e)| (m, Some(e)))
}

/// When every matching source instance has ended without a violation.
fn reparation_dead(env: &Env<'_>, sources: &[CommitmentIdx]) -> Option<Moment> {
    let mut latest: Option<Moment> = None;
    for &s in sources {
        let Some(Some(insts)) = env.results.get(s) else {
            return None;
        };
        // A source without `for each` has one instance; with it, the
        // reparation's instances exist only once triggered.
        let inst = insts.get(&[])?;
        let ended = match inst.decision {
            Some(d) if d.status != Status::Violated => d.at,
            Some(_) => return None,
            None => inst.expired?,
        };
        latest = Some(latest.map_or(ended, |l: Moment| l.max(ended)));
    }
    latest
}
