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
//! The target is the `Refer-To` user part: a queue's name or an agent's username (an agent
//! who is available, else 480 and the call stays with the transferor). Attended
//! transfer (`Refer-To` carrying `Replaces`) and outside numbers are not supported yet: they
//! are refused with 501 and the call stays as it was.

use sip_proto::header::NameAddr;
use sip_proto::message::{Method, Request};
use sip_proto::time::Time;
use sip_proto::transaction::TransactionKey;

use super::{LegId, LegRole, MediaCommand, Phase, PlayItem, Switch};
use crate::event::{CallId, Outcome};

/// Where a REFER sends the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TransferTo {
    Queue(usize),
    Agent(usize),
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
            LegRole::Caller | LegRole::Citizen => None,
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
        let Some(target) = refer_to.uri.user_unescaped().and_then(|user| self.transfer_target(&user, agent))
        else {
            self.respond(key, request, 404);
            return;
        };
        if let TransferTo::Agent(to) = target
            && !self.free_for_transfer(to)
        {
            // The caller stays with the agent, who can choose someone else.
            self.respond(key, request, 480);
            return;
        }
        let acd_target = match target {
            TransferTo::Queue(queue) => acd::engine::TransferTarget::Queue(acd::ids::QueueId(queue as u32)),
            TransferTo::Agent(to) => acd::engine::TransferTarget::Agent(acd::ids::AgentId(to as u32)),
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
        if let Some(call) = self.calls.get(&call_id) {
            call.span.in_scope(|| tracing::info!(agent, ?target, "blind transfer"));
        }
        self.transfer(call_id, leg_id, target, acd_target);
    }

    /// A queue by name, or another agent by username (case does not matter).
    fn transfer_target(&self, user: &str, from_agent: usize) -> Option<TransferTo> {
        if let Some(queue) = self.queues.iter().position(|name| name.eq_ignore_ascii_case(user)) {
            return Some(TransferTo::Queue(queue));
        }
        self.agents
            .iter()
            .position(|agent| agent.username.eq_ignore_ascii_case(user))
            .filter(|&agent| agent != from_agent)
            .map(TransferTo::Agent)
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
        self.hang_up_leg(agent_leg);
        self.finish_agent_leg(agent_leg, Outcome::Transferred);
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        call.agent = None;
        call.phase = Phase::Queued;
        call.queued_at = Some(now);
        if let TransferTo::Queue(queue) = target {
            call.queue = Some(queue);
        }
        let token = call.next_token;
        call.next_token += 1;
        let caller = call.caller_leg;
        self.media(MediaCommand::Play { leg: caller, token, items: vec![PlayItem::HoldMusic] });
        self.acd_inputs.push_back(acd::engine::Input::Transfer {
            call: acd::ids::CallId(call_id.0),
            to: acd_target,
        });
    }
}
