//! Indexes of the events matching a pattern, keyed by the values its
//! variables take, so each instance finds its events without a scan.

use rustc_hash::FxHashMap as HashMap;

use crate::events::{Event, Log};
use crate::model::{Operand, Pattern, Value};

/// The events that match a pattern's literal constraints, grouped by the
/// values of the fields its variables bind.
#[derive(Debug, Default)]
pub(crate) struct PatternIndex {
    /// Variable indices bound by the pattern, in order of appearance.
    vars: Vec<usize>,
    /// Events (indices into the log) matching the literals, in time order.
    all: Vec<usize>,
    /// Events by the values of `vars`.
    by_key: HashMap<Vec<Value>, Vec<usize>>,
}

impl PatternIndex {
    pub(crate) fn build(pattern: &Pattern, log: &Log, by_kind: &[Vec<usize>]) -> PatternIndex {
        let vars = pattern_vars(pattern);
        let mut idx = PatternIndex {
            vars,
            all: Vec::new(),
            by_key: HashMap::default(),
        };
        let Some(candidates) = by_kind.get(pattern.kind) else {
            return idx;
        };
        for &e in candidates {
            let Some(ev) = log.events.get(e) else {
                continue;
            };
            let Some(key) = match_literals(pattern, ev, &idx.vars) else {
                continue;
            };
            idx.all.push(e);
            if !idx.vars.is_empty() {
                idx.by_key.entry(key).or_default().push(e);
            }
        }
        idx
    }

    /// Variable indices the pattern binds.
    pub(crate) fn vars(&self) -> &[usize] {
        &self.vars
    }

    /// Events matching under a binding (`binding[var]` for each variable).
    pub(crate) fn lookup(&self, binding: &[Value]) -> &[usize] {
        if self.vars.is_empty() {
            return &self.all;
        }
        let key: Option<Vec<Value>> = self.vars.iter().map(|v| binding.get(*v).cloned()).collect();
        match key.and_then(|k| self.by_key.get(&k)) {
            Some(v) => v,
            None => &[],
        }
    }

    /// Every distinct key with its events.
    pub(crate) fn keys(&self) -> impl Iterator<Item = (&Vec<Value>, &Vec<usize>)> {
        self.by_key.iter()
    }
}

/// The variables a pattern binds, in order of first appearance.
pub(crate) fn pattern_vars(pattern: &Pattern) -> Vec<usize> {
    let mut vars: Vec<usize> = Vec::new();
    for c in &pattern.constraints {
        if let Operand::Var(v) = c.operand {
            if !vars.contains(&v) {
                vars.push(v);
            }
        }
    }
    vars
}

/// Checks the literal constraints; returns the values the variables take
/// (and checks a variable used twice takes one value), in the order of
/// `vars`.
pub(crate) fn match_literals(p: &Pattern, ev: &Event, vars: &[usize]) -> Option<Vec<Value>> {
    let mut key: Vec<Option<Value>> = vec![None; vars.len()];
    for c in &p.constraints {
        let v = ev.values.get(c.field)?;
        match &c.operand {
            Operand::Lit(lit) => {
                if !v.compare(c.op, lit) {
                    return None;
                }
            }
            Operand::Var(var) => {
                let slot = vars.iter().position(|x| x == var)?;
                let cell = key.get_mut(slot)?;
                match cell {
                    Some(prev) if prev != v => return None,
                    Some(_) => {}
                    None => *cell = Some(v.clone()),
                }
            }
        }
    }
    key.into_iter().collect()
}
