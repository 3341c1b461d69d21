//! Formatting (`pacta fmt`): rule-file text → the same rules in canonical
//! layout. Sits beside the `check` pipeline and reuses its first phase:
//! `parse → print`, then a safety check that the output parses to the same
//! syntax tree (spans aside) and keeps every comment.
//!
//! The layout: `timezone` first, then the items in their written order, one
//! declaration per line; a blank line around every block and between
//! declarations of different kinds (blank lines between declarations of one
//! kind are kept, squeezed to one); clauses indented by four spaces in the
//! canonical order (`for each`, `by … to …`, `after`, `must`, the window,
//! `unless`, `otherwise`; for claims `by … on …`, `source`, `says`);
//! conditions with the fewest parentheses; strings re-escaped; numbers,
//! times and durations as written. Comments stay with the line they were
//! written on or above.

mod comments;
mod print;

use miette::Diagnostic;
use thiserror::Error;

use crate::Failure;
use crate::ast;
use crate::diagnostics::{Diagnostics, Located};
use crate::source::{SourceId, SourceMap};
use crate::syntax;

use comments::{Comments, Node, Role};
use print::{Locator, Printer, canonical_order};

/// Problems of the formatter itself (a file that does not parse is reported
/// with the parser's own diagnostics).
#[derive(Debug, Error, Diagnostic)]
pub enum FmtError {
    /// The formatted text would not mean the same as the input: a bug in
    /// the formatter. The file is left as it is.
    #[error("formatting `{name}` would change its meaning, so it was left as is")]
    #[diagnostic(
        code(pacta::fmt::unstable),
        help("this is a bug in `pacta fmt` ({reason}); please report it with the file")
    )]
    Unstable {
        /// The file's name.
        name: String,
        /// What differed.
        reason: String,
    },
}

impl Located for FmtError {
    fn source_id(&self) -> Option<SourceId> {
        None
    }
}

/// Formats one rule file. `name` is how the file is shown in diagnostics.
///
/// Returns the canonical text (ending with one newline; empty for a file
/// with nothing in it). A file that does not parse gives back the parse
/// diagnostics, with a [`SourceMap`] holding the file so they can be
/// rendered. The result is checked before it is returned: it must parse to
/// the same syntax tree (spans aside) and keep every comment, or a
/// [`FmtError::Unstable`] is returned instead and nothing should be written.
pub fn format_source(name: &str, text: &str) -> Result<String, Failure> {
    let mut sources = SourceMap::new();
    let id = sources.add(name, text);
    let file = match syntax::parse_file(id, text) {
        Ok(f) => f,
        Err(diags) => return Err(Failure { sources, diags }),
    };
    let out = format_parsed(text, &file);
    if let Err(reason) = same_meaning(text, &file, &out) {
        let mut diags = Diagnostics::new();
        diags.push(FmtError::Unstable {
            name: name.to_string(),
            reason,
        });
        return Err(Failure { sources, diags });
    }
    Ok(out)
}

/// True when `text` is already formatted (`pacta fmt --check`). A file that
/// does not parse gives back its diagnostics, as [`format_source`] does.
pub fn is_formatted(name: &str, text: &str) -> Result<bool, Failure> {
    format_source(name, text).map(|out| out == text)
}

/// The first line (1-based) where `formatted` differs from `original`, for
/// `pacta fmt --check` messages; `None` when they are equal.
pub fn first_changed_line(original: &str, formatted: &str) -> Option<usize> {
    if original == formatted {
        return None;
    }
    let mut a = original.split('\n');
    let mut b = formatted.split('\n');
    let mut line = 1;
    loop {
        match (a.next(), b.next()) {
            (Some(x), Some(y)) if x == y => line += 1,
            _ => return Some(line),
        }
    }
}

