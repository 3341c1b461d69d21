//! JSON Lines logs: one object per line, read with a bounded buffer.

use std::io::BufRead;

use std::borrow::Cow;

use serde::de::{Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::value::{self, Fields, Json, Raw};
use super::{LineError, MAX_LINE, Reader};
use crate::error::RunError;

/// Visitor methods answering `None` for every JSON value but an object.
macro_rules! non_objects_are_none {
    () => {
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<S: serde::de::SeqAccess<'de>>(
            self,
            mut seq: S,
        ) -> Result<Self::Value, S::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    };
}

/// The top-level fields of one JSON line that some rule may read, borrowed
/// from the line: values stay raw JSON text until a declared field asks for
/// them, and fields nobody reads are skipped without being built.
struct Line<'a> {
    /// Wanted keys and their raw values.
    wanted: Vec<(Cow<'a, str>, &'a RawValue)>,
    /// The whole line, to list its keys in a message (not collected for
    /// lines that are fine).
    text: &'a str,
}

impl<'a> Fields for Line<'a> {
    fn get(&self, path: &str) -> Option<Raw<'_>> {
        if let Some((_, v)) = self.wanted.iter().find(|(k, _)| k == path) {
            return Some(Raw::Json(Json::from_raw(v)));
        }
        let mut parts = path.split('.');
        let first = parts.next()?;
        let &(_, mut cur) = self.wanted.iter().find(|(k, _)| k == first)?;
        for p in parts {
            cur = nested(cur, p)?;
        }
        Some(Raw::Json(Json::from_raw(cur)))
    }

    fn names(&self) -> Vec<String> {
        top_level_names(self.text)
    }
}

/// The raw value of `key` inside the raw object `raw`.
fn nested<'a>(raw: &'a RawValue, key: &str) -> Option<&'a RawValue> {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let seed = Pick { key };
    seed.deserialize(&mut de).ok().flatten()
}

/// Deserializes a JSON object, keeping only the value of one key.
struct Pick<'k> {
    key: &'k str,
}

impl<'de> DeserializeSeed<'de> for Pick<'_> {
    type Value = Option<&'de RawValue>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Pick<'_> {
    type Value = Option<&'de RawValue>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let mut found = None;
        while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
            if found.is_none() && k == self.key {
                found = Some(map.next_value::<&'de RawValue>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }

    // Anything but an object has no nested field.
    non_objects_are_none!();
}

/// An object key, borrowed from the line unless it holds escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// The top-level keys of an object, for a message.
struct Names;

impl<'de> DeserializeSeed<'de> for Names {
    type Value = Vec<String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Names {
    type Value = Vec<String>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let mut names = Vec::new();
        while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
            map.next_value::<IgnoredAny>()?;
            names.push(k.into_owned());
        }
        Ok(names)
    }
}

/// The top-level keys of a JSON object line, for a message (none when it
/// is not one).
pub(crate) fn top_level_names(text: &str) -> Vec<String> {
    let mut de = serde_json::Deserializer::from_str(text);
    Names.deserialize(&mut de).unwrap_or_default()
}

/// Deserializes one line, keeping the wanted top-level keys.
struct LineSeed<'w, 't> {
    wanted: &'w [String],
    text: &'t str,
}

impl<'de> DeserializeSeed<'de> for LineSeed<'_, 'de> {
    type Value = Option<Line<'de>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LineSeed<'_, 'de> {
    type Value = Option<Line<'de>>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let mut line = Line {
            wanted: Vec::new(),
            text: self.text,
        };
        while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
            if self.wanted.iter().any(|w| *w == k) {
                let v = map.next_value::<&'de RawValue>()?;
                line.wanted.push((k, v));
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Some(line))
    }

    // Not an object: reported by the caller.
    non_objects_are_none!();
}

