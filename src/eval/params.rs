//! Vague terms (design §10): for a verdict that depends on a `param` (a
//! `within`, `by` or `between` deadline, or an aggregate's bound), the
//! value at which the verdict would flip.

use jiff::{SignedDuration, Timestamp};
use rust_decimal::Decimal;

use super::{Instance, window};
use crate::model::{Aggregate, Calendar, Commitment, Duration, Status, Window};

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

/// The flip of one instance, when its deadline or its aggregate's bound
/// names a param. A deadline param comes first: one flip is reported.
pub fn flip(c: &Commitment, inst: &Instance, as_of: Timestamp) -> Option<Flip> {
    let Some(param) = c.params.first().cloned() else {
        let a = c.aggregate.as_ref()?;
        return flip_bound(c, inst, as_of, a.param.clone()?, a);
    };
    if let Window::By(b) | Window::Between(_, b) = &c.window {
        // The end of `between` moves alone, unless the start is the same
        // param: then no single threshold says where the verdict flips.
        if c.start_param.as_ref() == Some(&param) {
            return None;
        }
        return flip_by(c, inst, as_of, param, *b);
    }
    let Window::Within {
        duration,
        before: false,
    } = &c.window
    else {
        return None;
    };
    if c.prohibition || inst.from_start {
        return None;
    }
    let t = inst.trigger?.at;
    let status = inst.status_at(as_of);
    // (the status it flips to, the comparison, the instant the deadline must reach)
    let (to, op, target) = match status {
        // Fulfilled at F: a deadline before F would have missed it.
        Status::Fulfilled => (Status::Violated, "<", inst.decision?.at.at),
        // Fulfilled late at L: a deadline at or after L would have caught it.
        Status::Violated => match inst.late {
            Some(l) => (Status::Fulfilled, ">=", l),
            // Not fulfilled: a deadline at or after the as-of has not passed.
            None => (Status::Pending, ">=", as_of),
        },
        // Pending: a deadline before the as-of would have passed.
        Status::Pending => (Status::Violated, "<", as_of),
        _ => return None,
    };
    let threshold = match duration {
        Duration::Exact(_) => Duration::Exact(target.duration_since(t).max(SignedDuration::ZERO)),
        Duration::BusinessDays(_) => {
            Duration::BusinessDays(business_days_to_reach(t, target, &c.calendar))
        }
    };
    Some(Flip {
        param,
        value: duration.to_string(),
        to,
        op,
        at: Threshold::Length(threshold),
    })
}

/// The flip of a `by PARAM` deadline: the instant the deadline must reach.
fn flip_by(
    c: &Commitment,
    inst: &Instance,
    as_of: Timestamp,
    param: String,
    b: crate::model::Bound,
) -> Option<Flip> {
    if c.prohibition {
        return None;
    }
    let (to, op, target) = match inst.status_at(as_of) {
        Status::Fulfilled => (Status::Violated, "<", inst.decision?.at.at),
        Status::Violated => match inst.late {
            Some(l) => (Status::Fulfilled, ">=", l),
            None => (Status::Pending, ">=", as_of),
        },
        Status::Pending => (Status::Violated, "<", as_of),
        _ => return None,
    };
    Some(Flip {
        param,
        value: b
            .at
            .to_zoned_datetime(c.calendar.zone.tz.clone())
            .strftime("%Y-%m-%dT%H:%M:%S%.f%:z")
            .to_string(),
        to,
        op,
        at: Threshold::Instant(target),
    })
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

/// The fewest business days from `t` whose deadline is at or after `target`.
fn business_days_to_reach(t: Timestamp, target: Timestamp, cal: &Calendar) -> i64 {
    let mut n = 0;
    while n < 100_000 && window::step_business_days(t, n, cal) < target {
        n += 1;
    }
    n
}
