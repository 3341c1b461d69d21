//! Event logs: JSON Lines and CSV → typed [`Event`]s, merged by time.
//!
//! Owns reading (bounded line length, UTF-8, BOM, CRLF), field lookup
//! (`a.b` reaches nested objects), type checking against the declared
//! kinds, claims read from logs (reserved kind `claim`), and the stable sort
//! that makes an unsorted log give the same report as the sorted one. Every
//! input error names the file and line.

mod csv;
mod jsonl;
mod probe;
mod scan;
mod value;
pub(crate) use value::instance_ref;

pub(crate) use jsonl::{LineReader, Parsed, line_body};
pub(crate) use probe::Probe;
pub(crate) use value::{Body, parse_time_text};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;

use crate::diagnostics::Diagnostics;
use crate::error::RunError;
use crate::model::{Claim, KindIdx, Model, Value};
use crate::source::{LogId, LogRef, SourceMap};

/// Longest log line accepted, in bytes.
pub const MAX_LINE: usize = 16 * 1024 * 1024;

/// One observed event of a declared kind.
#[derive(Clone, Debug)]
pub struct Event {
    /// When it happened.
    pub at: Timestamp,
    /// Its kind.
    pub kind: KindIdx,
    /// Values of the kind's fields, in declaration order.
    pub values: Box<[Value]>,
    /// Where it was read.
    pub origin: LogRef,
    /// Its `source` field (a URL or citation), if any.
    pub source: Option<Arc<str>>,
}

/// Where an event log comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A file.
    Path(PathBuf),
    /// Standard input (`-`).
    Stdin,
}

impl Input {
    /// From a command-line argument: `-` is standard input.
    pub fn from_arg(s: &Path) -> Input {
        if s == Path::new("-") {
            Input::Stdin
        } else {
            Input::Path(s.to_path_buf())
        }
    }

    fn name(&self) -> String {
        match self {
            Input::Path(p) => crate::load::display(p),
            Input::Stdin => "<stdin>".to_string(),
        }
    }
}

/// Told how many bytes of logs have been read so far (for a progress bar).
pub type Progress = std::sync::Arc<dyn Fn(u64) + Send + Sync>;

/// How logs are read.
#[derive(Clone)]
pub struct ReadOptions {
    /// Name of the time field (`at`).
    pub time_field: String,
    /// Name of the kind field (`event`).
    pub kind_field: String,
    /// Skip and count bad lines instead of failing.
    pub skip_bad_lines: bool,
    /// Called now and then with the bytes read so far, across all logs.
    pub progress: Option<Progress>,
}

impl std::fmt::Debug for ReadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadOptions")
            .field("time_field", &self.time_field)
            .field("kind_field", &self.kind_field)
            .field("skip_bad_lines", &self.skip_bad_lines)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            time_field: "at".into(),
            kind_field: "event".into(),
            skip_bad_lines: false,
            progress: None,
        }
    }
}

/// Everything read from the logs of a run.
#[derive(Clone, Debug, Default)]
pub struct Log {
    /// Events of declared kinds, sorted by time (stable: ties keep log order).
    pub events: Vec<Event>,
    /// Claims read from the logs (kind `claim`).
    pub claims: Vec<Claim>,
    /// Time of the last line of any kind.
    pub last_at: Option<Timestamp>,
    /// Lines of undeclared kinds, counted per kind.
    pub ignored: BTreeMap<String, u64>,
    /// Lines skipped with `--skip-bad-lines`.
    pub skipped: u64,
    /// The first skipped line and why.
    pub first_skipped: Option<(LogRef, String)>,
    /// Lines read, blank lines excluded.
    pub lines: u64,
    /// True when some log was not in time order.
    pub was_unsorted: bool,
    /// For a streamed run ([`crate::stream`]), which keeps no events: how
    /// many events of declared kinds were read, and how many of them came
    /// after the as-of. `None` when `events` holds every event.
    pub streamed: Option<StreamedCounts>,
}

/// What a streamed run counted of the events it did not keep.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamedCounts {
    /// Events of declared kinds.
    pub events: u64,
    /// Of those, events after the as-of.
    pub after_as_of: u64,
}

