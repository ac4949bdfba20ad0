//! The transaction layer (RFC 3261 section 17, with the RFC 6026
//! Accepted states) as a sans-IO state machine.
//!
//! Drive a [`TransactionLayer`] like this: pass network input to
//! [`TransactionLayer::handle_message`], TU actions to
//! [`TransactionLayer::send_request`] / [`TransactionLayer::send_response`],
//! and expired deadlines to [`TransactionLayer::handle_timeout`]; after
//! every call, drain [`TransactionLayer::poll_output`] until it returns
//! [`Output::Timeout`], and call `handle_timeout` once that time comes.
//!
//! Deviation from RFC 3261, for the switch's convenience: the INVITE
//! server transaction also performs the UAS core's 2xx retransmission
//! (section 13.3.1.4) in its Accepted state. It stops when the ACK arrives
//! (reported as an [`Event::Request`]) and reports [`Event::Timeout`] if
//! Timer L (64*T1) passes without one.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use crate::header::Headers;
use crate::message::{Message, Method, Request, Response};
use crate::time::Time;

/// The transport a message travels over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Transport {
    /// UDP: unreliable, so the transaction layer retransmits.
    Udp,
    /// TCP.
    Tcp,
    /// TLS over TCP.
    Tls,
}

impl Transport {
    /// Whether the transport delivers reliably (no retransmissions).
    pub fn is_reliable(self) -> bool {
        !matches!(self, Transport::Udp)
    }
}

/// The remote end of a message: transport and address (already resolved
/// by the caller; this crate does no DNS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Peer {
    /// Transport.
    pub transport: Transport,
    /// Remote address.
    pub addr: SocketAddr,
}

/// Timer base values (RFC 3261 table 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// RTT estimate, 500 ms by default.
    pub t1: Duration,
    /// Longest retransmit interval for non-INVITE requests and INVITE
    /// responses, 4 s by default.
    pub t2: Duration,
    /// Longest time a message stays in the network, 5 s by default.
    pub t4: Duration,
}

impl TimerConfig {
    /// The RFC 3261 defaults: T1 = 500 ms, T2 = 4 s, T4 = 5 s.
    pub fn rfc3261() -> TimerConfig {
        TimerConfig {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        }
    }
}

/// Identifies a transaction (RFC 3261 sections 17.1.3 and 17.2.3).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TransactionKey {
    /// Whether we are the server side.
    pub server: bool,
    /// The top Via branch.
    pub branch: String,
    /// The top Via sent-by (server transactions only, else empty).
    pub sent_by: String,
    /// The method; ACK is matched under INVITE.
    pub method: Method,
}

impl TransactionKey {
    /// The key of the INVITE server transaction a CANCEL (given by its own
    /// server transaction key) refers to (RFC 3261 section 9.2).
    pub fn cancelled_invite(&self) -> Option<TransactionKey> {
        (self.server && self.method == Method::Cancel).then(|| TransactionKey {
            method: Method::Invite,
            ..self.clone()
        })
    }
}

/// What the transaction layer reports to the TU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A request for the TU: a new server transaction (`key` is `Some`),
    /// the ACK of a 2xx we sent (`key` of the INVITE), or an ACK matching
    /// no transaction (`key` is `None`).
    Request {
        /// The server transaction, if any.
        key: Option<TransactionKey>,
        /// Where it came from.
        peer: Peer,
        /// The request.
        request: Request,
    },
    /// A response for a client transaction.
    Response {
        /// The client transaction.
        key: TransactionKey,
        /// The response.
        response: Response,
    },
    /// A response matching no client transaction (for example a 2xx
    /// retransmission after the INVITE transaction ended).
    StrayResponse {
        /// Where it came from.
        peer: Peer,
        /// The response.
        response: Response,
    },
    /// Timer B, F or H fired, or Timer L fired before a 2xx was ACKed.
    Timeout {
        /// The transaction.
        key: TransactionKey,
    },
    /// The transaction ended and was forgotten.
    Terminated {
        /// The transaction.
        key: TransactionKey,
    },
}

/// Output of [`TransactionLayer::poll_output`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send `message` to `peer`.
    Transmit {
        /// Destination.
        peer: Peer,
        /// The message.
        message: Message,
    },
    /// Tell the TU.
    Event(Event),
    /// Nothing more to do until this time ([`Time::NEVER`] when idle).
    Timeout(Time),
}

