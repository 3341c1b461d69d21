//! The rule files and event logs of one run, by id, so spans and log
//! positions can be turned into `file:line` text and rendered snippets.

use std::sync::Arc;

/// Index of a rule file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SourceId(pub u32);

/// Index of an event log in a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct LogId(pub u32);

/// A position in an event log: the file and 1-based line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogRef {
    /// Which log.
    pub log: LogId,
    /// 1-based line number (for CSV, the line the record starts on).
    pub line: u32,
}

/// One rule file: its name as shown to users, and its text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Name as shown to users (the path as given, with `/` separators).
    pub name: String,
    /// The full text.
    pub text: Arc<str>,
    /// Byte offsets where lines start (for `line_col` in log time).
    line_starts: Arc<[u32]>,
}

/// Every rule file of a run, plus the names of the event logs.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    logs: Vec<String>,
    root: Option<SourceId>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a rule file and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<Arc<str>>) -> SourceId {
        let id = SourceId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        let text: Arc<str> = text.into();
        let line_starts: Arc<[u32]> = std::iter::once(0)
            .chain(
                text.bytes()
                    .enumerate()
                    .filter(|(_, b)| *b == b'\n')
                    .map(|(i, _)| u32::try_from(i + 1).unwrap_or(u32::MAX)),
            )
            .collect();
        self.files.push(SourceFile {
            name: name.into(),
            text,
            line_starts,
        });
        id
    }

    /// Marks the first rule file the user named (its zone is the report's).
    pub fn set_root(&mut self, id: SourceId) {
        if self.root.is_none() {
            self.root = Some(id);
        }
    }

    /// The first rule file the user named.
    pub fn root(&self) -> Option<SourceId> {
        self.root
    }

    /// Adds an event log name and returns its id.
    pub fn add_log(&mut self, name: impl Into<String>) -> LogId {
        let id = LogId(u32::try_from(self.logs.len()).unwrap_or(u32::MAX));
        self.logs.push(name.into());
        id
    }

    /// The file behind an id.
    pub fn get(&self, id: SourceId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// The name of a rule file (`?` for an unknown id).
    pub fn name(&self, id: SourceId) -> &str {
        self.get(id).map_or("?", |f| f.name.as_str())
    }

    /// How many logs have been added.
    pub fn log_count(&self) -> usize {
        self.logs.len()
    }

    /// The name of a log (`?` for an unknown id).
    pub fn log_name(&self, id: LogId) -> &str {
        self.logs.get(id.0 as usize).map_or("?", |s| s.as_str())
    }

    /// `file:line` of a log position.
    pub fn log_ref(&self, r: LogRef) -> String {
        format!("{}:{}", self.log_name(r.log), r.line)
    }

    /// 1-based line and column (in characters) of a byte offset in a rule file.
    pub fn line_col(&self, id: SourceId, offset: u32) -> (usize, usize) {
        let Some(file) = self.get(id) else {
            return (0, 0);
        };
        let offset = (offset as usize).min(file.text.len());
        let line = file
            .line_starts
            .partition_point(|s| (*s as usize) <= offset)
            .max(1);
        let start = file.line_starts.get(line - 1).map_or(0, |s| *s as usize);
        let col = file
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count())
            + 1;
        (line, col)
    }

    /// `file:line:col` of the start of a span.
    pub fn location(&self, span: crate::span::Span) -> String {
        let (line, col) = self.line_col(span.source, span.start);
        format!("{}:{}:{}", self.name(span.source), line, col)
    }

    /// The text a span covers (empty when out of range).
    pub fn snippet(&self, span: crate::span::Span) -> &str {
        self.get(span.source)
            .and_then(|f| f.text.get(span.start as usize..span.end as usize))
            .unwrap_or("")
    }

    /// All rule files, in id order.
    pub fn files(&self) -> impl Iterator<Item = (SourceId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (SourceId(u32::try_from(i).unwrap_or(u32::MAX)), f))
    }
}
