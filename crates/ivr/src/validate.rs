//! Static checks of a flow, for `civicline check-config` and before a flow goes live.
//!
//! Errors make a flow unusable (a missing node, a loop that would spin without the caller hearing
//! anything); warnings point at likely mistakes (an unreachable node). Every message names the
//! node and the problem.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use crate::flow::{Flow, Node, is_keypad_digit};

/// The result of [`Flow::validate`]: the flow is usable when `errors` is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validation {
    /// Problems that make the flow unusable.
    pub errors: Vec<FlowError>,
    /// Likely mistakes that do not stop the flow from working.
    pub warnings: Vec<FlowWarning>,
}

/// A problem that makes a flow unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowError {
    /// The start node does not exist.
    MissingStart { start: String },
    /// A node name is empty or has characters outside `a-z`, `0-9`, `_` and `-`.
    InvalidNodeName { node: String },
    /// A field of `node` names a node that does not exist.
    MissingTarget {
        node: String,
        field: String,
        target: String,
    },
    /// A menu has no options.
    NoOptions { node: String },
    /// A menu option uses a key that is not on a phone keypad.
    InvalidDigit { node: String, digit: char },
    /// Two menu options use the same key.
    DuplicateDigit { node: String, digit: char },
    /// A play node or a menu has nothing to play.
    NoPrompts { node: String },
    /// A prompt name is empty or has characters outside `a-z`, `0-9`, `_` and `-`.
    InvalidPromptName { node: String, prompt: String },
    /// A duration that must be positive is zero.
    ZeroDuration { node: String, field: &'static str },
    /// A name that must be set (queue, schedule, flag) is empty.
    EmptyName { node: String, field: &'static str },
    /// A transfer target is not a phone number (`+` and up to 20 digits).
    InvalidNumber { node: String, number: String },
    /// These nodes form a loop with no prompt and no input: a call would spin in it.
    Spin { nodes: Vec<String> },
}

/// A likely mistake that does not stop a flow from working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowWarning {
    /// No path from the start node leads to this node.
    Unreachable { node: String },
}

impl fmt::Display for FlowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlowError::MissingStart { start } => write!(f, "start node `{start}` does not exist"),
            FlowError::InvalidNodeName { node } => write!(
                f,
                "node `{node}`: name must be non-empty lowercase ascii letters, digits, `_` or `-`"
            ),
            FlowError::MissingTarget {
                node,
                field,
                target,
            } => {
                write!(f, "node `{node}`: {field} leads to missing node `{target}`")
            }
            FlowError::NoOptions { node } => write!(f, "node `{node}`: menu has no options"),
            FlowError::InvalidDigit { node, digit } => write!(
                f,
                "node `{node}`: option `{digit}` is not a keypad key (0-9, *, #)"
            ),
            FlowError::DuplicateDigit { node, digit } => {
                write!(f, "node `{node}`: option {digit} is defined more than once")
            }
            FlowError::NoPrompts { node } => write!(f, "node `{node}`: nothing to play"),
            FlowError::InvalidPromptName { node, prompt } => write!(
                f,
                "node `{node}`: prompt name {prompt:?} must be non-empty lowercase ascii letters, \
                 digits, `_` or `-`"
            ),
            FlowError::ZeroDuration { node, field } => {
                write!(f, "node `{node}`: {field} must be greater than zero")
            }
            FlowError::EmptyName { node, field } => write!(f, "node `{node}`: {field} is empty"),
            FlowError::InvalidNumber { node, number } => write!(
                f,
                "node `{node}`: transfer number {number:?} must be digits with an optional leading \
                 `+`, at most 20 digits"
            ),
            FlowError::Spin { nodes } => {
                if let [node] = nodes.as_slice() {
                    return write!(
                        f,
                        "node `{node}` leads to itself without any prompt or input, a call would spin"
                    );
                }
                let names: Vec<String> = nodes.iter().map(|node| format!("`{node}`")).collect();
                write!(
                    f,
                    "nodes {} form a loop without any prompt or input, a call would spin",
                    names.join(", ")
                )
            }
        }
    }
}

