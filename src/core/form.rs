//! `application/x-www-form-urlencoded` (WHATWG URL Standard §5, "application/x-www-form-urlencoded"):
//! the encoding of authorization request queries (RFC 6749 §4.1.1, Appendix B), token request
//! bodies (RFC 6749 §4.1.3, §6), logout queries, and the authorization responses that come back in
//! a query, a fragment or a form_post body.
//!
//! Small on purpose: the parser splits on `&`, skips empty pieces, splits each at its first `=`,
//! turns `+` into a space, decodes `%XX` (a `%` without two hex digits stays as it is), and reads
//! the bytes as UTF-8, any invalid sequence becoming U+FFFD. The serializer keeps ASCII letters,
//! digits and `*-._`, writes a space as `+` and every other byte as `%XX` in upper case. Both are
//! checked against the `form_urlencoded` crate in the tests.

/// The name-value pairs of `input`, in order (duplicates kept: callers that need exactly one
/// value of a name check it themselves).
pub fn parse(input: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for piece in crate::core::text::pieces(input, b'&') {
        if piece.is_empty() {
            continue;
        }
        let (name, value) = crate::core::text::split_once(piece, b'=').unwrap_or((piece, ""));
        pairs.push((decode(name), decode(value)));
    }
    pairs
}

/// The value of the first pair named `name` in `input`.
pub fn first(input: &str, name: &str) -> Option<String> {
    // As `parse` reads the pairs, without building them: only the value found is decoded.
    for piece in crate::core::text::pieces(input, b'&') {
        if piece.is_empty() {
            continue;
        }
        let (n, v) = crate::core::text::split_once(piece, b'=').unwrap_or((piece, ""));
        if decode(n) == name {
            return Some(decode(v));
        }
    }
    None
}

/// One name or value: `+` is a space, `%XX` a byte, then UTF-8 with U+FFFD for what is not.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        i = i.saturating_add(1);
        match byte {
            b'+' => out.push(b' '),
            b'%' => {
                let high = bytes.get(i).copied().and_then(hex_value);
                let low = bytes.get(i.saturating_add(1)).copied().and_then(hex_value);
                match (high, low) {
                    (Some(high), Some(low)) => {
                        out.push(high << 4 | low);
                        i = i.saturating_add(2);
                    }
                    _ => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
    }
    crate::core::text::utf8_lossy(out)
}

/// The value of one hex digit (also the JSON reader's, for `\u` escapes).
pub(crate) fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit.wrapping_sub(b'0')),
        b'a'..=b'f' => Some(digit.wrapping_sub(b'a').wrapping_add(10)),
        b'A'..=b'F' => Some(digit.wrapping_sub(b'A').wrapping_add(10)),
        _ => None,
    }
}

/// A form being written: pairs joined by `&`, each `name=value` encoded.
#[derive(Default)]
pub struct Form {
    text: String,
    /// Where the form starts in `text` (after what [`Form::after`] was given).
    start: usize,
}

impl Form {
    /// An empty form.
    pub fn new() -> Self {
        Form::default()
    }

    /// A form appended to `start` (e.g. a URL up to its `?`): the first pair gets no `&`.
    pub fn after(start: String) -> Self {
        Form {
            start: start.len(),
            text: start,
        }
    }

    /// Adds `name=value`.
    pub fn pair(&mut self, name: &str, value: &str) -> &mut Self {
        if self.text.len() > self.start {
            self.text.push('&');
        }
        encode_into(name, &mut self.text);
        self.text.push('=');
        encode_into(value, &mut self.text);
        self
    }

    /// Adds `name` with the whitespace-separated words of all `values` joined by one space
    /// (a space-delimited list such as `ui_locales`), unless there are none.
    pub fn words(&mut self, name: &str, values: &[String]) -> &mut Self {
        let mut joined = String::new();
        for value in values {
            for word in crate::core::text::words(value) {
                if !joined.is_empty() {
                    joined.push(' ');
                }
                joined.push_str(word);
            }
        }
        if !joined.is_empty() {
            self.pair(name, &joined);
        }
        self
    }

    /// The text written so far; the form is left empty.
    pub fn finish(&mut self) -> String {
        self.start = 0;
        std::mem::take(&mut self.text)
    }
}

/// Appends `text` encoded.
fn encode_into(text: &str, out: &mut String) {
    for byte in text.bytes() {
        match byte {
            b'*' | b'-' | b'.' | b'_' | b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' => {
                out.push(char::from(byte))
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(hex_digit(byte >> 4));
                out.push(hex_digit(byte & 15));
            }
        }
    }
}

/// The upper-case hex digit of a nibble (0 to 15).
fn hex_digit(nibble: u8) -> char {
    char::from(match nibble {
        0..=9 => b'0'.wrapping_add(nibble),
        _ => b'A'.wrapping_add(nibble.wrapping_sub(10)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inputs that exercise every branch: escapes, bad escapes, `+`, empty pieces, `=` in values,
    /// invalid UTF-8 after decoding, and multi-byte characters.
    const INPUTS: &[&str] = &[
        "",
        "a=1&b=2",
        "&&a=1&&",
        "a",
        "a=",
        "=b",
        "a=b=c",
        "a+b=c+d",
        "%41%42=%7e%7E",
        "x=%",
        "x=%4",
        "x=%zz",
        "x=%4g1",
        "x=%FF",
        "x=%C3%A9",
        "x=%C3",
        "x=%E2%82",
        "x=%E2%82%AC%FF%FEok",
        "é=ü&€",
        "state=abc%26def&code=x%3Dy",
    ];

    #[test]
    fn parse_agrees_with_form_urlencoded() {
        for input in INPUTS {
            let ours = parse(input);
            let theirs: Vec<(String, String)> = form_urlencoded::parse(input.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            assert_eq!(ours, theirs, "input {input:?}");
        }
    }

    #[test]
    fn first_is_the_first_parsed_pair_of_the_name() {
        for input in INPUTS {
            let pairs = parse(input);
            for name in pairs.iter().map(|(n, _)| n.as_str()).chain(["", "missing"]) {
                let expected = pairs
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone());
                assert_eq!(
                    first(input, name),
                    expected,
                    "input {input:?}, name {name:?}"
                );
            }
        }
    }

    #[test]
    fn serialize_agrees_with_form_urlencoded() {
        let values = [
            "",
            "plain",
            "a b",
            "a+b&c=d",
            "*-._~!'()",
            "é€😀",
            "\u{0}\u{7f}",
            "/?#[]@",
        ];
        let mut ours = Form::new();
        let mut theirs = form_urlencoded::Serializer::new(String::new());
        for value in values {
            ours.pair(value, value);
            theirs.append_pair(value, value);
        }
        assert_eq!(ours.finish(), theirs.finish());
    }

    #[test]
    fn after_a_question_mark_the_first_pair_has_no_ampersand() {
        assert_eq!(
            Form::after("https://a.example/cb?".into())
                .pair("x", "1")
                .pair("y", "2")
                .finish(),
            "https://a.example/cb?x=1&y=2"
        );
        assert_eq!(first("a=1&x=%20&x=2", "x").as_deref(), Some(" "));
        assert_eq!(first("a=1", "x"), None);
    }
}
