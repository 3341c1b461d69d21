//! CSV logs: a header row names the columns (`at`, `event`, fields).

use std::collections::VecDeque;
use std::io::Read;

use super::value::{self, Fields, Raw};
use super::{LineError, Reader};
use crate::error::RunError;

struct Row<'a> {
    headers: &'a [String],
    cells: Vec<&'a str>,
}

impl Fields for Row<'_> {
    fn get(&self, path: &str) -> Option<Raw<'_>> {
        let i = self.headers.iter().position(|h| h == path)?;
        self.cells.get(i).map(|s| Raw::Text(s))
    }

    fn names(&self) -> Vec<String> {
        self.headers.to_vec()
    }
}

/// Where the lines of a CSV log end, for the part of it still ahead of
/// the parser: maximal runs of `\r`/`\n` bytes with the line ends in them.
/// A record's line is that of its first byte past any line ends at its
/// offset (with CRLF the csv crate ends a record at `\r` and starts the next
/// at `\n`). Offsets are asked in order, so runs behind them are dropped:
/// the map holds only what the parser's buffer holds.
#[derive(Debug, Default)]
struct Lines {
    /// (start, end, line ends in the run), in order.
    runs: VecDeque<(u64, u64, u64)>,
    /// Line ends in the runs already dropped.
    before: u64,
    /// Bytes read so far, and line ends among them.
    read: u64,
    newlines: u64,
    /// Bytes of the current line so far.
    line_len: usize,
}

impl Lines {
    fn feed(&mut self, chunk: &[u8]) {
        for (i, &b) in chunk.iter().enumerate() {
            let at = self.read + i as u64;
            if b == b'\r' || b == b'\n' {
                let nl = u64::from(b == b'\n');
                match self.runs.back_mut() {
                    Some(run) if run.1 == at => {
                        run.1 += 1;
                        run.2 += nl;
                    }
                    _ => self.runs.push_back((at, at + 1, nl)),
                }
                self.newlines += nl;
                if b == b'\n' {
                    self.line_len = 0;
                }
            } else {
                self.line_len += 1;
            }
        }
        self.read += chunk.len() as u64;
    }

    /// The 1-based line of the record at byte `at`.
    fn line_of(&mut self, at: u64) -> u64 {
        while let Some(&(_, end, nl)) = self.runs.front() {
            if end > at {
                break;
            }
            self.before += nl;
            self.runs.pop_front();
        }
        match self.runs.front() {
            Some(&(start, _, nl)) if start <= at => self.before + nl + 1,
            _ => self.before + 1,
        }
    }
}

/// The log as the csv parser reads it: every byte is noted in [`Lines`],
/// and a line longer than [`super::MAX_LINE`] stops the read.
struct Tracked<'l, R> {
    inner: R,
    lines: &'l std::cell::RefCell<Lines>,
    progress: &'l std::cell::Cell<u64>,
}

impl<R: Read> Read for Tracked<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut lines = self.lines.borrow_mut();
        lines.feed(buf.get(..n).unwrap_or_default());
        self.progress.set(self.progress.get() + n as u64);
        if lines.line_len > super::MAX_LINE {
            return Err(std::io::Error::other(LineTooLong));
        }
        Ok(n)
    }
}

/// The error [`Tracked`] stops a read with.
#[derive(Debug)]
struct LineTooLong;

impl std::fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line longer than {} MiB", super::MAX_LINE >> 20)
    }
}

impl std::error::Error for LineTooLong {}