/// Prints a parsed file; `text` must be the text it was parsed from.
fn format_parsed(text: &str, file: &ast::File) -> String {
    let found = comments::scan(text);
    let loc = Locator::new(text, &found);
    let items: Vec<(usize, &ast::Item, Node)> = canonical_order(&file.items)
        .into_iter()
        .map(|(i, item)| (i, item, loc.item(item)))
        .collect();
    // The tree comments attach to: items as written, then the end of file.
    let mut children: Vec<Node> = items.iter().map(|(_, _, n)| n.clone()).collect();
    children.sort_by_key(|n| n.key.1);
    children.push(Node::leaf(Role::Eof, text.len(), text.len()));
    let root = Node {
        key: (Role::Item, 0, text.len()),
        children,
    };
    let attached = Comments::attach(text, &root, found.clone());
    Printer::new(text, &loc, &attached).file(&items)
}

/// Checks that `out` parses to the same items as `file` (in canonical
/// order, spans aside) and holds the same comments as `text`.
fn same_meaning(text: &str, file: &ast::File, out: &str) -> Result<(), String> {
    let again = syntax::parse_file(SourceId::default(), out)
        .map_err(|d| format!("the output does not parse: {}", d.messages().join("; ")))?;
    if shape(file) != shape(&again) {
        return Err("the output parses to a different syntax tree".into());
    }
    let mut before: Vec<String> = comments::scan(text).into_iter().map(|c| c.text).collect();
    let mut after: Vec<String> = comments::scan(out).into_iter().map(|c| c.text).collect();
    before.sort();
    after.sort();
    if before != after {
        return Err(format!("{} comments in, {} out", before.len(), after.len()));
    }
    Ok(())
}

/// A rendering of the items in canonical order with every span removed.
fn shape(file: &ast::File) -> String {
    let items: Vec<&ast::Item> = canonical_order(&file.items)
        .into_iter()
        .map(|(_, i)| i)
        .collect();
    strip_spans(&format!("{items:?}"))
}

