//! Streaming evaluation: one pass over a time-ordered JSON Lines log, with
//! memory proportional to the open instances plus what the report keeps,
//! never to the number of events (design §6).
//!
//! It takes the rules `plan` accepts — every commitment an SLA-shaped
//! `for each … after E must F within D [unless G]`, no claims, no params —
//! and a single JSON Lines file. Anything else, and any log it cannot
//! stream (a line out of time order, a claim line, a bad line), goes back
//! to the caller, who runs the in-memory engine ([`crate::eval`]) instead:
//! that engine then reports whatever went wrong, so a streamed run and an
//! in-memory run give byte-identical reports and errors.
//!
//! ```text
//!  log ──read (parse, type)──▶ Event ──engine (instants, timers)──▶ Store ──▶ reports
//! ```

#[doc(hidden)]
pub mod bench;
mod engine;
mod hits;
mod keys;
mod plan;
mod read;
mod spill;
mod store;
mod timers;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use jiff::Timestamp;

pub(crate) use keys::{decode, single_text};
pub use store::Store;
pub(crate) use store::{Ev, View};

use crate::eval::{Evaluation, Instances};
use crate::events::{Input, Log, StreamedCounts};
use crate::model::{Model, Status};
use crate::source::LogId;
use crate::{AsOf, CheckOptions, Checked, Rules};

/// What a streamed run keeps of its decided instances.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Keep {
    /// Every instance (reports that list them all).
    #[default]
    All,
    /// Only instances with these statuses; the others are only counted
    /// (the summary report, which lists the failing ones).
    Statuses(Vec<Status>),
}

/// Checks `logs` against `r` in one streaming pass, or gives the rules back
/// with the reason it cannot.
pub fn check(
    r: Rules,
    logs: &[Input],
    opts: &CheckOptions,
    keep: Keep,
) -> Result<Checked, Box<(Rules, String)>> {
    let path = match logs {
        [Input::Path(p)] if !p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) => p,
        _ => return Err(Box::new((r, "not a single JSON Lines file".into()))),
    };
    let limit = match &opts.as_of {
        AsOf::LastEvent => None,
        other => match crate::resolve_as_of(other, &r.model, &Log::default()) {
            Ok(t) => Some(t),
            Err(_) => return Err(Box::new((r, "the as-of is not a time".into()))),
        },
    };
    let log_id = LogId(u32::try_from(r.sources.log_count()).unwrap_or(u32::MAX));
    let streamed = match stream(&r.model, path, opts, limit, keep, log_id) {
        Ok(s) => s,
        Err(why) => return Err(Box::new((r, why))),
    };
    let Rules {
        mut sources,
        model,
        graph,
    } = r;
    sources.add_log(crate::load::display(path));
    let commitments = (0..model.commitments.len())
        .map(|_| Instances::default())
        .collect();
    Ok(Checked {
        sources,
        graph,
        log: streamed.log,
        eval: Evaluation {
            as_of: streamed.as_of,
            commitments,
            claims: Vec::new(),
            disputes: Vec::new(),
            streamed: Some(Arc::new(streamed.store)),
        },
        model,
    })
}

struct Streamed {
    log: Log,
    as_of: Timestamp,
    store: Store,
}

fn stream(
    model: &Model,
    path: &Path,
    opts: &CheckOptions,
    limit: Option<Timestamp>,
    keep: Keep,
    log_id: LogId,
) -> Result<Streamed, String> {
    let simple = plan::plan(model)?;
    let matcher = hits::Matcher::new(&simple, model.kinds.len());
    let mut engine = engine::Engine::new(
        model,
        simple,
        keep,
        Some(spill::Limits::new(opts.spill_bytes)),
    );
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err("a folder".into());
    }
    let job = read::Job::new(model, &opts.read, matcher, limit);
    // Parsing is most of the work: one worker per core, the engine on
    // this thread.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let (mut lines, mut events, mut after) = (0u64, 0u64, 0u64);
    let mut ignored: BTreeMap<String, u64> = BTreeMap::new();
    let mut last_at: Option<Timestamp> = None;
    let mut prev: Option<Timestamp> = None;
    read::read(file, &job, threads, |batch| {
        lines += batch.lines;
        events += batch.declared;
        after += batch.after;
        last_at = last_at.max(batch.last_at);
        for (k, n) in &batch.ignored {
            match ignored.get_mut(k) {
                Some(c) => *c += n,
                None => {
                    ignored.insert(k.clone(), *n);
                }
            }
        }
        if let Some(line) = batch.unordered {
            return Err(format!("line {line} is out of time order"));
        }
        if let Some((first, line, last)) = batch.span {
            if prev.is_some_and(|p| first < p) {
                return Err(format!("line {line} is out of time order"));
            }
            prev = Some(last);
        }
        // The workers' sources, as the engine numbers them.
        let sources: Vec<u32> = batch.sources.iter().map(|s| engine.source(s)).collect();
        for &(mut ev, hit) in &batch.hits {
            if let Some(i) = ev.source.checked_sub(1) {
                ev.source = sources.get(i as usize).copied().unwrap_or(0);
            }
            engine.hit(ev, hit, &batch.keys);
        }
        Ok(())
    })?;
    let as_of = limit.or(last_at).ok_or("no events and no as-of")?;
    if engine.overflowed() {
        return Err("more than 16 GiB of instance keys".into());
    }
    let store = engine.finish(model, as_of, log_id)?;
    Ok(Streamed {
        log: Log {
            last_at,
            ignored,
            lines,
            streamed: Some(StreamedCounts {
                events,
                after_as_of: after,
            }),
            ..Log::default()
        },
        as_of,
        store,
    })
}
