//! The `commitments` rows of a streamed run's JSON report, written straight
//! from the store's records ([`crate::stream::View`]): no [`Instance`] is
//! built, and what every row of a commitment shares (its id, title,
//! parties, rule, the log's name, the kinds' and sources' names) is escaped
//! once. The bytes are those of [`super::json::write_commitment`] for the
//! same instance, which stays the reference: the streaming tests hold the
//! two engines' reports byte-identical on every fixture.
//!
//! [`Instance`]: crate::eval::Instance

use jiff::Timestamp;

use super::json::{escaped, push_decimal, string, write_commitment, write_value};
use crate::Checked;
use crate::eval::Role;
use crate::model::{Commitment, Status};
use crate::stream::{Store, View};

/// What the rows of a run share, escaped once.
pub(super) struct Shared {
    /// `"name"` of each kind, by index.
    kinds: Vec<Vec<u8>>,
    /// `"text"` of each source, by [`Store::source`] number − 1.
    sources: Vec<Vec<u8>>,
    /// `"file:` of the log, to which a line number and `"` are added.
    log: Vec<u8>,
}

impl Shared {
    /// For the rows of `store`, a streamed run of `run`.
    pub(super) fn new(run: &Checked, store: &Store) -> Shared {
        let quoted = |s: &str| {
            let mut b = Vec::with_capacity(s.len() + 2);
            string(&mut b, s);
            b
        };
        let mut log = vec![b'"'];
        escaped(&mut log, run.sources.log_name(store.log));
        log.push(b':');
        Shared {
            kinds: run.model.kinds.iter().map(|k| quoted(&k.name)).collect(),
            sources: (1..=u32::try_from(store.sources.len()).unwrap_or(0))
                .map(|n| quoted(store.source(n).unwrap_or_default()))
                .collect(),
            log,
        }
    }
}

/// The parts of a row that depend only on its commitment, in the one-line
/// layout of the list's rows ([`super::json::Rows`]).
struct Head {
    /// `{` … `"bindings": `
    open: Vec<u8>,
    /// For each variable: `"var": ` (after `, ` but for the first).
    vars: Vec<Vec<u8>>,
    /// `, "status": `
    status: &'static [u8],
    /// `, "title": …` through `"trigger_at": `
    middle: Vec<u8>,
}

impl Head {
    fn new(c: &Commitment, rule: &str) -> Head {
        let mut open = b"{\"id\": ".to_vec();
        string(&mut open, &c.id);
        open.extend_from_slice(b", \"bindings\": ");
        let vars = c
            .vars
            .iter()
            .enumerate()
            .map(|(n, v)| {
                let mut b = if n == 0 { Vec::new() } else { b", ".to_vec() };
                string(&mut b, &v.name);
                b.extend_from_slice(b": ");
                b
            })
            .collect();
        let mut middle = b", \"title\": ".to_vec();
        opt_string(&mut middle, c.title.as_deref());
        middle.extend_from_slice(b", \"by\": ");
        string(&mut middle, &c.debtor);
        middle.extend_from_slice(b", \"to\": ");
        opt_string(&mut middle, c.creditor.as_deref());
        middle.extend_from_slice(b", \"rule\": ");
        string(&mut middle, rule);
        middle.extend_from_slice(b", \"trigger_at\": ");
        Head {
            open,
            vars,
            status: b", \"status\": ",
            middle,
        }
    }
}