/// A TU action the transaction layer refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransactionError {
    /// The request has no top Via with a branch.
    MissingBranch,
    /// ACK and CANCEL-less ACKs are sent with `send_stateless`.
    AckNotTransactional,
    /// A transaction with this key already exists.
    Duplicate,
    /// No transaction with this key.
    Unknown,
    /// The response is not allowed in the transaction's state.
    InvalidState,
}

impl fmt::Display for TransactionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransactionError::MissingBranch => write!(f, "request has no via branch"),
            TransactionError::AckNotTransactional => write!(f, "ack is sent outside transactions"),
            TransactionError::Duplicate => write!(f, "transaction already exists"),
            TransactionError::Unknown => write!(f, "no such transaction"),
            TransactionError::InvalidState => {
                write!(f, "response not allowed in this transaction state")
            }
        }
    }
}

impl std::error::Error for TransactionError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(
    clippy::enum_variant_names,
    reason = "the RFC names the four machines this way"
)]
enum Kind {
    ClientInvite,
    ClientNonInvite,
    ServerInvite,
    ServerNonInvite,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Calling,
    Trying,
    Proceeding,
    Accepted,
    Completed,
    Confirmed,
}

#[derive(Debug)]
struct Transaction {
    kind: Kind,
    state: State,
    peer: Peer,
    request: Request,
    /// Last response sent (server) or the ACK to resend (client INVITE).
    last_sent: Option<Message>,
    /// Retransmission timer (A, E, G, or 2xx) and its current interval.
    retransmit: Option<(Time, Duration)>,
    /// Timeout timer (B, F, H, L, M).
    timeout: Option<Time>,
    /// Lingering timer ending the transaction (D, I, J, K).
    linger: Option<Time>,
    /// Whether the 2xx of an INVITE server transaction was ACKed.
    acked: bool,
}

impl Transaction {
    fn next_deadline(&self) -> Option<Time> {
        [self.retransmit.map(|(at, _)| at), self.timeout, self.linger]
            .into_iter()
            .flatten()
            .min()
    }
}

/// All client and server transactions of one endpoint.
///
/// Two indexes keep every operation independent of how many transactions are live (a busy
/// switch holds tens of thousands, most lingering): deadlines sit in a heap, and INVITE server
/// transactions are found by Call-ID for the ACK of a 2xx, which has a branch of its own.
#[derive(Debug)]
pub struct TransactionLayer {
    timers: TimerConfig,
    transactions: BTreeMap<TransactionKey, Transaction>,
    /// Every deadline a transaction has had, earliest first. An entry is stale once its
    /// transaction is gone or has another next deadline; stale entries are skipped.
    deadlines: BinaryHeap<Reverse<(Time, TransactionKey)>>,
    /// INVITE server transactions by Call-ID.
    invites_by_call_id: HashMap<String, Vec<TransactionKey>>,
    outputs: VecDeque<Output>,
}

impl TransactionLayer {
    /// An empty layer.
    pub fn new(timers: TimerConfig) -> TransactionLayer {
        TransactionLayer {
            timers,
            transactions: BTreeMap::new(),
            deadlines: BinaryHeap::new(),
            invites_by_call_id: HashMap::new(),
            outputs: VecDeque::new(),
        }
    }

    /// The next output; [`Output::Timeout`] once drained.
    pub fn poll_output(&mut self) -> Output {
        if let Some(output) = self.outputs.pop_front() {
            return output;
        }
        while let Some(Reverse((at, key))) = self.deadlines.peek() {
            if self.is_due_entry(*at, key) {
                break;
            }
            self.deadlines.pop();
        }
        let next = self.deadlines.peek().map(|Reverse((at, _))| *at);
        debug_assert_eq!(
            next,
            self.transactions
                .values()
                .filter_map(Transaction::next_deadline)
                .min(),
            "the deadline index lost a deadline"
        );
        Output::Timeout(next.unwrap_or(Time::NEVER))
    }

    /// Whether a heap entry is the transaction's current next deadline.
    fn is_due_entry(&self, at: Time, key: &TransactionKey) -> bool {
        self.transactions
            .get(key)
            .and_then(Transaction::next_deadline)
            == Some(at)
    }

