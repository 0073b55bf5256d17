//! A small JSON reader and writer (RFC 8259), so that the wasm carries no general-purpose JSON
//! library and no floating-point code.
//!
//! - Numbers are kept as the text they were written with ([`Json::Number`]); [`Json::as_i64`]
//!   reads the integer part exactly (a fractional or exponent NumericDate such as `1.7e9` is
//!   accepted, RFC 7519 §2), with checked arithmetic. Nothing here ever formats or parses a float.
//! - Objects keep their members in document order; a name that appears twice is refused (RFC 8259
//!   §4 leaves it unspecified, and two parsers reading different values is how signature
//!   confusions start).
//! - Nesting is limited to [`MAX_DEPTH`] levels, so hostile input cannot exhaust the stack.
//! - Errors are [`JsonError`] values with a static reason and the byte offset; they never echo
//!   the input (it may hold a token).

use std::fmt;

/// How deeply arrays and objects may nest.
pub const MAX_DEPTH: usize = 64;

/// A JSON value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Json {
    /// `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as written in the document (already checked against the grammar).
    Number(String),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object.
    Object(Object),
}

/// A JSON object: members in document order, names unique.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Object(Vec<(String, Json)>);

/// Why a text is not JSON, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonError {
    /// What is wrong.
    pub reason: &'static str,
    /// The byte offset where it was noticed.
    pub offset: usize,
}

impl JsonError {
    /// `<reason> at byte <offset>`, built without `core::fmt` (what [`Display`](fmt::Display)
    /// shows too).
    pub fn message(&self) -> String {
        let offset = u64::try_from(self.offset).unwrap_or(u64::MAX);
        crate::core::text::cat(&[self.reason, " at byte ", &uint_text(offset)])
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// The decimal text of an integer (`-42`, `0`, `1700000000`), as `to_string()` writes it but
/// without `core::fmt`, whose machinery costs the wasm several KB. Every integer the core turns
/// into text goes through here or [`uint_text`].
pub fn int_text(value: i64) -> String {
    let digits = uint_text(value.unsigned_abs());
    if value < 0 {
        crate::core::text::cat(&["-", &digits])
    } else {
        digits
    }
}

/// The decimal text of an unsigned integer; see [`int_text`].
pub fn uint_text(value: u64) -> String {
    let mut rest = value;
    // The digits, least significant first; a u64 has at most 20.
    let mut reversed: Vec<u8> = Vec::with_capacity(20);
    loop {
        let digit = u8::try_from(rest.checked_rem(10).unwrap_or(0)).unwrap_or(0);
        reversed.push(b'0'.saturating_add(digit));
        rest = rest.checked_div(10).unwrap_or(0);
        if rest == 0 {
            break;
        }
    }
    let mut text = String::with_capacity(reversed.len());
    for &digit in reversed.iter().rev() {
        text.push(char::from(digit));
    }
    text
}

impl Object {
    /// An empty object.
    pub fn new() -> Self {
        Object(Vec::new())
    }

    /// Where member `name` is, if present (the one lookup loop of the methods below).
    fn index(&self, name: &str) -> Option<usize> {
        for (index, (k, _)) in self.0.iter().enumerate() {
            if k == name {
                return Some(index);
            }
        }
        None
    }

    /// The member `name`, if present.
    pub fn get(&self, name: &str) -> Option<&Json> {
        self.0.get(self.index(name)?).map(|(_, v)| v)
    }

    /// Takes member `name` out, if present.
    pub fn remove(&mut self, name: &str) -> Option<Json> {
        let index = self.index(name)?;
        Some(self.0.remove(index).1)
    }

    /// Sets member `name`, replacing a present one in place.
    pub fn insert(&mut self, name: &str, value: Json) {
        match self.index(name).and_then(|index| self.0.get_mut(index)) {
            Some((_, slot)) => *slot = value,
            None => self.0.push((name.to_owned(), value)),
        }
    }

    /// Whether member `name` is present.
    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The members, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Json)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// How many members.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it has no members.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The string member `name`, if present and a string.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Json::as_str)
    }
}

impl FromIterator<(String, Json)> for Object {
    fn from_iter<I: IntoIterator<Item = (String, Json)>>(iter: I) -> Self {
        let mut object = Object::new();
        for (k, v) in iter {
            object.insert(&k, v);
        }
        object
    }
}

impl Json {
    /// Parses a whole JSON text (surrounding white space allowed).
    pub fn parse(text: &str) -> Result<Json, JsonError> {
        let mut parser = Parser {
            bytes: text.as_bytes(),
            pos: 0,
        };
        parser.skip_ws();
        let value = parser.value(0)?;
        parser.skip_ws();
        if parser.pos != parser.bytes.len() {
            return Err(parser.error("trailing characters"));
        }
        Ok(value)
    }

