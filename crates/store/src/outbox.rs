//! Notification outbox and portal queries (to be written).
