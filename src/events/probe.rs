//! Lines of kinds no rule declares, recognised without reading them into
//! fields: the top-level kind and time are found by a byte search, checked
//! to occur once, at the object's top level, unescaped; the line is then
//! only checked to be valid JSON (nothing is built). Both engines read logs
//! through it, so they agree on every line. A line the probe is unsure of,
//! or that is not valid JSON, goes to the full parse (which reports it).

use jiff::Timestamp;
use memchr::memmem;

use crate::model::Model;

/// Finds the kind and time of a line by a byte search.
pub(crate) struct Probe {
    /// `"event"`
    kind_key: memmem::Finder<'static>,
    /// `"at"`
    time_key: memmem::Finder<'static>,
}

impl Probe {
    /// `None` for field names the search cannot find safely (nested paths,
    /// names that need escaping).
    pub(crate) fn new(kind_field: &str, time_field: &str) -> Option<Probe> {
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
            kind_key: own(format!("\"{kind_field}\"")),
            time_key: own(format!("\"{time_field}\"")),
        })
    }

    /// The kind and time of a line whose kind is neither declared nor
    /// `claim`, when both are found unambiguously at the top level of a
    /// UTF-8 object; `None` sends the line to the full parse.
    pub(crate) fn ignored<'l>(
        &self,
        line: &'l [u8],
        model: &Model,
    ) -> Option<(&'l str, Timestamp)> {
        if line.first() != Some(&b'{') || line.last() != Some(&b'}') {
            return None;
        }
        // Not UTF-8 is an error whatever the kind (serde_json does not
        // check the inside of strings it skips).
        std::str::from_utf8(line).ok()?;
        let kind = value_at(line, &self.kind_key)?;
        if kind == "claim" || model.kind(kind).is_some() {
            return None;
        }
        let at = value_at(line, &self.time_key)?;
        // Still valid JSON: a broken line is an error whatever its kind
        // (checked without building anything).
        serde_json::from_slice::<serde::de::IgnoredAny>(line).ok()?;
        let at = crate::events::parse_time_text(at, model)?;
        Some((kind, at))
    }
}

/// The string value of a key that occurs exactly once in the line, at the
/// top level, written `"key": "value"` (spaces allowed around the colon)
/// with no escape in the value.
fn value_at<'l>(line: &'l [u8], key: &memmem::Finder<'_>) -> Option<&'l str> {
    let mut hits = key.find_iter(line);
    let at = hits.next()?;
    if hits.next().is_some() || !top_level(line.get(..at)?) {
        return None;
    }
    let rest = line.get(at + key.needle().len()..)?;
    let rest = rest.trim_ascii_start().strip_prefix(b":")?;
    let rest = rest.trim_ascii_start().strip_prefix(b"\"")?;
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
            value_at(l.as_bytes(), &p.kind_key)
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
        assert_eq!(k(r#"{"event" : "a"}"#), Some("a"));
        assert_eq!(k(r#"{"event": 5}"#), None);
        assert_eq!(k(r#"{"x": "event", "event": "a"}"#), None);
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
