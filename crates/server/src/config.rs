//! Configuration in two stages: [`ConfigFile`] is the TOML format (every field optional, unknown
//! keys refused), and [`Config::parse_and_validate`] turns it into checked per-subsystem values.
//! Nothing starts half-configured: any problem is reported with the key it concerns.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

/// The configuration file as written. See `civicline.example.toml` for every option.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConfigFile {
    pub server: ServerSection,
    pub cases: CasesSection,
    pub calendar: CalendarSection,
    pub demo: DemoSection,
    pub portal: PortalSection,
    pub notifications: NotificationsSection,
    pub telephony: crate::phone::TelephonySection,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    pub listen: String,
    pub data_dir: PathBuf,
    /// `postgres://…`; when absent, SQLite in `data_dir`. `CIVICLINE_DATABASE_URL` overrides it.
    pub database_url: Option<String>,
    pub secure_cookies: bool,
    pub session_ttl_hours: i64,
}

impl std::fmt::Debug for ServerSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSection")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

impl Default for ServerSection {
    fn default() -> ServerSection {
        ServerSection {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./civicline-data"),
            database_url: None,
            secure_cookies: false,
            session_ttl_hours: 12,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CasesSection {
    pub reference_prefix: String,
    pub max_attachment_mb: u64,
}

impl Default for CasesSection {
    fn default() -> CasesSection {
        CasesSection { reference_prefix: "PLV".into(), max_attachment_mb: 10 }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CalendarSection {
    /// Extra non-working days decreed by the Council of Ministers, `YYYY-MM-DD`.
    pub extra_days_off: Vec<String>,
    /// Saturdays (or other days off) declared working days.
    pub extra_working_days: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DemoSection {
    /// Load the Plovdiv demo (institutions, categories, users) into a new, empty database.
    pub load: bool,
}

impl Default for DemoSection {
    fn default() -> DemoSection {
        DemoSection { load: true }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PortalSection {
    /// The one phone number, as shown on the portal.
    pub phone_number: String,
    /// The contact centre's hours, e.g. `mon-fri 08:30-17:30`; holidays are closed.
    pub hours: String,
    /// A map tile server URL template; when set, the submit form asks for coordinates.
    pub tile_url: Option<String>,
    /// Form posts allowed per client address and minute.
    pub posts_per_minute: u32,
}

impl Default for PortalSection {
    fn default() -> PortalSection {
        PortalSection {
            phone_number: "0800 11 032".into(),
            hours: "mon-fri 08:30-17:30".into(),
            tile_url: None,
            posts_per_minute: 20,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotificationsSection {
    /// The portal's public address, for tracking links in messages.
    pub portal_url: String,
    pub email_enabled: bool,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_from: String,
    pub smtp_username: Option<String>,
    /// `CIVICLINE_SMTP_PASSWORD` overrides it.
    pub smtp_password: Option<String>,
    pub sms_enabled: bool,
    /// `http://host:port/path` of the SMS gateway (plain HTTP; see docs for HTTPS).
    pub sms_url: Option<String>,
    /// `CIVICLINE_SMS_TOKEN` overrides it.
    pub sms_token: Option<String>,
    /// Attempts before a message is marked failed.
    pub max_attempts: u32,
}

impl Default for NotificationsSection {
    fn default() -> NotificationsSection {
        NotificationsSection {
            portal_url: "http://127.0.0.1:8080".into(),
            email_enabled: false,
            smtp_host: "127.0.0.1".into(),
            smtp_port: 25,
            smtp_from: "civicline@localhost".into(),
            smtp_username: None,
            smtp_password: None,
            sms_enabled: false,
            sms_url: None,
            sms_token: None,
            max_attempts: 10,
        }
    }
}

impl std::fmt::Debug for NotificationsSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotificationsSection")
            .field("portal_url", &self.portal_url)
            .field("email_enabled", &self.email_enabled)
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("smtp_password", &self.smtp_password.as_ref().map(|_| "<redacted>"))
            .field("sms_enabled", &self.sms_enabled)
            .field("sms_token", &self.sms_token.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// A configuration problem, naming the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub key: String,
    pub problem: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.problem)
    }
}

impl std::error::Error for ConfigError {}

fn problem(key: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError { key: key.to_owned(), problem: problem.into() }
}

/// The validated configuration.
#[derive(Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database: store::Location,
    pub web: web::Config,
    pub notify: notify::Config,
    /// The phone switch; `None` when `[telephony] enabled = false`.
    pub telephony: Option<crate::phone::PhoneConfig>,
    pub load_demo: bool,
}

impl ConfigFile {
    /// Parses TOML; syntax errors and unknown keys come back with their line and key.
    pub fn parse(text: &str) -> Result<ConfigFile, ConfigError> {
        toml::from_str(text).map_err(|err| {
            let message = err.message().to_owned();
            let key = match err.span() {
                Some(span) => {
                    let start = span.start.min(text.len());
                    let line = text[..start].matches('\n').count() + 1;
                    let line_text = text.lines().nth(line - 1).unwrap_or("").trim();
                    format!("line {line} `{line_text}`")
                }
                None => "config".to_owned(),
            };
            problem(&key, message)
        })
    }
}

impl Config {
    /// Checks every value and builds the per-subsystem configurations. `database_url_env` is
    /// the value of `CIVICLINE_DATABASE_URL`, which overrides the file (secrets stay out of it).
    pub fn parse_and_validate(
        file: ConfigFile,
        database_url_env: Option<String>,
    ) -> Result<Config, ConfigError> {
        let ConfigFile { server, cases, calendar, demo, portal, notifications, telephony } = file;
        let ServerSection { listen, data_dir, database_url, secure_cookies, session_ttl_hours } =
            server;
        let CasesSection { reference_prefix, max_attachment_mb } = cases;
        let CalendarSection { extra_days_off, extra_working_days } = calendar;
        let DemoSection { load } = demo;
        let PortalSection { phone_number, hours, tile_url, posts_per_minute } = portal;
        let NotificationsSection {
            portal_url,
            email_enabled,
            smtp_host,
            smtp_port,
            smtp_from,
            smtp_username,
            smtp_password,
            sms_enabled,
            sms_url,
            sms_token,
            max_attempts,
        } = notifications;

        let listen: SocketAddr = listen
            .parse()
            .map_err(|_| problem("server.listen", format!("{listen:?} is not an address like 127.0.0.1:8080")))?;
        if data_dir.as_os_str().is_empty() {
            return Err(problem("server.data_dir", "must not be empty"));
        }
        let database = match database_url_env.or(database_url) {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                store::Location::Postgres(url)
            }
            Some(url) if url.starts_with("sqlite://") => {
                store::Location::SqliteFile(PathBuf::from(&url["sqlite://".len()..]))
            }
            Some(_) => {
                return Err(problem("server.database_url", "use postgres://… or sqlite://PATH"));
            }
            None => store::Location::SqliteFile(data_dir.join("civicline.db")),
        };
        if !(1..=24 * 90).contains(&session_ttl_hours) {
            return Err(problem("server.session_ttl_hours", "must be between 1 and 2160"));
        }
        if !domain::Reference::valid_prefix(&reference_prefix) {
            return Err(problem("cases.reference_prefix", "must be 1 to 8 capital Latin letters"));
        }
        if !(1..=100).contains(&max_attachment_mb) {
            return Err(problem("cases.max_attachment_mb", "must be between 1 and 100"));
        }
        let parse_dates = |key: &str, dates: &[String]| -> Result<Vec<calendar::Date>, ConfigError> {
            dates
                .iter()
                .map(|text| text.parse().map_err(|err| problem(key, format!("{text:?}: {err}"))))
                .collect()
        };
        let overrides = calendar::Overrides {
            days_off: parse_dates("calendar.extra_days_off", &extra_days_off)?,
            working_days: parse_dates("calendar.extra_working_days", &extra_working_days)?,
        };
        let calendar = calendar::Calendar::bulgaria()
            .with_overrides(&overrides)
            .map_err(|err| problem("calendar", err.to_string()))?;
        let telephony = crate::phone::validate(telephony, &data_dir, &calendar)?;
        if phone_number.trim().is_empty() {
            return Err(problem("portal.phone_number", "must not be empty"));
        }
        let hours = calendar::OpeningHours::parse(&hours)
            .map_err(|err| problem("portal.hours", format!("{hours:?}: {err}")))?;
        let tile_url = tile_url.map(|url| url.trim().to_owned()).filter(|url| !url.is_empty());
        if let Some(url) = &tile_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(problem("portal.tile_url", "must be an http:// or https:// URL"));
        }
        if !(1..=10_000).contains(&posts_per_minute) {
            return Err(problem("portal.posts_per_minute", "must be between 1 and 10000"));
        }
        let portal = web::PortalConfig { phone_number, hours, tile_url, posts_per_minute };
        if !(portal_url.starts_with("https://") || portal_url.starts_with("http://")) {
            return Err(problem("notifications.portal_url", "must be an http:// or https:// URL"));
        }
        let email = if email_enabled {
            if smtp_host.trim().is_empty() {
                return Err(problem("notifications.smtp_host", "must not be empty when e-mail is enabled"));
            }
            if !smtp_from.contains('@') {
                return Err(problem("notifications.smtp_from", "must be an e-mail address"));
            }
            let credentials = match (smtp_username, smtp_password) {
                (None, None) => None,
                (Some(username), Some(password)) => Some((username, password)),
                _ => {
                    return Err(problem(
                        "notifications.smtp_username",
                        "give both smtp_username and smtp_password (or CIVICLINE_SMTP_PASSWORD), or neither",
                    ));
                }
            };
            Some(notify::EmailConfig { host: smtp_host, port: smtp_port, from: smtp_from, credentials })
        } else {
            None
        };
        let sms = if sms_enabled {
            let url = sms_url.ok_or_else(|| problem("notifications.sms_url", "required when SMS is enabled"))?;
            let gateway = notify::GatewayUrl::parse(&url).map_err(|err| problem("notifications.sms_url", err))?;
            Some(notify::SmsConfig { gateway, token: sms_token.unwrap_or_default() })
        } else {
            None
        };
        if !(1..=100).contains(&max_attempts) {
            return Err(problem("notifications.max_attempts", "must be between 1 and 100"));
        }
        let notify = notify::Config {
            email,
            sms,
            portal_url: portal_url.trim_end_matches('/').to_owned(),
            max_attempts,
            node: notify::Config::random_node_name(),
            poll_interval: std::time::Duration::from_secs(2),
            first_retry: std::time::Duration::from_secs(30),
        };
        let web = web::Config {
            reference_prefix,
            attachments_dir: data_dir.join("attachments"),
            max_attachment_bytes: usize::try_from(max_attachment_mb * 1024 * 1024).unwrap_or(usize::MAX),
            session_ttl_seconds: session_ttl_hours * 3600,
            secure_cookies,
            calendar,
            portal,
        };
        Ok(Config { listen, data_dir, database, web, notify, telephony, load_demo: load })
    }

    /// Reads, parses and validates a file.
    pub fn load(path: Option<&std::path::Path>) -> Result<Config, ConfigError> {
        let file = match path {
            None => ConfigFile::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|err| problem(&path.display().to_string(), format!("cannot read: {err}")))?;
                ConfigFile::parse(&text)?
            }
        };
        let mut file = file;
        // Secrets may stay out of the file.
        if let Ok(password) = std::env::var("CIVICLINE_SMTP_PASSWORD") {
            file.notifications.smtp_password = Some(password);
        }
        if let Ok(token) = std::env::var("CIVICLINE_SMS_TOKEN") {
            file.notifications.sms_token = Some(token);
        }
        Config::parse_and_validate(file, std::env::var("CIVICLINE_DATABASE_URL").ok())
    }
}
