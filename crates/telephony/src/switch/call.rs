//! The call side of the switch: creating calls, driving each call's IVR session, turning ACD
//! decisions into agent legs, bridging, voicemail, and ending calls with their records.

use std::net::{IpAddr, SocketAddr};

use sip_proto::sdp;
use sip_proto::transaction::{Peer, TransactionKey};

use super::{
    Call, Leg, LegId, LegRole, LegState, MediaCommand, MediaEvent, Output, PendingRecording, Phase,
    PlayItem, RECORD_GRACE, Switch,
};
use crate::event::{CallId, Cdr, Event, LegKind, Outcome};

impl Switch {
    pub(super) fn new_caller_call(
        &mut self,
        key: TransactionKey,
        peer: Peer,
        request: sip_proto::message::Request,
        offer: sdp::Session,
        caller: Option<String>,
    ) -> LegId {
        let id = CallId(self.next_id());
        let leg = LegId(self.next_id());
        let span = tracing::info_span!("call", call.id = %id);
        span.in_scope(|| tracing::info!(peer = %peer.addr, "inbound call"));
        let session = ivr::Session::new(std::sync::Arc::clone(&self.flow), ivr::Lang::Bg);
        self.calls
            .insert(id, Call::new(id, span, leg, caller, session, self.now));
        let mut caller_leg = Leg::new(id, LegRole::Caller, peer, None, self.now);
        caller_leg.invite = Some(request);
        caller_leg.invite_key = Some(key);
        caller_leg.offer = Some(offer);
        self.legs.insert(leg, caller_leg);
        self.media(MediaCommand::Open { leg, call: id });
        let at = self.unix(self.now);
        self.emit(Event::CallStarted {
            call: id,
            leg: LegKind::Caller,
            at,
        });
        leg
    }

    pub(super) fn leg_opened(&mut self, leg_id: LegId, port: Result<u16, String>) {
        let Some(leg) = self.legs.get_mut(&leg_id) else {
            if port.is_ok() {
                self.media(MediaCommand::Close { leg: leg_id });
            }
            return;
        };
        let (call_id, role, state) = (leg.call, leg.role, leg.state);
        let port = match port {
            Ok(port) => {
                leg.media_open = true;
                port
            }
            Err(error) => {
                tracing::warn!(call.id = %call_id, %error, "no media port");
                leg.state = LegState::Ended;
                match role {
                    LegRole::Caller => {
                        self.reject_caller(leg_id, 503);
                        self.end_call(call_id, Outcome::Failed);
                    }
                    LegRole::Agent(agent) => {
                        self.offer_lost(call_id, agent, false);
                        self.finish_agent_leg(leg_id, Outcome::Failed);
                    }
                    LegRole::Citizen => self.citizen_unreachable(call_id),
                    LegRole::Outside => self.outside_failed(call_id, 503),
                }
                return;
            }
        };
        if state != LegState::Opening {
            // The call ended while the socket was being opened.
            self.forget_leg(leg_id);
            return;
        }
        match role {
            LegRole::Caller => {
                if !self.answer_caller(leg_id, port) {
                    self.reject_caller(leg_id, 488);
                    if let Some(leg) = self.legs.get_mut(&leg_id) {
                        leg.state = LegState::Ended;
                    }
                    self.end_call(call_id, Outcome::Rejected);
                    return;
                }
                let at = self.unix(self.now);
                let now = self.now;
                let Some(call) = self.calls.get_mut(&call_id) else {
                    return;
                };
                call.phase = Phase::Ivr;
                call.answered_at = Some(now);
                call.span.in_scope(|| tracing::info!("answered by the ivr"));
                call.session.start(ivr::Millis(now));
                self.emit(Event::CallAnswered {
                    call: call_id,
                    leg: LegKind::Caller,
                    at,
                });
                self.drive_session(call_id);
            }
            LegRole::Citizen => self.invite_citizen(leg_id, port),
            LegRole::Outside => self.invite_outside(leg_id, port),
            LegRole::Agent(agent) => {
                // A callback's caller leg is gone; its codec was kept.
                let codec = self.calls.get(&call_id).and_then(|call| {
                    let caller = self
                        .legs
                        .get(&call.caller_leg)
                        .filter(|leg| leg.role == LegRole::Caller);
                    caller
                        .and_then(|caller| caller.negotiated.as_ref())
                        .map(|negotiated| negotiated.codec)
                        .or(call.callback.as_ref().map(|callback| callback.codec))
                });
                let sent = match codec {
                    Some(codec) => self.invite_agent(leg_id, port, codec),
                    None => false,
                };
                if !sent {
                    if let Some(leg) = self.legs.get_mut(&leg_id) {
                        leg.state = LegState::Ended;
                    }
                    self.offer_lost(call_id, agent, false);
                    self.finish_agent_leg(leg_id, Outcome::Failed);
                }
            }
        }
    }