    /// Parses a JSON text that must be an object.
    pub fn parse_object(text: &str) -> Result<Object, JsonError> {
        match Json::parse(text)? {
            Json::Object(object) => Ok(object),
            _ => Err(JsonError {
                reason: "not an object",
                offset: 0,
            }),
        }
    }

    /// A string value.
    pub fn str(value: impl Into<String>) -> Json {
        Json::String(value.into())
    }

    /// An integer value.
    pub fn int(value: i64) -> Json {
        Json::Number(int_text(value))
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Json::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The array, if this is one.
    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }

    /// Member `name`, if this is an object that has it.
    pub fn get(&self, name: &str) -> Option<&Json> {
        self.as_object().and_then(|o| o.get(name))
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// The integer part of a number (`1700000000.7` and `1.7e9` read as `1700000000`), if this is
    /// a number whose integer part fits an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Number(text) => integer_part(text),
            _ => None,
        }
    }

    /// [`Json::as_i64`] for numbers that may not be negative.
    pub fn as_u64(&self) -> Option<u64> {
        self.as_i64().and_then(|n| u64::try_from(n).ok())
    }

    /// The value as compact JSON text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    /// Appends the value as compact JSON text.
    pub fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(true) => out.push_str("true"),
            Json::Bool(false) => out.push_str("false"),
            Json::Number(text) => out.push_str(text),
            Json::String(s) => write_string(s, out),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Object(object) => {
                out.push('{');
                for (i, (name, value)) in object.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(name, out);
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }
}

impl<'a> IntoIterator for &'a Object {
    type Item = (&'a str, &'a Json);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, Json)>,
        fn(&'a (String, Json)) -> (&'a str, &'a Json),
    >;

    fn into_iter(self) -> Self::IntoIter {
        fn pair(entry: &(String, Json)) -> (&str, &Json) {
            (entry.0.as_str(), &entry.1)
        }
        self.0
            .iter()
            .map(pair as fn(&'a (String, Json)) -> (&'a str, &'a Json))
    }
}

impl From<Object> for Json {
    fn from(object: Object) -> Self {
        Json::Object(object)
    }
}

/// A JSON object written straight to compact text, member by member, without building a
/// [`Json`] tree first: the same text [`Json::to_text`] gives for an [`Object`] with these
/// members in this order. The caller writes each name once.
pub struct ObjectWriter(String);

impl Default for ObjectWriter {
    fn default() -> Self {
        ObjectWriter(String::from("{"))
    }
}

impl ObjectWriter {
    /// An empty object.
    pub fn new() -> Self {
        ObjectWriter::default()
    }

    /// Starts the member `name` and gives the text to write its value into.
    pub fn key(&mut self, name: &str) -> &mut String {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        write_string(name, &mut self.0);
        self.0.push(':');
        &mut self.0
    }

    /// A string member.
    pub fn str(&mut self, name: &str, value: &str) -> &mut Self {
        write_string(value, self.key(name));
        self
    }

    /// A string member when `value` is present.
    pub fn opt_str(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        if let Some(value) = value {
            self.str(name, value);
        }
        self
    }

    /// A member whose value is already JSON text (a number, `true`, `false`, an object).
    pub fn raw(&mut self, name: &str, text: &str) -> &mut Self {
        self.key(name).push_str(text);
        self
    }

    /// An integer member.
    pub fn int(&mut self, name: &str, value: i64) -> &mut Self {
        self.raw(name, &int_text(value))
    }

    /// An integer member when `value` is present.
    pub fn opt_int(&mut self, name: &str, value: Option<i64>) -> &mut Self {
        if let Some(value) = value {
            self.int(name, value);
        }
        self
    }

    /// A `true` or `false` member.
    pub fn bool(&mut self, name: &str, value: bool) -> &mut Self {
        self.raw(name, if value { "true" } else { "false" })
    }

    /// A member of any JSON value.
    pub fn json(&mut self, name: &str, value: &Json) -> &mut Self {
        value.write(self.key(name));
        self
    }

    /// An array-of-strings member.
    pub fn strings(&mut self, name: &str, values: &[String]) -> &mut Self {
        let out = self.key(name);
        out.push('[');
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(value, out);
        }
        out.push(']');
        self
    }

    /// The object's text, closed; the writer is left empty.
    pub fn end(&mut self) -> String {
        self.0.push('}');
        std::mem::take(&mut self.0)
    }
}

/// The first name (in sort order) that appears more than once among the first members of
/// `pairs`, if any. Sorting keeps it O(n log n): a scan of every earlier name would make a
/// hostile input with many names quadratic.
pub(crate) fn repeated_name<T>(pairs: &[(String, T)]) -> Option<&str> {
    let mut sorted: Vec<&str> = Vec::new();
    for (name, _) in pairs {
        sorted.push(name);
    }
    sort_strs(&mut sorted);
    sorted.windows(2).find_map(|pair| match pair {
        [a, b] if a == b => Some(*a),
        _ => None,
    })
}

/// Sorts `items` in place: a heapsort, O(n log n) whatever the input, in a few hundred bytes of
/// wasm where the standard library's sort costs several kilobytes.
pub fn sort_strs(items: &mut [&str]) {
    let len = items.len();
    for start in (0..len / 2).rev() {
        sift_down(items, start, len);
    }
    for end in (1..len).rev() {
        items.swap(0, end);
        sift_down(items, 0, end);
    }
}

/// Moves `items[root]` down the heap `items[..end]` to where it belongs.
fn sift_down(items: &mut [&str], mut root: usize, end: usize) {
    loop {
        let Some(left) = root.checked_mul(2).and_then(|r| r.checked_add(1)) else {
            return;
        };
        if left >= end {
            return;
        }
        let right = left.saturating_add(1);
        let child = if right < end && items.get(right) > items.get(left) {
            right
        } else {
            left
        };
        if items.get(child) <= items.get(root) {
            return;
        }
        items.swap(root, child);
        root = child;
    }
}

/// `text` as a decimal `i64` exactly as `str::parse::<i64>` reads it (an optional sign, then at
/// least one ASCII digit, nothing else; `None` when it does not fit), without std's generic
/// integer parser in the wasm.
pub fn parse_i64(text: &str) -> Option<i64> {
    match crate::core::text::strip_first(text, b'-') {
        Some(digits) => 0_i64.checked_sub_unsigned(decimal(digits)?),
        None => i64::try_from(parse_u64(text)?).ok(),
    }
}

/// `text` as a decimal `u64` exactly as `str::parse::<u64>` reads it (an optional `+`, then at
/// least one ASCII digit, nothing else; `None` when it does not fit).
pub fn parse_u64(text: &str) -> Option<u64> {
    decimal(crate::core::text::strip_first(text, b'+').unwrap_or(text))
}

/// One or more ASCII digits as a `u64`.
fn decimal(digits: &str) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    let mut value: u64 = 0;
    for byte in digits.bytes() {
        let digit = match byte {
            b'0'..=b'9' => u64::from(byte.wrapping_sub(b'0')),
            _ => return None,
        };
        value = times_ten(value)?.checked_add(digit)?;
    }
    Some(value)
}

