//! Which statuses the rules alone allow a commitment to reach, without
//! looking at any log: a `must` without a deadline is never violated, a
//! `must not` without a window never fulfilled, a commitment without
//! `unless` never cancelled, one without `after` never expired. `pacta
//! lint` warns about a trigger that can never happen; the evaluator
//! reports such a commitment `expired` from the start of the record (its
//! trigger "can no longer happen", design §4).

use crate::model::{Commitment, CommitmentIdx, Cond, Model, Status, Trigger, Window};

/// Deepest chain of commitments followed (longer chains are taken as
/// possible).
const MAX_DEPTH: usize = 64;

/// `Ok` when the commitment's trigger can happen, as far as the rules
/// alone tell; otherwise why it cannot.
pub(crate) fn trigger_possible(model: &Model, idx: CommitmentIdx) -> Result<(), String> {
    trigger_possible_at(model, idx, 0)
}

fn trigger_possible_at(model: &Model, idx: CommitmentIdx, depth: usize) -> Result<(), String> {
    let Some(c) = model.commitments.get(idx) else {
        return Ok(());
    };
    if depth > MAX_DEPTH {
        return Ok(());
    }
    match &c.trigger {
        Trigger::Immediate => Ok(()),
        Trigger::After(cond) => cond_possible(model, cond, depth + 1),
        Trigger::Reparation(sources) => {
            let mut reasons = Vec::new();
            for &s in sources {
                match status_possible(model, s, Status::Violated, depth + 1) {
                    Ok(()) => return Ok(()),
                    Err(r) => reasons.push(r),
                }
            }
            let names: Vec<String> = sources
                .iter()
                .filter_map(|s| model.commitments.get(*s))
                .map(|s| format!("`{}`", s.id))
                .collect();
            Err(format!(
                "it is triggered only by a violation of {}, and {}",
                names.join(" or "),
                reasons.join("; ")
            ))
        }
    }
}

fn cond_possible(model: &Model, cond: &Cond, depth: usize) -> Result<(), String> {
    match cond {
        Cond::And(a, b) => {
            cond_possible(model, a, depth)?;
            cond_possible(model, b, depth)
        }
        Cond::Or(a, b) => match (
            cond_possible(model, a, depth),
            cond_possible(model, b, depth),
        ) {
            (Err(x), Err(y)) => Err(format!("{x}; and {y}")),
            _ => Ok(()),
        },
        // Decided statically only for the cases above; a negation, an
        // event or an instant can always come true as far as rules tell.
        Cond::Not(_) | Cond::Event(_) | Cond::Time(_) => Ok(()),
        Cond::Status(c, st) => status_possible(model, *c, *st, depth),
    }
}

fn status_possible(
    model: &Model,
    idx: CommitmentIdx,
    status: Status,
    depth: usize,
) -> Result<(), String> {
    let Some(c) = model.commitments.get(idx) else {
        return Ok(());
    };
    let never = match never_reaches(c, status).then_some(status) {
        Some(Status::Fulfilled) => Some(format!(
            "`{}` is a `must not` without a window: it can be violated but never fulfilled",
            c.id
        )),
        Some(Status::Violated) => Some(format!(
            "`{}` has no deadline, so it is never violated",
            c.id
        )),
        Some(Status::Cancelled) => Some(format!(
            "`{}` has no `unless`, so it is never cancelled",
            c.id
        )),
        Some(Status::Expired) => Some(format!(
            "`{}` has no `after`: it is in force from the start and never expires",
            c.id
        )),
        _ => None,
    };
    if let Some(reason) = never {
        return Err(reason);
    }
    // Fulfilled and violated need the commitment in force.
    if matches!(status, Status::Fulfilled | Status::Violated) {
        if let Err(r) = trigger_possible_at(model, idx, depth + 1) {
            return Err(format!("`{}` never comes in force ({r})", c.id));
        }
    }
    Ok(())
}

/// True when the commitment, by its own clauses, can never reach `status`:
/// a `must not` without a window is never fulfilled, a `must` without a
/// deadline never violated, a commitment without `unless` never cancelled,
/// one without `after` never expired.
pub(crate) fn never_reaches(c: &Commitment, status: Status) -> bool {
    let open = matches!(c.window, Window::Open);
    match status {
        Status::Fulfilled => c.prohibition && open,
        Status::Violated => !c.prohibition && open,
        Status::Cancelled => c.unless.is_none(),
        Status::Expired => matches!(c.trigger, Trigger::Immediate),
        _ => false,
    }
}
