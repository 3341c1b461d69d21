//! Reading a JSON Lines log for the streaming engine on every core: the
//! file is cut into chunks at line ends, workers parse chunks in parallel
//! into batches of typed events, and the engine takes the batches back in
//! file order — so the result is the same as reading line by line.
//!
//! Each line is read as [`crate::events`] reads it: a line of a kind no rule
//! declares by the byte probe, the others parsed and typed.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use jiff::Timestamp;

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::hits::{Hit, Matcher};
use super::store::Ev;
use crate::events::{Body, MAX_LINE, Parsed, ReadOptions};
use crate::model::Model;

/// Bytes per chunk.
const CHUNK: usize = 2 << 20;

/// One chunk's lines, read and typed.
#[derive(Default)]
pub(crate) struct Batch {
    seq: u64,
    /// The hits of the events of kinds the engine reads, at or before the
    /// as-of, in log order, each with its event; the keys are in `keys`.
    /// An event's `source` counts from 1 in `sources` (0: none).
    pub hits: Vec<(Ev, Hit)>,
    /// The hits' keys.
    pub keys: Vec<u8>,
    /// The sources the events cite, each once.
    pub sources: Vec<Arc<str>>,
    /// Events of kinds the engine reads, at or before the as-of.
    pub events: u64,
    /// The time and line of the first of those events, and the latest
    /// time.
    pub span: Option<(Timestamp, u32, Timestamp)>,
    /// The first of those events out of time order within the batch.
    pub unordered: Option<u32>,
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
    /// Kinds the engine reads, by index.
    pub reads: Vec<bool>,
    /// Which instances an event touches.
    pub matcher: Matcher<'a>,
    pub limit: Option<Timestamp>,
    lines: crate::events::LineReader,
}

