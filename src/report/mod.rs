//! Reports: an [`crate::Checked`] run → text a person reads or JSON a
//! script reads. Deterministic: lists are sorted by id then bindings, times
//! are printed in the rules' zone with their offset, nothing depends on the
//! clock or the machine.

pub mod ci;
pub mod exchange;
pub mod explain;
pub mod graph;
pub mod json;
mod json_rows;
pub mod printable;
pub mod snapshot;
pub mod text;

use std::borrow::Cow;
use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::Checked;
use crate::eval::{Instance, Verdict};
use crate::model::{Bound, Commitment, Model, Status, Value, Zone};

/// The verdicts that fail a run (exit status 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailOn {
    /// Commitment statuses that fail.
    pub statuses: Vec<Status>,
    /// Claim verdicts that fail.
    pub verdicts: Vec<Verdict>,
}

impl Default for FailOn {
    fn default() -> Self {
        FailOn {
            statuses: vec![Status::Violated],
            verdicts: vec![Verdict::Contradicted],
        }
    }
}

impl FailOn {
    /// Parses `violated,contradicted,pending`; an empty list fails nothing.
    pub fn parse(list: &str) -> Result<FailOn, String> {
        let mut f = FailOn {
            statuses: Vec::new(),
            verdicts: Vec::new(),
        };
        for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            if let Some(s) = Status::from_name(word) {
                f.statuses.push(s);
            } else if let Some(v) = [
                Verdict::Consistent,
                Verdict::Contradicted,
                Verdict::Unverifiable,
            ]
            .into_iter()
            .find(|v| v.name() == word)
            {
                f.verdicts.push(v);
            } else {
                return Err(format!("`{word}` is not a status or a verdict"));
            }
        }
        Ok(f)
    }

    /// True when some verdict of the run is in the set.
    pub fn fails(&self, run: &Checked) -> bool {
        let as_of = run.eval.as_of;
        run.eval
            .commitments
            .iter()
            .flat_map(|c| &c.list)
            .any(|i| self.statuses.contains(&i.status_at(as_of)))
            || run.eval.streamed.as_ref().is_some_and(|store| {
                store
                    .counts()
                    .any(|(st, n)| n > 0 && self.statuses.contains(&st))
            })
            || run
                .eval
                .claims
                .iter()
                .any(|c| self.verdicts.contains(&c.verdict))
    }
}

/// An instant in the report's zone: `2025-05-25T18:00:00+03:00`.
///
/// `Z` stands for the offset only in the zone named `UTC`; fractional
/// seconds are printed without trailing zeros; [`Timestamp::MIN`] and
/// [`Timestamp::MAX`] read "the beginning" and "the end of time".
pub fn fmt_time(t: Timestamp, zone: &Zone) -> String {
    let mut out = Vec::with_capacity(35);
    write_time(&mut out, t, zone);
    String::from_utf8(out).unwrap_or_else(|_| fmt_time_slow(t, zone))
}

/// Appends [`fmt_time`]'s text to `out` without building a string: the JSON
/// report writes millions of times.
pub(crate) fn write_time(out: &mut Vec<u8>, t: Timestamp, zone: &Zone) {
    if t == Timestamp::MIN || t == Timestamp::MAX {
        out.extend_from_slice(fmt_time_slow(t, zone).as_bytes());
        return;
    }
    let off = zone.tz.to_offset(t);
    let off_secs = off.seconds();
    if write_time_cached(out, t, off, zone) {
        return;
    }
    let dt = off.to_datetime(t);
    // Negative years (`%Y` prints `-005`) and offsets with seconds (local
    // mean time before 1900-ish: `%:z` prints `+00:19:32`) are rare: the
    // strftime path handles them.
    let year = match u16::try_from(dt.year()) {
        Ok(year) if off_secs % 60 == 0 && year <= 9999 => year,
        _ => {
            out.extend_from_slice(fmt_time_slow(t, zone).as_bytes());
            return;
        }
    };
    // `YYYY-MM-DDTHH:MM:SS` + `.nnnnnnnnn` + `+HH:MM`.
    push_digits(out, u32::from(year), 4);
    out.push(b'-');
    push_digits(out, small(dt.month()), 2);
    out.push(b'-');
    push_digits(out, small(dt.day()), 2);
    out.push(b'T');
    push_digits(out, small(dt.hour()), 2);
    out.push(b':');
    push_digits(out, small(dt.minute()), 2);
    out.push(b':');
    push_digits(out, small(dt.second()), 2);
    // A civil time's fraction is in 0..1e9, never negative.
    write_fraction_and_offset(out, dt.subsec_nanosecond().unsigned_abs(), off_secs, zone);
}

