//! The SIP side of the switch: the transaction user that sorts requests and responses to
//! registrations, calls and legs, and builds the requests and responses the B2BUA sends.

use std::net::{IpAddr, SocketAddr};

use sip_proto::auth::{AuthError, Secret};
use sip_proto::dialog::{Dialog, DialogId};
use sip_proto::header::{AuthHeader, NameAddr};
use sip_proto::message::{Method, Request, Response};
use sip_proto::sdp;
use sip_proto::time::Time;
use sip_proto::transaction::{
    Event as TxEvent, Output as TxOutput, Peer, TransactionKey, Transport,
};
use sip_proto::uri::Uri;

use super::{LegId, LegRole, LegState, Output, Switch};
use crate::event::Outcome;

const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, REFER";
const USER_AGENT: &str = "civicline";

impl Switch {
    pub(super) fn drain_tl(&mut self) {
        loop {
            match self.tl.poll_output() {
                TxOutput::Transmit { peer, message } => {
                    self.outputs.push_back(Output::Transmit { peer, message });
                }
                TxOutput::Event(event) => self.tx_event(event),
                TxOutput::Timeout(at) => {
                    self.tl_deadline = at.as_millis();
                    return;
                }
            }
        }
    }

    fn tx_event(&mut self, event: TxEvent) {
        match event {
            TxEvent::Request { key, peer, request } => self.request(key, peer, request),
            TxEvent::Response { key, response } => self.response(&key, response),
            TxEvent::StrayResponse { peer, response } => self.stray_response(peer, response),
            TxEvent::Timeout { key } => self.tx_timeout(&key),
            TxEvent::Terminated { key } => {
                self.server_invites.remove(&key);
                self.client_invites.remove(&key);
            }
        }
    }

    pub(super) fn respond(&mut self, key: &TransactionKey, request: &Request, status: u16) {
        let response = self.response_to(request, status);
        self.send_response(key, response);
    }

    pub(super) fn response_to(&mut self, request: &Request, status: u16) -> Response {
        let tag = self.rng.tag();
        let mut response = Response::to_request(request, status, Some(&tag));
        response.headers.push("Server", USER_AGENT);
        if status == 405 || request.method == Method::Options {
            response.headers.push("Allow", ALLOW);
        }
        response
    }

    pub(super) fn send_response(&mut self, key: &TransactionKey, response: Response) {
        if let Err(error) = self
            .tl
            .send_response(Time::from_millis(self.now), key, response)
        {
            tracing::debug!(%error, "response not sent");
        }
    }

    fn request(&mut self, key: Option<TransactionKey>, peer: Peer, request: Request) {
        let Some(key) = key else {
            // An ACK that matches no transaction: the ACK of a re-INVITE 2xx, or stray.
            return;
        };
        let has_to_tag = request
            .headers
            .to()
            .ok()
            .is_some_and(|to| to.tag().is_some());
        if request.method == Method::Ack {
            return;
        }
        if has_to_tag {
            self.in_dialog_request(&key, peer, request);
            return;
        }
        match request.method {
            Method::Invite => self.inbound_invite(&key, peer, request),
            Method::Register => self.register(&key, peer, &request),
            Method::Options => self.respond(&key, &request, 200),
            Method::Cancel => self.cancel(&key, &request),
            Method::Bye | Method::Info | Method::Update | Method::Prack => {
                self.respond(&key, &request, 481)
            }
            Method::Subscribe => self.respond(&key, &request, 489),
            _ => self.respond(&key, &request, 405),
        }
    }

