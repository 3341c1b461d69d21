//! Which instances an event touches: for every commitment that reads the
//! event's kind, whether the event matches the trigger, required or
//! `unless` pattern, and the instance key it names — encoded and hashed
//! where the event is read (on the reader's workers), so the engine's
//! thread only looks keys up.

use super::keys;
use super::plan::Simple;
use crate::model::{Operand, Pattern, Value};

/// What an event is to a commitment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// It may put an instance in force.
    Trigger,
    /// It may fulfil one.
    Action,
    /// It may cancel one.
    Unless,
}

/// One commitment an event touches: the key is `keys[start..start+len]`
/// of the buffer the hits were written with.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hit {
    /// The commitment's index in the plan.
    pub ci: u32,
    /// What the event is to it.
    pub part: Part,
    /// [`keys::hash`] of the key.
    pub hash: u64,
    /// Where the encoded key starts.
    pub start: u32,
    /// Its length in bytes.
    pub len: u32,
}

/// How to read one pattern's key from an event: the literal constraints
/// it must meet, then each `for each` variable's value, encoded straight
/// from the event (as `eval::index::match_literals` reads them, without
/// building a vector of values).
#[derive(Clone, Debug)]
struct KeyOf<'m> {
    pattern: &'m Pattern,
    /// For each `for each` variable, the fields that bind it, in order.
    fields: Vec<Vec<usize>>,
}

impl<'m> KeyOf<'m> {
    fn new(pattern: &'m Pattern, n: usize) -> KeyOf<'m> {
        let fields = (0..n)
            .map(|v| {
                pattern
                    .constraints
                    .iter()
                    .filter(|c| matches!(c.operand, Operand::Var(x) if x == v))
                    .map(|c| c.field)
                    .collect()
            })
            .collect();
        KeyOf { pattern, fields }
    }

    /// Appends the event's key to `out`; false (and `out` as it was) when
    /// the event does not match the pattern (a literal fails, a field is
    /// missing, or a variable bound twice takes two values).
    fn key(&self, values: &[Value], out: &mut Vec<u8>) -> bool {
        for c in &self.pattern.constraints {
            let Some(v) = values.get(c.field) else {
                return false;
            };
            if let Operand::Lit(lit) = &c.operand {
                if !v.compare(c.op, lit) {
                    return false;
                }
            }
        }
        let start = out.len();
        for fields in &self.fields {
            let mut it = fields.iter().map(|f| values.get(*f));
            let Some(Some(first)) = it.next() else {
                out.truncate(start);
                return false;
            };
            if it.any(|v| v != Some(first)) {
                out.truncate(start);
                return false;
            }
            keys::encode_one(first, out);
        }
        true
    }
}

/// For each kind, the commitments that read it and how.
#[derive(Clone, Debug)]
pub(crate) struct Matcher<'m> {
    keys: Vec<[KeyOf<'m>; 3]>,
    by_kind: Vec<Vec<(usize, Part)>>,
}

impl<'m> Matcher<'m> {
    /// The matcher of a plan over a model of `kinds` kinds.
    pub(crate) fn new(plan: &[Simple<'m>], kinds: usize) -> Matcher<'m> {
        let mut by_kind: Vec<Vec<(usize, Part)>> = vec![Vec::new(); kinds];
        let mut keys = Vec::new();
        for (i, s) in plan.iter().enumerate() {
            let n = s.c.vars.len();
            let unless = s.unless.unwrap_or(s.action);
            keys.push([
                KeyOf::new(s.trigger, n),
                KeyOf::new(s.action, n),
                KeyOf::new(unless, n),
            ]);
            let mut add = |k: usize, part: Part| {
                if let Some(v) = by_kind.get_mut(k) {
                    v.push((i, part));
                }
            };
            add(s.trigger.kind, Part::Trigger);
            add(s.action.kind, Part::Action);
            if let Some(u) = s.unless {
                add(u.kind, Part::Unless);
            }
        }
        Matcher { keys, by_kind }
    }

    /// True when some commitment reads events of this kind.
    pub(crate) fn reads(&self, kind: usize) -> bool {
        self.by_kind.get(kind).is_some_and(|v| !v.is_empty())
    }

    /// Appends the hits of an event of `kind` with these `values` to
    /// `out`, their keys to `keys`: triggers and the other parts in the
    /// order of the plan.
    pub(crate) fn hits(
        &self,
        kind: usize,
        values: &[Value],
        keys: &mut Vec<u8>,
        out: &mut Vec<Hit>,
    ) {
        for &(ci, part) in self.by_kind.get(kind).map_or(&[][..], |v| v.as_slice()) {
            let k = match (part, self.keys.get(ci)) {
                (Part::Trigger, Some([k, _, _]))
                | (Part::Action, Some([_, k, _]))
                | (Part::Unless, Some([_, _, k])) => k,
                _ => continue,
            };
            let start = keys.len();
            if !k.key(values, keys) {
                continue;
            }
            let (Ok(ci), Ok(s), Ok(len)) = (
                u32::try_from(ci),
                u32::try_from(start),
                u32::try_from(keys.len() - start),
            ) else {
                keys.truncate(start);
                continue;
            };
            let hash = keys::hash(keys.get(start..).unwrap_or_default());
            out.push(Hit {
                ci,
                part,
                hash,
                start: s,
                len,
            });
        }
    }
}
