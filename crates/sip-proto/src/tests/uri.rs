//! URI parsing, printing and comparison tests.

use std::fmt::Write;

use expect_test::{Expect, expect};

use crate::uri::Uri;

/// Each line is a URI, or two URIs separated by ` == ` to compare.
fn check(input: &str, expect: Expect) {
    let mut out = String::new();
    for line in input.lines().filter(|line| !line.is_empty()) {
        if let Some((left, right)) = line.split_once(" == ") {
            let result = Uri::parse(left)
                .and_then(|left| Uri::parse(right).map(|right| left.equivalent(&right)));
            let _ = writeln!(out, "{line}: {result:?}");
            continue;
        }
        match Uri::parse(line) {
            Ok(uri) => {
                let params: Vec<String> = uri
                    .params
                    .iter()
                    .map(|(name, value)| format!("{name}={}", value.unwrap_or("-")))
                    .collect();
                let _ = writeln!(
                    out,
                    "{line}\n  {:?} user={:?} ({:?}) password={:?} host={} port={:?} params={params:?} headers={:?}\n  prints {}",
                    uri.scheme,
                    uri.user,
                    uri.user_unescaped(),
                    uri.password,
                    uri.host,
                    uri.port,
                    uri.headers,
                    uri
                );
            }
            Err(error) => {
                let _ = writeln!(out, "{line}\n  error: {error}");
            }
        }
    }
    expect.assert_eq(&out);
}

#[test]
fn parse_and_print() {
    check(
        r#"
sip:alice@pbx.example
SIPS:bob:pw@[2001:db8::1]:5061;transport=tls;lr?subject=hi&priority=urgent
sip:[::1]
sip:%61lice@h
tel:+359-32-601-111;phone-context=+359
sip:user;par=u%40example.net@example.com
sip:a@h:0
sip:a@h:
sip:a@h:99999
sip:a@[::1]x
sip:a@[zz]
sip:a@h;;x
sip:a@h?noequals
sip:a@h%
sip:@h
sip:a b@h
1sip:a@h
tel:
tel:abc!
urn:service:sos
"#,
        expect![[r#"
            sip:alice@pbx.example
              Sip user=Some("alice") (Some("alice")) password=None host=pbx.example port=None params=[] headers=[]
              prints sip:alice@pbx.example
            SIPS:bob:pw@[2001:db8::1]:5061;transport=tls;lr?subject=hi&priority=urgent
              Sips user=Some("bob") (Some("bob")) password=Some("pw") host=[2001:db8::1] port=Some(5061) params=["transport=tls", "lr=-"] headers=[("subject", "hi"), ("priority", "urgent")]
              prints sips:bob:pw@[2001:db8::1]:5061;transport=tls;lr?subject=hi&priority=urgent
            sip:[::1]
              Sip user=None (None) password=None host=[::1] port=None params=[] headers=[]
              prints sip:[::1]
            sip:%61lice@h
              Sip user=Some("%61lice") (Some("alice")) password=None host=h port=None params=[] headers=[]
              prints sip:%61lice@h
            tel:+359-32-601-111;phone-context=+359
              Tel user=Some("+359-32-601-111") (Some("+359-32-601-111")) password=None host= port=None params=["phone-context=+359"] headers=[]
              prints tel:+359-32-601-111;phone-context=+359
            sip:user;par=u%40example.net@example.com
              Sip user=Some("user;par=u%40example.net") (Some("user;par=u@example.net")) password=None host=example.com port=None params=[] headers=[]
              prints sip:user;par=u%40example.net@example.com
            sip:a@h:0
              Sip user=Some("a") (Some("a")) password=None host=h port=Some(0) params=[] headers=[]
              prints sip:a@h:0
            sip:a@h:
              error: bad uri: bad port
            sip:a@h:99999
              error: bad uri: bad port
            sip:a@[::1]x
              error: bad uri: junk after ipv6 reference
            sip:a@[zz]
              error: bad uri: bad ipv6 reference
            sip:a@h;;x
              error: bad uri: empty parameter
            sip:a@h?noequals
              error: bad uri: uri header without '='
            sip:a@h%
              error: bad uri: bad host
            sip:@h
              error: bad uri: empty user
            sip:a b@h
              error: bad uri: forbidden character
            1sip:a@h
              error: bad uri: bad scheme
            tel:
              error: bad uri: bad telephone number
            tel:abc!
              error: bad uri: bad telephone number
            urn:service:sos
              Other("urn") user=None (None) password=None host=service:sos port=None params=[] headers=[]
              prints urn:service:sos
        "#]],
    );
}

#[test]
fn equivalence() {
    check(
        r#"
sip:alice@PBX.example == sip:alice@pbx.example
sip:%61lice@pbx.example == sip:alice@pbx.example
sip:Alice@pbx.example == sip:alice@pbx.example
sip:alice@pbx.example:5060 == sip:alice@pbx.example
sip:alice@pbx.example;transport=TCP == sip:alice@pbx.example;transport=tcp
sip:alice@pbx.example;transport=tcp == sip:alice@pbx.example
sip:alice@pbx.example;foo=bar == sip:alice@pbx.example
sips:alice@pbx.example == sip:alice@pbx.example
"#,
        expect![[r#"
            sip:alice@PBX.example == sip:alice@pbx.example: Ok(true)
            sip:%61lice@pbx.example == sip:alice@pbx.example: Ok(true)
            sip:Alice@pbx.example == sip:alice@pbx.example: Ok(false)
            sip:alice@pbx.example:5060 == sip:alice@pbx.example: Ok(false)
            sip:alice@pbx.example;transport=TCP == sip:alice@pbx.example;transport=tcp: Ok(true)
            sip:alice@pbx.example;transport=tcp == sip:alice@pbx.example: Ok(false)
            sip:alice@pbx.example;foo=bar == sip:alice@pbx.example: Ok(true)
            sips:alice@pbx.example == sip:alice@pbx.example: Ok(false)
        "#]],
    );
}