    fn in_dialog_request(&mut self, key: &TransactionKey, peer: Peer, request: Request) {
        let Some(id) = DialogId::for_incoming_request(&request) else {
            self.respond(key, &request, 481);
            return;
        };
        let Some(leg_id) = self.dialogs.get(&id).copied() else {
            self.respond(key, &request, 481);
            return;
        };
        let Some(leg) = self.legs.get_mut(&leg_id) else {
            self.respond(key, &request, 481);
            return;
        };
        if let Some(dialog) = &mut leg.dialog
            && let Err(error) = dialog.handle_request(&request)
        {
            tracing::debug!(%error, "in-dialog request refused");
            self.respond(key, &request, 500);
            return;
        }
        leg.peer = peer;
        match request.method {
            Method::Bye => {
                self.respond(key, &request, 200);
                self.leg_hung_up(leg_id);
            }
            Method::Invite => self.reinvite(key, leg_id, &request),
            Method::Refer => self.refer(key, leg_id, &request),
            Method::Info => {
                self.respond(key, &request, 200);
                if let Some(digit) = dtmf_relay_digit(&request.body) {
                    self.digit(leg_id, digit);
                }
            }
            Method::Options | Method::Update if request.body.is_empty() => {
                self.respond(key, &request, 200)
            }
            _ => self.respond(key, &request, 501),
        }
    }

    /// A re-INVITE: answer the new offer from the same port (or repeat our description when it
    /// carries none) and point the media at the new address.
    fn reinvite(&mut self, key: &TransactionKey, leg_id: LegId, request: &Request) {
        let Some(leg) = self.legs.get_mut(&leg_id) else {
            return;
        };
        let answered = if request.body.is_empty() {
            Some(leg.local_sdp.clone())
        } else {
            match (sdp::Session::parse(&request.body), leg.local_media.as_mut()) {
                (Ok(offer), Some(local)) => {
                    local.session_version += 1;
                    match sdp::answer(&offer, local) {
                        Ok((answer, negotiated)) => {
                            leg.local_sdp = answer.to_bytes();
                            leg.negotiated = Some(negotiated);
                            Some(leg.local_sdp.clone())
                        }
                        Err(_) => None,
                    }
                }
                _ => None,
            }
        };
        let Some(body) = answered else {
            self.respond(key, request, 488);
            return;
        };
        let mut response = self.response_to(request, 200);
        if let Some(leg) = self.legs.get(&leg_id)
            && let Some(dialog) = &leg.dialog
        {
            // Keep our tag: the To tag of an in-dialog request is already ours.
            response
                .headers
                .set("Contact", dialog.local_contact.to_string());
        }
        response.headers.push("Content-Type", "application/sdp");
        response.body = body;
        self.send_response(key, response);
        self.configure_media(leg_id);
    }

    fn register(&mut self, key: &TransactionKey, peer: Peer, request: &Request) {
        let Ok(to) = request.headers.to() else {
            self.respond(key, request, 400);
            return;
        };
        let user = to.uri.user_unescaped().unwrap_or_default();
        let credentials = request
            .headers
            .credentials(false)
            .unwrap_or_default()
            .into_iter()
            .find(|credentials| credentials.get("realm") == Some(self.realm.as_str()));
        let Some(credentials) = credentials else {
            self.challenge(key, request, false, false);
            return;
        };
        match self.verify(request, &credentials) {
            Ok(username) if username == user => {}
            Err(AuthError::StaleNonce) => {
                self.challenge(key, request, false, true);
                return;
            }
            Ok(_) | Err(_) => {
                tracing::info!(peer = %peer.addr, "register refused: bad credentials");
                self.respond(key, request, 403);
                return;
            }
        }
        // Bindings are kept under the agent's canonical address-of-record, whatever host the
        // phone put in To.
        let mut canonical = request.clone();
        let mut aor = NameAddr::new(Uri::sip(Some(&user), &self.realm));
        if let Some(tag) = to.tag() {
            aor.params.set("tag", Some(tag));
        }
        canonical.headers.set("To", aor.to_string());
        let tag = self.rng.tag();
        let mut response =
            self.registrar
                .handle_register(Time::from_millis(self.now), &canonical, &tag);
        if response.status == 200 {
            if let Ok(Some(sip_proto::header::Contacts::Addresses(contacts))) =
                request.headers.contacts()
            {
                for contact in contacts {
                    let mut bare = contact.clone();
                    bare.params.remove("expires");
                    self.reg_peers.insert(bare.uri.to_string(), peer);
                }
            }
            // The response echoes To as the phone sent it.
            response
                .headers
                .set("To", format!("{};tag={tag}", strip_tag(request)));
        }
        response.headers.push("Server", USER_AGENT);
        self.send_response(key, response);
        self.refresh_registrations();
    }

