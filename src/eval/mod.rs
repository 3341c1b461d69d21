//! Evaluation: model + events + as-of → a status for every commitment
//! instance and a verdict for every claim.
//!
//! Commitments are visited in the graph's topological order, so a
//! condition that names another commitment reads its finished results.
//! Each instance is decided once, causally: every status change is placed
//! at the moment it became certain (a fulfilment at its event, a violation
//! just after the deadline), which is what lets claims ask for the status
//! at any earlier instant ([`Instance::status_at`]).

mod claims;
mod cond;
pub(crate) mod index;
mod instance;
pub mod params;
pub(crate) mod reach;
pub mod window;

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use jiff::Timestamp;
use rust_decimal::Decimal;

use crate::events::Log;
use crate::graph::Graph;
use crate::model::{Bound, CommitmentIdx, KindIdx, Model, Status, Value};
use crate::source::LogRef;
pub use claims::{ClaimVerdict, Dispute, Verdict};
pub use window::Moment;

/// The result of a check.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// The instant statuses are computed at.
    pub as_of: Timestamp,
    /// Per commitment (by index), its instances sorted by bindings.
    pub commitments: Vec<Instances>,
    /// Claim verdicts, rule-file claims first, then log claims, each by id.
    pub claims: Vec<ClaimVerdict>,
    /// Pairs of claims that cannot both be true.
    pub disputes: Vec<Dispute>,
    /// Instances decided by the streaming engine ([`crate::stream`]), kept
    /// compactly; reports list them in place of `commitments` (then empty).
    pub streamed: Option<Arc<crate::stream::Store>>,
}

/// The instances of one commitment.
#[derive(Clone, Debug, Default)]
pub struct Instances {
    /// Sorted by bindings.
    pub list: Vec<Instance>,
    by_key: HashMap<Vec<Value>, usize>,
}

impl Instances {
    /// The instance with exactly these bindings.
    pub fn get(&self, key: &[Value]) -> Option<&Instance> {
        self.by_key.get(key).and_then(|i| self.list.get(*i))
    }
}

/// One instance of a commitment and how it was decided.
#[derive(Clone, Debug)]
pub struct Instance {
    /// Values of the `for each` variables, in order.
    pub bindings: Vec<Value>,
    /// When it came in force (`None`: not triggered; from the start when
    /// the commitment has no trigger, see [`Instance::from_start`]).
    pub trigger: Option<Moment>,
    /// True for a commitment in force from the start (no `after`).
    pub from_start: bool,
    /// When its window opens, if that is not the trigger.
    pub opens: Option<Timestamp>,
    /// The last instant that is on time.
    pub deadline: Option<Bound>,
    /// Its final status, once reached (as of the run's as-of).
    pub decision: Option<Decision>,
    /// When its trigger became impossible.
    pub expired: Option<Moment>,
    /// A fulfilment after the deadline.
    pub late: Option<Timestamp>,
    /// Aggregate progress.
    pub progress: Option<Progress>,
    /// What decided it, in time order.
    pub evidence: Vec<Evidence>,
    /// Where its verdict would flip, when it depends on a param.
    pub flip: Option<Box<params::Flip>>,
}

/// A final status and when it was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Fulfilled, violated or cancelled.
    pub status: Status,
    /// When.
    pub at: Moment,
}

/// How far an aggregate got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Count or sum of the matching events inside the window.
    pub value: Decimal,
    /// The bound.
    pub target: Decimal,
    /// The highest running total inside the window, after the last event
    /// of an instant (0, at the window's opening, at least): a bound up to
    /// it is reached in the window, a higher one is not. It is `value` but
    /// for a `sum` with negative amounts. Where a param bound flips.
    pub peak: Decimal,
}

/// One fact behind a verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    /// What it did.
    pub role: Role,
    /// When.
    pub at: Timestamp,
    /// What it is.
    pub item: Item,
}

/// What a piece of evidence did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Put the instance in force.
    Trigger,
    /// Counted toward an aggregate.
    Counted,
    /// Fulfilled it.
    Fulfilment,
    /// Violated it.
    Violation,
    /// Cancelled it.
    Cancellation,
    /// Made its trigger impossible.
    Expiry,
    /// Fulfilled it after the deadline.
    Late,
    /// Is the event a claim says happened (or did not).
    Occurrence,
}

impl Role {
    /// The word used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Role::Trigger => "trigger",
            Role::Counted => "counted",
            Role::Fulfilment => "fulfilment",
            Role::Violation => "violation",
            Role::Cancellation => "cancellation",
            Role::Expiry => "expiry",
            Role::Late => "late",
            Role::Occurrence => "occurrence",
        }
    }
}

