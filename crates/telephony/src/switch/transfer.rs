//! Blind transfer from an agent's phone (RFC 3515 REFER), terminated here.
//!
//! The switch is a B2BUA: the caller's dialog is with us, not with the agent, so the agent's
//! REFER is never passed on to the trunk (many trunks refuse REFER, and the caller's call must
//! stay up; telephony.md section 8). We answer 202, tell the phone the transfer is done
//! (NOTIFY with a `message/sipfrag` of `200 OK`, unless it asked for none with `Refer-Sub:
//! false`), release the agent leg and give the caller to the target: another queue, where they
//! wait with music like any caller while keeping their ordering position, or a named agent,
//! whose phone rings next. The caller is never put down: if nobody in the target answers, the
//! target queue's own rules apply (the next agent, overflow, callback). The transferring agent
//! goes to wrap-up (app_queue #607).
//!
//! The target is the `Refer-To` user part: a queue's name, an agent's username (an agent who is
//! available, else 480 and the call stays with the transferor), or an outside number on the
//! `[telephony.outbound]` allow-list (any other number: 403, nothing is dialled). An outside
//! number is called through the gateway while the caller hears music; when it answers, the
//! two are bridged; when it is busy, refuses or rings out, the caller goes back to the queue
//! they came from at its head (the highest priority), so the call comes back to an agent.
//! Attended transfer (`Refer-To` carrying `Replaces`) is not supported yet: 501, and the call
//! stays as it was.

use sip_proto::header::NameAddr;
use sip_proto::message::{Method, Request};
use sip_proto::time::Time;
use sip_proto::transaction::{Peer, TransactionKey};

use super::{Leg, LegId, LegRole, LegState, MediaCommand, Phase, PlayItem, Switch};
use crate::event::{CallId, Outcome, TransferRefused};

/// Where a REFER sends the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TransferTo {
    Queue(usize),
    Agent(usize),
    /// A number on the outbound allow-list, and the gateway that carries the call.
    Outside { number: String, gateway: Peer },
}

/// A call's transfer to an outside number.
#[derive(Debug)]
pub(super) struct Outside {
    pub(super) number: String,
    /// The leg to the gateway.
    pub(super) leg: LegId,
    /// When ringing gives up.
    pub(super) dial_until: Option<u64>,
    /// Whether the number answered and is bridged to the caller.
    pub(super) connected: bool,
}

