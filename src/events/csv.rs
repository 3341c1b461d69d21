//! CSV logs: a header row names the columns (`at`, `event`, fields).

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

impl Reader<'_> {
    /// Reads a whole CSV log. It is held in memory so that line numbers
    /// come from byte offsets: the csv crate's own line counter is off by
    /// one on CRLF files.
    pub(super) fn read_csv(&mut self, mut input: impl Read) -> Result<(), RunError> {
        let mut bytes = Vec::new();
        input.read_to_end(&mut bytes).map_err(|e| RunError::Log {
            file: self.file.clone(),
            line: 1,
            column: None,
            message: format!("cannot read: {e}"),
            help: "check that the log is a readable file".into(),
        })?;
        self.advance(bytes.len() as u64);
        let newlines: Vec<u64> = bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i as u64)
            .collect();
        // 1-based line of the record starting at a byte offset. With CRLF the
        // csv crate ends a record at `\r` and starts the next at `\n`, so
        // line terminators at the offset are skipped first.
        let line_of = |byte: u64| {
            let mut at = byte as usize;
            while bytes.get(at).is_some_and(|b| *b == b'\r' || *b == b'\n') {
                at += 1;
            }
            newlines.partition_point(|nl| (*nl as usize) < at) as u64 + 1
        };
        let mut rdr = ::csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(bytes.as_slice());
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
        loop {
            let line = line_of(rdr.position().byte());
            match rdr.read_byte_record(&mut record) {
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
