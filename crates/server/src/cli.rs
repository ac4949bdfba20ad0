//! Command-line handling: subcommands and their exit codes.
//!
//! Exit codes: 0 success, 1 failure at run time, 2 bad configuration or bad input.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::{Config, ConfigFile};

#[derive(Parser)]
#[command(name = "civicline", version, about = "One phone number and one portal for all of a city's citizens")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Args, Clone, Default)]
struct Common {
    /// The configuration file (TOML). Without it, the defaults: the demo on SQLite.
    #[arg(long, short = 'c', env = "CIVICLINE_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the contact centre (the default).
    Serve {
        #[command(flatten)]
        common: Common,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate {
        #[command(flatten)]
        common: Common,
    },
    /// Check a configuration file and report every problem.
    CheckConfig { file: PathBuf },
    /// Manage staff users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Import institutions, categories and users from a CSV or TOML file.
    Import {
        file: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Print every prompt text as `lang<TAB>name<TAB>text` lines (scripts/prompts.sh reads them).
    Prompts,
    /// Simulate a day of calls through the ACD engine, with Erlang C alongside.
    Simulate(crate::simulate::SimulateArgs),
    /// Measure performance; see `civicline bench --help`.
    Bench {
        #[command(subcommand)]
        command: crate::bench::BenchCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user; the password is read from standard input (one line).
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        /// agent, supervisor, officer or admin.
        #[arg(long)]
        role: String,
        /// Institution code; required for officers.
        #[arg(long)]
        institution: Option<String>,
        #[command(flatten)]
        common: Common,
    },
}

/// A failure with the exit code it deserves.
enum Failure {
    Usage(String),
    Runtime(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(err: anyhow::Error) -> Failure {
        Failure::Runtime(err)
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("start the async runtime")
        .map_err(Failure::Runtime)
        .and_then(|runtime| runtime.block_on(run(cli)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("civicline: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(err)) => {
            eprintln!("civicline: {err:#}");
            ExitCode::from(1)
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CIVICLINE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

fn load_config(common: &Common) -> Result<Config, Failure> {
    Config::load(common.config.as_deref()).map_err(|err| Failure::Usage(format!("bad configuration: {err}")))
}

async fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command.unwrap_or(Command::Serve { common: Common::default() }) {
        Command::Serve { common } => crate::serve::run(load_config(&common)?).await?,
        Command::Migrate { common } => {
            let config = load_config(&common)?;
            std::fs::create_dir_all(&config.data_dir).context("create data directory")?;
            store::Store::open(&config.database).await.context("migrate database")?;
            eprintln!("civicline: database is up to date");
        }
        Command::CheckConfig { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|err| Failure::Usage(format!("{}: cannot read: {err}", file.display())))?;
            let parsed = ConfigFile::parse(&text)
                .map_err(|err| Failure::Usage(format!("{}: {err}", file.display())))?;
            Config::parse_and_validate(parsed, std::env::var("CIVICLINE_DATABASE_URL").ok())
                .map_err(|err| Failure::Usage(format!("{}: {err}", file.display())))?;
            eprintln!("civicline: {} is valid", file.display());
        }
        Command::User { command: UserCommand::Add { username, display_name, role, institution, common } } => {
            let config = load_config(&common)?;
            let role = domain::Role::parse(&role)
                .ok_or_else(|| Failure::Usage("--role: use agent, supervisor, officer or admin".into()))?;
            let password = read_password()?;
            let (store, _) = crate::serve::open_store(&config).await?;
            let institution_id = match institution {
                None => None,
                Some(code) => Some(
                    store
                        .institution_by_code(&code)
                        .await
                        .context("look up institution")?
                        .ok_or_else(|| Failure::Usage(format!("--institution: no institution {code:?}")))?
                        .id,
                ),
            };
            if role == domain::Role::Officer && institution_id.is_none() {
                return Err(Failure::Usage("--institution: an officer belongs to an institution".into()));
            }
            let password_hash = tokio::task::spawn_blocking(move || web::hash_password(&password))
                .await
                .context("hash password")?
                .context("hash password")?;
            let user = store
                .create_user(&store::NewUser { username, display_name, role, institution_id, password_hash })
                .await
                .map_err(|err| match err {
                    store::Error::Conflict(_) => Failure::Usage("that username is taken".into()),
                    other => Failure::Runtime(other.into()),
                })?;
            eprintln!("civicline: added user {} ({})", user.username, user.role.as_str());
        }
        Command::Import { file, common } => import(file, load_config(&common)?).await?,
        Command::Bench { command } => crate::bench::run(command).await?,
        Command::Prompts => print_prompts(),
        Command::Simulate(args) => crate::simulate::main(&args).map_err(Failure::Usage)?,
    }
    Ok(())
}

#[allow(clippy::print_stdout)] // The texts are the command's output.
fn print_prompts() {
    let ivr = ivr::demo_prompt_texts().into_iter().map(|(name, bg, en)| (name.to_owned(), bg.to_owned(), en.to_owned()));
    for (name, bg, en) in ivr.chain(telephony::announcement_texts()) {
        let clean = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
        println!("bg\t{name}\t{}", clean(&bg));
        println!("en\t{name}\t{}", clean(&en));
    }
}

fn read_password() -> Result<String, Failure> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("password (at least 10 characters): ");
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).context("read password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if !domain::is_long_enough_password(&password) {
        return Err(Failure::Usage("the password must be at least 10 characters".into()));
    }
    Ok(password)
}

async fn import(file: PathBuf, config: Config) -> Result<(), Failure> {
    let text = std::fs::read_to_string(&file)
        .map_err(|err| Failure::Usage(format!("{}: cannot read: {err}", file.display())))?;
    let toml_format = file.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("toml"));
    let (store, _) = crate::serve::open_store(&config).await?;
    let institutions = store.institutions().await.context("read institutions")?;
    let categories = store.categories().await.context("read categories")?;
    let existing_institutions = institutions.into_iter().map(|i| i.code).collect();
    let existing_categories = categories.into_iter().map(|c| c.code).collect();
    eprintln!("civicline: checking {}", file.display());
    let mut checked = crate::import::check(&text, toml_format, &existing_institutions, &existing_categories)
        .map_err(|errors| {
            let lines: Vec<String> = errors.iter().map(|e| format!("  {}: {e}", file.display())).collect();
            Failure::Usage(format!("nothing imported; fix these rows:\n{}", lines.join("\n")))
        })?;
    let total = checked.passwords.len();
    for (index, (user, password)) in checked.batch.users.iter_mut().zip(checked.passwords.drain(..)).enumerate() {
        user.password_hash = tokio::task::spawn_blocking(move || web::hash_password(&password))
            .await
            .context("hash password")?
            .context("hash password")?;
        eprint!("\rcivicline: hashing passwords {}/{total}", index + 1);
    }
    if total > 0 {
        eprintln!();
    }
    let summary = store.import(&checked.batch).await.map_err(|err| match err {
        store::Error::Rule(why) | store::Error::Conflict(why) => Failure::Usage(format!("nothing imported: {why}")),
        other => Failure::Runtime(anyhow::Error::new(other).context("import")),
    })?;
    eprintln!(
        "civicline: imported {} institutions, {} categories, {} users",
        summary.institutions, summary.categories, summary.users
    );
    Ok(())
}
