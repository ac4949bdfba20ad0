//! An in-process test user agent over real UDP: SIP built and parsed with sip-proto, RTP
//! sent and received with media (tones, RFC 4733 key presses), and the audio it heard kept
//! for tone checks.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use media::g711::Codec;
use media::rtp::{RtpHeader, RtpPacket};
use sip_proto::auth;
use sip_proto::dialog::Dialog;
use sip_proto::header::NameAddr;
use sip_proto::message::{Message, Method, Request, Response};
use sip_proto::rng::Rng;
use sip_proto::sdp;
use sip_proto::uri::Uri;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

pub(crate) const WAIT: Duration = Duration::from_secs(10);

/// A SIP user agent on 127.0.0.1.
pub(crate) struct Ua {
    pub(crate) user: String,
    pub(crate) sip: UdpSocket,
    pub(crate) switch: SocketAddr,
    pub(crate) rng: Rng,
    cseq: u32,
    call_id: String,
    /// Requests that arrived while a response was awaited.
    pending: Vec<Request>,
}

impl Ua {
    pub(crate) async fn new(user: &str, switch: SocketAddr, seed: u64) -> Ua {
        Ua {
            user: user.to_owned(),
            sip: UdpSocket::bind("127.0.0.1:0").await.unwrap(),
            switch,
            rng: Rng::new(seed),
            cseq: 0,
            call_id: String::new(),
            pending: Vec::new(),
        }
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.sip.local_addr().unwrap()
    }

    fn via(&mut self) -> String {
        format!(
            "SIP/2.0/UDP {};rport;branch={}",
            self.addr(),
            self.rng.branch()
        )
    }

    pub(crate) fn contact(&self) -> String {
        format!("<sip:{}@{}>", self.user, self.addr())
    }

    pub(crate) async fn send(&self, message: impl Into<Message>) {
        let bytes = message.into().to_bytes();
        self.sip.send_to(&bytes, self.switch).await.unwrap();
    }

    pub(crate) async fn send_raw(&self, bytes: &[u8]) {
        self.sip.send_to(bytes, self.switch).await.unwrap();
    }

