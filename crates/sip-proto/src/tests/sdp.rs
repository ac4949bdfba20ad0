//! SDP parsing, printing and offer/answer tests.

use expect_test::{Expect, expect};

use crate::rng::Rng;
use crate::sdp::{Codec, Direction, LocalMedia, Session, accept_answer, answer, offer};

enum Input<'a> {
    /// Parse and print back.
    Parse(&'a str),
    /// Answer an offer accepting `codecs`.
    Answer { offer: &'a str, codecs: &'a [Codec] },
    /// Build our offer, answer it with ourselves, read the answer back.
    RoundTrip { direction: Direction },
    /// Truncated and mutated offers; only checks that nothing panics.
    Fuzz { seed: u64, rounds: usize },
}

fn local(codecs: &[Codec]) -> LocalMedia {
    LocalMedia {
        addr_type: "IP4".to_owned(),
        address: "198.51.100.10".to_owned(),
        port: 40000,
        codecs: codecs.to_vec(),
        session_id: 4711,
        session_version: 1,
    }
}

fn check(input: Input<'_>, expect: Expect) {
    let out = match input {
        Input::Parse(text) => match Session::parse(text.as_bytes()) {
            Ok(session) => session.to_string().replace("\r\n", "\n"),
            Err(error) => format!("error: {error}\n"),
        },
        Input::Answer { offer, codecs } => match Session::parse(offer.as_bytes()) {
            Err(error) => format!("error: {error}\n"),
            Ok(offer) => match answer(&offer, &local(codecs)) {
                Ok((session, negotiated)) => {
                    format!(
                        "{negotiated:?}\n{}",
                        session.to_string().replace("\r\n", "\n")
                    )
                }
                Err(error) => format!("error ({}): {error}\n", error.status()),
            },
        },
        Input::RoundTrip { direction } => {
            let ours = offer(&local(&[Codec::Pcma, Codec::Pcmu]), 101, direction);
            let parsed = Session::parse(&ours.to_bytes()).map_err(|error| error.to_string());
            let theirs = parsed.and_then(|parsed| {
                answer(&parsed, &local(&[Codec::Pcmu])).map_err(|error| error.to_string())
            });
            let result = theirs.and_then(|(session, _)| {
                accept_answer(&session, &local(&[Codec::Pcma, Codec::Pcmu]))
                    .map_err(|error| error.to_string())
            });
            format!("{}{result:?}\n", ours.to_string().replace("\r\n", "\n"))
        }
        Input::Fuzz { seed, rounds } => {
            let mut rng = Rng::new(seed);
            let mut answered = 0;
            let mut try_one = |bytes: &[u8]| {
                if let Ok(session) = Session::parse(bytes) {
                    let _ = Session::parse(&session.to_bytes());
                    if answer(&session, &local(&[Codec::Pcma, Codec::Pcmu])).is_ok() {
                        answered += 1;
                    }
                }
            };
            let seed_bytes = OFFER_DYNAMIC_DTMF.as_bytes();
            for len in 0..=seed_bytes.len() {
                try_one(seed_bytes.get(..len).unwrap_or_default());
            }
            for _ in 0..rounds {
                let mut bytes = seed_bytes.to_vec();
                for _ in 0..1 + rng.below(6) {
                    let at = rng.below(bytes.len() as u64) as usize;
                    let byte = *b"\n =:/ 0a\xff"
                        .get(rng.below(10) as usize)
                        .unwrap_or(&b'x');
                    if let Some(slot) = bytes.get_mut(at) {
                        *slot = byte;
                    }
                }
                try_one(&bytes);
            }
            format!("answered {answered}\n")
        }
    };
    expect.assert_eq(&out);
}

const OFFER_DYNAMIC_DTMF: &str = "v=0
o=carrier 2890844526 2890844526 IN IP4 203.0.113.5
s=-
c=IN IP4 203.0.113.5
t=0 0
m=audio 30000 RTP/AVP 18 0 8 96
a=rtpmap:18 G729/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:96 telephone-event/8000
a=fmtp:96 0-15
a=ptime:20
";

