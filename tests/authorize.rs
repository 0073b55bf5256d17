//! OIDC Core §3.1.2.1 / RFC 6749 §4.1.1 / RFC 7636 §4.3: the authorization request URL and its
//! transaction. Every URL is parsed back to check what the OP will receive.

mod common;

use oidc_rp_wasm::core::authorize::{
    AuthorizationRequest, Prompt, ResponseMode, Transaction, STANDARD_PARAMS,
};
use oidc_rp_wasm::core::json::Json;
use oidc_rp_wasm::core::metadata::ProviderMetadata;
use oidc_rp_wasm::core::pkce::CodeVerifier;
use oidc_rp_wasm::core::stored::{transaction_from_text, transaction_to_text};
use oidc_rp_wasm::error::Error;
use serde_json::json;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const NOW: i64 = 1_700_000_000;

fn metadata() -> ProviderMetadata {
    common::provider_metadata("https://op.example.com")
}

fn request() -> AuthorizationRequest {
    AuthorizationRequest::new("spa", "https://app.example.com/callback")
}

fn build(req: AuthorizationRequest) -> Result<(String, Transaction), Error> {
    build_on(req, &metadata())
}

fn build_on(
    req: AuthorizationRequest,
    m: &ProviderMetadata,
) -> Result<(String, Transaction), Error> {
    req.build_with(
        m,
        NOW,
        "st-1".into(),
        "n-1".into(),
        CodeVerifier::new(VERIFIER).unwrap(),
    )
}

/// The URL without its query, and the decoded query pairs in order.
fn split(url: &str) -> (String, Vec<(String, String)>) {
    let (base, query) = url.split_once('?').expect("a query");
    let pairs = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    (base.to_owned(), pairs)
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let mut found = pairs.iter().filter(|(n, _)| n == name);
    let first = found.next().map(|(_, v)| v.as_str());
    assert!(found.next().is_none(), "{name} sent twice");
    first
}

fn params(req: AuthorizationRequest) -> Vec<(String, String)> {
    split(&build(req).unwrap().0).1
}

fn config_field(err: &Error) -> &str {
    match err {
        Error::InvalidConfig { field, .. } => field,
        other => panic!("expected InvalidConfig, got {other:?}"),
    }
}

#[test]
fn minimal_request_has_the_required_parameters() {
    let (url, _) = build(request()).unwrap();
    let (base, p) = split(&url);
    assert_eq!(base, "https://op.example.com/authorize");
    assert_eq!(param(&p, "response_type"), Some("code"));
    assert_eq!(param(&p, "client_id"), Some("spa"));
    assert_eq!(
        param(&p, "redirect_uri"),
        Some("https://app.example.com/callback")
    );
    assert_eq!(param(&p, "scope"), Some("openid"));
    assert_eq!(param(&p, "state"), Some("st-1"));
    assert_eq!(param(&p, "nonce"), Some("n-1"));
    assert_eq!(param(&p, "code_challenge"), Some(CHALLENGE));
    assert_eq!(param(&p, "code_challenge_method"), Some("S256"));
    for absent in [
        "response_mode",
        "login_hint",
        "ui_locales",
        "prompt",
        "max_age",
        "id_token_hint",
        "acr_values",
    ] {
        assert_eq!(param(&p, absent), None, "{absent}");
    }
    assert_eq!(p.len(), 8);
}

#[test]
fn transaction_keeps_what_the_response_is_checked_against() {
    let req = request()
        .scope("openid profile")
        .response_mode(ResponseMode::Fragment)
        .max_age(300)
        .acr_values(vec!["urn:mace:incommon:iap:silver".into(), "loa2".into()])
        .app_state(common::to_json(&json!({"returnTo": "/inbox"})));
    let (_, tx) = build(req).unwrap();
    assert_eq!(tx.state, "st-1");
    assert_eq!(tx.nonce.as_deref(), Some("n-1"));
    assert_eq!(tx.code_verifier.expose(), VERIFIER);
    assert_eq!(tx.redirect_uri, "https://app.example.com/callback");
    assert_eq!(tx.response_mode, ResponseMode::Fragment);
    assert_eq!(tx.scope, "openid profile");
    assert_eq!(tx.max_age, Some(300));
    assert_eq!(tx.acr_values, ["urn:mace:incommon:iap:silver", "loa2"]);
    assert_eq!(tx.created_at, NOW);
    assert_eq!(
        tx.app_state,
        Some(common::to_json(&json!({"returnTo": "/inbox"})))
    );
}