    /// Checks digest credentials against the configured agents; the user name on success.
    fn verify(&mut self, request: &Request, credentials: &AuthHeader) -> Result<String, AuthError> {
        let agents = &self.agents;
        let verified = self.auth.verify(
            Time::from_millis(self.now),
            request.method.as_str(),
            &request.uri.to_string(),
            credentials,
            |user| {
                agents
                    .iter()
                    .find(|agent| agent.username == user)
                    .map(|agent| Secret::Password(&agent.password))
            },
        )?;
        Ok(verified.username)
    }

    fn challenge(&mut self, key: &TransactionKey, request: &Request, proxy: bool, stale: bool) {
        let (status, header) = if proxy {
            (407, "Proxy-Authenticate")
        } else {
            (401, "WWW-Authenticate")
        };
        let mut response = self.response_to(request, status);
        for challenge in self
            .auth
            .challenges(Time::from_millis(self.now), &mut self.rng, stale)
        {
            response.headers.push(header, challenge.to_string());
        }
        self.send_response(key, response);
    }

    /// A new call from the trunk (or from an authenticated peer).
    fn inbound_invite(&mut self, key: &TransactionKey, peer: Peer, request: Request) {
        if self.shutting_down {
            self.respond(key, &request, 503);
            return;
        }
        let allowed = self
            .trunk_allow
            .iter()
            .any(|cidr| cidr.contains(peer.addr.ip()));
        if !allowed {
            let credentials = request
                .headers
                .credentials(true)
                .unwrap_or_default()
                .into_iter()
                .find(|credentials| credentials.get("realm") == Some(self.realm.as_str()));
            match credentials.map(|credentials| self.verify(&request, &credentials)) {
                None => {
                    tracing::info!(peer = %peer.addr, "call from outside the trunk allow-list challenged");
                    self.challenge(key, &request, true, false);
                    return;
                }
                Some(Err(AuthError::StaleNonce)) => {
                    self.challenge(key, &request, true, true);
                    return;
                }
                Some(Err(_)) => {
                    tracing::info!(peer = %peer.addr, "call refused: not an allowed trunk");
                    self.respond(key, &request, 403);
                    return;
                }
                Some(Ok(_)) => {}
            }
        }
        let dialled = request.uri.user_unescaped().unwrap_or_default();
        if dialled.trim_start_matches('+') != self.number {
            tracing::info!(peer = %peer.addr, "call to an unknown number refused");
            self.respond(key, &request, 404);
            return;
        }
        let offer = match sdp::Session::parse(&request.body) {
            Ok(offer) => offer,
            Err(_) => {
                // No offer (or a broken one): this switch does not do delayed offer.
                self.respond(key, &request, 488);
                return;
            }
        };
        let probe = self.local_media(0, vec![sdp::Codec::Pcma, sdp::Codec::Pcmu]);
        if let Err(error) = sdp::answer(&offer, &probe) {
            tracing::info!(%error, "call refused: no acceptable media");
            self.respond(key, &request, error.status());
            return;
        }
        if request.headers.contacts().ok().flatten().is_none() {
            self.respond(key, &request, 400);
            return;
        }
        let caller = request
            .headers
            .from()
            .ok()
            .and_then(|from| from.uri.user_unescaped())
            .filter(|user| !user.is_empty() && !user.eq_ignore_ascii_case("anonymous"));
        // 100 Trying was sent by the transaction layer; the IVR answers as soon as the media
        // leg is open, so there is no ringing phase.
        let leg = self.new_caller_call(key.clone(), peer, request, offer, caller);
        self.server_invites.insert(key.clone(), leg);
    }

