//! Reports for a terminal carry text from the logs (ids, titles, claim
//! words, sources), and a log may be hostile: a control character in a
//! value could move the cursor, clear the screen or retitle the window of
//! whoever reads the report. [`Printable`] writes everything through but
//! shows such characters as `\u{1b}`-style text. Line ends and tabs are
//! kept, and so are colour sequences (`ESC [ … m`), which the text report
//! writes itself; a colour sequence in a value can only recolour text.

use std::io::{self, Write};

/// Longest colour sequence let through (`ESC [ 38;2;255;255;255 m` is 19).
const MAX_SGR: usize = 32;

/// A writer that shows control characters as text (see the module doc).
pub struct Printable<W: Write> {
    inner: W,
    /// The start of a sequence cut by the end of a write: an `ESC`, a
    /// colour sequence not yet ended, or the first byte of a C1 control.
    held: Vec<u8>,
}

impl<W: Write> Printable<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Printable<W> {
        Printable {
            inner,
            held: Vec::new(),
        }
    }

    /// Writes what is held (a sequence the output ended inside) and
    /// flushes.
    pub fn finish(mut self) -> io::Result<()> {
        self.flush()
    }

    fn filter(&mut self, data: &[u8]) -> io::Result<()> {
        let mut i = 0;
        while i < data.len() {
            let plain =
                first_special(data.get(i..).unwrap_or_default()).map_or(data.len(), |p| i + p);
            if plain > i {
                self.inner
                    .write_all(data.get(i..plain).unwrap_or_default())?;
                i = plain;
                continue;
            }
            let rest = data.get(i..).unwrap_or_default();
            match rest {
                [b'\n' | b'\t', ..] => {
                    self.inner.write_all(rest.get(..1).unwrap_or_default())?;
                    i += 1;
                }
                [0x1b, ..] => match sgr_len(rest) {
                    Sgr::Whole(n) => {
                        self.inner.write_all(rest.get(..n).unwrap_or_default())?;
                        i += n;
                    }
                    Sgr::Cut => {
                        self.held.extend_from_slice(rest);
                        return Ok(());
                    }
                    Sgr::Not => {
                        self.inner.write_all(b"\\u{1b}")?;
                        i += 1;
                    }
                },
                [0xc2] => {
                    self.held.push(0xc2);
                    return Ok(());
                }
                [0xc2, c @ 0x80..=0x9f, ..] => {
                    write!(self.inner, "\\u{{{c:x}}}")?;
                    i += 2;
                }
                [0xc2, ..] => {
                    self.inner.write_all(&[0xc2])?;
                    i += 1;
                }
                [b, ..] => {
                    write!(self.inner, "\\u{{{b:x}}}")?;
                    i += 1;
                }
                [] => break,
            }
        }
        Ok(())
    }
}

