//! The media plane: dedicated OS threads, each running its own current-thread tokio runtime,
//! that own the RTP sockets of the calls assigned to them. One task per leg receives packets
//! and handles them at once (latching, DTMF detection, recording, relaying to the bridged leg
//! with stream rewriting); each thread's pacer, polled ahead of those tasks, sends prompt and
//! hold-music packets every 20 ms, woken from a min-heap of the players' deadlines. All legs
//! of a call live on one thread, so a bridge never crosses threads and the per-thread state
//! needs no locks; calls go to the thread with the fewest legs. The control plane only sends
//! commands and receives events.
//!
//! Every thread keeps always-on delay histograms ([`MediaStats`]): for each relayed packet the
//! time from the socket read that received it to the send of the rewritten packet, and for each
//! prompt or hold-music packet how late it left against its 20 ms slot. They show whether the
//! switch delays packets at load; datagrams dropped before the read (a full receive buffer) are
//! counted by the kernel per socket, in `/proc/net/udp`.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use media::delay::{BOUNDS_US, DelayHistogram, DelaySnapshot};
use media::dtmf::DtmfDetector;
use media::player::{Player, PlayerConfig, PlayerEvent, Prompt, PromptId};
use media::recorder::{Layout, Recorder};
use media::relay::{Latch, LatchVerdict, PayloadMap, Relay, Verdict};
use media::rtp::RtpPacket;
use media::{Millis, StreamIds};
use tokio::io::unix::AsyncFd;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::switch::{LegId, MediaCommand, MediaEvent, PlayItem};

#[cfg(test)]
mod tests;

/// Prompt audio shared by every media thread: WAVs from the prompts directory plus the
/// generated hold music, beep and chime.
#[derive(Debug)]
pub(crate) struct Prompts {
    by_path: HashMap<String, Arc<[i16]>>,
    hold: Arc<[i16]>,
    beep: Arc<[i16]>,
    chime: Arc<[i16]>,
}

impl Prompts {
    /// Loads `<dir>/<lang>/<name>.wav` for every language directory. Unreadable files are
    /// logged and skipped: a missing prompt is silence, never a dropped call.
    pub(crate) fn load(dir: &Path) -> Prompts {
        let mut by_path = HashMap::new();
        match std::fs::read_dir(dir) {
            Ok(langs) => {
                for lang in langs.flatten() {
                    let lang_name = lang.file_name().to_string_lossy().into_owned();
                    let Ok(files) = std::fs::read_dir(lang.path()) else {
                        continue;
                    };
                    for file in files.flatten() {
                        let path = file.path();
                        if path
                            .extension()
                            .is_none_or(|ext| !ext.eq_ignore_ascii_case("wav"))
                        {
                            continue;
                        }
                        let Some(stem) = path.file_stem().map(|s| s.to_string_lossy().into_owned())
                        else {
                            continue;
                        };
                        let loaded = std::fs::read(&path)
                            .map_err(|err| err.to_string())
                            .and_then(|bytes| {
                                media::wav::load_prompt(&bytes).map_err(|err| err.to_string())
                            });
                        match loaded {
                            Ok(samples) => {
                                by_path.insert(format!("{lang_name}/{stem}"), Arc::from(samples));
                            }
                            Err(error) => {
                                tracing::warn!(path = %path.display(), %error, "prompt not loaded");
                            }
                        }
                    }
                }
            }
            Err(error) => tracing::warn!(dir = %dir.display(), %error, "no prompts directory"),
        }
        let mut chime = media::tone::sine(660.0, 6000.0, 1200);
        chime.extend(media::tone::sine(880.0, 6000.0, 1600));
        chime.extend(vec![0; 800]);
        Prompts {
            by_path,
            hold: Arc::from(media::player::hold_music()),
            beep: Arc::from(media::tone::sine(1000.0, 8000.0, 3200)),
            chime: Arc::from(chime),
        }
    }

