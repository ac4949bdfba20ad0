//! The async shell: one task owns the SIP sockets, the switch and its timer, and `select!`s
//! over a closed [`Input`] enum. It carries out the switch's outputs (sending SIP, binding RTP
//! ports for the media threads, writing recordings, publishing events) and contains no protocol
//! logic.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sip_proto::message::{Frame, frame_stream};
use sip_proto::transaction::{Peer, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::config::{Config, PortRange};
use crate::event::{CallId, Event, PauseCode, ScheduledCallback, Snapshot, TransferRefused};
use crate::media::{MediaDelay, MediaPlane, MediaStats, Prompts};
use crate::switch::{LegId, MediaCommand, MediaEvent, Output, Params, Switch};

/// How many events may wait for the consumer before new ones are dropped (and counted).
const EVENT_BUFFER: usize = 8192;
/// How long a shutdown waits for BYEs to be answered.
const SHUTDOWN_GRACE: u64 = 2_000;
/// The largest SIP datagram accepted.
const MAX_DATAGRAM: usize = 65_535;

/// Commands from the rest of the program.
#[derive(Debug)]
enum Command {
    SetFlag {
        name: String,
        on: bool,
    },
    SetAgentPaused {
        agent: String,
        pause: Option<PauseCode>,
        reply: oneshot::Sender<bool>,
    },
    Snapshot {
        reply: oneshot::Sender<Snapshot>,
    },
    Transfer {
        agent: String,
        to: String,
        reply: oneshot::Sender<Result<(), TransferRefused>>,
    },
    SetAgentQueues {
        agent: String,
        queues: Vec<String>,
        reply: oneshot::Sender<Result<(), String>>,
    },
    ScheduleCallback {
        request: ScheduledCallback,
        reply: oneshot::Sender<Result<CallId, String>>,
    },
}

/// Talks to a running switch. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Handle {
    commands: mpsc::UnboundedSender<Command>,
    shutdown: CancellationToken,
    sip_addr: SocketAddr,
    media: MediaStats,
}

impl Handle {
    /// Turns a runtime flag (such as `crisis`) on or off; no restart needed.
    pub fn set_flag(&self, name: &str, on: bool) {
        let _ = self.commands.send(Command::SetFlag {
            name: name.to_owned(),
            on,
        });
    }

    /// Sends the command `make` builds around a reply channel and waits for the answer;
    /// `None` once the switch has stopped.
    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Command) -> Option<T> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(make(reply)).ok()?;
        answer.await.ok()
    }

    /// Pauses an agent for a reason (a break, training, admin work) or makes them available
    /// again (`None`); false when the agent is unknown or the switch has stopped.
    pub async fn set_agent_paused(&self, agent: &str, pause: Option<PauseCode>) -> bool {
        let agent = agent.to_owned();
        self.ask(|reply| Command::SetAgentPaused { agent, pause, reply }).await.unwrap_or(false)
    }

    /// Transfers the call `agent` is talking on to `to` (a queue, a free agent or an allowed
    /// outside number), as a blind transfer from their phone would; `None` once the switch has
    /// stopped.
    pub async fn transfer(&self, agent: &str, to: &str) -> Option<Result<(), TransferRefused>> {
        let (agent, to) = (agent.to_owned(), to.to_owned());
        self.ask(|reply| Command::Transfer { agent, to, reply }).await
    }

    /// Moves `agent` to `queues` until the next restart; `Err` names the unknown agent or
    /// queue, `None` once the switch has stopped.
    pub async fn set_agent_queues(&self, agent: &str, queues: Vec<String>) -> Option<Result<(), String>> {
        let agent = agent.to_owned();
        self.ask(|reply| Command::SetAgentQueues { agent, queues, reply }).await
    }

    /// The live state; `None` once the switch has stopped.
    pub async fn snapshot(&self) -> Option<Snapshot> {
        self.ask(|reply| Command::Snapshot { reply }).await
    }

    /// Books a callback for later (an after-hours request), placed agent first when due;
    /// `Err` says why it was refused (no outbound gateway, a number not allowed, the switch
    /// stopped).
    pub async fn schedule_callback(&self, request: ScheduledCallback) -> Result<CallId, String> {
        self.ask(|reply| Command::ScheduleCallback { request, reply })
            .await
            .unwrap_or_else(|| Err("the phone switch has stopped".to_owned()))
    }

    /// Ends every call and stops the switch.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    /// The address SIP listens on.
    pub fn sip_addr(&self) -> SocketAddr {
        self.sip_addr
    }

    /// The media threads' delay histograms and send failures so far (always on, lock-free).
    pub fn media_delay(&self) -> MediaDelay {
        self.media.read()
    }
}