    /// The caller's media leg is ready: answer with SDP and start the IVR.
    pub(super) fn answer_caller(&mut self, leg_id: LegId, port: u16) -> bool {
        let local = self.local_media(port, vec![sdp::Codec::Pcma, sdp::Codec::Pcmu]);
        let tag = self.rng.tag();
        let contact = self.contact_for(Transport::Udp);
        let Some(leg) = self.legs.get_mut(&leg_id) else {
            return false;
        };
        let (Some(offer), Some(invite), Some(key)) =
            (leg.offer.take(), leg.invite.clone(), leg.invite_key.clone())
        else {
            return false;
        };
        let transport = leg.peer.transport;
        let contact = if transport == Transport::Udp {
            contact
        } else {
            self.contact_for(transport)
        };
        let Some(leg) = self.legs.get_mut(&leg_id) else {
            return false;
        };
        let Ok((answer, negotiated)) = sdp::answer(&offer, &local) else {
            return false;
        };
        let Ok(mut dialog) = Dialog::from_uas(&invite, &tag, contact.clone(), 0) else {
            return false;
        };
        dialog.confirm();
        leg.local_tag = tag.clone();
        leg.local_sdp = answer.to_bytes();
        leg.local_media = Some(local);
        leg.negotiated = Some(negotiated);
        leg.state = LegState::Up;
        leg.answered_at = Some(self.now);
        let mut response = Response::to_request(&invite, 200, Some(&tag));
        response.headers.push("Contact", contact.to_string());
        response.headers.push("Allow", ALLOW);
        response.headers.push("Server", USER_AGENT);
        response.headers.push("Content-Type", "application/sdp");
        response.body = leg.local_sdp.clone();
        self.dialogs.insert(dialog.id.clone(), leg_id);
        leg.dialog = Some(dialog);
        self.send_response(&key, response);
        self.configure_media(leg_id);
        true
    }

    /// Refuses the caller's INVITE before it was answered.
    pub(super) fn reject_caller(&mut self, leg_id: LegId, status: u16) {
        let Some(leg) = self.legs.get(&leg_id) else {
            return;
        };
        if let (Some(invite), Some(key)) = (leg.invite.clone(), leg.invite_key.clone()) {
            let response = self.response_to(&invite, status);
            self.send_response(&key, response);
        }
    }

    fn cancel(&mut self, key: &TransactionKey, request: &Request) {
        let leg = key
            .cancelled_invite()
            .and_then(|invite| self.server_invites.get(&invite).copied());
        let Some(leg_id) = leg else {
            self.respond(key, request, 481);
            return;
        };
        self.respond(key, request, 200);
        let Some(leg) = self.legs.get(&leg_id) else {
            return;
        };
        if leg.state == LegState::Opening {
            let call = leg.call;
            self.reject_caller(leg_id, 487);
            if let Some(leg) = self.legs.get_mut(&leg_id) {
                leg.state = LegState::Ended;
            }
            self.end_call(call, Outcome::Rejected);
        }
    }

    fn response(&mut self, key: &TransactionKey, response: Response) {
        if key.method != Method::Invite {
            // BYE and CANCEL answers need nothing more.
            return;
        }
        let Some(leg_id) = self.client_invites.get(key).copied() else {
            return;
        };
        self.agent_response(leg_id, response);
    }

