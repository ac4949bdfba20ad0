#!/usr/bin/env bash
# Call benchmark (issue 3; not part of CI): SIPp on loopback against `civicline serve` built
# --release, with the IVR (short test prompts), ACD queues and generated agents.
#
#   scripts/bench-calls.sh                 all three parts with the default steps
#   BENCH_PARTS="cps" scripts/bench-calls.sh
#   BENCH_CPS_RATES="25 50 100" BENCH_BRIDGED="100 250 500" BENCH_HOLD="500 1000 2000" \
#   BENCH_STEP_S=15 BENCH_HOLD_S=15 BENCH_AGENTS=1200 CIVICLINE_MEDIA_THREADS=2 scripts/bench-calls.sh
# (agents default to the largest bridged step plus 100, media threads to the number of CPUs)
#
# Parts:
#   cps      call setups per second through IVR, RFC 4733 DTMF '1', queue and agent: SIPp callers
#            at increasing -r, each call talking 2 s to a SIPp agent; failed-call percentage,
#            INVITE->200 time, switch CPU per call.
#   bridged  concurrent bridged G.711 calls: callers stream A-law RTP (SIPp rtp_stream of a
#            generated tone), agents echo it (-rtp_echo), so RTP crosses the switch both ways;
#            calls held BENCH_HOLD_S s.
#            UDP drops are read per socket from /proc/net/udp and attributed to the process that
#            owns the socket (the switch, the agents' SIPp, the callers' SIPp), delivery from
#            /proc/net/snmp. The callers no longer stream with play_pcap_audio: its raw socket per
#            call receives a copy of every UDP datagram on the host, so each packet cost the
#            switch's sending thread time in proportion to the number of calls; that, not the
#            switch, caused the drops once seen at 1,000 calls.
#   hold     callers waiting with music on hold, no agent registered.
# Per step: switch CPU (utime+stime from /proc/PID/stat) and RSS (VmRSS, /proc/PID/status); for
# bridged and hold, the switch's own media delay histograms over the same window (from /metrics:
# socket read to send of each relayed packet, lateness of each paced packet against its 20 ms
# slot, in buckets under 1, 2, 5, 10, 20, 50 ms and above, with the maximum of the last 5-10 s),
# and the media threads' time on a CPU and time runnable but waiting for one (schedstat): when
# the machine starves the switch, the wait says so.
# SIPp shares the machine's CPUs with the switch; the figures are for this machine only. The run
# happens in a private network namespace (unshare -n) when it can.
set -euo pipefail
cd "$(dirname "$0")/.."
helper="python3 $PWD/tests/sip/sip_helper.py"
bench=tests/sip/bench

parts=${BENCH_PARTS:-cps bridged hold}
cps_rates=${BENCH_CPS_RATES:-25 50 100 200 300}
bridged_steps=${BENCH_BRIDGED:-100 250 500 1000 2000}
hold_steps=${BENCH_HOLD:-500 1000 2000 5000}
step_s=${BENCH_STEP_S:-15}
hold_s=${BENCH_HOLD_S:-15}
# Enough agents for the largest bridged step, so that every bridged call has one (1,200 at least).
largest=$(printf '%s\n' 1100 $bridged_steps | sort -n | tail -1)
agents=${BENCH_AGENTS:-$((largest + 100))}
media_threads=${CIVICLINE_MEDIA_THREADS:-$(nproc)}