/// A started switch.
#[derive(Debug)]
pub struct Running {
    /// Commands.
    pub handle: Handle,
    /// Events, in order. Drain it: when it is full new events are dropped.
    pub events: mpsc::Receiver<Event>,
    /// Finishes after a shutdown, once calls are hung up and the media threads stopped.
    pub task: tokio::task::JoinHandle<()>,
}

/// Why the switch could not start.
#[derive(Debug)]
pub enum StartError {
    /// The configuration is inconsistent (queues, agents, flow).
    Config(String),
    /// A socket or thread could not be set up.
    Io(std::io::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Config(problem) => write!(f, "telephony configuration: {problem}"),
            StartError::Io(error) => write!(f, "telephony i/o: {error}"),
        }
    }
}

impl std::error::Error for StartError {}

/// Binds SIP on UDP and TCP at the same address. With port 0 the system picks a UDP port, and
/// that number may already be taken for TCP by someone else: then it tries again with another
/// port, so tests and port-0 configurations never fail on the race.
pub async fn bind_sip(
    addr: std::net::SocketAddr,
) -> std::io::Result<(tokio::net::UdpSocket, tokio::net::TcpListener)> {
    let mut attempts = 0;
    loop {
        let udp = tokio::net::UdpSocket::bind(addr).await?;
        let bound = udp.local_addr()?;
        match tokio::net::TcpListener::bind(bound).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(err) if addr.port() == 0 && attempts < 20 => {
                attempts += 1;
                tracing::debug!(error = %err, "sip tcp port taken, trying another");
            }
            Err(err) => return Err(err),
        }
    }
}

/// Starts the switch on already-bound SIP sockets (UDP and TCP on the same port). It runs until
/// `shutdown` is cancelled.
pub async fn start(
    config: Config,
    udp: UdpSocket,
    tcp: TcpListener,
    shutdown: CancellationToken,
) -> Result<Running, StartError> {
    let sip_addr = udp.local_addr().map_err(StartError::Io)?;
    let prompts_dir = config.prompts_dir.clone();
    let recordings_dir = config.recordings_dir.clone();
    let prompts = tokio::task::spawn_blocking(move || {
        let _ = std::fs::create_dir_all(&recordings_dir);
        Prompts::load(&prompts_dir)
    })
    .await
    .map_err(|err| StartError::Io(std::io::Error::other(err)))?;
    let prompts = Arc::new(prompts);
    let epoch_unix_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        });
    let switch = Switch::new(
        &config,
        Params {
            sip_port: sip_addr.port(),
            epoch_unix_ms,
            known_prompts: prompts.names(),
        },
    )
    .map_err(|err| StartError::Config(err.0))?;
    tracing::info!(
        sip = %sip_addr,
        prompts = prompts.names().len(),
        queues = config.queues.len(),
        agents = config.agents.len(),
        "phone switch starting"
    );
    let (media_tx, media_rx) = mpsc::unbounded_channel();
    let media = MediaPlane::start(config.media_threads, prompts, media_tx, config.rng_seed)
        .map_err(StartError::Io)?;
    let (command_tx, command_rx) = mpsc::unbounded_channel();
    let (event_tx, event_rx) = mpsc::channel(EVENT_BUFFER);
    let (tcp_tx, tcp_rx) = mpsc::unbounded_channel();
    let accept = tokio::spawn(accept_loop(tcp, tcp_tx.clone(), shutdown.clone()));
    let media_stats = media.stats();
    let shell = Shell {
        switch,
        udp: Arc::new(udp),
        origin: tokio::time::Instant::now(),
        media,
        ports: Ports::new(config.media_address, config.rtp_ports),
        events: event_tx,
        dropped_events: 0,
        tcp_writers: HashMap::new(),
        tcp_tx,
    };
    let task = tokio::spawn(shell.run(media_rx, command_rx, tcp_rx, shutdown.clone(), accept));
    Ok(Running {
        handle: Handle {
            commands: command_tx,
            shutdown,
            sip_addr,
            media: media_stats,
        },
        events: event_rx,
        task,
    })
}