    /// The prompt paths that exist.
    pub(crate) fn names(&self) -> std::collections::BTreeSet<String> {
        self.by_path.keys().cloned().collect()
    }

    fn samples(&self, item: &PlayItem) -> Option<(Arc<[i16]>, bool)> {
        match item {
            PlayItem::Prompt(path) => self.by_path.get(path).map(|s| (Arc::clone(s), false)),
            PlayItem::Chime => Some((Arc::clone(&self.chime), false)),
            PlayItem::Beep => Some((Arc::clone(&self.beep), false)),
            PlayItem::HoldMusic => Some((Arc::clone(&self.hold), true)),
        }
    }
}

enum Command {
    Open {
        leg: LegId,
        socket: std::net::UdpSocket,
    },
    Media(MediaCommand),
}

/// The media threads.
pub(crate) struct MediaPlane {
    threads: Vec<(UnboundedSender<Command>, std::thread::JoinHandle<()>)>,
    /// Each open leg's thread and call.
    leg_threads: HashMap<LegId, (usize, u64)>,
    /// Each call with open legs: its thread and how many legs it has there.
    call_threads: HashMap<u64, (usize, usize)>,
    /// Open legs per thread.
    thread_legs: Vec<usize>,
    stats: MediaStats,
}

/// One media thread's counters, written by that thread only.
#[derive(Debug, Default)]
struct ThreadStats {
    /// Socket read to send of each relayed packet.
    relay: DelayHistogram,
    /// Lateness of each prompt and hold-music packet against its 20 ms slot.
    paced: DelayHistogram,
    /// Packets the thread could not send (socket send buffer full, or an error).
    send_failures: AtomicU64,
}

/// The media threads' delay histograms and send failures, readable from any thread while the
/// switch runs. Cheap to clone.
#[derive(Debug, Clone)]
pub struct MediaStats {
    /// The media threads' shared clock origin: histogram windows are counted from it.
    origin: Instant,
    threads: Arc<[Arc<ThreadStats>]>,
}

/// A reading of [`MediaStats`], summed over the media threads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MediaDelay {
    /// Media threads running.
    pub threads: usize,
    /// Socket read to send of each relayed RTP packet.
    pub relay: DelaySnapshot,
    /// How late each prompt and hold-music packet left against its 20 ms slot.
    pub paced: DelaySnapshot,
    /// Packets that could not be sent (socket send buffer full, or an error).
    pub send_failures: u64,
}

impl MediaStats {
    /// The counters so far.
    pub fn read(&self) -> MediaDelay {
        let now = millis_since(self.origin, Instant::now());
        let mut delay = MediaDelay {
            threads: self.threads.len(),
            ..MediaDelay::default()
        };
        for thread in self.threads.iter() {
            delay.relay = delay.relay.merge(&thread.relay.snapshot(now));
            delay.paced = delay.paced.merge(&thread.paced.snapshot(now));
            delay.send_failures += thread.send_failures.load(Ordering::Relaxed);
        }
        delay
    }
}

