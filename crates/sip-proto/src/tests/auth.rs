//! Digest authentication tests: RFC 2617 and RFC 7616 vectors, HMAC
//! vector (RFC 4231), and scripted server verification on virtual time.

use std::fmt::Write;
use std::time::Duration;

use expect_test::{Expect, expect};

use crate::auth::{Algorithm, Authenticator, Secret, hmac_sha256, respond};
use crate::header::AuthHeader;
use crate::rng::Rng;
use crate::time::Time;

enum Step<'a> {
    /// Issue challenges at `at` ms.
    Challenge { at: u64, stale: bool },
    /// Answer challenge number `index` of the last batch and verify.
    Verify {
        at: u64,
        index: usize,
        password: &'a str,
        nc: u32,
        uri: &'a str,
    },
    /// Verify credentials given as a header value.
    VerifyRaw { at: u64, value: &'a str },
}

enum Input<'a> {
    /// Client response to a challenge header value.
    Client {
        challenge: &'a str,
        method: &'a str,
        uri: &'a str,
        username: &'a str,
        password: &'a str,
        nc: u32,
        cnonce: &'a str,
    },
    /// Server script for user `alice` with password `secret`.
    Server {
        algorithms: &'a [Algorithm],
        steps: &'a [Step<'a>],
    },
    /// HMAC-SHA256 of `(key, data)`.
    Hmac { key: &'a [u8], data: &'a [u8] },
}

fn check(input: Input<'_>, expect: Expect) {
    let mut out = String::new();
    match input {
        Input::Client {
            challenge,
            method,
            uri,
            username,
            password,
            nc,
            cnonce,
        } => {
            let result = AuthHeader::parse(challenge)
                .map_err(str::to_owned)
                .and_then(|challenge| {
                    respond(&challenge, method, uri, username, password, nc, cnonce)
                        .map_err(|error| error.to_string())
                });
            match result {
                Ok(credentials) => {
                    let _ = writeln!(out, "{credentials}");
                }
                Err(error) => {
                    let _ = writeln!(out, "error: {error}");
                }
            }
        }
        Input::Server { algorithms, steps } => {
            let mut server = Authenticator::new(
                "pbx.example",
                b"config-secret",
                Duration::from_secs(300),
                algorithms,
            );
            let mut rng = Rng::new(1);
            let mut challenges = Vec::new();
            for step in steps {
                match step {
                    Step::Challenge { at, stale } => {
                        challenges = server.challenges(Time::from_millis(*at), &mut rng, *stale);
                        for challenge in &challenges {
                            let _ = writeln!(out, "challenge: {challenge}");
                        }
                    }
                    Step::Verify {
                        at,
                        index,
                        password,
                        nc,
                        uri,
                    } => {
                        let Some(challenge) = challenges.get(*index) else {
                            let _ = writeln!(out, "no challenge {index}");
                            continue;
                        };
                        let credentials =
                            respond(challenge, "REGISTER", uri, "alice", password, *nc, "cn0nce");
                        match credentials {
                            Ok(credentials) => verify(&mut out, &mut server, *at, &credentials),
                            Err(error) => {
                                let _ = writeln!(out, "respond error: {error}");
                            }
                        }
                    }
                    Step::VerifyRaw { at, value } => match AuthHeader::parse(value) {
                        Ok(credentials) => verify(&mut out, &mut server, *at, &credentials),
                        Err(error) => {
                            let _ = writeln!(out, "parse error: {error}");
                        }
                    },
                }
            }
        }
        Input::Hmac { key, data } => {
            let mac = hmac_sha256(key, data);
            let _ = writeln!(
                out,
                "{}",
                mac.iter()
                    .map(|byte| format!("{byte:02x}"))
                    .collect::<String>()
            );
        }
    }
    expect.assert_eq(&out);
}

fn verify(out: &mut String, server: &mut Authenticator, at: u64, credentials: &AuthHeader) {
    let result = server.verify(
        Time::from_millis(at),
        "REGISTER",
        "sip:pbx.example",
        credentials,
        |user| (user == "alice").then_some(Secret::Password("secret")),
    );
    let nc = credentials.get("nc").unwrap_or("-");
    match result {
        Ok(verified) => {
            let _ = writeln!(
                out,
                "t={at} nc={nc}: ok {} {}",
                verified.username,
                verified.algorithm.as_str()
            );
        }
        Err(error) => {
            let _ = writeln!(out, "t={at} nc={nc}: {error} (stale {})", error.is_stale());
        }
    }
}

