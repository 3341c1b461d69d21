//! Claims: what a party said, compared with the status (or the event's
//! occurrence) at the claim's time; and disputes between claims.
//!
//! A claim dated by an instant is read at that instant. One dated by a
//! calendar day is read at every moment of that day, on the evidence up to
//! its end, and is consistent when what it says held at one of them (the
//! reading most favourable to the speaker, design §5). A status changes only
//! at a few moments (the trigger, the decision, the expiry), so the day's
//! first instant, those changes inside the day and its last instant are all
//! the readings there are.

use std::iter;

use jiff::Timestamp;

use super::cond::Ctx;
use super::window::Moment;
use super::{Evidence, Instance, Instances, Role};
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
    /// `did not happen`; `None` when unverifiable. For a consistent claim,
    /// what it says (found at [`ClaimVerdict::held`] for a day); for a
    /// contradicted one, what held at the end of its time (or at the as-of,
    /// if earlier).
    pub actual: Option<String>,
    /// When the claimed status later became true, if it did.
    pub later: Option<Moment>,
    /// For a consistent claim dated by a day: the first moment of that day
    /// at which what it says held.
    pub held: Option<Moment>,
    /// What decided it: for a status, the instance's evidence behind the
    /// status found (at `held`, or at the end of the claim's time); for an
    /// event, the first matching event when it had happened. Empty when
    /// unverifiable.
    pub evidence: Vec<Evidence>,
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
        held: None,
        evidence: Vec::new(),
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
            judge_status(claim, inst, *status, as_of)
        }
        Says::Event { pattern, happened } => {
            let first = ctx.index(pattern).lookup(&[]).first().copied();
            let first = first.and_then(|e| ctx.event_evidence(e, Role::Occurrence));
            judge_event(claim, first, *happened, as_of)
        }
    }
}

fn verdict_word(consistent: bool) -> Verdict {
    if consistent {
        Verdict::Consistent
    } else {
        Verdict::Contradicted
    }
}

/// `says PATTERN happened | did not happen`, given the first matching event
/// (at or before the as-of), cited with the role `occurrence`.
fn judge_event(
    claim: &Claim,
    first: Option<Evidence>,
    happened: bool,
    as_of: Timestamp,
) -> ClaimVerdict {
    let (from, to) = (claim.at.from, claim.at.judged_at);
    // An occurrence, once true, stays true: the most favourable reading of
    // `happened` is the last instant of the claim's time, that of `did not
    // happen` its first.
    let read = if happened { to } else { from };
    let first_at = first.as_ref().map(|e| e.at);
    let occurred = first_at.is_some_and(|at| at <= read);
    if read > as_of && !occurred {
        let reason = if claim.at.day.is_some() && from <= as_of {
            "the claim's day ends after the evidence does (the as-of), and no matching event had happened by then"
        } else {
            "the claim was made after the evidence ends (the as-of)"
        };
        return unverifiable(claim, reason.into());
    }
    let consistent = occurred == happened;
    let held = match (consistent, claim.at.day, first_at) {
        (true, Some(_), Some(at)) if happened => Some(Moment::at(at.max(from))),
        (true, Some(_), _) => Some(Moment::at(from)),
        _ => None,
    };
    ClaimVerdict {
        claim: claim.clone(),
        verdict: verdict_word(consistent),
        actual: Some(
            if occurred {
                "happened"
            } else {
                "did not happen"
            }
            .to_string(),
        ),
        later: match (consistent, first_at) {
            (false, Some(at)) if happened && at > to => Some(Moment::at(at)),
            _ => None,
        },
        held,
        evidence: first.filter(|_| occurred).into_iter().collect(),
        reason: None,
    }
}

