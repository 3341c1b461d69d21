//! Drawings of the commitment graph: Graphviz DOT and Mermaid, coloured by
//! verdict when a check was run. Nodes and edges are listed in a fixed
//! order (commitments by id, then claims by id, then claims read from the
//! logs by `file:line`), so drawings are diffable.

use std::fmt::Write as _;

use petgraph::visit::EdgeRef as _;

use crate::eval::{Evaluation, Verdict};
use crate::graph::{Graph, Node};
use crate::model::{Model, Origin, Says, Status};

/// What a node shows: its id, title and (after a check) its verdict word.
struct Shown {
    /// The commitment a claim read from a log is about (such a claim is no
    /// node of the rules' graph: its edge is drawn from here).
    about: Option<petgraph::graph::NodeIndex>,
    key: String,
    label: String,
    colour: Option<&'static str>,
    claim: bool,
}

/// The status of a commitment as a whole: its most pressing instance.
fn commitment_status(eval: &Evaluation, idx: usize) -> Option<Status> {
    let insts = eval.commitments.get(idx)?;
    let order = [
        Status::Violated,
        Status::Pending,
        Status::Inactive,
        Status::Expired,
        Status::Cancelled,
        Status::Fulfilled,
    ];
    let statuses: Vec<Status> = insts.list.iter().map(|i| i.status_at(eval.as_of)).collect();
    order.into_iter().find(|s| statuses.contains(s))
}

fn status_colour(s: Status) -> &'static str {
    match s {
        Status::Fulfilled => "#b7e1b0",
        Status::Violated => "#f4a6a6",
        Status::Pending => "#ffd89b",
        Status::Cancelled | Status::Expired => "#d9d9d9",
        Status::Inactive => "#ffffff",
    }
}

fn verdict_colour(v: Verdict) -> &'static str {
    match v {
        Verdict::Consistent => "#b7e1b0",
        Verdict::Contradicted => "#f4a6a6",
        Verdict::Unverifiable => "#d9d9d9",
    }
}

fn nodes(
    model: &Model,
    graph: &Graph,
    eval: Option<&Evaluation>,
) -> Vec<(petgraph::graph::NodeIndex, Shown)> {
    let mut out: Vec<(petgraph::graph::NodeIndex, Shown)> = graph
        .graph
        .node_indices()
        .filter_map(|n| {
            let shown = match graph.graph.node_weight(n)? {
                Node::Commitment(i) => {
                    let c = model.commitments.get(*i)?;
                    let st = eval.and_then(|e| commitment_status(e, *i));
                    let mut label = c.id.clone();
                    if let Some(s) = st {
                        let n = eval
                            .and_then(|e| e.commitments.get(*i))
                            .map_or(0, |x| x.list.len());
                        label = if n > 1 {
                            format!("{label}\\n{s} ({n} instances)")
                        } else {
                            format!("{label}\\n{s}")
                        };
                    }
                    Shown {
                        key: format!("0{}", c.id),
                        label,
                        colour: st.map(status_colour),
                        claim: false,
                        about: None,
                    }
                }
                Node::Claim(k) => {
                    let c = model.claims.get(*k)?;
                    let v = eval
                        .and_then(|e| e.claims.iter().find(|v| v.claim.id == c.id))
                        .map(|v| v.verdict);
                    let label = match v {
                        Some(v) => format!("claim {}\\n{}", c.id, v.name()),
                        None => format!("claim {}", c.id),
                    };
                    Shown {
                        key: format!("1{}", c.id),
                        label,
                        colour: v.map(verdict_colour),
                        claim: true,
                        about: None,
                    }
                }
            };
            Some((n, shown))
        })
        .collect();
    // Claims read from the logs (design §7: the graph has an edge from a
    // commitment to each claim about it), in report order. They have no
    // node in the rules' graph: each gets an index past its nodes.
    let commitment_node = |idx: usize| {
        graph
            .graph
            .node_indices()
            .find(|n| matches!(graph.graph.node_weight(*n), Some(Node::Commitment(i)) if *i == idx))
    };
    let mut next = graph.graph.node_count();
    let claims = eval.map(|e| e.claims.as_slice()).unwrap_or_default();
    for (rank, v) in claims.iter().enumerate() {
        if !matches!(v.claim.origin, Origin::Log(_)) {
            continue;
        }
        let about = match &v.claim.says {
            Says::Status { commitment, .. } => commitment_node(*commitment),
            _ => None,
        };
        out.push((
            petgraph::graph::NodeIndex::new(next),
            Shown {
                key: format!("2{rank:010}"),
                label: format!("claim {}\\n{}", v.claim.id, v.verdict.name()),
                colour: Some(verdict_colour(v.verdict)),
                claim: true,
                about,
            },
        ));
        next += 1;
    }
    out.sort_by(|a, b| a.1.key.cmp(&b.1.key));
    out
}

fn edges(
    graph: &Graph,
    order: &[(petgraph::graph::NodeIndex, Shown)],
) -> Vec<(usize, usize, &'static str)> {
    let pos = |n| order.iter().position(|(m, _)| *m == n);
    let mut out: Vec<(usize, usize, &'static str)> =
        graph
            .graph
            .edge_references()
            .filter_map(|e| Some((pos(e.source())?, pos(e.target())?, e.weight().label())))
            .chain(order.iter().enumerate().filter_map(|(i, (_, s))| {
                Some((pos(s.about?)?, i, crate::graph::Edge::Claim.label()))
            }))
            .collect();
    out.sort();
    out
}

fn escape(s: &str) -> String {
    s.replace('"', "\\\"")
}

/// The graph in Graphviz DOT.
pub fn render_dot(model: &Model, graph: &Graph, eval: Option<&Evaluation>) -> String {
    let ns = nodes(model, graph, eval);
    let mut out =
        String::from("digraph pacta {\n    rankdir=LR;\n    node [fontname=\"Helvetica\"];\n");
    for (i, (_, s)) in ns.iter().enumerate() {
        let shape = if s.claim { "note" } else { "box" };
        let fill = s
            .colour
            .map(|c| format!(", style=filled, fillcolor=\"{c}\""))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    n{i} [label=\"{}\", shape={shape}{fill}];",
            escape(&s.label)
        );
    }
    for (a, b, label) in edges(graph, &ns) {
        let _ = writeln!(out, "    n{a} -> n{b} [label=\"{label}\"];");
    }
    out.push_str("}\n");
    out
}

/// The graph as a Mermaid flowchart.
pub fn render_mermaid(model: &Model, graph: &Graph, eval: Option<&Evaluation>) -> String {
    let ns = nodes(model, graph, eval);
    let mut out = String::from("flowchart LR\n");
    for (i, (_, s)) in ns.iter().enumerate() {
        let label = s.label.replace("\\n", "<br/>").replace('"', "#quot;");
        if s.claim {
            let _ = writeln!(out, "    n{i}>\"{label}\"]");
        } else {
            let _ = writeln!(out, "    n{i}[\"{label}\"]");
        }
    }
    for (a, b, label) in edges(graph, &ns) {
        let _ = writeln!(out, "    n{a} -->|{label}| n{b}");
    }
    for (i, (_, s)) in ns.iter().enumerate() {
        if let Some(c) = s.colour {
            let _ = writeln!(out, "    style n{i} fill:{c}");
        }
    }
    out
}
