//! Who may command the switch, and what they get while it is not running. The commands
//! themselves run against the real switch in tests/sip/run.sh.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::{AppState, router};

async fn put(state: &AppState, uri: &str, token: Option<&str>, body: &str) -> (StatusCode, Value) {
    let mut request = Request::builder().method("PUT").uri(uri).header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = router(state.clone()).oneshot(request.body(Body::from(body.to_owned())).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn login(state: &AppState, username: &str) -> String {
    let body = json!({"username": username, "password": "correct horse battery"}).to_string();
    let request = Request::builder()
        .method("POST")
        .uri("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    let response = router(state.clone()).oneshot(request).await.unwrap();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice::<Value>(&bytes).unwrap()["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn supervisors_and_the_agent_themselves_may_command_the_switch() {
    let state = crate::tests::test_state().await;
    let training = r#"{"state":"training"}"#;
    assert_eq!(put(&state, "/api/v1/agents/agent/state", None, training).await.0, StatusCode::UNAUTHORIZED);
    let officer = login(&state, "social").await;
    let agent = login(&state, "agent").await;
    let admin = login(&state, "admin").await;
    // An officer is neither a supervisor nor the phone agent `agent`.
    assert_eq!(put(&state, "/api/v1/agents/agent/state", Some(&officer), training).await.0, StatusCode::FORBIDDEN);
    // The agent may change their own state, not a colleague's; flags are for supervisors.
    assert_eq!(put(&state, "/api/v1/agents/admin/state", Some(&agent), training).await.0, StatusCode::FORBIDDEN);
    assert_eq!(put(&state, "/api/v1/flags/crisis", Some(&agent), r#"{"on":true}"#).await.0, StatusCode::FORBIDDEN);
    // Allowed, but no switch runs in this test: 503, in the one error shape.
    let (status, body) = put(&state, "/api/v1/agents/agent/state", Some(&agent), training).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"]["code"], "unavailable");
    assert_eq!(put(&state, "/api/v1/flags/crisis", Some(&admin), r#"{"on":true}"#).await.0, StatusCode::SERVICE_UNAVAILABLE);
    // Bad input first gets its own answer.
    let (status, body) = put(&state, "/api/v1/flags/Crisis!", Some(&admin), r#"{"on":true}"#).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("name")));
    assert_eq!(put(&state, "/api/v1/flags/crisis", Some(&admin), r#"{"on":"yes"}"#).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(put(&state, "/api/v1/agents/agent/state", Some(&admin), r#"{"mood":"x"}"#).await.0, StatusCode::BAD_REQUEST);
}
