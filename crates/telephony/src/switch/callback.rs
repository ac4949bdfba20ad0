//! Callbacks that keep the caller's place (issue 4).
//!
//! A waiting caller presses the queue's callback key; if their number may be dialled (the
//! outbound allow-list), they hear a confirmation and hang up, and the call stays in the ACD
//! with no leg ([`Phase::CallbackHeld`]). When its turn comes the ACD reserves an agent
//! (`PlaceCallback`): the agent's phone rings first, and only when the agent answers is the
//! citizen called through the outbound gateway, so a citizen never answers to silence. The
//! citizen answering bridges the two (`CallbackResult::Connected`); a busy, unanswered or
//! failed citizen call frees the agent and counts an attempt (`Unreachable`); the ACD retries
//! later and, after the last attempt, gives up (`CallbackFailed`), which the server turns into a
//! note on the case. An agent who does not answer (or hangs up while the citizen rings) loses
//! the reservation, not the citizen's attempt: the ACD offers the callback to the next agent.

use super::{
    Call, CallbackRt, Leg, LegId, LegRole, LegState, MediaCommand, Phase, PlayItem, Switch,
};
use crate::event::{CallId, Event, LegKind, Outcome, ScheduledCallback};

impl Switch {
    /// Books a callback for later: the call holds no leg and joins `request.queue` at its time.
    /// Refused (`Err`, with why) when outbound calls are off, the number may not be dialled or
    /// the queue is unknown.
    pub(super) fn book_callback(&mut self, request: ScheduledCallback) -> Result<CallId, String> {
        let allowed = self.outbound.as_ref().map(|outbound| {
            outbound
                .allow
                .iter()
                .any(|pattern| pattern.matches(&request.number))
        });
        match allowed {
            None => return Err("no outbound gateway is configured".to_owned()),
            Some(false) => return Err("the number is not on the outbound allow-list".to_owned()),
            Some(true) => {}
        }
        let queue = self
            .queues
            .iter()
            .position(|name| *name == request.queue)
            .ok_or_else(|| format!("no queue named {}", request.queue))?;
        let id = CallId(self.next_id());
        let at = u64::try_from(request.at_unix_ms.saturating_sub(self.epoch_unix_ms))
            .unwrap_or(0)
            .max(self.now);
        let steps: Vec<acd::engine::RoutingStep> = self.steps_for(queue, request.lang);
        let span = tracing::info_span!("call", call.id = %id);
        span.in_scope(|| {
            tracing::info!(
                case.id = request.case,
                due_in_ms = at - self.now,
                "callback booked"
            )
        });
        let mut session = ivr::Session::new(std::sync::Arc::clone(&self.flow), request.lang);
        // The session is never started: it only carries the language.
        let _ = session.poll_output();
        // No leg yet: the citizen's leg replaces `LegId(0)` once they answer.
        let mut call = Call::new(
            id,
            span,
            LegId(0),
            Some(request.number.clone()),
            session,
            self.now,
        );
        call.phase = Phase::CallbackHeld;
        call.queue = Some(queue);
        call.queued_at = Some(at);
        call.in_acd = true;
        call.outcome = Some(Outcome::Callback);
        call.callback = Some(CallbackRt {
            number: request.number,
            codec: sip_proto::sdp::Codec::Pcma,
            agent: None,
            citizen_leg: None,
            dial_until: None,
            attempts: 0,
        });
        call.steps.clone_from(&steps);
        call.case = Some(request.case);
        self.calls.insert(id, call);
        self.acd_inputs
            .push_back(acd::engine::Input::ScheduleCallback {
                call: acd::ids::CallId(id.0),
                queue: acd::ids::QueueId(queue as u32),
                at: acd::ids::Millis(at),
                priority: 0,
                steps,
                preferred: None,
            });
        Ok(id)
    }

