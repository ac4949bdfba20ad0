//! HTTP tests of the REST API through `router(state).oneshot(..)` on a real SQLite store.

use std::sync::atomic::{AtomicU32, Ordering};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use domain::{Connection, InstitutionKind, Role, SubmissionKind};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::{AppState, Config, router};

static NEXT: AtomicU32 = AtomicU32::new(0);

const PASSWORD: &str = "correct horse battery";

/// A fresh store with two institutions, one category routing to both, and one user per role.
pub(crate) async fn test_state() -> AppState {
    let dir = std::env::temp_dir()
        .join(format!("civicline-web-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
    // Process ids come round again: a directory left by an earlier run must not be reused.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = store::Store::open(&store::Location::SqliteFile(dir.join("test.db"))).await.unwrap();
    let institution = |code: &str, kind| store::NewInstitution {
        code: code.into(),
        name_bg: format!("{code} bg"),
        name_en: format!("{code} en"),
        kind,
        connection: Connection::Workspace,
        email: None,
        phone: None,
        webhook_url: None,
        active: true,
    };
    let hash = crate::hash_password(PASSWORD).unwrap();
    let user = |username: &str, role, institution: Option<&str>| store::ImportUser {
        username: username.into(),
        display_name: username.into(),
        role,
        institution_code: institution.map(str::to_owned),
        password_hash: hash.clone(),
    };
    store
        .import(&store::ImportBatch {
            institutions: vec![
                institution("social", InstitutionKind::MunicipalDepartment),
                institution("asp", InstitutionKind::CentralBody),
                institution("parks", InstitutionKind::MunicipalCompany),
            ],
            categories: vec![
                store::ImportCategory {
                    code: "social-help".into(),
                    parent_code: None,
                    name_bg: "Социална помощ".into(),
                    name_en: "Social help".into(),
                    submission_kind: SubmissionKind::Signal,
                    deadline_rule: None,
                    institution_codes: vec!["social".into(), "asp".into()],
                },
                store::ImportCategory {
                    code: "parks".into(),
                    parent_code: None,
                    name_bg: "Паркове".into(),
                    name_en: "Parks".into(),
                    submission_kind: SubmissionKind::ServiceRequest,
                    deadline_rule: Some("working_days:5".into()),
                    institution_codes: vec!["parks".into()],
                },
            ],
            users: vec![
                user("admin", Role::Admin, None),
                user("agent", Role::Agent, None),
                user("social", Role::Officer, Some("social")),
                user("parks", Role::Officer, Some("parks")),
            ],
        })
        .await
        .unwrap();
    let config = Config {
        reference_prefix: "PLV".into(),
        attachments_dir: dir.join("attachments"),
        max_attachment_bytes: 1024 * 1024,
        session_ttl_seconds: 3600,
        secure_cookies: false,
        calendar: calendar::Calendar::bulgaria(),
        portal: crate::portal::test_config(),
    };
    AppState::new(store, config)
}

struct Client {
    state: AppState,
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Value,
}

impl Client {
    async fn send(&self, request: Request<Body>) -> Answer {
        let response = router(self.state.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        Answer { status, headers, body }
    }

    async fn call(&self, method: Method, uri: &str, token: Option<&str>, body: Option<Value>) -> Answer {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match body {
            Some(json) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).unwrap()).await
    }

    async fn login(&self, username: &str) -> String {
        let answer = self
            .call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": username, "password": PASSWORD})))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        answer.body["token"].as_str().unwrap().to_owned()
    }
}

/// One request through the router as `token`'s user; the status and the JSON body (`Null`
/// when the body is not JSON). For the area test modules.
pub(crate) async fn send(
    state: &AppState,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let body = body.map_or_else(Body::empty, |text| Body::from(text.to_owned()));
    let response = crate::router(state.clone()).oneshot(request.body(body).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// A session token for one of [`test_state`]'s users.
pub(crate) async fn token(state: &AppState, username: &str) -> String {
    let body = json!({"username": username, "password": PASSWORD}).to_string();
    let (status, value) = send(state, "POST", "/api/v1/auth/login", None, Some(&body)).await;
    assert_eq!(status, StatusCode::OK, "{value}");
    value["token"].as_str().unwrap().to_owned()
}

async fn client() -> Client {
    Client { state: test_state().await }
}

fn new_case() -> Value {
    json!({
        "category": "social-help",
        "channel": "phone",
        "description": "Възрастна жена има нужда от помощ у дома",
        "location": {"address": "ул. Гладстон 1", "district": "Централен", "lat": 42.14, "lon": 24.75},
        "citizen": {"name": "Мария Иванова", "phone": "0888 123 456", "consent_contact": true},
        "received_on": "2026-03-02"
    })
}

#[tokio::test]
async fn health_and_readiness() {
    let client = client().await;
    assert_eq!(client.call(Method::GET, "/healthz", None, None).await.status, StatusCode::OK);
    assert_eq!(client.call(Method::GET, "/readyz", None, None).await.status, StatusCode::OK);
    let metrics = client.call(Method::GET, "/metrics", None, None).await;
    let text = metrics.body.as_str().unwrap().to_owned();
    assert!(text.contains("civicline_http_requests_total{route=\"/readyz\",method=\"GET\",status=\"200\"} 1"), "{text}");
    assert!(text.contains("civicline_institutions 3"), "{text}");
}

#[tokio::test]
async fn login_logout_and_cookies() {
    let client = client().await;
    let wrong = client
        .call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "agent", "password": "nope"})))
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body["error"]["code"], "unauthenticated");
    let unknown = client
        .call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "ghost", "password": "nope"})))
        .await;
    assert_eq!(unknown.body, wrong.body, "unknown users look like wrong passwords");

    let login = client
        .call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "agent", "password": PASSWORD})))
        .await;
    let cookie = login.headers[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let session = cookie.split(';').next().unwrap().to_owned();
    let me = client
        .send(Request::get("/api/v1/me").header(header::COOKIE, &session).body(Body::empty()).unwrap())
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["role"], "agent");

    let token = login.body["token"].as_str().unwrap();
    assert_eq!(client.call(Method::POST, "/api/v1/auth/logout", Some(token), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(client.call(Method::GET, "/api/v1/me", Some(token), None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(client.call(Method::GET, "/api/v1/cases", None, None).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_case_goes_to_two_institutions_with_deadlines() {
    let client = client().await;
    let agent = client.login("agent").await;
    let created = client.call(Method::POST, "/api/v1/cases", Some(&agent), Some(new_case())).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let reference = created.body["reference"].as_str().unwrap().to_owned();
    assert!(reference.starts_with("PLV-2026-"), "{reference}");
    assert_eq!(created.body["proceeding"], "formal");
    assert_eq!(created.body["tracking_code"].as_str().unwrap().len(), 16);
    // A signal gets two months from receipt: 2026-03-02 + 2 months = Saturday 2 May,
    // so the deadline moves to Monday 4 May.
    let deadlines: Vec<&str> = created.body["assignments"].as_array().unwrap().iter().map(|a| a["deadline"].as_str().unwrap()).collect();
    assert_eq!(deadlines, ["2026-05-04", "2026-05-04"]);

    let read = client.call(Method::GET, &format!("/api/v1/cases/{reference}"), Some(&agent), None).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body["citizen"]["phone"], "+359888123456");
    assert!(read.body.get("tracking_code").is_none(), "the code is shown once");
    assert_eq!(read.body["history"][0]["kind"], "registered");

    let lookup = client.call(Method::GET, "/api/v1/citizens?phone=%2B359888123456", Some(&agent), None).await;
    assert_eq!(lookup.body[0]["cases"][0]["reference"], reference.as_str());

    let anonymous = json!({"category": "parks", "channel": "portal", "description": "Паднало дърво"});
    let anonymous = client.call(Method::POST, "/api/v1/cases", Some(&agent), Some(anonymous)).await;
    assert_eq!(anonymous.body["proceeding"], "information_only", "АПК art. 111(4)");
}

#[tokio::test]
async fn officers_see_and_change_only_their_institutions_cases() {
    let client = client().await;
    let agent = client.login("agent").await;
    let social = client.login("social").await;
    let parks = client.login("parks").await;
    let created = client.call(Method::POST, "/api/v1/cases", Some(&agent), Some(new_case())).await;
    let reference = created.body["reference"].as_str().unwrap().to_owned();
    let url = format!("/api/v1/cases/{reference}");

    assert_eq!(client.call(Method::GET, &url, Some(&social), None).await.status, StatusCode::OK);
    assert_eq!(client.call(Method::GET, &url, Some(&parks), None).await.status, StatusCode::NOT_FOUND);
    let listed = client.call(Method::GET, "/api/v1/cases", Some(&parks), None).await;
    assert_eq!(listed.body["items"], json!([]));
    let listed = client.call(Method::GET, "/api/v1/cases", Some(&social), None).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);

    // The social officer may change their own part, not the directorate's.
    let accept = json!({"status": "accepted"});
    let own = client.call(Method::PUT, &format!("{url}/assignments/social"), Some(&social), Some(accept.clone())).await;
    assert_eq!(own.status, StatusCode::OK, "{:?}", own.body);
    assert_eq!(own.body["status"], "in_progress");
    let other = client.call(Method::PUT, &format!("{url}/assignments/asp"), Some(&social), Some(accept.clone())).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    let stranger = client.call(Method::PUT, &format!("{url}/assignments/parks"), Some(&parks), Some(accept)).await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);
    let note = json!({"kind": "note", "body": "вътрешно"});
    let stranger_note = client.call(Method::POST, &format!("{url}/events"), Some(&parks), Some(note.clone())).await;
    assert_eq!(stranger_note.status, StatusCode::NOT_FOUND);
    let own_note = client.call(Method::POST, &format!("{url}/events"), Some(&social), Some(note)).await;
    assert_eq!(own_note.status, StatusCode::CREATED);
    assert_eq!(own_note.body["public"], false);
    // The read shows the case as changed, with its whole history in order.
    let read = client.call(Method::GET, &url, Some(&social), None).await;
    assert_eq!(read.body["status"], "in_progress");
    let history: Vec<(&str, bool)> = read.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["public"].as_bool().unwrap()))
        .collect();
    assert_eq!(history, [("registered", true), ("status", true), ("note", false)]);
    assert_eq!(read.body["history"][2]["body"], "вътрешно");
    assert_eq!(client.call(Method::GET, "/api/v1/citizens?phone=0888123456", Some(&social), None).await.status, StatusCode::FORBIDDEN);
    let admin_only = json!({"code": "x", "name_bg": "x", "name_en": "x", "kind": "partner", "connection": "listed"});
    assert_eq!(client.call(Method::POST, "/api/v1/institutions", Some(&agent), Some(admin_only)).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn assignments_resolve_the_case_and_forwarding_adds_an_institution() {
    let client = client().await;
    let agent = client.login("agent").await;
    let reference = client.call(Method::POST, "/api/v1/cases", Some(&agent), Some(new_case())).await.body["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = format!("/api/v1/cases/{reference}/assignments");
    let decline = client.call(Method::PUT, &format!("{url}/asp"), Some(&agent), Some(json!({"status": "declined"}))).await;
    assert_eq!(decline.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(decline.body["error"]["code"], "rule_violation");
    let forward = json!({"status": "forwarded", "reason": "не е компетентен", "forward_to": "parks"});
    let forwarded = client.call(Method::PUT, &format!("{url}/asp"), Some(&agent), Some(forward)).await;
    assert_eq!(forwarded.status, StatusCode::OK, "{:?}", forwarded.body);
    assert_eq!(forwarded.body["assignments"].as_array().unwrap().len(), 3);
    for institution in ["social", "parks"] {
        let done = client.call(Method::PUT, &format!("{url}/{institution}"), Some(&agent), Some(json!({"status": "done"}))).await;
        assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    }
    let case = client.call(Method::GET, &format!("/api/v1/cases/{reference}"), Some(&agent), None).await;
    assert_eq!(case.body["status"], "resolved");
    let again = client.call(Method::POST, &url, Some(&agent), Some(json!({"institution": "parks"}))).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn bad_input_gets_a_clear_4xx_and_writes_nothing() {
    let client = client().await;
    let agent = client.login("agent").await;
    let mut cases = vec![
        ("not json", Body::from("{\"category\":")),
        ("unknown field", Body::from(json!({"category": "parks", "channel": "phone", "description": "x", "colour": 1}).to_string())),
        ("missing field", Body::from(json!({"category": "parks", "channel": "phone"}).to_string())),
        ("wrong type", Body::from(json!({"category": "parks", "channel": "phone", "description": 5}).to_string())),
        ("unknown category", Body::from(json!({"category": "nope", "channel": "phone", "description": "x"}).to_string())),
        ("bad channel", Body::from(json!({"category": "parks", "channel": "fax", "description": "x"}).to_string())),
        ("empty description", Body::from(json!({"category": "parks", "channel": "phone", "description": "  "}).to_string())),
        ("half a location", Body::from(json!({"category": "parks", "channel": "phone", "description": "x", "location": {"lat": 42.0}}).to_string())),
        ("future date", Body::from(json!({"category": "parks", "channel": "phone", "description": "x", "received_on": "2999-01-01"}).to_string())),
        ("bad phone", Body::from(json!({"category": "parks", "channel": "phone", "description": "x", "citizen": {"phone": "call me"}}).to_string())),
        ("huge", Body::from(format!("{{\"description\": \"{}\"}}", "x".repeat(200_000)))),
    ];
    let mut actual = String::new();
    for (name, body) in cases.drain(..) {
        let request = Request::post("/api/v1/cases")
            .header(header::AUTHORIZATION, format!("Bearer {agent}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
            .unwrap();
        let answer = client.send(request).await;
        actual += &format!("{name}: {} {} {}\n", answer.status.as_u16(), answer.body["error"]["code"], answer.body["error"]["field"]);
    }
    expect_test::expect![[r#"
        not json: 400 "bad_request" null
        unknown field: 400 "bad_request" null
        missing field: 400 "bad_request" null
        wrong type: 400 "bad_request" null
        unknown category: 422 "invalid_field" "category"
        bad channel: 422 "invalid_field" "channel"
        empty description: 422 "invalid_field" "description"
        half a location: 422 "invalid_field" "location"
        future date: 422 "invalid_field" "received_on"
        bad phone: 422 "invalid_field" "citizen.phone"
        huge: 413 "too_large" null
    "#]]
    .assert_eq(&actual);
    let listed = client.call(Method::GET, "/api/v1/cases", Some(&agent), None).await;
    assert_eq!(listed.body["items"], json!([]), "nothing was written");
}

#[tokio::test]
async fn attachments_are_checked_by_content() {
    let client = client().await;
    let agent = client.login("agent").await;
    let reference = client.call(Method::POST, "/api/v1/cases", Some(&agent), Some(new_case())).await.body["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    let upload = |bytes: Vec<u8>, name: &str| {
        Request::post(format!("/api/v1/cases/{reference}/attachments?filename={name}"))
            .header(header::AUTHORIZATION, format!("Bearer {agent}"))
            .header(header::CONTENT_TYPE, "image/jpeg")
            .body(Body::from(bytes))
            .unwrap()
    };
    let fake = client.send(upload(b"MZ\x90\x00 not a picture".to_vec(), "photo.jpg")).await;
    assert_eq!(fake.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let png = b"\x89PNG\r\n\x1a\n rest of a picture".to_vec();
    let stored = client.send(upload(png.clone(), "lamp.png")).await;
    assert_eq!(stored.status, StatusCode::CREATED, "{:?}", stored.body);
    assert_eq!(stored.body["content_type"], "image/png");
    let too_big = client.send(upload(vec![0xFF; 2 * 1024 * 1024], "big.jpg")).await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
    let id = stored.body["id"].as_i64().unwrap();
    let download = client
        .send(Request::get(format!("/api/v1/attachments/{id}")).header(header::AUTHORIZATION, format!("Bearer {agent}")).body(Body::empty()).unwrap())
        .await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.headers[header::CONTENT_TYPE], "image/png");
    let parks = client.login("parks").await;
    let hidden = client
        .send(Request::get(format!("/api/v1/attachments/{id}")).header(header::AUTHORIZATION, format!("Bearer {parks}")).body(Body::empty()).unwrap())
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn listing_filters_and_cursor() {
    let client = client().await;
    let agent = client.login("agent").await;
    for i in 0..7 {
        let mut case = new_case();
        case["description"] = json!(format!("Случай номер {i}"));
        client.call(Method::POST, "/api/v1/cases", Some(&agent), Some(case)).await;
    }
    let page = client.call(Method::GET, "/api/v1/cases?limit=5", Some(&agent), None).await;
    assert_eq!(page.body["items"].as_array().unwrap().len(), 5);
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let next = client.call(Method::GET, &format!("/api/v1/cases?limit=5&cursor={cursor}"), Some(&agent), None).await;
    assert_eq!(next.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(next.body["next_cursor"], Value::Null);
    let text = client.call(Method::GET, "/api/v1/cases?q=%D0%9D%D0%9E%D0%9C%D0%95%D0%A0%203", Some(&agent), None).await;
    assert_eq!(text.body["items"].as_array().unwrap().len(), 1, "{:?}", text.body);
    let bad = client.call(Method::GET, "/api/v1/cases?limit=0", Some(&agent), None).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = client.call(Method::GET, "/api/v1/cases?colour=red", Some(&agent), None).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
}

/// Every documented operation exists, and every route is documented, method by method.
#[tokio::test]
async fn openapi_document_matches_the_routes() {
    let client = client().await;
    let spec = client.call(Method::GET, "/api/v1/openapi.json", None, None).await.body;
    let paths = spec["paths"].as_object().unwrap();
    let table: Vec<&str> = crate::api::routes(&client.state).into_iter().map(|(path, _)| path).collect();
    let mut documented: Vec<&str> = paths.keys().map(String::as_str).collect();
    let mut routed = table.clone();
    documented.sort();
    routed.sort();
    assert_eq!(documented, routed, "documented paths and routes differ");
    for (path, item) in paths {
        let uri = format!("/api/v1{}", path.replace("{reference}", "PLV-2026-000001").replace(['{', '}'], ""));
        for method in ["get", "post", "put", "delete", "patch"] {
            let request = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&uri)
                .body(Body::empty())
                .unwrap();
            let answer = client.send(request).await;
            let allowed = answer.status != StatusCode::METHOD_NOT_ALLOWED;
            assert_eq!(item.get(method).is_some(), allowed, "{method} {path}: {}", answer.status);
        }
    }
    // Every schema reference resolves.
    let text = spec.to_string();
    for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(spec["components"]["schemas"].get(name).is_some(), "missing schema {name}");
    }
}

mod properties {
    //! Random request bodies never produce a 500 or a partial write.

    use proptest::prelude::*;

    use super::*;

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
            ".{0,40}".prop_map(Value::String),
            prop_oneof![Just("parks"), Just("social-help"), Just("phone"), Just("portal"), Just("2026-01-05")]
                .prop_map(|s| Value::String(s.to_owned())),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            let keys = prop_oneof![
                Just("category"), Just("channel"), Just("description"), Just("location"), Just("citizen"),
                Just("lat"), Just("lon"), Just("name"), Just("phone"), Just("email"), Just("received_on"),
                Just("submission_kind"), Just("address"), Just("x"),
            ];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(keys.prop_map(str::to_owned), inner, 0..6)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    #[test]
    fn random_case_bodies_never_fail_inside() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let client = runtime.block_on(client());
        let agent = runtime.block_on(client.login("agent"));
        let config = ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() };
        proptest!(config, |(body in json_value())| {
            let answer = runtime.block_on(client.call(Method::POST, "/api/v1/cases", Some(&agent), Some(body.clone())));
            prop_assert!(answer.status.is_client_error() || answer.status == StatusCode::CREATED,
                "{} for {}: {:?}", answer.status, body, answer.body);
            if answer.status == StatusCode::CREATED {
                let reference = answer.body["reference"].as_str().unwrap().to_owned();
                let read = runtime.block_on(client.call(Method::GET, &format!("/api/v1/cases/{reference}"), Some(&agent), None));
                prop_assert_eq!(read.status, StatusCode::OK);
            }
        });
        // Every case that exists was acknowledged with a 201: count them against the references.
        let listed = runtime.block_on(client.call(Method::GET, "/api/v1/cases?limit=500", Some(&agent), None));
        let items = listed.body["items"].as_array().unwrap();
        if let Some(newest) = items.first() {
            let seq = domain::Reference::parse(newest["reference"].as_str().unwrap()).unwrap().seq;
            assert_eq!(seq as usize, items.len(), "gapless: no failed request consumed a number");
        }
    }
}