impl MediaDelay {
    /// Appends the figures in the Prometheus text format: two histograms in seconds (buckets
    /// at 1, 2, 5, 10, 20 and 50 ms), their maxima since start and over the last 5 to 10
    /// seconds, and the send failures.
    pub fn write_prometheus(&self, out: &mut String) {
        use std::fmt::Write;
        let seconds = |us: u64| us as f64 / 1e6;
        let families = [
            (
                "civicline_media_relay_delay_seconds",
                "Time from the socket read of an RTP packet to the send of the relayed packet.",
                &self.relay,
            ),
            (
                "civicline_media_paced_lateness_seconds",
                "How late prompt and hold-music RTP packets left against their 20 ms slot.",
                &self.paced,
            ),
        ];
        for (name, help, snapshot) in families {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
            let cumulative = snapshot.cumulative();
            for (bound, count) in BOUNDS_US.iter().zip(cumulative) {
                let _ = writeln!(out, "{name}_bucket{{le=\"{}\"}} {count}", seconds(*bound));
            }
            let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", snapshot.count());
            let _ = writeln!(out, "{name}_sum {:.6}", seconds(snapshot.sum_us));
            let _ = writeln!(out, "{name}_count {}", snapshot.count());
            let _ = writeln!(
                out,
                "# HELP {name}_max Largest value since start.\n# TYPE {name}_max gauge\n{name}_max {:.6}",
                seconds(snapshot.max_us)
            );
            let _ = writeln!(
                out,
                "# HELP {name}_recent_max Largest value over the last 5 to 10 seconds.\n# TYPE {name}_recent_max gauge\n{name}_recent_max {:.6}",
                seconds(snapshot.recent_max_us)
            );
        }
        let _ = writeln!(
            out,
            "# HELP civicline_media_send_failures_total RTP packets the media threads could not send.\n# TYPE civicline_media_send_failures_total counter\ncivicline_media_send_failures_total {}",
            self.send_failures
        );
        let _ = writeln!(
            out,
            "# HELP civicline_media_threads Media threads running.\n# TYPE civicline_media_threads gauge\ncivicline_media_threads {}",
            self.threads
        );
    }
}

/// `at` in milliseconds since `origin`, the media threads' clock.
fn millis_since(origin: Instant, at: Instant) -> Millis {
    Millis(u64::try_from(at.saturating_duration_since(origin).as_millis()).unwrap_or(u64::MAX))
}

/// Microseconds from `earlier` to `later` (zero if `later` is earlier).
fn micros_between(earlier: Instant, later: Instant) -> u64 {
    u64::try_from(later.saturating_duration_since(earlier).as_micros()).unwrap_or(u64::MAX)
}

impl MediaPlane {
    /// Starts `count` threads (at least one).
    pub(crate) fn start(
        count: usize,
        prompts: Arc<Prompts>,
        events: UnboundedSender<MediaEvent>,
        seed: u64,
    ) -> std::io::Result<MediaPlane> {
        let origin = Instant::now();
        let mut threads = Vec::new();
        let mut all_stats = Vec::new();
        for index in 0..count.max(1) {
            let (tx, rx) = unbounded_channel();
            let prompts = Arc::clone(&prompts);
            let events = events.clone();
            let thread_seed = seed ^ (index as u64).wrapping_mul(0x9E37_79B9);
            let stats = Arc::new(ThreadStats::default());
            all_stats.push(Arc::clone(&stats));
            let join = std::thread::Builder::new()
                .name(format!("civicline-media-{index}"))
                .spawn(move || run_thread(rx, events, prompts, thread_seed, origin, stats))?;
            threads.push((tx, join));
        }
        Ok(MediaPlane {
            thread_legs: vec![0; threads.len()],
            threads,
            leg_threads: HashMap::new(),
            call_threads: HashMap::new(),
            stats: MediaStats {
                origin,
                threads: all_stats.into(),
            },
        })
    }

    /// The threads' counters.
    pub(crate) fn stats(&self) -> MediaStats {
        self.stats.clone()
    }

    /// Hands a bound socket for `leg` to the thread of `call`: the thread that already has
    /// the call's other legs, else the one with the fewest legs. (Not `call % threads`: call
    /// and leg ids share one counter, so call ids tend to share a parity.)
    pub(crate) fn open(&mut self, leg: LegId, call: u64, socket: std::net::UdpSocket) {
        let least = (0..self.threads.len())
            .min_by_key(|&index| self.thread_legs.get(index).copied().unwrap_or(0))
            .unwrap_or(0);
        let entry = self.call_threads.entry(call).or_insert((least, 0));
        entry.1 += 1;
        let index = entry.0;
        if let Some((previous, previous_call)) = self.leg_threads.insert(leg, (index, call)) {
            // A leg opened twice: forget its earlier socket's count.
            self.forget(previous, previous_call);
        }
        if let Some(count) = self.thread_legs.get_mut(index) {
            *count += 1;
        }
        if let Some((tx, _)) = self.threads.get(index) {
            let _ = tx.send(Command::Open { leg, socket });
        }
    }

