//! Reading a JSON Lines log for the streaming engine on every core: the
//! file is cut into chunks at line ends, workers parse chunks in parallel
//! into batches of typed events, and the engine takes the batches back in
//! file order — so the result is the same as reading line by line.
//!
//! A line whose kind no rule declares is recognised without a full parse
//! ([`probe`]): its top-level kind and time are found by a byte search and
//! checked to be at the object's top level; everything else in it is left
//! unread. Lines of declared kinds are parsed and typed as
//! [`crate::events`] does (fields no rule reads are skipped unbuilt).

use std::collections::BTreeMap;
use std::io::Read as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use jiff::Timestamp;
use memchr::memmem;

use crate::events::{Body, Event, MAX_LINE, ReadOptions};
use crate::model::Model;
use crate::source::{LogId, LogRef};

/// Bytes per chunk.
const CHUNK: usize = 4 << 20;

/// One chunk's lines, read and typed.
#[derive(Default)]
pub(crate) struct Batch {
    seq: u64,
    /// Events of kinds the engine reads, at or before the as-of, in order.
    pub events: Vec<Event>,
    /// Non-blank lines.
    pub lines: u64,
    /// Events of declared kinds.
    pub declared: u64,
    /// Of those, after the as-of.
    pub after: u64,
    /// Lines of undeclared kinds, per kind.
    pub ignored: BTreeMap<String, u64>,
    /// The latest time of any line.
    pub last_at: Option<Timestamp>,
    /// Why the log cannot be streamed, from this chunk on.
    pub stop: Option<String>,
}

/// What every worker needs.
pub(crate) struct Job<'a> {
    pub model: &'a Model,
    pub opts: &'a ReadOptions,
    pub wanted: Vec<String>,
    /// Kinds the engine reads, by index.
    pub reads: Vec<bool>,
    pub limit: Option<Timestamp>,
    pub log: LogId,
    probe: Option<Probe>,
}

impl<'a> Job<'a> {
    pub(crate) fn new(
        model: &'a Model,
        opts: &'a ReadOptions,
        reads: Vec<bool>,
        limit: Option<Timestamp>,
        log: LogId,
    ) -> Job<'a> {
        Job {
            model,
            opts,
            wanted: crate::events::wanted_keys(model, opts),
            reads,
            limit,
            log,
            probe: Probe::new(&opts.kind_field, &opts.time_field),
        }
    }
}

/// The file, handed out a chunk at a time.
struct Chunks {
    file: std::fs::File,
    carry: Vec<u8>,
    seq: u64,
    next_line: u64,
    bytes: u64,
    done: bool,
}

/// A chunk of whole lines, with the number of its first line.
struct Chunk {
    seq: u64,
    first_line: u64,
    bytes: Vec<u8>,
}

impl Chunks {
    fn next(&mut self) -> Result<Option<Chunk>, String> {
        if self.done {
            return Ok(None);
        }
        let mut buf = std::mem::take(&mut self.carry);
        let start = buf.len();
        buf.resize(start + CHUNK, 0);
        let mut filled = start;
        while filled < buf.len() {
            let space = buf.get_mut(filled..).unwrap_or_default();
            match self.file.read(space) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("cannot read: {e}")),
            }
        }
        buf.truncate(filled);
        self.bytes += (filled - start) as u64;
        if filled == start {
            self.done = true;
        } else if let Some(end) = memchr::memrchr(b'\n', &buf) {
            self.carry = buf.get(end + 1..).unwrap_or_default().to_vec();
            buf.truncate(end + 1);
        } else {
            // No line end yet: keep reading into the same line.
            if buf.len() > MAX_LINE {
                return Err("a line longer than the limit".into());
            }
            self.carry = buf;
            return self.next();
        }
        if buf.is_empty() {
            return Ok(None);
        }
        if self.seq == 0 {
            if let Some(rest) = buf.strip_prefix(b"\xEF\xBB\xBF") {
                buf = rest.to_vec();
            }
        }
        let lines =
            memchr::memchr_iter(b'\n', &buf).count() as u64 + u64::from(buf.last() != Some(&b'\n'));
        let chunk = Chunk {
            seq: self.seq,
            first_line: self.next_line,
            bytes: buf,
        };
        self.seq += 1;
        self.next_line += lines;
        Ok(Some(chunk))
    }
}

