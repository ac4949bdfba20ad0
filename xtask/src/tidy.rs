//! Structural invariants of the workspace, checked as tests (rust-analyzer's `tidy.rs` idea):
//! module docs, test attributes, dependency direction, clocks in sans-IO crates, whitespace.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_owned()
}

fn rust_files(dir: &Path, acc: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name == "node_modules" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, acc);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            acc.push(path);
        }
    }
}

fn all_rust_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    rust_files(&root().join("crates"), &mut files);
    rust_files(&root().join("xtask"), &mut files);
    files.sort();
    files
}

#[test]
fn every_file_starts_with_module_docs() {
    let missing: Vec<String> = all_rust_files()
        .into_iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(missing.is_empty(), "files without a //! doc comment:\n{}", missing.join("\n"));
}

#[test]
fn no_ignored_or_should_panic_tests() {
    // Spelled in pieces so that this file does not match itself.
    let forbidden = [concat!("#[", "ignore"), concat!("#[", "should_panic")];
    let mut found = Vec::new();
    for path in all_rust_files() {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for pattern in forbidden {
            if text.contains(pattern) {
                found.push(format!("{}: {pattern}]", path.display()));
            }
        }
    }
    assert!(found.is_empty(), "assert current behaviour with a FIXME instead:\n{}", found.join("\n"));
}

#[test]
fn no_trailing_whitespace() {
    let mut found = Vec::new();
    for path in all_rust_files() {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for (index, line) in text.lines().enumerate() {
            if line.ends_with(' ') || line.ends_with('\t') {
                found.push(format!("{}:{}", path.display(), index + 1));
            }
        }
    }
    assert!(found.is_empty(), "trailing whitespace:\n{}", found.join("\n"));
}

/// The `[dependencies]` of each crate under `crates/`, by crate folder.
fn dependencies() -> BTreeMap<String, Vec<String>> {
    let mut result = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(root().join("crates")) else { return result };
    for entry in entries.flatten() {
        let manifest = entry.path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else { continue };
        let mut in_dependencies = false;
        let mut names = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                in_dependencies = line == "[dependencies]";
                continue;
            }
            if in_dependencies && !line.is_empty() && !line.starts_with('#') {
                let name = line.split(['=', '.', ' ']).next().unwrap_or("").trim();
                names.push(name.to_owned());
            }
        }
        result.insert(entry.file_name().to_string_lossy().into_owned(), names);
    }
    result
}

#[test]
fn dependency_direction() {
    // (crate, what it must never depend on). See ARCHITECTURE.md.
    let io = ["tokio", "sqlx", "axum", "store", "web", "telephony", "notify", "serde", "serde_json"];
    let rules: &[(&str, &[&str])] = &[
        ("calendar", &["domain", "sip-proto", "media", "ivr", "acd"]),
        ("sip-proto", &["calendar", "domain", "media", "ivr", "acd"]),
        ("media", &["calendar", "domain", "sip-proto", "ivr", "acd"]),
        ("domain", &["sip-proto", "media", "ivr", "acd"]),
        ("ivr", &["sip-proto", "media", "acd"]),
        ("acd", &["sip-proto", "media", "ivr"]),
        ("store", &["axum", "web", "telephony", "notify", "sip-proto", "media", "ivr", "acd"]),
        ("telephony", &["store", "web", "sqlx", "axum", "notify"]),
        ("notify", &["web", "axum", "telephony"]),
        ("web", &["sqlx"]),
    ];
    let pure = ["calendar", "sip-proto", "media", "domain", "ivr", "acd"];
    let dependencies = dependencies();
    let mut broken = Vec::new();
    for (krate, forbidden) in rules {
        let Some(deps) = dependencies.get(*krate) else { continue };
        let forbidden_here: Vec<&str> =
            forbidden.iter().copied().chain(if pure.contains(krate) { io.to_vec() } else { Vec::new() }).collect();
        for dep in deps {
            if forbidden_here.contains(&dep.as_str()) {
                broken.push(format!("{krate} depends on {dep}"));
            }
        }
    }
    assert!(broken.is_empty(), "dependency rules broken:\n{}", broken.join("\n"));
}

#[test]
fn sans_io_crates_never_read_the_clock_or_open_sockets() {
    let pure = ["calendar", "sip-proto", "media", "domain", "ivr", "acd"];
    let forbidden = [
        concat!("Instant", "::now"),
        concat!("SystemTime", "::now"),
        concat!("std::net::", "UdpSocket"),
        concat!("std::net::", "TcpStream"),
        concat!("std::", "thread::spawn"),
    ];
    let mut found = Vec::new();
    for krate in pure {
        let mut files = Vec::new();
        rust_files(&root().join("crates").join(krate), &mut files);
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for pattern in forbidden {
                if text.contains(pattern) {
                    found.push(format!("{}: {pattern}", path.display()));
                }
            }
        }
    }
    assert!(found.is_empty(), "time and I/O must come from the caller:\n{}", found.join("\n"));
}