    fn agent_response(&mut self, leg_id: LegId, response: Response) {
        let Some(leg) = self.legs.get_mut(&leg_id) else {
            return;
        };
        let status = response.status;
        if status < 200 {
            if leg.state == LegState::Calling && status > 100 {
                leg.state = LegState::Ringing;
            }
            return;
        }
        if status >= 300 {
            let call = leg.call;
            let was = leg.state;
            leg.state = LegState::Ended;
            let role = leg.role;
            let LegRole::Agent(agent) = role else {
                if matches!(role, LegRole::Citizen | LegRole::Outside) {
                    self.forget_leg(leg_id);
                    if was != LegState::Cancelling {
                        tracing::info!(call.id = %call, status, "the number called out did not answer");
                        self.gateway_leg_failed(role, call, status);
                    }
                }
                return;
            };
            let outcome = match status {
                _ if was == LegState::Cancelling => Outcome::NoAnswer,
                486 | 600 | 603 => Outcome::NoAnswer,
                _ => Outcome::Unreachable,
            };
            if was != LegState::Cancelling {
                tracing::info!(call.id = %call, agent = agent, status, "agent leg failed");
                self.offer_lost(call, agent, outcome == Outcome::NoAnswer);
            }
            self.finish_agent_leg(leg_id, outcome);
            return;
        }
        // A 2xx: the first one makes the dialog; repeats get the ACK again.
        if leg.dialog.is_some() {
            self.ack(leg_id);
            return;
        }
        let Some(invite) = leg.invite.clone() else {
            return;
        };
        let transport = leg.peer.transport;
        let contact = self.contact_for(transport);
        let Some(leg) = self.legs.get_mut(&leg_id) else {
            return;
        };
        let dialog = match Dialog::from_uac(&invite, &response, contact) {
            Ok(dialog) => dialog,
            Err(error) => {
                tracing::warn!(%error, "agent answered with an unusable 2xx");
                return;
            }
        };
        self.dialogs.insert(dialog.id.clone(), leg_id);
        leg.dialog = Some(dialog);
        self.ack(leg_id);
        let Some(leg) = self.legs.get_mut(&leg_id) else {
            return;
        };
        let negotiated = match (sdp::Session::parse(&response.body), &leg.local_media) {
            (Ok(answer), Some(local)) => sdp::accept_answer(&answer, local).ok(),
            _ => None,
        };
        let usable = negotiated.is_some();
        leg.negotiated = negotiated;
        let live = !matches!(leg.state, LegState::Cancelling | LegState::Ended);
        let call = leg.call;
        let role = leg.role;
        if matches!(role, LegRole::Citizen | LegRole::Outside) {
            if live && usable {
                leg.state = LegState::Up;
                leg.answered_at = Some(self.now);
                if role == LegRole::Citizen {
                    self.citizen_answered(call, leg_id);
                } else {
                    self.outside_answered(call, leg_id);
                }
            } else {
                self.hang_up_leg(leg_id);
                self.forget_leg(leg_id);
                if live {
                    self.gateway_leg_failed(role, call, 488);
                }
            }
            return;
        }
        let LegRole::Agent(agent) = leg.role else {
            return;
        };
        if !live || !usable {
            // Answered after we gave up on it, or with nothing we can relay.
            self.hang_up_leg(leg_id);
            if live {
                self.offer_lost(call, agent, false);
            }
            self.finish_agent_leg(leg_id, Outcome::Failed);
            return;
        }
        leg.state = LegState::Up;
        leg.answered_at = Some(self.now);
        self.agent_answered(call, agent, leg_id);
    }

    fn ack(&mut self, leg_id: LegId) {
        let via = self.via_prefix_for(leg_id);
        let Some(leg) = self.legs.get_mut(&leg_id) else {
            return;
        };
        let (Some(dialog), Some(invite)) = (&leg.dialog, &leg.invite) else {
            return;
        };
        let cseq = invite.headers.cseq().map(|cseq| cseq.seq).unwrap_or(1);
        let ack = dialog.create_ack(cseq, &mut self.rng, &via);
        let peer = leg.peer;
        self.tl.send_stateless(peer, ack.into());
    }