/// Reads `file` on `threads` workers and hands each batch, in file order,
/// to `take`; stops at the first batch that says to stop, or when `take`
/// fails.
pub(crate) fn read(
    file: std::fs::File,
    job: &Job<'_>,
    threads: usize,
    mut take: impl FnMut(Batch) -> Result<(), String>,
) -> Result<(), String> {
    let chunks = Mutex::new(Chunks {
        file,
        carry: Vec::new(),
        seq: 0,
        next_line: 1,
        bytes: 0,
        done: false,
    });
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::sync_channel::<Batch>(threads * 2);
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            let tx = tx.clone();
            let (chunks, stop) = (&chunks, &stop);
            s.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let next = match chunks.lock() {
                        Ok(mut c) => {
                            let r = c.next();
                            if let Some(p) = &job.opts.progress {
                                p(c.bytes);
                            }
                            r
                        }
                        Err(_) => Err("a reader failed".into()),
                    };
                    let batch = match next {
                        Ok(Some(chunk)) => parse_chunk(job, &chunk),
                        Ok(None) => break,
                        Err(e) => Batch {
                            seq: u64::MAX,
                            stop: Some(e),
                            ..Batch::default()
                        },
                    };
                    let last = batch.stop.is_some();
                    if tx.send(batch).is_err() || last {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut pending: BTreeMap<u64, Batch> = BTreeMap::new();
        let mut want: u64 = 0;
        let mut result = Ok(());
        for b in rx.iter() {
            if b.seq == u64::MAX {
                result = Err(b.stop.unwrap_or_default());
                break;
            }
            pending.insert(b.seq, b);
            while let Some(b) = pending.remove(&want) {
                want += 1;
                if let Some(why) = b.stop.clone() {
                    result = Err(why);
                    break;
                }
                if let Err(e) = take(b) {
                    result = Err(e);
                    break;
                }
            }
            if result.is_err() {
                break;
            }
        }
        stop.store(true, Ordering::Relaxed);
        // Drain, so no worker blocks on a full channel.
        for _ in rx.iter() {}
        result
    })
}

fn parse_chunk(job: &Job<'_>, chunk: &Chunk) -> Batch {
    let mut b = Batch {
        seq: chunk.seq,
        ..Batch::default()
    };
    for (n, raw) in (chunk.first_line..).zip(chunk.bytes.split_inclusive(|&c| c == b'\n')) {
        let mut line = raw;
        while let Some((last, rest)) = line.split_last() {
            if matches!(last, b'\n' | b'\r') {
                line = rest;
            } else {
                break;
            }
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let Ok(line_u32) = u32::try_from(n) else {
            b.stop = Some("more lines than a report can number".into());
            return b;
        };
        // A line of a kind no rule declares: its kind and time only.
        if let Some((kind, at)) = job.probe.as_ref().and_then(|p| p.ignored(line, job.model)) {
            b.lines += 1;
            b.last_at = b.last_at.max(Some(at));
            match b.ignored.get_mut(kind) {
                Some(c) => *c += 1,
                None => {
                    b.ignored.insert(kind.to_string(), 1);
                }
            }
            continue;
        }
        let rec = match crate::events::parse_record(line, &job.wanted, job.model, job.opts) {
            Ok(r) => r,
            Err(e) => {
                b.stop = Some(format!("line {n}: {}", e.message));
                return b;
            }
        };
        b.lines += 1;
        b.last_at = b.last_at.max(Some(rec.at));
        match rec.body {
            Body::Ignored(kind) => *b.ignored.entry(kind).or_insert(0) += 1,
            Body::Claim(_) => {
                b.stop = Some(format!("line {n} is a claim"));
                return b;
            }
            Body::Event {
                kind,
                values,
                source,
            } => {
                b.declared += 1;
                if job.limit.is_some_and(|l| rec.at > l) {
                    b.after += 1;
                } else if job.reads.get(kind).copied().unwrap_or(false) {
                    b.events.push(Event {
                        at: rec.at,
                        kind,
                        values,
                        origin: LogRef {
                            log: job.log,
                            line: line_u32,
                        },
                        source,
                    });
                }
            }
        }
    }
    b
}

/// Finds the kind and time of a line by a byte search.
struct Probe {
    /// `"event":"`
    kind_at: memmem::Finder<'static>,
    /// `"event"`
    kind_key: memmem::Finder<'static>,
    /// `"at":"`
    time_at: memmem::Finder<'static>,
    /// `"at"`
    time_key: memmem::Finder<'static>,
}

impl Probe {
    /// `None` for field names the search cannot find safely (nested paths,
    /// names that need escaping).
    fn new(kind_field: &str, time_field: &str) -> Option<Probe> {
        let plain = |f: &str| {
            !f.is_empty()
                && f.bytes()
                    .all(|b| b != b'.' && b != b'"' && b != b'\\' && b >= 0x20)
        };
        if !plain(kind_field) || !plain(time_field) {
            return None;
        }
        let own = |s: String| memmem::Finder::new(s.as_bytes()).into_owned();
        Some(Probe {
            kind_at: own(format!("\"{kind_field}\":\"")),
            kind_key: own(format!("\"{kind_field}\"")),
            time_at: own(format!("\"{time_field}\":\"")),
            time_key: own(format!("\"{time_field}\"")),
        })
    }

    /// The kind and time of a line whose kind is neither declared nor
    /// `claim`, when both are found unambiguously at the top level of a
    /// UTF-8 object; `None` sends the line to the full parse.
    fn ignored<'l>(&self, line: &'l [u8], model: &Model) -> Option<(&'l str, Timestamp)> {
        if line.first() != Some(&b'{') || line.last() != Some(&b'}') {
            return None;
        }
        let kind = value_at(line, &self.kind_at, &self.kind_key)?;
        if kind == "claim" || model.kind(kind).is_some() {
            return None;
        }
        let at = value_at(line, &self.time_at, &self.time_key)?;
        std::str::from_utf8(line).ok()?;
        let at = crate::events::parse_time_text(at, model)?;
        Some((kind, at))
    }
}