impl Reader<'_> {
    /// Reads a CSV log as a stream: memory for one record (and the parser's
    /// buffer), whatever the length of the log. Line numbers come from byte
    /// offsets ([`Lines`]): the csv crate's own line counter is off by one
    /// on CRLF files.
    pub(super) fn read_csv(&mut self, input: impl Read) -> Result<(), RunError> {
        let lines = std::cell::RefCell::new(Lines::default());
        let progress = std::cell::Cell::new(0u64);
        let line_of = |byte: u64| lines.borrow_mut().line_of(byte);
        let mut rdr = ::csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(Tracked {
                inner: input,
                lines: &lines,
                progress: &progress,
            });
        let file = self.file.clone();
        // A read that failed: too long a line (where it is), or the input.
        let io_error =
            |e: &::csv::Error| -> Option<RunError> {
                let ::csv::ErrorKind::Io(io) = e.kind() else {
                    return None;
                };
                let l = lines.borrow();
                let line = l.newlines + 1;
                Some(match io.get_ref().and_then(|x| x.downcast_ref::<LineTooLong>()) {
                Some(too_long) => RunError::Log {
                    file: file.clone(),
                    line,
                    column: None,
                    message: too_long.to_string(),
                    help: "each event must be one row of its own; a cell cannot hold megabytes"
                        .into(),
                },
                None => RunError::Log {
                    file: file.clone(),
                    line,
                    column: None,
                    message: format!("cannot read: {io}"),
                    help: "check that the log is a readable file".into(),
                },
            })
            };
        let headers: Vec<String> = match rdr.byte_headers() {
            Ok(h) => h
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    let s = String::from_utf8_lossy(b).trim().to_string();
                    if i == 0 {
                        s.trim_start_matches('\u{feff}').to_string()
                    } else {
                        s
                    }
                })
                .collect(),
            Err(e) => {
                if let Some(err) = io_error(&e) {
                    return Err(err);
                }
                return Err(RunError::Log {
                    file: self.file.clone(),
                    line: 1,
                    column: None,
                    message: format!("cannot read the CSV header: {e}"),
                    help: "the first row names the columns: `at,event,…`".into(),
                });
            }
        };
        let mut record = ::csv::ByteRecord::new();
        let mut reported = 0;
        loop {
            let line = line_of(rdr.position().byte());
            let result = rdr.read_byte_record(&mut record);
            self.advance(progress.get() - reported);
            reported = progress.get();
            match result {
                Ok(false) => break,
                Ok(true) => {
                    let line = record.position().map_or(line, |p| line_of(p.byte()));
                    if record.iter().all(|c| c.is_empty()) {
                        continue;
                    }
                    let mut cells = Vec::with_capacity(record.len());
                    let mut bad = None;
                    for (i, c) in record.iter().enumerate() {
                        match std::str::from_utf8(c) {
                            Ok(s) => cells.push(s),
                            Err(_) => {
                                bad = Some(i);
                                break;
                            }
                        }
                    }
                    if let Some(i) = bad {
                        let col = headers.get(i).map_or("?", String::as_str);
                        self.bad_line(
                            line,
                            LineError::new(
                                format!("column `{col}`: not UTF-8"),
                                "logs must be UTF-8 text",
                            ),
                        )?;
                        continue;
                    }
                    let row = Row {
                        headers: &headers,
                        cells,
                    };
                    match value::record(&row, self.model, self.opts) {
                        Ok(rec) => self.accept(line, rec),
                        Err(e) => self.bad_line(line, e)?,
                    }
                }
                Err(e) => {
                    if let Some(err) = io_error(&e) {
                        return Err(err);
                    }
                    let line = e.position().map_or(line, |p| line_of(p.byte()));
                    let msg = match e.kind() {
                        ::csv::ErrorKind::UnequalLengths {
                            expected_len, len, ..
                        } => {
                            format!("expected {expected_len} columns as in the header, found {len}")
                        }
                        _ => format!("invalid CSV: {e}"),
                    };
                    self.bad_line(
                        line,
                        LineError::new(msg, "each row has one cell per header column"),
                    )?;
                    if !matches!(e.kind(), ::csv::ErrorKind::UnequalLengths { .. }) {
                        break;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Lines;

    /// The line of a record is that of its first byte past line ends, as
    /// the whole-file count gave it, whatever the read boundaries.
    #[test]
    fn lines_are_counted_across_reads_and_crlf() {
        let text = b"at,event\r\nx,y\r\n\r\n\nz,w\nq";
        let whole = |at: usize| {
            let mut at = at;
            while text.get(at).is_some_and(|b| *b == b'\r' || *b == b'\n') {
                at += 1;
            }
            text.get(..at)
                .map_or(0, |t| t.iter().filter(|b| **b == b'\n').count()) as u64
                + 1
        };
        for cut in 1..text.len() {
            let mut lines = Lines::default();
            let (a, b) = text.split_at(cut);
            lines.feed(a);
            lines.feed(b);
            for at in 0..text.len() {
                assert_eq!(lines.line_of(at as u64), whole(at), "cut {cut}, byte {at}");
            }
        }
    }

    #[test]
    fn a_line_is_measured_from_its_last_line_end() {
        let mut lines = Lines::default();
        lines.feed(b"abc\nde");
        assert_eq!(lines.line_len, 2);
        lines.feed(b"fg");
        assert_eq!((lines.line_len, lines.newlines), (4, 1));
        lines.feed(b"\r\n");
        assert_eq!((lines.line_len, lines.newlines), (0, 2));
    }
}
