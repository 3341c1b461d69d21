//! The checked model of a set of rule files: names resolved to indices,
//! literals typed, times made absolute. Produced by [`crate::resolve`],
//! read by the graph, the evaluator and the reports.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use rust_decimal::Decimal;

use crate::ast::CmpOp;
use crate::source::LogRef;
use crate::span::Span;

/// Index of a commitment in [`Model::commitments`].
pub type CommitmentIdx = usize;
/// Index of an event kind in [`Model::kinds`].
pub type KindIdx = usize;
/// Index of a field in its kind's [`EventKind::fields`].
pub type FieldIdx = usize;

/// A time zone with the name it was declared with.
#[derive(Clone, Debug)]
pub struct Zone {
    /// IANA name (`Europe/Istanbul`, `UTC`).
    pub name: String,
    /// The zone.
    pub tz: TimeZone,
}

impl Zone {
    /// UTC.
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".into(),
            tz: TimeZone::UTC,
        }
    }
}

/// The calendar of one rule file: its zone and holidays.
#[derive(Clone, Debug)]
pub struct Calendar {
    /// The file's zone.
    pub zone: Zone,
    /// Days skipped by `business days`.
    pub holidays: BTreeSet<Date>,
}

/// Everything the rule files declare, checked.
#[derive(Clone, Debug)]
pub struct Model {
    /// The zone reports print times in (the first rule file's).
    pub zone: Zone,
    /// Declared parties.
    pub parties: Vec<Party>,
    /// Declared event kinds.
    pub kinds: Vec<EventKind>,
    /// Commitments, in declaration order.
    pub commitments: Vec<Commitment>,
    /// Claims written in the rule files.
    pub claims: Vec<Claim>,
    /// Params and their values for this run.
    pub params: Vec<Param>,
}

impl Model {
    /// The kind with this name.
    pub fn kind(&self, name: &str) -> Option<KindIdx> {
        self.kinds.iter().position(|k| k.name == name)
    }

    /// The commitment with this id.
    pub fn commitment(&self, id: &str) -> Option<CommitmentIdx> {
        self.commitments.iter().position(|c| c.id == id)
    }

    /// True when a party with this id is declared.
    pub fn has_party(&self, id: &str) -> bool {
        self.parties.iter().any(|p| p.id == id)
    }
}

/// A declared party.
#[derive(Clone, Debug)]
pub struct Party {
    /// Its id.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// Declaration.
    pub span: Span,
}

/// A declared event kind.
#[derive(Clone, Debug)]
pub struct EventKind {
    /// Its name.
    pub name: String,
    /// Its fields.
    pub fields: Vec<Field>,
    /// Declaration.
    pub span: Span,
}

impl EventKind {
    /// The field with this name.
    pub fn field(&self, name: &str) -> Option<FieldIdx> {
        self.fields.iter().position(|f| f.name == name)
    }
}

/// A declared field.
#[derive(Clone, Debug)]
pub struct Field {
    /// Its name; `a.b` reaches a nested JSON object.
    pub name: String,
    /// Its type.
    pub ty: FieldType,
    /// Declaration.
    pub span: Span,
}

/// The types of event fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FieldType {
    /// A declared party's id.
    Party,
    /// Any string key.
    Id,
    /// Free text.
    Text,
    /// A whole number.
    Int,
    /// A decimal number.
    Number,
    /// `true` / `false`.
    Bool,
    /// An instant.
    Time,
}

impl FieldType {
    /// Parses a type name.
    pub fn from_name(name: &str) -> Option<FieldType> {
        Some(match name {
            "party" => FieldType::Party,
            "id" => FieldType::Id,
            "text" => FieldType::Text,
            "int" => FieldType::Int,
            "number" => FieldType::Number,
            "bool" => FieldType::Bool,
            "time" => FieldType::Time,
            _ => return None,
        })
    }