/// Everything the shell waits for. Closed: every source of work is one variant.
enum Input {
    Datagram(std::io::Result<(usize, SocketAddr)>),
    Stream(StreamInput),
    Media(MediaEvent),
    Command(Command),
    Timer,
    Shutdown,
}

/// What the TCP connection tasks report.
enum StreamInput {
    Connected {
        addr: SocketAddr,
        writer: mpsc::UnboundedSender<Vec<u8>>,
    },
    Frame {
        addr: SocketAddr,
        bytes: Vec<u8>,
    },
    Closed {
        addr: SocketAddr,
    },
}

struct Shell {
    switch: Switch,
    udp: Arc<UdpSocket>,
    origin: tokio::time::Instant,
    media: MediaPlane,
    ports: Ports,
    events: mpsc::Sender<Event>,
    dropped_events: u64,
    tcp_writers: HashMap<SocketAddr, mpsc::UnboundedSender<Vec<u8>>>,
    tcp_tx: mpsc::UnboundedSender<StreamInput>,
}

impl Shell {
    fn now(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    async fn run(
        mut self,
        mut media_rx: mpsc::UnboundedReceiver<MediaEvent>,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut streams: mpsc::UnboundedReceiver<StreamInput>,
        shutdown: CancellationToken,
        accept: tokio::task::JoinHandle<()>,
    ) {
        let mut buf = vec![0u8; MAX_DATAGRAM];
        let mut stop_at: Option<u64> = None;
        let udp = Arc::clone(&self.udp);
        loop {
            let deadline = self.switch.poll_timeout().min(stop_at.unwrap_or(u64::MAX));
            let sleep_until = self.origin + Duration::from_millis(deadline.min(u64::MAX / 4));
            let input = tokio::select! {
                received = udp.recv_from(&mut buf) => Input::Datagram(received),
                Some(stream) = streams.recv() => Input::Stream(stream),
                Some(event) = media_rx.recv() => Input::Media(event),
                Some(command) = commands.recv() => Input::Command(command),
                _ = tokio::time::sleep_until(sleep_until) => Input::Timer,
                _ = shutdown.cancelled(), if stop_at.is_none() => Input::Shutdown,
            };
            let now = self.now();
            match input {
                Input::Datagram(Ok((len, from))) => {
                    let peer = Peer {
                        transport: Transport::Udp,
                        addr: from,
                    };
                    if let Some(bytes) = buf.get(..len) {
                        self.switch.handle_sip(now, peer, bytes);
                    }
                }
                Input::Datagram(Err(error)) => tracing::debug!(%error, "sip receive failed"),
                Input::Stream(StreamInput::Connected { addr, writer }) => {
                    self.tcp_writers.insert(addr, writer);
                }
                Input::Stream(StreamInput::Frame { addr, bytes }) => {
                    let peer = Peer {
                        transport: Transport::Tcp,
                        addr,
                    };
                    self.switch.handle_sip(now, peer, &bytes);
                }
                Input::Stream(StreamInput::Closed { addr }) => {
                    self.tcp_writers.remove(&addr);
                }
                Input::Media(event) => self.switch.handle_media(now, event),
                Input::Command(Command::SetFlag { name, on }) => {
                    self.switch.set_flag(now, &name, on)
                }
                Input::Command(Command::SetAgentPaused {
                    agent,
                    pause,
                    reply,
                }) => {
                    let known = self.switch.set_agent_paused(now, &agent, pause);
                    let _ = reply.send(known);
                }
                Input::Command(Command::Transfer { agent, to, reply }) => {
                    let _ = reply.send(self.switch.transfer_agent_call(now, &agent, &to));
                }
                Input::Command(Command::SetAgentQueues { agent, queues, reply }) => {
                    let _ = reply.send(self.switch.set_agent_queues(now, &agent, &queues));
                }
                Input::Command(Command::Snapshot { reply }) => {
                    let _ = reply.send(self.switch.snapshot());
                }
                Input::Command(Command::ScheduleCallback { request, reply }) => {
                    let _ = reply.send(self.switch.schedule_callback(now, request));
                }
                Input::Timer => self.switch.handle_timeout(now),
                Input::Shutdown => {
                    tracing::info!("phone switch shutting down");
                    self.switch.shutdown(now);
                    stop_at = Some(now + SHUTDOWN_GRACE);
                }
            }
            self.carry_out();
            if let Some(stop_at) = stop_at
                && (self.switch.is_idle() || self.now() >= stop_at)
            {
                break;
            }
        }
        accept.abort();
        let media = self.media;
        let _ = tokio::task::spawn_blocking(move || media.shutdown()).await;
        if self.dropped_events > 0 {
            tracing::warn!(
                dropped = self.dropped_events,
                "telephony events were dropped"
            );
        }
        tracing::info!("phone switch stopped");
    }

    /// Carries out every pending output of the switch.
    fn carry_out(&mut self) {
        while let Some(output) = self.switch.poll_output() {
            match output {
                Output::Transmit { peer, message } => self.transmit(peer, message.to_bytes()),
                Output::Media(MediaCommand::Open { leg, call }) => {
                    let now = self.now();
                    match self.ports.bind(leg) {
                        Ok((socket, port)) => {
                            self.media.open(leg, call.0, socket);
                            self.switch.handle_leg_opened(now, leg, Ok(port));
                        }
                        Err(error) => self.switch.handle_leg_opened(now, leg, Err(error)),
                    }
                }
                Output::Media(command) => {
                    if let MediaCommand::Close { leg } = command {
                        self.ports.release(leg);
                    }
                    self.media.command(command);
                }
                Output::Event(event) => self.publish(event),
                Output::SaveRecording { path, wav, event } => {
                    let events = self.events.clone();
                    tokio::spawn(save_recording(path, wav, event, events));
                }
            }
        }
    }

    fn publish(&mut self, event: Event) {
        if self.events.try_send(event).is_err() {
            self.dropped_events += 1;
            if self.dropped_events.is_power_of_two() {
                tracing::warn!(
                    dropped = self.dropped_events,
                    "telephony event consumer is behind"
                );
            }
        }
    }

    fn transmit(&mut self, peer: Peer, bytes: Vec<u8>) {
        match peer.transport {
            Transport::Udp => {
                if let Err(error) = self.udp.try_send_to(&bytes, peer.addr) {
                    tracing::debug!(peer = %peer.addr, %error, "sip send failed");
                }
            }
            Transport::Tcp | Transport::Tls => match self.tcp_writers.get(&peer.addr) {
                Some(writer) => {
                    let _ = writer.send(bytes);
                }
                None => {
                    tokio::spawn(connect(peer.addr, bytes, self.tcp_tx.clone()));
                }
            },
        }
    }
}

async fn save_recording(path: PathBuf, wav: Vec<u8>, event: Event, events: mpsc::Sender<Event>) {
    let written = tokio::task::spawn_blocking({
        let path = path.clone();
        move || std::fs::write(&path, wav)
    })
    .await;
    match written {
        Ok(Ok(())) => {
            let _ = events.send(event).await;
        }
        Ok(Err(error)) => tracing::error!(path = %path.display(), %error, "recording not written"),
        Err(error) => tracing::error!(%error, "recording writer failed"),
    }
}

async fn accept_loop(
    listener: TcpListener,
    streams: mpsc::UnboundedSender<StreamInput>,
    shutdown: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.cancelled() => return,
        };
        match accepted {
            Ok((stream, addr)) => {
                tokio::spawn(connection(stream, addr, streams.clone(), None));
            }
            Err(error) => {
                tracing::debug!(%error, "sip tcp accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn connect(addr: SocketAddr, first: Vec<u8>, streams: mpsc::UnboundedSender<StreamInput>) {
    match tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr)).await {
        Ok(Ok(stream)) => connection(stream, addr, streams, Some(first)).await,
        Ok(Err(error)) => tracing::debug!(peer = %addr, %error, "sip tcp connect failed"),
        Err(_) => tracing::debug!(peer = %addr, "sip tcp connect timed out"),
    }
}

/// One SIP-over-TCP connection: frames in, bytes out.
async fn connection(
    stream: TcpStream,
    addr: SocketAddr,
    streams: mpsc::UnboundedSender<StreamInput>,
    first: Option<Vec<u8>>,
) {
    let (mut reader, mut writer) = stream.into_split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    if let Some(first) = first {
        let _ = tx.send(first);
    }
    let _ = streams.send(StreamInput::Connected { addr, writer: tx });
    let write = tokio::spawn(async move {
        while let Some(bytes) = rx.recv().await {
            if writer.write_all(&bytes).await.is_err() {
                return;
            }
        }
    });
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    let mut chunk = vec![0u8; 16384];
    'read: loop {
        let read = match reader.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        buf.extend_from_slice(chunk.get(..read).unwrap_or_default());
        loop {
            match frame_stream(&buf) {
                Ok(Frame::Complete(len)) => {
                    let bytes: Vec<u8> = buf.drain(..len).collect();
                    let _ = streams.send(StreamInput::Frame { addr, bytes });
                }
                Ok(Frame::Keepalive(len)) => {
                    buf.drain(..len);
                }
                Ok(Frame::Incomplete) => break,
                Err(error) => {
                    tracing::debug!(peer = %addr, %error, "bad sip stream; closing");
                    break 'read;
                }
            }
        }
    }
    write.abort();
    let _ = streams.send(StreamInput::Closed { addr });
}