/// The string value of a key that occurs exactly once in the line, at the
/// top level, written `"key":"value"` with no escape in the value.
fn value_at<'l>(
    line: &'l [u8],
    with_value: &memmem::Finder<'_>,
    key: &memmem::Finder<'_>,
) -> Option<&'l str> {
    let mut hits = key.find_iter(line);
    let first = hits.next()?;
    if hits.next().is_some() {
        return None;
    }
    let at = with_value.find(line)?;
    if at != first || !top_level(line.get(..at)?) {
        return None;
    }
    let rest = line.get(at + with_value.needle().len()..)?;
    let end = memchr::memchr2(b'"', b'\\', rest)?;
    if rest.get(end) != Some(&b'"') {
        return None;
    }
    std::str::from_utf8(rest.get(..end)?).ok()
}

/// True when the end of `prefix` is outside any string, directly inside
/// the line's outer object.
fn top_level(prefix: &[u8]) -> bool {
    let (mut depth, mut in_str, mut esc) = (0i32, false, false);
    for &c in prefix {
        if in_str {
            if esc {
                esc = false;
            } else if c == b'\\' {
                esc = true;
            } else if c == b'"' {
                in_str = false;
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth -= 1,
            _ => {}
        }
    }
    !in_str && depth == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe() -> Probe {
        Probe::new("event", "at").unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn finds_top_level_kinds_only() {
        let p = probe();
        fn k<'l>(p: &Probe, l: &'l str) -> Option<&'l str> {
            value_at(l.as_bytes(), &p.kind_at, &p.kind_key)
        }
        let k = |l: &'static str| k(&p, l);
        assert_eq!(
            k(r#"{"at":"x","event":"page_view","a":1}"#),
            Some("page_view")
        );
        // Nested, repeated, escaped or spaced: left to the full parse.
        assert_eq!(k(r#"{"at":"x","m":{"event":"page_view"}}"#), None);
        assert_eq!(k(r#"{"event":"a","event":"b"}"#), None);
        assert_eq!(k(r#"{"event":"a\"b"}"#), None);
        assert_eq!(k(r#"{"event": "a"}"#), None);
        assert_eq!(k(r#"{"s":"{\"q\":1","event":"a"}"#), Some("a"));
        assert_eq!(k(r#"{"s":"[","event":"a"}"#), Some("a"));
        assert!(top_level(br#"{"a":[1,{"b":2}],"#));
        assert!(!top_level(br#"{"a":"\""#));
    }

    #[test]
    fn nested_or_odd_field_names_turn_the_probe_off() {
        assert!(Probe::new("meta.kind", "at").is_none());
        assert!(Probe::new("event", "t\"").is_none());
    }
}