    /// Passes a command to the thread that owns its leg.
    pub(crate) fn command(&mut self, command: MediaCommand) {
        let leg = match &command {
            MediaCommand::Open { leg, .. }
            | MediaCommand::Configure { leg, .. }
            | MediaCommand::Play { leg, .. }
            | MediaCommand::Stop { leg }
            | MediaCommand::Record { leg, .. }
            | MediaCommand::StopRecording { leg }
            | MediaCommand::Close { leg } => *leg,
            MediaCommand::Bridge { a, .. } => *a,
        };
        let closing = matches!(command, MediaCommand::Close { .. });
        let Some((index, call)) = self.leg_threads.get(&leg).copied() else {
            return;
        };
        if closing {
            self.leg_threads.remove(&leg);
            self.forget(index, call);
        }
        if let Some((tx, _)) = self.threads.get(index) {
            let _ = tx.send(Command::Media(command));
        }
    }

    /// Counts one leg of `call` on thread `index` as gone.
    fn forget(&mut self, index: usize, call: u64) {
        if let Some(count) = self.thread_legs.get_mut(index) {
            *count = count.saturating_sub(1);
        }
        if let Some(entry) = self.call_threads.get_mut(&call) {
            entry.1 = entry.1.saturating_sub(1);
            if entry.1 == 0 {
                self.call_threads.remove(&call);
            }
        }
    }

    /// Stops the threads and waits for them.
    pub(crate) fn shutdown(self) {
        let mut joins = Vec::new();
        for (tx, join) in self.threads {
            drop(tx);
            joins.push(join);
        }
        for join in joins {
            let _ = join.join();
        }
    }
}

fn run_thread(
    commands: UnboundedReceiver<Command>,
    events: UnboundedSender<MediaEvent>,
    prompts: Arc<Prompts>,
    seed: u64,
    origin: Instant,
    stats: Arc<ThreadStats>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(%error, "media thread could not start its runtime");
            return;
        }
    };
    let local = tokio::task::LocalSet::new();
    let state = Rc::new(RefCell::new(ThreadState {
        legs: HashMap::new(),
        deadlines: BinaryHeap::new(),
        events,
        prompts,
        rng: media::Rng::new(seed),
        origin,
        next_prompt: 1,
        stats,
    }));
    let wake = Rc::new(tokio::sync::Notify::new());
    // The pacer and the command loop run inside the LocalSet's own future, not as spawned
    // tasks: the LocalSet polls that future before every batch of (at most 61) receive tasks,
    // so a due prompt packet never waits behind a whole round of busy sockets.
    local.block_on(&runtime, async move {
        tokio::select! {
            () = pace(Rc::clone(&state), Rc::clone(&wake)) => {}
            () = command_loop(commands, Rc::clone(&state), wake) => {}
        }
        let legs: Vec<Box<LegRt>> = state
            .borrow_mut()
            .legs
            .drain()
            .map(|(_, leg)| leg)
            .collect();
        for leg in legs {
            leg.receiver.abort();
        }
    });
}