    /// Indexes the transaction's next deadline; called after every change to its timers.
    fn schedule(&mut self, key: &TransactionKey) {
        if let Some(at) = self
            .transactions
            .get(key)
            .and_then(Transaction::next_deadline)
        {
            self.deadlines.push(Reverse((at, key.clone())));
        }
    }

    /// Number of live transactions.
    pub fn len(&self) -> usize {
        self.transactions.len()
    }

    /// Whether there are no live transactions.
    pub fn is_empty(&self) -> bool {
        self.transactions.is_empty()
    }

    /// Starts a client transaction for `request` (not ACK), sent to `peer`.
    /// The request must carry its top Via with a branch.
    pub fn send_request(
        &mut self,
        now: Time,
        peer: Peer,
        request: Request,
    ) -> Result<TransactionKey, TransactionError> {
        if request.method == Method::Ack {
            return Err(TransactionError::AckNotTransactional);
        }
        let branch = top_branch(&request.headers).ok_or(TransactionError::MissingBranch)?;
        let key = TransactionKey {
            server: false,
            branch,
            sent_by: String::new(),
            method: request.method.clone(),
        };
        if self.transactions.contains_key(&key) {
            return Err(TransactionError::Duplicate);
        }
        let invite = request.method == Method::Invite;
        let retransmit =
            (!peer.transport.is_reliable()).then_some((now + self.timers.t1, self.timers.t1));
        let transaction = Transaction {
            kind: if invite {
                Kind::ClientInvite
            } else {
                Kind::ClientNonInvite
            },
            state: if invite {
                State::Calling
            } else {
                State::Trying
            },
            peer,
            request: request.clone(),
            last_sent: None,
            retransmit,
            timeout: Some(now + self.timers.t1.saturating_mul(64)),
            linger: None,
            acked: false,
        };
        self.transactions.insert(key.clone(), transaction);
        self.schedule(&key);
        self.transmit(peer, request.into());
        Ok(key)
    }

    /// Sends a response within server transaction `key`.
    pub fn send_response(
        &mut self,
        now: Time,
        key: &TransactionKey,
        response: Response,
    ) -> Result<(), TransactionError> {
        let timers = self.timers;
        let transaction = self
            .transactions
            .get_mut(key)
            .ok_or(TransactionError::Unknown)?;
        let unreliable = !transaction.peer.transport.is_reliable();
        let status = response.status;
        match (transaction.kind, transaction.state) {
            (Kind::ServerInvite, State::Proceeding) => {
                if status >= 300 {
                    transaction.state = State::Completed;
                    transaction.retransmit = unreliable.then_some((now + timers.t1, timers.t1));
                    transaction.timeout = Some(now + timers.t1.saturating_mul(64));
                } else if status >= 200 {
                    transaction.state = State::Accepted;
                    transaction.retransmit = Some((now + timers.t1, timers.t1));
                    transaction.timeout = Some(now + timers.t1.saturating_mul(64));
                }
            }
            (Kind::ServerInvite, State::Accepted) if (200..300).contains(&status) => {}
            (Kind::ServerNonInvite, State::Trying | State::Proceeding) => {
                if status >= 200 {
                    transaction.state = State::Completed;
                    let linger = if unreliable {
                        timers.t1.saturating_mul(64)
                    } else {
                        Duration::ZERO
                    };
                    transaction.linger = Some(now + linger);
                } else {
                    transaction.state = State::Proceeding;
                }
            }
            _ => return Err(TransactionError::InvalidState),
        }
        let message = Message::from(response);
        transaction.last_sent = Some(message.clone());
        let peer = transaction.peer;
        self.transmit(peer, message);
        self.schedule(key);
        self.run_timers(now);
        Ok(())
    }

    /// Sends a message outside any transaction (ACK for a 2xx, stateless
    /// responses).
    pub fn send_stateless(&mut self, peer: Peer, message: Message) {
        self.transmit(peer, message);
    }

    /// Handles a message received from `peer`.
    pub fn handle_message(&mut self, now: Time, peer: Peer, message: Message) {
        match message {
            Message::Response(response) => self.handle_response(now, peer, response),
            Message::Request(request) => self.handle_request(now, peer, request),
        }
        self.run_timers(now);
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Time) {
        self.run_timers(now);
    }