fn opt_string(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => string(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// Appends the rows of one block of `store` to `out`, each after its
/// separator `,\n    `.
pub(super) fn write_block(
    out: &mut Vec<u8>,
    run: &Checked,
    shared: &Shared,
    store: &Store,
    block: (usize, std::ops::Range<usize>),
) {
    let Some(c) = run.model.commitments.get(block.0) else {
        return;
    };
    let rule = run.sources.location(c.span);
    let head = Head::new(c, &rule);
    for row in store.views(&run.model, block) {
        out.extend_from_slice(b",\n    ");
        match row {
            Ok(v) => write_view(out, run, shared, &head, &v),
            Err(i) => write_commitment(out, run, (c, &rule), &i, 2),
        }
    }
}

/// One piece of evidence of a view.
#[derive(Clone, Copy)]
struct Cited {
    at: Timestamp,
    role: Role,
    /// The event (`None`: the deadline).
    ev: Option<crate::stream::Ev>,
}

/// One row: the bytes [`write_commitment`] writes for the instance
/// [`Store`] would build from the same record.
fn write_view(out: &mut Vec<u8>, run: &Checked, shared: &Shared, head: &Head, v: &View<'_>) {
    let zone = &run.model.zone;
    let time = |out: &mut Vec<u8>, t: Option<Timestamp>| match t
        .filter(|t| *t != Timestamp::MIN && *t != Timestamp::MAX)
    {
        Some(t) => {
            out.push(b'"');
            super::write_time(out, t, zone);
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    };
    out.extend_from_slice(&head.open);
    // Bindings: one string (the common `for each order`) read in place.
    match (head.vars.as_slice(), crate::stream::single_text(v.key)) {
        ([], _) => out.extend_from_slice(b"{}"),
        ([var], Some(s)) => {
            out.push(b'{');
            out.extend_from_slice(var);
            out.push(b'"');
            escaped(out, s);
            out.extend_from_slice(b"\"}");
        }
        (vars, _) => {
            let values = crate::stream::decode(v.key, vars.len()).unwrap_or_default();
            out.push(b'{');
            for (var, value) in vars.iter().zip(&values) {
                out.extend_from_slice(var);
                write_value(out, value);
            }
            out.push(b'}');
        }
    }
    out.extend_from_slice(head.status);
    out.push(b'"');
    out.extend_from_slice(v.status.name().as_bytes());
    out.push(b'"');
    out.extend_from_slice(&head.middle);
    let t = v.trigger.at;
    time(out, Some(t));
    out.extend_from_slice(b", \"opens_at\": null, \"deadline\": ");
    time(out, v.deadline);
    // As `Store::build` decides: the decision's time and the evidence.
    let mut cited = [Cited {
        at: t,
        role: Role::Trigger,
        ev: Some(v.trigger),
    }; 3];
    let mut n = 1;
    let mut late = None;
    let mut cite = |c: Cited| {
        if let Some(slot) = cited.get_mut(n) {
            *slot = c;
            n += 1;
        }
    };
    let decided = match (v.status, v.decided, v.deadline) {
        (Status::Fulfilled, Some(f), _) => {
            cite(Cited {
                at: f.at,
                role: Role::Fulfilment,
                ev: Some(f),
            });
            Some(f.at)
        }
        (Status::Cancelled, Some(u), _) => {
            cite(Cited {
                at: u.at,
                role: Role::Cancellation,
                ev: Some(u),
            });
            Some(u.at.max(t))
        }
        (Status::Violated, _, Some(d)) => {
            cite(Cited {
                at: d,
                role: Role::Violation,
                ev: None,
            });
            if let Some(l) = v.late {
                cite(Cited {
                    at: l.at,
                    role: Role::Late,
                    ev: Some(l),
                });
                late = Some(l.at);
            }
            Some(d)
        }
        _ => None,
    };
    let cited = cited.get_mut(..n).unwrap_or_default();
    cited.sort_by(|a, b| a.at.cmp(&b.at).then(a.role.cmp(&b.role)));
    out.extend_from_slice(b", \"decided_at\": ");
    time(out, decided);
    out.extend_from_slice(b", \"late_at\": ");
    time(out, late);
    out.extend_from_slice(b", \"progress\": null, \"evidence\": [");
    for (k, e) in cited.iter().enumerate() {
        out.extend_from_slice(if k == 0 { b"{" } else { b", {" });
        out.extend_from_slice(b"\"role\": \"");
        out.extend_from_slice(e.role.name().as_bytes());
        out.extend_from_slice(b"\", \"at\": ");
        time(out, Some(e.at));
        match e.ev {
            Some(ev) => {
                out.extend_from_slice(b", \"log\": ");
                out.extend_from_slice(&shared.log);
                push_decimal(out, ev.line);
                out.extend_from_slice(b"\", \"event\": ");
                match shared.kinds.get(ev.kind as usize) {
                    Some(k) => out.extend_from_slice(k),
                    None => out.extend_from_slice(b"\"?\""),
                }
                if let Some(s) = ev
                    .source
                    .checked_sub(1)
                    .and_then(|i| shared.sources.get(i as usize))
                {
                    out.extend_from_slice(b", \"source\": ");
                    out.extend_from_slice(s);
                }
            }
            None => out.extend_from_slice(b", \"what\": \"deadline\""),
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
}