#[test]
fn random_build_generates_fresh_values() {
    let (url1, tx1) = request().build(&metadata(), NOW).unwrap();
    let (_, tx2) = request().build(&metadata(), NOW).unwrap();
    assert_ne!(tx1.state, tx2.state);
    assert_ne!(tx1.nonce, tx2.nonce);
    assert_ne!(tx1.code_verifier.expose(), tx2.code_verifier.expose());
    let (_, p) = split(&url1);
    assert_eq!(param(&p, "state"), Some(tx1.state.as_str()));
    assert_eq!(param(&p, "nonce"), tx1.nonce.as_deref());
    assert_eq!(
        param(&p, "code_challenge"),
        Some(tx1.code_verifier.challenge().as_str())
    );
    assert_eq!(tx1.state.len(), 43);
}

#[test]
fn nonce_only_with_openid_scope() {
    let p = params(request().scope("openid email"));
    assert_eq!(param(&p, "nonce"), Some("n-1"));
    assert_eq!(param(&p, "scope"), Some("openid email"));

    // `openid` as a word, not a substring.
    for scope in ["email profile", "openidx", "api:openid"] {
        let (url, tx) = build(request().scope(scope)).unwrap();
        assert_eq!(param(&split(&url).1, "nonce"), None, "{scope}");
        assert_eq!(tx.nonce, None);
    }
    let (_, tx) = request().scope("api").build(&metadata(), NOW).unwrap();
    assert_eq!(tx.nonce, None);
}

#[test]
fn response_mode_query_is_not_sent_others_are() {
    assert_eq!(
        param(
            &params(request().response_mode(ResponseMode::Query)),
            "response_mode"
        ),
        None
    );
    for (mode, value) in [
        (ResponseMode::Fragment, "fragment"),
        (ResponseMode::FormPost, "form_post"),
        (ResponseMode::WebMessage, "web_message"),
    ] {
        assert_eq!(
            param(&params(request().response_mode(mode)), "response_mode"),
            Some(value)
        );
    }
}

#[test]
fn response_mode_not_listed_by_op_is_unsupported() {
    let mut m = metadata();
    m.response_modes_supported = Some(vec!["query".into(), "fragment".into()]);
    let err = build_on(request().response_mode(ResponseMode::FormPost), &m).unwrap_err();
    assert_eq!(err, Error::Unsupported("response_mode=form_post".into()));
    assert_eq!(err.code(), "unsupported");
    assert!(build_on(request().response_mode(ResponseMode::Fragment), &m).is_ok());
    // No list: the OP said nothing, so every mode is tried.
    assert!(build(request().response_mode(ResponseMode::WebMessage)).is_ok());
}

#[test]
fn pkce_method_not_listed_by_op_is_unsupported() {
    let mut m = metadata();
    m.code_challenge_methods_supported = Some(vec!["plain".into()]);
    assert_eq!(build_on(request(), &m).unwrap_err().code(), "unsupported");
    m.code_challenge_methods_supported = Some(vec!["plain".into(), "S256".into()]);
    assert!(build_on(request(), &m).is_ok());
}

#[test]
fn op_without_code_response_type_is_unsupported() {
    let mut m = metadata();
    m.response_types_supported = vec!["id_token".into(), "code id_token".into()];
    assert_eq!(
        build_on(request(), &m).unwrap_err(),
        Error::Unsupported("response_type=code".into())
    );
}

#[test]
fn login_hint_and_id_token_hint() {
    let p = params(
        request()
            .login_hint("ana@example.com")
            .id_token_hint("eyJ.a.b"),
    );
    assert_eq!(param(&p, "login_hint"), Some("ana@example.com"));
    assert_eq!(param(&p, "id_token_hint"), Some("eyJ.a.b"));
    // Empty values count as absent.
    let p = params(request().login_hint("").id_token_hint(""));
    assert_eq!(param(&p, "login_hint"), None);
    assert_eq!(param(&p, "id_token_hint"), None);
}

#[test]
fn ui_locales_one_or_many() {
    let p = params(request().ui_locales(vec!["pt-BR".into()]));
    assert_eq!(param(&p, "ui_locales"), Some("pt-BR"));
    let p = params(request().ui_locales(vec!["pt-BR".into(), "en".into(), "fr-CA".into()]));
    assert_eq!(param(&p, "ui_locales"), Some("pt-BR en fr-CA"));
    // A space-separated entry is split the same way.
    let p = params(request().ui_locales(vec!["pt-BR  en".into()]));
    assert_eq!(param(&p, "ui_locales"), Some("pt-BR en"));
    assert_eq!(
        param(&params(request().ui_locales(vec![])), "ui_locales"),
        None
    );
}

