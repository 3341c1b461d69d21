//! The printer of the formatter: a parsed file and its attached comments →
//! canonical text. It also builds the tree of output units (items, block
//! headers, clauses, list elements, closing brackets) that comments are
//! attached to, since both need the same source ranges.

use super::comments::{Comment, Comments, Key, Node, Role, has_blank_line, is_blank};
use crate::ast::{
    Claim, CmpOp, Commitment, Cond, Constraint, DurationOrParam, EventDecl, Item, Must, ParamValue,
    Pattern, Says, Str, TimeLit, Value, Window,
};
use crate::span::Span;

/// Lines longer than this are broken (lists only).
const WIDTH: usize = 100;
/// Indentation of clauses and list elements.
const INDENT: usize = 4;

/// Top-level items in printing order: `timezone` first, the rest as written.
pub(super) fn canonical_order(items: &[Item]) -> Vec<(usize, &Item)> {
    let zones = items
        .iter()
        .enumerate()
        .filter(|(_, i)| matches!(i, Item::Timezone(_)));
    let rest = items
        .iter()
        .enumerate()
        .filter(|(_, i)| !matches!(i, Item::Timezone(_)));
    zones.chain(rest).collect()
}

/// Finds the source ranges of units whose keyword the AST does not keep.
pub(super) struct Locator<'a> {
    text: &'a str,
    comments: &'a [Comment],
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl<'a> Locator<'a> {
    pub fn new(text: &'a str, comments: &'a [Comment]) -> Locator<'a> {
        Locator { text, comments }
    }

    /// The comment that holds byte `pos` (`start <= pos < end`), if any.
    /// INVARIANT: comments are sorted by position and do not overlap.
    fn comment_at(&self, pos: usize) -> Option<&Comment> {
        let i = self.comments.partition_point(|c| c.start <= pos);
        i.checked_sub(1)
            .and_then(|i| self.comments.get(i))
            .filter(|c| pos < c.end)
    }

    fn in_comment(&self, pos: usize) -> bool {
        self.comment_at(pos).is_some()
    }

    /// Start of the keyword `kw` last written before `pos` (outside
    /// comments); `pos` itself when there is none.
    fn keyword_before(&self, pos: usize, kw: &str) -> usize {
        let hay = self.text.get(..pos).unwrap_or("");
        let mut end = hay.len();
        while let Some(i) = hay.get(..end).and_then(|h| h.rfind(kw)) {
            let before_ok = hay
                .get(..i)
                .and_then(|h| h.chars().next_back())
                .is_none_or(|c| !is_ident_char(c));
            let after_ok = hay
                .get(i + kw.len()..)
                .and_then(|h| h.chars().next())
                .is_none_or(|c| !is_ident_char(c));
            if before_ok && after_ok && !self.in_comment(i) {
                return i;
            }
            end = i;
        }
        pos
    }

    /// Offset of the first `ch` at or after `pos` outside comments.
    fn char_from(&self, pos: usize, ch: char) -> Option<usize> {
        let rest = self.text.get(pos..)?;
        rest.char_indices()
            .map(|(i, c)| (pos + i, c))
            .find(|&(i, c)| c == ch && !self.in_comment(i))
            .map(|(i, _)| i)
    }

    /// `end` moved past the closing parentheses that follow it (a condition's
    /// span leaves out the parentheses around it).
    fn past_parens(&self, mut end: usize) -> usize {
        loop {
            let rest = self.text.get(end..).unwrap_or("");
            let skip = rest.find(|c: char| !is_blank(c)).unwrap_or(rest.len());
            if rest.get(skip..).is_some_and(|r| r.starts_with(')')) {
                end += skip + 1;
            } else {
                return end;
            }
        }
    }

    /// `end` moved back over blanks and comments: pest spans of rules that
    /// end in an optional part take in the trivia skipped before it.
    fn trim_end(&self, mut end: usize) -> usize {
        loop {
            let before = self.text.get(..end).unwrap_or("");
            let trimmed = before.trim_end_matches(is_blank).len();
            match trimmed.checked_sub(1).and_then(|p| self.comment_at(p)) {
                Some(c) => end = c.start,
                None => return trimmed,
            }
        }
    }

    /// A leaf unit over `span`, trivia at its end left out.
    fn leaf(&self, role: Role, span: Span) -> Node {
        let start = span.start as usize;
        Node::leaf(role, start, self.trim_end(span.end as usize).max(start))
    }

    fn cond_clause(&self, kw: &str, cond: &Cond) -> Node {
        let span = cond.span();
        let start = self.keyword_before(span.start as usize, kw);
        Node::leaf(Role::Clause, start, self.past_parens(span.end as usize))
    }

    /// The unit of a top-level item, with its children for blocks and lists.
    pub fn item(&self, item: &Item) -> Node {
        match item {
            Item::Timezone(s) => self.keyword_item("timezone", s.span),
            Item::Import(s) => self.keyword_item("import", s.span),
            Item::Party(p) => self.leaf(Role::Item, p.span),
            Item::Param(p) => self.leaf(Role::Item, p.span),
            Item::Holidays(days, span) => {
                let elems = days
                    .iter()
                    .map(|d| Node::leaf(Role::Element, d.span.start as usize, d.span.end as usize));
                list_node(*span, elems.collect())
            }
            Item::Event(e) => list_node(e.span, e.fields.iter().map(field_node).collect()),
            Item::Commitment(c) => self.commitment(c),
            Item::Claim(c) => self.claim(c),
        }
    }

    fn keyword_item(&self, kw: &str, s: Span) -> Node {
        let start = self.keyword_before(s.start as usize, kw);
        Node::leaf(Role::Item, start, s.end as usize)
    }

    fn header(&self, span: Span, id: Span, title: Option<&Str>) -> Node {
        let after = title.map_or(id.end, |t| t.span.end) as usize;
        let brace = self.char_from(after, '{').unwrap_or(after);
        Node::leaf(Role::Header, span.start as usize, brace + 1)
    }

    fn commitment(&self, c: &Commitment) -> Node {
        let mut children = vec![self.header(c.span, c.id.span, c.title.as_ref())];
        children.extend(self.commitment_clauses(c).into_iter().map(|(n, _)| n));
        block_node(c.span, children)
    }

    /// Each clause's unit and text, in canonical order.
    pub fn commitment_clauses(&self, c: &Commitment) -> Vec<(Node, String)> {
        let mut out = Vec::new();
        if let (Some(first), Some(last)) = (c.for_each.first(), c.for_each.last()) {
            let start = self.keyword_before(first.span.start as usize, "for");
            let names: Vec<&str> = c.for_each.iter().map(|v| v.name.as_str()).collect();
            out.push((
                Node::leaf(Role::Clause, start, last.span.end as usize),
                format!("for each {}", names.join(", ")),
            ));
        }
        if let Some(p) = &c.parties {
            let text = match &p.creditor {
                Some(to) => format!("by {} to {}", p.debtor.name, to.name),
                None => format!("by {}", p.debtor.name),
            };
            out.push((self.leaf(Role::Clause, p.span), text));
        }
        if let Some(a) = &c.after {
            out.push((
                self.cond_clause("after", a),
                format!("after {}", self.cond(a)),
            ));
        }
        if let Some(m) = &c.must {
            out.push((self.leaf(Role::Clause, m.span), self.must(m)));
        }
        if let Some(w) = &c.window {
            out.push((self.leaf(Role::Clause, w.span()), self.window(w)));
        }
        // `by NAME` after the party clause: a deadline that names a time
        // param (`by cutoff`), which only resolving can tell from a party.
        // Printed where a deadline goes; the party clause keeps its place.
        for name in &c.by_names {
            let start = self.keyword_before(name.span.start as usize, "by");
            out.push((
                Node::leaf(Role::Clause, start, name.span.end as usize),
                format!("by {}", name.name),
            ));
        }
        if let Some(u) = &c.unless {
            out.push((
                self.cond_clause("unless", u),
                format!("unless {}", self.cond(u)),
            ));
        }
        if let Some(o) = &c.otherwise {
            let start = self.keyword_before(o.span.start as usize, "otherwise");
            out.push((
                Node::leaf(Role::Clause, start, o.span.end as usize),
                format!("otherwise {}", o.name),
            ));
        }
        out
    }

    fn claim(&self, c: &Claim) -> Node {
        let mut children = vec![self.header(c.span, c.id.span, c.title.as_ref())];
        children.extend(self.claim_clauses(c).into_iter().map(|(n, _)| n));
        block_node(c.span, children)
    }

    /// Each clause's unit and text, in canonical order.
    pub fn claim_clauses(&self, c: &Claim) -> Vec<(Node, String)> {
        let mut out = Vec::new();
        if let Some((party, time, span)) = &c.by {
            out.push((
                self.leaf(Role::Clause, *span),
                format!("by {} on {}", party.name, self.time(time)),
            ));
        }
        if let Some(s) = &c.source {
            let start = self.keyword_before(s.span.start as usize, "source");
            out.push((
                Node::leaf(Role::Clause, start, s.span.end as usize),
                format!("source {}", string(s)),
            ));
        }
        if let Some(s) = &c.says {
            let (text, span) = match s {
                Says::Status {
                    commitment,
                    selector,
                    status,
                    span,
                } => {
                    let sel = if selector.is_empty() {
                        String::new()
                    } else {
                        let parts: Vec<String> = selector
                            .iter()
                            .map(|(var, val)| format!("{}: {}", var.name, self.value(val)))
                            .collect();
                        format!("[{}]", parts.join(", "))
                    };
                    (
                        format!("says {}{sel} is {}", commitment.name, status.name),
                        *span,
                    )
                }
                Says::Event {
                    pattern,
                    happened,
                    span,
                } => {
                    let tail = if *happened {
                        "happened"
                    } else {
                        "did not happen"
                    };
                    (format!("says {} {tail}", self.pattern(pattern)), *span)
                }
            };
            out.push((self.leaf(Role::Clause, span), text));
        }
        out
    }

    // ---- text of the pieces -------------------------------------------------

    /// The source text of a span, blanks squeezed to one space.
    fn source(&self, span: Span) -> Option<String> {
        let s = self.text.get(span.start as usize..span.end as usize)?;
        Some(
            s.split(is_blank)
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
        )
    }

    fn time(&self, t: &TimeLit) -> String {
        self.source(t.span).unwrap_or_else(|| match t.time {
            Some(clock) => format!("{}T{clock}", t.date),
            None => t.date.to_string(),
        })
    }

    fn number(&self, n: &rust_decimal::Decimal, span: Span) -> String {
        self.source(span).unwrap_or_else(|| n.to_string())
    }

    fn must(&self, m: &Must) -> String {
        let mut s = String::from(if m.negated { "must not " } else { "must " });
        s.push_str(&self.pattern(&m.pattern));
        if let Some(a) = &m.aggregate {
            let what = match &a.sum_of {
                Some(f) => format!("sum({})", f.name),
                None => "count".to_string(),
            };
            let written = match &a.at_least {
                crate::ast::NumberOrParam::Param(p) => p.name.clone(),
                // The aggregate's span ends with its number, as written.
                crate::ast::NumberOrParam::Literal(n) => self
                    .text
                    .get(a.span.start as usize..a.span.end as usize)
                    .map(|t| {
                        let keep = t
                            .trim_end_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '-')
                            .len();
                        t.get(keep..).unwrap_or("").to_string()
                    })
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| n.to_string()),
            };
            s.push_str(&format!(" with {what} >= {written}"));
        }
        s
    }

    fn window(&self, w: &Window) -> String {
        match w {
            Window::Within {
                duration, before, ..
            } => {
                let d = match duration {
                    DurationOrParam::Literal(d) => self
                        .source(d.span)
                        .unwrap_or_else(|| format!("{} {:?}", d.amount, d.unit)),
                    DurationOrParam::Param(p) => p.name.clone(),
                };
                if *before {
                    format!("within {d} before")
                } else {
                    format!("within {d}")
                }
            }
            Window::By(t, _) => format!("by {}", self.time(t)),
            Window::Between(a, b, _) => {
                let t = |x: &crate::ast::TimeOrParam| match x {
                    crate::ast::TimeOrParam::Literal(t) => self.time(t),
                    crate::ast::TimeOrParam::Param(p) => p.name.clone(),
                };
                format!("between {} and {}", t(a), t(b))
            }
        }
    }

    /// A condition with the fewest parentheses that keep its tree: `or`
    /// binds loosest, then `and`, then `not`; a right operand of the same
    /// operator keeps its parentheses, so the tree (not just the meaning)
    /// survives a round trip.
    pub fn cond(&self, c: &Cond) -> String {
        self.cond_at(c, 0)
    }

    fn cond_at(&self, c: &Cond, min: u8) -> String {
        let (prec, text) = match c {
            Cond::Or(a, b, _) => (
                1,
                format!("{} or {}", self.cond_at(a, 1), self.cond_at(b, 2)),
            ),
            Cond::And(a, b, _) => (
                2,
                format!("{} and {}", self.cond_at(a, 2), self.cond_at(b, 3)),
            ),
            Cond::Not(a, _) => (3, format!("not {}", self.cond_at(a, 3))),
            Cond::Fulfilled(id) => (4, id.name.clone()),
            Cond::Status(id, st, _) => (4, format!("{} is {}", id.name, st.name)),
            Cond::Event(p) => (4, self.pattern(p)),
            Cond::Time(t) => (4, self.time(t)),
        };
        if prec < min {
            format!("({text})")
        } else {
            text
        }
    }

    fn pattern(&self, p: &Pattern) -> String {
        let parts: Vec<String> = p.constraints.iter().map(|c| self.constraint(c)).collect();
        format!("{}({})", p.kind.name, parts.join(", "))
    }

    fn constraint(&self, c: &Constraint) -> String {
        match (&c.op, &c.value) {
            // `order` is short for `order: order`.
            (CmpOp::Eq, Value::Name(n)) if n.name == c.field.name => c.field.name.clone(),
            (CmpOp::Eq, v) => format!("{}: {}", c.field.name, self.value(v)),
            (op, v) => format!("{} {} {}", c.field.name, op.symbol(), self.value(v)),
        }
    }

    fn value(&self, v: &Value) -> String {
        match v {
            Value::Str(s) => string(s),
            Value::Number(n, span) => self.number(n, *span),
            Value::Bool(b, _) => b.to_string(),
            Value::Time(t) => self.time(t),
            Value::Name(n) => n.name.clone(),
        }
    }

    fn param_value(&self, v: &ParamValue) -> String {
        match v {
            ParamValue::Duration(d) => self
                .source(d.span)
                .unwrap_or_else(|| format!("{} {:?}", d.amount, d.unit)),
            ParamValue::Time(t) => self.time(t),
            ParamValue::Number(n, span) => self.number(n, *span),
        }
    }
}

