//! Vague terms (design §10): for a verdict that depends on a `param` (a
//! `within`, `by` or `between` deadline, or an aggregate's bound), the
//! value at which the verdict would flip.

use jiff::{SignedDuration, Timestamp};
use rust_decimal::Decimal;

use super::Instance;
use super::cond::{self, Ctx, Env};
use super::window::{self, Moment};
use crate::model::{Aggregate, Bound, Calendar, Commitment, Duration, Status, Window};

/// "violated; fulfilled if immediately >= 8 days".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flip {
    /// The param.
    pub param: String,
    /// Its value in this run, as written in reports.
    pub value: String,
    /// The status the instance would have instead.
    pub to: Status,
    /// `>=` or `<` (a deadline), `<=` or `>` (an aggregate's bound).
    pub op: &'static str,
    /// The threshold.
    pub at: Threshold,
}

/// Where a verdict flips: a length for `within PARAM`, an instant for `by PARAM`,
/// a number for an aggregate's bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threshold {
    /// A duration.
    Length(Duration),
    /// An instant.
    Instant(Timestamp),
    /// A count or a sum.
    Number(Decimal),
}

/// Most evaluations spent looking for a flip in one direction.
const MAX_TRIES: usize = 64;

/// The flip of one instance, when its deadline or its aggregate's bound
/// names a param. A deadline param comes first: one flip is reported.
///
/// A deadline's flip is found by evaluating the instance again with the
/// deadline moved: its verdict can change only where the window's edge
/// crosses an instant that matters to it — one of its required (or
/// prohibited) events, the moment its `unless` first holds, its trigger,
/// or the as-of. So the instance is evaluated with the edge at each such
/// instant, nearest first, outward (a later deadline) and inward (one just
/// short of the instant), and the nearest change is the flip: whatever the
/// verdict then is, `cancelled` by an `unless` that a later deadline lets
/// in included.
pub(crate) fn flip(
    ctx: &mut Ctx<'_>,
    env: &Env<'_>,
    c: &Commitment,
    inst: &Instance,
    start: Option<Timestamp>,
) -> Option<Flip> {
    let as_of = ctx.as_of;
    let Some(param) = c.params.first().cloned() else {
        let a = c.aggregate.as_ref()?;
        return flip_bound(c, inst, as_of, a.param.clone()?, a);
    };
    let now = inst.status_at(as_of);
    if matches!(now, Status::Inactive | Status::Expired) {
        return None;
    }
    // Moving the param moves every use of it: when a commitment this one
    // waits on (its trigger, `unless` or reparation source, and theirs)
    // uses it too, moving this window alone says nothing true.
    if upstream_uses(ctx.model, c, &param) {
        return None;
    }
    let instants = instants(ctx, env, c, inst);
    let moved = |ctx: &mut Ctx<'_>, window: Window| {
        let mut c = c.clone();
        c.window = window;
        super::instance::eval_instance(ctx, env, &c, inst.bindings.clone(), start).status_at(as_of)
    };
    match c.window.clone() {
        Window::Within { duration, before } => {
            let t = if inst.from_start {
                start?
            } else {
                inst.trigger?.at
            };
            let cal = &c.calendar;
            // The shortest window that reaches `x`, when one does.
            let reach = |x: Timestamp| -> Option<Duration> {
                match (duration, before) {
                    (Duration::Exact(_), false) => {
                        (x >= t).then(|| Duration::Exact(x.duration_since(t)))
                    }
                    (Duration::Exact(_), true) => {
                        (x <= t).then(|| Duration::Exact(t.duration_since(x)))
                    }
                    (Duration::BusinessDays(_), false) => (x >= t)
                        .then(|| Duration::BusinessDays(business_days_to_reach(t, x, cal, false))),
                    (Duration::BusinessDays(_), true) => (x <= t)
                        .then(|| Duration::BusinessDays(business_days_to_reach(t, x, cal, true))),
                }
            };
            // The window's far edge: an instant beyond it needs a longer
            // window (outward), one within it a shorter one to drop out
            // (inward). Lengths are worked out lazily, nearest first: a
            // business-day length costs a search.
            let edge = if before {
                window::sub(t, duration, cal)
            } else {
                window::add(t, duration, cal)
            };
            let (outward_at, inward_at): (Vec<Timestamp>, Vec<Timestamp>) = if before {
                (
                    instants
                        .iter()
                        .rev()
                        .filter(|&&x| x < edge)
                        .copied()
                        .collect(),
                    instants
                        .iter()
                        .filter(|&&x| x >= edge && x <= t)
                        .copied()
                        .collect(),
                )
            } else {
                (
                    instants.iter().filter(|&&x| x > edge).copied().collect(),
                    instants
                        .iter()
                        .rev()
                        .filter(|&&x| x <= edge && x >= t)
                        .copied()
                        .collect(),
                )
            };
            let key0 = length_key(duration);
            let within = |d: Duration| Window::Within {
                duration: d,
                before,
            };
            // A longer window never undoes a verdict it changes (once
            // fulfilled, cancelled or violated by an event, a longer window
            // keeps it): when the longest tried leaves the verdict as it
            // is, none does, and the outward search is skipped.
            // (For business days, a length surely long enough stands in
            // for the exact one: a business day is at least a calendar day.)
            let longest = outward_at.last().and_then(|&x| match duration {
                Duration::BusinessDays(_) => {
                    let days = if before {
                        t.duration_since(x)
                    } else {
                        x.duration_since(t)
                    }
                    .as_secs()
                        / 86_400;
                    Some(Duration::BusinessDays(days.saturating_add(2)))
                }
                Duration::Exact(_) => reach(x),
            });
            let outward = longest
                .filter(|&d| moved(ctx, within(d)) != now)
                .and_then(|_| {
                    distinct(outward_at.iter().filter_map(|&x| reach(x)))
                        .take(MAX_TRIES)
                        .find_map(|d| {
                            let s = moved(ctx, within(d));
                            (s != now).then_some((s, ">=", d))
                        })
                });
            let inward = distinct(inward_at.iter().filter_map(|&x| reach(x)))
                .take(MAX_TRIES)
                .find_map(|d| {
                    let s = moved(ctx, within(just_short_of(d)?));
                    (s != now).then_some((s, "<", d))
                });
            let (to, op, at) = nearest(outward, inward, |d| (length_key(d) - key0).abs())?;
            Some(Flip {
                param,
                value: duration.to_string(),
                to,
                op,
                at: Threshold::Length(at),
            })
        }
        Window::By(b) | Window::Between(_, b) => {
            // The end of `between` moves alone, unless the start is the same
            // param: then no single threshold says where the verdict flips.
            if c.start_param.as_ref() == Some(&param) {
                return None;
            }
            let with_end = |at: Timestamp| {
                let end = Bound { at, day: None };
                match c.window {
                    Window::Between(a, _) => Window::Between(a, end),
                    _ => Window::By(end),
                }
            };
            // An end before the window's start is refused by the rules.
            let start = match c.window {
                Window::Between(a, _) => a,
                _ => Timestamp::MIN,
            };
            let outward = instants
                .iter()
                .filter(|&&x| x > b.at)
                .take(MAX_TRIES)
                .find_map(|&x| {
                    let s = moved(ctx, with_end(x));
                    (s != now).then_some((s, ">=", x))
                });
            let inward = instants
                .iter()
                .rev()
                .filter(|&&x| x <= b.at && x > start)
                .take(MAX_TRIES)
                .find_map(|&x| {
                    let shorter = x.checked_sub(SignedDuration::from_nanos(1)).ok()?;
                    let s = moved(ctx, with_end(shorter));
                    (s != now).then_some((s, "<", x))
                });
            let (to, op, at) =
                nearest(outward, inward, |x| x.duration_since(b.at).as_nanos().abs())?;
            Some(Flip {
                param,
                value: b
                    .at
                    .to_zoned_datetime(c.calendar.zone.tz.clone())
                    .strftime("%Y-%m-%dT%H:%M:%S%.f%:z")
                    .to_string(),
                to,
                op,
                at: Threshold::Instant(at),
            })
        }
        Window::Open => None,
    }
}