thread_local! {
    /// The local day [`write_time_cached`] wrote last: its number (days
    /// since 1970-01-01, local), its offset, and its `YYYY-MM-DD`.
    static DAY: std::cell::Cell<(i64, i32, [u8; 10])> =
        const { std::cell::Cell::new((i64::MIN, 0, [0; 10])) };
}

/// [`write_time`] for instants from 1970 on with an offset of whole
/// minutes: the date is worked out once per local day (reports list
/// millions of times, most of them on a few hundred days), the time of day
/// by division. False, with nothing written, for anything else.
fn write_time_cached(out: &mut Vec<u8>, t: Timestamp, off: jiff::tz::Offset, zone: &Zone) -> bool {
    let off_secs = off.seconds();
    let (secs, nanos) = (t.as_second(), t.subsec_nanosecond());
    let local = secs + i64::from(off_secs);
    if secs < 0 || nanos < 0 || local < 0 || off_secs % 60 != 0 {
        return false;
    }
    let (day, sod) = (local / 86_400, local % 86_400);
    let (cached_day, cached_off, mut date) = DAY.with(std::cell::Cell::get);
    if cached_day != day || cached_off != off_secs {
        let dt = off.to_datetime(t);
        let Ok(year) = u16::try_from(dt.year()) else {
            return false;
        };
        if year > 9999 {
            return false;
        }
        let mut d = Vec::with_capacity(10);
        push_digits(&mut d, u32::from(year), 4);
        d.push(b'-');
        push_digits(&mut d, small(dt.month()), 2);
        d.push(b'-');
        push_digits(&mut d, small(dt.day()), 2);
        let Ok(bytes) = <[u8; 10]>::try_from(d.as_slice()) else {
            return false;
        };
        date = bytes;
        DAY.with(|c| c.set((day, off_secs, date)));
    }
    out.extend_from_slice(&date);
    // INVARIANT: 0 <= sod < 86400, so each field fits two digits.
    let sod = u32::try_from(sod).unwrap_or(0);
    let hms = [
        b'T',
        b'0' + (sod / 36_000) as u8,
        b'0' + (sod / 3600 % 10) as u8,
        b':',
        b'0' + (sod % 3600 / 600) as u8,
        b'0' + (sod % 3600 / 60 % 10) as u8,
        b':',
        b'0' + (sod % 60 / 10) as u8,
        b'0' + (sod % 10) as u8,
    ];
    out.extend_from_slice(&hms);
    write_fraction_and_offset(out, nanos.unsigned_abs(), off_secs, zone);
    true
}

/// `.nnn` (trailing zeros dropped, nothing for a whole second), then the
/// offset.
fn write_fraction_and_offset(out: &mut Vec<u8>, mut nanos: u32, off_secs: i32, zone: &Zone) {
    if nanos != 0 {
        let mut width = 9;
        while nanos % 10 == 0 {
            nanos /= 10;
            width -= 1;
        }
        out.push(b'.');
        push_digits(out, nanos, width);
    }
    write_offset(out, off_secs, zone);
}

/// `Z` for UTC itself, else `+HH:MM`.
fn write_offset(out: &mut Vec<u8>, off_secs: i32, zone: &Zone) {
    if off_secs == 0 && zone.name == "UTC" {
        out.push(b'Z');
    } else {
        out.push(if off_secs < 0 { b'-' } else { b'+' });
        let abs = off_secs.unsigned_abs();
        push_digits(out, abs / 3600, 2);
        out.push(b':');
        push_digits(out, abs / 60 % 60, 2);
    }
}

/// A civil field (month, day, hour, minute, second: never negative).
fn small(n: i8) -> u32 {
    u32::from(n.unsigned_abs())
}

/// The last `width` decimal digits of `n`, zero-padded.
fn push_digits(out: &mut Vec<u8>, n: u32, width: u32) {
    let mut div = 10u32.pow(width.saturating_sub(1));
    while div > 0 {
        out.push(b'0' + (n / div % 10) as u8);
        div /= 10;
    }
}

/// [`fmt_time`] through jiff's strftime: the reference, and the path for
/// negative years and offsets with seconds.
fn fmt_time_slow(t: Timestamp, zone: &Zone) -> String {
    if t == Timestamp::MIN || t == Timestamp::MAX {
        return if t == Timestamp::MIN {
            "the beginning".into()
        } else {
            "the end of time".into()
        };
    }
    let z = t.to_zoned_datetime(zone.tz.clone());
    let base = z.strftime("%Y-%m-%dT%H:%M:%S").to_string();
    let frac = if z.subsec_nanosecond() != 0 {
        let s = format!(".{:09}", z.subsec_nanosecond());
        s.trim_end_matches('0').to_string()
    } else {
        String::new()
    };
    let off = z.strftime("%:z").to_string();
    let off = if off == "+00:00" && zone.name == "UTC" {
        "Z".to_string()
    } else {
        off
    };
    format!("{base}{frac}{off}")
}

