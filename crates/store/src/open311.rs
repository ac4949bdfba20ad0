//! Open311 GeoReport v2 queries (to be written).
