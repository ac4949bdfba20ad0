//! `civicline simulate`: a day of calls through the real ACD engine, with the Erlang C
//! prediction next to every simulated figure.
//!
//! Arrivals come per 15-minute interval from a CSV (`interval_start,calls`, e.g. `08:30,42`) or
//! from a flat hourly rate over opening hours; handle times are exponential (the Erlang C
//! assumption) or lognormal (closer to real calls); staffing is a fixed count or a CSV
//! (`interval_start,agents`). `acd::sim` drives the engine on virtual time, and the figures are
//! computed by `acd::stats` from the engine's event log, exactly as for live queues.
//!
//! That the simulator agrees with Erlang C under Erlang C's own assumptions (exponential
//! handle times, no abandonment, no wrap-up) is tested once, in `acd::sim`'s tests
//! (`simulation_matches_erlang_c`); here the two are only printed side by side.

use std::fmt::Write as _;
use std::path::PathBuf;

use acd::config::Strategy;
use acd::erlang;
use acd::ids::Millis;
use acd::sim::{HandleTime, SimConfig, simulate};
use acd::stats::IntervalStats;

/// The interval length: 15 minutes.
const INTERVAL_MINUTES: u32 = 15;

#[derive(clap::Args, Debug, Clone)]
pub struct SimulateArgs {
    /// Calls per 15-minute interval: a CSV of `interval_start,calls` lines (`08:30,42`); a header
    /// line is allowed. Intervals not listed between the first and the last get no calls.
    #[arg(long, conflicts_with = "calls_per_hour")]
    pub arrivals: Option<PathBuf>,
    /// A flat arrival rate over --hours, instead of --arrivals.
    #[arg(long)]
    pub calls_per_hour: Option<f64>,
    /// The opening hours for a flat rate, `HH:MM-HH:MM` on quarter hours.
    #[arg(long, default_value = "08:00-18:00")]
    pub hours: String,
    /// Mean talk time in seconds (wrap-up comes on top).
    #[arg(long, default_value_t = 180)]
    pub aht: u64,
    /// `exponential` or `lognormal`.
    #[arg(long, default_value = "exponential")]
    pub distribution: String,
    /// Standard deviation of a lognormal talk time in seconds (default: the mean).
    #[arg(long)]
    pub aht_std_dev: Option<u64>,
    /// After-call work in seconds following every call.
    #[arg(long, default_value_t = 0)]
    pub wrap_up: u64,
    /// Agents logged in all day.
    #[arg(long, conflicts_with = "staffing")]
    pub agents: Option<u32>,
    /// Agents per interval: a CSV of `interval_start,agents` lines; each row holds until the next.
    #[arg(long)]
    pub staffing: Option<PathBuf>,
    /// The service-level threshold T in seconds.
    #[arg(long, default_value_t = 20)]
    pub target: u64,
    /// The service-level goal in percent, for "agents needed".
    #[arg(long, default_value_t = 80.0)]
    pub target_sl: f64,
    /// Mean caller patience in seconds (exponential); without it nobody hangs up while waiting.
    #[arg(long)]
    pub patience: Option<u64>,
    /// `longest_idle`, `round_robin`, `fewest_calls`, `least_talk_time` or `ring_all`.
    #[arg(long, default_value = "longest_idle")]
    pub strategy: String,
    /// Seed of every random draw; the same seed gives the same day.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// The subcommand: reads the CSV files, simulates and prints the report. An error is bad input.
#[allow(clippy::print_stdout)] // The report is the command's output.
pub fn main(args: &SimulateArgs) -> Result<(), String> {
    let read = |path: &PathBuf| {
        std::fs::read_to_string(path).map_err(|err| format!("{}: cannot read: {err}", path.display()))
    };
    let arrivals = args.arrivals.as_ref().map(read).transpose()?;
    let staffing = args.staffing.as_ref().map(read).transpose()?;
    let plan = Plan::new(args, arrivals.as_deref(), staffing.as_deref())?;
    print!("{}", plan.run());
    Ok(())
}

/// A validated day to simulate.
#[derive(Debug)]
pub struct Plan {
    /// Minutes after midnight of the first interval.
    first_minute: u32,
    /// Calls per interval.
    calls: Vec<f64>,
    /// Agents per interval.
    agents: Vec<u32>,
    handle_time: HandleTime,
    mean_talk: u64,
    wrap_up: u64,
    target: u64,
    goal: f64,
    patience: Option<u64>,
    strategy: Strategy,
    seed: u64,
}

impl Plan {
    /// Checks the arguments and the CSV texts (already read).
    pub fn new(args: &SimulateArgs, arrivals: Option<&str>, staffing: Option<&str>) -> Result<Plan, String> {
        let (first_minute, calls) = match (arrivals, args.calls_per_hour) {
            (Some(text), _) => {
                let rows = parse_csv("--arrivals", text)?;
                let first = rows.first().map(|row| row.0).ok_or("--arrivals: no intervals")?;
                let last = rows.last().map_or(first, |row| row.0);
                let mut calls = vec![0.0; ((last - first) / INTERVAL_MINUTES + 1) as usize];
                for (minute, count) in rows {
                    calls[((minute - first) / INTERVAL_MINUTES) as usize] = count;
                }
                (first, calls)
            }
            (None, Some(rate)) => {
                if !(rate.is_finite() && rate >= 0.0) {
                    return Err("--calls-per-hour: must be a non-negative number".into());
                }
                let (open, close) = parse_hours(&args.hours)?;
                (open, vec![rate / 4.0; ((close - open) / INTERVAL_MINUTES) as usize])
            }
            (None, None) => return Err("give --arrivals FILE or --calls-per-hour N".into()),
        };
        let agents = match (staffing, args.agents) {
            (Some(text), _) => {
                let rows = parse_csv("--staffing", text)?;
                if rows.first().is_none_or(|row| row.0 > first_minute) {
                    return Err(format!("--staffing: the first row must be at or before {}", clock(first_minute)));
                }
                let mut agents = Vec::with_capacity(calls.len());
                for index in 0..calls.len() {
                    let minute = first_minute + index as u32 * INTERVAL_MINUTES;
                    let row = rows.iter().rev().find(|row| row.0 <= minute).map_or(0.0, |row| row.1);
                    if row.fract() != 0.0 || row > 100_000.0 {
                        return Err("--staffing: agents must be whole numbers up to 100000".into());
                    }
                    agents.push(row as u32);
                }
                agents
            }
            (None, Some(count)) if count <= 100_000 => vec![count; calls.len()],
            (None, Some(_)) => return Err("--agents: at most 100000".into()),
            (None, None) => return Err("give --agents N or --staffing FILE".into()),
        };
        if !(1..=86_400).contains(&args.aht) {
            return Err("--aht: between 1 and 86400 seconds".into());
        }
        let handle_time = match args.distribution.as_str() {
            "exponential" => HandleTime::Exponential { mean: Millis::from_secs(args.aht) },
            "lognormal" => HandleTime::LogNormal {
                mean: Millis::from_secs(args.aht),
                std_dev: Millis::from_secs(args.aht_std_dev.unwrap_or(args.aht).max(1)),
            },
            _ => return Err("--distribution: use exponential or lognormal".into()),
        };
        let strategy = match args.strategy.as_str() {
            "longest_idle" => Strategy::LongestIdle,
            "round_robin" => Strategy::RoundRobin,
            "fewest_calls" => Strategy::FewestCalls,
            "least_talk_time" => Strategy::LeastTalkTime,
            "ring_all" => Strategy::RingAll,
            _ => return Err("--strategy: use longest_idle, round_robin, fewest_calls, least_talk_time or ring_all".into()),
        };
        if !(args.target_sl > 0.0 && args.target_sl < 100.0) {
            return Err("--target-sl: a percentage above 0 and below 100".into());
        }
        if args.wrap_up > 3600 {
            return Err("--wrap-up: at most 3600 seconds".into());
        }
        if args.patience == Some(0) {
            return Err("--patience: at least 1 second".into());
        }
        Ok(Plan {
            first_minute,
            calls,
            agents,
            handle_time,
            mean_talk: args.aht,
            wrap_up: args.wrap_up,
            target: args.target,
            goal: args.target_sl / 100.0,
            patience: args.patience,
            strategy,
            seed: args.seed,
        })
    }

