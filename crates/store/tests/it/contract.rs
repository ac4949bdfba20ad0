//! The storage contract. Every test runs on SQLite (a temporary file) and, when
//! `TEST_DATABASE_URL` is set, on a fresh PostgreSQL database created for that test.
//! The README's test command always sets it, so CI runs both.

use std::sync::atomic::{AtomicU32, Ordering};

use domain::{AssignmentStatus, CaseStatus, Channel, Connection, InstitutionKind, Proceeding, Role,
    SubmissionKind};
use store::*;

static NEXT: AtomicU32 = AtomicU32::new(0);

fn unique_name() -> String {
    format!("civicline_test_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

pub(crate) async fn sqlite() -> Store {
    let dir = std::env::temp_dir().join(unique_name());
    // A directory of the same name is left over from an earlier run by a process that had this
    // pid: start empty, or the fixtures collide with its rows.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    Store::open(&Location::SqliteFile(dir.join("test.db"))).await.expect("open sqlite")
}

/// A fresh PostgreSQL database, or `None` when no server is configured.
pub(crate) async fn postgres() -> Option<Store> {
    let (store, _) = postgres_named().await?;
    Some(store)
}

/// A fresh PostgreSQL database and its name.
async fn postgres_named() -> Option<(Store, String)> {
    let admin_url = std::env::var("TEST_DATABASE_URL").ok()?;
    let name = unique_name();
    let admin = sqlx::PgPool::connect(&admin_url).await.expect("connect to TEST_DATABASE_URL");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await.expect("create db");
    admin.close().await;
    let (base, _) = admin_url.rsplit_once('/').expect("database url has a path");
    let url = format!("{base}/{name}");
    Some((Store::open(&Location::Postgres(url)).await.expect("open postgres"), name))
}

/// Instantiates a contract test for each backend.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::sqlite().await).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    // Without a server there is nothing to test; CI always sets the variable,
                    // and `postgres_is_configured_in_ci` fails there if it is missing.
                    if let Some(store) = super::postgres().await {
                        super::$name(store).await;
                    }
                }
            )*
        }
    };
}
pub(crate) use contract;

contract!(
    institutions_and_categories,
    case_gets_reference_assignments_and_history,
    a_case_reads_whole_with_its_history,
    references_are_gapless_under_concurrency,
    each_case_of_a_batch_keeps_its_citizen,
    assignment_rules_and_derived_status,
    listing_filters_and_pagination,
    officers_are_confined_to_their_institution,
    citizen_lookup_by_phone,
    import_is_all_or_nothing,
    sessions_expire_and_end,
    attachments_are_recorded,
);

/// The pool pings only connections that sat idle (see `open_postgres`): those a restart has cut
/// are replaced, not handed to a request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_reads_survive_cut_connections() {
    let Some((store, name)) = postgres_named().await else { return };
    let fixture = fixture(&store).await;
    let case = store.create_case(new_case(&fixture, "cut")).await.unwrap();
    let admin_url = std::env::var("TEST_DATABASE_URL").unwrap();
    let admin = sqlx::PgPool::connect(&admin_url).await.unwrap();
    let cut: Vec<bool> = sqlx::query_scalar("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
        .bind(&name)
        .fetch_all(&admin)
        .await
        .unwrap();
    admin.close().await;
    assert!(!cut.is_empty(), "the store had connections to cut");
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let read = store.case_with_history(&case.reference).await.unwrap().unwrap();
    assert_eq!(read.case, case);
}

#[test]
fn postgres_is_configured_in_ci() {
    if std::env::var("CI").is_ok() {
        assert!(
            std::env::var("TEST_DATABASE_URL").is_ok(),
            "CI must run the storage contract on PostgreSQL: set TEST_DATABASE_URL"
        );
    }
}

fn institution(code: &str) -> NewInstitution {
    NewInstitution {
        code: code.to_owned(),
        name_bg: format!("Институция {code}"),
        name_en: format!("Institution {code}"),
        kind: InstitutionKind::MunicipalDepartment,
        connection: Connection::Workspace,
        email: None,
        phone: None,
        webhook_url: None,
        active: true,
    }
}