/// Removes every `Span { … }` from a debug rendering.
fn strip_spans(debug: &str) -> String {
    const OPEN: &str = "Span { source: ";
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug;
    while let Some(i) = rest.find(OPEN) {
        out.push_str(rest.get(..i).unwrap_or(""));
        let tail = rest.get(i..).unwrap_or("");
        match tail.find(" }") {
            Some(j) => rest = tail.get(j + 2..).unwrap_or(""),
            None => {
                rest = tail;
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "test code")]

    use super::*;

    fn fmt(text: &str) -> String {
        let out = format_source("test.pacta", text).unwrap();
        assert_eq!(
            format_source("test.pacta", &out).unwrap(),
            out,
            "not idempotent"
        );
        out
    }

    #[test]
    fn declarations_one_per_line_timezone_first() {
        let out = fmt("party a   \"A\" party b\ntimezone \"UTC\" event e(x: id,y:int)");
        insta::assert_snapshot!(out, @r#"
        timezone "UTC"

        party a "A"
        party b

        event e(x: id, y: int)
        "#);
    }

    #[test]
    fn party_names_on_consecutive_lines_are_aligned() {
        let out = fmt(
            "party a \"A\"\nparty longer \"L\"\nparty c\n\nparty d \"D\"\n// e\nparty eee \"E\"",
        );
        insta::assert_snapshot!(out, @r#"
        party a      "A"
        party longer "L"
        party c

        party d "D"
        // e
        party eee "E"
        "#);
    }

    #[test]
    fn clauses_in_canonical_order() {
        let out = fmt(
            "commitment c \"T\" { otherwise d unless x() within 2 days must e(order)\n after f(order: order) by a to b for each order }",
        );
        insta::assert_snapshot!(out, @r#"
        commitment c "T" {
            for each order
            by a to b
            after f(order)
            must e(order)
            within 2 days
            unless x()
            otherwise d
        }
        "#);
    }

    #[test]
    fn conditions_keep_their_tree_with_fewest_parentheses() {
        let out = fmt(
            "commitment c { by a after ((a and b) or (c and not (d or e))) and (f or (g or h)) must x() }",
        );
        insta::assert_snapshot!(out, @r"
        commitment c {
            by a
            after (a and b or c and not (d or e)) and (f or (g or h))
            must x()
        }
        ");
    }

    #[test]
    fn strings_are_re_escaped_and_literals_kept() {
        let out = fmt(
            "party a \"tab\\there \\u{e9} \\\"q\\\"\" param p = 5   business\tdays param n = 100.10 param t = 2025-05-23 18:00",
        );
        insta::assert_snapshot!(out, @r#"
        party a "tab\there é \"q\""

        param p = 5 business days
        param n = 100.10
        param t = 2025-05-23 18:00
        "#);
    }

    #[test]
    fn comments_stay_with_their_lines() {
        let out = fmt(concat!(
            "// head\n\n",
            "party a // trailing a\n",
            "// before b\n",
            "party b\n",
            "commitment c { // on header\n",
            "  // before by\n",
            "  by a   // after by\n",
            "  must x(a, // inside must\n",
            "     b)\n",
            "  // before close\n",
            "} // after close\n",
            "// the end\n",
        ));
        insta::assert_snapshot!(out, @r"
        // head

        party a  // trailing a
        // before b
        party b

        commitment c {  // on header
            // before by
            by a  // after by
            // inside must
            must x(a, b)
            // before close
        }  // after close
        // the end
        ");
    }

    #[test]
    fn lists_break_when_commented_or_long() {
        let out = fmt(
            "event e(a: id, // the a\n b: int)\nholidays [2025-01-01, 2025-01-02, 2025-01-03, 2025-01-04, 2025-01-05, 2025-01-06, 2025-01-07, 2025-01-08, 2025-01-09]",
        );
        insta::assert_snapshot!(out, @r"
        event e(
            a: id,  // the a
            b: int,
        )

        holidays [
            2025-01-01, 2025-01-02, 2025-01-03, 2025-01-04, 2025-01-05, 2025-01-06, 2025-01-07, 2025-01-08,
            2025-01-09,
        ]
        ");
    }

    #[test]
    fn tricky_comment_places_are_stable() {
        for text in [
            "commitment c { for // a\n each o by a after e(o) must e(o) within 1d }",
            "commitment c { by a after // a\n (x() or\n y()) // b\n must e() within 1d }",
            "commitment c { by a after (x() // a\n) must e() within 1d }",
            "commitment c // a\n \"t\" // b\n { // c\n by a // d\n must e() // e\n within 7 days before }",
            "claim k { // a\n by a on 2025-01-01 says e() happened }",
            "holidays [ // a\n ]\nevent e() // b",
            "holidays [2025-01-01 // a\n , 2025-01-02]",
            "event e( // a\n x: id // b\n , y: id // c\n ) // d",
            "party a\r\n// a\r\nparty b // b\r\n",
            "\u{feff}// bom\nparty a",
            "party a \"x\" // no newline at the end",
            "commitment c { by a after not not (x() and y()) must e() within 1d } commitment d { by b must e() }",
            "// a\n\n\n// b\n\nparty a\n\n\n// c\nparty b\nparty c\n\n\n\nparty d",
            "party a\ntimezone \"UTC\" // z\nparty b",
        ] {
            fmt(text);
        }
    }

    #[test]
    fn parse_errors_are_returned() {
        let err = format_source("bad.pacta", "party").unwrap_err();
        assert!(!err.diags.is_empty());
    }

    #[test]
    fn empty_file_stays_empty() {
        assert_eq!(fmt(""), "");
        assert_eq!(fmt("\n\n  // only\n\n"), "// only\n");
    }

    #[test]
    fn first_changed_line_counts_from_one() {
        assert_eq!(first_changed_line("a\nb\n", "a\nb\n"), None);
        assert_eq!(first_changed_line("a\nb\n", "a\nc\n"), Some(2));
    }

    #[test]
    fn strip_spans_removes_every_span() {
        let s = "Ident { name: \"a\", span: Span { source: SourceId(0), start: 1, end: 2 } }";
        assert_eq!(strip_spans(s), "Ident { name: \"a\", span:  }");
    }
}