    fn transmit(&mut self, peer: Peer, message: Message) {
        self.outputs.push_back(Output::Transmit { peer, message });
    }

    fn event(&mut self, event: Event) {
        self.outputs.push_back(Output::Event(event));
    }

    fn terminate(&mut self, key: &TransactionKey) {
        let Some(transaction) = self.transactions.remove(key) else {
            return;
        };
        if transaction.kind == Kind::ServerInvite
            && let Ok(call_id) = transaction.request.headers.call_id()
            && let Some(keys) = self.invites_by_call_id.get_mut(call_id)
        {
            keys.retain(|other| other != key);
            if keys.is_empty() {
                self.invites_by_call_id.remove(call_id);
            }
        }
        self.event(Event::Terminated { key: key.clone() });
    }

    fn handle_response(&mut self, now: Time, peer: Peer, response: Response) {
        let (Some(branch), Ok(cseq)) = (top_branch(&response.headers), response.headers.cseq())
        else {
            return;
        };
        let key = TransactionKey {
            server: false,
            branch,
            sent_by: String::new(),
            method: cseq.method,
        };
        let timers = self.timers;
        let Some(transaction) = self.transactions.get_mut(&key) else {
            self.event(Event::StrayResponse { peer, response });
            return;
        };
        let unreliable = !transaction.peer.transport.is_reliable();
        let status = response.status;
        let mut deliver = true;
        match (transaction.kind, transaction.state) {
            (Kind::ClientInvite, State::Calling | State::Proceeding) => {
                transaction.retransmit = None;
                if status < 200 {
                    transaction.state = State::Proceeding;
                    transaction.timeout = None;
                } else if status < 300 {
                    transaction.state = State::Accepted;
                    transaction.timeout = Some(now + timers.t1.saturating_mul(64));
                } else {
                    transaction.state = State::Completed;
                    transaction.timeout = None;
                    let linger = if unreliable {
                        Duration::from_secs(32)
                    } else {
                        Duration::ZERO
                    };
                    transaction.linger = Some(now + linger);
                    let ack = Message::from(ack_for(&transaction.request, &response));
                    transaction.last_sent = Some(ack.clone());
                    let peer = transaction.peer;
                    self.transmit(peer, ack);
                }
            }
            (Kind::ClientInvite, State::Accepted) => deliver = (200..300).contains(&status),
            (Kind::ClientInvite, State::Completed) => {
                deliver = false;
                if status >= 300
                    && let Some(ack) = transaction.last_sent.clone()
                {
                    let peer = transaction.peer;
                    self.transmit(peer, ack);
                }
            }
            (Kind::ClientNonInvite, State::Trying | State::Proceeding) => {
                if status < 200 {
                    transaction.state = State::Proceeding;
                    if let Some((at, _)) = transaction.retransmit {
                        transaction.retransmit = Some((at, timers.t2));
                    }
                } else {
                    transaction.state = State::Completed;
                    transaction.retransmit = None;
                    transaction.timeout = None;
                    let linger = if unreliable {
                        timers.t4
                    } else {
                        Duration::ZERO
                    };
                    transaction.linger = Some(now + linger);
                }
            }
            _ => deliver = false,
        }
        self.schedule(&key);
        if deliver {
            self.event(Event::Response { key, response });
        }
    }