pub(crate) struct Fixture {
    pub(crate) social: Institution,
    pub(crate) directorate: Institution,
    pub(crate) category: Category,
}

pub(crate) async fn fixture(store: &Store) -> Fixture {
    let social = store.create_institution(&institution("social")).await.unwrap();
    let mut directorate = institution("asd");
    directorate.kind = InstitutionKind::CentralBody;
    directorate.connection = Connection::Email;
    let directorate = store.create_institution(&directorate).await.unwrap();
    let category = store
        .create_category(&NewCategory {
            code: "social-help".into(),
            parent_id: None,
            name_bg: "Социална помощ".into(),
            name_en: "Social assistance".into(),
            submission_kind: SubmissionKind::Signal,
            deadline_rule: None,
            institutions: vec![social.id, directorate.id],
        })
        .await
        .unwrap();
    Fixture { social, directorate, category }
}

pub(crate) fn new_case(fixture: &Fixture, description: &str) -> NewCase {
    NewCase {
        prefix: "PLV".into(),
        year: 2026,
        channel: Channel::Phone,
        category_id: fixture.category.id,
        submission_kind: SubmissionKind::Signal,
        proceeding: Proceeding::Formal,
        description: description.to_owned(),
        address: Some("ул. Гладстон 1".into()),
        district: Some("Централен".into()),
        latitude: Some(42.1354),
        longitude: Some(24.7453),
        citizen: Some(NewCitizen {
            name: Some("Мария Иванова".into()),
            phone: Some("+359888123456".into()),
            email: None,
            consent_contact: true,
        }),
        received_on: "2026-03-02".into(),
        assignments: fixture
            .category
            .institutions
            .iter()
            .map(|id| NewAssignment { institution_id: *id, deadline: "2026-05-04".into() })
            .collect(),
        actor_user_id: None,
        tracking_code: "secret".into(),
    }
}

async fn institutions_and_categories(store: Store) {
    let fixture = fixture(&store).await;
    assert_eq!(store.institutions().await.unwrap().len(), 2);
    let again = store.create_institution(&institution("social")).await;
    assert!(matches!(again, Err(Error::Conflict(_))), "duplicate code: {again:?}");

    // Moving an institution to another connection level keeps its id and its cases.
    let case = store.create_case(new_case(&fixture, "test")).await.unwrap();
    let mut moved = institution("asd");
    moved.connection = Connection::Api;
    moved.kind = InstitutionKind::CentralBody;
    let updated = store.update_institution(fixture.directorate.id, &moved).await.unwrap();
    assert_eq!(updated.connection, Connection::Api);
    let case = store.case_by_reference(&case.reference).await.unwrap().unwrap();
    assert!(case.institution_ids().contains(&fixture.directorate.id));

    let category = store.category_by_code("social-help").await.unwrap().unwrap();
    assert_eq!(category.institutions, vec![fixture.social.id, fixture.directorate.id]);
    assert_eq!(store.categories().await.unwrap(), vec![category]);
    let unknown = store
        .create_category(&NewCategory {
            code: "x".into(),
            parent_id: None,
            name_bg: "x".into(),
            name_en: "x".into(),
            submission_kind: SubmissionKind::Proposal,
            deadline_rule: None,
            institutions: vec![9999],
        })
        .await;
    assert!(matches!(unknown, Err(Error::Conflict(_))), "unknown institution: {unknown:?}");
    assert!(store.category_by_code("x").await.unwrap().is_none(), "no partial write");
}

