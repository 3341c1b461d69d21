//! The compact store of a streamed run: every instance the report keeps,
//! as a small record (bindings encoded as bytes in the commitment's key
//! arena, times and log lines inline, sources interned) — or, for a
//! summary run, the spilled rows [`super::spill`] merged — listed in report
//! order one [`Instance`] at a time.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::Arc;

use jiff::Timestamp;

use super::keys::{self, KeySet};
use super::spill::Spilled;
use crate::eval::window::{self, Moment};
use crate::eval::{Decision, Evidence, Instance, Item, Role};
use crate::model::{Bound, Commitment, KindIdx, Model, Status, Window};
use crate::source::{LogId, LogRef};

/// A log event cited as evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ev {
    /// When.
    pub at: Timestamp,
    /// Its line in the log.
    pub line: u32,
    /// Its kind.
    pub kind: u32,
    /// Its `source`: 0 for none, else 1 + an index into the store's sources.
    pub source: u32,
}

/// A cited event as a decided instance keeps it: 24 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cite {
    secs: i64,
    nanos: i32,
    /// 0: no event (log lines count from 1).
    line: u32,
    source: u32,
    kind: u16,
}

impl Cite {
    /// No event.
    pub(crate) const NONE: Cite = Cite {
        secs: 0,
        nanos: 0,
        line: 0,
        source: 0,
        kind: 0,
    };

    /// The event, if there is one.
    pub(crate) fn ev(self) -> Option<Ev> {
        (self.line != 0).then(|| Ev {
            at: Timestamp::new(self.secs, self.nanos).unwrap_or(Timestamp::MIN),
            line: self.line,
            kind: u32::from(self.kind),
            source: self.source,
        })
    }
}

impl Cite {
    /// The bytes [`Cite::read`] reads back: 22.
    pub(crate) fn write(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.secs.to_le_bytes());
        out.extend_from_slice(&self.nanos.to_le_bytes());
        out.extend_from_slice(&self.line.to_le_bytes());
        out.extend_from_slice(&self.source.to_le_bytes());
        out.extend_from_slice(&self.kind.to_le_bytes());
    }

    /// Reads what [`Cite::write`] wrote; the rest of the bytes.
    pub(crate) fn read(b: &[u8]) -> Option<(Cite, &[u8])> {
        let (secs, b) = b.split_first_chunk::<8>()?;
        let (nanos, b) = b.split_first_chunk::<4>()?;
        let (line, b) = b.split_first_chunk::<4>()?;
        let (source, b) = b.split_first_chunk::<4>()?;
        let (kind, b) = b.split_first_chunk::<2>()?;
        let c = Cite {
            secs: i64::from_le_bytes(*secs),
            nanos: i32::from_le_bytes(*nanos),
            line: u32::from_le_bytes(*line),
            source: u32::from_le_bytes(*source),
            kind: u16::from_le_bytes(*kind),
        };
        Some((c, b))
    }
}

impl From<Option<Ev>> for Cite {
    fn from(e: Option<Ev>) -> Cite {
        match e {
            Some(e) => Cite {
                secs: e.at.as_second(),
                nanos: e.at.subsec_nanosecond(),
                line: e.line,
                source: e.source,
                kind: u16::try_from(e.kind).unwrap_or(u16::MAX),
            },
            None => Cite::NONE,
        }
    }
}

/// One decided instance: 40 bytes, and 48 more when it cites a decision
/// or a late event.
#[derive(Clone, Debug)]
pub(crate) struct Rec {
    /// Offset of its key in the commitment's [`KeySet`].
    pub key: u64,
    /// The event that put it in force.
    pub trigger: Cite,
    /// Index in [`Kept::cites`] of the fulfilment (fulfilled) or `unless`
    /// event (cancelled) and the first required event after the deadline
    /// (violated); `u32::MAX` for none.
    pub cites: u32,
    /// Its status as of the run's as-of.
    pub status: Status,
}

/// What one commitment keeps.
#[derive(Clone, Debug, Default)]
pub(crate) struct Kept {
    /// Every key that came in force (the report's bindings, and how a
    /// repeated trigger is recognised).
    pub keys: KeySet,
    /// The kept records.
    pub recs: Chunked<Rec>,
    /// Decision and late events of the records, by [`Rec::cites`].
    pub cites: Chunked<[Cite; 2]>,
    /// `recs` indices in report order (by bindings), set by [`Store::finish`].
    order: Vec<u32>,
}

