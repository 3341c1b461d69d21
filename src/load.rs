//! Loading: rule paths (files or folders) → parsed files, following
//! `import`s (relative to the importing file, each file once, cycles refused).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::ast;
use crate::diagnostics::Diagnostics;
use crate::error::RunError;
use crate::resolve::ResolveError;
use crate::source::{SourceId, SourceMap};
use crate::span::Span;
use crate::syntax;

/// Every rule file of a run, parsed, in load order (imports before importers).
#[derive(Debug, Default)]
pub struct Loaded {
    /// The files' texts, for diagnostics and reports.
    pub sources: SourceMap,
    /// The syntax trees.
    pub files: Vec<(SourceId, ast::File)>,
    /// The files each file imports (those loaded), by source.
    pub imports: HashMap<SourceId, Vec<SourceId>>,
}

/// Reads and parses the rule files named by `paths` (a folder stands for its
/// `*.pacta` files, sorted by name). Diagnostics of every file are collected.
pub fn load_rules(paths: &[PathBuf]) -> Result<Loaded, (SourceMap, Diagnostics)> {
    let mut l = Loader::default();
    for path in paths {
        if path.is_dir() {
            match rule_files_in(path) {
                Ok(files) if files.is_empty() => l.diags.push(RunError::Input {
                    message: format!("no `*.pacta` files in folder `{}`", display(path)),
                    help: "give a rule file, or a folder that holds some".into(),
                }),
                Ok(files) => {
                    for f in files {
                        l.load(&f, None, &mut Vec::new());
                    }
                }
                Err(e) => l.diags.push(RunError::Input {
                    message: format!("cannot read folder `{}`: {e}", display(path)),
                    help: "check the path and its permissions".into(),
                }),
            }
        } else {
            l.load(path, None, &mut Vec::new());
        }
    }
    if l.diags.is_empty() {
        Ok(Loaded {
            sources: l.sources,
            files: l.files,
            imports: l.imports,
        })
    } else {
        Err((l.sources, l.diags))
    }
}

/// Loads rule text that is already in memory (tests, `-` for stdin).
pub fn load_text(name: &str, text: &str) -> Result<Loaded, (SourceMap, Diagnostics)> {
    let mut sources = SourceMap::new();
    let id = sources.add(name, text);
    sources.set_root(id);
    match syntax::parse_file(id, text) {
        Ok(file) => Ok(Loaded {
            sources,
            files: vec![(id, file)],
            imports: HashMap::new(),
        }),
        Err(d) => Err((sources, d)),
    }
}

fn rule_files_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.is_file() && p.extension().is_some_and(|e| e == "pacta") {
            files.push(p);
        }
    }
    files.sort();
    Ok(files)
}

/// A path as shown to users: as given, with `/` separators.
pub fn display(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

#[derive(Default)]
struct Loader {
    sources: SourceMap,
    files: Vec<(SourceId, ast::File)>,
    diags: Diagnostics,
    /// Canonical path → source id, so each file is loaded once.
    seen: HashMap<PathBuf, SourceId>,
    imports: HashMap<SourceId, Vec<SourceId>>,
}

impl Loader {
    /// Loads one file and, first, what it imports. `stack` holds the files
    /// being loaded, to detect cycles.
    fn load(&mut self, path: &Path, imported_at: Option<Span>, stack: &mut Vec<(PathBuf, String)>) {
        let canon = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if let Some(pos) = stack.iter().position(|(p, _)| *p == canon) {
            if let Some(span) = imported_at {
                let mut chain: Vec<String> = stack
                    .iter()
                    .skip(pos)
                    .map(|(_, n)| format!("`{n}`"))
                    .collect();
                chain.push(format!("`{}`", display(path)));
                self.diags.push(ResolveError::ImportCycle {
                    chain: chain.join(" → "),
                    span,
                });
            }
            return;
        }
        if self.seen.contains_key(&canon) {
            return;
        }
        let text = match read_rule_file(path) {
            Ok(t) => t,
            Err(reason) => {
                match imported_at {
                    Some(span) => self.diags.push(ResolveError::Import {
                        path: display(path),
                        reason,
                        span,
                    }),
                    None => self.diags.push(RunError::Input {
                        message: format!("cannot read rule file `{}`: {reason}", display(path)),
                        help: if reason.starts_with("not UTF-8") {
                            "rule files are UTF-8 text: save the file as UTF-8".into()
                        } else {
                            "check the path; a folder stands for the `*.pacta` files in it".into()
                        },
                    }),
                }
                return;
            }
        };
        let name = display(path);
        let id = self.sources.add(name.clone(), text.as_str());
        if imported_at.is_none() {
            self.sources.set_root(id);
        }
        self.seen.insert(canon.clone(), id);
        let file = match syntax::parse_file(id, &text) {
            Ok(f) => f,
            Err(d) => {
                self.diags.append(d);
                return;
            }
        };
        stack.push((canon, name));
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut imported = Vec::new();
        for item in &file.items {
            if let ast::Item::Import(s) = item {
                let target = base.join(&s.value);
                self.load(&target, Some(s.span), stack);
                let canon = std::fs::canonicalize(&target).unwrap_or(target);
                if let Some(&t) = self.seen.get(&canon) {
                    imported.push(t);
                }
            }
        }
        self.imports.insert(id, imported);
        stack.pop();
        self.files.push((id, file));
    }
}

/// Largest rule file read, in bytes (a rule file is written by people;
/// anything larger is a mistake such as `/dev/zero`).
pub const MAX_RULE_FILE: u64 = 64 << 20;

/// Reads a rule file as UTF-8, refusing other encodings with the byte offset.
fn read_rule_file(path: &Path) -> Result<String, String> {
    if path.is_dir() {
        return Err("it is a folder".into());
    }
    use std::io::Read as _;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(MAX_RULE_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_RULE_FILE {
        return Err(format!("larger than {} MiB", MAX_RULE_FILE >> 20));
    }
    String::from_utf8(bytes).map_err(|e| {
        // Where, as a reader finds it: line and column of the first bad
        // byte (the text before it is valid UTF-8).
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        let before = bytes.get(..at).unwrap_or_default();
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        let column = std::str::from_utf8(before.get(line_start..).unwrap_or_default())
            .map_or(1, |s| s.chars().count() + 1);
        format!("not UTF-8 at {}:{line}:{column} (byte {at})", display(path))
    })
}