    /// The type's name.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Party => "party",
            FieldType::Id => "id",
            FieldType::Text => "text",
            FieldType::Int => "int",
            FieldType::Number => "number",
            FieldType::Bool => "bool",
            FieldType::Time => "time",
        }
    }

    /// True for types with an order (`<`, `>=`, …).
    pub fn is_ordered(self) -> bool {
        matches!(self, FieldType::Int | FieldType::Number | FieldType::Time)
    }

    /// True for types `sum(…)` accepts.
    pub fn is_numeric(self) -> bool {
        matches!(self, FieldType::Int | FieldType::Number)
    }
}

/// A typed value of a field, literal or binding.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    /// A party id.
    Party(Arc<str>),
    /// An id or text.
    Str(Arc<str>),
    /// An integer.
    Int(i64),
    /// A decimal.
    Number(Decimal),
    /// A boolean.
    Bool(bool),
    /// An instant.
    Time(Timestamp),
}

impl Value {
    /// Compares two values of one field type.
    pub fn compare(&self, op: CmpOp, other: &Value) -> bool {
        let ord = match (self, other) {
            (Value::Int(a), Value::Number(b)) => Decimal::from(*a).cmp(b),
            (Value::Number(a), Value::Int(b)) => a.cmp(&Decimal::from(*b)),
            (a, b) => a.cmp(b),
        };
        match op {
            CmpOp::Eq => ord.is_eq(),
            CmpOp::Ne => ord.is_ne(),
            CmpOp::Lt => ord.is_lt(),
            CmpOp::Le => ord.is_le(),
            CmpOp::Gt => ord.is_gt(),
            CmpOp::Ge => ord.is_ge(),
        }
    }

    /// As a decimal, for `sum(…)`.
    pub fn as_decimal(&self) -> Option<Decimal> {
        match self {
            Value::Int(i) => Some(Decimal::from(*i)),
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Party(s) | Value::Str(s) => f.write_str(s),
            Value::Int(i) => write!(f, "{i}"),
            Value::Number(n) => write!(f, "{}", n.normalize()),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Time(t) => write!(f, "{t}"),
        }
    }
}

/// A `param` and its value for this run.
#[derive(Clone, Debug)]
pub struct Param {
    /// Its name.
    pub name: String,
    /// The value in force.
    pub value: ParamValue,
    /// True when `--param` replaced the declared value.
    pub overridden: bool,
    /// As a deadline (`by PARAM`): the last instant on time (a bare date
    /// means the end of that day).
    pub deadline: Option<Bound>,
    /// Declaration.
    pub span: Span,
}

/// The value of a param.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    /// A duration.
    Duration(Duration),
    /// An instant.
    Time(Timestamp),
    /// A number.
    Number(Decimal),
}

/// A length of time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Duration {
    /// Absolute time (`1 day` is 24 hours).
    Exact(SignedDuration),
    /// Business days in the file's zone, keeping the time of day.
    BusinessDays(i64),
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Duration::BusinessDays(1) => write!(f, "1 business day"),
            Duration::BusinessDays(n) => write!(f, "{n} business days"),
            Duration::Exact(d) => {
                let s = d.as_secs();
                if d.subsec_nanos() != 0 {
                    // Seconds with their fraction: a duration the language
                    // (and `--param`) reads back.
                    let fraction = format!("{:09}", d.subsec_nanos().unsigned_abs());
                    let sign = if d.is_negative() { "-" } else { "" };
                    return write!(
                        f,
                        "{sign}{}.{} seconds",
                        s.unsigned_abs(),
                        fraction.trim_end_matches('0')
                    );
                }
                let (n, unit) = if s != 0 && s % (7 * 86_400) == 0 {
                    (s / (7 * 86_400), "week")
                } else if s != 0 && s % 86_400 == 0 {
                    (s / 86_400, "day")
                } else if s != 0 && s % 3600 == 0 {
                    (s / 3600, "hour")
                } else if s != 0 && s % 60 == 0 {
                    (s / 60, "minute")
                } else {
                    (s, "second")
                };
                write!(f, "{n} {unit}{}", if n == 1 { "" } else { "s" })
            }
        }
    }
}

