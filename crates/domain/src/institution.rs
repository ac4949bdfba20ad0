//! Institutions: who works on cases, and how each is connected to civicline.
//!
//! Institutions join stage by stage: one may start as a listed phone number, later get e-mail
//! referrals, then its own workspace, then an API integration. Changing the connection never
//! touches its cases.

/// What kind of body an institution is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstitutionKind {
    MunicipalDepartment,
    DistrictAdministration,
    MunicipalCompany,
    CentralBody,
    Partner,
}

/// How an institution receives its part of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Connection {
    /// Only its phone number is listed; agents refer callers to it.
    Listed,
    /// Assignments are sent to its e-mail address.
    Email,
    /// Its officers work in their own civicline workspace.
    Workspace,
    /// System to system, through the REST API and webhooks.
    Api,
}

impl InstitutionKind {
    pub const ALL: [InstitutionKind; 5] = [
        InstitutionKind::MunicipalDepartment,
        InstitutionKind::DistrictAdministration,
        InstitutionKind::MunicipalCompany,
        InstitutionKind::CentralBody,
        InstitutionKind::Partner,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InstitutionKind::MunicipalDepartment => "municipal_department",
            InstitutionKind::DistrictAdministration => "district_administration",
            InstitutionKind::MunicipalCompany => "municipal_company",
            InstitutionKind::CentralBody => "central_body",
            InstitutionKind::Partner => "partner",
        }
    }

    pub fn parse(text: &str) -> Option<InstitutionKind> {
        InstitutionKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

impl Connection {
    pub const ALL: [Connection; 4] =
        [Connection::Listed, Connection::Email, Connection::Workspace, Connection::Api];

    pub fn as_str(self) -> &'static str {
        match self {
            Connection::Listed => "listed",
            Connection::Email => "email",
            Connection::Workspace => "workspace",
            Connection::Api => "api",
        }
    }

    pub fn parse(text: &str) -> Option<Connection> {
        Connection::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// An institution's checked contact details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contacts {
    pub email: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    pub webhook_url: Option<String>,
}

/// A contact detail that is not acceptable: which field, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactError {
    pub field: &'static str,
    pub message: &'static str,
}

impl Contacts {
    /// Checks an institution's contact details against how it is connected. Empty values must
    /// already be `None`.
    pub fn check(
        connection: Connection,
        email: Option<&str>,
        phone: Option<&str>,
        webhook_url: Option<&str>,
    ) -> Result<Contacts, ContactError> {
        let error = |field, message| ContactError { field, message };
        if email.is_some_and(|email| !email.contains('@')) {
            return Err(error("email", "not an e-mail address"));
        }
        if connection == Connection::Email && email.is_none() {
            return Err(error("email", "an institution connected by e-mail needs one"));
        }
        if webhook_url.is_some_and(|url| !(url.starts_with("https://") || url.starts_with("http://"))) {
            return Err(error("webhook_url", "must be an http or https URL"));
        }
        let phone = match phone {
            None => None,
            Some(phone) => {
                Some(crate::normalize_phone(phone).ok_or(error("phone", "not a phone number"))?)
            }
        };
        Ok(Contacts {
            email: email.map(str::to_owned),
            phone,
            webhook_url: webhook_url.map(str::to_owned),
        })
    }
}