async fn case_gets_reference_assignments_and_history(store: Store) {
    let fixture = fixture(&store).await;
    let case = store.create_case(new_case(&fixture, "Нужда от социална помощ")).await.unwrap();
    assert_eq!(case.reference, "PLV-2026-000001");
    assert_eq!(case.status, CaseStatus::New);
    assert_eq!(case.assignments.len(), 2);
    assert!(case.assignments.iter().all(|a| a.status == AssignmentStatus::New));
    assert_eq!(case.citizen.as_ref().unwrap().name.as_deref(), Some("Мария Иванова"));

    let read = store.case_by_reference("PLV-2026-000001").await.unwrap().unwrap();
    assert_eq!(read, case);
    let events = store.case_events(case.id).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "registered");

    let note = store
        .add_case_event(&NewCaseEvent {
            case_id: case.id,
            institution_id: None,
            actor_user_id: None,
            kind: "note".into(),
            public: false,
            body: "вътрешна бележка".into(),
        })
        .await
        .unwrap();
    assert!(!note.public);
    assert_eq!(store.case_events(case.id).await.unwrap().len(), 2);

    let second = store.create_case(new_case(&fixture, "second")).await.unwrap();
    assert_eq!(second.reference, "PLV-2026-000002");
    let mut next_year = new_case(&fixture, "next year");
    next_year.year = 2027;
    let next_year = store.create_case(next_year).await.unwrap();
    assert_eq!(next_year.reference, "PLV-2027-000001");

    let mut bad = new_case(&fixture, "bad category");
    bad.category_id = 4242;
    assert!(store.create_case(bad).await.is_err());
    let third = store.create_case(new_case(&fixture, "third")).await.unwrap();
    assert_eq!(third.reference, "PLV-2026-000003", "a failed creation must not burn a number");
}

async fn a_case_reads_whole_with_its_history(store: Store) {
    let fixture = fixture(&store).await;
    let officer = store
        .create_user(&NewUser {
            username: "officer".into(),
            display_name: "Служител".into(),
            role: Role::Officer,
            institution_id: Some(fixture.social.id),
            password_hash: "$argon2id$fake".into(),
        })
        .await
        .unwrap();
    // Text that JSON must escape comes back unchanged: the children travel as JSON.
    let awkward = "\"кавички\", \\ и\nнов ред\t{\"a\": [1]} \u{1F333}";
    let case = store.create_case(new_case(&fixture, awkward)).await.unwrap();
    store
        .add_case_event(&NewCaseEvent {
            case_id: case.id,
            institution_id: Some(fixture.social.id),
            actor_user_id: Some(officer.id),
            kind: "note".into(),
            public: false,
            body: awkward.into(),
        })
        .await
        .unwrap();
    let accept = AssignmentChange {
        case_id: case.id,
        institution_id: fixture.social.id,
        to: AssignmentStatus::Accepted,
        actor_user_id: Some(officer.id),
        reason: None,
        forward_to: None,
    };
    store.change_assignment(&accept).await.unwrap();

    let read = store.case_with_history(&case.reference).await.unwrap().unwrap();
    assert_eq!(read.case, store.case_by_reference(&case.reference).await.unwrap().unwrap());
    assert_eq!(read.history, store.case_events(case.id).await.unwrap());
    assert_eq!(read.case.description, awkward);
    assert_eq!(read.case.status, CaseStatus::InProgress);
    let statuses: Vec<AssignmentStatus> = read.case.assignments.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [AssignmentStatus::Accepted, AssignmentStatus::New], "by id");
    let kinds: Vec<&str> = read.history.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["registered", "note", "status"], "oldest first");
    let note = &read.history[1];
    assert_eq!((note.public, note.body.as_str()), (false, awkward));
    assert_eq!((note.institution_id, note.actor_user_id), (Some(fixture.social.id), Some(officer.id)));
    assert_eq!((read.history[0].public, read.history[0].institution_id), (true, None));

    // No assignments and no citizen: empty children, not an error, on both backends.
    let mut bare = new_case(&fixture, "bare");
    bare.assignments.clear();
    bare.citizen = None;
    let bare = store.create_case(bare).await.unwrap();
    let read = store.case_with_history(&bare.reference).await.unwrap().unwrap();
    assert_eq!(read.case, bare);
    assert!(read.case.assignments.is_empty() && read.case.citizen.is_none());
    assert_eq!(read.history.len(), 1);

    assert!(store.case_with_history("PLV-2026-999999").await.unwrap().is_none());
    assert!(store.case_by_reference("PLV-2026-999999").await.unwrap().is_none());
}

