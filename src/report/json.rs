//! The JSON report: the keys of section 9 of the design (`as_of`,
//! `commitments`, `claims`, `disputes`, `summary`), plus evidence. Keys keep
//! insertion order; lists are sorted by id then bindings.

use rust_decimal::Decimal;
use serde_json::{Map, Value as J, json};

use super::{fmt_time, sorted_commitments, summary};
use crate::Checked;
use crate::eval::{ClaimVerdict, Evidence, Item};
use crate::model::{Commitment, Origin, Says, Value};

/// Renders the JSON report (in the [`Rows`] layout, newline-terminated).
pub fn render(run: &Checked) -> String {
    render_with(run, false)
}

/// Renders the JSON report, with a `coverage` object when asked.
pub fn render_with(run: &Checked, with_coverage: bool) -> String {
    let mut v = to_value(run);
    add_coverage(&mut v, run, with_coverage);
    let mut s = to_rows_string(&v, 0).unwrap_or_else(|| "{}".into());
    s.push('\n');
    s
}

/// The report's layout, a `serde_json` formatter: the top-level object and
/// the lists and objects directly in it are laid out one member per line
/// (two spaces per level), and everything deeper — each instance, claim
/// and dispute — is written on one line, with `", "` and `": "` between
/// its parts. So a report of a million instances has a million short lines
/// instead of thirty million (a third fewer bytes), one `grep` finds every
/// instance of a status, and a changed verdict is one changed line.
pub struct Rows {
    /// Containers open, counting those of the levels the value is written
    /// inside of.
    level: usize,
    /// Whether the innermost open container has a member yet.
    has_value: bool,
}

/// The deepest container level laid out one member per line.
const LINE_LEVELS: usize = 2;

impl Rows {
    /// A formatter for a value written at nesting `level` (0: the report).
    pub fn at(level: usize) -> Rows {
        Rows {
            level,
            has_value: false,
        }
    }

    /// Opens a container.
    fn begin<W: ?Sized + std::io::Write>(&mut self, w: &mut W, open: &[u8]) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(open)
    }

    /// Closes a container: on its own line when its members are.
    fn end<W: ?Sized + std::io::Write>(&mut self, w: &mut W, close: &[u8]) -> std::io::Result<()> {
        let lined = self.level <= LINE_LEVELS;
        self.level = self.level.saturating_sub(1);
        if self.has_value && lined {
            w.write_all(b"\n")?;
            write_indent(w, self.level)?;
        }
        w.write_all(close)
    }

    /// Starts a member: on a new line, or after `", "`.
    fn member<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if self.level <= LINE_LEVELS {
            w.write_all(if first { b"\n" } else { b",\n" })?;
            write_indent(w, self.level)
        } else if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }
}

fn write_indent<W: ?Sized + std::io::Write>(w: &mut W, level: usize) -> std::io::Result<()> {
    for _ in 0..level {
        w.write_all(b"  ")?;
    }
    Ok(())
}