async fn command_loop(
    mut commands: UnboundedReceiver<Command>,
    state: Rc<RefCell<ThreadState>>,
    wake: Rc<tokio::sync::Notify>,
) {
    // One receive buffer for all the thread's legs, borrowed only between awaits.
    let buffer = Rc::new(RefCell::new([0u8; 2048]));
    while let Some(command) = commands.recv().await {
        match command {
            Command::Open { leg, socket } => {
                let socket = match register_readable(socket) {
                    Ok(socket) => Rc::new(socket),
                    Err(error) => {
                        tracing::warn!(%error, "rtp socket not usable");
                        continue;
                    }
                };
                let receiver = tokio::task::spawn_local(receive(
                    leg,
                    Rc::clone(&socket),
                    Rc::clone(&state),
                    Rc::clone(&buffer),
                ));
                let previous = state.borrow_mut().legs.insert(
                    leg,
                    Box::new(LegRt {
                        socket,
                        receiver,
                        latch: Latch::new(None, 3),
                        codec: None,
                        detector: None,
                        player: None,
                        done_after: None,
                        token: 0,
                        scheduled: 0,
                        last_sent: None,
                        bridge: None,
                        relay: None,
                        recorder: None,
                    }),
                );
                if let Some(previous) = previous {
                    previous.receiver.abort();
                }
            }
            Command::Media(command) => state.borrow_mut().command(command),
        }
        wake.notify_one();
    }
}

/// Registers `socket` with the thread's reactor for readability only: with writable interest
/// too (as `tokio::net::UdpSocket` has), the buffer space each send frees would wake the
/// epoll loop once more per packet. Sends go straight to the non-blocking socket.
#[allow(
    deprecated,
    reason = "the safe constructor; sound here: the AsyncFd owns the socket, so its fd stays open and the same"
)]
fn register_readable(socket: std::net::UdpSocket) -> std::io::Result<AsyncFd<std::net::UdpSocket>> {
    socket.set_nonblocking(true)?;
    AsyncFd::with_interest(socket, tokio::io::Interest::READABLE)
}

/// Datagrams one leg reads in a row before letting the other tasks run.
const RECEIVE_BUDGET: usize = 16;

async fn receive(
    leg: LegId,
    socket: Rc<AsyncFd<std::net::UdpSocket>>,
    state: Rc<RefCell<ThreadState>>,
    buffer: Rc<RefCell<[u8; 2048]>>,
) {
    loop {
        let Ok(mut ready) = socket.readable().await else {
            // The runtime is shutting down.
            return;
        };
        let (mut failed, mut drained) = (false, false);
        for _ in 0..RECEIVE_BUDGET {
            let mut buf = buffer.borrow_mut();
            match ready.try_io(|socket| socket.get_ref().recv_from(&mut buf[..])) {
                Ok(Ok((len, from))) => {
                    let read_at = Instant::now();
                    if let Some(packet) = buf.get_mut(..len) {
                        state.borrow_mut().packet(leg, packet, from, read_at);
                    }
                }
                Ok(Err(error)) => {
                    tracing::debug!(%error, "rtp receive failed");
                    failed = true;
                    break;
                }
                // Drained: readiness cleared, wait for the next datagram.
                Err(_would_block) => {
                    drained = true;
                    break;
                }
            }
        }
        drop(ready);
        if failed {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        } else if !drained {
            tokio::task::yield_now().await;
        }
    }
}

/// Packets due this many milliseconds ahead are sent in the same pass, so that thousands of
/// legs at independent 20 ms phases cost fewer wakeups.
const COALESCE_MS: u64 = 1;

/// Sends due prompt packets; sleeps until the earliest player deadline or a command.
async fn pace(state: Rc<RefCell<ThreadState>>, wake: Rc<tokio::sync::Notify>) {
    let sleep = tokio::time::sleep_until(tokio::time::Instant::now());
    tokio::pin!(sleep);
    loop {
        let next = state.borrow_mut().next_deadline();
        match next {
            Some(at) => {
                sleep.as_mut().reset(at);
                tokio::select! {
                    () = &mut sleep => {}
                    () = wake.notified() => {}
                }
            }
            None => wake.notified().await,
        }
        state.borrow_mut().tick();
    }
}

