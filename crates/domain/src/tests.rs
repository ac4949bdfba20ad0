//! Tests of the case rules: references, transitions, derived status and visibility.

use expect_test::{Expect, expect};

use crate::{AssignmentStatus, Proceeding, Reference, Role, Staff, case_status};

fn check(actual: String, expect: Expect) {
    expect.assert_eq(&actual);
}

#[test]
fn references_format_and_parse() {
    let reference = Reference { prefix: "PLV".to_owned(), year: 2026, seq: 123 };
    let inputs = [
        "PLV-2026-000123",
        "plv-2026-000123",
        " PLV-2026-1234567 ",
        "PLV-2026-123",
        "PLV-26-000123",
        "PLV2026000123",
        "P1V-2026-000123",
        "PLV-2026-000000",
        "PLV-2026-000123-1",
        "",
    ];
    let mut actual = format!("{reference}\n");
    for input in inputs {
        match Reference::parse(input) {
            Ok(parsed) => actual += &format!("{input:?} -> {parsed}\n"),
            Err(err) => actual += &format!("{input:?} -> error: {err}\n"),
        }
    }
    check(
        actual,
        expect![[r#"
            PLV-2026-000123
            "PLV-2026-000123" -> PLV-2026-000123
            "plv-2026-000123" -> PLV-2026-000123
            " PLV-2026-1234567 " -> PLV-2026-1234567
            "PLV-2026-123" -> error: reference number must have at least six digits
            "PLV-26-000123" -> error: reference year must have four digits
            "PLV2026000123" -> error: reference must look like PLV-2026-000123
            "P1V-2026-000123" -> error: reference prefix must be 1 to 8 capital letters
            "PLV-2026-000000" -> error: reference number must have at least six digits
            "PLV-2026-000123-1" -> error: reference must look like PLV-2026-000123
            "" -> error: reference must look like PLV-2026-000123
        "#]],
    );
}

#[test]
fn assignment_transitions() {
    let mut actual = String::new();
    for from in AssignmentStatus::ALL {
        let allowed: Vec<&str> = AssignmentStatus::ALL
            .iter()
            .filter(|to| from.transition(**to).is_ok())
            .map(|to| to.as_str())
            .collect();
        actual += &format!("{} -> [{}]\n", from.as_str(), allowed.join(" "));
    }
    check(
        actual,
        expect![[r#"
            new -> [accepted in_progress done declined forwarded]
            accepted -> [in_progress done declined forwarded]
            in_progress -> [done declined forwarded]
            done -> [in_progress]
            declined -> []
            forwarded -> []
        "#]],
    );
}

#[test]
fn case_status_is_derived_from_live_assignments() {
    use AssignmentStatus::*;
    let scripts: [&[AssignmentStatus]; 7] = [
        &[New],
        &[New, New],
        &[Accepted, New],
        &[Done, InProgress],
        &[Done, Done],
        &[Done, Declined],
        &[Declined, Forwarded],
    ];
    let mut actual = String::new();
    for script in scripts {
        let names: Vec<&str> = script.iter().map(|status| status.as_str()).collect();
        actual += &format!("{} => {}\n", names.join(","), case_status(script).as_str());
    }
    check(
        actual,
        expect![[r#"
            new => new
            new,new => new
            accepted,new => in_progress
            done,in_progress => in_progress
            done,done => resolved
            done,declined => resolved
            declined,forwarded => new
        "#]],
    );
}

#[test]
fn officers_see_only_their_institution() {
    let officer = Staff { user_id: 1, role: Role::Officer, institution_id: Some(7) };
    let agent = Staff { user_id: 2, role: Role::Agent, institution_id: None };
    let stray = Staff { user_id: 3, role: Role::Officer, institution_id: None };
    let actual = format!(
        "officer: {} {} {} {}\nagent: {} {}\nofficer without institution: {}\n",
        officer.may_see(&[7, 8]),
        officer.may_see(&[8]),
        officer.may_work_on(7),
        officer.may_work_on(8),
        agent.may_see(&[8]),
        agent.may_work_on(8),
        stray.may_see(&[7]),
    );
    check(
        actual,
        expect![[r#"
            officer: true false true false
            agent: true true
            officer without institution: false
        "#]],
    );
}

#[test]
fn anonymous_submissions_open_no_proceedings() {
    let actual = format!(
        "{} {}",
        Proceeding::for_submitter(true).as_str(),
        Proceeding::for_submitter(false).as_str()
    );
    check(actual, expect!["formal information_only"]);
}

#[test]
fn deadline_rules_parse_and_apply() {
    use calendar::{Calendar, Date};
    let calendar = Calendar::bulgaria();
    let received: Date = "2026-03-02".parse().unwrap();
    let mut actual = String::new();
    for text in ["months:2", "days:14", "working_days:7", "weeks:2", "days:0", "months:x", "days"] {
        match crate::parse_deadline_rule(text) {
            Some(rule) => {
                let due = rule.due(&calendar, received).map(|d| d.to_string()).unwrap_or_default();
                actual += &format!("{text} -> {} due {due}\n", crate::format_deadline_rule(rule));
            }
            None => actual += &format!("{text} -> invalid\n"),
        }
    }
    for kind in crate::SubmissionKind::ALL {
        let rule = crate::default_deadline(*kind);
        actual += &format!("{}: {}\n", kind.as_str(), crate::format_deadline_rule(rule));
    }
    check(actual, expect![[r#"
        months:2 -> months:2 due 2026-05-04
        days:14 -> days:14 due 2026-03-16
        working_days:7 -> working_days:7 due 2026-03-12
        weeks:2 -> invalid
        days:0 -> invalid
        months:x -> invalid
        days -> invalid
        information_request: days:14
        proposal: months:2
        signal: months:2
        complaint: months:2
        service_request: days:14
    "#]]);
}

#[test]
fn phone_numbers_normalise_to_e164() {
    let mut actual = String::new();
    for text in ["0888 123 456", "+359 (32) 656-700", "00359888123456", "032656700", "+44 20 7946 0958",
        "888123456", "+0123456789", "12", "0888-123-456 ext 5", "++359888", ""] {
        actual += &format!("{text:?} -> {:?}\n", crate::normalize_phone(text));
    }
    check(actual, expect![[r#"
        "0888 123 456" -> Some("+359888123456")
        "+359 (32) 656-700" -> Some("+35932656700")
        "00359888123456" -> Some("+359888123456")
        "032656700" -> Some("+35932656700")
        "+44 20 7946 0958" -> Some("+442079460958")
        "888123456" -> None
        "+0123456789" -> None
        "12" -> None
        "0888-123-456 ext 5" -> None
        "++359888" -> None
        "" -> None
    "#]]);
}