/// A deadline for people: a day's end reads "end of 2025-05-25".
pub fn fmt_bound(b: Bound, zone: &Zone) -> String {
    match b.day {
        Some(d) => format!("end of {d} ({})", fmt_time(b.at, zone)),
        None => fmt_time(b.at, zone),
    }
}

/// `order=A1, item=7` for an instance; empty without bindings.
pub fn fmt_bindings(c: &Commitment, values: &[Value]) -> String {
    c.vars
        .iter()
        .zip(values)
        .map(|(v, x)| format!("{}={}", v.name, x))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `memorandum_ru` or `order_sla[order=A1]`.
pub fn instance_name(c: &Commitment, values: &[Value]) -> String {
    if values.is_empty() {
        c.id.clone()
    } else {
        format!("{}[{}]", c.id, fmt_bindings(c, values))
    }
}

/// Counts of instances by status and claims by verdict.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Instances by status (every status present, zero or not).
    pub statuses: BTreeMap<&'static str, u64>,
    /// Claims by verdict.
    pub verdicts: BTreeMap<&'static str, u64>,
}

/// Counts the run's verdicts.
pub fn summary(run: &Checked) -> Summary {
    let mut s = Summary::default();
    for st in Status::ALL {
        s.statuses.insert(st.name(), 0);
    }
    for v in [
        Verdict::Consistent,
        Verdict::Contradicted,
        Verdict::Unverifiable,
    ] {
        s.verdicts.insert(v.name(), 0);
    }
    for i in run.eval.commitments.iter().flat_map(|c| &c.list) {
        *s.statuses
            .entry(i.status_at(run.eval.as_of).name())
            .or_insert(0) += 1;
    }
    if let Some(store) = &run.eval.streamed {
        for (st, n) in store.counts() {
            *s.statuses.entry(st.name()).or_insert(0) += n;
        }
    }
    for c in &run.eval.claims {
        *s.verdicts.entry(c.verdict.name()).or_insert(0) += 1;
    }
    s
}

/// One row of a report: a commitment and one of its instances. Borrowed
/// from the evaluation, or built on the fly from the streaming engine's
/// compact store ([`crate::stream`]).
pub type Row<'r> = (&'r Commitment, Cow<'r, Instance>);

/// Rows per block handed to a formatting worker.
pub(crate) const BLOCK: usize = 2048;

/// `rows` cut into blocks of [`BLOCK`] rows, for [`write_blocks`].
pub(crate) fn row_blocks<'r>(
    mut rows: impl Iterator<Item = Row<'r>>,
) -> impl Iterator<Item = Vec<Row<'r>>> {
    std::iter::from_fn(move || {
        let block: Vec<Row<'r>> = rows.by_ref().take(BLOCK).collect();
        (!block.is_empty()).then_some(block)
    })
}

/// A block of a report's rows for a formatting worker: listed already, or
/// a range of a streamed run's store, which the worker reads itself.
pub(crate) enum Block<'r> {
    /// Rows in report order, of the statuses asked for.
    Rows(Vec<Row<'r>>),
    /// Positions in a commitment's report order ([`Store::blocks`]), of
    /// every status: the worker keeps those it was asked for, so such a
    /// block may come out empty.
    ///
    /// [`Store::blocks`]: crate::stream::Store::blocks
    Stored(usize, std::ops::Range<usize>),
}

/// The rows whose status `keep` accepts, in report order, in blocks for
/// [`write_blocks`]: listed rows of those statuses, or ranges of a streamed
/// store for the worker to filter with `keep`. A spilled store is read
/// back in order, as rows.
pub(crate) fn blocks<'r>(
    run: &'r Checked,
    keep: impl Fn(Status) -> bool + Copy + 'r,
) -> Box<dyn Iterator<Item = Block<'r>> + 'r> {
    match run.eval.streamed.as_ref().filter(|s| !s.is_spilled()) {
        Some(store) => Box::new(
            store
                .blocks(&run.model, BLOCK)
                .map(|(ci, range)| Block::Stored(ci, range)),
        ),
        None => Box::new(row_blocks(rows_with(run, keep)).map(Block::Rows)),
    }
}

/// How [`write_blocks`] starts the list: `open` before the first block
/// that has bytes, whose first `skip` bytes (a separator that every block
/// writes before each row) are left out.
#[derive(Clone, Copy)]
pub(crate) struct ListStart<'a> {
    /// Written before the first non-empty block.
    pub open: &'a [u8],
    /// Leading bytes of that block left out.
    pub skip: usize,
}

impl ListStart<'_> {
    /// What to write for a formatted block: the opening and the body, or
    /// `None` for a block with nothing in it; `wrote` says whether an
    /// earlier block was written.
    pub(crate) fn parts<'b>(
        &'b self,
        block: &'b [u8],
        wrote: bool,
    ) -> Option<(&'b [u8], &'b [u8])> {
        if wrote {
            return (!block.is_empty()).then_some((&[][..], block));
        }
        let body = block.get(self.skip..).filter(|b| !b.is_empty())?;
        Some((self.open, body))
    }
}

