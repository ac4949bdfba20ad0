//! `civicline import`: institutions, categories and users from CSV or TOML.
//!
//! Every row is checked first and every bad one reported with its line; a file with a bad row
//! imports nothing. Rows are upserted by code (username for users), so importing a corrected
//! file again updates in place.

use std::collections::HashSet;

use domain::{Connection, InstitutionKind, Role, SubmissionKind};
use serde::Deserialize;
use store::{ImportBatch, ImportCategory, ImportUser, NewInstitution};

/// One rejected row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// A row before validation: its line and its named fields.
struct RawRow {
    line: usize,
    kind: RowKind,
    fields: Vec<(String, String)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RowKind {
    Institution,
    Category,
    User,
}

impl RawRow {
    fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty())
    }

    fn required(&self, name: &str) -> Result<&str, String> {
        self.get(name).ok_or_else(|| format!("{name} is missing"))
    }
}

/// Rows checked and ready; passwords still in clear text (hashed by the caller, off the runtime).
#[derive(Default)]
pub struct Checked {
    pub batch: ImportBatch,
    pub passwords: Vec<String>,
}

/// Splits CSV text into records of fields (RFC 4180: quotes, doubled quotes, CRLF), each with
/// the line it starts on.
fn csv_records(text: &str) -> Result<Vec<(usize, Vec<String>)>, RowError> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut line = 1;
    let mut record_line = 1;
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match (in_quotes, ch) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => in_quotes = false,
            (true, '\n') => {
                line += 1;
                field.push('\n');
            }
            (true, _) => field.push(ch),
            (false, '"') if field.is_empty() => in_quotes = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                if !(record.len() == 1 && record[0].trim().is_empty()) {
                    records.push((record_line, std::mem::take(&mut record)));
                }
                record.clear();
                line += 1;
                record_line = line;
            }
            (false, _) => field.push(ch),
        }
    }
    if in_quotes {
        return Err(RowError { line: record_line, message: "a quoted field is not closed".into() });
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push((record_line, record));
    }
    Ok(records)
}

/// Rows that could be read, and the errors of those that could not.
fn parse_csv(text: &str) -> Result<(Vec<RawRow>, Vec<RowError>), Vec<RowError>> {
    let records = csv_records(text).map_err(|err| vec![err])?;
    let Some(((header_line, header), rows)) = records.split_first() else {
        return Err(vec![RowError { line: 1, message: "the file is empty".into() }]);
    };
    let header: Vec<String> = header.iter().map(|h| h.trim().trim_start_matches('\u{feff}').to_owned()).collect();
    let kind = if header.iter().any(|h| h == "username") {
        RowKind::User
    } else if header.iter().any(|h| h == "submission_kind") {
        RowKind::Category
    } else if header.iter().any(|h| h == "connection") {
        RowKind::Institution
    } else {
        return Err(vec![RowError {
            line: *header_line,
            message: "the header must name the columns of institutions (code, connection, …), \
                      categories (code, submission_kind, …) or users (username, …)"
                .into(),
        }]);
    };
    let mut errors = Vec::new();
    let mut raw = Vec::new();
    for (line, fields) in rows {
        if fields.len() != header.len() {
            errors.push(RowError {
                line: *line,
                message: format!("has {} fields, the header has {}", fields.len(), header.len()),
            });
            continue;
        }
        raw.push(RawRow { line: *line, kind, fields: header.iter().cloned().zip(fields.iter().cloned()).collect() });
    }
    Ok((raw, errors))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlFile {
    #[serde(default)]
    institution: Vec<toml::Table>,
    #[serde(default)]
    category: Vec<toml::Table>,
    #[serde(default)]
    user: Vec<toml::Table>,
}

fn parse_toml(text: &str) -> Result<Vec<RawRow>, Vec<RowError>> {
    let file: TomlFile = toml::from_str(text).map_err(|err| {
        let line = err.span().map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1).unwrap_or(1);
        vec![RowError { line, message: err.message().to_owned() }]
    })?;
    // toml tables lose their spans; number rows by their position in each list instead.
    let mut raw = Vec::new();
    for (kind, tables) in [(RowKind::Institution, file.institution), (RowKind::Category, file.category), (RowKind::User, file.user)] {
        for (index, table) in tables.into_iter().enumerate() {
            let fields = table
                .into_iter()
                .map(|(key, value)| {
                    let text = match value {
                        toml::Value::String(s) => s,
                        toml::Value::Array(items) => items
                            .into_iter()
                            .map(|item| item.as_str().map(str::to_owned).unwrap_or_else(|| item.to_string()))
                            .collect::<Vec<_>>()
                            .join(";"),
                        other => other.to_string(),
                    };
                    (key, text)
                })
                .collect();
            raw.push(RawRow { line: index + 1, kind, fields });
        }
    }
    Ok(raw)
}

fn valid_code(name: &str, code: &str) -> Result<String, String> {
    if domain::is_valid_code(code) { Ok(code.to_owned()) } else { Err(format!("{name} {code:?}: use lower-case letters, digits, '-' or '_'")) }
}

fn known_fields(row: &RawRow, allowed: &[&str]) -> Result<(), String> {
    match row.fields.iter().find(|(key, _)| !allowed.contains(&key.as_str())) {
        Some((key, _)) => Err(format!("unknown column {key:?}; expected {}", allowed.join(", "))),
        None => Ok(()),
    }
}

