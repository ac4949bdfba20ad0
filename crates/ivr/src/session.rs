//! The per-call state machine that walks a [`Flow`].
//!
//! Inputs arrive through `handle_*(now, …)`; outputs leave through [`Session::poll_output`]. The
//! session never reads a clock, never sleeps and never panics: a broken flow ends the session
//! with [`Output::Failed`] so that the shell can route the call to a fallback.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

use crate::flow::{Flow, Lang, LangSwitch, Menu, Node, PromptRef, is_keypad_digit};

/// A point in time: milliseconds on the shell's monotonic clock. The session only compares and
/// adds them; the epoch is the shell's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub u64);

impl Millis {
    /// The time `ms` milliseconds later, saturating at the end of time.
    pub fn after(self, ms: u64) -> Millis {
        Millis(self.0.saturating_add(ms))
    }
}

/// Names one [`Output::Play`], so that a late "prompt done" from a stopped playback is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PlaybackId(pub u64);

/// What the session asks the shell to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Play these prompts (paths such as `"bg/main_menu"`) one after another, then call
    /// [`Session::handle_prompt_done`] with `id`.
    Play {
        id: PlaybackId,
        prompts: Vec<String>,
    },
    /// Stop playback `id` at once (the caller barged in). Do not report it done.
    StopPlayback { id: PlaybackId },
    /// Answer with [`Session::handle_hours`]: is `schedule` open now?
    CheckHours { schedule: String },
    /// Answer with [`Session::handle_flag`]: is the supervisor's flag `flag` on?
    CheckFlag { flag: String },
    /// Hand the call to the ACD queue. The IVR part is over unless the ACD gives the call back
    /// through [`Session::handle_queue_overflow`].
    Enqueue {
        queue: String,
        lang: Lang,
        choices: Vec<Choice>,
    },
    /// Play a short tone, record a message of at most `max_ms`, then call
    /// [`Session::handle_recording_done`]. The prompts before it say "after the tone".
    RecordMessage {
        max_ms: u64,
        lang: Lang,
        choices: Vec<Choice>,
    },
    /// Book a callback to the caller's number, then answer with [`Session::handle_callback`].
    RequestCallback { lang: Lang, choices: Vec<Choice> },
    /// Transfer the call to this external number (after the shell's allow-list check).
    Transfer { to: String },
    /// Hang up; the session is over.
    Hangup,
    /// The flow is broken; the session is over. Route the call to a fallback, never drop it.
    Failed { error: RunError },
    /// Call [`Session::handle_timeout`] at this time. Always the last output of a drain; a drain
    /// without it means no timer is armed.
    Timeout(Millis),
}

/// A menu choice: the caller pressed `digit` in `menu` and went on to `next`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The menu node.
    pub menu: String,
    /// The key pressed.
    pub digit: char,
    /// The node the choice led to.
    pub next: String,
}

/// One thing that happened on the way through the flow, for analytics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The caller chose an option.
    Chose(Choice),
    /// The caller pressed a key the menu does not offer.
    Invalid { menu: String, digit: char },
    /// The caller pressed nothing before the menu timed out.
    NoInput { menu: String },
    /// The menu's retries ran out; the call went to its `on_fail` node.
    MenuFailed { menu: String },
    /// The session language changed.
    Language { lang: Lang },
    /// The working-hours check answered.
    Hours { node: String, open: bool },
    /// The runtime-flag check answered.
    Flag { node: String, on: bool },
    /// The callback request was answered.
    Callback { node: String, accepted: bool },
    /// A message was recorded.
    Message { node: String },
    /// The ACD gave the call back from this queue.
    Overflow { queue: String },
}

/// How the IVR part of the call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Handed to an ACD queue.
    Queued { queue: String },
    /// Transferred to an external number.
    Transferred { to: String },
    /// The IVR hung up at this node.
    HungUp { node: String },
    /// The caller hung up at this node (`None` before the flow started).
    CallerHungUp { node: Option<String> },
    /// The flow is broken.
    Failed { error: RunError },
}

/// The path a call took: what the caller chose and how the IVR part ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// Everything that happened, in order.
    pub steps: Vec<Step>,
    /// How the IVR part ended, once it has.
    pub outcome: Option<Outcome>,
}

