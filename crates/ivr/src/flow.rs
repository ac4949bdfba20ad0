//! The flow definition: named nodes as plain data, the way a TOML config maps into it.
//!
//! Nothing here knows about serde. The server crate owns the config format and converts it into
//! these types by hand; [`Flow::validate`](crate::Flow::validate) then checks the result.

use std::collections::{BTreeMap, BTreeSet};

/// A whole IVR flow: a start node and every node by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    /// The node a new call enters first.
    pub start: String,
    /// Every node, keyed by its name. A `BTreeMap` keeps validation output in a stable order.
    pub nodes: BTreeMap<String, Node>,
}

/// One step of a flow. Every `String` that names a node refers to a key of [`Flow::nodes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// Play prompts to the end (no barge-in), then go to `next`.
    Play {
        prompts: Vec<PromptRef>,
        next: String,
    },
    /// Play a menu and wait for one digit; see [`Menu`].
    Menu(Menu),
    /// Change the session language, then go to `next`. Plays nothing.
    Language { switch: LangSwitch, next: String },
    /// Ask the shell whether `schedule` is open now (`Output::CheckHours`), then branch.
    Hours {
        schedule: String,
        open: String,
        closed: String,
    },
    /// Ask the shell whether the runtime flag `name` is on (`Output::CheckFlag`), then branch.
    /// Supervisors toggle flags (crisis announcement, crisis branch) without a restart.
    Flag {
        name: String,
        on: String,
        off: String,
    },
    /// Hand the call to the ACD queue `queue` (`Output::Enqueue`). If the ACD gives the call
    /// back (queue full or closed), the session continues at `on_overflow`.
    Queue { queue: String, on_overflow: String },
    /// Play `prompts`, record a message of at most `max_ms` (`Output::RecordMessage`), then go
    /// to `then` when the shell reports the recording done.
    Voicemail {
        prompts: Vec<PromptRef>,
        max_ms: u64,
        then: String,
    },
    /// Ask the shell to book a callback to the caller's number (`Output::RequestCallback`), then
    /// go to `accepted`, or to `refused` when the shell cannot (for example a withheld number).
    Callback { accepted: String, refused: String },
    /// Play `prompts`, then transfer the call to the external number `to` (`Output::Transfer`).
    /// The shell still checks `to` against its allow-list.
    Transfer { prompts: Vec<PromptRef>, to: String },
    /// Go to `next`. Plays nothing.
    Goto { next: String },
    /// Play `prompts` (may be empty), then hang up (`Output::Hangup`).
    Hangup { prompts: Vec<PromptRef> },
}

/// A menu: prompts, then one digit chooses the next node.
///
/// Digits pressed while the menu prompts play barge in. The no-input timer starts when the
/// prompts finish. After an invalid digit or a timeout the menu is offered again (preceded by
/// `invalid_prompts` or `timeout_prompts`) up to `max_retries` times; the next failure goes to
/// `on_fail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Menu {
    /// What the caller hears; usually the options, then the offer of the other language.
    pub prompts: Vec<PromptRef>,
    /// One entry per accepted digit, in the order they are read out.
    pub options: Vec<MenuOption>,
    /// How long to wait for a digit after the prompts finish.
    pub timeout_ms: u64,
    /// How many times the menu is repeated after an invalid digit or a timeout.
    pub max_retries: u32,
    /// Played before the menu is repeated after an invalid digit.
    pub invalid_prompts: Vec<PromptRef>,
    /// Played before the menu is repeated after a timeout.
    pub timeout_prompts: Vec<PromptRef>,
    /// Where the call goes once the retries are used up; never a dead end.
    pub on_fail: String,
}

/// One digit of a menu and the node it leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuOption {
    /// One of `0`-`9`, `*`, `#`.
    pub digit: char,
    /// The node the digit leads to.
    pub next: String,
}

/// A prompt by name; the session resolves it to `"<lang>/<name>"`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PromptRef {
    /// Lowercase ASCII letters, digits, `_` and `-`; it becomes part of a file path.
    pub name: String,
    /// Resolve in the language the caller is *not* using: the "for English, press 9" offer in a
    /// Bulgarian session and "за български натиснете 9" in an English one.
    pub in_other_language: bool,
}

impl PromptRef {
    /// A prompt in the session's language.
    pub fn new(name: &str) -> PromptRef {
        PromptRef {
            name: name.to_owned(),
            in_other_language: false,
        }
    }

    /// A prompt in the language the caller is not using (the language offer).
    pub fn in_other_language(name: &str) -> PromptRef {
        PromptRef {
            name: name.to_owned(),
            in_other_language: true,
        }
    }

    /// The path the shell plays for a session in `lang`, such as `"bg/main_menu"`.
    pub fn resolve(&self, lang: Lang) -> String {
        let lang = if self.in_other_language {
            lang.other()
        } else {
            lang
        };
        format!("{}/{}", lang.code(), self.name)
    }
}

/// The languages a caller can use: Bulgarian first, English second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lang {
    /// Bulgarian, the default.
    Bg,
    /// English.
    En,
}

