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
        actual += &format!("{} -> {}\n", from.as_str(), allowed.join(" "));
    }
    check(
        actual,
        expect![[r#"
            new -> accepted in_progress done declined forwarded
            accepted -> in_progress done declined forwarded
            in_progress -> done declined forwarded
            done -> in_progress
            declined -> 
            forwarded -> 
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