/// Instances decided by the streaming engine.
#[derive(Clone, Debug, Default)]
pub struct Store {
    /// Instances per status, in [`Status::ALL`] order (kept or not).
    pub(crate) counts: [u64; 6],
    /// Per commitment, by model index.
    pub(crate) kept: Vec<Kept>,
    /// Interned `source` citations.
    pub(crate) sources: Vec<Arc<str>>,
    /// The log the lines are in.
    pub(crate) log: LogId,
    /// A summary run's listed instances, when they were spilled
    /// ([`super::spill`]) rather than kept in `kept`.
    pub(crate) spilled: Option<Arc<Spilled>>,
}

impl Store {
    /// Instances per status, kept in the store or only counted.
    pub fn counts(&self) -> impl Iterator<Item = (Status, u64)> + '_ {
        Status::ALL.into_iter().zip(self.counts.iter().copied())
    }

    /// Why reading back a spilled run failed, if it did: a report that
    /// listed its rows is then not whole.
    pub fn error(&self) -> Option<&str> {
        self.spilled
            .as_ref()
            .and_then(|s| s.error.get())
            .map(String::as_str)
    }

    /// Whether a summary run's records were spilled (they are then read
    /// back in report order, not kept in `kept`).
    pub(crate) fn is_spilled(&self) -> bool {
        self.spilled.is_some()
    }

    /// Whether a summary run's records went to a temporary file (for
    /// tests).
    #[doc(hidden)]
    pub fn spilled_to_disk(&self) -> bool {
        self.spilled.as_ref().is_some_and(|s| s.on_disk)
    }

    /// Sorts each commitment's records by bindings, as reports list them.
    pub(crate) fn finish(&mut self, model: &Model) {
        for (k, c) in self.kept.iter_mut().zip(&model.commitments) {
            let n = c.vars.len();
            let (keys, recs) = (&k.keys, &k.recs);
            let key = |i: u32| recs.get(i as usize).map_or(&[][..], |r| keys.get(r.key));
            // Sorted on the first 16 bytes of one-string keys (the common
            // `for each order`) held inline, so most comparisons touch no
            // arena; ties and other keys compare whole.
            let cmp = |a: &(u128, u32), b: &(u128, u32)| {
                a.0.cmp(&b.0)
                    .then_with(|| compare_keys(key(a.1), key(b.1), n))
            };
            let sorted = |from: u32, to: u32| {
                let mut v: Vec<(u128, u32)> = (from..to).map(|i| (prefix(key(i)), i)).collect();
                v.sort_unstable_by(cmp);
                v
            };
            let len = u32::try_from(recs.len()).unwrap_or(u32::MAX);
            // Large stores are sorted in two halves on two threads, then
            // merged (each key is one instance: no ties to keep in order).
            let halves = (len >= 1 << 16)
                .then(|| {
                    std::thread::scope(|s| {
                        let other = std::thread::Builder::new()
                            .spawn_scoped(s, || sorted(0, len / 2))
                            .ok()?;
                        let b = sorted(len / 2, len);
                        other.join().ok().map(|a| (a, b))
                    })
                })
                .flatten();
            k.order = match halves {
                Some((a, b)) => merge(&a, &b, cmp),
                None => sorted(0, len).into_iter().map(|(_, i)| i).collect(),
            };
        }
    }

    /// The kept instances in report order cut into runs of at most `size`
    /// rows, each read only when [`Store::views`] is called on it (on
    /// another thread, for the JSON report): `(commitment, positions)`.
    pub fn blocks<'r>(
        &'r self,
        model: &'r Model,
        size: usize,
    ) -> impl Iterator<Item = (usize, std::ops::Range<usize>)> + 'r {
        let size = size.max(1);
        by_id(model).into_iter().flat_map(move |ci| {
            let n = self.kept.get(ci).map_or(0, |k| k.order.len());
            (0..n.div_ceil(size)).map(move |b| (ci, b * size..((b + 1) * size).min(n)))
        })
    }

    /// The kept instances whose status `keep` accepts, in report order: by
    /// commitment id, then bindings.
    pub fn rows<'r>(
        &'r self,
        model: &'r Model,
        keep: impl Fn(Status) -> bool + Copy + 'r,
    ) -> Box<dyn Iterator<Item = (&'r Commitment, Cow<'r, Instance>)> + 'r> {
        let by_id = by_id(model);
        if let Some(spilled) = &self.spilled {
            // Already in report order, and only the listed statuses.
            return Box::new(spilled.records().filter_map(move |r| {
                let c = model.commitments.get(*by_id.get(r.rank as usize)?)?;
                keep(r.status).then(|| {
                    let i = self.build(c, &r.key, r.trigger, r.status, [r.cause, Cite::NONE]);
                    (c, Cow::Owned(i))
                })
            }));
        }
        Box::new(by_id.into_iter().flat_map(move |ci| {
            let c = model.commitments.get(ci);
            let k = self.kept.get(ci);
            let order = k.map_or(&[][..], |k| k.order.as_slice());
            order.iter().filter_map(move |&r| {
                let (c, k) = (c?, k?);
                // Filtered on the record: only the rows asked for are built.
                let rec = k.recs.get(r as usize).filter(|rec| keep(rec.status))?;
                Some((c, Cow::Owned(self.instance(c, k, rec))))
            })
        }))
    }

    /// The records of one block of [`Store::blocks`], in report order, as
    /// borrowed [`View`]s — or, for the rare row a view cannot show (an
    /// untriggered instance), the [`Instance`] itself.
    ///
    /// Report order is not the order records were kept in, so each row's
    /// record, cited events and key are three reads from anywhere in
    /// memory. They are gathered in three tight passes over the block
    /// before any row is built — records, then cited events, then keys —
    /// so that the processor overlaps the cache misses of many rows
    /// instead of waiting for each in turn between two rows' formatting
    /// (the rows of a 10^6-order report were ~12% of the run's CPU samples,
    /// nearly all of them two loads).
    pub(crate) fn views<'r>(
        &'r self,
        model: &'r Model,
        (ci, range): (usize, std::ops::Range<usize>),
    ) -> impl Iterator<Item = Result<View<'r>, Instance>> + 'r {
        let c = model.commitments.get(ci);
        let rows = self.gathered(ci, range, |_| true);
        rows.into_iter().filter_map(move |(rec, cites, key)| {
            let c = c?;
            Some(
                view(c, &rec, cites, key)
                    .ok_or_else(|| self.build(c, key, rec.trigger, rec.status, cites)),
            )
        })
    }

    /// The instances of one block of [`Store::blocks`] whose status `keep`
    /// accepts, in report order, read as [`Store::views`] reads them.
    pub(crate) fn instances(
        &self,
        model: &Model,
        (ci, range): (usize, std::ops::Range<usize>),
        keep: impl Fn(Status) -> bool,
    ) -> Vec<Instance> {
        let Some(c) = model.commitments.get(ci) else {
            return Vec::new();
        };
        self.gathered(ci, range, keep)
            .into_iter()
            .map(|(rec, cites, key)| self.build(c, key, rec.trigger, rec.status, cites))
            .collect()
    }

    /// The records at `range` of commitment `ci`'s report order whose
    /// status `keep` accepts, each with its cited events and key, gathered
    /// in three passes (see [`Store::views`]).
    fn gathered(
        &self,
        ci: usize,
        range: std::ops::Range<usize>,
        keep: impl Fn(Status) -> bool,
    ) -> Vec<(Rec, [Cite; 2], &[u8])> {
        let Some(k) = self.kept.get(ci) else {
            return Vec::new();
        };
        let order = k.order.get(range).unwrap_or_default();
        let recs: Vec<Rec> = order
            .iter()
            .filter_map(|&r| {
                k.recs
                    .get(r as usize)
                    .filter(|rec| keep(rec.status))
                    .cloned()
            })
            .collect();
        let cites: Vec<[Cite; 2]> = recs
            .iter()
            .map(|rec| {
                k.cites
                    .get(rec.cites as usize)
                    .copied()
                    .unwrap_or([Cite::NONE; 2])
            })
            .collect();
        let keys: Vec<&[u8]> = recs.iter().map(|rec| k.keys.get(rec.key)).collect();
        recs.into_iter()
            .zip(cites)
            .zip(keys)
            .map(|((rec, cites), key)| (rec, cites, key))
            .collect()
    }

    /// The `source` an event cites, by its [`Ev::source`] number.
    pub(crate) fn source(&self, n: u32) -> Option<&str> {
        let i = n.checked_sub(1)?;
        self.sources.get(i as usize).map(|s| &**s)
    }

    /// Builds the [`Instance`] the in-memory engine would have built.
    fn instance(&self, c: &Commitment, k: &Kept, rec: &Rec) -> Instance {
        let cites = k
            .cites
            .get(rec.cites as usize)
            .copied()
            .unwrap_or([Cite::NONE; 2]);
        self.build(c, k.keys.get(rec.key), rec.trigger, rec.status, cites)
    }

    /// Builds an instance from its encoded key, trigger, status, and
    /// decision and late events.
    fn build(
        &self,
        c: &Commitment,
        key: &[u8],
        trigger: Cite,
        status: Status,
        [decided, late_ev]: [Cite; 2],
    ) -> Instance {
        let bindings = keys::decode(key, c.vars.len()).unwrap_or_default();
        // Inactive: never triggered (a commitment without `for each`).
        let Some(trigger) = trigger.ev().filter(|_| status != Status::Inactive) else {
            return Instance::untriggered(bindings);
        };
        let (decided, late_ev) = (decided.ev(), late_ev.ev());
        let t = trigger.at;
        let deadline = match &c.window {
            Window::Within { duration, .. } => Some(window::add(t, *duration, &c.calendar)),
            _ => None,
        };
        let mut evidence = vec![self.evidence(&trigger, Role::Trigger)];
        let mut late = None;
        let decision = match (status, decided, deadline) {
            (Status::Fulfilled, Some(f), _) => {
                evidence.push(self.evidence(&f, Role::Fulfilment));
                Some(Moment::at(f.at))
            }
            (Status::Cancelled, Some(u), _) => {
                evidence.push(self.evidence(&u, Role::Cancellation));
                Some(Moment::at(u.at).max(Moment::at(t)))
            }
            (Status::Violated, _, Some(d)) => {
                evidence.push(Evidence {
                    role: Role::Violation,
                    at: d,
                    item: Item::Deadline,
                });
                if let Some(l) = late_ev {
                    evidence.push(self.evidence(&l, Role::Late));
                    late = Some(l.at);
                }
                Some(Moment::just_after(d))
            }
            _ => None,
        };
        evidence.sort_by(|a, b| a.at.cmp(&b.at).then(a.role.cmp(&b.role)));
        Instance {
            bindings,
            trigger: Some(Moment::at(t)),
            from_start: false,
            opens: None,
            deadline: deadline.map(|at| Bound { at, day: None }),
            decision: decision.map(|at| Decision { status, at }),
            expired: None,
            late,
            progress: None,
            evidence,
            flip: None,
        }
    }

    fn evidence(&self, e: &Ev, role: Role) -> Evidence {
        let source = e
            .source
            .checked_sub(1)
            .and_then(|i| self.sources.get(i as usize).cloned());
        Evidence {
            role,
            at: e.at,
            item: Item::Event {
                origin: LogRef {
                    log: self.log,
                    line: e.line,
                },
                kind: e.kind as KindIdx,
                source,
            },
        }
    }
}

