//! Dialogs (RFC 3261 section 12): identification, route set, CSeq
//! bookkeeping, target refresh, and building in-dialog requests (BYE,
//! re-INVITE, REFER, ACK for 2xx).

use std::fmt;

use crate::error::ParseError;
use crate::header::{Contacts, NameAddr, Replaces};
use crate::message::{Method, Request, Response};
use crate::rng::Rng;
use crate::uri::{Uri, escape_header_value};

/// Identifies a dialog from our side (RFC 3261 section 12).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DialogId {
    /// Call-ID.
    pub call_id: String,
    /// Our tag.
    pub local_tag: String,
    /// The peer's tag.
    pub remote_tag: String,
}

impl DialogId {
    /// The id of the dialog an incoming request belongs to (our tag is in
    /// To). `None` without both tags (not an in-dialog request).
    pub fn for_incoming_request(request: &Request) -> Option<DialogId> {
        let to = request.headers.to().ok()?;
        let from = request.headers.from().ok()?;
        Some(DialogId {
            call_id: request.headers.call_id().ok()?.to_owned(),
            local_tag: to.tag()?.to_owned(),
            remote_tag: from.tag()?.to_owned(),
        })
    }

    /// The id of the dialog a response to our request belongs to.
    pub fn for_response(response: &Response) -> Option<DialogId> {
        let to = response.headers.to().ok()?;
        let from = response.headers.from().ok()?;
        Some(DialogId {
            call_id: response.headers.call_id().ok()?.to_owned(),
            local_tag: from.tag()?.to_owned(),
            remote_tag: to.tag()?.to_owned(),
        })
    }

    /// Whether a Replaces header (RFC 3891) names this dialog. Replaces
    /// is written from the sender's view of the other party's dialog, so
    /// its to-tag is our local tag and its from-tag the remote one.
    pub fn matches_replaces(&self, replaces: &Replaces) -> bool {
        self.call_id == replaces.call_id
            && self.local_tag == replaces.to_tag
            && self.remote_tag == replaces.from_tag
    }
}

/// Dialog state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogState {
    /// Created by a provisional response with a To tag.
    Early,
    /// Created or confirmed by a 2xx.
    Confirmed,
}

/// Why a dialog could not be created or updated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogError {
    /// A header needed for the dialog is malformed or absent.
    Header(ParseError),
    /// The To (UAC side) or From (UAS side) has no tag.
    MissingTag,
    /// No single Contact to use as remote target.
    MissingContact,
    /// The response cannot create a dialog (not 101-299).
    NotDialogCreating,
    /// An in-dialog request's CSeq is not above the last one (answer 500).
    CSeqOutOfOrder {
        /// The last remote CSeq seen.
        last: u32,
        /// The CSeq received.
        received: u32,
    },
}

impl fmt::Display for DialogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DialogError::Header(error) => write!(f, "dialog header: {error}"),
            DialogError::MissingTag => write!(f, "missing dialog tag"),
            DialogError::MissingContact => write!(f, "missing contact for remote target"),
            DialogError::NotDialogCreating => write!(f, "response does not create a dialog"),
            DialogError::CSeqOutOfOrder { last, received } => {
                write!(f, "cseq {received} not above last remote cseq {last}")
            }
        }
    }
}

impl std::error::Error for DialogError {}

impl From<ParseError> for DialogError {
    fn from(error: ParseError) -> DialogError {
        DialogError::Header(error)
    }
}

/// One dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    /// Identity.
    pub id: DialogId,
    /// Early or confirmed.
    pub state: DialogState,
    /// Our address (From in our requests), without tag.
    pub local_uri: NameAddr,
    /// The peer's address (To in our requests), without tag.
    pub remote_uri: NameAddr,
    /// Where in-dialog requests go (the peer's Contact).
    pub remote_target: Uri,
    /// Route set, in the order our requests carry it.
    pub route_set: Vec<NameAddr>,
    /// Our Contact, sent in target-refresh requests.
    pub local_contact: NameAddr,
    /// Last CSeq we used.
    pub local_cseq: u32,
    /// Last CSeq received from the peer.
    pub remote_cseq: Option<u32>,
}

