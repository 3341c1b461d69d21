//! Comments for the formatter. The grammar drops `//` comments, so they are
//! found here by scanning the text (minding strings, where `//` is not a
//! comment), then attached to the output line they belong to: an own-line
//! comment to the next item or clause after it, a trailing comment to the
//! item or clause that ends on its line.

use std::collections::HashMap;

/// One `//` comment of the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Comment {
    /// Byte offset of the `//`.
    pub start: usize,
    /// Byte offset just past its last non-blank character.
    pub end: usize,
    /// The comment, `//` included, trailing blanks removed.
    pub text: String,
    /// Nothing but blanks before it on its line.
    pub own_line: bool,
    /// A blank line follows it before the next token or comment.
    pub blank_after: bool,
}

/// Whitespace as the grammar sees it (a byte-order mark included).
pub(super) fn is_blank(c: char) -> bool {
    c.is_whitespace() || c == '\u{FEFF}'
}

/// True when `s` holds a line made only of blanks, between two newlines.
pub(super) fn has_blank_line(s: &str) -> bool {
    let mut parts = s.split('\n');
    parts.next();
    let mut middle: Vec<&str> = parts.collect();
    middle.pop();
    middle.iter().any(|l| l.chars().all(is_blank))
}

/// Every `//` comment of `text`, in source order.
pub(super) fn scan(text: &str) -> Vec<Comment> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    let mut in_string = false;
    while let Some((i, c)) = chars.next() {
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' | '\n' => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if c == '/' && chars.peek().map(|&(_, n)| n) == Some('/') {
            let rest = text.get(i..).unwrap_or("");
            let line_len = rest.find('\n').unwrap_or(rest.len());
            let body = rest
                .get(..line_len)
                .unwrap_or("")
                .trim_end_matches(is_blank);
            let end = i + body.len();
            let line_start = text
                .get(..i)
                .and_then(|b| b.rfind('\n'))
                .map_or(0, |n| n + 1);
            let own_line = text
                .get(line_start..i)
                .is_some_and(|b| b.chars().all(is_blank));
            let after = text.get(end..).unwrap_or("");
            let gap_len = after.find(|c: char| !is_blank(c)).unwrap_or(0);
            let blank_after = has_blank_line(after.get(..gap_len).unwrap_or(""));
            out.push(Comment {
                start: i,
                end,
                text: body.to_string(),
                own_line,
                blank_after,
            });
            while chars.peek().is_some_and(|&(j, _)| j < i + line_len) {
                chars.next();
            }
        }
    }
    out
}

/// What a unit of the output is, to tell apart units with equal spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Role {
    /// A top-level item.
    Item,
    /// The `commitment ID "title" {` line of a block.
    Header,
    /// A clause of a block.
    Clause,
    /// A date of `holidays` or a field of `event`.
    Element,
    /// The `}`, `]` or `)` that closes a block or list.
    Close,
    /// The end of the file.
    Eof,
}

/// Identifies one unit of the output: its role and source byte range.
pub(super) type Key = (Role, usize, usize);

/// A unit of the output and, for blocks and lists, the units inside it
/// (sorted by source position, the closing bracket last).
#[derive(Clone, Debug)]
pub(super) struct Node {
    /// The unit.
    pub key: Key,
    /// Units inside it; empty for a leaf.
    pub children: Vec<Node>,
}

impl Node {
    /// A unit with nothing inside.
    pub fn leaf(role: Role, start: usize, end: usize) -> Node {
        Node {
            key: (role, start, end),
            children: Vec::new(),
        }
    }

    fn start(&self) -> usize {
        self.key.1
    }

    fn end(&self) -> usize {
        self.key.2
    }
}

/// The comments attached to one unit.
#[derive(Clone, Debug, Default)]
pub(super) struct Attached {
    /// Printed on their own lines before the unit.
    pub leading: Vec<Comment>,
    /// Printed at the end of the unit's (last) line.
    pub trailing: Option<Comment>,
}

/// Every comment of a file, by the unit it is attached to.
#[derive(Debug, Default)]
pub(super) struct Comments {
    map: HashMap<Key, Attached>,
}

impl Comments {
    /// Attaches each comment to a unit of the tree rooted at `root`.
    pub fn attach(text: &str, root: &Node, comments: Vec<Comment>) -> Comments {
        let mut map: HashMap<Key, Attached> = HashMap::new();
        for c in comments {
            let (key, trailing) = place(text, root, &c);
            let slot = map.entry(key).or_default();
            if trailing && slot.trailing.is_none() {
                slot.trailing = Some(c);
            } else {
                slot.leading.push(c);
            }
        }
        Comments { map }
    }

    /// Own-line comments before a unit.
    pub fn leading(&self, key: Key) -> &[Comment] {
        self.map.get(&key).map_or(&[], |a| a.leading.as_slice())
    }

    /// The comment at the end of a unit's line.
    pub fn trailing(&self, key: Key) -> Option<&Comment> {
        self.map.get(&key).and_then(|a| a.trailing.as_ref())
    }

    /// True when any comment is attached to the unit.
    pub fn has_any(&self, key: Key) -> bool {
        self.map
            .get(&key)
            .is_some_and(|a| !a.leading.is_empty() || a.trailing.is_some())
    }
}

/// The unit a comment belongs to, and whether it trails that unit's line.
/// INVARIANT: a node's children do not overlap and are sorted by position,
/// so each lookup is a binary search.
fn place(text: &str, node: &Node, c: &Comment) -> (Key, bool) {
    let kids = &node.children;
    let containing = kids
        .partition_point(|ch| ch.start() <= c.start)
        .checked_sub(1)
        .and_then(|i| kids.get(i))
        .filter(|ch| c.end <= ch.end());
    if let Some(inside) = containing {
        // A comment inside a leaf (a clause broken over lines) goes before it.
        if inside.children.is_empty() {
            return (inside.key, false);
        }
        return place(text, inside, c);
    }
    if !c.own_line {
        let before = kids
            .partition_point(|ch| ch.end() <= c.start)
            .checked_sub(1)
            .and_then(|i| kids.get(i));
        if let Some(prev) = before {
            let same_line = text
                .get(prev.end()..c.start)
                .is_some_and(|gap| !gap.contains('\n'));
            if same_line {
                return (prev.key, true);
            }
        }
    }
    match kids.get(kids.partition_point(|ch| ch.start() < c.end)) {
        Some(next) => (next.key, false),
        // INVARIANT: every container ends with a closing unit (or the end
        // of the file), so this is not reached; keep the comment anyway.
        None => (node.key, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_in_strings_are_not_comments() {
        let text = "party a \"x // y\" // real\n// own\nparty b \"\\\"//\"";
        let found: Vec<String> = scan(text).into_iter().map(|c| c.text).collect();
        assert_eq!(found, vec!["// real".to_string(), "// own".to_string()]);
    }

    #[test]
    fn own_line_and_blank_after() {
        let text = "// a\n\n  // b   \nparty x // c\n";
        let found = scan(text);
        let flags: Vec<(bool, bool)> = found.iter().map(|c| (c.own_line, c.blank_after)).collect();
        assert_eq!(flags, vec![(true, true), (true, false), (false, false)]);
        assert_eq!(found.get(1).map(|c| c.text.as_str()), Some("// b"));
    }

    #[test]
    fn blank_lines() {
        assert!(has_blank_line("\n\n"));
        assert!(has_blank_line(" \n \t \n "));
        assert!(!has_blank_line(" \n "));
        assert!(!has_blank_line(""));
    }
}