    /// Points the leg's media at the negotiated remote address.
    pub(super) fn configure_media(&mut self, leg_id: LegId) {
        let Some(leg) = self.legs.get(&leg_id) else {
            return;
        };
        let Some(negotiated) = &leg.negotiated else {
            return;
        };
        let ip = negotiated
            .remote_address
            .parse::<IpAddr>()
            .ok()
            .filter(|ip| !ip.is_unspecified())
            .unwrap_or(leg.peer.addr.ip());
        let codec = match negotiated.codec {
            sdp::Codec::Pcma => media::g711::Codec::Pcma,
            sdp::Codec::Pcmu => media::g711::Codec::Pcmu,
        };
        let command = MediaCommand::Configure {
            leg: leg_id,
            remote: SocketAddr::new(ip, negotiated.remote_port),
            codec,
            payload_type: negotiated.payload_type,
            telephone_event: negotiated.telephone_event,
        };
        self.media(command);
    }

    /// Carries out everything the call's IVR session asks for.
    pub(super) fn drive_session(&mut self, call_id: CallId) {
        if let Some(call) = self.calls.get_mut(&call_id) {
            call.ivr_timer = None;
        }
        loop {
            let Some(call) = self.calls.get_mut(&call_id) else {
                return;
            };
            let Some(output) = call.session.poll_output() else {
                return;
            };
            self.session_output(call_id, output);
        }
    }

