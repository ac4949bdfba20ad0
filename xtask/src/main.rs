//! Project chores. The invariants live in `tidy.rs` as an ordinary test, so plain `cargo test`
//! (and the README's test command) checks them; there is no separate lint step to forget.

#[cfg(test)]
mod tidy;

fn main() {
    eprintln!("xtask: nothing to run; the checks are tests: cargo test -p xtask");
}
