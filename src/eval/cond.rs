//! Conditions (`after`, `unless`): when each first becomes true for an
//! instance, when it can no longer become true, and which bindings they
//! can create (`for each`).

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use jiff::Timestamp;

use super::index::PatternIndex;
use super::window::Moment;
use super::{Evidence, Instance, Instances, Item, Role};
use crate::events::Log;
use crate::model::{CommitmentIdx, Cond, Model, Pattern, Status, Value};
use crate::span::Span;

/// Shared state of one evaluation: the log, the as-of, pattern indexes.
pub(crate) struct Ctx<'a> {
    pub model: &'a Model,
    pub log: &'a Log,
    pub as_of: Timestamp,
    by_kind: Vec<Vec<usize>>,
    indexes: HashMap<Span, PatternIndex>,
}

impl Ctx<'_> {
    /// Where the record starts: the first event (of a declared kind) at or
    /// before the as-of; `None` before any. Lines of kinds no rule reads
    /// and events not known yet change nothing.
    pub(crate) fn start(&self) -> Option<Timestamp> {
        self.log
            .events
            .first()
            .map(|e| e.at)
            .filter(|t| *t <= self.as_of)
    }
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(model: &'a Model, log: &'a Log, as_of: Timestamp) -> Ctx<'a> {
        let mut by_kind = vec![Vec::new(); model.kinds.len()];
        for (i, e) in log.events.iter().enumerate() {
            // Events after the as-of are not evidence yet.
            if e.at > as_of {
                break;
            }
            if let Some(v) = by_kind.get_mut(e.kind) {
                v.push(i);
            }
        }
        Ctx {
            model,
            log,
            as_of,
            by_kind,
            indexes: HashMap::default(),
        }
    }

    /// The index of a pattern, built on first use.
    pub(crate) fn index(&mut self, p: &Pattern) -> &PatternIndex {
        let (log, by_kind) = (self.log, &self.by_kind);
        self.indexes
            .entry(p.span)
            .or_insert_with(|| PatternIndex::build(p, log, by_kind))
    }

    /// Evidence for a log event.
    pub(crate) fn event_evidence(&self, e: usize, role: Role) -> Option<Evidence> {
        let ev = self.log.events.get(e)?;
        Some(Evidence {
            role,
            at: ev.at,
            item: Item::Event {
                origin: ev.origin,
                kind: ev.kind,
                source: ev.source.clone(),
            },
        })
    }
}

/// An atom's truth over time for one instance: true from `true_from`,
/// impossible from `dead_from`.
#[derive(Clone, Debug, Default)]
struct Atom {
    true_from: Option<Moment>,
    dead_from: Option<Moment>,
    evidence: Option<Evidence>,
}

/// The commitment instances another commitment's condition can see.
pub(crate) struct Env<'r> {
    pub results: &'r [Option<Instances>],
    /// Names of the evaluated commitment's variables.
    pub vars: Vec<&'r str>,
}

fn atoms<'c>(c: &'c Cond, out: &mut Vec<&'c Cond>) {
    match c {
        Cond::And(a, b) | Cond::Or(a, b) => {
            atoms(a, out);
            atoms(b, out);
        }
        Cond::Not(a) => atoms(a, out),
        leaf => out.push(leaf),
    }
}

/// Truth of the formula when the atoms' truths are given in DFS order.
fn truth(c: &Cond, vals: &[bool], i: &mut usize) -> bool {
    match c {
        Cond::And(a, b) => {
            let x = truth(a, vals, i);
            let y = truth(b, vals, i);
            x && y
        }
        Cond::Or(a, b) => {
            let x = truth(a, vals, i);
            let y = truth(b, vals, i);
            x || y
        }
        Cond::Not(a) => !truth(a, vals, i),
        _ => {
            let v = vals.get(*i).copied().unwrap_or(false);
            *i += 1;
            v
        }
    }
}

/// Kleene truth: `Some(b)` known, `None` unknown (may still change).
fn kleene(c: &Cond, vals: &[Option<bool>], i: &mut usize) -> Option<bool> {
    match c {
        Cond::And(a, b) => {
            let x = kleene(a, vals, i);
            let y = kleene(b, vals, i);
            match (x, y) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            }
        }
        Cond::Or(a, b) => {
            let x = kleene(a, vals, i);
            let y = kleene(b, vals, i);
            match (x, y) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            }
        }
        Cond::Not(a) => kleene(a, vals, i).map(|b| !b),
        _ => {
            let v = vals.get(*i).copied().flatten();
            *i += 1;
            v
        }
    }
}