binary=${CIVICLINE_BINARY:-}
if [[ -z "$binary" ]]; then
    cargo build --quiet --release -p civicline --bin civicline
    target_dir=$(cargo metadata --format-version 1 --no-deps \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
    binary="$target_dir/release/civicline"
fi
# Run in a private network namespace (its own loopback), so the UDP counters in /proc/net are
# the benchmark's alone and no packet can leave the machine.
if [[ -z "${BENCH_IN_NETNS:-}" ]] && unshare -n true 2>/dev/null; then
    exec unshare -n -- env BENCH_IN_NETNS=1 CIVICLINE_BINARY="$binary" bash -c 'ip link set lo up && exec "$0"' "$0"
fi
pcap_dir=/usr/share/sip-tester
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d /tmp/civicline-bench.XXXXXX)
mkdir -p "$work/logs"
read -r http_port sip_port rtp_first < <($helper ports 12000)
rtp_last=$((rtp_first + 11999))
url="http://127.0.0.1:$http_port"
$helper prompts prompts "$work/prompts"
export CIVICLINE_MEDIA_THREADS=$media_threads
config=$($helper config "$work" "$http_port" "$sip_port" "$rtp_first" "$rtp_last" "$agents" "$work/prompts")
for n in $(seq 1 "$agents"); do echo "agent$n;[authentication username=agent$n password=civicline-demo]"; done | sed '1i SEQUENTIAL' >"$work/agents.csv"
$helper alaw "$work/talk.alaw" 1
$helper alaw "$work/none.alaw" 0.02
for file in "$bench"/*.xml; do
    sed -e "s|SIPP_PCAP_DIR|$pcap_dir|g" -e "s|DTMF_AT|1000|g" "$file" >"$work/$(basename "$file")"
done
# Talking callers loop one second of tone until their BYE; quiet ones send a single packet.
sed "s|BENCH_AUDIO|$work/talk.alaw,-1,8|" "$work/caller.xml" >"$work/caller_talk.xml"
sed "s|BENCH_AUDIO|$work/none.alaw,1,8|" "$work/caller.xml" >"$work/caller_quiet.xml"

env -u CIVICLINE_DATABASE_URL -u CIVICLINE_CONFIG RUST_LOG=${RUST_LOG:-warn} \
    "$binary" serve --config "$config" >"$work/server.log" 2>&1 &
server=$!
agents_pid=
stop() {
    [[ -n "$agents_pid" ]] && kill "$agents_pid" 2>/dev/null
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    if [[ -n "${BENCH_KEEP:-}" ]]; then echo "bench: kept $work"; else rm -rf "$work"; fi
}
trap stop EXIT
$helper wait-http "$url"
clk=$(getconf CLK_TCK)
echo "bench: civicline $(basename "$binary") pid $server, SIP 127.0.0.1:$sip_port, RTP $rtp_first-$rtp_last," \
    "$agents agents, media_threads $media_threads, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

free_udp() { python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# Media ports for SIPp: ephemeral ones, above the switch's RTP range (kept below 32700).
free_media() { free_udp; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
# The media threads' "uptime_s count cpu_ns runqueue_wait_ns" (/proc/PID/task/TID/schedstat):
# time on a CPU and time runnable but waiting for one. A large wait means the machine starved
# the switch (other processes, SIPp included, had the CPUs).
media_sched() {
    local tid count=0 cpu=0 wait=0 run queued slices
    for tid in /proc/"$server"/task/*; do
        [[ $(cat "$tid/comm" 2>/dev/null) == civicline-media* ]] || continue
        read -r run queued slices <"$tid/schedstat" || continue
        count=$((count + 1)); cpu=$((cpu + run)); wait=$((wait + queued))
    done
    echo "$(cut -d' ' -f1 /proc/uptime) $count $cpu $wait"
}
# "some" CPU pressure of the machine over the last 10 s (% of time a task waited for a CPU).
cpu_pressure() { sed -n 's/^some avg10=\([0-9.]*\).*/\1/p' /proc/pressure/cpu 2>/dev/null || echo "?"; }
# sched_report LABEL "MEDIA_SCHED BEFORE" "MEDIA_SCHED AFTER" MEDIA_DELAY_BEFORE MEDIA_DELAY_AFTER
sched_report() {
    python3 - "$@" "$(cpu_pressure)" <<'PY'
import json, sys
label, before, after, m0, m1, pressure = sys.argv[1:]
t0, _, cpu0, wait0 = map(float, before.split())
t1, count, cpu1, wait1 = map(float, after.split())
seconds = max(t1 - t0, 0.01)
cpu, wait = (cpu1 - cpu0) / seconds / 1e7, (wait1 - wait0) / seconds / 1e7
m0, m1 = json.loads(m0), json.loads(m1)
packets = sum(m1[kind]["buckets"][-1][1] - dict(m0[kind]["buckets"]).get("+Inf", 0)
              for kind in ("relay", "paced") if m1[kind]["buckets"])
per_packet = (cpu1 - cpu0) / 1000 / max(packets, 1)
print(f"{label} media threads: {int(count)}, on a CPU {cpu:.1f}% of one core ({per_packet:.1f} us per packet "
      f"sent), runnable but waiting for a CPU {wait:.1f}% of one core; machine CPU pressure {pressure}%")
PY
}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }
# UDP counters: InDatagrams OutDatagrams RcvbufErrors.
udp_counters() { awk '/^Udp:/ && $2 ~ /^[0-9]/ {print $2, $5, $6}' /proc/net/snmp; }
# Drops per socket in /proc/net/udp, by the process owning the socket: the switch; the SIPp that
# answers as agents and echoes RTP; every other SIPp, i.e. the callers, whose rtp_stream sockets
# are never read, so their drops are expected (every packet the switch sends a caller ends there).
# `udp_sockets FILE` writes "inode owner drops" lines; `udp_drops BEFORE AFTER` prints
# "switch agents callers": the drops between the two, per socket (a socket closed in between
# loses what it dropped after BEFORE).
udp_sockets() {
    python3 - "$server" "${agents_pid:-0}" "$sip_port" >"$1" <<'PY'
import glob, os, sys
server, agents, sip = sys.argv[1], sys.argv[2], int(sys.argv[3])
owner = {}
for fd in glob.glob("/proc/[0-9]*/fd/*"):
    try:
        link = os.readlink(fd)
    except OSError:
        continue
    if link.startswith("socket:["):
        owner[link[8:-1]] = fd.split("/")[2]
for line in list(open(f"/proc/{server}/net/udp"))[1:]:
    fields = line.split()
    pid = owner.get(fields[9])
    who = "switch" if pid == server else "agents" if pid == agents else "callers"
    if who == "switch" and int(fields[1].split(":")[1], 16) == sip:
        who = "switch-sip"
    print(fields[9], who, fields[-1])
PY
}
# With a third argument LABEL, prints instead where the switch's drops were, if it had any.
udp_drops() {
    python3 - "$@" <<'PY'
import sys
before = {inode: int(drops) for inode, _, drops in (line.split() for line in open(sys.argv[1]))}
drops = {"switch": 0, "switch-sip": 0, "agents": 0, "callers": 0}
rtp = []
for inode, who, after in (line.split() for line in open(sys.argv[2])):
    delta = int(after) - before.get(inode, 0)
    drops[who] += delta
    if who == "switch" and delta:
        rtp.append(delta)
if len(sys.argv) > 3:
    if drops["switch"] or drops["switch-sip"]:
        print(f"{sys.argv[3]} switch drops: SIP socket {drops['switch-sip']}, RTP {drops['switch']} on "
              f"{len(rtp)} sockets (at most {max(rtp, default=0)} on one)")
else:
    print(drops["switch"] + drops["switch-sip"], drops["agents"], drops["callers"])
PY
}