struct LegRt {
    socket: Rc<AsyncFd<std::net::UdpSocket>>,
    receiver: tokio::task::JoinHandle<()>,
    latch: Latch<SocketAddr>,
    codec: Option<(media::g711::Codec, u8, Option<u8>)>,
    detector: Option<DtmfDetector>,
    /// Inline: nearly every leg has one, and the pacer reads it every 20 ms.
    player: Option<Player>,
    /// The prompt whose end completes the current `Play`.
    done_after: Option<PromptId>,
    token: u64,
    /// Generation of this leg's live entry in `ThreadState::deadlines`; older ones are stale.
    scheduled: u32,
    /// The last packet the player sent: SSRC, sequence, timestamp and when.
    last_sent: Option<(u32, u16, u32, Millis)>,
    bridge: Option<LegId>,
    /// Rewrites packets from the bridged leg into this leg's outgoing stream.
    relay: Option<Box<Relay>>,
    recorder: Option<Box<Recorder>>,
}

impl LegRt {
    /// When the player's next packet is due.
    fn deadline(&self) -> Option<Millis> {
        self.player.as_ref()?.poll_timeout()
    }
}

/// A player deadline: when, whose, and the leg's `scheduled` generation at the push.
type Deadline = Reverse<(Millis, LegId, u32)>;

struct ThreadState {
    /// Boxed: the map's buckets, a quarter or more of them empty, stay small.
    legs: HashMap<LegId, Box<LegRt>>,
    /// Min-heap of player deadlines with lazy deletion: an entry whose leg is gone or whose
    /// generation is not the leg's current one is skipped when it comes up.
    deadlines: BinaryHeap<Deadline>,
    events: UnboundedSender<MediaEvent>,
    prompts: Arc<Prompts>,
    rng: media::Rng,
    origin: Instant,
    next_prompt: u64,
    stats: Arc<ThreadStats>,
}

/// Pushes `leg`'s current player deadline, if any, superseding its earlier entries.
fn schedule(deadlines: &mut BinaryHeap<Deadline>, leg: LegId, state: &mut LegRt) {
    let Some(at) = state.deadline() else {
        return;
    };
    state.scheduled = state.scheduled.wrapping_add(1);
    deadlines.push(Reverse((at, leg, state.scheduled)));
}

impl ThreadState {
    fn now(&self) -> Millis {
        millis_since(self.origin, Instant::now())
    }

    /// The earliest live deadline; drops the stale entries in front of it.
    fn next_deadline(&mut self) -> Option<tokio::time::Instant> {
        loop {
            let &Reverse((at, leg, generation)) = self.deadlines.peek()?;
            let live = self
                .legs
                .get(&leg)
                .is_some_and(|state| state.scheduled == generation && state.deadline() == Some(at));
            if live {
                let origin = tokio::time::Instant::from_std(self.origin);
                return Some(origin + std::time::Duration::from_millis(at.0));
            }
            self.deadlines.pop();
            if let Some(state) = self.legs.get_mut(&leg)
                && state.scheduled == generation
            {
                // Its player's deadline moved without a push: index the new one.
                schedule(&mut self.deadlines, leg, state);
            }
        }
    }

