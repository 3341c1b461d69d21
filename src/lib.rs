//! pacta — a claim-consistency checker.
//!
//! A rule file states commitments (who owes what to whom, by when, under
//! which condition) and claims parties made about them. `pacta check` reads
//! event logs and reports, for every commitment instance, its status, and
//! for every claim whether the evidence at its time supports it.
//!
//! ```text
//!  rule files ──load──▶ ast::File ──resolve──▶ Model ──graph──▶ Graph (order)
//!  (syntax, load)        (ast)       (resolve)   (model)  (graph)      │
//!                                                                      ▼
//!  event logs ──events::read_logs──▶ Log ─────────────▶ eval::evaluate(as_of)
//!                                                                      │
//!                                          report::{text, json} ◀── Evaluation
//! ```
//!
//! For rules of an SLA's shape and one time-ordered JSON Lines log, [`stream`]
//! reads, evaluates and keeps the result in one pass instead of
//! `read_logs` + `evaluate` ([`Engine`] chooses); the reports are the same.
//!
//! Each phase is a module that owns one transformation; [`check`] runs the
//! whole pipeline and the CLI ([`cli`]) renders the result.

pub mod ast;
pub mod cli;
pub mod diagnostics;
pub mod error;
pub mod eval;
pub mod events;
pub mod fmt;
pub mod graph;
pub mod lint;
pub mod load;
pub mod model;
pub mod report;
pub mod resolve;
pub mod source;
pub mod span;
pub mod stream;
pub mod syntax;

use std::path::PathBuf;

use jiff::Timestamp;

use crate::diagnostics::Diagnostics;
use crate::error::RunError;
use crate::eval::Evaluation;
use crate::events::{Input, Log, ReadOptions};
use crate::graph::Graph;
use crate::model::Model;
use crate::resolve::ParamOverride;
use crate::source::SourceMap;

/// The instant a check is made as of.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AsOf {
    /// The time of the last event in the logs, of any kind (the default).
    #[default]
    LastEvent,
    /// The clock.
    Now,
    /// A written time: RFC 3339, a local date-time, or a date (its end).
    At(String),
}

/// Options of a check.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// The as-of.
    pub as_of: AsOf,
    /// How logs are read.
    pub read: ReadOptions,
    /// `--param` overrides.
    pub params: Vec<ParamOverride>,
    /// Which evaluator runs.
    pub engine: Engine,
    /// What a streamed run keeps of its decided instances.
    pub keep: stream::Keep,
    /// Bytes of a streamed summary run's records buffered before they are
    /// sorted and spilled (`None`: 8 MiB). The CLI takes it from
    /// `PACTA_SPILL_BYTES`, which the tests set tiny.
    #[doc(hidden)]
    pub spill_bytes: Option<usize>,
}

/// Which evaluator a check runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Engine {
    /// In memory ([`eval`]): every event loaded, every rule supported.
    #[default]
    Memory,
    /// Streamed ([`stream`]) when the rules and the log allow it, else in
    /// memory. A streamed run keeps its instances in
    /// [`eval::Evaluation::streamed`] and leaves `commitments` empty: list
    /// them with [`report::sorted_commitments`] or [`report::rows_with`].
    Auto,
    /// Streamed, or a failure saying why it cannot be.
    Stream,
}

/// A run that could not be made: the diagnostics, with the sources they point into.
#[derive(Debug)]
pub struct Failure {
    /// Rule files and logs read so far.
    pub sources: SourceMap,
    /// What went wrong.
    pub diags: Diagnostics,
}

/// Rules loaded, resolved and ordered.
#[derive(Debug)]
pub struct Rules {
    /// The rule files.
    pub sources: SourceMap,
    /// The checked model.
    pub model: Model,
    /// The dependency graph.
    pub graph: Graph,
}

/// The result of a whole check.
#[derive(Debug)]
pub struct Checked {
    /// The rule files and logs.
    pub sources: SourceMap,
    /// The checked model.
    pub model: Model,
    /// The dependency graph.
    pub graph: Graph,
    /// What the logs held.
    pub log: Log,
    /// Statuses and verdicts.
    pub eval: Evaluation,
}

/// Loads, resolves and orders rule files: parse → resolve → graph.
pub fn rules_to_model(paths: &[PathBuf], params: &[ParamOverride]) -> Result<Rules, Failure> {
    let loaded = load::load_rules(paths).map_err(|(sources, diags)| Failure { sources, diags })?;
    loaded_to_model(loaded, params)
}