    fn session_output(&mut self, call_id: CallId, output: ivr::Output) {
        let now = self.now;
        let open = self.is_open();
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        let _span = call.span.clone().entered();
        let leg = call.caller_leg;
        match output {
            ivr::Output::Play { id, prompts } => {
                let token = call.next_token;
                call.next_token += 1;
                call.ivr_playback = Some((id, token));
                let items = prompts.into_iter().map(PlayItem::Prompt).collect();
                self.media(MediaCommand::Play { leg, token, items });
            }
            ivr::Output::StopPlayback { id } => {
                if call.ivr_playback.is_some_and(|(playing, _)| playing == id) {
                    call.ivr_playback = None;
                    self.media(MediaCommand::Stop { leg });
                }
            }
            ivr::Output::CheckHours { schedule } => {
                tracing::debug!(schedule, open, "hours checked");
                call.session.handle_hours(ivr::Millis(now), open);
            }
            ivr::Output::CheckFlag { flag } => {
                let on = self.flags.contains(&flag);
                call.session.handle_flag(ivr::Millis(now), on);
            }
            ivr::Output::Enqueue { queue, .. } => {
                let Some(index) = self.queues.iter().position(|name| *name == queue) else {
                    tracing::warn!(queue, "unknown queue; overflowing");
                    call.session.handle_queue_overflow(ivr::Millis(now));
                    return;
                };
                tracing::info!(queue, "queued");
                let lang = call.session.lang();
                let caller = call.caller.clone();
                let steps = self.steps_for(index, lang);
                let preferred = self.preferred_agent(index, caller.as_deref());
                let Some(call) = self.calls.get_mut(&call_id) else {
                    return;
                };
                call.steps.clone_from(&steps);
                call.phase = Phase::Queued;
                call.queue = Some(index);
                call.queued_at = Some(now);
                call.in_acd = true;
                call.ivr_playback = None;
                let token = call.next_token;
                call.next_token += 1;
                self.acd_inputs.push_back(acd::engine::Input::CallArrived {
                    call: acd::ids::CallId(call_id.0),
                    queue: acd::ids::QueueId(index as u32),
                    priority: 0,
                    steps,
                    preferred,
                });
                self.media(MediaCommand::Play {
                    leg,
                    token,
                    items: vec![PlayItem::HoldMusic],
                });
            }
            ivr::Output::RecordMessage { max_ms, .. } => {
                tracing::info!("recording a message");
                call.phase = Phase::Recording;
                call.record_until = Some(now + max_ms + RECORD_GRACE);
                call.ivr_playback = None;
                self.arm(now + max_ms + RECORD_GRACE, super::Due::Call(call_id));
                self.media(MediaCommand::Record { leg, max_ms });
            }
            ivr::Output::RequestCallback { lang, choices } => {
                let accepted = call.caller.is_some();
                if accepted {
                    call.outcome = Some(Outcome::Callback);
                    let event = Event::CallbackRequested {
                        call: call_id,
                        caller: call.caller.clone(),
                        lang,
                        choices,
                        in_queue: false,
                    };
                    tracing::info!("callback requested");
                    call.session.handle_callback(ivr::Millis(now), true);
                    self.emit(event);
                } else {
                    call.session.handle_callback(ivr::Millis(now), false);
                }
            }
            ivr::Output::Transfer { .. } => {
                tracing::warn!("external transfers are not supported by this switch yet");
                self.end_call(call_id, Outcome::Failed);
            }
            ivr::Output::Hangup => {
                let outcome = call.outcome.unwrap_or(Outcome::Ivr);
                self.end_call(call_id, outcome);
            }
            ivr::Output::Failed { error } => {
                tracing::error!(%error, "ivr flow failed");
                self.end_call(call_id, Outcome::Failed);
            }
            ivr::Output::Timeout(at) => {
                call.ivr_timer = Some(at.0);
                self.arm(at.0, super::Due::Call(call_id));
            }
        }
    }

    /// The agent a returning caller waits for first, if the queue asks for it.
    fn preferred_agent(
        &self,
        queue: usize,
        caller: Option<&str>,
    ) -> Option<acd::engine::PreferredAgent> {
        let wait = self.queue_options.get(queue)?.preferred_agent_wait?;
        let (agent, at) = self.last_agents.get(caller?)?;
        (self.now.saturating_sub(*at) <= super::REMEMBER_AGENT_MS).then_some(
            acd::engine::PreferredAgent {
                agent: acd::ids::AgentId(*agent as u32),
                wait: acd::ids::Millis(wait),
            },
        )
    }

    /// Remembers who answered `caller`, for their next call.
    fn remember_agent(&mut self, caller: &str, agent: usize) {
        let now = self.now;
        if self.last_agents.len() >= super::REMEMBER_AGENT_MAX {
            self.last_agents
                .retain(|_, (_, at)| now.saturating_sub(*at) <= super::REMEMBER_AGENT_MS);
            if self.last_agents.len() >= super::REMEMBER_AGENT_MAX {
                // Still full of recent callers: forget the older half.
                let mut times: Vec<u64> = self.last_agents.values().map(|(_, at)| *at).collect();
                times.sort_unstable();
                let cut = times[times.len() / 2];
                self.last_agents.retain(|_, (_, at)| *at > cut);
            }
        }
        self.last_agents.insert(caller.to_owned(), (agent, now));
    }

    /// The queue's skill steps that apply to a caller in `lang`.
    pub(super) fn steps_for(&self, queue: usize, lang: ivr::Lang) -> Vec<acd::engine::RoutingStep> {
        self.queue_options
            .get(queue)
            .into_iter()
            .flat_map(|options| &options.steps)
            .filter(|(only, _)| only.is_none_or(|only| only == lang))
            .map(|(_, step)| step.clone())
            .collect()
    }

