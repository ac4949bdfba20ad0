//! The `[telephony]` section: demo defaults validate, problems name their key.

use expect_test::{Expect, expect};

use crate::config::{Config, ConfigFile};

fn check(toml: &str, expect: Expect) {
    let actual = match ConfigFile::parse(toml).and_then(|file| Config::parse_and_validate(file, None)) {
        Ok(config) => match config.telephony {
            Some(phone) => format!(
                "ok: sip {} number {} queues {} agents {:?}",
                phone.sip_listen,
                phone.switch.number,
                phone.switch.queues.len(),
                phone.switch.agents.iter().map(|agent| agent.username.as_str()).collect::<Vec<_>>()
            ),
            None => "ok: disabled".to_owned(),
        },
        Err(err) => format!("error: {err}"),
    };
    expect.assert_eq(&actual);
}

#[test]
fn defaults_disabled_and_problems() {
    check("", expect![[r#"ok: sip 127.0.0.1:5060 number 080011800 queues 6 agents ["agent1", "agent2", "agent3", "agent4"]"#]]);
    check("[telephony]\nenabled = false\n", expect!["ok: disabled"]);
    check("[telephony]\nsip_listen = \"nowhere\"\n", expect![[r#"error: telephony.sip_listen: "nowhere" is not an address like 127.0.0.1:5060"#]]);
    check("[telephony]\ntrunk_allow = [\"10.0.0.0/40\"]\n", expect![[r#"error: telephony.trunk_allow: prefix "40" is not 0 to 32"#]]);
    check("[telephony]\nrtp_ports = \"20000\"\n", expect![[r#"error: telephony.rtp_ports: "20000" is not a range like 20000-20999"#]]);
    check(
        "[[telephony.queues]]\nname = \"general\"\nstrategy = \"random\"\n",
        expect!["error: telephony.queues[0].strategy: use longest_idle, round_robin, fewest_calls, least_talk_time or ring_all"],
    );
    check("[[telephony.queues]]\nname = \"general\"\n", expect!["error: telephony.queues: the IVR needs a queue named administrative_services"]);
    check(
        "[[telephony.agents]]\nusername = \"ana\"\npassword = \"short\"\nqueues = []\n",
        expect!["error: telephony.agents[0].password: must be at least 8 characters"],
    );
    let debug = format!("{:?}", crate::phone::TelephonySection::default());
    assert!(!debug.contains("civicline-demo"), "passwords are redacted: {debug}");
}
