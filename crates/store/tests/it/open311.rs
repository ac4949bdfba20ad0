//! The Open311 storage contract: API keys, service attributes, the details of reported requests,
//! tokens, and the public listing with its filters. Runs on SQLite and, with `TEST_DATABASE_URL`,
//! on PostgreSQL, like the rest of the storage contract.

use domain::{AssignmentStatus, CaseStatus, Channel};
use store::*;

use crate::contract::{contract, fixture, new_case, postgres, sqlite};

contract!(
    open311_keys_are_issued_found_and_revoked,
    category_attributes_are_replaced_whole,
    open311_request_details_and_tokens,
    open311_listing_filters_and_pages,
);

fn key(client: &str, hash: &str) -> NewOpen311Key {
    NewOpen311Key { client_name: client.into(), key_hash: hash.into(), key_prefix: hash[..4].into(), created_by: None }
}

async fn open311_keys_are_issued_found_and_revoked(store: Store) {
    let first = store.create_open311_key(&key("FixMyStreet", "aaaa1111")).await.unwrap();
    let second = store.create_open311_key(&key("Mobile app", "bbbb2222")).await.unwrap();
    assert_eq!((first.key_prefix.as_str(), first.active, first.last_used_at), ("aaaa", true, None));
    let again = store.create_open311_key(&key("Copy", "aaaa1111")).await;
    assert!(matches!(again, Err(Error::Conflict(_))), "duplicate hash: {again:?}");
    assert_eq!(store.open311_keys().await.unwrap(), vec![first.clone(), second.clone()]);
    assert_eq!(store.open311_key_by_hash("bbbb2222").await.unwrap(), Some(second.clone()));
    assert_eq!(store.open311_key_by_hash("cccc3333").await.unwrap(), None);

    let revoked = store.set_open311_key_active(second.id, false).await.unwrap();
    assert!(!revoked.active);
    assert_eq!(store.open311_key_by_hash("bbbb2222").await.unwrap(), Some(revoked.clone()));
    assert!(store.set_open311_key_active(second.id, true).await.unwrap().active);
    assert!(matches!(store.set_open311_key_active(9_999, false).await, Err(Error::NotFound)));
}

fn attribute(code: &str, datatype: AttributeDatatype, order: i64, values: &[&str]) -> CategoryAttribute {
    CategoryAttribute {
        code: code.into(),
        datatype,
        variable: true,
        required: order == 1,
        order,
        description_bg: format!("{code} bg"),
        description_en: format!("{code} en"),
        datatype_description_bg: None,
        datatype_description_en: Some(format!("{code} help")),
        values: values
            .iter()
            .map(|key| AttributeValue { key: (*key).into(), name_bg: format!("{key} bg"), name_en: format!("{key} en") })
            .collect(),
    }
}

async fn category_attributes_are_replaced_whole(store: Store) {
    let fixture = fixture(&store).await;
    let category = fixture.category.id;
    assert_eq!(store.category_attributes(category).await.unwrap(), vec![]);
    assert_eq!(store.categories_with_attributes().await.unwrap(), Vec::<i64>::new());
    let before = store.open311_changeset().await.unwrap();
    assert!(before > 0, "categories exist, so there is a changeset");

    let list = vec![
        attribute("SIZE", AttributeDatatype::SingleValueList, 1, &["small", "large", "huge"]),
        attribute("LANES", AttributeDatatype::MultiValueList, 2, &["right", "left"]),
        attribute("NOTE", AttributeDatatype::Text, 3, &[]),
    ];
    // Stored in form order whatever the order given; list values keep theirs.
    let reversed: Vec<CategoryAttribute> = list.iter().rev().cloned().collect();
    assert_eq!(store.set_category_attributes(category, &reversed).await.unwrap(), list);
    assert_eq!(store.category_attributes(category).await.unwrap(), list);
    assert_eq!(store.categories_with_attributes().await.unwrap(), vec![category]);
    let set = store.open311_changeset().await.unwrap();
    assert!(set >= before);

    // Replacing drops what is not in the new list, values included.
    let smaller = vec![attribute("SIZE", AttributeDatatype::SingleValueList, 1, &["large"])];
    assert_eq!(store.set_category_attributes(category, &smaller).await.unwrap(), smaller);
    // A failing replacement changes nothing.
    let clash = vec![
        attribute("A", AttributeDatatype::Number, 1, &[]),
        attribute("A", AttributeDatatype::Number, 2, &[]),
    ];
    assert!(matches!(store.set_category_attributes(category, &clash).await, Err(Error::Conflict(_))));
    assert_eq!(store.category_attributes(category).await.unwrap(), smaller);
    assert!(matches!(store.set_category_attributes(9_999, &smaller).await, Err(Error::NotFound)));

    assert_eq!(store.set_category_attributes(category, &[]).await.unwrap(), vec![]);
    assert_eq!(store.categories_with_attributes().await.unwrap(), Vec::<i64>::new());
    assert!(store.open311_changeset().await.unwrap() >= set, "removing every attribute is a change too");
}

