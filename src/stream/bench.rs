//! Hooks for `benches/hot_paths.rs`: the streaming engine and its parallel
//! reader driven apart from [`super::check`], so each can be timed without
//! the other. Hidden and unstable: not part of the API.

use std::path::Path;

use jiff::Timestamp;

use super::{Keep, engine, plan, read};
use crate::events::{Event, ReadOptions};
use crate::model::Model;
use crate::source::LogId;

/// What [`engine_only`] decided.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Decided {
    /// Instances decided, kept or only counted (every status).
    pub instances: u64,
    /// Of those, the ones violated.
    pub violated: u64,
    /// Instances the report would list: the records the store kept, or,
    /// when they were spilled to sorted runs (a run that keeps only some
    /// statuses), the instances of those statuses.
    pub kept: usize,
}

/// The kinds the streaming engine reads, by kind index, or why `model`
/// cannot be streamed.
pub fn reads(model: &Model) -> Result<Vec<bool>, String> {
    let e = engine::Engine::new(model, plan::plan(model)?, Keep::All, None);
    Ok((0..model.kinds.len()).map(|k| e.reads(k)).collect())
}

/// Runs the streaming engine alone — instants, the timer queue, key
/// lookups, decisions, the store's final sort — over already-typed
/// `events`, as [`super::check`] does after reading. The events must be in
/// time order and at or before `as_of` (else an error, before any work is
/// done); events of kinds the engine does not read ([`reads`]) still form
/// instants, which the reader would have dropped.
pub fn engine_only(
    model: &Model,
    events: Vec<Event>,
    as_of: Timestamp,
    keep: Keep,
) -> Result<Decided, String> {
    let ordered = events.windows(2).all(|w| match w {
        [a, b] => a.at <= b.at,
        _ => true,
    });
    if !ordered || events.last().is_some_and(|e| e.at > as_of) {
        return Err("the events are out of time order or after the as-of".into());
    }
    let listed = |s: crate::model::Status| match &keep {
        Keep::All => true,
        Keep::Statuses(v) => v.contains(&s),
    };
    let mut engine = engine::Engine::new(
        model,
        plan::plan(model)?,
        keep.clone(),
        Some(super::spill::Limits::new(None)),
    );
    for ev in events {
        engine.push(ev);
    }
    let store = engine.finish(model, as_of, LogId(0))?;
    let violated = store
        .counts()
        .find(|(s, _)| *s == crate::model::Status::Violated)
        .map_or(0, |(_, n)| n);
    Ok(Decided {
        instances: store.counts().map(|(_, n)| n).sum(),
        violated,
        kept: if store.is_spilled() {
            store
                .counts()
                .filter(|(s, _)| listed(*s))
                .map(|(_, n)| usize::try_from(n).unwrap_or(usize::MAX))
                .sum()
        } else {
            store.kept.iter().map(|k| k.recs.len()).sum()
        },
    })
}

/// What [`read_only`] read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Read {
    /// Non-blank lines.
    pub lines: u64,
    /// Events of declared kinds.
    pub declared: u64,
    /// Events handed on (kinds the engine reads, at or before the limit).
    pub events: u64,
}

/// Reads the JSON Lines file at `path` as a streamed check does — chunks
/// parsed and typed on `threads` workers, batches taken back in file order
/// on this thread — and drops the events instead of evaluating them.
pub fn read_only(
    model: &Model,
    path: &Path,
    opts: &ReadOptions,
    limit: Option<Timestamp>,
    threads: usize,
) -> Result<Read, String> {
    let simple = plan::plan(model)?;
    let matcher = super::hits::Matcher::new(&simple, model.kinds.len());
    let job = read::Job::new(model, opts, matcher, limit);
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut r = Read::default();
    read::read(file, &job, threads, |batch| {
        r.lines += batch.lines;
        r.declared += batch.declared;
        r.events += batch.events;
        Ok(())
    })?;
    Ok(r)
}