async fn references_are_gapless_under_concurrency(store: Store) {
    let fixture = fixture(&store).await;
    let template = new_case(&fixture, "concurrent");
    let mut tasks = Vec::new();
    for i in 0..300 {
        let store = store.clone();
        let mut new = template.clone();
        if i % 50 == 7 {
            new.category_id = 999_999; // a few fail; they must not leave gaps
        }
        tasks.push(tokio::spawn(async move { store.create_case_fast(new).await }));
    }
    let mut seqs = Vec::new();
    let mut failed = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(created) => seqs.push(domain::Reference::parse(&created.reference).unwrap().seq),
            Err(_) => failed += 1,
        }
    }
    seqs.sort();
    assert_eq!(failed, 6);
    assert_eq!(seqs, (1..=294).collect::<Vec<u32>>());
}

/// Concurrent creations share one transaction and one multi-row insert of their citizens; each
/// case must still point at the citizen it was submitted with, twins included.
async fn each_case_of_a_batch_keeps_its_citizen(store: Store) {
    let fixture = fixture(&store).await;
    let template = new_case(&fixture, "batch");
    let mut tasks = Vec::new();
    for i in 0..200u32 {
        let store = store.clone();
        let mut new = template.clone();
        // Every fifth is anonymous; the others come in pairs of identical citizens.
        new.citizen = (i % 5 != 0).then(|| NewCitizen {
            name: Some(format!("Citizen {}", i / 2)),
            phone: (i % 3 == 0).then(|| format!("+35988800{:04}", i / 2)),
            email: (i % 3 != 0).then(|| format!("c{}@example.bg", i / 2)),
            consent_contact: i % 4 == 0,
        });
        new.description = format!("batch {i}");
        let expected = new.citizen.clone();
        tasks.push(tokio::spawn(async move { (store.create_case_fast(new).await, expected) }));
    }
    let mut citizen_ids = std::collections::HashSet::new();
    for task in tasks {
        let (created, expected) = task.await.unwrap();
        let case = store.case_by_reference(&created.unwrap().reference).await.unwrap().unwrap();
        let got = case.citizen.map(|c| {
            assert!(citizen_ids.insert(c.id), "citizen row {} shared by two cases", c.id);
            NewCitizen { name: c.name, phone: c.phone, email: c.email, consent_contact: c.consent_contact }
        });
        assert_eq!(got, expected, "{}", case.description);
    }
    assert_eq!(citizen_ids.len(), 160);
}

async fn assignment_rules_and_derived_status(store: Store) {
    let fixture = fixture(&store).await;
    let case = store.create_case(new_case(&fixture, "rules")).await.unwrap();
    let change = |institution_id, to, reason: Option<&str>| AssignmentChange {
        case_id: case.id,
        institution_id,
        to,
        actor_user_id: None,
        reason: reason.map(str::to_owned),
        forward_to: None,
    };
    let social = fixture.social.id;
    let asd = fixture.directorate.id;

    let declined = store.change_assignment(&change(social, AssignmentStatus::Declined, None)).await;
    assert!(matches!(declined, Err(Error::Rule(_))), "{declined:?}");

    let case_now = store.change_assignment(&change(social, AssignmentStatus::Accepted, None)).await.unwrap();
    assert_eq!(case_now.status, CaseStatus::InProgress);
    let back = store.change_assignment(&change(social, AssignmentStatus::New, None)).await;
    assert!(matches!(back, Err(Error::Rule(_))), "{back:?}");

    let case_now = store.change_assignment(&change(social, AssignmentStatus::Done, None)).await.unwrap();
    assert_eq!(case_now.status, CaseStatus::InProgress, "one institution still works");

    // The directorate is not competent and forwards to a third institution.
    let police = store.create_institution(&institution("police")).await.unwrap();
    let mut forward = change(asd, AssignmentStatus::Forwarded, Some("не е в компетентност"));
    forward.forward_to = Some(NewAssignment { institution_id: police.id, deadline: "2026-03-11".into() });
    let case_now = store.change_assignment(&forward).await.unwrap();
    assert_eq!(case_now.assignments.len(), 3);
    assert_eq!(case_now.status, CaseStatus::InProgress);

    let case_now = store.change_assignment(&change(police.id, AssignmentStatus::Done, None)).await.unwrap();
    assert_eq!(case_now.status, CaseStatus::Resolved);

    // A disputed resolution reopens the assignment and the case.
    let case_now = store.change_assignment(&change(social, AssignmentStatus::InProgress, None)).await.unwrap();
    assert_eq!(case_now.status, CaseStatus::InProgress);

    let missing = store.change_assignment(&change(4242, AssignmentStatus::Done, None)).await;
    assert!(matches!(missing, Err(Error::NotFound)), "{missing:?}");

    let kinds: Vec<String> =
        store.case_events(case.id).await.unwrap().into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds, ["registered", "status", "status", "status", "assigned", "status", "status"]);
}

