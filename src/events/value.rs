//! One log record (a JSON object or a CSV row) → a typed event or claim.

use std::str::FromStr;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::DateTime;
use rust_decimal::Decimal;

use super::{LineError, ReadOptions};
use crate::model::{Claim, ClaimTime, FieldType, KindIdx, Model, Origin, Says, Status, Value};
use crate::source::{LogId, LogRef};

/// A field's raw value, before typing.
#[derive(Clone, Debug)]
pub(crate) enum Raw<'a> {
    /// From JSON.
    Json(Json<'a>),
    /// From a CSV cell.
    Text(&'a str),
}

/// A JSON value as found in a line, borrowed from it where possible.
#[derive(Clone, Debug)]
pub(crate) enum Json<'a> {
    /// A string, unescaped.
    Str(std::borrow::Cow<'a, str>),
    /// A number, as written (exact).
    Num(&'a str),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// An object.
    Object,
    /// An array.
    Array,
}

impl<'a> Json<'a> {
    /// Classifies a raw JSON value without building a tree.
    pub(crate) fn from_raw(raw: &'a serde_json::value::RawValue) -> Json<'a> {
        let t = raw.get().trim();
        match t.as_bytes().first() {
            Some(b'"') => match serde_json::from_str::<&str>(t) {
                Ok(s) => Json::Str(std::borrow::Cow::Borrowed(s)),
                Err(_) => serde_json::from_str::<String>(t)
                    .map_or(Json::Null, |s| Json::Str(std::borrow::Cow::Owned(s))),
            },
            Some(b't') => Json::Bool(true),
            Some(b'f') => Json::Bool(false),
            Some(b'n') => Json::Null,
            Some(b'{') => Json::Object,
            Some(b'[') => Json::Array,
            _ => Json::Num(t),
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// A record's fields by name (`a.b` for nested JSON).
pub(crate) trait Fields {
    fn get(&self, path: &str) -> Option<Raw<'_>>;
    /// The top-level field names, for messages.
    fn names(&self) -> Vec<String>;
}

/// "; the line has `a`, `b`, `c`" for a missing-field message.
fn has_fields(fields: &impl Fields) -> String {
    let mut names = fields.names();
    names.truncate(12);
    if names.is_empty() {
        return "; the line has no fields".into();
    }
    let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    format!("; the line has {}", list.join(", "))
}

/// A typed record.
pub(crate) struct Record {
    pub at: Timestamp,
    pub body: Body,
}

/// What a record holds.
pub(crate) enum Body {
    Event {
        kind: KindIdx,
        values: Box<[Value]>,
        source: Option<Arc<str>>,
    },
    Claim(Box<Claim>),
    Ignored(String),
}

/// Types one record against the model.
pub(crate) fn record(
    fields: &impl Fields,
    model: &Model,
    opts: &ReadOptions,
) -> Result<Record, LineError> {
    let kind_name = match fields.get(&opts.kind_field) {
        Some(Raw::Json(Json::Str(s))) => s,
        Some(Raw::Text(s)) if !s.is_empty() => std::borrow::Cow::Borrowed(s),
        Some(other) => {
            return Err(LineError::new(
                format!(
                    "`{}`: expected the event kind as a string, found {}",
                    opts.kind_field,
                    describe(&other)
                ),
                "each line names its kind, e.g. `\"event\": \"order_paid\"`",
            ));
        }
        None => {
            return Err(LineError::new(
                format!(
                    "missing field `{}` (the event kind){}",
                    opts.kind_field,
                    has_fields(fields)
                ),
                format!(
                    "each line needs a kind; use `--kind-field` if your log calls it something else than `{}`",
                    opts.kind_field
                ),
            ));
        }
    };
    let at = match fields.get(&opts.time_field) {
        Some(raw) => parse_time(&raw, model).map_err(|found| {
            LineError::new(
                format!("`{}`: expected an RFC 3339 time or a local date-time, found {found}", opts.time_field),
                format!("write e.g. `2025-05-25T18:00:00+03:00`, or `2025-05-25T18:00` for local time in `{}`", model.zone.name),
            )
        })?,
        None => {
            return Err(LineError::new(
                format!("missing field `{}` (the event time){}", opts.time_field, has_fields(fields)),
                format!("each line needs a time; use `--time-field` if your log calls it something else than `{}`", opts.time_field),
            ));
        }
    };
    if kind_name == "claim" {
        return Ok(Record {
            at,
            body: Body::Claim(Box::new(claim(fields, model, at)?)),
        });
    }
    let Some(kind) = model.kind(&kind_name) else {
        return Ok(Record {
            at,
            body: Body::Ignored(kind_name.into_owned()),
        });
    };
    let Some(k) = model.kinds.get(kind) else {
        return Ok(Record {
            at,
            body: Body::Ignored(kind_name.into_owned()),
        });
    };
    let mut values = Vec::with_capacity(k.fields.len());
    for f in &k.fields {
        let raw = fields.get(&f.name).filter(|r| !is_null(r)).ok_or_else(|| {
            LineError::new(
                format!("`{}` event: missing field `{}` (declared `{}`)", k.name, f.name, f.ty.name()),
                format!("every declared field of `{}` must be present; use `a.b` in the declaration for a nested field", k.name),
            )
        })?;
        let v = typed(&raw, f.ty, model).map_err(|found| {
            LineError::new(
                format!(
                    "`{}` event: field `{}`: expected {}, found {found}",
                    k.name,
                    f.name,
                    expected(f.ty)
                ),
                hint(f.ty, model),
            )
        })?;
        values.push(v);
    }
    // Provenance (design §10): a string, or nothing. A kind that declares
    // a field called `source` has typed it above; its provenance is then
    // the value when that is a string.
    let source = match fields.get("source") {
        Some(Raw::Json(Json::Str(s))) => Some(Arc::from(s.as_ref())),
        Some(Raw::Text(s)) if !s.is_empty() => Some(Arc::from(s)),
        None | Some(Raw::Json(Json::Null) | Raw::Text(_)) => None,
        Some(_) if k.fields.iter().any(|f| f.name == "source") => None,
        Some(other) => {
            return Err(LineError::new(
                format!(
                    "`{}` event: field `source`: expected a string (a URL or citation), found {}",
                    k.name,
                    describe(&other)
                ),
                SOURCE_HELP,
            ));
        }
    };
    Ok(Record {
        at,
        body: Body::Event {
            kind,
            values: values.into_boxed_slice(),
            source,
        },
    })
}

/// The help of an event's `source` that is not a string.
const SOURCE_HELP: &str = "`source` is where the line comes from (a URL or citation), cited in the verdicts it decides: write it as a string, or leave it out";

fn is_null(r: &Raw<'_>) -> bool {
    matches!(r, Raw::Json(Json::Null) | Raw::Text(""))
}

fn describe(r: &Raw<'_>) -> String {
    match r {
        Raw::Json(v) => match v {
            Json::Null => "null".into(),
            Json::Bool(b) => format!("`{b}`"),
            Json::Num(n) => format!("the number `{n}`"),
            Json::Str(s) => format!("`\"{}\"`", shorten(s)),
            Json::Array => "an array".into(),
            Json::Object => "an object".into(),
        },
        Raw::Text(s) => format!("`{}`", shorten(s)),
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 40 {
        let head: String = s.chars().take(40).collect();
        format!("{head}…")
    } else {
        s.to_string()
    }
}

fn expected(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Party => "a declared party",
        FieldType::Id => "an id (string or whole number)",
        FieldType::Text => "a string",
        FieldType::Int => "a whole number",
        FieldType::Number => "a number",
        FieldType::Bool => "`true` or `false`",
        FieldType::Time => "an RFC 3339 time",
    }
}

fn hint(ty: FieldType, model: &Model) -> String {
    match ty {
        FieldType::Party => {
            let ids: Vec<String> = model
                .parties
                .iter()
                .map(|p| format!("`{}`", p.id))
                .collect();
            format!("parties are {}", ids.join(", "))
        }
        FieldType::Int => "whole numbers from -9223372036854775808 to 9223372036854775807".into(),
        FieldType::Number => "numbers are read exactly, up to 28 significant digits".into(),
        _ => "fix the value or the field's declared type".into(),
    }
}

/// Types a raw value; on failure returns a description of what was found.
fn typed(raw: &Raw<'_>, ty: FieldType, model: &Model) -> Result<Value, String> {
    let text: Option<&str> = match raw {
        Raw::Json(j) => j.as_str(),
        Raw::Text(s) => Some(s),
    };
    let number: Option<&str> = match raw {
        Raw::Json(Json::Num(n)) => Some(n),
        Raw::Text(s) => Some(s.trim()),
        _ => None,
    };
    let bad = || describe(raw);
    Ok(match ty {
        FieldType::Party => {
            let s = text.ok_or_else(bad)?;
            if model.has_party(s) {
                Value::Party(Arc::from(s))
            } else {
                return Err(format!("the undeclared party `{}`", shorten(s)));
            }
        }
        FieldType::Id => match raw {
            Raw::Json(Json::Num(n)) if is_whole(n.strip_prefix('-').unwrap_or(n)) => {
                Value::Str(Arc::from(*n))
            }
            _ => Value::Str(Arc::from(text.ok_or_else(bad)?)),
        },
        FieldType::Text => Value::Str(Arc::from(text.ok_or_else(bad)?)),
        FieldType::Int => {
            let n = number.ok_or_else(bad)?;
            match n.parse::<i64>() {
                Ok(i) => Value::Int(i),
                // Whole, but past 64 bits: say so, not "expected a whole number".
                Err(_) if is_whole(n.strip_prefix('-').unwrap_or(n)) => {
                    return Err(format!("the number {}, out of range", shorten(n)));
                }
                Err(_) => return Err(bad()),
            }
        }
        FieldType::Number => {
            let n = number.ok_or_else(bad)?;
            match parse_decimal(n) {
                Some(d) => Value::Number(d),
                // A number pacta cannot hold exactly (more than 28
                // significant digits, or past its range): say so.
                None if serde_json::from_str::<serde_json::Number>(n.trim()).is_ok() => {
                    return Err(format!(
                        "the number {}, which has more than 28 significant digits or is out of range",
                        shorten(n)
                    ));
                }
                None => return Err(bad()),
            }
        }
        FieldType::Bool => match raw {
            Raw::Json(Json::Bool(b)) => Value::Bool(*b),
            Raw::Text("true") => Value::Bool(true),
            Raw::Text("false") => Value::Bool(false),
            _ => return Err(bad()),
        },
        FieldType::Time => Value::Time(parse_time(raw, model)?),
    })
}

/// True for an integer written without sign, fraction or exponent, of any length.
fn is_whole(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Parses a decimal exactly (`100.1`, `1e3`, `-2.50`).
pub(crate) fn parse_decimal(s: &str) -> Option<Decimal> {
    if s.contains(['e', 'E']) {
        Decimal::from_scientific(s).ok()
    } else {
        // Exact: never rounded past 28 significant digits.
        Decimal::from_str_exact(s).ok()
    }
}

/// Parses a time written without escapes, as [`parse_time`] does.
pub(crate) fn parse_time_text(s: &str, model: &Model) -> Option<Timestamp> {
    parse_time(&Raw::Text(s), model).ok()
}

/// Parses a log time: RFC 3339, or a local date-time in the model's zone.
pub(crate) fn parse_time(raw: &Raw<'_>, model: &Model) -> Result<Timestamp, String> {
    let s: &str = match raw {
        Raw::Json(Json::Str(s)) => s,
        Raw::Text(s) => s,
        other => return Err(describe(other)),
    };
    let s = s.trim();
    if let Some(t) = utc_seconds(s) {
        return Ok(t);
    }
    if let Some(t) = crate::resolve::rfc3339(s) {
        return Ok(t);
    }
    // A local date-time: `2025-05-25T18:00[:00]` or with a space (hours and
    // minutes at least).
    let has_clock = s.len() >= 16
        && s.as_bytes()
            .get(10)
            .is_some_and(|b| *b == b'T' || *b == b' ')
        && s.as_bytes().get(13) == Some(&b':');
    if has_clock && !s.ends_with('Z') && !s.get(11..).is_some_and(|t| t.contains(['+', '-'])) {
        let normal = s.replacen(' ', "T", 1);
        if let Ok(dt) = DateTime::from_str(&normal) {
            if let Ok(z) = dt.to_zoned_datetime(model.zone.tz.clone()) {
                return Ok(z.timestamp());
            }
        }
    }
    Err(format!("`{}`", shorten(s)))
}

/// The common shape of a log time, `2025-03-01T10:00:00Z`, read without
/// the general RFC 3339 parser (which was ~3% of a large log's CPU); `None`
/// for anything else, which [`Timestamp::from_str`] then reads. Gives
/// exactly what that parser gives for the strings it accepts.
fn utc_seconds(s: &str) -> Option<Timestamp> {
    let b: &[u8; 20] = s.as_bytes().try_into().ok()?;
    let digits = |from: usize, n: usize| -> Option<i64> {
        b.get(from..from + n)?.iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    let seps = [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'Z'),
    ];
    if seps.iter().any(|&(i, c)| b.get(i) != Some(&c)) {
        return None;
    }
    let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    // Leap seconds and hour 24: left to the general parser.
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut date = [0u8; 10];
    date.copy_from_slice(b.get(..10)?);
    // A log's lines come a day at a time: the day's midnight is worked out
    // once (per reading thread) and reused.
    let midnight = DAY.with(|cache| match cache.get() {
        (d, m) if d == date => m,
        _ => {
            let m = midnight(digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
            cache.set((date, m));
            m
        }
    })?;
    Timestamp::from_second(midnight + hour * 3600 + minute * 60 + second).ok()
}

thread_local! {
    /// The last day [`utc_seconds`] read, and its midnight (UTC seconds).
    static DAY: std::cell::Cell<([u8; 10], Option<i64>)> =
        const { std::cell::Cell::new(([0; 10], None)) };
}

/// Midnight UTC of a day, in seconds; `None` for a day that does not exist
/// (jiff's own calendar: it refuses 31 April, 29 February of a common year)
/// and for year 0, left to the general parser.
fn midnight(year: i64, month: i64, day: i64) -> Option<i64> {
    if year < 1 {
        return None;
    }
    let narrow = |v: i64| i8::try_from(v).ok();
    let dt = jiff::civil::DateTime::new(
        i16::try_from(year).ok()?,
        narrow(month)?,
        narrow(day)?,
        0,
        0,
        0,
        0,
    )
    .ok()?;
    Some(jiff::tz::Offset::UTC.to_timestamp(dt).ok()?.as_second())
}

/// A claim line: `by`, `about`, `says`, optional `text`, `source`.
fn claim(fields: &impl Fields, model: &Model, at: Timestamp) -> Result<Claim, LineError> {
    let text_field = |name: &str| -> Option<String> {
        match fields.get(name) {
            Some(Raw::Json(Json::Str(s))) => Some(s.into_owned()),
            Some(Raw::Text(s)) if !s.is_empty() => Some(s.to_string()),
            _ => None,
        }
    };
    // `text` and `source`: a string, or nothing (absent, `null`, an empty
    // CSV cell); any other value is a mistyped field.
    let optional_text = |name: &str, what: &str| -> Result<Option<String>, LineError> {
        match fields.get(name) {
            None | Some(Raw::Json(Json::Null)) => Ok(None),
            Some(Raw::Json(Json::Str(s))) => Ok(Some(s.into_owned())),
            Some(Raw::Text(s)) => Ok((!s.is_empty()).then(|| s.to_string())),
            Some(other) => Err(LineError::new(
                format!(
                    "`claim` line: field `{name}`: expected a string ({what}), found {}",
                    describe(&other)
                ),
                format!("`{name}` is {what}: write it as a string, or leave it out"),
            )),
        }
    };
    let need = |name: &str, what: &str| {
        text_field(name).ok_or_else(|| {
            LineError::new(
                format!("`claim` line: missing or non-string field `{name}`"),
                format!("a claim line has `by` (a party), `about` (a commitment id, optionally with `[var: value]`) and `says` (a status); `{name}` is {what}"),
            )
        })
    };
    let by = need("by", "the party that made the claim")?;
    if !model.has_party(&by) {
        return Err(LineError::new(
            format!(
                "`claim` line: field `by`: the undeclared party `{}`",
                shorten(&by)
            ),
            hint(FieldType::Party, model),
        ));
    }
    let about = need("about", "the commitment the claim is about")?;
    let says_word = need("says", "the claimed status")?;
    let Some(status) = Status::from_name(says_word.trim()) else {
        return Err(LineError::new(
            format!(
                "`claim` line: field `says`: `{}` is not a status",
                shorten(&says_word)
            ),
            "statuses are `inactive`, `pending`, `fulfilled`, `violated`, `cancelled` and `expired`",
        ));
    };
    let title = optional_text("text", "the claim's words or a summary")?;
    let source = optional_text("source", "where the claim was made, a URL or citation")?;
    if !about_is_well_formed(&about) {
        return Err(LineError::new(
            format!(
                "`claim` line: field `about`: `{}` is not a commitment id with optional bindings",
                shorten(&about)
            ),
            "write the commitment's id, with an instance's bindings in brackets if it has `for each`: `ship` or `ship[order: A17]`",
        ));
    }
    let says = match parse_about(&about, model) {
        Some((commitment, bindings)) => Says::Status {
            commitment,
            bindings,
            status,
        },
        None => Says::Unknown {
            about: about.clone(),
            status,
        },
    };
    Ok(Claim {
        id: String::new(),
        title,
        by,
        at: ClaimTime {
            judged_at: at,
            from: at,
            day: None,
        },
        source,
        says,
        origin: Origin::Log(LogRef {
            log: LogId(0),
            line: 0,
        }),
    })
}

/// True when `about` has the shape `id` or `id[var: value, …]` (`=` for
/// `:` too), whether or not the rules know the commitment: an unknown
/// commitment or instance makes the claim unverifiable (design §5), a
/// malformed reference is a bad line.
fn about_is_well_formed(about: &str) -> bool {
    instance_ref(about).is_ok_and(|(id, _)| {
        let mut chars = id.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// `id` or `id[var: value, …]` (`=` for `:` too) → the id and the
/// bindings as written. A value may be quoted, `"Smith, J."`, to hold a
/// comma, a bracket or a quote (`\"`, `\\`); unquoted, it runs to the
/// next comma. Shared by log claims' `about` and `pacta explain`'s target.
pub(crate) fn instance_ref(text: &str) -> Result<(String, Vec<(String, String)>), String> {
    let text = text.trim();
    let (id, rest) = match text.find('[') {
        Some(i) => (text.get(..i).unwrap_or_default().trim(), text.get(i..)),
        None => (text, None),
    };
    if id.is_empty() {
        return Err(format!("`{text}`: expected an id"));
    }
    let mut bindings = Vec::new();
    let Some(rest) = rest else {
        return Ok((id.to_string(), bindings));
    };
    let inner = rest
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .ok_or_else(|| format!("`{text}`: expected `id[var: value, …]`"))?;
    let mut chars = inner.chars().peekable();
    loop {
        // A key, up to `:` or `=`.
        let mut key = String::new();
        for c in chars.by_ref() {
            if c == ':' || c == '=' {
                break;
            }
            key.push(c);
        }
        let key = key.trim().to_string();
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '"' => {
                        closed = true;
                        break;
                    }
                    '\\' => value.extend(chars.next()),
                    c => value.push(c),
                }
            }
            if !closed {
                return Err(format!("`{text}`: a quoted value is not closed"));
            }
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            if chars.peek().is_some_and(|c| *c != ',') {
                return Err(format!("`{text}`: expected `,` after a quoted value"));
            }
        } else {
            while let Some(c) = chars.peek().copied() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
            value = value.trim().to_string();
        }
        if key.is_empty() && value.is_empty() && chars.peek().is_none() {
            // `id[]`, or a trailing comma.
            break;
        }
        if key.is_empty() || value.is_empty() {
            return Err(format!("`{text}`: expected `var: value`"));
        }
        bindings.push((key, value));
        if chars.next().is_none() {
            break;
        }
    }
    Ok((id.to_string(), bindings))
}

/// `id` or `id[var: value, …]` → the commitment and its instance's
/// bindings (`None` bindings when they do not name an instance).
fn parse_about(about: &str, model: &Model) -> Option<(usize, Option<Vec<Value>>)> {
    let (id, parts) = instance_ref(about).ok()?;
    let idx = model.commitment(&id)?;
    let c = model.commitments.get(idx)?;
    let mut values: Vec<Option<Value>> = vec![None; c.vars.len()];
    for (k, v) in &parts {
        let Some(i) = c.vars.iter().position(|var| var.name == *k) else {
            return Some((idx, None));
        };
        let Some(var) = c.vars.get(i) else {
            return Some((idx, None));
        };
        let Ok(val) = typed(&Raw::Text(v), var.ty, model) else {
            return Some((idx, None));
        };
        if let Some(slot) = values.get_mut(i) {
            *slot = Some(val);
        }
    }
    if values.iter().any(Option::is_none) {
        return Some((idx, None));
    }
    Some((idx, Some(values.into_iter().flatten().collect())))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use std::str::FromStr as _;

    use jiff::Timestamp;

    use super::utc_seconds;

    #[test]
    fn an_instance_reference_reads_quoted_values() {
        use super::instance_ref;
        let pairs = |s: &str| instance_ref(s).unwrap().1;
        let kv = |k: &str, v: &str| (k.to_string(), v.to_string());
        assert_eq!(pairs("ship[order: A]"), [kv("order", "A")]);
        assert_eq!(
            pairs("ship[order=\"Smith, J.\"]"),
            [kv("order", "Smith, J.")]
        );
        assert_eq!(
            pairs("ship[order: \"a \\\"b\\\" [c]\", day: 2025-03-01T10:00]"),
            [kv("order", "a \"b\" [c]"), kv("day", "2025-03-01T10:00")]
        );
        assert_eq!(pairs("ship[order: A[1]]"), [kv("order", "A[1]")]);
        assert_eq!(pairs("ship"), []);
        for bad in [
            "ship[order: \"open]",
            "ship[order: \"a\" b]",
            "[x]",
            "ship[order]",
        ] {
            assert!(instance_ref(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_claim_about_is_well_formed_or_a_bad_line() {
        use super::about_is_well_formed as ok;
        for good in [
            "ship",
            "ship[order: A]",
            "ship[order=A]",
            " ship [order = A, day: 2025-03-01] ",
            "ship[]",
            "ship[order: A,]",
            "ship[order: A[1]]",
            "no_such_commitment",
        ] {
            assert!(ok(good), "{good}");
        }
        for bad in [
            "",
            "[x]",
            "ship[order: A",
            "ship[order A]",
            "ship[: A]",
            "ship[order:]",
            "1ship",
            "ship x",
        ] {
            assert!(!ok(bad), "{bad}");
        }
    }

    /// Where the fast reading gives an answer, it is the general parser's.
    fn same(s: &str) -> bool {
        match utc_seconds(s) {
            Some(t) => {
                assert_eq!(Some(t), Timestamp::from_str(s).ok(), "{s}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn the_fast_time_reading_agrees_with_the_rfc_3339_parser() {
        // Every day of 1899–2101 (century and leap-year edges) and of the
        // first and last years jiff knows, at a time that varies by day.
        let years = (1..=4).chain(1899..=2101).chain(9996..=9999);
        let mut n = 0u32;
        for year in years {
            for month in 1..=12 {
                for day in 1..=31 {
                    n += 1;
                    let (h, m, s) = (n % 24, (n * 7) % 60, (n * 13) % 60);
                    let text = format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z");
                    let valid = Timestamp::from_str(&text).is_ok();
                    assert_eq!(same(&text), valid, "{text}");
                }
            }
        }
        for text in [
            "2025-03-01T23:59:59Z",
            "2025-03-01T00:00:00Z",
            "1970-01-01T00:00:00Z",
            "2000-02-29T12:00:00Z",
        ] {
            assert!(same(text), "{text} must be read fast");
        }
        // Not the common shape, or not a time: left to the general parser.
        for text in [
            "1900-02-29T00:00:00Z",
            "2025-04-31T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-00-01T00:00:00Z",
            "2025-01-00T00:00:00Z",
            "2025-01-01T24:00:00Z",
            "2025-01-01T23:60:00Z",
            "2016-12-31T23:59:60Z",
            "0000-01-01T00:00:00Z",
            "2025-01-01t00:00:00Z",
            "2025-01-01T00:00:00z",
            "2025-01-01 00:00:00Z",
            "2025-01-01T00:00:00+00:00",
            "2025-01-01T00:00:00.5Z",
            "+2025-01-01T00:00:00Z",
            "2025-1-01T00:00:00Z ",
            "２０２５-01-01T00:00:00Z",
        ] {
            assert!(!same(text), "{text} must go to the general parser");
        }
    }
}