    fn command(&mut self, command: MediaCommand) {
        let now = self.now();
        match command {
            MediaCommand::Open { .. } => {}
            MediaCommand::Configure {
                leg,
                remote,
                codec,
                payload_type,
                telephone_event,
            } => {
                let ids = StreamIds::random(&mut self.rng);
                let Some(state) = self.legs.get_mut(&leg) else {
                    return;
                };
                state.latch.reset(Some(remote));
                state.codec = Some((codec, payload_type, telephone_event));
                state.detector = telephone_event.map(DtmfDetector::new);
                if state.player.is_none() {
                    state.player = Some(Player::new(PlayerConfig {
                        codec,
                        ids,
                        telephone_event,
                    }));
                }
            }
            MediaCommand::Play { leg, token, items } => self.play(leg, token, &items, now),
            MediaCommand::Stop { leg } => {
                if let Some(state) = self.legs.get_mut(&leg) {
                    state.done_after = None;
                    if let Some(player) = &mut state.player {
                        player.stop();
                        while player.poll_event().is_some() {}
                    }
                }
            }
            MediaCommand::Bridge { a, b } => {
                self.bridge_one(a, b, now);
                self.bridge_one(b, a, now);
            }
            MediaCommand::Record { leg, max_ms } => {
                let seconds = u32::try_from(max_ms.div_ceil(1000)).unwrap_or(u32::MAX);
                let token = self.legs.get(&leg).map_or(0, |state| state.token);
                self.play(leg, token, &[PlayItem::Beep], now);
                if let Some(state) = self.legs.get_mut(&leg) {
                    state.done_after = None;
                    state.recorder = Some(Box::new(Recorder::new(
                        now,
                        Layout::Mixed,
                        seconds.saturating_add(1),
                    )));
                }
            }
            MediaCommand::StopRecording { leg } => {
                let wav = self
                    .legs
                    .get_mut(&leg)
                    .and_then(|state| state.recorder.take())
                    .map_or_else(
                        || media::wav::write_wav(&[], 1, media::SAMPLE_RATE),
                        |recorder| recorder.finish(),
                    );
                let _ = self.events.send(MediaEvent::Recorded { leg, wav });
            }
            MediaCommand::Close { leg } => {
                if let Some(state) = self.legs.remove(&leg) {
                    state.receiver.abort();
                    if let Some(other) = state.bridge
                        && let Some(other) = self.legs.get_mut(&other)
                    {
                        other.bridge = None;
                        other.relay = None;
                    }
                }
            }
        }
    }

    fn play(&mut self, leg: LegId, token: u64, items: &[PlayItem], now: Millis) {
        let prompts = Arc::clone(&self.prompts);
        let mut next_prompt = self.next_prompt;
        let Some(state) = self.legs.get_mut(&leg) else {
            return;
        };
        state.token = token;
        state.done_after = None;
        let Some(player) = &mut state.player else {
            let _ = self.events.send(MediaEvent::PlayDone { leg, token });
            return;
        };
        player.stop();
        while player.poll_event().is_some() {}
        let mut done_after = None;
        let mut looping = false;
        for item in items {
            let Some((samples, loops)) = prompts.samples(item) else {
                tracing::warn!(?item, "prompt missing; skipped");
                continue;
            };
            let id = PromptId(next_prompt);
            next_prompt += 1;
            player.enqueue(
                now,
                Prompt {
                    id,
                    samples,
                    looping: loops,
                },
            );
            if loops {
                looping = true;
                break;
            }
            done_after = Some(id);
        }
        self.next_prompt = next_prompt;
        state.done_after = done_after;
        schedule(&mut self.deadlines, leg, state);
        if done_after.is_none() && !looping {
            // Nothing to play: report at once so that the IVR goes on.
            let _ = self.events.send(MediaEvent::PlayDone { leg, token });
        }
    }

    fn bridge_one(&mut self, to: LegId, from: LegId, now: Millis) {
        let from_codec = self.legs.get(&from).and_then(|state| state.codec);
        let random = StreamIds::random(&mut self.rng);
        let Some(state) = self.legs.get_mut(&to) else {
            return;
        };
        let (Some((_, from_pt, from_te)), Some((_, to_pt, to_te))) = (from_codec, state.codec)
        else {
            tracing::warn!("bridge between unconfigured legs");
            return;
        };
        let mut map = PayloadMap::empty().with(from_pt, to_pt);
        if let (Some(from_te), Some(to_te)) = (from_te, to_te) {
            map = map.with(from_te, to_te);
        }
        // Continue the stream the far end already hears from the player.
        let ids = match state.last_sent {
            Some((ssrc, sequence, timestamp, at)) => StreamIds {
                ssrc,
                first_sequence: sequence.wrapping_add(1),
                first_timestamp: timestamp.wrapping_add(
                    u32::try_from(now.saturating_since(at).max(20) * 8).unwrap_or(160),
                ),
            },
            None => random,
        };
        if let Some(player) = &mut state.player {
            player.stop();
            while player.poll_event().is_some() {}
        }
        state.done_after = None;
        state.bridge = Some(from);
        state.relay = Some(Box::new(Relay::new(ids, map)));
    }