/// A kept record as a report shows it (see [`Store::build`] for the
/// [`Instance`] it stands for): its encoded key, status, trigger and
/// deadline, and the event that decided it and the late one.
pub(crate) struct View<'r> {
    /// The encoded bindings.
    pub key: &'r [u8],
    /// Its status as of the run's as-of.
    pub status: Status,
    /// The event that put it in force.
    pub trigger: Ev,
    /// Its deadline, if it has one.
    pub deadline: Option<Timestamp>,
    /// The fulfilment (fulfilled) or `unless` event (cancelled).
    pub decided: Option<Ev>,
    /// The first required event after the deadline (violated).
    pub late: Option<Ev>,
}

/// A record as the report shows it, given its cited events and key,
/// without building an [`Instance`]; `None` for an untriggered instance.
fn view<'r>(
    c: &Commitment,
    rec: &Rec,
    [decided, late]: [Cite; 2],
    key: &'r [u8],
) -> Option<View<'r>> {
    let trigger = rec
        .trigger
        .ev()
        .filter(|_| rec.status != Status::Inactive)?;
    let deadline = match &c.window {
        Window::Within { duration, .. } => Some(window::add(trigger.at, *duration, &c.calendar)),
        _ => None,
    };
    Some(View {
        key,
        status: rec.status,
        trigger,
        deadline,
        decided: decided.ev(),
        late: late.ev(),
    })
}

