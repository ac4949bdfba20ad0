//! Tests of content sniffing and photo metadata removal, including malformed input.

use expect_test::{Expect, expect};
use proptest::prelude::*;

use super::{MetadataError, sniff_content_type, strip_metadata};

fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let length = u16::try_from(payload.len() + 2).unwrap();
    let mut out = vec![0xFF, marker];
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// A structurally complete JPEG with the metadata a phone writes.
fn phone_jpeg() -> Vec<u8> {
    let mut jpeg = vec![0xFF, 0xD8];
    jpeg.extend(segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
    jpeg.extend(segment(0xE1, b"Exif\0\0MM\0*GPSLatitude 42.1354 Samsung SM-A515F"));
    jpeg.extend(segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>GPS</x:xmpmeta>"));
    jpeg.extend(segment(0xE2, b"ICC_PROFILE\0\x01\x01profile"));
    jpeg.extend(segment(0xFE, b"taken at home"));
    jpeg.extend(segment(0xDB, &[0u8; 65]));
    jpeg.extend(segment(0xC0, b"\x08\0\x10\0\x10\x01\x01\x11\0"));
    jpeg.extend(segment(0xC4, b"\0\x01\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x00"));
    jpeg.extend(segment(0xDA, b"\x01\x01\0\0\x3f\0"));
    // Scan data with an escaped 0xFF, a restart marker and fill bytes before EOI.
    jpeg.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xFF]);
    jpeg.extend_from_slice(&[0xFF, 0xD9]);
    // Data appended after the end of the image.
    jpeg.extend_from_slice(b"hidden trailer");
    jpeg
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&[0xDE, 0xAD, 0xBE, 0xEF]); // the CRC is copied, not checked
    out
}

fn phone_png() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]));
    png.extend(chunk(b"eXIf", b"MM\0*GPS"));
    png.extend(chunk(b"tEXt", b"Author\0Maria"));
    png.extend(chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta/>"));
    png.extend(chunk(b"zTXt", b"Comment\0\0x"));
    png.extend(chunk(b"tIME", &[7, 234, 3, 2, 10, 0, 0]));
    png.extend(chunk(b"sRGB", &[0]));
    png.extend(chunk(b"IDAT", b"\x78\x9c\x63\x60\x00\x00"));
    png.extend(chunk(b"IEND", b""));
    png.extend_from_slice(b"trailer");
    png
}

/// Describes an image's structure: JPEG markers or PNG chunk types, and any leftover bytes.
fn structure(bytes: &[u8]) -> String {
    if bytes.starts_with(b"\x89PNG") {
        let mut at = 8;
        let mut kinds = Vec::new();
        while let Some(header) = bytes.get(at..at + 8) {
            let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
            kinds.push(String::from_utf8_lossy(&header[4..8]).into_owned());
            at += 12 + length;
        }
        return format!("png {}", kinds.join(" "));
    }
    let mut markers = Vec::new();
    let mut at = 0;
    while at + 1 < bytes.len() {
        if bytes[at] == 0xFF && bytes[at + 1] != 0x00 && bytes[at + 1] != 0xFF {
            markers.push(format!("{:02X}", bytes[at + 1]));
        }
        at += 1;
    }
    format!("jpeg {}", markers.join(" "))
}

fn check(input: &[u8], expect: Expect) {
    let actual = match strip_metadata(input) {
        Ok(output) => {
            assert_eq!(sniff_content_type(&output), sniff_content_type(input), "the type survives");
            structure(&output)
        }
        Err(err) => format!("error: {err}"),
    };
    expect.assert_eq(&actual);
}

#[test]
fn jpeg_loses_exif_xmp_icc_comments_and_trailer() {
    let input = phone_jpeg();
    check(&input, expect![["jpeg D8 E0 DB C0 C4 DA D0 D9"]]);
    let output = strip_metadata(&input).unwrap();
    for secret in [&b"GPS"[..], b"Exif", b"Samsung", b"taken at home", b"hidden trailer", b"xmpmeta"] {
        assert!(!output.windows(secret.len()).any(|w| w == secret), "{:?} left", String::from_utf8_lossy(secret));
    }
    // The scan data is copied byte for byte, escapes and restarts included.
    assert!(output.windows(9).any(|w| w == [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xD9]));
}

#[test]
fn png_loses_text_exif_and_time_chunks() {
    let input = phone_png();
    check(&input, expect![["png IHDR sRGB IDAT IEND"]]);
    let output = strip_metadata(&input).unwrap();
    assert!(!output.windows(5).any(|w| w == b"Maria"));
    assert!(!output.ends_with(b"trailer"));
}

