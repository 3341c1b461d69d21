//! The dependency graph: commitments and claims as nodes, an edge from each
//! commitment to those that name it (`after`, `unless`, `otherwise`) and to
//! the claims about it. Fixes the evaluation order; a cycle is an error
//! that labels every commitment on it.

use miette::{Diagnostic, LabeledSpan};
use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use thiserror::Error;

use crate::diagnostics::{Diagnostics, Located};
use crate::model::{CommitmentIdx, Model, Says, Trigger};
use crate::source::{SourceId, SourceMap};

/// A node of the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    /// A commitment.
    Commitment(CommitmentIdx),
    /// A claim written in a rule file.
    Claim(usize),
}

/// Why one node depends on another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    /// Named in `after`.
    After,
    /// Named in `unless`.
    Unless,
    /// Its violation triggers the target (`otherwise`).
    Otherwise,
    /// A claim about it.
    Claim,
}

impl Edge {
    /// The word shown on drawings.
    pub fn label(self) -> &'static str {
        match self {
            Edge::After => "after",
            Edge::Unless => "unless",
            Edge::Otherwise => "otherwise",
            Edge::Claim => "claim",
        }
    }
}

/// The graph and the order it fixes.
#[derive(Debug)]
pub struct Graph {
    /// Nodes and edges.
    pub graph: DiGraph<Node, Edge>,
    /// Commitments in evaluation order: each after all it depends on.
    pub order: Vec<CommitmentIdx>,
}

/// A dependency cycle.
#[derive(Debug, Error, Diagnostic)]
#[error("dependency cycle: {chain}")]
#[diagnostic(
    code(pacta::graph::cycle),
    help(
        "a commitment cannot wait, directly or not, on itself; break the cycle by removing one `after`, `unless` or `otherwise`{elsewhere}"
    )
)]
pub struct CycleError {
    chain: String,
    source_id: SourceId,
    #[label(collection)]
    labels: Vec<LabeledSpan>,
    elsewhere: String,
}

impl Located for CycleError {
    fn source_id(&self) -> Option<SourceId> {
        Some(self.source_id)
    }
}

/// Builds the graph of a model; every cycle is reported.
pub fn model_to_graph(model: &Model, sources: &SourceMap) -> Result<Graph, Diagnostics> {
    let mut graph = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..model.commitments.len())
        .map(|i| graph.add_node(Node::Commitment(i)))
        .collect();
    let node = |i: usize| nodes.get(i).copied();
    for (i, c) in model.commitments.iter().enumerate() {
        let mut deps = Vec::new();
        if let Trigger::After(cond) = &c.trigger {
            cond.commitments(&mut deps);
            for d in deps.drain(..) {
                if let (Some(a), Some(b)) = (node(d), node(i)) {
                    graph.update_edge(a, b, Edge::After);
                }
            }
        }
        if let Some(u) = &c.unless {
            u.commitments(&mut deps);
            for d in deps.drain(..) {
                if let (Some(a), Some(b)) = (node(d), node(i)) {
                    graph.update_edge(a, b, Edge::Unless);
                }
            }
        }
        if let Some(t) = c.otherwise {
            if let (Some(a), Some(b)) = (node(i), node(t)) {
                graph.update_edge(a, b, Edge::Otherwise);
            }
        }
    }
    for (k, claim) in model.claims.iter().enumerate() {
        let n = graph.add_node(Node::Claim(k));
        if let Says::Status { commitment, .. } = &claim.says {
            if let Some(a) = node(*commitment) {
                graph.add_edge(a, n, Edge::Claim);
            }
        }
    }
    let mut diags = Diagnostics::new();
    for scc in tarjan_scc(&graph) {
        let self_loop = scc.len() == 1 && scc.first().is_some_and(|&n| graph.contains_edge(n, n));
        if scc.len() < 2 && !self_loop {
            continue;
        }
        let mut members: Vec<CommitmentIdx> = scc
            .iter()
            .filter_map(|n| match graph.node_weight(*n) {
                Some(Node::Commitment(i)) => Some(*i),
                _ => None,
            })
            .collect();
        members.sort_unstable();
        diags.push(cycle_error(model, sources, &members));
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let order = match toposort(&graph, None) {
        Ok(order) => order
            .into_iter()
            .filter_map(|n| match graph.node_weight(n) {
                Some(Node::Commitment(i)) => Some(*i),
                _ => None,
            })
            .collect(),
        Err(_) => (0..model.commitments.len()).collect(),
    };
    Ok(Graph { graph, order })
}

fn cycle_error(model: &Model, sources: &SourceMap, members: &[CommitmentIdx]) -> CycleError {
    let cs: Vec<_> = members
        .iter()
        .filter_map(|&i| model.commitments.get(i))
        .collect();
    let source_id = cs.first().map(|c| c.span.source).unwrap_or_default();
    let mut chain: Vec<String> = cs.iter().map(|c| format!("`{}`", c.id)).collect();
    if let Some(first) = chain.first().cloned() {
        chain.push(first);
    }
    let labels = cs
        .iter()
        .filter(|c| c.span.source == source_id)
        .map(|c| {
            LabeledSpan::new_with_span(Some(format!("`{}` is on the cycle", c.id)), c.spans.id)
        })
        .collect();
    let others: Vec<String> = cs
        .iter()
        .filter(|c| c.span.source != source_id)
        .map(|c| format!("`{}` at {}", c.id, sources.location(c.spans.id)))
        .collect();
    CycleError {
        chain: chain.join(" → "),
        source_id,
        labels,
        elsewhere: if others.is_empty() {
            String::new()
        } else {
            format!("; also on the cycle: {}", others.join(", "))
        },
    }
}