/// True when a commitment `c` waits on — through its trigger, its
/// `unless` or the violations that trigger it, and so on up — uses
/// `param`.
fn upstream_uses(model: &crate::model::Model, c: &Commitment, param: &str) -> bool {
    let uses = |d: &Commitment| {
        d.params.iter().any(|p| p == param)
            || d.start_param.as_deref() == Some(param)
            || d.aggregate.as_ref().and_then(|a| a.param.as_deref()) == Some(param)
    };
    let waits_on = |d: &Commitment, out: &mut Vec<usize>| {
        match &d.trigger {
            crate::model::Trigger::After(cond) => cond.commitments(out),
            crate::model::Trigger::Reparation(sources) => out.extend(sources),
            crate::model::Trigger::Immediate => {}
        }
        if let Some(u) = &d.unless {
            u.commitments(out);
        }
    };
    let mut todo = Vec::new();
    waits_on(c, &mut todo);
    let mut seen = vec![false; model.commitments.len()];
    while let Some(i) = todo.pop() {
        if std::mem::replace(seen.get_mut(i).unwrap_or(&mut true), true) {
            continue;
        }
        let Some(d) = model.commitments.get(i) else {
            continue;
        };
        if uses(d) {
            return true;
        }
        waits_on(d, &mut todo);
    }
    false
}

/// The instants, up to the as-of, where moving a window's edge can change
/// an instance's verdict, in time order.
fn instants(ctx: &mut Ctx<'_>, env: &Env<'_>, c: &Commitment, inst: &Instance) -> Vec<Timestamp> {
    let as_of = ctx.as_of;
    let events: Vec<usize> = ctx.index(&c.action).lookup(&inst.bindings).to_vec();
    let mut out: Vec<Timestamp> = events
        .iter()
        .filter_map(|&e| ctx.log.events.get(e).map(|ev| ev.at))
        .collect();
    if let Some(u) = &c.unless {
        let e = cond::eval_cond(ctx, env, u, &inst.bindings, Moment::MIN);
        if let Some((m, _)) = e.first_true {
            out.push(m.at);
        }
    }
    out.extend(inst.trigger.map(|t| t.at));
    out.push(as_of);
    out.retain(|x| *x <= as_of);
    out.sort();
    out.dedup();
    out
}

