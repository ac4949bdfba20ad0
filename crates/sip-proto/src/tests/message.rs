//! Message parser and printer tests, including the RFC 4475 torture
//! messages under `testdata/torture`.

use std::fmt::Write;

use expect_test::{Expect, expect};

use crate::error::ParseError;
use crate::header::Contacts;
use crate::message::{Frame, Message, error_response_for, frame_stream};
use crate::rng::Rng;

enum Input<'a> {
    /// Named raw messages, each parsed as a datagram.
    Datagrams(&'a [(&'a str, &'a [u8])]),
    /// A byte stream cut into frames, fed in chunks of the given size.
    Stream { bytes: &'a [u8], chunk: usize },
    /// Mutated and random inputs; only checks that parsing returns.
    Fuzz { seed: u64, rounds: usize },
}

fn check(input: Input<'_>, expect: Expect) {
    let mut out = String::new();
    match input {
        Input::Datagrams(cases) => {
            for (name, bytes) in cases {
                let _ = writeln!(out, "== {name}");
                render_datagram(&mut out, bytes);
            }
        }
        Input::Stream { bytes, chunk } => render_stream(&mut out, bytes, chunk),
        Input::Fuzz { seed, rounds } => render_fuzz(&mut out, seed, rounds),
    }
    expect.assert_eq(&out);
}

fn render_datagram(out: &mut String, bytes: &[u8]) {
    let message = match Message::parse(bytes) {
        Ok(message) => message,
        Err(error) => {
            let _ = writeln!(out, "error: {error}");
            match error_response_for(bytes, &error, "t0") {
                Some(response) => {
                    let text =
                        String::from_utf8_lossy(&Message::from(response).to_bytes()).into_owned();
                    let mut lines = text.trim_end().lines();
                    let _ = writeln!(out, "  reply: {}", lines.next().unwrap_or(""));
                    for line in lines {
                        let _ = writeln!(out, "   | {line}");
                    }
                }
                None => {
                    let _ = writeln!(out, "  reply: none");
                }
            }
            return;
        }
    };
    match &message {
        Message::Request(request) => {
            let _ = writeln!(out, "request {} {}", request.method, request.uri);
        }
        Message::Response(response) => {
            let _ = writeln!(out, "response {} {:?}", response.status, response.reason);
        }
    }
    for header in message.headers().iter() {
        let _ = writeln!(out, "  {}: {:?}", header.name, header.value);
    }
    render_typed(out, &message);
    let _ = writeln!(out, "  body: {} bytes", message.body().len());
    let without_length = |mut message: Message| {
        match &mut message {
            Message::Request(request) => request.headers.remove("Content-Length"),
            Message::Response(response) => response.headers.remove("Content-Length"),
        }
        message
    };
    let reprinted = Message::parse(&message.to_bytes()).map(without_length);
    let same = reprinted.is_ok_and(|again| again == without_length(message.clone()));
    let _ = writeln!(out, "  reprint: {}", if same { "same" } else { "DIFFERS" });
}

fn render_typed(out: &mut String, message: &Message) {
    let headers = message.headers();
    if let Ok(from) = headers.from() {
        let _ = writeln!(
            out,
            "  > from {from} (name {:?}, tag {:?})",
            from.display_name,
            from.tag()
        );
    }
    if let Ok(to) = headers.to() {
        let _ = writeln!(
            out,
            "  > to <{}>{} (name {:?}, user {:?})",
            to.uri,
            to.params,
            to.display_name,
            to.uri.user_unescaped()
        );
    }
    if let Ok(vias) = headers.vias() {
        for via in vias {
            let _ = writeln!(out, "  > via {via} (branch {:?})", via.branch());
        }
    }
    if let Ok(cseq) = headers.cseq() {
        let _ = writeln!(out, "  > cseq {cseq}");
    }
    match headers.contacts() {
        Ok(Some(Contacts::Wildcard)) => {
            let _ = writeln!(out, "  > contact *");
        }
        Ok(Some(Contacts::Addresses(addresses))) => {
            for address in addresses {
                let _ = writeln!(out, "  > contact {address}");
            }
        }
        Ok(None) | Err(_) => {}
    }
    if let Ok(Some(max_forwards)) = headers.max_forwards() {
        let _ = writeln!(out, "  > max-forwards {max_forwards}");
    }
    if let Ok(Some(media_type)) = headers.content_type() {
        let _ = writeln!(
            out,
            "  > content-type {}/{}",
            media_type.kind, media_type.subtype
        );
    }
    match headers.routes("Route") {
        Ok(routes) if !routes.is_empty() => {
            for route in routes {
                let _ = writeln!(
                    out,
                    "  > route {route} (lr {})",
                    route.uri.params.contains("lr")
                );
            }
        }
        Ok(_) => {}
        Err(error) => {
            let _ = writeln!(out, "  > route error: {error}");
        }
    }
    if let Ok(Some(refer_to)) = headers.refer_to() {
        let _ = writeln!(out, "  > refer-to {refer_to}");
        if let Some(replaces) = crate::header::Replaces::from_uri(&refer_to.uri) {
            let _ = writeln!(out, "  > embedded replaces {replaces:?}");
        }
    }
    if let Ok(Some(replaces)) = headers.replaces() {
        let _ = writeln!(out, "  > replaces {replaces}");
    }
    for credentials in headers.credentials(false).unwrap_or_default() {
        let _ = writeln!(out, "  > authorization {credentials}");
    }
}

fn render_stream(out: &mut String, bytes: &[u8], chunk: usize) {
    let mut buffer = Vec::new();
    for piece in bytes.chunks(chunk.max(1)) {
        buffer.extend_from_slice(piece);
        loop {
            match frame_stream(&buffer) {
                Ok(Frame::Incomplete) => break,
                Ok(Frame::Keepalive(len)) => {
                    let _ = writeln!(out, "keepalive {len}");
                    buffer.drain(..len.min(buffer.len()));
                }
                Ok(Frame::Complete(len)) => {
                    let frame: Vec<u8> = buffer.drain(..len.min(buffer.len())).collect();
                    match Message::parse(&frame) {
                        Ok(message) => {
                            let cseq = message.headers().cseq().map(|cseq| cseq.to_string());
                            let _ = writeln!(
                                out,
                                "message {len} bytes, cseq {cseq:?}, body {}",
                                message.body().len()
                            );
                        }
                        Err(error) => {
                            let _ = writeln!(out, "bad frame: {error}");
                        }
                    }
                }
                Err(error) => {
                    let _ = writeln!(out, "stream error: {error}");
                    return;
                }
            }
        }
    }
    let _ = writeln!(out, "left over {} bytes", buffer.len());
}

const SEEDS: &[&[u8]] = &[
    include_bytes!("../../testdata/torture/wsinv.sip"),
    include_bytes!("../../testdata/torture/intmeth.sip"),
    include_bytes!("../../testdata/torture/esc01.sip"),
    include_bytes!("../../testdata/torture/badinv01.sip"),
    include_bytes!("../../testdata/torture/scalar02.sip"),
    include_bytes!("../../testdata/torture/unreason.sip"),
    REFER,
];

fn render_fuzz(out: &mut String, seed: u64, rounds: usize) {
    let mut rng = Rng::new(seed);
    let mut parsed = 0;
    let mut failed = 0;
    let mut tally = |result: Result<Message, ParseError>, bytes: &[u8]| {
        match result {
            Ok(message) => {
                parsed += 1;
                // Exercise the accessors and the printer on whatever parsed.
                let headers = message.headers();
                let _ = (headers.vias(), headers.contacts(), headers.content_type());
                let _ = (
                    headers.credentials(false),
                    headers.refer_to(),
                    headers.replaces(),
                );
                let _ = Message::parse(&message.to_bytes());
            }
            Err(error) => {
                failed += 1;
                let _ = error_response_for(bytes, &error, "t");
            }
        }
        let _ = frame_stream(bytes);
    };
    // Every truncation of every seed.
    for seed_bytes in SEEDS {
        for len in 0..=seed_bytes.len() {
            let slice = seed_bytes.get(..len).unwrap_or_default();
            tally(Message::parse(slice), slice);
        }
    }
    // Random byte flips, insertions and deletions on the seeds.
    for round in 0..rounds {
        let base = SEEDS.get(round % SEEDS.len()).copied().unwrap_or_default();
        let mut bytes = base.to_vec();
        for _ in 0..1 + rng.below(8) {
            let at = rng.below(bytes.len() as u64 + 1) as usize;
            let byte = *b"\r\n :;,<>\"\\%@=[]/0a\x00\xff"
                .get(rng.below(22) as usize)
                .unwrap_or(&b'x');
            match rng.below(3) {
                0 => bytes.insert(at.min(bytes.len()), byte),
                1 if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ => {
                    if let Some(slot) = bytes.get_mut(at) {
                        *slot = byte;
                    }
                }
            }
        }
        tally(Message::parse(&bytes), &bytes);
    }
    // Pure random bytes, some with a plausible start line.
    for round in 0..rounds {
        let len = rng.below(300) as usize;
        let mut bytes: Vec<u8> = if round % 2 == 0 {
            b"INVITE sip:a@b SIP/2.0\r\n".to_vec()
        } else {
            Vec::new()
        };
        bytes.extend((0..len).map(|_| rng.next_u64() as u8));
        tally(Message::parse(&bytes), &bytes);
    }
    let _ = writeln!(out, "parsed {parsed}, rejected {failed}");
}

const REFER: &[u8] = b"REFER sip:agent7@10.0.0.7:5062;transport=tcp SIP/2.0\r
Via: SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bKref1;rport=5070;received=2001:db8::9\r
Max-Forwards: 70\r
From: \"Agent 7\" <sip:agent7@pbx.example>;tag=a7\r
To: <sip:citizen@pbx.example>;tag=c1\r
Call-ID: call-1@pbx.example\r
CSeq: 5 REFER\r
Contact: <sip:agent7@[2001:db8::7]:5062;transport=tcp>;expires=60;q=0.5\r
Refer-To: <sip:ext200@pbx.example?Replaces=consult-9%40pbx.example%3Bto-tag%3Dx2%3Bfrom-tag%3Dx1>\r
Replaces: other@pbx.example;to-tag=t2;from-tag=f2;early-only\r
Authorization: Digest username=\"agent7\", realm=\"pbx.example\", nonce=\"n1\", uri=\"sip:pbx.example\", response=\"0123\", qop=auth, nc=00000001, cnonce=\"c\\\"q\"\r
Content-Length: 0\r
\r
";

#[test]
fn refer_with_ipv6_and_embedded_replaces() {
    check(
        Input::Datagrams(&[("refer", REFER)]),
        expect![[r#"
            == refer
            request REFER sip:agent7@10.0.0.7:5062;transport=tcp
              Via: "SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bKref1;rport=5070;received=2001:db8::9"
              Max-Forwards: "70"
              From: "\"Agent 7\" <sip:agent7@pbx.example>;tag=a7"
              To: "<sip:citizen@pbx.example>;tag=c1"
              Call-ID: "call-1@pbx.example"
              CSeq: "5 REFER"
              Contact: "<sip:agent7@[2001:db8::7]:5062;transport=tcp>;expires=60;q=0.5"
              Refer-To: "<sip:ext200@pbx.example?Replaces=consult-9%40pbx.example%3Bto-tag%3Dx2%3Bfrom-tag%3Dx1>"
              Replaces: "other@pbx.example;to-tag=t2;from-tag=f2;early-only"
              Authorization: "Digest username=\"agent7\", realm=\"pbx.example\", nonce=\"n1\", uri=\"sip:pbx.example\", response=\"0123\", qop=auth, nc=00000001, cnonce=\"c\\\"q\""
              Content-Length: "0"
              > from "Agent 7" <sip:agent7@pbx.example>;tag=a7 (name Some("Agent 7"), tag Some("a7"))
              > to <sip:citizen@pbx.example>;tag=c1 (name None, user Some("citizen"))
              > via SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bKref1;rport=5070;received=2001:db8::9 (branch Some("z9hG4bKref1"))
              > cseq 5 REFER
              > contact <sip:agent7@[2001:db8::7]:5062;transport=tcp>;expires=60;q=0.5
              > max-forwards 70
              > refer-to <sip:ext200@pbx.example?Replaces=consult-9%40pbx.example%3Bto-tag%3Dx2%3Bfrom-tag%3Dx1>
              > embedded replaces Ok(Replaces { call_id: "consult-9@pbx.example", to_tag: "x2", from_tag: "x1", early_only: false })
              > replaces other@pbx.example;to-tag=t2;from-tag=f2;early-only
              > authorization Digest username="agent7", realm="pbx.example", nonce="n1", uri="sip:pbx.example", response="0123", qop=auth, nc=00000001, cnonce="c\"q"
              body: 0 bytes
              reprint: same
        "#]],
    );
}

macro_rules! torture {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!("../../testdata/torture/", $name, ".sip")) as &[u8])),*]
    };
}