impl std::error::Error for FlowError {}

impl fmt::Display for FlowWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlowWarning::Unreachable { node } => {
                write!(f, "node `{node}`: unreachable from the start node")
            }
        }
    }
}

impl Flow {
    /// Checks the flow; see [`Validation`]. Never panics, whatever the flow holds.
    pub fn validate(&self) -> Validation {
        let mut acc = Validation::default();
        if !self.nodes.contains_key(&self.start) {
            acc.errors.push(FlowError::MissingStart {
                start: self.start.clone(),
            });
        }
        for (name, node) in &self.nodes {
            check_node(self, name, node, &mut acc.errors);
        }
        for nodes in spinning_loops(self) {
            acc.errors.push(FlowError::Spin { nodes });
        }
        if self.nodes.contains_key(&self.start) {
            let reachable = reachable_from_start(self);
            for name in self.nodes.keys() {
                if !reachable.contains(name.as_str()) {
                    acc.warnings
                        .push(FlowWarning::Unreachable { node: name.clone() });
                }
            }
        }
        acc
    }
}

fn check_node(flow: &Flow, name: &str, node: &Node, errors: &mut Vec<FlowError>) {
    let node_name = || name.to_owned();
    if !is_valid_name(name) {
        errors.push(FlowError::InvalidNodeName { node: node_name() });
    }
    for (field, target) in node.edges() {
        if !flow.nodes.contains_key(target) {
            errors.push(FlowError::MissingTarget {
                node: node_name(),
                field,
                target: target.to_owned(),
            });
        }
    }
    for prompt in node.prompts() {
        if !is_valid_name(&prompt.name) {
            errors.push(FlowError::InvalidPromptName {
                node: node_name(),
                prompt: prompt.name.clone(),
            });
        }
    }
    match node {
        Node::Play { prompts, .. } => {
            if prompts.is_empty() {
                errors.push(FlowError::NoPrompts { node: node_name() });
            }
        }
        Node::Menu(menu) => {
            if menu.prompts.is_empty() {
                errors.push(FlowError::NoPrompts { node: node_name() });
            }
            if menu.options.is_empty() {
                errors.push(FlowError::NoOptions { node: node_name() });
            }
            if menu.timeout_ms == 0 {
                errors.push(FlowError::ZeroDuration {
                    node: node_name(),
                    field: "timeout_ms",
                });
            }
            let mut seen = Vec::new();
            for option in &menu.options {
                if !is_keypad_digit(option.digit) {
                    errors.push(FlowError::InvalidDigit {
                        node: node_name(),
                        digit: option.digit,
                    });
                } else if seen.contains(&option.digit) {
                    errors.push(FlowError::DuplicateDigit {
                        node: node_name(),
                        digit: option.digit,
                    });
                }
                seen.push(option.digit);
            }
        }
        Node::Hours { schedule, .. } => {
            if schedule.is_empty() {
                errors.push(FlowError::EmptyName {
                    node: node_name(),
                    field: "schedule",
                });
            }
        }
        Node::Flag { name, .. } => {
            if name.is_empty() {
                errors.push(FlowError::EmptyName {
                    node: node_name(),
                    field: "name",
                });
            }
        }
        Node::Queue { queue, .. } => {
            if queue.is_empty() {
                errors.push(FlowError::EmptyName {
                    node: node_name(),
                    field: "queue",
                });
            }
        }
        Node::Voicemail { max_ms, .. } => {
            if *max_ms == 0 {
                errors.push(FlowError::ZeroDuration {
                    node: node_name(),
                    field: "max_ms",
                });
            }
        }
        Node::Transfer { to, .. } => {
            if !is_phone_number(to) {
                errors.push(FlowError::InvalidNumber {
                    node: node_name(),
                    number: to.clone(),
                });
            }
        }
        Node::Language { .. } | Node::Callback { .. } | Node::Goto { .. } | Node::Hangup { .. } => {
        }
    }
}