impl Record {
    /// The menu choices only, in order: "what people called about".
    pub fn choices(&self) -> impl Iterator<Item = &Choice> {
        self.steps.iter().filter_map(|step| match step {
            Step::Chose(choice) => Some(choice),
            _ => None,
        })
    }
}

/// Why a session could not go on. [`Flow::validate`] rules both out for valid flows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunError {
    /// The flow leads to a node that does not exist (or is not of the expected kind).
    MissingNode { node: String },
    /// The flow passed more nodes than it has without a prompt or input: it loops and would
    /// spin forever.
    Spin { node: String },
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::MissingNode { node } => write!(f, "node `{node}` is missing"),
            RunError::Spin { node } => {
                write!(
                    f,
                    "the flow loops without a prompt or input, stopped at node `{node}`"
                )
            }
        }
    }
}

impl std::error::Error for RunError {}

/// The IVR state of one call. See the crate docs for the driving contract.
#[derive(Debug)]
pub struct Session {
    flow: Arc<Flow>,
    lang: Lang,
    state: State,
    current: Option<String>,
    timer: Option<Millis>,
    timer_reported: bool,
    next_playback: u64,
    outputs: VecDeque<Output>,
    record: Record,
}

#[derive(Debug, Clone)]
enum State {
    NotStarted,
    Playing { id: PlaybackId, then: AfterPlay },
    AwaitingDigit { menu: String, retries: u32 },
    AwaitingHours { node: String },
    AwaitingFlag { node: String },
    AwaitingCallback { node: String },
    Recording { node: String },
    Queued { node: String },
    Ended,
}

/// What happens when a playback finishes.
#[derive(Debug, Clone)]
enum AfterPlay {
    Goto {
        next: String,
    },
    /// Digits barge in only while a menu plays.
    Menu {
        menu: String,
        retries: u32,
        timeout_ms: u64,
    },
    Record {
        node: String,
        max_ms: u64,
    },
    Transfer {
        to: String,
    },
    Hangup {
        node: String,
    },
}

impl Session {
    /// A session for one call, speaking `lang` until a language node changes it.
    pub fn new(flow: Arc<Flow>, lang: Lang) -> Session {
        Session {
            flow,
            lang,
            state: State::NotStarted,
            current: None,
            timer: None,
            timer_reported: false,
            next_playback: 1,
            outputs: VecDeque::new(),
            record: Record::default(),
        }
    }

    /// Enters the start node. Later calls are ignored.
    pub fn start(&mut self, now: Millis) {
        self.timer_reported = false;
        if !matches!(self.state, State::NotStarted) {
            return;
        }
        let start = self.flow.start.clone();
        self.enter(now, start);
    }

    /// The caller pressed a key. While a menu plays this stops the playback (barge-in); while a
    /// menu waits it is the choice. Anywhere else, and for keys other than `0`-`9`, `*` and `#`,
    /// it is ignored.
    pub fn handle_digit(&mut self, now: Millis, digit: char) {
        self.timer_reported = false;
        if !is_keypad_digit(digit) {
            return;
        }
        match &self.state {
            State::Playing {
                id,
                then: AfterPlay::Menu { menu, retries, .. },
            } => {
                let (id, menu, retries) = (*id, menu.clone(), *retries);
                self.outputs.push_back(Output::StopPlayback { id });
                self.menu_digit(now, menu, retries, digit);
            }
            State::AwaitingDigit { menu, retries } => {
                let (menu, retries) = (menu.clone(), *retries);
                self.timer = None;
                self.menu_digit(now, menu, retries, digit);
            }
            _ => {}
        }
    }

    /// Playback `id` finished. Reports for any other playback are ignored.
    pub fn handle_prompt_done(&mut self, now: Millis, id: PlaybackId) {
        self.timer_reported = false;
        let State::Playing { id: playing, then } = &self.state else {
            return;
        };
        if *playing != id {
            return;
        }
        let then = then.clone();
        self.after_play(now, then);
    }

