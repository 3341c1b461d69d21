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

/// The csv parser's read buffer. Its position is never further than this
/// behind what was read, which bounds what [`Lines`] keeps.
const BUFFER: usize = 64 << 10;

/// A row (a record, which quoted cells may run over several lines) longer
/// than this stops the read: the parser holds a whole row in memory.
const MAX_ROW: u64 = 4 * super::MAX_LINE as u64;

/// Which line each row starts on, and how long lines and rows get. A row
/// starts on the line of its first byte past any line ends at the parser's
/// offset before it (the csv crate skips blank lines, and with CRLF ends a
/// record at `\r` and starts the next at `\n`). Offsets are asked in order,
/// at most [`BUFFER`] behind what was read, so only the runs of `\r`/`\n`
/// bytes of the last few buffers are kept; when a run still reaches the
/// end of what was read, the line is settled by the next byte that is not
/// a line end.
#[derive(Debug, Default)]
struct Lines {
    /// (start, end, line ends in the run), in order.
    runs: VecDeque<(u64, u64, u64)>,
    /// Line ends in the runs already dropped.
    before: u64,
    /// Bytes read so far, and line ends among them.
    read: u64,
    newlines: u64,
    /// Bytes of the current line so far, its line end included.
    line_len: usize,
    /// Where the row being read starts (the parser's offset before it).
    row_start: u64,
    /// Its line, once known; `None` while only line ends follow its start.
    row_line: Option<u64>,
    /// Set once a line or a row passed its limit.
    too_long: Option<TooLong>,
}

impl Lines {
    fn feed(&mut self, chunk: &[u8]) {
        for (i, &b) in chunk.iter().enumerate() {
            self.line_len += 1;
            if self.line_len > super::MAX_LINE && self.too_long.is_none() {
                self.too_long = Some(TooLong::Line);
            }
            if b == b'\r' || b == b'\n' {
                let at = self.read + i as u64;
                let nl = u64::from(b == b'\n');
                match self.runs.back_mut() {
                    Some(run) if run.1 == at => {
                        run.1 += 1;
                        run.2 += nl;
                    }
                    _ => self.runs.push_back((at, at + 1, nl)),
                }
                self.newlines += nl;
                // A lone `\r` ends a line too, for the csv parser.
                self.line_len = 0;
            } else if self.row_line.is_none() {
                self.row_line = Some(self.newlines + 1);
            }
        }
        self.read += chunk.len() as u64;
        // Runs the parser can no longer ask about: counted, then dropped.
        let keep_from = self.read.saturating_sub(4 * BUFFER as u64);
        while let Some(&(_, end, nl)) = self.runs.front() {
            if end > keep_from {
                break;
            }
            self.before += nl;
            self.runs.pop_front();
        }
        // What was read past the row's start is the row, and at most a
        // buffer of what follows it.
        if self.read - self.row_start > MAX_ROW + BUFFER as u64 && self.too_long.is_none() {
            self.too_long = Some(TooLong::Row);
        }
    }

    /// A row starts at byte `at` (what was read past it is at most a
    /// buffer): its line is settled now, or by the next byte that is not a
    /// line end.
    fn start_row(&mut self, at: u64) {
        self.row_start = at;
        while let Some(&(_, end, nl)) = self.runs.front() {
            if end > at {
                break;
            }
            self.before += nl;
            self.runs.pop_front();
        }
        self.row_line = match self.runs.front() {
            // Inside a run of line ends that the reading has gone past.
            Some(&(start, end, nl)) if start <= at && end < self.read => Some(self.before + nl + 1),
            // Inside a run that reaches what was read: not yet known.
            Some(&(start, _, _)) if start <= at => None,
            // On a byte already read that is not a line end.
            _ if at < self.read => Some(self.before + 1),
            _ => None,
        };
    }

    /// The line of the row started last (at the end of the log, the line
    /// after the last line end).
    fn row_line(&self) -> u64 {
        self.row_line.unwrap_or(self.newlines + 1)
    }
}

/// The log as the csv parser reads it: every byte is noted in [`Lines`],
/// and a line or a row over its limit stops the read.
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
        match lines.too_long {
            Some(t) => Err(std::io::Error::other(t)),
            None => Ok(n),
        }
    }
}

/// The error [`Tracked`] stops a read with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TooLong {
    /// A line (its line end included) over [`super::MAX_LINE`].
    Line,
    /// A row over [`MAX_ROW`].
    Row,
}

impl std::fmt::Display for TooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TooLong::Line => write!(f, "line longer than {} MiB", super::MAX_LINE >> 20),
            TooLong::Row => write!(f, "row longer than {} MiB", MAX_ROW >> 20),
        }
    }
}

impl std::error::Error for TooLong {}