    fn handle_request(&mut self, now: Time, peer: Peer, request: Request) {
        let Some(key) = server_key(&request) else {
            return;
        };
        let timers = self.timers;
        let is_ack = request.method == Method::Ack;
        let Some(transaction) = self.transactions.get_mut(&key) else {
            if is_ack {
                // The ACK of a 2xx is its own transaction (new branch);
                // match it to the Accepted INVITE by dialog and CSeq.
                let candidates = request
                    .headers
                    .call_id()
                    .ok()
                    .and_then(|call_id| self.invites_by_call_id.get(call_id))
                    .cloned()
                    .unwrap_or_default();
                let invite_key = candidates.into_iter().find(|key| {
                    self.transactions
                        .get(key)
                        .is_some_and(|transaction| acks_accepted_invite(transaction, &request))
                });
                if let Some(key) = &invite_key
                    && let Some(transaction) = self.transactions.get_mut(key)
                {
                    transaction.acked = true;
                    transaction.retransmit = None;
                    self.schedule(key);
                }
                self.event(Event::Request {
                    key: invite_key,
                    peer,
                    request,
                });
                return;
            }
            let invite = request.method == Method::Invite;
            let mut transaction = Transaction {
                kind: if invite {
                    Kind::ServerInvite
                } else {
                    Kind::ServerNonInvite
                },
                state: if invite {
                    State::Proceeding
                } else {
                    State::Trying
                },
                peer,
                request: request.clone(),
                last_sent: None,
                retransmit: None,
                timeout: None,
                linger: None,
                acked: false,
            };
            if invite {
                let trying = Message::from(Response::to_request(&request, 100, None));
                transaction.last_sent = Some(trying.clone());
                self.transmit(peer, trying);
            }
            if invite && let Ok(call_id) = request.headers.call_id() {
                self.invites_by_call_id
                    .entry(call_id.to_owned())
                    .or_default()
                    .push(key.clone());
            }
            self.transactions.insert(key.clone(), transaction);
            self.schedule(&key);
            self.event(Event::Request {
                key: Some(key),
                peer,
                request,
            });
            return;
        };
        let unreliable = !transaction.peer.transport.is_reliable();
        let resend = transaction.last_sent.clone();
        match (transaction.kind, transaction.state, is_ack) {
            (Kind::ServerInvite, State::Completed, true) => {
                transaction.state = State::Confirmed;
                transaction.retransmit = None;
                transaction.timeout = None;
                let linger = if unreliable {
                    timers.t4
                } else {
                    Duration::ZERO
                };
                transaction.linger = Some(now + linger);
            }
            (Kind::ServerInvite, State::Accepted, true) if !transaction.acked => {
                transaction.acked = true;
                transaction.retransmit = None;
                self.schedule(&key);
                self.event(Event::Request {
                    key: Some(key),
                    peer,
                    request,
                });
                return;
            }
            (Kind::ServerInvite, State::Proceeding | State::Completed, false)
            | (Kind::ServerNonInvite, State::Proceeding | State::Completed, false) => {
                if let Some(message) = resend {
                    let peer = transaction.peer;
                    self.transmit(peer, message);
                }
            }
            _ => {}
        }
        self.schedule(&key);
    }

    fn run_timers(&mut self, now: Time) {
        while let Some(Reverse((at, _))) = self.deadlines.peek() {
            if *at > now {
                return;
            }
            let Some(Reverse((at, key))) = self.deadlines.pop() else {
                return;
            };
            if self.is_due_entry(at, &key) {
                self.fire(now, &key);
                self.schedule(&key);
            }
        }
    }

    /// Fires the earliest due timer of one transaction.
    fn fire(&mut self, now: Time, key: &TransactionKey) {
        let timers = self.timers;
        let Some(transaction) = self.transactions.get_mut(key) else {
            return;
        };
        let retransmit_at = transaction.retransmit.map(|(at, _)| at);
        let earliest = transaction.next_deadline();
        if transaction.linger.is_some() && transaction.linger == earliest {
            self.terminate(key);
            return;
        }
        if transaction.timeout.is_some() && transaction.timeout == earliest {
            // Timer M (client Accepted) and Timer L after the ACK end the
            // transaction quietly; every other timeout is a failure.
            let quiet_end = (transaction.kind == Kind::ClientInvite
                && transaction.state == State::Accepted)
                || (transaction.kind == Kind::ServerInvite && transaction.acked);
            let report = !quiet_end;
            if report {
                self.event(Event::Timeout { key: key.clone() });
            }
            self.terminate(key);
            return;
        }
        let Some((at, interval)) = transaction.retransmit else {
            return;
        };
        debug_assert_eq!(Some(at), retransmit_at);
        let next_interval = match transaction.kind {
            Kind::ClientInvite => interval.saturating_mul(2),
            _ => (interval.saturating_mul(2)).min(timers.t2),
        };
        transaction.retransmit = Some((at.max(now) + next_interval, next_interval));
        let message = match transaction.kind {
            Kind::ClientInvite | Kind::ClientNonInvite => {
                Some(Message::from(transaction.request.clone()))
            }
            Kind::ServerInvite | Kind::ServerNonInvite => transaction.last_sent.clone(),
        };
        let peer = transaction.peer;
        if let Some(message) = message {
            self.transmit(peer, message);
        }
    }
}

