//! A one-pass reader for the common JSON line: it checks that the line is
//! one valid JSON object and picks out the values of the fields the rules
//! read (nested `a.b` paths included), without building anything for the
//! rest of the line — the fast lane in front of the full `serde_json` parse
//! of [`super::jsonl`].
//!
//! It answers only when it is sure: a line it accepts is one `serde_json`
//! accepts, and every picked value is the one the full parse would find
//! (the first of repeated keys; an exact key `a.b` before the nested path).
//! Anything unusual — an escape in a key or in a picked string, a `\u`
//! escape, a top level that is not an object, deep nesting, bytes that are
//! not UTF-8 — gives `None`, and the line goes to the full parse, which
//! reads it or reports what is wrong with it. A test holds the two readers
//! to the same answers on generated lines.

use super::value::{Fields, Json, Raw};

/// The field paths to pick, as a tree of keys.
#[derive(Clone, Debug, Default)]
pub(crate) struct Paths {
    /// Every path, by index.
    paths: Vec<String>,
    /// The top-level keys.
    root: Node,
    /// Paths with a dot, by index: their values may come from the nested
    /// objects (`order` → `id`) when no exact top-level key matches.
    nested: usize,
}

/// The keys looked for in one object.
#[derive(Clone, Debug, Default)]
struct Node {
    keys: Vec<Entry>,
}

#[derive(Clone, Debug)]
struct Entry {
    key: Box<str>,
    /// The path this key's value is, at this level (an exact match).
    exact: Option<usize>,
    /// The keys looked for inside this key's value, when it is an object.
    child: Option<Box<Node>>,
}

impl Node {
    fn entry(&mut self, key: &str) -> &mut Entry {
        let at = match self.keys.iter().position(|e| &*e.key == key) {
            Some(at) => at,
            None => {
                self.keys.push(Entry {
                    key: key.into(),
                    exact: None,
                    child: None,
                });
                self.keys.len() - 1
            }
        };
        // INVARIANT: `at` indexes `keys` (found, or just pushed).
        match self.keys.get_mut(at) {
            Some(e) => e,
            None => unreachable_entry(),
        }
    }
}

#[cold]
fn unreachable_entry() -> ! {
    // `Node::entry` pushes before it looks; nothing else reaches here.
    std::process::abort()
}

impl Paths {
    /// The tree of `paths` (duplicates ignored).
    pub(crate) fn new<'p>(paths: impl IntoIterator<Item = &'p str>) -> Paths {
        let mut all: Vec<String> = Vec::new();
        for p in paths {
            if !all.iter().any(|q| q == p) {
                all.push(p.to_string());
            }
        }
        let mut root = Node::default();
        for (id, p) in all.iter().enumerate() {
            root.entry(p).exact = Some(id);
            let segments: Vec<&str> = p.split('.').collect();
            if let [first, rest @ ..] = segments.as_slice() {
                if rest.is_empty() {
                    continue;
                }
                let mut node = root.entry(first).child.get_or_insert_with(Box::default);
                for (n, seg) in rest.iter().enumerate() {
                    let e = node.entry(seg);
                    if n + 1 == rest.len() {
                        // The nested form of path `id`, kept apart from
                        // the exact top-level key.
                        e.exact = e.exact.or(Some(all.len() + id));
                        break;
                    }
                    node = e.child.get_or_insert_with(Box::default);
                }
            }
        }
        let nested = all.len();
        Paths {
            paths: all,
            root,
            nested,
        }
    }

    fn index(&self, path: &str) -> Option<usize> {
        self.paths
            .iter()
            .position(|p| same(p.as_bytes(), path.as_bytes()))
    }
}

/// The picked fields of one line, borrowed from it.
pub(crate) struct Scanned<'a, 'p> {
    paths: &'p Paths,
    /// By path index: exact top-level keys, then (from `paths.nested` on)
    /// the nested forms.
    values: Vec<Option<Json<'a>>>,
    text: &'a str,
}

