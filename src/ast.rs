//! The syntax tree of one rule file, as written: names are still strings,
//! nothing is resolved. Every node keeps its [`Span`].

use jiff::civil::{Date, Time};
use rust_decimal::Decimal;

use crate::span::Span;

/// A name with its span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it is written.
    pub span: Span,
}

/// A string literal, escapes decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Str {
    /// The decoded text.
    pub value: String,
    /// Where it is written, quotes included.
    pub span: Span,
}

/// One rule file.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct File {
    /// Top-level items in source order.
    pub items: Vec<Item>,
    /// The whole file.
    pub span: Span,
}

/// A top-level item.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `timezone "Europe/Istanbul"`.
    Timezone(Str),
    /// `holidays [2025-12-25, …]`.
    Holidays(Vec<DateLit>, Span),
    /// `import "other.pacta"`.
    Import(Str),
    /// `party russia "Russian Federation"`.
    Party(Party),
    /// `event name(field: type, …)`.
    Event(EventDecl),
    /// `param immediately = 1 day`.
    Param(Param),
    /// A commitment block.
    Commitment(Box<Commitment>),
    /// A claim block.
    Claim(Box<Claim>),
}

/// A party declaration.
#[derive(Clone, Debug, PartialEq)]
pub struct Party {
    /// Its id.
    pub id: Ident,
    /// Display name.
    pub name: Option<Str>,
    /// The whole declaration.
    pub span: Span,
}

/// An event kind declaration.
#[derive(Clone, Debug, PartialEq)]
pub struct EventDecl {
    /// The kind.
    pub id: Ident,
    /// Declared fields.
    pub fields: Vec<FieldDecl>,
    /// The whole declaration.
    pub span: Span,
}

/// `name: type` in an event declaration.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldDecl {
    /// Field name.
    pub name: Ident,
    /// Type name, checked in resolve.
    pub ty: Ident,
}

/// `param NAME = VALUE`.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// Its name.
    pub id: Ident,
    /// Its default value.
    pub value: ParamValue,
    /// The whole declaration.
    pub span: Span,
}

/// The value of a param.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    /// A duration.
    Duration(DurationLit),
    /// A time.
    Time(TimeLit),
    /// A number.
    Number(Decimal, Span),
}

/// A commitment block.
#[derive(Clone, Debug, PartialEq)]
pub struct Commitment {
    /// Its id.
    pub id: Ident,
    /// Optional title.
    pub title: Option<Str>,
    /// `for each` variables.
    pub for_each: Vec<Ident>,
    /// `by DEBTOR [to CREDITOR]`.
    pub parties: Option<Parties>,
    /// `after CONDITION`.
    pub after: Option<Cond>,
    /// `must` / `must not` clause.
    pub must: Option<Must>,
    /// Deadline or window.
    pub window: Option<Window>,
    /// `unless CONDITION`.
    pub unless: Option<Cond>,
    /// `otherwise ID`.
    pub otherwise: Option<Ident>,
    /// Further `by NAME` clauses (no `to`): a deadline given by a time param
    /// (`by cutoff`), decided in resolve.
    pub by_names: Vec<Ident>,
    /// Clauses given twice: (clause name, span of the repeat).
    pub repeated: Vec<(&'static str, Span)>,
    /// The whole block.
    pub span: Span,
}

/// `by DEBTOR [to CREDITOR]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Parties {
    /// Who owes.
    pub debtor: Ident,
    /// To whom.
    pub creditor: Option<Ident>,
    /// The clause.
    pub span: Span,
}

/// `must [not] PATTERN [with AGGREGATE]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Must {
    /// `must not`.
    pub negated: bool,
    /// The required or prohibited event.
    pub pattern: Pattern,
    /// `with count >= N` / `with sum(FIELD) >= N`.
    pub aggregate: Option<Aggregate>,
    /// The clause.
    pub span: Span,
}

/// An aggregate bound.
#[derive(Clone, Debug, PartialEq)]
pub struct Aggregate {
    /// `None` for `count`, the field for `sum(field)`.
    pub sum_of: Option<Ident>,
    /// The bound: a number, or a number param.
    pub at_least: NumberOrParam,
    /// The clause.
    pub span: Span,
}

/// A number written as an aggregate's bound, or the name of a number param.
#[derive(Clone, Debug, PartialEq)]
pub enum NumberOrParam {
    /// A number.
    Literal(Decimal),
    /// A param's name.
    Param(Ident),
}

/// A deadline or window.
#[derive(Clone, Debug, PartialEq)]
pub enum Window {
    /// `within D [before]`; the duration may name a param.
    Within {
        /// The length.
        duration: DurationOrParam,
        /// `within D before`: a look-back window.
        before: bool,
        /// The clause.
        span: Span,
    },
    /// `by TIME`.
    By(TimeLit, Span),
    /// `between A and B`; either may name a time param.
    Between(TimeOrParam, TimeOrParam, Span),
}