/// The record indices of two sorted runs, merged in order.
fn merge(
    a: &[(u128, u32)],
    b: &[(u128, u32)],
    cmp: impl Fn(&(u128, u32), &(u128, u32)) -> Ordering,
) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut x, mut y) = (a.iter().peekable(), b.iter().peekable());
    loop {
        let next = match (x.peek(), y.peek()) {
            (Some(p), Some(q)) if cmp(p, q) != Ordering::Greater => x.next(),
            (Some(_), Some(_)) => y.next(),
            (Some(_), None) => x.next(),
            (None, Some(_)) => y.next(),
            (None, None) => break,
        };
        if let Some(&(_, i)) = next {
            out.push(i);
        }
    }
    out
}

/// Commitment indices in report order (by id).
pub(crate) fn by_id(model: &Model) -> Vec<usize> {
    let mut by_id: Vec<usize> = (0..model.commitments.len()).collect();
    by_id.sort_by(|a, b| {
        let id = |i: &usize| model.commitments.get(*i).map(|c| c.id.as_str());
        id(a).cmp(&id(b))
    });
    by_id
}

/// A sort prefix that orders as the keys do: the first 16 bytes of a
/// one-string key, zero-padded; 0 for any other key (left to
/// [`compare_keys`]).
pub(crate) fn prefix(key: &[u8]) -> u128 {
    match keys::single_str(key) {
        Some(s) if key.first() == Some(&keys::STR_TAG) => {
            let mut b = [0u8; 16];
            for (d, x) in b.iter_mut().zip(s) {
                *d = *x;
            }
            u128::from_be_bytes(b)
        }
        _ => 0,
    }
}