#[test]
fn parse_and_print() {
    check(
        Input::Parse(
            "v=0\r\no=- 1 2 IN IP6 2001:db8::1\r\ns=call\r\ni=info\r\nb=AS:64\r\nt=0 0\r\na=recvonly\r\nm=audio 4000/2 RTP/AVP 0\r\nc=IN IP6 2001:db8::2\r\nb=AS:80\r\na=rtpmap:0 PCMU/8000\r\nm=video 0 RTP/AVP 31\r\n",
        ),
        expect![[r#"
            v=0
            o=- 1 2 IN IP6 2001:db8::1
            s=call
            i=info
            b=AS:64
            t=0 0
            a=recvonly
            m=audio 4000/2 RTP/AVP 0
            c=IN IP6 2001:db8::2
            b=AS:80
            a=rtpmap:0 PCMU/8000
            m=video 0 RTP/AVP 31
        "#]],
    );
    check(
        Input::Parse("v=1\n"),
        expect![[r#"
        error: bad sdp line 1: first line must be v=0
    "#]],
    );
    check(
        Input::Parse("v=0\no=- x 1 IN IP4 h\ns=-\n"),
        expect![[r#"
        error: bad sdp line 2: bad session id
    "#]],
    );
    check(
        Input::Parse("v=0\no=- 1 1 IN IP4 h\ns=-\nm=audio 99999 RTP/AVP 0\n"),
        expect![[r#"
        error: bad sdp line 4: bad port
    "#]],
    );
    check(
        Input::Parse("v=0\no=- 1 1 IN IP4 h\ns=-\nm=audio 5 RTP/AVP 0\nx=what\n"),
        expect![[r#"
        error: bad sdp line 5: unexpected line in media section
    "#]],
    );
    check(
        Input::Parse("v=0\no=- 1 1 IN IP4 h\n"),
        expect![[r#"
        error: bad sdp line 0: missing s= line
    "#]],
    );
}

#[test]
fn answers() {
    // The first offered codec we support wins, with the offer's numbers.
    check(
        Input::Answer {
            offer: OFFER_DYNAMIC_DTMF,
            codecs: &[Codec::Pcma, Codec::Pcmu],
        },
        expect![[r#"
        Negotiated { codec: Pcmu, payload_type: 0, telephone_event: Some(96), remote_address: "203.0.113.5", remote_port: 30000, direction: SendRecv, media_index: 0 }
        v=0
        o=- 4711 1 IN IP4 198.51.100.10
        s=-
        c=IN IP4 198.51.100.10
        t=0 0
        m=audio 40000 RTP/AVP 0 96
        a=rtpmap:0 PCMU/8000
        a=rtpmap:96 telephone-event/8000
        a=fmtp:96 0-16
        a=ptime:20
        a=sendrecv
    "#]],
    );
    check(
        Input::Answer {
            offer: OFFER_DYNAMIC_DTMF,
            codecs: &[Codec::Pcma],
        },
        expect![[r#"
        Negotiated { codec: Pcma, payload_type: 8, telephone_event: Some(96), remote_address: "203.0.113.5", remote_port: 30000, direction: SendRecv, media_index: 0 }
        v=0
        o=- 4711 1 IN IP4 198.51.100.10
        s=-
        c=IN IP4 198.51.100.10
        t=0 0
        m=audio 40000 RTP/AVP 8 96
        a=rtpmap:8 PCMA/8000
        a=rtpmap:96 telephone-event/8000
        a=fmtp:96 0-16
        a=ptime:20
        a=sendrecv
    "#]],
    );
    // Hold: sendonly is answered recvonly; a second audio and a video
    // stream are rejected with port 0; static PT 8 without rtpmap.
    check(
        Input::Answer {
            offer: "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\na=sendonly\nm=video 5000 RTP/AVP 31\nm=audio 6000 RTP/AVP 8\nc=IN IP4 192.0.2.7\nm=audio 7000 RTP/AVP 0\n",
            codecs: &[Codec::Pcma, Codec::Pcmu],
        },
        expect![[r#"
            Negotiated { codec: Pcma, payload_type: 8, telephone_event: None, remote_address: "192.0.2.7", remote_port: 6000, direction: RecvOnly, media_index: 1 }
            v=0
            o=- 4711 1 IN IP4 198.51.100.10
            s=-
            c=IN IP4 198.51.100.10
            t=0 0
            m=video 0 RTP/AVP 31
            m=audio 40000 RTP/AVP 8
            a=rtpmap:8 PCMA/8000
            a=ptime:20
            a=recvonly
            m=audio 0 RTP/AVP 0
        "#]],
    );
    check(
        Input::Answer {
            offer: "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 6000 RTP/AVP 0 97\na=rtpmap:97 telephone-event/8000\na=inactive\n",
            codecs: &[Codec::Pcmu],
        },
        expect![[r#"
            Negotiated { codec: Pcmu, payload_type: 0, telephone_event: Some(97), remote_address: "192.0.2.1", remote_port: 6000, direction: Inactive, media_index: 0 }
            v=0
            o=- 4711 1 IN IP4 198.51.100.10
            s=-
            c=IN IP4 198.51.100.10
            t=0 0
            m=audio 40000 RTP/AVP 0 97
            a=rtpmap:0 PCMU/8000
            a=rtpmap:97 telephone-event/8000
            a=fmtp:97 0-16
            a=ptime:20
            a=inactive
        "#]],
    );
    // Dynamic payload type carrying PCMA.
    check(
        Input::Answer {
            offer: "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 6000 RTP/AVP 112\na=rtpmap:112 pcma/8000\n",
            codecs: &[Codec::Pcma],
        },
        expect![[r#"
            Negotiated { codec: Pcma, payload_type: 112, telephone_event: None, remote_address: "192.0.2.1", remote_port: 6000, direction: SendRecv, media_index: 0 }
            v=0
            o=- 4711 1 IN IP4 198.51.100.10
            s=-
            c=IN IP4 198.51.100.10
            t=0 0
            m=audio 40000 RTP/AVP 112
            a=rtpmap:112 PCMA/8000
            a=ptime:20
            a=sendrecv
        "#]],
    );
    // Nothing acceptable: 488.
    check(
        Input::Answer {
            offer: "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 6000 RTP/AVP 18 9\nm=audio 6002 RTP/SAVP 0\n",
            codecs: &[Codec::Pcma, Codec::Pcmu],
        },
        expect![[r#"
            error (488): not acceptable here: no acceptable audio stream
        "#]],
    );
    check(
        Input::Answer {
            offer: "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\nm=audio 6000 RTP/AVP 0\n",
            codecs: &[Codec::Pcmu],
        },
        expect![[r#"
            error (488): not acceptable here: no acceptable audio stream
        "#]],
    );
}

#[test]
fn our_offer_round_trip() {
    check(
        Input::RoundTrip {
            direction: Direction::SendOnly,
        },
        expect![[r#"
        v=0
        o=- 4711 1 IN IP4 198.51.100.10
        s=-
        c=IN IP4 198.51.100.10
        t=0 0
        m=audio 40000 RTP/AVP 8 0 101
        a=rtpmap:8 PCMA/8000
        a=rtpmap:0 PCMU/8000
        a=rtpmap:101 telephone-event/8000
        a=fmtp:101 0-16
        a=ptime:20
        a=sendonly
        Ok(Negotiated { codec: Pcmu, payload_type: 0, telephone_event: Some(101), remote_address: "198.51.100.10", remote_port: 40000, direction: SendOnly, media_index: 0 })
    "#]],
    );
}

#[test]
fn fuzz_never_panics() {
    check(
        Input::Fuzz {
            seed: 11,
            rounds: 5_000,
        },
        expect![[r#"
        answered 1023
    "#]],
    );
}