async fn open311_request_details_and_tokens(store: Store) {
    let fixture = fixture(&store).await;
    let client = store.create_open311_key(&key("FixMyStreet", "aaaa1111")).await.unwrap();
    let mut reported = new_case(&fixture, "Дупка");
    reported.channel = Channel::Open311;
    let case = store.create_case(reported).await.unwrap();
    let details = NewOpen311Request {
        case_id: case.id,
        key_id: client.id,
        token: "token-1".into(),
        address_id: Some("ADDR-9".into()),
        media_url: Some("https://photos.example/1.jpg".into()),
        device_id: Some("device".into()),
        account_id: Some("account".into()),
        attributes: vec![
            CaseAttribute { code: "LANES".into(), value: "left".into() },
            CaseAttribute { code: "LANES".into(), value: "right".into() },
            CaseAttribute { code: "SIZE".into(), value: "large".into() },
        ],
    };
    store.record_open311_request(&details).await.unwrap();
    // One case, one Open311 record, one token.
    assert!(store.record_open311_request(&details).await.is_err());
    assert_eq!(store.open311_reference_by_token("token-1").await.unwrap(), Some(case.reference.clone()));
    assert_eq!(store.open311_reference_by_token("token-2").await.unwrap(), None);
    let used = store.open311_key_by_hash("aaaa1111").await.unwrap().unwrap();
    assert!(used.last_used_at.is_some());

    let filter = Open311Filter { references: Some(vec![case.reference.clone()]), limit: 10, ..Default::default() };
    let found = store.open311_requests(&filter).await.unwrap();
    assert_eq!(found.len(), 1);
    let request = &found[0];
    assert_eq!(
        (request.channel, request.status, request.token.as_deref(), request.address_id.as_deref()),
        (Channel::Open311, CaseStatus::New, Some("token-1"), Some("ADDR-9"))
    );
    assert_eq!(request.media_url.as_deref(), Some("https://photos.example/1.jpg"));
    assert_eq!(request.attributes, details.attributes);
    assert_eq!(request.assignments, case.assignments);
    assert_eq!(request.last_public_update, None);

    // The newest public update is kept; internal notes never show.
    for (kind, public, body) in
        [("public_update", true, "първо"), ("note", false, "вътрешно"), ("public_update", true, "второ")]
    {
        let event = NewCaseEvent {
            case_id: case.id,
            institution_id: Some(fixture.social.id),
            actor_user_id: None,
            kind: kind.into(),
            public,
            body: body.into(),
        };
        store.add_case_event(&event).await.unwrap();
    }
    let found = store.open311_requests(&filter).await.unwrap();
    assert_eq!(found[0].last_public_update.as_deref(), Some("второ"));
    let events = store.open311_public_events(&[case.id]).await.unwrap();
    let kinds: Vec<(&str, &str)> = events.iter().map(|e| (e.kind.as_str(), e.body.as_str())).collect();
    assert!(kinds.iter().all(|(kind, _)| *kind != "note"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&("public_update", "второ")));
    assert_eq!(store.open311_public_events(&[]).await.unwrap(), vec![]);
}