/// A condition evaluated for one instance.
pub(crate) struct Evaluated {
    /// When it first became true (as of the as-of), with what made it true:
    /// the atom that became true then, and the atoms true before it that it
    /// needed (both sides of an `and`).
    pub first_true: Option<(Moment, Vec<Evidence>)>,
    /// When it became impossible, if it never became true.
    pub dead: Option<(Moment, Option<Evidence>)>,
}

/// The evidence of the atoms that make `cond` true at `m` (`vals`, the
/// atoms true then): of the atoms that hold and count toward the truth
/// (outside any `not`), those the condition cannot do without. Each is left
/// out in turn, the latest first (so that of `x or y` the one that held
/// first is cited), and kept only if the condition is false without it;
/// atoms under a `not` keep their real value. One atom that became true at
/// `m` always remains, since the condition was false just before. Cited in
/// the condition's order (the report sorts evidence by time).
fn needed(cond: &Cond, states: &[Atom], mut vals: Vec<bool>, m: Moment) -> Vec<Evidence> {
    let mut positive = Vec::new();
    polarity(cond, true, &mut positive);
    let mut order: Vec<usize> = (0..vals.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(states.get(i).and_then(|s| s.true_from)));
    let mut kept = vec![false; vals.len()];
    for i in order {
        if !positive.get(i).copied().unwrap_or(false) || !vals.get(i).copied().unwrap_or(false) {
            continue;
        }
        set(&mut vals, i, false);
        if !truth(cond, &vals, &mut 0) {
            set(&mut vals, i, true);
            set(&mut kept, i, true);
        }
    }
    debug_assert!(
        states
            .iter()
            .zip(&kept)
            .any(|(s, k)| *k && s.true_from == Some(m))
            || !kept.contains(&true)
    );
    states
        .iter()
        .zip(&kept)
        .filter(|(_, k)| **k)
        .filter_map(|(s, _)| s.evidence.clone())
        .collect()
}

/// Whether each atom (in [`atoms`] order) counts toward the truth of `c`
/// (`true`) or is under a `not`.
fn polarity(c: &Cond, positive: bool, out: &mut Vec<bool>) {
    match c {
        Cond::And(a, b) | Cond::Or(a, b) => {
            polarity(a, positive, out);
            polarity(b, positive, out);
        }
        Cond::Not(a) => polarity(a, !positive, out),
        _ => out.push(positive),
    }
}

fn set(vals: &mut [bool], i: usize, to: bool) {
    if let Some(v) = vals.get_mut(i) {
        *v = to;
    }
}

/// Evaluates `cond` for the instance with `binding`, from `lower` on.
pub(crate) fn eval_cond(
    ctx: &mut Ctx<'_>,
    env: &Env<'_>,
    cond: &Cond,
    binding: &[Value],
    lower: Moment,
) -> Evaluated {
    let mut leaves = Vec::new();
    atoms(cond, &mut leaves);
    let states: Vec<Atom> = leaves.iter().map(|a| atom(ctx, env, a, binding)).collect();
    let limit = Moment::at(ctx.as_of);
    // Truth only changes where an atom becomes true: try those moments.
    let mut candidates: Vec<Moment> = vec![lower];
    candidates.extend(
        states
            .iter()
            .filter_map(|s| s.true_from)
            .filter(|m| *m > lower),
    );
    candidates.sort();
    candidates.dedup();
    let mut first_true = None;
    for m in candidates.into_iter().filter(|m| *m <= limit) {
        let vals: Vec<bool> = states
            .iter()
            .map(|s| s.true_from.is_some_and(|t| t <= m))
            .collect();
        if truth(cond, &vals, &mut 0) {
            first_true = Some((m, needed(cond, &states, vals, m)));
            break;
        }
    }
    let mut dead = None;
    if first_true.is_none() {
        // An atom turning false for good, or true (which turns a `not` false
        // for good), is where the condition can become impossible.
        let mut moments: Vec<Moment> = states
            .iter()
            .flat_map(|s| [s.dead_from, s.true_from])
            .flatten()
            .collect();
        moments.sort();
        moments.dedup();
        for m in moments.into_iter().filter(|m| *m <= limit) {
            let vals: Vec<Option<bool>> = states
                .iter()
                .map(|s| {
                    if s.true_from.is_some_and(|t| t <= m) {
                        Some(true)
                    } else if s.dead_from.is_some_and(|d| d <= m) {
                        Some(false)
                    } else {
                        None
                    }
                })
                .collect();
            if kleene(cond, &vals, &mut 0) == Some(false) {
                let ev = states
                    .iter()
                    .filter(|s| s.dead_from == Some(m) || s.true_from == Some(m))
                    .find_map(|s| s.evidence.clone())
                    .map(|mut e| {
                        e.role = Role::Expiry;
                        e
                    });
                dead = Some((m, ev));
                break;
            }
        }
    }
    Evaluated { first_true, dead }
}

