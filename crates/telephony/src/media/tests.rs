//! Media thread tests on real loopback sockets: the delay histograms count every relayed and
//! every paced packet, and their Prometheus text; calls spread over the threads; many legs
//! paced from one deadline index.

use std::net::UdpSocket;
use std::sync::Arc;
use std::time::{Duration, Instant};

use expect_test::expect;
use media::delay::DelaySnapshot;
use media::g711::Codec;
use media::rtp::RtpHeader;

use crate::media::{MediaDelay, MediaPlane, Prompts};
use crate::switch::{LegId, MediaCommand, PlayItem};

fn bind() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    socket
}

/// Waits until `done` holds for the plane's counters (two seconds at most).
fn wait_for(plane: &MediaPlane, done: impl Fn(&MediaDelay) -> bool) -> MediaDelay {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let delay = plane.stats().read();
        if done(&delay) || Instant::now() > deadline {
            return delay;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn relayed_and_paced_packets_are_counted() {
    let (events, _events_rx) = tokio::sync::mpsc::unbounded_channel();
    let prompts = Arc::new(Prompts::load(std::path::Path::new("/nonexistent")));
    let mut plane = MediaPlane::start(1, prompts, events, 7).expect("media threads");
    // Two legs of one call, each with a phone on the far end.
    let (caller, agent) = (bind(), bind());
    for (leg, phone) in [(LegId(1), &caller), (LegId(2), &agent)] {
        // The switch hands over non-blocking sockets.
        let socket = bind();
        socket.set_nonblocking(true).expect("non-blocking");
        let port = socket.local_addr().expect("addr").port();
        plane.open(leg, 1, socket);
        plane.command(MediaCommand::Configure {
            leg,
            remote: phone.local_addr().expect("addr"),
            codec: Codec::Pcma,
            payload_type: 8,
            telephone_event: None,
        });
        phone
            .connect(("127.0.0.1", port))
            .expect("connect to the leg");
    }
    plane.command(MediaCommand::Bridge {
        a: LegId(1),
        b: LegId(2),
    });
    // Give the thread a moment to apply the bridge, then talk from the caller.
    std::thread::sleep(Duration::from_millis(50));
    let mut packet = [0u8; 172];
    for sequence in 0..20u16 {
        let header = RtpHeader {
            marker: sequence == 0,
            payload_type: 8,
            sequence,
            timestamp: u32::from(sequence) * 160,
            ssrc: 0x1234,
        };
        let len = header.write(&[0xd5; 160], &mut packet).expect("rtp");
        caller.send(&packet[..len]).expect("send");
    }
    let mut received = 0;
    let mut buf = [0u8; 2048];
    while received < 20 && agent.recv(&mut buf).is_ok() {
        received += 1;
    }
    assert_eq!(received, 20, "every packet reaches the agent");
    let delay = wait_for(&plane, |delay| delay.relay.count() == 20);
    assert_eq!(delay.relay.count(), 20);
    assert_eq!(delay.paced.count(), 0);
    assert_eq!(delay.threads, 1);
    assert_eq!(delay.send_failures, 0);
    // Hold music toward the agent: paced at 20 ms, each packet counted.
    plane.command(MediaCommand::Play {
        leg: LegId(2),
        token: 1,
        items: vec![PlayItem::HoldMusic],
    });
    for _ in 0..10 {
        agent.recv(&mut buf).expect("hold music");
    }
    let delay = wait_for(&plane, |delay| delay.paced.count() >= 10);
    assert!(delay.paced.count() >= 10, "{delay:?}");
    assert!(delay.paced.max_us < 1_000_000, "{delay:?}");
    plane.shutdown();
}

#[test]
fn prometheus_text() {
    let relay = DelaySnapshot {
        counts: [90, 5, 3, 1, 1, 0, 0],
        sum_us: 61_500,
        max_us: 12_345,
        recent_max_us: 4_000,
    };
    let paced = DelaySnapshot {
        counts: [0, 40, 2, 0, 0, 0, 1],
        sum_us: 180_000,
        max_us: 75_000,
        recent_max_us: 0,
    };
    let delay = MediaDelay {
        threads: 2,
        relay,
        paced,
        send_failures: 3,
    };
    let mut out = String::new();
    delay.write_prometheus(&mut out);
    expect![[r##"
        # HELP civicline_media_relay_delay_seconds Time from the socket read of an RTP packet to the send of the relayed packet.
        # TYPE civicline_media_relay_delay_seconds histogram
        civicline_media_relay_delay_seconds_bucket{le="0.001"} 90
        civicline_media_relay_delay_seconds_bucket{le="0.002"} 95
        civicline_media_relay_delay_seconds_bucket{le="0.005"} 98
        civicline_media_relay_delay_seconds_bucket{le="0.01"} 99
        civicline_media_relay_delay_seconds_bucket{le="0.02"} 100
        civicline_media_relay_delay_seconds_bucket{le="0.05"} 100
        civicline_media_relay_delay_seconds_bucket{le="+Inf"} 100
        civicline_media_relay_delay_seconds_sum 0.061500
        civicline_media_relay_delay_seconds_count 100
        # HELP civicline_media_relay_delay_seconds_max Largest value since start.
        # TYPE civicline_media_relay_delay_seconds_max gauge
        civicline_media_relay_delay_seconds_max 0.012345
        # HELP civicline_media_relay_delay_seconds_recent_max Largest value over the last 5 to 10 seconds.
        # TYPE civicline_media_relay_delay_seconds_recent_max gauge
        civicline_media_relay_delay_seconds_recent_max 0.004000
        # HELP civicline_media_paced_lateness_seconds How late prompt and hold-music RTP packets left against their 20 ms slot.
        # TYPE civicline_media_paced_lateness_seconds histogram
        civicline_media_paced_lateness_seconds_bucket{le="0.001"} 0
        civicline_media_paced_lateness_seconds_bucket{le="0.002"} 40
        civicline_media_paced_lateness_seconds_bucket{le="0.005"} 42
        civicline_media_paced_lateness_seconds_bucket{le="0.01"} 42
        civicline_media_paced_lateness_seconds_bucket{le="0.02"} 42
        civicline_media_paced_lateness_seconds_bucket{le="0.05"} 42
        civicline_media_paced_lateness_seconds_bucket{le="+Inf"} 43
        civicline_media_paced_lateness_seconds_sum 0.180000
        civicline_media_paced_lateness_seconds_count 43
        # HELP civicline_media_paced_lateness_seconds_max Largest value since start.
        # TYPE civicline_media_paced_lateness_seconds_max gauge
        civicline_media_paced_lateness_seconds_max 0.075000
        # HELP civicline_media_paced_lateness_seconds_recent_max Largest value over the last 5 to 10 seconds.
        # TYPE civicline_media_paced_lateness_seconds_recent_max gauge
        civicline_media_paced_lateness_seconds_recent_max 0.000000
        # HELP civicline_media_send_failures_total RTP packets the media threads could not send.
        # TYPE civicline_media_send_failures_total counter
        civicline_media_send_failures_total 3
        # HELP civicline_media_threads Media threads running.
        # TYPE civicline_media_threads gauge
        civicline_media_threads 2
    "##]].assert_eq(&out);
}

/// Opens `leg` of `call` with a phone on the far end and configures it for PCMA.
fn open_leg(plane: &mut MediaPlane, leg: LegId, call: u64) -> UdpSocket {
    let phone = bind();
    let socket = bind();
    socket.set_nonblocking(true).expect("non-blocking");
    plane.open(leg, call, socket);
    plane.command(MediaCommand::Configure {
        leg,
        remote: phone.local_addr().expect("addr"),
        codec: Codec::Pcma,
        payload_type: 8,
        telephone_event: None,
    });
    phone
}

#[test]
fn calls_spread_over_threads_and_keep_their_legs_together() {
    let (events, _events_rx) = tokio::sync::mpsc::unbounded_channel();
    let prompts = Arc::new(Prompts::load(std::path::Path::new("/nonexistent")));
    let mut plane = MediaPlane::start(2, prompts, events, 7).expect("media threads");
    // Call ids of one parity, as the switch hands them out.
    let _phones: Vec<UdpSocket> = [1, 3, 5, 7]
        .into_iter()
        .map(|call| open_leg(&mut plane, LegId(call + 1), call))
        .collect();
    assert_eq!(plane.thread_legs, vec![2, 2]);
    let _agent = open_leg(&mut plane, LegId(100), 3);
    let thread_of = |plane: &MediaPlane, leg: u64| plane.leg_threads.get(&LegId(leg)).map(|t| t.0);
    assert_eq!(thread_of(&plane, 100), thread_of(&plane, 4));
    assert_eq!(plane.thread_legs.iter().sum::<usize>(), 5);
    for leg in [2, 4, 100] {
        plane.command(MediaCommand::Close { leg: LegId(leg) });
    }
    assert_eq!(plane.thread_legs.iter().sum::<usize>(), 2);
    assert_eq!(plane.call_threads.len(), 2);
    plane.shutdown();
}

#[test]
fn many_legs_are_paced_and_stop_and_restart() {
    let (events, _events_rx) = tokio::sync::mpsc::unbounded_channel();
    let prompts = Arc::new(Prompts::load(std::path::Path::new("/nonexistent")));
    let mut plane = MediaPlane::start(1, prompts, events, 7).expect("media threads");
    let phones: Vec<UdpSocket> = (1..=20)
        .map(|n| open_leg(&mut plane, LegId(n), n))
        .collect();
    let hold = |leg: u64| MediaCommand::Play {
        leg: LegId(leg),
        token: leg,
        items: vec![PlayItem::HoldMusic],
    };
    for n in 1..=20 {
        plane.command(hold(n));
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut buf = [0u8; 2048];
    let started = Instant::now();
    for phone in &phones {
        for _ in 0..10 {
            phone.recv(&mut buf).expect("hold music");
        }
    }
    // Ten packets each at 20 ms pacing: about 200 ms, not a burst.
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
    let delay = wait_for(&plane, |delay| delay.paced.count() >= 200);
    assert!(delay.paced.count() >= 200, "{delay:?}");
    // Stopped, the first leg falls silent; played again, it resumes.
    plane.command(MediaCommand::Stop { leg: LegId(1) });
    std::thread::sleep(Duration::from_millis(60));
    let first = phones.first().expect("phone");
    first.set_nonblocking(true).expect("non-blocking");
    while first.recv(&mut buf).is_ok() {}
    std::thread::sleep(Duration::from_millis(60));
    assert!(first.recv(&mut buf).is_err(), "no packet after stop");
    first.set_nonblocking(false).expect("blocking");
    plane.command(hold(1));
    for _ in 0..5 {
        first.recv(&mut buf).expect("hold music again");
    }
    plane.shutdown();
}
