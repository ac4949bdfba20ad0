//! Registrar tests: scripted REGISTER sequences on virtual time.

use std::fmt::Write;

use expect_test::{Expect, expect};

use crate::message::{Message, Request};
use crate::registrar::{Registrar, RegistrarConfig};
use crate::time::Time;
use crate::uri::Uri;

enum Step<'a> {
    /// REGISTER for sip:alice@pbx.example at `at` seconds with the given
    /// Call-ID, CSeq and extra header lines.
    Register {
        at: u64,
        call_id: &'a str,
        cseq: u32,
        headers: &'a str,
    },
    /// Look up an address-of-record.
    Lookup { at: u64, aor: &'a str },
    /// Run expiry.
    Expire { at: u64 },
}

fn register(call_id: &str, cseq: u32, headers: &str) -> Option<Request> {
    let text = format!(
        "REGISTER sip:pbx.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK{cseq}\r\nFrom: <sip:alice@pbx.example>;tag=f\r\nTo: <sip:Alice@PBX.example>\r\nCall-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\n{headers}Content-Length: 0\r\n\r\n"
    );
    match Message::parse(text.as_bytes()) {
        Ok(Message::Request(request)) => Some(request),
        _ => None,
    }
}

fn check(steps: &[Step<'_>], expect: Expect) {
    let mut registrar = Registrar::new(RegistrarConfig {
        min_expires: 60,
        max_expires: 3600,
        default_expires: 600,
        max_bindings_per_aor: 3,
    });
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Register {
                at,
                call_id,
                cseq,
                headers,
            } => {
                let Some(request) = register(call_id, *cseq, headers) else {
                    let _ = writeln!(out, "t={at}: request did not parse");
                    continue;
                };
                let response =
                    registrar.handle_register(Time::from_millis(at * 1000), &request, "reg");
                let _ = writeln!(out, "t={at}: {} {}", response.status, response.reason);
                for header in response.headers.iter() {
                    if matches!(header.name.as_str(), "Contact" | "Min-Expires") {
                        let _ = writeln!(out, "  {}: {}", header.name, header.value);
                    }
                }
            }
            Step::Lookup { at, aor } => {
                let Ok(uri) = Uri::parse(aor) else {
                    let _ = writeln!(out, "bad aor");
                    continue;
                };
                let found = registrar.lookup(Time::from_millis(at * 1000), &uri);
                let _ = writeln!(out, "t={at}: lookup {aor} -> {} binding(s)", found.len());
                for binding in found {
                    let _ = writeln!(
                        out,
                        "  {} until {}s",
                        binding.contact,
                        binding.expires_at.as_secs()
                    );
                }
            }
            Step::Expire { at } => {
                let removed = registrar.expire(Time::from_millis(at * 1000));
                let _ = writeln!(out, "t={at}: expired {}", removed.len());
                for (aor, binding) in removed {
                    let _ = writeln!(out, "  {aor} {}", binding.contact);
                }
                let next = registrar.next_expiry().map(Time::as_secs);
                let _ = writeln!(out, "  next expiry {next:?}");
            }
        }
    }
    expect.assert_eq(&out);
}

