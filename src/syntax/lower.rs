//! Lowering: pest pairs → [`ast`] nodes, one `lower_<rule>` function per
//! grammar rule. Literals (dates, times, durations, escapes) are parsed here
//! and fail with their own span. Errors are collected per declaration, so a
//! file reports all of them in one run.

use jiff::civil::{Date, Time};
use pest::iterators::{Pair, Pairs};
use rust_decimal::Decimal;

use super::Rule;
use super::error::SyntaxError;
use crate::ast::{self, CmpOp, DurationUnit};
use crate::diagnostics::Diagnostics;
use crate::source::SourceId;
use crate::span::Span;

type Result<T> = std::result::Result<T, SyntaxError>;

struct Cx {
    source: SourceId,
}

impl Cx {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        Span::from_pest(self.source, pair.as_span())
    }

    fn unexpected(&self, pair: &Pair<'_, Rule>) -> SyntaxError {
        SyntaxError::Internal {
            rule: format!("{:?}", pair.as_rule()),
            span: self.span(pair),
        }
    }

    /// The next child, which must be `rule`.
    fn next<'i>(
        &self,
        inner: &mut Pairs<'i, Rule>,
        rule: Rule,
        parent: &Pair<'i, Rule>,
    ) -> Result<Pair<'i, Rule>> {
        match inner.next() {
            Some(p) if p.as_rule() == rule => Ok(p),
            Some(p) => Err(self.unexpected(&p)),
            None => Err(SyntaxError::Internal {
                rule: format!("missing {rule:?}"),
                span: self.span(parent),
            }),
        }
    }

    /// The only child, whatever its rule.
    fn only<'i>(&self, pair: &Pair<'i, Rule>) -> Result<Pair<'i, Rule>> {
        pair.clone()
            .into_inner()
            .next()
            .ok_or_else(|| self.unexpected(pair))
    }
}

/// Lowers the `file` pair; errors go to `diags`, the rest of the file is kept.
pub(super) fn lower_file(
    source: SourceId,
    mut pairs: Pairs<'_, Rule>,
    diags: &mut Diagnostics,
) -> ast::File {
    let cx = Cx { source };
    let mut file = ast::File::default();
    let Some(top) = pairs.next() else {
        return file;
    };
    file.span = cx.span(&top);
    for item in top.into_inner() {
        let lowered = match item.as_rule() {
            Rule::EOI => continue,
            Rule::timezone_decl => lower_timezone(&cx, item),
            Rule::holidays_decl => lower_holidays(&cx, item),
            Rule::import_decl => lower_import(&cx, item),
            Rule::party_decl => lower_party(&cx, item).map(ast::Item::Party),
            Rule::event_decl => lower_event(&cx, item).map(ast::Item::Event),
            Rule::param_decl => lower_param(&cx, item).map(ast::Item::Param),
            Rule::commitment => {
                lower_commitment(&cx, item, diags).map(|c| ast::Item::Commitment(Box::new(c)))
            }
            Rule::claim => lower_claim(&cx, item, diags).map(|c| ast::Item::Claim(Box::new(c))),
            _ => Err(cx.unexpected(&item)),
        };
        match lowered {
            Ok(it) => file.items.push(it),
            Err(e) => diags.push(e),
        }
    }
    file
}

fn lower_timezone(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::Item> {
    let mut inner = pair.clone().into_inner();
    cx.next(&mut inner, Rule::kw_timezone, &pair)?;
    let s = lower_string(cx, cx.next(&mut inner, Rule::string, &pair)?)?;
    Ok(ast::Item::Timezone(s))
}

fn lower_holidays(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::Item> {
    let span = cx.span(&pair);
    let mut days = Vec::new();
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::kw_holidays => {}
            Rule::date => days.push(lower_date(cx, p)?),
            _ => return Err(cx.unexpected(&p)),
        }
    }
    Ok(ast::Item::Holidays(days, span))
}