impl Log {
    /// Events of declared kinds read.
    pub fn event_count(&self) -> u64 {
        match self.streamed {
            Some(c) => c.events,
            None => self.events.len() as u64,
        }
    }

    /// Events of declared kinds after `as_of` (read, but not evidence).
    pub fn events_after(&self, as_of: Timestamp) -> u64 {
        match self.streamed {
            Some(c) => c.after_as_of,
            None => self.events.iter().filter(|e| e.at > as_of).count() as u64,
        }
    }
}

/// What makes two paths one file: device and inode on Unix (hard links
/// and symbolic links included), the canonical path elsewhere.
#[derive(PartialEq, Eq)]
enum FileIdentity {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg(not(unix))]
    Path(std::path::PathBuf),
}

fn file_identity(p: &Path) -> Option<FileIdentity> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let m = std::fs::metadata(p).ok()?;
        Some(FileIdentity::Inode(m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::canonicalize(p).ok().map(FileIdentity::Path)
    }
}

/// Reads every log, in argument order, and merges them by time.
pub fn read_logs(
    inputs: &[Input],
    model: &Model,
    sources: &mut SourceMap,
    opts: &ReadOptions,
) -> Result<Log, Diagnostics> {
    let mut log = Log::default();
    let mut diags = Diagnostics::new();
    let mut stdin_used = false;
    // Each log file once: the same file given twice would count every
    // event twice (`--events a.jsonl --events ./a.jsonl`).
    let mut files: Vec<(FileIdentity, String)> = Vec::new();
    let mut bytes_before: u64 = 0;
    for input in inputs {
        let id = sources.add_log(input.name());
        let mut reader = Reader {
            model,
            opts,
            log: &mut log,
            file: input.name(),
            id,
            prev_at: None,
            bytes_before,
        };
        let result = match input {
            Input::Stdin if stdin_used => {
                Err(reader.input_error("standard input is given twice as `-`"))
            }
            Input::Stdin => {
                stdin_used = true;
                // Streamed: JSON Lines from a pipe are never held whole in memory.
                let mut input = std::io::BufReader::with_capacity(1 << 16, std::io::stdin().lock());
                match sniff_csv(&mut input) {
                    Ok(true) => reader.read_csv(input),
                    Ok(false) => reader.read_jsonl(input),
                    Err(e) => Err(reader.input_error(&format!("cannot read standard input: {e}"))),
                }
            }
            Input::Path(p) => {
                let same =
                    file_identity(p).and_then(|c| match files.iter().find(|(f, _)| *f == c) {
                        Some((_, name)) => Some(name.clone()),
                        None => {
                            files.push((c, input.name()));
                            None
                        }
                    });
                let twice = |message: String| RunError::Input {
                    message,
                    help: "give each log once: its events would be counted twice".into(),
                };
                match same {
                    Some(first) if first == input.name() => {
                        Err(twice(format!("the log `{first}` is given twice")))
                    }
                    Some(first) => Err(twice(format!(
                        "the log `{}` is `{first}`, given already",
                        input.name()
                    ))),
                    None => reader.read_path(p),
                }
            }
        };
        bytes_before = reader.bytes_before;
        if let Err(e) = result {
            diags.push(e);
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    // Merged by time. Events at equal times are ordered by log name, then
    // line, so the report does not depend on the order of `--events`
    // arguments. INVARIANT: the sort is stable, so within one log, lines at
    // equal times keep their order.
    let mut ids: Vec<LogId> = (0..sources.log_count())
        .map(|i| LogId(u32::try_from(i).unwrap_or(u32::MAX)))
        .collect();
    ids.sort_by(|a, b| {
        sources
            .log_name(*a)
            .cmp(sources.log_name(*b))
            .then(a.cmp(b))
    });
    let mut rank = vec![0u32; sources.log_count()];
    for (r, id) in ids.iter().enumerate() {
        if let Some(slot) = rank.get_mut(id.0 as usize) {
            *slot = u32::try_from(r).unwrap_or(u32::MAX);
        }
    }
    let key = |r: &LogRef| {
        (
            rank.get(r.log.0 as usize).copied().unwrap_or(u32::MAX),
            r.line,
        )
    };
    log.events.sort_by(|a, b| {
        a.at.cmp(&b.at)
            .then_with(|| key(&a.origin).cmp(&key(&b.origin)))
    });
    log.claims.sort_by_key(|c| c.at.judged_at);
    Ok(log)
}

/// True when the first non-blank byte of the input is not `{` (a CSV
/// header); looks no further than the first buffer.
fn sniff_csv(input: &mut impl std::io::BufRead) -> std::io::Result<bool> {
    let buf = input.fill_buf()?;
    let buf = buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(buf);
    Ok(buf
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b != b'{'))
}

struct Reader<'a> {
    model: &'a Model,
    opts: &'a ReadOptions,
    log: &'a mut Log,
    file: String,
    id: LogId,
    prev_at: Option<Timestamp>,
    /// Bytes of earlier logs and of this one so far, for progress.
    bytes_before: u64,
}