#[test]
fn add_refresh_remove() {
    check(
        &[
            Step::Register {
                at: 0,
                call_id: "c1",
                cseq: 1,
                headers: "Contact: <sip:alice@192.0.2.4:5060>;q=0.5\r\nExpires: 120\r\n",
            },
            Step::Register {
                at: 10,
                call_id: "c2",
                cseq: 1,
                headers: "Contact: <sip:alice@198.51.100.9>;expires=7200, <sip:alice@198.51.100.10>\r\n",
            },
            // A query (no Contact) lists bindings without changing them.
            Step::Register {
                at: 20,
                call_id: "c1",
                cseq: 2,
                headers: "",
            },
            // Users are case-sensitive, hosts are not.
            Step::Lookup {
                at: 20,
                aor: "sip:Alice@pbx.EXAMPLE",
            },
            Step::Lookup {
                at: 20,
                aor: "sip:alice@pbx.example",
            },
            // Refresh with the same Call-ID and a higher CSeq.
            Step::Register {
                at: 100,
                call_id: "c1",
                cseq: 3,
                headers: "Contact: <sip:alice@192.0.2.4:5060>;q=0.5;expires=300\r\n",
            },
            // Out-of-order CSeq for the same Call-ID is refused.
            Step::Register {
                at: 101,
                call_id: "c1",
                cseq: 2,
                headers: "Contact: <sip:alice@192.0.2.4:5060>;expires=0\r\n",
            },
            // Remove one binding.
            Step::Register {
                at: 110,
                call_id: "c2",
                cseq: 2,
                headers: "Contact: <sip:alice@198.51.100.10>\r\nExpires: 0\r\n",
            },
            Step::Expire { at: 400 },
            Step::Lookup {
                at: 400,
                aor: "sip:Alice@pbx.example",
            },
            Step::Expire { at: 3610 },
        ],
        expect![[r#"
            t=0: 200 OK
              Contact: <sip:alice@192.0.2.4:5060>;q=0.5;expires=120
            t=10: 200 OK
              Contact: <sip:alice@192.0.2.4:5060>;q=0.5;expires=110
              Contact: <sip:alice@198.51.100.9>;expires=3600
              Contact: <sip:alice@198.51.100.10>;expires=600
            t=20: 200 OK
              Contact: <sip:alice@192.0.2.4:5060>;q=0.5;expires=100
              Contact: <sip:alice@198.51.100.9>;expires=3590
              Contact: <sip:alice@198.51.100.10>;expires=590
            t=20: lookup sip:Alice@pbx.EXAMPLE -> 3 binding(s)
              <sip:alice@198.51.100.9> until 3610s
              <sip:alice@198.51.100.10> until 610s
              <sip:alice@192.0.2.4:5060>;q=0.5 until 120s
            t=20: lookup sip:alice@pbx.example -> 0 binding(s)
            t=100: 200 OK
              Contact: <sip:alice@192.0.2.4:5060>;q=0.5;expires=300
              Contact: <sip:alice@198.51.100.9>;expires=3510
              Contact: <sip:alice@198.51.100.10>;expires=510
            t=101: 500 Server Internal Error
            t=110: 200 OK
              Contact: <sip:alice@192.0.2.4:5060>;q=0.5;expires=290
              Contact: <sip:alice@198.51.100.9>;expires=3500
            t=400: expired 1
              sip:Alice@pbx.example <sip:alice@192.0.2.4:5060>;q=0.5
              next expiry Some(3610)
            t=400: lookup sip:Alice@pbx.example -> 1 binding(s)
              <sip:alice@198.51.100.9> until 3610s
            t=3610: expired 1
              sip:Alice@pbx.example <sip:alice@198.51.100.9>
              next expiry None
        "#]],
    );
}

#[test]
fn interval_too_brief_and_wildcard() {
    check(
        &[
            Step::Register {
                at: 0,
                call_id: "c1",
                cseq: 1,
                headers: "Contact: <sip:alice@192.0.2.4>\r\nExpires: 30\r\n",
            },
            Step::Register {
                at: 0,
                call_id: "c1",
                cseq: 2,
                headers: "Contact: <sip:alice@192.0.2.4>;expires=280297596632815\r\n",
            },
            Step::Register {
                at: 1,
                call_id: "c1",
                cseq: 3,
                headers: "Contact: <sip:alice@192.0.2.5>;expires=soon\r\n",
            },
            // Wildcard needs Expires: 0.
            Step::Register {
                at: 2,
                call_id: "c9",
                cseq: 1,
                headers: "Contact: *\r\n",
            },
            Step::Register {
                at: 2,
                call_id: "c9",
                cseq: 2,
                headers: "Contact: *\r\nExpires: 0\r\n",
            },
            Step::Lookup {
                at: 2,
                aor: "sip:Alice@pbx.example",
            },
        ],
        expect![[r#"
            t=0: 423 Interval Too Brief
              Min-Expires: 60
            t=0: 200 OK
              Contact: <sip:alice@192.0.2.4>;expires=3600
            t=1: 400 Bad Request
            t=2: 400 Bad Request
            t=2: 200 OK
            t=2: lookup sip:Alice@pbx.example -> 0 binding(s)
        "#]],
    );
}

#[test]
fn binding_limit() {
    check(
        &[
            Step::Register {
                at: 0,
                call_id: "c1",
                cseq: 1,
                headers: "Contact: <sip:a@h1>, <sip:a@h2>, <sip:a@h3>\r\n",
            },
            Step::Register {
                at: 1,
                call_id: "c2",
                cseq: 1,
                headers: "Contact: <sip:a@h4>\r\n",
            },
            Step::Register {
                at: 2,
                call_id: "c2",
                cseq: 2,
                headers: "Contact: <sip:a@h4>\r\nContact: <sip:a@h1>;expires=0\r\n",
            },
        ],
        expect![[r#"
            t=0: 200 OK
              Contact: <sip:a@h1>;expires=600
              Contact: <sip:a@h2>;expires=600
              Contact: <sip:a@h3>;expires=600
            t=1: 403 Forbidden
            t=2: 200 OK
              Contact: <sip:a@h2>;expires=598
              Contact: <sip:a@h3>;expires=598
              Contact: <sip:a@h4>;expires=600
        "#]],
    );
}