impl serde_json::ser::Formatter for Rows {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.begin(w, b"[")
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.end(w, b"]")
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.member(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.begin(w, b"{")
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.end(w, b"}")
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.member(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// `v` in the [`Rows`] layout, written at nesting `level`.
pub fn to_rows_string(v: &J, level: usize) -> Option<String> {
    use serde::Serialize as _;
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, Rows::at(level));
    v.serialize(&mut ser).ok()?;
    String::from_utf8(out).ok()
}

/// Adds the `coverage` object to the report's top level, when asked.
fn add_coverage(top: &mut J, run: &Checked, with_coverage: bool) {
    if !with_coverage {
        return;
    }
    let cov = super::coverage(run);
    if let Some(o) = top.as_object_mut() {
        o.insert(
            "coverage".into(),
            json!({"untriggered": cov.untriggered, "unread_kinds": cov.unread_kinds}),
        );
    }
}

/// Writes the JSON report to `w`, one commitment instance at a time, so a
/// report of millions of instances is never held whole in memory. The bytes
/// are those of [`render_with`].
pub fn write_json(
    run: &Checked,
    with_coverage: bool,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut top = to_value_with(run, false);
    add_coverage(&mut top, run, with_coverage);
    let Some(obj) = top.as_object() else {
        return w.write_all(b"{}\n");
    };
    w.write_all(b"{")?;
    for (n, (key, value)) in obj.iter().enumerate() {
        w.write_all(if n == 0 { b"\n  " } else { b",\n  " })?;
        w.write_all(serde_json::to_string(key).unwrap_or_default().as_bytes())?;
        w.write_all(b": ")?;
        if key == "commitments" {
            write_rows(run, w)?;
        } else {
            let text = to_rows_string(value, 1).unwrap_or_default();
            w.write_all(text.as_bytes())?;
        }
    }
    super::rows_read(run)?;
    w.write_all(b"\n}\n")
}

/// Writes the `commitments` list: rows are produced in report order on
/// one thread and formatted in blocks on every core
/// ([`super::write_blocks`]); a streamed run's blocks are only ranges of
/// its store, read by the workers themselves.
fn write_rows(run: &Checked, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    use super::Block;
    // What a streamed run's rows share, escaped once for every worker.
    let shared = run
        .eval
        .streamed
        .as_ref()
        .map(|s| super::json_rows::Shared::new(run, s));
    let shared = shared.as_ref();
    let blocks = move || super::blocks(run, |_| true);
    let format = |block: Block<'_>, buf: &mut Vec<u8>| match (block, &run.eval.streamed, shared) {
        (Block::Rows(rows), _, _) => format_rows(run, &rows, buf),
        (Block::Stored(ci, range), Some(store), Some(shared)) => {
            super::json_rows::write_block(buf, run, shared, store, (ci, range));
        }
        (Block::Stored(..), ..) => {}
    };
    match super::write_blocks(blocks, format, LIST_START, w)? {
        None => write_rows_one_thread(run, w),
        Some(wrote) => w.write_all(if wrote { b"\n  ]" } else { b"[]" }),
    }
}

/// Every row is written after `,\n    `; the list opens with `[` in place
/// of the first comma.
const LIST_START: super::ListStart<'static> = super::ListStart {
    open: b"[",
    skip: 1,
};

/// [`write_rows`] on the calling thread alone: the same bytes.
fn write_rows_one_thread(run: &Checked, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let (mut buf, mut wrote) = (Vec::new(), false);
    for block in super::row_blocks(sorted_commitments(run)) {
        buf.clear();
        format_rows(run, &block, &mut buf);
        if let Some((open, body)) = LIST_START.parts(&buf, wrote) {
            w.write_all(open)?;
            w.write_all(body)?;
            wrote = true;
        }
    }
    w.write_all(if wrote { b"\n  ]" } else { b"[]" })
}

