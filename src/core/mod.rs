//! The protocol engine: every decision a browser relying party makes, as pure functions over plain
//! data. Nothing here touches the browser, reads a clock or does I/O: callers pass `now` (seconds
//! since the Unix epoch) and perform the requests the functions describe.

pub mod authorize;
pub mod id_token;
pub mod jwks;
pub mod jws;
pub mod logout;
pub mod metadata;
pub mod pkce;
pub mod response;
pub mod secret;
pub mod session;
pub mod token;
pub mod userinfo;
