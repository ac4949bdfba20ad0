//! The citizens' portal: server-rendered pages (to be written).

use axum::Router;

use crate::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
