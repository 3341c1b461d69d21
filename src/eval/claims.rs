//! Claims: what a party said, compared with the status (or the event's
//! occurrence) at the claim's time; and disputes between claims.

use jiff::Timestamp;

use super::cond::Ctx;
use super::window::Moment;
use super::{Instance, Instances};
use crate::events::Log;
use crate::model::{Claim, Model, Origin, Says, Status, Value};

/// A claim's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// What it says held at its time.
    Consistent,
    /// What it says did not hold at its time.
    Contradicted,
    /// The rules or logs cannot decide it.
    Unverifiable,
}

impl Verdict {
    /// The verdict word.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Consistent => "consistent",
            Verdict::Contradicted => "contradicted",
            Verdict::Unverifiable => "unverifiable",
        }
    }
}

/// The verdict on one claim.
#[derive(Clone, Debug)]
pub struct ClaimVerdict {
    /// The claim.
    pub claim: Claim,
    /// The verdict.
    pub verdict: Verdict,
    /// What was found at the claim's time: a status word, `happened` or
    /// `did not happen`; `None` when unverifiable.
    pub actual: Option<String>,
    /// When the claimed status later became true, if it did.
    pub later: Option<Moment>,
    /// When the claimed event happened, or the deciding event, if any.
    pub event_at: Option<Timestamp>,
    /// Log position of that event.
    pub event_origin: Option<crate::source::LogRef>,
    /// Why it is unverifiable.
    pub reason: Option<String>,
}

/// Two claims that cannot both be true.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dispute {
    /// The earlier claim id (sorted).
    pub a: String,
    /// The other claim id.
    pub b: String,
    /// The claim the evidence supports, if one is consistent.
    pub supported: Option<String>,
}

pub(crate) fn eval_claims(
    ctx: &mut Ctx<'_>,
    model: &Model,
    log: &Log,
    results: &[Instances],
) -> (Vec<ClaimVerdict>, Vec<Dispute>) {
    let mut verdicts: Vec<ClaimVerdict> = Vec::new();
    let as_of = ctx.as_of;
    let log_claims = log.claims.iter().filter(|c| c.at.judged_at <= as_of);
    for claim in model.claims.iter().chain(log_claims) {
        verdicts.push(judge(ctx, results, claim));
    }
    // Section 9 of the design: lists are sorted by id.
    verdicts.sort_by(|a, b| {
        a.claim
            .id
            .cmp(&b.claim.id)
            .then(claim_order(&a.claim).cmp(&claim_order(&b.claim)))
    });
    let disputes = disputes(&verdicts);
    (verdicts, disputes)
}

/// Tie-break for equal ids: rule-file claims first, then log position.
fn claim_order(c: &Claim) -> (u8, String, u32, u32) {
    match c.origin {
        Origin::Rule(_) => (0, c.id.clone(), 0, 0),
        Origin::Log(r) => (1, String::new(), r.log.0, r.line),
    }
}

fn unverifiable(claim: &Claim, reason: String) -> ClaimVerdict {
    ClaimVerdict {
        claim: claim.clone(),
        verdict: Verdict::Unverifiable,
        actual: None,
        later: None,
        event_at: None,
        event_origin: None,
        reason: Some(reason),
    }
}

fn judge(ctx: &mut Ctx<'_>, results: &[Instances], claim: &Claim) -> ClaimVerdict {
    let t = claim.at.judged_at;
    let as_of = ctx.as_of;
    match &claim.says {
        Says::Unknown { about, .. } => {
            unverifiable(claim, format!("`{about}` names no commitment of the rules"))
        }
        Says::Status {
            commitment,
            bindings,
            status,
        } => {
            let Some(bindings) = bindings else {
                return unverifiable(claim, "the claim does not name one instance".into());
            };
            let Some(inst) = results.get(*commitment).and_then(|r| r.get(bindings)) else {
                let name = ctx
                    .model
                    .commitments
                    .get(*commitment)
                    .map_or("?", |c| c.id.as_str());
                let reason = if t > as_of {
                    format!(
                        "the claim was made after the evidence ends (the as-of), and no instance of `{name}` with these bindings had been triggered by then"
                    )
                } else {
                    format!("no instance of `{name}` with these bindings was ever triggered")
                };
                return unverifiable(claim, reason);
            };
            judge_status(claim, inst, *status, t, as_of)
        }
        Says::Event { pattern, happened } => {
            let first = ctx.index(pattern).lookup(&[]).first().copied();
            let first = first.and_then(|e| ctx.log.events.get(e).map(|ev| (ev.at, ev.origin)));
            let occurred = first.is_some_and(|(at, _)| at <= t);
            if t > as_of && !occurred {
                return unverifiable(
                    claim,
                    "the claim was made after the evidence ends (the as-of)".into(),
                );
            }
            let consistent = occurred == *happened;
            ClaimVerdict {
                claim: claim.clone(),
                verdict: if consistent {
                    Verdict::Consistent
                } else {
                    Verdict::Contradicted
                },
                actual: Some(
                    if occurred {
                        "happened"
                    } else {
                        "did not happen"
                    }
                    .to_string(),
                ),
                later: match (consistent, happened, first) {
                    (false, true, Some((at, _))) if at > t => Some(Moment::at(at)),
                    _ => None,
                },
                event_at: first.map(|(at, _)| at),
                event_origin: first.map(|(_, o)| o),
                reason: None,
            }
        }
    }
}

