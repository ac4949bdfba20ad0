#!/usr/bin/env python3
"""Helpers for tests/sip/run.sh and scripts/bench-calls.sh, standard library only.

  ports N                 free loopback ports: HTTP, SIP (UDP and TCP), then the first port of a
                          free even RTP range of N ports
  config DIR HTTP SIP RTP_FIRST RTP_LAST AGENTS [PROMPTS [QUEUE:SECONDS]]
                          writes DIR/civicline.toml: the demo, the line always open (weekly hours
                          plus date entries for yesterday..tomorrow, which win over holidays),
                          short ring timeout, no wrap-up, AGENTS agents agent1..agentN; no queue
                          has a wait limit except QUEUE, which overflows to the IVR (the demo's
                          message-or-callback menu) after SECONDS; social_services routes
                          English callers to agent3/agent4 (skill english) for 20 s first and,
                          with CIVICLINE_TEST_GATEWAY=HOST:PORT, offers callbacks on key *
                          through that gateway to numbers 0888*
  prompts SHIPPED OUT     writes every shipped prompt name as a 0.4 s 600 Hz tone under OUT
  token URL               logs in as supervisor and prints the bearer token
  cdrs URL [after_id]     prints the call records after after_id (JSON lines); logs in as
                          supervisor unless CIVICLINE_TOKEN is set
  tone WAV HZ [START END] Goertzel power ratio of HZ in WAV (seconds START..END)
  energy WAV START END    RMS of WAV between START and END seconds
  wait-http URL           waits for the server's HTTP port
  voicemail-case URL CALL_REF
                          logs in as agent, finds the cases whose description names the call
                          (GET /api/v1/cases?q=...) and prints them with their attachments as
                          JSON; waits up to 10 s for one with an attachment
  pcap OUT SECONDS        a G.711 A-law RTP capture for SIPp's play_pcap_audio
  alaw OUT SECONDS        the same tone as raw A-law samples, for SIPp's rtp_stream
  audio-check CALLER AGENT  the baresip call's recordings: tones both ways, music while queued
  media-delay URL         the switch's media delay histograms from URL/metrics, as one JSON line
  delay-report LABEL BEFORE AFTER
                          the histograms between two media-delay readings, one line each for the
                          relay (socket read to send) and paced packets (lateness against the
                          20 ms slot): share per bucket, packets, recent maximum, send failures
"""
import datetime
import json
import math
import os
import socket
import sys
import time
import urllib.parse
import urllib.request
import wave


def free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def port_free(port, kinds=(socket.SOCK_DGRAM,)):
    for kind in kinds:
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def ports(count):
    http = free_port(socket.SOCK_STREAM)
    while True:
        sip = free_port(socket.SOCK_DGRAM)
        if sip != http and port_free(sip, (socket.SOCK_STREAM,)):
            break
    import random
    rng = random.Random(os.getpid() ^ int(time.time()))
    # Below the kernel's ephemeral ports (32768 up), which SIPp and baresip sockets take.
    low, high = (10000, 32700) if count > 2000 else (21000, 32700)
    for _ in range(200):
        first = rng.randrange(low, high - count) & ~1
        if all(port_free(p) for p in range(first, first + count, 2)) and not (
            first <= sip < first + count or first <= http < first + count
        ):
            print(http, sip, first)
            return
    sys.exit("no free RTP range")


def baresip_ports():
    """Two baresip SIP ports (each also needs port + 1 free on TCP, for its TLS listener), two
    console ports and two 20-port RTP ranges."""
    chosen = []
    while len(chosen) < 4:
        port = free_port(socket.SOCK_DGRAM)
        if port in chosen or port + 1 in chosen or port - 1 in chosen:
            continue
        if port_free(port, (socket.SOCK_STREAM,)) and port_free(port + 1, (socket.SOCK_STREAM, socket.SOCK_DGRAM)):
            chosen.append(port)
    import random
    rng = random.Random(os.getpid())
    ranges = []
    while len(ranges) < 2:
        first = rng.randrange(21000, 59000) & ~1
        if all(port_free(p) for p in range(first, first + 20)) and all(abs(first - r) > 40 for r in ranges):
            ranges.append(first)
    print(*chosen, *ranges)


QUEUES = [
    "administrative_services",
    "city_environment",
    "crisis",
    "general",
    "psychological_support",
    "social_services",
]


