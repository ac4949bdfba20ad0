//! Who may command the switch, and what they get while it is not running. The commands
//! themselves run against the real switch in tests/sip/run.sh.

use axum::http::StatusCode;

use crate::tests::{send, test_state, token};

#[tokio::test]
async fn supervisors_and_the_agent_themselves_may_command_the_switch() {
    let state = test_state().await;
    let training = r#"{"state":"training"}"#;
    assert_eq!(send(&state, "PUT", "/api/v1/agents/agent/state", None, Some(training)).await.0, StatusCode::UNAUTHORIZED);
    let officer = token(&state, "social").await;
    let agent = token(&state, "agent").await;
    let admin = token(&state, "admin").await;
    // An officer is neither a supervisor nor the phone agent `agent`.
    assert_eq!(send(&state, "PUT", "/api/v1/agents/agent/state", Some(&officer), Some(training)).await.0, StatusCode::FORBIDDEN);
    // The agent may change their own state, not a colleague's; flags are for supervisors.
    assert_eq!(send(&state, "PUT", "/api/v1/agents/admin/state", Some(&agent), Some(training)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(&state, "PUT", "/api/v1/flags/crisis", Some(&agent), Some(r#"{"on":true}"#)).await.0, StatusCode::FORBIDDEN);
    // Allowed, but no switch runs in this test: 503, in the one error shape.
    let (status, body) = send(&state, "PUT", "/api/v1/agents/agent/state", Some(&agent), Some(training)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"]["code"], "unavailable");
    assert_eq!(send(&state, "PUT", "/api/v1/flags/crisis", Some(&admin), Some(r#"{"on":true}"#)).await.0, StatusCode::SERVICE_UNAVAILABLE);
    // Bad input first gets its own answer.
    let (status, body) = send(&state, "PUT", "/api/v1/flags/Crisis!", Some(&admin), Some(r#"{"on":true}"#)).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("name")));
    assert_eq!(send(&state, "PUT", "/api/v1/flags/crisis", Some(&admin), Some(r#"{"on":"yes"}"#)).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(send(&state, "PUT", "/api/v1/agents/agent/state", Some(&admin), Some(r#"{"mood":"x"}"#)).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn transfers_are_for_the_agent_themselves_or_a_supervisor() {
    let state = test_state().await;
    let to = r#"{"to":"psychological_support"}"#;
    let path = "/api/v1/agents/agent/transfer";
    assert_eq!(send(&state, "POST", path, None, Some(to)).await.0, StatusCode::UNAUTHORIZED);
    let officer = token(&state, "social").await;
    let agent = token(&state, "agent").await;
    let admin = token(&state, "admin").await;
    assert_eq!(send(&state, "POST", path, Some(&officer), Some(to)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(&state, "POST", "/api/v1/agents/admin/transfer", Some(&agent), Some(to)).await.0, StatusCode::FORBIDDEN);
    // Allowed, but no switch runs here.
    let (status, body) = send(&state, "POST", path, Some(&agent), Some(to)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable")));
    assert_eq!(send(&state, "POST", path, Some(&admin), Some(to)).await.0, StatusCode::SERVICE_UNAVAILABLE);
    // Bad input is answered before anything else.
    let (status, body) = send(&state, "POST", path, Some(&admin), Some(r#"{"to":"  "}"#)).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("to")));
    assert_eq!(send(&state, "POST", path, Some(&admin), Some(r#"{"queue":"x"}"#)).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn only_supervisors_move_agents_between_queues() {
    let state = test_state().await;
    let body = r#"{"queues":["crisis","general"]}"#;
    let path = "/api/v1/agents/agent/queues";
    let agent = token(&state, "agent").await;
    let admin = token(&state, "admin").await;
    // Not even the agent themselves: staffing is the supervisor's call.
    assert_eq!(send(&state, "PUT", path, Some(&agent), Some(body)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(&state, "PUT", path, Some(&admin), Some(body)).await.0, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(send(&state, "PUT", path, Some(&admin), Some(r#"{"queues":"crisis"}"#)).await.0, StatusCode::BAD_REQUEST);
}
