//! Spilling a summary run's decided instances, so that its memory does not
//! grow with the log (issue 6). A summary lists only counts and the
//! failing instances, so no decided instance has to stay in memory:
//!
//! - the engine writes each decided instance, and each `unless` event of a
//!   key not in force, as a record into a buffer, which is sorted in report
//!   order and written out as a *run* when it is full — runs stay in memory
//!   while they are small and go to one unnamed temporary file beyond that;
//! - the engine forgets decided keys from time to time
//!   ([`super::engine`]), so a trigger of a key decided long ago may open a
//!   second, *tentative* instance;
//! - at the end the runs are merged in report order, and per key the
//!   first instance (by its trigger's line; one log in time order, so
//!   line order is time order) stands: later ones are the repeated
//!   triggers an exact key set would have ignored, and an `unless` event
//!   before the first trigger cancels it, as it would have at once. The
//!   counts come from this merge, and the instances the summary lists
//!   are written, already in report order, to a second store that the
//!   report reads back one row at a time.
//!
//! Memory: the buffer ([`Limits::run_bytes`]), and a read buffer per run
//! while merging.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, Write};
use std::sync::OnceLock;

use super::store::{self, Cite};
use crate::model::Status;

/// Sizes that bound a spilling run's memory.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Bytes of records buffered before a run is written, and bytes of
    /// runs held in memory before they go to a temporary file.
    pub run_bytes: usize,
    /// Keys an engine's key set may hold (or twice its open instances, if
    /// more) before decided keys are forgotten.
    pub compact_keys: usize,
}

impl Limits {
    /// Runs of `run_bytes` (8 MiB when `None`; the tests make them tiny,
    /// to spill and forget often on small logs).
    pub(crate) fn new(run_bytes: Option<usize>) -> Limits {
        // Offsets in a buffer are `u32`s: a run stays well under 4 GiB.
        let run_bytes = run_bytes.unwrap_or(8 << 20).clamp(64, 1 << 30);
        Limits {
            run_bytes,
            compact_keys: (run_bytes / 32).max(2),
        }
    }
}

/// A record: a decided instance, or an `unless` event of a key not in
/// force.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Tag {
    Instance = 0,
    Unless = 1,
}

/// One record, with its key.
#[derive(Clone, Debug)]
pub(crate) struct Record {
    /// The commitment's position in report order (by id).
    pub rank: u32,
    /// Its number of `for each` variables (how its keys compare).
    pub vars: u32,
    pub tag: Tag,
    /// The trigger's line (an instance) or the event's (an `unless`).
    pub line: u32,
    pub status: Status,
    pub key: Vec<u8>,
    /// An instance's trigger.
    pub trigger: Cite,
    /// An instance's fulfilment or cancellation; an `unless` event itself.
    pub cause: Cite,
    /// The run it was read from, while merging.
    run: usize,
}

impl Record {
    fn empty() -> Record {
        Record {
            rank: 0,
            vars: 0,
            tag: Tag::Instance,
            line: 0,
            status: Status::Inactive,
            key: Vec::new(),
            trigger: Cite::NONE,
            cause: Cite::NONE,
            run: 0,
        }
    }

    fn prefix(&self) -> u128 {
        store::prefix(&self.key)
    }

    /// Report order, then the key's bytes (equal keys are adjacent), then
    /// line.
    fn order(&self, prefix: u128, other: &Record, other_prefix: u128) -> Ordering {
        self.rank
            .cmp(&other.rank)
            .then(prefix.cmp(&other_prefix))
            .then_with(|| store::compare_keys(&self.key, &other.key, self.vars as usize))
            .then_with(|| self.key.cmp(&other.key))
            .then(self.line.cmp(&other.line))
            .then(self.tag.cmp(&other.tag))
    }

