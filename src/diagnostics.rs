//! A list of diagnostics from any phase, and their rendering with the rule
//! file's text attached at the edge (spans carry only a [`SourceId`]).

use std::fmt;

use miette::{Diagnostic, NamedSource};

use crate::source::{SourceId, SourceMap};

/// A diagnostic that knows which rule file its labels point into.
pub trait Located: Diagnostic + Send + Sync + 'static {
    /// The file the labels point into; `None` when the error has no span.
    fn source_id(&self) -> Option<SourceId>;

    /// Related diagnostics that point into other files (drawn with their own file).
    fn related_located(&self) -> Vec<&dyn Located> {
        Vec::new()
    }
}

/// Every diagnostic of a run, in the order found.
#[derive(Default)]
pub struct Diagnostics(Vec<Box<dyn Located>>);

impl fmt::Debug for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|d| d.to_string()))
            .finish()
    }
}

/// Most diagnostics drawn in full by [`Diagnostics::render`].
pub const MAX_RENDERED: usize = 50;

/// Source lines longer than this are not drawn in snippets (the location
/// is given in the message instead), so a hostile file cannot flood a terminal.
pub const MAX_SNIPPET_LINE: usize = 400;

/// How to draw diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    /// Unicode, no colour: stable across machines (used by tests and pipes).
    Plain,
    /// Unicode with ANSI colour, for a terminal.
    Colour,
}

impl Diagnostics {
    /// No diagnostics.
    pub fn new() -> Diagnostics {
        Diagnostics(Vec::new())
    }

    /// Adds one.
    pub fn push(&mut self, d: impl Located) {
        self.0.push(Box::new(d));
    }

    /// Moves all of `other` to the end of this list.
    pub fn append(&mut self, mut other: Diagnostics) {
        self.0.append(&mut other.0);
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Each diagnostic's one-line message.
    pub fn messages(&self) -> Vec<String> {
        self.0.iter().map(|d| d.to_string()).collect()
    }

    /// The diagnostics' codes (`pacta::resolve::undeclared_party`, …).
    pub fn codes(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|d| d.code().map(|c| c.to_string()).unwrap_or_default())
            .collect()
    }

    /// Renders the diagnostics with their source snippets, 100 columns
    /// wide; past [`MAX_RENDERED`] only a count of the rest is given.
    pub fn render(&self, sources: &SourceMap, theme: Theme) -> String {
        let mut out = String::new();
        for d in self.0.iter().take(MAX_RENDERED) {
            let wrapped = WithSource::new(d.as_ref(), sources);
            render_one(&wrapped, theme, &mut out);
        }
        if self.0.len() > MAX_RENDERED {
            out.push_str(&format!(
                "… and {} more diagnostics not shown\n",
                self.0.len() - MAX_RENDERED
            ));
        }
        out
    }
}

#[cfg(feature = "fancy")]
fn render_one(d: &dyn Diagnostic, theme: Theme, out: &mut String) {
    use miette::{GraphicalReportHandler, GraphicalTheme};
    let theme = match theme {
        Theme::Plain => GraphicalTheme::unicode_nocolor(),
        Theme::Colour => GraphicalTheme::unicode(),
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_wrap_lines(false);
    if handler.render_report(out, d).is_err() {
        out.push_str(&d.to_string());
    }
    out.push('\n');
}

#[cfg(not(feature = "fancy"))]
fn render_one(d: &dyn Diagnostic, _theme: Theme, out: &mut String) {
    let handler = miette::NarratableReportHandler::new();
    if handler.render_report(out, d).is_err() {
        out.push_str(&d.to_string());
    }
    out.push('\n');
}

/// A diagnostic with its rule file attached, for rendering.
struct WithSource<'a> {
    inner: &'a dyn Located,
    related: Vec<WithSource<'a>>,
    source: Option<NamedSource<String>>,
    /// `file:line:col` when the snippet is not drawn.
    location: Option<String>,
}

impl<'a> WithSource<'a> {
    fn new(inner: &'a dyn Located, sources: &SourceMap) -> WithSource<'a> {
        let file = inner
            .source_id()
            .and_then(|id| sources.get(id).map(|f| (id, f)));
        let first = inner
            .labels()
            .and_then(|mut l| l.next())
            .map(|l| l.offset());
        let (mut source, mut location) = (None, None);
        if let Some((id, f)) = file {
            let at = first.unwrap_or(0).min(f.text.len());
            let line_start = f
                .text
                .get(..at)
                .and_then(|b| b.rfind('\n'))
                .map_or(0, |i| i + 1);
            let line_len = f
                .text
                .get(line_start..)
                .map_or(0, |r| r.find('\n').unwrap_or(r.len()));
            if line_len > MAX_SNIPPET_LINE {
                let span = crate::span::Span::new(id, at, at);
                location = Some(sources.location(span));
            } else {
                source = Some(NamedSource::new(f.name.clone(), f.text.to_string()));
            }
        }
        WithSource {
            inner,
            related: inner
                .related_located()
                .into_iter()
                .map(|r| WithSource::new(r, sources))
                .collect(),
            source,
            location,
        }
    }
}

impl fmt::Debug for WithSource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.inner, f)
    }
}

impl fmt::Display for WithSource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.inner, f)?;
        if let Some(loc) = &self.location {
            write!(f, " (at {loc}; the line is too long to show)")?;
        }
        Ok(())
    }
}

impl std::error::Error for WithSource<'_> {}

impl Diagnostic for WithSource<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.inner.code()
    }
    fn severity(&self) -> Option<miette::Severity> {
        self.inner.severity()
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.inner.help()
    }
    fn url<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.inner.url()
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn Diagnostic> + 'b>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)))
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        if self.source.is_some() {
            self.inner.labels()
        } else {
            None
        }
    }
}
