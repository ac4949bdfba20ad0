//! The whole program on port 0 with a temporary data directory: the demo loads, the API answers,
//! import and user commands work through the real binary, and data survives a restart.

use std::io::Write;
use std::process::{Command, Stdio};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("civicline-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn config_for(dir: &std::path::Path) -> civicline::config::Config {
    let mut file = civicline::config::ConfigFile::default();
    file.server.listen = "127.0.0.1:0".into();
    file.telephony.sip_listen = "127.0.0.1:0".into();
    file.server.data_dir = dir.to_owned();
    civicline::config::Config::parse_and_validate(file, None).unwrap()
}

/// One HTTP/1.1 request on a fresh connection; returns status and body.
async fn http(addr: std::net::SocketAddr, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, String) {
    try_http(addr, method, path, token, body).await.expect("an HTTP answer")
}

/// Like [`http`], but `None` when the connection fails (the server was killed).
async fn try_http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> Option<(u16, String)> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let auth = token.map(|t| format!("authorization: Bearer {t}\r\n")).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: test\r\nconnection: close\r\n{auth}content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Some((status, body))
}

async fn login(addr: std::net::SocketAddr, username: &str, password: &str) -> Option<String> {
    let body = format!(r#"{{"username":"{username}","password":"{password}"}}"#);
    let (status, body) = http(addr, "POST", "/api/v1/auth/login", None, &body).await;
    if status != 200 {
        return None;
    }
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    Some(json["token"].as_str().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_serves_and_cases_survive_a_restart() {
    let dir = temp_dir("serve");
    let shutdown = CancellationToken::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = civicline::serve::start(config_for(&dir), listener, shutdown.clone()).await.unwrap();
    assert!(running.demo_loaded);
    let addr = running.http_addr;
    assert_eq!(http(addr, "GET", "/healthz", None, "").await.0, 200);
    assert_eq!(http(addr, "GET", "/readyz", None, "").await.0, 200);
    let token = login(addr, "agent", civicline::demo::DEMO_PASSWORD).await.expect("demo login");
    let case = r#"{"category":"social-help","channel":"phone","description":"Нужда от помощ","citizen":{"name":"Иван","phone":"0888000111"}}"#;
    let (status, body) = http(addr, "POST", "/api/v1/cases", Some(&token), case).await;
    assert_eq!(status, 201, "{body}");
    let created: serde_json::Value = serde_json::from_str(&body).unwrap();
    let reference = created["reference"].as_str().unwrap().to_owned();
    assert_eq!(created["assignments"].as_array().unwrap().len(), 2, "social department and directorate");
    shutdown.cancel();
    running.task.await.unwrap().unwrap();
    drop(running.store);

    // A second start on the same directory finds the case and does not load the demo again.
    let shutdown = CancellationToken::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = civicline::serve::start(config_for(&dir), listener, shutdown.clone()).await.unwrap();
    assert!(!running.demo_loaded);
    let token = login(running.http_addr, "agent", civicline::demo::DEMO_PASSWORD).await.unwrap();
    let (status, _) = http(running.http_addr, "GET", &format!("/api/v1/cases/{reference}"), Some(&token), "").await;
    assert_eq!(status, 200);
    shutdown.cancel();
    running.task.await.unwrap().unwrap();
}

#[test]
fn import_and_user_add_through_the_binary() {
    let dir = temp_dir("import");
    let config = dir.join("civicline.toml");
    std::fs::write(&config, format!("[server]\ndata_dir = {:?}\n[demo]\nload = false\n", dir.display().to_string())).unwrap();
    let run = |args: &[&str], stdin: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_civicline"))
            .args(args)
            .arg("--config")
            .arg(&config)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
    };
    let institutions = dir.join("institutions.csv");
    std::fs::write(
        &institutions,
        "code,name_bg,name_en,kind,connection,email,phone\nsocial,Социални дейности,Social,municipal_department,workspace,,\nbad,Лош,Bad,ministry,workspace,,\n",
    )
    .unwrap();
    let (code, stderr) = run(&["import", institutions.to_str().unwrap()], "");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("line 3: kind: unknown institution kind"), "{stderr}");
    assert!(stderr.contains("nothing imported"), "{stderr}");

    std::fs::write(&institutions, "code,name_bg,name_en,kind,connection,email,phone\nsocial,Социални дейности,Social,municipal_department,workspace,,\n").unwrap();
    let (code, stderr) = run(&["import", institutions.to_str().unwrap()], "");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("imported 1 institutions"), "{stderr}");

    let (code, stderr) = run(&["user", "add", "--username", "ana", "--display-name", "Ана", "--role", "officer", "--institution", "social"], "a long password\n");
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stderr) = run(&["user", "add", "--username", "ana", "--display-name", "Ана", "--role", "agent"], "a long password\n");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("taken"), "{stderr}");
    let (code, stderr) = run(&["user", "add", "--username", "bob", "--display-name", "Боб", "--role", "agent"], "short\n");
    assert_eq!(code, Some(2), "{stderr}");
}