/// The instances of `other` that match an instance of the evaluated
/// commitment on their shared variables.
pub(crate) fn matching<'r>(
    env: &Env<'r>,
    model: &Model,
    other: CommitmentIdx,
    binding: &[Value],
) -> (Vec<&'r Instance>, bool) {
    let Some(Some(insts)) = env.results.get(other) else {
        return (Vec::new(), false);
    };
    let Some(oc) = model.commitments.get(other) else {
        return (Vec::new(), false);
    };
    // For each of other's variables, the value this instance gives it.
    let mapped: Vec<Option<&Value>> = oc
        .vars
        .iter()
        .map(|v| {
            env.vars
                .iter()
                .position(|n| *n == v.name)
                .and_then(|i| binding.get(i))
        })
        .collect();
    if mapped.iter().all(Option::is_some) {
        let key: Vec<Value> = mapped.into_iter().flatten().cloned().collect();
        return (insts.get(&key).into_iter().collect(), true);
    }
    let found = insts
        .list
        .iter()
        .filter(|inst| {
            mapped
                .iter()
                .zip(&inst.bindings)
                .all(|(m, v)| m.is_none_or(|m| m == v))
        })
        .collect();
    (found, false)
}

fn atom(ctx: &mut Ctx<'_>, env: &Env<'_>, a: &Cond, binding: &[Value]) -> Atom {
    match a {
        Cond::Time(t) => Atom {
            true_from: Some(Moment::at(*t)),
            dead_from: None,
            evidence: Some(Evidence {
                role: Role::Trigger,
                at: *t,
                item: Item::Time,
            }),
        },
        Cond::Event(p) => {
            let first = ctx.index(p).lookup(binding).first().copied();
            match first {
                Some(e) => Atom {
                    true_from: ctx.log.events.get(e).map(|ev| Moment::at(ev.at)),
                    dead_from: None,
                    evidence: ctx.event_evidence(e, Role::Trigger),
                },
                None => Atom::default(),
            }
        }
        Cond::Status(other, status) => {
            let (found, exact) = matching(env, ctx.model, *other, binding);
            let mut best: Option<(Moment, &Instance)> = None;
            for inst in &found {
                if let Some(m) = inst.reached(*status) {
                    if best.is_none_or(|(b, _)| m < b) {
                        best = Some((m, inst));
                    }
                }
            }
            let evidence_for = |inst: &Instance, m: Moment, st: Status| Evidence {
                role: Role::Trigger,
                at: m.at,
                item: Item::Commitment {
                    commitment: *other,
                    bindings: inst.bindings.clone(),
                    status: st,
                },
            };
            if let Some((m, inst)) = best {
                return Atom {
                    true_from: Some(m),
                    dead_from: None,
                    evidence: Some(evidence_for(inst, m, *status)),
                };
            }
            // Dead from the start when the rules alone rule the status out
            // (a `must` without a deadline is never violated, …).
            if let Some(oc) = ctx.model.commitments.get(*other) {
                if super::reach::never_reaches(oc, *status) {
                    return Atom {
                        true_from: None,
                        dead_from: Some(Moment::MIN),
                        evidence: None,
                    };
                }
            }
            // Dead when the one matching instance ended otherwise.
            let dead = match (exact, found.first()) {
                (true, Some(inst)) => {
                    ended_otherwise(inst, *status).map(|(m, st)| (m, evidence_for(inst, m, st)))
                }
                _ => None,
            };
            Atom {
                true_from: None,
                dead_from: dead.as_ref().map(|(m, _)| *m),
                evidence: dead.map(|(_, e)| e),
            }
        }
        Cond::And(..) | Cond::Or(..) | Cond::Not(..) => Atom::default(),
    }
}

