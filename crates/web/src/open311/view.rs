//! Store values as GeoReport v2 elements: services, service definitions, service requests.
//!
//! Every request passes through [`request_node`], which applies the rules of
//! [`super::privacy`]: nothing personal leaves, whichever channel the case came from.

use std::collections::HashMap;

use calendar::{Date, DeadlineRule};
use domain::{CaseStatus, Channel};

use super::format::Node;
use super::{Lang, privacy, w3c};

/// The service description and notice: how long the institutions have to answer.
pub(crate) fn deadline_notice(rule: DeadlineRule, lang: Lang) -> String {
    match (lang, rule) {
        (Lang::Bg, DeadlineRule::Months(1)) => "Отговор в срок до 1 месец".into(),
        (Lang::Bg, DeadlineRule::Months(n)) => format!("Отговор в срок до {n} месеца"),
        (Lang::Bg, DeadlineRule::CalendarDays(1)) => "Отговор в срок до 1 ден".into(),
        (Lang::Bg, DeadlineRule::CalendarDays(n)) => format!("Отговор в срок до {n} дни"),
        (Lang::Bg, DeadlineRule::WorkingDays(1)) => "Отговор в срок до 1 работен ден".into(),
        (Lang::Bg, DeadlineRule::WorkingDays(n)) => format!("Отговор в срок до {n} работни дни"),
        (Lang::En, DeadlineRule::Months(1)) => "Answered within 1 month".into(),
        (Lang::En, DeadlineRule::Months(n)) => format!("Answered within {n} months"),
        (Lang::En, DeadlineRule::CalendarDays(1)) => "Answered within 1 day".into(),
        (Lang::En, DeadlineRule::CalendarDays(n)) => format!("Answered within {n} days"),
        (Lang::En, DeadlineRule::WorkingDays(1)) => "Answered within 1 working day".into(),
        (Lang::En, DeadlineRule::WorkingDays(n)) => format!("Answered within {n} working days"),
    }
}

/// The deadline rule a category's cases get.
pub(crate) fn category_rule(category: &store::Category) -> DeadlineRule {
    category
        .deadline_rule
        .as_deref()
        .and_then(domain::parse_deadline_rule)
        .unwrap_or_else(|| domain::default_deadline(category.submission_kind))
}

pub(crate) fn category_name(category: &store::Category, lang: Lang) -> String {
    lang.pick(&category.name_bg, &category.name_en).to_owned()
}

/// One `<service>` of the service list.
pub(crate) fn service_node(
    category: &store::Category,
    parent: Option<&store::Category>,
    has_attributes: bool,
    lang: Lang,
) -> Node {
    // Keywords are synonyms: the name in the other language helps a search either way.
    let other_name = match lang {
        Lang::Bg => &category.name_en,
        Lang::En => &category.name_bg,
    };
    Node::object(vec![
        ("service_code", Node::text(category.code.clone())),
        ("service_name", Node::text(category_name(category, lang))),
        ("description", Node::text(deadline_notice(category_rule(category), lang))),
        ("metadata", Node::Bool(has_attributes)),
        ("type", Node::text("realtime")),
        ("keywords", Node::text(other_name.clone())),
        ("group", Node::optional_text(parent.map(|parent| category_name(parent, lang)))),
    ])
}

/// A `<service_definition>`.
pub(crate) fn definition_node(code: &str, attributes: &[store::CategoryAttribute], lang: Lang) -> Node {
    let attributes = attributes
        .iter()
        .map(|attribute| {
            let mut fields = vec![
                ("variable", Node::Bool(attribute.variable)),
                ("code", Node::text(attribute.code.clone())),
                ("datatype", Node::text(attribute.datatype.as_str())),
                ("required", Node::Bool(attribute.required)),
                (
                    "datatype_description",
                    Node::optional_text(match lang {
                        Lang::Bg => attribute.datatype_description_bg.clone(),
                        Lang::En => attribute.datatype_description_en.clone(),
                    }),
                ),
                ("order", Node::Int(attribute.order)),
                ("description", Node::text(lang.pick(&attribute.description_bg, &attribute.description_en))),
            ];
            if attribute.datatype.is_list() {
                let values = attribute
                    .values
                    .iter()
                    .map(|value| {
                        Node::object(vec![
                            ("key", Node::text(value.key.clone())),
                            ("name", Node::text(lang.pick(&value.name_bg, &value.name_en))),
                        ])
                    })
                    .collect();
                fields.push(("values", Node::List { item: "value", items: values }));
            }
            Node::object(fields)
        })
        .collect();
    Node::object(vec![
        ("service_code", Node::text(code)),
        ("attributes", Node::List { item: "attribute", items: attributes }),
    ])
}

/// What a service request is read against.
pub(crate) struct Context<'a> {
    pub(crate) lang: Lang,
    pub(crate) categories: &'a HashMap<i64, store::Category>,
    pub(crate) institutions: &'a HashMap<i64, store::Institution>,
}