/// Node and prompt names: non-empty, lowercase ASCII letters, digits, `_` and `-`. Prompt names
/// become file paths, so this also keeps `/` and `..` out.
fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn is_phone_number(number: &str) -> bool {
    let digits = number.strip_prefix('+').unwrap_or(number);
    !digits.is_empty() && digits.len() <= 20 && digits.chars().all(|c| c.is_ascii_digit())
}

/// Breadth-first search over every edge.
fn reachable_from_start(flow: &Flow) -> BTreeSet<&str> {
    let mut visited = BTreeSet::new();
    let mut todo = VecDeque::from([flow.start.as_str()]);
    while let Some(name) = todo.pop_front() {
        let Some((key, node)) = flow.nodes.get_key_value(name) else {
            continue;
        };
        if !visited.insert(key.as_str()) {
            continue;
        }
        for (_, target) in node.edges() {
            todo.push_back(target);
        }
    }
    visited
}

/// Loops made only of nodes that do not pause (see [`Node::pauses`]): the strongly connected
/// components of that subgraph with more than one node or a self-edge. Each loop is listed once,
/// its node names sorted.
fn spinning_loops(flow: &Flow) -> Vec<Vec<String>> {
    let names: Vec<&str> = flow.nodes.keys().map(String::as_str).collect();
    let index_of: BTreeMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(index, name)| (*name, index))
        .collect();
    let adjacency: Vec<Vec<usize>> = flow
        .nodes
        .values()
        .map(|node| {
            if node.pauses() {
                return Vec::new();
            }
            node.edges()
                .into_iter()
                .filter_map(|(_, target)| {
                    let target_index = *index_of.get(target)?;
                    let target_pauses = flow.nodes.get(target).is_some_and(Node::pauses);
                    (!target_pauses).then_some(target_index)
                })
                .collect()
        })
        .collect();

    let mut acc: Vec<Vec<String>> = strongly_connected_components(&adjacency)
        .into_iter()
        .filter(|component| match component.as_slice() {
            [single] => adjacency[*single].contains(single),
            _ => true,
        })
        .map(|component| {
            let mut loop_names: Vec<String> = component
                .iter()
                .map(|index| names[*index].to_owned())
                .collect();
            loop_names.sort();
            loop_names
        })
        .collect();
    acc.sort();
    acc
}

/// Tarjan's algorithm without recursion, so a huge config cannot overflow the stack.
fn strongly_connected_components(adjacency: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNVISITED: usize = usize::MAX;
    let count = adjacency.len();
    let mut index = vec![UNVISITED; count];
    let mut low_link = vec![0; count];
    let mut on_stack = vec![false; count];
    let mut stack = Vec::new();
    let mut next_index = 0;
    let mut acc = Vec::new();

    for root in 0..count {
        if index[root] != UNVISITED {
            continue;
        }
        // Each frame is a node and the position of the next edge to follow from it.
        let mut frames = vec![(root, 0)];
        index[root] = next_index;
        low_link[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;

        while let Some(&(node, edge)) = frames.last() {
            if let Some(&target) = adjacency[node].get(edge) {
                if let Some(frame) = frames.last_mut() {
                    frame.1 += 1;
                }
                if index[target] == UNVISITED {
                    index[target] = next_index;
                    low_link[target] = next_index;
                    next_index += 1;
                    stack.push(target);
                    on_stack[target] = true;
                    frames.push((target, 0));
                } else if on_stack[target] {
                    low_link[node] = low_link[node].min(index[target]);
                }
                continue;
            }
            frames.pop();
            if let Some(&(parent, _)) = frames.last() {
                low_link[parent] = low_link[parent].min(low_link[node]);
            }
            if low_link[node] == index[node] {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                acc.push(component);
            }
        }
    }
    acc
}
