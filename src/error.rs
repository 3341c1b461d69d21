//! Errors that belong to no rule-file span: unreadable paths, bad
//! arguments, bad log lines. They render as diagnostics too, so the CLI
//! prints every failure the same way and exits with status 2.

use miette::Diagnostic;
use thiserror::Error;

use crate::diagnostics::Located;
use crate::source::SourceId;

/// A run that cannot be made for a reason outside the rule files' text.
#[derive(Debug, Error, Diagnostic)]
pub enum RunError {
    /// A path, argument or input that cannot be used.
    #[error("{message}")]
    #[diagnostic(code(pacta::input), help("{help}"))]
    Input {
        /// What is wrong, naming the file.
        message: String,
        /// How to fix it.
        help: String,
    },
    /// A bad line in an event log.
    #[error("{file}:{line}{}: {message}", column.map(|c| format!(":{c}")).unwrap_or_default())]
    #[diagnostic(code(pacta::log), help("{help}"))]
    Log {
        /// The log.
        file: String,
        /// 1-based line.
        line: u64,
        /// 1-based column, when known.
        column: Option<u64>,
        /// What is wrong.
        message: String,
        /// How to fix it.
        help: String,
    },
}

impl Located for RunError {
    fn source_id(&self) -> Option<SourceId> {
        None
    }
}
