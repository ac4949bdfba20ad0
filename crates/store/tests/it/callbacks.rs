//! Callbacks owed to citizens: a `callback_due` event without a later outcome on a case that is
//! not resolved. Runs on SQLite and, with `TEST_DATABASE_URL`, on PostgreSQL.

use domain::AssignmentStatus;
use store::*;

use crate::contract::{contract, fixture, new_case, postgres, sqlite};

contract!(pending_callbacks_are_those_without_an_outcome);

fn note(case_id: i64, kind: &str) -> NewCaseEvent {
    NewCaseEvent { case_id, institution_id: None, actor_user_id: None, kind: kind.to_owned(), public: false, body: kind.to_owned() }
}

async fn pending_callbacks_are_those_without_an_outcome(store: Store) {
    let fixture = fixture(&store).await;
    let mut cases = Vec::new();
    for description in ["owed", "done", "failed", "booked twice", "no number", "resolved"] {
        let mut new = new_case(&fixture, description);
        if description == "no number" {
            new.citizen = None;
        }
        cases.push(store.create_case(new).await.unwrap());
    }
    for case in &cases {
        store.add_case_event(&note(case.id, "callback_due")).await.unwrap();
    }
    store.add_case_event(&note(cases[1].id, "callback_done")).await.unwrap();
    store.add_case_event(&note(cases[2].id, "callback_failed")).await.unwrap();
    // Booked again after an outcome: owed again, once.
    store.add_case_event(&note(cases[3].id, "callback_failed")).await.unwrap();
    store.add_case_event(&note(cases[3].id, "callback_due")).await.unwrap();
    for institution in [fixture.social.id, fixture.directorate.id] {
        for to in [AssignmentStatus::Accepted, AssignmentStatus::Done] {
            let change = AssignmentChange {
                case_id: cases[5].id,
                institution_id: institution,
                to,
                actor_user_id: None,
                reason: None,
                forward_to: None,
            };
            store.change_assignment(&change).await.unwrap();
        }
    }
    let pending = store.pending_callbacks().await.unwrap();
    let owed: Vec<(&str, &str)> = pending.iter().map(|p| (p.description.as_str(), p.phone.as_str())).collect();
    assert_eq!(owed, [("owed", "+359888123456"), ("booked twice", "+359888123456")]);
    assert!(pending.iter().all(|p| p.requested_at > 0 && p.category == "social-help"));
}
