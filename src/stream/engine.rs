//! The streaming evaluator: events in time order, one instant at a time,
//! with a timer queue for deadlines. An instance is open from its trigger
//! until it is decided; then it becomes a [`Rec`] (or, in a summary run, a
//! record spilled to sorted runs, see [`super::spill`]) and its open state
//! is dropped.
//!
//! It decides exactly as [`crate::eval`] does for the commitments
//! [`super::plan`] accepts: the first trigger event puts an instance in
//! force; the first required event from the trigger to the deadline
//! (inclusive) fulfils it; none by then violates it just after the
//! deadline, and the first required event after that is cited as late; the
//! first `unless` event cancels it when it comes before the trigger, or no
//! later than the deadline and before the fulfilment (at the same instant,
//! the fulfilment wins). Events at one instant are taken together: triggers
//! first, then required and `unless` events in log order — so an event at
//! the trigger's instant counts whatever its line.

use std::sync::Arc;

use hashbrown::HashTable;
use jiff::Timestamp;
use rustc_hash::FxHashMap as HashMap;

use super::Keep;
use super::hits::{Hit, Matcher, Part};
use super::keys::KeySet;
use super::plan::Simple;
use super::spill::{Limits, Spill, status_byte};
use super::store::{Cite, Ev, Kept, Rec, Store};
use super::timers::Timers;
use crate::eval::window;
use crate::events::Event;
use crate::model::{Model, Status};

/// An instance in force and not yet decided.
#[derive(Clone, Debug)]
struct Open {
    key: u64,
    /// [`super::keys::hash`] of the key.
    hash: u64,
    trigger: Ev,
    fulfil: Option<Ev>,
    unless: Option<Ev>,
}

/// The open instances of one commitment, by key offset and by key: an
/// event for an open key (most required and `unless` events come while
/// the instance is open) is found here, in a table small enough to stay
/// in cache, without a probe of the large set of every key that came in
/// force.
#[derive(Debug, Default)]
struct OpenSet {
    by_off: HashMap<u64, Open>,
    /// Key offsets, filed under [`super::keys::hash`] of their key.
    by_hash: HashTable<u64>,
}

impl OpenSet {
    /// An empty set with room for `n` instances.
    fn with_capacity(n: usize) -> OpenSet {
        OpenSet {
            by_off: HashMap::with_capacity_and_hasher(n, Default::default()),
            by_hash: HashTable::with_capacity(n),
        }
    }

    fn len(&self) -> usize {
        self.by_off.len()
    }

    /// Adds an instance whose key hashes to `hash`.
    fn insert(&mut self, hash: u64, o: Open) {
        let by_off = &self.by_off;
        self.by_hash
            .insert_unique(hash, o.key, |off| by_off.get(off).map_or(0, |o| o.hash));
        self.by_off.insert(o.key, o);
    }

    /// The offset of the open instance of `key`, if there is one.
    fn find(&self, hash: u64, key: &[u8], keys: &KeySet) -> Option<u64> {
        self.by_hash
            .find(hash, |off| keys.get(*off) == key)
            .copied()
    }

    fn get(&self, off: u64) -> Option<&Open> {
        self.by_off.get(&off)
    }

    fn get_mut(&mut self, off: u64) -> Option<&mut Open> {
        self.by_off.get_mut(&off)
    }

    fn remove(&mut self, off: u64) -> Option<Open> {
        let o = self.by_off.remove(&off)?;
        if let Ok(entry) = self.by_hash.find_entry(o.hash, |x| *x == off) {
            entry.remove();
        }
        Some(o)
    }

    /// Every open instance, the set emptied.
    fn drain(&mut self) -> Vec<Open> {
        self.by_hash.clear();
        self.by_off.drain().map(|(_, o)| o).collect()
    }
}

