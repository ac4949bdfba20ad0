//! Dialog tests: creation on both sides, route sets (loose and strict),
//! CSeq checks, target refresh and in-dialog request building.

use std::fmt::Write;

use expect_test::{Expect, expect};

use crate::dialog::{Dialog, DialogId};
use crate::header::{NameAddr, Replaces};
use crate::message::{Message, Method, Request, Response};
use crate::rng::Rng;
use crate::uri::Uri;

enum Step<'a> {
    /// We sent `request` and got `response`.
    UacCreate { request: &'a str, response: &'a str },
    /// We received `request` and answer it with tag `tag`.
    UasCreate { request: &'a str, tag: &'a str },
    /// An in-dialog request from the peer.
    Incoming(&'a str),
    /// A response to our in-dialog request of `method`.
    Response(Method, &'a str),
    /// Build an in-dialog request.
    Send(Method),
    /// Build the ACK for the 2xx to INVITE CSeq `n`.
    Ack(u32),
    /// Build a REFER to `target`, optionally replacing a dialog.
    Refer {
        target: &'a str,
        replaces: Option<&'a str>,
    },
}

const US: &str = "SIP/2.0/UDP 198.51.100.10:5060;rport";

fn parse(text: &str) -> Option<Message> {
    Message::parse(text.replace('\n', "\r\n").as_bytes()).ok()
}

fn request(text: &str) -> Option<Request> {
    match parse(text)? {
        Message::Request(request) => Some(request),
        Message::Response(_) => None,
    }
}

fn response(text: &str) -> Option<Response> {
    match parse(text)? {
        Message::Response(response) => Some(response),
        Message::Request(_) => None,
    }
}

fn render_request(out: &mut String, request: &Request) {
    let text =
        String::from_utf8_lossy(&Message::from(request.clone()).to_bytes()).replace("\r\n", "\n");
    for line in text.trim_end().lines() {
        let _ = writeln!(out, "  | {line}");
    }
}

fn check(steps: &[Step<'_>], expect: Expect) {
    let mut out = String::new();
    let mut dialog: Option<Dialog> = None;
    let mut rng = Rng::new(3);
    let mut contact_uri = Uri::sip(Some("switch"), "198.51.100.10");
    contact_uri.port = Some(5060);
    let contact = NameAddr::new(contact_uri);
    for step in steps {
        match step {
            Step::UacCreate {
                request: req,
                response: resp,
            } => {
                let (Some(req), Some(resp)) = (request(req), response(resp)) else {
                    let _ = writeln!(out, "fixture did not parse");
                    continue;
                };
                match Dialog::from_uac(&req, &resp, contact.clone()) {
                    Ok(created) => dialog = Some(created),
                    Err(error) => {
                        let _ = writeln!(out, "uac create: {error}");
                    }
                }
            }
            Step::UasCreate { request: req, tag } => {
                let Some(req) = request(req) else {
                    let _ = writeln!(out, "fixture did not parse");
                    continue;
                };
                match Dialog::from_uas(&req, tag, contact.clone(), 100) {
                    Ok(created) => dialog = Some(created),
                    Err(error) => {
                        let _ = writeln!(out, "uas create: {error}");
                    }
                }
            }
            Step::Incoming(text) => {
                let (Some(req), Some(current)) = (request(text), dialog.as_mut()) else {
                    let _ = writeln!(out, "no dialog or bad fixture");
                    continue;
                };
                let matches = DialogId::for_incoming_request(&req).as_ref() == Some(&current.id);
                let result = current
                    .handle_request(&req)
                    .map_err(|error| error.to_string());
                let _ = writeln!(
                    out,
                    "incoming {} (matches {matches}): {result:?}",
                    req.method
                );
            }
            Step::Response(method, text) => {
                let (Some(resp), Some(current)) = (response(text), dialog.as_mut()) else {
                    let _ = writeln!(out, "no dialog or bad fixture");
                    continue;
                };
                let result = current
                    .handle_response(method, &resp)
                    .map_err(|error| error.to_string());
                let _ = writeln!(out, "response {} to {method}: {result:?}", resp.status);
            }
            Step::Send(method) => {
                let Some(current) = dialog.as_mut() else {
                    continue;
                };
                let built = current.create_request(method.clone(), &mut rng, US);
                let _ = writeln!(out, "send {method}:");
                render_request(&mut out, &built);
            }
            Step::Ack(cseq) => {
                let Some(current) = dialog.as_ref() else {
                    continue;
                };
                let built = current.create_ack(*cseq, &mut rng, US);
                let _ = writeln!(out, "send ACK:");
                render_request(&mut out, &built);
            }
            Step::Refer { target, replaces } => {
                let (Some(current), Ok(target)) = (dialog.as_mut(), Uri::parse(target)) else {
                    continue;
                };
                let replaces = replaces.and_then(|text| Replaces::parse(text).ok());
                let built = current.create_refer(&target, replaces.as_ref(), &mut rng, US);
                let _ = writeln!(out, "send REFER:");
                render_request(&mut out, &built);
                // The transferee's view: the embedded Replaces round-trips.
                let embedded = built
                    .headers
                    .refer_to()
                    .ok()
                    .flatten()
                    .and_then(|refer_to| Replaces::from_uri(&refer_to.uri));
                let _ = writeln!(out, "  embedded: {embedded:?}");
            }
        }
        if let Some(current) = &dialog {
            let routes: Vec<String> = current.route_set.iter().map(ToString::to_string).collect();
            let _ = writeln!(
                out,
                "  = {:?} {}/{}/{} target {} routes {routes:?} cseq local {} remote {:?}",
                current.state,
                current.id.call_id,
                current.id.local_tag,
                current.id.remote_tag,
                current.remote_target,
                current.local_cseq,
                current.remote_cseq
            );
        }
    }
    expect.assert_eq(&out);
}

const INVITE_OUT: &str = "INVITE sip:agent7@pbx.example SIP/2.0
Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bKinv
From: \"Civicline\" <sip:switch@civicline.example>;tag=loc1
To: <sip:agent7@pbx.example>
Call-ID: leg-b@civicline.example
CSeq: 10 INVITE
Contact: <sip:switch@198.51.100.10:5060>
Content-Length: 0

";

#[test]
fn uac_early_then_confirmed_with_loose_routes() {
    check(
        &[
            Step::UacCreate {
                request: INVITE_OUT,
                response: "SIP/2.0 180 Ringing
Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bKinv
Record-Route: <sip:p2.example;lr>, <sip:p1.example;lr>
From: \"Civicline\" <sip:switch@civicline.example>;tag=loc1
To: <sip:agent7@pbx.example>;tag=rem9
Call-ID: leg-b@civicline.example
CSeq: 10 INVITE
Contact: <sip:agent7@10.0.0.7:5062>
Content-Length: 0

",
            },
            Step::Response(
                Method::Invite,
                "SIP/2.0 200 OK
Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bKinv
Record-Route: <sip:p2.example;lr>, <sip:p1.example;lr>
From: <sip:switch@civicline.example>;tag=loc1
To: <sip:agent7@pbx.example>;tag=rem9
Call-ID: leg-b@civicline.example
CSeq: 10 INVITE
Contact: <sip:agent7@10.0.0.8:5062>
Content-Length: 0

",
            ),
            Step::Ack(10),
            Step::Send(Method::Invite),
            Step::Send(Method::Bye),
        ],
        expect![[r#"
              = Early leg-b@civicline.example/loc1/rem9 target sip:agent7@10.0.0.7:5062 routes ["<sip:p1.example;lr>", "<sip:p2.example;lr>"] cseq local 10 remote None
            response 200 to INVITE: Ok(())
              = Confirmed leg-b@civicline.example/loc1/rem9 target sip:agent7@10.0.0.8:5062 routes ["<sip:p1.example;lr>", "<sip:p2.example;lr>"] cseq local 10 remote None
            send ACK:
              | ACK sip:agent7@10.0.0.8:5062 SIP/2.0
              | Via: SIP/2.0/UDP 198.51.100.10:5060;rport;branch=z9hG4bKwssbld80ymurp99r
              | Max-Forwards: 70
              | Route: <sip:p1.example;lr>
              | Route: <sip:p2.example;lr>
              | From: "Civicline" <sip:switch@civicline.example>;tag=loc1
              | To: <sip:agent7@pbx.example>;tag=rem9
              | Call-ID: leg-b@civicline.example
              | CSeq: 10 ACK
              | Content-Length: 0
              = Confirmed leg-b@civicline.example/loc1/rem9 target sip:agent7@10.0.0.8:5062 routes ["<sip:p1.example;lr>", "<sip:p2.example;lr>"] cseq local 10 remote None
            send INVITE:
              | INVITE sip:agent7@10.0.0.8:5062 SIP/2.0
              | Via: SIP/2.0/UDP 198.51.100.10:5060;rport;branch=z9hG4bKs7n92cfshwpjw3id
              | Max-Forwards: 70
              | Route: <sip:p1.example;lr>
              | Route: <sip:p2.example;lr>
              | From: "Civicline" <sip:switch@civicline.example>;tag=loc1
              | To: <sip:agent7@pbx.example>;tag=rem9
              | Call-ID: leg-b@civicline.example
              | CSeq: 11 INVITE
              | Contact: <sip:switch@198.51.100.10:5060>
              | Content-Length: 0
              = Confirmed leg-b@civicline.example/loc1/rem9 target sip:agent7@10.0.0.8:5062 routes ["<sip:p1.example;lr>", "<sip:p2.example;lr>"] cseq local 11 remote None
            send BYE:
              | BYE sip:agent7@10.0.0.8:5062 SIP/2.0
              | Via: SIP/2.0/UDP 198.51.100.10:5060;rport;branch=z9hG4bKy1i6692nexsvn9so
              | Max-Forwards: 70
              | Route: <sip:p1.example;lr>
              | Route: <sip:p2.example;lr>
              | From: "Civicline" <sip:switch@civicline.example>;tag=loc1
              | To: <sip:agent7@pbx.example>;tag=rem9
              | Call-ID: leg-b@civicline.example
              | CSeq: 12 BYE
              | Content-Length: 0
              = Confirmed leg-b@civicline.example/loc1/rem9 target sip:agent7@10.0.0.8:5062 routes ["<sip:p1.example;lr>", "<sip:p2.example;lr>"] cseq local 12 remote None
        "#]],
    );
}

#[test]
fn uas_cseq_checks_target_refresh_and_refer() {
    check(
        &[
            Step::UasCreate {
                request: "INVITE sip:0800@civicline.example SIP/2.0
Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bKc1
Record-Route: <sip:sbc.carrier.example;lr>
From: <sip:+35932000000@carrier.example>;tag=car1
To: <sip:0800@civicline.example>
Call-ID: leg-a@carrier.example
CSeq: 4711 INVITE
Contact: <sip:+35932000000@203.0.113.5:5060>
Content-Length: 0

",
                tag: "loc2",
            },
            Step::Incoming(
                "INVITE sip:switch@198.51.100.10:5060 SIP/2.0
Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bKc2
From: <sip:+35932000000@carrier.example>;tag=car1
To: <sip:0800@civicline.example>;tag=loc2
Call-ID: leg-a@carrier.example
CSeq: 4712 INVITE
Contact: <sip:+35932000000@203.0.113.6:5060>
Content-Length: 0

",
            ),
            Step::Incoming(
                "BYE sip:switch@198.51.100.10:5060 SIP/2.0
Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bKc3
From: <sip:+35932000000@carrier.example>;tag=car1
To: <sip:0800@civicline.example>;tag=loc2
Call-ID: leg-a@carrier.example
CSeq: 4700 BYE
Content-Length: 0

",
            ),
            Step::Refer {
                target: "sip:ext200@pbx.example",
                replaces: Some("consult@civicline.example;to-tag=t2;from-tag=f2"),
            },
            Step::Send(Method::Bye),
        ],
        expect![[r#"
              = Early leg-a@carrier.example/loc2/car1 target sip:+35932000000@203.0.113.5:5060 routes ["<sip:sbc.carrier.example;lr>"] cseq local 100 remote Some(4711)
            incoming INVITE (matches true): Ok(())
              = Early leg-a@carrier.example/loc2/car1 target sip:+35932000000@203.0.113.6:5060 routes ["<sip:sbc.carrier.example;lr>"] cseq local 100 remote Some(4712)
            incoming BYE (matches true): Err("cseq 4700 not above last remote cseq 4712")
              = Early leg-a@carrier.example/loc2/car1 target sip:+35932000000@203.0.113.6:5060 routes ["<sip:sbc.carrier.example;lr>"] cseq local 100 remote Some(4712)
            send REFER:
              | REFER sip:+35932000000@203.0.113.6:5060 SIP/2.0
              | Via: SIP/2.0/UDP 198.51.100.10:5060;rport;branch=z9hG4bKwssbld80ymurp99r
              | Max-Forwards: 70
              | Route: <sip:sbc.carrier.example;lr>
              | From: <sip:0800@civicline.example>;tag=loc2
              | To: <sip:+35932000000@carrier.example>;tag=car1
              | Call-ID: leg-a@carrier.example
              | CSeq: 101 REFER
              | Contact: <sip:switch@198.51.100.10:5060>
              | Refer-To: <sip:ext200@pbx.example?Replaces=consult%40civicline.example%3Bto-tag%3Dt2%3Bfrom-tag%3Df2>
              | Referred-By: <sip:0800@civicline.example>
              | Content-Length: 0
              embedded: Some(Ok(Replaces { call_id: "consult@civicline.example", to_tag: "t2", from_tag: "f2", early_only: false }))
              = Early leg-a@carrier.example/loc2/car1 target sip:+35932000000@203.0.113.6:5060 routes ["<sip:sbc.carrier.example;lr>"] cseq local 101 remote Some(4712)
            send BYE:
              | BYE sip:+35932000000@203.0.113.6:5060 SIP/2.0
              | Via: SIP/2.0/UDP 198.51.100.10:5060;rport;branch=z9hG4bKs7n92cfshwpjw3id
              | Max-Forwards: 70
              | Route: <sip:sbc.carrier.example;lr>
              | From: <sip:0800@civicline.example>;tag=loc2
              | To: <sip:+35932000000@carrier.example>;tag=car1
              | Call-ID: leg-a@carrier.example
              | CSeq: 102 BYE
              | Content-Length: 0
              = Early leg-a@carrier.example/loc2/car1 target sip:+35932000000@203.0.113.6:5060 routes ["<sip:sbc.carrier.example;lr>"] cseq local 102 remote Some(4712)
        "#]],
    );
}

#[test]
fn strict_route_and_errors() {
    check(
        &[
            Step::UacCreate {
                request: INVITE_OUT,
                response: "SIP/2.0 200 OK
Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bKinv
Record-Route: <sip:p2.example;lr>, <sip:old-strict.example;maddr=192.0.2.9>
From: <sip:switch@civicline.example>;tag=loc1
To: <sip:agent7@pbx.example>;tag=rem9
Call-ID: leg-b@civicline.example
CSeq: 10 INVITE
Contact: <sip:agent7@10.0.0.7:5062>
Content-Length: 0

",
            },
            Step::Send(Method::Bye),
        ],
        expect![[r#"
              = Confirmed leg-b@civicline.example/loc1/rem9 target sip:agent7@10.0.0.7:5062 routes ["<sip:old-strict.example;maddr=192.0.2.9>", "<sip:p2.example;lr>"] cseq local 10 remote None
            send BYE:
              | BYE sip:old-strict.example;maddr=192.0.2.9 SIP/2.0
              | Via: SIP/2.0/UDP 198.51.100.10:5060;rport;branch=z9hG4bKwssbld80ymurp99r
              | Max-Forwards: 70
              | Route: <sip:p2.example;lr>
              | Route: <sip:agent7@10.0.0.7:5062>
              | From: "Civicline" <sip:switch@civicline.example>;tag=loc1
              | To: <sip:agent7@pbx.example>;tag=rem9
              | Call-ID: leg-b@civicline.example
              | CSeq: 11 BYE
              | Content-Length: 0
              = Confirmed leg-b@civicline.example/loc1/rem9 target sip:agent7@10.0.0.7:5062 routes ["<sip:old-strict.example;maddr=192.0.2.9>", "<sip:p2.example;lr>"] cseq local 11 remote None
        "#]],
    );
    check(
        &[
            Step::UacCreate {
                request: INVITE_OUT,
                response: "SIP/2.0 200 OK
Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bKinv
From: <sip:switch@civicline.example>;tag=loc1
To: <sip:agent7@pbx.example>
Call-ID: leg-b@civicline.example
CSeq: 10 INVITE
Contact: <sip:agent7@10.0.0.7:5062>
Content-Length: 0

",
            },
            Step::UacCreate {
                request: INVITE_OUT,
                response: "SIP/2.0 200 OK
Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bKinv
From: <sip:switch@civicline.example>;tag=loc1
To: <sip:agent7@pbx.example>;tag=x
Call-ID: leg-b@civicline.example
CSeq: 10 INVITE
Content-Length: 0

",
            },
        ],
        expect![[r#"
            uac create: missing dialog tag
            uac create: missing contact for remote target
        "#]],
    );
}