    /// Simulates the day; returns the printed report.
    pub fn run(&self) -> String {
        let interval = Millis::from_secs(u64::from(INTERVAL_MINUTES) * 60);
        let config = SimConfig {
            seed: self.seed,
            agents: self.agents.first().copied().unwrap_or(0),
            staffing: self.agents.clone(),
            patience: self.patience.map(Millis::from_secs),
            arrivals_per_hour: self.calls.iter().map(|calls| calls * 4.0).collect(),
            interval,
            handle_time: self.handle_time,
            strategy: self.strategy,
            wrap_up: Millis::from_secs(self.wrap_up),
            service_level_target: Millis::from_secs(self.target),
        };
        let report = simulate(&config);
        let handle_secs = (self.mean_talk + self.wrap_up) as f64;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "civicline simulate: seed {}, {} intervals from {}, talk {} s {}, wrap-up {} s, T = {} s, goal {:.0}%{}",
            self.seed,
            self.calls.len(),
            clock(self.first_minute),
            self.mean_talk,
            match self.handle_time {
                HandleTime::Exponential { .. } => "exponential".to_owned(),
                HandleTime::LogNormal { std_dev, .. } => format!("lognormal (sd {std_dev} s)"),
            },
            self.wrap_up,
            self.target,
            self.goal * 100.0,
            self.patience.map_or(String::new(), |p| format!(", patience {p} s")),
        );
        out.push_str(
            "SL = answered within T / answered; SL2 = (answered + abandoned within T) / (answered + abandoned);\n\
             ASA = wait of answered / answered; AHT = (talk + wrap-up) / handled; occupancy = busy / (busy + idle);\n\
             Erlang C: A = calls per hour x AHT / 3600, N = agents; need = smallest N with SL(T) >= goal.\n\n",
        );
        let _ = writeln!(
            out,
            "{:<5} {:>6} {:>7} {:>8} {:>9} {:>6} {:>6} {:>6} {:>6} {:>6} {:>5} {:>6} | {:>6} {:>6} {:>6} {:>4}",
            "start", "agents", "offered", "answered", "abandoned", "SL%", "SL2%", "ASA", "AHT", "occ%",
            "max", "load", "C SL%", "C ASA", "C occ%", "need",
        );
        let mut total = IntervalStats::empty(acd::ids::QueueId(1), Millis::ZERO);
        for stats in &report.intervals {
            total.add(stats);
        }
        for (index, calls) in self.calls.iter().enumerate() {
            let start = Millis(interval.0 * index as u64);
            let stats = report
                .intervals
                .iter()
                .find(|s| s.start == start)
                .cloned()
                .unwrap_or_else(|| IntervalStats::empty(acd::ids::QueueId(1), start));
            let agents = self.agents.get(index).copied().unwrap_or(0);
            let load = calls * 4.0 * handle_secs / 3600.0;
            let minute = self.first_minute + index as u32 * INTERVAL_MINUTES;
            out.push_str(&row(&clock(minute), agents, &stats, load));
            let _ = writeln!(out, " | {}", erlang_columns(agents, load, handle_secs, self.target as f64, self.goal));
        }
        let agent_hours: f64 = self.agents.iter().map(|a| f64::from(*a) / 4.0).sum();
        let calls: f64 = self.calls.iter().sum();
        let hours = self.calls.len() as f64 / 4.0;
        let load = if hours > 0.0 { calls / hours * handle_secs / 3600.0 } else { 0.0 };
        out.push_str(&row("day", (agent_hours / hours.max(0.25)).round() as u32, &total, load));
        let needed_hours: f64 = self
            .calls
            .iter()
            .map(|calls| {
                let load = calls * 4.0 * handle_secs / 3600.0;
                f64::from(erlang::agents_needed(load, handle_secs, self.target as f64, self.goal).unwrap_or(0)) / 4.0
            })
            .sum();
        let _ = writeln!(out, " | staffed {agent_hours:.1} agent-hours, Erlang C needs {needed_hours:.1}");
        let _ = writeln!(
            out,
            "\nmax = longest wait (s); load in Erlangs; columns after | are Erlang C for the interval's agents\n\
             (it ignores abandonment and the empty start of the day). Short abandons {}, engine inputs {}.",
            total.short_abandoned, report.engine_calls
        );
        out
    }
}

