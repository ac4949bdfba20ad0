//! SIP over TCP against the real shell on 127.0.0.1: a caller on one TCP connection probes
//! with OPTIONS, calls the demo number, hears the IVR on its UDP media port and hangs up, all
//! signalling on the same connection; a malformed frame gets a 400 (or, unidentifiable, is
//! dropped) without breaking the framing, an unframeable stream is closed, and the switch keeps
//! serving fresh connections.

use std::net::SocketAddr;
use std::time::Duration;

use sip_proto::dialog::Dialog;
use sip_proto::header::NameAddr;
use sip_proto::message::{Frame, Message, Method, Request, Response, frame_stream};
use sip_proto::sdp;
use sip_proto::uri::Uri;
use telephony::{Event, LegKind, Outcome};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::calls::{Fixture, NOTICE_HZ, NUMBER};
use crate::ua::{RtpPeer, Ua, WAIT, hears_tone, local_media, wait_for_audio};

/// What reading from the connection gave.
#[derive(Debug)]
enum Read {
    Message(Box<Message>),
    Closed,
    TimedOut,
}

/// One SIP-over-TCP connection to the switch; requests are built by a [`Ua`] and re-pointed
/// at the connection (Via transport TCP, Contact with `transport=tcp`).
struct TcpUa {
    ua: Ua,
    stream: TcpStream,
    buf: Vec<u8>,
}

impl TcpUa {
    async fn connect(user: &str, switch: SocketAddr, seed: u64) -> TcpUa {
        let stream = TcpStream::connect(switch).await.unwrap();
        TcpUa {
            ua: Ua::new(user, switch, seed).await,
            stream,
            buf: Vec::new(),
        }
    }

    fn local(&self) -> SocketAddr {
        self.stream.local_addr().unwrap()
    }

    fn via(&mut self) -> String {
        format!(
            "SIP/2.0/TCP {};rport;branch={}",
            self.local(),
            self.ua.rng.branch()
        )
    }

    fn contact(&self) -> String {
        format!("<sip:{}@{};transport=tcp>", self.ua.user, self.local())
    }

    /// Re-points a request built by the UDP user agent at this connection.
    fn over_tcp(&mut self, mut request: Request) -> Request {
        let via = self.via();
        request.headers.set("Via", via);
        let contact = self.contact();
        request.headers.set("Contact", contact);
        request
    }

    async fn send(&mut self, message: impl Into<Message>) {
        let bytes = message.into().to_bytes();
        self.send_raw(&bytes).await;
    }

