//! Vague terms (design §10): for a verdict that depends on a `param` (a
//! `within PARAM` deadline), the value at which the verdict would flip.

use jiff::{SignedDuration, Timestamp};

use super::{Instance, window};
use crate::model::{Calendar, Commitment, Duration, Status, Window};

/// "violated; fulfilled if immediately >= 8 days".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flip {
    /// The param.
    pub param: String,
    /// Its value in this run.
    pub value: Duration,
    /// The status the instance would have instead.
    pub to: Status,
    /// `>=` or `<`.
    pub op: &'static str,
    /// The threshold.
    pub at: Duration,
}

/// The flip of one instance, when its deadline is `within PARAM`.
pub fn flip(c: &Commitment, inst: &Instance, as_of: Timestamp) -> Option<Flip> {
    let Window::Within {
        duration,
        before: false,
    } = &c.window
    else {
        return None;
    };
    let param = c.params.first()?.clone();
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
        value: *duration,
        to,
        op,
        at: threshold,
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