    fn write(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&self.rank.to_le_bytes());
        out.extend_from_slice(&self.vars.to_le_bytes());
        out.extend_from_slice(&self.line.to_le_bytes());
        let flags =
            u8::from(self.trigger != Cite::NONE) | (u8::from(self.cause != Cite::NONE) << 1);
        out.extend_from_slice(&[self.tag as u8, status_byte(self.status), flags]);
        out.extend_from_slice(
            &u32::try_from(self.key.len())
                .unwrap_or(u32::MAX)
                .to_le_bytes(),
        );
        out.extend_from_slice(&self.key);
        if self.trigger != Cite::NONE {
            self.trigger.write(out);
        }
        if self.cause != Cite::NONE {
            self.cause.write(out);
        }
        let len = u32::try_from(out.len() - start).unwrap_or(u32::MAX);
        if let Some(head) = out.get_mut(start..start + 4) {
            head.copy_from_slice(&len.to_le_bytes());
        }
    }

    /// Reads a record [`Record::write`] wrote (without its length).
    fn read(&mut self, b: &[u8]) -> Option<()> {
        let (rank, b) = b.split_first_chunk::<4>()?;
        let (vars, b) = b.split_first_chunk::<4>()?;
        let (line, b) = b.split_first_chunk::<4>()?;
        let (&[tag, status, flags], b) = b.split_first_chunk::<3>()?;
        let (len, b) = b.split_first_chunk::<4>()?;
        let len = u32::from_le_bytes(*len) as usize;
        self.rank = u32::from_le_bytes(*rank);
        self.vars = u32::from_le_bytes(*vars);
        self.line = u32::from_le_bytes(*line);
        self.tag = match tag {
            0 => Tag::Instance,
            1 => Tag::Unless,
            _ => return None,
        };
        self.status = *Status::ALL.get(usize::from(status))?;
        self.key.clear();
        self.key.extend_from_slice(b.get(..len)?);
        let mut b = b.get(len..)?;
        self.trigger = Cite::NONE;
        self.cause = Cite::NONE;
        if flags & 1 != 0 {
            (self.trigger, b) = Cite::read(b)?;
        }
        if flags & 2 != 0 {
            (self.cause, _) = Cite::read(b)?;
        }
        Some(())
    }
}

/// A status's position in [`Status::ALL`].
pub(crate) fn status_byte(s: Status) -> u8 {
    Status::ALL
        .iter()
        .position(|x| *x == s)
        .and_then(|i| u8::try_from(i).ok())
        .unwrap_or(0)
}

/// Heap order: the smallest record first.
struct Head(Record, u128);

impl PartialEq for Head {
    fn eq(&self, other: &Head) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Head {}
impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Head) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Head {
    fn cmp(&self, other: &Head) -> Ordering {
        other.0.order(other.1, &self.0, self.1)
    }
}

/// Bytes written in order and read back at any offset: in memory while
/// small, then in an unnamed temporary file (removed when it is closed,
/// however the run ends).
#[derive(Debug, Default)]
pub(crate) struct Storage {
    mem: Vec<u8>,
    file: Option<File>,
    len: u64,
    /// Bytes held in memory before a file is made.
    limit: usize,
}

impl Storage {
    fn new(limit: usize) -> Storage {
        Storage {
            limit,
            ..Storage::default()
        }
    }

    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.file.is_none() && self.mem.len() + bytes.len() > self.limit {
            let mut f = tempfile::tempfile()?;
            f.write_all(&self.mem)?;
            self.mem = Vec::new();
            self.file = Some(f);
        }
        match &mut self.file {
            Some(f) => f.write_all(bytes)?,
            None => self.mem.extend_from_slice(bytes),
        }
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Reads from `pos` into `buf`; the bytes read (0 at the end).
    fn read_at(&self, pos: u64, buf: &mut [u8]) -> io::Result<usize> {
        match &self.file {
            Some(f) => loop {
                match read_at(f, pos, buf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    r => return r,
                }
            },
            None => {
                let from = usize::try_from(pos).unwrap_or(usize::MAX);
                let src = self.mem.get(from..).unwrap_or_default();
                let n = src.len().min(buf.len());
                buf.get_mut(..n)
                    .unwrap_or_default()
                    .copy_from_slice(src.get(..n).unwrap_or_default());
                Ok(n)
            }
        }
    }