/// Appends a block of rows to `buf`, each after its separator `,\n    `.
fn format_rows(run: &Checked, block: &[super::Row<'_>], buf: &mut Vec<u8>) {
    // Rows come grouped by commitment: its rule's place is worked out once.
    let mut rule: Option<(&Commitment, String)> = None;
    for (c, i) in block {
        if !rule
            .as_ref()
            .is_some_and(|(prev, _)| std::ptr::eq(*prev, *c))
        {
            rule = Some((c, run.sources.location(c.span)));
        }
        let place = rule.as_ref().map_or("", |(_, place)| place.as_str());
        buf.extend_from_slice(b",\n    ");
        write_commitment(buf, run, (c, place), i, 2);
    }
}

/// The report as a JSON value.
pub fn to_value(run: &Checked) -> J {
    to_value_with(run, true)
}

/// The report as a JSON value; with `commitments` empty unless asked.
fn to_value_with(run: &Checked, with_commitments: bool) -> J {
    let zone = &run.model.zone;
    let t = |ts| json_time(ts, zone);
    let as_of = run.eval.as_of;
    let commitments: Vec<J> = if with_commitments {
        sorted_commitments(run)
            .map(|(c, i)| commitment_value(run, c, &i))
            .collect()
    } else {
        Vec::new()
    };
    let claims: Vec<J> = run.eval.claims.iter().map(|v| claim(run, v)).collect();
    let disputes: Vec<J> = run
        .eval
        .disputes
        .iter()
        .map(|d| json!({"claims": [d.a, d.b], "supported": d.supported}))
        .collect();
    let s = summary(run);
    let log = &run.log;
    json!({
        "as_of": t(as_of),
        "timezone": zone.name,
        "commitments": commitments,
        "claims": claims,
        "disputes": disputes,
        "summary": {
            "commitments": s.statuses,
            "claims": s.verdicts,
        },
        "log": {
            "lines": log.lines,
            "events": log.event_count(),
            "ignored": log.ignored,
            "skipped": log.skipped,
            "first_skipped": log.first_skipped.as_ref().map(|(r, m)| json!({"at": run.sources.log_ref(*r), "error": m})),
        },
    })
}

/// One commitment instance as a JSON object.
fn commitment_value(run: &Checked, c: &Commitment, i: &crate::eval::Instance) -> J {
    let zone = &run.model.zone;
    let t = |ts| json_time(ts, zone);
    let as_of = run.eval.as_of;

    let status = i.status_at(as_of);
    let mut o = Map::new();
    o.insert("id".into(), J::String(c.id.clone()));
    o.insert("bindings".into(), bindings(c, &i.bindings));
    o.insert("status".into(), J::String(status.name().into()));
    o.insert("title".into(), c.title.clone().map_or(J::Null, J::String));
    o.insert("by".into(), J::String(c.debtor.clone()));
    o.insert("to".into(), c.creditor.clone().map_or(J::Null, J::String));
    o.insert("rule".into(), J::String(run.sources.location(c.span)));
    let trigger = if i.from_start {
        None
    } else {
        i.trigger.map(|m| m.at)
    };
    o.insert("trigger_at".into(), trigger.map_or(J::Null, t));
    o.insert("opens_at".into(), i.opens.map_or(J::Null, t));
    o.insert("deadline".into(), i.deadline.map_or(J::Null, |d| t(d.at)));
    let decided = match (i.decision, i.expired) {
        (Some(d), _) if d.at.reached_by(as_of) => Some(d.at.at),
        (None, Some(m)) if m.reached_by(as_of) => Some(m.at),
        _ => None,
    };
    o.insert("decided_at".into(), decided.map_or(J::Null, t));
    o.insert("late_at".into(), i.late.map_or(J::Null, t));
    o.insert(
        "progress".into(),
        i.progress.map_or(
            J::Null,
            |p| json!({"value": number(p.value), "target": number(p.target)}),
        ),
    );
    if let Some(f) = i.flip.as_deref() {
        o.insert("param_flip".into(), param_flip(run, f));
    }
    o.insert(
        "evidence".into(),
        J::Array(i.evidence.iter().map(|e| evidence(run, e)).collect()),
    );
    J::Object(o)
}

/// Where an instance's verdict would flip, as a JSON object.
fn param_flip(run: &Checked, f: &crate::eval::params::Flip) -> J {
    json!({
        "param": f.param,
        "value": f.value.to_string(),
        "status": f.to.name(),
        "if": format!("{} {} {}", f.param, f.op, super::fmt_threshold(f.at, &run.model.zone)),
        "op": f.op,
        "threshold_seconds": match f.at {
            crate::eval::params::Threshold::Length(crate::model::Duration::Exact(d)) => json!(d.as_secs()),
            _ => J::Null,
        },
        "threshold": super::fmt_threshold(f.at, &run.model.zone),
    })
}

// ---- Writing the report directly ----
//
// The commitment list is the report's bulk (one object per instance, up to
// millions). Building a `serde_json::Value` per instance and pretty-printing
// it cost most of the report's time, so each instance is written straight
// into a byte buffer instead, in the [`Rows`] layout: each instance on one
// line, `"key": value` parts separated by `", "`, `[]` and `{}` when empty,
// strings escaped as serde_json escapes them. `commitment_value` stays the reference: a test
// holds the two byte-identical over every fixture.

/// An object or array being written at nesting `depth` (its opening bracket
/// is written; its members go one level deeper).
struct Open {
    depth: usize,
    empty: bool,
    close: u8,
}

impl Open {
    /// Writes `{` and returns the object.
    fn object(out: &mut Vec<u8>, depth: usize) -> Open {
        out.push(b'{');
        Open {
            depth,
            empty: true,
            close: b'}',
        }
    }

    /// Writes `[` and returns the array.
    fn array(out: &mut Vec<u8>, depth: usize) -> Open {
        out.push(b'[');
        Open {
            depth,
            empty: true,
            close: b']',
        }
    }

    /// Whether the members go one per line ([`Rows`]).
    fn lined(&self) -> bool {
        self.depth < LINE_LEVELS
    }

    /// Starts the next element: separator, then new line and indent, or
    /// `", "` on one line.
    fn item(&mut self, out: &mut Vec<u8>) {
        if self.lined() {
            out.extend_from_slice(if self.empty { b"\n" } else { b",\n" });
            indent(out, self.depth + 1);
        } else if !self.empty {
            out.extend_from_slice(b", ");
        }
        self.empty = false;
    }

    /// Starts the next object member: separator, indent, `"key": `.
    fn key(&mut self, out: &mut Vec<u8>, key: &str) {
        self.item(out);
        string(out, key);
        out.extend_from_slice(b": ");
    }

    /// A member whose value is a string.
    fn str(&mut self, out: &mut Vec<u8>, key: &str, value: &str) {
        self.key(out, key);
        string(out, value);
    }

    /// A member whose value is a string or `null`.
    fn opt_str(&mut self, out: &mut Vec<u8>, key: &str, value: Option<&str>) {
        self.key(out, key);
        match value {
            Some(v) => string(out, v),
            None => out.extend_from_slice(b"null"),
        }
    }

    /// Writes the closing bracket (on its own line when the members are).
    fn end(self, out: &mut Vec<u8>) {
        if !self.empty && self.lined() {
            out.push(b'\n');
            indent(out, self.depth);
        }
        out.push(self.close);
    }
}

fn indent(out: &mut Vec<u8>, depth: usize) {
    for _ in 0..depth {
        out.extend_from_slice(b"  ");
    }
}

/// A JSON string, escaped exactly as serde_json escapes it: `"` and `\\`,
/// the short forms `\b \t \n \f \r`, other control characters as `\u00xx`
/// (lower-case hex); everything else, non-ASCII included, as is.
pub(super) fn string(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    escaped(out, s);
    out.push(b'"');
}

/// Whether [`escaped`] must escape a byte: `"`, `\\` and control characters.
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// The inside of [`string`]: `s` escaped, without the quotes.
pub(super) fn escaped(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    // Copy runs of plain bytes whole: most strings have nothing to escape.
    let mut start = 0;
    for (at, &b) in bytes.iter().enumerate() {
        if !needs_escape(b) {
            continue;
        }
        out.extend_from_slice(bytes.get(start..at).unwrap_or_default());
        start = at + 1;
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b => {
                out.extend_from_slice(b"\\u00");
                for nibble in [b >> 4, b & 0xf] {
                    out.push(HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'));
                }
            }
        }
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
}

/// `"file:line"` of a log position, as [`crate::source::Sources::log_ref`]
/// writes it, without building the string.
fn write_log_ref(out: &mut Vec<u8>, run: &Checked, r: crate::source::LogRef) {
    out.push(b'"');
    escaped(out, run.sources.log_name(r.log));
    out.push(b':');
    push_decimal(out, r.line);
    out.push(b'"');
}

/// An instant as a JSON time: RFC 3339, or `null` for the ends of time
/// (which no RFC 3339 text can name; the text report says "the beginning"
/// and "the end of time").
pub(super) fn json_time(t: jiff::Timestamp, zone: &crate::model::Zone) -> J {
    if t == jiff::Timestamp::MIN || t == jiff::Timestamp::MAX {
        J::Null
    } else {
        J::String(fmt_time(t, zone))
    }
}

/// The decimal digits of `n`.
pub(super) fn push_decimal(out: &mut Vec<u8>, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    loop {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(at..).unwrap_or_default());
}

/// `"time"` as [`json_time`] makes it, or `null`.
fn write_opt_time(out: &mut Vec<u8>, t: Option<jiff::Timestamp>, zone: &crate::model::Zone) {
    match t.filter(|t| *t != jiff::Timestamp::MIN && *t != jiff::Timestamp::MAX) {
        Some(t) => {
            out.push(b'"');
            super::write_time(out, t, zone);
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
}

/// Any JSON value at nesting `depth`, for the rare parts of an instance
/// (`progress`, `param_flip`) still built as values.
fn json_value(out: &mut Vec<u8>, v: &J, depth: usize) {
    match v {
        J::Null => out.extend_from_slice(b"null"),
        J::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        J::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        J::String(s) => string(out, s),
        J::Array(items) => {
            let mut a = Open::array(out, depth);
            for item in items {
                a.item(out);
                json_value(out, item, depth + 1);
            }
            a.end(out);
        }
        J::Object(members) => {
            let mut o = Open::object(out, depth);
            for (k, item) in members {
                o.key(out, k);
                json_value(out, item, depth + 1);
            }
            o.end(out);
        }
    }
}

/// A binding's value, as [`value`] makes it.
pub(super) fn write_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Party(s) | Value::Str(s) => string(out, s),
        Value::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Value::Number(n) => json_value(out, &number(*n), 0),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Time(t) => string(out, &t.to_string()),
    }
}

/// An instance's bindings, as [`bindings`] makes them.
fn write_bindings(out: &mut Vec<u8>, c: &Commitment, values: &[Value], depth: usize) {
    let mut o = Open::object(out, depth);
    for (var, v) in c.vars.iter().zip(values) {
        o.key(out, &var.name);
        write_value(out, v);
    }
    o.end(out);
}

/// One commitment instance at nesting `depth`, given its commitment and
/// the commitment's `file:line:col`: the bytes of [`commitment_value`]
/// in the [`Rows`] layout at that depth.
pub(super) fn write_commitment(
    out: &mut Vec<u8>,
    run: &Checked,
    (c, rule): (&Commitment, &str),
    i: &crate::eval::Instance,
    depth: usize,
) {
    let zone = &run.model.zone;
    let as_of = run.eval.as_of;
    let time = |o: &mut Open, out: &mut Vec<u8>, key: &str, ts: Option<jiff::Timestamp>| {
        o.key(out, key);
        write_opt_time(out, ts, zone);
    };

    let mut o = Open::object(out, depth);
    o.str(out, "id", &c.id);
    o.key(out, "bindings");
    write_bindings(out, c, &i.bindings, depth + 1);
    o.str(out, "status", i.status_at(as_of).name());
    o.opt_str(out, "title", c.title.as_deref());
    o.str(out, "by", &c.debtor);
    o.opt_str(out, "to", c.creditor.as_deref());
    o.str(out, "rule", rule);
    let trigger = if i.from_start {
        None
    } else {
        i.trigger.map(|m| m.at)
    };
    time(&mut o, out, "trigger_at", trigger);
    time(&mut o, out, "opens_at", i.opens);
    time(&mut o, out, "deadline", i.deadline.map(|d| d.at));
    let decided = match (i.decision, i.expired) {
        (Some(d), _) if d.at.reached_by(as_of) => Some(d.at.at),
        (None, Some(m)) if m.reached_by(as_of) => Some(m.at),
        _ => None,
    };
    time(&mut o, out, "decided_at", decided);
    time(&mut o, out, "late_at", i.late);
    o.key(out, "progress");
    match i.progress {
        Some(p) => {
            let mut po = Open::object(out, depth + 1);
            po.key(out, "value");
            json_value(out, &number(p.value), depth + 2);
            po.key(out, "target");
            json_value(out, &number(p.target), depth + 2);
            po.end(out);
        }
        None => out.extend_from_slice(b"null"),
    }
    if let Some(f) = i.flip.as_deref() {
        o.key(out, "param_flip");
        json_value(out, &param_flip(run, f), depth + 1);
    }
    o.key(out, "evidence");
    let mut list = Open::array(out, depth + 1);
    for e in &i.evidence {
        list.item(out);
        write_evidence(out, run, e, depth + 2);
    }
    list.end(out);
    o.end(out);
}

/// One piece of evidence at nesting `depth`: the bytes of [`evidence`].
fn write_evidence(out: &mut Vec<u8>, run: &Checked, e: &Evidence, depth: usize) {
    let mut o = Open::object(out, depth);
    o.str(out, "role", e.role.name());
    o.key(out, "at");
    write_opt_time(out, Some(e.at), &run.model.zone);
    match &e.item {
        Item::Event {
            origin,
            kind,
            source,
        } => {
            o.key(out, "log");
            write_log_ref(out, run, *origin);
            o.str(
                out,
                "event",
                run.model.kinds.get(*kind).map_or("?", |k| k.name.as_str()),
            );
            if let Some(s) = source {
                o.str(out, "source", s);
            }
        }
        Item::Commitment {
            commitment,
            bindings: b,
            status,
        } => {
            if let Some(c) = run.model.commitments.get(*commitment) {
                o.str(out, "commitment", &c.id);
                o.key(out, "bindings");
                write_bindings(out, c, b, depth + 1);
            }
            o.str(out, "status", status.name());
        }
        Item::Time => o.str(out, "what", "time"),
        Item::Deadline => o.str(out, "what", "deadline"),
        Item::WindowClosed => o.str(out, "what", "window_closed"),
        Item::WindowOpened => o.str(out, "what", "window_opened"),
        Item::Never => o.str(out, "what", "never"),
    }
    o.end(out);
}

/// A decimal as an exact JSON number.
fn number(d: Decimal) -> J {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(J::Null)
}

fn value(v: &Value) -> J {
    match v {
        Value::Party(s) | Value::Str(s) => J::String(s.to_string()),
        Value::Int(i) => J::from(*i),
        Value::Number(n) => number(*n),
        Value::Bool(b) => J::Bool(*b),
        Value::Time(t) => J::String(t.to_string()),
    }
}

fn bindings(c: &Commitment, values: &[Value]) -> J {
    let mut o = Map::new();
    for (var, v) in c.vars.iter().zip(values) {
        o.insert(var.name.clone(), value(v));
    }
    J::Object(o)
}

fn evidence(run: &Checked, e: &Evidence) -> J {
    let zone = &run.model.zone;
    let mut o = Map::new();
    o.insert("role".into(), J::String(e.role.name().into()));
    o.insert("at".into(), json_time(e.at, zone));
    match &e.item {
        Item::Event {
            origin,
            kind,
            source,
        } => {
            o.insert("log".into(), J::String(run.sources.log_ref(*origin)));
            o.insert(
                "event".into(),
                J::String(
                    run.model
                        .kinds
                        .get(*kind)
                        .map_or("?", |k| k.name.as_str())
                        .into(),
                ),
            );
            if let Some(s) = source {
                o.insert("source".into(), J::String(s.to_string()));
            }
        }
        Item::Commitment {
            commitment,
            bindings: b,
            status,
        } => {
            if let Some(c) = run.model.commitments.get(*commitment) {
                o.insert("commitment".into(), J::String(c.id.clone()));
                o.insert("bindings".into(), bindings(c, b));
            }
            o.insert("status".into(), J::String(status.name().into()));
        }
        Item::Time => {
            o.insert("what".into(), J::String("time".into()));
        }
        Item::Deadline => {
            o.insert("what".into(), J::String("deadline".into()));
        }
        Item::WindowClosed => {
            o.insert("what".into(), J::String("window_closed".into()));
        }
        Item::WindowOpened => {
            o.insert("what".into(), J::String("window_opened".into()));
        }
        Item::Never => {
            o.insert("what".into(), J::String("never".into()));
        }
    }
    J::Object(o)
}

fn claim(run: &Checked, v: &ClaimVerdict) -> J {
    let zone = &run.model.zone;
    let c = &v.claim;
    let mut o = Map::new();
    o.insert("id".into(), J::String(c.id.clone()));
    o.insert("by".into(), J::String(c.by.clone()));
    o.insert("at".into(), json_time(c.at.judged_at, zone));
    o.insert(
        "on".into(),
        c.at.day.map_or(J::Null, |d| J::String(d.to_string())),
    );
    o.insert("verdict".into(), J::String(v.verdict.name().into()));
    o.insert("actual".into(), v.actual.clone().map_or(J::Null, J::String));
    match &c.says {
        Says::Status {
            commitment,
            bindings: b,
            status,
        } => {
            let cm = run.model.commitments.get(*commitment);
            o.insert(
                "about".into(),
                cm.map_or(J::Null, |x| J::String(x.id.clone())),
            );
            o.insert(
                "bindings".into(),
                match (cm, b) {
                    (Some(cm), Some(b)) => bindings(cm, b),
                    _ => J::Null,
                },
            );
            o.insert("says".into(), J::String(status.name().into()));
        }
        Says::Unknown { about, status } => {
            o.insert("about".into(), J::String(about.clone()));
            o.insert("bindings".into(), J::Null);
            o.insert("says".into(), J::String(status.name().into()));
        }
        Says::Event { pattern, happened } => {
            o.insert(
                "about".into(),
                J::String(super::fmt_pattern(&run.model, pattern, &[])),
            );
            o.insert("bindings".into(), J::Null);
            o.insert(
                "says".into(),
                J::String(
                    if *happened {
                        "happened"
                    } else {
                        "did not happen"
                    }
                    .into(),
                ),
            );
        }
    }
    o.insert(
        "later_at".into(),
        v.later.map_or(J::Null, |m| json_time(m.at, zone)),
    );
    // A violation comes just after its deadline instant (`later_at`).
    o.insert(
        "later_just_after".into(),
        J::Bool(v.later.is_some_and(|m| m.after)),
    );
    o.insert("reason".into(), v.reason.clone().map_or(J::Null, J::String));
    o.insert("title".into(), c.title.clone().map_or(J::Null, J::String));
    o.insert("source".into(), c.source.clone().map_or(J::Null, J::String));
    let origin = match c.origin {
        Origin::Rule(span) => json!({"rule": run.sources.location(span)}),
        Origin::Log(r) => json!({"log": run.sources.log_ref(r)}),
    };
    o.insert("origin".into(), origin);
    // Design §8: the events that decided the verdict, as an instance cites
    // its own.
    o.insert(
        "evidence".into(),
        J::Array(v.evidence.iter().map(|e| evidence(run, e)).collect()),
    );
    J::Object(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written escaping is serde_json's, for every ASCII character
    /// and some beyond.
    #[test]
    fn strings_escape_as_serde_json_does() {
        let mut samples: Vec<String> = (0u8..=0x7f).map(|b| char::from(b).to_string()).collect();
        samples.extend(
            [
                "",
                "é",
                "“quoted” \u{2028}\u{2029}",
                "a\"b\\c\u{1f}\u{7f}😀",
                "\r\n\t",
                "\"\"x\\",
                "\u{0}a\u{1}\u{1}b\\\\",
            ]
            .map(String::from),
        );
        for s in samples {
            let mut out = Vec::new();
            string(&mut out, &s);
            assert_eq!(
                String::from_utf8(out).ok(),
                serde_json::to_string(&s).ok(),
                "{s:?}"
            );
        }
    }

    /// The hand-written writer lays values out as the [`Rows`] formatter
    /// does, at every depth.
    #[test]
    fn values_lay_out_as_the_rows_formatter_does() {
        let v = json!({"a": [], "b": {}, "c": [1, {"d": null, "e": [true, "x"]}], "f": 1.50});
        for depth in 0..4 {
            let mut out = Vec::new();
            json_value(&mut out, &v, depth);
            assert_eq!(
                String::from_utf8(out).ok(),
                to_rows_string(&v, depth),
                "depth {depth}"
            );
        }
    }

    /// The layout itself: the top two levels one member per line, deeper
    /// containers on one line; empty containers as `[]` and `{}`.
    #[test]
    fn rows_layout() {
        let v = json!({
            "as_of": "2025-05-30T00:00:00Z",
            "commitments": [
                {"id": "a", "bindings": {}, "evidence": [{"role": "trigger"}, {"role": "fulfilment"}]},
                {"id": "b", "bindings": {"k": "x"}, "evidence": []}
            ],
            "claims": [],
            "summary": {"commitments": {"fulfilled": 1}, "claims": {}}
        });
        assert_eq!(
            to_rows_string(&v, 0).unwrap_or_default(),
            r#"{
  "as_of": "2025-05-30T00:00:00Z",
  "commitments": [
    {"id": "a", "bindings": {}, "evidence": [{"role": "trigger"}, {"role": "fulfilment"}]},
    {"id": "b", "bindings": {"k": "x"}, "evidence": []}
  ],
  "claims": [],
  "summary": {
    "commitments": {"fulfilled": 1},
    "claims": {}
  }
}"#
        );
        // A value written inside the report's top level (as `write_json`
        // writes `claims`) is indented to its place.
        assert_eq!(
            to_rows_string(&json!({"x": [1]}), 1).unwrap_or_default(),
            "{\n    \"x\": [1]\n  }"
        );
    }
}

#[cfg(test)]
mod one_thread_tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

    #[test]
    fn one_thread_writes_the_bytes_of_many() {
        let run = crate::report::example_run("order_sla");
        let (mut many, mut one) = (Vec::new(), Vec::new());
        super::write_rows(&run, &mut many).unwrap();
        super::write_rows_one_thread(&run, &mut one).unwrap();
        assert!(many.len() > 100);
        assert_eq!(
            String::from_utf8(many).unwrap(),
            String::from_utf8(one).unwrap()
        );
    }
}