fn check_institution(row: &RawRow) -> Result<NewInstitution, String> {
    known_fields(row, &["code", "name_bg", "name_en", "kind", "connection", "email", "phone", "webhook_url", "active"])?;
    let kind = InstitutionKind::parse(row.required("kind")?).ok_or("kind: unknown institution kind")?;
    let connection = Connection::parse(row.required("connection")?).ok_or("connection: use listed, email, workspace or api")?;
    let domain::Contacts { email, phone, webhook_url } =
        domain::Contacts::check(connection, row.get("email"), row.get("phone"), row.get("webhook_url"))
            .map_err(|err| format!("{}: {}", err.field, err.message))?;
    let active = match row.get("active") {
        None | Some("true") | Some("yes") | Some("1") => true,
        Some("false") | Some("no") | Some("0") => false,
        Some(_) => return Err("active: use true or false".into()),
    };
    Ok(NewInstitution {
        code: valid_code("code", row.required("code")?)?,
        name_bg: row.required("name_bg")?.to_owned(),
        name_en: row.required("name_en")?.to_owned(),
        kind,
        connection,
        email,
        phone,
        webhook_url,
        active,
    })
}

fn split_list(text: Option<&str>) -> Vec<String> {
    text.map(|t| t.split([';', '|']).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
        .unwrap_or_default()
}

fn check_category(row: &RawRow) -> Result<ImportCategory, String> {
    known_fields(row, &["code", "parent", "name_bg", "name_en", "submission_kind", "deadline_rule", "institutions"])?;
    let submission_kind = SubmissionKind::parse(row.required("submission_kind")?).ok_or("submission_kind: unknown kind")?;
    let deadline_rule = match row.get("deadline_rule") {
        None => None,
        Some(rule) => Some(domain::format_deadline_rule(
            domain::parse_deadline_rule(rule).ok_or("deadline_rule: use months:N, days:N or working_days:N")?,
        )),
    };
    let institution_codes = split_list(row.get("institutions"));
    if institution_codes.is_empty() {
        return Err("institutions: a category routes to at least one institution".into());
    }
    Ok(ImportCategory {
        code: valid_code("code", row.required("code")?)?,
        parent_code: row.get("parent").map(str::to_owned),
        name_bg: row.required("name_bg")?.to_owned(),
        name_en: row.required("name_en")?.to_owned(),
        submission_kind,
        deadline_rule,
        institution_codes,
    })
}

fn check_user(row: &RawRow) -> Result<(ImportUser, String), String> {
    known_fields(row, &["username", "display_name", "role", "institution", "password"])?;
    let role = Role::parse(row.required("role")?).ok_or("role: use agent, supervisor, officer or admin")?;
    let institution_code = row.get("institution").map(str::to_owned);
    if role == Role::Officer && institution_code.is_none() {
        return Err("institution: an officer belongs to an institution".into());
    }
    let password = row.required("password")?.to_owned();
    if !domain::is_long_enough_password(&password) {
        return Err("password: must be at least 10 characters".into());
    }
    let user = ImportUser {
        username: valid_code("username", row.required("username")?)?,
        display_name: row.required("display_name")?.to_owned(),
        role,
        institution_code,
        password_hash: String::new(),
    };
    Ok((user, password))
}

/// Parses and checks a whole file. `existing_institutions` and `existing_categories` are the
/// codes already in the database, which rows may refer to.
pub fn check(
    text: &str,
    toml_format: bool,
    existing_institutions: &HashSet<String>,
    existing_categories: &HashSet<String>,
) -> Result<Checked, Vec<RowError>> {
    let (rows, mut errors) = if toml_format { (parse_toml(text)?, Vec::new()) } else { parse_csv(text)? };
    let mut checked = Checked::default();
    let mut seen: HashSet<(u8, String)> = HashSet::new();
    let mut duplicate = |line: usize, kind: u8, key: &str, errors: &mut Vec<RowError>| {
        if !seen.insert((kind, key.to_owned())) {
            errors.push(RowError { line, message: format!("{key:?} appears twice in the file") });
        }
    };
    for row in &rows {
        let result = match row.kind {
            RowKind::Institution => check_institution(row).map(|i| {
                duplicate(row.line, 0, &i.code, &mut errors);
                checked.batch.institutions.push(i);
            }),
            RowKind::Category => check_category(row).map(|c| {
                duplicate(row.line, 1, &c.code, &mut errors);
                checked.batch.categories.push(c);
            }),
            RowKind::User => check_user(row).map(|(u, password)| {
                duplicate(row.line, 2, &u.username, &mut errors);
                checked.batch.users.push(u);
                checked.passwords.push(password);
            }),
        };
        if let Err(message) = result {
            errors.push(RowError { line: row.line, message });
        }
    }
    // References must resolve to the database or to this file.
    let institutions: HashSet<&str> = existing_institutions
        .iter()
        .map(String::as_str)
        .chain(checked.batch.institutions.iter().map(|i| i.code.as_str()))
        .collect();
    let mut categories: HashSet<&str> = existing_categories.iter().map(String::as_str).collect();
    for (row, category) in rows.iter().filter(|r| r.kind == RowKind::Category).zip(&checked.batch.categories) {
        for code in &category.institution_codes {
            if !institutions.contains(code.as_str()) {
                errors.push(RowError { line: row.line, message: format!("institutions: no institution {code:?}") });
            }
        }
        if let Some(parent) = &category.parent_code {
            // Parents must come before their children, so the import can insert in order.
            if !categories.contains(parent.as_str()) {
                errors.push(RowError { line: row.line, message: format!("parent: no category {parent:?} above this row") });
            }
        }
        categories.insert(category.code.as_str());
    }
    for (row, user) in rows.iter().filter(|r| r.kind == RowKind::User).zip(&checked.batch.users) {
        if let Some(code) = &user.institution_code
            && !institutions.contains(code.as_str()) {
                errors.push(RowError { line: row.line, message: format!("institution: no institution {code:?}") });
            }
    }
    if errors.is_empty() {
        Ok(checked)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

#[cfg(test)]
mod tests;