#[test]
fn rfc2617_section_3_5_vector() {
    // Expected response: 6629fae49393a05397450978507c4ef1.
    check(
        Input::Client {
            challenge: r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
            method: "GET",
            uri: "/dir/index.html",
            username: "Mufasa",
            password: "Circle Of Life",
            nc: 1,
            cnonce: "0a4f113b",
        },
        expect![[r#"
            Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", response="6629fae49393a05397450978507c4ef1", qop=auth, nc=00000001, cnonce="0a4f113b", opaque="5ccc069c403ebaf9f0171e9517f40e41"
        "#]],
    );
}

#[test]
fn rfc7616_section_3_9_1_vectors() {
    // Expected responses: 8ca523f5e9506fed4657c9700eebdbec (MD5) and
    // 753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1.
    for algorithm in ["MD5", "SHA-256"] {
        let challenge = format!(
            r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm={algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#
        );
        let expect = if algorithm == "MD5" {
            expect![[r#"
                Digest username="Mufasa", realm="http-auth@example.org", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", uri="/dir/index.html", response="8ca523f5e9506fed4657c9700eebdbec", algorithm=MD5, qop=auth, nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
            "#]]
        } else {
            expect![[r#"
                Digest username="Mufasa", realm="http-auth@example.org", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", uri="/dir/index.html", response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
            "#]]
        };
        check(
            Input::Client {
                challenge: &challenge,
                method: "GET",
                uri: "/dir/index.html",
                username: "Mufasa",
                password: "Circle of Life",
                nc: 1,
                cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            },
            expect,
        );
    }
}

#[test]
fn client_errors_and_rfc2069() {
    check(
        Input::Client {
            challenge: r#"Digest realm="r", nonce="n", algorithm=MD5-sess, qop="auth""#,
            method: "INVITE",
            uri: "sip:a@b",
            username: "u",
            password: "p",
            nc: 1,
            cnonce: "c",
        },
        expect![[r#"
            error: unsupported digest algorithm
        "#]],
    );
    check(
        Input::Client {
            challenge: r#"Digest realm="r", nonce="n""#,
            method: "INVITE",
            uri: "sip:a@b",
            username: "u",
            password: "p",
            nc: 1,
            cnonce: "c",
        },
        expect![[r#"
            Digest username="u", realm="r", nonce="n", uri="sip:a@b", response="268f5a320f4c7be8a96bd7b8aa197d6b"
        "#]],
    );
}

#[test]
fn hmac_rfc4231_case_2() {
    // Expected: 5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843.
    check(
        Input::Hmac {
            key: b"Jefe",
            data: b"what do ya want for nothing?",
        },
        expect![[r#"
        5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843
    "#]],
    );
}

#[test]
fn server_flow() {
    let uri = "sip:pbx.example";
    check(
        Input::Server {
            algorithms: &[Algorithm::Sha256, Algorithm::Md5],
            steps: &[
                Step::Challenge {
                    at: 1_000,
                    stale: false,
                },
                Step::Verify {
                    at: 2_000,
                    index: 0,
                    password: "secret",
                    nc: 1,
                    uri,
                },
                // Replay of the same nonce-count.
                Step::Verify {
                    at: 2_500,
                    index: 0,
                    password: "secret",
                    nc: 1,
                    uri,
                },
                Step::Verify {
                    at: 3_000,
                    index: 1,
                    password: "secret",
                    nc: 2,
                    uri,
                },
                Step::Verify {
                    at: 3_000,
                    index: 1,
                    password: "wrong",
                    nc: 3,
                    uri,
                },
                Step::Verify {
                    at: 3_000,
                    index: 1,
                    password: "secret",
                    nc: 4,
                    uri: "sip:other.example",
                },
                // 300 s lifetime: still fresh at 301 s, stale after.
                Step::Verify {
                    at: 301_000,
                    index: 0,
                    password: "secret",
                    nc: 5,
                    uri,
                },
                Step::Verify {
                    at: 301_001,
                    index: 0,
                    password: "secret",
                    nc: 6,
                    uri,
                },
                Step::Verify {
                    at: 301_001,
                    index: 0,
                    password: "wrong",
                    nc: 7,
                    uri,
                },
                Step::Challenge {
                    at: 301_001,
                    stale: true,
                },
                Step::Verify {
                    at: 302_000,
                    index: 0,
                    password: "secret",
                    nc: 1,
                    uri,
                },
                // Forged and foreign nonces, bad parameters.
                Step::VerifyRaw {
                    at: 302_000,
                    value: r#"Digest username="alice", realm="pbx.example", nonce="0000000000000000000000000000000000000000000000000000000000000000", uri="sip:pbx.example", response="00", qop=auth, nc=00000001, cnonce="x""#,
                },
                Step::VerifyRaw {
                    at: 302_000,
                    value: r#"Digest username="alice", realm="other", nonce="n", uri="sip:pbx.example", response="00", qop=auth, nc=00000001, cnonce="x""#,
                },
                Step::VerifyRaw {
                    at: 302_000,
                    value: r#"Digest username="alice", realm="pbx.example", nonce="n", uri="sip:pbx.example", response="00""#,
                },
                Step::VerifyRaw {
                    at: 302_000,
                    value: r#"Digest username="alice", realm="pbx.example", nonce="n", uri="sip:pbx.example", response="00", qop=auth, nc=1, cnonce="x""#,
                },
                Step::VerifyRaw {
                    at: 302_000,
                    value: r#"Basic YWxpY2U6c2VjcmV0"#,
                },
            ],
        },
        expect![[r#"
            challenge: Digest realm="pbx.example", nonce="00000000000003e84b46a55df3611b9b1260521a6ebf106001b476be358c9460", algorithm=SHA-256, qop="auth"
            challenge: Digest realm="pbx.example", nonce="00000000000003e84b46a55df3611b9b1260521a6ebf106001b476be358c9460", algorithm=MD5, qop="auth"
            t=2000 nc=00000001: ok alice SHA-256
            t=2500 nc=00000001: nonce count did not increase (stale false)
            t=3000 nc=00000002: ok alice MD5
            t=3000 nc=00000003: wrong digest response (stale false)
            t=3000 nc=00000004: digest uri does not match request uri (stale false)
            t=301000 nc=00000005: ok alice SHA-256
            t=301001 nc=00000006: nonce expired (stale true)
            t=301001 nc=00000007: wrong digest response (stale false)
            challenge: Digest realm="pbx.example", nonce="00000000000497c9d7e1f1410e763ef4ce63d859fd266d0af105913d170414db", algorithm=SHA-256, qop="auth", stale=true
            challenge: Digest realm="pbx.example", nonce="00000000000497c9d7e1f1410e763ef4ce63d859fd266d0af105913d170414db", algorithm=MD5, qop="auth", stale=true
            t=302000 nc=00000001: ok alice SHA-256
            t=302000 nc=00000001: nonce not issued by this server (stale false)
            t=302000 nc=00000001: realm mismatch (stale false)
            t=302000 nc=-: missing digest parameter qop (stale false)
            t=302000 nc=1: missing digest parameter nc (stale false)
            parse error: bad auth-param
        "#]],
    );
}

#[test]
fn server_refuses_unconfigured_algorithm() {
    check(
        Input::Server {
            algorithms: &[Algorithm::Sha256],
            steps: &[
                Step::Challenge {
                    at: 0,
                    stale: false,
                },
                Step::VerifyRaw {
                    at: 10,
                    value: r#"Digest username="alice", realm="pbx.example", nonce="n", uri="sip:pbx.example", response="00", qop=auth, nc=00000001, cnonce="x""#,
                },
            ],
        },
        expect![[r#"
            challenge: Digest realm="pbx.example", nonce="00000000000000004b46a55df3611b9bddd8a438e0c440699ee30fe26306c726", algorithm=SHA-256, qop="auth"
            t=10 nc=00000001: unsupported digest algorithm (stale false)
        "#]],
    );
}
