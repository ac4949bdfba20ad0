//! Registrar bindings (RFC 3261 section 10.3): a pure map from
//! address-of-record to contacts with expiry, driven by REGISTER requests
//! and the current time.
//!
//! Authentication and domain checks happen before [`Registrar::handle_register`];
//! this module only maintains bindings and builds the response.

use std::collections::BTreeMap;

use crate::header::{Contacts, NameAddr, parse_decimal};
use crate::message::{Request, Response};
use crate::time::Time;
use crate::uri::{Uri, unescape};

/// Registrar limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrarConfig {
    /// Shortest accepted registration, in seconds (shorter gets 423).
    pub min_expires: u32,
    /// Longest granted registration; longer requests are shortened.
    pub max_expires: u32,
    /// Used when neither the contact nor the request gives an expiry.
    pub default_expires: u32,
    /// Most contacts one address-of-record may hold.
    pub max_bindings_per_aor: usize,
}

/// One registered contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The Contact as registered (URI and header parameters, without
    /// `expires`).
    pub contact: NameAddr,
    /// When the binding lapses.
    pub expires_at: Time,
    /// Call-ID of the REGISTER that created or refreshed it.
    pub call_id: String,
    /// Its CSeq number.
    pub cseq: u32,
}

/// Address-of-record to contacts.
#[derive(Debug, Clone)]
pub struct Registrar {
    config: RegistrarConfig,
    bindings: BTreeMap<String, Vec<Binding>>,
    /// The earliest `expires_at`, kept after every change so that asking costs nothing (a
    /// switch asks after every event).
    next_expiry: Option<Time>,
}

/// A change computed from one Contact before anything is applied.
enum Change {
    Remove(usize),
    Refresh(usize, Binding),
    Add(Binding),
}

impl Registrar {
    /// An empty registrar.
    pub fn new(config: RegistrarConfig) -> Registrar {
        Registrar {
            config,
            bindings: BTreeMap::new(),
            next_expiry: None,
        }
    }

    /// The canonical key of an address-of-record: scheme, unescaped user
    /// and lower-case host, without port or parameters.
    pub fn aor_key(uri: &Uri) -> String {
        let scheme = match &uri.scheme {
            crate::uri::Scheme::Sips => "sips",
            _ => "sip",
        };
        match &uri.user {
            Some(user) => format!(
                "{scheme}:{}@{}",
                unescape(user),
                uri.host.to_ascii_lowercase()
            ),
            None => format!("{scheme}:{}", uri.host.to_ascii_lowercase()),
        }
    }

    /// Processes an (already authenticated) REGISTER and returns the
    /// response to send: 200 with the current bindings, 423 with
    /// Min-Expires, or 400/403/500 for malformed or out-of-order requests.
    /// Changes are all-or-nothing.
    pub fn handle_register(&mut self, now: Time, request: &Request, to_tag: &str) -> Response {
        let reply = |status: u16| Response::to_request(request, status, Some(to_tag));
        let (Ok(to), Ok(call_id), Ok(cseq)) = (
            request.headers.to(),
            request.headers.call_id(),
            request.headers.cseq(),
        ) else {
            return reply(400);
        };
        let Ok(contacts) = request.headers.contacts() else {
            return reply(400);
        };
        let Ok(header_expires) = request.headers.expires() else {
            return reply(400);
        };
        let key = Registrar::aor_key(&to.uri);
        self.remove_expired_for(&key, now);
        let current = self.bindings.get(&key).cloned().unwrap_or_default();
        let changes = match contacts {
            None => Vec::new(),
            Some(Contacts::Wildcard) => {
                if header_expires != Some(0) {
                    return reply(400);
                }
                let mut changes = Vec::new();
                for (index, binding) in current.iter().enumerate() {
                    if binding.call_id == call_id && cseq.seq <= binding.cseq {
                        return reply(500);
                    }
                    changes.push(Change::Remove(index));
                }
                changes
            }
            Some(Contacts::Addresses(addresses)) => {
                let mut changes = Vec::new();
                for address in addresses {
                    let expires = match address.params.get("expires") {
                        Some(text) => match clamp_seconds(text) {
                            Some(seconds) => seconds,
                            None => return reply(400),
                        },
                        None => header_expires.unwrap_or(self.config.default_expires),
                    };
                    if expires != 0 && expires < self.config.min_expires {
                        let mut response = reply(423);
                        response
                            .headers
                            .push("Min-Expires", self.config.min_expires.to_string());
                        return response;
                    }
                    let granted = expires.min(self.config.max_expires);
                    let existing = current
                        .iter()
                        .position(|binding| binding.contact.uri.equivalent(&address.uri));
                    if let Some(index) = existing
                        && current.get(index).is_some_and(|binding| {
                            binding.call_id == call_id && cseq.seq <= binding.cseq
                        })
                    {
                        return reply(500);
                    }
                    let mut contact = address.clone();
                    contact.params.remove("expires");
                    let binding = Binding {
                        contact,
                        expires_at: now + std::time::Duration::from_secs(u64::from(granted)),
                        call_id: call_id.to_owned(),
                        cseq: cseq.seq,
                    };
                    match (existing, granted) {
                        (Some(index), 0) => changes.push(Change::Remove(index)),
                        (Some(index), _) => changes.push(Change::Refresh(index, binding)),
                        (None, 0) => {}
                        (None, _) => changes.push(Change::Add(binding)),
                    }
                }
                changes
            }
        };
        let mut updated: Vec<Option<Binding>> = current.into_iter().map(Some).collect();
        for change in changes {
            match change {
                Change::Remove(index) => {
                    if let Some(slot) = updated.get_mut(index) {
                        *slot = None;
                    }
                }
                Change::Refresh(index, binding) => {
                    if let Some(slot) = updated.get_mut(index) {
                        *slot = Some(binding);
                    }
                }
                Change::Add(binding) => updated.push(Some(binding)),
            }
        }
        let updated: Vec<Binding> = updated.into_iter().flatten().collect();
        if updated.len() > self.config.max_bindings_per_aor {
            return reply(403);
        }
        let mut response = reply(200);
        for binding in &updated {
            let remaining = binding.expires_at.saturating_since(now).as_secs();
            let mut contact = binding.contact.clone();
            contact.params.set("expires", Some(&remaining.to_string()));
            response.headers.push("Contact", contact.to_string());
        }
        if updated.is_empty() {
            self.bindings.remove(&key);
        } else {
            self.bindings.insert(key, updated);
        }
        self.recompute_next_expiry();
        response
    }

