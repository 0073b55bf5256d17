//! Values of authorization request parameters that several modules name: `response_mode`
//! (OAuth 2.0 Multiple Response Type Encoding Practices §2.1, Form Post Response Mode §2, the
//! `web_message` mode) and `prompt` (OIDC Core §3.1.2.1). A leaf module, so that
//! [`metadata`](crate::core::metadata) and [`authorize`](crate::core::authorize) can both use them
//! without depending on each other.

use crate::error::Error;
use std::fmt;
use std::str::FromStr;

/// How the OP delivers the authorization response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ResponseMode {
    /// In the query of the redirect URI, the default for `response_type=code` (RFC 6749 §4.1.2).
    #[default]
    Query,
    /// In the fragment of the redirect URI (Multiple Response Types §2.1).
    Fragment,
    /// As an HTML form POSTed to the redirect URI (Form Post Response Mode §2).
    FormPost,
    /// As a `postMessage` to the opener or parent window (`web_message`).
    WebMessage,
}

impl ResponseMode {
    /// The `response_mode` value.
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseMode::Query => "query",
            ResponseMode::Fragment => "fragment",
            ResponseMode::FormPost => "form_post",
            ResponseMode::WebMessage => "web_message",
        }
    }
}

impl fmt::Display for ResponseMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ResponseMode {
    type Err = Error;

    /// Parses a `response_mode` value; anything else is [`Error::InvalidConfig`] for `response_mode`.
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "query" => Ok(ResponseMode::Query),
            "fragment" => Ok(ResponseMode::Fragment),
            "form_post" => Ok(ResponseMode::FormPost),
            "web_message" => Ok(ResponseMode::WebMessage),
            other => Err(Error::config_value(
                "response_mode",
                other,
                "` is not one of query, fragment, form_post, web_message",
            )),
        }
    }
}

/// A `prompt` value (OIDC Core §3.1.2.1; `create` from Initiating User Registration 1.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prompt {
    /// No user interaction: an error such as `login_required` if it would be needed.
    None,
    /// Re-authenticate the user.
    Login,
    /// Ask for consent again.
    Consent,
    /// Let the user pick an account.
    SelectAccount,
    /// Offer account creation.
    Create,
}

impl Prompt {
    /// The `prompt` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Prompt::None => "none",
            Prompt::Login => "login",
            Prompt::Consent => "consent",
            Prompt::SelectAccount => "select_account",
            Prompt::Create => "create",
        }
    }
}

impl fmt::Display for Prompt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Prompt {
    type Err = Error;

    /// Parses a `prompt` value; anything else is [`Error::InvalidConfig`] for `prompt`.
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "none" => Ok(Prompt::None),
            "login" => Ok(Prompt::Login),
            "consent" => Ok(Prompt::Consent),
            "select_account" => Ok(Prompt::SelectAccount),
            "create" => Ok(Prompt::Create),
            other => Err(Error::config_value(
                "prompt",
                other,
                "` is not one of none, login, consent, select_account, create",
            )),
        }
    }
}
