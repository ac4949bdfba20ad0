//! Digest authentication (RFC 2617, RFC 7616, RFC 8760 for SIP): server
//! challenges with stateless, self-checking nonces, verification with
//! nonce-count replay protection, and client responses.
//!
//! A nonce is `hex(issued_millis) hex(random) hex(hmac)` where the HMAC
//! (SHA-256) covers the first two parts under a server secret, so any
//! nonce can be checked and dated without storing it. Only the highest
//! nonce-count seen per nonce is stored, and only until the nonce expires.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use md5::Md5;
use sha2::{Digest, Sha256, Sha512_256};

use crate::header::{AuthHeader, AuthParam};
use crate::rng::Rng;
use crate::time::Time;

/// A digest hash algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// `MD5` (the default when `algorithm` is absent).
    Md5,
    /// `SHA-256` (RFC 7616, RFC 8760).
    Sha256,
    /// `SHA-512-256` (RFC 7616, RFC 8760).
    Sha512_256,
}

impl Algorithm {
    /// The token used in the `algorithm` parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha512_256 => "SHA-512-256",
        }
    }

    /// Parses an `algorithm` value; `None` for unsupported ones (including
    /// the `-sess` variants).
    pub fn from_name(name: &str) -> Option<Algorithm> {
        [Algorithm::Md5, Algorithm::Sha256, Algorithm::Sha512_256]
            .into_iter()
            .find(|algorithm| algorithm.as_str().eq_ignore_ascii_case(name))
    }

    /// Lower-case hex of the hash of `data`.
    pub fn hash_hex(self, data: &str) -> String {
        match self {
            Algorithm::Md5 => hex(&Md5::digest(data.as_bytes())),
            Algorithm::Sha256 => hex(&Sha256::digest(data.as_bytes())),
            Algorithm::Sha512_256 => hex(&Sha512_256::digest(data.as_bytes())),
        }
    }
}

/// Why credentials were refused (or could not be produced).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// The scheme is not Digest.
    NotDigest,
    /// A required parameter is absent.
    MissingParam(&'static str),
    /// The realm is not ours.
    RealmMismatch,
    /// The algorithm is not supported.
    UnsupportedAlgorithm,
    /// The qop is not `auth`.
    UnsupportedQop,
    /// The nonce was not issued by us (or was tampered with).
    BadNonce,
    /// The nonce expired; the credentials were otherwise right, so
    /// challenge again with `stale=true`.
    StaleNonce,
    /// The nonce-count did not increase: a replay.
    Replay,
    /// The `uri` parameter does not match the Request-URI.
    UriMismatch,
    /// The response hash is wrong (wrong password or user).
    BadResponse,
}

impl AuthError {
    /// Whether the fresh challenge should carry `stale=true`.
    pub fn is_stale(&self) -> bool {
        matches!(self, AuthError::StaleNonce)
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::NotDigest => write!(f, "authorization scheme is not digest"),
            AuthError::MissingParam(name) => write!(f, "missing digest parameter {name}"),
            AuthError::RealmMismatch => write!(f, "realm mismatch"),
            AuthError::UnsupportedAlgorithm => write!(f, "unsupported digest algorithm"),
            AuthError::UnsupportedQop => write!(f, "unsupported qop"),
            AuthError::BadNonce => write!(f, "nonce not issued by this server"),
            AuthError::StaleNonce => write!(f, "nonce expired"),
            AuthError::Replay => write!(f, "nonce count did not increase"),
            AuthError::UriMismatch => write!(f, "digest uri does not match request uri"),
            AuthError::BadResponse => write!(f, "wrong digest response"),
        }
    }
}

impl std::error::Error for AuthError {}

