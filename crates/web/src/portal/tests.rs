//! Portal tests: pages through `router(state).oneshot(..)` on a real SQLite store, HTML snapshots
//! of what citizens read, and the abuse defences.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use calendar::{Date, Time, Timestamp};
use domain::{AssignmentStatus, Channel, Proceeding};
use expect_test::{Expect, expect};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::i18n::Lang;
use super::limit::RateLimiter;
use super::submit::matches_search;
use super::track::same_secret;
use crate::{AppState, router};

async fn state() -> AppState {
    crate::tests::test_state().await
}

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    html: String,
}

async fn send(state: &AppState, request: Request<Body>) -> Page {
    let response = router(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Page { status, headers, html: String::from_utf8(bytes.to_vec()).unwrap() }
}

async fn get(state: &AppState, uri: &str) -> Page {
    send(state, Request::builder().uri(uri).body(Body::empty()).unwrap()).await
}

async fn get_with_cookie(state: &AppState, uri: &str, cookie: &str) -> Page {
    let request = Request::builder().uri(uri).header(header::COOKIE, cookie).body(Body::empty()).unwrap();
    send(state, request).await
}

const BOUNDARY: &str = "civicline-test-boundary";

/// A `multipart/form-data` body: text fields, then files as `(field, filename, bytes)`.
fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    for (name, filename, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn post_multipart(uri: &str, body: Vec<u8>, peer: Option<&str>) -> Request<Body> {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(Body::from(body))
        .unwrap();
    if let Some(peer) = peer {
        request.extensions_mut().insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
    }
    request
}

fn post_form(uri: &str, fields: &[(&str, &str)]) -> Request<Body> {
    let body = fields
        .iter()
        .map(|(key, value)| format!("{}={}", super::url_encode(key), super::url_encode(value)))
        .collect::<Vec<_>>()
        .join("&");
    Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

/// The page's `<main>` as text: tags dropped (`<time>` elements with them), one line per block,
/// links kept as `[text](href)`, form controls as `{name}`.
fn main_text(html: &str) -> String {
    let start = html.find("<main").unwrap_or(0);
    let end = html.find("</main>").unwrap_or(html.len());
    let mut main = html[start..end].to_owned();
    while let Some(open) = main.find("<time") {
        let close = main[open..].find("</time>").map(|i| open + i + 7).unwrap_or(main.len());
        main.replace_range(open..close, "");
    }
    let mut out = String::new();
    let mut rest = main.as_str();
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else { break };
        let tag = &rest[open + 1..open + close];
        let name = tag.split_whitespace().next().unwrap_or("");
        let attribute = |key: &str| {
            tag.split(&format!("{key}=\"")).nth(1).and_then(|v| v.split('"').next()).unwrap_or("").to_owned()
        };
        match name {
            "a" => out.push_str(&format!("[{}](", attribute("href"))),
            "/a" => out.push(')'),
            "input" | "textarea" | "select" if attribute("type") != "hidden" => {
                out.push_str(&format!(" {{{}}} ", attribute("name")))
            }
            "p" | "/p" | "li" | "h1" | "h2" | "/h1" | "/h2" | "tr" | "div" | "label" | "legend" | "button"
            | "/button" | "option" => out.push('\n'),
            "td" | "th" => out.push_str(" | "),
            _ => {}
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out.lines().map(|line| line.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n")
}

fn check_main(page: &Page, expect: Expect) {
    expect.assert_eq(&main_text(&page.html));
}

fn sofia(year: i32, month: u8, day: u8, hour: u8, minute: u8) -> Timestamp {
    Timestamp::from_sofia(Date::new(year, month, day).unwrap(), Time::new(hour, minute).unwrap()).earliest()
}

fn home_at(state: &AppState, lang: Lang, now: Timestamp) -> String {
    use askama::Template;
    let uri = "/".parse().unwrap();
    main_text(&super::home::home_page(&state.config, lang, &uri, now).render().unwrap())
}

/// A JPEG with a GPS-bearing EXIF segment and a comment.
fn jpeg_with_exif() -> Vec<u8> {
    let segment = |marker: u8, payload: &[u8]| {
        let mut out = vec![0xFF, marker];
        out.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
        out.extend_from_slice(payload);
        out
    };
    let mut jpeg = vec![0xFF, 0xD8];
    jpeg.extend(segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
    jpeg.extend(segment(0xE1, b"Exif\0\0GPSLatitude 42.14"));
    jpeg.extend(segment(0xFE, b"my street"));
    jpeg.extend(segment(0xDA, b"\x01\x01\0\0\x3f\0"));
    jpeg.extend_from_slice(&[0x12, 0x34, 0xFF, 0xD9]);
    jpeg
}

/// Submits a valid named report in the parks category; answers the page.
async fn submit_parks(state: &AppState, extra: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Page {
    let mut fields = vec![
        ("category", "parks"),
        ("description", "Паднало дърво на алеята"),
        ("address", "Цар Симеонова градина"),
        ("district", "Централен"),
        ("contact", "named"),
        ("name", "Мария Иванова"),
        ("email", "maria@example.bg"),
        ("phone", ""),
        ("consent", "yes"),
        ("website", ""),
    ];
    for (key, value) in extra {
        fields.retain(|(k, _)| k != key);
        fields.push((key, value));
    }
    send(state, post_multipart("/submit", multipart(&fields, files), None)).await
}

/// The reference and tracking code shown on the confirmation page.
fn reference_and_code(html: &str) -> (String, String) {
    let grab = |id: &str| {
        let start = html.find(&format!("id=\"{id}\">")).unwrap() + id.len() + 6;
        html[start..].split('<').next().unwrap().to_owned()
    };
    (grab("reference"), grab("code"))
}

#[tokio::test]
async fn home_says_when_the_line_is_open() {
    let state = state().await;
    // Easter Monday 2026, mid-morning: a holiday, so closed until Tuesday.
    expect![[r#"
        Един телефон и един портал за всички въпроси към общината
        Обадете се или подайте сигнал тук. Ще получите номер, с който да проследите какво правят общината и държавните институции по него.
        Телефон
        [tel:080011032](0800 11 032)
        Безплатен от всички мрежи в България.
        Работно време на контактния център
        Затворено сега. Отваря в вторник, 14.04.2026, в 08:30 ч.
        Следващите седем дни
        | Ден | Часове
        | понеделник 13.04.2026 | затворено (Великден (втори ден))
        | вторник 14.04.2026 | 08:30–17:30
        | сряда 15.04.2026 | 08:30–17:30
        | четвъртък 16.04.2026 | 08:30–17:30
        | петък 17.04.2026 | 08:30–17:30
        | събота 18.04.2026 | затворено
        | неделя 19.04.2026 | затворено
        Какво искате да направите?
        [/submit](Подайте сигнал, предложение или въпрос)
        [/track](Проследете подаден сигнал)"#]]
    .assert_eq(&home_at(&state, Lang::Bg, sofia(2026, 4, 13, 10, 0)));
    let open = home_at(&state, Lang::En, sofia(2026, 4, 14, 9, 15));
    assert!(open.contains("Open now. Until 17:30."), "{open}");
}

#[tokio::test]
async fn pages_carry_security_headers_and_language() {
    let state = state().await;
    let page = get(&state, "/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.starts_with("<!doctype html>\n<html lang=\"bg\">"));
    let csp = page.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.starts_with("default-src 'none'; style-src 'sha256-"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline") && !csp.contains("script-src"));
    assert_eq!(page.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(page.headers[header::REFERRER_POLICY], "no-referrer");
    assert!(!page.html.contains("<script"));
    assert!(page.html.len() < 100 * 1024);
    assert!(page.html.contains("href=\"/?lang=en\" lang=\"en\" hreflang=\"en\">English</a>"));

    let english = get(&state, "/submit?q=park&lang=en").await;
    assert!(english.html.contains("<html lang=\"en\">"));
    let cookie = english.headers[header::SET_COOKIE].to_str().unwrap();
    assert_eq!(cookie, "civicline_lang=en; Path=/; Max-Age=31536000; SameSite=Lax");
    // The switch keeps the page and its query.
    assert!(english.html.contains("href=\"/submit?q=park&#38;lang=bg\""));
    // The cookie keeps the choice on the next page.
    let remembered = get_with_cookie(&state, "/track", "civicline_lang=en").await;
    assert!(remembered.html.contains("<html lang=\"en\">"));
    assert!(remembered.headers.get(header::SET_COOKIE).is_none());

    let missing = get(&state, "/no-such-page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.html.contains("Страницата не е намерена"));
    assert!(missing.headers.contains_key(header::CONTENT_SECURITY_POLICY));
}

#[tokio::test]
async fn the_inline_style_matches_its_hash() {
    use sha2::{Digest, Sha256};
    let state = state().await;
    let page = get(&state, "/").await;
    let style = page.html.split("<style>").nth(1).unwrap().split("</style>").next().unwrap();
    let hash = format!("'sha256-{}'", super::base64(&Sha256::digest(style.as_bytes())));
    assert!(page.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains(&hash));
    assert_eq!(super::base64(b"ab"), "YWI=");
    assert_eq!(super::base64(b"abc"), "YWJj");
    assert_eq!(super::base64(b"a"), "YQ==");
}

#[tokio::test]
async fn topics_can_be_searched_without_javascript() {
    let state = state().await;
    check_main(
        &get(&state, "/submit?q=%D0%BF%D0%B0%D1%80%D0%BA%D0%BE%D0%B2%D0%B5%D1%82%D0%B5").await,
        expect![[r#"
            Подаване на сигнал
            Полетата със звездичка (*) са задължителни.
            Търсене на тема
            Например: осветление, боклук, данъци
            {q}
            Търси
            Теми, които съдържат „парковете“. [/submit](Покажи всички теми)
            Тема *
            {category}
            Паркове
            Опишете проблема *
            Какво се е случило, откога, какво очаквате.
            {description}
            Място
            Адрес или ориентир
            Например: ул. „Гладстон“ 1, до спирката
            {address}
            Район
            {district}
            Не знам
            Централен
            Източен
            Западен
            Северен
            Южен
            Тракия
            Снимки (до 3, JPEG или PNG)
            Преди запазване премахваме от снимките местоположението, датата и данните за апарата.
            {photos}
            Как да се свържем с вас
            {contact}
            С моите данни
            {contact}
            Анонимно
            Какво означава анонимен сигнал
            По закон (чл. 111, ал. 4 от Административнопроцесуалния кодекс) по анонимни сигнали не се образува производство: няма да получите официален отговор и решение. Общината все пак може да използва информацията, например да поправи уличната лампа, и вие можете да следите сигнала с номера и кода.
            С име и телефон или имейл сигналът се разглежда по закон и получавате отговор в законовия срок.
            Име и фамилия
            {name}
            Имейл
            {email}
            Телефон
            {phone}
            {consent}
            Съгласен съм да получавам съобщения за развитието на сигнала по имейл или SMS
            Не попълвайте това поле
            {website}
            Изпрати сигнала"#]],
    );
    let none = get(&state, "/submit?q=zzzz").await;
    assert!(none.html.contains("Няма тема с тези думи"));
    assert!(none.html.contains("value=\"social-help\"") && none.html.contains("value=\"parks\""));
    assert!(matches_search("осветлението", &["Улично осветление"]));
    assert!(matches_search("Street LIGHT", &["Street lighting"]));
    assert!(!matches_search("вода", &["Улично осветление"]));
    assert!(!matches_search("", &["anything"]));
}

#[tokio::test]
async fn coordinates_are_asked_only_with_a_map() {
    let mut state = state().await;
    assert!(!get(&state, "/submit").await.html.contains("name=\"lat\""));
    let mut config = (*state.config).clone();
    config.portal.tile_url = Some("https://tiles.example/{z}/{x}/{y}.png".into());
    state.config = std::sync::Arc::new(config);
    assert!(get(&state, "/submit").await.html.contains("name=\"lat\""));
    let page = submit_parks(&state, &[("lat", "42,1354"), ("lon", "24.7453")], &[]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let (reference, _) = reference_and_code(&page.html);
    let case = state.store.case_by_reference(&reference).await.unwrap().unwrap();
    assert_eq!((case.latitude, case.longitude), (Some(42.1354), Some(24.7453)));
    let bad = submit_parks(&state, &[("lat", "north"), ("lon", "")], &[]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("<a href=\"#lat\">"));
}

#[tokio::test]
async fn errors_are_summarised_and_linked_to_their_fields() {
    let state = state().await;
    let fields = [("contact", "named"), ("email", "not-an-address"), ("description", "  ")];
    let page = send(&state, post_multipart("/submit", multipart(&fields, &[("photos", "x.gif", b"GIF89a")]), None)).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.html.contains("<title>Грешка: Подаване на сигнал"));
    let summary = page.html.split("<div class=\"errors\"").nth(1).unwrap().split("</div>").next().unwrap();
    expect![[r##"
         role="alert" aria-labelledby="errors-heading" tabindex="-1" id="errors">
        <h2 id="errors-heading">Има проблем</h2>
        <ul>
        <li><a href="#category">Изберете тема</a></li>
        <li><a href="#description">Опишете проблема</a></li>
        <li><a href="#email">Въведете имейл във вида ime@primer.bg</a></li>
        <li><a href="#photos">Снимката трябва да е JPEG или PNG</a></li>
        </ul>
    "##]]
    .assert_eq(summary);
    // The field itself says what is wrong and keeps what was typed.
    assert!(page.html.contains("id=\"email\" name=\"email\" value=\"not-an-address\""));
    assert!(page.html.contains("aria-invalid=\"true\" aria-describedby=\"email-error\""));
    assert!(state.store.list_cases(&store::CaseFilter { limit: 10, ..Default::default() }).await.unwrap().is_empty());

    // Named without a way to answer.
    let page = submit_parks(&state, &[("email", ""), ("name", "")], &[]).await;
    assert!(page.html.contains("<a href=\"#name\">За сигнал с вашите данни въведете име и телефон или имейл"));
}

#[tokio::test]
async fn a_report_with_a_photo_is_registered_through_the_api_path() {
    let state = state().await;
    let photo = jpeg_with_exif();
    let page = submit_parks(&state, &[], &[("photos", "IMG_0001.JPG", &photo)]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let (reference, code) = reference_and_code(&page.html);
    assert!(reference.starts_with("PLV-") && code.len() == 16);
    assert!(page.html.contains(&format!("href=\"/track?ref={reference}&#38;code={code}\"")));
    assert!(page.html.contains("Сигналът ще бъде разгледан по закон"));
    assert!(page.html.contains("Ще ви изпращаме съобщение при всяка промяна."));

    let case = state.store.case_by_reference(&reference).await.unwrap().unwrap();
    assert_eq!(case.channel, Channel::Portal);
    assert_eq!(case.proceeding, Proceeding::Formal);
    assert_eq!(case.tracking_code, code);
    assert_eq!(case.district.as_deref(), Some("Централен"));
    let citizen = case.citizen.clone().unwrap();
    assert_eq!((citizen.email.as_deref(), citizen.consent_contact), (Some("maria@example.bg"), true));
    assert_eq!(state.store.case_language(case.id).await.unwrap().as_deref(), Some("bg"));
    // The photo is kept without its EXIF and comment, and not public.
    let attachments = state.store.attachments(case.id).await.unwrap();
    assert_eq!(attachments.len(), 1);
    assert_eq!((attachments[0].content_type.as_str(), attachments[0].public), ("image/jpeg", false));
    let stored = std::fs::read(crate::attachments::attachment_path(&state, &attachments[0].sha256)).unwrap();
    assert!(!stored.windows(4).any(|w| w == b"Exif") && !stored.windows(9).any(|w| w == b"my street"));
    assert_eq!(stored.len() as i64, attachments[0].size);
}

#[tokio::test]
async fn anonymous_reports_keep_no_contact_details() {
    let state = state().await;
    let page = submit_parks(&state, &[("contact", "anonymous"), ("lang", "en")], &[]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let (reference, _) = reference_and_code(&page.html);
    let case = state.store.case_by_reference(&reference).await.unwrap().unwrap();
    assert_eq!(case.proceeding, Proceeding::InformationOnly);
    assert_eq!(case.citizen, None);
    assert!(page.html.contains("Сигналът е анонимен"));
}

#[tokio::test]
async fn the_honeypot_and_broken_photos_register_nothing() {
    let state = state().await;
    let page = submit_parks(&state, &[("website", "http://spam.example")], &[]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.html.contains("<a href=\"#website\">"));
    let truncated = &jpeg_with_exif()[..20];
    let page = submit_parks(&state, &[], &[("photos", "photo.jpg", truncated)]).await;
    assert!(page.html.contains("<a href=\"#photos\">Снимката е повредена"));
    let four: Vec<(&str, &str, &[u8])> = vec![("photos", "a.png", b"x"); 4];
    let page = submit_parks(&state, &[], &four).await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(state.store.list_cases(&store::CaseFilter { limit: 10, ..Default::default() }).await.unwrap().is_empty());
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused() {
    let state = state().await;
    let huge = vec![0u8; 4 * 1024 * 1024];
    let page = submit_parks(&state, &[], &[("photos", "big.jpg", &huge)]).await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.html.contains("Изпратеното е твърде голямо"));
    let long = "д".repeat(100_000);
    let request = post_form("/track/dispute", &[("ref", "PLV-2026-000001"), ("code", "x"), ("reason", &long)]);
    let page = send(&state, request).await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE, "an over-long form body is refused before any lookup");
}

#[tokio::test]
async fn posts_are_rate_limited_per_address() {
    let mut state = state().await;
    let mut config = (*state.config).clone();
    config.portal.posts_per_minute = 2;
    state.config = std::sync::Arc::new(config);
    let app = router(state.clone());
    let mut statuses = Vec::new();
    for peer in ["192.0.2.1:1000", "192.0.2.1:1001", "192.0.2.1:1002", "192.0.2.2:1000"] {
        let request = post_multipart("/submit", multipart(&[("website", "x")], &[]), Some(peer));
        statuses.push(app.clone().oneshot(request).await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [422, 422, 429, 422], "the third post from one address waits; others do not");
    // Pages are not limited.
    assert_eq!(get(&state, "/").await.status, StatusCode::OK);

    let limiter = RateLimiter::per_minute(2);
    let t0 = Instant::now();
    let v6 = |last: &str| Some(format!("2001:db8:1:2::{last}").parse().unwrap());
    assert!(limiter.allow(v6("1"), t0));
    assert!(limiter.allow(v6("2"), t0), "one /64 shares a bucket");
    assert!(!limiter.allow(v6("3"), t0));
    assert!(limiter.allow(v6("3"), t0 + Duration::from_secs(30)), "a token comes back every 30 s");
    assert!(limiter.allow(Some("2001:db8:1:3::1".parse().unwrap()), t0));
}

#[tokio::test]
async fn wrong_codes_look_exactly_like_unknown_references() {
    let state = state().await;
    let (reference, code) = reference_and_code(&submit_parks(&state, &[], &[]).await.html);
    let unknown = get(&state, "/track?ref=PLV-2026-999999&code=0000000000000000").await;
    let wrong = get(&state, &format!("/track?ref={reference}&code=0000000000000000")).await;
    let malformed = get(&state, "/track?ref=garbage&code=0000000000000000").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(wrong.status, unknown.status);
    assert_eq!(malformed.status, unknown.status);
    let normalise = |page: &Page, reference: &str| page.html.replace(reference, "REF");
    assert_eq!(normalise(&wrong, &reference), normalise(&unknown, "PLV-2026-999999"));
    assert_eq!(normalise(&malformed, "garbage"), normalise(&unknown, "PLV-2026-999999"));
    // Posts too.
    let post = send(&state, post_form("/track/confirm", &[("ref", &reference), ("code", "0000000000000000")])).await;
    assert_eq!(post.status, StatusCode::NOT_FOUND);
    // The right code, in any case.
    let found = get(&state, &format!("/track?ref={}&code={}", reference.to_lowercase(), code.to_uppercase())).await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("abc", "abcd"));
}

#[tokio::test]
async fn the_case_page_shows_the_public_timeline_and_each_part() {
    let state = state().await;
    let (reference, code) = reference_and_code(&submit_parks(&state, &[("contact", "anonymous")], &[]).await.html);
    let case = state.store.case_by_reference(&reference).await.unwrap().unwrap();
    let parks = case.assignments[0].institution_id;
    let event = |kind: &str, public: bool, body: &str| store::NewCaseEvent {
        case_id: case.id,
        institution_id: Some(parks),
        actor_user_id: None,
        kind: kind.into(),
        public,
        body: body.into(),
    };
    state.store.add_case_event(&event("note", false, "вътрешна бележка: да не се показва")).await.unwrap();
    state.store.add_case_event(&event("public_update", true, "Екип е изпратен на място.")).await.unwrap();
    let change = |to, reason: Option<&str>| store::AssignmentChange {
        case_id: case.id,
        institution_id: parks,
        to,
        actor_user_id: None,
        reason: reason.map(str::to_owned),
        forward_to: None,
    };
    state.store.change_assignment(&change(AssignmentStatus::Done, Some("дървото е премахнато"))).await.unwrap();

    let page = get(&state, &format!("/track?ref={reference}&code={code}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.html.contains("вътрешна бележка"));
    let deadline: Date = case.assignments[0].deadline.parse().unwrap();
    let text = main_text(&page.html)
        .replace(&reference, "PLV-YYYY-NNNNNN")
        .replace(&super::i18n::date(deadline), "DEADLINE")
        .replace(&super::i18n::date(crate::register::today()), "TODAY");
    expect![[r#"
        Сигнал PLV-YYYY-NNNNNN
        | Тема | Паркове
        | Получен на | TODAY
        | Състояние | Решен
        Кой работи по сигнала
        | Институция | Състояние | Срок | Оставащи работни дни
        | parks bg | Свършено | DEADLINE | свършено
        Какво се случи
        Сигналът е регистриран.
        parks bg: Екип е изпратен на място.
        parks bg: Свършено. дървото е премахнато
        Решен ли е проблемът?
        Институциите отбелязаха своята част като свършена. Кажете ни дали е така.
        {website}
        Да, решен е
        {website}
        Ако не е решен: какво не е наред? *
        {reason}
        Не, не е решен
        Добавете информация
        {website}
        Съобщение *
        {message}
        Снимка (по желание, JPEG или PNG)
        {photo}
        Изпрати информацията"#]]
    .assert_eq(&text);
    let english = get(&state, &format!("/track?ref={reference}&code={code}&lang=en")).await;
    assert!(english.html.contains("parks en: Done. дървото е премахнато"));
}

#[tokio::test]
async fn citizens_add_information_confirm_and_dispute() {
    let state = state().await;
    let (reference, code) = reference_and_code(&submit_parks(&state, &[], &[]).await.html);
    let case = state.store.case_by_reference(&reference).await.unwrap().unwrap();

    // Add information with a photo: a public citizen message, a private attachment.
    let body = multipart(
        &[("ref", &reference), ("code", &code), ("message", "Дървото пречи на линейките."), ("website", "")],
        &[("photo", "more.jpg", &jpeg_with_exif())],
    );
    let answer = send(&state, post_multipart("/track/info", body, None)).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let location = answer.headers[header::LOCATION].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/track?ref={reference}&code={code}&done=info&lang=bg#notice"));
    let after = get(&state, location.trim_end_matches("#notice")).await;
    assert!(after.html.contains("Благодарим! Информацията е добавена."));
    assert!(after.html.contains("Ваше съобщение: Дървото пречи на линейките."));
    assert_eq!(state.store.attachments(case.id).await.unwrap().len(), 1);
    // An empty message is an error on the field.
    let body = multipart(&[("ref", &reference), ("code", &code), ("message", " ")], &[]);
    let answer = send(&state, post_multipart("/track/info", body, None)).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.html.contains("<a href=\"#message\">Напишете съобщение</a>"));

    // Nothing to confirm yet: no resolution forms.
    assert!(!after.html.contains("/track/confirm"));
    for assignment in &case.assignments {
        let change = store::AssignmentChange {
            case_id: case.id,
            institution_id: assignment.institution_id,
            to: AssignmentStatus::Done,
            actor_user_id: None,
            reason: None,
            forward_to: None,
        };
        state.store.change_assignment(&change).await.unwrap();
    }
    let confirm = send(&state, post_form("/track/confirm", &[("ref", &reference), ("code", &code)])).await;
    assert_eq!(confirm.status, StatusCode::SEE_OTHER);
    let empty_reason = send(&state, post_form("/track/dispute", &[("ref", &reference), ("code", &code), ("reason", "")])).await;
    assert_eq!(empty_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty_reason.html.contains("<a href=\"#reason\">"));
    let dispute = send(
        &state,
        post_form("/track/dispute", &[("ref", &reference), ("code", &code), ("reason", "Дървото още е там.")]),
    )
    .await;
    assert_eq!(dispute.status, StatusCode::SEE_OTHER);

    let case = state.store.case_by_reference(&reference).await.unwrap().unwrap();
    assert!(case.assignments.iter().all(|a| a.status == AssignmentStatus::InProgress), "reopened");
    let history: Vec<String> = state
        .store
        .case_events(case.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {} {}", e.kind, if e.public { "public" } else { "internal" }, e.body))
        .collect();
    expect![[r#"
        registered public registered as PLV-YYYY-000001 via portal
        citizen_message public Дървото пречи на линейките.
        attachment internal attachment 1 (N bytes)
        status public new -> done
        citizen_confirmed public confirmed
        citizen_disputed public Дървото още е там.
        status public done -> in_progress: Дървото още е там."#]]
    .assert_eq(
        &history
            .iter()
            .map(|line| if line.starts_with("attachment ") { "attachment internal attachment 1 (N bytes)" } else { line })
            .collect::<Vec<_>>()
            .join("\n")
            .replace(&reference, "PLV-YYYY-000001"),
    );
}

/// The map block's HTML: from the hint to the marked place, one tag per line.
fn map_html(html: &str) -> String {
    let start = html.find("<p class=\"hint\" id=\"map-hint\">").unwrap_or(0);
    let end = html.find("<p class=\"hint\" id=\"coordinates-hint\">").unwrap_or(start);
    html[start..end].replace("><", ">\n<").lines().map(str::trim).filter(|line| !line.is_empty()).collect::<Vec<_>>().join("\n")
}

fn with_tiles(state: &AppState, tile_url: Option<&str>) -> AppState {
    let mut config = (*state.config).clone();
    config.portal.tile_url = tile_url.map(str::to_owned);
    AppState { config: std::sync::Arc::new(config), ..state.clone() }
}

#[tokio::test]
async fn the_map_pin_works_without_javascript() {
    let plain = state().await;
    // No tile server: no map, no coordinates, and images only from the portal.
    let page = get(&plain, "/submit").await;
    assert!(!page.html.contains("type=\"image\"") && !page.html.contains("name=\"lat\""));
    let csp = page.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
    assert!(csp.contains("; img-src 'self'; "), "{csp}");

    let state = with_tiles(&plain, Some("https://tile.openstreetmap.org/{z}/{x}/{y}.png"));
    let page = get(&state, "/submit?lang=en").await;
    let csp = page.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
    assert!(csp.contains("; img-src 'self' https://tile.openstreetmap.org; "), "{csp}");
    assert!(!csp.contains("unsafe-inline") && !csp.contains("script-src"), "{csp}");
    assert!(!page.html.contains("<script") && !page.html.contains(" style="));
    check(
        &map_html(&page.html),
        expect![[r#"
            <p class="hint" id="map-hint">Click the map of the centre to mark the place, or type the coordinates below. The map is loaded from an outside map server.</p>
            <div class="mapwrap">
            <div class="map">
            <input type="image" name="map-0-0" src="https://tile.openstreetmap.org/15/18635/12146.png" alt="Map of central Plovdiv, north-west part: click to mark the place" width="256" height="256" aria-describedby="map-hint">
            <input type="image" name="map-1-0" src="https://tile.openstreetmap.org/15/18636/12146.png" alt="Map of central Plovdiv, north-east part: click to mark the place" width="256" height="256" aria-describedby="map-hint">
            <input type="image" name="map-0-1" src="https://tile.openstreetmap.org/15/18635/12147.png" alt="Map of central Plovdiv, south-west part: click to mark the place" width="256" height="256" aria-describedby="map-hint">
            <input type="image" name="map-1-1" src="https://tile.openstreetmap.org/15/18636/12147.png" alt="Map of central Plovdiv, south-east part: click to mark the place" width="256" height="256" aria-describedby="map-hint">
            </div>
            </div>"#]],
    );

    // A click on the north-east tile keeps what was typed, fills the place in and registers nothing.
    let before = state.store.counts().await.unwrap().cases;
    let fields = [
        ("category", "parks"),
        ("description", "Не свети лампата"),
        ("address", "ул. „Княз Александър I“"),
        ("contact", "anonymous"),
        ("map-1-0.x", "128"),
        ("map-1-0.y", "64"),
    ];
    let clicked = send(&state, post_multipart("/submit?lang=en", multipart(&fields, &[]), None)).await;
    assert_eq!(clicked.status, StatusCode::OK, "{}", clicked.html);
    assert_eq!(state.store.counts().await.unwrap().cases, before);
    check(&map_html(&clicked.html), expect![[r#"
        <p class="hint" id="map-hint">Click the map of the centre to mark the place, or type the coordinates below. The map is loaded from an outside map server.</p>
        <div class="mapwrap">
        <div class="map">
        <input type="image" name="map-0-0" src="https://tile.openstreetmap.org/15/18635/12146.png" alt="Map of central Plovdiv, north-west part: click to mark the place" width="256" height="256" aria-describedby="map-hint">
        <input type="image" name="map-1-0" src="https://tile.openstreetmap.org/15/18636/12146.png" alt="Map of central Plovdiv, north-east part: click to mark the place" width="256" height="256" aria-describedby="map-hint">
        <input type="image" name="map-0-1" src="https://tile.openstreetmap.org/15/18635/12147.png" alt="Map of central Plovdiv, south-west part: click to mark the place" width="256" height="256" aria-describedby="map-hint">
        <input type="image" name="map-1-1" src="https://tile.openstreetmap.org/15/18636/12147.png" alt="Map of central Plovdiv, south-east part: click to mark the place" width="256" height="256" aria-describedby="map-hint">
        <svg width="512" height="512" viewBox="0 0 512 512" aria-hidden="true" focusable="false">
        <circle cx="384" cy="64" r="12"/>
        <circle class="dot" cx="384" cy="64" r="3"/>
        </svg>
        </div>
        </div>
        <p id="map-marked">Marked place: 42.14508, 24.74670</p>"#]]);
    assert!(clicked.html.contains("value=\"42.14508\"") && clicked.html.contains("value=\"24.74670\""), "{}", clicked.html);
    assert!(clicked.html.contains("Не свети лампата") && clicked.html.contains("id=\"category-parks\" value=\"parks\" checked"));
    assert!(clicked.html.contains("id=\"contact-anonymous\" value=\"anonymous\" checked"));

    // Photos cannot be carried over a click; a keyboard press on the map gives no place.
    let photo = jpeg_with_exif();
    let keyboard = [("description", "x"), ("map-0-1.x", "0"), ("map-0-1.y", "0")];
    let page = send(&state, post_multipart("/submit", multipart(&keyboard, &[("photos", "a.jpg", &photo)]), None)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("<a href=\"#lat\">Картата не посочи място"), "{}", page.html);
    assert!(page.html.contains("<a href=\"#photos\">Снимките не се запазват"), "{}", page.html);
    assert_eq!(state.store.counts().await.unwrap().cases, before);

    // Sending the form with the place (the real button) registers it; the address alone works too.
    let sent = submit_parks(&state, &[("lat", "42.14508"), ("lon", "24.74670")], &[]).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.html);
    let (reference, _) = reference_and_code(&sent.html);
    let case = state.store.case_by_reference(&reference).await.unwrap().unwrap();
    assert_eq!((case.latitude, case.longitude), (Some(42.14508), Some(24.7467)));
    let address_only = submit_parks(&state, &[], &[]).await;
    assert_eq!(address_only.status, StatusCode::OK, "{}", address_only.html);

    // A tile URL that is not a plain http(s) host shows no map and widens no policy.
    let odd = with_tiles(&plain, Some("https://tiles.example;script-src/{z}/{x}/{y}.png"));
    let page = get(&odd, "/submit").await;
    assert!(!page.html.contains("type=\"image\"") && page.html.contains("name=\"lat\""));
    let csp = page.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
    assert!(csp.contains("; img-src 'self'; "), "{csp}");
}

fn check(actual: &str, expect: Expect) {
    expect.assert_eq(actual);
}
