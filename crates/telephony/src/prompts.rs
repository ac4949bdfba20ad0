//! Texts of the prompts the switch itself plays (queue position announcements and the
//! callback offer), next to the
//! IVR flow's prompts in `ivr::demo_prompt_texts`. `civicline prompts` prints both for
//! `scripts/prompts.sh`, so the code stays the one source of truth for every prompt text.

/// The queue's own prompts as `(name, bulgarian, english)`: position announcements
/// `position_1` to `position_9`, and the callback offer, confirmation and refusal. Without a
/// prompt's file the switch plays a short chime or beep instead.
pub fn announcement_texts() -> Vec<(String, String, String)> {
    let callback = [
        (
            "callback_offer",
            "За да ви се обадим, без да губите мястото си, натиснете звездичка.",
            "To be called back without losing your place, press star.",
        ),
        (
            "callback_kept",
            "Ще ви се обадим на номера, от който звъните, когато дойде вашият ред. Можете да затворите.",
            "We will call you back on this number when your turn comes. You may hang up now.",
        ),
        (
            "callback_unavailable",
            "Не можем да ви се обадим на този номер. Моля, изчакайте.",
            "We cannot call you back on this number. Please hold.",
        ),
        (
            "transfer_failed",
            "Номерът, към който ви прехвърляме, не отговаря. Връщаме ви на опашката, първи по ред.",
            "The number we are transferring you to does not answer. You are back in the queue, first in line.",
        ),
    ]
    .map(|(name, bg, en)| (name.to_owned(), bg.to_owned(), en.to_owned()));
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
    let positions = BG.iter().zip(EN).enumerate().map(|(index, (bg, en))| {
        (
            format!("position_{}", index + 1),
            format!("Вие сте {bg} на опашката. Моля, изчакайте."),
            format!("You are {en} in the queue. Please hold."),
        )
    });
    positions.chain(callback).collect()
}