impl<'a> Job<'a> {
    pub(crate) fn new(
        model: &'a Model,
        opts: &'a ReadOptions,
        matcher: Matcher<'a>,
        limit: Option<Timestamp>,
    ) -> Job<'a> {
        Job {
            model,
            opts,
            reads: (0..model.kinds.len()).map(|k| matcher.reads(k)).collect(),
            matcher,
            limit,
            lines: crate::events::LineReader::new(model, opts),
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
    /// The next chunk, read into `buf` (a buffer of an earlier chunk, or
    /// new).
    fn next(&mut self, mut buf: Vec<u8>) -> Result<Option<Chunk>, String> {
        if self.done {
            return Ok(None);
        }
        buf.clear();
        buf.append(&mut self.carry);
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
            self.carry.clear();
            self.carry
                .extend_from_slice(buf.get(end + 1..).unwrap_or_default());
            buf.truncate(end + 1);
        } else {
            // No line end yet: keep reading into the same line.
            if buf.len() > MAX_LINE {
                return Err("a line longer than the limit".into());
            }
            self.carry = buf;
            return self.next(Vec::new());
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
    mut take: impl FnMut(&mut Batch) -> Result<(), String>,
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
    // Chunk buffers and batches go back to the workers once used: fresh
    // pages cost more than the parsing that fills them.
    let free_bufs: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
    let free_batches: Mutex<Vec<Batch>> = Mutex::new(Vec::new());
    let (tx, rx) = mpsc::sync_channel::<Batch>(threads * 2);
    std::thread::scope(|s| {
        let mut spawned = 0;
        for _ in 0..threads.max(1) {
            let tx = tx.clone();
            let (chunks, stop) = (&chunks, &stop);
            let (free_bufs, free_batches) = (&free_bufs, &free_batches);
            let worker = std::thread::Builder::new().spawn_scoped(s, move || {
                while !stop.load(Ordering::Relaxed) {
                    let buf = free_bufs
                        .lock()
                        .ok()
                        .and_then(|mut f| f.pop())
                        .unwrap_or_default();
                    let next = match chunks.lock() {
                        Ok(mut c) => {
                            let r = c.next(buf);
                            if let Some(p) = &job.opts.progress {
                                p(c.bytes);
                            }
                            r
                        }
                        Err(_) => Err("a reader failed".into()),
                    };
                    let batch = match next {
                        Ok(Some(chunk)) => {
                            let mut b = free_batches
                                .lock()
                                .ok()
                                .and_then(|mut f| f.pop())
                                .unwrap_or_default();
                            parse_chunk(job, &chunk, &mut b);
                            if let Ok(mut f) = free_bufs.lock() {
                                f.push(chunk.bytes);
                            }
                            b
                        }
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
            spawned += usize::from(worker.is_ok());
        }
        drop(tx);
        // No thread to be had (a tight memory limit): the in-memory engine
        // reads on this thread instead.
        if spawned == 0 {
            return Err("no reader thread could be started".into());
        }
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
                let mut b = b;
                if let Err(e) = take(&mut b) {
                    result = Err(e);
                    break;
                }
                if let Ok(mut f) = free_batches.lock() {
                    f.push(b);
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

/// The lines of `b`, each with its `\n` (the last one may lack it): as
/// `split_inclusive`, but found with `memchr` rather than byte by byte
/// (that loop was ~5% of a streamed run's CPU).
fn lines_inclusive(b: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    let mut ends = memchr::memchr_iter(b'\n', b);
    std::iter::from_fn(move || {
        let end = match ends.next() {
            Some(e) => e + 1,
            None if start < b.len() => b.len(),
            None => return None,
        };
        let line = b.get(start..end);
        start = end;
        line
    })
}

/// Parses a chunk into `b` (a used batch, or new), its counts and lists
/// cleared first.
fn parse_chunk(job: &Job<'_>, chunk: &Chunk, b: &mut Batch) {
    b.seq = chunk.seq;
    b.hits.clear();
    b.keys.clear();
    b.sources.clear();
    b.events = 0;
    b.span = None;
    b.unordered = None;
    b.lines = 0;
    b.declared = 0;
    b.after = 0;
    b.ignored.clear();
    b.last_at = None;
    b.stop = None;
    let mut sources: FxHashMap<Arc<str>, u32> = FxHashMap::default();
    let mut hits: Vec<Hit> = Vec::new();
    // Checked once for the chunk: its lines are then UTF-8 (a line end is
    // a character boundary).
    let text = std::str::from_utf8(&chunk.bytes).ok();
    let mut at = 0;
    for (n, raw) in (chunk.first_line..).zip(lines_inclusive(&chunk.bytes)) {
        let from = at;
        at += raw.len();
        // The in-memory reader decides a line over the limit (with its
        // line end, and the first line with any byte order mark): a bad
        // line, or one skipped and counted.
        if raw.len() + 3 > MAX_LINE {
            b.stop = Some(format!("line {n} is longer than the limit"));
            return;
        }
        let Some(line) = crate::events::line_body(raw) else {
            continue;
        };
        let line_text = text.and_then(|t| t.get(from..from + line.len()));
        let Ok(line_u32) = u32::try_from(n) else {
            b.stop = Some("more lines than a report can number".into());
            return;
        };
        let rec = match job.lines.read(line, line_text, job.model, job.opts) {
            Ok(Parsed::Ignored(kind, at)) => {
                b.lines += 1;
                b.last_at = b.last_at.max(Some(at));
                match b.ignored.get_mut(kind.as_ref()) {
                    Some(c) => *c += 1,
                    None => {
                        b.ignored.insert(kind.into_owned(), 1);
                    }
                }
                continue;
            }
            Ok(Parsed::Record(r)) => r,
            Err(e) => {
                b.stop = Some(format!("line {n}: {}", e.message));
                return;
            }
        };
        b.lines += 1;
        b.last_at = b.last_at.max(Some(rec.at));
        match rec.body {
            Body::Ignored(kind) => *b.ignored.entry(kind).or_insert(0) += 1,
            Body::Claim(_) => {
                b.stop = Some(format!("line {n} is a claim"));
                return;
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
                    b.events += 1;
                    b.span = Some(match b.span {
                        None => (rec.at, line_u32, rec.at),
                        Some((first, line, last)) => {
                            if rec.at < last && b.unordered.is_none() {
                                b.unordered = Some(line_u32);
                            }
                            (first, line, last.max(rec.at))
                        }
                    });
                    let source = match source {
                        None => 0,
                        Some(s) => match sources.get(&s) {
                            Some(&i) => i,
                            None => {
                                b.sources.push(s.clone());
                                let i = u32::try_from(b.sources.len()).unwrap_or(u32::MAX);
                                sources.insert(s, i);
                                i
                            }
                        },
                    };
                    let ev = Ev {
                        at: rec.at,
                        line: line_u32,
                        kind: u32::try_from(kind).unwrap_or(u32::MAX),
                        source,
                    };
                    hits.clear();
                    job.matcher.hits(kind, &values, &mut b.keys, &mut hits);
                    b.hits.extend(hits.iter().map(|h| (ev, *h)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::lines_inclusive;

    #[test]
    fn lines_are_split_as_split_inclusive_splits_them() {
        for text in [
            &b""[..],
            b"\n",
            b"a",
            b"a\n",
            b"a\nb",
            b"a\n\nb\n",
            b"\n\n\n",
            b"{\"at\":1}\r\n{\"at\":2}",
        ] {
            let want: Vec<&[u8]> = text.split_inclusive(|&c| c == b'\n').collect();
            let got: Vec<&[u8]> = lines_inclusive(text).collect();
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(text));
        }
    }
}