/// The top-level keys any rule may read in a log line: the time and kind
/// fields, `source`, the first segment of every declared field, and the
/// fields of claims.
pub(crate) fn wanted_keys(model: &crate::model::Model, opts: &super::ReadOptions) -> Vec<String> {
    let mut keys: Vec<String> = vec![
        first_segment(&opts.time_field),
        first_segment(&opts.kind_field),
        "source".into(),
        "by".into(),
        "about".into(),
        "says".into(),
        "text".into(),
    ];
    // Exact names too, for logs whose keys contain dots.
    keys.push(opts.time_field.clone());
    keys.push(opts.kind_field.clone());
    for k in &model.kinds {
        for f in &k.fields {
            keys.push(first_segment(&f.name));
            keys.push(f.name.clone());
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

fn first_segment(path: &str) -> String {
    path.split('.').next().unwrap_or(path).to_string()
}

impl Reader<'_> {
    pub(super) fn read_jsonl(&mut self, mut input: impl BufRead) -> Result<(), RunError> {
        let mut line_no: u64 = 0;
        let mut since_progress: u64 = 0;
        let lines = LineReader::new(self.model, self.opts);
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
            let Some(bytes) = line_body(bytes) else {
                continue;
            };
            match lines.read(bytes, None, self.model, self.opts) {
                Ok(Parsed::Ignored(kind, at)) => {
                    let body = value::Body::Ignored(kind.into_owned());
                    self.accept(line_no, value::Record { at, body });
                }
                Ok(Parsed::Record(rec)) => self.accept(line_no, rec),
                Err(e) => self.bad_line(line_no, e)?,
            }
        }
        Ok(())
    }
}

/// A line without its line end (`\n`, `\r\n`); `None` for a blank line,
/// which is not counted.
pub(crate) fn line_body(mut line: &[u8]) -> Option<&[u8]> {
    while let Some((last, rest)) = line.split_last() {
        if matches!(last, b'\n' | b'\r') {
            line = rest;
        } else {
            break;
        }
    }
    (!line.iter().all(u8::is_ascii_whitespace)).then_some(line)
}

/// How every line of a JSON Lines log is read, by either engine: the
/// one-pass scanner ([`super::scan`]) for the lines it is sure of, the byte
/// probe for other lines of undeclared kinds, and the full parse for the
/// rest (which reports what is wrong with a line).
pub(crate) struct LineReader {
    wanted: Vec<String>,
    paths: super::scan::Paths,
    probe: Option<super::Probe>,
}

/// A line read by a [`LineReader`].
pub(crate) enum Parsed<'l> {
    /// A line of a kind no rule declares: its kind and time.
    Ignored(Cow<'l, str>, jiff::Timestamp),
    /// Any other line, typed.
    Record(value::Record),
}

impl LineReader {
    /// The reader of lines for `model`'s rules.
    pub(crate) fn new(model: &crate::model::Model, opts: &super::ReadOptions) -> LineReader {
        let wanted = wanted_keys(model, opts);
        let mut paths: Vec<&str> = vec![
            &opts.time_field,
            &opts.kind_field,
            "source",
            "by",
            "about",
            "says",
            "text",
        ];
        for k in &model.kinds {
            paths.extend(k.fields.iter().map(|f| f.name.as_str()));
        }
        LineReader {
            paths: super::scan::Paths::new(paths),
            probe: super::Probe::new(&opts.kind_field, &opts.time_field),
            wanted,
        }
    }

    /// Reads one line (without its line end); `text` is the line when it
    /// is known to be UTF-8 already.
    pub(crate) fn read<'l>(
        &self,
        bytes: &'l [u8],
        text: Option<&'l str>,
        model: &crate::model::Model,
        opts: &super::ReadOptions,
    ) -> Result<Parsed<'l>, LineError> {
        let text = text.or_else(|| std::str::from_utf8(bytes).ok());
        if let Some(line) = text.and_then(|t| super::scan::scan_str(t, &self.paths)) {
            // A claim is read by the full parse, which knows its fields.
            if let Some(kind) = line.str(&opts.kind_field).filter(|k| *k != "claim") {
                if model.kind(kind).is_none() {
                    if let Some(at) = line
                        .get(&opts.time_field)
                        .and_then(|t| value::parse_time(&t, model).ok())
                    {
                        return Ok(Parsed::Ignored(Cow::Borrowed(kind), at));
                    }
                }
                return value::record(&line, model, opts).map(Parsed::Record);
            }
        }
        if let Some((kind, at)) = self.probe.as_ref().and_then(|p| p.ignored(bytes, model)) {
            return Ok(Parsed::Ignored(Cow::Borrowed(kind), at));
        }
        parse_record(bytes, &self.wanted, model, opts).map(Parsed::Record)
    }
}

/// One JSON line (without its line end) typed against the model.
pub(crate) fn parse_record(
    bytes: &[u8],
    wanted: &[String],
    model: &crate::model::Model,
    opts: &super::ReadOptions,
) -> Result<value::Record, LineError> {
    match parse_line(bytes, wanted)? {
        Some(line) => value::record(&line, model, opts),
        None => Err(LineError::new(
            "expected a JSON object",
            "each line is one object like `{\"at\": \"…\", \"event\": \"…\", …}`",
        )),
    }
}

fn parse_line<'a>(bytes: &'a [u8], wanted: &[String]) -> Result<Option<Line<'a>>, LineError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let mut err = LineError::new(
            "not UTF-8",
            "logs must be UTF-8 text; convert the file (e.g. with iconv)",
        );
        err.column = Some(e.valid_up_to() as u64 + 1);
        err
    })?;
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = LineSeed { wanted, text }
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    parsed.map_err(|e| {
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