def config(directory, http, sip, rtp_first, rtp_last, agents, prompts=None, overflow=None):
    limited, limit = overflow.split(":") if overflow else (None, 0)
    # The callbacks' outbound gateway (a SIPp UAS in run.sh); unset: no callbacks.
    gateway = os.environ.get("CIVICLINE_TEST_GATEWAY")
    sofia = datetime.timezone(datetime.timedelta(hours=2))
    today = datetime.datetime.now(sofia).date()
    dates = [today + datetime.timedelta(days=d) for d in (-1, 0, 1)]
    hours = "mon-sun 00:00-24:00; " + "; ".join(f"{d.isoformat()} 00:00-24:00" for d in dates)
    lines = [
        "[server]",
        f'listen = "127.0.0.1:{http}"',
        f'data_dir = "{directory}/data"',
        "",
        "[telephony]",
        f'sip_listen = "127.0.0.1:{sip}"',
        'media_address = "127.0.0.1"',
        f'rtp_ports = "{rtp_first}-{rtp_last}"',
        'number = "080011800"',
        'trunk_allow = ["127.0.0.0/8"]',
        f'hours = "{hours}"',
        f"media_threads = {os.environ.get('CIVICLINE_MEDIA_THREADS', '1')}",
    ]
    if prompts:
        lines.append(f'prompts_dir = "{prompts}"')
    for queue in QUEUES:
        lines += [
            "",
            "[[telephony.queues]]",
            f'name = "{queue}"',
            'strategy = "longest_idle"',
            "ring_timeout_s = 5",
            "wrapup_s = 0",
            f"max_wait_s = {int(limit) if queue == limited else 0}",
            'overflow = "ivr"',
            "announce_s = 0",
        ]
        if queue == "social_services":
            if gateway:
                lines.append('callback_key = "*"')
            # As in the demo: English callers wait for an English speaker (agent3, agent4) first.
            lines += [
                "[[telephony.queues.steps]]",
                'lang = "en"',
                "requires = { english = 2 }",
                "expires_after_s = 20",
            ]
    for n in range(1, int(agents) + 1):
        lines += [
            "",
            "[[telephony.agents]]",
            f'username = "agent{n}"',
            'password = "civicline-demo"',
            f"queues = {json.dumps(QUEUES)}",
        ]
        if n in (3, 4):
            lines.append("skills = { english = 4 }")
    if gateway:
        lines += [
            "",
            "[telephony.outbound]",
            f'gateway = "{gateway}"',
            'allow = ["0888*"]',
            "ring_timeout_s = 10",
            "max_attempts = 2",
            "retry_delay_s = 10",
        ]
    path = os.path.join(directory, "civicline.toml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(path)


def prompts(shipped, out):
    for lang in sorted(os.listdir(shipped)):
        src = os.path.join(shipped, lang)
        if not os.path.isdir(src):
            continue
        os.makedirs(os.path.join(out, lang), exist_ok=True)
        for name in sorted(os.listdir(src)):
            if name.endswith(".wav"):
                write_tone(os.path.join(out, lang, name), 600.0, 0.4)


def write_tone(path, hz, seconds, rate=8000, amplitude=8000):
    frames = bytearray()
    for i in range(int(rate * seconds)):
        value = int(amplitude * math.sin(2 * math.pi * hz * i / rate))
        frames += value.to_bytes(2, "little", signed=True)
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))


def login(url, username="supervisor"):
    body = json.dumps({"username": username, "password": "civicline-demo"}).encode()
    req = urllib.request.Request(
        url + "/api/v1/auth/login", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)["token"]


