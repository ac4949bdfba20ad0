//! The Plovdiv demo: institutions, categories and users loaded into a new database, so that a
//! newcomer can log in and work at once.

use domain::{Connection, InstitutionKind, Role, SubmissionKind};
use store::{ImportBatch, ImportCategory, ImportUser, NewInstitution};

/// The demo users' shared password, printed at start-up. Demo only.
pub const DEMO_PASSWORD: &str = "civicline-demo";

/// Demo logins: (username, role, what they see).
pub const DEMO_USERS: &[(&str, Role, Option<&str>, &str)] = &[
    ("admin", Role::Admin, None, "Администратор"),
    ("agent", Role::Agent, None, "Агент Мария Петрова"),
    ("supervisor", Role::Supervisor, None, "Супервайзор Иван Георгиев"),
    ("social", Role::Officer, Some("social"), "Служител, Социални дейности"),
    ("asp", Role::Officer, Some("asp-plovdiv"), "Служител, Дирекция „Социално подпомагане“"),
    ("central", Role::Officer, Some("district-central"), "Служител, район „Централен“"),
];

fn institution(
    code: &str,
    name_bg: &str,
    name_en: &str,
    kind: InstitutionKind,
    connection: Connection,
    phone: Option<&str>,
    email: Option<&str>,
) -> NewInstitution {
    NewInstitution {
        code: code.into(),
        name_bg: name_bg.into(),
        name_en: name_en.into(),
        kind,
        connection,
        email: email.map(str::to_owned),
        phone: phone.map(str::to_owned),
        webhook_url: None,
        active: true,
    }
}

fn category(
    code: &str,
    name_bg: &str,
    name_en: &str,
    kind: SubmissionKind,
    deadline_rule: Option<&str>,
    institutions: &[&str],
) -> ImportCategory {
    ImportCategory {
        code: code.into(),
        parent_code: None,
        name_bg: name_bg.into(),
        name_en: name_en.into(),
        submission_kind: kind,
        deadline_rule: deadline_rule.map(str::to_owned),
        institution_codes: institutions.iter().map(|c| (*c).to_owned()).collect(),
    }
}

/// The category for phone messages and callbacks that name no service (the operator, the crisis
/// line, or no menu choice at all). The administrative services centre triages it.
pub const GENERAL_CATEGORY: &str = "general";

/// The demo IVR's operator queue: callbacks that name no service are placed from it.
pub const GENERAL_QUEUE: &str = "general";

/// The demo category for a queue of the demo IVR (`ivr::plovdiv_demo`), for cases opened from
/// voicemail and callback requests. The environment line covers waste, street lighting and parks
/// alike, so guessing one of them would misroute the rest: it goes to [`GENERAL_CATEGORY`].
pub fn category_for_queue(queue: &str) -> &'static str {
    match queue {
        "social_services" => "social-help",
        "psychological_support" => "psychological-support",
        "administrative_services" => "documents",
        _ => GENERAL_CATEGORY,
    }
}

/// The queue whose agents call back about a case in `category`: the inverse of
/// [`category_for_queue`], with [`GENERAL_QUEUE`] for the rest.
pub fn queue_for_category(category: &str) -> &'static str {
    match category {
        "social-help" => "social_services",
        "psychological-support" => "psychological_support",
        "documents" => "administrative_services",
        _ => GENERAL_QUEUE,
    }
}