/// What the server knows about a user's password.
#[derive(Debug, Clone, Copy)]
pub enum Secret<'a> {
    /// The clear-text password.
    Password(&'a str),
    /// Precomputed `H(username:realm:password)` for the algorithm in use.
    Ha1(&'a str),
}

/// The inputs of a digest response computation.
#[derive(Debug, Clone, Copy)]
pub struct DigestInput<'a> {
    /// Hash algorithm.
    pub algorithm: Algorithm,
    /// User name.
    pub username: &'a str,
    /// Realm.
    pub realm: &'a str,
    /// Password or HA1.
    pub secret: Secret<'a>,
    /// Request method.
    pub method: &'a str,
    /// The `uri` parameter (digest-uri).
    pub uri: &'a str,
    /// Server nonce.
    pub nonce: &'a str,
    /// `Some((nc, cnonce))` for `qop=auth`, `None` for RFC 2069 style.
    pub qop_auth: Option<(u32, &'a str)>,
}

/// Computes the `response` parameter (RFC 7616 section 3.4.1, qop=auth
/// or none).
pub fn compute_response(input: &DigestInput<'_>) -> String {
    let algorithm = input.algorithm;
    let ha1 = match input.secret {
        Secret::Password(password) => {
            algorithm.hash_hex(&format!("{}:{}:{password}", input.username, input.realm))
        }
        Secret::Ha1(ha1) => ha1.to_ascii_lowercase(),
    };
    let ha2 = algorithm.hash_hex(&format!("{}:{}", input.method, input.uri));
    match input.qop_auth {
        Some((nc, cnonce)) => algorithm.hash_hex(&format!(
            "{ha1}:{}:{nc:08x}:{cnonce}:auth:{ha2}",
            input.nonce
        )),
        None => algorithm.hash_hex(&format!("{ha1}:{}:{ha2}", input.nonce)),
    }
}

/// Client side: answers `challenge` for a request. `nc` is the number of
/// requests already sent with this nonce plus one; `cnonce` comes from
/// the caller's RNG.
pub fn respond(
    challenge: &AuthHeader,
    method: &str,
    uri: &str,
    username: &str,
    password: &str,
    nc: u32,
    cnonce: &str,
) -> Result<AuthHeader, AuthError> {
    if !challenge.scheme.eq_ignore_ascii_case("Digest") {
        return Err(AuthError::NotDigest);
    }
    let realm = challenge
        .get("realm")
        .ok_or(AuthError::MissingParam("realm"))?;
    let nonce = challenge
        .get("nonce")
        .ok_or(AuthError::MissingParam("nonce"))?;
    let algorithm_name = challenge.get("algorithm");
    let algorithm = match algorithm_name {
        None => Algorithm::Md5,
        Some(name) => Algorithm::from_name(name).ok_or(AuthError::UnsupportedAlgorithm)?,
    };
    let use_qop = match challenge.get("qop") {
        None => false,
        Some(list) => {
            if !list
                .split(',')
                .any(|qop| qop.trim().eq_ignore_ascii_case("auth"))
            {
                return Err(AuthError::UnsupportedQop);
            }
            true
        }
    };
    let response = compute_response(&DigestInput {
        algorithm,
        username,
        realm,
        secret: Secret::Password(password),
        method,
        uri,
        nonce,
        qop_auth: use_qop.then_some((nc, cnonce)),
    });
    let mut params = vec![
        quoted("username", username),
        quoted("realm", realm),
        quoted("nonce", nonce),
        quoted("uri", uri),
        quoted("response", &response),
    ];
    if let Some(name) = algorithm_name {
        params.push(bare("algorithm", name));
    }
    if use_qop {
        params.push(bare("qop", "auth"));
        params.push(bare("nc", &format!("{nc:08x}")));
        params.push(quoted("cnonce", cnonce));
    }
    if let Some(opaque) = challenge.get("opaque") {
        params.push(quoted("opaque", opaque));
    }
    Ok(AuthHeader {
        scheme: "Digest".to_owned(),
        params,
    })
}

fn quoted(name: &str, value: &str) -> AuthParam {
    AuthParam {
        name: name.to_owned(),
        value: value.to_owned(),
        quoted: true,
    }
}

fn bare(name: &str, value: &str) -> AuthParam {
    AuthParam {
        name: name.to_owned(),
        value: value.to_owned(),
        quoted: false,
    }
}

/// Server side: issues challenges and verifies credentials for one realm.
#[derive(Debug)]
pub struct Authenticator {
    realm: String,
    secret: Vec<u8>,
    nonce_lifetime: Duration,
    algorithms: Vec<Algorithm>,
    /// Highest nonce-count accepted per nonce, with the nonce's issue time.
    counts: HashMap<String, (Time, u32)>,
}

/// Verified credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The authenticated user name.
    pub username: String,
    /// The algorithm used.
    pub algorithm: Algorithm,
}

impl Authenticator {
    /// An authenticator for `realm`. `secret` keys the nonce HMAC and must
    /// come from configuration; `algorithms` lists the challenges to send,
    /// preferred first (RFC 8760: SHA-256 before MD5).
    pub fn new(
        realm: &str,
        secret: &[u8],
        nonce_lifetime: Duration,
        algorithms: &[Algorithm],
    ) -> Authenticator {
        Authenticator {
            realm: realm.to_owned(),
            secret: secret.to_vec(),
            nonce_lifetime,
            algorithms: algorithms.to_vec(),
            counts: HashMap::new(),
        }
    }

    /// One `WWW-Authenticate` value per configured algorithm, sharing a
    /// fresh nonce. Pass `stale` after [`AuthError::StaleNonce`].
    pub fn challenges(&mut self, now: Time, rng: &mut Rng, stale: bool) -> Vec<AuthHeader> {
        let nonce = self.make_nonce(now, rng.next_u64());
        self.algorithms
            .iter()
            .map(|algorithm| {
                let mut params = vec![
                    quoted("realm", &self.realm),
                    quoted("nonce", &nonce),
                    bare("algorithm", algorithm.as_str()),
                    quoted("qop", "auth"),
                ];
                if stale {
                    params.push(bare("stale", "true"));
                }
                AuthHeader {
                    scheme: "Digest".to_owned(),
                    params,
                }
            })
            .collect()
    }