    /// True when the bytes went to a temporary file.
    pub(crate) fn on_disk(&self) -> bool {
        self.file.is_some()
    }
}

#[cfg(unix)]
fn read_at(f: &File, pos: u64, buf: &mut [u8]) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(f, buf, pos)
}

// `seek_read` moves the file's cursor: safe here, as a storage is read only
// after everything was appended to it.
#[cfg(windows)]
fn read_at(f: &File, pos: u64, buf: &mut [u8]) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(f, buf, pos)
}

#[cfg(not(any(unix, windows)))]
fn read_at(_: &File, _: u64, _: &mut [u8]) -> io::Result<usize> {
    Err(io::Error::other("positional reads are not supported here"))
}

/// Reads the records of one byte range of a [`Storage`] in order.
#[derive(Debug)]
pub(crate) struct Reader {
    pos: u64,
    end: u64,
    buf: Vec<u8>,
    /// The unread bytes of `buf`.
    at: usize,
    filled: usize,
}

const READ_BUF: usize = 64 << 10;

impl Reader {
    fn new(start: u64, end: u64) -> Reader {
        Reader {
            pos: start,
            end,
            buf: vec![0; READ_BUF],
            at: 0,
            filled: 0,
        }
    }

    /// Makes `n` unread bytes available; false at the end of the range.
    fn fill(&mut self, s: &Storage, n: usize) -> io::Result<bool> {
        while self.filled - self.at < n {
            self.buf.copy_within(self.at..self.filled, 0);
            self.filled -= self.at;
            self.at = 0;
            if self.buf.len() < n {
                self.buf.resize(n, 0);
            }
            let want = (self.buf.len() - self.filled)
                .min(usize::try_from(self.end - self.pos).unwrap_or(usize::MAX));
            if want == 0 {
                return Ok(false);
            }
            let got = s.read_at(
                self.pos,
                self.buf
                    .get_mut(self.filled..self.filled + want)
                    .unwrap_or_default(),
            )?;
            if got == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            self.pos += got as u64;
            self.filled += got;
        }
        Ok(true)
    }

    /// Reads the next record into `rec`; false at the end.
    pub(crate) fn next(&mut self, s: &Storage, rec: &mut Record) -> io::Result<bool> {
        if !self.fill(s, 4)? {
            if self.filled > self.at {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            return Ok(false);
        }
        let len = self
            .buf
            .get(self.at..self.at + 4)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u32::from_le_bytes) as usize;
        // A length past the range's end is a damaged file, not a buffer
        // to grow.
        let left = (self.filled - self.at) as u64 + (self.end - self.pos);
        if len < 4 || len as u64 > left || !self.fill(s, len)? {
            return Err(io::ErrorKind::InvalidData.into());
        }
        let body = self.buf.get(self.at + 4..self.at + len).unwrap_or_default();
        rec.read(body).ok_or(io::ErrorKind::InvalidData)?;
        self.at += len;
        Ok(true)
    }
}

/// A record in the buffer, to sort by: its commitment's rank, the first 8
/// bytes of its key's [`store::prefix`], and its offset in [`Spill::buf`].
#[derive(Clone, Copy, Debug)]
struct Entry {
    rank: u32,
    at: u32,
    prefix: u64,
}

/// Offsets in a record's bytes as [`Record::write`] lays them out.
const LINE_AT: usize = 12;
const TAG_AT: usize = 16;
const KEY_LEN_AT: usize = 19;
const KEY_AT: usize = 23;

/// The parts of a written record that order it after rank and prefix.
fn parts(rec: &[u8]) -> (&[u8], u32, u8) {
    let word = |at: usize| {
        rec.get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u32::from_le_bytes)
    };
    let len = word(KEY_LEN_AT) as usize;
    let key = rec.get(KEY_AT..KEY_AT + len).unwrap_or_default();
    (key, word(LINE_AT), rec.get(TAG_AT).copied().unwrap_or(0))
}