fn field_node(f: &crate::ast::FieldDecl) -> Node {
    Node::leaf(
        Role::Element,
        f.name.span.start as usize,
        f.ty.span.end as usize,
    )
}

fn close_node(span: Span) -> Node {
    let end = span.end as usize;
    Node::leaf(Role::Close, end.saturating_sub(1), end)
}

/// A `holidays` or `event` item: its elements, then the closing bracket.
fn list_node(span: Span, mut children: Vec<Node>) -> Node {
    children.push(close_node(span));
    Node {
        key: (Role::Item, span.start as usize, span.end as usize),
        children,
    }
}

/// A block: header, clauses sorted as written, then the closing brace.
fn block_node(span: Span, mut children: Vec<Node>) -> Node {
    children.sort_by_key(|n| n.key.1);
    children.push(close_node(span));
    Node {
        key: (Role::Item, span.start as usize, span.end as usize),
        children,
    }
}

/// A string literal, re-escaped.
pub(super) fn string(s: &Str) -> String {
    let mut out = String::with_capacity(s.value.len() + 2);
    out.push('"');
    for c in s.value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One line of output before rendering.
enum Line {
    Blank,
    Code {
        indent: usize,
        code: String,
        comment: Option<String>,
    },
}

/// Prints a parsed file, given its source text and attached comments.
pub(super) struct Printer<'a> {
    text: &'a str,
    loc: &'a Locator<'a>,
    comments: &'a Comments,
    lines: Vec<Line>,
    /// Width the id of the party being printed is padded to.
    id_width: usize,
}

