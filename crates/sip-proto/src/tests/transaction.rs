//! Transaction layer tests: a client and a server layer joined by an
//! in-memory link with loss and latency, on virtual time.

use std::collections::BTreeMap;
use std::fmt::Write;

use expect_test::{Expect, expect};

use crate::message::{Message, Method, Request, Response};
use crate::time::Time;
use crate::transaction::{
    Event, Output, Peer, TimerConfig, TransactionKey, TransactionLayer, Transport, cancel_for,
};

/// One-way link latency.
const LATENCY_MS: u64 = 20;
/// Give up after this much virtual time.
const HORIZON_MS: u64 = 120_000;

struct Scenario<'a> {
    transport: Transport,
    method: Method,
    /// Server TU replies `(delay after the request arrives, status)`;
    /// `None` means nobody listens at the server address.
    replies: Option<&'a [(u64, u16)]>,
    /// Datagrams lost on the way to the server, counted from 0.
    drop_to_server: &'a [usize],
    /// Datagrams lost on the way to the client, counted from 0.
    drop_to_client: &'a [usize],
    /// The client TU cancels the INVITE at this time.
    cancel_at: Option<u64>,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Side {
    Client,
    Server,
}

enum Action {
    Deliver { to: Side, message: Message },
    Reply { key: TransactionKey, status: u16 },
    Cancel,
}

struct Sim<'a> {
    scenario: &'a Scenario<'a>,
    client: TransactionLayer,
    server: TransactionLayer,
    client_peer: Peer,
    server_peer: Peer,
    /// Pending actions by time, in insertion order within a time.
    actions: BTreeMap<(u64, usize), Action>,
    sequence: usize,
    sent: BTreeMap<Side, usize>,
    requests: BTreeMap<TransactionKey, Request>,
    invite: Option<Request>,
    trace: String,
}

fn summary(message: &Message) -> String {
    match message {
        Message::Request(request) => {
            let cseq = request
                .headers
                .cseq()
                .map(|cseq| cseq.to_string())
                .unwrap_or_default();
            format!("{} ({cseq})", request.method)
        }
        Message::Response(response) => {
            let cseq = response
                .headers
                .cseq()
                .map(|cseq| cseq.to_string())
                .unwrap_or_default();
            format!("{} ({cseq})", response.status)
        }
    }
}