/// Whether `ack` acknowledges the 2xx of an Accepted INVITE server
/// transaction: same Call-ID, CSeq number, From tag and To tag.
fn acks_accepted_invite(transaction: &Transaction, ack: &Request) -> bool {
    if transaction.kind != Kind::ServerInvite
        || transaction.state != State::Accepted
        || transaction.acked
    {
        return false;
    }
    let invite = &transaction.request.headers;
    let Some(Message::Response(sent)) = &transaction.last_sent else {
        return false;
    };
    let same_call = invite.call_id().ok() == ack.headers.call_id().ok();
    let same_seq =
        invite.cseq().ok().map(|cseq| cseq.seq) == ack.headers.cseq().ok().map(|cseq| cseq.seq);
    let from_tag = |headers: &Headers| {
        headers
            .from()
            .ok()
            .and_then(|from| from.tag().map(str::to_owned))
    };
    let to_tag = |headers: &Headers| headers.to().ok().and_then(|to| to.tag().map(str::to_owned));
    same_call
        && same_seq
        && from_tag(invite) == from_tag(&ack.headers)
        && to_tag(&sent.headers) == to_tag(&ack.headers)
}

fn top_branch(headers: &Headers) -> Option<String> {
    headers.top_via().ok()?.branch().map(str::to_owned)
}

fn server_key(request: &Request) -> Option<TransactionKey> {
    let via = request.headers.top_via().ok()?;
    let branch = match via.branch() {
        Some(branch) => branch.to_owned(),
        // RFC 2543 peers without a branch: fall back to Call-ID and CSeq.
        None => format!(
            "{}/{}",
            request.headers.call_id().ok()?,
            request.headers.cseq().ok()?.seq
        ),
    };
    let sent_by = match via.port {
        Some(port) => format!("{}:{port}", via.host.to_ascii_lowercase()),
        None => via.host.to_ascii_lowercase(),
    };
    let method = match request.method {
        Method::Ack => Method::Invite,
        ref other => other.clone(),
    };
    Some(TransactionKey {
        server: true,
        branch,
        sent_by,
        method,
    })
}

/// The ACK for a non-2xx final response (RFC 3261 section 17.1.1.3).
fn ack_for(invite: &Request, response: &Response) -> Request {
    let mut ack = Request::new(Method::Ack, invite.uri.clone());
    if let Some(via) = invite.headers.get_list("Via").first() {
        ack.headers.push("Via", *via);
    }
    for route in invite.headers.get_all("Route") {
        ack.headers.push("Route", route);
    }
    ack.headers.push("Max-Forwards", "70");
    for name in ["From", "Call-ID"] {
        if let Some(value) = invite.headers.get(name) {
            ack.headers.push(name, value);
        }
    }
    if let Some(to) = response.headers.get("To") {
        ack.headers.push("To", to);
    }
    if let Ok(cseq) = invite.headers.cseq() {
        ack.headers.push("CSeq", format!("{} ACK", cseq.seq));
    }
    ack
}

/// Builds a CANCEL for an INVITE we sent (RFC 3261 section 9.1): same
/// Request-URI, Call-ID, From, To, CSeq number, top Via and Route.
pub fn cancel_for(invite: &Request) -> Request {
    let mut cancel = Request::new(Method::Cancel, invite.uri.clone());
    if let Some(via) = invite.headers.get_list("Via").first() {
        cancel.headers.push("Via", *via);
    }
    for route in invite.headers.get_all("Route") {
        cancel.headers.push("Route", route);
    }
    cancel.headers.push("Max-Forwards", "70");
    for name in ["From", "To", "Call-ID"] {
        if let Some(value) = invite.headers.get(name) {
            cancel.headers.push(name, value);
        }
    }
    if let Ok(cseq) = invite.headers.cseq() {
        cancel.headers.push("CSeq", format!("{} CANCEL", cseq.seq));
    }
    cancel
}