impl<'a> Scanned<'a, '_> {
    /// The value of a path when it is a string (picked strings are always
    /// borrowed from the line).
    pub(crate) fn str(&self, path: &str) -> Option<&'a str> {
        let id = self.paths.index(path)?;
        let pick = |i: usize| match self.values.get(i) {
            Some(Some(Json::Str(std::borrow::Cow::Borrowed(s)))) => Some(Some(*s)),
            Some(Some(_)) => Some(None),
            _ => None,
        };
        pick(id).or_else(|| pick(self.paths.nested + id)).flatten()
    }
}

impl Fields for Scanned<'_, '_> {
    fn get(&self, path: &str) -> Option<Raw<'_>> {
        let id = self.paths.index(path)?;
        let exact = self.values.get(id).and_then(Option::as_ref);
        let nested = || {
            self.values
                .get(self.paths.nested + id)
                .and_then(Option::as_ref)
        };
        exact.or_else(nested).cloned().map(Raw::Json)
    }

    fn names(&self) -> Vec<String> {
        // Only for messages: the full parse lists them.
        super::jsonl::top_level_names(self.text)
    }
}

/// Deepest nesting the scanner follows (serde_json stops at 128).
const MAX_DEPTH: u32 = 64;

/// Reads `line` (without its line end) if it is sure of it: `None` sends
/// the line to the full parse.
#[cfg(test)]
pub(crate) fn scan<'a, 'p>(line: &'a [u8], paths: &'p Paths) -> Option<Scanned<'a, 'p>> {
    scan_str(std::str::from_utf8(line).ok()?, paths)
}

/// [`scan`] of a line known to be UTF-8.
pub(crate) fn scan_str<'a, 'p>(text: &'a str, paths: &'p Paths) -> Option<Scanned<'a, 'p>> {
    let line = text.as_bytes();
    let mut values = vec![None; 2 * paths.paths.len()];
    let mut cur = Cur {
        b: line,
        text,
        i: 0,
    };
    cur.ws();
    if cur.peek()? != b'{' {
        return None;
    }
    cur.object(Some(&paths.root), &mut values, 0)?;
    cur.ws();
    if cur.i != line.len() {
        return None;
    }
    Some(Scanned {
        paths,
        values,
        text,
    })
}

/// What a byte is inside a string.
const PLAIN: u8 = 0;
const QUOTE: u8 = 1;
const BACKSLASH: u8 = 2;
const CONTROL: u8 = 3;

#[expect(
    clippy::indexing_slicing,
    reason = "evaluated at compile time: an index out of range fails the build"
)]
static STRING_CLASS: [u8; 256] = {
    let mut t = [PLAIN; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = CONTROL;
        i += 1;
    }
    t[b'"' as usize] = QUOTE;
    t[b'\\' as usize] = BACKSLASH;
    t
};

struct Cur<'a> {
    b: &'a [u8],
    /// `b` as text.
    text: &'a str,
    i: usize,
}

/// Equal byte strings; short ones (keys) compared without a call.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.len() <= 16 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    a == b
}