fn judge_status(
    claim: &Claim,
    inst: &Instance,
    claimed: Status,
    t: Timestamp,
    as_of: Timestamp,
) -> ClaimVerdict {
    let judged_at = t.min(as_of);
    let actual = inst.status_at(judged_at);
    if t > as_of && !actual.is_final() {
        return unverifiable(
            claim,
            format!(
                "the claim was made after the evidence ends (the as-of), when the status was still `{actual}`"
            ),
        );
    }
    let consistent = actual == claimed;
    let later = if consistent {
        None
    } else {
        inst.reached(claimed).filter(|m| *m > Moment::at(t))
    };
    ClaimVerdict {
        claim: claim.clone(),
        verdict: if consistent {
            Verdict::Consistent
        } else {
            Verdict::Contradicted
        },
        actual: Some(actual.name().to_string()),
        later,
        event_at: None,
        event_origin: None,
        reason: None,
    }
}

/// What a claim is about, for grouping: a commitment instance or an event pattern.
#[derive(PartialEq, Eq)]
enum Subject {
    Instance(usize, Vec<Value>),
    Event(String),
}

fn subject(c: &Claim) -> Option<Subject> {
    match &c.says {
        Says::Status {
            commitment,
            bindings: Some(b),
            ..
        } => Some(Subject::Instance(*commitment, b.clone())),
        Says::Event { pattern, .. } => {
            let mut parts: Vec<String> = pattern
                .constraints
                .iter()
                .map(|k| format!("{}{}{:?}", k.field, k.op.symbol(), k.operand))
                .collect();
            parts.sort();
            Some(Subject::Event(format!(
                "{}({})",
                pattern.kind,
                parts.join(",")
            )))
        }
        _ => None,
    }
}

/// Statuses an instance can go from `a` to, later.
fn can_follow(a: Status, b: Status) -> bool {
    a == b
        || match a {
            Status::Inactive => true,
            Status::Pending => {
                matches!(b, Status::Fulfilled | Status::Violated | Status::Cancelled)
            }
            _ => false,
        }
}

/// True when the two claims cannot both be true.
fn incompatible(x: &Claim, y: &Claim) -> bool {
    let (tx, ty) = (x.at.judged_at, y.at.judged_at);
    match (&x.says, &y.says) {
        (Says::Status { status: a, .. }, Says::Status { status: b, .. }) => {
            if tx == ty {
                a != b
            } else if tx < ty {
                !can_follow(*a, *b)
            } else {
                !can_follow(*b, *a)
            }
        }
        (Says::Event { happened: a, .. }, Says::Event { happened: b, .. }) => {
            // "happened" by t1 rules out "did not happen" by any t2 >= t1.
            match (a, b) {
                (true, false) => tx <= ty,
                (false, true) => ty <= tx,
                _ => false,
            }
        }
        _ => false,
    }
}

fn disputes(verdicts: &[ClaimVerdict]) -> Vec<Dispute> {
    let mut out = Vec::new();
    for (i, x) in verdicts.iter().enumerate() {
        let Some(sx) = subject(&x.claim) else {
            continue;
        };
        for y in verdicts.iter().skip(i + 1) {
            if subject(&y.claim).as_ref() != Some(&sx) || !incompatible(&x.claim, &y.claim) {
                continue;
            }
            let supported = match (x.verdict, y.verdict) {
                (Verdict::Consistent, Verdict::Consistent) => None,
                (Verdict::Consistent, _) => Some(x.claim.id.clone()),
                (_, Verdict::Consistent) => Some(y.claim.id.clone()),
                _ => None,
            };
            let (a, b) = if x.claim.id <= y.claim.id {
                (x.claim.id.clone(), y.claim.id.clone())
            } else {
                (y.claim.id.clone(), x.claim.id.clone())
            };
            out.push(Dispute { a, b, supported });
        }
    }
    out.sort_by(|p, q| (&p.a, &p.b).cmp(&(&q.a, &q.b)));
    out
}