#[test]
fn prompt_one_or_many() {
    assert_eq!(
        param(&params(request().prompt(vec![Prompt::None])), "prompt"),
        Some("none")
    );
    assert_eq!(
        param(&params(request().prompt(vec![Prompt::Create])), "prompt"),
        Some("create")
    );
    let p = params(request().prompt(vec![Prompt::Login, Prompt::Consent, Prompt::SelectAccount]));
    assert_eq!(param(&p, "prompt"), Some("login consent select_account"));
    assert_eq!(param(&params(request().prompt(vec![])), "prompt"), None);
}

#[test]
fn prompt_none_with_another_value_is_invalid_config() {
    for other in [
        Prompt::Login,
        Prompt::Consent,
        Prompt::SelectAccount,
        Prompt::Create,
    ] {
        let err = build(request().prompt(vec![Prompt::None, other])).unwrap_err();
        assert_eq!(config_field(&err), "prompt");
        assert_eq!(err.code(), "invalid_config");
        let err = build(request().prompt(vec![other, Prompt::None])).unwrap_err();
        assert_eq!(config_field(&err), "prompt");
    }
    // `none` twice is still only `none`.
    assert!(build(request().prompt(vec![Prompt::None, Prompt::None])).is_ok());
}

#[test]
fn prompt_and_response_mode_parse_from_strings() {
    assert_eq!(
        "select_account".parse::<Prompt>().unwrap(),
        Prompt::SelectAccount
    );
    assert_eq!("none".parse::<Prompt>().unwrap(), Prompt::None);
    assert_eq!(
        config_field(&"None".parse::<Prompt>().unwrap_err()),
        "prompt"
    );
    assert_eq!(
        "form_post".parse::<ResponseMode>().unwrap(),
        ResponseMode::FormPost
    );
    assert_eq!(
        "web_message".parse::<ResponseMode>().unwrap(),
        ResponseMode::WebMessage
    );
    assert_eq!(
        config_field(&"form-post".parse::<ResponseMode>().unwrap_err()),
        "response_mode"
    );
    assert_eq!(ResponseMode::WebMessage.as_str(), "web_message");
    assert_eq!(Prompt::SelectAccount.as_str(), "select_account");
    assert_eq!("consent".parse::<Prompt>().unwrap(), Prompt::Consent);
    assert!("form-post".parse::<ResponseMode>().is_err());
}

#[test]
fn prompt_and_response_mode_print_what_they_parse_from() {
    let modes = [
        ResponseMode::Query,
        ResponseMode::Fragment,
        ResponseMode::FormPost,
        ResponseMode::WebMessage,
    ];
    for mode in modes {
        assert_eq!(mode.as_str().parse::<ResponseMode>().unwrap(), mode);
        assert_eq!(mode.to_string(), mode.as_str());
    }
    let prompts = [
        Prompt::None,
        Prompt::Login,
        Prompt::Consent,
        Prompt::SelectAccount,
        Prompt::Create,
    ];
    for prompt in prompts {
        assert_eq!(prompt.as_str().parse::<Prompt>().unwrap(), prompt);
        assert_eq!(prompt.to_string(), prompt.as_str());
    }
}

#[test]
fn max_age_zero_is_sent_as_zero() {
    let (url, tx) = build(request().max_age(0)).unwrap();
    assert_eq!(param(&split(&url).1, "max_age"), Some("0"));
    assert_eq!(tx.max_age, Some(0));
    assert_eq!(
        param(&params(request().max_age(3600)), "max_age"),
        Some("3600")
    );
    let (url, tx) = build(request()).unwrap();
    assert_eq!(param(&split(&url).1, "max_age"), None);
    assert_eq!(tx.max_age, None);
}

#[test]
fn acr_values_space_joined() {
    let p = params(request().acr_values(vec!["urn:acr:gold".into(), "loa3".into()]));
    assert_eq!(param(&p, "acr_values"), Some("urn:acr:gold loa3"));
    let (url, tx) = build(request().acr_values(vec![])).unwrap();
    assert_eq!(param(&split(&url).1, "acr_values"), None);
    assert!(tx.acr_values.is_empty());
}

#[test]
fn extra_params_are_sent() {
    let p = params(
        request()
            .extra_param("audience", "https://api.example.com")
            .extra_param("résumé", "ça va"),
    );
    assert_eq!(param(&p, "audience"), Some("https://api.example.com"));
    assert_eq!(param(&p, "résumé"), Some("ça va"));
    // Setting a name again replaces the value.
    let p = params(
        request()
            .extra_param("kc_idp_hint", "a")
            .extra_param("kc_idp_hint", "b"),
    );
    assert_eq!(param(&p, "kc_idp_hint"), Some("b"));
}