impl Dialog {
    /// Creates the UAC side from the request we sent and a 101-299
    /// response with a To tag (RFC 3261 section 12.1.2).
    pub fn from_uac(
        request: &Request,
        response: &Response,
        local_contact: NameAddr,
    ) -> Result<Dialog, DialogError> {
        if !(101..300).contains(&response.status) {
            return Err(DialogError::NotDialogCreating);
        }
        let from = request.headers.from()?;
        let to = response.headers.to()?;
        let id = DialogId {
            call_id: request.headers.call_id()?.to_owned(),
            local_tag: from.tag().ok_or(DialogError::MissingTag)?.to_owned(),
            remote_tag: to.tag().ok_or(DialogError::MissingTag)?.to_owned(),
        };
        let mut route_set = response.headers.routes("Record-Route")?;
        route_set.reverse();
        Ok(Dialog {
            id,
            state: dialog_state(response.status),
            local_uri: without_tag(from),
            remote_uri: without_tag(to),
            remote_target: single_contact(&response.headers)?,
            route_set,
            local_contact,
            local_cseq: request.headers.cseq()?.seq,
            remote_cseq: None,
        })
    }

    /// Creates the UAS side from a dialog-creating request we answer with
    /// `local_tag` (RFC 3261 section 12.1.1). `initial_cseq` is the first
    /// CSeq we will use minus one.
    pub fn from_uas(
        request: &Request,
        local_tag: &str,
        local_contact: NameAddr,
        initial_cseq: u32,
    ) -> Result<Dialog, DialogError> {
        let from = request.headers.from()?;
        let to = request.headers.to()?;
        let id = DialogId {
            call_id: request.headers.call_id()?.to_owned(),
            local_tag: local_tag.to_owned(),
            remote_tag: from.tag().ok_or(DialogError::MissingTag)?.to_owned(),
        };
        Ok(Dialog {
            id,
            state: DialogState::Early,
            local_uri: without_tag(to),
            remote_uri: without_tag(from),
            remote_target: single_contact(&request.headers)?,
            route_set: request.headers.routes("Record-Route")?,
            local_contact,
            local_cseq: initial_cseq,
            remote_cseq: Some(request.headers.cseq()?.seq),
        })
    }

    /// Marks the dialog confirmed (a 2xx was sent or received).
    pub fn confirm(&mut self) {
        self.state = DialogState::Confirmed;
    }

    /// Applies a response to a request we sent in this dialog: a 2xx to
    /// INVITE confirms the dialog, and a 2xx to a target-refresh request
    /// updates the remote target (RFC 3261 section 12.2.1.2).
    pub fn handle_response(
        &mut self,
        method: &Method,
        response: &Response,
    ) -> Result<(), DialogError> {
        if !(200..300).contains(&response.status) {
            return Ok(());
        }
        if *method == Method::Invite {
            self.state = DialogState::Confirmed;
        }
        if is_target_refresh(method) && response.headers.get("Contact").is_some() {
            self.remote_target = single_contact(&response.headers)?;
        }
        Ok(())
    }

    /// Checks and records an in-dialog request from the peer (RFC 3261
    /// section 12.2.2). ACK and CANCEL reuse their INVITE's CSeq and are
    /// not checked.
    pub fn handle_request(&mut self, request: &Request) -> Result<(), DialogError> {
        if matches!(request.method, Method::Ack | Method::Cancel) {
            return Ok(());
        }
        let received = request.headers.cseq()?.seq;
        if let Some(last) = self.remote_cseq
            && received <= last
        {
            return Err(DialogError::CSeqOutOfOrder { last, received });
        }
        if is_target_refresh(&request.method) && request.headers.get("Contact").is_some() {
            self.remote_target = single_contact(&request.headers)?;
        }
        self.remote_cseq = Some(received);
        Ok(())
    }

    /// Builds an in-dialog request (BYE, re-INVITE, REFER, INFO, ...) with
    /// the next CSeq. `via_prefix` is the Via without branch, such as
    /// `SIP/2.0/UDP 198.51.100.10:5060;rport`. The caller adds a body or
    /// method-specific headers (Refer-To, Content-Type).
    pub fn create_request(&mut self, method: Method, rng: &mut Rng, via_prefix: &str) -> Request {
        self.local_cseq = self.local_cseq.wrapping_add(1);
        let cseq = self.local_cseq;
        self.build(method, cseq, rng, via_prefix)
    }