    fn stray_response(&mut self, peer: Peer, response: Response) {
        // A 2xx retransmitted after the INVITE transaction ended: ACK it again, and hang up
        // if the leg is gone.
        let is_invite_2xx = (200..300).contains(&response.status)
            && response
                .headers
                .cseq()
                .is_ok_and(|cseq| cseq.method == Method::Invite);
        if !is_invite_2xx {
            return;
        }
        let Some(id) = DialogId::for_response(&response) else {
            return;
        };
        match self.dialogs.get(&id).copied() {
            Some(leg_id) => self.ack(leg_id),
            None => tracing::debug!(peer = %peer.addr, "stray 2xx for an unknown dialog"),
        }
    }

    fn tx_timeout(&mut self, key: &TransactionKey) {
        if let Some(leg_id) = self.server_invites.remove(key) {
            // Our 2xx was never acknowledged: the caller is gone.
            if let Some(leg) = self.legs.get(&leg_id) {
                let call = leg.call;
                tracing::info!(call.id = %call, "caller never acknowledged the answer");
                self.leg_hung_up(leg_id);
            }
            return;
        }
        if let Some(leg_id) = self.client_invites.remove(key) {
            let Some(leg) = self.legs.get_mut(&leg_id) else {
                return;
            };
            if matches!(leg.role, LegRole::Citizen | LegRole::Outside) {
                let (role, call, was) = (leg.role, leg.call, leg.state);
                leg.state = LegState::Ended;
                self.forget_leg(leg_id);
                if matches!(was, LegState::Calling | LegState::Ringing) {
                    self.gateway_leg_failed(role, call, 408);
                }
                return;
            }
            let (LegRole::Agent(agent), call, was) = (leg.role, leg.call, leg.state) else {
                return;
            };
            leg.state = LegState::Ended;
            if matches!(was, LegState::Calling | LegState::Ringing) {
                tracing::info!(call.id = %call, agent, "agent phone did not answer the invite");
                self.offer_lost(call, agent, false);
            }
            self.finish_agent_leg(leg_id, Outcome::Unreachable);
        }
    }

    /// Sends the INVITE of an agent leg whose socket is open.
    pub(super) fn invite_agent(&mut self, leg_id: LegId, port: u16, codec: sdp::Codec) -> bool {
        let Some(leg) = self.legs.get(&leg_id) else {
            return false;
        };
        let LegRole::Agent(agent) = leg.role else {
            return false;
        };
        let call = leg.call;
        let (Some(target), Some(agent_rt)) = (self.agent_target(agent), self.agents.get(agent))
        else {
            return false;
        };
        let to = format!("<{}>", agent_rt.aor);
        // The agent's phone shows who is calling (or, for a callback, who will be called).
        let caller = self
            .calls
            .get(&call)
            .and_then(|call| call.caller.clone())
            .unwrap_or_else(|| "anonymous".to_owned());
        let from = Uri::sip(Some(&sanitize_user(&caller)), &self.realm);
        self.send_invite(leg_id, port, codec, target, to, from)
    }

    /// Where calls out go: the outbound gateway, when one is configured.
    pub(super) fn gateway_peer(&self) -> Option<Peer> {
        let outbound = self.outbound.as_ref()?;
        Some(Peer { transport: Transport::Udp, addr: outbound.gateway })
    }

    /// How long a call out through the gateway rings before it counts as not answered.
    pub(super) fn outbound_ring_ms(&self) -> u64 {
        self.outbound
            .as_ref()
            .map_or(30_000, |outbound| u64::try_from(outbound.ring_timeout.as_millis()).unwrap_or(u64::MAX))
    }

    /// Sends the INVITE of a call out through the outbound gateway (a callback's citizen, a
    /// transfer's outside number); the number was checked against the allow-list before.
    pub(super) fn send_gateway_invite(
        &mut self,
        leg_id: LegId,
        port: u16,
        number: &str,
        codec: sdp::Codec,
    ) -> bool {
        let Some(outbound) = &self.outbound else {
            return false;
        };
        let gateway = outbound.gateway;
        let mut target = Uri::sip(Some(number), &gateway.ip().to_string());
        target.port = Some(gateway.port());
        target.params.set("user", Some("phone"));
        let to = format!("<{target}>");
        let from = Uri::sip(Some(&self.number), &self.realm);
        self.send_invite(leg_id, port, codec, target, to, from)
    }