/// Starts the real binary; returns the child and its HTTP address (read from its welcome text).
fn spawn_server(config: &std::path::Path) -> (std::process::Child, std::net::SocketAddr) {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_civicline"))
        .arg("serve")
        .arg("--config")
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines.next().expect("server printed its address").unwrap();
        if let Some(rest) = line.trim().strip_prefix("API:") {
            let url = rest.trim().trim_start_matches("http://");
            break url.split('/').next().unwrap().parse().unwrap();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
}

/// "Nothing is lost": every case acknowledged with a 201 is there after the process is killed
/// without warning (SIGKILL, no shutdown), and its number is never handed out again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_cases_survive_a_kill() {
    let dir = temp_dir("kill");
    let config = dir.join("civicline.toml");
    std::fs::write(&config, format!("[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = {:?}\n[telephony]\nsip_listen = \"127.0.0.1:0\"\n", dir.display().to_string())).unwrap();
    let (mut child, addr) = spawn_server(&config);
    let token = login(addr, "agent", civicline::demo::DEMO_PASSWORD).await.expect("demo login");
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut writers = Vec::new();
    for _ in 0..16 {
        let token = token.clone();
        let acknowledged = acknowledged.clone();
        writers.push(tokio::spawn(async move {
            let case = r#"{"category":"waste","channel":"phone","description":"Неприбран контейнер"}"#;
            // Until the kill makes a request fail.
            while let Some((status, body)) = try_http(addr, "POST", "/api/v1/cases", Some(&token), case).await {
                if status == 201 {
                    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
                    acknowledged.lock().unwrap().push(json["reference"].as_str().unwrap().to_owned());
                }
            }
        }));
    }
    // Kill while the writers are still sending.
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    child.kill().unwrap();
    child.wait().unwrap();
    for writer in writers {
        writer.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() > 16, "too few cases were acknowledged: {}", acknowledged.len());

    let (mut child, addr) = spawn_server(&config);
    let token = login(addr, "agent", civicline::demo::DEMO_PASSWORD).await.unwrap();
    for reference in &acknowledged {
        let (status, _) = http(addr, "GET", &format!("/api/v1/cases/{reference}"), Some(&token), "").await;
        assert_eq!(status, 200, "{reference} was acknowledged but is gone");
    }
    let highest = acknowledged.iter().map(|r| domain::Reference::parse(r).unwrap().seq).max().unwrap();
    let case = r#"{"category":"waste","channel":"phone","description":"след рестарт"}"#;
    let (status, body) = http(addr, "POST", "/api/v1/cases", Some(&token), case).await;
    assert_eq!(status, 201);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let next = domain::Reference::parse(json["reference"].as_str().unwrap()).unwrap().seq;
    assert!(next > highest, "number {next} reused after the kill");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owed_callbacks_are_booked_again_after_a_restart() {
    let dir = temp_dir("callbacks");
    let config = || {
        let mut file = civicline::config::ConfigFile::default();
        file.server.listen = "127.0.0.1:0".into();
        file.telephony.sip_listen = "127.0.0.1:0".into();
        file.server.data_dir = dir.clone();
        file.telephony.outbound = Some(civicline::phone::OutboundSection {
            gateway: "127.0.0.1:9".into(),
            allow: vec!["+3598XXXXXXXX".into()],
            ring_timeout_s: 30,
            max_attempts: 3,
            retry_delay_s: 300,
        });
        civicline::config::Config::parse_and_validate(file, None).unwrap()
    };
    let shutdown = CancellationToken::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = civicline::serve::start(config(), listener, shutdown.clone()).await.unwrap();
    let token = login(running.http_addr, "agent", civicline::demo::DEMO_PASSWORD).await.unwrap();
    // Two phone cases owe a callback; the second was already called back.
    let mut ids = Vec::new();
    for n in 0..2 {
        let case = format!(
            r#"{{"category":"social-help","channel":"phone","description":"Обратно обаждане {n}","citizen":{{"phone":"0888 123 45{n}"}}}}"#
        );
        let (status, body) = http(running.http_addr, "POST", "/api/v1/cases", Some(&token), &case).await;
        assert_eq!(status, 201, "{body}");
        let created: serde_json::Value = serde_json::from_str(&body).unwrap();
        ids.push(created["id"].as_i64().unwrap());
    }
    for (id, kinds) in ids.iter().zip([&["callback_due"][..], &["callback_due", "callback_done"][..]]) {
        for kind in kinds {
            let note = store::NewCaseEvent {
                case_id: *id,
                institution_id: None,
                actor_user_id: None,
                kind: (*kind).to_owned(),
                public: false,
                body: (*kind).to_owned(),
            };
            running.store.add_case_event(&note).await.unwrap();
        }
    }
    shutdown.cancel();
    running.task.await.unwrap().unwrap();
    drop(running.store);

    let shutdown = CancellationToken::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = civicline::serve::start(config(), listener, shutdown.clone()).await.unwrap();
    let snapshot = running.phone.as_ref().unwrap().handle.snapshot().await.unwrap();
    let held: Vec<(&str, Option<&str>)> =
        snapshot.calls.iter().map(|call| (call.phase, call.queue.as_deref())).collect();
    assert_eq!(held, [("callback", Some("social_services"))], "one callback owed, in its service's queue");
    shutdown.cancel();
    running.task.await.unwrap().unwrap();
}