/// One commitment's streaming state.
#[derive(Debug, Default)]
struct State {
    kept: Kept,
    /// Open instances.
    open: OpenSet,
    /// Deadlines of open instances: (deadline, key offset).
    timers: Timers,
    /// The first `unless` event of keys not (yet) in force (a spilling
    /// run writes them as records instead).
    pre_unless: HashMap<Box<[u8]>, Ev>,
    /// Violated instances whose late event is still to come: key offset →
    /// index in `kept.recs`.
    late_watch: HashMap<u64, usize>,
    /// Whether any trigger put an instance in force.
    triggered: bool,
}

/// The streaming evaluator.
pub(crate) struct Engine<'m> {
    plan: Vec<Simple<'m>>,
    matcher: Matcher<'m>,
    states: Vec<State>,
    keep: Keep,
    counts: [u64; 6],
    sources: Vec<Arc<str>>,
    source_ids: HashMap<Arc<str>, u32>,
    /// The hits of the current instant, in log order, with their events
    /// (sources already interned); their keys are in `instant_keys`.
    instant: Vec<(Ev, Hit)>,
    instant_keys: Vec<u8>,
    /// For [`Engine::push`]: one event's hits.
    scratch: Vec<Hit>,
    /// A summary run's records, spilled instead of kept: then each key set
    /// holds only the open keys and those decided since it was last
    /// compacted, and [`spill`](super::spill) makes the result exact.
    spill: Option<Spill>,
    /// Each commitment's position in report order (by id).
    ranks: Vec<u32>,
    /// A key set overflowed (before it was compacted).
    overflow: bool,
}

