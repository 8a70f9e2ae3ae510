//! Text decoding shared by every ELVIS text reader (exposure logs, HK files): one tolerance
//! for byte-order marks and encodings.

use std::borrow::Cow;

/// Text of a file and what was done to decode it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedText<'a> {
    /// The text, without a byte-order mark.
    pub text: Cow<'a, str>,
    /// Notes for the load report (encoding repairs); empty for plain UTF-8, with or without
    /// a byte-order mark.
    pub warnings: Vec<String>,
}

/// Decodes a text file: a UTF-8 byte-order mark is dropped silently, UTF-16 with a
/// byte-order mark (as Windows tools write) is decoded with a warning, and invalid UTF-8
/// (e.g. Latin-1 degree signs) is replaced by U+FFFD with a warning.
pub fn decode_text(bytes: &[u8]) -> DecodedText<'_> {
    let utf16 = |le: bool| -> DecodedText<'_> {
        let units = bytes[2..].chunks_exact(2).map(|c| {
            let pair = [c[0], c[1]];
            if le {
                u16::from_le_bytes(pair)
            } else {
                u16::from_be_bytes(pair)
            }
        });
        let text: String = char::decode_utf16(units)
            .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        DecodedText {
            text: Cow::Owned(text),
            warnings: vec![format!(
                "file is UTF-16 ({}): decoded to UTF-8",
                if le { "little-endian" } else { "big-endian" }
            )],
        }
    };
    match bytes {
        [0xFF, 0xFE, ..] => return utf16(true),
        [0xFE, 0xFF, ..] => return utf16(false),
        _ => {}
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(body) {
        Ok(t) => DecodedText {
            text: Cow::Borrowed(t),
            warnings: Vec::new(),
        },
        Err(_) => DecodedText {
            text: String::from_utf8_lossy(body),
            warnings: vec!["file is not valid UTF-8: invalid bytes replaced by U+FFFD".to_string()],
        },
    }
}

/// `text` without a leading byte-order mark (U+FEFF).
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boms_and_encodings_decode_to_the_same_text() {
        let plain = decode_text(b"ObsID\tCCD\n");
        assert_eq!(
            (plain.text.as_ref(), plain.warnings.len()),
            ("ObsID\tCCD\n", 0)
        );
        let bom = decode_text(b"\xEF\xBB\xBFObsID\tCCD\n");
        assert_eq!(bom, plain);
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("ObsID\tCCD\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let d = decode_text(&le);
        assert_eq!(d.text, "ObsID\tCCD\n");
        assert!(d.warnings[0].contains("UTF-16 (little-endian)"));
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("T=25\u{b0}C".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode_text(&be).text, "T=25\u{b0}C");
        let latin1 = decode_text(b"T=25\xB0C");
        assert_eq!(latin1.text, "T=25\u{fffd}C");
        assert!(latin1.warnings[0].contains("not valid UTF-8"));
        assert_eq!(strip_bom("\u{feff}ObsID"), "ObsID");
    }
}