    /// Handles a packet of `leg` that the socket read returned at `read_at`.
    fn packet(&mut self, leg: LegId, packet: &mut [u8], from: SocketAddr, read_at: Instant) {
        let now = millis_since(self.origin, read_at);
        let Some(state) = self.legs.get_mut(&leg) else {
            return;
        };
        if media::rtp::is_rtcp(packet) {
            return;
        }
        let target = {
            let Ok(parsed) = RtpPacket::parse(packet) else {
                return;
            };
            if state.latch.handle_packet(from, parsed.header.ssrc) == LatchVerdict::Reject {
                return;
            }
            if let Some(detector) = &mut state.detector
                && let Some(digit) = detector.handle_packet(&parsed)
                && state.bridge.is_none()
                && let Some(key) = digit.key()
            {
                let _ = self.events.send(MediaEvent::Digit { leg, digit: key });
            }
            if let Some(recorder) = &mut state.recorder {
                recorder.handle_packet(now, media::recorder::Leg::A, &parsed);
            }
            state.bridge
        };
        let Some(target) = target else {
            return;
        };
        let Some(out) = self.legs.get_mut(&target) else {
            return;
        };
        let (Some(relay), Some(remote)) = (&mut out.relay, out.latch.remote()) else {
            return;
        };
        if let Ok(Verdict::Forward) = relay.forward(now, packet) {
            let sent = out.socket.get_ref().send_to(packet, remote);
            let sent_at = Instant::now();
            if let Err(error) = sent {
                self.stats.send_failures.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(%error, "rtp relay send failed");
            }
            self.stats.relay.record(
                millis_since(self.origin, sent_at),
                micros_between(read_at, sent_at),
            );
        }
    }

    /// Sends the packets of every player due by now (or within [`COALESCE_MS`]).
    fn tick(&mut self) {
        let horizon = self.now().plus(COALESCE_MS);
        let mut buf = [0u8; 256];
        while let Some(&Reverse((at, leg, generation))) = self.deadlines.peek() {
            if at > horizon {
                break;
            }
            self.deadlines.pop();
            let Some(state) = self.legs.get_mut(&leg) else {
                continue;
            };
            if state.scheduled != generation {
                continue;
            }
            let Some(player) = &mut state.player else {
                continue;
            };
            player.handle_timeout(horizon);
            while let Some(packet) = player.poll_packet() {
                let header = packet.header;
                state.last_sent =
                    Some((header.ssrc, header.sequence, header.timestamp, packet.slot));
                if let (Ok(len), Some(remote)) = (packet.write(&mut buf), state.latch.remote())
                    && let Some(bytes) = buf.get(..len)
                {
                    let sent = state.socket.get_ref().send_to(bytes, remote);
                    let sent_at = Instant::now();
                    if let Err(error) = sent {
                        self.stats.send_failures.fetch_add(1, Ordering::Relaxed);
                        tracing::debug!(%error, "rtp prompt send failed");
                    }
                    let slot = self.origin + std::time::Duration::from_millis(packet.slot.0);
                    self.stats.paced.record(
                        millis_since(self.origin, sent_at),
                        micros_between(slot, sent_at),
                    );
                }
            }
            while let Some(event) = player.poll_event() {
                if let PlayerEvent::Finished(id) = event
                    && state.done_after == Some(id)
                {
                    state.done_after = None;
                    let _ = self.events.send(MediaEvent::PlayDone {
                        leg,
                        token: state.token,
                    });
                }
            }
            schedule(&mut self.deadlines, leg, state);
        }
    }
}