/// The RTP port range: one even port per leg.
struct Ports {
    address: std::net::IpAddr,
    range: PortRange,
    cursor: u16,
    in_use: HashMap<LegId, u16>,
    taken: BTreeSet<u16>,
}

impl Ports {
    fn new(address: std::net::IpAddr, range: PortRange) -> Ports {
        Ports {
            address,
            range,
            cursor: range.first,
            in_use: HashMap::new(),
            taken: BTreeSet::new(),
        }
    }

    /// Binds the next free even port, round-robin so that a port is not reused at once.
    fn bind(&mut self, leg: LegId) -> Result<(std::net::UdpSocket, u16), String> {
        let ports: Vec<u16> = self.range.even_ports().collect();
        let start = ports
            .iter()
            .position(|port| *port >= self.cursor)
            .unwrap_or(0);
        for offset in 0..ports.len() {
            let Some(port) = ports.get((start + offset) % ports.len()).copied() else {
                continue;
            };
            if self.taken.contains(&port) {
                continue;
            }
            let Ok(socket) = std::net::UdpSocket::bind(SocketAddr::new(self.address, port)) else {
                continue;
            };
            if socket.set_nonblocking(true).is_err() {
                continue;
            }
            self.cursor = port.saturating_add(2);
            self.taken.insert(port);
            self.in_use.insert(leg, port);
            return Ok((socket, port));
        }
        Err("no free rtp port".to_owned())
    }

    fn release(&mut self, leg: LegId) {
        if let Some(port) = self.in_use.remove(&leg) {
            self.taken.remove(&port);
        }
    }
}
