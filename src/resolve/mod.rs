//! Resolution: syntax trees → [`Model`]. Owns name lookup (parties, event
//! kinds, fields, commitments, variables, params), type checking of field
//! values, the conversion of written times into instants in each file's
//! zone, and the structural rules of commitments and claims. Every problem
//! becomes a [`ResolveError`]; all of them are collected before returning.

mod error;
mod time;

pub use error::ResolveError;
pub use time::{day_end, day_start, local_to_timestamp, rfc3339};

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use jiff::SignedDuration;
use jiff::tz::TimeZone;
use rust_decimal::Decimal;

use crate::ast;
use crate::diagnostics::Diagnostics;
use crate::model::{
    self, Aggregate, Bound, Calendar, ClaimTime, ClauseSpans, Commitment, Cond, Constraint,
    Duration, EventKind, Field, FieldType, Model, Operand, Origin, Param, ParamValue, Party,
    Pattern, Says, Status, Trigger, Value, Var, Window, Zone,
};
use crate::source::{SourceId, SourceMap};
use crate::span::Span;

/// Deepest nested field path (`a.b.c…`) an event declaration may name.
pub const MAX_FIELD_DEPTH: usize = 16;

/// A `--param NAME=VALUE` given on the command line, already parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamOverride {
    /// The param's name.
    pub name: String,
    /// Its value for this run.
    pub value: ast::ParamValue,
}

/// Resolves parsed rule files (in load order) into one model.
pub fn resolve(
    files: &[(SourceId, ast::File)],
    imports: &HashMap<SourceId, Vec<SourceId>>,
    sources: &SourceMap,
    overrides: &[ParamOverride],
) -> Result<Model, Diagnostics> {
    let mut r = Resolver {
        sources,
        diags: Diagnostics::new(),
        parties: Vec::new(),
        party_index: HashMap::new(),
        kinds: Vec::new(),
        kind_index: HashMap::new(),
        names: HashMap::new(),
        commitment_index: HashMap::new(),
        params: Vec::new(),
        param_index: HashMap::new(),
        calendars: HashMap::new(),
        root: sources.root(),
    };
    r.calendars(files, imports);
    r.declarations(files, overrides);
    let model = r.commitments_and_claims(files);
    if r.diags.is_empty() {
        Ok(model)
    } else {
        Err(r.diags)
    }
}

struct Resolver<'a> {
    sources: &'a SourceMap,
    diags: Diagnostics,
    parties: Vec<Party>,
    party_index: HashMap<String, Span>,
    kinds: Vec<EventKind>,
    kind_index: HashMap<String, usize>,
    /// Ids of commitments and claims (one namespace: both are report ids).
    names: HashMap<String, Span>,
    commitment_index: HashMap<String, usize>,
    params: Vec<Param>,
    param_index: HashMap<String, usize>,
    calendars: HashMap<SourceId, Arc<Calendar>>,
    /// The first rule file named by the user.
    root: Option<SourceId>,
}

/// The variables of the commitment being resolved.
struct Scope {
    vars: Vec<Var>,
    typed: Vec<bool>,
    bound: Vec<bool>,
}

impl Scope {
    fn empty() -> Scope {
        Scope {
            vars: Vec::new(),
            typed: Vec::new(),
            bound: Vec::new(),
        }
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.vars.iter().position(|v| v.name == name)
    }
}