/// One line of simulated figures (without a newline).
fn row(label: &str, agents: u32, stats: &IntervalStats, load: f64) -> String {
    let pct = |value: Option<f64>| value.map_or("-".to_owned(), |v| format!("{:.1}", v * 100.0));
    let secs = |value: Option<Millis>| value.map_or("-".to_owned(), |v| format!("{:.0}", v.as_secs_f64()));
    format!(
        "{label:<5} {agents:>6} {:>7} {:>8} {:>9} {:>6} {:>6} {:>6} {:>6} {:>6} {:>5} {load:>6.2}",
        stats.offered,
        stats.answered,
        stats.abandoned,
        pct(stats.service_level()),
        pct(stats.service_level_2()),
        secs(stats.average_speed_of_answer()),
        secs(stats.average_handle_time()),
        pct(stats.occupancy()),
        format!("{:.0}", stats.longest_wait.as_secs_f64()),
    )
}

/// Erlang C's SL, ASA and occupancy for `agents`, and the agents needed for the goal.
fn erlang_columns(agents: u32, load: f64, handle_secs: f64, target: f64, goal: f64) -> String {
    let needed = erlang::agents_needed(load, handle_secs, target, goal).map_or("-".to_owned(), |n| n.to_string());
    if load <= 0.0 {
        return format!("{:>6} {:>6} {:>6} {needed:>4}", "-", "-", "-");
    }
    let asa = erlang::average_speed_of_answer(agents, load, handle_secs);
    format!(
        "{:>6.1} {:>6} {:>6.1} {needed:>4}",
        erlang::service_level(agents, load, handle_secs, target) * 100.0,
        if asa.is_finite() { format!("{asa:.0}") } else { "inf".to_owned() },
        erlang::occupancy(agents, load) * 100.0,
    )
}

