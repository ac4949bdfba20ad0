//! CIDR blocks, port ranges and dial patterns as written in the configuration file.

use expect_test::expect;

use super::{Cidr, NumberPattern, PortRange};

#[test]
fn cidr_blocks() {
    let check = |block: &str, address: &str| {
        Cidr::parse(block)
            .unwrap()
            .contains(address.parse().unwrap())
    };
    assert!(check("127.0.0.0/8", "127.1.2.3"));
    assert!(!check("127.0.0.0/8", "128.0.0.1"));
    assert!(check("192.0.2.7", "192.0.2.7"));
    assert!(!check("192.0.2.7", "192.0.2.8"));
    assert!(check("0.0.0.0/0", "203.0.113.9"));
    assert!(check("10.0.0.0/8", "::ffff:10.1.1.1"));
    assert!(check("2001:db8::/32", "2001:db8:1::5"));
    assert!(!check("2001:db8::/32", "127.0.0.1"));
    let errors: Vec<String> = ["10.0.0.0/33", "nonsense", "::/129"]
        .iter()
        .map(|text| Cidr::parse(text).unwrap_err())
        .collect();
    expect![[r#"["prefix \"33\" is not 0 to 32", "\"nonsense\" is not an IP address", "prefix \"129\" is not 0 to 128"]"#]]
        .assert_eq(&format!("{errors:?}"));
}

#[test]
fn port_ranges() {
    let range = PortRange::parse("20001-20008").unwrap();
    assert_eq!(
        range.even_ports().collect::<Vec<_>>(),
        [20002, 20004, 20006, 20008]
    );
    let errors: Vec<String> = ["20000", "20000-20001", "80-90", "x-20000"]
        .iter()
        .map(|text| PortRange::parse(text).unwrap_err())
        .collect();
    expect![[r#"["\"20000\" is not a range like 20000-20999", "\"20000-20001\" must hold at least two even ports", "\"80\" is not a port from 1024 to 65535", "\"x\" is not a port from 1024 to 65535"]"#]]
        .assert_eq(&format!("{errors:?}"));
}

#[test]
fn number_patterns() {
    let check = |pattern: &str, number: &str| NumberPattern::parse(pattern).unwrap().matches(number);
    assert!(check("+3598XXXXXXXX", "+359888123456"));
    assert!(!check("+3598XXXXXXXX", "+35988812345"), "one digit short");
    assert!(!check("+3598XXXXXXXX", "+3598881234567"), "one digit long");
    assert!(!check("+3598XXXXXXXX", "+359288123456"), "a landline");
    assert!(check("+359*", "+35932123456"));
    assert!(!check("+359*", "+44207946000"), "abroad");
    assert!(!check("+359*", "+359"), "nothing after the prefix");
    assert!(check("0888XXXXXX", "0888123456"));
    assert!(!check("0888XXXXXX", "0888-123456"), "not a dialable number");
    assert!(!check("+359*", "+359 88"), "spaces are not digits");
    let errors: Vec<String> = ["", "*", "+", "09x", "12*3"]
        .iter()
        .map(|text| NumberPattern::parse(text).unwrap_err())
        .collect();
    assert_eq!(errors.len(), 5);
    expect![[r#""\"09x\" is not a pattern like +3598XXXXXXXX or +359* (digits, X, a trailing *)""#]]
        .assert_eq(&format!("{:?}", errors[3]));
}