/// `value` times ten, `None` when that overflows (as `checked_mul(10)`, without the 128-bit
/// multiplication that an overflow-checked 64-bit one costs in wasm32).
fn times_ten(value: u64) -> Option<u64> {
    (value <= u64::MAX / 10).then(|| value.wrapping_mul(10))
}

/// Reads the integer part of a number that passed the grammar, exactly, or `None` when it does
/// not fit an `i64`. Work is bounded by the number of digits: an exponent only ever multiplies a
/// non-zero magnitude by ten, which overflows within twenty steps.
fn integer_part(text: &str) -> Option<i64> {
    let (negative, rest) = match crate::core::text::strip_first(text, b'-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match crate::core::text::find_any(rest, b"eE") {
        Some(at) => (rest.get(..at)?, parse_i64(rest.get(at.checked_add(1)?..)?)?),
        None => (rest, 0),
    };
    let (int_digits, frac_digits) =
        crate::core::text::split_once(mantissa, b'.').unwrap_or((mantissa, ""));
    // The decimal point after shifting it by `exponent`: how many leading digits are integral.
    let point = i64::try_from(int_digits.len())
        .ok()?
        .checked_add(exponent)?;
    let take = u64::try_from(point.max(0)).ok()?;
    let mut magnitude: u64 = 0;
    let mut taken: u64 = 0;
    'digits: for digits in &[int_digits, frac_digits] {
        for byte in digits.bytes() {
            if taken >= take {
                break 'digits;
            }
            if !byte.is_ascii_digit() {
                return None;
            }
            magnitude = times_ten(magnitude)?.checked_add(u64::from(byte.wrapping_sub(b'0')))?;
            taken = taken.checked_add(1)?;
        }
    }
    // An exponent beyond the digits multiplies by ten for each missing one.
    if magnitude != 0 {
        for _ in taken..take {
            magnitude = times_ten(magnitude)?;
        }
    }
    if negative {
        0_i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}