/// The demo's institutions and categories; users are added with hashed passwords by the caller.
pub fn batch(password_hash: &str) -> ImportBatch {
    use Connection::*;
    use InstitutionKind::*;
    let mut institutions = vec![
        institution("social", "Дирекция „Социални дейности“", "Social Services Directorate", MunicipalDepartment, Workspace, Some("+35232656700"), None),
        institution("asp-plovdiv", "Дирекция „Социално подпомагане“ – Пловдив", "Social Assistance Directorate, Plovdiv", CentralBody, Workspace, None, Some("dsp-plovdiv@example.bg")),
        institution("admin-services", "Център за административно обслужване", "Administrative Services Centre", MunicipalDepartment, Workspace, Some("+35232656700"), None),
        institution("local-taxes", "Дирекция „Местни данъци и такси“", "Local Taxes and Fees Directorate", MunicipalDepartment, Workspace, None, None),
        institution("lighting", "Отдел „Улично осветление“", "Street Lighting Unit", MunicipalDepartment, Workspace, None, None),
        institution("chistota", "ОП „Чистота“", "Municipal Enterprise Chistota (waste)", MunicipalCompany, Email, Some("+35232675811"), Some("chistota@example.bg")),
        institution("parks", "ОП „Градини и паркове“", "Municipal Enterprise Gardens and Parks", MunicipalCompany, Email, Some("+35232624301"), Some("parks@example.bg")),
        institution("rzi-plovdiv", "Регионална здравна инспекция – Пловдив", "Regional Health Inspectorate, Plovdiv", CentralBody, Listed, None, None),
        institution("odmvr-plovdiv", "ОДМВР – Пловдив", "Regional Police Directorate, Plovdiv", CentralBody, Listed, Some("+35232902222"), None),
        institution("bchk-plovdiv", "Български Червен кръст – Пловдив", "Bulgarian Red Cross, Plovdiv", Partner, Email, None, Some("plovdiv@example.bg")),
    ];
    for (code, bg, en) in [
        ("district-central", "Централен", "Central"),
        ("district-east", "Източен", "East"),
        ("district-west", "Западен", "West"),
        ("district-north", "Северен", "North"),
        ("district-south", "Южен", "South"),
        ("district-trakia", "Тракия", "Trakia"),
    ] {
        institutions.push(institution(
            code,
            &format!("Район „{bg}“"),
            &format!("{en} District Administration"),
            DistrictAdministration,
            Workspace,
            None,
            None,
        ));
    }
    use SubmissionKind::*;
    let categories = vec![
        category("social-help", "Социална помощ и услуги", "Social assistance and services", InformationRequest, None, &["social", "asp-plovdiv"]),
        category("psychological-support", "Психологическа подкрепа", "Psychological support", ServiceRequest, Some("working_days:3"), &["bchk-plovdiv", "social"]),
        category("documents", "Документи и административни услуги", "Documents and administrative services", InformationRequest, None, &["admin-services"]),
        category("local-taxes", "Местни данъци и такси", "Local taxes and fees", InformationRequest, None, &["local-taxes"]),
        category("street-lighting", "Улично осветление", "Street lighting", ServiceRequest, None, &["lighting", "district-central"]),
        category("waste", "Отпадъци и чистота", "Waste and cleanliness", ServiceRequest, Some("working_days:5"), &["chistota"]),
        category("parks", "Паркове и зелени площи", "Parks and green spaces", ServiceRequest, None, &["parks"]),
        category("public-health", "Обществено здраве", "Public health", Signal, None, &["rzi-plovdiv", "social"]),
        category("public-order", "Обществен ред", "Public order", Signal, None, &["odmvr-plovdiv", "district-central"]),
        category("proposal", "Предложение към общината", "Proposal to the municipality", Proposal, None, &["admin-services"]),
        category("access-to-information", "Достъп до обществена информация", "Access to public information", InformationRequest, Some("days:14"), &["admin-services"]),
        category(GENERAL_CATEGORY, "Общи въпроси", "General questions", InformationRequest, None, &["admin-services"]),
    ];
    let users = DEMO_USERS
        .iter()
        .map(|(username, role, institution, name)| ImportUser {
            username: (*username).into(),
            display_name: (*name).into(),
            role: *role,
            institution_code: institution.map(str::to_owned),
            password_hash: password_hash.to_owned(),
        })
        .collect();
    ImportBatch { institutions, categories, users }
}