    /// The deadline of the last [`Output::Timeout`] may have passed. Early or stale calls are
    /// ignored, so the shell may call this freely.
    pub fn handle_timeout(&mut self, now: Millis) {
        self.timer_reported = false;
        let Some(deadline) = self.timer else { return };
        if now < deadline {
            return;
        }
        self.timer = None;
        let State::AwaitingDigit { menu, retries } = &self.state else {
            return;
        };
        let (menu_name, retries) = (menu.clone(), *retries);
        let flow = Arc::clone(&self.flow);
        let Some(Node::Menu(menu)) = flow.nodes.get(&menu_name) else {
            self.fail(RunError::MissingNode { node: menu_name });
            return;
        };
        self.record.steps.push(Step::NoInput {
            menu: menu_name.clone(),
        });
        self.retry_menu(now, menu_name, menu, retries, &menu.timeout_prompts);
    }

    /// The answer to [`Output::CheckHours`]. Ignored unless the session asked.
    pub fn handle_hours(&mut self, now: Millis, open: bool) {
        self.timer_reported = false;
        let State::AwaitingHours { node } = &self.state else {
            return;
        };
        let node_name = node.clone();
        let next = match self.flow.nodes.get(&node_name) {
            Some(Node::Hours {
                open: if_open,
                closed: if_closed,
                ..
            }) => {
                if open {
                    if_open.clone()
                } else {
                    if_closed.clone()
                }
            }
            _ => return self.fail(RunError::MissingNode { node: node_name }),
        };
        self.record.steps.push(Step::Hours {
            node: node_name,
            open,
        });
        self.enter(now, next);
    }

    /// The answer to [`Output::CheckFlag`]. Ignored unless the session asked.
    pub fn handle_flag(&mut self, now: Millis, on: bool) {
        self.timer_reported = false;
        let State::AwaitingFlag { node } = &self.state else {
            return;
        };
        let node_name = node.clone();
        let next = match self.flow.nodes.get(&node_name) {
            Some(Node::Flag {
                on: if_on,
                off: if_off,
                ..
            }) => {
                if on {
                    if_on.clone()
                } else {
                    if_off.clone()
                }
            }
            _ => return self.fail(RunError::MissingNode { node: node_name }),
        };
        self.record.steps.push(Step::Flag {
            node: node_name,
            on,
        });
        self.enter(now, next);
    }

    /// The answer to [`Output::RequestCallback`]: `accepted` is false when the shell could not
    /// book it (for example a withheld number). Ignored unless the session asked.
    pub fn handle_callback(&mut self, now: Millis, accepted: bool) {
        self.timer_reported = false;
        let State::AwaitingCallback { node } = &self.state else {
            return;
        };
        let node_name = node.clone();
        let next = match self.flow.nodes.get(&node_name) {
            Some(Node::Callback {
                accepted: if_accepted,
                refused: if_refused,
            }) => {
                if accepted {
                    if_accepted.clone()
                } else {
                    if_refused.clone()
                }
            }
            _ => return self.fail(RunError::MissingNode { node: node_name }),
        };
        self.record.steps.push(Step::Callback {
            node: node_name,
            accepted,
        });
        self.enter(now, next);
    }

    /// The recording asked for by [`Output::RecordMessage`] is finished and stored. Ignored
    /// unless the session is recording.
    pub fn handle_recording_done(&mut self, now: Millis) {
        self.timer_reported = false;
        let State::Recording { node } = &self.state else {
            return;
        };
        let node_name = node.clone();
        let next = match self.flow.nodes.get(&node_name) {
            Some(Node::Voicemail { then, .. }) => then.clone(),
            _ => return self.fail(RunError::MissingNode { node: node_name }),
        };
        self.record.steps.push(Step::Message { node: node_name });
        self.enter(now, next);
    }

    /// The ACD gave back a call it could not take (queue full or closed). Ignored unless the
    /// session enqueued the call.
    pub fn handle_queue_overflow(&mut self, now: Millis) {
        self.timer_reported = false;
        let State::Queued { node } = &self.state else {
            return;
        };
        let node_name = node.clone();
        let (queue, next) = match self.flow.nodes.get(&node_name) {
            Some(Node::Queue { queue, on_overflow }) => (queue.clone(), on_overflow.clone()),
            _ => return self.fail(RunError::MissingNode { node: node_name }),
        };
        self.record.steps.push(Step::Overflow { queue });
        self.record.outcome = None;
        self.enter(now, next);
    }