    /// The next message, or `None` after `wait`.
    pub(crate) async fn recv_within(&self, wait: Duration) -> Option<Message> {
        let mut buf = vec![0u8; 65535];
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let received = tokio::time::timeout_at(deadline, self.sip.recv_from(&mut buf)).await;
            let (len, _) = received.ok()?.ok()?;
            if let Ok(message) = Message::parse(&buf[..len]) {
                return Some(message);
            }
        }
    }

    /// Waits for a final response (skipping provisional ones unless `want` is provisional).
    pub(crate) async fn response(&mut self, want: impl Fn(u16) -> bool) -> Response {
        loop {
            match self.recv_within(WAIT).await.expect("a response in time") {
                Message::Response(response) if want(response.status) => return response,
                Message::Response(_) => {}
                Message::Request(request) => self.pending.push(request),
            }
        }
    }

    /// Waits for a request with `method` (answering nothing).
    pub(crate) async fn request(&mut self, method: Method) -> Request {
        if let Some(index) = self
            .pending
            .iter()
            .position(|request| request.method == method)
        {
            return self.pending.remove(index);
        }
        loop {
            match self.recv_within(WAIT).await {
                Some(Message::Request(request)) if request.method == method => return request,
                Some(Message::Request(request)) => self.pending.push(request),
                Some(Message::Response(_)) => {}
                None => panic!("{} did not receive {method} in time", self.user),
            }
        }
    }

    /// Whether a request with `method` arrives within `wait`.
    pub(crate) async fn maybe_request(
        &mut self,
        method: Method,
        wait: Duration,
    ) -> Option<Request> {
        if let Some(index) = self
            .pending
            .iter()
            .position(|request| request.method == method)
        {
            return Some(self.pending.remove(index));
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.recv_within(left).await {
                Some(Message::Request(request)) if request.method == method => {
                    return Some(request);
                }
                Some(Message::Request(request)) => self.pending.push(request),
                Some(Message::Response(_)) => {}
                None => return None,
            }
        }
    }

    pub(crate) fn out_of_dialog(&mut self, method: Method, uri: Uri, to: &str) -> Request {
        self.cseq += 1;
        if self.call_id.is_empty() || method != Method::Register {
            self.call_id = self.rng.call_id("127.0.0.1");
        }
        let mut request = Request::new(method.clone(), uri);
        let via = self.via();
        request.headers.push("Via", via);
        request.headers.push("Max-Forwards", "70");
        let tag = self.rng.tag();
        request
            .headers
            .push("From", format!("<sip:{}@127.0.0.1>;tag={tag}", self.user));
        request.headers.push("To", to.to_owned());
        request.headers.push("Call-ID", self.call_id.clone());
        request
            .headers
            .push("CSeq", format!("{} {method}", self.cseq));
        let contact = self.contact();
        request.headers.push("Contact", contact);
        request
    }

    /// REGISTER with digest authentication; returns the final status.
    pub(crate) async fn register(&mut self, password: &str, expires: u32) -> u16 {
        let uri = Uri::sip(None, "127.0.0.1");
        let to = format!("<sip:{}@127.0.0.1>", self.user);
        let mut request = self.out_of_dialog(Method::Register, uri.clone(), &to);
        request.headers.push("Expires", expires.to_string());
        self.send(request.clone()).await;
        let challenge = self.response(|status| status >= 200).await;
        if challenge.status != 401 {
            return challenge.status;
        }
        let header = challenge.headers.challenges(false).unwrap().remove(0);
        let cnonce = self.rng.token(8);
        let credentials = auth::respond(
            &header,
            "REGISTER",
            &uri.to_string(),
            &self.user.clone(),
            password,
            1,
            &cnonce,
        )
        .unwrap();
        let mut again = self.out_of_dialog(Method::Register, uri, &to);
        again.headers.push("Expires", expires.to_string());
        again.headers.push("Authorization", credentials.to_string());
        self.send(again).await;
        self.response(|status| status >= 200).await.status
    }

    /// Sends an INVITE with an offer for `rtp`; returns the INVITE.
    pub(crate) fn invite(&mut self, number: &str, rtp: SocketAddr) -> Request {
        let uri = Uri::sip(Some(number), &self.switch.to_string());
        let to = format!("<sip:{number}@{}>", self.switch);
        let mut invite = self.out_of_dialog(Method::Invite, uri, &to);
        let local = local_media(rtp, vec![sdp::Codec::Pcma, sdp::Codec::Pcmu]);
        invite.headers.push("Content-Type", "application/sdp");
        invite.body = sdp::offer(&local, 101, sdp::Direction::SendRecv).to_bytes();
        invite
    }

    /// Completes a call set-up: waits for the 2xx, sends the ACK, returns the dialog and the
    /// negotiated media.
    pub(crate) async fn confirm(
        &mut self,
        invite: &Request,
        rtp: SocketAddr,
    ) -> (Dialog, sdp::Negotiated) {
        let ok = self.response(|status| status >= 200).await;
        assert_eq!(ok.status, 200, "{ok:?}");
        let contact = NameAddr::parse(&self.contact()).unwrap();
        let dialog = Dialog::from_uac(invite, &ok, contact).unwrap();
        let via = format!("SIP/2.0/UDP {};rport", self.addr());
        let ack = dialog.create_ack(1, &mut self.rng, &via);
        self.send(ack).await;
        let answer = sdp::Session::parse(&ok.body).unwrap();
        let local = local_media(rtp, vec![sdp::Codec::Pcma, sdp::Codec::Pcmu]);
        (dialog, sdp::accept_answer(&answer, &local).unwrap())
    }

    /// Answers an incoming INVITE: 180, then 200 with an SDP answer for `rtp`.
    pub(crate) async fn answer(
        &mut self,
        invite: &Request,
        rtp: SocketAddr,
    ) -> (Dialog, sdp::Negotiated) {
        let tag = self.rng.tag();
        let ringing = Response::to_request(invite, 180, Some(&tag));
        self.send(ringing).await;
        let offer = sdp::Session::parse(&invite.body).unwrap();
        let local = local_media(rtp, vec![sdp::Codec::Pcma, sdp::Codec::Pcmu]);
        let (answer, negotiated) = sdp::answer(&offer, &local).unwrap();
        let mut ok = Response::to_request(invite, 200, Some(&tag));
        ok.headers.push("Contact", self.contact());
        ok.headers.push("Content-Type", "application/sdp");
        ok.body = answer.to_bytes();
        self.send(ok).await;
        let contact = NameAddr::parse(&self.contact()).unwrap();
        let mut dialog = Dialog::from_uas(invite, &tag, contact, 100).unwrap();
        dialog.confirm();
        self.request(Method::Ack).await;
        (dialog, negotiated)
    }

    /// Answers a request statelessly with `status`.
    pub(crate) async fn reply(&mut self, request: &Request, status: u16) {
        let tag = self.rng.tag();
        self.send(Response::to_request(request, status, Some(&tag)))
            .await;
    }

    pub(crate) async fn bye(&mut self, dialog: &mut Dialog) -> u16 {
        let via = format!("SIP/2.0/UDP {};rport", self.addr());
        let bye = dialog.create_request(Method::Bye, &mut self.rng, &via);
        self.send(bye).await;
        self.response(|status| status >= 200).await.status
    }
}

pub(crate) fn local_media(rtp: SocketAddr, codecs: Vec<sdp::Codec>) -> sdp::LocalMedia {
    sdp::LocalMedia {
        addr_type: "IP4".to_owned(),
        address: rtp.ip().to_string(),
        port: rtp.port(),
        codecs,
        session_id: 1,
        session_version: 1,
    }
}

enum RtpCommand {
    Tone(Option<f64>),
    Dtmf(u8),
}

/// An RTP endpoint: sends a tone (or silence) every 20 ms and key presses on request, and
/// keeps what it hears, decoded.
pub(crate) struct RtpPeer {
    pub(crate) addr: SocketAddr,
    heard: Arc<Mutex<Vec<i16>>>,
    commands: Option<mpsc::UnboundedSender<RtpCommand>>,
    socket: Option<UdpSocket>,
}

