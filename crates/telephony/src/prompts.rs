//! Texts of the prompts the switch itself plays (queue position announcements), next to the
//! IVR flow's prompts in `ivr::demo_prompt_texts`. `civicline prompts` prints both for
//! `scripts/prompts.sh`, so the code stays the one source of truth for every prompt text.

/// Position announcements `position_1` to `position_9` as `(name, bulgarian, english)`.
/// Without them the switch plays a short chime instead.
pub fn announcement_texts() -> Vec<(String, String, String)> {
    const BG: [&str; 9] = [
        "първи",
        "втори",
        "трети",
        "четвърти",
        "пети",
        "шести",
        "седми",
        "осми",
        "девети",
    ];
    const EN: [&str; 9] = [
        "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
    ];
    BG.iter()
        .zip(EN)
        .enumerate()
        .map(|(index, (bg, en))| {
            (
                format!("position_{}", index + 1),
                format!("Вие сте {bg} на опашката. Моля, изчакайте."),
                format!("You are {en} in the queue. Please hold."),
            )
        })
        .collect()
}
