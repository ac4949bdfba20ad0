//! `civicline serve`: open the store, load the demo into a new database, serve HTTP until a
//! shutdown signal.

use std::net::SocketAddr;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::demo;

/// Everything a running civicline holds.
pub struct Running {
    pub http_addr: SocketAddr,
    pub store: store::Store,
    pub demo_loaded: bool,
    /// The phone switch, unless `[telephony] enabled = false`.
    pub phone: Option<crate::phone::Phone>,
    pub task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Opens the database (creating and migrating it) and loads the demo into an empty one.
pub async fn open_store(config: &Config) -> anyhow::Result<(store::Store, bool)> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("create data directory {}", config.data_dir.display()))?;
    let store = store::Store::open(&config.database).await.context("open database")?;
    let mut demo_loaded = false;
    if config.load_demo && store.is_empty().await.context("inspect database")? {
        let hash = tokio::task::spawn_blocking(|| web::hash_password(demo::DEMO_PASSWORD))
            .await
            .context("hash demo password")?
            .context("hash demo password")?;
        store.import(&demo::batch(&hash)).await.context("load the Plovdiv demo")?;
        demo_loaded = true;
        tracing::info!("loaded the Plovdiv demo");
    }
    Ok((store, demo_loaded))
}

/// Starts everything on an already-bound listener; returns once it is serving.
pub async fn start(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<Running> {
    let (store, demo_loaded) = open_store(&config).await?;
    let http_addr = listener.local_addr().context("read listener address")?;
    let state = web::AppState::new(store.clone(), config.web);
    let app = web::router(state.clone());
    // Wallboard event streams never end on their own: end them, or the graceful shutdown waits.
    let live = state.live.clone();
    let closing = shutdown.clone();
    tokio::spawn(async move {
        closing.cancelled().await;
        live.close();
    });
    // The notification worker: stops with the same token, awaited after the HTTP server.
    let notifier = tokio::spawn(notify::run(store.clone(), config.notify, shutdown.clone()));
    // The phone switch: stops with the same token, awaited after the HTTP server.
    let (phone, switch) = match config.telephony {
        Some(telephony) => {
            let (phone, task) = crate::phone::start(telephony, store.clone(), state, shutdown.clone()).await?;
            (Some(phone), Some(task))
        }
        None => (None, None),
    };
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await
            .context("serve http");
        let _ = notifier.await;
        if let Some(switch) = switch {
            let _ = switch.await;
        }
        served
    });
    Ok(Running { http_addr, store, demo_loaded, phone, task })
}

/// Runs until Ctrl-C or SIGTERM, printing where to open the contact centre.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listen on {}", config.listen))?;
    let database = match &config.database {
        store::Location::SqliteFile(path) => format!("SQLite {}", path.display()),
        store::Location::Postgres(_) => "PostgreSQL".to_owned(),
    };
    let shutdown = CancellationToken::new();
    let running = start(config, listener, shutdown.clone()).await?;
    print_welcome(&running, &database);
    let signal = shutdown_signal();
    tokio::select! {
        _ = signal => {
            tracing::info!("shutting down");
            shutdown.cancel();
        }
        _ = shutdown.cancelled() => {}
    }
    running.task.await.context("join http server")??;
    Ok(())
}

#[allow(clippy::print_stdout)] // The welcome text is the command's output.
fn print_welcome(running: &Running, database: &str) {
    let url = format!("http://{}", running.http_addr);
    println!("civicline is running ({database})");
    println!();
    println!("  Portal:    {url}/   (citizens; Bulgarian first, English with ?lang=en)");
    println!("  API:       {url}/api/v1/openapi.json");
    println!("  Health:    {url}/healthz   Metrics: {url}/metrics");
    println!();
    println!("Demo logins (password {:?}):", demo::DEMO_PASSWORD);
    for (username, role, institution, _) in demo::DEMO_USERS {
        let scope = institution.map(|i| format!(", institution {i}")).unwrap_or_default();
        println!("  {username:<11} {}{scope}", role.as_str());
    }
    println!();
    println!("Try it:");
    println!(
        "  TOKEN=$(curl -s {url}/api/v1/auth/login -H 'content-type: application/json' \\\n    -d '{{\"username\":\"agent\",\"password\":\"{}\"}}' | sed 's/.*\"token\":\"\\([^\"]*\\)\".*/\\1/')",
        demo::DEMO_PASSWORD
    );
    println!(
        "  curl -s {url}/api/v1/cases -H \"authorization: Bearer $TOKEN\" -H 'content-type: application/json' \\\n    -d '{{\"category\":\"social-help\",\"channel\":\"phone\",\"description\":\"Нужда от помощ\"}}'"
    );
    if let Some(phone) = &running.phone {
        crate::phone::print_welcome(phone);
    }
    if running.demo_loaded {
        println!();
        println!("The Plovdiv demo was loaded into this new database.");
    }
    println!("Stop with Ctrl-C.");
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
