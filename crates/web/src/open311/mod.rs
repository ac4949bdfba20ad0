//! Open311 GeoReport v2 at `/open311/v2/` (to be written).

use axum::Router;

use crate::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