    fn send_invite(
        &mut self,
        leg_id: LegId,
        port: u16,
        codec: sdp::Codec,
        target: Uri,
        to: String,
        from: Uri,
    ) -> bool {
        let local = self.local_media(port, vec![codec]);
        let offer = sdp::offer(&local, 101, sdp::Direction::SendRecv).to_bytes();
        let Some(peer) = self.legs.get(&leg_id).map(|leg| leg.peer) else {
            return false;
        };
        let tag = self.rng.tag();
        let call_id = self.rng.call_id(&self.media_host);
        let via = self.via_prefix(peer.transport);
        let contact = self.contact_for(peer.transport);
        let mut invite = Request::new(Method::Invite, target);
        invite
            .headers
            .push("Via", format!("{via};branch={}", self.rng.branch()));
        invite.headers.push("Max-Forwards", "70");
        invite.headers.push("From", format!("<{from}>;tag={tag}"));
        invite.headers.push("To", to);
        invite.headers.push("Call-ID", call_id);
        invite.headers.push("CSeq", "1 INVITE");
        invite.headers.push("Contact", contact.to_string());
        invite.headers.push("Allow", ALLOW);
        invite.headers.push("User-Agent", USER_AGENT);
        invite.headers.push("Content-Type", "application/sdp");
        invite.body = offer.clone();
        let key = match self
            .tl
            .send_request(Time::from_millis(self.now), peer, invite.clone())
        {
            Ok(key) => key,
            Err(error) => {
                tracing::warn!(%error, "invite not sent");
                return false;
            }
        };
        self.client_invites.insert(key.clone(), leg_id);
        let Some(leg) = self.legs.get_mut(&leg_id) else {
            return false;
        };
        leg.local_tag = tag;
        leg.invite = Some(invite);
        leg.invite_key = Some(key);
        leg.local_media = Some(local);
        leg.local_sdp = offer;
        leg.state = LegState::Calling;
        true
    }

    /// Where to send an agent's INVITE: its newest registered contact.
    pub(super) fn agent_target(&self, agent: usize) -> Option<Uri> {
        let agent = self.agents.get(agent)?;
        let bindings = self
            .registrar
            .lookup(Time::from_millis(self.now), &agent.aor);
        bindings.first().map(|binding| binding.contact.uri.clone())
    }

    /// The transport peer for an agent's newest contact: where its REGISTER came from.
    pub(super) fn agent_peer(&self, agent: usize) -> Option<Peer> {
        let target = self.agent_target(agent)?;
        if let Some(peer) = self.reg_peers.get(&target.to_string()) {
            return Some(*peer);
        }
        let ip: IpAddr = target.host.trim_matches(['[', ']']).parse().ok()?;
        let transport = match target.param("transport") {
            Some(value) if value.eq_ignore_ascii_case("tcp") => Transport::Tcp,
            _ => Transport::Udp,
        };
        Some(Peer {
            transport,
            addr: SocketAddr::new(ip, target.port.unwrap_or(5060)),
        })
    }

    /// Stops a ringing agent leg with CANCEL, or an answered one with BYE.
    pub(super) fn cancel_leg(&mut self, leg_id: LegId) {
        let Some(leg) = self.legs.get_mut(&leg_id) else {
            return;
        };
        match leg.state {
            LegState::Opening => {
                leg.state = LegState::Ended;
                self.finish_agent_leg(leg_id, Outcome::NoAnswer);
            }
            LegState::Calling | LegState::Ringing => {
                let Some(invite) = leg.invite.clone() else {
                    return;
                };
                leg.state = LegState::Cancelling;
                leg.guard = Some(self.now + super::CANCEL_GUARD);
                self.deadlines.push(std::cmp::Reverse((
                    self.now + super::CANCEL_GUARD,
                    super::Due::Leg(leg_id),
                )));
                let peer = leg.peer;
                let cancel = sip_proto::transaction::cancel_for(&invite);
                if let Err(error) = self
                    .tl
                    .send_request(Time::from_millis(self.now), peer, cancel)
                {
                    tracing::debug!(%error, "cancel not sent");
                }
                // The record is written now: a phone that vanished never sends its 487. The leg
                // itself stays until the final response (or the guard).
                self.finish_agent_leg(leg_id, Outcome::NoAnswer);
            }
            LegState::Up => {
                self.hang_up_leg(leg_id);
                self.finish_agent_leg(leg_id, Outcome::NoAnswer);
            }
            LegState::Cancelling | LegState::Ended => {}
        }
    }