/// The error of a report whose formatting worker failed: the report is not
/// whole, and the run must not look as if it were.
fn worker_failed() -> std::io::Error {
    std::io::Error::other("a report formatting thread failed: the report is incomplete")
}

/// Writes a report's bulk on every core: `blocks` (made on a thread of its
/// own) are formatted by `format(block, buffer)` on one worker per core,
/// and written to `w` in the order they came, the list started as `start`
/// says — so the bytes do not depend on the number of threads, nor on
/// which blocks come out empty. Returns whether anything was written, or
/// `None` when no thread could be started (a tight memory limit): the
/// caller then writes on its own thread.
///
/// At most a few blocks per worker are ahead of the writer. A failed write
/// stops the work (the producer and workers see their channels close) and
/// is returned; so is a worker that panicked, as an error, never as a
/// shorter report.
pub(crate) fn write_blocks<B, I>(
    blocks: impl FnOnce() -> I + Send,
    format: impl Fn(B, &mut Vec<u8>) + Sync,
    start: ListStart<'_>,
    w: &mut dyn std::io::Write,
) -> std::io::Result<Option<bool>>
where
    B: Send,
    I: Iterator<Item = B>,
{
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex, mpsc};
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let ahead = workers * 4;
    let (tx_blocks, rx_blocks) = mpsc::sync_channel::<(usize, B)>(workers);
    // Held by the workers alone: when the last one ends, the producer's
    // sends fail and it stops.
    let rx_blocks = Arc::new(Mutex::new(rx_blocks));
    // One token per block the producer may have ahead of the writer.
    let (tx_token, rx_token) = mpsc::sync_channel::<()>(ahead);
    for _ in 0..ahead {
        let _ = tx_token.send(());
    }
    // Written buffers go back to the workers: no fresh pages per block.
    let (tx_free, rx_free) = mpsc::channel::<Vec<u8>>();
    let rx_free = Mutex::new(rx_free);
    let format = &format;
    let producer_failed = AtomicBool::new(false);
    std::thread::scope(|s| {
        // A formatted block, or `None` when its worker panicked.
        let (tx_out, rx_out) = mpsc::sync_channel::<(usize, Option<Vec<u8>>)>(ahead);
        let mut spawned = 0;
        for _ in 0..workers {
            let (rx_blocks, rx_free, tx_out) = (Arc::clone(&rx_blocks), &rx_free, tx_out.clone());
            let worker = std::thread::Builder::new().spawn_scoped(s, move || {
                loop {
                    let next = match rx_blocks.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => break,
                    };
                    let Ok((seq, block)) = next else { break };
                    let mut buf = rx_free
                        .lock()
                        .ok()
                        .and_then(|rx| rx.try_recv().ok())
                        .unwrap_or_default();
                    buf.clear();
                    let done = catch_unwind(AssertUnwindSafe(|| format(block, &mut buf)));
                    let failed = done.is_err();
                    if tx_out.send((seq, done.ok().map(|()| buf))).is_err() || failed {
                        break;
                    }
                }
            });
            spawned += usize::from(worker.is_ok());
        }
        drop(rx_blocks);
        if spawned == 0 {
            return Ok(None);
        }
        let producer_failed = &producer_failed;
        let producer = std::thread::Builder::new().spawn_scoped(s, move || {
            let made = catch_unwind(AssertUnwindSafe(|| {
                for (seq, block) in blocks().enumerate() {
                    if rx_token.recv().is_err() || tx_blocks.send((seq, block)).is_err() {
                        break;
                    }
                }
            }));
            // Set before `tx_blocks` goes, so before the writer's loop ends.
            producer_failed.store(made.is_err(), Ordering::SeqCst);
        });
        if producer.is_err() {
            return Ok(None);
        }
        drop(tx_out);
        let mut pending: BTreeMap<usize, Option<Vec<u8>>> = BTreeMap::new();
        let mut want = 0;
        let mut wrote = false;
        let mut result = Ok(());
        'read: for (seq, buf) in rx_out.iter() {
            pending.insert(seq, buf);
            while let Some(buf) = pending.remove(&want) {
                want += 1;
                let Some(buf) = buf else {
                    result = Err(worker_failed());
                    break 'read;
                };
                if let Some((open, body)) = start.parts(&buf, wrote) {
                    wrote = true;
                    if let Err(e) = w.write_all(open).and_then(|()| w.write_all(body)) {
                        result = Err(e);
                        break 'read;
                    }
                }
                let _ = tx_free.send(buf);
                let _ = tx_token.send(());
            }
        }
        // Closing the channels stops the producer and the workers.
        drop(rx_out);
        drop(tx_token);
        if result.is_ok() && producer_failed.load(Ordering::SeqCst) {
            result = Err(worker_failed());
        }
        result.map(|()| Some(wrote))
    })
}