def cdrs(url, after=0):
    # Logging in hashes a password (slow in a debug build): run.sh logs in once.
    token = os.environ.get("CIVICLINE_TOKEN") or login(url)
    items, cursor = [], None
    while True:
        query = "/api/v1/calls?limit=100" + (f"&cursor={cursor}" if cursor else "")
        req = urllib.request.Request(url + query, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            page = json.load(resp)
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    for item in sorted(items, key=lambda i: i["id"]):
        if item["id"] > int(after):
            print(json.dumps(item, sort_keys=True))


def get(url, path, token):
    req = urllib.request.Request(url + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


def voicemail_case(url, call_ref, timeout=10):
    """The cases whose description names the call ("... Call c7, menu path: ...", in Bulgarian
    "Обаждане c7, ..."), each with its attachments; waits up to `timeout` s for one with an
    attachment (the case is registered once the recording is written)."""
    token = login(url, "agent")
    query = urllib.parse.urlencode({"q": f"{call_ref},"})
    deadline = time.monotonic() + float(timeout)
    while True:
        found = []
        for summary in get(url, f"/api/v1/cases?{query}", token)["items"]:
            case = get(url, f"/api/v1/cases/{summary['reference']}", token)
            if f" {call_ref}," in case.get("description", ""):
                case["attachments"] = get(url, f"/api/v1/cases/{summary['reference']}/attachments", token)
                found.append(case)
        if any(case["attachments"] for case in found) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    print(json.dumps(found, sort_keys=True, ensure_ascii=False))


def samples(path, start=None, end=None):
    with wave.open(path, "rb") as w:
        rate, width, channels = w.getframerate(), w.getsampwidth(), w.getnchannels()
        data = w.readframes(w.getnframes())
    if width != 2:
        sys.exit(f"{path}: want 16-bit samples, got {width * 8}-bit")
    values = [int.from_bytes(data[i : i + 2], "little", signed=True) for i in range(0, len(data), 2)]
    values = values[::channels]
    a = 0 if start is None else int(float(start) * rate)
    b = len(values) if end is None else int(float(end) * rate)
    return values[a:b], rate


def goertzel(values, rate, hz):
    """Power of `hz` relative to the total power of the block (0..1)."""
    if not values:
        return 0.0
    k = 2 * math.cos(2 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for v in values:
        s0 = v + k * s1 - s2
        s2, s1 = s1, s0
    power = s1 * s1 + s2 * s2 - k * s1 * s2
    total = sum(v * v for v in values) * len(values) / 2
    return power / total if total else 0.0


def tone(path, hz, start=None, end=None):
    values, rate = samples(path, start, end)
    # Blocks of 100 ms: report the median ratio, robust against silence and clicks.
    n = rate // 10
    ratios = sorted(goertzel(values[i : i + n], rate, float(hz)) for i in range(0, len(values) - n + 1, n))
    print(f"{ratios[len(ratios) // 2]:.3f}" if ratios else "0.000")


def energy(path, start, end):
    values, _ = samples(path, start, end)
    rms = math.sqrt(sum(v * v for v in values) / len(values)) if values else 0.0
    print(f"{rms:.1f}")


def blocks(path):
    """Per 100 ms block of WAV: (rms, ratio at 440 Hz, at 600 Hz, at 1000 Hz)."""
    values, rate = samples(path)
    n = rate // 10
    out = []
    for i in range(0, len(values) - n + 1, n):
        block = values[i : i + n]
        rms = math.sqrt(sum(v * v for v in block) / n)
        out.append((rms, *(goertzel(block, rate, hz) for hz in (440.0, 600.0, 1000.0))))
    return out


def audio_check(caller_wav, agent_wav):
    """The baresip call: the caller heard prompts (600 Hz test tones), then music on hold while
    queued, then the agent's 1000 Hz tone; the agent heard the caller's 440 Hz tone."""
    problems = []
    caller = blocks(caller_wav)
    agent = blocks(agent_wav)
    heard_agent = [i for i, b in enumerate(caller) if b[0] > 300 and b[3] > 0.5]
    heard_caller = [i for i, b in enumerate(agent) if b[0] > 300 and b[1] > 0.5]
    print(f"audio: caller's recording {len(caller) / 10:.1f} s, 1000 Hz (agent) in {len(heard_agent) / 10:.1f} s")
    print(f"audio: agent's recording {len(agent) / 10:.1f} s, 440 Hz (caller) in {len(heard_caller) / 10:.1f} s")
    if len(heard_agent) < 20:
        problems.append("the caller did not hear the agent's 1000 Hz tone for 2 s")
    if len(heard_caller) < 20:
        problems.append("the agent did not hear the caller's 440 Hz tone for 2 s")
    if heard_agent:
        first = heard_agent[0]
        prompts = [i for i, b in enumerate(caller[:first]) if b[0] > 300 and b[2] > 0.5]
        if not prompts:
            problems.append("the caller heard no prompt before the agent")
        else:
            queued = caller[prompts[-1] + 3 : first - 2]
            loud = [b for b in queued if b[0] > 200]
            print(f"audio: queued {len(queued) / 10:.1f} s between the last prompt and the agent, "
                  f"music (RMS > 200) in {len(loud) / 10:.1f} s, median RMS "
                  f"{sorted(b[0] for b in queued)[len(queued) // 2] if queued else 0:.0f}")
            if len(queued) < 5 or len(loud) < 0.8 * len(queued):
                problems.append("the caller did not hear music on hold while queued")
    for problem in problems:
        print(f"audio: {problem}")
    sys.exit(1 if problems else 0)


def alaw(sample):
    sign = 0x80 if sample >= 0 else 0
    sample = min(abs(sample), 32635)
    exponent, mantissa = 7, 0
    for exp in range(7, 0, -1):
        if sample >= (1 << (exp + 7)):
            exponent = exp
            break
    else:
        exponent = 0
    mantissa = (sample >> (exponent + 3 if exponent else 4)) & 0x0F
    return ((sign | (exponent << 4) | mantissa) ^ 0x55) & 0xFF


def tone_frame(n):
    """The n-th 20 ms A-law frame of a 440 Hz tone."""
    return bytes(alaw(int(8000 * math.sin(2 * math.pi * 440 * (n * 160 + i) / 8000))) for i in range(160))


def pcap(out, seconds):
    """A pcap of G.711 A-law RTP (PT 8, 20 ms, a 440 Hz tone) for SIPp's play_pcap_audio; SIPp
    replays the RTP payloads with the capture's timing and ignores the addresses."""
    import struct

    frames = int(float(seconds) * 50)
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for n in range(frames):
            payload = tone_frame(n)
            rtp = struct.pack("!BBHII", 0x80, 8, n & 0xFFFF, n * 160, 0x1234ABCD) + payload
            udp = struct.pack("!HHHH", 6000, 6000, 8 + len(rtp), 0) + rtp
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), n & 0xFFFF, 0, 64, 17, 0,
                             bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])) + udp
            eth = b"\x00" * 12 + b"\x08\x00" + ip
            t = n * 0.02
            f.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(eth), len(eth)))
            f.write(eth)