impl Sim<'_> {
    fn schedule(&mut self, at: u64, action: Action) {
        self.sequence += 1;
        self.actions.insert((at, self.sequence), action);
    }

    fn layer(&mut self, side: Side) -> &mut TransactionLayer {
        match side {
            Side::Client => &mut self.client,
            Side::Server => &mut self.server,
        }
    }

    /// Drains one side's outputs; returns its next deadline.
    fn drain(&mut self, now: u64, side: Side) -> Time {
        loop {
            let output = self.layer(side).poll_output();
            match output {
                Output::Timeout(deadline) => return deadline,
                Output::Transmit { message, .. } => {
                    let to = if side == Side::Client {
                        Side::Server
                    } else {
                        Side::Client
                    };
                    let count = self.sent.entry(to).or_insert(0);
                    let index = *count;
                    *count += 1;
                    let drops = match to {
                        Side::Server => self.scenario.drop_to_server,
                        Side::Client => self.scenario.drop_to_client,
                    };
                    let lost = drops.contains(&index)
                        || (to == Side::Server && self.scenario.replies.is_none());
                    let _ = writeln!(
                        self.trace,
                        "{now:>6} {side:?} sends {}{}",
                        summary(&message),
                        if lost { " (lost)" } else { "" }
                    );
                    if !lost {
                        // Through the printer and the parser, as on the wire.
                        if let Ok(message) = Message::parse(&message.to_bytes()) {
                            self.schedule(now + LATENCY_MS, Action::Deliver { to, message });
                        }
                    }
                }
                Output::Event(event) => self.on_event(now, side, event),
            }
        }
    }

    fn on_event(&mut self, now: u64, side: Side, event: Event) {
        match event {
            Event::Request { key, request, .. } => {
                let matched = match &key {
                    Some(key) if request.method == Method::Ack => {
                        format!(" [acks {} transaction]", key.method)
                    }
                    Some(_) => String::new(),
                    None => " [no transaction]".to_owned(),
                };
                let _ = writeln!(
                    self.trace,
                    "{now:>6} {side:?} gets request {}{matched}",
                    summary(&request.clone().into())
                );
                let (Some(key), Some(replies)) = (key, self.scenario.replies) else {
                    return;
                };
                if request.method == Method::Ack {
                    return;
                }
                self.requests.insert(key.clone(), request.clone());
                if request.method == Method::Cancel {
                    self.schedule(
                        now,
                        Action::Reply {
                            key: key.clone(),
                            status: 200,
                        },
                    );
                    if let Some(invite_key) = key.cancelled_invite() {
                        self.schedule(
                            now,
                            Action::Reply {
                                key: invite_key,
                                status: 487,
                            },
                        );
                    }
                    return;
                }
                for (delay, status) in replies {
                    self.schedule(
                        now + delay,
                        Action::Reply {
                            key: key.clone(),
                            status: *status,
                        },
                    );
                }
            }
            Event::Response { key, response } => {
                let _ = writeln!(
                    self.trace,
                    "{now:>6} {side:?} gets response {}",
                    summary(&response.clone().into())
                );
                if key.method == Method::Invite && (200..300).contains(&response.status) {
                    self.ack_2xx(now, &response);
                }
            }
            Event::StrayResponse { response, .. } => {
                let _ = writeln!(
                    self.trace,
                    "{now:>6} {side:?} gets stray {}",
                    summary(&response.clone().into())
                );
            }
            Event::Timeout { key } => {
                let _ = writeln!(self.trace, "{now:>6} {side:?} timeout {}", key.method);
            }
            Event::Terminated { key } => {
                let _ = writeln!(self.trace, "{now:>6} {side:?} terminated {}", key.method);
            }
        }
    }

    /// The UAC core's ACK for a 2xx: a new transaction-less request.
    fn ack_2xx(&mut self, now: u64, response: &Response) {
        let Some(invite) = &self.invite else {
            return;
        };
        let mut ack = Request::new(Method::Ack, invite.uri.clone());
        ack.headers
            .push("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKack1");
        for name in ["From", "Call-ID"] {
            if let Some(value) = invite.headers.get(name) {
                ack.headers.push(name, value);
            }
        }
        if let Some(to) = response.headers.get("To") {
            ack.headers.push("To", to);
        }
        ack.headers.push("CSeq", "1 ACK");
        let peer = self.server_peer;
        self.client.send_stateless(peer, ack.into());
        self.drain(now, Side::Client);
    }

    fn run(&mut self) {
        let request = self.request();
        self.invite = Some(request.clone());
        let peer = self.server_peer;
        if let Err(error) = self
            .client
            .send_request(Time::from_millis(0), peer, request)
        {
            let _ = writeln!(self.trace, "send_request: {error}");
        }
        if let Some(at) = self.scenario.cancel_at {
            self.schedule(at, Action::Cancel);
        }
        let mut deadlines = BTreeMap::new();
        deadlines.insert(Side::Client, self.drain(0, Side::Client));
        deadlines.insert(Side::Server, self.drain(0, Side::Server));
        loop {
            let next_action = self.actions.keys().next().map(|(at, _)| *at);
            let next_timer = deadlines.values().min().map(|time| time.as_millis());
            let Some(now) = [next_action, next_timer].into_iter().flatten().min() else {
                break;
            };
            if now == Time::NEVER.as_millis() {
                let _ = writeln!(self.trace, "idle");
                break;
            }
            if now > HORIZON_MS {
                let _ = writeln!(self.trace, "horizon reached");
                break;
            }
            if next_action == Some(now) {
                let Some((_, action)) = self.actions.pop_first() else {
                    break;
                };
                let at = Time::from_millis(now);
                match action {
                    Action::Deliver { to, message } => {
                        let from = if to == Side::Client {
                            self.server_peer
                        } else {
                            self.client_peer
                        };
                        self.layer(to).handle_message(at, from, message);
                        deadlines.insert(to, self.drain(now, to));
                    }
                    Action::Reply { key, status } => {
                        if let Some(request) = self.requests.get(&key).cloned() {
                            let response = Response::to_request(&request, status, Some("srv"));
                            if let Err(error) = self.server.send_response(at, &key, response) {
                                let _ = writeln!(
                                    self.trace,
                                    "{now:>6} Server send_response {status}: {error}"
                                );
                            }
                        }
                        deadlines.insert(Side::Server, self.drain(now, Side::Server));
                    }
                    Action::Cancel => {
                        if let Some(invite) = &self.invite {
                            let cancel = cancel_for(invite);
                            let peer = self.server_peer;
                            if let Err(error) = self.client.send_request(at, peer, cancel) {
                                let _ = writeln!(self.trace, "cancel: {error}");
                            }
                        }
                        deadlines.insert(Side::Client, self.drain(now, Side::Client));
                    }
                }
                continue;
            }
            for side in [Side::Client, Side::Server] {
                if deadlines.get(&side).map(|time| time.as_millis()) == Some(now) {
                    self.layer(side).handle_timeout(Time::from_millis(now));
                    deadlines.insert(side, self.drain(now, side));
                }
            }
        }
        let _ = writeln!(
            self.trace,
            "live transactions: client {}, server {}",
            self.client.len(),
            self.server.len()
        );
    }

    fn request(&self) -> Request {
        let transport = match self.scenario.transport {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
        };
        let method = &self.scenario.method;
        let text = format!(
            "{method} sip:svc@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/{transport} 192.0.2.1:5060;branch=z9hG4bKsim1\r\nFrom: <sip:caller@192.0.2.1>;tag=c\r\nTo: <sip:svc@192.0.2.2>\r\nCall-ID: sim1\r\nCSeq: 1 {method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        );
        match Message::parse(text.as_bytes()) {
            Ok(Message::Request(request)) => request,
            _ => Request::new(Method::Options, crate::uri::Uri::sip(None, "invalid")),
        }
    }
}