#[test]
fn extra_param_overriding_a_standard_one_is_invalid_config() {
    for name in STANDARD_PARAMS {
        let err = build(request().extra_param(*name, "x")).unwrap_err();
        assert_eq!(config_field(&err), format!("extra_params.{name}"));
        assert_eq!(err.code(), "invalid_config");
    }
    assert_eq!(
        config_field(&build(request().extra_param("", "x")).unwrap_err()),
        "extra_params"
    );
}

#[test]
fn unicode_values_round_trip_exactly() {
    let hint = "josé+ü@例え.jp";
    let (url, _) = build(
        request()
            .login_hint(hint)
            .ui_locales(vec!["pt-BR".into()])
            .extra_param("claims_locales", "日本語 & more=yes"),
    )
    .unwrap();
    assert!(url.is_ascii(), "{url}");
    assert!(!url.contains(' '));
    let (_, p) = split(&url);
    assert_eq!(param(&p, "login_hint"), Some(hint));
    assert_eq!(param(&p, "ui_locales"), Some("pt-BR"));
    assert_eq!(param(&p, "claims_locales"), Some("日本語 & more=yes"));
}

#[test]
fn redirect_uri_with_query_round_trips() {
    let req = AuthorizationRequest::new("spa", "https://app.example.com/cb?x=1&y=2");
    let (url, tx) = build(req).unwrap();
    assert_eq!(
        param(&split(&url).1, "redirect_uri"),
        Some("https://app.example.com/cb?x=1&y=2")
    );
    assert_eq!(tx.redirect_uri, "https://app.example.com/cb?x=1&y=2");
}

#[test]
fn endpoint_with_query_keeps_it() {
    let mut m = metadata();
    m.authorization_endpoint = "https://op.example.com/authorize?foo=bar".into();
    let (url, _) = build_on(request(), &m).unwrap();
    assert!(
        url.starts_with("https://op.example.com/authorize?foo=bar&response_type=code&"),
        "{url}"
    );
    let (_, p) = split(&url);
    assert_eq!(param(&p, "foo"), Some("bar"));
    assert_eq!(param(&p, "client_id"), Some("spa"));

    m.authorization_endpoint = "https://op.example.com/authorize?".into();
    let (url, _) = build_on(request(), &m).unwrap();
    assert!(
        url.starts_with("https://op.example.com/authorize?response_type=code&"),
        "{url}"
    );
}

#[test]
fn bad_config_is_named() {
    let cases = [
        (
            AuthorizationRequest::new("", "https://app.example.com/cb"),
            "client_id",
        ),
        (AuthorizationRequest::new("spa", ""), "redirect_uri"),
        (
            AuthorizationRequest::new("spa", "https://app.example.com/cb#x"),
            "redirect_uri",
        ),
        (request().scope("  "), "scope"),
    ];
    for (req, field) in cases {
        assert_eq!(config_field(&build(req).unwrap_err()), field);
    }
    let empty_state = request().build_with(
        &metadata(),
        NOW,
        String::new(),
        "n".into(),
        CodeVerifier::new(VERIFIER).unwrap(),
    );
    assert_eq!(config_field(&empty_state.unwrap_err()), "state");
    let empty_nonce = request().build_with(
        &metadata(),
        NOW,
        "s".into(),
        String::new(),
        CodeVerifier::new(VERIFIER).unwrap(),
    );
    assert_eq!(config_field(&empty_nonce.unwrap_err()), "nonce");
}

#[test]
fn transaction_stored_round_trip_and_redacted_debug() {
    let req = request()
        .scope("openid offline_access")
        .response_mode(ResponseMode::WebMessage)
        .max_age(0)
        .acr_values(vec!["loa2".into()])
        .app_state(common::to_json(&json!({"n": [1, 2], "s": "ü"})));
    let (_, tx) = build(req).unwrap();
    let text = transaction_to_text(&tx);
    let json = Json::parse_object(&text).unwrap();
    assert_eq!(json.str("code_verifier"), Some(VERIFIER));
    assert_eq!(json.str("response_mode"), Some("web_message"));
    assert_eq!(json.get("created_at").and_then(Json::as_i64), Some(NOW));
    let back: Transaction = transaction_from_text(&text).unwrap();
    assert_eq!(transaction_to_text(&back), text);

    let debug = format!("{tx:?}");
    assert!(!debug.contains(VERIFIER), "{debug}");
    assert!(debug.contains("st-1"));
}

#[test]
fn transaction_expiry() {
    let (_, tx) = build(request()).unwrap();
    assert!(!tx.is_expired(NOW, 600));
    assert!(!tx.is_expired(NOW + 599, 600));
    assert!(tx.is_expired(NOW + 600, 600));
    assert!(tx.is_expired(i64::MAX, i64::MAX));
}
