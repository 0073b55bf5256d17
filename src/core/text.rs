//! Text helpers without the standard library's generic `concat`/`join` (each element type costs
//! the wasm its own copy of them) or `format!` (the formatting machinery): `cat`, the lookups of
//! name-value lists and a lossy UTF-8 reader, which the whole core uses; and searches for ASCII
//! delimiters by byte (`split_once`, `rsplit_once`, `find_any`, `pieces`, `strip_first`,
//! `strip_last`) instead of std's `char` patterns, whose searchers and `memchr` are each their own
//! code in the wasm. An ASCII byte never occurs inside a multi-byte UTF-8 sequence, so every index
//! they find is a char boundary.

/// `parts` one after the other.
pub fn cat(parts: &[&str]) -> String {
    let len = parts.iter().fold(0usize, |n, p| n.saturating_add(p.len()));
    let mut out = String::with_capacity(len);
    for part in parts {
        out.push_str(part);
    }
    out
}

/// Whether `list` holds `value` (one loop for every list of strings the core looks a value up
/// in, where each `iter().any(..)` closure would be its own copy in the wasm).
pub fn has(list: &[String], value: &str) -> bool {
    for item in list {
        if item == value {
            return true;
        }
    }
    false
}

/// The value of the first pair named `name`, if any (one loop for the name-value lists of the
/// core: parameters, nonces by origin).
pub fn value_of<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    for (n, value) in pairs {
        if n == name {
            return Some(value);
        }
    }
    None
}

/// Sets the value of the first pair named `name`, or appends the pair when there is none.
pub fn set_value(pairs: &mut Vec<(String, String)>, name: &str, value: String) {
    for (n, slot) in pairs.iter_mut() {
        if n == name {
            *slot = value;
            return;
        }
    }
    pairs.push((name.to_owned(), value));
}

/// `bytes` as text, each invalid UTF-8 sequence replaced by U+FFFD (as `String::from_utf8_lossy`
/// does, without its chunk iterator).
pub fn utf8_lossy(bytes: Vec<u8>) -> String {
    let bytes = match String::from_utf8(bytes) {
        Ok(text) => return text,
        Err(e) => e.into_bytes(),
    };
    let mut out = String::with_capacity(bytes.len());
    // Where the part not read yet starts (never past the end: each step skips at most the rest).
    let mut at = 0_usize;
    loop {
        let rest = bytes.get(at..).unwrap_or_default();
        match std::str::from_utf8(rest) {
            Ok(text) => {
                out.push_str(text);
                return out;
            }
            Err(e) => {
                let valid = e.valid_up_to();
                if let Some(Ok(text)) = rest.get(..valid).map(std::str::from_utf8) {
                    out.push_str(text);
                }
                out.push(char::REPLACEMENT_CHARACTER);
                // `None`: the input ends inside a sequence, which is one replacement.
                let skip = valid.saturating_add(e.error_len().unwrap_or(rest.len()));
                at = at.saturating_add(skip);
            }
        }
    }
}

/// The index of the first byte of `s` that is one of the ASCII `delimiters`.
pub fn find_any(s: &str, delimiters: &[u8]) -> Option<usize> {
    let bytes = s.as_bytes();
    for at in 0..bytes.len() {
        for d in delimiters {
            if bytes.get(at) == Some(d) {
                return Some(at);
            }
        }
    }
    None
}

/// `s` up to the first of the ASCII `delimiters`, or all of it.
pub fn before_any<'a>(s: &'a str, delimiters: &[u8]) -> &'a str {
    match find_any(s, delimiters) {
        Some(at) => s.get(..at).unwrap_or(s),
        None => s,
    }
}

/// Whether `s` holds the ASCII byte `delimiter`.
pub fn contains(s: &str, delimiter: u8) -> bool {
    find_any(s, &[delimiter]).is_some()
}

/// `s` without its first byte when that is the ASCII `prefix` (as `str::strip_prefix` with a
/// `char`).
pub fn strip_first(s: &str, prefix: u8) -> Option<&str> {
    match s.as_bytes().first() {
        Some(byte) if *byte == prefix => s.get(1..),
        _ => None,
    }
}

/// `s` without its last byte when that is the ASCII `suffix` (as `str::strip_suffix` with a
/// `char`).
pub fn strip_last(s: &str, suffix: u8) -> Option<&str> {
    match s.as_bytes().last() {
        Some(byte) if *byte == suffix => s.get(..s.len().saturating_sub(1)),
        _ => None,
    }
}

/// `s` split at `at` without the byte there.
fn around(s: &str, at: usize) -> Option<(&str, &str)> {
    Some((s.get(..at)?, s.get(at..)?.get(1..)?))
}

/// `s` split at the first ASCII `delimiter` (as `str::split_once` with a `char`).
pub fn split_once(s: &str, delimiter: u8) -> Option<(&str, &str)> {
    around(s, find_any(s, &[delimiter])?)
}

/// `s` split at the last ASCII `delimiter` (as `str::rsplit_once` with a `char`).
pub fn rsplit_once(s: &str, delimiter: u8) -> Option<(&str, &str)> {
    let mut last = None;
    let bytes = s.as_bytes();
    for at in 0..bytes.len() {
        if bytes.get(at) == Some(&delimiter) {
            last = Some(at);
        }
    }
    around(s, last?)
}

/// The pieces of `s` between ASCII `delimiter`s (as `str::split` with a `char`: `""` gives one
/// empty piece).
pub fn pieces(s: &str, delimiter: u8) -> Pieces<'_> {
    Pieces {
        rest: Some(s),
        delimiter,
    }
}

/// The iterator of [`pieces`].
pub struct Pieces<'a> {
    rest: Option<&'a str>,
    delimiter: u8,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match split_once(rest, self.delimiter) {
            Some((piece, after)) => {
                self.rest = Some(after);
                Some(piece)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// The words of `s` between runs of ASCII whitespace (as `str::split_ascii_whitespace`, whose
/// iterator is its own code in the wasm; this one shares [`find_any`]).
pub fn words(s: &str) -> Words<'_> {
    Words(s)
}

/// The iterator of [`words`].
pub struct Words<'a>(&'a str);

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        loop {
            let rest = self.0;
            if rest.is_empty() {
                return None;
            }
            // The bytes of `u8::is_ascii_whitespace`.
            let (word, after) = match find_any(rest, b" \t\n\x0c\r") {
                Some(at) => around(rest, at)?,
                None => (rest, ""),
            };
            self.0 = after;
            if !word.is_empty() {
                return Some(word);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_first_and_last_match_std() {
        for s in [
            "", "-", "-1", "1-", "--", "é-", "-é", "/", "a/", "/a", "a//",
        ] {
            assert_eq!(strip_first(s, b'-'), s.strip_prefix('-'));
            assert_eq!(strip_last(s, b'/'), s.strip_suffix('/'));
        }
    }

    #[test]
    fn lossy_utf8_matches_std() {
        let cases: &[&[u8]] = &[
            b"ok",
            b"\xff",
            b"a\xffb\xfe",
            b"\xe2\x82",
            b"\xe2\x82\xac",
            b"x\xc3",
        ];
        for bytes in cases {
            assert_eq!(utf8_lossy(bytes.to_vec()), String::from_utf8_lossy(bytes));
        }
    }
}