/// Commitments in report order (by id), each with its instances (by
/// bindings), one at a time: a streamed run of millions of instances is
/// never materialised whole.
pub fn sorted_commitments(run: &Checked) -> Box<dyn Iterator<Item = Row<'_>> + '_> {
    rows_with(run, |_| true)
}

/// Fails when the rows of a streamed run could not all be read back (a
/// summary run's instances spilled to a temporary file): the report just
/// written is then not whole, and the run must fail.
pub(crate) fn rows_read(run: &Checked) -> std::io::Result<()> {
    match run.eval.streamed.as_ref().and_then(|s| s.error()) {
        Some(e) => Err(std::io::Error::other(RowsLost(e.to_string()))),
        None => Ok(()),
    }
}

/// The error of a report whose rows could not all be read back from the
/// temporary file of a spilled run (see [`rows_with`]).
#[derive(Debug)]
pub struct RowsLost(pub String);

impl std::fmt::Display for RowsLost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RowsLost {}

/// The rows of [`sorted_commitments`] whose status as of the run's as-of
/// `keep` accepts; a streamed run builds only those.
///
/// A summary run that spilled its instances ([`crate::stream::Keep::Statuses`])
/// reads them back from a temporary file: should that fail, the rows end
/// early and [`crate::stream::Store::error`] says why. The report writers
/// check it after listing; a caller listing rows itself should too.
pub fn rows_with<'r>(
    run: &'r Checked,
    keep: impl Fn(Status) -> bool + Copy + 'r,
) -> Box<dyn Iterator<Item = Row<'r>> + 'r> {
    if let Some(store) = &run.eval.streamed {
        return Box::new(store.rows(&run.model, keep));
    }
    let as_of = run.eval.as_of;
    let mut out: Vec<(&Commitment, &Instance)> = run
        .model
        .commitments
        .iter()
        .zip(&run.eval.commitments)
        .flat_map(|(c, insts)| insts.list.iter().map(move |i| (c, i)))
        .filter(|(_, i)| keep(i.status_at(as_of)))
        .collect();
    out.sort_by(|a, b| {
        a.0.id
            .cmp(&b.0.id)
            .then_with(|| a.1.bindings.cmp(&b.1.bindings))
    });
    Box::new(out.into_iter().map(|(c, i)| (c, Cow::Borrowed(i))))
}

/// The display name of a party.
pub fn party_name<'m>(model: &'m Model, id: &'m str) -> &'m str {
    model
        .parties
        .iter()
        .find(|p| p.id == id)
        .and_then(|p| p.name.as_deref())
        .unwrap_or(id)
}

/// A pattern as written: `memorandum_delivered(by: russia, amount >= 100)`.
pub fn fmt_pattern(model: &Model, p: &crate::model::Pattern, vars: &[crate::model::Var]) -> String {
    let Some(kind) = model.kinds.get(p.kind) else {
        return "?".into();
    };
    let args: Vec<String> = p
        .constraints
        .iter()
        .map(|c| {
            let field = kind.fields.get(c.field).map_or("?", |f| f.name.as_str());
            let value = match &c.operand {
                crate::model::Operand::Lit(Value::Str(s)) => format!("\"{s}\""),
                crate::model::Operand::Lit(v) => v.to_string(),
                crate::model::Operand::Var(i) => {
                    vars.get(*i).map_or("?".into(), |v| v.name.clone())
                }
            };
            match c.op {
                crate::ast::CmpOp::Eq => format!("{field}: {value}"),
                op => format!("{field} {} {value}", op.symbol()),
            }
        })
        .collect();
    format!("{}({})", kind.name, args.join(", "))
}

/// A duration for people, exact: `7 days 22 hours 5 minutes`.
pub fn fmt_span_of(d: crate::model::Duration) -> String {
    let crate::model::Duration::Exact(d) = d else {
        return d.to_string();
    };
    let mut secs = d.as_secs();
    let nanos = d.subsec_nanos();
    if secs == 0 && nanos == 0 {
        return "0 seconds".into();
    }
    let mut parts = Vec::new();
    for (unit, size) in [("day", 86_400), ("hour", 3600), ("minute", 60)] {
        let n = secs / size;
        secs %= size;
        if n != 0 {
            parts.push(format!("{n} {unit}{}", if n == 1 { "" } else { "s" }));
        }
    }
    // Seconds with their fraction (`59.5 seconds`): every part is a
    // duration `--param` takes back.
    if nanos != 0 {
        let fraction = format!("{nanos:09}");
        parts.push(format!("{secs}.{} seconds", fraction.trim_end_matches('0')));
    } else if secs != 0 {
        parts.push(format!("{secs} second{}", if secs == 1 { "" } else { "s" }));
    }
    parts.join(" ")
}