/// `HH:MM` for minutes after midnight.
fn clock(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// Minutes after midnight of `HH:MM` on a quarter hour.
fn parse_clock(text: &str) -> Option<u32> {
    let (hours, minutes) = text.trim().split_once(':')?;
    let hours: u32 = hours.parse().ok()?;
    let minutes: u32 = minutes.parse().ok()?;
    let total = hours * 60 + minutes;
    (hours <= 24 && minutes < 60 && total <= 24 * 60 && minutes.is_multiple_of(INTERVAL_MINUTES)).then_some(total)
}

fn parse_hours(text: &str) -> Result<(u32, u32), String> {
    let bad = || format!("--hours: {text:?} is not HH:MM-HH:MM on quarter hours");
    let (open, close) = text.split_once('-').ok_or_else(bad)?;
    let (open, close) = (parse_clock(open).ok_or_else(bad)?, parse_clock(close).ok_or_else(bad)?);
    if close <= open {
        return Err(format!("--hours: {text:?} closes before it opens"));
    }
    Ok((open, close))
}

/// `interval_start,value` rows in increasing time order; an optional header line.
fn parse_csv(flag: &str, text: &str) -> Result<Vec<(u32, f64)>, String> {
    let mut rows: Vec<(u32, f64)> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = |problem: &str| format!("{flag}: line {}: {problem}", index + 1);
        let (start, value) = line.split_once(',').ok_or_else(|| at("expected interval_start,value"))?;
        let Some(minute) = parse_clock(start) else {
            if rows.is_empty() && index == 0 && start.trim().parse::<f64>().is_err() && !start.contains(':') {
                continue; // A header line.
            }
            return Err(at("interval_start must be HH:MM on a quarter hour"));
        };
        if minute >= 24 * 60 {
            return Err(at("the last interval starts at 23:45"));
        }
        let value: f64 = value.trim().parse().map_err(|_| at("the value must be a number"))?;
        if !(value.is_finite() && value >= 0.0) {
            return Err(at("the value must not be negative"));
        }
        if rows.last().is_some_and(|last| last.0 >= minute) {
            return Err(at("intervals must be in increasing order"));
        }
        rows.push((minute, value));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests;