impl Resolver<'_> {
    fn calendar(&self, source: SourceId) -> Arc<Calendar> {
        self.calendars.get(&source).cloned().unwrap_or_else(|| {
            Arc::new(Calendar {
                zone: Zone::utc(),
                holidays: BTreeSet::new(),
            })
        })
    }

    fn tz(&self, source: SourceId) -> TimeZone {
        self.calendar(source).zone.tz.clone()
    }

    /// Each file's zone and holidays: its own holidays and, since an
    /// `import` brings the other file's declarations in, those of every
    /// file it imports (files come imports first). The zone stays the
    /// file's own.
    fn calendars(
        &mut self,
        files: &[(SourceId, ast::File)],
        imports: &HashMap<SourceId, Vec<SourceId>>,
    ) {
        for (source, file) in files {
            let mut zone = Zone::utc();
            let mut holidays = BTreeSet::new();
            let mut seen_other = false;
            let mut seen_zone = false;
            for item in &file.items {
                match item {
                    ast::Item::Timezone(name) => {
                        if seen_other || seen_zone {
                            self.diags
                                .push(ResolveError::MisplacedTimezone { span: name.span });
                        }
                        seen_zone = true;
                        match TimeZone::get(&name.value) {
                            Ok(tz) => {
                                zone = Zone {
                                    name: name.value.clone(),
                                    tz,
                                }
                            }
                            Err(_) => self.diags.push(ResolveError::UnknownTimezone {
                                name: name.value.clone(),
                                span: name.span,
                            }),
                        }
                    }
                    ast::Item::Holidays(days, _) => {
                        seen_other = true;
                        holidays.extend(days.iter().map(|d| d.date));
                    }
                    // Imports may precede the zone: they hold no times.
                    ast::Item::Import(_) => {}
                    _ => seen_other = true,
                }
            }
            for imported in imports.get(source).map_or(&[][..], Vec::as_slice) {
                if let Some(c) = self.calendars.get(imported) {
                    holidays.extend(c.holidays.iter().copied());
                }
            }
            self.calendars
                .insert(*source, Arc::new(Calendar { zone, holidays }));
        }
    }

    fn duplicate(&mut self, what: &'static str, name: &str, span: Span, first: Span) {
        let same_file = first.source == span.source;
        self.diags.push(ResolveError::Duplicate {
            what,
            name: name.to_string(),
            span,
            first: same_file.then_some(first),
            help: format!(
                "`{name}` was first declared at {}; rename one of them",
                self.sources.location(first)
            ),
            elsewhere: if same_file {
                Vec::new()
            } else {
                vec![error::FirstDeclared {
                    name: name.to_string(),
                    file: self.sources.name(first.source).to_string(),
                    span: first,
                }]
            },
        });
    }

    fn declarations(&mut self, files: &[(SourceId, ast::File)], overrides: &[ParamOverride]) {
        for (source, file) in files {
            for item in &file.items {
                match item {
                    ast::Item::Party(p) => {
                        if let Some(first) = self.party_index.get(&p.id.name) {
                            self.duplicate("party", &p.id.name, p.id.span, *first);
                            continue;
                        }
                        self.party_index.insert(p.id.name.clone(), p.id.span);
                        self.parties.push(Party {
                            id: p.id.name.clone(),
                            name: p.name.as_ref().map(|s| s.value.clone()),
                            span: p.span,
                        });
                    }
                    ast::Item::Event(e) => self.event_decl(e),
                    ast::Item::Param(p) => self.param_decl(*source, p, overrides),
                    ast::Item::Commitment(c) => {
                        if let Some(first) = self.names.get(&c.id.name) {
                            self.duplicate("commitment", &c.id.name, c.id.span, *first);
                            continue;
                        }
                        self.names.insert(c.id.name.clone(), c.id.span);
                        let idx = self.commitment_index.len();
                        self.commitment_index.insert(c.id.name.clone(), idx);
                    }
                    ast::Item::Claim(c) => {
                        if let Some(first) = self.names.get(&c.id.name) {
                            self.duplicate("claim", &c.id.name, c.id.span, *first);
                            continue;
                        }
                        self.names.insert(c.id.name.clone(), c.id.span);
                    }
                    ast::Item::Timezone(_) | ast::Item::Holidays(..) | ast::Item::Import(_) => {}
                }
            }
        }
        for o in overrides {
            if !self.param_index.contains_key(&o.name) {
                // Reported by the CLI, which knows the flag; nothing to point at here.
                continue;
            }
        }
    }

    fn event_decl(&mut self, e: &ast::EventDecl) {
        if e.id.name == "claim" {
            self.diags.push(ResolveError::Invalid {
                message: "`claim` is a reserved event kind".into(),
                span: e.id.span,
                label: "reserved".into(),
                help: "claims in logs use the kind `claim` with fields `by`, `about`, `says`; rename this kind".into(),
            });
            return;
        }
        if let Some(&first) = self.kind_index.get(&e.id.name) {
            let first = self.kinds.get(first).map_or(e.id.span, |k| k.span);
            self.duplicate("event", &e.id.name, e.id.span, first);
            return;
        }
        let mut fields: Vec<Field> = Vec::new();
        for f in &e.fields {
            if let Some(first) = fields.iter().find(|x| x.name == f.name.name) {
                let first = first.span;
                self.duplicate("field", &f.name.name, f.name.span, first);
                continue;
            }
            let ty = match FieldType::from_name(&f.ty.name) {
                Some(ty) => ty,
                None => {
                    self.diags.push(ResolveError::UnknownType {
                        name: f.ty.name.clone(),
                        span: f.ty.span,
                    });
                    // Kept (as `id`) so later uses of the field add no second error.
                    FieldType::Id
                }
            };
            if f.name.name.split('.').count() > MAX_FIELD_DEPTH {
                self.diags.push(ResolveError::Invalid {
                    message: format!(
                        "field path `{}` nests deeper than {MAX_FIELD_DEPTH} levels",
                        f.name.name
                    ),
                    span: f.name.span,
                    label: "too deep".into(),
                    help: "name a field at most 16 objects deep, e.g. `order.customer.id`".into(),
                });
                continue;
            }
            if matches!(f.name.name.as_str(), "at" | "event") {
                self.diags.push(ResolveError::Invalid {
                    message: format!("field name `{}` is reserved", f.name.name),
                    span: f.name.span,
                    label: "reserved for the log's time and kind".into(),
                    help: "`at` and `event` hold each log line's time and kind; use `--time-field` / `--kind-field` if your log uses other names".into(),
                });
                continue;
            }
            fields.push(Field {
                name: f.name.name.clone(),
                ty,
                span: f.name.span,
            });
        }
        self.kind_index.insert(e.id.name.clone(), self.kinds.len());
        self.kinds.push(EventKind {
            name: e.id.name.clone(),
            fields,
            span: e.id.span,
        });
    }

    fn param_decl(&mut self, source: SourceId, p: &ast::Param, overrides: &[ParamOverride]) {
        if let Some(&first) = self.param_index.get(&p.id.name) {
            let first = self.params.get(first).map_or(p.id.span, |x| x.span);
            self.duplicate("param", &p.id.name, p.id.span, first);
            return;
        }
        let over = overrides.iter().rev().find(|o| o.name == p.id.name);
        let declared = self.param_value(source, &p.value);
        let value = match over {
            Some(o) => {
                let v = self.param_value(source, &o.value);
                if std::mem::discriminant(&v) != std::mem::discriminant(&declared) {
                    self.diags.push(ResolveError::Invalid {
                        message: format!("`--param {}` has the wrong kind of value", p.id.name),
                        span: p.id.span,
                        label: format!("declared as {}", param_kind(&declared)),
                        help: format!("give {} on the command line", param_kind(&declared)),
                    });
                }
                v
            }
            None => declared,
        };
        self.param_index
            .insert(p.id.name.clone(), self.params.len());
        let written = over.map_or(&p.value, |o| &o.value);
        let deadline = match written {
            ast::ParamValue::Time(t) => Some(self.bound(source, t)),
            _ => None,
        };
        self.params.push(Param {
            name: p.id.name.clone(),
            value,
            overridden: over.is_some(),
            deadline,
            span: p.id.span,
        });
    }

    fn param_value(&mut self, source: SourceId, v: &ast::ParamValue) -> ParamValue {
        match v {
            ast::ParamValue::Duration(d) => ParamValue::Duration(self.duration(d)),
            ast::ParamValue::Time(t) => ParamValue::Time(self.instant(source, t, End::Start)),
            ast::ParamValue::Number(n, _) => ParamValue::Number(*n),
        }
    }

    fn duration(&mut self, d: &ast::DurationLit) -> Duration {
        let secs = match d.unit {
            ast::DurationUnit::BusinessDay => {
                return match i64::try_from(d.amount)
                    .ok()
                    .filter(|_| d.amount.fract().is_zero())
                {
                    // As for exact durations: past 1000 years only a typo.
                    Some(n) if n > 1000 * 262 => {
                        self.diags.push(ResolveError::Invalid {
                            message: "duration too long".into(),
                            span: d.span,
                            label: "more than 1000 years of business days".into(),
                            help: "durations are limited to 1000 years".into(),
                        });
                        Duration::BusinessDays(0)
                    }
                    Some(n) => Duration::BusinessDays(n),
                    None => {
                        self.diags.push(ResolveError::Invalid {
                            message: "business days must be whole".into(),
                            span: d.span,
                            label: "not a whole number of business days".into(),
                            help: "write a whole number (`2 business days`); a part of a business day has no meaning".into(),
                        });
                        Duration::BusinessDays(0)
                    }
                };
            }
            ast::DurationUnit::Second => 1,
            ast::DurationUnit::Minute => 60,
            ast::DurationUnit::Hour => 3600,
            ast::DurationUnit::Day => 86_400,
            ast::DurationUnit::Week => 7 * 86_400,
        };
        // Durations beyond 1000 years are refused: they can only be typos, and
        // instants past year 9999 do not exist.
        // Exact to the nanosecond: `1.5 days` is 36 hours.
        let nanos = d
            .amount
            .checked_mul(rust_decimal::Decimal::from(secs))
            .filter(|s| *s <= rust_decimal::Decimal::from(1000_i64 * 366 * 86_400))
            .and_then(|s| s.checked_mul(rust_decimal::Decimal::from(1_000_000_000)));
        match nanos {
            Some(n) if !n.fract().is_zero() => {
                self.diags.push(ResolveError::Invalid {
                    message: "duration finer than a nanosecond".into(),
                    span: d.span,
                    label: "not a whole number of nanoseconds".into(),
                    help: "times are kept to the nanosecond; use fewer decimals".into(),
                });
                Duration::Exact(SignedDuration::ZERO)
            }
            Some(n) => match i128::try_from(n) {
                Ok(n) => Duration::Exact(SignedDuration::from_nanos_i128(n)),
                Err(_) => Duration::Exact(SignedDuration::ZERO),
            },
            None => {
                self.diags.push(ResolveError::Invalid {
                    message: "duration too long".into(),
                    span: d.span,
                    label: "longer than 1000 years".into(),
                    help: "durations are limited to 1000 years".into(),
                });
                Duration::Exact(SignedDuration::ZERO)
            }
        }
    }

    fn instant(&mut self, source: SourceId, t: &ast::TimeLit, end: End) -> jiff::Timestamp {
        let tz = self.tz(source);
        let r = match (t.time, end) {
            (None, End::Start) => day_start(t.date, &tz),
            (None, End::End) => day_end(t.date, &tz),
            (Some(time), _) => local_to_timestamp(t.date, time, t.offset_seconds, &tz),
        };
        match r {
            Ok(ts) => ts,
            Err(reason) => {
                self.diags.push(ResolveError::Invalid {
                    message: "time out of range".into(),
                    span: t.span,
                    label: reason,
                    help: "times must fall between the years -9999 and 9999".into(),
                });
                jiff::Timestamp::UNIX_EPOCH
            }
        }
    }

    fn bound(&mut self, source: SourceId, t: &ast::TimeLit) -> Bound {
        Bound {
            at: self.instant(source, t, End::End),
            day: if t.time.is_none() { Some(t.date) } else { None },
        }
    }

    fn commitments_and_claims(&mut self, files: &[(SourceId, ast::File)]) -> Model {
        let mut commitments = Vec::new();
        let mut claims = Vec::new();
        // Commitments first, so claims and conditions can see every variable.
        let mut asts = Vec::new();
        for (source, file) in files {
            for item in &file.items {
                if let ast::Item::Commitment(c) = item {
                    if self.commitment_index.get(&c.id.name).copied() == Some(asts.len()) {
                        asts.push((*source, c.as_ref()));
                    }
                }
            }
        }
        for (source, c) in &asts {
            commitments.push(self.commitment(*source, c));
        }
        self.reparations(&asts, &mut commitments);
        self.bindings(&asts, &commitments);
        for (source, file) in files {
            for item in &file.items {
                if let ast::Item::Claim(c) = item {
                    if let Some(claim) = self.claim(*source, c, &commitments) {
                        claims.push(claim);
                    }
                }
            }
        }
        // The report's zone (and the zone of local times in logs) is the
        // first rule file named on the command line, not a file it imports.
        let zone = self
            .root
            .or_else(|| files.last().map(|(s, _)| *s))
            .map(|s| self.calendar(s).zone.clone())
            .unwrap_or_else(Zone::utc);
        Model {
            zone,
            parties: std::mem::take(&mut self.parties),
            kinds: std::mem::take(&mut self.kinds),
            commitments,
            claims,
            params: std::mem::take(&mut self.params),
        }
    }

    fn commitment(&mut self, source: SourceId, c: &ast::Commitment) -> Commitment {
        for (clause, span) in &c.repeated {
            self.diags.push(ResolveError::Invalid {
                message: format!("`{clause}` given twice"),
                span: *span,
                label: "repeated".into(),
                help: "give each clause once".into(),
            });
        }
        let mut scope = Scope::empty();
        for v in &c.for_each {
            if scope.find(&v.name).is_some() {
                self.duplicate("variable", &v.name, v.span, v.span);
                continue;
            }
            scope.vars.push(Var {
                name: v.name.clone(),
                ty: FieldType::Id,
                span: v.span,
            });
            scope.typed.push(false);
            scope.bound.push(false);
        }
        // `by NAME` clauses: the one that names a time param is the deadline.
        let mut parties_ast = c.parties.clone();
        let mut deadline_param: Option<ast::Ident> = None;
        let is_time_param = |r: &Self, name: &str| {
            r.param_index
                .get(name)
                .and_then(|i| r.params.get(*i))
                .is_some_and(|p| matches!(p.value, ParamValue::Time(_)))
        };
        for name in &c.by_names {
            if is_time_param(self, &name.name) {
                deadline_param = Some(name.clone());
            } else if let Some(p) = parties_ast.as_mut() {
                if is_time_param(self, &p.debtor.name) && p.creditor.is_none() {
                    deadline_param = Some(std::mem::replace(&mut p.debtor, name.clone()));
                } else {
                    self.diags.push(ResolveError::Invalid {
                        message: "`by` given twice".into(),
                        span: name.span,
                        label: "neither a party clause nor a time param".into(),
                        help: "write `by PARTY [to PARTY]` once; a deadline is `by TIME` or `by PARAM` with a time param".into(),
                    });
                }
            }
        }
        let c_parties = parties_ast;
        let (debtor, creditor) = match &c_parties {
            Some(p) => {
                self.party_ref(&p.debtor);
                if let Some(cr) = &p.creditor {
                    self.party_ref(cr);
                }
                (
                    p.debtor.name.clone(),
                    p.creditor.as_ref().map(|c| c.name.clone()),
                )
            }
            None => {
                self.diags.push(ResolveError::Missing {
                    what: "commitment",
                    name: c.id.name.clone(),
                    clause: "by",
                    span: c.id.span,
                    help: "say who owes it: `by PARTY [to PARTY]`".into(),
                });
                (String::new(), None)
            }
        };
        let trigger = match &c.after {
            Some(cond) => Trigger::After(self.cond(source, cond, &mut scope, true)),
            None => Trigger::Immediate,
        };
        let (prohibition, action, aggregate, must_span) = match &c.must {
            Some(m) => {
                let binds = c.after.is_none();
                let action = self.pattern(source, &m.pattern, &mut scope, binds);
                let aggregate = m.aggregate.as_ref().map(|a| self.aggregate(a, &action));
                (m.negated, action, aggregate, m.span)
            }
            None => {
                self.diags.push(ResolveError::Missing {
                    what: "commitment",
                    name: c.id.name.clone(),
                    clause: "must",
                    span: c.id.span,
                    help: "say what is owed: `must EVENT(…)` or `must not EVENT(…)`".into(),
                });
                (
                    false,
                    Pattern {
                        kind: usize::MAX,
                        constraints: Vec::new(),
                        span: c.id.span,
                    },
                    None,
                    c.id.span,
                )
            }
        };
        let mut params = Vec::new();
        let mut start_param = None;
        let window = match (&c.window, &deadline_param) {
            (Some(w), Some(p)) => {
                self.diags.push(ResolveError::Invalid {
                    message: "deadline given twice".into(),
                    span: p.span,
                    label: "a second deadline".into(),
                    help: format!(
                        "`{}` already has {}",
                        c.id.name, "a `within`, `by` or `between` clause"
                    ),
                });
                let _ = w;
                Window::Open
            }
            (None, Some(p)) => {
                params.push(p.name.clone());
                match self
                    .param_index
                    .get(&p.name)
                    .and_then(|i| self.params.get(*i))
                    .and_then(|x| x.deadline)
                {
                    Some(b) => Window::By(b),
                    None => Window::Open,
                }
            }
            (w, None) => self.window(source, c, w.as_ref(), &mut params, &mut start_param),
        };
        let unless = c
            .unless
            .as_ref()
            .map(|u| self.cond(source, u, &mut scope, false));
        let otherwise = c.otherwise.as_ref().and_then(|o| {
            let idx = self.commitment_ref(o);
            if o.name == c.id.name {
                self.diags.push(ResolveError::Invalid {
                    message: format!("`{}` names itself in `otherwise`", o.name),
                    span: o.span,
                    label: "its own reparation".into(),
                    help: "name another commitment, triggered when this one is violated".into(),
                });
            }
            idx
        });
        for (i, v) in scope.vars.iter_mut().enumerate() {
            if !scope.typed.get(i).copied().unwrap_or(false) {
                v.ty = FieldType::Id;
            }
        }
        Commitment {
            id: c.id.name.clone(),
            title: c.title.as_ref().map(|t| t.value.clone()),
            span: c.span,
            vars: scope.vars,
            debtor,
            creditor,
            trigger,
            prohibition,
            action,
            aggregate,
            window,
            unless,
            otherwise,
            calendar: self.calendar(source),
            spans: ClauseSpans {
                id: c.id.span,
                after: c.after.as_ref().map(|a| a.span()),
                must: must_span,
                window: c.window.as_ref().map(ast::Window::span),
                unless: c.unless.as_ref().map(|u| u.span()),
            },
            params,
            start_param,
        }
    }

    /// The deadline or window clause of a commitment.
    fn window(
        &mut self,
        source: SourceId,
        c: &ast::Commitment,
        w: Option<&ast::Window>,
        params: &mut Vec<String>,
        start_param: &mut Option<String>,
    ) -> Window {
        match w {
            None => Window::Open,
            Some(ast::Window::Within {
                duration,
                before,
                span,
            }) => {
                let duration = match duration {
                    ast::DurationOrParam::Literal(d) => self.duration(d),
                    ast::DurationOrParam::Param(name) => {
                        params.push(name.name.clone());
                        self.duration_param(name)
                    }
                };
                if *before && c.after.is_none() {
                    self.diags.push(ResolveError::Invalid {
                        message: "`within … before` needs an `after` clause".into(),
                        span: *span,
                        label: "looks back from the trigger".into(),
                        help: "the window is the D before the trigger; add `after CONDITION`"
                            .into(),
                    });
                }
                Window::Within {
                    duration,
                    before: *before,
                }
            }
            Some(ast::Window::By(t, _)) => Window::By(self.bound(source, t)),
            Some(ast::Window::Between(a, b, span)) => {
                // A param is the instant it names for the start (the start
                // of its day when written as a date) and its deadline for
                // the end (the end of that day).
                let start = match a {
                    ast::TimeOrParam::Literal(t) => Some(self.instant(source, t, End::Start)),
                    ast::TimeOrParam::Param(p) => {
                        *start_param = Some(p.name.clone());
                        self.time_param(p).map(|(t, _)| t)
                    }
                };
                let end = match b {
                    ast::TimeOrParam::Literal(t) => Some(self.bound(source, t)),
                    ast::TimeOrParam::Param(p) => {
                        params.push(p.name.clone());
                        self.time_param(p).map(|(_, b)| b)
                    }
                };
                // A param already reported: no second error about the order.
                let (Some(start), Some(end)) = (start, end) else {
                    return Window::Open;
                };
                if end.at < start {
                    self.diags.push(ResolveError::Invalid {
                        message: "the window closes before it opens".into(),
                        span: *span,
                        label: "end is before start".into(),
                        help: "write the earlier time first: `between START and END`".into(),
                    });
                }
                Window::Between(start, end)
            }
        }
    }

    fn duration_param(&mut self, name: &ast::Ident) -> Duration {
        self.param_of_kind(
            name,
            "a duration",
            "`within` takes a duration such as `2 days` or a duration param",
            |p| match p.value {
                ParamValue::Duration(d) => Some(d),
                _ => None,
            },
        )
        .unwrap_or(Duration::Exact(SignedDuration::ZERO))
    }

    /// A time param named in a window: its instant and its deadline; `None`
    /// (with an error) for an undeclared param or one of another kind.
    fn time_param(&mut self, name: &ast::Ident) -> Option<(jiff::Timestamp, Bound)> {
        self.param_of_kind(
            name,
            "a time",
            "`between` takes times such as `2025-03-01` or time params",
            |p| match (&p.value, p.deadline) {
                (ParamValue::Time(t), Some(b)) => Some((*t, b)),
                _ => None,
            },
        )
    }

    /// The param `name` as `pick` reads it; `None`, with a located error,
    /// when it is undeclared or not `kind` (`pick` gives `None`).
    fn param_of_kind<T>(
        &mut self,
        name: &ast::Ident,
        kind: &str,
        help: &str,
        pick: impl Fn(&Param) -> Option<T>,
    ) -> Option<T> {
        let Some(p) = self
            .param_index
            .get(&name.name)
            .and_then(|i| self.params.get(*i))
        else {
            let help = self.declared_list("params", self.param_index.keys());
            self.diags.push(ResolveError::Undeclared {
                what: "param",
                name: name.name.clone(),
                span: name.span,
                help,
            });
            return None;
        };
        if let Some(v) = pick(p) {
            return Some(v);
        }
        let is = param_kind(&p.value);
        self.diags.push(ResolveError::Invalid {
            message: format!("param `{}` is not {kind}", name.name),
            span: name.span,
            label: format!("{is}, not {kind}"),
            help: help.into(),
        });
        None
    }

    /// Resolves `otherwise`: each target is triggered by its sources only.
    fn reparations(&mut self, asts: &[(SourceId, &ast::Commitment)], cs: &mut [Commitment]) {
        let mut sources: HashMap<usize, Vec<usize>> = HashMap::new();
        for (i, c) in cs.iter().enumerate() {
            if let Some(t) = c.otherwise {
                sources.entry(t).or_default().push(i);
            }
        }
        for (target, from) in sources {
            let Some((_, ast_c)) = asts.get(target) else {
                continue;
            };
            if let Some(after) = &ast_c.after {
                self.diags.push(ResolveError::Invalid {
                    message: format!(
                        "`{}` is a reparation (named by `otherwise`) and cannot have `after`",
                        ast_c.id.name
                    ),
                    span: after.span(),
                    label: "a reparation is triggered only by a violation".into(),
                    help:
                        "remove the `after` clause, or stop naming this commitment in `otherwise`"
                            .into(),
                });
            }
            let target_vars: Vec<String> = cs
                .get(target)
                .map(|t| t.vars.iter().map(|v| v.name.clone()).collect())
                .unwrap_or_default();
            for &s in &from {
                let Some(src) = cs.get(s) else { continue };
                for v in &target_vars {
                    if !src.vars.iter().any(|sv| &sv.name == v) {
                        let span = ast_c.span;
                        self.diags.push(ResolveError::Invalid {
                            message: format!(
                                "reparation `{}` needs variable `{v}`, which `{}` does not have",
                                ast_c.id.name, src.id
                            ),
                            span: ast_c.id.span,
                            label: "triggered with the violated instance's bindings".into(),
                            help: format!(
                                "give `{}` a `for each {v}`, or remove `{v}` from `{}` (block at {})",
                                src.id,
                                ast_c.id.name,
                                self.sources.location(span)
                            ),
                        });
                    }
                }
            }
            if let Some(t) = cs.get_mut(target) {
                let mut from = from;
                from.sort_unstable();
                t.trigger = Trigger::Reparation(from);
            }
        }
    }

    /// Checks that every `for each` variable is bound by the trigger, the
    /// action (when there is no trigger) or the violated commitment.
    fn bindings(&mut self, asts: &[(SourceId, &ast::Commitment)], cs: &[Commitment]) {
        for (i, c) in cs.iter().enumerate() {
            let Some((_, ast_c)) = asts.get(i) else {
                continue;
            };
            if let Trigger::After(cond) = &c.trigger {
                if true_without_events(cond) {
                    self.diags.push(ResolveError::Invalid {
                        message: format!("the `after` condition of `{}` holds before anything happens", c.id),
                        span: c.spans.after.unwrap_or(c.spans.id),
                        label: "true from the start".into(),
                        help: "a trigger needs something to happen: combine `not` with an event or a commitment, e.g. `after ordered(o) and not paid(o)`, or drop `after` for a commitment in force from the start".into(),
                    });
                }
            }
            if let Some(u) = &c.unless {
                if true_without_events(u) {
                    self.diags.push(ResolveError::Invalid {
                        message: format!("the `unless` condition of `{}` holds before anything happens", c.id),
                        span: c.spans.unless.unwrap_or(c.spans.id),
                        label: "true from the start: it would cancel every instance".into(),
                        help: "an `unless` needs something to happen: combine `not` with an event or a commitment, e.g. `unless refunded(o) and not disputed(o)`".into(),
                    });
                }
            }
            for v in &c.vars {
                let bound = match &c.trigger {
                    Trigger::Reparation(_) => true, // checked in `reparations`
                    Trigger::Immediate => pattern_binds(&c.action, c, &v.name),
                    Trigger::After(cond) => cond_binds(cond, c, cs, &v.name),
                };
                if !bound {
                    let help = match &c.trigger {
                        Trigger::Immediate => format!(
                            "use `{}` as a field value in the `must` pattern, e.g. `{}({}: {})`",
                            v.name,
                            self.kinds
                                .get(c.action.kind)
                                .map_or("event", |k| k.name.as_str()),
                            v.name,
                            v.name
                        ),
                        _ => format!(
                            "use `{}` in an event pattern of `after` (not under `not`), or name a commitment that has it",
                            v.name
                        ),
                    };
                    let _ = ast_c;
                    self.diags.push(ResolveError::Unbound {
                        name: v.name.clone(),
                        span: v.span,
                        help,
                    });
                }
            }
        }
    }

    fn party_ref(&mut self, id: &ast::Ident) -> bool {
        if self.party_index.contains_key(&id.name) {
            return true;
        }
        let help = self.declared_list("parties", self.party_index.keys());
        self.diags.push(ResolveError::Undeclared {
            what: "party",
            name: id.name.clone(),
            span: id.span,
            help,
        });
        false
    }

    fn commitment_ref(&mut self, id: &ast::Ident) -> Option<usize> {
        if let Some(i) = self.commitment_index.get(&id.name) {
            return Some(*i);
        }
        let help = self.declared_list("commitments", self.commitment_index.keys());
        self.diags.push(ResolveError::Undeclared {
            what: "commitment",
            name: id.name.clone(),
            span: id.span,
            help,
        });
        None
    }

    fn declared_list<'k>(&self, what: &str, names: impl Iterator<Item = &'k String>) -> String {
        let mut names: Vec<&String> = names.collect();
        names.sort();
        if names.is_empty() {
            return format!("no {what} are declared");
        }
        let shown: Vec<String> = names.iter().take(8).map(|n| format!("`{n}`")).collect();
        let more = if names.len() > 8 { ", …" } else { "" };
        format!("declared {what}: {}{more}", shown.join(", "))
    }

    fn cond(&mut self, source: SourceId, c: &ast::Cond, scope: &mut Scope, binds: bool) -> Cond {
        match c {
            ast::Cond::And(a, b, _) => Cond::And(
                Box::new(self.cond(source, a, scope, binds)),
                Box::new(self.cond(source, b, scope, binds)),
            ),
            ast::Cond::Or(a, b, _) => Cond::Or(
                Box::new(self.cond(source, a, scope, binds)),
                Box::new(self.cond(source, b, scope, binds)),
            ),
            ast::Cond::Not(a, _) => Cond::Not(Box::new(self.cond(source, a, scope, false))),
            ast::Cond::Fulfilled(id) => {
                let idx = self.commitment_ref(id).unwrap_or(usize::MAX);
                Cond::Status(idx, Status::Fulfilled)
            }
            ast::Cond::Status(id, status, _) => {
                let idx = self.commitment_ref(id).unwrap_or(usize::MAX);
                let st = match Status::from_name(&status.name) {
                    Some(
                        s @ (Status::Fulfilled
                        | Status::Violated
                        | Status::Cancelled
                        | Status::Expired),
                    ) => s,
                    _ => {
                        self.diags.push(ResolveError::Invalid {
                            message: format!("`{}` is not a status a condition can wait for", status.name),
                            span: status.span,
                            label: "unknown status".into(),
                            help: "conditions take `is violated`, `is fulfilled`, `is cancelled` or `is expired`".into(),
                        });
                        Status::Fulfilled
                    }
                };
                Cond::Status(idx, st)
            }
            ast::Cond::Event(p) => Cond::Event(self.pattern(source, p, scope, binds)),
            ast::Cond::Time(t) => Cond::Time(self.instant(source, t, End::Start)),
        }
    }

    fn aggregate(&mut self, a: &ast::Aggregate, action: &Pattern) -> Aggregate {
        let sum_of = a.sum_of.as_ref().and_then(|f| {
            let kind = self.kinds.get(action.kind)?;
            match kind.field(&f.name) {
                Some(i) => {
                    let ty = kind.fields.get(i).map(|x| x.ty)?;
                    if !ty.is_numeric() {
                        self.diags.push(ResolveError::Invalid {
                            message: format!("`sum({})` needs a number field, and `{}` is `{}`", f.name, f.name, ty.name()),
                            span: f.span,
                            label: format!("{} `{}` field", if ty == FieldType::Id || ty == FieldType::Int { "an" } else { "a" }, ty.name()),
                            help: "`sum(…)` adds up an `int` or `number` field; use `with count >= N` to count events".into(),
                        });
                    }
                    Some(i)
                }
                None => {
                    let help = field_help(kind);
                    let name = kind.name.clone();
                    self.diags.push(ResolveError::Undeclared {
                        what: "field",
                        name: format!("{}.{}", name, f.name),
                        span: f.span,
                        help,
                    });
                    None
                }
            }
        });
        let (at_least, param) = match &a.at_least {
            ast::NumberOrParam::Literal(n) => (*n, None),
            ast::NumberOrParam::Param(name) => {
                let n = self.param_of_kind(
                    name,
                    "a number",
                    "the bound of `with count >= …` or `with sum(…) >= …` is a number or a number param",
                    |p| match p.value {
                        ParamValue::Number(n) => Some(n),
                        _ => None,
                    },
                );
                (n.unwrap_or(Decimal::ONE), Some(name.name.clone()))
            }
        };
        Aggregate {
            sum_of,
            at_least,
            param,
        }
    }

    fn pattern(
        &mut self,
        source: SourceId,
        p: &ast::Pattern,
        scope: &mut Scope,
        binds: bool,
    ) -> Pattern {
        let Some(&kind) = self.kind_index.get(&p.kind.name) else {
            let help = self.declared_list("events", self.kind_index.keys());
            self.diags.push(ResolveError::Undeclared {
                what: "event",
                name: p.kind.name.clone(),
                span: p.kind.span,
                help,
            });
            return Pattern {
                kind: usize::MAX,
                constraints: Vec::new(),
                span: p.span,
            };
        };
        let mut constraints = Vec::new();
        for c in &p.constraints {
            let Some(k) = self.kinds.get(kind) else { break };
            let Some(field) = k.field(&c.field.name) else {
                let help = field_help(k);
                self.diags.push(ResolveError::Undeclared {
                    what: "field",
                    name: format!("{}.{}", k.name, c.field.name),
                    span: c.field.span,
                    help,
                });
                continue;
            };
            let Some(ty) = k.fields.get(field).map(|f| f.ty) else {
                continue;
            };
            if c.op != ast::CmpOp::Eq && c.op != ast::CmpOp::Ne && !ty.is_ordered() {
                self.diags.push(ResolveError::Invalid {
                    message: format!("`{}` cannot compare a `{}` field", c.op.symbol(), ty.name()),
                    span: c.span,
                    label: "not an ordered type".into(),
                    help: "`<`, `<=`, `>` and `>=` work on `int`, `number` and `time` fields"
                        .into(),
                });
                continue;
            }
            // A calendar day compared with a time field is the whole day: its
            // first instant as a lower bound, its last as an upper one (as a
            // day used as a window's end, design §4), and `=` means on that
            // day.
            if let (FieldType::Time, ast::Value::Time(t)) = (ty, &c.value) {
                if t.time.is_none() {
                    let (start, end) = (
                        self.instant(source, t, End::Start),
                        self.instant(source, t, End::End),
                    );
                    let bounds: &[(ast::CmpOp, jiff::Timestamp)] = match c.op {
                        ast::CmpOp::Lt | ast::CmpOp::Ge => &[(c.op, start)],
                        ast::CmpOp::Le | ast::CmpOp::Gt => &[(c.op, end)],
                        ast::CmpOp::Eq => &[(ast::CmpOp::Ge, start), (ast::CmpOp::Le, end)],
                        ast::CmpOp::Ne => {
                            self.diags.push(ResolveError::Invalid {
                                message: format!(
                                    "`!=` with the calendar day `{}` is not one comparison",
                                    t.date
                                ),
                                span: c.span,
                                label: "a day is a span of time".into(),
                                help: format!(
                                    "write a time (`{}T00:00`), or compare with `<` and `>`",
                                    t.date
                                ),
                            });
                            &[]
                        }
                    };
                    for &(op, at) in bounds {
                        constraints.push(Constraint {
                            field,
                            op,
                            operand: Operand::Lit(Value::Time(at)),
                        });
                    }
                    continue;
                }
            }
            if let Some(operand) =
                self.operand(source, &c.field.name, ty, c.op, &c.value, scope, binds)
            {
                constraints.push(Constraint {
                    field,
                    op: c.op,
                    operand,
                });
            }
        }
        Pattern {
            kind,
            constraints,
            span: p.span,
        }
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "one call site; the arguments are the constraint's parts"
    )]
    fn operand(
        &mut self,
        source: SourceId,
        field: &str,
        ty: FieldType,
        op: ast::CmpOp,
        v: &ast::Value,
        scope: &mut Scope,
        binds: bool,
    ) -> Option<Operand> {
        let wrong = |found: &str, help: &str| ResolveError::WrongType {
            field: field.to_string(),
            expected: ty.name(),
            found: found.to_string(),
            span: v.span(),
            help: help.to_string(),
        };
        let value = match v {
            ast::Value::Name(id) => {
                if let Some(i) = scope.find(&id.name) {
                    if op != ast::CmpOp::Eq {
                        self.diags.push(ResolveError::Invalid {
                            message: format!("variable `{}` can only be matched with `:`", id.name),
                            span: v.span(),
                            label: "compared, not matched".into(),
                            help: "a `for each` variable is bound by equality; compare fields with literals".into(),
                        });
                        return None;
                    }
                    let declared = scope.vars.get(i).map(|x| x.ty);
                    let typed = scope.typed.get(i).copied().unwrap_or(false);
                    if typed && declared != Some(ty) {
                        let had = declared.map_or("?", FieldType::name);
                        self.diags.push(wrong(
                            &format!("variable `{}` of type `{had}`", id.name),
                            "a variable keeps one type: bind it only to fields of the same type",
                        ));
                        return None;
                    }
                    if let Some(var) = scope.vars.get_mut(i) {
                        var.ty = ty;
                    }
                    if let Some(t) = scope.typed.get_mut(i) {
                        *t = true;
                    }
                    if binds {
                        if let Some(b) = scope.bound.get_mut(i) {
                            *b = true;
                        }
                    }
                    return Some(Operand::Var(i));
                }
                if self.party_index.contains_key(&id.name) {
                    if ty != FieldType::Party {
                        self.diags.push(wrong(
                            &format!("the party `{}`", id.name),
                            "write ids and text as strings in double quotes",
                        ));
                        return None;
                    }
                    return Some(Operand::Lit(Value::Party(id.name.as_str().into())));
                }
                if let Some(p) = self
                    .param_index
                    .get(&id.name)
                    .and_then(|i| self.params.get(*i))
                {
                    let lit = match (&p.value, ty) {
                        (ParamValue::Number(n), FieldType::Number) => Value::Number(*n),
                        (ParamValue::Number(n), FieldType::Int) if n.fract().is_zero() => {
                            Value::Int(i64::try_from(*n).unwrap_or(i64::MAX))
                        }
                        (ParamValue::Time(t), FieldType::Time) => Value::Time(*t),
                        _ => {
                            self.diags.push(wrong(
                                &format!("the param `{}`", id.name),
                                "use a param of the field's type",
                            ));
                            return None;
                        }
                    };
                    return Some(Operand::Lit(lit));
                }
                let mut help = self.declared_list("parties", self.party_index.keys());
                if !scope.vars.is_empty() {
                    let vars: Vec<String> =
                        scope.vars.iter().map(|v| format!("`{}`", v.name)).collect();
                    help = format!("{help}; variables: {}", vars.join(", "));
                }
                if matches!(ty, FieldType::Id | FieldType::Text) {
                    help = format!(
                        "{help}; a literal id is written in quotes: `\"{}\"`",
                        id.name
                    );
                }
                let what = if ty == FieldType::Party {
                    "party"
                } else {
                    "name"
                };
                self.diags.push(ResolveError::Undeclared {
                    what,
                    name: id.name.clone(),
                    span: id.span,
                    help,
                });
                return None;
            }
            ast::Value::Str(s) => match ty {
                FieldType::Id | FieldType::Text => Value::Str(s.value.as_str().into()),
                FieldType::Party if self.party_index.contains_key(&s.value) => {
                    Value::Party(s.value.as_str().into())
                }
                FieldType::Party => {
                    let help = self.declared_list("parties", self.party_index.keys());
                    self.diags.push(ResolveError::Undeclared {
                        what: "party",
                        name: s.value.clone(),
                        span: s.span,
                        help,
                    });
                    return None;
                }
                _ => {
                    self.diags
                        .push(wrong("a string", "write the value without quotes"));
                    return None;
                }
            },
            ast::Value::Number(n, _) => match ty {
                FieldType::Number => Value::Number(*n),
                FieldType::Int => match (n.fract().is_zero(), i64::try_from(*n)) {
                    (true, Ok(i)) => Value::Int(i),
                    _ => {
                        self.diags
                            .push(wrong("a decimal number", "`int` fields take whole numbers"));
                        return None;
                    }
                },
                FieldType::Id => Value::Str(n.to_string().into()),
                _ => {
                    self.diags
                        .push(wrong("a number", "write a value of the field's type"));
                    return None;
                }
            },
            ast::Value::Bool(b, _) => match ty {
                FieldType::Bool => Value::Bool(*b),
                _ => {
                    self.diags
                        .push(wrong("a boolean", "write a value of the field's type"));
                    return None;
                }
            },
            ast::Value::Time(t) => match ty {
                FieldType::Time => Value::Time(self.instant(source, t, End::Start)),
                _ => {
                    self.diags
                        .push(wrong("a time", "write a value of the field's type"));
                    return None;
                }
            },
        };
        Some(Operand::Lit(value))
    }

    fn claim(
        &mut self,
        source: SourceId,
        c: &ast::Claim,
        cs: &[Commitment],
    ) -> Option<model::Claim> {
        for (clause, span) in &c.repeated {
            self.diags.push(ResolveError::Invalid {
                message: format!("`{clause}` given twice"),
                span: *span,
                label: "repeated".into(),
                help: "give each clause once".into(),
            });
        }
        let Some((party, time, _)) = &c.by else {
            self.diags.push(ResolveError::Missing {
                what: "claim",
                name: c.id.name.clone(),
                clause: "by",
                span: c.id.span,
                help: "say who made it and when: `by PARTY on 2025-05-30`".into(),
            });
            return None;
        };
        self.party_ref(party);
        // A day-dated claim may have been made at any instant of its day
        // (docs/language.md §7.5).
        let judged_at = self.instant(source, time, End::End);
        let from = match time.time {
            // The day's end was in range (or reported), so its start is.
            None => day_start(time.date, &self.tz(source)).unwrap_or(judged_at),
            Some(_) => judged_at,
        };
        let at = ClaimTime {
            judged_at,
            from,
            day: time.time.is_none().then_some(time.date),
        };
        let Some(says) = &c.says else {
            self.diags.push(ResolveError::Missing {
                what: "claim",
                name: c.id.name.clone(),
                clause: "says",
                span: c.id.span,
                help: "say what it claims: `says ID is STATUS` or `says EVENT(…) happened`".into(),
            });
            return None;
        };
        let says = match says {
            ast::Says::Status {
                commitment,
                selector,
                status,
                ..
            } => {
                let idx = self.commitment_ref(commitment)?;
                let st = match Status::from_name(&status.name) {
                    Some(s) => s,
                    None => {
                        self.diags.push(ResolveError::Invalid {
                            message: format!("unknown status `{}`", status.name),
                            span: status.span,
                            label: "not a status".into(),
                            help: "statuses are `inactive`, `pending`, `fulfilled`, `violated`, `cancelled` and `expired`".into(),
                        });
                        return None;
                    }
                };
                let target = cs.get(idx)?;
                let bindings = self.selector(source, target, selector, c.id.span)?;
                Says::Status {
                    commitment: idx,
                    bindings: Some(bindings),
                    status: st,
                }
            }
            ast::Says::Event {
                pattern, happened, ..
            } => {
                let mut scope = Scope::empty();
                Says::Event {
                    pattern: self.pattern(source, pattern, &mut scope, false),
                    happened: *happened,
                }
            }
        };
        Some(model::Claim {
            id: c.id.name.clone(),
            title: c.title.as_ref().map(|t| t.value.clone()),
            by: party.name.clone(),
            at,
            source: c.source.as_ref().map(|s| s.value.clone()),
            says,
            origin: Origin::Rule(c.span),
        })
    }

    fn selector(
        &mut self,
        source: SourceId,
        target: &Commitment,
        selector: &[(ast::Ident, ast::Value)],
        claim_span: Span,
    ) -> Option<Vec<Value>> {
        let mut values: Vec<Option<Value>> = vec![None; target.vars.len()];
        let mut ok = true;
        for (var, val) in selector {
            let Some(i) = target.vars.iter().position(|v| v.name == var.name) else {
                let vars: Vec<String> = target
                    .vars
                    .iter()
                    .map(|v| format!("`{}`", v.name))
                    .collect();
                self.diags.push(ResolveError::Undeclared {
                    what: "variable",
                    name: var.name.clone(),
                    span: var.span,
                    help: if vars.is_empty() {
                        format!("`{}` has one instance and takes no bindings", target.id)
                    } else {
                        format!("`{}` has variables {}", target.id, vars.join(", "))
                    },
                });
                ok = false;
                continue;
            };
            let ty = target.vars.get(i).map_or(FieldType::Id, |v| v.ty);
            let mut scope = Scope::empty();
            match self.operand(
                source,
                &var.name,
                ty,
                ast::CmpOp::Eq,
                val,
                &mut scope,
                false,
            ) {
                Some(Operand::Lit(v)) => {
                    if let Some(slot) = values.get_mut(i) {
                        *slot = Some(v);
                    }
                }
                _ => ok = false,
            }
        }
        if !ok {
            return None;
        }
        let missing: Vec<String> = target
            .vars
            .iter()
            .zip(&values)
            .filter(|(_, v)| v.is_none())
            .map(|(var, _)| format!("`{}`", var.name))
            .collect();
        if !missing.is_empty() {
            self.diags.push(ResolveError::Invalid {
                message: format!("the claim names no instance of `{}`", target.id),
                span: claim_span,
                label: format!("no value for {}", missing.join(", ")),
                help: format!(
                    "name the instance: `says {}[{}] is …`",
                    target.id,
                    target
                        .vars
                        .iter()
                        .map(|v| format!("{}: …", v.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
            return None;
        }
        Some(values.into_iter().flatten().collect())
    }
}

#[derive(Clone, Copy)]
enum End {
    Start,
    End,
}

fn param_kind(v: &ParamValue) -> &'static str {
    match v {
        ParamValue::Duration(_) => "a duration",
        ParamValue::Time(_) => "a time",
        ParamValue::Number(_) => "a number",
    }
}

fn field_help(kind: &EventKind) -> String {
    if kind.fields.is_empty() {
        return format!("`{}` declares no fields", kind.name);
    }
    let fields: Vec<String> = kind
        .fields
        .iter()
        .map(|f| format!("`{}: {}`", f.name, f.ty.name()))
        .collect();
    format!("`{}` has {}", kind.name, fields.join(", "))
}

/// True when the condition holds with every event, commitment status and
/// time still to come (only `not` can make that so).
fn true_without_events(cond: &Cond) -> bool {
    match cond {
        Cond::And(a, b) => true_without_events(a) && true_without_events(b),
        Cond::Or(a, b) => true_without_events(a) || true_without_events(b),
        Cond::Not(a) => !true_without_events(a),
        Cond::Status(..) | Cond::Event(_) | Cond::Time(_) => false,
    }
}

fn pattern_binds(p: &Pattern, c: &Commitment, var: &str) -> bool {
    let Some(i) = c.vars.iter().position(|v| v.name == var) else {
        return false;
    };
    p.constraints
        .iter()
        .any(|k| k.op == ast::CmpOp::Eq && k.operand == Operand::Var(i))
}

fn cond_binds(cond: &Cond, c: &Commitment, cs: &[Commitment], var: &str) -> bool {
    match cond {
        Cond::And(a, b) => cond_binds(a, c, cs, var) || cond_binds(b, c, cs, var),
        // Both branches must bind it, or an instance could lack a value.
        Cond::Or(a, b) => cond_binds(a, c, cs, var) && cond_binds(b, c, cs, var),
        Cond::Not(_) | Cond::Time(_) => false,
        Cond::Event(p) => pattern_binds(p, c, var),
        Cond::Status(other, _) => cs
            .get(*other)
            .is_some_and(|o| o.vars.iter().any(|v| v.name == var)),
    }
}

/// Decimal helper for tests and reports.
pub fn decimal(s: &str) -> Option<Decimal> {
    s.parse().ok()
}
