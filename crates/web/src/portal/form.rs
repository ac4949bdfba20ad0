//! Reading the portal's `multipart/form-data` posts with per-field limits, and checking photos.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::Multipart;
use axum::extract::multipart::MultipartError;
use axum::http::StatusCode;

use crate::attachments::{sniff_content_type, strip_metadata};

/// The most bytes one text field may carry.
const MAX_TEXT_BYTES: usize = 64 * 1024;

/// A parsed form: the first value of each text field, and the non-empty files.
#[derive(Default)]
pub(crate) struct FormData {
    fields: HashMap<String, String>,
    pub(crate) files: Vec<(String, Bytes)>,
}

impl FormData {
    /// A text field, trimmed; empty when absent.
    pub(crate) fn text(&self, name: &str) -> String {
        self.fields.get(name).map(|value| value.trim().to_owned()).unwrap_or_default()
    }

    pub(crate) fn files_named(&self, name: &str) -> Vec<Bytes> {
        self.files.iter().filter(|(field, _)| field == name).map(|(_, bytes)| bytes.clone()).collect()
    }
}

/// Why a form could not be read.
#[derive(Debug, PartialEq)]
pub(crate) enum FormProblem {
    /// The body, a file or a field exceeds its limit.
    TooLarge,
    /// Not a readable multipart body.
    Malformed,
}

fn problem(err: MultipartError) -> FormProblem {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE { FormProblem::TooLarge } else { FormProblem::Malformed }
}

/// Reads every field; files larger than `max_file` bytes or more than `max_files` make it fail.
pub(crate) async fn read(mut multipart: Multipart, max_file: usize, max_files: usize) -> Result<FormData, FormProblem> {
    let mut form = FormData::default();
    while let Some(mut field) = multipart.next_field().await.map_err(problem)? {
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = field.file_name().is_some();
        let limit = if is_file { max_file } else { MAX_TEXT_BYTES };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(problem)? {
            if bytes.len() + chunk.len() > limit {
                return Err(FormProblem::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        if is_file {
            if bytes.is_empty() {
                continue; // a file input left empty
            }
            if form.files.len() >= max_files {
                return Err(FormProblem::TooLarge);
            }
            form.files.push((name, Bytes::from(bytes)));
        } else {
            let text = String::from_utf8(bytes).map_err(|_| FormProblem::Malformed)?;
            form.fields.entry(name).or_insert(text);
        }
    }
    Ok(form)
}

/// Why a photo is refused.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum PhotoProblem {
    /// Not a JPEG or PNG by content.
    Type,
    /// Its structure is broken, so its metadata cannot be removed.
    Broken,
}

/// A photo ready to store: its type by content and its bytes without metadata.
pub(crate) struct CleanPhoto {
    pub(crate) content_type: &'static str,
    pub(crate) bytes: Bytes,
}

/// Checks a photo by content and removes its metadata.
pub(crate) fn clean_photo(bytes: &[u8]) -> Result<CleanPhoto, PhotoProblem> {
    let content_type = match sniff_content_type(bytes) {
        Some(kind @ ("image/jpeg" | "image/png")) => kind,
        _ => return Err(PhotoProblem::Type),
    };
    let stripped = strip_metadata(bytes).map_err(|_| PhotoProblem::Broken)?;
    Ok(CleanPhoto { content_type, bytes: Bytes::from(stripped) })
}