impl Reader<'_> {
    /// Reads a CSV log as a stream: memory for one record (and the parser's
    /// buffer), whatever the length of the log. Line numbers come from byte
    /// offsets ([`Lines`]): the csv crate's own line counter is off by one
    /// on CRLF files.
    pub(super) fn read_csv(&mut self, input: impl Read) -> Result<(), RunError> {
        let lines = std::cell::RefCell::new(Lines::default());
        let progress = std::cell::Cell::new(0u64);
        let mut rdr = ::csv::ReaderBuilder::new()
            .buffer_capacity(BUFFER)
            .has_headers(true)
            .flexible(false)
            .from_reader(Tracked {
                inner: input,
                lines: &lines,
                progress: &progress,
            });
        let file = self.file.clone();
        // A read that failed: too long a line (where it is), or the input.
        // `row`: the line the row being read starts on.
        let io_error =
            |e: &::csv::Error, row: u64| -> Option<RunError> {
                let ::csv::ErrorKind::Io(io) = e.kind() else {
                    return None;
                };
                let l = lines.borrow();
                let line = l.newlines + 1;
                Some(match io.get_ref().and_then(|x| x.downcast_ref::<TooLong>()) {
                Some(too_long) => RunError::Log {
                    file: file.clone(),
                    line: match too_long {
                        TooLong::Line => line,
                        TooLong::Row => row,
                    },
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
                if let Some(err) = io_error(&e, 1) {
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
        // A column named twice: which cell holds the field would be a guess.
        // (Unnamed columns, as trailing commas leave, name no field.)
        for (i, h) in headers.iter().enumerate() {
            if !h.is_empty() && headers.iter().take(i).any(|g| g == h) {
                return Err(RunError::Log {
                    file: self.file.clone(),
                    line: 1,
                    column: None,
                    message: format!("the CSV header names the column `{h}` twice"),
                    help: "each column is named once in the header row".into(),
                });
            }
        }
        // Every row needs a time and a kind: a header without their columns
        // is the log's error, said once at its first line (standard input
        // read as CSV because it did not start with `{` most often). An
        // empty log has no header at all: it holds no events, as an empty
        // JSON Lines log does.
        let no_header = headers.iter().all(String::is_empty);
        for (flag, name) in [
            ("--time-field", &self.opts.time_field),
            ("--kind-field", &self.opts.kind_field),
        ] {
            if !no_header && !headers.iter().any(|h| h == name) {
                let shown: Vec<String> = headers.iter().take(8).map(|h| format!("`{h}`")).collect();
                let stdin = if self.file == "<stdin>" {
                    "; standard input is read as CSV when its first character is not `{`"
                } else {
                    ""
                };
                return Err(RunError::Log {
                    file: self.file.clone(),
                    line: 1,
                    column: None,
                    message: format!(
                        "the CSV header has no `{name}` column (it names {})",
                        if shown.is_empty() {
                            "none".to_string()
                        } else {
                            shown.join(", ")
                        }
                    ),
                    help: format!(
                        "the first row names the columns: `{},{},…`; `{flag}` names another{stdin}",
                        self.opts.time_field, self.opts.kind_field
                    ),
                });
            }
        }
        let mut record = ::csv::ByteRecord::new();
        let mut reported = 0;
        loop {
            lines.borrow_mut().start_row(rdr.position().byte());
            let result = rdr.read_byte_record(&mut record);
            let line = lines.borrow().row_line();
            self.advance(progress.get() - reported);
            reported = progress.get();
            match result {
                Ok(false) => break,
                Ok(true) => {
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
                    if let Some(err) = io_error(&e, line) {
                        return Err(err);
                    }
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
    use super::{BUFFER, Lines, MAX_ROW, TooLong};

    /// The line of a row is that of its first byte past line ends, as the
    /// whole-file count gave it, wherever the reading stands when the row
    /// starts (the parser's offset is up to a buffer behind it).
    #[test]
    fn rows_start_on_the_lines_the_whole_file_count_gives() {
        let text = b"at,event\r\nx,y\r\n\r\n\nz,w\nq\r\r\n\n";
        let whole = |at: usize| {
            let mut at = at;
            while text.get(at).is_some_and(|b| *b == b'\r' || *b == b'\n') {
                at += 1;
            }
            text.get(..at)
                .map_or(0, |t| t.iter().filter(|b| **b == b'\n').count()) as u64
                + 1
        };
        for cut in 0..=text.len() {
            for at in 0..=cut {
                let (a, b) = text.split_at(cut);
                let mut lines = Lines::default();
                lines.feed(a);
                lines.start_row(at as u64);
                lines.feed(b);
                assert_eq!(lines.row_line(), whole(at), "read {cut}, row at {at}");
            }
        }
    }

    /// A row running over many short lines (a quoted cell) is stopped once
    /// more than [`MAX_ROW`] (and a buffer) was read past its start.
    #[test]
    fn a_row_over_its_limit_is_stopped() {
        let mut lines = Lines::default();
        lines.start_row(0);
        let chunk = b"a\n".repeat(1 << 20);
        let mut fed = 0u64;
        while lines.too_long.is_none() && fed <= 2 * MAX_ROW {
            lines.feed(&chunk);
            fed += chunk.len() as u64;
        }
        assert_eq!(lines.too_long, Some(TooLong::Row));
        assert!(fed > MAX_ROW && fed <= MAX_ROW + BUFFER as u64 + chunk.len() as u64);
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
        // A lone `\r` ends a line for the csv parser too.
        lines.feed(b"hi\rjk");
        assert_eq!((lines.line_len, lines.newlines), (2, 2));
    }
}
