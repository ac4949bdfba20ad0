//! Attachment files: recognising their type by content, removing privacy-sensitive metadata from
//! photos, and storing them content-addressed and durably. Shared by the REST API and the portal.
//!
//! [`strip_metadata`] is pure and total: any byte string gives `Ok` or `Err`, never a panic. It
//! removes what a phone camera writes about the person and the place (EXIF with GPS position,
//! XMP, maker notes, thumbnails, comments, timestamps) and keeps what is needed to show the image.

use std::path::PathBuf;

use axum::body::Bytes;

use crate::AppState;
use crate::auth::random_token;

/// File types accepted as attachments, recognised by their first bytes, never by name.
pub fn sniff_content_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(PNG_SIGNATURE) {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WAVE" {
        Some("audio/wav")
    } else {
        None
    }
}

/// Where a content-addressed file lives: `attachments/ab/abcdef…`.
pub(crate) fn attachment_path(state: &AppState, sha256: &str) -> PathBuf {
    let prefix = sha256.get(..2).unwrap_or("00");
    state.config.attachments_dir.join(prefix).join(sha256)
}

/// Writes a file durably: to a temporary name, fsync, rename, fsync the directory.
pub(crate) async fn write_durably(path: PathBuf, bytes: Bytes) -> std::io::Result<()> {
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        if path.exists() {
            return Ok(()); // content-addressed: the same bytes are already there
        }
        let dir = path.parent().ok_or_else(|| std::io::Error::other("no parent directory"))?;
        std::fs::create_dir_all(dir)?;
        let temp = dir.join(format!(".upload-{}", random_token(8)));
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, &path)?;
        std::fs::File::open(dir)?.sync_all()
    })
    .await
    .map_err(std::io::Error::other)?
}

/// Stores a file content-addressed and records it on the case (with its history event).
pub async fn save(
    state: &AppState,
    case_id: i64,
    bytes: Bytes,
    content_type: &str,
    filename: &str,
    public: bool,
) -> Result<store::Attachment, crate::Error> {
    use sha2::{Digest, Sha256};
    let sha256 = crate::auth::hex(&Sha256::digest(&bytes));
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    write_durably(attachment_path(state, &sha256), bytes)
        .await
        .map_err(|err| crate::Error::Internal(format!("store attachment: {err}")))?;
    let attachment = state
        .store
        .add_attachment(&store::NewAttachment {
            case_id,
            sha256,
            filename: filename.to_owned(),
            content_type: content_type.to_owned(),
            size,
            public,
            actor_user_id: None,
        })
        .await?;
    Ok(attachment)
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Why a photo's metadata could not be removed. The photo is then refused, not stored as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MetadataError {
    /// Neither JPEG nor PNG.
    Unsupported,
    /// The file ends before its structure does.
    Truncated,
    /// The structure is broken; says where.
    Malformed(&'static str),
}

impl std::fmt::Display for MetadataError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MetadataError::Unsupported => f.write_str("not a jpeg or png image"),
            MetadataError::Truncated => f.write_str("the image is truncated"),
            MetadataError::Malformed(what) => write!(f, "the image is malformed: {what}"),
        }
    }
}

impl std::error::Error for MetadataError {}

/// Returns the image without metadata: for JPEG, every APP1..APP15 segment (EXIF, XMP, ICC,
/// maker notes, Adobe, …) and every comment, keeping APP0 (JFIF); for PNG, the `eXIf`, `tEXt`,
/// `iTXt`, `zTXt` and `tIME` chunks. Bytes after the end of the image are dropped too.
pub(crate) fn strip_metadata(bytes: &[u8]) -> Result<Vec<u8>, MetadataError> {
    if bytes.starts_with(&[0xFF, 0xD8]) {
        strip_jpeg(bytes)
    } else if bytes.starts_with(PNG_SIGNATURE) {
        strip_png(bytes)
    } else {
        Err(MetadataError::Unsupported)
    }
}

fn strip_jpeg(bytes: &[u8]) -> Result<Vec<u8>, MetadataError> {
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut at = 2;
    loop {
        match bytes.get(at) {
            None => return Err(MetadataError::Truncated),
            Some(0xFF) => {}
            Some(_) => return Err(MetadataError::Malformed("expected a segment marker")),
        }
        // Any number of 0xFF fill bytes may precede a marker.
        while bytes.get(at) == Some(&0xFF) {
            at += 1;
        }
        let marker = *bytes.get(at).ok_or(MetadataError::Truncated)?;
        at += 1;
        match marker {
            0xD9 => {
                out.extend_from_slice(&[0xFF, 0xD9]);
                return Ok(out);
            }
            0xD8 => return Err(MetadataError::Malformed("a second start of image")),
            0x00 => return Err(MetadataError::Malformed("a stuffed byte outside scan data")),
            // Markers without a length: TEM and the restart markers.
            0x01 | 0xD0..=0xD7 => out.extend_from_slice(&[0xFF, marker]),
            _ => {
                let length_bytes = bytes.get(at..at + 2).ok_or(MetadataError::Truncated)?;
                let length = usize::from(u16::from_be_bytes([length_bytes[0], length_bytes[1]]));
                if length < 2 {
                    return Err(MetadataError::Malformed("a segment length below two"));
                }
                let end = at + length;
                let segment = bytes.get(at..end).ok_or(MetadataError::Truncated)?;
                let metadata = (0xE1..=0xEF).contains(&marker) || marker == 0xFE;
                if !metadata {
                    out.extend_from_slice(&[0xFF, marker]);
                    out.extend_from_slice(segment);
                }
                at = end;
                if marker == 0xDA {
                    // Entropy-coded data follows the scan header, up to the next real marker:
                    // 0xFF is escaped as FF 00, and restart markers belong to the data.
                    let start = at;
                    loop {
                        match bytes.get(at) {
                            None => return Err(MetadataError::Truncated),
                            Some(0xFF) => match bytes.get(at + 1) {
                                None => return Err(MetadataError::Truncated),
                                Some(0x00 | 0xD0..=0xD7) => at += 2,
                                Some(_) => break,
                            },
                            Some(_) => at += 1,
                        }
                    }
                    out.extend_from_slice(&bytes[start..at]);
                }
            }
        }
    }
}

fn strip_png(bytes: &[u8]) -> Result<Vec<u8>, MetadataError> {
    const DROPPED: [&[u8; 4]; 5] = [b"eXIf", b"tEXt", b"iTXt", b"zTXt", b"tIME"];
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(PNG_SIGNATURE);
    let mut at = PNG_SIGNATURE.len();
    let mut first = true;
    loop {
        let header = bytes.get(at..at + 8).ok_or(MetadataError::Truncated)?;
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        if length > 0x7FFF_FFFF {
            return Err(MetadataError::Malformed("a chunk length above 2^31 - 1"));
        }
        let kind = &header[4..8];
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(MetadataError::Malformed("a chunk type that is not four letters"));
        }
        if first && kind != b"IHDR" {
            return Err(MetadataError::Malformed("the first chunk is not IHDR"));
        }
        first = false;
        // Length, type, data and CRC.
        let end = usize::try_from(length)
            .ok()
            .and_then(|length| at.checked_add(12)?.checked_add(length))
            .ok_or(MetadataError::Truncated)?;
        let chunk = bytes.get(at..end).ok_or(MetadataError::Truncated)?;
        if !DROPPED.iter().any(|dropped| kind == *dropped) {
            out.extend_from_slice(chunk);
        }
        at = end;
        if kind == b"IEND" {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests;