pub(crate) fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                out.push_str("\\u00");
                let n = u32::from(c);
                for shift in &[4_u32, 0] {
                    let nibble = (n >> shift) & 0xf;
                    out.push(char::from_digit(nibble, 16).unwrap_or('0'));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, reason: &'static str) -> JsonError {
        JsonError {
            reason,
            offset: self.pos,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos = self.pos.saturating_add(1);
        Some(b)
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos = self.pos.saturating_add(1);
        }
    }

    fn expect_word(&mut self, word: &'static [u8], value: Json) -> Result<Json, JsonError> {
        let end = self.pos.saturating_add(word.len());
        if self.bytes.get(self.pos..end) == Some(word) {
            self.pos = end;
            Ok(value)
        } else {
            Err(self.error("unexpected character"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        match self.peek() {
            None => Err(self.error("unexpected end")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Json::String),
            Some(b't') => self.expect_word(b"true", Json::Bool(true)),
            Some(b'f') => self.expect_word(b"false", Json::Bool(false)),
            Some(b'n') => self.expect_word(b"null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("unexpected character")),
        }
    }

    fn nested(&self, depth: usize) -> Result<usize, JsonError> {
        let depth = depth.saturating_add(1);
        if depth > MAX_DEPTH {
            Err(self.error("nested too deeply"))
        } else {
            Ok(depth)
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, JsonError> {
        let depth = self.nested(depth)?;
        self.bump();
        // Where the object began: its `{`.
        let start = self.pos.saturating_sub(1);
        let mut object = Object::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.bump();
            return Ok(Json::Object(object));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a member name"));
            }
            let name = self.string()?;
            self.skip_ws();
            if self.bump() != Some(b':') {
                return Err(self.error("expected ':'"));
            }
            self.skip_ws();
            let value = self.value(depth)?;
            object.0.push((name, value));
            self.skip_ws();
            match self.bump() {
                Some(b',') => continue,
                Some(b'}') => {
                    if repeated_name(&object.0).is_some() {
                        return Err(JsonError {
                            reason: "duplicate member name",
                            offset: start,
                        });
                    }
                    return Ok(Json::Object(object));
                }
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, JsonError> {
        let depth = self.nested(depth)?;
        self.bump();
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.bump();
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.bump() {
                Some(b',') => continue,
                Some(b']') => return Ok(Json::Array(items)),
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos = self.pos.saturating_add(1);
        }
        self.pos.saturating_sub(start)
    }

    fn number(&mut self) -> Result<Json, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.bump();
        }
        match self.peek() {
            Some(b'0') => {
                self.bump();
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.error("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.bump();
            if self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.bump();
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.bump();
            }
            if self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
        }
        let text = self
            .bytes
            .get(start..self.pos)
            .and_then(|b| std::str::from_utf8(b).ok())
            .ok_or_else(|| self.error("invalid number"))?;
        Ok(Json::Number(text.to_owned()))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut n: u32 = 0;
        for _ in 0..4 {
            let digit = self
                .bump()
                .and_then(crate::core::form::hex_value)
                .ok_or_else(|| self.error("invalid \\u escape"))?;
            n = (n << 4) | u32::from(digit);
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.bump();
        let mut out: Vec<u8> = Vec::new();
        loop {
            let b = self
                .bump()
                .ok_or_else(|| self.error("unterminated string"))?;
            match b {
                b'"' => break,
                b'\\' => {
                    let escaped = self
                        .bump()
                        .ok_or_else(|| self.error("unterminated string"))?;
                    let byte = match escaped {
                        b'"' | b'\\' | b'/' => escaped,
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            let c = self.unicode_escape()?;
                            let mut buf = [0_u8; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                            continue;
                        }
                        _ => return Err(self.error("invalid escape")),
                    };
                    out.push(byte);
                }
                0x00..=0x1f => return Err(self.error("control character in string")),
                b => out.push(b),
            }
        }
        String::from_utf8(out).map_err(|_| self.error("invalid UTF-8"))
    }

    /// A `\uXXXX` escape, with a surrogate pair when the first half calls for one.
    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if self.bump() != Some(b'\\') || self.bump() != Some(b'u') {
                return Err(self.error("unpaired surrogate"));
            }
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err(self.error("unpaired surrogate"));
            }
            0x10000_u32
                .saturating_add((first.saturating_sub(0xD800)) << 10)
                .saturating_add(second.saturating_sub(0xDC00))
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| self.error("unpaired surrogate"))
    }
}