    /// The caller hung up. A message being recorded counts as left. After the call was
    /// enqueued, the outcome stays [`Outcome::Queued`]: abandonment in the queue is the ACD's.
    pub fn handle_caller_hangup(&mut self, _now: Millis) {
        self.timer_reported = false;
        self.timer = None;
        match &self.state {
            State::Ended => return,
            State::Queued { .. } => {}
            State::Recording { node } => {
                self.record.steps.push(Step::Message { node: node.clone() });
                self.record.outcome = Some(Outcome::CallerHungUp {
                    node: self.current.clone(),
                });
            }
            _ => {
                self.record.outcome = Some(Outcome::CallerHungUp {
                    node: self.current.clone(),
                })
            }
        }
        self.state = State::Ended;
    }

    /// The next thing for the shell to do. Drain after every `start` and `handle_*` call until
    /// it returns `None`; see [`Output::Timeout`].
    pub fn poll_output(&mut self) -> Option<Output> {
        if let Some(output) = self.outputs.pop_front() {
            return Some(output);
        }
        if self.timer_reported {
            return None;
        }
        self.timer_reported = true;
        self.timer.map(Output::Timeout)
    }

    /// The path taken so far.
    pub fn record(&self) -> &Record {
        &self.record
    }

    /// The language prompts are played in now.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The node the call is at, once started.
    pub fn current_node(&self) -> Option<&str> {
        self.current.as_deref()
    }

    /// Whether the session is over: hung up, transferred, failed, or the caller is gone. An
    /// enqueued session is not over, as the ACD may give the call back.
    pub fn is_ended(&self) -> bool {
        matches!(self.state, State::Ended)
    }

    /// Walks from `target` through nodes that do not wait until one does. Without a loop that
    /// takes at most one step per node, so more steps than nodes means the flow spins.
    fn enter(&mut self, now: Millis, mut target: String) {
        let flow = Arc::clone(&self.flow);
        for _ in 0..=flow.nodes.len() {
            let Some(node) = flow.nodes.get(&target) else {
                self.fail(RunError::MissingNode { node: target });
                return;
            };
            self.current = Some(target.clone());
            match node {
                Node::Play { prompts, next } => {
                    if prompts.is_empty() {
                        target = next.clone();
                        continue;
                    }
                    self.play(now, prompts, &[], AfterPlay::Goto { next: next.clone() });
                    return;
                }
                Node::Menu(menu) => {
                    let then = AfterPlay::Menu {
                        menu: target,
                        retries: 0,
                        timeout_ms: menu.timeout_ms,
                    };
                    self.play(now, &menu.prompts, &[], then);
                    return;
                }
                Node::Language { switch, next } => {
                    self.lang = match switch {
                        LangSwitch::To(lang) => *lang,
                        LangSwitch::Toggle => self.lang.other(),
                    };
                    self.record.steps.push(Step::Language { lang: self.lang });
                    target = next.clone();
                }
                Node::Hours { schedule, .. } => {
                    self.outputs.push_back(Output::CheckHours {
                        schedule: schedule.clone(),
                    });
                    self.state = State::AwaitingHours { node: target };
                    return;
                }
                Node::Flag { name, .. } => {
                    self.outputs
                        .push_back(Output::CheckFlag { flag: name.clone() });
                    self.state = State::AwaitingFlag { node: target };
                    return;
                }
                Node::Queue { queue, .. } => {
                    self.outputs.push_back(Output::Enqueue {
                        queue: queue.clone(),
                        lang: self.lang,
                        choices: self.record.choices().cloned().collect(),
                    });
                    self.record.outcome = Some(Outcome::Queued {
                        queue: queue.clone(),
                    });
                    self.state = State::Queued { node: target };
                    return;
                }
                Node::Voicemail {
                    prompts, max_ms, ..
                } => {
                    let then = AfterPlay::Record {
                        node: target,
                        max_ms: *max_ms,
                    };
                    self.play(now, prompts, &[], then);
                    return;
                }
                Node::Callback { .. } => {
                    self.outputs.push_back(Output::RequestCallback {
                        lang: self.lang,
                        choices: self.record.choices().cloned().collect(),
                    });
                    self.state = State::AwaitingCallback { node: target };
                    return;
                }
                Node::Transfer { prompts, to } => {
                    self.play(now, prompts, &[], AfterPlay::Transfer { to: to.clone() });
                    return;
                }
                Node::Goto { next } => target = next.clone(),
                Node::Hangup { prompts } => {
                    self.play(now, prompts, &[], AfterPlay::Hangup { node: target });
                    return;
                }
            }
        }
        self.fail(RunError::Spin { node: target });
    }