/// `lengths` without the repeats of the one before (instants close together
/// can need the same length: it is tried once).
fn distinct(lengths: impl Iterator<Item = Duration>) -> impl Iterator<Item = Duration> {
    let mut last = None;
    lengths.filter(move |d| {
        let fresh = last != Some(*d);
        last = Some(*d);
        fresh
    })
}

/// A length's place in order: nanoseconds, or a number of business days
/// (one window has lengths of one kind).
fn length_key(d: Duration) -> i128 {
    match d {
        Duration::Exact(d) => d.as_nanos(),
        Duration::BusinessDays(n) => i128::from(n),
    }
}

/// The longest length shorter than `d`, if any.
fn just_short_of(d: Duration) -> Option<Duration> {
    match d {
        Duration::Exact(d) if d > SignedDuration::ZERO => {
            Some(Duration::Exact(d - SignedDuration::from_nanos(1)))
        }
        Duration::BusinessDays(n) if n > 0 => Some(Duration::BusinessDays(n - 1)),
        _ => None,
    }
}

/// Of a flip found outward and one found inward, the nearer to the value
/// of the run (outward on a tie).
fn nearest<T: Copy>(
    outward: Option<(Status, &'static str, T)>,
    inward: Option<(Status, &'static str, T)>,
    distance: impl Fn(T) -> i128,
) -> Option<(Status, &'static str, T)> {
    match (outward, inward) {
        (Some(o), Some(i)) => Some(if distance(i.2) < distance(o.2) { i } else { o }),
        (o, i) => o.or(i),
    }
}

/// The flip of an aggregate's bound `with count|sum(F) >= PARAM`: a bound
/// up to the window's peak total is reached in the window, a higher one is
/// not ([`super::Progress::peak`]).
///
/// Exact where the flip cannot meet the `unless`: an instance that is
/// violated or pending (or, for a prohibition, fulfilled or pending) had no
/// `unless` hold within its window, so reaching the bound decides it as
/// before. The other way, a bound no longer reached would leave the window
/// open to an `unless` that held after the decision (cancelled, not
/// violated): no flip is given then, for a commitment with `unless`
/// (a look-back, decided at its trigger, is exact either way).
fn flip_bound(
    c: &Commitment,
    inst: &Instance,
    as_of: Timestamp,
    param: String,
    a: &Aggregate,
) -> Option<Flip> {
    let progress = inst.progress?;
    // A window not open yet as of the as-of: no bound, not even one that
    // needs no event (reached as the window opens), decides it by then.
    if inst
        .opens
        .or(inst.trigger.map(|t| t.at))
        .is_some_and(|open| open > as_of)
    {
        return None;
    }
    let look_back = matches!(c.window, Window::Within { before: true, .. });
    // The status the instance would have with a bound the window does not
    // reach: still open, or closed (its deadline passed, or decided at the
    // trigger for a look-back).
    let closed = look_back || inst.deadline.is_some_and(|d| d.at < as_of);
    let (reached, unreached) = match (c.prohibition, closed) {
        (false, true) => (Status::Fulfilled, Status::Violated),
        (false, false) => (Status::Fulfilled, Status::Pending),
        (true, true) => (Status::Violated, Status::Fulfilled),
        (true, false) => (Status::Violated, Status::Pending),
    };
    let status = inst.status_at(as_of);
    let (to, op) = if status == reached {
        if c.unless.is_some() && !look_back {
            return None;
        }
        (unreached, ">")
    } else if matches!(status, Status::Pending) || status == unreached {
        (reached, "<=")
    } else {
        return None;
    };
    Some(Flip {
        param,
        value: a.at_least.normalize().to_string(),
        to,
        op,
        at: Threshold::Number(progress.peak.normalize()),
    })
}

/// The fewest business days from `t` whose window reaches `target`: a
/// deadline at or after it, or (`back`, a look-back) a start at or before
/// it.
///
/// Stepping is monotone in the number of days, so the answer is found by
/// doubling then halving: O(log n) steps of O(n) each (counting up one by
/// one made a far as-of cost minutes on a large log).
fn business_days_to_reach(t: Timestamp, target: Timestamp, cal: &Calendar, back: bool) -> i64 {
    const MAX: i64 = 400_000;
    let reached = |n: i64| {
        if back {
            window::step_business_days(t, -n, cal) <= target
        } else {
            window::step_business_days(t, n, cal) >= target
        }
    };
    if reached(0) {
        return 0;
    }
    // `lo` does not reach, `hi` does.
    let (mut lo, mut hi) = (0, 1);
    while !reached(hi) {
        lo = hi;
        hi *= 2;
        if hi > MAX {
            return MAX;
        }
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if reached(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}