    /// The caller pressed the queue's callback key.
    pub(super) fn callback_key_pressed(&mut self, call_id: CallId) {
        let Some(call) = self.calls.get(&call_id) else {
            return;
        };
        let lang = call.session.lang().code();
        let number = call.caller.clone().filter(|number| {
            self.outbound.as_ref().is_some_and(|outbound| {
                outbound.allow.iter().any(|pattern| pattern.matches(number))
            })
        });
        let codec = self
            .legs
            .get(&call.caller_leg)
            .and_then(|leg| leg.negotiated.as_ref())
            .map(|negotiated| negotiated.codec);
        let (Some(number), Some(codec)) = (number, codec) else {
            call.span
                .in_scope(|| tracing::info!("callback refused: the number may not be dialled"));
            let prompt = format!("{lang}/callback_unavailable");
            let first = if self.known_prompts.contains(&prompt) {
                PlayItem::Prompt(prompt)
            } else {
                PlayItem::Beep
            };
            self.play(call_id, vec![first, PlayItem::HoldMusic]);
            return;
        };
        call.span
            .in_scope(|| tracing::info!("callback requested in the queue"));
        let prompt = format!("{lang}/callback_kept");
        let item = if self.known_prompts.contains(&prompt) {
            PlayItem::Prompt(prompt)
        } else {
            PlayItem::Beep
        };
        let token = self.play(call_id, vec![item]);
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        call.phase = Phase::CallbackConfirm;
        call.confirm_token = token;
        call.callback = Some(CallbackRt {
            number,
            codec,
            agent: None,
            citizen_leg: None,
            dial_until: None,
            attempts: 0,
        });
    }

    /// Plays `items` to the call's caller leg; returns the playback's token.
    fn play(&mut self, call_id: CallId, items: Vec<PlayItem>) -> Option<u64> {
        let call = self.calls.get_mut(&call_id)?;
        let token = call.next_token;
        call.next_token += 1;
        let leg = call.caller_leg;
        self.media(MediaCommand::Play { leg, token, items });
        Some(token)
    }

    /// The confirmation was heard (or the caller hung up on it): the caller's leg ends and
    /// the call keeps its place without one.
    pub(super) fn callback_confirmed(&mut self, call_id: CallId) {
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        if call.phase != Phase::CallbackConfirm {
            return;
        }
        call.phase = Phase::CallbackHeld;
        call.confirm_token = None;
        call.outcome = Some(Outcome::Callback);
        let leg = call.caller_leg;
        let event = Event::CallbackRequested {
            call: call_id,
            caller: call.caller.clone(),
            lang: call.session.lang(),
            choices: call.session.record().choices().cloned().collect(),
            in_queue: true,
        };
        self.acd_inputs
            .push_back(acd::engine::Input::CallbackRequested {
                call: acd::ids::CallId(call_id.0),
            });
        if self
            .legs
            .get(&leg)
            .is_some_and(|leg| leg.state == LegState::Up)
        {
            self.hang_up_leg(leg);
        }
        self.forget_leg(leg);
        self.emit(event);
    }

    /// The ACD reserved `agent` for the callback: ring the agent first.
    pub(super) fn place_callback(&mut self, call_id: CallId, agent: usize) {
        let peer = self.agent_peer(agent);
        let (acd_call, acd_agent) = (acd::ids::CallId(call_id.0), acd::ids::AgentId(agent as u32));
        let held = self
            .calls
            .get(&call_id)
            .is_some_and(|call| call.phase == Phase::CallbackHeld);
        let (true, Some(peer)) = (held, peer) else {
            self.acd_inputs.push_back(acd::engine::Input::OfferFailed {
                call: acd_call,
                agent: acd_agent,
            });
            return;
        };
        let ring = self
            .calls
            .get(&call_id)
            .and_then(|call| call.queue)
            .and_then(|queue| self.queue_options.get(queue))
            .map_or(20_000, |options| options.ring_timeout);
        let now = self.now;
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        call.span
            .in_scope(|| tracing::info!(agent, "calling back: ringing the agent first"));
        call.phase = Phase::CallbackDialing;
        if let Some(callback) = call.callback.as_mut() {
            callback.dial_until = Some(now + ring);
        }
        self.arm(now + ring, super::Due::Call(call_id));
        self.open_agent_leg(call_id, agent, peer);
    }