/// A commitment, checked.
#[derive(Clone, Debug)]
pub struct Commitment {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: Option<String>,
    /// The whole block.
    pub span: Span,
    /// `for each` variables, in order.
    pub vars: Vec<Var>,
    /// Who owes.
    pub debtor: String,
    /// To whom.
    pub creditor: Option<String>,
    /// What puts it in force.
    pub trigger: Trigger,
    /// `must not`.
    pub prohibition: bool,
    /// The required or prohibited event.
    pub action: Pattern,
    /// `with count/sum(…) >= N`.
    pub aggregate: Option<Aggregate>,
    /// Deadline or window.
    pub window: Window,
    /// `unless`.
    pub unless: Option<Cond>,
    /// `otherwise ID`.
    pub otherwise: Option<CommitmentIdx>,
    /// The file's zone and holidays.
    pub calendar: Arc<Calendar>,
    /// Spans of the clauses, for reports and `explain`.
    pub spans: ClauseSpans,
    /// Params the deadline depends on (`within`, `by`, or the end of
    /// `between`).
    pub params: Vec<String>,
    /// The param the start of a `between` window names, if any. No flip
    /// is given for it: whether a later start changes the verdict depends
    /// on every event in the window, which an instance does not keep.
    pub start_param: Option<String>,
}

/// A `for each` variable.
#[derive(Clone, Debug)]
pub struct Var {
    /// Its name.
    pub name: String,
    /// Its type, from the fields it binds.
    pub ty: FieldType,
    /// Declaration.
    pub span: Span,
}

/// Spans of a commitment's clauses.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClauseSpans {
    /// The id.
    pub id: Span,
    /// `after …`.
    pub after: Option<Span>,
    /// `must …`.
    pub must: Span,
    /// The deadline clause.
    pub window: Option<Span>,
    /// `unless …`.
    pub unless: Option<Span>,
}

/// What puts a commitment in force.
#[derive(Clone, Debug)]
pub enum Trigger {
    /// No `after`: in force at once.
    Immediate,
    /// `after CONDITION`.
    After(Cond),
    /// Named by `otherwise` in these commitments: in force when one of them is violated.
    Reparation(Vec<CommitmentIdx>),
}

/// `with count >= N` / `with sum(FIELD) >= N`.
#[derive(Clone, Debug)]
pub struct Aggregate {
    /// `None` for count.
    pub sum_of: Option<FieldIdx>,
    /// The bound (a param's value in this run when it names one).
    pub at_least: Decimal,
    /// The number param the bound names (`with count >= minimum`).
    pub param: Option<String>,
}

/// A commitment's deadline or window.
#[derive(Clone, Debug)]
pub enum Window {
    /// No deadline: a `must` stays pending, a `must not` holds forever.
    Open,
    /// `within D` after the trigger; `before`: the D before it.
    Within {
        /// The length.
        duration: Duration,
        /// Look back instead of forward.
        before: bool,
    },
    /// `by T`.
    By(Bound),
    /// `between A and B`.
    Between(Timestamp, Bound),
}

/// The last instant of a window, inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bound {
    /// Last instant still on time.
    pub at: Timestamp,
    /// The calendar day when the bound was written as a date.
    pub day: Option<Date>,
}

/// A condition, checked.
#[derive(Clone, Debug)]
pub enum Cond {
    /// Both.
    And(Box<Cond>, Box<Cond>),
    /// Either.
    Or(Box<Cond>, Box<Cond>),
    /// Negation.
    Not(Box<Cond>),
    /// That commitment reached this status (its instance on shared variables).
    Status(CommitmentIdx, Status),
    /// The first matching event.
    Event(Pattern),
    /// That instant has come.
    Time(Timestamp),
}

impl Cond {
    /// Every commitment the condition names.
    pub fn commitments(&self, out: &mut Vec<CommitmentIdx>) {
        match self {
            Cond::And(a, b) | Cond::Or(a, b) => {
                a.commitments(out);
                b.commitments(out);
            }
            Cond::Not(a) => a.commitments(out),
            Cond::Status(c, _) => out.push(*c),
            Cond::Event(_) | Cond::Time(_) => {}
        }
    }
}