# Samples RSS every 0.5 s into $work/rss until the file $work/sampling disappears.
sample_rss() {
    : >"$work/rss"
    touch "$work/sampling"
    (while [[ -f "$work/sampling" ]]; do rss_kb >>"$work/rss"; sleep 0.5; done) &
    sampler=$!
}
stop_rss() { rm -f "$work/sampling"; wait "$sampler" 2>/dev/null || true; sort -n "$work/rss" | tail -1; }

register_agents() {
    local count=$1 hold_ms=$2
    (cd "$work/logs" && exec sipp 127.0.0.1:"$sip_port" -sf "$work/agents.xml" -oocsf "$work/agent_answer.xml" \
        -inf "$work/agents.csv" -i 127.0.0.1 -p "$(free_udp)" -mi 127.0.0.1 -mp "$(free_media)" -rtp_echo \
        -m "$count" -l "$count" -r 200 -d "$hold_ms" -nostdin -max_recv_loops 10000 \
        -trace_err -error_file "$work/logs/agents.err" >"$work/logs/agents.out" 2>&1) &
    agents_pid=$!
    # 200 registrations/s, two REGISTERs each (challenge, then credentials).
    sleep $((count / 200 + 3))
}
unregister_agents() {
    [[ -n "$agents_pid" ]] || return 0
    kill "$agents_pid" 2>/dev/null || true
    wait "$agents_pid" 2>/dev/null || true
    agents_pid=
}