/// When an instance reached a final status other than `wanted` (so it can
/// never reach `wanted`), and that status.
fn ended_otherwise(inst: &Instance, wanted: Status) -> Option<(Moment, Status)> {
    if wanted == Status::Expired {
        // Once in force it can no longer expire: from its trigger, or from
        // the start for a commitment without `after`.
        if inst.from_start {
            return Some((Moment::MIN, Status::Pending));
        }
        return inst.trigger.map(|t| (t, Status::Pending));
    }
    if let Some(d) = inst.decision {
        if d.status != wanted {
            return Some((d.at, d.status));
        }
    }
    inst.expired.map(|m| (m, Status::Expired))
}

/// Partial bindings a condition can create: `None` means "no constraint".
pub(crate) fn candidates(
    ctx: &mut Ctx<'_>,
    env: &Env<'_>,
    cond: &Cond,
    nvars: usize,
) -> Option<HashSet<Vec<Option<Value>>>> {
    match cond {
        Cond::Time(_) | Cond::Not(_) => None,
        Cond::Event(p) => {
            let idx = ctx.index(p);
            if idx.vars().is_empty() {
                return None;
            }
            let vars = idx.vars().to_vec();
            let mut out = HashSet::default();
            for (key, _) in idx.keys() {
                let mut b = vec![None; nvars];
                for (slot, v) in vars.iter().zip(key) {
                    if let Some(cell) = b.get_mut(*slot) {
                        *cell = Some(v.clone());
                    }
                }
                out.insert(b);
            }
            Some(out)
        }
        Cond::Status(other, _) => {
            let Some(Some(insts)) = env.results.get(*other) else {
                return None;
            };
            let oc = ctx.model.commitments.get(*other)?;
            let map: Vec<(usize, usize)> = oc
                .vars
                .iter()
                .enumerate()
                .filter_map(|(j, v)| env.vars.iter().position(|n| *n == v.name).map(|i| (i, j)))
                .collect();
            if map.is_empty() {
                return None;
            }
            let mut out = HashSet::default();
            for inst in &insts.list {
                let mut b = vec![None; nvars];
                for (i, j) in &map {
                    if let (Some(cell), Some(v)) = (b.get_mut(*i), inst.bindings.get(*j)) {
                        *cell = Some(v.clone());
                    }
                }
                out.insert(b);
            }
            Some(out)
        }
        Cond::And(a, b) => {
            let x = candidates(ctx, env, a, nvars);
            let y = candidates(ctx, env, b, nvars);
            match (x, y) {
                (None, other) | (other, None) => other,
                (Some(x), Some(y)) => Some(join(&x, &y)),
            }
        }
        Cond::Or(a, b) => {
            let x = candidates(ctx, env, a, nvars);
            let y = candidates(ctx, env, b, nvars);
            match (x, y) {
                // One side can hold without binding anything: the `or`
                // does not constrain the bindings.
                (None, _) | (_, None) => None,
                (Some(mut x), Some(y)) => {
                    x.extend(y);
                    Some(x)
                }
            }
        }
    }
}

/// Joins two sets of partial bindings on the variables both bind.
fn join(
    x: &HashSet<Vec<Option<Value>>>,
    y: &HashSet<Vec<Option<Value>>>,
) -> HashSet<Vec<Option<Value>>> {
    let bound = |s: &HashSet<Vec<Option<Value>>>| -> Vec<bool> {
        s.iter()
            .next()
            .map(|b| b.iter().map(Option::is_some).collect())
            .unwrap_or_default()
    };
    let (bx, by) = (bound(x), bound(y));
    let common: Vec<usize> = bx
        .iter()
        .zip(&by)
        .enumerate()
        .filter(|(_, (a, b))| **a && **b)
        .map(|(i, _)| i)
        .collect();
    let key = |b: &Vec<Option<Value>>| -> Vec<Option<Value>> {
        common
            .iter()
            .map(|i| b.get(*i).cloned().flatten())
            .collect()
    };
    let mut by_key: HashMap<Vec<Option<Value>>, Vec<&Vec<Option<Value>>>> = HashMap::default();
    for b in y {
        by_key.entry(key(b)).or_default().push(b);
    }
    let mut out = HashSet::default();
    for a in x {
        if let Some(matches) = by_key.get(&key(a)) {
            for b in matches {
                let merged: Vec<Option<Value>> = a
                    .iter()
                    .zip(b.iter())
                    .map(|(p, q)| p.clone().or_else(|| q.clone()))
                    .collect();
                out.insert(merged);
            }
        }
    }
    out
}
