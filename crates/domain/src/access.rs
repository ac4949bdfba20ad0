//! Staff roles and the one rule of case visibility.

/// What a staff member may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Contact-centre agent: registers and reads every case, cannot administer.
    Agent,
    /// Agent plus queue supervision and call records.
    Supervisor,
    /// Works only on cases assigned to their own institution.
    Officer,
    /// Manages institutions, categories, users and configuration.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Agent, Role::Supervisor, Role::Officer, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Officer => "officer",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }
}

/// The authenticated staff member behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub user_id: i64,
    pub role: Role,
    /// Set for officers: the institution whose cases they work on.
    pub institution_id: Option<i64>,
}

impl Staff {
    /// The institution this staff member is confined to, if any. `None` means every case.
    pub fn institution_scope(&self) -> Option<i64> {
        match self.role {
            Role::Officer => Some(self.institution_id.unwrap_or(-1)),
            Role::Agent | Role::Supervisor | Role::Admin => None,
        }
    }

    /// Whether this staff member may see a case assigned to `institutions`.
    pub fn may_see(&self, institutions: &[i64]) -> bool {
        match self.institution_scope() {
            None => true,
            Some(own) => institutions.contains(&own),
        }
    }

    /// Whether this staff member may change the assignment of `institution`.
    pub fn may_work_on(&self, institution: i64) -> bool {
        match self.institution_scope() {
            None => true,
            Some(own) => own == institution,
        }
    }

    pub fn may_register_cases(&self) -> bool {
        true
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn may_supervise(&self) -> bool {
        matches!(self.role, Role::Supervisor | Role::Admin)
    }
}