    fn is_open(&self) -> bool {
        calendar::Timestamp::from_unix_millis(self.unix(self.now))
            .is_some_and(|now| self.hours.is_open(&self.calendar, now))
    }

    pub(super) fn media_event(&mut self, event: MediaEvent) {
        match event {
            MediaEvent::PlayDone { leg, token } => {
                let Some(call_id) = self.legs.get(&leg).map(|leg| leg.call) else {
                    return;
                };
                let now = self.now;
                let Some(call) = self.calls.get_mut(&call_id) else {
                    return;
                };
                if call.confirm_token.is_some_and(|confirm| confirm == token) {
                    self.callback_confirmed(call_id);
                    return;
                }
                let Some((id, playing)) = call.ivr_playback else {
                    return;
                };
                if playing != token {
                    return;
                }
                call.ivr_playback = None;
                call.session.handle_prompt_done(ivr::Millis(now), id);
                self.drive_session(call_id);
            }
            MediaEvent::Digit { leg, digit } => self.digit(leg, digit),
            MediaEvent::Recorded { leg, wav } => {
                let Some(pending) = self.recordings.remove(&leg) else {
                    return;
                };
                let event = Event::VoicemailRecorded {
                    call: pending.call,
                    path: pending.path.clone(),
                    caller: pending.caller,
                    lang: pending.lang,
                    choices: pending.choices,
                };
                self.outputs.push_back(Output::SaveRecording {
                    path: pending.path,
                    wav,
                    event,
                });
                let now = self.now;
                if let Some(call) = self.calls.get_mut(&pending.call)
                    && call.phase == Phase::Recording
                {
                    call.phase = Phase::Ivr;
                    call.outcome = Some(Outcome::Voicemail);
                    call.session.handle_recording_done(ivr::Millis(now));
                    self.drive_session(pending.call);
                }
                // A caller who hung up while recording had the socket kept open until now.
                if !self.calls.contains_key(&pending.call) {
                    self.forget_leg(leg);
                }
            }
        }
    }

    pub(super) fn digit(&mut self, leg_id: LegId, digit: char) {
        let Some(leg) = self.legs.get(&leg_id) else {
            return;
        };
        if leg.role != LegRole::Caller {
            return;
        }
        let call_id = leg.call;
        let now = self.now;
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        call.span.in_scope(|| tracing::debug!("key pressed"));
        let callback_key = call
            .queue
            .and_then(|queue| self.queue_options.get(queue))
            .and_then(|options| options.callback_key);
        if call.phase == Phase::Queued && callback_key == Some(digit) {
            self.callback_key_pressed(call_id);
            return;
        }
        call.session.handle_digit(ivr::Millis(now), digit);
        self.drive_session(call_id);
    }

    /// Stops a voicemail recording (its time is up); the IVR goes on when the WAV arrives.
    pub(super) fn stop_recording(&mut self, call_id: CallId) {
        let dir = self.recordings_dir.clone();
        let unix = self.unix(self.now);
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        if call.phase != Phase::Recording || call.record_until.is_none() {
            return;
        }
        call.record_until = None;
        let leg = call.caller_leg;
        let record = call.session.record();
        let choices = record.choices().cloned().collect();
        let pending = PendingRecording {
            call: call_id,
            path: dir.join(format!("voicemail-{unix}-{call_id}.wav")),
            caller: call.caller.clone(),
            lang: call.session.lang(),
            choices,
        };
        self.recordings.insert(leg, pending);
        self.media(MediaCommand::StopRecording { leg });
    }

