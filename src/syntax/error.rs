//! Syntax errors, and the words users see for grammar rules.

use miette::Diagnostic;
use thiserror::Error;

use super::Rule;
use crate::diagnostics::Located;
use crate::source::SourceId;
use crate::span::Span;

/// A rule file that does not follow the grammar, or holds a bad literal.
#[derive(Debug, Error, Diagnostic)]
pub enum SyntaxError {
    /// The grammar did not match.
    #[error("expected {expected}")]
    #[diagnostic(
        code(pacta::syntax::unexpected),
        help("see docs/language.md for the syntax of each declaration")
    )]
    Unexpected {
        /// What would have been accepted.
        expected: String,
        /// Where parsing stopped.
        #[label("{found}")]
        span: Span,
        /// What was found there.
        found: String,
    },
    /// A date that does not exist.
    #[error("invalid date `{text}`")]
    #[diagnostic(
        code(pacta::syntax::invalid_date),
        help("dates are written YYYY-MM-DD and must exist in the calendar")
    )]
    InvalidDate {
        /// The literal.
        text: String,
        /// Its span.
        #[label("{reason}")]
        span: Span,
        /// Why it is invalid.
        reason: String,
    },
    /// A time of day or offset that does not exist.
    #[error("invalid time `{text}`")]
    #[diagnostic(
        code(pacta::syntax::invalid_time),
        help("times are written HH:MM or HH:MM:SS, with an optional `Z` or `+HH:MM` offset")
    )]
    InvalidTime {
        /// The literal.
        text: String,
        /// Its span.
        #[label("{reason}")]
        span: Span,
        /// Why it is invalid.
        reason: String,
    },
    /// A number too large or malformed.
    #[error("invalid number `{text}`")]
    #[diagnostic(
        code(pacta::syntax::invalid_number),
        help("numbers must fit in 28 significant digits; durations in 64 bits")
    )]
    InvalidNumber {
        /// The literal.
        text: String,
        /// Its span.
        #[label("not a representable number")]
        span: Span,
    },
    /// A bad escape in a string.
    #[error("invalid escape `{text}` in string")]
    #[diagnostic(
        code(pacta::syntax::invalid_escape),
        help("strings accept `\\\"`, `\\\\`, `\\n` and `\\u{{…}}` escapes")
    )]
    InvalidEscape {
        /// The escape.
        text: String,
        /// The string.
        #[label("in this string")]
        span: Span,
    },
    /// A clause written twice in one block.
    #[error("`{clause}` given twice")]
    #[diagnostic(
        code(pacta::syntax::repeated_clause),
        help("a block takes each clause at most once; combine conditions with `and` / `or`")
    )]
    Repeated {
        /// The clause keyword.
        clause: &'static str,
        /// The second occurrence.
        #[label("second `{clause}` here")]
        span: Span,
    },
    /// Nesting deeper than the parser accepts.
    #[error("nesting deeper than {max} levels")]
    #[diagnostic(
        code(pacta::syntax::too_deep),
        help("split the condition into commitments that name each other")
    )]
    TooDeep {
        /// The opening bracket past the limit.
        #[label("too deep here")]
        span: Span,
        /// The limit.
        max: usize,
    },
    /// A condition with too many terms.
    #[error("condition longer than {max} terms")]
    #[diagnostic(
        code(pacta::syntax::too_long),
        help(
            "split the condition into commitments that name each other, or list the cases in separate commitments"
        )
    )]
    TooLong {
        /// The clause.
        #[label("too long")]
        span: Span,
        /// The limit.
        max: usize,
    },
    /// The grammar and the lowering disagree: a bug in pacta.
    #[error("internal error: unexpected `{rule}`")]
    #[diagnostic(
        code(pacta::syntax::internal),
        help("this is a bug in pacta; please report it with the rule file")
    )]
    Internal {
        /// The grammar rule.
        rule: String,
        /// Where.
        #[label("here")]
        span: Span,
    },
}

impl Located for SyntaxError {
    fn source_id(&self) -> Option<SourceId> {
        Some(match self {
            SyntaxError::Unexpected { span, .. }
            | SyntaxError::InvalidDate { span, .. }
            | SyntaxError::InvalidTime { span, .. }
            | SyntaxError::InvalidNumber { span, .. }
            | SyntaxError::InvalidEscape { span, .. }
            | SyntaxError::Repeated { span, .. }
            | SyntaxError::TooLong { span, .. }
            | SyntaxError::TooDeep { span, .. }
            | SyntaxError::Internal { span, .. } => span.source,
        })
    }
}