/// Resolves and orders already-parsed rule files.
pub fn loaded_to_model(loaded: load::Loaded, params: &[ParamOverride]) -> Result<Rules, Failure> {
    let sources = loaded.sources;
    let model = match resolve::resolve(&loaded.files, &loaded.imports, &sources, params) {
        Ok(m) => m,
        Err(diags) => return Err(Failure { sources, diags }),
    };
    let unknown: Vec<&ParamOverride> = params
        .iter()
        .filter(|o| !model.params.iter().any(|p| p.name == o.name))
        .collect();
    if !unknown.is_empty() {
        let mut diags = Diagnostics::new();
        for o in unknown {
            let declared: Vec<String> = model
                .params
                .iter()
                .map(|p| format!("`{}`", p.name))
                .collect();
            diags.push(RunError::Input {
                message: format!("`--param {}`: no param of that name is declared", o.name),
                help: if declared.is_empty() {
                    "the rules declare no params; declare one with `param NAME = VALUE`".into()
                } else {
                    format!("declared params: {}", declared.join(", "))
                },
            });
        }
        return Err(Failure { sources, diags });
    }
    let graph = match graph::model_to_graph(&model, &sources) {
        Ok(g) => g,
        Err(diags) => return Err(Failure { sources, diags }),
    };
    Ok(Rules {
        sources,
        model,
        graph,
    })
}

/// The whole `pacta check` pipeline: rules → model → graph, logs → events,
/// evaluate as of the chosen instant.
pub fn check(rules: &[PathBuf], logs: &[Input], opts: &CheckOptions) -> Result<Checked, Failure> {
    let r = rules_to_model(rules, &opts.params)?;
    check_rules(r, logs, opts)
}

/// Runs the logs through already-loaded rules.
pub fn check_rules(r: Rules, logs: &[Input], opts: &CheckOptions) -> Result<Checked, Failure> {
    let r = match opts.engine {
        Engine::Memory => r,
        Engine::Auto | Engine::Stream => match stream::check(r, logs, opts, opts.keep.clone()) {
            Ok(run) => return Ok(run),
            Err(back) if opts.engine == Engine::Stream => {
                let (r, why) = *back;
                let mut diags = Diagnostics::new();
                diags.push(RunError::Input {
                    message: format!("`--engine stream`: this check cannot be streamed: {why}"),
                    help: "`--engine auto` evaluates in memory what cannot be streamed; docs/performance.md says what can".into(),
                });
                return Err(Failure {
                    sources: r.sources,
                    diags,
                });
            }
            Err(back) => back.0,
        },
    };
    let Rules {
        mut sources,
        model,
        graph,
    } = r;
    let log = match events::read_logs(logs, &model, &mut sources, &opts.read) {
        Ok(l) => l,
        Err(diags) => return Err(Failure { sources, diags }),
    };
    let as_of = match resolve_as_of(&opts.as_of, &model, &log) {
        Ok(t) => t,
        Err(e) => {
            let mut diags = Diagnostics::new();
            diags.push(e);
            return Err(Failure { sources, diags });
        }
    };
    let eval = eval::evaluate(&model, &graph, &log, as_of);
    Ok(Checked {
        sources,
        model,
        graph,
        log,
        eval,
    })
}

/// The as-of instant of a run.
pub fn resolve_as_of(as_of: &AsOf, model: &Model, log: &Log) -> Result<Timestamp, RunError> {
    match as_of {
        AsOf::Now => Ok(Timestamp::now()),
        AsOf::LastEvent => log.last_at.ok_or_else(|| RunError::Input {
            message: "the logs hold no events, so there is no default as-of".into(),
            help: "give `--as-of TIME` (e.g. `--as-of 2025-06-02` or `--as-of now`) to check against an empty log".into(),
        }),
        AsOf::At(text) => parse_as_of(text, model).ok_or_else(|| RunError::Input {
            message: format!("`--as-of {text}` is not a time"),
            help: format!(
                "write `now`, an RFC 3339 time (`2025-06-02T12:00:00+03:00`), a local date-time (`2025-06-02T12:00`, read in `{}`), or a date (its end)",
                model.zone.name
            ),
        }),
    }
}

fn parse_as_of(text: &str, model: &Model) -> Option<Timestamp> {
    let text = text.trim();
    if let Some(t) = resolve::rfc3339(text) {
        return Some(t);
    }
    if let Ok(d) = text.parse::<jiff::civil::Date>() {
        if text.len() == 10 {
            return resolve::day_end(d, &model.zone.tz).ok();
        }
    }
    let normal = text.replacen(' ', "T", 1);
    let dt = normal.parse::<jiff::civil::DateTime>().ok()?;
    dt.to_zoned_datetime(model.zone.tz.clone())
        .ok()
        .map(|z| z.timestamp())
}