    /// A call out through the gateway was not answered: a callback's citizen (the attempt
    /// counts) or a transfer's outside number (the caller goes back to the queue).
    fn gateway_leg_failed(&mut self, role: LegRole, call: crate::event::CallId, status: u16) {
        if role == LegRole::Citizen {
            self.citizen_unreachable(call);
        } else {
            self.outside_failed(call, status);
        }
    }

    /// Sends BYE on an answered leg.
    pub(super) fn hang_up_leg(&mut self, leg_id: LegId) {
        let via = self.via_prefix_for(leg_id);
        let Some(leg) = self.legs.get_mut(&leg_id) else {
            return;
        };
        leg.state = LegState::Ended;
        let Some(dialog) = &mut leg.dialog else {
            return;
        };
        let bye = dialog.create_request(Method::Bye, &mut self.rng, &via);
        let peer = leg.peer;
        if let Err(error) = self.tl.send_request(Time::from_millis(self.now), peer, bye) {
            tracing::debug!(%error, "bye not sent");
        }
    }

    pub(super) fn local_media(&self, port: u16, codecs: Vec<sdp::Codec>) -> sdp::LocalMedia {
        sdp::LocalMedia {
            addr_type: if self.media_ip.is_ipv4() {
                "IP4"
            } else {
                "IP6"
            }
            .to_owned(),
            address: self.media_ip.to_string(),
            port,
            codecs,
            session_id: self.now,
            session_version: 1,
        }
    }

    fn via_prefix(&self, transport: Transport) -> String {
        let name = match transport {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
        };
        format!("SIP/2.0/{name} {}:{};rport", self.media_host, self.sip_port)
    }

    pub(super) fn via_prefix_for(&self, leg: LegId) -> String {
        let transport = self
            .legs
            .get(&leg)
            .map_or(Transport::Udp, |leg| leg.peer.transport);
        self.via_prefix(transport)
    }

    fn contact_for(&self, transport: Transport) -> NameAddr {
        let mut uri = Uri::sip(Some("civicline"), &self.media_host);
        uri.port = Some(self.sip_port);
        if transport == Transport::Tcp {
            uri.params.set("transport", Some("tcp"));
        }
        NameAddr::new(uri)
    }
}

/// The To value of a request without its tag.
fn strip_tag(request: &Request) -> String {
    match request.headers.to() {
        Ok(mut to) => {
            to.params.remove("tag");
            to.to_string()
        }
        Err(_) => String::new(),
    }
}

/// Keeps only characters safe in a SIP user part (digits, letters, `+`, `-`, `.`).
fn sanitize_user(user: &str) -> String {
    let clean: String = user
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.' | '_'))
        .take(32)
        .collect();
    if clean.is_empty() {
        "anonymous".to_owned()
    } else {
        clean
    }
}

/// The key of an `application/dtmf-relay` INFO body (`Signal=5`).
fn dtmf_relay_digit(body: &[u8]) -> Option<char> {
    let text = std::str::from_utf8(body).ok()?;
    text.lines().find_map(|line| {
        let (name, value) = line.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("signal") {
            return None;
        }
        let digit = value.trim().chars().next()?.to_ascii_uppercase();
        ivr::is_keypad_digit(digit).then_some(digit)
    })
}