# sipp_stats FILE: "successful failed avg_setup_ms" from SIPp's final screen.
sipp_stats() {
    python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read()
def last(label):
    hits = re.findall(label + r"\s*\|\s*(\S+)\s*\|\s*(\S+)", text)
    return hits[-1][1] if hits else "0"
ok, bad = int(last("Successful call")), int(last("Failed call"))
rt = last("Response Time 1")
h, m, s, us = (rt.split(":") + ["0"] * 4)[:4] if rt.count(":") == 3 else ("0", "0", "0", "0")
ms = (int(h) * 3600 + int(m) * 60 + int(s)) * 1000 + int(us) / 1000
print(ok, bad, f"{ms:.1f}")
PY
}

# callers NAME SCENARIO RATE COUNT LIMIT HOLD_MS: runs SIPp callers in the foreground.
callers() {
    local name=$1 scenario=$2 rate=$3 count=$4 limit=$5 hold=$6
    (cd "$work/logs" && sipp 127.0.0.1:"$sip_port" -sf "$work/$scenario" -s 080011800 -i 127.0.0.1 \
        -p "$(free_udp)" -mi 127.0.0.1 -mp "$(free_media)" -r "$rate" -m "$count" -l "$limit" -d "$hold" \
        -nostdin -max_recv_loops 10000 -timeout $((count / rate + hold / 1000 + 60))s \
        -trace_err -error_file "$work/logs/$name.err" >"$work/logs/$name.out" 2>&1) || true
}

report() { echo "$*" | tee -a "$work/report"; }
idle_rss=$(rss_kb)
report "bench: idle RSS $idle_rss KiB"

part_cps() {
    report "cps: rate/s  calls  failed%  avg INVITE->200 ms  switch CPU ms/call  peak RSS KiB"
    local rate count t0 t1 stats ok bad setup cpu peak
    for rate in $cps_rates; do
        count=$((rate * step_s))
        t0=$(cpu_ticks); sample_rss
        callers "cps-$rate" caller_quiet.xml "$rate" "$count" $((rate * 10)) 2000
        t1=$(cpu_ticks); peak=$(stop_rss)
        read -r ok bad setup < <(sipp_stats "$work/logs/cps-$rate.out")
        cpu=$(python3 -c "print(f'{($t1 - $t0) * 1000 / $clk / max($count, 1):.2f}')")
        report "cps: $rate  $count  $(python3 -c "print(f'{100 * $bad / max($ok + $bad, 1):.2f}')")  $setup  $cpu  $peak"
        sleep 3
    done
}

# measure_window SECONDS: reads every counter before and after SECONDS of load into the
# caller's variables (c0/c1 CPU ticks, u/o/r UDP counters, s media scheduling, m media delay,
# ds/da/dc drops by socket owner, held RSS). The slow readings (every process's sockets,
# /metrics) bracket the cheap ones, so that CPU and counters span the window itself.
measure_window() {
    udp_sockets "$work/udp0"; m0=$($helper media-delay "$url")
    c0=$(cpu_ticks); read -r u0 o0 r0 < <(udp_counters); s0=$(media_sched)
    sleep "$1"
    c1=$(cpu_ticks); read -r u1 o1 r1 < <(udp_counters); s1=$(media_sched)
    m1=$($helper media-delay "$url"); udp_sockets "$work/udp1"
    read -r ds da dc < <(udp_drops "$work/udp0" "$work/udp1")
    held=$(rss_kb)
}

