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
        let ConfigFile { server, cases, calendar, demo } = file;
        let ServerSection { listen, data_dir, database_url, secure_cookies, session_ttl_hours } =
            server;
        let CasesSection { reference_prefix, max_attachment_mb } = cases;
        let CalendarSection { extra_days_off, extra_working_days } = calendar;
        let DemoSection { load } = demo;

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
        let web = web::Config {
            reference_prefix,
            attachments_dir: data_dir.join("attachments"),
            max_attachment_bytes: usize::try_from(max_attachment_mb * 1024 * 1024).unwrap_or(usize::MAX),
            session_ttl_seconds: session_ttl_hours * 3600,
            secure_cookies,
            calendar,
        };
        Ok(Config { listen, data_dir, database, web, load_demo: load })
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
        Config::parse_and_validate(file, std::env::var("CIVICLINE_DATABASE_URL").ok())
    }
}
