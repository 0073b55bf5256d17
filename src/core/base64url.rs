//! Base64url without padding (RFC 4648 §5, as JOSE uses it: RFC 7515 §2), small and strict.
//! Decoding refuses padding, characters outside the alphabet, a length that leaves 6 spare bits,
//! and non-zero spare bits in the last character, so every byte string has exactly one encoding
//! that decodes (no two JWS texts carry the same signature).

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The base64url text of `bytes`, without padding.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().saturating_mul(4).div_ceil(3));
    // As `decode` reads: the bits not yet written (fewer than 6 between bytes) and how many.
    let mut bits: u32 = 0;
    let mut count: u32 = 0;
    for byte in bytes {
        bits = bits << 8 | u32::from(*byte);
        count = count.wrapping_add(8);
        while count >= 6 {
            count = count.wrapping_sub(6);
            push_symbol(&mut out, bits >> count);
        }
        bits &= (1u32 << count).wrapping_sub(1);
    }
    // The last 2 or 4 bits, padded with zero bits to a character.
    if count > 0 {
        push_symbol(&mut out, bits << (6_u32.wrapping_sub(count)));
    }
    out
}

/// Appends the character of the low 6 bits of `sextet`.
fn push_symbol(out: &mut String, sextet: u32) {
    if let Some(symbol) = ALPHABET.get((sextet & 63) as usize) {
        out.push(char::from(*symbol));
    }
}

/// The bytes of base64url `text` (no padding), or `None` when it is not the canonical encoding
/// of any byte string.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len().saturating_mul(3) >> 2);
    let mut bits: u32 = 0;
    let mut count: u32 = 0;
    for symbol in text.bytes() {
        let value = match symbol {
            b'A'..=b'Z' => symbol.wrapping_sub(b'A'),
            b'a'..=b'z' => symbol.wrapping_sub(b'a' - 26),
            b'0'..=b'9' => symbol.wrapping_add(52 - b'0'),
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        bits = bits << 6 | u32::from(value);
        count = count.wrapping_add(6);
        if count >= 8 {
            count = count.wrapping_sub(8);
            out.push((bits >> count) as u8);
            bits &= (1u32 << count).wrapping_sub(1);
        }
    }
    // Left over: 0 bits (a multiple of four characters), 2 or 4 spare bits that must be zero;
    // 6 (one lone character) encodes nothing.
    (count < 6 && bits == 0).then_some(out)
}