    /// The remote end of a leg hung up (BYE), or never acknowledged our answer.
    pub(super) fn leg_hung_up(&mut self, leg_id: LegId) {
        let Some(leg) = self.legs.get_mut(&leg_id) else {
            return;
        };
        leg.state = LegState::Ended;
        let (call_id, role) = (leg.call, leg.role);
        match role {
            LegRole::Caller => {
                let outcome = match self.calls.get(&call_id) {
                    Some(call) => match call.phase {
                        Phase::Queued => Outcome::Abandoned,
                        Phase::Talking => Outcome::Answered,
                        Phase::Recording => Outcome::Voicemail,
                        // Hanging up on the confirmation is what callers do: it stands.
                        Phase::CallbackConfirm => {
                            self.callback_confirmed(call_id);
                            return;
                        }
                        Phase::Setup
                        | Phase::Ivr
                        | Phase::CallbackHeld
                        | Phase::CallbackDialing => call.outcome.unwrap_or(Outcome::Ivr),
                    },
                    None => Outcome::Ivr,
                };
                self.end_call(call_id, outcome);
            }
            LegRole::Citizen => {
                let connected = self
                    .calls
                    .get(&call_id)
                    .is_some_and(|call| call.phase == Phase::Talking && call.caller_leg == leg_id);
                if connected {
                    self.end_call(call_id, Outcome::Answered);
                } else {
                    self.citizen_unreachable(call_id);
                }
            }
            LegRole::Outside => self.outside_hung_up(call_id, leg_id),
            LegRole::Agent(agent) => {
                let talking = self
                    .calls
                    .get(&call_id)
                    .is_some_and(|call| call.agent.is_some_and(|(_, leg)| leg == leg_id));
                let calling_back = self.calls.get(&call_id).is_some_and(|call| {
                    call.callback
                        .as_ref()
                        .and_then(|callback| callback.agent)
                        .is_some_and(|(_, leg)| leg == leg_id)
                });
                if talking {
                    tracing::info!(call.id = %call_id, agent, "agent hung up");
                    self.end_call(call_id, Outcome::Answered);
                } else if calling_back {
                    self.callback_agent_left(call_id);
                } else {
                    self.offer_lost(call_id, agent, true);
                    self.finish_agent_leg(leg_id, Outcome::NoAnswer);
                }
            }
        }
    }

    /// Ends a call: every leg is hung up or cancelled, the ACD and the IVR are told, and the
    /// records go out.
    pub(super) fn end_call(&mut self, call_id: CallId, outcome: Outcome) {
        let Some(mut call) = self.calls.remove(&call_id) else {
            return;
        };
        let span = call.span.clone();
        let _entered = span.enter();
        let now = self.now;
        if call.in_acd {
            self.acd_inputs.push_back(acd::engine::Input::CallEnded {
                call: acd::ids::CallId(call_id.0),
            });
        }
        if let Some(queued_at) = call.queued_at.take()
            && call.bridged_at.is_none()
        {
            call.wait_ms += now.saturating_sub(queued_at);
        }
        call.session.handle_caller_hangup(ivr::Millis(now));
        let mut outcome = match (outcome, call.outcome) {
            (Outcome::Ivr, Some(earlier)) => earlier,
            (outcome, _) => outcome,
        };
        // A caller hanging up during the recording leaves the message.
        if call.phase == Phase::Recording {
            outcome = Outcome::Voicemail;
            if call.record_until.is_some() {
                self.calls.insert(call_id, call);
                self.stop_recording(call_id);
                let Some(back) = self.calls.remove(&call_id) else {
                    return;
                };
                call = back;
            }
        }
        for leg in call.offers.values().copied().collect::<Vec<_>>() {
            self.cancel_leg(leg);
        }
        if let Some(callback) = call.callback.take() {
            let legs = callback
                .agent
                .map(|(_, leg)| leg)
                .into_iter()
                .chain(callback.citizen_leg);
            for leg in legs.filter(|leg| *leg != call.caller_leg) {
                self.cancel_leg(leg);
            }
        }
        if let Some((_, leg)) = call.agent {
            if self
                .legs
                .get(&leg)
                .is_some_and(|leg| leg.state == LegState::Up)
            {
                self.hang_up_leg(leg);
            }
            self.finish_agent_leg(leg, Outcome::Answered);
        }
        if let Some(outside) = call.outside.take() {
            if outside.connected {
                outcome = Outcome::Transferred;
            }
            self.cancel_leg(outside.leg);
        }
        let caller_leg = call.caller_leg;
        match self.legs.get(&caller_leg).map(|leg| leg.state) {
            Some(LegState::Opening) => {
                self.reject_caller(caller_leg, 503);
                if let Some(leg) = self.legs.get_mut(&caller_leg) {
                    leg.state = LegState::Ended;
                }
            }
            Some(LegState::Up) => self.hang_up_leg(caller_leg),
            _ => {}
        }
        let recording = self.recordings.contains_key(&caller_leg);
        if !recording {
            self.forget_leg(caller_leg);
        }
        let talk_ms = call.talked_ms + call.bridged_at.map_or(0, |at| now.saturating_sub(at));
        if let (Some(caller), Some((agent, _)), Some(_)) =
            (&call.caller, call.agent, call.bridged_at)
        {
            self.remember_agent(caller, agent);
        }
        let cdr = Cdr {
            call: call_id,
            leg: LegKind::Caller,
            caller: call.caller.clone(),
            started_at: self.unix(call.started_at),
            answered_at: call.answered_at.map(|at| self.unix(at)),
            ended_at: self.unix(now),
            queue: call.queue.and_then(|queue| self.queues.get(queue).cloned()),
            wait_ms: call.wait_ms,
            talk_ms,
            agent: call
                .agent
                .and_then(|(agent, _)| self.agents.get(agent))
                .map(|agent| agent.username.clone()),
            outcome,
        };
        tracing::info!(
            outcome = outcome.as_str(),
            wait_ms = call.wait_ms,
            talk_ms,
            "call ended"
        );
        let steps = call.session.record().steps.clone();
        self.emit(Event::IvrPath {
            call: call_id,
            steps,
        });
        self.emit(Event::CallEnded(cdr));
    }