impl Context<'_> {
    fn institution_name(&self, id: i64) -> Option<String> {
        self.institutions.get(&id).map(|institution| self.lang.pick(&institution.name_bg, &institution.name_en).to_owned())
    }

    fn assignment_status(&self, status: domain::AssignmentStatus) -> &'static str {
        use domain::AssignmentStatus::*;
        match (self.lang, status) {
            (Lang::Bg, New) => "прието за разглеждане",
            (Lang::Bg, Accepted) => "прието",
            (Lang::Bg, InProgress) => "в процес",
            (Lang::Bg, Done) => "приключено",
            (Lang::Bg, Declined) => "отказано като некомпетентност",
            (Lang::Bg, Forwarded) => "препратено по компетентност",
            (Lang::En, New) => "received",
            (Lang::En, Accepted) => "accepted",
            (Lang::En, InProgress) => "in progress",
            (Lang::En, Done) => "done",
            (Lang::En, Declined) => "declined as not competent",
            (Lang::En, Forwarded) => "forwarded to the competent body",
        }
    }
}

/// The GeoReport status of a case: only `open` or `closed`.
pub(crate) fn open311_status(status: CaseStatus) -> &'static str {
    match status {
        CaseStatus::New | CaseStatus::InProgress => "open",
        CaseStatus::Resolved => "closed",
    }
}

/// One `<request>` of GET requests, with the extensions when `events` is given.
pub(crate) fn request_node(
    context: &Context<'_>,
    request: &store::Open311Request,
    events: Option<&[store::PublicEvent]>,
) -> Node {
    let lang = context.lang;
    // Text, place and media only when an Open311 client published them itself.
    let published = request.channel == Channel::Open311;
    let category = context.categories.get(&request.category_id);
    let live: Vec<&store::Assignment> =
        request.assignments.iter().filter(|a| a.status.is_live()).collect();
    let agencies: Vec<String> = live.iter().filter_map(|a| context.institution_name(a.institution_id)).collect();
    // Status notes come from the assignments, never from staff's free text, which may address
    // the citizen by name.
    let status_notes: Vec<String> = request
        .assignments
        .iter()
        .filter_map(|a| {
            let name = context.institution_name(a.institution_id)?;
            Some(format!("{name}: {}", context.assignment_status(a.status)))
        })
        .collect();
    let expected = request
        .assignments
        .iter()
        .filter(|a| !a.status.is_closed())
        .filter_map(|a| a.deadline.parse::<Date>().ok())
        .min()
        .and_then(w3c::end_of_day);
    let mut fields = vec![
        ("service_request_id", Node::text(request.reference.clone())),
        ("status", Node::text(open311_status(request.status))),
        ("status_notes", if status_notes.is_empty() { Node::Null } else { Node::text(status_notes.join("; ")) }),
        ("service_name", Node::optional_text(category.map(|c| category_name(c, lang)))),
        ("service_code", Node::optional_text(category.map(|c| c.code.clone()))),
        ("description", Node::optional_text(published.then(|| privacy::redact(&request.description)))),
        ("agency_responsible", if agencies.is_empty() { Node::Null } else { Node::text(agencies.join("; ")) }),
        ("service_notice", Node::optional_text(category.map(|c| deadline_notice(category_rule(c), lang)))),
        ("requested_datetime", Node::optional_text(w3c::format(request.created_at))),
        ("updated_datetime", Node::optional_text(w3c::format(request.updated_at))),
        ("expected_datetime", Node::optional_text(expected)),
        ("address", Node::optional_text(request.address.as_deref().filter(|_| published).map(privacy::redact))),
        ("address_id", Node::optional_text(request.address_id.clone().filter(|_| published))),
        ("zipcode", Node::Null),
        ("lat", request.latitude.filter(|_| published).map_or(Node::Null, Node::Float)),
        ("long", request.longitude.filter(|_| published).map_or(Node::Null, Node::Float)),
        ("media_url", Node::optional_text(request.media_url.clone().filter(|_| published))),
    ];
    if let Some(events) = events {
        fields.extend(extensions(context, request, published, events));
    }
    Node::object(fields)
}

/// The `extensions=true` fields: submitted attributes, extended attributes and public notes.
fn extensions(
    context: &Context<'_>,
    request: &store::Open311Request,
    published: bool,
    events: &[store::PublicEvent],
) -> Vec<(&'static str, Node)> {
    let attributes = if published {
        request
            .attributes
            .iter()
            .map(|attribute| {
                Node::object(vec![
                    ("code", Node::text(attribute.code.clone())),
                    ("value", Node::text(privacy::redact(&attribute.value))),
                ])
            })
            .collect()
    } else {
        Vec::new()
    };
    let extended = Node::object(vec![
        ("channel", Node::text(request.channel.as_str())),
        ("token", Node::optional_text(request.token.clone().filter(|_| published))),
    ]);
    let notes = events
        .iter()
        .filter(|event| event.case_id == request.case_id)
        .map(|event| {
            Node::object(vec![
                ("datetime", Node::optional_text(w3c::format(event.at))),
                ("type", Node::text(event.kind.clone())),
                ("description", Node::optional_text(note_text(event))),
                ("agency", Node::optional_text(event.institution_id.and_then(|id| context.institution_name(id)))),
            ])
        })
        .collect();
    vec![
        ("attributes", Node::List { item: "attribute", items: attributes }),
        ("extended_attributes", extended),
        ("notes", Node::List { item: "note", items: notes }),
    ]
}

/// The text of a public event that carries no free text of a person: system lines only. A status
/// change loses its reason; an update written by staff is left out.
fn note_text(event: &store::PublicEvent) -> Option<String> {
    match event.kind.as_str() {
        "registered" | "assigned" | "attachment" => Some(event.body.clone()),
        "status" => Some(event.body.split(": ").next().unwrap_or_default().to_owned()),
        _ => None,
    }
}