impl Rule {
    /// The words a user sees for a rule in "expected …"; `None` hides it.
    pub fn describe(self) -> Option<&'static str> {
        Some(match self {
            Rule::EOI => "end of file",
            Rule::file | Rule::item => "a declaration",
            Rule::timezone_decl | Rule::kw_timezone => "`timezone`",
            Rule::holidays_decl | Rule::kw_holidays => "`holidays`",
            Rule::import_decl | Rule::kw_import => "`import`",
            Rule::party_decl | Rule::kw_party => "`party`",
            Rule::event_decl | Rule::kw_event => "`event`",
            Rule::param_decl | Rule::kw_param => "`param`",
            Rule::commitment | Rule::kw_commitment => "`commitment`",
            Rule::claim | Rule::kw_claim => "`claim`",
            Rule::field_decl => "a field `name: type`",
            Rule::param_value => "a duration, time or number",
            Rule::for_each | Rule::kw_for => "`for each`",
            Rule::kw_each => "`each`",
            Rule::parties | Rule::deadline_by | Rule::claim_by | Rule::kw_by => "`by`",
            Rule::kw_to => "`to`",
            Rule::after_clause | Rule::kw_after => "`after`",
            Rule::must_clause | Rule::kw_must => "`must`",
            Rule::must_not | Rule::kw_not | Rule::negation => "`not`",
            Rule::aggregate | Rule::kw_with => "`with`",
            Rule::agg_sum | Rule::kw_sum => "`sum`",
            Rule::agg_count | Rule::kw_count => "`count`",
            Rule::within_clause | Rule::kw_within => "`within`",
            Rule::look_back | Rule::kw_before => "`before`",
            Rule::between_clause | Rule::kw_between => "`between`",
            Rule::unless_clause | Rule::kw_unless => "`unless`",
            Rule::otherwise_clause | Rule::kw_otherwise => "`otherwise`",
            Rule::cond | Rule::cond_and | Rule::cond_not | Rule::cond_atom => "a condition",
            Rule::kw_and => "`and`",
            Rule::kw_or => "`or`",
            Rule::status_test | Rule::kw_is => "`is`",
            Rule::commitment_ref => "a commitment name",
            Rule::pattern => "an event pattern",
            Rule::constraint => "a field constraint",
            Rule::cmp_op => "a comparison (`:`, `=`, `!=`, `<`, `<=`, `>`, `>=`)",
            Rule::value => "a value",
            Rule::claim_clause => "a claim clause",
            Rule::clause => "a clause (`by`, `after`, `must`, `within`, `unless`, …)",
            Rule::claim_source | Rule::kw_source => "`source`",
            Rule::says | Rule::kw_says => "`says`",
            Rule::says_status => "`ID is STATUS`",
            Rule::selector => "`[`",
            Rule::binding => "a binding `var: value`",
            Rule::says_event => "an event pattern",
            Rule::happened | Rule::kw_happened => "`happened`",
            Rule::did_not_happen | Rule::kw_did => "`did not happen`",
            Rule::kw_happen => "`happen`",
            Rule::kw_on => "`on`",
            Rule::string | Rule::str_inner => "a string",
            Rule::number | Rule::amount => "a number",
            Rule::boolean => "`true` or `false`",
            Rule::time_lit | Rule::datetime | Rule::date => "a date or time",
            Rule::window_time => "a date, time or time param",
            Rule::clock => "a time of day",
            Rule::offset => "an offset",
            Rule::duration => "a duration",
            Rule::short_unit | Rule::long_unit => {
                "a unit (`s`, `m`, `h`, `d`, `w`, `days`, `business days`, …)"
            }
            Rule::word | Rule::ident | Rule::field_name => "a name",
            Rule::field_path => "a field name",
            Rule::keyword => "a keyword",
            Rule::lbrace => "`{`",
            Rule::rbrace => "`}`",
            Rule::rparen => "`)`",
            Rule::WHITESPACE | Rule::COMMENT | Rule::ident_char => return None,
        })
    }
}

/// Converts a pest error into a diagnostic at its byte offset.
pub(super) fn from_pest(
    source: SourceId,
    text: &str,
    err: pest::error::Error<Rule>,
) -> SyntaxError {
    use pest::error::{ErrorVariant, InputLocation};
    let (start, end) = match err.location {
        InputLocation::Pos(p) => (p, p),
        InputLocation::Span((s, e)) => (s, e),
    };
    let found = found_at(text, start);
    let end = if end > start {
        end
    } else {
        start + found_len(text, start)
    };
    // At the end of the file there is nothing to underline: point at the
    // last visible character instead, so the label is drawn.
    let trimmed = text.trim_end().len();
    let (start, end) = if start >= trimmed && trimmed > 0 {
        let width = text.trim_end().chars().last().map_or(1, char::len_utf8);
        (trimmed - width, trimmed)
    } else {
        (start, end)
    };
    let expected = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut words: Vec<&str> = positives.iter().filter_map(|r| r.describe()).collect();
            words.sort_unstable();
            words.dedup();
            join_or(&words)
        }
        ErrorVariant::CustomError { message } => message.clone(),
    };
    SyntaxError::Unexpected {
        expected,
        span: Span::new(source, start, end),
        found,
    }
}

fn join_or(words: &[&str]) -> String {
    match words {
        [] => "something else".to_string(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

fn found_len(text: &str, at: usize) -> usize {
    let rest = text.get(at..).unwrap_or("");
    let word: usize = rest
        .char_indices()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
        .map(|(_, c)| c.len_utf8())
        .sum();
    if word > 0 {
        word
    } else {
        rest.chars().next().map_or(0, char::len_utf8)
    }
}

fn found_at(text: &str, at: usize) -> String {
    let rest = text.get(at..).unwrap_or("");
    match rest.chars().next() {
        None => "end of file".to_string(),
        Some(_) => {
            let n = found_len(text, at);
            let word = rest.get(..n).unwrap_or("");
            if word.trim().is_empty() {
                "unexpected character".to_string()
            } else {
                format!("found `{word}`")
            }
        }
    }
}