/// The kinds of top-level items, for the blank lines between them.
#[derive(PartialEq, Eq)]
enum Category {
    Timezone,
    Holidays,
    Import,
    Party,
    Event,
    Param,
    Block,
}

fn category(item: &Item) -> Category {
    match item {
        Item::Timezone(_) => Category::Timezone,
        Item::Holidays(..) => Category::Holidays,
        Item::Import(_) => Category::Import,
        Item::Party(_) => Category::Party,
        Item::Event(_) => Category::Event,
        Item::Param(_) => Category::Param,
        Item::Commitment(_) | Item::Claim(_) => Category::Block,
    }
}

impl<'a> Printer<'a> {
    pub fn new(text: &'a str, loc: &'a Locator<'a>, comments: &'a Comments) -> Printer<'a> {
        Printer {
            text,
            loc,
            comments,
            lines: Vec::new(),
            id_width: 0,
        }
    }

    /// Prints the items (already in [`canonical_order`], with their source
    /// index and unit) and the comments after the last one.
    pub fn file(mut self, items: &[(usize, &Item, Node)]) -> String {
        // A blank line before each item?
        let mut blank = vec![false; items.len()];
        for (i, pair) in items.windows(2).enumerate() {
            let [(p_index, p_item, p_node), (index, item, node)] = pair else {
                continue;
            };
            let adjacent = p_index + 1 == *index;
            let forced = category(p_item) == Category::Block
                || category(item) == Category::Block
                || category(p_item) != category(item);
            if let Some(slot) = blank.get_mut(i + 1) {
                *slot = forced || (adjacent && self.blank_between(p_node.key, node.key));
            }
        }
        // Display names of parties on consecutive lines start in one column.
        let mut id_width = vec![0; items.len()];
        let mut run_start = 0;
        for i in 0..=items.len() {
            let joins = i > 0
                && i < items.len()
                && !blank.get(i).copied().unwrap_or(true)
                && items.get(i).is_some_and(|(_, item, node)| {
                    matches!(item, Item::Party(_)) && self.comments.leading(node.key).is_empty()
                })
                && items
                    .get(i - 1)
                    .is_some_and(|(_, item, _)| matches!(item, Item::Party(_)));
            if !joins {
                let run = run_start..i;
                let width = items
                    .get(run.clone())
                    .into_iter()
                    .flatten()
                    .filter_map(|(_, item, _)| match item {
                        Item::Party(p) => Some(p.id.name.chars().count()),
                        _ => None,
                    })
                    .max()
                    .unwrap_or(0);
                for w in id_width.get_mut(run).into_iter().flatten() {
                    *w = width;
                }
                run_start = i;
            }
        }
        let mut prev: Option<Key> = None;
        for (((_, item, node), blank), width) in items.iter().zip(blank).zip(id_width) {
            if blank {
                self.lines.push(Line::Blank);
            }
            self.id_width = width;
            self.item(item, node);
            prev = Some(node.key);
        }
        let eof = (Role::Eof, self.text.len(), self.text.len());
        if let Some(p) = prev {
            if !self.comments.leading(eof).is_empty() && self.blank_between(p, eof) {
                self.lines.push(Line::Blank);
            }
        }
        self.leading(eof, 0);
        render(self.lines)
    }

    /// True when the source has a blank line between two units (each
    /// taken with its comments).
    fn blank_between(&self, a: Key, b: Key) -> bool {
        let end = self.comments.trailing(a).map_or(a.2, |c| c.end.max(a.2));
        let start = self
            .comments
            .leading(b)
            .first()
            .map_or(b.1, |c| c.start.min(b.1));
        start > end && self.text.get(end..start).is_some_and(has_blank_line)
    }

    fn leading(&mut self, key: Key, indent: usize) {
        for c in self.comments.leading(key) {
            self.lines.push(Line::Code {
                indent,
                code: c.text.clone(),
                comment: None,
            });
            if c.blank_after {
                self.lines.push(Line::Blank);
            }
        }
    }

    fn line(&mut self, indent: usize, code: String, trailing_of: Option<Key>) {
        let comment = trailing_of
            .and_then(|k| self.comments.trailing(k))
            .map(|c| c.text.clone());
        self.lines.push(Line::Code {
            indent,
            code,
            comment,
        });
    }

    fn item(&mut self, item: &Item, node: &Node) {
        let key = node.key;
        self.leading(key, 0);
        let loc = self.loc;
        match item {
            Item::Timezone(s) => self.line(0, format!("timezone {}", string(s)), Some(key)),
            Item::Import(s) => self.line(0, format!("import {}", string(s)), Some(key)),
            Item::Party(p) => {
                let code = match &p.name {
                    Some(n) => format!("party {:<w$} {}", p.id.name, string(n), w = self.id_width),
                    None => format!("party {}", p.id.name),
                };
                self.line(0, code, Some(key));
            }
            Item::Param(p) => {
                let code = format!("param {} = {}", p.id.name, loc.param_value(&p.value));
                self.line(0, code, Some(key));
            }
            Item::Holidays(days, _) => {
                let elems: Vec<String> = days
                    .iter()
                    .map(|d| loc.source(d.span).unwrap_or_else(|| d.date.to_string()))
                    .collect();
                self.list("holidays [", "]", &elems, node, true);
            }
            Item::Event(e) => self.event(e, node),
            Item::Commitment(c) => {
                let clauses = loc.commitment_clauses(c);
                self.block("commitment", &c.id.name, c.title.as_ref(), &clauses, node);
            }
            Item::Claim(c) => {
                let clauses = loc.claim_clauses(c);
                self.block("claim", &c.id.name, c.title.as_ref(), &clauses, node);
            }
        }
    }

    fn event(&mut self, e: &EventDecl, node: &Node) {
        let fields: Vec<String> = e
            .fields
            .iter()
            .map(|f| format!("{}: {}", f.name.name, f.ty.name))
            .collect();
        let open = format!("event {}(", e.id.name);
        self.list(&open, ")", &fields, node, false);
    }

    /// A bracketed list: on one line when it fits and holds no comments;
    /// otherwise one element per line (or, for `fill`, as many per line as
    /// fit when no comment is inside).
    fn list(&mut self, open: &str, close: &str, elems: &[String], node: &Node, fill: bool) {
        let key = node.key;
        let commented = node.children.iter().any(|c| self.comments.has_any(c.key));
        let one = format!("{open}{}{close}", elems.join(", "));
        if !commented && one.chars().count() <= WIDTH {
            self.line(0, one, Some(key));
            return;
        }
        self.line(0, open.to_string(), None);
        if fill && !commented {
            let mut row = String::new();
            for e in elems {
                let piece = format!("{e},");
                if !row.is_empty()
                    && INDENT + row.chars().count() + 1 + piece.chars().count() > WIDTH
                {
                    self.line(INDENT, std::mem::take(&mut row), None);
                }
                if !row.is_empty() {
                    row.push(' ');
                }
                row.push_str(&piece);
            }
            if !row.is_empty() {
                self.line(INDENT, row, None);
            }
        } else {
            for (e, child) in elems.iter().zip(&node.children) {
                self.leading(child.key, INDENT);
                self.line(INDENT, format!("{e},"), Some(child.key));
            }
        }
        if let Some(last) = node.children.last() {
            self.leading(last.key, INDENT);
        }
        self.line(0, close.to_string(), Some(key));
    }

    fn block(
        &mut self,
        keyword: &str,
        id: &str,
        title: Option<&Str>,
        clauses: &[(Node, String)],
        node: &Node,
    ) {
        let header = node.children.first().map(|n| n.key);
        if let Some(h) = header {
            self.leading(h, 0);
        }
        let head = match title {
            Some(t) => format!("{keyword} {id} {} {{", string(t)),
            None => format!("{keyword} {id} {{"),
        };
        self.line(0, head, header);
        for (n, text) in clauses {
            self.leading(n.key, INDENT);
            self.line(INDENT, text.clone(), Some(n.key));
        }
        if let Some(close) = node.children.last() {
            self.leading(close.key, INDENT);
        }
        self.line(0, "}".to_string(), Some(node.key));
    }
}