    /// The ACD wants `agent` rung for `call`.
    pub(super) fn offer(&mut self, call_id: CallId, agent: usize) {
        let peer = self.agent_peer(agent);
        let Some(call) = self.calls.get_mut(&call_id) else {
            self.acd_inputs.push_back(acd::engine::Input::OfferFailed {
                call: acd::ids::CallId(call_id.0),
                agent: acd::ids::AgentId(agent as u32),
            });
            return;
        };
        let Some(peer) = peer else {
            call.span
                .in_scope(|| tracing::info!(agent, "agent has no registered phone"));
            self.acd_inputs.push_back(acd::engine::Input::OfferFailed {
                call: acd::ids::CallId(call_id.0),
                agent: acd::ids::AgentId(agent as u32),
            });
            return;
        };
        call.span
            .in_scope(|| tracing::info!(agent, "ringing agent"));
        self.open_agent_leg(call_id, agent, peer);
    }

    /// Opens the media of a new leg to `agent`; its INVITE goes out once the socket is ready.
    pub(super) fn open_agent_leg(&mut self, call_id: CallId, agent: usize, peer: Peer) {
        let leg = LegId(self.next_id());
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        let queue = call.queue;
        call.offers.insert(agent, leg);
        self.legs.insert(
            leg,
            Leg::new(call_id, LegRole::Agent(agent), peer, queue, self.now),
        );
        self.media(MediaCommand::Open { leg, call: call_id });
        let name = self.agent_name(agent);
        let at = self.unix(self.now);
        self.emit(Event::CallStarted {
            call: call_id,
            leg: LegKind::Agent { agent: name },
            at,
        });
    }

    /// The ACD stops an offer (ring timeout, the caller left, another agent won) or a
    /// callback's reservation (its time ran out).
    pub(super) fn cancel_offer(&mut self, call_id: CallId, agent: usize) {
        if self
            .calls
            .get(&call_id)
            .is_some_and(|call| call.phase == Phase::CallbackDialing)
        {
            self.abort_callback_dialing(call_id);
            return;
        }
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        if let Some(leg) = call.offers.remove(&agent) {
            self.cancel_leg(leg);
            return;
        }
        let Some((talking, leg)) = call.agent else {
            return;
        };
        if talking != agent {
            return;
        }
        // The ACD refused a late answer: hang up that phone and give the caller back the
        // hold music and their place.
        tracing::warn!(call.id = %call_id, agent, "late answer withdrawn by the acd");
        call.agent = None;
        call.bridged_at = None;
        call.phase = Phase::Queued;
        call.queued_at = Some(self.now);
        let token = call.next_token;
        call.next_token += 1;
        let caller = call.caller_leg;
        self.hang_up_leg(leg);
        self.finish_agent_leg(leg, Outcome::NoAnswer);
        self.media(MediaCommand::Play {
            leg: caller,
            token,
            items: vec![PlayItem::HoldMusic],
        });
    }

