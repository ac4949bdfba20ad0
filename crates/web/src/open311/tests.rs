//! Open311 GeoReport v2 through `router(state).oneshot(..)` on a real SQLite store, and the pure
//! parts (W3C times, masking, XML) as tables.
//!
//! HTTP tests are scripts: a request as text (`METHOD /path`, header lines, a blank line, a form
//! body) and the answer as text (status, content type, body). Dates, times, reference years and
//! tokens are replaced by placeholders so that the snapshots do not depend on the day.

use std::sync::atomic::{AtomicU32, Ordering};

use axum::body::Body;
use axum::http::{Request, header};
use domain::{AssignmentStatus, Channel, Connection, InstitutionKind, Proceeding, Role, SubmissionKind};
use expect_test::{Expect, expect};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use super::format::Node;
use super::{privacy, w3c};
use crate::auth::token_hash;
use crate::{AppState, Config, router};

static NEXT: AtomicU32 = AtomicU32::new(0);

const KEY: &str = "test-open311-key";
const ADMIN_TOKEN: &str = "admin-session-token";
const AGENT_TOKEN: &str = "agent-session-token";

/// A store with two institutions, a parent category and two services, attributes on `pothole`,
/// an admin and an agent logged in, and one Open311 key ([`KEY`]).
async fn fixture() -> AppState {
    let dir = std::env::temp_dir()
        .join(format!("civicline-open311-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
    // Process ids come round again: a directory left by an earlier run must not be reused.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = store::Store::open(&store::Location::SqliteFile(dir.join("test.db"))).await.unwrap();
    let institution = |code: &str, bg: &str, en: &str| store::NewInstitution {
        code: code.into(),
        name_bg: bg.into(),
        name_en: en.into(),
        kind: InstitutionKind::MunicipalDepartment,
        connection: Connection::Workspace,
        email: Some(format!("{code}@plovdiv.bg")),
        phone: None,
        webhook_url: None,
        active: true,
    };
    let roads = store.create_institution(&institution("roads", "Пътища", "Roads")).await.unwrap();
    let social = store.create_institution(&institution("social", "Социални дейности", "Social services")).await.unwrap();
    let category = |code: &str, parent_id, bg: &str, en: &str, kind, rule: Option<&str>, institutions| {
        store::NewCategory {
            code: code.into(),
            parent_id,
            name_bg: bg.into(),
            name_en: en.into(),
            submission_kind: kind,
            deadline_rule: rule.map(str::to_owned),
            institutions,
        }
    };
    let streets = store
        .create_category(&category("streets", None, "Улици", "Streets", SubmissionKind::Signal, None, vec![roads.id]))
        .await
        .unwrap();
    let pothole = store
        .create_category(&category(
            "pothole",
            Some(streets.id),
            "Дупка на пътя",
            "Pothole",
            SubmissionKind::ServiceRequest,
            Some("working_days:7"),
            vec![roads.id],
        ))
        .await
        .unwrap();
    store
        .create_category(&category(
            "social-help",
            None,
            "Социална помощ",
            "Social assistance",
            SubmissionKind::Signal,
            None,
            vec![social.id],
        ))
        .await
        .unwrap();
    let text = |bg: &str, en: &str| (bg.to_owned(), en.to_owned());
    let attribute = |code: &str, datatype, required, order, (bg, en): (String, String), values: &[(&str, &str, &str)]| {
        store::CategoryAttribute {
            code: code.into(),
            datatype,
            variable: true,
            required,
            order,
            description_bg: bg,
            description_en: en,
            datatype_description_bg: None,
            datatype_description_en: None,
            values: values
                .iter()
                .map(|(key, bg, en)| store::AttributeValue { key: (*key).into(), name_bg: (*bg).into(), name_en: (*en).into() })
                .collect(),
        }
    };
    use store::AttributeDatatype as D;
    let mut notice = attribute("NOTICE", D::String, false, 6, text("Снимайте отдалеч", "Take photos from afar"), &[]);
    notice.variable = false;
    store
        .set_category_attributes(
            pothole.id,
            &[
                attribute("SIZE", D::SingleValueList, true, 1, text("Колко е голяма?", "How big is it?"), &[
                    ("small", "Малка", "Small"),
                    ("large", "Голяма", "Large"),
                ]),
                attribute("DEPTH", D::Number, false, 2, text("Дълбочина в см", "Depth in cm"), &[]),
                attribute("SEEN", D::Datetime, false, 3, text("Кога я видяхте?", "When did you see it?"), &[]),
                attribute("LANES", D::MultiValueList, false, 4, text("Кои ленти?", "Which lanes?"), &[
                    ("left", "Лява", "Left"),
                    ("right", "Дясна", "Right"),
                ]),
                attribute("NOTE", D::String, false, 5, text("Бележка", "Note"), &[]),
                notice,
            ],
        )
        .await
        .unwrap();
    for (username, role, token) in [("admin", Role::Admin, ADMIN_TOKEN), ("agent", Role::Agent, AGENT_TOKEN)] {
        let user = store
            .create_user(&store::NewUser {
                username: username.into(),
                display_name: username.into(),
                role,
                institution_id: None,
                password_hash: "not a real hash".into(),
            })
            .await
            .unwrap();
        store.create_session(&token_hash(token), user.id, store::now() + 3_600_000).await.unwrap();
    }
    store
        .create_open311_key(&store::NewOpen311Key {
            client_name: "FixMyStreet Пловдив".into(),
            key_hash: token_hash(KEY),
            key_prefix: KEY[..8].into(),
            created_by: None,
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

/// Sends a scripted request and answers the raw status, content type and body.
async fn send(state: &AppState, script: &str) -> (u16, String, String) {
    let (head, body) = script.trim().split_once("\n\n").unwrap_or((script.trim(), ""));
    let mut lines = head.lines();
    let (method, uri) = lines.next().unwrap().split_once(' ').unwrap();
    let mut request = Request::builder().method(method).uri(uri);
    let mut has_content_type = false;
    for line in lines {
        let (name, value) = line.split_once(": ").unwrap();
        has_content_type |= name.eq_ignore_ascii_case("content-type");
        request = request.header(name, value);
    }
    // A form body is written one field a line; any other body is sent as it is.
    let body = if has_content_type {
        body.to_owned()
    } else {
        if method == "POST" {
            request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded; charset=utf-8");
        }
        body.lines().map(str::trim).collect::<Vec<_>>().join("&")
    };
    let response = router(state.clone()).oneshot(request.body(Body::from(body)).unwrap()).await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, content_type, String::from_utf8_lossy(&bytes).into_owned())
}

/// The one place that calls the API under test: request script in, answer text out.
async fn check(state: &AppState, script: &str, expect: Expect) {
    let (status, content_type, body) = send(state, script).await;
    let body = match serde_json::from_str::<Value>(&body) {
        Ok(json) if content_type.starts_with("application/json") => serde_json::to_string_pretty(&json).unwrap(),
        _ => body,
    };
    expect.assert_eq(&scrub(&format!("{status} {content_type}\n{body}")));
}

/// Replaces what changes from run to run: W3C times, dates, reference years and hex tokens.
fn scrub(text: &str) -> String {
    let bytes = text.as_bytes();
    let shape = |at: usize, pattern: &str| {
        bytes.len() >= at + pattern.len()
            && pattern.bytes().zip(&bytes[at..]).all(|(want, got)| match want {
                b'9' => got.is_ascii_digit(),
                other => other == *got,
            })
    };
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < bytes.len() {
        if shape(at, "9999-99-99T99:99:99+99:99") {
            out.push_str("<datetime>");
            at += 25;
        } else if shape(at, "9999-99-99") {
            out.push_str("<date>");
            at += 10;
        } else if shape(at, "PLV-9999-") {
            out.push_str("PLV-YYYY-");
            at += 9;
        } else if (at == 0 || !bytes[at - 1].is_ascii_alphanumeric())
            && bytes[at..].iter().take_while(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()).count() == 32
        {
            out.push_str("<token>");
            at += 32;
        } else {
            let ch = text[at..].chars().next().unwrap();
            out.push(ch);
            at += ch.len_utf8();
        }
    }
    out
}

/// Reports a pothole through Open311 and answers its reference.
async fn report(state: &AppState, body: &str) -> String {
    let (status, _, answer) = send(state, &format!("POST /open311/v2/requests.json\n\n{body}")).await;
    assert_eq!(status, 200, "{answer}");
    let json: Value = serde_json::from_str(&answer).unwrap();
    json[0]["service_request_id"].as_str().unwrap().to_owned()
}

/// Registers a case by phone, with a citizen's details, straight in the store.
async fn phone_case(state: &AppState, category: &str) -> store::Case {
    let category = state.store.category_by_code(category).await.unwrap().unwrap();
    state
        .store
        .create_case(store::NewCase {
            prefix: "PLV".into(),
            year: 2026,
            channel: Channel::Phone,
            category_id: category.id,
            submission_kind: category.submission_kind,
            proceeding: Proceeding::Formal,
            description: "Г-жа Мария Иванова, тел. 0888 123 456, живее сама и има нужда от помощ".into(),
            address: Some("ул. Гладстон 1, ап. 5".into()),
            district: Some("Централен".into()),
            latitude: Some(42.1354),
            longitude: Some(24.7453),
            citizen: Some(store::NewCitizen {
                name: Some("Мария Иванова".into()),
                phone: Some("+359888123456".into()),
                email: Some("maria@example.bg".into()),
                consent_contact: true,
            }),
            received_on: "2026-03-02".into(),
            assignments: category
                .institutions
                .iter()
                .map(|id| store::NewAssignment { institution_id: *id, deadline: "2026-05-04".into() })
                .collect(),
            actor_user_id: None,
            tracking_code: "tracking".into(),
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn discovery_in_both_formats() {
    let state = fixture().await;
    check(
        &state,
        "GET /open311/v2/discovery.json\nHost: civicline.example\nX-Forwarded-Proto: https",
        expect![[r#"
            200 application/json; charset=utf-8
            {
              "changeset": "<datetime>",
              "contact": "Контактен център на Община Пловдив (civicline)",
              "endpoints": [
                {
                  "changeset": "<datetime>",
                  "formats": [
                    "text/xml",
                    "application/json"
                  ],
                  "specification": "http://wiki.open311.org/GeoReport_v2",
                  "type": "production",
                  "url": "https://civicline.example/open311/v2"
                }
              ],
              "key_service": "API ключ за подаване на сигнали се издава от администратор на civicline"
            }"#]],
    )
    .await;
    check(
        &state,
        "GET /open311/v2/discovery.xml?lang=en\nHost: 127.0.0.1:8080",
        expect![[r#"
            200 text/xml; charset=utf-8
            <?xml version="1.0" encoding="utf-8"?>
            <discovery><changeset><datetime></changeset><contact>Plovdiv Municipality contact centre (civicline)</contact><key_service>API keys for reporting are issued by a civicline administrator</key_service><endpoints><endpoint><specification>http://wiki.open311.org/GeoReport_v2</specification><url>http://127.0.0.1:8080/open311/v2</url><changeset><datetime></changeset><type>production</type><formats><format>text/xml</format><format>application/json</format></formats></endpoint></endpoints></discovery>
        "#]],
    )
    .await;
}

#[tokio::test]
async fn service_list_in_either_language() {
    let state = fixture().await;
    check(
        &state,
        "GET /open311/v2/services.json",
        expect![[r#"
            200 application/json; charset=utf-8
            [
              {
                "description": "Отговор в срок до 2 месеца",
                "group": null,
                "keywords": "Streets",
                "metadata": false,
                "service_code": "streets",
                "service_name": "Улици",
                "type": "realtime"
              },
              {
                "description": "Отговор в срок до 7 работни дни",
                "group": "Улици",
                "keywords": "Pothole",
                "metadata": true,
                "service_code": "pothole",
                "service_name": "Дупка на пътя",
                "type": "realtime"
              },
              {
                "description": "Отговор в срок до 2 месеца",
                "group": null,
                "keywords": "Social assistance",
                "metadata": false,
                "service_code": "social-help",
                "service_name": "Социална помощ",
                "type": "realtime"
              }
            ]"#]],
    )
    .await;
    check(
        &state,
        "GET /open311/v2/services.xml\nAccept-Language: de-DE, en;q=0.8, bg;q=0.5",
        expect![[r#"
            200 text/xml; charset=utf-8
            <?xml version="1.0" encoding="utf-8"?>
            <services><service><service_code>streets</service_code><service_name>Streets</service_name><description>Answered within 2 months</description><metadata>false</metadata><type>realtime</type><keywords>Улици</keywords><group/></service><service><service_code>pothole</service_code><service_name>Pothole</service_name><description>Answered within 7 working days</description><metadata>true</metadata><type>realtime</type><keywords>Дупка на пътя</keywords><group>Streets</group></service><service><service_code>social-help</service_code><service_name>Social assistance</service_name><description>Answered within 2 months</description><metadata>false</metadata><type>realtime</type><keywords>Социална помощ</keywords><group/></service></services>
        "#]],
    )
    .await;
}

#[tokio::test]
async fn service_definitions() {
    let state = fixture().await;
    check(
        &state,
        "GET /open311/v2/services/pothole.json?lang=en",
        expect![[r#"
            200 application/json; charset=utf-8
            {
              "attributes": [
                {
                  "code": "SIZE",
                  "datatype": "singlevaluelist",
                  "datatype_description": null,
                  "description": "How big is it?",
                  "order": 1,
                  "required": true,
                  "values": [
                    {
                      "key": "small",
                      "name": "Small"
                    },
                    {
                      "key": "large",
                      "name": "Large"
                    }
                  ],
                  "variable": true
                },
                {
                  "code": "DEPTH",
                  "datatype": "number",
                  "datatype_description": null,
                  "description": "Depth in cm",
                  "order": 2,
                  "required": false,
                  "variable": true
                },
                {
                  "code": "SEEN",
                  "datatype": "datetime",
                  "datatype_description": null,
                  "description": "When did you see it?",
                  "order": 3,
                  "required": false,
                  "variable": true
                },
                {
                  "code": "LANES",
                  "datatype": "multivaluelist",
                  "datatype_description": null,
                  "description": "Which lanes?",
                  "order": 4,
                  "required": false,
                  "values": [
                    {
                      "key": "left",
                      "name": "Left"
                    },
                    {
                      "key": "right",
                      "name": "Right"
                    }
                  ],
                  "variable": true
                },
                {
                  "code": "NOTE",
                  "datatype": "string",
                  "datatype_description": null,
                  "description": "Note",
                  "order": 5,
                  "required": false,
                  "variable": true
                },
                {
                  "code": "NOTICE",
                  "datatype": "string",
                  "datatype_description": null,
                  "description": "Take photos from afar",
                  "order": 6,
                  "required": false,
                  "variable": false
                }
              ],
              "service_code": "pothole"
            }"#]],
    )
    .await;
    check(
        &state,
        "GET /open311/v2/services/streets.xml",
        expect![[r#"
            200 text/xml; charset=utf-8
            <?xml version="1.0" encoding="utf-8"?>
            <service_definition><service_code>streets</service_code><attributes></attributes></service_definition>
        "#]],
    )
    .await;
    check(
        &state,
        "GET /open311/v2/services/potholes.json",
        expect![[r#"
            404 application/json; charset=utf-8
            [
              {
                "code": 404,
                "description": "service_code potholes was not found"
              }
            ]"#]],
    )
    .await;
}

#[tokio::test]
async fn formats_and_unknown_resources() {
    let state = fixture().await;
    check(
        &state,
        "GET /open311/v2/services.csv",
        expect![[r#"
            400 text/xml; charset=utf-8
            <?xml version="1.0" encoding="utf-8"?>
            <errors><error><code>400</code><description>format &quot;csv&quot; is not offered; use .xml or .json</description></error></errors>
        "#]],
    )
    .await;
    check(
        &state,
        "GET /open311/v2/services",
        expect![[r#"
            400 text/xml; charset=utf-8
            <?xml version="1.0" encoding="utf-8"?>
            <errors><error><code>400</code><description>add .xml or .json to the path</description></error></errors>
        "#]],
    )
    .await;
    check(
        &state,
        "GET /open311/v2/agencies.json",
        expect![[r#"
            404 application/json; charset=utf-8
            [
              {
                "code": 404,
                "description": "no resource \"agencies\""
              }
            ]"#]],
    )
    .await;
    check(
        &state,
        "GET /open311/v2/requests/1/notes.json",
        expect![[r#"
            404 application/json; charset=utf-8
            [
              {
                "code": 404,
                "description": "no such resource"
              }
            ]"#]],
    )
    .await;
    check(
        &state,
        "GET /open311/v2/services.json?lang=de",
        expect![[r#"
            400 application/json; charset=utf-8
            [
              {
                "code": 400,
                "description": "lang: use bg or en"
              }
            ]"#]],
    )
    .await;
}

#[tokio::test]
async fn posting_needs_a_valid_key() {
    let state = fixture().await;
    check(
        &state,
        "POST /open311/v2/requests.json\n\nservice_code=pothole\nlat=42.14\nlong=24.75\nattribute[SIZE]=small",
        expect![[r#"
            403 application/json; charset=utf-8
            [
              {
                "code": 403,
                "description": "api_key is missing"
              }
            ]"#]],
    )
    .await;
    check(
        &state,
        "POST /open311/v2/requests.xml\n\napi_key=guessed\nservice_code=pothole\nlat=42.14\nlong=24.75",
        expect![[r#"
            403 text/xml; charset=utf-8
            <?xml version="1.0" encoding="utf-8"?>
            <errors><error><code>403</code><description>api_key is not valid</description></error></errors>
        "#]],
    )
    .await;
    // The key in the query string (as the Swagger file has it) works too.
    let (status, _, _) = send(
        &state,
        &format!("POST /open311/v2/requests.json?api_key={KEY}\n\nservice_code=pothole\nlat=42.14\nlong=24.75\nattribute[SIZE]=small"),
    )
    .await;
    assert_eq!(status, 200);
    // A revoked key is refused.
    let key = state.store.open311_keys().await.unwrap().remove(0);
    state.store.set_open311_key_active(key.id, false).await.unwrap();
    let (status, _, body) = send(
        &state,
        &format!("POST /open311/v2/requests.json\n\napi_key={KEY}\nservice_code=pothole\nlat=42.14\nlong=24.75\nattribute[SIZE]=small"),
    )
    .await;
    assert_eq!((status, body.as_str()), (403, r#"[{"code":403,"description":"api_key is not valid"}]"#));
}

#[tokio::test]
async fn posting_checks_every_field() {
    let state = fixture().await;
    let post = |body: &str| format!("POST /open311/v2/requests.json\n\napi_key={KEY}\n{body}");
    check(
        &state,
        &post("lat=42.14\nlong=24.75"),
        expect![[r#"
            400 application/json; charset=utf-8
            [
              {
                "code": 400,
                "description": "service_code is required"
              }
            ]"#]],
    )
    .await;
    check(
        &state,
        &post("service_code=potholes\nlat=42.14\nlong=24.75"),
        expect![[r#"
            404 application/json; charset=utf-8
            [
              {
                "code": 404,
                "description": "service_code potholes was not found"
              }
            ]"#]],
    )
    .await;
    check(
        &state,
        &post("service_code=pothole\ndescription=\nattribute[SIZE]=small"),
        expect![[r#"
            400 application/json; charset=utf-8
            [
              {
                "code": 400,
                "description": "a location is required: lat and long, address_string or address_id"
              }
            ]"#]],
    )
    .await;
    check(
        &state,
        &post(
            "service_code=pothole\nlat=42.14\nmedia_url=ftp://x\nattribute[SIZE]=huge\nattribute[DEPTH]=deep\n\
             attribute[SEEN]=yesterday\nattribute[LANES][]=left\nattribute[LANES][]=middle\nattribute[NOTE]=a%0Ab\n\
             attribute[COLOUR]=red",
        ),
        expect![[r#"
            400 application/json; charset=utf-8
            [
              {
                "code": 400,
                "description": "lat and long: send both"
              },
              {
                "code": 400,
                "description": "media_url: must be an http or https URL"
              },
              {
                "code": 400,
                "description": "attribute[COLOUR] is not an attribute of this service"
              },
              {
                "code": 400,
                "description": "attribute[SIZE] is not one of the listed values"
              },
              {
                "code": 400,
                "description": "attribute[DEPTH] must be a number"
              },
              {
                "code": 400,
                "description": "attribute[SEEN] must be a W3C date and time such as <datetime>"
              },
              {
                "code": 400,
                "description": "attribute[LANES] is not one of the listed values"
              },
              {
                "code": 400,
                "description": "attribute[NOTE] must be one line"
              }
            ]"#]],
    )
    .await;
    check(
        &state,
        &post("service_code=pothole\naddress_string=бул. Руски 50\nattribute[NOTICE]=x\nattribute[SIZE][]=small\nattribute[SIZE][]=large"),
        expect![[r#"
            400 application/json; charset=utf-8
            [
              {
                "code": 400,
                "description": "attribute[NOTICE] is not an attribute of this service"
              },
              {
                "code": 400,
                "description": "attribute[SIZE] takes one value"
              }
            ]"#]],
    )
    .await;
    check(
        &state,
        &post("service_code=pothole\nlat=91\nlong=24.75\nattribute[SIZE]=small"),
        expect![[r#"
            400 application/json; charset=utf-8
            [
              {
                "code": 400,
                "description": "lat: must be between -90 and 90"
              }
            ]"#]],
    )
    .await;
    check(
        &state,
        &post("service_code=social-help\naddress_id=A-17\nemail=not-an-address"),
        expect![[r#"
            400 application/json; charset=utf-8
            [
              {
                "code": 400,
                "description": "email: not an e-mail address"
              }
            ]"#]],
    )
    .await;
    let long = "я".repeat(4_001);
    let (status, _, body) = send(&state, &post(&format!("service_code=social-help\naddress_id=A-17\ndescription={long}"))).await;
    assert_eq!((status, body.as_str()), (400, r#"[{"code":400,"description":"description: must be at most 4000 characters"}]"#));
    let (status, _, body) = send(
        &state,
        &format!("POST /open311/v2/requests.json\nContent-Type: application/json\n\n{{\"api_key\": \"{KEY}\"}}"),
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (400, r#"[{"code":400,"description":"send the fields as application/x-www-form-urlencoded"}]"#)
    );
    let (status, _, _) = send(&state, &format!("POST /open311/v2/services.json\n\napi_key={KEY}")).await;
    assert_eq!(status, 405);
    // Nothing above became a case.
    assert_eq!(state.store.counts().await.unwrap().cases, 0);
}

#[tokio::test]
async fn a_report_becomes_a_case() {
    let state = fixture().await;
    check(
        &state,
        &format!(
            "POST /open311/v2/requests.xml\n\napi_key={KEY}\nservice_code=pothole\nlat=42.1437\nlong=24.7496\n\
             address_string=бул. Руски 50, Пловдив\naddress_id=PLV-ADDR-9\nemail=ivan@example.bg\ndevice_id=device-1\n\
             account_id=acct-7\nfirst_name=Иван\nlast_name=Петров\nphone=0888 111 222\n\
             description=Дълбока дупка; пишете ми на ivan@example.bg или 0888 111 222\n\
             media_url=https://photos.example/1.jpg\nattribute[SIZE]=large\nattribute[DEPTH]=12.5\n\
             attribute[SEEN]=2026-03-01T08:30:00%2B02:00\nattribute[LANES][]=left\nattribute[LANES][]=right\n\
             attribute[NOTE]=близо до спирката"
        ),
        expect![[r#"
            200 text/xml; charset=utf-8
            <?xml version="1.0" encoding="utf-8"?>
            <service_requests><request><service_request_id>PLV-YYYY-000001</service_request_id><service_notice>Регистрирано под номер PLV-YYYY-000001. Срок за отговор: <date>.</service_notice><account_id>acct-7</account_id></request></service_requests>
        "#]],
    )
    .await;
    // A case like any other: channel open311, the citizen identified, so a formal proceeding.
    let reference = state.store.list_cases(&store::CaseFilter { limit: 10, ..Default::default() }).await.unwrap()[0]
        .reference
        .clone();
    let case = state.store.case_by_reference(&reference).await.unwrap().unwrap();
    assert_eq!((case.channel, case.proceeding), (Channel::Open311, Proceeding::Formal));
    let citizen = case.citizen.clone().unwrap();
    assert_eq!(
        (citizen.name.as_deref(), citizen.phone.as_deref(), citizen.email.as_deref()),
        (Some("Иван Петров"), Some("+359888111222"), Some("ivan@example.bg"))
    );
    // Staff see the client and the answers in the internal history.
    let history = state.store.case_events(case.id).await.unwrap();
    let note = history.iter().find(|event| event.kind == "note").unwrap();
    assert!(!note.public);
    expect![[r#"
        Open311: FixMyStreet Пловдив
        media_url: https://photos.example/1.jpg
        Колко е голяма?: large
        Дълбочина в см: 12.5
        Кога я видяхте?: 2026-03-01T08:30:00+02:00
        Кои ленти?: left
        Кои ленти?: right
        Бележка: близо до спирката"#]]
    .assert_eq(&note.body);

    check(
        &state,
        &format!("GET /open311/v2/requests/{reference}.json?extensions=true"),
        expect![[r#"
            200 application/json; charset=utf-8
            [
              {
                "address": "бул. Руски 50, Пловдив",
                "address_id": "PLV-ADDR-9",
                "agency_responsible": "Пътища",
                "attributes": [
                  {
                    "code": "SIZE",
                    "value": "large"
                  },
                  {
                    "code": "DEPTH",
                    "value": "12.5"
                  },
                  {
                    "code": "SEEN",
                    "value": "<datetime>"
                  },
                  {
                    "code": "LANES",
                    "value": "left"
                  },
                  {
                    "code": "LANES",
                    "value": "right"
                  },
                  {
                    "code": "NOTE",
                    "value": "близо до спирката"
                  }
                ],
                "description": "Дълбока дупка; пишете ми на […] или […]",
                "expected_datetime": "<datetime>",
                "extended_attributes": {
                  "channel": "open311",
                  "token": "<token>"
                },
                "lat": 42.1437,
                "long": 24.7496,
                "media_url": "https://photos.example/1.jpg",
                "notes": [
                  {
                    "agency": null,
                    "datetime": "<datetime>",
                    "description": "registered as PLV-YYYY-000001 via open311",
                    "type": "registered"
                  }
                ],
                "requested_datetime": "<datetime>",
                "service_code": "pothole",
                "service_name": "Дупка на пътя",
                "service_notice": "Отговор в срок до 7 работни дни",
                "service_request_id": "PLV-YYYY-000001",
                "status": "open",
                "status_notes": "Пътища: прието за разглеждане",
                "updated_datetime": "<datetime>",
                "zipcode": null
              }
            ]"#]],
    )
    .await;
    // Nothing personal in any GET answer, in either format.
    for format in ["json", "xml"] {
        for path in [format!("requests/{reference}.{format}?extensions=true"), format!("requests.{format}?extensions=true")] {
            let (status, _, body) = send(&state, &format!("GET /open311/v2/{path}")).await;
            assert_eq!(status, 200);
            for personal in ["Иван", "Петров", "ivan@example.bg", "0888 111 222", "+359888111222", "device-1", "acct-7"] {
                assert!(!body.contains(personal), "{path} shows {personal}: {body}");
            }
        }
    }
}

#[tokio::test]
async fn an_anonymous_report_is_information_only() {
    let state = fixture().await;
    let reference = report(&state, &format!("api_key={KEY}\nservice_code=social-help\naddress_id=A-17")).await;
    let case = state.store.case_by_reference(&reference).await.unwrap().unwrap();
    assert_eq!(case.proceeding, Proceeding::InformationOnly);
    assert_eq!(case.citizen, None);
    // Without a description, the service names it.
    assert_eq!(case.description, "Социална помощ");
}

#[tokio::test]
async fn cases_from_other_channels_show_no_text_or_place() {
    let state = fixture().await;
    let case = phone_case(&state, "social-help").await;
    check(
        &state,
        &format!("GET /open311/v2/requests/{}.xml?extensions=true&lang=en", case.reference),
        expect![[r#"
            200 text/xml; charset=utf-8
            <?xml version="1.0" encoding="utf-8"?>
            <service_requests><request><service_request_id>PLV-YYYY-000001</service_request_id><status>open</status><status_notes>Social services: received</status_notes><service_name>Social assistance</service_name><service_code>social-help</service_code><description/><agency_responsible>Social services</agency_responsible><service_notice>Answered within 2 months</service_notice><requested_datetime><datetime></requested_datetime><updated_datetime><datetime></updated_datetime><expected_datetime><datetime></expected_datetime><address/><address_id/><zipcode/><lat/><long/><media_url/><attributes></attributes><extended_attributes><channel>phone</channel><token/></extended_attributes><notes><note><datetime><datetime></datetime><type>registered</type><description>registered as PLV-YYYY-000001 via phone</description><agency/></note></notes></request></service_requests>
        "#]],
    )
    .await;
    // Staff's public updates and reasons stay out: they may address the citizen by name.
    let social = state.store.institution_by_code("social").await.unwrap().unwrap();
    state
        .store
        .add_case_event(&store::NewCaseEvent {
            case_id: case.id,
            institution_id: Some(social.id),
            actor_user_id: None,
            kind: "public_update".into(),
            public: true,
            body: "Уважаема г-жо Иванова, социален работник ще ви посети".into(),
        })
        .await
        .unwrap();
    state
        .store
        .change_assignment(&store::AssignmentChange {
            case_id: case.id,
            institution_id: social.id,
            to: AssignmentStatus::Declined,
            actor_user_id: None,
            reason: Some("г-жа Иванова е клиент на друга служба".into()),
            forward_to: None,
        })
        .await
        .unwrap();
    let (_, _, body) = send(&state, &format!("GET /open311/v2/requests/{}.json?extensions=true", case.reference)).await;
    let json: Value = serde_json::from_str(&body).unwrap();
    expect![[r#"
        [
          {
            "agency": "Социални дейности",
            "description": null,
            "type": "public_update"
          },
          {
            "agency": "Социални дейности",
            "description": "new -> declined",
            "type": "status"
          }
        ]"#]]
    .assert_eq(&serde_json::to_string_pretty(&json[0]["notes"].as_array().unwrap()[1..].iter().map(|note| {
        serde_json::json!({"type": note["type"], "description": note["description"], "agency": note["agency"]})
    }).collect::<Vec<_>>()).unwrap());
    assert!(!body.contains("Иванова"), "{body}");
    assert!(!body.contains("0888"), "{body}");
    assert!(!body.contains("Гладстон"), "{body}");
}

#[tokio::test]
async fn querying_requests() {
    let state = fixture().await;
    let first = report(&state, &format!("api_key={KEY}\nservice_code=pothole\nlat=42.1\nlong=24.7\nattribute[SIZE]=small")).await;
    let second = report(&state, &format!("api_key={KEY}\nservice_code=social-help\naddress_id=A-1")).await;
    let third = report(&state, &format!("api_key={KEY}\nservice_code=pothole\naddress_id=A-2\nattribute[SIZE]=large")).await;
    // The third is fixed.
    let case = state.store.case_by_reference(&third).await.unwrap().unwrap();
    state
        .store
        .change_assignment(&store::AssignmentChange {
            case_id: case.id,
            institution_id: case.assignments[0].institution_id,
            to: AssignmentStatus::Done,
            actor_user_id: None,
            reason: None,
            forward_to: None,
        })
        .await
        .unwrap();
    let ids = |query: &str| {
        let state = state.clone();
        let query = query.to_owned();
        async move {
            let (status, _, body) = send(&state, &format!("GET /open311/v2/requests.json{query}")).await;
            let json: Value = serde_json::from_str(&body).unwrap();
            if status != 200 {
                return format!("{status} {json}");
            }
            json.as_array()
                .unwrap()
                .iter()
                .map(|request| format!("{}:{}", request["service_request_id"].as_str().unwrap(), request["status"].as_str().unwrap()))
                .collect::<Vec<_>>()
                .join(" ")
        }
    };
    let (first, second, third) = (first.as_str(), second.as_str(), third.as_str());
    assert_eq!(ids("").await, format!("{third}:closed {second}:open {first}:open"));
    assert_eq!(ids("?status=open").await, format!("{second}:open {first}:open"));
    assert_eq!(ids("?status=closed").await, format!("{third}:closed"));
    assert_eq!(ids("?status=open,closed").await, ids("").await);
    assert_eq!(ids("?service_code=pothole").await, format!("{third}:closed {first}:open"));
    assert_eq!(ids("?service_code=pothole,social-help&status=open").await, format!("{second}:open {first}:open"));
    assert_eq!(ids("?service_code=nothing").await, "");
    // service_request_id overrides every other filter; ids that are no reference match nothing.
    assert_eq!(ids(&format!("?service_request_id={first},{third},42&status=open")).await, format!("{third}:closed {first}:open"));
    assert_eq!(ids("?page_size=2").await, format!("{third}:closed {second}:open"));
    assert_eq!(ids("?page_size=2&page=2").await, format!("{first}:open"));
    assert_eq!(ids("?limit=1&offset=1").await, format!("{second}:open"));
    assert_eq!(ids("?page_size=2&page=3").await, "");
    assert_eq!(ids("?start_date=2020-01-01T00:00:00Z&end_date=2020-03-01T00:00:00Z").await, "");
    // Times are written to the second; a second ahead is after every change so far.
    let now = w3c::format(store::now() + 1_000).unwrap();
    let soon = w3c::format(store::now() + 60_000).unwrap();
    let encoded = |text: &str| text.replace('+', "%2B");
    assert_eq!(ids(&format!("?updated_after={}", encoded(&now))).await, "");
    assert_eq!(ids(&format!("?updated_before={}", encoded(&soon))).await, ids("").await);
    // An unencoded `+` arrives as a space; it is still read as the offset.
    assert_eq!(ids(&format!("?end_date={soon}")).await, ids("").await);
    assert_eq!(ids("?start_date=2026-01-01").await, "");
    assert_eq!(
        ids("?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z").await,
        r#"400 [{"code":400,"description":"start_date and end_date may be at most 90 days apart"}]"#
    );
    assert_eq!(
        ids("?start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z&status=pending&page_size=0&page=1&offset=3&extensions=maybe").await,
        r#"400 [{"code":400,"description":"status: \"pending\" is neither open nor closed"},{"code":400,"description":"end_date is before start_date"},{"code":400,"description":"page_size: use a whole number from 1 to 1000"},{"code":400,"description":"page and offset cannot be combined"}]"#
    );
    assert_eq!(
        ids("?start_date=yesterday&updated_after=2026-13-01").await,
        r#"400 [{"code":400,"description":"start_date: use a W3C date and time such as 2026-01-31T00:00:00+02:00"},{"code":400,"description":"updated_after: use a W3C date and time such as 2026-01-31T00:00:00+02:00"}]"#
    );
    assert_eq!(
        ids("?extensions=maybe").await,
        r#"400 [{"code":400,"description":"extensions: use true or false"}]"#
    );
    check(
        &state,
        "GET /open311/v2/requests/PLV-2026-999999.xml",
        expect![[r#"
            404 text/xml; charset=utf-8
            <?xml version="1.0" encoding="utf-8"?>
            <errors><error><code>404</code><description>service_request_id PLV-YYYY-999999 was not found</description></error></errors>
        "#]],
    )
    .await;
    check(
        &state,
        "GET /open311/v2/requests/nonsense.json",
        expect![[r#"
            404 application/json; charset=utf-8
            [
              {
                "code": 404,
                "description": "service_request_id nonsense was not found"
              }
            ]"#]],
    )
    .await;
}

#[tokio::test]
async fn tokens_resolve_to_requests() {
    let state = fixture().await;
    let reference = report(&state, &format!("api_key={KEY}\nservice_code=social-help\naddress_id=A-1")).await;
    let (_, _, body) = send(&state, &format!("GET /open311/v2/requests/{reference}.json?extensions=true")).await;
    let json: Value = serde_json::from_str(&body).unwrap();
    let token = json[0]["extended_attributes"]["token"].as_str().unwrap().to_owned();
    check(
        &state,
        &format!("GET /open311/v2/tokens/{token}.xml"),
        expect![[r#"
            200 text/xml; charset=utf-8
            <?xml version="1.0" encoding="utf-8"?>
            <service_requests><request><service_request_id>PLV-YYYY-000001</service_request_id><token><token></token></request></service_requests>
        "#]],
    )
    .await;
    check(
        &state,
        "GET /open311/v2/tokens/0123.json",
        expect![[r#"
            404 application/json; charset=utf-8
            [
              {
                "code": 404,
                "description": "token 0123 was not found"
              }
            ]"#]],
    )
    .await;
}

#[tokio::test]
async fn admins_issue_and_revoke_keys() {
    let state = fixture().await;
    let api = |method: &str, path: &str, token: &str, body: &str| {
        let script = format!(
            "{method} /api/v1{path}\nAuthorization: Bearer {token}\nContent-Type: application/json\n\n{body}"
        );
        let state = state.clone();
        async move {
            let (status, _, body) = send(&state, &script).await;
            (status, serde_json::from_str::<Value>(&body).unwrap_or(Value::Null))
        }
    };
    let (status, _) = api("POST", "/open311/keys", AGENT_TOKEN, r#"{"client_name": "x"}"#).await;
    assert_eq!(status, 403);
    let (status, issued) = api("POST", "/open311/keys", ADMIN_TOKEN, r#"{"client_name": "Mobile app"}"#).await;
    assert_eq!(status, 201);
    let key = issued["key"].as_str().unwrap().to_owned();
    assert_eq!(key.len(), 48);
    assert_eq!(issued["key_prefix"].as_str().unwrap(), &key[..8]);
    let id = issued["id"].as_i64().unwrap();
    let reference = report(&state, &format!("api_key={key}\nservice_code=social-help\naddress_id=A-1")).await;
    assert!(reference.starts_with("PLV-"));
    let (status, keys) = api("GET", "/open311/keys", ADMIN_TOKEN, "").await;
    assert_eq!(status, 200);
    let listed = keys.as_array().unwrap().iter().find(|k| k["id"] == id).unwrap().clone();
    assert!(listed.get("key").is_none() && listed["last_used_at"].is_i64(), "{listed}");
    let (status, changed) = api("PUT", &format!("/open311/keys/{id}"), ADMIN_TOKEN, r#"{"active": false}"#).await;
    assert_eq!((status, changed["active"].as_bool()), (200, Some(false)));
    let (status, _, _) = send(&state, &format!("POST /open311/v2/requests.json\n\napi_key={key}\nservice_code=social-help\naddress_id=A-1")).await;
    assert_eq!(status, 403);
    let (status, _) = api("PUT", "/open311/keys/999", ADMIN_TOKEN, r#"{"active": false}"#).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn admins_define_service_attributes() {
    let state = fixture().await;
    let api = |method: &str, token: &str, body: &str| {
        let script = format!(
            "{method} /api/v1/categories/streets/attributes\nAuthorization: Bearer {token}\nContent-Type: application/json\n\n{body}"
        );
        let state = state.clone();
        async move {
            let (status, _, body) = send(&state, &script).await;
            (status, serde_json::from_str::<Value>(&body).unwrap_or(Value::Null))
        }
    };
    let kind = r#"[{"code": "KIND", "datatype": "singlevaluelist", "required": true, "description_bg": "Вид", "description_en": "Kind",
        "values": [{"key": "a", "name_bg": "А", "name_en": "A"}]}]"#;
    assert_eq!(api("PUT", AGENT_TOKEN, kind).await.0, 403);
    let (status, error) = api("PUT", ADMIN_TOKEN, &kind.replace("singlevaluelist", "string")).await;
    assert_eq!((status, error["error"]["message"].as_str()), (422, Some("values: only list attributes have values")));
    let (status, stored) = api("PUT", ADMIN_TOKEN, kind).await;
    assert_eq!(status, 200);
    assert_eq!(stored[0]["order"], 1);
    let (status, listed) = api("GET", AGENT_TOKEN, "").await;
    assert_eq!((status, &listed), (200, &stored));
    let (status, _, body) = send(&state, "GET /open311/v2/services.json").await;
    assert_eq!(status, 200);
    let services: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(services[0]["metadata"], true);
    // A required attribute is now needed to report in this service.
    let (status, _, body) = send(&state, &format!("POST /open311/v2/requests.json\n\napi_key={KEY}\nservice_code=streets\naddress_id=A-1")).await;
    assert_eq!((status, body.as_str()), (400, r#"[{"code":400,"description":"attribute[KIND] is required"}]"#));
    let (status, _) = api("PUT", ADMIN_TOKEN, "[]").await;
    assert_eq!(status, 200);
    let (status, _, _) = send(&state, &format!("POST /open311/v2/requests.json\n\napi_key={KEY}\nservice_code=streets\naddress_id=A-1")).await;
    assert_eq!(status, 200);
}

#[test]
fn w3c_times() {
    let show = |text: &str| match w3c::parse(text) {
        Some(millis) => format!("{text:<32} {}", w3c::format(millis).unwrap()),
        None => format!("{text:<32} invalid"),
    };
    let cases = [
        "2026-01-31T00:00:00Z",
        "2026-07-31T10:15:00+03:00",
        "2026-07-31T10:15:00 03:00",
        "2026-07-31T10:15:00-0500",
        "2026-07-31T10:15:00.250Z",
        "2026-07-31T10:15Z",
        "2026-07-31T10:15:00",
        "2026-01-31",
        "2026-03-29T03:30:00",
        "2026-02-30T00:00:00Z",
        "2026-01-31T24:00:00Z",
        "2026-1-31",
        "31.01.2026",
        "2026-01-31T10:15:00+15:00",
        "2026-01-31T10:15:00.Z",
        "",
    ];
    expect![[r#"
        2026-01-31T00:00:00Z             2026-01-31T02:00:00+02:00
        2026-07-31T10:15:00+03:00        2026-07-31T10:15:00+03:00
        2026-07-31T10:15:00 03:00        2026-07-31T10:15:00+03:00
        2026-07-31T10:15:00-0500         2026-07-31T18:15:00+03:00
        2026-07-31T10:15:00.250Z         2026-07-31T13:15:00+03:00
        2026-07-31T10:15Z                2026-07-31T13:15:00+03:00
        2026-07-31T10:15:00              2026-07-31T10:15:00+03:00
        2026-01-31                       2026-01-31T00:00:00+02:00
        2026-03-29T03:30:00              2026-03-29T04:00:00+03:00
        2026-02-30T00:00:00Z             invalid
        2026-01-31T24:00:00Z             invalid
        2026-1-31                        invalid
        31.01.2026                       invalid
        2026-01-31T10:15:00+15:00        invalid
        2026-01-31T10:15:00.Z            invalid
                                         invalid"#]]
    .assert_eq(&cases.map(show).join("\n"));
    let deadline: calendar::Date = "2026-07-31".parse().unwrap();
    assert_eq!(w3c::end_of_day(deadline).as_deref(), Some("2026-07-31T23:59:59+03:00"));
}

#[test]
fn masking_contact_details() {
    let cases = [
        "Обадете се на 0888 123 456 или +359 32 656 700.",
        "Пишете на ivan.petrov@abv.bg, моля",
        "Тел.: (032) 656-700; факс 032/656701",
        "Случай PLV-2026-000123 от 2026-05-12, 12.05.2026",
        "Дупка 0,50 м на 100 м от № 0123",
        "email@localhost и @handle",
        "0888123456789012345",
    ];
    expect![[r#"
        Обадете се на […] или […].
        Пишете на […] моля
        Тел.: ([…]; факс […]
        Случай PLV-2026-000123 от 2026-05-12, 12.05.2026
        Дупка 0,50 м на 100 м от № 0123
        email@localhost и @handle
        0888123456789012345"#]]
    .assert_eq(&cases.map(privacy::redact).join("\n"));
}

#[test]
fn xml_escapes_and_empty_elements() {
    let node = Node::object(vec![
        ("text", Node::text("<a href=\"x\">Tom & 'Jerry'</a>\u{1}")),
        ("nothing", Node::Null),
        ("number", Node::Float(42.5)),
        ("list", Node::List { item: "value", items: vec![Node::Int(1), Node::Bool(false)] }),
        ("empty", Node::List { item: "value", items: Vec::new() }),
    ]);
    expect![[r#"
        <?xml version="1.0" encoding="utf-8"?>
        <root><text>&lt;a href=&quot;x&quot;&gt;Tom &amp; &apos;Jerry&apos;&lt;/a&gt;</text><nothing/><number>42.5</number><list><value>1</value><value>false</value></list><empty></empty></root>
    "#]]
    .assert_eq(&node.to_xml("root"));
    expect![[r#"{"empty":[],"list":[1,false],"nothing":null,"number":42.5,"text":"<a href=\"x\">Tom & 'Jerry'</a>\u0001"}"#]]
        .assert_eq(&node.to_json().to_string());
}
