//! Import checks: every bad row reported by line, nothing accepted from a file with one.

use std::collections::HashSet;

use expect_test::{Expect, expect};

fn check(text: &str, toml: bool, expect: Expect) {
    let existing: HashSet<String> = ["social".to_owned()].into();
    let actual = match super::check(text, toml, &existing, &HashSet::new()) {
        Ok(checked) => format!(
            "ok: {} institutions, {} categories, {} users\n",
            checked.batch.institutions.len(),
            checked.batch.categories.len(),
            checked.batch.users.len()
        ),
        Err(errors) => errors.iter().map(|e| format!("{e}\n")).collect(),
    };
    expect.assert_eq(&actual);
}

#[test]
fn csv_institutions() {
    check(
        "code,name_bg,name_en,kind,connection,email,phone
parks,\"ОП \"\"Градини и паркове\"\"\",Parks,municipal_company,email,parks@example.bg,032 624 301
rzi,РЗИ,\"Health, regional\",central_body,listed,,
",
        false,
        expect![[r#"
            ok: 2 institutions, 0 categories, 0 users
        "#]],
    );
}

#[test]
fn csv_bad_rows_are_all_reported() {
    check(
        "code,name_bg,name_en,kind,connection,email,phone
Parks,Паркове,Parks,municipal_company,workspace,,
rzi,РЗИ,Health,ministry,listed,,
mail,Поща,Mail,partner,email,,
short,Кратък,Short,partner,listed
tel,Тел,Tel,partner,listed,,not-a-phone
rzi2,РЗИ,Health,central_body,listed,,
rzi2,РЗИ,Health,central_body,listed,,
",
        false,
        expect![[r#"
            line 2: code "Parks": use lower-case letters, digits, '-' or '_'
            line 3: kind: unknown institution kind
            line 4: email: an institution connected by e-mail needs one
            line 5: has 5 fields, the header has 7
            line 6: phone: not a phone number
            line 8: "rzi2" appears twice in the file
        "#]],
    );
}

#[test]
fn csv_categories_and_users_refer_to_institutions() {
    check(
        "code,parent,name_bg,name_en,submission_kind,deadline_rule,institutions
social-help,,Социална помощ,Social help,information_request,days:14,social;asp
lamps,missing,Лампи,Lamps,service_request,weeks:2,social
",
        false,
        expect![[r#"
            line 2: institutions: no institution "asp"
            line 3: deadline_rule: use months:N, days:N or working_days:N
        "#]],
    );
    check(
        "username,display_name,role,institution,password
ana,Ана,officer,,long-enough-password
bob,Боб,agent,,short
eve,Ева,officer,nowhere,long-enough-password
kim,Ким,officer,social,long-enough-password
",
        false,
        expect![[r#"
            line 2: institution: an officer belongs to an institution
            line 2: institution: no institution "nowhere"
            line 3: password: must be at least 10 characters
        "#]],
    );
}

#[test]
fn toml_file_with_all_kinds() {
    check(
        r#"
[[institution]]
code = "asp"
name_bg = "ДСП"
name_en = "Social Assistance"
kind = "central_body"
connection = "workspace"

[[category]]
code = "social-help"
name_bg = "Социална помощ"
name_en = "Social help"
submission_kind = "information_request"
institutions = ["social", "asp"]

[[user]]
username = "officer"
display_name = "Служител"
role = "officer"
institution = "asp"
password = "long-enough-password"
"#,
        true,
        expect![[r#"
            ok: 1 institutions, 1 categories, 1 users
        "#]],
    );
    check("[[institution]]\ncode = 5\n[[oops]]\n", true, expect![[r#"
        line 3: unknown field `oops`, expected one of `institution`, `category`, `user`
    "#]]);
}

#[test]
fn malformed_files() {
    check("", false, expect![[r#"
        line 1: the file is empty
    "#]]);
    check("a,b\n1,2\n", false, expect![[r#"
        line 1: the header must name the columns of institutions (code, connection, …), categories (code, submission_kind, …) or users (username, …)
    "#]]);
    check("code,connection\n\"unterminated,x\n", false, expect![[r#"
        line 2: a quoted field is not closed
    "#]]);
}
