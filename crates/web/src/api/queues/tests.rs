//! `/queues/live`, `/queues/stats` and `/staffing/erlang-c` through the router: who may call
//! them, and snapshots of what they answer.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::{AppState, QueueOutcome, router};

async fn get_text(state: &AppState, uri: &str, token: Option<&str>) -> (StatusCode, String) {
    let mut request = Request::builder().uri(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = router(state.clone()).oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

async fn get(state: &AppState, uri: &str, token: Option<&str>) -> (StatusCode, Value) {
    let (status, text) = get_text(state, uri, token).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn login(state: &AppState, username: &str) -> String {
    crate::tests::token(state, username).await
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap() + "\n"
}

#[tokio::test]
async fn live_figures_for_any_staff_and_in_metrics() {
    let state = crate::tests::test_state().await;
    assert_eq!(get(&state, "/api/v1/queues/live", None).await.0, StatusCode::UNAUTHORIZED);
    let live = &state.live;
    live.set_queue("general", 0, 1, 2);
    live.set_queue("social_services", 2, 0, 1);
    let now = store::now();
    live.queued("social_services", 7, now - 95_000);
    live.queued("social_services", 8, now - 10_000);
    live.queued("general", 9, now - 50_000);
    live.left("general", 9, Some(QueueOutcome::Answered));
    live.left("social_services", 6, Some(QueueOutcome::Abandoned));
    live.left("social_services", 8, Some(QueueOutcome::Callback));
    live.set_agent("agent1", "on_call");
    live.set_agent("agent2", "available");
    live.set_agent("agent3", "on_call");

    let agent = login(&state, "agent").await;
    let (status, mut body) = get(&state, "/api/v1/queues/live", Some(&agent)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["at"] = json!("<now>");
    expect_test::expect![[r#"
        {
          "agents": [
            {
              "agent": "agent1",
              "state": "on_call"
            },
            {
              "agent": "agent2",
              "state": "available"
            },
            {
              "agent": "agent3",
              "state": "on_call"
            }
          ],
          "agents_by_state": {
            "available": 1,
            "on_call": 2
          },
          "at": "<now>",
          "queues": [
            {
              "idle_agents": 1,
              "longest_wait_seconds": 0,
              "queue": "general",
              "staffed": 2,
              "waiting": 0
            },
            {
              "idle_agents": 0,
              "longest_wait_seconds": 95,
              "queue": "social_services",
              "staffed": 1,
              "waiting": 2
            }
          ]
        }
    "#]].assert_eq(&pretty(&body));

    let (_, metrics) = get_text(&state, "/metrics", None).await;
    let lines: Vec<&str> = metrics
        .lines()
        .filter(|line| line.starts_with("civicline_queue") || line.starts_with("civicline_agents"))
        .collect();
    expect_test::expect![[r#"
        civicline_queue_waiting{queue="general"} 0
        civicline_queue_waiting{queue="social_services"} 2
        civicline_queue_longest_wait_seconds{queue="general"} 0
        civicline_queue_longest_wait_seconds{queue="social_services"} 95
        civicline_agents{state="available"} 1
        civicline_agents{state="on_call"} 2
        civicline_queue_calls_total{queue="general",outcome="answered"} 1
        civicline_queue_calls_total{queue="social_services",outcome="abandoned"} 1
        civicline_queue_calls_total{queue="social_services",outcome="callback"} 1
    "#]].assert_eq(&(lines.join("\n") + "\n"));
}

/// One hour of one Monday (2025-03-03, 00:00 Sofia = this base) over two runs of the switch
/// whose queue lists differ in order.
const BASE: i64 = 1_740_952_800_000;
const HOUR: i64 = 3_600_000;

async fn seed_log(state: &AppState) {
    let log = &state.store;
    let first = BASE + 10 * HOUR;
    let second = BASE + 11 * HOUR;
    for (run, queues) in [(first, r#"["general","social_services"]"#), (second, r#"["social_services","general"]"#)] {
        log.record_acd_run(&store::acd_log::AcdRun { started_at: run, queues: queues.into() }).await.unwrap();
    }
    let rows = [
        (first, 0, "fact members a0 q0,q1"),
        (first, 0, "fact agent a0 available idle -"),
        (first, 1_000, "fact queued c1 q0 0"),
        (first, 5_000, "fact answered c1 q0 a0 4000"),
        (first, 5_000, "fact agent a0 available talking:c1 q0"),
        (first, 65_000, "fact completed c1 q0 a0 60000"),
        (first, 65_000, "fact agent a0 available wrapup:80000 q0"),
        (first, 80_000, "fact wrapended a0 q0 15000"),
        (first, 80_000, "fact agent a0 available idle -"),
        (first, 100_000, "fact queued c2 q1 0"),
        (first, 130_000, "fact abandoned c2 q1 30000"),
        (first, 900_000, "fact queued c3 q0 0"),
        (first, 925_000, "fact answered c3 q0 a0 25000"),
        (first, 925_000, "fact agent a0 available talking:c3 q0"),
        (first, 1_045_000, "fact completed c3 q0 a0 120000"),
        (first, 1_045_000, "fact agent a0 loggedout idle -"),
        (first, 1_045_000, "in end c3"),
        (second, 1_000, "fact queued c1 q0 0"),
        (second, 3_000, "fact overflowed c1 q0 q1 2000"),
        (second, 3_000, "fact queued c1 q1 0"),
        (second, 4_000, "fact cbrequested c1 q1 1000"),
        (second, 9_000, "not an event"),
    ];
    let entries: Vec<store::acd_log::NewAcdEvent> = rows
        .iter()
        .map(|(run, offset, body)| store::acd_log::NewAcdEvent {
            run_started_at: *run,
            at: run + offset,
            kind: body.split(' ').next().unwrap().replace("not", "fact"),
            queue: None,
            body: (*body).to_owned(),
        })
        .collect();
    log.insert_acd_events(&entries).await.unwrap();
}

#[tokio::test]
async fn supervisors_read_interval_statistics_from_the_log() {
    let state = crate::tests::test_state().await;
    seed_log(&state).await;
    let agent = login(&state, "agent").await;
    assert_eq!(get(&state, "/api/v1/queues/stats", Some(&agent)).await.0, StatusCode::FORBIDDEN);
    let admin = login(&state, "admin").await;

    let (status, body) = get(&state, "/api/v1/queues/stats?from=2025-03-03&queue=general", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    expect_test::expect![[r#"
        {
          "formulas": {
            "abandon_rate": "abandoned / offered; a caller who took a callback is not abandoned",
            "average_handle_time_seconds": "(talk + wrap-up) / handled agent segments",
            "average_speed_of_answer_seconds": "total queue wait of answered calls / answered",
            "interval": "a caller counts in the interval in which they took their place",
            "longest_wait_seconds": "longest wait of a caller whose outcome is known",
            "occupancy": "time on calls (talk + wrap-up) / (that + available idle time of members)",
            "service_level": "answered within T / answered (Asterisk servicelevelperf)",
            "service_level_2": "(answered within T + abandoned within T) / (answered + abandoned) (Asterisk servicelevelperf2)"
          },
          "from": 1740952800000,
          "interval_seconds": 900,
          "queues": [
            {
              "intervals": [
                {
                  "abandon_rate": 0.0,
                  "abandoned": 0,
                  "abandoned_within": 0,
                  "answered": 1,
                  "answered_within": 1,
                  "average_handle_time_seconds": 75.0,
                  "average_speed_of_answer_seconds": 4.0,
                  "callbacks_completed": 0,
                  "callbacks_failed": 0,
                  "callbacks_requested": 0,
                  "handled": 1,
                  "longest_wait_seconds": 4.0,
                  "occupancy": 0.0833,
                  "offered": 1,
                  "overflowed": 0,
                  "service_level": 1.0,
                  "service_level_2": 1.0,
                  "short_abandoned": 0,
                  "start": 1740988800000
                },
                {
                  "abandon_rate": 0.0,
                  "abandoned": 0,
                  "abandoned_within": 0,
                  "answered": 1,
                  "answered_within": 0,
                  "average_handle_time_seconds": 120.0,
                  "average_speed_of_answer_seconds": 25.0,
                  "callbacks_completed": 0,
                  "callbacks_failed": 0,
                  "callbacks_requested": 0,
                  "handled": 1,
                  "longest_wait_seconds": 25.0,
                  "occupancy": 0.8276,
                  "offered": 1,
                  "overflowed": 0,
                  "service_level": 0.0,
                  "service_level_2": 0.0,
                  "short_abandoned": 0,
                  "start": 1740989700000
                },
                {
                  "abandon_rate": 0.0,
                  "abandoned": 0,
                  "abandoned_within": 0,
                  "answered": 0,
                  "answered_within": 0,
                  "average_handle_time_seconds": null,
                  "average_speed_of_answer_seconds": null,
                  "callbacks_completed": 0,
                  "callbacks_failed": 0,
                  "callbacks_requested": 1,
                  "handled": 0,
                  "longest_wait_seconds": 1.0,
                  "occupancy": null,
                  "offered": 1,
                  "overflowed": 0,
                  "service_level": null,
                  "service_level_2": null,
                  "short_abandoned": 0,
                  "start": 1740992400000
                }
              ],
              "queue": "general",
              "total": {
                "abandon_rate": 0.0,
                "abandoned": 0,
                "abandoned_within": 0,
                "answered": 2,
                "answered_within": 1,
                "average_handle_time_seconds": 97.5,
                "average_speed_of_answer_seconds": 14.5,
                "callbacks_completed": 0,
                "callbacks_failed": 0,
                "callbacks_requested": 1,
                "handled": 2,
                "longest_wait_seconds": 25.0,
                "occupancy": 0.1866,
                "offered": 3,
                "overflowed": 0,
                "service_level": 0.5,
                "service_level_2": 0.5,
                "short_abandoned": 0
              }
            }
          ],
          "target_seconds": 20,
          "to": 1741039200000
        }
    "#]].assert_eq(&pretty(&body));

    let (_, body) = get(&state, "/api/v1/queues/stats?from=2025-03-03&to=2025-03-03&target_seconds=30", Some(&admin)).await;
    let summary: Vec<String> = body["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| format!("{} {}", q["queue"].as_str().unwrap(), q["total"]))
        .collect();
    expect_test::expect![[r#"
        general {"abandon_rate":0.0,"abandoned":0,"abandoned_within":0,"answered":2,"answered_within":2,"average_handle_time_seconds":97.5,"average_speed_of_answer_seconds":14.5,"callbacks_completed":0,"callbacks_failed":0,"callbacks_requested":1,"handled":2,"longest_wait_seconds":25.0,"occupancy":0.1866,"offered":3,"overflowed":0,"service_level":1.0,"service_level_2":1.0,"short_abandoned":0}
        social_services {"abandon_rate":0.5,"abandoned":1,"abandoned_within":1,"answered":0,"answered_within":0,"average_handle_time_seconds":null,"average_speed_of_answer_seconds":null,"callbacks_completed":0,"callbacks_failed":0,"callbacks_requested":0,"handled":0,"longest_wait_seconds":30.0,"occupancy":0.0,"offered":2,"overflowed":1,"service_level":null,"service_level_2":1.0,"short_abandoned":0}
    "#]].assert_eq(&(summary.join("\n") + "\n"));

    let (_, other_day) = get(&state, "/api/v1/queues/stats?from=2025-03-04", Some(&admin)).await;
    assert_eq!(other_day["queues"], json!([]));
    for (query, field) in [("from=2025-03-04&to=2025-03-03", "to"), ("from=2025-01-01&to=2025-03-03", "to"), ("from=monday", "from")] {
        let (status, body) = get(&state, &format!("/api/v1/queues/stats?{query}"), Some(&admin)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(body["error"]["field"], field);
    }
}

#[tokio::test]
async fn erlang_c_for_any_staff() {
    let state = crate::tests::test_state().await;
    assert_eq!(get(&state, "/api/v1/staffing/erlang-c?calls_per_hour=1&aht_seconds=1", None).await.0, StatusCode::UNAUTHORIZED);
    let agent = login(&state, "agent").await;
    let (status, body) = get(&state, "/api/v1/staffing/erlang-c?calls_per_hour=200&aht_seconds=144&agents=10", Some(&agent)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    expect_test::expect![[r#"
        {
          "agents": 10,
          "agents_needed": 11,
          "average_speed_of_answer_seconds": 29.5,
          "formulas": {
            "agents_needed": "the smallest N with service_level >= target_sl; Erlang C ignores abandonment",
            "average_speed_of_answer_seconds": "P_w x AHT / (N - A); null when N <= A",
            "load_erlangs": "A = calls per hour x AHT / 3600",
            "occupancy": "A / N",
            "probability_of_waiting": "P_w = A^N/N! x N/(N-A) / (sum_{k<N} A^k/k! + A^N/N! x N/(N-A))",
            "service_level": "1 - P_w x e^(-(N-A) T / AHT)"
          },
          "load_erlangs": 8.0,
          "occupancy": 0.8,
          "probability_of_waiting": 0.4092,
          "service_level": 0.6901,
          "target_seconds": 20.0,
          "target_sl": 80.0
        }
    "#]].assert_eq(&pretty(&body));

    let (_, needed) = get(&state, "/api/v1/staffing/erlang-c?calls_per_hour=200&aht_seconds=144&target_sl=90&target_seconds=15", Some(&agent)).await;
    let short = |v: &Value| format!("agents {} needed {} SL {} ASA {}", v["agents"], v["agents_needed"], v["service_level"], v["average_speed_of_answer_seconds"]);
    let (_, overloaded) = get(&state, "/api/v1/staffing/erlang-c?calls_per_hour=200&aht_seconds=144&agents=7", Some(&agent)).await;
    expect_test::expect![[r#"
        agents 12 needed 12 SL 0.9078 ASA 5.0
        agents 7 needed 11 SL 0.0 ASA null
    "#]].assert_eq(&format!("{}\n{}\n", short(&needed), short(&overloaded)));

    let (status, body) = get(&state, "/api/v1/staffing/erlang-c?calls_per_hour=-5&aht_seconds=144", Some(&agent)).await;
    assert_eq!((status, body["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("calls_per_hour")));
    let (status, _) = get(&state, "/api/v1/staffing/erlang-c?aht_seconds=144", Some(&agent)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn occupancy_counts_agents_who_logged_in_before_the_range() {
    let state = crate::tests::test_state().await;
    // A run that starts on Monday 23:00: a0 logs in at once and is idle until Tuesday 00:10,
    // then talks for 5 minutes. Tuesday's first interval has 10 idle minutes and 5 on a call.
    let run = BASE + 23 * HOUR;
    state
        .store
        .record_acd_run(&store::acd_log::AcdRun { started_at: run, queues: r#"["general"]"#.into() })
        .await
        .unwrap();
    let minute = 60_000;
    let rows = [
        (0, "fact members a0 q0"),
        (0, "fact agent a0 available idle -"),
        (70 * minute, "fact queued c1 q0 0"),
        (70 * minute, "fact answered c1 q0 a0 0"),
        (70 * minute, "fact agent a0 available talking:c1 q0"),
        (75 * minute, "fact completed c1 q0 a0 300000"),
        (75 * minute, "fact agent a0 loggedout idle -"),
    ];
    let entries: Vec<store::acd_log::NewAcdEvent> = rows
        .iter()
        .map(|(offset, body)| store::acd_log::NewAcdEvent {
            run_started_at: run,
            at: run + offset,
            kind: "fact".into(),
            queue: None,
            body: (*body).to_owned(),
        })
        .collect();
    state.store.insert_acd_events(&entries).await.unwrap();
    let admin = login(&state, "admin").await;
    let (status, body) = get(&state, "/api/v1/queues/stats?from=2025-03-04", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let first = &body["queues"][0]["intervals"][0];
    assert_eq!(first["start"], json!(BASE + 24 * HOUR), "{body}");
    // 5 minutes on the call out of 15 staffed: not 5 out of 5, as when the login went unseen.
    assert_eq!(first["occupancy"], json!(0.3333), "{body}");
}

/// The next data frame of an event stream, as text.
async fn next_frame(body: &mut Body) -> Option<String> {
    loop {
        let frame = body.frame().await?.unwrap();
        if let Ok(data) = frame.into_data() {
            return Some(String::from_utf8_lossy(&data).into_owned());
        }
    }
}

#[tokio::test]
async fn wallboards_get_the_live_figures_pushed_until_shutdown() {
    let state = crate::tests::test_state().await;
    assert_eq!(get_text(&state, "/api/v1/queues/live/events", None).await.0, StatusCode::UNAUTHORIZED);
    let agent = login(&state, "agent").await;
    let request = Request::builder()
        .uri("/api/v1/queues/live/events")
        .header(header::AUTHORIZATION, format!("Bearer {agent}"))
        .body(Body::empty())
        .unwrap();
    let response = router(state.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "text/event-stream");
    let mut body = response.into_body();
    // The figures at once, then again after a change.
    let first = next_frame(&mut body).await.unwrap();
    assert!(first.starts_with("event: live\ndata: {"), "{first}");
    assert!(first.contains(r#""queues":[]"#), "{first}");
    state.live.set_queue("general", 2, 0, 1);
    state.live.set_agent("agent1", "on_call");
    let second = tokio::time::timeout(std::time::Duration::from_secs(3), next_frame(&mut body)).await.unwrap().unwrap();
    let data: Value = serde_json::from_str(second.trim_start_matches("event: live\ndata: ").trim()).unwrap();
    assert_eq!(data["queues"][0]["waiting"], 2, "{second}");
    assert_eq!(data["agents"][0]["state"], "on_call", "{second}");
    // Shutting down ends the stream.
    state.live.close();
    let end = tokio::time::timeout(std::time::Duration::from_secs(7), next_frame(&mut body)).await.unwrap();
    assert_eq!(end, None);
}