impl Lang {
    /// The code used in prompt paths and configs: `"bg"` or `"en"`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Bg => "bg",
            Lang::En => "en",
        }
    }

    /// Parses a code as written by [`Lang::code`].
    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "bg" => Some(Lang::Bg),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language; the language offer and [`LangSwitch::Toggle`] use it.
    pub fn other(self) -> Lang {
        match self {
            Lang::Bg => Lang::En,
            Lang::En => Lang::Bg,
        }
    }
}

/// What a [`Node::Language`] does to the session language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LangSwitch {
    /// Switch to this language.
    To(Lang),
    /// Switch to the other language, so one digit ("9") works both ways.
    Toggle,
}

/// Everything a flow refers to outside itself, for cross-checks in `civicline check-config`:
/// prompt files, ACD queues, calendar schedules, runtime flags and transfer numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct References {
    /// Prompt names; each needs `"bg/<name>"` and `"en/<name>"` files.
    pub prompts: BTreeSet<String>,
    /// Queue names used by [`Node::Queue`].
    pub queues: BTreeSet<String>,
    /// Schedule names used by [`Node::Hours`].
    pub schedules: BTreeSet<String>,
    /// Flag names used by [`Node::Flag`].
    pub flags: BTreeSet<String>,
    /// External numbers used by [`Node::Transfer`].
    pub transfer_numbers: BTreeSet<String>,
}

impl Flow {
    /// Lists everything the flow refers to outside itself.
    pub fn references(&self) -> References {
        let mut acc = References::default();
        for node in self.nodes.values() {
            for prompt in node.prompts() {
                acc.prompts.insert(prompt.name.clone());
            }
            match node {
                Node::Queue { queue, .. } => {
                    acc.queues.insert(queue.clone());
                }
                Node::Hours { schedule, .. } => {
                    acc.schedules.insert(schedule.clone());
                }
                Node::Flag { name, .. } => {
                    acc.flags.insert(name.clone());
                }
                Node::Transfer { to, .. } => {
                    acc.transfer_numbers.insert(to.clone());
                }
                Node::Play { .. }
                | Node::Menu(_)
                | Node::Language { .. }
                | Node::Voicemail { .. }
                | Node::Callback { .. }
                | Node::Goto { .. }
                | Node::Hangup { .. } => {}
            }
        }
        acc
    }
}

impl Node {
    /// The nodes this node can lead to, each with the name of the field that names it.
    pub fn edges(&self) -> Vec<(String, &str)> {
        match self {
            Node::Play { next, .. } | Node::Language { next, .. } | Node::Goto { next } => {
                vec![("next".to_owned(), next.as_str())]
            }
            Node::Menu(menu) => {
                let mut acc: Vec<(String, &str)> = menu
                    .options
                    .iter()
                    .map(|option| (format!("option {}", option.digit), option.next.as_str()))
                    .collect();
                acc.push(("on_fail".to_owned(), menu.on_fail.as_str()));
                acc
            }
            Node::Hours { open, closed, .. } => {
                vec![
                    ("open".to_owned(), open.as_str()),
                    ("closed".to_owned(), closed.as_str()),
                ]
            }
            Node::Flag { on, off, .. } => {
                vec![
                    ("on".to_owned(), on.as_str()),
                    ("off".to_owned(), off.as_str()),
                ]
            }
            Node::Queue { on_overflow, .. } => {
                vec![("on_overflow".to_owned(), on_overflow.as_str())]
            }
            Node::Voicemail { then, .. } => vec![("then".to_owned(), then.as_str())],
            Node::Callback { accepted, refused } => vec![
                ("accepted".to_owned(), accepted.as_str()),
                ("refused".to_owned(), refused.as_str()),
            ],
            Node::Transfer { .. } | Node::Hangup { .. } => Vec::new(),
        }
    }

    /// Every prompt the node can play.
    pub fn prompts(&self) -> Vec<&PromptRef> {
        match self {
            Node::Play { prompts, .. }
            | Node::Voicemail { prompts, .. }
            | Node::Transfer { prompts, .. }
            | Node::Hangup { prompts } => prompts.iter().collect(),
            Node::Menu(menu) => menu
                .prompts
                .iter()
                .chain(&menu.invalid_prompts)
                .chain(&menu.timeout_prompts)
                .collect(),
            Node::Language { .. }
            | Node::Hours { .. }
            | Node::Flag { .. }
            | Node::Queue { .. }
            | Node::Callback { .. }
            | Node::Goto { .. } => Vec::new(),
        }
    }

    /// Whether entering the node makes the call wait for the caller (a prompt or input), which
    /// breaks a loop. Requests to the shell (hours, flags, callbacks, queue overflow) may be
    /// answered at once, so they do not count.
    pub fn pauses(&self) -> bool {
        match self {
            Node::Play { prompts, .. } => !prompts.is_empty(),
            Node::Menu(_)
            | Node::Voicemail { .. }
            | Node::Transfer { .. }
            | Node::Hangup { .. } => true,
            Node::Language { .. }
            | Node::Hours { .. }
            | Node::Flag { .. }
            | Node::Queue { .. }
            | Node::Callback { .. }
            | Node::Goto { .. } => false,
        }
    }
}

/// Whether `digit` is a key on a phone keypad: `0`-`9`, `*` or `#`.
pub fn is_keypad_digit(digit: char) -> bool {
    digit.is_ascii_digit() || digit == '*' || digit == '#'
}