fn check(scenario: Scenario<'_>, expect: Expect) {
    let peer = |transport, last: u8| Peer {
        transport,
        addr: std::net::SocketAddr::from(([192, 0, 2, last], 5060)),
    };
    let mut sim = Sim {
        scenario: &scenario,
        client: TransactionLayer::new(TimerConfig::rfc3261()),
        server: TransactionLayer::new(TimerConfig::rfc3261()),
        client_peer: peer(scenario.transport, 1),
        server_peer: peer(scenario.transport, 2),
        actions: BTreeMap::new(),
        sequence: 0,
        sent: BTreeMap::new(),
        requests: BTreeMap::new(),
        invite: None,
        trace: String::new(),
    };
    sim.run();
    expect.assert_eq(&sim.trace);
}

#[test]
fn invite_timer_a_and_b_without_answer() {
    check(
        Scenario {
            transport: Transport::Udp,
            method: Method::Invite,
            replies: None,
            drop_to_server: &[],
            drop_to_client: &[],
            cancel_at: None,
        },
        expect![[r#"
                 0 Client sends INVITE (1 INVITE) (lost)
               500 Client sends INVITE (1 INVITE) (lost)
              1500 Client sends INVITE (1 INVITE) (lost)
              3500 Client sends INVITE (1 INVITE) (lost)
              7500 Client sends INVITE (1 INVITE) (lost)
             15500 Client sends INVITE (1 INVITE) (lost)
             31500 Client sends INVITE (1 INVITE) (lost)
             32000 Client timeout INVITE
             32000 Client terminated INVITE
            idle
            live transactions: client 0, server 0
        "#]],
    );
}

#[test]
fn non_invite_timer_e_capped_at_t2_then_f() {
    check(
        Scenario {
            transport: Transport::Udp,
            method: Method::Options,
            replies: None,
            drop_to_server: &[],
            drop_to_client: &[],
            cancel_at: None,
        },
        expect![[r#"
                 0 Client sends OPTIONS (1 OPTIONS) (lost)
               500 Client sends OPTIONS (1 OPTIONS) (lost)
              1500 Client sends OPTIONS (1 OPTIONS) (lost)
              3500 Client sends OPTIONS (1 OPTIONS) (lost)
              7500 Client sends OPTIONS (1 OPTIONS) (lost)
             11500 Client sends OPTIONS (1 OPTIONS) (lost)
             15500 Client sends OPTIONS (1 OPTIONS) (lost)
             19500 Client sends OPTIONS (1 OPTIONS) (lost)
             23500 Client sends OPTIONS (1 OPTIONS) (lost)
             27500 Client sends OPTIONS (1 OPTIONS) (lost)
             31500 Client sends OPTIONS (1 OPTIONS) (lost)
             32000 Client timeout OPTIONS
             32000 Client terminated OPTIONS
            idle
            live transactions: client 0, server 0
        "#]],
    );
}

#[test]
fn invite_rejected_with_losses() {
    // The first INVITE, the 100 and the first 486 are lost; the 486 is
    // retransmitted by Timer G and the INVITE by Timer A.
    check(
        Scenario {
            transport: Transport::Udp,
            method: Method::Invite,
            replies: Some(&[(1000, 486)]),
            drop_to_server: &[0],
            drop_to_client: &[0, 1],
            cancel_at: None,
        },
        expect![[r#"
                 0 Client sends INVITE (1 INVITE) (lost)
               500 Client sends INVITE (1 INVITE)
               520 Server sends 100 (1 INVITE) (lost)
               520 Server gets request INVITE (1 INVITE)
              1500 Client sends INVITE (1 INVITE)
              1520 Server sends 486 (1 INVITE) (lost)
              1520 Server sends 486 (1 INVITE)
              1540 Client sends ACK (1 ACK)
              1540 Client gets response 486 (1 INVITE)
              6560 Server terminated INVITE
             33540 Client terminated INVITE
            idle
            live transactions: client 0, server 0
        "#]],
    );
}

#[test]
fn invite_accepted_2xx_retransmitted_until_ack() {
    // The first 200 and the first ACK are lost.
    check(
        Scenario {
            transport: Transport::Udp,
            method: Method::Invite,
            replies: Some(&[(100, 180), (2000, 200)]),
            drop_to_server: &[1],
            drop_to_client: &[2],
            cancel_at: None,
        },
        expect![[r#"
                 0 Client sends INVITE (1 INVITE)
                20 Server sends 100 (1 INVITE)
                20 Server gets request INVITE (1 INVITE)
                40 Client gets response 100 (1 INVITE)
               120 Server sends 180 (1 INVITE)
               140 Client gets response 180 (1 INVITE)
              2020 Server sends 200 (1 INVITE) (lost)
              2520 Server sends 200 (1 INVITE)
              2540 Client gets response 200 (1 INVITE)
              2540 Client sends ACK (1 ACK) (lost)
              3520 Server sends 200 (1 INVITE)
              3540 Client gets response 200 (1 INVITE)
              3540 Client sends ACK (1 ACK)
              3560 Server gets request ACK (1 ACK) [acks INVITE transaction]
             34020 Server terminated INVITE
             34540 Client terminated INVITE
            idle
            live transactions: client 0, server 0
        "#]],
    );
}

#[test]
fn invite_cancelled() {
    check(
        Scenario {
            transport: Transport::Udp,
            method: Method::Invite,
            replies: Some(&[(100, 180)]),
            drop_to_server: &[],
            drop_to_client: &[],
            cancel_at: Some(3000),
        },
        expect![[r#"
                 0 Client sends INVITE (1 INVITE)
                20 Server sends 100 (1 INVITE)
                20 Server gets request INVITE (1 INVITE)
                40 Client gets response 100 (1 INVITE)
               120 Server sends 180 (1 INVITE)
               140 Client gets response 180 (1 INVITE)
              3000 Client sends CANCEL (1 CANCEL)
              3020 Server gets request CANCEL (1 CANCEL)
              3020 Server sends 200 (1 CANCEL)
              3020 Server sends 487 (1 INVITE)
              3040 Client gets response 200 (1 CANCEL)
              3040 Client sends ACK (1 ACK)
              3040 Client gets response 487 (1 INVITE)
              8040 Client terminated CANCEL
              8060 Server terminated INVITE
             35020 Server terminated CANCEL
             35040 Client terminated INVITE
            idle
            live transactions: client 0, server 0
        "#]],
    );
}

#[test]
fn register_over_tcp_has_no_retransmissions() {
    check(
        Scenario {
            transport: Transport::Tcp,
            method: Method::Register,
            replies: Some(&[(5000, 200)]),
            drop_to_server: &[],
            drop_to_client: &[],
            cancel_at: None,
        },
        expect![[r#"
                 0 Client sends REGISTER (1 REGISTER)
                20 Server gets request REGISTER (1 REGISTER)
              5020 Server sends 200 (1 REGISTER)
              5020 Server terminated REGISTER
              5040 Client gets response 200 (1 REGISTER)
              5040 Client terminated REGISTER
            idle
            live transactions: client 0, server 0
        "#]],
    );
}

#[test]
fn non_invite_with_provisional_and_retransmissions() {
    check(
        Scenario {
            transport: Transport::Udp,
            method: Method::Bye,
            replies: Some(&[(600, 100), (9000, 200)]),
            drop_to_server: &[],
            drop_to_client: &[1],
            cancel_at: None,
        },
        expect![[r#"
                 0 Client sends BYE (1 BYE)
                20 Server gets request BYE (1 BYE)
               500 Client sends BYE (1 BYE)
               620 Server sends 100 (1 BYE)
               640 Client gets response 100 (1 BYE)
              1500 Client sends BYE (1 BYE)
              1520 Server sends 100 (1 BYE) (lost)
              5500 Client sends BYE (1 BYE)
              5520 Server sends 100 (1 BYE)
              5540 Client gets response 100 (1 BYE)
              9020 Server sends 200 (1 BYE)
              9040 Client gets response 200 (1 BYE)
             14040 Client terminated BYE
             41020 Server terminated BYE
            idle
            live transactions: client 0, server 0
        "#]],
    );
}

#[test]
fn invite_over_tcp_timer_b_without_retransmissions() {
    check(
        Scenario {
            transport: Transport::Tcp,
            method: Method::Invite,
            replies: None,
            drop_to_server: &[],
            drop_to_client: &[],
            cancel_at: None,
        },
        expect![[r#"
                 0 Client sends INVITE (1 INVITE) (lost)
             32000 Client timeout INVITE
             32000 Client terminated INVITE
            idle
            live transactions: client 0, server 0
        "#]],
    );
}