/// A byte that is not plain text by itself: a C0 control other than a line
/// end or a tab, DEL, or the lead byte of C1 controls. (Line ends and tabs
/// stay inside a plain run, so a report is written in long runs.)
fn special(b: u8) -> bool {
    (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f || b == 0xc2
}

/// The first [`special`] byte of `s`. Eight bytes at a time: a word with
/// no byte below 0x20, no DEL and no 0xC2 is skipped whole (reports are
/// hundreds of megabytes, written by one thread); a word with one (most
/// often a line end) is looked at byte by byte.
fn first_special(s: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS != 0;
    let mut words = s.chunks_exact(8);
    let mut at = 0;
    for w in words.by_ref() {
        let x = u64::from_le_bytes(<[u8; 8]>::try_from(w).unwrap_or([0; 8]));
        let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGHS != 0;
        if below_space || has_zero(x ^ (ONES * 0x7f)) || has_zero(x ^ (ONES * 0xc2)) {
            if let Some(p) = w.iter().position(|&b| special(b)) {
                return Some(at + p);
            }
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| special(b))
        .map(|p| at + p)
}

enum Sgr {
    /// A whole colour sequence of this many bytes.
    Whole(usize),
    /// Possibly one, cut by the end of the data.
    Cut,
    /// Not one.
    Not,
}

/// Whether `s` (starting with `ESC`) starts with a colour sequence
/// `ESC [ digits-and-semicolons m`.
fn sgr_len(s: &[u8]) -> Sgr {
    match s.get(1) {
        None => return Sgr::Cut,
        Some(b'[') => {}
        Some(_) => return Sgr::Not,
    }
    for (n, b) in s.iter().enumerate().skip(2).take(MAX_SGR) {
        match b {
            b'0'..=b'9' | b';' => {}
            b'm' => return Sgr::Whole(n + 1),
            _ => return Sgr::Not,
        }
    }
    if s.len() < MAX_SGR {
        Sgr::Cut
    } else {
        Sgr::Not
    }
}

impl<W: Write> Write for Printable<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.held.is_empty() {
            self.filter(buf)?;
        } else {
            let mut data = std::mem::take(&mut self.held);
            data.extend_from_slice(buf);
            self.filter(&data)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // The output ended inside a sequence: it was none.
        let held = std::mem::take(&mut self.held);
        if let Some((first, rest)) = held.split_first() {
            write!(self.inner, "\\u{{{first:x}}}")?;
            self.filter(rest)?;
        }
        self.inner.flush()
    }
}

/// `text` as [`Printable`] writes it.
pub fn printable(text: &str) -> String {
    let mut p = Printable::new(Vec::with_capacity(text.len()));
    // Writing to a vector cannot fail.
    let _ = p.write_all(text.as_bytes());
    let _ = p.flush();
    String::from_utf8_lossy(&p.inner).into_owned()
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]

    use std::io::Write as _;

    use super::{Printable, printable};

    #[test]
    fn control_characters_are_shown_colours_kept() {
        assert_eq!(
            printable("plain text, é ü 日本\n\tnext"),
            "plain text, é ü 日本\n\tnext"
        );
        // A window title, a bell, a screen clear and a carriage return.
        assert_eq!(
            printable("evil \u{1b}]0;pwned\u{7}\u{1b}[2J\rOVER"),
            "evil \\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{d}OVER"
        );
        // Colours (the text report's own) pass.
        assert_eq!(
            printable("\u{1b}[1;31mVIOLATED\u{1b}[0m"),
            "\u{1b}[1;31mVIOLATED\u{1b}[0m"
        );
        // DEL and C1 controls (CSI as one character).
        assert_eq!(
            printable("a\u{7f}b\u{9b}2Jc\u{a0}"),
            "a\\u{7f}b\\u{9b}2Jc\u{a0}"
        );
    }

    #[test]
    fn the_word_scan_finds_what_the_byte_scan_finds() {
        let mut text: Vec<u8> = b"plain line of text\n".repeat(3);
        for special in [0x1b_u8, 0x07, 0x7f, 0xc2, 0x0d, 0x00, 0x1f] {
            for at in 0..text.len() {
                let mut t = text.clone();
                t.insert(at, special);
                for start in 0..12 {
                    let s = &t[start.min(t.len())..];
                    let naive = s.iter().position(|&b| super::special(b));
                    assert_eq!(
                        super::first_special(s),
                        naive,
                        "{special:#x} at {at} from {start}"
                    );
                }
            }
        }
        text.clear();
        assert_eq!(super::first_special(&text), None);
    }

    #[test]
    fn sequences_cut_across_writes_are_read_whole() {
        let text = "x\u{1b}[1;31my\u{1b}]0;t\u{7}z\u{9b}w\u{1b}";
        let want = printable(text);
        assert!(want.ends_with("w\\u{1b}"), "{want}");
        for cut in 0..=text.len() {
            let mut p = Printable::new(Vec::new());
            let (a, b) = text.as_bytes().split_at(cut);
            p.write_all(a).unwrap();
            p.write_all(b).unwrap();
            p.flush().unwrap();
            assert_eq!(String::from_utf8(p.inner).unwrap(), want, "cut at {cut}");
        }
    }
}