    /// The agent took the callback: they hear hold music while the citizen's phone rings.
    pub(super) fn callback_agent_answered(
        &mut self,
        call_id: CallId,
        agent: usize,
        agent_leg: LegId,
    ) {
        let Some(peer) = self.gateway_peer() else {
            return;
        };
        let citizen_leg = LegId(self.next_id());
        let now = self.now;
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        call.offers.remove(&agent);
        let queue = call.queue;
        let token = call.next_token;
        call.next_token += 1;
        let Some(callback) = call.callback.as_mut() else {
            return;
        };
        callback.agent = Some((agent, agent_leg));
        callback.citizen_leg = Some(citizen_leg);
        callback.dial_until = None;
        self.configure_media(agent_leg);
        self.media(MediaCommand::Play {
            leg: agent_leg,
            token,
            items: vec![PlayItem::HoldMusic],
        });
        self.legs.insert(
            citizen_leg,
            Leg::new(call_id, LegRole::Citizen, peer, queue, now),
        );
        self.media(MediaCommand::Open {
            leg: citizen_leg,
            call: call_id,
        });
    }

    /// The citizen leg's socket is open: dial the citizen.
    pub(super) fn invite_citizen(&mut self, leg_id: LegId, port: u16) {
        let Some(call_id) = self.legs.get(&leg_id).map(|leg| leg.call) else {
            return;
        };
        let ring = self.outbound_ring_ms();
        let Some((number, codec)) = self
            .calls
            .get(&call_id)
            .and_then(|call| call.callback.as_ref())
            .map(|callback| (callback.number.clone(), callback.codec))
        else {
            self.forget_leg(leg_id);
            return;
        };
        if !self.send_gateway_invite(leg_id, port, &number, codec) {
            if let Some(leg) = self.legs.get_mut(&leg_id) {
                leg.state = LegState::Ended;
            }
            self.citizen_unreachable(call_id);
            return;
        }
        let now = self.now;
        if let Some(callback) = self
            .calls
            .get_mut(&call_id)
            .and_then(|call| call.callback.as_mut())
        {
            callback.dial_until = Some(now + ring);
        }
        self.arm(now + ring, super::Due::Call(call_id));
    }

    /// The citizen answered: bridge them to the waiting agent.
    pub(super) fn citizen_answered(&mut self, call_id: CallId, citizen_leg: LegId) {
        let now = self.now;
        let Some(call) = self.calls.get_mut(&call_id) else {
            self.hang_up_leg(citizen_leg);
            self.forget_leg(citizen_leg);
            return;
        };
        let Some((agent, agent_leg)) = call.callback.as_ref().and_then(|callback| callback.agent)
        else {
            return;
        };
        let attempts = call
            .callback
            .as_ref()
            .map_or(0, |callback| callback.attempts)
            + 1;
        let case = call.case;
        call.span
            .in_scope(|| tracing::info!(agent, "callback connected"));
        call.callback = None;
        call.caller_leg = citizen_leg;
        call.agent = Some((agent, agent_leg));
        call.phase = Phase::Talking;
        if let Some(queued_at) = call.queued_at.take() {
            call.wait_ms += now.saturating_sub(queued_at);
        }
        call.bridged_at = Some(now);
        self.acd_inputs
            .push_back(acd::engine::Input::CallbackResult {
                call: acd::ids::CallId(call_id.0),
                outcome: acd::engine::CallbackOutcome::Connected,
            });
        self.media(MediaCommand::Stop { leg: agent_leg });
        self.configure_media(citizen_leg);
        self.media(MediaCommand::Bridge {
            a: citizen_leg,
            b: agent_leg,
        });
        let at = self.unix(now);
        self.emit(Event::CallAnswered {
            call: call_id,
            leg: LegKind::Caller,
            at,
        });
        let name = self.agent_name(agent);
        self.emit(Event::CallAnswered {
            call: call_id,
            leg: LegKind::Agent { agent: name },
            at,
        });
        self.emit(Event::CallbackFinished {
            call: call_id,
            case,
            connected: true,
            attempts,
        });
    }