def alaw_file(out, seconds):
    """Raw A-law samples of the same tone, for SIPp's rtp_stream (PT 8: 160 bytes per 20 ms)."""
    with open(out, "wb") as f:
        for n in range(max(1, int(float(seconds) * 50))):
            f.write(tone_frame(n))


DELAY_FAMILIES = {
    "relay": "civicline_media_relay_delay_seconds",
    "paced": "civicline_media_paced_lateness_seconds",
}


def media_delay(url):
    """Prints {"relay": {"buckets": [[le, n], ...], "sum": s, "max": s, "recent_max": s}, ...}."""
    text = urllib.request.urlopen(url + "/metrics", timeout=10).read().decode()
    out = {kind: {"buckets": [], "sum": 0.0, "max": 0.0, "recent_max": 0.0} for kind in DELAY_FAMILIES}
    out["send_failures"] = 0
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, value = line.rsplit(" ", 1)
        if name == "civicline_media_send_failures_total":
            out["send_failures"] = int(float(value))
        for kind, family in DELAY_FAMILIES.items():
            if name.startswith(family + "_bucket{le="):
                out[kind]["buckets"].append([name.split('"')[1], int(float(value))])
            elif name in (family + "_sum", family + "_max", family + "_recent_max"):
                out[kind][name[len(family) + 1:]] = float(value)
    print(json.dumps(out))


def delay_report(label, before, after):
    before, after = json.loads(before), json.loads(after)
    for kind in DELAY_FAMILIES:
        b = dict(before[kind]["buckets"])
        a = after[kind]["buckets"]
        if not a:
            print(f"{label} {kind}: no figures (no /metrics media histograms)")
            continue
        total = a[-1][1] - b.get(a[-1][0], 0)
        shares, previous = [], 0
        for le, cumulative in a:
            n = cumulative - b.get(le, 0)
            name = ">=50ms" if le == "+Inf" else f"<{float(le) * 1000:g}ms"
            shares.append(f"{name} {100 * (n - previous) / max(total, 1):.2f}%")
            previous = n
        mean = (after[kind]["sum"] - before[kind]["sum"]) / max(total, 1) * 1000
        print(f"{label} {kind}: {total} packets, mean {mean:.3f} ms, max (last 5-10 s) "
              f"{after[kind]['recent_max'] * 1000:.1f} ms, max since start {after[kind]['max'] * 1000:.1f} ms; "
              + ", ".join(shares))
    print(f"{label} send failures: {after['send_failures'] - before['send_failures']}")


def wait_http(url):
    for _ in range(600):
        try:
            urllib.request.urlopen(url + "/", timeout=1).read()
            return
        except urllib.error.HTTPError:
            return
        except Exception:
            time.sleep(0.1)
    sys.exit(f"{url} did not come up")


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {
        "ports": lambda: ports(int(args[0])),
        "config": lambda: config(*args),
        "prompts": lambda: prompts(*args),
        "cdrs": lambda: cdrs(*args),
        "token": lambda: print(login(*args)),
        "tone": lambda: tone(*args),
        "energy": lambda: energy(*args),
        "wait-http": lambda: wait_http(*args),
        "audio-check": lambda: audio_check(*args),
        "baresip-ports": baresip_ports,
        "pcap": lambda: pcap(*args),
        "alaw": lambda: alaw_file(*args),
        "voicemail-case": lambda: voicemail_case(*args),
        "media-delay": lambda: media_delay(*args),
        "delay-report": lambda: delay_report(*args),
    }[command]()
