//! JSON Lines logs: one object per line, read with a bounded buffer.

use std::io::BufRead;

use super::value::{self, Fields, Raw};
use super::{LineError, MAX_LINE, Reader};
use crate::error::RunError;

struct Object<'a>(&'a serde_json::Map<String, serde_json::Value>);

impl Fields for Object<'_> {
    fn get(&self, path: &str) -> Option<Raw<'_>> {
        if let Some(v) = self.0.get(path) {
            return Some(Raw::Json(v));
        }
        let mut parts = path.split('.');
        let mut cur = self.0.get(parts.next()?)?;
        for p in parts {
            cur = cur.as_object()?.get(p)?;
        }
        Some(Raw::Json(cur))
    }

    fn names(&self) -> Vec<String> {
        self.0.keys().cloned().collect()
    }
}

impl Reader<'_> {
    pub(super) fn read_jsonl(&mut self, mut input: impl BufRead) -> Result<(), RunError> {
        let mut line_no: u64 = 0;
        let mut since_progress: u64 = 0;
        let mut buf: Vec<u8> = Vec::new();
        loop {
            buf.clear();
            let (read, too_long) =
                read_line_capped(&mut input, &mut buf, MAX_LINE).map_err(|e| RunError::Log {
                    file: self.file.clone(),
                    line: line_no + 1,
                    column: None,
                    message: format!("cannot read: {e}"),
                    help: "check that the log is a readable file".into(),
                })?;
            if read == 0 {
                self.advance(since_progress);
                break;
            }
            line_no += 1;
            since_progress += read as u64;
            if since_progress >= 1 << 22 {
                self.advance(since_progress);
                since_progress = 0;
            }
            if too_long {
                self.bad_line(
                    line_no,
                    LineError::new(
                        format!("line longer than {} MiB", MAX_LINE >> 20),
                        "each event must be one JSON object on its own line",
                    ),
                )?;
                continue;
            }
            let mut bytes = buf.as_slice();
            if line_no == 1 {
                bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            }
            while let Some((last, rest)) = bytes.split_last() {
                if matches!(last, b'\n' | b'\r') {
                    bytes = rest;
                } else {
                    break;
                }
            }
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match parse_line(bytes) {
                Ok(v) => match v.as_object() {
                    Some(obj) => match value::record(&Object(obj), self.model, self.opts) {
                        Ok(rec) => self.accept(line_no, rec),
                        Err(e) => self.bad_line(line_no, e)?,
                    },
                    None => self.bad_line(
                        line_no,
                        LineError::new(
                            "expected a JSON object",
                            "each line is one object like `{\"at\": \"…\", \"event\": \"…\", …}`",
                        ),
                    )?,
                },
                Err(e) => self.bad_line(line_no, e)?,
            }
        }
        Ok(())
    }
}

fn parse_line(bytes: &[u8]) -> Result<serde_json::Value, LineError> {
    serde_json::from_slice(bytes).map_err(|e| {
        let msg = e.to_string();
        let msg = msg.split(" at line").next().unwrap_or(&msg).to_string();
        let mut err = LineError::new(
            format!("invalid JSON: {msg}"),
            "each line must be one complete JSON object in UTF-8",
        );
        err.column = Some(e.column() as u64);
        err
    })
}

/// Reads up to and including the next `\n` into `buf`, keeping at most `cap`
/// bytes; returns the bytes consumed and whether the line was cut.
fn read_line_capped(
    input: &mut impl BufRead,
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<(usize, bool)> {
    let mut total = 0usize;
    let mut too_long = false;
    loop {
        let available = match input.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok((total, too_long));
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (available.get(..=i).unwrap_or(available), true),
            None => (available, false),
        };
        let n = chunk.len();
        if !too_long {
            if buf.len() + n > cap {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(chunk);
            }
        }
        input.consume(n);
        total += n;
        if done {
            return Ok((total, too_long));
        }
    }
}

#[cfg(test)]
pub(super) fn read_line_capped_for_test(
    input: &mut impl BufRead,
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<(usize, bool)> {
    read_line_capped(input, buf, cap)
}