/// Orders two encoded keys of `n` values as their values order.
pub(crate) fn compare_keys(a: &[u8], b: &[u8], n: usize) -> Ordering {
    if let (Some(x), Some(y)) = (keys::single_str(a), keys::single_str(b)) {
        if a.first() == b.first() {
            return x.cmp(y);
        }
    }
    keys::decode(a, n).cmp(&keys::decode(b, n))
}

/// Elements per [`Chunked`] chunk.
const CHUNK: usize = 1 << 16;

/// A vector in fixed chunks: growing it never copies what it holds, so a
/// store of 10^7 records touches each page once (on this kind of machine a
/// fresh page costs more than the record written into it, and a doubling
/// `Vec` touches twice its final size).
#[derive(Clone, Debug)]
pub(crate) struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Chunked<T> {
    /// Appends `v`.
    pub(crate) fn push(&mut self, v: T) {
        match self.chunks.last_mut() {
            Some(c) if c.len() < CHUNK => c.push(v),
            _ => {
                // The first chunk grows as a `Vec` does (small runs stay
                // small); later ones are made whole.
                let cap = if self.chunks.is_empty() { 0 } else { CHUNK };
                let mut c = Vec::with_capacity(cap);
                c.push(v);
                self.chunks.push(c);
            }
        }
        self.len += 1;
    }

    /// Elements held.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The element at `i`.
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)
    }

    /// The element at `i`, to change.
    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.chunks.get_mut(i / CHUNK)?.get_mut(i % CHUNK)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

    use super::*;
    use crate::model::Value;

    fn key(s: &str) -> Vec<u8> {
        let mut b = Vec::new();
        keys::encode_one(&Value::Str(s.into()), &mut b);
        b
    }

    #[test]
    fn merge_keeps_both_runs_in_order() {
        let cmp = |a: &(u128, u32), b: &(u128, u32)| a.0.cmp(&b.0);
        let a = [(1, 10), (4, 11), (9, 12)];
        let b = [(2, 20), (3, 21), (10, 22)];
        assert_eq!(merge(&a, &b, cmp), vec![10, 20, 21, 11, 12, 22]);
        assert_eq!(merge(&a, &[], cmp), vec![10, 11, 12]);
        assert_eq!(merge(&[], &b, cmp), vec![20, 21, 22]);
    }

    /// Past the two-thread threshold, the order is the keys' order, as on
    /// one thread (here with ids sharing their first 16 bytes, so most
    /// comparisons go past the inline prefix).
    #[test]
    fn a_large_store_is_sorted_by_key() {
        let loaded = crate::load::load_text(
            "r.pacta",
            "party shop\nevent paid(order: id)\nevent shipped(order: id)\n\
             commitment c { for each order by shop after paid(order) must shipped(order) within 1 day }\n",
        )
        .unwrap();
        let model = crate::loaded_to_model(loaded, &[]).unwrap().model;
        let mut k = Kept::default();
        let n: u64 = 70_000;
        for i in 0..n {
            // A scrambled insertion order.
            let id = (i * 7919) % n;
            let (off, _) = k.keys.insert(&key(&format!("same-long-prefix-{id:06}")));
            k.recs.push(Rec {
                key: off,
                trigger: Cite::NONE,
                cites: u32::MAX,
                status: Status::Pending,
            });
        }
        let mut store = Store {
            kept: vec![k],
            ..Store::default()
        };
        store.finish(&model);
        let k = &store.kept[0];
        assert_eq!(k.order.len(), n as usize);
        let names: Vec<&[u8]> = k
            .order
            .iter()
            .map(|&r| k.keys.get(k.recs.get(r as usize).unwrap().key))
            .collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]), "not in key order");
    }
}
