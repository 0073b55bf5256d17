//! Reading the members of a JSON object (RFC 8259 §4) against a table: the provider metadata
//! (Discovery §3), the claims of an ID token (OIDC Core §2) and the stored forms are each
//! checked in one loop over a table of member names and kinds ([`misfit`]), after which taking
//! the members out ([`take_str`], [`take_strings`], ...) cannot fail. One checker and a few
//! readers serve every struct, where one fallible reader per field would each carry its own
//! error path.

use crate::core::json::{parse_u64, Json, Object};
use crate::core::metadata::url_problem;
use crate::error::{Error, ResponseError};

/// What a member must hold.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string.
    Str,
    /// A string that is not empty.
    NonEmptyStr,
    /// An absolute `http(s)` URL with a host and no fragment
    /// ([`url_problem`]).
    Url,
    /// `true` or `false`.
    Bool,
    /// A number whose integer part fits an `i64` ([`Json::as_i64`]).
    Int,
    /// A number written as decimal digits only, that fits a `u64`.
    Count,
    /// An array of strings.
    Strings,
    /// A string, or a non-empty array of strings (an ID token's `aud`, OIDC Core §2).
    Audience,
    /// An object.
    Object,
}

/// A member that must be present (not `null`); an optional one may be absent or `null`.
pub const REQUIRED: bool = true;
/// A member that may be absent or `null`.
pub const OPTIONAL: bool = false;

/// One row of a table: the member's name, what it must hold, and whether it is required.
pub type Member = (&'static str, Kind, bool);

/// The first member of `table`, in table order, that `object` does not hold as the row says:
/// its name and why. The reason is empty when a required member is absent, `null` or of another
/// type; for an optional member of another type it says what the member should be (`not a
/// string`, `not a boolean`, `not an array of strings`); for a [`Kind::Url`] that is a string but
/// not a usable URL it is [`url_problem`]'s reason, required or not.
pub fn misfit(object: &Object, table: &[Member]) -> Option<(&'static str, &'static str)> {
    for &(name, kind, required) in table {
        let value = match object.get(name) {
            None | Some(Json::Null) if required => return Some((name, "")),
            None | Some(Json::Null) => continue,
            Some(value) => value,
        };
        let why = match (kind, value) {
            (Kind::Str, Json::String(_))
            | (Kind::Bool, Json::Bool(_))
            | (Kind::Object, Json::Object(_))
            | (Kind::Audience, Json::String(_)) => continue,
            (Kind::NonEmptyStr, Json::String(s)) if !s.is_empty() => continue,
            (Kind::Int, Json::Number(_)) if value.as_i64().is_some() => continue,
            (Kind::Count, Json::Number(text)) if parse_u64(text).is_some() => continue,
            (Kind::Strings, Json::Array(items)) if all_strings(items) => continue,
            (Kind::Audience, Json::Array(items)) if !items.is_empty() && all_strings(items) => {
                continue
            }
            (Kind::Url, Json::String(url)) => match url_problem(url) {
                None => continue,
                Some(why) => why,
            },
            _ if required => "",
            (Kind::Bool, _) => "not a boolean",
            (Kind::Strings, _) => "not an array of strings",
            _ => "not a string",
        };
        return Some((name, why));
    }
    None
}

/// The JSON object of a response body from the OP: a body that is not JSON is
/// [`ResponseError::NotJson`] with `prefix` and the parser's reason, one that is JSON but not an
/// object [`ResponseError::NotJson`] with `not_object`.
pub fn response_object(body: &str, prefix: &str, not_object: &str) -> Result<Object, Error> {
    match Json::parse(body) {
        Ok(Json::Object(object)) => Ok(object),
        Ok(_) => Err(ResponseError::NotJson(not_object.to_owned()).into()),
        Err(e) => {
            Err(ResponseError::NotJson(crate::core::text::cat(&[prefix, &e.message()])).into())
        }
    }
}

/// [`misfit`] for a response from the OP: a required member absent or of another type is
/// [`ResponseError::MissingField`], any other misfit [`ResponseError::InvalidField`] with the
/// reason.
pub fn check_response(object: &Object, table: &[Member]) -> Result<(), Error> {
    match misfit(object, table) {
        None => Ok(()),
        Some((name, "")) => Err(ResponseError::MissingField(name).into()),
        Some((name, why)) => Err(ResponseError::InvalidField(name, why.to_owned()).into()),
    }
}

fn all_strings(items: &[Json]) -> bool {
    items.iter().all(|item| item.as_str().is_some())
}

/// Takes member `name` out if it is a string.
pub fn take_str(object: &mut Object, name: &str) -> Option<String> {
    match object.remove(name) {
        Some(Json::String(s)) => Some(s),
        _ => None,
    }
}

/// String member `name` of the JSON object `body`, if `body` is one and the member a string: the
/// one member several answers are read for (a nonce error, a token type, a rotated token).
pub fn body_str(body: &str, name: &str) -> Option<String> {
    take_str(&mut Json::parse_object(body).ok()?, name)
}

/// [`take_str`], the empty string when the member is absent or not a string (for members the
/// table already required).
pub fn take_text(object: &mut Object, name: &str) -> String {
    take_str(object, name).unwrap_or_default()
}

/// Takes member `name` out if it is a string or an array (its strings, in order; a string alone
/// is a list of one).
pub fn take_strings(object: &mut Object, name: &str) -> Option<Vec<String>> {
    let items = match object.remove(name)? {
        Json::String(one) => return Some(vec![one]),
        Json::Array(items) => items,
        _ => return None,
    };
    let mut strings = Vec::new();
    for item in items {
        if let Json::String(s) = item {
            strings.push(s);
        }
    }
    Some(strings)
}

/// Takes member `name` out and reads its integer part ([`Json::as_i64`]), if it is a number that
/// fits.
pub fn take_int(object: &mut Object, name: &str) -> Option<i64> {
    object.remove(name).and_then(|value| value.as_i64())
}

/// Member `name`, if it is `true` or `false`.
pub fn bool(object: &Object, name: &str) -> Option<bool> {
    object.get(name).and_then(Json::as_bool)
}