/// What the logs exercised (design §10, `--coverage`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Commitments that nothing in the logs ever put in force.
    pub untriggered: Vec<String>,
    /// Event kinds in the logs that no rule reads, with their line counts.
    pub unread_kinds: BTreeMap<String, u64>,
}

fn cond_kinds(c: &crate::model::Cond, out: &mut Vec<usize>) {
    use crate::model::Cond;
    match c {
        Cond::And(a, b) | Cond::Or(a, b) => {
            cond_kinds(a, out);
            cond_kinds(b, out);
        }
        Cond::Not(a) => cond_kinds(a, out),
        Cond::Event(p) => out.push(p.kind),
        Cond::Status(..) | Cond::Time(_) => {}
    }
}

/// Computes the coverage of a run.
pub fn coverage(run: &Checked) -> Coverage {
    use crate::model::{Says, Trigger};
    let mut read: Vec<usize> = Vec::new();
    for c in &run.model.commitments {
        read.push(c.action.kind);
        if let Trigger::After(cond) = &c.trigger {
            cond_kinds(cond, &mut read);
        }
        if let Some(u) = &c.unless {
            cond_kinds(u, &mut read);
        }
    }
    for c in &run.model.claims {
        if let Says::Event { pattern, .. } = &c.says {
            read.push(pattern.kind);
        }
    }
    let mut unread_kinds: BTreeMap<String, u64> = run.log.ignored.clone();
    for e in &run.log.events {
        if !read.contains(&e.kind) {
            if let Some(k) = run.model.kinds.get(e.kind) {
                *unread_kinds.entry(k.name.clone()).or_insert(0) += 1;
            }
        }
    }
    let mut untriggered: Vec<String> = run
        .model
        .commitments
        .iter()
        .zip(&run.eval.commitments)
        .filter(|(_, insts)| {
            !insts
                .list
                .iter()
                .any(|i| i.from_start || i.trigger.is_some())
        })
        .map(|(c, _)| c.id.clone())
        .collect();
    untriggered.sort();
    Coverage {
        untriggered,
        unread_kinds,
    }
}