impl Switch {
    /// An in-dialog REFER on `leg_id`: answered, and carried out when it is a blind transfer
    /// by the agent talking on this leg to a queue or an agent.
    pub(super) fn refer(&mut self, key: &TransactionKey, leg_id: LegId, request: &Request) {
        let talking = self.legs.get(&leg_id).and_then(|leg| match leg.role {
            LegRole::Agent(agent) => {
                let call = self.calls.get(&leg.call)?;
                (call.phase == Phase::Talking && call.agent == Some((agent, leg_id)))
                    .then_some((leg.call, agent))
            }
            LegRole::Caller | LegRole::Citizen | LegRole::Outside => None,
        });
        let Some((call_id, agent)) = talking else {
            // Only the agent on an answered call may move it; a caller cannot transfer.
            self.respond(key, request, 403);
            return;
        };
        let Some(refer_to) = request.headers.get("Refer-To").and_then(|value| NameAddr::parse(value).ok())
        else {
            self.respond(key, request, 400);
            return;
        };
        if refer_to.uri.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("Replaces")) {
            self.respond(key, request, 501);
            return;
        }
        let user = refer_to.uri.user_unescaped().unwrap_or_default();
        let (target, acd_target) = match self.checked_target(&user, agent) {
            Ok(checked) => checked,
            Err(refused) => {
                let status = match refused {
                    TransferRefused::NotAllowed => 403,
                    // The caller stays with the agent, who can choose someone else.
                    TransferRefused::TargetBusy => 480,
                    TransferRefused::UnknownAgent | TransferRefused::NotTalking | TransferRefused::UnknownTarget => 404,
                };
                self.respond(key, request, status);
                return;
            }
        };
        let subscription = !request
            .headers
            .get("Refer-Sub")
            .is_some_and(|value| value.trim().eq_ignore_ascii_case("false"));
        let mut accepted = self.response_to(request, 202);
        if !subscription {
            accepted.headers.push("Refer-Sub", "false");
        }
        self.send_response(key, accepted);
        if subscription {
            self.notify_transfer_done(leg_id);
        }
        self.transfer(call_id, leg_id, target, acd_target);
    }

    /// The API's transfer: `username`'s answered call goes to `to` (a queue, a free agent or an
    /// allowed number), as by a blind REFER from their phone.
    pub fn transfer_agent_call(&mut self, now: u64, username: &str, to: &str) -> Result<(), TransferRefused> {
        self.advance(now);
        let agent = self.agent_index(username).ok_or(TransferRefused::UnknownAgent)?;
        let (call_id, leg) = self
            .calls
            .values()
            .filter(|call| call.phase == Phase::Talking)
            .find_map(|call| call.agent.filter(|(talking, _)| *talking == agent).map(|(_, leg)| (call.id, leg)))
            .ok_or(TransferRefused::NotTalking)?;
        let (target, acd_target) = self.checked_target(to.trim(), agent)?;
        self.transfer(call_id, leg, target, acd_target);
        self.settle();
        Ok(())
    }

    /// Resolves and checks a transfer target for `agent`'s call.
    fn checked_target(
        &self,
        user: &str,
        agent: usize,
    ) -> Result<(TransferTo, acd::engine::TransferTarget), TransferRefused> {
        let Some(target) = self.transfer_target(user, agent) else {
            // A number not on the allow-list is never dialled.
            let looks_like_number = !user.is_empty() && user.trim_start_matches('+').bytes().all(|b| b.is_ascii_digit());
            return Err(if looks_like_number { TransferRefused::NotAllowed } else { TransferRefused::UnknownTarget });
        };
        if let TransferTo::Agent(to) = &target
            && !self.free_for_transfer(*to)
        {
            return Err(TransferRefused::TargetBusy);
        }
        let acd_target = match &target {
            TransferTo::Queue(queue) => acd::engine::TransferTarget::Queue(acd::ids::QueueId(*queue as u32)),
            TransferTo::Agent(to) => acd::engine::TransferTarget::Agent(acd::ids::AgentId(*to as u32)),
            TransferTo::Outside { .. } => acd::engine::TransferTarget::External,
        };
        Ok((target, acd_target))
    }

    /// A queue by name, another agent by username (case does not matter), or an allowed
    /// outside number.
    fn transfer_target(&self, user: &str, from_agent: usize) -> Option<TransferTo> {
        if let Some(queue) = self.queues.iter().position(|name| name.eq_ignore_ascii_case(user)) {
            return Some(TransferTo::Queue(queue));
        }
        if let Some(agent) = self.agents.iter().position(|agent| agent.username.eq_ignore_ascii_case(user)) {
            return (agent != from_agent).then_some(TransferTo::Agent(agent));
        }
        let allowed = self
            .outbound
            .as_ref()
            .is_some_and(|outbound| outbound.allow.iter().any(|pattern| pattern.matches(user)));
        let gateway = self.gateway_peer().filter(|_| allowed)?;
        Some(TransferTo::Outside { number: user.to_owned(), gateway })
    }

    /// Whether an agent can take a transferred call now: logged in, not paused, phone
    /// registered and on no other call.
    fn free_for_transfer(&self, agent: usize) -> bool {
        matches!(
            self.acd.agent_state(acd::ids::AgentId(agent as u32)),
            Some((acd::engine::AgentStatus::Available, acd::engine::RoutingState::Idle, true))
        )
    }

    /// The implicit subscription's one and final NOTIFY: the transfer succeeded (RFC 3515 2.4.5).
    fn notify_transfer_done(&mut self, leg_id: LegId) {
        let via = self.via_prefix_for(leg_id);
        let Some(leg) = self.legs.get_mut(&leg_id) else {
            return;
        };
        let Some(dialog) = &mut leg.dialog else {
            return;
        };
        let mut notify = dialog.create_request(Method::Notify, &mut self.rng, &via);
        notify.headers.push("Event", "refer");
        notify.headers.push("Subscription-State", "terminated;reason=noresource");
        notify.headers.push("Content-Type", "message/sipfrag;version=2.0");
        notify.body = b"SIP/2.0 200 OK\r\n".to_vec();
        let peer = leg.peer;
        if let Err(error) = self.tl.send_request(Time::from_millis(self.now), peer, notify) {
            tracing::debug!(%error, "notify not sent");
        }
    }

    /// Releases the agent leg and hands the caller, with music, to the target through the ACD.
    fn transfer(
        &mut self,
        call_id: CallId,
        agent_leg: LegId,
        target: TransferTo,
        acd_target: acd::engine::TransferTarget,
    ) {
        let now = self.now;
        if let Some(call) = self.calls.get(&call_id) {
            // The kind only: an outside number is not logged.
            let kind = match &target {
                TransferTo::Queue(_) => "queue",
                TransferTo::Agent(_) => "agent",
                TransferTo::Outside { .. } => "outside number",
            };
            call.span.in_scope(|| tracing::info!(to = kind, "blind transfer"));
        }
        self.hang_up_leg(agent_leg);
        self.finish_agent_leg(agent_leg, Outcome::Transferred);
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        call.agent = None;
        call.phase = Phase::Queued;
        call.queued_at = Some(now);
        // The caller's record counts all their talk; each agent's record has its own part.
        if let Some(at) = call.bridged_at.take() {
            call.talked_ms += now.saturating_sub(at);
        }
        match target {
            TransferTo::Queue(queue) => call.queue = Some(queue),
            TransferTo::Agent(_) => {}
            TransferTo::Outside { number, gateway } => {
                // The ACD lets the call go (and the agent wrap up); the switch dials. The call
                // keeps its queue to go back to if the number is not reached.
                call.phase = Phase::Talking;
                call.queued_at = None;
                call.in_acd = false;
                let queue = call.queue;
                let leg = LegId(self.next_id());
                if let Some(call) = self.calls.get_mut(&call_id) {
                    call.outside = Some(Outside { number, leg, dial_until: None, connected: false });
                }
                self.legs.insert(leg, Leg::new(call_id, LegRole::Outside, gateway, queue, now));
                self.media(MediaCommand::Open { leg, call: call_id });
            }
        }
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        let token = call.next_token;
        call.next_token += 1;
        let caller = call.caller_leg;
        self.media(MediaCommand::Play { leg: caller, token, items: vec![PlayItem::HoldMusic] });
        self.acd_inputs.push_back(acd::engine::Input::Transfer {
            call: acd::ids::CallId(call_id.0),
            to: acd_target,
        });
    }

    /// The outside leg's socket is open: dial the number through the gateway.
    pub(super) fn invite_outside(&mut self, leg_id: LegId, port: u16) {
        let Some(call_id) = self.legs.get(&leg_id).map(|leg| leg.call) else {
            return;
        };
        let dialling = self.calls.get(&call_id).and_then(|call| {
            let outside = call.outside.as_ref().filter(|outside| outside.leg == leg_id)?;
            let codec = self.legs.get(&call.caller_leg)?.negotiated.as_ref()?.codec;
            Some((outside.number.clone(), codec))
        });
        let Some((number, codec)) = dialling else {
            self.forget_leg(leg_id);
            return;
        };
        if !self.send_gateway_invite(leg_id, port, &number, codec) {
            if let Some(leg) = self.legs.get_mut(&leg_id) {
                leg.state = LegState::Ended;
            }
            self.forget_leg(leg_id);
            self.outside_failed(call_id, 503);
            return;
        }
        let until = self.now + self.outbound_ring_ms();
        if let Some(outside) = self.calls.get_mut(&call_id).and_then(|call| call.outside.as_mut()) {
            outside.dial_until = Some(until);
        }
        self.arm(until, super::Due::Call(call_id));
    }

    /// The outside number answered: bridge it to the caller.
    pub(super) fn outside_answered(&mut self, call_id: CallId, leg_id: LegId) {
        let Some(call) = self.calls.get_mut(&call_id) else {
            self.hang_up_leg(leg_id);
            self.forget_leg(leg_id);
            return;
        };
        let Some(outside) = call.outside.as_mut().filter(|outside| outside.leg == leg_id) else {
            self.hang_up_leg(leg_id);
            self.forget_leg(leg_id);
            return;
        };
        outside.connected = true;
        outside.dial_until = None;
        call.bridged_at = Some(self.now);
        call.span.in_scope(|| tracing::info!("outside transfer answered"));
        let caller = call.caller_leg;
        self.media(MediaCommand::Stop { leg: caller });
        self.configure_media(leg_id);
        self.media(MediaCommand::Bridge { a: caller, b: leg_id });
    }

    /// The outside number was not reached (`status`): the caller goes back to their queue,
    /// first in line. Nothing happens to a call whose outside party had answered.
    pub(super) fn outside_failed(&mut self, call_id: CallId, status: u16) {
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        if call.outside.as_ref().is_none_or(|outside| outside.connected) {
            return;
        }
        let Some(outside) = call.outside.take() else {
            return;
        };
        call.span.in_scope(|| tracing::info!(status, "outside transfer failed: back to the queue"));
        let Some(queue) = call.queue else {
            self.cancel_leg(outside.leg);
            self.end_call(call_id, Outcome::Failed);
            return;
        };
        call.phase = Phase::Queued;
        call.queue = Some(queue);
        call.queued_at = Some(self.now);
        call.in_acd = true;
        let steps = call.steps.clone();
        // The caller is told why the music goes on.
        let prompt = format!("{}/transfer_failed", call.session.lang().code());
        let mut items = Vec::new();
        if self.known_prompts.contains(&prompt) {
            items.push(PlayItem::Prompt(prompt));
        }
        items.push(PlayItem::HoldMusic);
        let token = call.next_token;
        call.next_token += 1;
        let caller = call.caller_leg;
        self.media(MediaCommand::Play { leg: caller, token, items });
        self.cancel_leg(outside.leg);
        self.acd_inputs.push_back(acd::engine::Input::CallArrived {
            call: acd::ids::CallId(call_id.0),
            queue: acd::ids::QueueId(queue as u32),
            priority: u8::MAX,
            steps,
            preferred: None,
        });
    }

    /// The outside leg hung up: the call is over once it was connected; before, it failed.
    pub(super) fn outside_hung_up(&mut self, call_id: CallId, leg_id: LegId) {
        let connected = self
            .calls
            .get(&call_id)
            .and_then(|call| call.outside.as_ref())
            .is_some_and(|outside| outside.leg == leg_id && outside.connected);
        if connected {
            self.end_call(call_id, Outcome::Transferred);
        } else {
            self.forget_leg(leg_id);
            self.outside_failed(call_id, 487);
        }
    }
}
