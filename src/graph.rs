//! The dependency graph: commitments and claims as nodes, an edge from each
//! commitment to those that name it (`after`, `unless`, `otherwise`) and to
//! the claims about it. Fixes the evaluation order; a cycle is an error
//! that labels every commitment on it.

use miette::{Diagnostic, LabeledSpan};
use petgraph::Direction;
use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef as _;
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

    /// How the commitment at the head of this edge waits on `tail`, the one
    /// at its tail, for the cycle error: "waits on `a` (`after`)".
    fn waiting(self, tail: &str) -> String {
        match self {
            Edge::After => format!("waits on `{tail}` (`after`)"),
            Edge::Unless => format!("waits on `{tail}` (`unless`)"),
            Edge::Otherwise => format!("waits on `{tail}`'s violation (`otherwise`)"),
            Edge::Claim => format!("is a claim about `{tail}`"),
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
        "each arrow reads \"waits on\"; a commitment cannot wait, directly or not, on itself; break the cycle by removing one `after`, `unless` or `otherwise`{elsewhere}"
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
        diags.push(cycle_error(model, sources, &graph, &scc));
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

/// The commitment of a node; claims are never on a cycle (no edge leaves one).
fn commitment_of(graph: &DiGraph<Node, Edge>, n: NodeIndex) -> Option<CommitmentIdx> {
    match graph.node_weight(n) {
        Some(Node::Commitment(i)) => Some(*i),
        _ => None,
    }
}

/// What `x` waits on, inside `scc`: the sources of the edges into `x` (an
/// edge runs from a commitment to those that wait on it), in commitment
/// order, with the kind of each edge.
fn waits_on(
    graph: &DiGraph<Node, Edge>,
    scc: &[NodeIndex],
    x: NodeIndex,
) -> Vec<(CommitmentIdx, NodeIndex, Edge)> {
    let mut next: Vec<(CommitmentIdx, NodeIndex, Edge)> = graph
        .edges_directed(x, Direction::Incoming)
        .filter(|e| scc.contains(&e.source()))
        .filter_map(|e| Some((commitment_of(graph, e.source())?, e.source(), *e.weight())))
        .collect();
    next.sort_unstable_by_key(|&(i, _, _)| i);
    next
}

/// A shortest real cycle through `start` inside its component, in waiting
/// order: each step is a commitment and the edge by which it waits on the
/// next one; the last step waits on `start`. Breadth-first over the edges,
/// neighbours in commitment order, so the path is the same on every run.
// INVARIANT: `scc` is strongly connected and holds `start`, so a path back
// to `start` exists; an empty result only guards against a broken graph.
fn cycle_through(
    graph: &DiGraph<Node, Edge>,
    scc: &[NodeIndex],
    start: NodeIndex,
) -> Vec<(NodeIndex, Edge)> {
    use std::collections::{HashMap, VecDeque};
    // For each node reached: the node that waits on it, and by which edge.
    let mut reached: HashMap<NodeIndex, (NodeIndex, Edge)> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(x) = queue.pop_front() {
        for (_, y, edge) in waits_on(graph, scc, x) {
            if y == start {
                // Walk back from `x` to `start`, then put the steps in order.
                let mut steps = vec![(x, edge)];
                let mut at = x;
                while at != start {
                    let Some(&(before, e)) = reached.get(&at) else {
                        return Vec::new();
                    };
                    steps.push((before, e));
                    at = before;
                }
                steps.reverse();
                return steps;
            }
            if y != start && !reached.contains_key(&y) {
                reached.insert(y, (x, edge));
                queue.push_back(y);
            }
        }
    }
    Vec::new()
}

/// Whether more than one cycle runs through a strongly connected component:
/// it is a single simple cycle exactly when it has as many edges as nodes.
fn has_several_cycles(graph: &DiGraph<Node, Edge>, scc: &[NodeIndex]) -> bool {
    let inner_edges = graph
        .edge_indices()
        .filter_map(|e| graph.edge_endpoints(e))
        .filter(|(a, b)| scc.contains(a) && scc.contains(b))
        .count();
    inner_edges > scc.len()
}

fn cycle_error(
    model: &Model,
    sources: &SourceMap,
    graph: &DiGraph<Node, Edge>,
    scc: &[NodeIndex],
) -> CycleError {
    let mut members: Vec<(CommitmentIdx, NodeIndex)> = scc
        .iter()
        .filter_map(|&n| Some((commitment_of(graph, n)?, n)))
        .collect();
    members.sort_unstable_by_key(|&(i, _)| i);
    let id = |n: NodeIndex| {
        commitment_of(graph, n)
            .and_then(|i| model.commitments.get(i))
            .map(|c| c.id.as_str())
            .unwrap_or_default()
    };
    let steps = members
        .first()
        .map(|&(_, start)| cycle_through(graph, scc, start))
        .unwrap_or_default();
    // The step of each commitment on the printed cycle: whom it waits on, and how.
    let mut on_path: Vec<(NodeIndex, NodeIndex, Edge)> = Vec::new();
    for (k, &(x, edge)) in steps.iter().enumerate() {
        let next = steps.get(k + 1).or(steps.first()).map_or(x, |&(n, _)| n);
        on_path.push((x, next, edge));
    }
    let mut chain: Vec<String> = steps.iter().map(|&(n, _)| format!("`{}`", id(n))).collect();
    if let Some(first) = chain.first().cloned() {
        chain.push(first);
    }
    let mut chain = chain.join(" → ");
    if has_several_cycles(graph, scc) {
        let all: Vec<String> = members
            .iter()
            .map(|&(_, n)| format!("`{}`", id(n)))
            .collect();
        chain.push_str(&format!(" (and more cycles among {})", all.join(", ")));
    }
    let cs: Vec<_> = members
        .iter()
        .filter_map(|&(i, n)| Some((model.commitments.get(i)?, n)))
        .collect();
    let source_id = cs.first().map(|(c, _)| c.span.source).unwrap_or_default();
    let describe = |n: NodeIndex| -> String {
        match on_path.iter().find(|&&(x, _, _)| x == n) {
            Some(&(_, next, edge)) => format!("`{}` {}", id(n), edge.waiting(id(next))),
            None => match waits_on(graph, scc, n).first() {
                Some(&(_, next, edge)) => format!(
                    "`{}` {}, on another cycle among these",
                    id(n),
                    edge.waiting(id(next))
                ),
                None => format!("`{}` is on another cycle among these", id(n)),
            },
        }
    };
    let labels = cs
        .iter()
        .filter(|(c, _)| c.span.source == source_id)
        .map(|&(c, n)| LabeledSpan::new_with_span(Some(describe(n)), c.spans.id))
        .collect();
    let others: Vec<String> = cs
        .iter()
        .filter(|(c, _)| c.span.source != source_id)
        .map(|&(c, n)| format!("{} at {}", describe(n), sources.location(c.spans.id)))
        .collect();
    CycleError {
        chain,
        source_id,
        labels,
        elsewhere: if others.is_empty() {
            String::new()
        } else {
            format!("; also on the cycle: {}", others.join(", "))
        },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

    use super::*;

    /// Simple cycles through `start` inside `scc`, counted by brute force.
    fn simple_cycles(g: &DiGraph<Node, Edge>, scc: &[NodeIndex]) -> usize {
        // Each simple cycle counted once, from its lowest node.
        fn walk(
            g: &DiGraph<Node, Edge>,
            scc: &[NodeIndex],
            low: NodeIndex,
            at: NodeIndex,
            seen: &mut Vec<NodeIndex>,
        ) -> usize {
            let mut n = 0;
            for y in g.neighbors_directed(at, Direction::Outgoing) {
                if y == low {
                    n += 1;
                } else if y > low && scc.contains(&y) && !seen.contains(&y) {
                    seen.push(y);
                    n += walk(g, scc, low, y, seen);
                    seen.pop();
                }
            }
            n
        }
        scc.iter()
            .map(|&low| walk(g, scc, low, low, &mut vec![low]))
            .sum()
    }

    /// On random small graphs, the printed cycle is a closed walk along real
    /// edges through the component's first commitment that visits no
    /// commitment twice, and "more cycles" is said exactly when the
    /// component holds more than one.
    #[test]
    fn the_printed_cycle_follows_real_edges() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut checked = 0;
        for _ in 0..3000 {
            let n = usize::try_from(next() % 6).unwrap() + 1;
            let mut g: DiGraph<Node, Edge> = DiGraph::new();
            let nodes: Vec<NodeIndex> = (0..n).map(|i| g.add_node(Node::Commitment(i))).collect();
            for &a in &nodes {
                for &b in &nodes {
                    if next() % 100 < 30 {
                        g.update_edge(a, b, Edge::After);
                    }
                }
            }
            for scc in tarjan_scc(&g) {
                let self_loop = scc.len() == 1 && g.contains_edge(scc[0], scc[0]);
                if scc.len() < 2 && !self_loop {
                    continue;
                }
                checked += 1;
                let start = *scc.iter().min_by_key(|&&x| commitment_of(&g, x)).unwrap();
                let steps = cycle_through(&g, &scc, start);
                assert_eq!(steps.first().map(|s| s.0), Some(start), "{scc:?}");
                for (k, &(x, _)) in steps.iter().enumerate() {
                    let y = steps.get(k + 1).unwrap_or(&steps[0]).0;
                    // `x` waits on `y`: the edge runs from `y` to `x`.
                    assert!(g.contains_edge(y, x), "{steps:?} in {g:?}");
                    assert!(scc.contains(&x));
                    assert_eq!(steps.iter().filter(|s| s.0 == x).count(), 1);
                }
                assert_eq!(
                    has_several_cycles(&g, &scc),
                    simple_cycles(&g, &scc) > 1,
                    "{scc:?} in {g:?}"
                );
            }
        }
        assert!(checked > 500, "{checked}");
    }
}