async fn listing_filters_and_pagination(store: Store) {
    let fixture = fixture(&store).await;
    for i in 0..25 {
        let mut new = new_case(&fixture, &format!("Счупена УЛИЧНА лампа номер {i}"));
        if i % 5 == 0 {
            new.assignments[0].deadline = "2026-01-10".into();
        }
        store.create_case(new).await.unwrap();
    }
    store.create_case(new_case(&fixture, "Дупка на пътя 100% сигурно")).await.unwrap();

    let all = CaseFilter { limit: 10, ..CaseFilter::default() };
    let page1 = store.list_cases(&all).await.unwrap();
    assert_eq!(page1.len(), 10);
    assert_eq!(page1[0].reference, "PLV-2026-000026", "newest first");
    let page2 = store
        .list_cases(&CaseFilter { before_id: Some(page1[9].id), ..all.clone() })
        .await
        .unwrap();
    assert_eq!(page2[0].reference, "PLV-2026-000016");

    let text = CaseFilter { text: Some("улична лампа".into()), limit: 100, ..CaseFilter::default() };
    assert_eq!(store.list_cases(&text).await.unwrap().len(), 25, "case-insensitive Cyrillic");
    let percent = CaseFilter { text: Some("100%".into()), limit: 100, ..CaseFilter::default() };
    assert_eq!(store.list_cases(&percent).await.unwrap().len(), 1);
    let wildcard = CaseFilter { text: Some("%".into()), limit: 100, ..CaseFilter::default() };
    assert_eq!(store.list_cases(&wildcard).await.unwrap().len(), 1, "% is literal");

    let overdue = CaseFilter { overdue_on: Some("2026-02-01".into()), limit: 100, ..CaseFilter::default() };
    let overdue = store.list_cases(&overdue).await.unwrap();
    assert_eq!(overdue.len(), 5);
    assert_eq!(overdue[0].next_deadline.as_deref(), Some("2026-01-10"));

    let resolved = CaseFilter { status: Some(CaseStatus::Resolved), limit: 100, ..CaseFilter::default() };
    assert!(store.list_cases(&resolved).await.unwrap().is_empty());
    let future = CaseFilter { created_from: Some(i64::MAX - 1), limit: 100, ..CaseFilter::default() };
    assert!(store.list_cases(&future).await.unwrap().is_empty());
}

async fn officers_are_confined_to_their_institution(store: Store) {
    let fixture = fixture(&store).await;
    let other = store.create_institution(&institution("parks")).await.unwrap();
    let parks = store
        .create_category(&NewCategory {
            code: "parks".into(),
            parent_id: None,
            name_bg: "Паркове".into(),
            name_en: "Parks".into(),
            submission_kind: SubmissionKind::ServiceRequest,
            deadline_rule: None,
            institutions: vec![other.id],
        })
        .await
        .unwrap();
    store.create_case(new_case(&fixture, "social")).await.unwrap();
    let mut park_case = new_case(&fixture, "park");
    park_case.category_id = parks.id;
    park_case.assignments = vec![NewAssignment { institution_id: other.id, deadline: "2026-04-01".into() }];
    store.create_case(park_case).await.unwrap();

    let scoped = CaseFilter { scope_institution: Some(other.id), limit: 100, ..CaseFilter::default() };
    let seen = store.list_cases(&scoped).await.unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].category_id, parks.id);
    let by_institution =
        CaseFilter { institution_id: Some(fixture.social.id), limit: 100, ..CaseFilter::default() };
    assert_eq!(store.list_cases(&by_institution).await.unwrap().len(), 1);
}

