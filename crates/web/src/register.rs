//! Case registration, shared by every intake: the REST API, the citizens' portal, Open311 and the
//! phone switch's voicemail and callback glue (in the server crate).
//!
//! One path checks the input, resolves the category's institutions, computes each assignment's
//! statutory deadline on the working-day calendar, decides the proceeding (АПК art. 111(4)) and
//! hands the case to the store's group-commit writer. When [`register`] returns, the case is
//! durable. Field names in errors (`location.lat`, `citizen.email`, …) are the API's; other
//! intakes map them onto their own fields.

use calendar::{Date, Timestamp};
use domain::{Channel, Proceeding, SubmissionKind};

use crate::api::{optional_text, required_text, trimmed};
use crate::auth::random_token;
use crate::{AppState, Error};

/// The longest description accepted, in characters.
pub(crate) const MAX_DESCRIPTION_CHARS: usize = 10_000;

/// Today's date in Sofia.
pub(crate) fn today() -> Date {
    Timestamp::from_unix_millis(store::now()).map(|now| now.to_sofia().date).unwrap_or(Date::MIN)
}

/// Where the problem is; every part optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Location {
    pub address: Option<String>,
    pub district: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// Who submits it, as given; all blank means anonymous.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CitizenDetails {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub consent_contact: bool,
}

/// A submission to register, from any intake.
#[derive(Debug, Clone)]
pub struct Registration {
    /// Category code.
    pub category: String,
    pub description: String,
    pub channel: Channel,
    /// Overrides the category's submission kind (an agent reclassifies).
    pub submission_kind: Option<String>,
    pub location: Option<Location>,
    /// `None`: an anonymous submission.
    pub citizen: Option<CitizenDetails>,
    /// Defaults to today; agents may back-date a written submission received earlier.
    pub received_on: Option<String>,
    /// The staff member registering it; `None` for the portal and machine intakes.
    pub actor_user_id: Option<i64>,
}

/// A registered, durable case, with what was decided about it.
#[derive(Debug, Clone)]
pub struct Registered {
    pub created: store::CaseCreated,
    /// The secret that, with the reference, lets the citizen follow the case. Shown once.
    pub tracking_code: String,
    pub category: store::Category,
    pub submission_kind: SubmissionKind,
    pub proceeding: Proceeding,
    pub description: String,
    pub location: Location,
    pub received_on: Date,
    pub assignments: Vec<store::NewAssignment>,
}

/// The statutory deadline of an assignment received on `received_on`.
pub(crate) fn deadline_for(
    state: &AppState,
    category: &store::Category,
    kind: SubmissionKind,
    received_on: Date,
) -> Result<String, Error> {
    let rule = category
        .deadline_rule
        .as_deref()
        .and_then(domain::parse_deadline_rule)
        .unwrap_or_else(|| domain::default_deadline(kind));
    rule.due(&state.config.calendar, received_on)
        .map(|date| date.to_string())
        .ok_or_else(|| Error::invalid("received_on", "the deadline falls outside the calendar"))
}

pub(crate) fn validate_location(location: Option<Location>) -> Result<Location, Error> {
    let location = location.unwrap_or_default();
    match (location.lat, location.lon) {
        (None, None) => {}
        (Some(lat), Some(lon)) => {
            if !(-90.0..=90.0).contains(&lat) || !lat.is_finite() {
                return Err(Error::invalid("location.lat", "must be between -90 and 90"));
            }
            if !(-180.0..=180.0).contains(&lon) || !lon.is_finite() {
                return Err(Error::invalid("location.lon", "must be between -180 and 180"));
            }
        }
        _ => return Err(Error::invalid("location", "give both lat and lon, or neither")),
    }
    Ok(Location {
        address: optional_text("location.address", location.address, 500)?,
        district: optional_text("location.district", location.district, 100)?,
        lat: location.lat,
        lon: location.lon,
    })
}

pub(crate) fn validate_citizen(citizen: Option<CitizenDetails>) -> Result<Option<store::NewCitizen>, Error> {
    let Some(citizen) = citizen else { return Ok(None) };
    let name = optional_text("citizen.name", citizen.name, 200)?;
    let phone = match trimmed(citizen.phone) {
        None => None,
        Some(phone) => Some(
            domain::normalize_phone(&phone)
                .ok_or_else(|| Error::invalid("citizen.phone", "not a phone number"))?,
        ),
    };
    let email = optional_text("citizen.email", citizen.email, 254)?;
    if let Some(email) = &email {
        let valid = email.split_once('@').is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
            && !email.contains(char::is_whitespace);
        if !valid {
            return Err(Error::invalid("citizen.email", "not an e-mail address"));
        }
    }
    if name.is_none() && phone.is_none() && email.is_none() {
        return Ok(None);
    }
    Ok(Some(store::NewCitizen { name, phone, email, consent_contact: citizen.consent_contact }))
}

/// Checks and registers a case. On `Ok` it is committed and flushed to disk.
pub async fn register(state: &AppState, input: Registration) -> Result<Registered, Error> {
    let description = required_text("description", &input.description, MAX_DESCRIPTION_CHARS)?;
    let category = state
        .store
        .category_by_code(input.category.trim())
        .await?
        .filter(|c| c.active)
        .ok_or_else(|| Error::invalid("category", "no such category"))?;
    let submission_kind = match trimmed(input.submission_kind) {
        None => category.submission_kind,
        Some(kind) => SubmissionKind::parse(&kind)
            .ok_or_else(|| Error::invalid("submission_kind", "unknown submission kind"))?,
    };
    let today = today();
    let received_on = match trimmed(input.received_on) {
        None => today,
        Some(text) => {
            let date: Date = text.parse().map_err(|_| Error::invalid("received_on", "use YYYY-MM-DD"))?;
            if date > today {
                return Err(Error::invalid("received_on", "must not be in the future"));
            }
            date
        }
    };
    let location = validate_location(input.location)?;
    let citizen = validate_citizen(input.citizen)?;
    // АПК art. 111(4): without a name and a way to answer, it is information, not a proceeding.
    let identified = citizen
        .as_ref()
        .is_some_and(|c| c.name.is_some() && (c.phone.is_some() || c.email.is_some()));
    let proceeding = Proceeding::for_submitter(identified);
    let deadline = deadline_for(state, &category, submission_kind, received_on)?;
    if category.institutions.is_empty() {
        return Err(Error::Rule("the category routes to no institution".into()));
    }
    let assignments: Vec<store::NewAssignment> = category
        .institutions
        .iter()
        .map(|id| store::NewAssignment { institution_id: *id, deadline: deadline.clone() })
        .collect();
    let tracking_code = random_token(8);
    let new = store::NewCase {
        prefix: state.config.reference_prefix.clone(),
        year: received_on.year().max(today.year()),
        channel: input.channel,
        category_id: category.id,
        submission_kind,
        proceeding,
        description: description.clone(),
        address: location.address.clone(),
        district: location.district.clone(),
        latitude: location.lat,
        longitude: location.lon,
        citizen,
        received_on: received_on.to_string(),
        assignments: assignments.clone(),
        actor_user_id: input.actor_user_id,
        tracking_code: tracking_code.clone(),
    };
    let created = state.store.create_case_fast(new).await?;
    tracing::info!(case.id = created.id, case.channel = input.channel.as_str(), "case registered");
    Ok(Registered {
        created,
        tracking_code,
        category,
        submission_kind,
        proceeding,
        description,
        location,
        received_on,
        assignments,
    })
}