    /// Verifies `credentials` sent with a request `method request_uri`.
    /// `lookup` returns the secret for a user name, `None` if unknown.
    pub fn verify<'a>(
        &mut self,
        now: Time,
        method: &str,
        request_uri: &str,
        credentials: &AuthHeader,
        lookup: impl FnOnce(&str) -> Option<Secret<'a>>,
    ) -> Result<Verified, AuthError> {
        if !credentials.scheme.eq_ignore_ascii_case("Digest") {
            return Err(AuthError::NotDigest);
        }
        let param = |name: &'static str| credentials.get(name).ok_or(AuthError::MissingParam(name));
        let username = param("username")?;
        let realm = param("realm")?;
        let nonce = param("nonce")?;
        let uri = param("uri")?;
        let response = param("response")?;
        if realm != self.realm {
            return Err(AuthError::RealmMismatch);
        }
        let algorithm = match credentials.get("algorithm") {
            None => Algorithm::Md5,
            Some(name) => Algorithm::from_name(name).ok_or(AuthError::UnsupportedAlgorithm)?,
        };
        if !self.algorithms.contains(&algorithm) {
            return Err(AuthError::UnsupportedAlgorithm);
        }
        if !param("qop")?.eq_ignore_ascii_case("auth") {
            return Err(AuthError::UnsupportedQop);
        }
        let nc_text = param("nc")?;
        let cnonce = param("cnonce")?;
        let nc = (nc_text.len() == 8)
            .then(|| u32::from_str_radix(nc_text, 16).ok())
            .flatten()
            .ok_or(AuthError::MissingParam("nc"))?;
        let same_uri = uri == request_uri
            || matches!(
                (crate::uri::Uri::parse(uri), crate::uri::Uri::parse(request_uri)),
                (Ok(left), Ok(right)) if left.equivalent(&right)
            );
        if !same_uri {
            return Err(AuthError::UriMismatch);
        }
        let issued = self.check_nonce(nonce)?;
        let secret = lookup(username).ok_or(AuthError::BadResponse)?;
        let expected = compute_response(&DigestInput {
            algorithm,
            username,
            realm,
            secret,
            method,
            uri,
            nonce,
            qop_auth: Some((nc, cnonce)),
        });
        if !constant_time_eq(
            expected.as_bytes(),
            response.to_ascii_lowercase().as_bytes(),
        ) {
            return Err(AuthError::BadResponse);
        }
        if now.saturating_since(issued) > self.nonce_lifetime {
            return Err(AuthError::StaleNonce);
        }
        let lifetime = self.nonce_lifetime;
        self.counts
            .retain(|_, (issued, _)| now.saturating_since(*issued) <= lifetime);
        let last = self.counts.get(nonce).map_or(0, |(_, count)| *count);
        if nc <= last {
            return Err(AuthError::Replay);
        }
        self.counts.insert(nonce.to_owned(), (issued, nc));
        Ok(Verified {
            username: username.to_owned(),
            algorithm,
        })
    }

    fn make_nonce(&self, now: Time, random: u64) -> String {
        let body = format!("{:016x}{random:016x}", now.as_millis());
        let mac = hmac_sha256(&self.secret, body.as_bytes());
        format!("{body}{}", hex(mac.get(..16).unwrap_or_default()))
    }

    /// Checks a nonce's HMAC and returns its issue time.
    fn check_nonce(&self, nonce: &str) -> Result<Time, AuthError> {
        let (Some(body), Some(mac)) = (nonce.get(..32), nonce.get(32..)) else {
            return Err(AuthError::BadNonce);
        };
        let expected = hex(hmac_sha256(&self.secret, body.as_bytes())
            .get(..16)
            .unwrap_or_default());
        if !constant_time_eq(expected.as_bytes(), mac.as_bytes()) {
            return Err(AuthError::BadNonce);
        }
        let millis = body
            .get(..16)
            .and_then(|text| u64::from_str_radix(text, 16).ok())
            .ok_or(AuthError::BadNonce)?;
        Ok(Time::from_millis(millis))
    }
}

pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut key_block = [0u8; BLOCK];
    let hashed;
    let key = if key.len() > BLOCK {
        hashed = Sha256::digest(key);
        hashed.as_slice()
    } else {
        key
    };
    for (slot, byte) in key_block.iter_mut().zip(key) {
        *slot = *byte;
    }
    let mut inner = Sha256::new();
    inner.update(key_block.map(|byte| byte ^ 0x36));
    inner.update(data);
    let mut outer = Sha256::new();
    outer.update(key_block.map(|byte| byte ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
