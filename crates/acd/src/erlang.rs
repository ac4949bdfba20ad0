//! Erlang B and C staffing formulas.
//!
//! With arrival rate λ, average handle time h, offered load A = λh (Erlangs)
//! and N agents, Erlang C gives the probability that a caller waits:
//!
//! P_w = [A^N/N! · N/(N−A)] / [Σ_{k<N} A^k/k! + A^N/N! · N/(N−A)]
//!
//! computed without factorials from the Erlang B recurrence
//! B(0) = 1, B(n) = A·B(n−1) / (n + A·B(n−1)), and
//! C = N·B / (N − A·(1 − B)). Then SL(T) = 1 − P_w·e^(−(N−A)T/h) and
//! ASA = P_w·h/(N−A). Erlang C ignores abandonment, so it slightly overstates
//! the staff needed.

/// Erlang B: the blocking probability with `agents` servers and no queue.
pub fn erlang_b(agents: u32, load: f64) -> f64 {
    let mut b = 1.0;
    for n in 1..=agents {
        let ab = load * b;
        b = ab / (f64::from(n) + ab);
    }
    b
}

/// Erlang C: the probability that a caller has to wait. 1 when the load
/// reaches the number of agents (the queue grows without bound).
pub fn probability_of_waiting(agents: u32, load: f64) -> f64 {
    let n = f64::from(agents);
    if load <= 0.0 {
        return 0.0;
    }
    if load >= n {
        return 1.0;
    }
    let b = erlang_b(agents, load);
    n * b / (n - load * (1.0 - b))
}

/// The fraction of callers answered within `target` seconds.
pub fn service_level(agents: u32, load: f64, handle_secs: f64, target_secs: f64) -> f64 {
    let n = f64::from(agents);
    if load >= n {
        return 0.0;
    }
    let p_wait = probability_of_waiting(agents, load);
    1.0 - p_wait * (-(n - load) * target_secs / handle_secs).exp()
}

/// Average speed of answer in seconds (infinite when overloaded).
pub fn average_speed_of_answer(agents: u32, load: f64, handle_secs: f64) -> f64 {
    let n = f64::from(agents);
    if load >= n {
        return f64::INFINITY;
    }
    probability_of_waiting(agents, load) * handle_secs / (n - load)
}

/// Agent occupancy: load ÷ agents, at most 1.
pub fn occupancy(agents: u32, load: f64) -> f64 {
    if agents == 0 {
        return 1.0;
    }
    (load / f64::from(agents)).min(1.0)
}

/// The smallest number of agents whose service level within `target_secs`
/// reaches `goal` (0 to 1). `None` when the inputs are not finite or
/// positive, or the goal cannot be met with fewer than a million agents.
pub fn agents_needed(load: f64, handle_secs: f64, target_secs: f64, goal: f64) -> Option<u32> {
    if !(load.is_finite() && handle_secs.is_finite() && handle_secs > 0.0 && load >= 0.0) || goal >= 1.0 {
        return None;
    }
    if load == 0.0 {
        return Some(0);
    }
    // The first count above the load; service level grows with N from there.
    let mut agents = load.floor() as u32 + 1;
    while agents < 1_000_000 {
        if service_level(agents, load, handle_secs, target_secs) >= goal {
            return Some(agents);
        }
        agents += 1;
    }
    None
}

#[cfg(test)]
mod tests;
