//! Errors found while resolving names and types.

use miette::Diagnostic;
use thiserror::Error;

use crate::diagnostics::Located;
use crate::source::SourceId;
use crate::span::Span;

/// A rule file that parses but does not make sense.
#[derive(Debug, Error, Diagnostic)]
pub enum ResolveError {
    /// `timezone` names no IANA zone.
    #[error("unknown time zone `{name}`")]
    #[diagnostic(
        code(pacta::resolve::unknown_timezone),
        help("use an IANA name such as `Europe/Istanbul`, `America/New_York` or `UTC`")
    )]
    UnknownTimezone {
        /// The name.
        name: String,
        /// Where.
        #[label("not in the time-zone database")]
        span: Span,
    },
    /// `timezone` not first, or twice.
    #[error("`timezone` must come first, once per file")]
    #[diagnostic(
        code(pacta::resolve::misplaced_timezone),
        help(
            "move the `timezone` line to the top of the file; times above it would be read in UTC"
        )
    )]
    MisplacedTimezone {
        /// Where.
        #[label("misplaced `timezone`")]
        span: Span,
    },
    /// A name declared twice.
    #[error("{what} `{name}` is declared twice")]
    #[diagnostic(code(pacta::resolve::duplicate_name), help("{help}"))]
    Duplicate {
        /// `party`, `event`, …
        what: &'static str,
        /// The name.
        name: String,
        /// The second declaration.
        #[label("declared again here")]
        span: Span,
        /// The first declaration, when in the same file.
        #[label("first declared here")]
        first: Option<Span>,
        /// Help text naming the first place.
        help: String,
        /// The first declaration, when in another file.
        #[related]
        elsewhere: Vec<FirstDeclared>,
    },
    /// A name that is not declared.
    #[error("undeclared {what} `{name}`")]
    #[diagnostic(code(pacta::resolve::undeclared), help("{help}"))]
    Undeclared {
        /// `party`, `event`, `field`, `commitment`, …
        what: &'static str,
        /// The name.
        name: String,
        /// Where it is used.
        #[label("not declared")]
        span: Span,
        /// What is declared instead.
        help: String,
    },
    /// A field type that does not exist.
    #[error("unknown type `{name}`")]
    #[diagnostic(
        code(pacta::resolve::unknown_type),
        help("field types are `party`, `id`, `text`, `int`, `number`, `bool` and `time`")
    )]
    UnknownType {
        /// The name.
        name: String,
        /// Where.
        #[label("not a type")]
        span: Span,
    },
    /// A value of the wrong type for its field.
    #[error("field `{field}` is `{expected}`, but the value is {found}")]
    #[diagnostic(code(pacta::resolve::wrong_type), help("{help}"))]
    WrongType {
        /// The field.
        field: String,
        /// The field's type.
        expected: &'static str,
        /// What was written.
        found: String,
        /// The value.
        #[label("expected `{expected}`")]
        span: Span,
        /// How to fix it.
        help: String,
    },
    /// A clause the block needs is missing.
    #[error("{what} `{name}` has no `{clause}` clause")]
    #[diagnostic(code(pacta::resolve::missing_clause), help("{help}"))]
    Missing {
        /// `commitment` or `claim`.
        what: &'static str,
        /// Its id.
        name: String,
        /// The missing clause.
        clause: &'static str,
        /// The block's name.
        #[label("needs `{clause}`")]
        span: Span,
        /// What to add.
        help: String,
    },
    /// A construct that is not allowed where it is.
    #[error("{message}")]
    #[diagnostic(code(pacta::resolve::invalid), help("{help}"))]
    Invalid {
        /// What is wrong.
        message: String,
        /// Where.
        #[label("{label}")]
        span: Span,
        /// The label.
        label: String,
        /// How to fix it.
        help: String,
    },
    /// A `for each` variable that the trigger never binds.
    #[error("variable `{name}` is never bound")]
    #[diagnostic(code(pacta::resolve::unbound_variable), help("{help}"))]
    Unbound {
        /// The variable.
        name: String,
        /// Its declaration.
        #[label("declared here, but no pattern binds it")]
        span: Span,
        /// How to bind it.
        help: String,
    },
    /// An imported file that cannot be read.
    #[error("cannot read `{path}`: {reason}")]
    #[diagnostic(
        code(pacta::resolve::import),
        help("import paths are relative to the importing file")
    )]
    Import {
        /// The path.
        path: String,
        /// Why.
        reason: String,
        /// The import.
        #[label("imported here")]
        span: Span,
    },
    /// A file that imports itself, directly or not.
    #[error("import cycle: {chain}")]
    #[diagnostic(
        code(pacta::resolve::import_cycle),
        help("move the shared declarations into a third file that both import")
    )]
    ImportCycle {
        /// The files on the cycle.
        chain: String,
        /// The import closing the cycle.
        #[label("this import leads back here")]
        span: Span,
    },
}

/// Where a name was first declared, drawn in its own file.
#[derive(Debug, Error, Diagnostic)]
#[error("`{name}` is first declared in `{file}`")]
#[diagnostic(severity(Advice))]
pub struct FirstDeclared {
    /// The name.
    pub name: String,
    /// That file's name.
    pub file: String,
    /// The first declaration.
    #[label("first declared here")]
    pub span: Span,
}

impl Located for FirstDeclared {
    fn source_id(&self) -> Option<SourceId> {
        Some(self.span.source)
    }
}

impl Located for ResolveError {
    fn related_located(&self) -> Vec<&dyn Located> {
        match self {
            ResolveError::Duplicate { elsewhere, .. } => {
                elsewhere.iter().map(|f| f as &dyn Located).collect()
            }
            _ => Vec::new(),
        }
    }

    fn source_id(&self) -> Option<SourceId> {
        Some(match self {
            ResolveError::UnknownTimezone { span, .. }
            | ResolveError::MisplacedTimezone { span }
            | ResolveError::Duplicate { span, .. }
            | ResolveError::Undeclared { span, .. }
            | ResolveError::UnknownType { span, .. }
            | ResolveError::WrongType { span, .. }
            | ResolveError::Missing { span, .. }
            | ResolveError::Invalid { span, .. }
            | ResolveError::Unbound { span, .. }
            | ResolveError::Import { span, .. }
            | ResolveError::ImportCycle { span, .. } => span.source,
        })
    }
}