/// The thing a piece of evidence is.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// A log event.
    Event {
        /// Where it was read.
        origin: LogRef,
        /// Its kind.
        kind: KindIdx,
        /// Its `source` citation.
        source: Option<Arc<str>>,
    },
    /// Another commitment's instance reaching a status.
    Commitment {
        /// The commitment.
        commitment: CommitmentIdx,
        /// The instance.
        bindings: Vec<Value>,
        /// The status it reached.
        status: Status,
    },
    /// An instant written in the rules.
    Time,
    /// The deadline passing.
    Deadline,
    /// The window closing.
    WindowClosed,
    /// The window opening (an aggregate whose bound no event is needed to
    /// reach, such as `with count >= 0`).
    WindowOpened,
    /// The rules alone: a trigger that can never happen.
    Never,
}

impl Instance {
    /// An instance nothing has put in force yet.
    pub fn untriggered(bindings: Vec<Value>) -> Instance {
        Instance {
            bindings,
            trigger: None,
            from_start: false,
            opens: None,
            deadline: None,
            decision: None,
            expired: None,
            late: None,
            progress: None,
            evidence: Vec::new(),
            flip: None,
        }
    }

    /// The status as of `t` (events at `t` included; a deadline equal to `t`
    /// has not passed).
    pub fn status_at(&self, t: Timestamp) -> Status {
        self.status_in(Moment::at(t))
    }

    /// The status at a moment: at an instant, or just after it (when a
    /// deadline at that instant has passed).
    pub fn status_in(&self, m: Moment) -> Status {
        if let Some(d) = self.decision {
            if d.at <= m {
                return d.status;
            }
        }
        if self.from_start || self.trigger.is_some_and(|t| t <= m) {
            return Status::Pending;
        }
        if self.expired.is_some_and(|e| e <= m) {
            return Status::Expired;
        }
        Status::Inactive
    }

    /// The moments its status changed at (came in force, was decided,
    /// expired), in time order: between two of them it stays the same.
    pub fn changes(&self) -> Vec<Moment> {
        let trigger = self.trigger.filter(|_| !self.from_start);
        let mut out: Vec<Moment> = [trigger, self.decision.map(|d| d.at), self.expired]
            .into_iter()
            .flatten()
            .collect();
        out.sort();
        out
    }

    /// The evidence behind its status at `m`: the trigger once it came in
    /// force, the events counted so far, the decision once reached, the
    /// expiry once the trigger became impossible.
    pub fn evidence_in(&self, m: Moment) -> Vec<Evidence> {
        let in_force = self.trigger.is_some_and(|t| t <= m);
        let decided = self.decision.is_some_and(|d| d.at <= m);
        let expired = self.expired.is_some_and(|e| e <= m);
        self.evidence
            .iter()
            .filter(|e| match e.role {
                Role::Trigger => in_force,
                Role::Expiry => expired,
                Role::Fulfilment | Role::Violation | Role::Cancellation => decided,
                Role::Counted | Role::Late | Role::Occurrence => Moment::at(e.at) <= m,
            })
            .cloned()
            .collect()
    }

    /// When the instance came to have `status`, if it ever did by the as-of.
    pub fn reached(&self, status: Status) -> Option<Moment> {
        match status {
            Status::Inactive => None,
            Status::Pending => {
                if self.from_start {
                    Some(Moment::MIN)
                } else {
                    self.trigger
                }
            }
            Status::Expired => self.expired,
            s => self.decision.filter(|d| d.status == s).map(|d| d.at),
        }
    }
}

/// Evaluates every commitment and claim as of `as_of`.
pub fn evaluate(model: &Model, graph: &Graph, log: &Log, as_of: Timestamp) -> Evaluation {
    let mut ctx = cond::Ctx::new(model, log, as_of);
    let mut results: Vec<Option<Instances>> = vec![None; model.commitments.len()];
    for &c in &graph.order {
        let instances = instance::eval_commitment(&mut ctx, c, &results);
        if let Some(slot) = results.get_mut(c) {
            *slot = Some(instances);
        }
    }
    let commitments: Vec<Instances> = results.into_iter().map(Option::unwrap_or_default).collect();
    let (claims, disputes) = claims::eval_claims(&mut ctx, model, log, &commitments);
    Evaluation {
        as_of,
        commitments,
        claims,
        disputes,
        streamed: None,
    }
}

/// Builds an [`Instances`] from a list, sorting by bindings.
fn instances_from(mut list: Vec<Instance>) -> Instances {
    list.sort_by(|a, b| a.bindings.cmp(&b.bindings));
    let by_key = list
        .iter()
        .enumerate()
        .map(|(i, inst)| (inst.bindings.clone(), i))
        .collect();
    Instances { list, by_key }
}