/// Where a param's verdict flips, for people.
pub fn fmt_threshold(t: crate::eval::params::Threshold, zone: &Zone) -> String {
    match t {
        crate::eval::params::Threshold::Length(d) => fmt_span_of(d),
        crate::eval::params::Threshold::Instant(ts) => fmt_time(ts, zone),
        crate::eval::params::Threshold::Number(n) => n.normalize().to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "test code")]
    use jiff::tz::{Offset, TimeZone};

    use super::*;

    #[test]
    fn a_span_for_people_is_a_duration_pacta_reads_back() {
        use crate::model::Duration;
        use jiff::SignedDuration;
        let span =
            |secs: i64, nanos: i32| fmt_span_of(Duration::Exact(SignedDuration::new(secs, nanos)));
        assert_eq!(span(0, 0), "0 seconds");
        assert_eq!(span(1, 0), "1 second");
        assert_eq!(span(86_400 * 7 + 3600 * 12, 0), "7 days 12 hours");
        assert_eq!(
            span(259_199, 999_999_999),
            "2 days 23 hours 59 minutes 59.999999999 seconds"
        );
        assert_eq!(span(60, 500_000_000), "1 minute 0.5 seconds");
        assert_eq!(span(0, 1), "0.000000001 seconds");
        for s in [
            span(259_199, 999_999_999),
            span(60, 500_000_000),
            span(0, 1),
        ] {
            assert!(crate::syntax::parse_param_value(&s).is_some(), "{s}");
        }
    }

    fn named(name: &str, iana: &str) -> Zone {
        Zone {
            name: name.into(),
            tz: TimeZone::get(iana).unwrap(),
        }
    }

    fn fixed(name: &str, seconds: i32) -> Zone {
        Zone {
            name: name.into(),
            tz: TimeZone::fixed(Offset::from_seconds(seconds).unwrap()),
        }
    }

    fn zones() -> Vec<Zone> {
        vec![
            Zone::utc(),
            // Zero offset, but not named `UTC`: `+00:00`, not `Z`.
            Zone {
                name: "Etc/UTC".into(),
                tz: TimeZone::UTC,
            },
            named("Etc/UTC", "Etc/UTC"),
            named("UTC", "Etc/UTC"),
            named("Europe/London", "Europe/London"),
            fixed("GMT", 0),
            // Named `UTC` with an offset that isn't zero.
            named("UTC", "Europe/Istanbul"),
            named("Europe/Istanbul", "Europe/Istanbul"),
            named("America/St_Johns", "America/St_Johns"),
            named("Asia/Kathmandu", "Asia/Kathmandu"),
            named("Pacific/Chatham", "Pacific/Chatham"),
            // +00:19:32 until 1937, +00:20 until 1940.
            named("Europe/Amsterdam", "Europe/Amsterdam"),
            // -00:44:30 until 1972.
            named("Africa/Monrovia", "Africa/Monrovia"),
            named("America/Los_Angeles", "America/Los_Angeles"),
            fixed("UTC", -30),
            fixed("UTC", 30),
            fixed("X", -(3 * 3600 + 30 * 60)),
            fixed("X", Offset::MAX.seconds()),
            fixed("X", Offset::MIN.seconds()),
            fixed("X", 25 * 3600 + 59 * 60),
            fixed("X", -(25 * 3600 + 59 * 60)),
        ]
    }

    /// splitmix64: deterministic, no dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn nanos(rng: &mut Rng) -> i32 {
        const SOME: [i32; 8] = [
            1,
            100_000_000,
            123_456_789,
            999_999_999,
            500_000_000,
            10,
            120_000,
            1_000,
        ];
        match rng.below(4) {
            0 => 0,
            1 => SOME
                .get(rng.below(SOME.len() as u64) as usize)
                .copied()
                .unwrap_or(1),
            _ => rng.below(1_000_000_000) as i32,
        }
    }

    fn instants() -> Vec<Timestamp> {
        let mut out = vec![
            Timestamp::MIN,
            Timestamp::MAX,
            Timestamp::MIN + jiff::SignedDuration::from_nanos(1),
            Timestamp::MAX - jiff::SignedDuration::from_nanos(1),
            Timestamp::UNIX_EPOCH,
            Timestamp::new(0, 1).unwrap(),
            Timestamp::new(-1, 999_999_999).unwrap(),
            Timestamp::new(1_748_185_200, 0).unwrap(),
            Timestamp::new(1_748_185_200, 100_000_000).unwrap(),
            Timestamp::new(1_748_185_200, 123_456_789).unwrap(),
            Timestamp::new(1_752_540_481, 0).unwrap(),
            // Year 0, year 1, year 999 and year -1 in UTC.
            "0000-06-01T00:00:00Z".parse().unwrap(),
            "0001-01-01T00:00:00Z".parse().unwrap(),
            "0999-12-31T23:59:59.5Z".parse().unwrap(),
            "-000001-06-01T00:00:00Z".parse().unwrap(),
            "-000005-06-01T00:00:00Z".parse().unwrap(),
            "9999-12-30T12:00:00Z".parse().unwrap(),
            "1900-01-01T00:00:00Z".parse().unwrap(),
            "1937-06-30T23:59:59Z".parse().unwrap(),
        ];
        let mut rng = Rng(0x5eed);
        // 1900-01-01 to 2100-01-01.
        let (lo, hi) = (-2_208_988_800i64, 4_102_444_800i64);
        for _ in 0..100_000 {
            let s = lo + rng.below((hi - lo) as u64) as i64;
            out.push(Timestamp::new(s, nanos(&mut rng)).unwrap());
        }
        // Anywhere jiff goes: negative years, years below 1000.
        let (lo, hi) = (
            Timestamp::MIN.as_second() + 1,
            Timestamp::MAX.as_second() - 1,
        );
        for _ in 0..5_000 {
            let s = lo + rng.below((hi - lo) as u64) as i64;
            out.push(Timestamp::new(s, nanos(&mut rng)).unwrap());
        }
        out
    }

    #[test]
    fn fast_time_is_strftime_time() {
        let instants = instants();
        for zone in zones() {
            for &t in &instants {
                assert_eq!(
                    fmt_time(t, &zone),
                    fmt_time_slow(t, &zone),
                    "{t:?} in {} ({:?})",
                    zone.name,
                    zone.tz
                );
            }
        }
    }

    #[test]
    fn time_examples() {
        let ist = named("Europe/Istanbul", "Europe/Istanbul");
        let t: Timestamp = "2025-05-25T15:00:00Z".parse().unwrap();
        assert_eq!(fmt_time(t, &ist), "2025-05-25T18:00:00+03:00");
        let t: Timestamp = "2025-07-15T00:48:01Z".parse().unwrap();
        assert_eq!(fmt_time(t, &Zone::utc()), "2025-07-15T00:48:01Z");
        let etc = named("Etc/UTC", "Etc/UTC");
        assert_eq!(fmt_time(t, &etc), "2025-07-15T00:48:01+00:00");
        let t: Timestamp = "2025-07-15T00:48:01.1Z".parse().unwrap();
        assert_eq!(fmt_time(t, &Zone::utc()), "2025-07-15T00:48:01.1Z");
        let t: Timestamp = "2025-07-15T00:48:01.000000001Z".parse().unwrap();
        assert_eq!(fmt_time(t, &Zone::utc()), "2025-07-15T00:48:01.000000001Z");
        let t: Timestamp = "2025-01-15T12:00:00.123456789Z".parse().unwrap();
        let nf = named("America/St_Johns", "America/St_Johns");
        assert_eq!(fmt_time(t, &nf), "2025-01-15T08:30:00.123456789-03:30");
        let ktm = named("Asia/Kathmandu", "Asia/Kathmandu");
        assert_eq!(fmt_time(t, &ktm), "2025-01-15T17:45:00.123456789+05:45");
        let ams = named("Europe/Amsterdam", "Europe/Amsterdam");
        let t: Timestamp = "1900-06-01T00:00:00Z".parse().unwrap();
        assert_eq!(fmt_time(t, &ams), "1900-06-01T00:19:32+00:19:32");
        let t: Timestamp = "-000005-06-01T00:00:00Z".parse().unwrap();
        assert_eq!(fmt_time(t, &Zone::utc()), "-005-06-01T00:00:00Z");
        assert_eq!(fmt_time(Timestamp::MIN, &ist), "the beginning");
        assert_eq!(fmt_time(Timestamp::MAX, &ist), "the end of time");
    }
}