    async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// The next framed message, the connection closing, or nothing within `wait`.
    async fn read_within(&mut self, wait: Duration) -> Read {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match frame_stream(&self.buf).expect("the switch frames its messages") {
                Frame::Complete(len) => {
                    let bytes: Vec<u8> = self.buf.drain(..len).collect();
                    let message = Message::parse(&bytes).expect("the switch sends valid sip");
                    return Read::Message(Box::new(message));
                }
                Frame::Keepalive(len) => {
                    self.buf.drain(..len);
                    continue;
                }
                Frame::Incomplete => {}
            }
            let mut chunk = [0u8; 16384];
            match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Err(_) => return Read::TimedOut,
                Ok(Ok(0)) | Ok(Err(_)) => return Read::Closed,
                Ok(Ok(read)) => self.buf.extend_from_slice(&chunk[..read]),
            }
        }
    }

    /// Waits for a response whose status satisfies `want` (requests from the switch are
    /// ignored: the tests here never expect one).
    async fn response(&mut self, want: impl Fn(u16) -> bool) -> Response {
        loop {
            match self.read_within(WAIT).await {
                Read::Message(message) => {
                    if let Message::Response(response) = *message
                        && want(response.status)
                    {
                        return response;
                    }
                }
                other => panic!("no response over tcp: {other:?}"),
            }
        }
    }

    async fn options(&mut self) -> Response {
        let options = self.ua.out_of_dialog(
            Method::Options,
            Uri::sip(None, "127.0.0.1"),
            "<sip:127.0.0.1>",
        );
        let options = self.over_tcp(options);
        self.send(options).await;
        self.response(|status| status >= 200).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caller_over_tcp_probes_calls_hears_the_ivr_and_hangs_up() {
    let fx = Fixture::start("tcp-call", |_| {}).await;
    let mut caller = TcpUa::connect("0888654321", fx.sip, 81).await;

    let ok = caller.options().await;
    assert_eq!(ok.status, 200, "{ok:?}");
    assert!(ok.headers.get("Via").unwrap().contains("SIP/2.0/TCP"));

    let mut rtp = RtpPeer::bind().await;
    let invite = caller.ua.invite(NUMBER, rtp.addr);
    let invite = caller.over_tcp(invite);
    caller.send(invite.clone()).await;
    let trying = caller.response(|status| status < 200).await;
    assert_eq!(trying.status, 100, "{trying:?}");
    let ok = caller.response(|status| status >= 200).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    assert!(
        ok.headers.get("Contact").unwrap().contains("transport=tcp"),
        "the switch asks for in-dialog requests over tcp: {ok:?}"
    );
    let contact = NameAddr::parse(&caller.contact()).unwrap();
    let mut dialog = Dialog::from_uac(&invite, &ok, contact).unwrap();
    let via = format!("SIP/2.0/TCP {};rport", caller.local());
    let ack = dialog.create_ack(1, &mut caller.ua.rng, &via);
    caller.send(ack).await;
    let answer = sdp::Session::parse(&ok.body).unwrap();
    let local = local_media(rtp.addr, vec![sdp::Codec::Pcma, sdp::Codec::Pcmu]);
    let negotiated = sdp::accept_answer(&answer, &local).unwrap();
    rtp.start(&negotiated, 81);
    assert!(
        wait_for_audio(&rtp, 0, |heard| hears_tone(heard, NOTICE_HZ)).await,
        "the tcp caller hears the privacy notice over rtp"
    );
    assert_eq!(fx.handle.snapshot().await.unwrap().calls.len(), 1);

    let bye = dialog.create_request(Method::Bye, &mut caller.ua.rng, &via);
    caller.send(bye).await;
    let ok = caller.response(|status| status >= 200).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    let ended = fx
        .event(|event| matches!(event, Event::CallEnded(cdr) if cdr.leg == LegKind::Caller))
        .await;
    let Event::CallEnded(cdr) = ended else {
        unreachable!()
    };
    assert_eq!(cdr.caller.as_deref(), Some("0888654321"));
    assert_ne!(cdr.outcome, Outcome::Answered, "{cdr:?}");
    assert!(fx.handle.snapshot().await.unwrap().calls.is_empty());
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_tcp_frames_get_400_or_are_dropped_unframeable_streams_are_closed() {
    let fx = Fixture::start("tcp-garbage", |_| {}).await;
    let mut prober = TcpUa::connect("prober", fx.sip, 91).await;
    let local = prober.local();

    // A complete frame (valid Content-Length) that is not a valid request but can be
    // identified: a 400 on the same connection.
    let broken = format!(
        "OPTIONS sip:{NUMBER}@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP {local};branch=z9hG4bKtcpbroken\r\nFrom: <sip:p@127.0.0.1>;tag=1\r\nTo: <sip:{NUMBER}@127.0.0.1>\r\nCall-ID: tcp-broken@test\r\nCSeq: 1 INVITE\r\nContent-Length: 4\r\n\r\njunk"
    );
    prober.send_raw(broken.as_bytes()).await;
    let answer = prober.read_within(WAIT).await;
    let Read::Message(message) = answer else { panic!("a broken but framed request gets a 400: {answer:?}") };
    let Message::Response(response) = *message else { panic!("a broken but framed request gets a 400: {message:?}") };
    assert_eq!(response.status, 400, "{response:?}");
    assert_eq!(response.headers.call_id().unwrap(), "tcp-broken@test");

    // Framed garbage that cannot be identified is dropped like a bad datagram (no 400 can be
    // addressed), and the connection stays in sync: the next request on it is served.
    prober
        .send_raw(b"\x00\x01\x02 not sip at all\r\nContent-Length: 5\r\n\r\nhello")
        .await;
    match prober.read_within(Duration::from_millis(300)).await {
        Read::TimedOut => {}
        other => panic!("unidentifiable garbage is dropped: {other:?}"),
    }
    assert_eq!(prober.options().await.status, 200);

    // A stream that cannot be framed (no Content-Length) is closed.
    let mut unframed = TcpUa::connect("prober", fx.sip, 92).await;
    unframed
        .send_raw(b"OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9\r\n\r\n")
        .await;
    loop {
        match unframed.read_within(WAIT).await {
            Read::Closed => break,
            Read::Message(_) => {}
            Read::TimedOut => panic!("an unframeable stream is closed"),
        }
    }

    // A fresh connection is served.
    let mut fresh = TcpUa::connect("prober", fx.sip, 93).await;
    assert_eq!(fresh.options().await.status, 200);
    fx.stop().await;
}