/// Lines → text: blank lines squeezed and trimmed at both ends, trailing
/// comments of consecutive lines (same indent) aligned two spaces past the
/// longest code among them.
fn render(lines: Vec<Line>) -> String {
    let mut kept: Vec<Line> = Vec::with_capacity(lines.len());
    for l in lines {
        let blank = matches!(l, Line::Blank);
        let prev_blank = kept.last().is_none_or(|p| matches!(p, Line::Blank));
        if blank && prev_blank {
            continue;
        }
        kept.push(l);
    }
    if kept.last().is_some_and(|l| matches!(l, Line::Blank)) {
        kept.pop();
    }
    // Width of the trailing-comment column for each line that has one.
    let mut columns: Vec<Option<usize>> = vec![None; kept.len()];
    let mut i = 0;
    while i < kept.len() {
        let Some(Line::Code {
            indent,
            comment: Some(_),
            ..
        }) = kept.get(i)
        else {
            i += 1;
            continue;
        };
        let indent = *indent;
        let mut j = i;
        let mut width = 0;
        while let Some(Line::Code {
            indent: ind,
            code,
            comment: Some(_),
        }) = kept.get(j)
        {
            if *ind != indent {
                break;
            }
            width = width.max(code.chars().count());
            j += 1;
        }
        for slot in columns.iter_mut().take(j).skip(i) {
            *slot = Some(width);
        }
        i = j;
    }
    let mut out = String::new();
    for (l, col) in kept.iter().zip(columns) {
        if let Line::Code {
            indent,
            code,
            comment,
        } = l
        {
            out.push_str(&" ".repeat(*indent));
            out.push_str(code);
            if let (Some(c), Some(width)) = (comment, col) {
                let pad = width.saturating_sub(code.chars().count()) + 2;
                out.push_str(&" ".repeat(pad));
                out.push_str(c);
            }
        }
        out.push('\n');
    }
    out
}