async fn citizen_lookup_by_phone(store: Store) {
    let fixture = fixture(&store).await;
    store.create_case(new_case(&fixture, "one")).await.unwrap();
    let mut anonymous = new_case(&fixture, "anonymous");
    anonymous.citizen = None;
    anonymous.proceeding = Proceeding::InformationOnly;
    store.create_case(anonymous).await.unwrap();
    let found = store.citizens_by_phone("+359888123456").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].cases.len(), 1);
    assert_eq!(found[0].cases[0].reference, "PLV-2026-000001");
    assert!(store.citizens_by_phone("+359000").await.unwrap().is_empty());
}

async fn import_is_all_or_nothing(store: Store) {
    let good = ImportBatch {
        institutions: vec![institution("a"), institution("b")],
        categories: vec![ImportCategory {
            code: "c".into(),
            parent_code: None,
            name_bg: "в".into(),
            name_en: "c".into(),
            submission_kind: SubmissionKind::Proposal,
            deadline_rule: Some("months:2".into()),
            institution_codes: vec!["a".into(), "b".into()],
        }],
        users: vec![ImportUser {
            username: "officer".into(),
            display_name: "Officer".into(),
            role: Role::Officer,
            institution_code: Some("a".into()),
            password_hash: "$argon2id$fake".into(),
        }],
    };
    let mut bad = good.clone();
    bad.institutions.push(institution("z"));
    bad.categories[0].institution_codes.push("missing".into());
    assert!(store.import(&bad).await.is_err());
    assert!(store.institutions().await.unwrap().is_empty(), "nothing imported");

    let summary = store.import(&good).await.unwrap();
    assert_eq!((summary.institutions, summary.categories, summary.users), (2, 1, 1));
    // Importing again updates in place.
    store.import(&good).await.unwrap();
    assert_eq!(store.institutions().await.unwrap().len(), 2);
    let user = store.user_by_username("officer").await.unwrap().unwrap();
    assert_eq!(user.role, Role::Officer);
    assert!(user.institution_id.is_some());
}

async fn sessions_expire_and_end(store: Store) {
    let user = store
        .create_user(&NewUser {
            username: "agent".into(),
            display_name: "Агент".into(),
            role: Role::Agent,
            institution_id: None,
            password_hash: "$argon2id$fake".into(),
        })
        .await
        .unwrap();
    store.create_session("live", user.id, i64::MAX).await.unwrap();
    store.create_session("expired", user.id, 1).await.unwrap();
    assert_eq!(store.session_user("live").await.unwrap().map(|u| u.id), Some(user.id));
    assert!(store.session_user("expired").await.unwrap().is_none());
    store.delete_session("live").await.unwrap();
    assert!(store.session_user("live").await.unwrap().is_none());
    let duplicate = store
        .create_user(&NewUser {
            username: "agent".into(),
            display_name: "x".into(),
            role: Role::Agent,
            institution_id: None,
            password_hash: "x".into(),
        })
        .await;
    assert!(matches!(duplicate, Err(Error::Conflict(_))));
}

async fn attachments_are_recorded(store: Store) {
    let fixture = fixture(&store).await;
    let case = store.create_case(new_case(&fixture, "photo")).await.unwrap();
    let attachment = store
        .add_attachment(&NewAttachment {
            case_id: case.id,
            sha256: "ab".repeat(32),
            filename: "lamp.jpg".into(),
            content_type: "image/jpeg".into(),
            size: 1234,
            public: true,
            actor_user_id: None,
        })
        .await
        .unwrap();
    assert_eq!(store.attachments(case.id).await.unwrap(), vec![attachment.clone()]);
    assert_eq!(store.attachment(attachment.id).await.unwrap(), Some(attachment));
    let events = store.case_events(case.id).await.unwrap();
    assert_eq!(events.last().unwrap().kind, "attachment");
}