/// The run of the worked example `examples/NAME` (rules.pacta over
/// events.jsonl), for the report writers' unit tests.
#[cfg(test)]
#[expect(clippy::expect_used, reason = "test code")]
pub(crate) fn example_run(name: &str) -> Checked {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name);
    crate::check(
        &[dir.join("rules.pacta")],
        &[crate::events::Input::Path(dir.join("events.jsonl"))],
        &crate::CheckOptions::default(),
    )
    .expect("the example checks")
}

#[cfg(test)]
mod write_blocks_tests {
    #![allow(
        clippy::unwrap_used,
        clippy::panic,
        clippy::indexing_slicing,
        reason = "test code"
    )]

    use super::{ListStart, write_blocks};
    use std::sync::atomic::{AtomicUsize, Ordering};

    const LIST: ListStart<'static> = ListStart {
        open: b"[",
        skip: 1,
    };

    /// Blocks come back in order whatever the time each takes; the list
    /// opens at the first block with bytes, blocks that come out empty
    /// (the first ones included) leave no trace.
    #[test]
    fn in_order_and_empty_blocks_skipped() {
        let mut out = Vec::new();
        let wrote = write_blocks(
            || 0..300u32,
            |n, buf: &mut Vec<u8>| {
                // Uneven work, so that workers finish out of order.
                std::thread::sleep(std::time::Duration::from_micros(
                    u64::from((n * 7919) % 13) * 50,
                ));
                if n % 3 != 0 && n > 1 {
                    buf.extend_from_slice(format!(",{n}").as_bytes());
                }
            },
            LIST,
            &mut out,
        )
        .unwrap();
        assert_eq!(wrote, Some(true));
        let want: Vec<String> = (2..300)
            .filter(|n| n % 3 != 0)
            .map(|n| n.to_string())
            .collect();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("[{}", want.join(","))
        );
        // Nothing at all: nothing written, and the caller closes the list.
        let mut out = Vec::new();
        let wrote = write_blocks(|| 0..5u32, |_, _: &mut Vec<u8>| {}, LIST, &mut out).unwrap();
        assert_eq!((wrote, out.len()), (Some(false), 0));
    }

    /// A worker that panics ends the run with an error, not a hang, and not
    /// a report that looks whole; so does a producer that panics.
    #[test]
    fn a_panic_is_an_error() {
        let mut out = Vec::new();
        let r = write_blocks(
            || 0..1000u32,
            |n, buf: &mut Vec<u8>| {
                if n >= 5 {
                    panic!("worker fails on block {n}");
                }
                buf.push(b'x');
            },
            LIST,
            &mut out,
        );
        assert!(r.is_err());
        let mut out = Vec::new();
        let r = write_blocks(
            || (0..1000u32).map(|n| if n == 7 { panic!("producer fails") } else { n }),
            |_, buf: &mut Vec<u8>| buf.push(b'x'),
            LIST,
            &mut out,
        );
        assert!(r.is_err());
    }

    /// A write that fails stops the work: the error comes back, and the
    /// blocks after it are neither produced nor formatted (a few may be in
    /// flight).
    #[test]
    fn a_failed_write_stops_the_work() {
        struct Closed;
        impl std::io::Write for Closed {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let formatted = AtomicUsize::new(0);
        let r = write_blocks(
            || 0..10_000u32,
            |_, buf: &mut Vec<u8>| {
                formatted.fetch_add(1, Ordering::SeqCst);
                buf.extend_from_slice(b",x");
            },
            LIST,
            &mut Closed,
        );
        assert_eq!(r.unwrap_err().kind(), std::io::ErrorKind::BrokenPipe);
        assert!(formatted.load(Ordering::SeqCst) < 100, "{formatted:?}");
    }
}
