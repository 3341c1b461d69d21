//! Which rules the streaming engine can evaluate: every commitment has the
//! shape of an SLA — `for each` variables all bound by one trigger event,
//! a required event that names them all, `within D` after the trigger (or
//! no deadline), and at most one `unless` event that names them all — and
//! nothing reads another commitment's status, a param, or a claim. Other
//! rules go to the in-memory engine ([`crate::eval`]).

use crate::model::{Commitment, Cond, Duration, Model, Operand, Pattern, Trigger, Window};

/// How one commitment is streamed.
#[derive(Clone, Debug)]
pub(crate) struct Simple<'m> {
    /// Its index in the model.
    pub idx: usize,
    /// The commitment.
    pub c: &'m Commitment,
    /// `after` event.
    pub trigger: &'m Pattern,
    /// `must` event.
    pub action: &'m Pattern,
    /// `unless` event.
    pub unless: Option<&'m Pattern>,
    /// `within` length; `None`: no deadline.
    pub within: Option<Duration>,
}

/// The streamable commitments of a model, or why it is not streamable.
pub(crate) fn plan(model: &Model) -> Result<Vec<Simple<'_>>, String> {
    if !model.claims.is_empty() {
        return Err("the rules make claims".into());
    }
    if model.commitments.is_empty() {
        return Err("the rules have no commitments".into());
    }
    model
        .commitments
        .iter()
        .enumerate()
        .map(|(idx, c)| simple(idx, c).map_err(|why| format!("`{}`: {why}", c.id)))
        .collect()
}

fn simple(idx: usize, c: &Commitment) -> Result<Simple<'_>, &'static str> {
    let Trigger::After(Cond::Event(trigger)) = &c.trigger else {
        return Err("its trigger is not one event");
    };
    if c.prohibition || c.aggregate.is_some() || c.otherwise.is_some() || !c.params.is_empty() {
        return Err("it is a prohibition, an aggregate, has `otherwise` or reads a param");
    }
    let within = match &c.window {
        Window::Open => None,
        Window::Within {
            duration,
            before: false,
        } => Some(*duration),
        _ => return Err("its window is not `within` after the trigger"),
    };
    let unless = match &c.unless {
        None => None,
        Some(Cond::Event(p)) => Some(p),
        Some(_) => return Err("its `unless` is not one event"),
    };
    let n = c.vars.len();
    let binds_all = |p: &Pattern| {
        (0..n).all(|v| {
            p.constraints
                .iter()
                .any(|k| matches!(k.operand, Operand::Var(x) if x == v))
        })
    };
    if !binds_all(trigger) || !binds_all(&c.action) || unless.is_some_and(|p| !binds_all(p)) {
        return Err("an event does not name every `for each` variable");
    }
    Ok(Simple {
        idx,
        c,
        trigger,
        action: &c.action,
        unless,
        within,
    })
}