/// `says ID is STATUS` about an instance.
fn judge_status(claim: &Claim, inst: &Instance, claimed: Status, as_of: Timestamp) -> ClaimVerdict {
    let (from, to) = (claim.at.from, claim.at.judged_at);
    // The evidence ends at the claim's time, or at the as-of if earlier.
    let end = to.min(as_of);
    let actual = inst.status_at(end);
    let held = if from <= as_of {
        // Every reading the claim's time offers, earliest first (one for a
        // claim dated by an instant). A violation passes just after its
        // deadline: when that is the day's last instant, it is not inside
        // the day.
        let (lo, hi) = (Moment::at(from), Moment::at(end));
        let changes = inst.changes().into_iter().filter(|m| lo < *m && *m < hi);
        iter::once(lo)
            .chain(changes)
            .chain(iter::once(hi))
            .find(|m| inst.status_in(*m) == claimed)
    } else if actual == claimed && actual.is_final() {
        // Made after the as-of, about a status already final by then.
        Some(Moment::at(from))
    } else {
        None
    };
    if let Some(m) = held {
        return ClaimVerdict {
            claim: claim.clone(),
            verdict: Verdict::Consistent,
            actual: Some(claimed.name().to_string()),
            later: None,
            held: claim.at.day.and(Some(m)),
            evidence: inst.evidence_in(m),
            reason: None,
        };
    }
    if to > as_of && !actual.is_final() {
        let reason = if claim.at.day.is_some() && from <= as_of {
            format!(
                "the claim's day ends after the evidence does (the as-of); up to then the status was never `{claimed}`, and it was still `{actual}`"
            )
        } else {
            format!(
                "the claim was made after the evidence ends (the as-of), when the status was still `{actual}`"
            )
        };
        return unverifiable(claim, reason);
    }
    ClaimVerdict {
        claim: claim.clone(),
        verdict: Verdict::Contradicted,
        actual: Some(actual.name().to_string()),
        later: inst.reached(claimed).filter(|m| *m > Moment::at(to)),
        held: None,
        evidence: inst.evidence_in(Moment::at(end)),
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

/// True when the two claims cannot both be true. Each is read at some
/// instant of its time (one instant, or every instant of a day), as its
/// verdict is: they are compatible when some history makes both true at
/// instants of their times.
fn incompatible(x: &Claim, y: &Claim) -> bool {
    let (x_from, x_to) = (x.at.from, x.at.judged_at);
    let (y_from, y_to) = (y.at.from, y.at.judged_at);
    match (&x.says, &y.says) {
        (Says::Status { status: a, .. }, Says::Status { status: b, .. }) => {
            // `x` read before `y` needs an instant of `x`'s time before one
            // of `y`'s; at one same instant both must say the same.
            let x_first = x_from < y_to && can_follow(*a, *b);
            let y_first = y_from < x_to && can_follow(*b, *a);
            a != b && !x_first && !y_first
        }
        (Says::Event { happened: a, .. }, Says::Event { happened: b, .. }) => {
            // "happened" by t1 rules out "did not happen" at any t2 >= t1;
            // read at their most favourable instants, the end of the one and
            // the start of the other.
            match (a, b) {
                (true, false) => x_to <= y_from,
                (false, true) => y_to <= x_from,
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

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "test code")]

    use super::*;
    use crate::eval::Decision;
    use crate::model::ClaimTime;
    use crate::source::{LogId, LogRef};

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// A claim that `ship` has `status`: on a UTC day (`2025-03-02`) or at
    /// an instant.
    fn claim(id: &str, when: &str, status: Status) -> Claim {
        let at = match when.parse::<jiff::civil::Date>() {
            Ok(day) => ClaimTime {
                judged_at: ts(&format!("{day}T23:59:59.999999999Z")),
                from: ts(&format!("{day}T00:00:00Z")),
                day: Some(day),
            },
            Err(_) => ClaimTime {
                judged_at: ts(when),
                from: ts(when),
                day: None,
            },
        };
        Claim {
            id: id.into(),
            title: None,
            by: "shop".into(),
            at,
            source: None,
            says: Says::Status {
                commitment: 0,
                bindings: Some(Vec::new()),
                status,
            },
            origin: Origin::Log(LogRef {
                log: LogId(0),
                line: 0,
            }),
        }
    }

    /// In force on March 1 at 20:00, decided at `decided`.
    fn instance(status: Status, decided: Moment) -> Instance {
        let mut i = Instance::untriggered(Vec::new());
        i.trigger = Some(Moment::at(ts("2025-03-01T20:00:00Z")));
        i.decision = Some(Decision {
            status,
            at: decided,
        });
        i
    }

    fn judged(i: &Instance, c: &Claim) -> (Verdict, Option<String>, Option<Moment>) {
        let v = judge_status(c, i, status_of(c), ts("2025-03-10T00:00:00Z"));
        (v.verdict, v.actual, v.held)
    }

    fn status_of(c: &Claim) -> Status {
        match c.says {
            Says::Status { status, .. } => status,
            _ => Status::Inactive,
        }
    }

    #[test]
    fn a_day_claim_holds_at_some_instant_of_the_day() {
        let fulfilled_at = Moment::at(ts("2025-03-02T22:00:00Z"));
        let i = instance(Status::Fulfilled, fulfilled_at);
        let pending = claim("p", "2025-03-02", Status::Pending);
        assert_eq!(
            judged(&i, &pending),
            (
                Verdict::Consistent,
                Some("pending".into()),
                Some(Moment::at(ts("2025-03-02T00:00:00Z")))
            )
        );
        let fulfilled = claim("f", "2025-03-02", Status::Fulfilled);
        assert_eq!(
            judged(&i, &fulfilled),
            (
                Verdict::Consistent,
                Some("fulfilled".into()),
                Some(fulfilled_at)
            )
        );
        let inactive = claim("i", "2025-03-01", Status::Inactive);
        assert_eq!(judged(&i, &inactive).0, Verdict::Consistent);
        // An instant is read at that instant only.
        let late = claim("l", "2025-03-02T23:00:00Z", Status::Pending);
        assert_eq!(
            judged(&i, &late),
            (Verdict::Contradicted, Some("fulfilled".into()), None)
        );
        // Not pending at any instant of March 3: `actual` is the day's end.
        let next = claim("n", "2025-03-03", Status::Pending);
        assert_eq!(
            judged(&i, &next),
            (Verdict::Contradicted, Some("fulfilled".into()), None)
        );
    }

    #[test]
    fn a_violation_just_after_the_days_last_instant_is_not_in_the_day() {
        let end = ts("2025-03-02T23:59:59.999999999Z");
        let i = instance(Status::Violated, Moment::just_after(end));
        let v = judge_status(
            &claim("v", "2025-03-02", Status::Violated),
            &i,
            Status::Violated,
            ts("2025-03-10T00:00:00Z"),
        );
        assert_eq!(v.verdict, Verdict::Contradicted);
        assert_eq!(v.actual.as_deref(), Some("pending"));
        assert_eq!(v.later, Some(Moment::just_after(end)));
        // A deadline earlier in the day: violated just after it, inside it.
        let nine = ts("2025-03-02T09:00:00Z");
        let i = instance(Status::Violated, Moment::just_after(nine));
        let (verdict, _, held) = judged(&i, &claim("v", "2025-03-02", Status::Violated));
        assert_eq!(
            (verdict, held),
            (Verdict::Consistent, Some(Moment::just_after(nine)))
        );
    }

    #[test]
    fn a_day_past_the_as_of_counts_what_held_before_it() {
        let mut i = Instance::untriggered(Vec::new());
        i.from_start = true;
        let as_of = ts("2025-03-02T12:00:00Z");
        let v = judge_status(
            &claim("p", "2025-03-02", Status::Pending),
            &i,
            Status::Pending,
            as_of,
        );
        assert_eq!(v.verdict, Verdict::Consistent);
        let v = judge_status(
            &claim("f", "2025-03-02", Status::Fulfilled),
            &i,
            Status::Fulfilled,
            as_of,
        );
        assert_eq!(v.verdict, Verdict::Unverifiable);
    }

    #[test]
    fn disputes_read_day_claims_at_any_instant_of_their_days() {
        let c = |when, s| claim("x", when, s);
        // Pending in the morning, fulfilled in the evening.
        assert!(!incompatible(
            &c("2025-03-02", Status::Pending),
            &c("2025-03-02", Status::Fulfilled)
        ));
        assert!(!incompatible(
            &c("2025-03-02", Status::Fulfilled),
            &c("2025-03-02", Status::Pending)
        ));
        assert!(!incompatible(
            &c("2025-03-02", Status::Fulfilled),
            &c("2025-03-02T12:00:00Z", Status::Pending)
        ));
        // Two final statuses never follow one another.
        assert!(incompatible(
            &c("2025-03-02", Status::Fulfilled),
            &c("2025-03-02", Status::Violated)
        ));
        // Fulfilled at some instant of March 2, pending at one of March 3.
        assert!(incompatible(
            &c("2025-03-02", Status::Fulfilled),
            &c("2025-03-03", Status::Pending)
        ));
        // One instant: both must say the same.
        assert!(incompatible(
            &c("2025-03-02T12:00:00Z", Status::Pending),
            &c("2025-03-02T12:00:00Z", Status::Fulfilled)
        ));
        assert!(!incompatible(
            &c("2025-03-02T11:00:00Z", Status::Pending),
            &c("2025-03-02T12:00:00Z", Status::Fulfilled)
        ));
    }
}
