# baresip against civicline: a real softphone as the caller and as the agent, with audio files.
# Sourced by tests/sip/run.sh, which provides $work, $sip_port, $url, $helper, pass and fail.
#
# Each baresip runs headless from its own config directory: aufile plays a tone (440 Hz for the
# caller, 1000 Hz for the agent), sndfile writes what the phone sends and hears (dump-*-dec.wav),
# aubridge is a player that needs no sound card, cons takes key presses over UDP (a digit in a
# call is sent as an RFC 4733 event), net_interface 127.0.0.1 keeps SDP and RTP on 127.0.0.1.
#
# aufile's file must be 8000 Hz, mono, signed 16-bit for a G.711 call (it refuses anything else
# and the call fails as it starts) and must outlast the call: at the end of the file baresip
# 1.0 treats the source as failed and hangs up. That is what ended the earlier baresip calls
# "on their own audio-source setup".

baresip_config() {
    local dir=$1 port=$2 cons=$3 rtp=$4 tone=$5
    mkdir -p "$dir"
    sox -n -r 8000 -c 1 -b 16 -e signed-integer "$dir/tone.wav" synth 120 sine "$tone" vol 0.5
    cat >"$dir/config" <<CONFIG
poll_method epoll
net_interface 127.0.0.1
sip_listen 127.0.0.1:$port
audio_player aubridge,sink$port
audio_alert aubridge,sink$port
audio_source aufile,$dir/tone.wav
rtp_ports $rtp-$((rtp + 19))
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module aubridge.so
module sndfile.so
module cons.so
cons_listen 127.0.0.1:$cons
snd_path $dir
module_app account.so
module_app menu.so
CONFIG
}

# baresip_key PORT TEXT: types TEXT on a baresip console.
baresip_key() { printf '%b' "$2" >"/dev/udp/127.0.0.1/$1"; }

# wait_log FILE PATTERN SECONDS
wait_log() {
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

test_baresip() {
    local name="baresip caller and agent with real audio"
    local caller_sip agent_sip caller_cons agent_cons caller_rtp agent_rtp after caller_pid agent_pid
    read -r caller_sip agent_sip caller_cons agent_cons caller_rtp agent_rtp < <($helper baresip-ports)
    local dir="$work/baresip"
    baresip_config "$dir/caller" "$caller_sip" "$caller_cons" "$caller_rtp" 440
    baresip_config "$dir/agent" "$agent_sip" "$agent_cons" "$agent_rtp" 1000
    echo "<sip:0888000444@127.0.0.1:$caller_sip>;regint=0" >"$dir/caller/accounts"
    echo "<sip:agent4@127.0.0.1:$sip_port>;auth_pass=civicline-demo;regint=300;answermode=auto" \
        >"$dir/agent/accounts"
    after=$(last_cdr)

    baresip -4 -f "$dir/caller" -t 60 -e "/dial sip:080011800@127.0.0.1:$sip_port" >"$dir/caller.log" 2>&1 &
    caller_pid=$!
    children+=("$caller_pid")
    if ! wait_log "$dir/caller.log" "Call established" 10; then
        fail "$name" "the caller's call was not answered"; tail -n 30 "$dir/caller.log" >&2; return
    fi
    sleep 2 # the prompts and the main menu
    baresip_key "$caller_cons" 1
    sleep 3 # queued with nobody logged in: music on hold
    baresip -4 -f "$dir/agent" -t 60 >"$dir/agent.log" 2>&1 &
    agent_pid=$!
    children+=("$agent_pid")
    if ! wait_log "$dir/agent.log" "Call established" 15; then
        fail "$name" "the agent was not offered the call"
        tail -n 30 "$dir/caller.log" "$dir/agent.log" >&2; return
    fi
    sleep 4 # talking
    baresip_key "$caller_cons" '/hangup\n'
    wait_log "$dir/agent.log" "terminated" 5 || true
    baresip_key "$caller_cons" '/quit\n'
    baresip_key "$agent_cons" '/quit\n'
    local i
    for ((i = 0; i < 50; i++)); do
        kill -0 "$caller_pid" 2>/dev/null || kill -0 "$agent_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill "$caller_pid" "$agent_pid" 2>/dev/null || true
    wait "$caller_pid" "$agent_pid" 2>/dev/null || true

    local caller_wav agent_wav
    caller_wav=$(ls "$dir"/caller/dump-*-dec.wav 2>/dev/null | head -1)
    agent_wav=$(ls "$dir"/agent/dump-*-dec.wav 2>/dev/null | head -1)
    if [[ -z "$caller_wav" || -z "$agent_wav" ]]; then
        fail "$name" "no recordings"; return
    fi
    if ! $helper audio-check "$caller_wav" "$agent_wav"; then
        fail "$name" "audio"; tail -n 20 "$dir/caller.log" "$dir/agent.log" >&2; return
    fi
    if cdr_check baresip "$after" \
        'len(caller) == 1 and caller[0]["outcome"] == "answered"' \
        'caller[0]["agent"] == "agent4" and caller[0]["queue"] == "social_services"' \
        'caller[0]["caller"] == "0888000444" and caller[0]["wait_ms"] > 2000' \
        'any(a["agent"] == "agent4" and a["outcome"] == "answered" for a in agents)'; then
        pass "$name: DTMF 1 from baresip, music on hold while queued, 440 Hz and 1000 Hz heard across"
    else
        fail "$name" "call records"
    fi
}