impl<'m> Engine<'m> {
    /// An engine that keeps what `keep` asks for; with `spill`, a summary
    /// run's records are spilled within those limits.
    pub(crate) fn new(
        model: &'m Model,
        plan: Vec<Simple<'m>>,
        keep: Keep,
        spill: Option<Limits>,
    ) -> Engine<'m> {
        let matcher = Matcher::new(&plan, model.kinds.len());
        let states = plan.iter().map(|_| State::default()).collect();
        let by_id = super::store::by_id(model);
        let ranks: Vec<u32> = plan
            .iter()
            .map(|s| {
                let r = by_id.iter().position(|&ci| ci == s.idx).unwrap_or(0);
                u32::try_from(r).unwrap_or(u32::MAX)
            })
            .collect();
        let spill = match (&keep, spill) {
            (Keep::Statuses(statuses), Some(limits)) => {
                let vars = by_id
                    .iter()
                    .map(|&ci| {
                        model
                            .commitments
                            .get(ci)
                            .map_or(0, |c| u32::try_from(c.vars.len()).unwrap_or(u32::MAX))
                    })
                    .collect();
                Some(Spill::new(limits, vars, statuses.clone()))
            }
            _ => None,
        };
        Engine {
            plan,
            matcher,
            states,
            keep,
            counts: [0; 6],
            sources: Vec::new(),
            source_ids: HashMap::default(),
            instant: Vec::new(),
            instant_keys: Vec::new(),
            scratch: Vec::new(),
            spill,
            ranks,
            overflow: false,
        }
    }

    /// True when a key could not be stored: the run must not be trusted.
    pub(crate) fn overflowed(&self) -> bool {
        self.overflow || self.states.iter().any(|s| s.kept.keys.overflowed())
    }

    /// True when some commitment reads events of this kind.
    pub(crate) fn reads(&self, kind: usize) -> bool {
        self.matcher.reads(kind)
    }

    /// Takes the next event (in time order, at or before the as-of).
    pub(crate) fn push(&mut self, ev: Event) {
        let mut hits = std::mem::take(&mut self.scratch);
        let mut keys = Vec::new();
        hits.clear();
        self.matcher.hits(ev.kind, &ev.values, &mut keys, &mut hits);
        let e = self.ev(&ev);
        for h in &hits {
            self.hit(e, *h, &keys);
        }
        self.scratch = hits;
    }

    /// Takes the next hit (in time order): `h`'s key is in `keys`; `e`'s
    /// source is interned.
    pub(crate) fn hit(&mut self, e: Ev, mut h: Hit, keys: &[u8]) {
        if self.instant.first().is_some_and(|(f, _)| f.at != e.at) {
            self.flush();
        }
        if self.instant.is_empty() {
            self.fire(|d| d < e.at);
        }
        let key = keys
            .get(h.start as usize..(h.start + h.len) as usize)
            .unwrap_or_default();
        h.start = u32::try_from(self.instant_keys.len()).unwrap_or(u32::MAX);
        self.instant_keys.extend_from_slice(key);
        self.instant.push((e, h));
    }

    /// Interns a source read by a worker; its number in [`Ev::source`].
    pub(crate) fn source(&mut self, s: &Arc<str>) -> u32 {
        self.intern(&Some(s.clone()))
    }

    /// Ends the stream: deadlines before the as-of pass, the rest is pending.
    pub(crate) fn finish(
        mut self,
        model: &Model,
        as_of: Timestamp,
        log: crate::source::LogId,
    ) -> Result<Store, String> {
        self.flush();
        self.fire(|d| d < as_of);
        for ci in 0..self.states.len() {
            let open: Vec<Open> = match self.states.get_mut(ci) {
                Some(st) => st.open.drain(),
                None => continue,
            };
            for o in open {
                self.decide(ci, o, Status::Pending, None);
            }
        }
        // Without `for each`, the one instance exists even untriggered.
        for ci in 0..self.states.len() {
            let untriggered = self.plan.get(ci).is_some_and(|s| s.c.vars.is_empty())
                && self.states.get(ci).is_some_and(|st| !st.triggered);
            if untriggered {
                let Some(st) = self.states.get_mut(ci) else {
                    continue;
                };
                let (key, _) = st.kept.keys.insert(&[]);
                let never = Ev {
                    at: Timestamp::MIN,
                    line: 0,
                    kind: 0,
                    source: 0,
                };
                let o = Open {
                    key,
                    hash: 0,
                    trigger: never,
                    fulfil: None,
                    unless: None,
                };
                self.decide(ci, o, Status::Inactive, None);
            }
        }
        let spilled = match self.spill.take() {
            Some(s) => Some(Arc::new(s.finish().map_err(|e| {
                format!("cannot keep the decided instances in a temporary file: {e}")
            })?)),
            None => None,
        };
        let mut kept: Vec<Kept> = (0..model.commitments.len())
            .map(|_| Kept::default())
            .collect();
        for (s, st) in self.plan.iter().zip(self.states) {
            // A spilled run's rows are in `spilled`; its key sets are done.
            if let Some(slot) = kept.get_mut(s.idx).filter(|_| spilled.is_none()) {
                *slot = st.kept;
            }
        }
        let mut store = Store {
            counts: spilled.as_ref().map_or(self.counts, |s| s.counts),
            kept,
            sources: self.sources,
            log,
            spilled,
        };
        store.finish(model);
        Ok(store)
    }

    /// Forgets the decided keys of a commitment whose key set grew past the
    /// limit (a spilling run only): the key set then holds only the open
    /// keys, and the timers only theirs.
    fn compact(&mut self, ci: usize) {
        let (Some(limits), Some(s)) = (self.spill.as_ref().map(|s| s.limits()), self.plan.get(ci))
        else {
            return;
        };
        let within = s.within;
        let calendar = &s.c.calendar;
        let Some(st) = self.states.get_mut(ci) else {
            return;
        };
        if st.kept.keys.len() <= limits.compact_keys.max(2 * st.open.len()) {
            return;
        }
        self.overflow |= st.kept.keys.overflowed();
        let old = std::mem::take(&mut st.kept.keys);
        // The old tables go before the new ones are made, and those are
        // made at their size: with tens of thousands of instances open,
        // old, drained and growing tables together were the highest peak
        // of a long summary run's memory.
        let drained = std::mem::take(&mut st.open).drain();
        let mut open = OpenSet::with_capacity(drained.len());
        st.timers.clear();
        for mut o in drained {
            let (off, _) = st.kept.keys.insert_hashed(o.hash, old.get(o.key));
            o.key = off;
            if let Some(d) = within {
                st.timers
                    .push((window::add(o.trigger.at, d, calendar), off));
            }
            open.insert(o.hash, o);
        }
        st.open = open;
    }

    /// Violates every open instance whose deadline `passed`.
    fn fire(&mut self, passed: impl Fn(Timestamp) -> bool) {
        for ci in 0..self.states.len() {
            while let Some(st) = self.states.get_mut(ci) {
                let Some((d, off)) = st.timers.peek() else {
                    break;
                };
                if !passed(d) {
                    break;
                }
                st.timers.pop();
                // Decided instances leave their timer behind.
                if let Some(o) = st.open.remove(off) {
                    self.decide(ci, o, Status::Violated, None);
                }
            }
        }
    }

    fn intern(&mut self, source: &Option<Arc<str>>) -> u32 {
        let Some(s) = source else {
            return 0;
        };
        if let Some(&i) = self.source_ids.get(s) {
            return i;
        }
        self.sources.push(s.clone());
        let i = u32::try_from(self.sources.len()).unwrap_or(u32::MAX);
        self.source_ids.insert(s.clone(), i);
        i
    }

    fn ev(&mut self, e: &Event) -> Ev {
        Ev {
            at: e.at,
            line: e.origin.line,
            kind: u32::try_from(e.kind).unwrap_or(u32::MAX),
            source: self.intern(&e.source),
        }
    }

    /// Evaluates the hits of one instant.
    fn flush(&mut self) {
        let hits = std::mem::take(&mut self.instant);
        let keys = std::mem::take(&mut self.instant_keys);
        let key_of = |h: &Hit| {
            keys.get(h.start as usize..(h.start + h.len) as usize)
                .unwrap_or_default()
        };
        let mut touched: Vec<(usize, u64)> = Vec::new();
        // Triggers first: an instance is in force from its instant on.
        for (e, h) in &hits {
            if h.part == Part::Trigger {
                if let Some(off) = self.trigger(h.ci as usize, e, key_of(h), h.hash) {
                    touched.push((h.ci as usize, off));
                }
            }
        }
        for (e, h) in &hits {
            if h.part != Part::Trigger {
                if let Some(off) = self.observe(h.ci as usize, h.part, e, key_of(h), h.hash) {
                    touched.push((h.ci as usize, off));
                }
            }
        }
        for (ci, off) in touched {
            self.settle(ci, off);
        }
        if self.spill.is_some() {
            for ci in 0..self.states.len() {
                self.compact(ci);
            }
        }
        self.instant = hits;
        self.instant.clear();
        self.instant_keys = keys;
        self.instant_keys.clear();
    }

    /// Puts a new key in force; returns its offset.
    fn trigger(&mut self, ci: usize, e: &Ev, key: &[u8], hash: u64) -> Option<u64> {
        let ev = *e;
        let within = self.plan.get(ci).and_then(|s| s.within.map(|d| (d, s.c)));
        let st = self.states.get_mut(ci)?;
        // In force already (a repeated trigger while open): no probe of the
        // large key set.
        if st.open.find(hash, key, &st.kept.keys).is_some() {
            return None;
        }
        let (off, new) = st.kept.keys.insert_hashed(hash, key);
        if !new {
            return None;
        }
        st.triggered = true;
        let deadline = within.map(|(d, c)| window::add(e.at, d, &c.calendar));
        let unless = st.pre_unless.remove(key);
        if let Some(d) = deadline {
            st.timers.push((d, off));
        }
        st.open.insert(
            hash,
            Open {
                key: off,
                hash,
                trigger: ev,
                fulfil: None,
                unless,
            },
        );
        Some(off)
    }

    /// Records a required or `unless` event; returns the open instance it
    /// touched.
    fn observe(&mut self, ci: usize, part: Part, e: &Ev, key: &[u8], hash: u64) -> Option<u64> {
        let ev = *e;
        let st = self.states.get_mut(ci)?;
        if let Some(off) = st.open.find(hash, key, &st.kept.keys) {
            if let Some(o) = st.open.get_mut(off) {
                let slot = if part == Part::Action {
                    &mut o.fulfil
                } else {
                    &mut o.unless
                };
                if slot.is_none() {
                    *slot = Some(ev);
                }
            }
            return Some(off);
        }
        let off = match st.kept.keys.find_hashed(hash, key) {
            Some(off) => off,
            None => {
                if part == Part::Unless {
                    match (&mut self.spill, self.ranks.get(ci)) {
                        (Some(sp), Some(&rank)) => {
                            sp.unless(rank, key, Cite::from(Some(ev)), ev.line);
                        }
                        _ => {
                            st.pre_unless.entry(key.into()).or_insert(ev);
                        }
                    }
                }
                return None;
            }
        };
        // INVARIANT: a key in the set but not open is decided.
        if part == Part::Action {
            if let Some(r) = st.late_watch.remove(&off) {
                if let Some(rec) = st.kept.recs.get_mut(r) {
                    match st.kept.cites.get_mut(rec.cites as usize) {
                        Some(c) => c[1] = Cite::from(Some(ev)),
                        None => {
                            rec.cites = u32::try_from(st.kept.cites.len()).unwrap_or(u32::MAX);
                            st.kept.cites.push([Cite::NONE, Cite::from(Some(ev))]);
                        }
                    }
                }
            }
        }
        None
    }

    /// Decides an open instance once its instant is over, if it can be.
    fn settle(&mut self, ci: usize, off: u64) {
        let Some(st) = self.states.get_mut(ci) else {
            return;
        };
        let Some(o) = st.open.get(off) else {
            return;
        };
        let t = o.trigger.at;
        let (status, by) = match (o.fulfil, o.unless) {
            // An unless before the trigger, or before the fulfilment
            // (counted from the trigger), cancels; at the same instant the
            // fulfilment wins.
            (Some(f), Some(u)) if u.at < t || u.at.max(t) < f.at => (Status::Cancelled, u),
            (Some(f), _) => (Status::Fulfilled, f),
            // Open instances are past no deadline (the timers fire first),
            // so an unless now comes before any decision.
            (None, Some(u)) => (Status::Cancelled, u),
            (None, None) => return,
        };
        if let Some(o) = st.open.remove(off) {
            self.decide(ci, o, status, Some(by));
        }
    }

    fn decide(&mut self, ci: usize, o: Open, status: Status, by: Option<Ev>) {
        if let (Some(sp), Some(st), Some(&rank)) =
            (&mut self.spill, self.states.get(ci), self.ranks.get(ci))
        {
            // Counted when the runs are merged.
            let trigger = if status == Status::Inactive {
                Cite::NONE
            } else {
                Cite::from(Some(o.trigger))
            };
            let key = st.kept.keys.get(o.key);
            sp.instance(rank, key, status, trigger, Cite::from(by), o.trigger.line);
            return;
        }
        if let Some(n) = self.counts.get_mut(usize::from(status_byte(status))) {
            *n += 1;
        }
        let keep = match &self.keep {
            Keep::All => true,
            Keep::Statuses(s) => s.contains(&status),
        };
        if !keep {
            return;
        }
        let Some(st) = self.states.get_mut(ci) else {
            return;
        };
        if status == Status::Violated && self.keep == Keep::All {
            st.late_watch.insert(o.key, st.kept.recs.len());
        }
        let cites = match by {
            Some(e) => {
                st.kept.cites.push([Cite::from(Some(e)), Cite::NONE]);
                u32::try_from(st.kept.cites.len() - 1).unwrap_or(u32::MAX)
            }
            None => u32::MAX,
        };
        let trigger = if status == Status::Inactive {
            Cite::NONE
        } else {
            Cite::from(Some(o.trigger))
        };
        st.kept.recs.push(Rec {
            key: o.key,
            trigger,
            cites,
            status,
        });
    }
}