/// The records of a spilling run.
#[derive(Debug)]
pub(crate) struct Spill {
    limits: Limits,
    /// `for each` variables per rank.
    vars: Vec<u32>,
    /// The statuses the summary lists.
    keep: Vec<Status>,
    /// Records as [`Record::write`] writes them, in the order they came.
    buf: Vec<u8>,
    /// The records in `buf`, sorted when a run is written.
    index: Vec<Entry>,
    /// A record being written.
    rec: Record,
    runs: Vec<(u64, u64)>,
    store: Storage,
    error: Option<io::Error>,
}

/// The instances the summary lists, in report order, and the counts.
#[derive(Debug)]
pub(crate) struct Spilled {
    /// Instances per status, in [`Status::ALL`] order.
    pub counts: [u64; 6],
    /// The listed instances' records.
    pub rows: Storage,
    /// Set when reading `rows` back failed: the report must not be taken
    /// as whole.
    pub error: OnceLock<String>,
    /// Whether the runs went to a temporary file.
    pub on_disk: bool,
}

impl Spilled {
    /// The listed instances' records, in report order; stops at the first
    /// record it cannot read, and records why in [`Spilled::error`].
    pub(crate) fn records(&self) -> impl Iterator<Item = Record> + '_ {
        let mut reader = Reader::new(0, self.rows.len);
        std::iter::from_fn(move || {
            let mut rec = Record::empty();
            match reader.next(&self.rows, &mut rec) {
                Ok(true) => Some(rec),
                Ok(false) => None,
                Err(e) => {
                    let _ = self.error.set(format!(
                        "cannot read back the temporary file of the run: {e}"
                    ));
                    None
                }
            }
        })
    }
}

impl Spill {
    /// `vars`: the `for each` variables of each commitment, by rank.
    pub(crate) fn new(limits: Limits, vars: Vec<u32>, keep: Vec<Status>) -> Spill {
        Spill {
            limits,
            vars,
            keep,
            buf: Vec::new(),
            index: Vec::new(),
            rec: Record::empty(),
            runs: Vec::new(),
            store: Storage::new(limits.run_bytes),
            error: None,
        }
    }