/// A time written in a window, or the name of a time param.
#[derive(Clone, Debug, PartialEq)]
pub enum TimeOrParam {
    /// A time.
    Literal(TimeLit),
    /// A param's name.
    Param(Ident),
}

impl Window {
    /// The clause's span.
    pub fn span(&self) -> Span {
        match self {
            Window::Within { span, .. } | Window::By(_, span) | Window::Between(_, _, span) => {
                *span
            }
        }
    }
}

/// A duration literal or the name of a duration param.
#[derive(Clone, Debug, PartialEq)]
pub enum DurationOrParam {
    /// A literal.
    Literal(DurationLit),
    /// A param name.
    Param(Ident),
}

/// A duration as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DurationLit {
    /// The amount, exact (`1.5 days`); business days take whole ones.
    pub amount: rust_decimal::Decimal,
    /// The unit.
    pub unit: DurationUnit,
    /// Where it is written.
    pub span: Span,
}

/// Units of a duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DurationUnit {
    /// Seconds.
    Second,
    /// Minutes.
    Minute,
    /// Hours.
    Hour,
    /// Days of 24 hours.
    Day,
    /// Weeks of 7 × 24 hours.
    Week,
    /// Business days in the file's zone.
    BusinessDay,
}

/// A calendar date literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateLit {
    /// The date.
    pub date: Date,
    /// Where it is written.
    pub span: Span,
}

/// A date, local date-time or absolute time literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeLit {
    /// The calendar day.
    pub date: Date,
    /// The time of day; `None` for a bare date.
    pub time: Option<Time>,
    /// Offset from UTC in seconds, for an absolute time.
    pub offset_seconds: Option<i32>,
    /// Where it is written.
    pub span: Span,
}

/// A condition (`after`, `unless`).
#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    /// Both.
    And(Box<Cond>, Box<Cond>, Span),
    /// Either.
    Or(Box<Cond>, Box<Cond>, Span),
    /// Negation.
    Not(Box<Cond>, Span),
    /// A commitment became fulfilled.
    Fulfilled(Ident),
    /// `ID is STATUS`.
    Status(Ident, Ident, Span),
    /// The first matching event.
    Event(Pattern),
    /// That instant has come.
    Time(TimeLit),
}

impl Cond {
    /// The condition's span.
    pub fn span(&self) -> Span {
        match self {
            Cond::And(_, _, s) | Cond::Or(_, _, s) | Cond::Not(_, s) | Cond::Status(_, _, s) => *s,
            Cond::Fulfilled(id) => id.span,
            Cond::Event(p) => p.span,
            Cond::Time(t) => t.span,
        }
    }
}

/// An event kind with field constraints.
#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    /// The event kind.
    pub kind: Ident,
    /// Field constraints.
    pub constraints: Vec<Constraint>,
    /// The whole pattern.
    pub span: Span,
}

/// A field constraint: `field: value`, `field >= value`, or `field` alone
/// (short for `field: field`).
#[derive(Clone, Debug, PartialEq)]
pub struct Constraint {
    /// The field.
    pub field: Ident,
    /// The comparison.
    pub op: CmpOp,
    /// The value it is compared with.
    pub value: Value,
    /// The whole constraint.
    pub span: Span,
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CmpOp {
    /// `:` or `=`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

impl CmpOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// A value in a pattern or selector.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string.
    Str(Str),
    /// A number.
    Number(Decimal, Span),
    /// `true` / `false`.
    Bool(bool, Span),
    /// A time.
    Time(TimeLit),
    /// A party, a variable or a param: decided in resolve.
    Name(Ident),
}

impl Value {
    /// Where it is written.
    pub fn span(&self) -> Span {
        match self {
            Value::Str(s) => s.span,
            Value::Number(_, s) | Value::Bool(_, s) => *s,
            Value::Time(t) => t.span,
            Value::Name(i) => i.span,
        }
    }
}

/// A claim block.
#[derive(Clone, Debug, PartialEq)]
pub struct Claim {
    /// Its id.
    pub id: Ident,
    /// Quote or summary.
    pub title: Option<Str>,
    /// `by PARTY on TIME`.
    pub by: Option<(Ident, TimeLit, Span)>,
    /// `source "…"`.
    pub source: Option<Str>,
    /// What it says.
    pub says: Option<Says>,
    /// Clauses given twice.
    pub repeated: Vec<(&'static str, Span)>,
    /// The whole block.
    pub span: Span,
}

/// What a claim says.
#[derive(Clone, Debug, PartialEq)]
pub enum Says {
    /// `says ID[var: value] is STATUS`.
    Status {
        /// The commitment.
        commitment: Ident,
        /// The instance's bindings.
        selector: Vec<(Ident, Value)>,
        /// The claimed status.
        status: Ident,
        /// The clause.
        span: Span,
    },
    /// `says PATTERN happened` / `did not happen`.
    Event {
        /// The event.
        pattern: Pattern,
        /// `happened` (true) or `did not happen` (false).
        happened: bool,
        /// The clause.
        span: Span,
    },
}
