//! Configuration: every key documented in the example file, every problem named.

use std::process::Command;

use expect_test::{Expect, expect};

fn check(toml: &str, expect: Expect) {
    let actual = match civicline::config::ConfigFile::parse(toml)
        .and_then(|file| civicline::config::Config::parse_and_validate(file, None))
    {
        Ok(config) => format!("ok: listen {} prefix {}", config.listen, config.web.reference_prefix),
        Err(err) => format!("error: {err}"),
    };
    expect.assert_eq(&actual);
}

#[test]
fn defaults_and_example_file() {
    check("", expect!["ok: listen 127.0.0.1:8080 prefix PLV"]);
    let example = include_str!("../../../../civicline.example.toml");
    check(example, expect!["ok: listen 127.0.0.1:8080 prefix PLV"]);
}

#[test]
fn problems_name_their_key() {
    check("[server]\nlisten = \"nowhere\"\n", expect![[r#"error: server.listen: "nowhere" is not an address like 127.0.0.1:8080"#]]);
    check("[server]\nlisten = 8080\n", expect!["error: line 2 `listen = 8080`: invalid type: integer `8080`, expected a string"]);
    check("[server]\nlisen = \"127.0.0.1:1\"\n", expect![[r#"error: line 2 `lisen = "127.0.0.1:1"`: unknown field `lisen`, expected one of `listen`, `data_dir`, `database_url`, `secure_cookies`, `session_ttl_hours`"#]]);
    check("[cases]\nreference_prefix = \"plv1\"\n", expect!["error: cases.reference_prefix: must be 1 to 8 capital Latin letters"]);
    check("[calendar]\nextra_days_off = [\"2026-02-30\"]\n", expect![[r#"error: calendar.extra_days_off: "2026-02-30": day 30 does not exist in 2026-02"#]]);
    check("[calendar]\nextra_days_off = [\"2026-01-01\"]\n", expect!["error: calendar: 2026-01-01 is already a day off"]);
    check("[server]\ndatabase_url = \"mysql://x\"\n", expect!["error: server.database_url: use postgres://… or sqlite://PATH"]);
    check("[server\n", expect![[r#"
        error: line 1 `[server`: invalid table header
        expected `.`, `]`"#]]);
}

#[test]
fn check_config_exits_2_on_a_bad_file() {
    let dir = std::env::temp_dir().join(format!("civicline-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[cases]\nmax_attachment_mb = 0\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_civicline")).arg("check-config").arg(&bad).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cases.max_attachment_mb: must be between 1 and 100"), "{stderr}");
    let good = dir.join("good.toml");
    std::fs::write(&good, "[cases]\nmax_attachment_mb = 5\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_civicline")).arg("check-config").arg(&good).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn queue_skills_and_outbound_problems_name_their_key() {
    check(
        "[[telephony.agents]]\nusername = \"a\"\npassword = \"long enough\"\nqueues = []\nskills = { English = 2 }\n",
        expect![[r#"error: telephony.agents[0].skills: skill "English": use lowercase letters, digits and '_'"#]],
    );
    check(
        "[telephony.outbound]\ngateway = \"192.0.2.1:5060\"\nallow = [\"+359*\", \"09x\"]\n",
        expect![[r#"error: telephony.outbound.allow: "09x" is not a pattern like +3598XXXXXXXX or +359* (digits, X, a trailing *)"#]],
    );
    check(
        "[telephony.outbound]\ngateway = \"192.0.2.1:5060\"\nallow = [\"+359*\"]\nmax_attempts = 0\n",
        expect!["error: telephony.outbound.max_attempts: must be between 1 and 10"],
    );
}