part_bridged() {
    report "bridged: calls  failed  switch CPU % of one core (steady)  CPU %/call  RSS KiB  KiB/call  drops switch/agents/callers(unread)  datagrams arriving % of 4 x 50 pps/call"
    local rate=100 c0 c1 u0 u1 d0 d1 held ok bad setup
    for n in $bridged_steps; do
        # Launch at 100 calls/s, hold everything for hold_s once all are up, then measure the
        # middle of the hold window.
        local ramp=$(( (n + rate - 1) / rate ))
        local talk_ms=$(( (ramp + hold_s) * 1000 ))
        callers "bridged-$n" caller_talk.xml "$rate" "$n" "$n" "$talk_ms" &
        local run=$!
        sleep $((ramp + 3))
        local window=$((hold_s - 6)); ((window < 3)) && window=3
        measure_window "$window"
        wait "$run" || true
        read -r ok bad setup < <(sipp_stats "$work/logs/bridged-$n.out")
        python3 - "$n" "$ok" "$bad" "$c0" "$c1" "$clk" "$window" "$held" "$idle_rss" "$u0" "$u1" "$ds" "$da" "$dc" "$r0" "$r1" <<'PY' | tee -a "$work/report"
import sys
n, ok, bad, c0, c1, clk, window, held, idle, u0, u1, ds, da, dc, r0, r1 = map(int, sys.argv[1:])
cpu = (c1 - c0) / clk / window * 100
# Each bridged call makes 4 x 50 datagrams/s arrive: caller->switch, switch->agent,
# agent->switch (echo), switch->caller. The caller SIPp does not read its media socket, so the
# last hop ends as receive-buffer drops there: count datagrams delivered plus buffer drops.
delivered = (u1 - u0 + r1 - r0) / (n * 200 * window) * 100
print(f"bridged: {n}  {bad}  {cpu:.1f}  {cpu / n:.3f}  {held}  {(held - idle) / n:.1f}  "
      f"{ds}/{da}/{dc}  {delivered:.1f}")
PY
        udp_drops "$work/udp0" "$work/udp1" "bridged: $n" | tee -a "$work/report"
        $helper delay-report "bridged: $n" "$m0" "$m1" | tee -a "$work/report"
        sched_report "bridged: $n" "$s0" "$s1" "$m0" "$m1" | tee -a "$work/report"
        sleep 5
    done
}

part_hold() {
    report "hold: callers  failed  switch CPU % of one core  RSS KiB  KiB/call  switch sends % of 50 pps/call  drops switch/agents/callers(unread)"
    local n c0 c1 o0 o1 ok bad setup
    for n in $hold_steps; do
        local rate=200
        local ramp=$(( (n + rate - 1) / rate ))
        local wait_ms=$(( (ramp + hold_s) * 1000 ))
        callers "hold-$n" caller_quiet.xml "$rate" "$n" "$n" "$wait_ms" &
        local run=$!
        sleep $((ramp + 3))
        local window=$((hold_s - 6)); ((window < 3)) && window=3
        measure_window "$window"
        wait "$run" || true
        read -r ok bad setup < <(sipp_stats "$work/logs/hold-$n.out")
        python3 - "$n" "$bad" "$c0" "$c1" "$clk" "$window" "$held" "$idle_rss" "$o0" "$o1" "$ds" "$da" "$dc" <<'PY' | tee -a "$work/report"
import sys
n, bad, c0, c1, clk, window, held, idle, o0, o1, ds, da, dc = map(int, sys.argv[1:])
cpu = (c1 - c0) / clk / window * 100
sent = (o1 - o0) / (n * 50 * window) * 100
print(f"hold: {n}  {bad}  {cpu:.1f}  {held}  {(held - idle) / n:.1f}  {sent:.1f}  {ds}/{da}/{dc}")
PY
        udp_drops "$work/udp0" "$work/udp1" "hold: $n" | tee -a "$work/report"
        $helper delay-report "hold: $n" "$m0" "$m1" | tee -a "$work/report"
        sched_report "hold: $n" "$s0" "$s1" "$m0" "$m1" | tee -a "$work/report"
        sleep 5
    done
}

# Music on hold first, while no agent is registered; then the agents log in for the rest.
[[ " $parts " == *" hold "* ]] && part_hold
if [[ " $parts " == *" cps "* || " $parts " == *" bridged "* ]]; then
    register_agents "$agents" 3600000
    report "bench: $agents agents registered by one SIPp (answer at once, -rtp_echo)"
fi
[[ " $parts " == *" cps "* ]] && part_cps
[[ " $parts " == *" bridged "* ]] && part_bridged
unregister_agents
echo "bench: summary"
cat "$work/report"