async fn open311_listing_filters_and_pages(store: Store) {
    let fixture = fixture(&store).await;
    let other = store
        .create_category(&NewCategory {
            code: "roads".into(),
            parent_id: None,
            name_bg: "Пътища".into(),
            name_en: "Roads".into(),
            submission_kind: domain::SubmissionKind::ServiceRequest,
            deadline_rule: None,
            institutions: vec![fixture.directorate.id],
        })
        .await
        .unwrap();
    let started = now();
    let mut cases = Vec::new();
    for (index, category) in [fixture.category.id, other.id, fixture.category.id, other.id].into_iter().enumerate() {
        let mut new = new_case(&fixture, &format!("случай {index}"));
        new.category_id = category;
        new.assignments = vec![NewAssignment { institution_id: fixture.directorate.id, deadline: "2026-05-04".into() }];
        cases.push(store.create_case(new).await.unwrap());
    }
    let after_create = now();
    // The change below must fall in a later millisecond than every creation.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    // The last one is resolved.
    store
        .change_assignment(&AssignmentChange {
            case_id: cases[3].id,
            institution_id: fixture.directorate.id,
            to: AssignmentStatus::Done,
            actor_user_id: None,
            reason: None,
            forward_to: None,
        })
        .await
        .unwrap();
    let refs = |found: Vec<Open311Request>| -> Vec<usize> {
        found.iter().map(|r| cases.iter().position(|c| c.id == r.case_id).unwrap()).collect()
    };
    let all = Open311Filter { limit: 1000, ..Default::default() };
    let list = |filter: Open311Filter| {
        let store = store.clone();
        async move { store.open311_requests(&filter).await.unwrap() }
    };
    // Newest first.
    assert_eq!(refs(list(all.clone()).await), vec![3, 2, 1, 0]);
    assert_eq!(refs(list(Open311Filter { category_ids: Some(vec![other.id]), ..all.clone() }).await), vec![3, 1]);
    assert_eq!(refs(list(Open311Filter { category_ids: Some(vec![]), ..all.clone() }).await), Vec::<usize>::new());
    let open = Some(vec![CaseStatus::New, CaseStatus::InProgress]);
    assert_eq!(refs(list(Open311Filter { statuses: open.clone(), ..all.clone() }).await), vec![2, 1, 0]);
    assert_eq!(
        refs(list(Open311Filter { statuses: Some(vec![CaseStatus::Resolved]), ..all.clone() }).await),
        vec![3]
    );
    // References override every other filter.
    let by_reference = Open311Filter {
        references: Some(vec![cases[0].reference.clone(), cases[3].reference.clone(), "PLV-2026-999999".into()]),
        statuses: open.clone(),
        category_ids: Some(vec![]),
        requested_to: Some(0),
        ..all.clone()
    };
    assert_eq!(refs(list(by_reference).await), vec![3, 0]);
    // Windows on the registration and on the last change.
    assert_eq!(refs(list(Open311Filter { requested_from: Some(started), ..all.clone() }).await), vec![3, 2, 1, 0]);
    assert_eq!(refs(list(Open311Filter { requested_to: Some(started - 1), ..all.clone() }).await), Vec::<usize>::new());
    assert_eq!(
        refs(list(Open311Filter { requested_from: Some(started), requested_to: Some(after_create), ..all.clone() }).await),
        vec![3, 2, 1, 0]
    );
    let changed = store.case_by_id(CaseCreated { id: cases[3].id, reference: String::new() }).await.unwrap().unwrap();
    assert_eq!(
        refs(list(Open311Filter { updated_from: Some(changed.updated_at), ..all.clone() }).await),
        vec![3]
    );
    assert_eq!(
        refs(list(Open311Filter { updated_to: Some(changed.updated_at - 1), ..all.clone() }).await),
        vec![2, 1, 0]
    );
    // Pages.
    assert_eq!(refs(list(Open311Filter { limit: 3, ..all.clone() }).await), vec![3, 2, 1]);
    assert_eq!(refs(list(Open311Filter { limit: 3, offset: 3, ..all.clone() }).await), vec![0]);
    assert_eq!(refs(list(Open311Filter { limit: 3, offset: 6, ..all.clone() }).await), Vec::<usize>::new());
    // Cases that did not come through Open311 have no Open311 details.
    let phone = &list(all.clone()).await[0];
    assert_eq!((phone.channel, phone.token.clone(), phone.attributes.clone()), (Channel::Phone, None, vec![]));
}