    /// Its limits.
    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }

    /// Whether the summary may list an instance decided with this status:
    /// then its events are kept (a cancellation found in the merge may
    /// turn any instance into a listed one).
    fn listed(&self, s: Status) -> bool {
        self.keep.contains(&s) || self.keep.contains(&Status::Cancelled)
    }

    /// A decided instance.
    pub(crate) fn instance(
        &mut self,
        rank: u32,
        key: &[u8],
        status: Status,
        trigger: Cite,
        cause: Cite,
        line: u32,
    ) {
        let (trigger, cause) = if self.listed(status) {
            (trigger, cause)
        } else {
            (Cite::NONE, Cite::NONE)
        };
        self.push(rank, key, Tag::Instance, line, status, trigger, cause);
    }

    /// An `unless` event of a key not in force (it cancels the key's first
    /// instance, if that comes later).
    pub(crate) fn unless(&mut self, rank: u32, key: &[u8], event: Cite, line: u32) {
        let event = if self.keep.contains(&Status::Cancelled) {
            event
        } else {
            Cite::NONE
        };
        self.push(
            rank,
            key,
            Tag::Unless,
            line,
            Status::Cancelled,
            Cite::NONE,
            event,
        );
    }

    #[allow(clippy::too_many_arguments, reason = "one record's fields, private")]
    fn push(
        &mut self,
        rank: u32,
        key: &[u8],
        tag: Tag,
        line: u32,
        status: Status,
        trigger: Cite,
        cause: Cite,
    ) {
        let at = u32::try_from(self.buf.len()).unwrap_or(u32::MAX);
        let r = &mut self.rec;
        r.rank = rank;
        r.vars = self.vars.get(rank as usize).copied().unwrap_or(0);
        r.tag = tag;
        r.line = line;
        r.status = status;
        r.key.clear();
        r.key.extend_from_slice(key);
        r.trigger = trigger;
        r.cause = cause;
        r.write(&mut self.buf);
        self.index.push(Entry {
            rank,
            at,
            prefix: (store::prefix(key) >> 64) as u64,
        });
        let bytes = self.buf.len() + self.index.len() * std::mem::size_of::<Entry>();
        if bytes >= self.limits.run_bytes {
            self.write_run();
        }
    }

    /// Sorts the buffer and writes it as a run.
    fn write_run(&mut self) {
        if self.index.is_empty() {
            return;
        }
        if self.error.is_some() {
            // The run fails at its end; no need to fill the disk meanwhile.
            self.buf.clear();
            self.index.clear();
            return;
        }
        let buf = &self.buf;
        let rec = |e: &Entry| {
            let at = e.at as usize;
            let len = buf
                .get(at..at + 4)
                .and_then(|b| b.try_into().ok())
                .map_or(0, u32::from_le_bytes) as usize;
            buf.get(at..at + len).unwrap_or_default()
        };
        let vars = &self.vars;
        self.index.sort_unstable_by(|a, b| {
            a.rank
                .cmp(&b.rank)
                .then(a.prefix.cmp(&b.prefix))
                .then_with(|| {
                    let n = vars.get(a.rank as usize).copied().unwrap_or(0) as usize;
                    let (ka, la, ta) = parts(rec(a));
                    let (kb, lb, tb) = parts(rec(b));
                    store::compare_keys(ka, kb, n)
                        .then_with(|| ka.cmp(kb))
                        .then(la.cmp(&lb))
                        .then(ta.cmp(&tb))
                })
        });
        let start = self.store.len;
        let mut out = Vec::with_capacity(READ_BUF);
        let mut result = Ok(());
        for e in &self.index {
            out.extend_from_slice(rec(e));
            if out.len() >= READ_BUF {
                result = result.and_then(|()| self.store.append(&out));
                out.clear();
            }
        }
        result = result.and_then(|()| self.store.append(&out));
        self.buf.clear();
        self.index.clear();
        match result {
            Ok(()) => self.runs.push((start, self.store.len)),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
    }

    /// Merges the runs: the counts, and the records of the instances the
    /// summary lists.
    pub(crate) fn finish(mut self) -> io::Result<Spilled> {
        self.write_run();
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let mut store = std::mem::take(&mut self.store);
        let mut runs = std::mem::take(&mut self.runs);
        let mut on_disk = store.on_disk();
        // At most FAN_IN runs are read at once: more are first merged, as
        // they are, into fewer longer ones.
        while runs.len() > FAN_IN {
            let mut next = Storage::new(self.limits.run_bytes);
            let mut merged = Vec::with_capacity(runs.len().div_ceil(FAN_IN));
            let mut out = Vec::new();
            for group in runs.chunks(FAN_IN) {
                let start = next.len;
                merge(&store, group, |rec| {
                    rec.write(&mut out);
                    if out.len() >= READ_BUF {
                        next.append(&out)?;
                        out.clear();
                    }
                    Ok(rec)
                })?;
                next.append(&out)?;
                out.clear();
                merged.push((start, next.len));
            }
            // The old runs' file is removed as it is dropped.
            store = next;
            on_disk |= store.on_disk();
            runs = merged;
        }
        let mut m = Merge {
            keep: &self.keep,
            counts: [0; 6],
            rows: Storage::new(self.limits.run_bytes),
            out: Vec::new(),
            group: None,
            spare: Vec::new(),
        };
        merge(&store, &runs, |rec| m.take(rec))?;
        m.end()?;
        Ok(Spilled {
            counts: m.counts,
            rows: m.rows,
            error: OnceLock::new(),
            on_disk,
        })
    }
}

/// Runs merged at once (each with a [`READ_BUF`] buffer).
const FAN_IN: usize = 64;

/// Hands the records of `runs` to `take` in order; `take` gives back a
/// record to read into.
fn merge(
    store: &Storage,
    runs: &[(u64, u64)],
    mut take: impl FnMut(Record) -> io::Result<Record>,
) -> io::Result<()> {
    let mut readers: Vec<Reader> = runs
        .iter()
        .map(|&(start, end)| Reader::new(start, end))
        .collect();
    let mut heap = BinaryHeap::with_capacity(readers.len());
    for (i, r) in readers.iter_mut().enumerate() {
        let mut rec = Record::empty();
        if r.next(store, &mut rec)? {
            rec.run = i;
            let p = rec.prefix();
            heap.push(Head(rec, p));
        }
    }
    while let Some(Head(rec, _)) = heap.pop() {
        let run = rec.run;
        let mut rec = take(rec)?;
        if let Some(r) = readers.get_mut(run) {
            if r.next(store, &mut rec)? {
                rec.run = run;
                let p = rec.prefix();
                heap.push(Head(rec, p));
            }
        }
    }
    Ok(())
}

