//! Tempo's nested-set numbering of a trace's spans (NestedSetLeft, NestedSetRight,
//! ParentID, ChildCount), with work space reused from trace to trace.

use otlp_model::proto::trace::Span;

const KIND_SERVER: i32 = 2;
const KIND_CLIENT: i32 = 3;

/// Work space of [`number`] (kept in `RowScratch`), indexed by span in storage order.
#[derive(Debug, Default)]
pub(super) struct NestScratch {
    /// (span ID key, span index), sorted.
    ids: Vec<(u64, u32)>,
    roots: Vec<u32>,
    parent: Vec<u32>,
    /// Children of span `i`: `children[child_start[i]..child_start[i + 1]]`, in span order.
    child_start: Vec<u32>,
    children: Vec<u32>,
    /// Where the next child of each span goes while the lists are filled.
    fill: Vec<u32>,
    left: Vec<i32>,
    right: Vec<i32>,
    parent_id: Vec<i32>,
    visited: Vec<bool>,
    stack: Vec<(u32, u32)>,
}

/// Numbers `nodes` (spans in storage order) into `w.left`, `w.right`, `w.parent_id` and the
/// child lists; false when the trace keeps all zeros (no root, or an ID used thrice).
impl NestScratch {
    /// Span `i`'s (NestedSetLeft, NestedSetRight, ParentID, ChildCount) after [`number`].
    pub(super) fn numbers(&self, i: usize) -> (i32, i32, i32, i32) {
        let children = self.child_start[i + 1] - self.child_start[i];
        (
            self.left[i],
            self.right[i],
            self.parent_id[i],
            i32::try_from(children).unwrap_or(i32::MAX),
        )
    }
}

pub(super) fn number(nodes: &[&Span], w: &mut NestScratch) -> bool {
    if !link(nodes, w) {
        return false;
    }
    walk(nodes.len(), w);
    true
}

/// Finds every span's parent and the roots, and fills the child lists in span order; false
/// when the trace is left unnumbered.
#[allow(
    clippy::cast_possible_truncation,
    reason = "span indexes are below MAX_NESTED_SPANS, checked by the caller"
)]
fn link(nodes: &[&Span], w: &mut NestScratch) -> bool {
    let n = nodes.len();
    // The first 8 bytes (zero-padded), as one load for the usual 8-byte IDs.
    let key = |id: &[u8]| {
        if let Some(b) = id.first_chunk::<8>() {
            u64::from_le_bytes(*b)
        } else {
            let mut b = [0u8; 8];
            for (d, s) in b.iter_mut().zip(id) {
                *d = *s;
            }
            u64::from_le_bytes(b)
        }
    };
    w.ids.clear();
    w.ids.extend(
        nodes
            .iter()
            .enumerate()
            .map(|(i, sp)| (key(&sp.span_id), i as u32)),
    );
    w.ids.sort_unstable();
    // More than two spans share an ID: Tempo gives up on the whole trace.
    if w.ids.windows(3).any(|t| t[0].0 == t[2].0) {
        return false;
    }
    w.roots.clear();
    w.roots.extend(
        nodes
            .iter()
            .enumerate()
            .filter(|(_, sp)| sp.parent_span_id.is_empty())
            .map(|(i, _)| i as u32),
    );
    if w.roots.is_empty() {
        return false;
    }
    w.parent.clear();
    w.parent.resize(n, u32::MAX);
    w.child_start.clear();
    w.child_start.resize(n + 1, 0);
    for (i, sp) in nodes.iter().enumerate() {
        if sp.parent_span_id.is_empty() {
            continue;
        }
        let k = key(&sp.parent_span_id);
        let first = w.ids.partition_point(|&(id, _)| id < k);
        // The (at most two) spans with that ID, in span order.
        let mut cands = w.ids[first..]
            .iter()
            .take(2)
            .take_while(|&&(id, _)| id == k)
            .map(|&(_, c)| c);
        let parent = if w.ids.get(first + 1).is_some_and(|&(id, _)| id == k) {
            let want = if sp.kind == KIND_SERVER {
                KIND_CLIENT
            } else {
                KIND_SERVER
            };
            cands.find(|&c| nodes[c as usize].kind == want)
        } else {
            cands.next()
        };
        if let Some(p) = parent {
            w.parent[i] = p;
            w.child_start[p as usize + 1] += 1;
        }
    }
    // Child lists in span order: counts to offsets, then each span in order into its
    // parent's list.
    for i in 0..n {
        w.child_start[i + 1] += w.child_start[i];
    }
    w.children.clear();
    w.children.resize(n, 0);
    w.fill.clear();
    w.fill.extend_from_slice(&w.child_start[..n]);
    for (i, &p) in w.parent.iter().enumerate() {
        if p != u32::MAX {
            let at = &mut w.fill[p as usize];
            w.children[*at as usize] = i as u32;
            *at += 1;
        }
    }
    true
}

/// Tempo's depth-first numbering from each root over the child lists `link` filled.
#[allow(
    clippy::cast_possible_truncation,
    reason = "span indexes are below MAX_NESTED_SPANS, checked by the caller"
)]
fn walk(n: usize, w: &mut NestScratch) {
    w.left.clear();
    w.left.resize(n, 0);
    w.right.clear();
    w.right.resize(n, 0);
    w.parent_id.clear();
    w.parent_id.resize(n, 0);
    w.visited.clear();
    w.visited.resize(n, false);
    w.stack.clear();
    let mut counter: i32 = 1;
    for r in 0..w.roots.len() {
        // Iterative depth-first walk: (node, next child position).
        let root = w.roots[r] as usize;
        w.left[root] = counter;
        w.parent_id[root] = -1;
        counter = counter.saturating_add(1);
        w.visited[root] = true;
        w.stack.push((root as u32, w.child_start[root]));
        while let Some(&mut (node, ref mut pos)) = w.stack.last_mut() {
            let node = node as usize;
            if *pos < w.child_start[node + 1] {
                let child = w.children[*pos as usize] as usize;
                *pos += 1;
                if w.visited[child] {
                    continue;
                }
                w.visited[child] = true;
                w.left[child] = counter;
                w.parent_id[child] = w.left[node];
                counter = counter.saturating_add(1);
                w.stack.push((child as u32, w.child_start[child]));
            } else {
                w.right[node] = counter;
                counter = counter.saturating_add(1);
                w.stack.pop();
            }
        }
    }
}