/// An event kind with field constraints.
#[derive(Clone, Debug)]
pub struct Pattern {
    /// The kind.
    pub kind: KindIdx,
    /// Constraints, all of which must hold.
    pub constraints: Vec<Constraint>,
    /// Where it is written.
    pub span: Span,
}

/// A field constraint.
#[derive(Clone, Debug)]
pub struct Constraint {
    /// The field.
    pub field: FieldIdx,
    /// The comparison.
    pub op: CmpOp,
    /// What the field is compared with.
    pub operand: Operand,
}

/// A literal or a `for each` variable.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// A literal.
    Lit(Value),
    /// Index into the commitment's `vars`.
    Var(usize),
}

/// The statuses of a commitment instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Its trigger has not happened yet and still can.
    Inactive,
    /// Triggered, not yet fulfilled, deadline not passed.
    Pending,
    /// Done in time.
    Fulfilled,
    /// Deadline passed, or a prohibited event happened.
    Violated,
    /// Its `unless` held first.
    Cancelled,
    /// Its trigger can no longer happen.
    Expired,
}

impl Status {
    /// Every status, in report order.
    pub const ALL: [Status; 6] = [
        Status::Violated,
        Status::Pending,
        Status::Fulfilled,
        Status::Cancelled,
        Status::Expired,
        Status::Inactive,
    ];

    /// The status word.
    pub fn name(self) -> &'static str {
        match self {
            Status::Inactive => "inactive",
            Status::Pending => "pending",
            Status::Fulfilled => "fulfilled",
            Status::Violated => "violated",
            Status::Cancelled => "cancelled",
            Status::Expired => "expired",
        }
    }

    /// Parses a status word.
    pub fn from_name(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.name() == s)
    }

    /// True when the status can never change again.
    pub fn is_final(self) -> bool {
        !matches!(self, Status::Inactive | Status::Pending)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A claim, from a rule file or a log.
#[derive(Clone, Debug)]
pub struct Claim {
    /// Its id: the name in the rule file, or `file:line` for a log claim.
    pub id: String,
    /// Quote or summary.
    pub title: Option<String>,
    /// Who said it.
    pub by: String,
    /// When.
    pub at: ClaimTime,
    /// Citation.
    pub source: Option<String>,
    /// What it says.
    pub says: Says,
    /// Where it is written.
    pub origin: Origin,
}

/// When a claim was made: an instant, or every instant of a calendar day.
#[derive(Clone, Copy, Debug)]
pub struct ClaimTime {
    /// The last instant it may have been made at, and the evidence it is
    /// judged on ends there: the claim's instant, or the last instant of
    /// its day.
    pub judged_at: Timestamp,
    /// The first instant it may have been made at: the first instant of
    /// its day, or `judged_at` for a claim dated by an instant.
    pub from: Timestamp,
    /// The day, when the claim is dated by a day.
    pub day: Option<Date>,
}

/// Where a claim comes from.
#[derive(Clone, Copy, Debug)]
pub enum Origin {
    /// A rule file.
    Rule(Span),
    /// A log line.
    Log(LogRef),
}

/// What a claim says.
#[derive(Clone, Debug)]
pub enum Says {
    /// An instance has a status.
    Status {
        /// The commitment.
        commitment: CommitmentIdx,
        /// Values of its `for each` variables, in order; `None` when the
        /// claim names a variable the commitment lacks or misses one.
        bindings: Option<Vec<Value>>,
        /// The claimed status.
        status: Status,
    },
    /// A log claim about a commitment the rules do not declare.
    Unknown {
        /// The `about` text as written.
        about: String,
        /// The claimed status.
        status: Status,
    },
    /// A matching event happened (or did not) by the claim's time.
    Event {
        /// The event.
        pattern: Pattern,
        /// `happened` or `did not happen`.
        happened: bool,
    },
}