    /// The citizen could not be reached this time: free the agent, count the attempt, and let
    /// the ACD decide on a retry.
    pub(super) fn citizen_unreachable(&mut self, call_id: CallId) {
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        if call.phase != Phase::CallbackDialing {
            return;
        }
        call.phase = Phase::CallbackHeld;
        let Some(callback) = call.callback.as_mut() else {
            return;
        };
        callback.attempts += 1;
        callback.dial_until = None;
        let agent = callback.agent.take();
        let citizen = callback.citizen_leg.take();
        call.span.in_scope(|| {
            tracing::info!(attempt = callback.attempts, "callback: citizen not reached")
        });
        if let Some(leg) = citizen {
            self.cancel_leg(leg);
        }
        if let Some((_, leg)) = agent {
            self.hang_up_leg(leg);
            self.finish_agent_leg(leg, Outcome::Unreachable);
        }
        self.acd_inputs
            .push_back(acd::engine::Input::CallbackResult {
                call: acd::ids::CallId(call_id.0),
                outcome: acd::engine::CallbackOutcome::Unreachable,
            });
    }

    /// The agent hung up while the citizen's phone rang: the reservation is lost, not the
    /// citizen's attempt.
    pub(super) fn callback_agent_left(&mut self, call_id: CallId) {
        let agent = self
            .calls
            .get(&call_id)
            .and_then(|call| call.callback.as_ref())
            .and_then(|callback| callback.agent);
        self.abort_callback_dialing(call_id);
        if let Some((agent, _)) = agent {
            self.offer_lost(call_id, agent, true);
        }
    }

    /// Stops both legs of a callback being placed; the call holds its place again.
    pub(super) fn abort_callback_dialing(&mut self, call_id: CallId) {
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        if call.phase != Phase::CallbackDialing {
            return;
        }
        call.phase = Phase::CallbackHeld;
        let offers: Vec<LegId> = std::mem::take(&mut call.offers).into_values().collect();
        let Some(callback) = call.callback.as_mut() else {
            return;
        };
        callback.dial_until = None;
        let agent = callback.agent.take();
        let citizen = callback.citizen_leg.take();
        for leg in offers
            .into_iter()
            .chain(agent.map(|(_, leg)| leg))
            .chain(citizen)
        {
            self.cancel_leg(leg);
        }
    }

    /// The phone now ringing (the agent's, then the citizen's) has rung long enough.
    pub(super) fn callback_ring_timeout(&mut self, call_id: CallId) {
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        let Some(callback) = call.callback.as_mut() else {
            return;
        };
        callback.dial_until = None;
        if callback.citizen_leg.is_some() {
            self.citizen_unreachable(call_id);
            return;
        }
        let ringing: Vec<(usize, LegId)> = call
            .offers
            .iter()
            .map(|(agent, leg)| (*agent, *leg))
            .collect();
        for (agent, leg) in ringing {
            self.cancel_leg(leg);
            self.offer_lost(call_id, agent, true);
        }
    }

    /// The ACD gave the callback up after its last attempt.
    pub(super) fn callback_failed(&mut self, call_id: CallId, attempts: u32) {
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        call.span
            .in_scope(|| tracing::info!(attempts, "callback given up"));
        // The engine has already forgotten the call.
        call.in_acd = false;
        let case = call.case;
        self.emit(Event::CallbackFinished {
            call: call_id,
            case,
            connected: false,
            attempts,
        });
        self.end_call(call_id, Outcome::Unreachable);
    }
}