/// The merge's state: the records of the current key.
struct Merge<'k> {
    keep: &'k [Status],
    counts: [u64; 6],
    rows: Storage,
    out: Vec<u8>,
    /// The current key's first instance and first `unless` record.
    group: Option<(Option<Record>, Option<Record>)>,
    /// Records to read into again.
    spare: Vec<Record>,
}

impl Merge<'_> {
    /// Takes the next record in order; gives back a record to read into.
    fn take(&mut self, rec: Record) -> io::Result<Record> {
        let same = self.group.as_ref().is_some_and(|(i, u)| {
            i.as_ref()
                .or(u.as_ref())
                .is_some_and(|g| g.rank == rec.rank && g.key == rec.key)
        });
        if !same {
            self.close()?;
            self.group = Some((None, None));
        }
        let Some((inst, unless)) = &mut self.group else {
            return Ok(rec);
        };
        let slot = match rec.tag {
            Tag::Instance => inst,
            Tag::Unless => unless,
        };
        if slot.is_none() {
            *slot = Some(rec);
            return Ok(self.spare.pop().unwrap_or_else(Record::empty));
        }
        Ok(rec)
    }

    /// Decides the current key: its first instance stands, cancelled by an
    /// `unless` event before its trigger.
    fn close(&mut self) -> io::Result<()> {
        let Some((inst, unless)) = self.group.take() else {
            return Ok(());
        };
        let Some(mut inst) = inst else {
            // `unless` events of a key never in force.
            self.spare.extend(unless);
            return Ok(());
        };
        if let Some(u) = unless {
            if u.line < inst.line {
                inst.status = Status::Cancelled;
                inst.cause = u.cause;
            }
            self.spare.push(u);
        }
        let slot = usize::from(status_byte(inst.status));
        if let Some(n) = self.counts.get_mut(slot) {
            *n += 1;
        }
        if self.keep.contains(&inst.status) {
            inst.write(&mut self.out);
            if self.out.len() >= READ_BUF {
                self.rows.append(&self.out)?;
                self.out.clear();
            }
        }
        self.spare.push(inst);
        Ok(())
    }

    /// Decides the last key and writes what is left of the rows.
    fn end(&mut self) -> io::Result<()> {
        self.close()?;
        self.rows.append(&self.out)?;
        self.out.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

    use jiff::Timestamp;

    use super::*;
    use crate::model::Value;
    use crate::stream::keys;
    use crate::stream::store::Ev;

    fn key(s: &str) -> Vec<u8> {
        let mut out = Vec::new();
        keys::encode_one(&Value::Str(s.into()), &mut out);
        out
    }

    fn cite(line: u32) -> Cite {
        Cite::from(Some(Ev {
            at: Timestamp::from_second(i64::from(line) * 60).unwrap(),
            line,
            kind: 2,
            source: 1,
        }))
    }

    #[test]
    fn a_record_reads_back_as_written_and_its_parts_are_where_the_sort_looks() {
        let rec = Record {
            rank: 3,
            vars: 1,
            tag: Tag::Unless,
            line: 77,
            status: Status::Cancelled,
            key: key("O-1"),
            trigger: Cite::NONE,
            cause: cite(77),
            run: 0,
        };
        let mut out = Vec::new();
        rec.write(&mut out);
        assert_eq!(
            u32::from_le_bytes(out[..4].try_into().unwrap()) as usize,
            out.len()
        );
        assert_eq!(parts(&out), (&rec.key[..], 77, Tag::Unless as u8));
        let mut back = Record::empty();
        back.read(&out[4..]).unwrap();
        assert_eq!(
            (back.rank, back.vars, back.tag, back.line, back.status),
            (3, 1, Tag::Unless, 77, Status::Cancelled)
        );
        assert_eq!(
            (&back.key, back.trigger, back.cause),
            (&rec.key, Cite::NONE, cite(77))
        );
        assert!(back.read(&out[4..out.len() - 1]).is_none(), "a cut record");
    }

    /// Keys `A`…: A paid twice (the repeat was forgotten, so it came back
    /// as a second instance), B cancelled before its trigger, C only
    /// cancelled, D cancelled after it was violated.
    fn decide(limits: Limits) -> Spilled {
        let mut s = Spill::new(limits, vec![1], vec![Status::Violated, Status::Cancelled]);
        s.instance(0, &key("D"), Status::Violated, cite(20), Cite::NONE, 20);
        s.unless(0, &key("C"), cite(3), 3);
        s.unless(0, &key("B"), cite(5), 5);
        s.instance(0, &key("B"), Status::Fulfilled, cite(8), cite(9), 8);
        s.instance(0, &key("A"), Status::Fulfilled, cite(10), cite(11), 10);
        s.unless(0, &key("D"), cite(30), 30);
        s.instance(0, &key("A"), Status::Violated, cite(50), Cite::NONE, 50);
        s.finish().unwrap()
    }

    #[test]
    fn the_merge_keeps_each_keys_first_instance_and_an_earlier_unless_cancels_it() {
        for run_bytes in [64, 1 << 20] {
            let out = decide(Limits::new(Some(run_bytes)));
            // inactive, pending, fulfilled, violated, cancelled, expired
            let by = |s: Status| out.counts[usize::from(status_byte(s))];
            assert_eq!(
                (
                    by(Status::Fulfilled),
                    by(Status::Violated),
                    by(Status::Cancelled)
                ),
                (1, 1, 1),
                "runs of {run_bytes} bytes"
            );
            let rows: Vec<Record> = out.records().collect();
            assert_eq!(out.error.get(), None);
            let got: Vec<_> = rows
                .iter()
                .map(|r| (r.key.clone(), r.status, r.trigger, r.cause))
                .collect();
            assert_eq!(
                got,
                vec![
                    (key("B"), Status::Cancelled, cite(8), cite(5)),
                    (key("D"), Status::Violated, cite(20), Cite::NONE),
                ]
            );
            assert_eq!(out.on_disk, run_bytes == 64);
        }
    }

    #[test]
    fn many_runs_in_a_file_merge_in_order_across_read_buffers() {
        let mut s = Spill::new(Limits::new(Some(4096)), vec![1], vec![Status::Violated]);
        // 20,000 keys in a scrambled order, each decided once: ~1 MB of
        // records in ~250 runs, read back through 64 KiB buffers.
        let n = 20_000u32;
        for i in 0..n {
            let k = (i * 7919) % n;
            s.instance(
                0,
                &key(&format!("K{k:06}")),
                Status::Violated,
                cite(k + 1),
                Cite::NONE,
                k + 1,
            );
        }
        let out = s.finish().unwrap();
        assert!(out.on_disk);
        assert_eq!(
            out.counts[usize::from(status_byte(Status::Violated))],
            u64::from(n)
        );
        let keys: Vec<Vec<u8>> = out.records().map(|r| r.key).collect();
        assert_eq!(out.error.get(), None);
        let want: Vec<Vec<u8>> = (0..n).map(|k| key(&format!("K{k:06}"))).collect();
        assert!(keys == want, "the rows are not all there, in order");
    }

    #[test]
    fn rows_that_cannot_be_read_back_stop_the_listing_and_say_why() {
        let mut out = decide(Limits::new(Some(1 << 20)));
        let whole = out.rows.mem.clone();
        out.rows.mem.truncate(whole.len() - 3);
        out.rows.len -= 3;
        assert_eq!(out.records().count(), 1);
        assert!(
            out.error
                .get()
                .is_some_and(|e| e.contains("cannot read back the temporary file")),
            "{:?}",
            out.error.get()
        );
    }
}