fn lower_import(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::Item> {
    let mut inner = pair.clone().into_inner();
    cx.next(&mut inner, Rule::kw_import, &pair)?;
    let s = lower_string(cx, cx.next(&mut inner, Rule::string, &pair)?)?;
    Ok(ast::Item::Import(s))
}

fn lower_party(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::Party> {
    let span = cx.span(&pair);
    let mut inner = pair.clone().into_inner();
    cx.next(&mut inner, Rule::kw_party, &pair)?;
    let id = lower_ident(cx, cx.next(&mut inner, Rule::ident, &pair)?);
    let name = inner.next().map(|p| lower_string(cx, p)).transpose()?;
    Ok(ast::Party { id, name, span })
}

fn lower_event(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::EventDecl> {
    let span = cx.span(&pair);
    let mut inner = pair.clone().into_inner();
    cx.next(&mut inner, Rule::kw_event, &pair)?;
    let id = lower_ident(cx, cx.next(&mut inner, Rule::ident, &pair)?);
    let mut fields = Vec::new();
    for f in inner.filter(|p| p.as_rule() != Rule::rparen) {
        fields.push(lower_field_decl(cx, f)?);
    }
    Ok(ast::EventDecl { id, fields, span })
}

fn lower_field_decl(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::FieldDecl> {
    if pair.as_rule() != Rule::field_decl {
        return Err(cx.unexpected(&pair));
    }
    let mut inner = pair.clone().into_inner();
    let name = lower_ident(cx, cx.next(&mut inner, Rule::field_path, &pair)?);
    let ty = lower_ident(cx, cx.next(&mut inner, Rule::field_name, &pair)?);
    Ok(ast::FieldDecl { name, ty })
}

fn lower_param(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::Param> {
    let span = cx.span(&pair);
    let mut inner = pair.clone().into_inner();
    cx.next(&mut inner, Rule::kw_param, &pair)?;
    let id = lower_ident(cx, cx.next(&mut inner, Rule::ident, &pair)?);
    let v = inner.next().ok_or_else(|| cx.unexpected(&pair))?;
    let value = match v.as_rule() {
        Rule::duration => ast::ParamValue::Duration(lower_duration(cx, v)?),
        Rule::time_lit => ast::ParamValue::Time(lower_time_lit(cx, v)?),
        Rule::number => ast::ParamValue::Number(lower_number(cx, &v)?, cx.span(&v)),
        _ => return Err(cx.unexpected(&v)),
    };
    Ok(ast::Param { id, value, span })
}

fn lower_commitment(
    cx: &Cx,
    pair: Pair<'_, Rule>,
    diags: &mut Diagnostics,
) -> Result<ast::Commitment> {
    let span = cx.span(&pair);
    let mut inner = pair.clone().into_inner();
    cx.next(&mut inner, Rule::kw_commitment, &pair)?;
    let id = lower_ident(cx, cx.next(&mut inner, Rule::ident, &pair)?);
    let mut c = ast::Commitment {
        id,
        title: None,
        for_each: Vec::new(),
        parties: None,
        after: None,
        must: None,
        window: None,
        unless: None,
        otherwise: None,
        by_names: Vec::new(),
        repeated: Vec::new(),
        span,
    };
    for clause in inner {
        let clause_span = cx.span(&clause);
        let name = match clause.as_rule() {
            Rule::lbrace | Rule::rbrace => continue,
            Rule::string => {
                c.title = Some(lower_string(cx, clause)?);
                continue;
            }
            Rule::for_each => {
                let first = c.for_each.is_empty();
                c.for_each.extend(lower_for_each(cx, clause)?);
                if first {
                    continue;
                }
                "for each"
            }
            Rule::parties => {
                let p = lower_parties(cx, clause)?;
                // A second `by NAME` without `to` may name a time param
                // (`by cutoff`); resolve decides which is which.
                match (&c.parties, &p.creditor) {
                    (Some(_), None) => {
                        c.by_names.push(p.debtor);
                        continue;
                    }
                    (Some(first), Some(_)) if first.creditor.is_none() => {
                        if let Some(first) = c.parties.replace(p) {
                            c.by_names.push(first.debtor);
                        }
                        continue;
                    }
                    _ => set_once(&mut c.parties, p, "by"),
                }
            }
            Rule::after_clause => set_once(&mut c.after, lower_keyword_cond(cx, clause)?, "after"),
            Rule::must_clause => set_once(&mut c.must, lower_must(cx, clause)?, "must"),
            Rule::within_clause => set_once(&mut c.window, lower_within(cx, clause)?, "within"),
            Rule::deadline_by => set_once(&mut c.window, lower_deadline_by(cx, clause)?, "by"),
            Rule::between_clause => set_once(&mut c.window, lower_between(cx, clause)?, "between"),
            Rule::unless_clause => {
                set_once(&mut c.unless, lower_keyword_cond(cx, clause)?, "unless")
            }
            Rule::otherwise_clause => {
                let mut i = clause.clone().into_inner();
                cx.next(&mut i, Rule::kw_otherwise, &clause)?;
                let id = lower_ident(cx, cx.next(&mut i, Rule::ident, &clause)?);
                set_once(&mut c.otherwise, id, "otherwise")
            }
            _ => return Err(cx.unexpected(&clause)),
        };
        if !name.is_empty() {
            diags.push(SyntaxError::Repeated {
                clause: repeated_word(name, &c.window),
                span: clause_span,
            });
        }
    }
    Ok(c)
}

/// Stores `value` if the slot is empty; otherwise returns the clause name.
fn set_once<T>(slot: &mut Option<T>, value: T, name: &'static str) -> &'static str {
    if slot.is_some() {
        name
    } else {
        *slot = Some(value);
        ""
    }
}

/// A second deadline is reported as "deadline", whichever keyword it used.
fn repeated_word(name: &'static str, _window: &Option<ast::Window>) -> &'static str {
    match name {
        "within" | "between" => "deadline",
        other => other,
    }
}

fn lower_for_each(cx: &Cx, pair: Pair<'_, Rule>) -> Result<Vec<ast::Ident>> {
    let mut vars = Vec::new();
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::kw_for | Rule::kw_each => {}
            Rule::ident => vars.push(lower_ident(cx, p)),
            _ => return Err(cx.unexpected(&p)),
        }
    }
    Ok(vars)
}

fn lower_parties(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::Parties> {
    let span = cx.span(&pair);
    let mut inner = pair.clone().into_inner();
    cx.next(&mut inner, Rule::kw_by, &pair)?;
    let debtor = lower_ident(cx, cx.next(&mut inner, Rule::ident, &pair)?);
    let creditor = match inner.next() {
        Some(_to) => Some(lower_ident(cx, cx.next(&mut inner, Rule::ident, &pair)?)),
        None => None,
    };
    Ok(ast::Parties {
        debtor,
        creditor,
        span,
    })
}

/// `after COND` / `unless COND`.
fn lower_keyword_cond(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::Cond> {
    // Conditions become binary trees that later phases walk recursively: a
    // chain of thousands of `and`s or `not`s would overflow the stack, so
    // its size is checked first, without recursion (pest's `flatten` is a
    // loop over the token queue).
    let terms = pair
        .clone()
        .into_inner()
        .flatten()
        .filter(|p| matches!(p.as_rule(), Rule::cond_not | Rule::negation))
        .count();
    if terms > MAX_CONDITION_TERMS {
        return Err(SyntaxError::TooLong {
            span: cx.span(&pair),
            max: MAX_CONDITION_TERMS,
        });
    }
    let mut inner = pair.clone().into_inner();
    inner.next(); // the keyword
    lower_cond(cx, cx.next(&mut inner, Rule::cond, &pair)?)
}

/// Most terms (operands and `not`s) in one condition.
pub(super) const MAX_CONDITION_TERMS: usize = 512;

fn lower_must(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::Must> {
    let span = cx.span(&pair);
    let mut negated = false;
    let mut pattern = None;
    let mut aggregate = None;
    for p in pair.clone().into_inner() {
        match p.as_rule() {
            Rule::kw_must => {}
            Rule::must_not => negated = true,
            Rule::pattern => pattern = Some(lower_pattern(cx, p)?),
            Rule::aggregate => aggregate = Some(lower_aggregate(cx, p)?),
            _ => return Err(cx.unexpected(&p)),
        }
    }
    let pattern = pattern.ok_or_else(|| cx.unexpected(&pair))?;
    Ok(ast::Must {
        negated,
        pattern,
        aggregate,
        span,
    })
}

fn lower_aggregate(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::Aggregate> {
    let span = cx.span(&pair);
    let mut inner = pair.clone().into_inner();
    cx.next(&mut inner, Rule::kw_with, &pair)?;
    let which = inner.next().ok_or_else(|| cx.unexpected(&pair))?;
    let sum_of = match which.as_rule() {
        Rule::agg_count => None,
        Rule::agg_sum => {
            let mut i = which.clone().into_inner();
            cx.next(&mut i, Rule::kw_sum, &which)?;
            Some(lower_ident(cx, cx.next(&mut i, Rule::field_path, &which)?))
        }
        _ => return Err(cx.unexpected(&which)),
    };
    let n = inner.next().ok_or_else(|| cx.unexpected(&pair))?;
    let at_least = match n.as_rule() {
        Rule::number => ast::NumberOrParam::Literal(lower_number(cx, &n)?),
        Rule::ident => ast::NumberOrParam::Param(lower_ident(cx, n)),
        _ => return Err(cx.unexpected(&n)),
    };
    Ok(ast::Aggregate {
        sum_of,
        at_least,
        span,
    })
}

fn lower_within(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::Window> {
    let span = cx.span(&pair);
    let mut inner = pair.clone().into_inner();
    cx.next(&mut inner, Rule::kw_within, &pair)?;
    let d = inner.next().ok_or_else(|| cx.unexpected(&pair))?;
    let duration = match d.as_rule() {
        Rule::duration => ast::DurationOrParam::Literal(lower_duration(cx, d)?),
        Rule::ident => ast::DurationOrParam::Param(lower_ident(cx, d)),
        _ => return Err(cx.unexpected(&d)),
    };
    let before = inner.next().is_some();
    Ok(ast::Window::Within {
        duration,
        before,
        span,
    })
}

fn lower_deadline_by(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::Window> {
    let span = cx.span(&pair);
    let mut inner = pair.clone().into_inner();
    cx.next(&mut inner, Rule::kw_by, &pair)?;
    let t = lower_time_lit(cx, cx.next(&mut inner, Rule::time_lit, &pair)?)?;
    Ok(ast::Window::By(t, span))
}

fn lower_between(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::Window> {
    let span = cx.span(&pair);
    let mut inner = pair.clone().into_inner();
    cx.next(&mut inner, Rule::kw_between, &pair)?;
    let a = lower_window_time(cx, inner.next().ok_or_else(|| cx.unexpected(&pair))?)?;
    cx.next(&mut inner, Rule::kw_and, &pair)?;
    let b = lower_window_time(cx, inner.next().ok_or_else(|| cx.unexpected(&pair))?)?;
    Ok(ast::Window::Between(a, b, span))
}

fn lower_window_time(cx: &Cx, p: Pair<'_, Rule>) -> Result<ast::TimeOrParam> {
    match p.as_rule() {
        Rule::time_lit => Ok(ast::TimeOrParam::Literal(lower_time_lit(cx, p)?)),
        Rule::ident => Ok(ast::TimeOrParam::Param(lower_ident(cx, p))),
        _ => Err(cx.unexpected(&p)),
    }
}

fn lower_cond(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::Cond> {
    let span = cx.span(&pair);
    let mut acc: Option<ast::Cond> = None;
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::kw_or => {}
            Rule::cond_and => {
                let rhs = lower_cond_and(cx, p)?;
                acc = Some(match acc {
                    None => rhs,
                    Some(lhs) => {
                        let s = lhs.span().join(rhs.span());
                        ast::Cond::Or(Box::new(lhs), Box::new(rhs), s)
                    }
                });
            }
            _ => return Err(cx.unexpected(&p)),
        }
    }
    acc.ok_or(SyntaxError::Internal {
        rule: "empty condition".into(),
        span,
    })
}

fn lower_cond_and(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::Cond> {
    let span = cx.span(&pair);
    let mut acc: Option<ast::Cond> = None;
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::kw_and => {}
            Rule::cond_not => {
                let rhs = lower_cond_not(cx, p)?;
                acc = Some(match acc {
                    None => rhs,
                    Some(lhs) => {
                        let s = lhs.span().join(rhs.span());
                        ast::Cond::And(Box::new(lhs), Box::new(rhs), s)
                    }
                });
            }
            _ => return Err(cx.unexpected(&p)),
        }
    }
    acc.ok_or(SyntaxError::Internal {
        rule: "empty condition".into(),
        span,
    })
}

fn lower_cond_not(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::Cond> {
    let mut negations = Vec::new();
    let mut atom = None;
    for p in pair.clone().into_inner() {
        match p.as_rule() {
            Rule::negation => negations.push(cx.span(&p)),
            _ => atom = Some(lower_cond_atom(cx, p)?),
        }
    }
    let mut c = atom.ok_or_else(|| cx.unexpected(&pair))?;
    for neg in negations.into_iter().rev() {
        let s = neg.join(c.span());
        c = ast::Cond::Not(Box::new(c), s);
    }
    Ok(c)
}

fn lower_cond_atom(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::Cond> {
    match pair.as_rule() {
        Rule::cond => lower_cond(cx, pair),
        Rule::time_lit => Ok(ast::Cond::Time(lower_time_lit(cx, pair)?)),
        Rule::pattern => Ok(ast::Cond::Event(lower_pattern(cx, pair)?)),
        Rule::commitment_ref => {
            let id = cx.only(&pair)?;
            Ok(ast::Cond::Fulfilled(lower_ident(cx, id)))
        }
        Rule::status_test => {
            let span = cx.span(&pair);
            let mut inner = pair.clone().into_inner();
            let id = lower_ident(cx, cx.next(&mut inner, Rule::ident, &pair)?);
            cx.next(&mut inner, Rule::kw_is, &pair)?;
            let status = lower_ident(cx, cx.next(&mut inner, Rule::ident, &pair)?);
            Ok(ast::Cond::Status(id, status, span))
        }
        _ => Err(cx.unexpected(&pair)),
    }
}

fn lower_pattern(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::Pattern> {
    let span = cx.span(&pair);
    let mut inner = pair.clone().into_inner();
    let kind = lower_ident(cx, cx.next(&mut inner, Rule::ident, &pair)?);
    let mut constraints = Vec::new();
    for c in inner.filter(|p| p.as_rule() != Rule::rparen) {
        constraints.push(lower_constraint(cx, c)?);
    }
    Ok(ast::Pattern {
        kind,
        constraints,
        span,
    })
}

fn lower_constraint(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::Constraint> {
    if pair.as_rule() != Rule::constraint {
        return Err(cx.unexpected(&pair));
    }
    let span = cx.span(&pair);
    let mut inner = pair.clone().into_inner();
    let field = lower_ident(cx, cx.next(&mut inner, Rule::field_path, &pair)?);
    let (op, value) = match inner.next() {
        None => (CmpOp::Eq, ast::Value::Name(field.clone())),
        Some(p) if p.as_rule() == Rule::value => (CmpOp::Eq, lower_value(cx, p)?),
        Some(p) if p.as_rule() == Rule::cmp_op => {
            let op = match p.as_str() {
                "=" => CmpOp::Eq,
                "!=" => CmpOp::Ne,
                "<" => CmpOp::Lt,
                "<=" => CmpOp::Le,
                ">" => CmpOp::Gt,
                ">=" => CmpOp::Ge,
                _ => return Err(cx.unexpected(&p)),
            };
            (
                op,
                lower_value(cx, cx.next(&mut inner, Rule::value, &pair)?)?,
            )
        }
        Some(p) => return Err(cx.unexpected(&p)),
    };
    Ok(ast::Constraint {
        field,
        op,
        value,
        span,
    })
}

fn lower_value(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::Value> {
    let v = cx.only(&pair)?;
    Ok(match v.as_rule() {
        Rule::string => ast::Value::Str(lower_string(cx, v)?),
        Rule::time_lit => ast::Value::Time(lower_time_lit(cx, v)?),
        Rule::number => ast::Value::Number(lower_number(cx, &v)?, cx.span(&v)),
        Rule::boolean => ast::Value::Bool(v.as_str() == "true", cx.span(&v)),
        Rule::ident => ast::Value::Name(lower_ident(cx, v)),
        _ => return Err(cx.unexpected(&v)),
    })
}

fn lower_claim(cx: &Cx, pair: Pair<'_, Rule>, diags: &mut Diagnostics) -> Result<ast::Claim> {
    let span = cx.span(&pair);
    let mut inner = pair.clone().into_inner();
    cx.next(&mut inner, Rule::kw_claim, &pair)?;
    let id = lower_ident(cx, cx.next(&mut inner, Rule::ident, &pair)?);
    let mut c = ast::Claim {
        id,
        title: None,
        by: None,
        source: None,
        says: None,
        repeated: Vec::new(),
        span,
    };
    for clause in inner {
        let clause_span = cx.span(&clause);
        let name = match clause.as_rule() {
            Rule::lbrace | Rule::rbrace => continue,
            Rule::string => {
                c.title = Some(lower_string(cx, clause)?);
                continue;
            }
            Rule::claim_by => {
                let mut i = clause.clone().into_inner();
                cx.next(&mut i, Rule::kw_by, &clause)?;
                let party = lower_ident(cx, cx.next(&mut i, Rule::ident, &clause)?);
                cx.next(&mut i, Rule::kw_on, &clause)?;
                let t = lower_time_lit(cx, cx.next(&mut i, Rule::time_lit, &clause)?)?;
                set_once(&mut c.by, (party, t, clause_span), "by")
            }
            Rule::claim_source => {
                let mut i = clause.clone().into_inner();
                cx.next(&mut i, Rule::kw_source, &clause)?;
                let s = lower_string(cx, cx.next(&mut i, Rule::string, &clause)?)?;
                set_once(&mut c.source, s, "source")
            }
            Rule::says => set_once(&mut c.says, lower_says(cx, clause)?, "says"),
            _ => return Err(cx.unexpected(&clause)),
        };
        if !name.is_empty() {
            diags.push(SyntaxError::Repeated {
                clause: name,
                span: clause_span,
            });
        }
    }
    Ok(c)
}

fn lower_says(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::Says> {
    let span = cx.span(&pair);
    let mut inner = pair.clone().into_inner();
    cx.next(&mut inner, Rule::kw_says, &pair)?;
    let body = inner.next().ok_or_else(|| cx.unexpected(&pair))?;
    match body.as_rule() {
        Rule::says_status => {
            let mut i = body.clone().into_inner();
            let commitment = lower_ident(cx, cx.next(&mut i, Rule::ident, &body)?);
            let mut selector = Vec::new();
            let mut next = i.next();
            if let Some(sel) = next.clone().filter(|p| p.as_rule() == Rule::selector) {
                for b in sel.into_inner() {
                    let mut bi = b.clone().into_inner();
                    let var = lower_ident(cx, cx.next(&mut bi, Rule::ident, &b)?);
                    let val = lower_value(cx, cx.next(&mut bi, Rule::value, &b)?)?;
                    selector.push((var, val));
                }
                next = i.next();
            }
            match next {
                Some(p) if p.as_rule() == Rule::kw_is => {}
                Some(p) => return Err(cx.unexpected(&p)),
                None => return Err(cx.unexpected(&body)),
            }
            let status = lower_ident(cx, cx.next(&mut i, Rule::ident, &body)?);
            Ok(ast::Says::Status {
                commitment,
                selector,
                status,
                span,
            })
        }
        Rule::says_event => {
            let mut i = body.clone().into_inner();
            let pattern = lower_pattern(cx, cx.next(&mut i, Rule::pattern, &body)?)?;
            let which = i.next().ok_or_else(|| cx.unexpected(&body))?;
            Ok(ast::Says::Event {
                pattern,
                happened: which.as_rule() == Rule::happened,
                span,
            })
        }
        _ => Err(cx.unexpected(&body)),
    }
}

// ---- literals ---------------------------------------------------------------

fn lower_ident(cx: &Cx, pair: Pair<'_, Rule>) -> ast::Ident {
    ast::Ident {
        name: pair.as_str().to_string(),
        span: cx.span(&pair),
    }
}

fn lower_string(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::Str> {
    let span = cx.span(&pair);
    let raw = pair.as_str();
    let body = raw
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(raw);
    let value = unescape(body).map_err(|text| SyntaxError::InvalidEscape { text, span })?;
    Ok(ast::Str { value, span })
}

/// Decodes `\"`, `\\`, `\n`, `\t` and `\u{…}`; returns the bad escape on error.
fn unescape(s: &str) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('u') => {
                let rest: String = chars.clone().take_while(|&c| c != '}').collect();
                let ok = rest
                    .strip_prefix('{')
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .and_then(char::from_u32);
                match ok {
                    Some(ch) if chars.clone().nth(rest.chars().count()) == Some('}') => {
                        out.push(ch);
                        for _ in 0..=rest.chars().count() {
                            chars.next();
                        }
                    }
                    _ => return Err(format!("\\u{rest}")),
                }
            }
            Some(other) => return Err(format!("\\{other}")),
            None => return Err("\\".to_string()),
        }
    }
    Ok(out)
}

fn lower_number(cx: &Cx, pair: &Pair<'_, Rule>) -> Result<Decimal> {
    // Exact: a number that does not fit 28 significant digits is refused,
    // never rounded.
    Decimal::from_str_exact(pair.as_str()).map_err(|_| SyntaxError::InvalidNumber {
        text: pair.as_str().to_string(),
        span: cx.span(pair),
    })
}

fn lower_date(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::DateLit> {
    let span = cx.span(&pair);
    let date = parse_date(pair.as_str(), span)?;
    Ok(ast::DateLit { date, span })
}

fn parse_date(text: &str, span: Span) -> Result<Date> {
    let num = |a: usize, b: usize| {
        text.get(a..b)
            .and_then(|s| s.parse::<i32>().ok())
            .unwrap_or(-1)
    };
    let (y, m, d) = (num(0, 4), num(5, 7), num(8, 10));
    let invalid = |reason: String| SyntaxError::InvalidDate {
        text: text.to_string(),
        span,
        reason,
    };
    let (Ok(y), Ok(m), Ok(d)) = (i16::try_from(y), i8::try_from(m), i8::try_from(d)) else {
        return Err(invalid("not a date".into()));
    };
    Date::new(y, m, d).map_err(|_| {
        if !(1..=12).contains(&m) {
            invalid(format!("there is no month {m}"))
        } else {
            invalid(format!("this month has no day {d}"))
        }
    })
}

fn lower_time_lit(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::TimeLit> {
    let span = cx.span(&pair);
    let p = cx.only(&pair)?;
    match p.as_rule() {
        Rule::date => Ok(ast::TimeLit {
            date: parse_date(p.as_str(), span)?,
            time: None,
            offset_seconds: None,
            span,
        }),
        Rule::datetime => {
            let mut inner = p.clone().into_inner();
            let d = cx.next(&mut inner, Rule::date, &p)?;
            let date = parse_date(d.as_str(), span)?;
            let clock = cx.next(&mut inner, Rule::clock, &p)?;
            let time = parse_clock(clock.as_str(), span)?;
            let offset_seconds = match inner.next() {
                None => None,
                Some(o) => Some(parse_offset(o.as_str(), span)?),
            };
            Ok(ast::TimeLit {
                date,
                time: Some(time),
                offset_seconds,
                span,
            })
        }
        _ => Err(cx.unexpected(&p)),
    }
}

fn parse_clock(text: &str, span: Span) -> Result<Time> {
    let invalid = |reason: &str| SyntaxError::InvalidTime {
        text: text.to_string(),
        span,
        reason: reason.to_string(),
    };
    let num = |a: usize, b: usize| text.get(a..b).and_then(|s| s.parse::<i8>().ok());
    let h = num(0, 2).ok_or_else(|| invalid("not a time"))?;
    let m = num(3, 5).ok_or_else(|| invalid("not a time"))?;
    let s = if text.len() >= 8 {
        num(6, 8).ok_or_else(|| invalid("not a time"))?
    } else {
        0
    };
    let nanos = match text.get(9..) {
        Some(frac) if !frac.is_empty() => {
            let padded = format!("{frac:0<9}");
            padded.parse::<i32>().map_err(|_| invalid("bad fraction"))?
        }
        _ => 0,
    };
    if s == 60 {
        return Err(invalid("leap seconds are not supported; use :59"));
    }
    Time::new(h, m, s, nanos).map_err(|_| invalid("hours go to 23, minutes and seconds to 59"))
}

fn parse_offset(text: &str, span: Span) -> Result<i32> {
    if text == "Z" {
        return Ok(0);
    }
    let invalid = || SyntaxError::InvalidTime {
        text: text.to_string(),
        span,
        reason: "offsets go from -23:59 to +23:59".to_string(),
    };
    let sign = if text.starts_with('-') { -1 } else { 1 };
    let h: i32 = text
        .get(1..3)
        .and_then(|s| s.parse().ok())
        .ok_or_else(invalid)?;
    let m: i32 = text
        .get(4..6)
        .and_then(|s| s.parse().ok())
        .ok_or_else(invalid)?;
    if h > 23 || m > 59 {
        return Err(invalid());
    }
    Ok(sign * (h * 3600 + m * 60))
}

fn lower_duration(cx: &Cx, pair: Pair<'_, Rule>) -> Result<ast::DurationLit> {
    let span = cx.span(&pair);
    let mut inner = pair.clone().into_inner();
    let amount_pair = cx.next(&mut inner, Rule::amount, &pair)?;
    let amount: rust_decimal::Decimal =
        amount_pair
            .as_str()
            .parse()
            .map_err(|_| SyntaxError::InvalidNumber {
                text: amount_pair.as_str().to_string(),
                span: cx.span(&amount_pair),
            })?;
    let unit_pair = inner.next().ok_or_else(|| cx.unexpected(&pair))?;
    let word = unit_pair.as_str();
    let unit = if word.starts_with("business") {
        DurationUnit::BusinessDay
    } else {
        match word.trim_end_matches('s') {
            "" => DurationUnit::Second, // `s`
            "second" => DurationUnit::Second,
            "m" | "minute" => DurationUnit::Minute,
            "h" | "hour" => DurationUnit::Hour,
            "d" | "day" => DurationUnit::Day,
            "w" | "week" => DurationUnit::Week,
            _ => return Err(cx.unexpected(&unit_pair)),
        }
    };
    Ok(ast::DurationLit { amount, unit, span })
}

/// Lowers a whole string as one param value (for `--param NAME=VALUE`).
pub(super) fn lower_param_text(text: &str) -> Option<ast::ParamValue> {
    use pest::Parser as _;
    let cx = Cx {
        source: SourceId::default(),
    };
    for rule in [Rule::duration, Rule::time_lit, Rule::number] {
        let Ok(mut pairs) = super::PactaParser::parse(rule, text) else {
            continue;
        };
        let Some(p) = pairs.next() else { continue };
        if p.as_str().len() != text.len() {
            continue;
        }
        let span = cx.span(&p);
        return match rule {
            Rule::duration => lower_duration(&cx, p).ok().map(ast::ParamValue::Duration),
            Rule::time_lit => lower_time_lit(&cx, p).ok().map(ast::ParamValue::Time),
            _ => lower_number(&cx, &p)
                .ok()
                .map(|n| ast::ParamValue::Number(n, span)),
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::unescape;

    #[test]
    fn escapes_decode() {
        assert_eq!(
            unescape(r#"a\"b\\c\nd\u{e9}"#),
            Ok("a\"b\\c\nd\u{e9}".to_string())
        );
        assert_eq!(unescape(r"\q"), Err(r"\q".to_string()));
        assert_eq!(unescape(r"\u{zz}"), Err(r"\u{zz".to_string()));
    }
}