    /// Builds the ACK for a 2xx to the INVITE with CSeq `invite_cseq`
    /// (RFC 3261 section 13.2.2.4); it gets its own branch.
    pub fn create_ack(&self, invite_cseq: u32, rng: &mut Rng, via_prefix: &str) -> Request {
        self.build(Method::Ack, invite_cseq, rng, via_prefix)
    }

    /// A REFER for an attended transfer: asks the peer to call `target`
    /// replacing the dialog `replaces` (RFC 3515, RFC 3891, RFC 5589).
    pub fn create_refer(
        &mut self,
        target: &Uri,
        replaces: Option<&Replaces>,
        rng: &mut Rng,
        via_prefix: &str,
    ) -> Request {
        let mut refer_to = target.clone();
        if let Some(replaces) = replaces {
            refer_to.headers.push((
                "Replaces".to_owned(),
                escape_header_value(&replaces.to_string()),
            ));
        }
        let mut request = self.create_request(Method::Refer, rng, via_prefix);
        request.headers.push("Refer-To", format!("<{refer_to}>"));
        request
            .headers
            .push("Referred-By", format!("<{}>", self.local_uri.uri));
        request
    }

    fn build(&self, method: Method, cseq: u32, rng: &mut Rng, via_prefix: &str) -> Request {
        // Loose routing when the first route has `lr`; strict routing
        // (RFC 2543) puts it in the Request-URI and the target last.
        let first_is_strict = self
            .route_set
            .first()
            .is_some_and(|route| !route.uri.params.contains("lr"));
        let (uri, routes): (Uri, Vec<String>) = if first_is_strict {
            let mut uri = self
                .route_set
                .first()
                .map(|route| route.uri.clone())
                .unwrap_or_else(|| self.remote_target.clone());
            // Parameters not allowed in a Request-URI (RFC 3261 19.1.1).
            uri.params.remove("method");
            uri.params.remove("lr");
            uri.headers.clear();
            let mut routes: Vec<String> = self
                .route_set
                .iter()
                .skip(1)
                .map(ToString::to_string)
                .collect();
            routes.push(format!("<{}>", self.remote_target));
            (uri, routes)
        } else {
            (
                self.remote_target.clone(),
                self.route_set.iter().map(ToString::to_string).collect(),
            )
        };
        let mut request = Request::new(method.clone(), uri);
        request
            .headers
            .push("Via", format!("{via_prefix};branch={}", rng.branch()));
        request.headers.push("Max-Forwards", "70");
        for route in routes {
            request.headers.push("Route", route);
        }
        let mut from = self.local_uri.clone();
        from.params.set("tag", Some(&self.id.local_tag));
        let mut to = self.remote_uri.clone();
        to.params.set("tag", Some(&self.id.remote_tag));
        request.headers.push("From", from.to_string());
        request.headers.push("To", to.to_string());
        request.headers.push("Call-ID", self.id.call_id.clone());
        request.headers.push("CSeq", format!("{cseq} {method}"));
        if is_target_refresh(&method) || method == Method::Refer {
            request
                .headers
                .push("Contact", self.local_contact.to_string());
        }
        request
    }
}

fn dialog_state(status: u16) -> DialogState {
    if status < 200 {
        DialogState::Early
    } else {
        DialogState::Confirmed
    }
}

fn without_tag(mut address: NameAddr) -> NameAddr {
    address.params.remove("tag");
    address
}

fn is_target_refresh(method: &Method) -> bool {
    matches!(
        method,
        Method::Invite | Method::Update | Method::Subscribe | Method::Notify
    )
}

fn single_contact(headers: &crate::header::Headers) -> Result<Uri, DialogError> {
    match headers.contacts()? {
        Some(Contacts::Addresses(addresses)) => addresses
            .into_iter()
            .next()
            .map(|address| address.uri)
            .ok_or(DialogError::MissingContact),
        _ => Err(DialogError::MissingContact),
    }
}