impl RtpPeer {
    pub(crate) async fn bind() -> RtpPeer {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        RtpPeer {
            addr: socket.local_addr().unwrap(),
            heard: Arc::new(Mutex::new(Vec::new())),
            commands: None,
            socket: Some(socket),
        }
    }

    /// Starts streaming to the negotiated remote.
    pub(crate) fn start(&mut self, negotiated: &sdp::Negotiated, seed: u64) {
        let socket = self.socket.take().expect("started once");
        let remote: SocketAddr =
            format!("{}:{}", negotiated.remote_address, negotiated.remote_port)
                .parse()
                .unwrap();
        let codec = match negotiated.codec {
            sdp::Codec::Pcma => Codec::Pcma,
            sdp::Codec::Pcmu => Codec::Pcmu,
        };
        let (pt, te) = (
            negotiated.payload_type,
            negotiated.telephone_event.unwrap_or(101),
        );
        let (tx, mut rx) = mpsc::unbounded_channel();
        self.commands = Some(tx);
        let heard = Arc::clone(&self.heard);
        tokio::spawn(async move {
            let mut rng = media::Rng::new(seed);
            let ssrc = rng.next_u32();
            let mut sequence: u16 = 1;
            let mut timestamp: u32 = 0;
            let mut tone: Option<media::tone::SineGenerator> = None;
            let mut ticker = tokio::time::interval(Duration::from_millis(20));
            let mut buf = [0u8; 2048];
            let mut dtmf: Option<(media::dtmf::DtmfGenerator, u32)> = None;
            loop {
                tokio::select! {
                    _ = ticker.tick() => {
                        let mut out = [0u8; 256];
                        if let Some((generator, ts)) = &mut dtmf {
                            if let Some(packet) = generator.next() {
                                let header = RtpHeader { marker: packet.marker, payload_type: te, sequence, timestamp: *ts, ssrc };
                                let len = header.write(&packet.payload.to_bytes(), &mut out).unwrap();
                                let _ = socket.send_to(&out[..len], remote).await;
                                sequence = sequence.wrapping_add(1);
                                timestamp = timestamp.wrapping_add(160);
                                continue;
                            }
                            dtmf = None;
                        }
                        let mut samples = [0i16; 160];
                        if let Some(generator) = &mut tone {
                            generator.fill(&mut samples);
                        }
                        let mut payload = [0u8; 160];
                        codec.encode(&samples, &mut payload);
                        let header = RtpHeader { marker: false, payload_type: pt, sequence, timestamp, ssrc };
                        let len = header.write(&payload, &mut out).unwrap();
                        let _ = socket.send_to(&out[..len], remote).await;
                        sequence = sequence.wrapping_add(1);
                        timestamp = timestamp.wrapping_add(160);
                    }
                    received = socket.recv_from(&mut buf) => {
                        let Ok((len, _)) = received else { continue };
                        let Ok(packet) = RtpPacket::parse(&buf[..len]) else { continue };
                        let Some(codec) = Codec::from_payload_type(packet.header.payload_type) else { continue };
                        let mut samples = vec![0i16; packet.payload.len()];
                        codec.decode(packet.payload, &mut samples);
                        heard.lock().unwrap().extend(samples);
                    }
                    command = rx.recv() => match command {
                        Some(RtpCommand::Tone(freq)) => {
                            tone = freq.map(|freq| media::tone::SineGenerator::new(freq, 8000.0, 8000));
                        }
                        Some(RtpCommand::Dtmf(event)) => {
                            dtmf = Some((media::dtmf::DtmfGenerator::new(event, 100, 10), timestamp));
                        }
                        None => return,
                    },
                }
            }
        });
    }

    pub(crate) fn tone(&self, freq: Option<f64>) {
        if let Some(tx) = &self.commands {
            let _ = tx.send(RtpCommand::Tone(freq));
        }
    }

    pub(crate) fn press(&self, key: char) {
        if let (Some(tx), Some(event)) = (&self.commands, media::dtmf::char_to_event(key)) {
            let _ = tx.send(RtpCommand::Dtmf(event));
        }
    }

    /// Samples heard so far.
    pub(crate) fn heard_len(&self) -> usize {
        self.heard.lock().unwrap().len()
    }

    /// The samples heard after index `from`.
    pub(crate) fn heard_since(&self, from: usize) -> Vec<i16> {
        let heard = self.heard.lock().unwrap();
        heard.get(from..).unwrap_or_default().to_vec()
    }
}

/// Waits until `check` holds on the audio heard after `from`, polling every 100 ms.
pub(crate) async fn wait_for_audio(
    peer: &RtpPeer,
    from: usize,
    check: impl Fn(&[i16]) -> bool,
) -> bool {
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        let heard = peer.heard_since(from);
        if check(&heard) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Whether the last 200 ms of `samples` carry a tone at `freq`.
pub(crate) fn hears_tone(samples: &[i16], freq: f64) -> bool {
    if samples.len() < 1600 {
        return false;
    }
    let tail = &samples[samples.len() - 1600..];
    media::tone::tone_present(tail, freq)
}
