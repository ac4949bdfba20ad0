//! Short-lived read caches for the two lookups on every request: a session token's user and a
//! category by code.
//!
//! Entries live a few seconds. Changes made through this `Store` invalidate them at once; changes
//! made by another node become visible within the TTL (a logged-out token stays valid for at most
//! that long elsewhere), which is the documented trade for not asking the database on every call.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::types::{Category, User};

const TTL: Duration = Duration::from_secs(5);
/// Bounds memory: a full map is simply cleared.
const MAX_ENTRIES: usize = 100_000;

struct Map<V> {
    entries: Mutex<HashMap<String, (Instant, V)>>,
}

impl<V: Clone> Map<V> {
    fn new() -> Map<V> {
        Map { entries: Mutex::new(HashMap::new()) }
    }

    fn get(&self, key: &str) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (stored, value) = entries.get(key)?;
        (stored.elapsed() < TTL).then(|| value.clone())
    }

    fn put(&self, key: &str, value: V) {
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key.to_owned(), (Instant::now(), value));
    }

    fn remove(&self, key: &str) {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(key);
    }

    fn clear(&self) {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clear();
    }
}

pub(crate) struct Caches {
    sessions: Map<User>,
    categories: Map<Category>,
}

impl Caches {
    pub(crate) fn new() -> Caches {
        Caches { sessions: Map::new(), categories: Map::new() }
    }

    pub(crate) fn session(&self, token_hash: &str) -> Option<User> {
        self.sessions.get(token_hash)
    }

    pub(crate) fn put_session(&self, token_hash: &str, user: User) {
        self.sessions.put(token_hash, user);
    }

    pub(crate) fn forget_session(&self, token_hash: &str) {
        self.sessions.remove(token_hash);
    }

    pub(crate) fn forget_users(&self) {
        self.sessions.clear();
    }

    pub(crate) fn category(&self, code: &str) -> Option<Category> {
        self.categories.get(code)
    }

    pub(crate) fn put_category(&self, code: &str, category: Category) {
        self.categories.put(code, category);
    }

    pub(crate) fn forget_categories(&self) {
        self.categories.clear();
    }
}