    /// Tells the ACD that an offer did not work out.
    pub(super) fn offer_lost(&mut self, call_id: CallId, agent: usize, rejected: bool) {
        if let Some(call) = self.calls.get_mut(&call_id) {
            call.offers.remove(&agent);
            // A callback's agent did not take it: the place is kept for the next agent.
            if call.phase == Phase::CallbackDialing {
                call.phase = Phase::CallbackHeld;
                if let Some(callback) = call.callback.as_mut() {
                    callback.dial_until = None;
                }
            }
        }
        let (call, agent) = (acd::ids::CallId(call_id.0), acd::ids::AgentId(agent as u32));
        let input = if rejected {
            acd::engine::Input::OfferRejected { call, agent }
        } else {
            acd::engine::Input::OfferFailed { call, agent }
        };
        self.acd_inputs.push_back(input);
    }

    /// The agent's phone answered: tell the ACD, which confirms with the agent's new state.
    pub(super) fn agent_answered(&mut self, call_id: CallId, agent: usize, leg: LegId) {
        let Some(call) = self.calls.get(&call_id) else {
            self.hang_up_leg(leg);
            self.finish_agent_leg(leg, Outcome::Failed);
            return;
        };
        call.span
            .in_scope(|| tracing::info!(agent, "agent answered"));
        if call.phase == Phase::CallbackDialing {
            self.callback_agent_answered(call_id, agent, leg);
            return;
        }
        self.acd_inputs
            .push_back(acd::engine::Input::OfferAnswered {
                call: acd::ids::CallId(call_id.0),
                agent: acd::ids::AgentId(agent as u32),
            });
        self.bridge(call_id, agent);
    }

    /// Relays media between the caller and the agent who answered.
    fn bridge(&mut self, call_id: CallId, agent: usize) {
        let now = self.now;
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        let Some(leg) = call.offers.remove(&agent) else {
            return;
        };
        call.agent = Some((agent, leg));
        call.phase = Phase::Talking;
        // An agent who answers while the callback confirmation plays takes the call now.
        call.callback = None;
        call.confirm_token = None;
        if let Some(queued_at) = call.queued_at.take() {
            call.wait_ms += now.saturating_sub(queued_at);
        }
        call.bridged_at = Some(now);
        let caller = call.caller_leg;
        self.media(MediaCommand::Stop { leg: caller });
        self.configure_media(leg);
        self.media(MediaCommand::Bridge { a: caller, b: leg });
        let name = self.agent_name(agent);
        let at = self.unix(now);
        self.emit(Event::CallAnswered {
            call: call_id,
            leg: LegKind::Agent { agent: name },
            at,
        });
    }

    /// Position announcement over the hold music.
    pub(super) fn announce(&mut self, call_id: CallId, position: u32) {
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        if call.phase != Phase::Queued {
            return;
        }
        let prompt = format!("{}/position_{position}", call.session.lang().code());
        let first = if self.known_prompts.contains(&prompt) {
            PlayItem::Prompt(prompt)
        } else {
            PlayItem::Chime
        };
        let mut items = vec![first];
        let offers_callback = call
            .queue
            .and_then(|queue| self.queue_options.get(queue))
            .is_some_and(|options| options.callback_key.is_some());
        let offer = format!("{}/callback_offer", call.session.lang().code());
        if offers_callback && self.known_prompts.contains(&offer) {
            items.push(PlayItem::Prompt(offer));
        }
        items.push(PlayItem::HoldMusic);
        let token = call.next_token;
        call.next_token += 1;
        let leg = call.caller_leg;
        self.media(MediaCommand::Play { leg, token, items });
    }

