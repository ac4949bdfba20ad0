//! The HTTP face of civicline: the REST API under `/api/v1`, health and metrics.
//!
//! `router(state)` builds the whole application, so tests call it with `oneshot` and the binary
//! serves it. This crate owns the JSON shapes (DTOs) and converts them to and from `store` and
//! `domain` values explicitly; the domain never sees serde. Errors leave through one type,
//! [`Error`], with a stable code per variant.

mod api;
pub mod attachments;
mod auth;
mod error;
mod metrics;
mod open311;
mod openapi;
mod portal;
pub mod register;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;

pub use api::phone::{PhoneControl, StateChange, TransferAnswer};
pub use api::queues::{LiveState, QueueOutcome};
pub use auth::hash_password;
pub use error::Error;
pub use metrics::Metrics;
pub use portal::Config as PortalConfig;

/// What the web layer needs to know, validated by the server's configuration stage.
#[derive(Debug, Clone)]
pub struct Config {
    /// The reference prefix, e.g. `PLV`.
    pub reference_prefix: String,
    /// Where attachment files are kept, content-addressed.
    pub attachments_dir: PathBuf,
    pub max_attachment_bytes: usize,
    /// How long a login lasts.
    pub session_ttl_seconds: i64,
    /// Whether session cookies carry the `Secure` flag (off for plain-HTTP demos).
    pub secure_cookies: bool,
    pub calendar: calendar::Calendar,
    /// The citizens' portal.
    pub portal: PortalConfig,
}

/// Shared state of every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: store::Store,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    /// Live queue and agent figures, updated by the server from the phone switch's events.
    pub live: Arc<LiveState>,
    /// Commands to the phone switch, installed by the server once it runs.
    phone: Arc<std::sync::OnceLock<Arc<dyn PhoneControl>>>,
}

impl AppState {
    pub fn new(store: store::Store, config: Config) -> AppState {
        AppState {
            store,
            config: Arc::new(config),
            metrics: Arc::new(Metrics::default()),
            live: Arc::new(LiveState::default()),
            phone: Arc::default(),
        }
    }

    /// Installs the phone switch's commands (once; a second call is ignored).
    pub fn set_phone(&self, control: Arc<dyn PhoneControl>) {
        let _ = self.phone.set(control);
    }

    fn phone(&self) -> Option<&Arc<dyn PhoneControl>> {
        self.phone.get()
    }
}

/// The largest JSON body the API accepts.
pub const MAX_JSON_BYTES: usize = 64 * 1024;

/// Builds the whole HTTP application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(metrics::healthz))
        .route("/readyz", get(metrics::readyz))
        .route("/metrics", get(metrics::prometheus))
        .nest("/api/v1", api::router(&state))
        .nest("/open311/v2", open311::router())
        .merge(portal::router(&state))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// Counts every request by route and status, and logs failures once, without personal data.
async fn observe(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status();
    state.metrics.record(&method, &route, status.as_u16(), started.elapsed());
    if let Some(cause) = response.extensions().get::<error::InternalCause>() {
        tracing::error!(http.method = %method, http.route = %route, error = %cause.0, "request failed");
    }
    response
}

#[cfg(test)]
mod tests;