    /// Plays `preamble` then `prompts`, or goes straight on when both are empty.
    fn play(
        &mut self,
        now: Millis,
        prompts: &[PromptRef],
        preamble: &[PromptRef],
        then: AfterPlay,
    ) {
        let resolved: Vec<String> = preamble
            .iter()
            .chain(prompts)
            .map(|prompt| prompt.resolve(self.lang))
            .collect();
        if resolved.is_empty() {
            // `enter` never plays an empty `Play` node, so this cannot recurse back into it.
            self.after_play(now, then);
            return;
        }
        let id = PlaybackId(self.next_playback);
        self.next_playback = self.next_playback.wrapping_add(1);
        self.outputs.push_back(Output::Play {
            id,
            prompts: resolved,
        });
        self.state = State::Playing { id, then };
    }

    fn after_play(&mut self, now: Millis, then: AfterPlay) {
        match then {
            AfterPlay::Goto { next } => self.enter(now, next),
            AfterPlay::Menu {
                menu,
                retries,
                timeout_ms,
            } => {
                self.timer = Some(now.after(timeout_ms));
                self.state = State::AwaitingDigit { menu, retries };
            }
            AfterPlay::Record { node, max_ms } => {
                self.outputs.push_back(Output::RecordMessage {
                    max_ms,
                    lang: self.lang,
                    choices: self.record.choices().cloned().collect(),
                });
                self.state = State::Recording { node };
            }
            AfterPlay::Transfer { to } => {
                self.outputs.push_back(Output::Transfer { to: to.clone() });
                self.record.outcome = Some(Outcome::Transferred { to });
                self.state = State::Ended;
            }
            AfterPlay::Hangup { node } => {
                self.outputs.push_back(Output::Hangup);
                self.record.outcome = Some(Outcome::HungUp { node });
                self.state = State::Ended;
            }
        }
    }

    fn menu_digit(&mut self, now: Millis, menu_name: String, retries: u32, digit: char) {
        let flow = Arc::clone(&self.flow);
        let Some(Node::Menu(menu)) = flow.nodes.get(&menu_name) else {
            self.fail(RunError::MissingNode { node: menu_name });
            return;
        };
        match menu.options.iter().find(|option| option.digit == digit) {
            Some(option) => {
                let next = option.next.clone();
                self.record.steps.push(Step::Chose(Choice {
                    menu: menu_name,
                    digit,
                    next: next.clone(),
                }));
                self.enter(now, next);
            }
            None => {
                self.record.steps.push(Step::Invalid {
                    menu: menu_name.clone(),
                    digit,
                });
                self.retry_menu(now, menu_name, menu, retries, &menu.invalid_prompts);
            }
        }
    }

    /// Offers the menu again after `preamble`, or goes to `on_fail` when retries are used up.
    fn retry_menu(
        &mut self,
        now: Millis,
        menu_name: String,
        menu: &Menu,
        retries: u32,
        preamble: &[PromptRef],
    ) {
        if retries >= menu.max_retries {
            self.record.steps.push(Step::MenuFailed { menu: menu_name });
            self.enter(now, menu.on_fail.clone());
            return;
        }
        let then = AfterPlay::Menu {
            menu: menu_name,
            retries: retries.saturating_add(1),
            timeout_ms: menu.timeout_ms,
        };
        self.play(now, &menu.prompts, preamble, then);
    }

    fn fail(&mut self, error: RunError) {
        self.outputs.push_back(Output::Failed {
            error: error.clone(),
        });
        self.record.outcome = Some(Outcome::Failed { error });
        self.timer = None;
        self.state = State::Ended;
    }
}
