//! `GET /api/v1/calls` through the router: supervisors and admins only, filters checked.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::{AppState, router};

async fn get(state: &AppState, uri: &str, token: Option<&str>) -> (StatusCode, Value) {
    let mut request = Request::builder().uri(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = router(state.clone()).oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn login(state: &AppState, username: &str) -> String {
    crate::tests::token(state, username).await
}

fn record(call_ref: &str, leg: &str, outcome: &str, started_at: i64) -> store::calls::NewCallRecord {
    store::calls::NewCallRecord {
        call_ref: call_ref.into(),
        leg: leg.into(),
        agent: (leg == "agent").then(|| "agent1".into()),
        caller: Some("0888123456".into()),
        queue: Some("social_services".into()),
        started_at,
        answered_at: None,
        ended_at: started_at + 1_000,
        wait_ms: 500,
        talk_ms: 0,
        outcome: outcome.into(),
    }
}

#[tokio::test]
async fn supervisors_list_call_records_with_filters() {
    let state = crate::tests::test_state().await;
    // 2026-03-02 10:00 Sofia.
    let monday = 1_772_438_400_000;
    state.store.insert_call_record(&record("c1", "caller", "answered", monday)).await.unwrap();
    state.store.insert_call_record(&record("c1", "agent", "answered", monday + 10)).await.unwrap();
    state.store.insert_call_record(&record("c2", "caller", "abandoned", monday + 86_400_000)).await.unwrap();

    assert_eq!(get(&state, "/api/v1/calls", None).await.0, StatusCode::UNAUTHORIZED);
    let agent = login(&state, "agent").await;
    assert_eq!(get(&state, "/api/v1/calls", Some(&agent)).await.0, StatusCode::FORBIDDEN);

    let admin = login(&state, "admin").await;
    let (status, body) = get(&state, "/api/v1/calls", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let calls: Vec<&str> = body["items"].as_array().unwrap().iter().map(|item| item["outcome"].as_str().unwrap()).collect();
    assert_eq!(calls, ["abandoned", "answered", "answered"]);
    assert_eq!(body["items"][0]["call"], "c2");

    let (_, body) = get(&state, "/api/v1/calls?leg=caller&from=2026-03-02&to=2026-03-02", Some(&admin)).await;
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    assert_eq!(body["items"][0]["outcome"], "answered");

    let (_, first) = get(&state, "/api/v1/calls?limit=2", Some(&admin)).await;
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let (_, rest) = get(&state, &format!("/api/v1/calls?limit=2&cursor={cursor}"), Some(&admin)).await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest["next_cursor"].is_null());

    let (status, body) = get(&state, "/api/v1/calls?outcome=lost", Some(&admin)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "outcome");
}