/// A line's problem: message and help.
pub(crate) struct LineError {
    pub message: String,
    pub help: String,
    pub column: Option<u64>,
}

impl LineError {
    pub(crate) fn new(message: impl Into<String>, help: impl Into<String>) -> LineError {
        LineError {
            message: message.into(),
            help: help.into(),
            column: None,
        }
    }
}

impl Reader<'_> {
    /// Reports progress: `consumed` more bytes were read.
    fn advance(&mut self, consumed: u64) {
        self.bytes_before += consumed;
        if let Some(p) = &self.opts.progress {
            p(self.bytes_before);
        }
    }

    fn input_error(&self, message: &str) -> RunError {
        RunError::Input {
            message: message.to_string(),
            help: "give a JSON Lines (`.jsonl`) or CSV (`.csv`) file, or `-` for standard input"
                .into(),
        }
    }

    fn read_path(&mut self, p: &Path) -> Result<(), RunError> {
        if p.is_dir() {
            return Err(
                self.input_error(&format!("cannot read log `{}`: it is a folder", self.file))
            );
        }
        let f = std::fs::File::open(p)
            .map_err(|e| self.input_error(&format!("cannot read log `{}`: {e}", self.file)))?;
        let is_csv = p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if is_csv {
            self.read_csv(std::io::BufReader::new(f))
        } else {
            self.read_jsonl(std::io::BufReader::with_capacity(1 << 16, f))
        }
    }

    /// Records a bad line: skipped and counted, or the run's error.
    fn bad_line(&mut self, line: u64, err: LineError) -> Result<(), RunError> {
        self.log.lines += 1;
        if self.opts.skip_bad_lines {
            self.log.skipped += 1;
            if self.log.first_skipped.is_none() {
                let r = LogRef {
                    log: self.id,
                    line: u32::try_from(line).unwrap_or(u32::MAX),
                };
                let message = match err.column {
                    Some(c) => format!("column {c}: {}", err.message),
                    None => err.message,
                };
                self.log.first_skipped = Some((r, message));
            }
            Ok(())
        } else {
            Err(RunError::Log {
                file: self.file.clone(),
                line,
                column: err.column,
                message: err.message,
                help: err.help,
            })
        }
    }

    /// Adds one parsed record.
    fn accept(&mut self, line: u64, rec: value::Record) {
        self.log.lines += 1;
        if self.prev_at.is_some_and(|p| rec.at < p) {
            self.log.was_unsorted = true;
        }
        self.prev_at = Some(rec.at);
        if self.log.last_at.is_none_or(|l| rec.at > l) {
            self.log.last_at = Some(rec.at);
        }
        let origin = LogRef {
            log: self.id,
            line: u32::try_from(line).unwrap_or(u32::MAX),
        };
        match rec.body {
            value::Body::Event {
                kind,
                values,
                source,
            } => self.log.events.push(Event {
                at: rec.at,
                kind,
                values,
                origin,
                source,
            }),
            value::Body::Claim(mut c) => {
                c.id = format!("{}:{}", self.file, line);
                c.origin = crate::model::Origin::Log(origin);
                self.log.claims.push(*c);
            }
            value::Body::Ignored(kind) => *self.log.ignored.entry(kind).or_insert(0) += 1,
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod jsonl_tests_support {
    pub(super) use super::jsonl::read_line_capped_for_test;
}