#[test]
fn clean_images_are_unchanged() {
    let mut clean = vec![0xFF, 0xD8];
    clean.extend(segment(0xE0, b"JFIF\0"));
    clean.extend(segment(0xDA, b"\x01\x01\0\0\x3f\0"));
    clean.extend_from_slice(&[1, 2, 3, 0xFF, 0xD9]);
    assert_eq!(strip_metadata(&clean).unwrap(), clean);
}

#[test]
fn malformed_images_are_refused() {
    check(b"GIF89a", expect![["error: not a jpeg or png image"]]);
    check(b"", expect![["error: not a jpeg or png image"]]);
    check(&[0xFF, 0xD8], expect![["error: the image is truncated"]]);
    check(&[0xFF, 0xD8, 0x12], expect![["error: the image is malformed: expected a segment marker"]]);
    check(&[0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01], expect![["error: the image is malformed: a segment length below two"]]);
    check(&[0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 0x00], expect![["error: the image is truncated"]]);
    check(&[0xFF, 0xD8, 0xFF, 0xD8], expect![["error: the image is malformed: a second start of image"]]);
    check(&[0xFF, 0xD8, 0xFF, 0x00], expect![["error: the image is malformed: a stuffed byte outside scan data"]]);
    check(&[0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x01, 0xFF], expect![["error: the image is truncated"]]);
    check(b"\x89PNG\r\n\x1a\n", expect![["error: the image is truncated"]]);
    let mut bad_type = b"\x89PNG\r\n\x1a\n".to_vec();
    bad_type.extend(chunk(b"IH\0R", b""));
    check(&bad_type, expect![["error: the image is malformed: a chunk type that is not four letters"]]);
    let mut not_first = b"\x89PNG\r\n\x1a\n".to_vec();
    not_first.extend(chunk(b"tEXt", b""));
    check(&not_first, expect![["error: the image is malformed: the first chunk is not IHDR"]]);
    let mut huge = b"\x89PNG\r\n\x1a\n".to_vec();
    huge.extend_from_slice(&[0x7F, 0xFF, 0xFF, 0xFF]);
    huge.extend_from_slice(b"IHDR");
    check(&huge, expect![["error: the image is truncated"]]);
    let mut too_long = b"\x89PNG\r\n\x1a\n".to_vec();
    too_long.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
    too_long.extend_from_slice(b"IHDR");
    check(&too_long, expect![["error: the image is malformed: a chunk length above 2^31 - 1"]]);
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    for image in [phone_jpeg(), phone_png()] {
        let trailer_start = image.len() - if image.starts_with(b"\x89PNG") { 7 } else { 14 };
        for cut in 0..trailer_start {
            assert!(strip_metadata(&image[..cut]).is_err(), "cut at {cut} accepted");
        }
        for cut in trailer_start..=image.len() {
            assert!(strip_metadata(&image[..cut]).is_ok(), "cut at {cut} refused");
        }
    }
}

#[test]
fn sniffing_ignores_names_and_reads_content() {
    let sniffed: Vec<Option<&str>> = [&phone_jpeg()[..], &phone_png(), b"%PDF-1.7", b"RIFF\0\0\0\0WEBPVP8 ", b"<svg>"]
        .iter()
        .map(|bytes| sniff_content_type(bytes))
        .collect();
    assert_eq!(sniffed, [Some("image/jpeg"), Some("image/png"), Some("application/pdf"), Some("image/webp"), None]);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..512), png in any::<bool>()) {
        let mut input = if png { b"\x89PNG\r\n\x1a\n".to_vec() } else { vec![0xFF, 0xD8] };
        input.extend(tail);
        let _ = strip_metadata(&input);
    }

    #[test]
    fn mutated_images_never_panic_and_never_keep_exif(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        png in any::<bool>(),
    ) {
        let mut input = if png { phone_png() } else { phone_jpeg() };
        for (index, byte) in flips {
            let at = index.index(input.len());
            input[at] = byte;
        }
        if let Ok(output) = strip_metadata(&input) {
            // Whatever survives parses again to itself: stripping is idempotent.
            prop_assert_eq!(strip_metadata(&output), Ok(output.clone()));
        }
    }
}

#[test]
fn errors_read_lowercase() {
    assert_eq!(MetadataError::Truncated.to_string(), "the image is truncated");
}