impl<'a> Cur<'a> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn ws(&mut self) {
        // Most calls meet no white space at all.
        if let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            let rest = self.b.get(self.i..).unwrap_or_default();
            self.i += rest
                .iter()
                .position(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
                .unwrap_or(rest.len());
        }
    }

    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// A string from its opening quote; its inside, and whether it holds
    /// escapes (all checked; `\u` is left to the full parse).
    #[inline]
    fn string(&mut self) -> Option<(&'a [u8], bool)> {
        self.eat(b'"')?;
        let start = self.i;
        let mut escapes = false;
        loop {
            // The run of plain bytes, in one tight loop.
            let rest = self.b.get(self.i..)?;
            self.i += rest
                .iter()
                .position(|&c| STRING_CLASS.get(usize::from(c)) != Some(&PLAIN))
                .unwrap_or(rest.len());
            let c = self.peek()?;
            match STRING_CLASS.get(usize::from(c)).copied().unwrap_or(CONTROL) {
                PLAIN => self.i += 1,
                QUOTE => {
                    let inside = self.b.get(start..self.i)?;
                    self.i += 1;
                    return Some((inside, escapes));
                }
                BACKSLASH => {
                    escapes = true;
                    match self.b.get(self.i + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 2,
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }

    /// An object from its `{`; picks the values `node` asks for into
    /// `values` (the first of repeated keys).
    fn object(
        &mut self,
        node: Option<&Node>,
        values: &mut [Option<Json<'a>>],
        depth: u32,
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.eat(b'{')?;
        self.ws();
        if self.eat(b'}').is_some() {
            return Some(());
        }
        // Keys already met at this level: later ones are not picked.
        let mut seen: u64 = 0;
        loop {
            self.ws();
            let (key, escaped) = self.string()?;
            if escaped {
                return None;
            }
            self.ws();
            self.eat(b':')?;
            self.ws();
            let mut entry = None;
            if let Some(n) = node {
                if let Some(at) = n.keys.iter().position(|e| same(e.key.as_bytes(), key)) {
                    // More wanted keys in one object than the mask holds:
                    // left to the full parse.
                    let bit = 1u64.checked_shl(u32::try_from(at).ok()?)?;
                    if seen & bit == 0 {
                        entry = n.keys.get(at);
                    }
                    seen |= bit;
                }
            }
            match entry {
                Some(e) => self.picked(e, values, depth)?,
                None => self.value(depth)?,
            }
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// The value of a key some path wants.
    fn picked(&mut self, e: &Entry, values: &mut [Option<Json<'a>>], depth: u32) -> Option<()> {
        let start = self.i;
        let json = match self.peek()? {
            b'{' => {
                self.object(e.child.as_deref(), values, depth + 1)?;
                Json::Object
            }
            b'"' => {
                let (inside, escaped) = self.string()?;
                if escaped {
                    // Unescaping is the full parse's job.
                    return None;
                }
                // INVARIANT: `inside` lies between two quotes of a UTF-8
                // line, so on character boundaries.
                let from = start + 1;
                Json::Str(std::borrow::Cow::Borrowed(
                    self.text.get(from..from + inside.len())?,
                ))
            }
            _ => {
                self.value(depth)?;
                let raw = self.text.get(start..self.i)?;
                match raw.as_bytes().first()? {
                    b't' => Json::Bool(true),
                    b'f' => Json::Bool(false),
                    b'n' => Json::Null,
                    b'[' => Json::Array,
                    _ => Json::Num(raw),
                }
            }
        };
        if let Some(id) = e.exact {
            if let Some(slot) = values.get_mut(id) {
                slot.get_or_insert(json);
            }
        }
        Some(())
    }

    /// Any value, checked and skipped.
    fn value(&mut self, depth: u32) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' => self.object(None, &mut [], depth + 1),
            b'[' => self.array(depth + 1),
            b't' => self.word(b"true"),
            b'f' => self.word(b"false"),
            b'n' => self.word(b"null"),
            _ => self.number(),
        }
    }

    fn array(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.eat(b'[')?;
        self.ws();
        if self.eat(b']').is_some() {
            return Some(());
        }
        loop {
            self.ws();
            self.value(depth)?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn word(&mut self, w: &[u8]) -> Option<()> {
        let end = self.i + w.len();
        (self.b.get(self.i..end)? == w).then(|| self.i = end)
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Option<()> {
        let _ = self.eat(b'-');
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.eat(b'.').is_some() {
            self.some_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            self.some_digits()?;
        }
        Some(())
    }

    fn digits(&mut self) {
        let rest = self.b.get(self.i..).unwrap_or_default();
        self.i += rest
            .iter()
            .position(|c| !c.is_ascii_digit())
            .unwrap_or(rest.len());
    }

    fn some_digits(&mut self) -> Option<()> {
        let start = self.i;
        self.digits();
        (self.i > start).then_some(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn paths() -> Paths {
        Paths::new(["at", "event", "source", "order.id", "a.b.c"])
    }

    fn str_of(s: &Scanned<'_, '_>, p: &str) -> Option<String> {
        match s.get(p)? {
            Raw::Json(Json::Str(v)) => Some(v.into_owned()),
            Raw::Json(Json::Num(v)) => Some(format!("#{v}")),
            Raw::Json(other) => Some(format!("{other:?}")),
            Raw::Text(t) => Some(t.to_string()),
        }
    }

    #[test]
    fn picks_top_level_and_nested_fields() {
        let p = paths();
        let line = br#"{"at":"2025-01-01T00:00:00Z","event":"paid","order":{"id":"O1","x":[1,2,{"y":null}]},"n":-1.5e3,"source":"psp"}"#;
        let s = scan(line, &p).unwrap();
        assert_eq!(str_of(&s, "at").as_deref(), Some("2025-01-01T00:00:00Z"));
        assert_eq!(str_of(&s, "event").as_deref(), Some("paid"));
        assert_eq!(str_of(&s, "order.id").as_deref(), Some("O1"));
        assert_eq!(str_of(&s, "source").as_deref(), Some("psp"));
        assert_eq!(str_of(&s, "a.b.c"), None);
    }

    #[test]
    fn the_first_of_repeated_keys_and_the_exact_key_win() {
        let p = paths();
        let s = scan(
            br#"{"event":"a","event":"b","order":{"id":"1","id":"2"},"order":{"id":"3"}}"#,
            &p,
        )
        .unwrap();
        assert_eq!(str_of(&s, "event").as_deref(), Some("a"));
        assert_eq!(str_of(&s, "order.id").as_deref(), Some("1"));
        let s = scan(br#"{"order":{"id":"nested"},"order.id":"exact"}"#, &p).unwrap();
        assert_eq!(str_of(&s, "order.id").as_deref(), Some("exact"));
        // The first `order` is not an object: no nested value, as in the
        // full parse.
        let s = scan(br#"{"order":5,"order":{"id":"later"}}"#, &p).unwrap();
        assert_eq!(str_of(&s, "order.id"), None);
        let s = scan(br#"{"a":{"b":{"c":7}}}"#, &p).unwrap();
        assert_eq!(str_of(&s, "a.b.c").as_deref(), Some("#7"));
    }

    #[test]
    fn unsure_or_broken_lines_go_to_the_full_parse() {
        let p = paths();
        for bad in [
            &br#"{"at":"x""#[..],
            br#"{"at":"x",}"#,
            br#"{"at":01}"#,
            br#"{"at":1.}"#,
            br#"{"at":-}"#,
            br#"{"at":1e}"#,
            br#"{"at":tru}"#,
            br#"{"at":"a\u0041"}"#,
            br#"{"at":"a\qb"}"#,
            br#"{"a\"t":1}"#,
            br#"{"event":"with \"escape\""}"#,
            b"{\"at\":\"tab\there\"}",
            br#"[1,2]"#,
            br#"{"at":1} x"#,
            br#"{"at":1}{"#,
            b"{\"at\":\"\xff\"}",
            br#"{"at" 1}"#,
            br#"{"at":[1,]}"#,
            br#"{"at":[1 2]}"#,
            br#""#,
        ] {
            assert!(scan(bad, &p).is_none(), "{}", String::from_utf8_lossy(bad));
        }
        // Escapes outside the picked values are checked, not refused.
        assert!(scan(br#"{"note":"say \"hi\"\n","at":"x"}"#, &p).is_some());
        assert!(scan(br#" { "at" : "x" , "e" : [ ] , "o" : { } } "#, &p).is_some());
    }

    #[test]
    fn nesting_past_the_limit_is_left_to_the_full_parse() {
        let p = paths();
        let deep = format!("{{\"x\":{}1{}}}", "[".repeat(100), "]".repeat(100));
        assert!(scan(deep.as_bytes(), &p).is_none());
        let ok = format!("{{\"x\":{}1{}}}", "[".repeat(10), "]".repeat(10));
        assert!(scan(ok.as_bytes(), &p).is_some());
    }
}