    /// The live bindings of an address-of-record, highest `q` first.
    pub fn lookup(&self, now: Time, aor: &Uri) -> Vec<&Binding> {
        let mut found: Vec<&Binding> = self
            .bindings
            .get(&Registrar::aor_key(aor))
            .map(|bindings| {
                bindings
                    .iter()
                    .filter(|binding| binding.expires_at > now)
                    .collect()
            })
            .unwrap_or_default();
        found.sort_by_key(|binding| std::cmp::Reverse(q_millis(&binding.contact)));
        found
    }

    /// When the next binding lapses, for the caller's timer.
    pub fn next_expiry(&self) -> Option<Time> {
        self.next_expiry
    }

    fn recompute_next_expiry(&mut self) {
        self.next_expiry = self
            .bindings
            .values()
            .flatten()
            .map(|binding| binding.expires_at)
            .min();
    }

    /// Removes and returns every binding that has lapsed by `now`.
    pub fn expire(&mut self, now: Time) -> Vec<(String, Binding)> {
        if self.next_expiry.is_none_or(|at| at > now) {
            return Vec::new();
        }
        let mut removed = Vec::new();
        for (key, bindings) in &mut self.bindings {
            let (lapsed, live): (Vec<Binding>, Vec<Binding>) = bindings
                .drain(..)
                .partition(|binding| binding.expires_at <= now);
            *bindings = live;
            removed.extend(lapsed.into_iter().map(|binding| (key.clone(), binding)));
        }
        self.bindings.retain(|_, bindings| !bindings.is_empty());
        self.recompute_next_expiry();
        removed
    }

    fn remove_expired_for(&mut self, key: &str, now: Time) {
        if let Some(bindings) = self.bindings.get_mut(key) {
            bindings.retain(|binding| binding.expires_at > now);
        }
        self.recompute_next_expiry();
    }
}

/// Parses delta-seconds, treating values beyond 32 bits as 2^32-1
/// (RFC 3261 section 20.19 / RFC 4475 3.1.2.4).
fn clamp_seconds(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    Some(parse_decimal(text).unwrap_or(u32::MAX))
}

/// `q` in thousandths (default 1.0).
fn q_millis(contact: &NameAddr) -> u32 {
    let Some(q) = contact.params.get("q") else {
        return 1000;
    };
    let (whole, fraction) = q.split_once('.').unwrap_or((q, ""));
    let whole: u32 = parse_decimal(whole).unwrap_or(0).min(1);
    let fraction: String = fraction.chars().chain("000".chars()).take(3).collect();
    (whole * 1000 + parse_decimal::<u32>(&fraction).unwrap_or(0)).min(1000)
}
