//! The UserInfo response (OpenID Connect Core 1.0 §5.3.2) and its validation (§5.3.4).
//!
//! Only the plain JSON form is handled; a signed or encrypted (`application/jwt`) UserInfo
//! response is reported as not JSON. §5.3.2: the `sub` claim "MUST exactly match" the ID
//! token's `sub`, else the response "MUST NOT be used" (token substitution).

use crate::core::json::{Json, Object};
use crate::error::{Error, ResponseError};

/// Parses a UserInfo response body and checks its `sub` against the session's.
///
/// Errors: not a JSON object -> [`ResponseError::NotJson`]; no string `sub` ->
/// [`ResponseError::MissingField`] (`sub`); another `sub` -> [`Error::SubjectMismatch`].
/// Every claim of the response is returned, `sub` included.
pub fn parse_userinfo(body: &str, expected_sub: &str) -> Result<Object, Error> {
    let claims = crate::core::members::response_object(
        body,
        "UserInfo response: ",
        "UserInfo response is not an object",
    )?;
    match claims.get("sub").and_then(Json::as_str) {
        None => Err(ResponseError::MissingField("sub").into()),
        Some(sub) if sub != expected_sub => Err(Error::SubjectMismatch),
        Some(_) => Ok(claims),
    }
}