/// RFC 4475 section 3.1.1 (and `badbranch` from 3.3): every element must
/// accept these.
#[test]
fn torture_valid() {
    check(
        Input::Datagrams(torture!(
            "wsinv",
            "intmeth",
            "esc01",
            "escnull",
            "esc02",
            "lwsdisp",
            "longreq",
            "dblreq",
            "semiuri",
            "transports",
            "mpart01",
            "unreason",
            "noreason",
            "badbranch",
        )),
        expect![[r#"
            == wsinv
            request INVITE sip:vivekg@chair-dnrc.example.com;unknownparam
              To: "sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n"
              From: "\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com> ; tag = 98asjd8"
              Max-Forwards: "0068"
              Call-ID: "wsinv.ndaksdj@192.0.2.1"
              Content-Length: "150"
              CSeq: "0009 INVITE"
              Via: "SIP  /   2.0 /UDP 192.0.2.2;branch=390skdjuw"
              Subject: ""
              NewFangledHeader: "newfangled value continued newfangled value"
              UnknownHeaderWithUnusualValue: ";;,,;;,;"
              Content-Type: "application/sdp"
              Route: "<sip:services.example.com;lr;unknownwith=value;unknown-no-value>"
              Via: "SIP  / 2.0  / TCP     spindle.example.com   ; branch  =   z9hG4bK9ikj8  , SIP  /    2.0   / UDP  192.168.255.111   ; branch= z9hG4bK30239"
              Contact: "\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam = newvalue ; secondparam ; q = 0.33"
              > from "J Rosenberg \\\"" <sip:jdrosen@example.com>;tag=98asjd8 (name Some("J Rosenberg \\\""), tag Some("98asjd8"))
              > to <sip:vivekg@chair-dnrc.example.com>;tag=1918181833n (name None, user Some("vivekg"))
              > via SIP/2.0/UDP 192.0.2.2;branch=390skdjuw (branch Some("390skdjuw"))
              > via SIP/2.0/TCP spindle.example.com;branch=z9hG4bK9ikj8 (branch Some("z9hG4bK9ikj8"))
              > via SIP/2.0/UDP 192.168.255.111;branch=z9hG4bK30239 (branch Some("z9hG4bK30239"))
              > cseq 9 INVITE
              > contact "Quoted string \"\"" <sip:jdrosen@example.com>;newparam=newvalue;secondparam;q=0.33
              > max-forwards 68
              > content-type application/sdp
              > route <sip:services.example.com;lr;unknownwith=value;unknown-no-value> (lr true)
              body: 150 bytes
              reprint: same
            == intmeth
            request !interesting-Method0123456789_*+`.%indeed'~ sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com
              Via: "SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~"
              To: "\"BEL:\\\u{7} NUL:\\\0 DEL:\\\u{7f}\" <sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>"
              From: "token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"работающий\";tag=_token~1'+`*%!-."
              Call-ID: "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
              CSeq: "139122385 !interesting-Method0123456789_*+`.%indeed'~"
              Max-Forwards: "255"
              extensionHeader-!.%*+_`'~: "\u{feff}大停電"
              Content-Length: "0"
              > from "token1~` token2'+_ token3*%!.-" <sip:mundane@example.com>;fromParam''~+*_!.-%="работающий";tag=_token~1'+`*%!-. (name Some("token1~` token2'+_ token3*%!.-"), tag Some("_token~1'+`*%!-."))
              > to <sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com> (name Some("BEL:\u{7} NUL:\0 DEL:\u{7f}"), user Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"))
              > via SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~ (branch Some("z9hG4bK-.!%66*_+`'~"))
              > cseq 139122385 !interesting-Method0123456789_*+`.%indeed'~
              > max-forwards 255
              body: 0 bytes
              reprint: same
            == esc01
            request INVITE sip:sips%3Auser%40example.com@example.net
              To: "sip:%75se%72@example.com"
              From: "<sip:I%20have%20spaces@example.net>;tag=938"
              Max-Forwards: "87"
              Call-ID: "esc01.239409asdfakjkn23onasd0-3234"
              CSeq: "234234 INVITE"
              Via: "SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw"
              Content-Type: "application/sdp"
              Contact: "<sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>"
              Content-Length: "150"
              > from <sip:I%20have%20spaces@example.net>;tag=938 (name None, tag Some("938"))
              > to <sip:%75se%72@example.com> (name None, user Some("user"))
              > via SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw (branch Some("z9hG4bKkdjuw"))
              > cseq 234234 INVITE
              > contact <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>
              > max-forwards 87
              > content-type application/sdp
              body: 150 bytes
              reprint: same
            == escnull
            request REGISTER sip:example.com
              To: "sip:null-%00-null@example.com"
              From: "sip:null-%00-null@example.com;tag=839923423"
              Max-Forwards: "70"
              Call-ID: "escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd"
              CSeq: "14398234 REGISTER"
              Via: "SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw"
              Contact: "<sip:%00@host5.example.com>"
              Contact: "<sip:%00%00@host5.example.com>"
              Content-Length: "0"
              > from <sip:null-%00-null@example.com>;tag=839923423 (name None, tag Some("839923423"))
              > to <sip:null-%00-null@example.com> (name None, user Some("null-\0-null"))
              > via SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw (branch Some("z9hG4bKkdjuw"))
              > cseq 14398234 REGISTER
              > contact <sip:%00@host5.example.com>
              > contact <sip:%00%00@host5.example.com>
              > max-forwards 70
              body: 0 bytes
              reprint: same
            == esc02
            request RE%47IST%45R sip:registrar.example.com
              To: "\"%Z%45\" <sip:resource@example.com>"
              From: "\"%Z%45\" <sip:resource@example.com>;tag=f232jadfj23"
              Call-ID: "esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf"
              Via: "SIP/2.0/TCP host.example.com;branch=z9hG4bK209%fzsnel234"
              CSeq: "29344 RE%47IST%45R"
              Max-Forwards: "70"
              Contact: "<sip:alias1@host1.example.com>"
              C%6Fntact: "<sip:alias2@host2.example.com>"
              Contact: "<sip:alias3@host3.example.com>"
              Content-Length: "0"
              > from "%Z%45" <sip:resource@example.com>;tag=f232jadfj23 (name Some("%Z%45"), tag Some("f232jadfj23"))
              > to <sip:resource@example.com> (name Some("%Z%45"), user Some("resource"))
              > via SIP/2.0/TCP host.example.com;branch=z9hG4bK209%fzsnel234 (branch Some("z9hG4bK209%fzsnel234"))
              > cseq 29344 RE%47IST%45R
              > contact <sip:alias1@host1.example.com>
              > contact <sip:alias3@host3.example.com>
              > max-forwards 70
              body: 0 bytes
              reprint: same
            == lwsdisp
            request OPTIONS sip:user@example.com
              To: "sip:user@example.com"
              From: "caller<sip:caller@example.com>;tag=323"
              Max-Forwards: "70"
              Call-ID: "lwsdisp.1234abcd@funky.example.com"
              CSeq: "60 OPTIONS"
              Via: "SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw"
              Content-Length: "0"
              > from "caller" <sip:caller@example.com>;tag=323 (name Some("caller"), tag Some("323"))
              > to <sip:user@example.com> (name None, user Some("user"))
              > via SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw (branch Some("z9hG4bKkdjuw"))
              > cseq 60 OPTIONS
              > max-forwards 70
              body: 0 bytes
              reprint: same
            == longreq
            request INVITE sip:user@example.com
              To: "\"I have a user name of extremeextremeextremeextremeextremeextremeextremeextremeextremeextreme proportion\"<sip:user@example.com:6000;unknownparam1=verylonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglongvalue;longparamnamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamename=shortvalue;verylonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglongParameterNameWithNoValue>"
              From: "sip:amazinglylongcallernameamazinglylongcallernameamazinglylongcallernameamazinglylongcallernameamazinglylongcallername@example.net;tag=12982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982424;unknownheaderparamnamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamename=unknowheaderparamvaluevaluevaluevaluevaluevaluevaluevaluevaluevaluevaluevaluevaluevaluevalue;unknownValuelessparamnameparamnameparamnameparamnameparamnameparamnameparamnameparamnameparamnameparamname"
              Call-ID: "longreq.onereallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallylongcallid"
              CSeq: "3882340 INVITE"
              Unknown-LongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLong-Name: "unknown-longlonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglong-value; unknown-longlonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglong-parameter-name = unknown-longlonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglong-parameter-value"
              Via: "SIP/2.0/TCP sip33.example.com"
              Via: "SIP/2.0/TCP sip32.example.com"
              Via: "SIP/2.0/TCP sip31.example.com"
              Via: "SIP/2.0/TCP sip30.example.com"
              Via: "SIP/2.0/TCP sip29.example.com"
              Via: "SIP/2.0/TCP sip28.example.com"
              Via: "SIP/2.0/TCP sip27.example.com"
              Via: "SIP/2.0/TCP sip26.example.com"
              Via: "SIP/2.0/TCP sip25.example.com"
              Via: "SIP/2.0/TCP sip24.example.com"
              Via: "SIP/2.0/TCP sip23.example.com"
              Via: "SIP/2.0/TCP sip22.example.com"
              Via: "SIP/2.0/TCP sip21.example.com"
              Via: "SIP/2.0/TCP sip20.example.com"
              Via: "SIP/2.0/TCP sip19.example.com"
              Via: "SIP/2.0/TCP sip18.example.com"
              Via: "SIP/2.0/TCP sip17.example.com"
              Via: "SIP/2.0/TCP sip16.example.com"
              Via: "SIP/2.0/TCP sip15.example.com"
              Via: "SIP/2.0/TCP sip14.example.com"
              Via: "SIP/2.0/TCP sip13.example.com"
              Via: "SIP/2.0/TCP sip12.example.com"
              Via: "SIP/2.0/TCP sip11.example.com"
              Via: "SIP/2.0/TCP sip10.example.com"
              Via: "SIP/2.0/TCP sip9.example.com"
              Via: "SIP/2.0/TCP sip8.example.com"
              Via: "SIP/2.0/TCP sip7.example.com"
              Via: "SIP/2.0/TCP sip6.example.com"
              Via: "SIP/2.0/TCP sip5.example.com"
              Via: "SIP/2.0/TCP sip4.example.com"
              Via: "SIP/2.0/TCP sip3.example.com"
              Via: "SIP/2.0/TCP sip2.example.com"
              Via: "SIP/2.0/TCP sip1.example.com"
              Via: "SIP/2.0/TCP host.example.com;received=192.0.2.5;branch=verylonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglongbranchvalue"
              Max-Forwards: "70"
              Contact: "<sip:amazinglylongcallernameamazinglylongcallernameamazinglylongcallernameamazinglylongcallernameamazinglylongcallername@host5.example.net>"
              Content-Type: "application/sdp"
              Content-Length: "150"
              > from <sip:amazinglylongcallernameamazinglylongcallernameamazinglylongcallernameamazinglylongcallernameamazinglylongcallername@example.net>;tag=12982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982424;unknownheaderparamnamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamename=unknowheaderparamvaluevaluevaluevaluevaluevaluevaluevaluevaluevaluevaluevaluevaluevaluevalue;unknownValuelessparamnameparamnameparamnameparamnameparamnameparamnameparamnameparamnameparamnameparamname (name None, tag Some("12982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982424"))
              > to <sip:user@example.com:6000;unknownparam1=verylonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglongvalue;longparamnamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamename=shortvalue;verylonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglongParameterNameWithNoValue> (name Some("I have a user name of extremeextremeextremeextremeextremeextremeextremeextremeextremeextreme proportion"), user Some("user"))
              > via SIP/2.0/TCP sip33.example.com (branch None)
              > via SIP/2.0/TCP sip32.example.com (branch None)
              > via SIP/2.0/TCP sip31.example.com (branch None)
              > via SIP/2.0/TCP sip30.example.com (branch None)
              > via SIP/2.0/TCP sip29.example.com (branch None)
              > via SIP/2.0/TCP sip28.example.com (branch None)
              > via SIP/2.0/TCP sip27.example.com (branch None)
              > via SIP/2.0/TCP sip26.example.com (branch None)
              > via SIP/2.0/TCP sip25.example.com (branch None)
              > via SIP/2.0/TCP sip24.example.com (branch None)
              > via SIP/2.0/TCP sip23.example.com (branch None)
              > via SIP/2.0/TCP sip22.example.com (branch None)
              > via SIP/2.0/TCP sip21.example.com (branch None)
              > via SIP/2.0/TCP sip20.example.com (branch None)
              > via SIP/2.0/TCP sip19.example.com (branch None)
              > via SIP/2.0/TCP sip18.example.com (branch None)
              > via SIP/2.0/TCP sip17.example.com (branch None)
              > via SIP/2.0/TCP sip16.example.com (branch None)
              > via SIP/2.0/TCP sip15.example.com (branch None)
              > via SIP/2.0/TCP sip14.example.com (branch None)
              > via SIP/2.0/TCP sip13.example.com (branch None)
              > via SIP/2.0/TCP sip12.example.com (branch None)
              > via SIP/2.0/TCP sip11.example.com (branch None)
              > via SIP/2.0/TCP sip10.example.com (branch None)
              > via SIP/2.0/TCP sip9.example.com (branch None)
              > via SIP/2.0/TCP sip8.example.com (branch None)
              > via SIP/2.0/TCP sip7.example.com (branch None)
              > via SIP/2.0/TCP sip6.example.com (branch None)
              > via SIP/2.0/TCP sip5.example.com (branch None)
              > via SIP/2.0/TCP sip4.example.com (branch None)
              > via SIP/2.0/TCP sip3.example.com (branch None)
              > via SIP/2.0/TCP sip2.example.com (branch None)
              > via SIP/2.0/TCP sip1.example.com (branch None)
              > via SIP/2.0/TCP host.example.com;received=192.0.2.5;branch=verylonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglongbranchvalue (branch Some("verylonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglongbranchvalue"))
              > cseq 3882340 INVITE
              > contact <sip:amazinglylongcallernameamazinglylongcallernameamazinglylongcallernameamazinglylongcallernameamazinglylongcallername@host5.example.net>
              > max-forwards 70
              > content-type application/sdp
              body: 150 bytes
              reprint: same
            == dblreq
            request REGISTER sip:example.com
              To: "sip:j.user@example.com"
              From: "sip:j.user@example.com;tag=43251j3j324"
              Max-Forwards: "8"
              Call-ID: "dblreq.0ha0isndaksdj99sdfafnl3lk233412"
              Contact: "sip:j.user@host.example.com"
              CSeq: "8 REGISTER"
              Via: "SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492"
              Content-Length: "0"
              > from <sip:j.user@example.com>;tag=43251j3j324 (name None, tag Some("43251j3j324"))
              > to <sip:j.user@example.com> (name None, user Some("j.user"))
              > via SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492 (branch Some("z9hG4bKkdjuw23492"))
              > cseq 8 REGISTER
              > contact <sip:j.user@host.example.com>
              > max-forwards 8
              body: 0 bytes
              reprint: same
            == semiuri
            request OPTIONS sip:user;par=u%40example.net@example.com
              To: "sip:j_user@example.com"
              From: "sip:caller@example.org;tag=33242"
              Max-Forwards: "3"
              Call-ID: "semiuri.0ha0isndaksdj"
              CSeq: "8 OPTIONS"
              Accept: "application/sdp, application/pkcs7-mime, multipart/mixed, multipart/signed, message/sip, message/sipfrag"
              Via: "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw"
              Content-Length: "0"
              > from <sip:caller@example.org>;tag=33242 (name None, tag Some("33242"))
              > to <sip:j_user@example.com> (name None, user Some("j_user"))
              > via SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw (branch Some("z9hG4bKkdjuw"))
              > cseq 8 OPTIONS
              > max-forwards 3
              body: 0 bytes
              reprint: same
            == transports
            request OPTIONS sip:user@example.com
              To: "sip:user@example.com"
              From: "<sip:caller@example.com>;tag=323"
              Max-Forwards: "70"
              Call-ID: "transports.kijh4akdnaqjkwendsasfdj"
              Accept: "application/sdp"
              CSeq: "60 OPTIONS"
              Via: "SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw"
              Via: "SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf"
              Via: "SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj"
              Via: "SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en"
              Via: "SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee"
              Content-Length: "0"
              > from <sip:caller@example.com>;tag=323 (name None, tag Some("323"))
              > to <sip:user@example.com> (name None, user Some("user"))
              > via SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw (branch Some("z9hG4bKkdjuw"))
              > via SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf (branch Some("z9hG4bKklasjdhf"))
              > via SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj (branch Some("z9hG4bK2980unddj"))
              > via SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en (branch Some("z9hG4bKasd0f3en"))
              > via SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee (branch Some("z9hG4bK0a9idfnee"))
              > cseq 60 OPTIONS
              > max-forwards 70
              body: 0 bytes
              reprint: same
            == mpart01
            request MESSAGE sip:kumiko@example.org
              Via: "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-;rport"
              Max-Forwards: "70"
              Route: "<sip:127.0.0.1:5080>"
              Identity: "r5mwreLuyDRYBi/0TiPwEsY3rEVsk/G2WxhgTV1PF7hHuLIK0YWVKZhKv9Mj8UeXqkMVbnVq37CD+813gvYjcBUaZngQmXc9WNZSDNGCzA+fWl9MEUHWIZo1CeJebdY/XlgKeTa0Olvq0rt70Q5jiSfbqMJmQFteeivUhkMWYUA="
              Contact: "<sip:fluffy@127.0.0.1:5070>"
              To: "<sip:kumiko@example.org>"
              From: "<sip:fluffy@example.com>;tag=2fb0dcc9"
              Call-ID: "3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA.."
              CSeq: "1 MESSAGE"
              Content-Transfer-Encoding: "binary"
              Content-Type: "multipart/mixed;boundary=7a9cbec02ceef655"
              Date: "Sat, 15 Oct 2005 04:44:56 GMT"
              User-Agent: "SIPimp.org/0.2.5 (curses)"
              Content-Length: "553"
              > from <sip:fluffy@example.com>;tag=2fb0dcc9 (name None, tag Some("2fb0dcc9"))
              > to <sip:kumiko@example.org> (name None, user Some("kumiko"))
              > via SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-;rport (branch Some("z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-"))
              > cseq 1 MESSAGE
              > contact <sip:fluffy@127.0.0.1:5070>
              > max-forwards 70
              > content-type multipart/mixed
              > route <sip:127.0.0.1:5080> (lr false)
              body: 553 bytes
              reprint: same
            == unreason
            response 200 "= 2**3 * 5**2 но сто девяносто девять - простое"
              Via: "SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923"
              Call-ID: "unreason.1234ksdfak3j2erwedfsASdf"
              CSeq: "35 INVITE"
              From: "sip:user@example.com;tag=11141343"
              To: "sip:user@example.edu;tag=2229"
              Content-Length: "154"
              Content-Type: "application/sdp"
              Contact: "<sip:user@host198.example.com>"
              > from <sip:user@example.com>;tag=11141343 (name None, tag Some("11141343"))
              > to <sip:user@example.edu>;tag=2229 (name None, user Some("user"))
              > via SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923 (branch Some("z9hG4bK1324923"))
              > cseq 35 INVITE
              > contact <sip:user@host198.example.com>
              > content-type application/sdp
              body: 154 bytes
              reprint: same
            == noreason
            response 100 ""
              Via: "SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe"
              Call-ID: "noreason.asndj203insdf99223ndf"
              CSeq: "35 INVITE"
              From: "<sip:user@example.com>;tag=39ansfi3"
              To: "<sip:user@example.edu>;tag=902jndnke3"
              Content-Length: "0"
              Contact: "<sip:user@host105.example.com>"
              > from <sip:user@example.com>;tag=39ansfi3 (name None, tag Some("39ansfi3"))
              > to <sip:user@example.edu>;tag=902jndnke3 (name None, user Some("user"))
              > via SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe (branch Some("z9hG4bK2398ndaoe"))
              > cseq 35 INVITE
              > contact <sip:user@host105.example.com>
              body: 0 bytes
              reprint: same
            == badbranch
            request OPTIONS sip:user@example.com
              To: "sip:user@example.com"
              From: "sip:caller@example.org;tag=33242"
              Max-Forwards: "3"
              Via: "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK"
              Accept: "application/sdp"
              Call-ID: "badbranch.sadonfo23i420jv0as0derf3j3n"
              CSeq: "8 OPTIONS"
              Content-Length: "0"
              > from <sip:caller@example.org>;tag=33242 (name None, tag Some("33242"))
              > to <sip:user@example.com> (name None, user Some("user"))
              > via SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK (branch Some("z9hG4bK"))
              > cseq 8 OPTIONS
              > max-forwards 3
              body: 0 bytes
              reprint: same
        "#]],
    );
}

/// RFC 4475 sections 3.1.2 and 3.3.1: malformed messages, rejected with a
/// clean error and, for identifiable requests, a 400 (or 505).
#[test]
fn torture_invalid() {
    check(
        Input::Datagrams(torture!(
            "badinv01",
            "clerr",
            "ncl",
            "scalar02",
            "scalarlg",
            "quotbal",
            "ltgtruri",
            "lwsruri",
            "lwsstart",
            "trws",
            "escruri",
            "regbadct",
            "badaspec",
            "baddn",
            "badvers",
            "mismatch01",
            "mismatch02",
            "bigcode",
            "insuf",
        )),
        expect![[r#"
            == badinv01
            error: bad From header: empty parameter
              reply: SIP/2.0 400 Bad Request
               | Via: SIP/2.0/UDP 192.0.2.15;;,;,,
               | From: sip:caller@example.net;;tag=134161461246
               | To: sip:j.user@example.com;tag=t0
               | Call-ID: badinv01.0ha0isndaksdjasdf3234nas
               | CSeq: 8 INVITE
               | Content-Length: 0
            == clerr
            error: content-length 9999 exceeds the 154 body bytes received
              reply: SIP/2.0 400 Bad Request
               | Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bK-39234-23523
               | From: sip:caller@example.net;tag=93942939o2
               | To: sip:j.user@example.com;tag=t0
               | Call-ID: clerr.0ha0isndaksdjweiafasdk3
               | CSeq: 8 INVITE
               | Content-Length: 0
            == ncl
            error: bad Content-Length header: not a number in range
              reply: SIP/2.0 400 Bad Request
               | Via: SIP/2.0/UDP 192.0.2.53;branch=z9hG4bKkdjuw
               | From: sip:caller@example.net;tag=32394234
               | To: sip:j.user@example.com;tag=t0
               | Call-ID: ncl.0ha0isndaksdj2193423r542w35
               | CSeq: 0 INVITE
               | Content-Length: 0
            == scalar02
            error: bad CSeq header: sequence number missing or too large
              reply: SIP/2.0 400 Bad Request
               | Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bK342sdfoi3
               | From: <sip:user@example.com>;tag=239232jh3
               | To: <sip:user@example.com>;tag=t0
               | Call-ID: scalar02.23o0pd9vanlq3wnrlnewofjas9ui32
               | CSeq: 36893488147419103232 REGISTER
               | Content-Length: 0
            == scalarlg
            error: bad CSeq header: sequence number missing or too large
              reply: none
            == quotbal
            error: bad To header: unterminated quoted display name
              reply: SIP/2.0 400 Bad Request
               | Via: SIP/2.0/UDP 192.0.2.59:5050;branch=z9hG4bKkdjuw39234
               | From: sip:caller@example.net;tag=93334
               | To: "Mr. J. User <sip:j.user@example.com>;tag=t0
               | Call-ID: quotbal.aksdj
               | CSeq: 8 INVITE
               | Content-Length: 0
            == ltgtruri
            error: bad uri: forbidden character
              reply: SIP/2.0 400 Bad Request
               | Via: SIP/2.0/UDP 192.0.2.5
               | From: sip:caller@example.net;tag=39291
               | To: sip:user@example.com;tag=t0
               | Call-ID: ltgtruri.1@192.0.2.5
               | CSeq: 1 INVITE
               | Content-Length: 0
            == lwsruri
            error: bad start line: request line is not 'method uri version'
              reply: SIP/2.0 400 Bad Request
               | Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKkdjuw2395
               | From: sip:caller@example.net;tag=231413434
               | To: sip:user@example.com;tag=3xfe-9921883-z9f
               | Call-ID: lwsruri.asdfasdoeoi2323-asdfwrn23-asd834rk423
               | CSeq: 2130706432 INVITE
               | Content-Length: 0
            == lwsstart
            error: bad start line: request line is not 'method uri version'
              reply: SIP/2.0 400 Bad Request
               | Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw3923
               | From: sip:caller@example.net;tag=8814
               | To: sip:user@example.com;tag=t0
               | Call-ID: lwsstart.dfknq234oi243099adsdfnawe3@example.com
               | CSeq: 1893884 INVITE
               | Content-Length: 0
            == trws
            error: bad start line: request line is not 'method uri version'
              reply: SIP/2.0 400 Bad Request
               | Via: SIP/2.0/TCP host1.examle.com;branch=z9hG4bK299342093
               | From: <sip:local-resource@example.com>;tag=329429089
               | To: <sip:remote-target@example.com>;tag=t0
               | Call-ID: trws.oicu34958239neffasdhr2345r
               | CSeq: 238923 OPTIONS
               | Content-Length: 0
            == escruri
            error: bad uri: headers in request-uri
              reply: SIP/2.0 400 Bad Request
               | Via: SIP/2.0/UDP host-of-the-hour.example.com;branch=z9hG4bKkdjuw
               | From: sip:caller@example.net;tag=341518
               | To: sip:user@example.com;tag=t0
               | Call-ID: escruri.23940-asdfhj-aje3br-234q098w-fawerh2q-h4n5
               | CSeq: 149209342 INVITE
               | Content-Length: 0
            == regbadct
            error: bad Contact header: addr-spec with '?' or ',' must be in angle brackets
              reply: SIP/2.0 400 Bad Request
               | Via: SIP/2.0/UDP 135.180.130.133:5060;branch=z9hG4bKkdjuw
               | From: sip:user@example.com;tag=998332
               | To: sip:user@example.com;tag=t0
               | Call-ID: regbadct.k345asrl3fdbv@10.0.0.1
               | CSeq: 1 REGISTER
               | Content-Length: 0
            == badaspec
            error: bad To header: bad uri
              reply: SIP/2.0 400 Bad Request
               | Via: SIP/2.0/UDP host4.example.com:5060;branch=z9hG4bKkdju43234
               | From: "Bell, Alexander" <sip:a.g.bell@example.com>;tag=433423
               | To: "Watson, Thomas" < sip:t.watson@example.org >;tag=t0
               | Call-ID: badaspec.sdf0234n2nds0a099u23h3hnnw009cdkne3
               | CSeq: 3923239 OPTIONS
               | Content-Length: 0
            == baddn
            error: bad From header: display name is neither tokens nor quoted
              reply: SIP/2.0 400 Bad Request
               | Via: SIP/2.0/UDP c.example.com:5060;branch=z9hG4bKkdjuw
               | From: Bell, Alexander <sip:a.g.bell@example.com>;tag=43
               | To: Watson, Thomas <sip:t.watson@example.org>;tag=t0
               | Call-ID: baddn.31415@c.example.com
               | CSeq: 3923239 OPTIONS
               | Content-Length: 0
            == badvers
            error: unsupported sip version "SIP/7.0"
              reply: SIP/2.0 505 Version Not Supported
               | Via: SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw
               | From: A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe
               | To: T. Watson <sip:t.watson@example.org>;tag=t0
               | Call-ID: badvers.31417@c.example.com
               | CSeq: 1 OPTIONS
               | Content-Length: 0
            == mismatch01
            error: cseq method does not match request method
              reply: SIP/2.0 400 Bad Request
               | Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw
               | From: sip:caller@example.net;tag=34525
               | To: sip:j.user@example.com;tag=t0
               | Call-ID: mismatch01.dj0234sxdfl3
               | CSeq: 8 INVITE
               | Content-Length: 0
            == mismatch02
            error: cseq method does not match request method
              reply: SIP/2.0 400 Bad Request
               | Via: SIP/2.0/UDP host.example.net;branch=z9hG4bKkdjuw
               | From: sip:caller@example.net;tag=34525
               | To: sip:j.user@example.com;tag=t0
               | Call-ID: mismatch02.dj0234sxdfl3
               | CSeq: 8 INVITE
               | Content-Length: 0
            == bigcode
            error: bad start line: bad status code
              reply: none
            == insuf
            error: missing From header
              reply: none
        "#]],
    );
}

/// RFC 4475 3.1.2.12: a non-GMT Date is tolerated because we never
/// interpret Date.
#[test]
fn torture_tolerated() {
    check(
        Input::Datagrams(torture!("baddate")),
        expect![[r#"
        == baddate
        request INVITE sip:user@example.com
          To: "sip:user@example.com"
          From: "sip:caller@example.net;tag=2234923"
          Max-Forwards: "70"
          Call-ID: "baddate.239423mnsadf3j23lj42--sedfnm234"
          CSeq: "1392934 INVITE"
          Via: "SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw"
          Date: "Fri, 01 Jan 2010 16:00:00 EST"
          Contact: "<sip:caller@host5.example.net>"
          Content-Type: "application/sdp"
          Content-Length: "150"
          > from <sip:caller@example.net>;tag=2234923 (name None, tag Some("2234923"))
          > to <sip:user@example.com> (name None, user Some("user"))
          > via SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw (branch Some("z9hG4bKkdjuw"))
          > cseq 1392934 INVITE
          > contact <sip:caller@host5.example.net>
          > max-forwards 70
          > content-type application/sdp
          body: 150 bytes
          reprint: same
    "#]],
    );
}

#[test]
fn small_cases() {
    check(
        Input::Datagrams(&[
            (
                "bare lf line ends, compact forms, tel uri, wildcard contact",
                b"REGISTER sip:pbx.example SIP/2.0\nv: SIP/2.0/UDP 192.0.2.1;rport;branch=z9hG4bKa\nf: <tel:+359-32-601111;phone-context=+359>;tag=1\nt: <sip:a@pbx.example>\ni: reg1\nCSeq: 2 REGISTER\nm: *\nExpires: 0\nl: 0\n\n",
            ),
            (
                "no content-length: body is the rest of the datagram",
                b"MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKb\r\nFrom: <sip:c@d>;tag=2\r\nTo: <sip:a@b>\r\nCall-ID: m1\r\nCSeq: 1 MESSAGE\r\n\r\nhello",
            ),
            (
                "unknown scheme request-uri",
                b"OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKc\r\nFrom: <sip:c@d>;tag=2\r\nTo: <sip:a@b>\r\nCall-ID: u1\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n",
            ),
            (
                "leading keepalive newlines are skipped",
                b"\r\n\r\nSIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKd\r\nFrom: <sip:c@d>;tag=2\r\nTo: <sip:a@b>;tag=3\r\nCall-ID: r1\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n",
            ),
            (
                "folded line before any header",
                b"INVITE sip:a@b SIP/2.0\r\n continuation\r\n\r\n",
            ),
            ("empty", b""),
            ("no empty line", b"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n"),
            (
                "bad ipv6 and port",
                b"INVITE sip:a@[::1 SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKe\r\nFrom: <sip:c@d>;tag=2\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n",
            ),
            (
                "port out of range",
                b"INVITE sip:a@h:70000 SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKe\r\nFrom: <sip:c@d>;tag=2\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n",
            ),
            (
                "ack is never answered",
                b"ACK sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKe\r\nFrom: <sip:c@d>;tag=2\r\nTo: <sip:a@b\r\nCall-ID: x\r\nCSeq: 1 ACK\r\n\r\n",
            ),
        ]),
        expect![[r#"
            == bare lf line ends, compact forms, tel uri, wildcard contact
            request REGISTER sip:pbx.example
              Via: "SIP/2.0/UDP 192.0.2.1;rport;branch=z9hG4bKa"
              From: "<tel:+359-32-601111;phone-context=+359>;tag=1"
              To: "<sip:a@pbx.example>"
              Call-ID: "reg1"
              CSeq: "2 REGISTER"
              Contact: "*"
              Expires: "0"
              Content-Length: "0"
              > from <tel:+359-32-601111;phone-context=+359>;tag=1 (name None, tag Some("1"))
              > to <sip:a@pbx.example> (name None, user Some("a"))
              > via SIP/2.0/UDP 192.0.2.1;rport;branch=z9hG4bKa (branch Some("z9hG4bKa"))
              > cseq 2 REGISTER
              > contact *
              body: 0 bytes
              reprint: same
            == no content-length: body is the rest of the datagram
            request MESSAGE sip:a@b
              Via: "SIP/2.0/UDP h;branch=z9hG4bKb"
              From: "<sip:c@d>;tag=2"
              To: "<sip:a@b>"
              Call-ID: "m1"
              CSeq: "1 MESSAGE"
              > from <sip:c@d>;tag=2 (name None, tag Some("2"))
              > to <sip:a@b> (name None, user Some("a"))
              > via SIP/2.0/UDP h;branch=z9hG4bKb (branch Some("z9hG4bKb"))
              > cseq 1 MESSAGE
              body: 5 bytes
              reprint: same
            == unknown scheme request-uri
            request OPTIONS nobodyknowsthisscheme:totallyopaquecontent
              Via: "SIP/2.0/UDP h;branch=z9hG4bKc"
              From: "<sip:c@d>;tag=2"
              To: "<sip:a@b>"
              Call-ID: "u1"
              CSeq: "1 OPTIONS"
              Content-Length: "0"
              > from <sip:c@d>;tag=2 (name None, tag Some("2"))
              > to <sip:a@b> (name None, user Some("a"))
              > via SIP/2.0/UDP h;branch=z9hG4bKc (branch Some("z9hG4bKc"))
              > cseq 1 OPTIONS
              body: 0 bytes
              reprint: same
            == leading keepalive newlines are skipped
            response 180 "Ringing"
              Via: "SIP/2.0/UDP h;branch=z9hG4bKd"
              From: "<sip:c@d>;tag=2"
              To: "<sip:a@b>;tag=3"
              Call-ID: "r1"
              CSeq: "1 INVITE"
              Content-Length: "0"
              > from <sip:c@d>;tag=2 (name None, tag Some("2"))
              > to <sip:a@b>;tag=3 (name None, user Some("a"))
              > via SIP/2.0/UDP h;branch=z9hG4bKd (branch Some("z9hG4bKd"))
              > cseq 1 INVITE
              body: 0 bytes
              reprint: same
            == folded line before any header
            error: bad header line
              reply: none
            == empty
            error: empty message
              reply: none
            == no empty line
            error: bad start line: no empty line after the headers
              reply: none
            == bad ipv6 and port
            error: bad uri: unterminated ipv6 reference
              reply: SIP/2.0 400 Bad Request
               | Via: SIP/2.0/UDP h;branch=z9hG4bKe
               | From: <sip:c@d>;tag=2
               | To: <sip:a@b>;tag=t0
               | Call-ID: x
               | CSeq: 1 INVITE
               | Content-Length: 0
            == port out of range
            error: bad uri: bad port
              reply: SIP/2.0 400 Bad Request
               | Via: SIP/2.0/UDP h;branch=z9hG4bKe
               | From: <sip:c@d>;tag=2
               | To: <sip:a@b>;tag=t0
               | Call-ID: x
               | CSeq: 1 INVITE
               | Content-Length: 0
            == ack is never answered
            error: bad To header: unterminated <uri>
              reply: none
        "#]],
    );
}

/// RFC 4475 3.1.1.11: the second body part is binary, with NUL, CR and LF
/// octets of its own; only Content-Length may delimit the body, on a
/// datagram and on a stream alike.
#[test]
fn binary_multipart_body_is_framed_by_content_length() {
    let bytes = include_bytes!("../../testdata/torture/mpart01.sip");
    let body = Message::parse(bytes).map(|message| message.body().to_vec());
    let body = body.unwrap_or_default();
    let octets = |wanted: u8| body.iter().filter(|&&byte| byte == wanted).count();
    let tail = body
        .get(body.len().saturating_sub(22)..)
        .unwrap_or_default();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "body {} bytes, {} NUL, {} LF, ends {:?}",
        body.len(),
        octets(0),
        octets(b'\n'),
        String::from_utf8_lossy(tail),
    );
    let mut stream = bytes.to_vec();
    stream.extend_from_slice(include_bytes!("../../testdata/torture/longreq.sip"));
    render_stream(&mut out, &stream, 7);
    let expect = expect![[r#"
        body 553 bytes, 2 NUL, 14 LF, ends "--7a9cbec02ceef655--\r\n"
        message 1290 bytes, cseq Ok("1 MESSAGE"), body 553
        message 3515 bytes, cseq Ok("3882340 INVITE"), body 150
        left over 0 bytes
    "#]];
    expect.assert_eq(&out);
}

#[test]
fn stream_framing_byte_by_byte() {
    let mut bytes = b"\r\n\r\n".to_vec();
    bytes.extend_from_slice(REFER);
    bytes.extend_from_slice(include_bytes!("../../testdata/torture/unreason.sip"));
    bytes.extend_from_slice(b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKs\r\n");
    check(
        Input::Stream {
            bytes: &bytes,
            chunk: 1,
        },
        expect![[r#"
            keepalive 1
            keepalive 1
            keepalive 1
            keepalive 1
            message 698 bytes, cseq Ok("5 REFER"), body 0
            message 526 bytes, cseq Ok("35 INVITE"), body 154
            left over 61 bytes
        "#]],
    );
}

#[test]
fn stream_framing_errors() {
    check(
        Input::Stream {
            bytes: b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKs\r\n\r\n",
            chunk: 1000,
        },
        expect![[r#"
            stream error: missing content-length on a stream
        "#]],
    );
    check(
        Input::Stream {
            bytes: b"OPTIONS sip:a@b SIP/2.0\r\nl: -1\r\n\r\n",
            chunk: 1000,
        },
        expect![[r#"
            stream error: bad Content-Length header: not a number in range
        "#]],
    );
}

#[test]
fn fuzz_never_panics() {
    check(
        Input::Fuzz {
            seed: 7,
            rounds: 20_000,
        },
        expect![[r#"
            parsed 2272, rejected 42093
        "#]],
    );
}