    /// The ACD moved the call out of its queue.
    pub(super) fn overflow(&mut self, call_id: CallId, target: acd::config::OverflowTarget) {
        let now = self.now;
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        if let acd::config::OverflowTarget::Queue(queue) = target {
            call.queue = Some(queue.0 as usize);
            return;
        }
        if target == acd::config::OverflowTarget::CallbackOffer {
            // The caller keeps waiting, and their place, and hears how to be called back.
            let prompt = format!("{}/callback_offer", call.session.lang().code());
            let first = if self.known_prompts.contains(&prompt) {
                PlayItem::Prompt(prompt)
            } else {
                PlayItem::Chime
            };
            call.span
                .in_scope(|| tracing::info!("wait limit reached: callback offered"));
            let token = call.next_token;
            call.next_token += 1;
            let leg = call.caller_leg;
            self.media(MediaCommand::Play {
                leg,
                token,
                items: vec![first, PlayItem::HoldMusic],
            });
            return;
        }
        call.span.in_scope(|| tracing::info!("queue overflow"));
        call.phase = Phase::Ivr;
        call.in_acd = false;
        if let Some(queued_at) = call.queued_at.take() {
            call.wait_ms += now.saturating_sub(queued_at);
        }
        call.session.handle_queue_overflow(ivr::Millis(now));
        self.drive_session(call_id);
    }

    /// Records the end of an agent leg (a callback's citizen leg has no record of its own);
    /// the leg is forgotten unless a CANCEL is outstanding.
    pub(super) fn finish_agent_leg(&mut self, leg_id: LegId, outcome: Outcome) {
        let now = self.now;
        let Some(leg) = self.legs.get_mut(&leg_id) else {
            return;
        };
        let LegRole::Agent(agent) = leg.role else {
            if matches!(leg.role, LegRole::Citizen | LegRole::Outside) && leg.state != LegState::Cancelling {
                self.forget_leg(leg_id);
            }
            return;
        };
        let cdr = (!leg.cdr_done).then(|| {
            leg.cdr_done = true;
            (leg.call, leg.started_at, leg.answered_at, leg.queue)
        });
        if leg.media_open {
            leg.media_open = false;
            self.outputs
                .push_back(Output::Media(MediaCommand::Close { leg: leg_id }));
        }
        let keep = leg.state == LegState::Cancelling;
        let call_id = leg.call;
        if let Some(call) = self.calls.get_mut(&call_id) {
            call.offers.retain(|_, leg| *leg != leg_id);
        }
        if let Some((call, started_at, answered_at, queue)) = cdr {
            let name = self.agent_name(agent);
            let caller = self.calls.get(&call).and_then(|call| call.caller.clone());
            let record = Cdr {
                call,
                leg: LegKind::Agent {
                    agent: name.clone(),
                },
                caller,
                started_at: self.unix(started_at),
                answered_at: answered_at.map(|at| self.unix(at)),
                ended_at: self.unix(now),
                queue: queue.and_then(|queue| self.queues.get(queue).cloned()),
                wait_ms: 0,
                talk_ms: answered_at.map_or(0, |at| now.saturating_sub(at)),
                agent: Some(name),
                outcome,
            };
            self.emit(Event::CallEnded(record));
        }
        if !keep {
            self.forget_leg(leg_id);
        }
    }

    /// Drops a leg and its media socket.
    pub(super) fn forget_leg(&mut self, leg_id: LegId) {
        let Some(leg) = self.legs.remove(&leg_id) else {
            return;
        };
        if let Some(dialog) = &leg.dialog {
            self.dialogs.remove(&dialog.id);
        }
        if leg.media_open {
            self.media(MediaCommand::Close { leg: leg_id });
        }
    }

    pub(super) fn agent_name(&self, agent: usize) -> String {
        self.agents
            .get(agent)
            .map_or_else(|| format!("agent{agent}"), |agent| agent.username.clone())
    }
}
