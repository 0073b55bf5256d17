//! OpenID Connect RP-Initiated Logout 1.0 §2 (the request) and §3 (the return and its state).

mod common;

use oidc_rp_wasm::core::logout::{
    process_logout_callback, LogoutRequest, LogoutTransaction, STANDARD_PARAMS,
};
use oidc_rp_wasm::core::metadata::ProviderMetadata;
use oidc_rp_wasm::core::stored::{logout_from_text, logout_to_text};
use oidc_rp_wasm::error::Error;

const NOW: i64 = 1_700_000_000;
/// An ID token whose `exp` (1000) is long past: the core sends it anyway.
const EXPIRED_ID_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL29wLmV4YW1wbGUuY29tIiwic3ViIjoiYSIsImF1ZCI6InNwYSIsImV4cCI6MTAwMCwiaWF0Ijo5MDB9.c2ln";

fn metadata(end_session: Option<&str>) -> ProviderMetadata {
    ProviderMetadata {
        end_session_endpoint: end_session.map(String::from),
        ..common::provider_metadata("https://op.example.com")
    }
}

fn op() -> ProviderMetadata {
    metadata(Some("https://op.example.com/logout"))
}

fn split(url: &str) -> (String, Vec<(String, String)>) {
    let (base, query) = url.split_once('?').expect("a query");
    (
        base.to_owned(),
        form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect(),
    )
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    assert!(
        pairs.iter().filter(|(n, _)| n == name).count() <= 1,
        "{name} sent twice"
    );
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn transaction() -> LogoutTransaction {
    LogoutTransaction {
        state: "ls-1".into(),
        post_logout_redirect_uri: Some("https://app.example.com/".into()),
        created_at: NOW,
    }
}

#[test]
fn url_has_every_parameter() {
    let (url, tx) = LogoutRequest::new("spa")
        .id_token_hint(EXPIRED_ID_TOKEN)
        .post_logout_redirect_uri("https://app.example.com/?bye=1")
        .ui_locales(vec!["pt-BR".into(), "en".into()])
        .logout_hint("josé@例え.jp")
        .extra_param("tenant", "ü")
        .build_with_state(&op(), NOW, "ls-1".into())
        .unwrap();
    let (base, p) = split(&url);
    assert_eq!(base, "https://op.example.com/logout");
    assert_eq!(param(&p, "id_token_hint"), Some(EXPIRED_ID_TOKEN));
    assert_eq!(
        param(&p, "post_logout_redirect_uri"),
        Some("https://app.example.com/?bye=1")
    );
    assert_eq!(param(&p, "client_id"), Some("spa"));
    assert_eq!(param(&p, "state"), Some("ls-1"));
    assert_eq!(param(&p, "ui_locales"), Some("pt-BR en"));
    assert_eq!(param(&p, "logout_hint"), Some("josé@例え.jp"));
    assert_eq!(param(&p, "tenant"), Some("ü"));
    assert!(url.is_ascii());
    assert_eq!(
        tx,
        LogoutTransaction {
            state: "ls-1".into(),
            post_logout_redirect_uri: Some("https://app.example.com/?bye=1".into()),
            created_at: NOW,
        }
    );
}

#[test]
fn minimal_url_sends_client_id_and_state_only() {
    let (url, tx) = LogoutRequest::new("spa").build(&op(), NOW).unwrap();
    let (_, p) = split(&url);
    assert_eq!(param(&p, "client_id"), Some("spa"));
    assert_eq!(param(&p, "state"), Some(tx.state.as_str()));
    assert_eq!(tx.state.len(), 43);
    assert_eq!(p.len(), 2);
    assert_eq!(tx.post_logout_redirect_uri, None);
    // Each build draws a new state.
    let (_, tx2) = LogoutRequest::new("spa").build(&op(), NOW).unwrap();
    assert_ne!(tx.state, tx2.state);
}

#[test]
fn existing_query_on_the_endpoint_is_kept() {
    let m = metadata(Some("https://op.example.com/logout?realm=a"));
    let (url, _) = LogoutRequest::new("spa")
        .build_with_state(&m, NOW, "s".into())
        .unwrap();
    assert!(
        url.starts_with("https://op.example.com/logout?realm=a&"),
        "{url}"
    );
    let (_, p) = split(&url);
    assert_eq!(param(&p, "realm"), Some("a"));
    assert_eq!(param(&p, "state"), Some("s"));
}

#[test]
fn no_end_session_endpoint_is_unsupported() {
    let err = LogoutRequest::new("spa")
        .id_token_hint("x")
        .build(&metadata(None), NOW)
        .unwrap_err();
    assert_eq!(err, Error::Unsupported("end_session_endpoint".into()));
    assert_eq!(err.code(), "unsupported");
}

#[test]
fn extra_param_overriding_a_standard_one_is_invalid_config() {
    for name in STANDARD_PARAMS {
        let err = LogoutRequest::new("spa")
            .extra_param(*name, "x")
            .build_with_state(&op(), NOW, "s".into())
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidConfig { field, .. } if *field == format!("extra_params.{name}"))
        );
    }
    assert!(LogoutRequest::new("spa")
        .extra_param("foo", "x")
        .build(&op(), NOW)
        .is_ok());
}

#[test]
fn callback_with_the_right_state() {
    let tx = transaction();
    for input in [
        "https://app.example.com/?state=ls-1",
        "?state=ls-1",
        "state=ls-1",
        "https://app.example.com/?a=b&state=ls-1#x",
    ] {
        assert_eq!(
            process_logout_callback(input, Some(&tx))
                .unwrap()
                .as_deref(),
            Some("ls-1"),
            "{input}"
        );
    }
}

#[test]
fn rp_init_logout_other_state() {
    let tx = transaction();
    for input in [
        "https://app.example.com/?state=ls-2",
        "?state=LS-1",
        "state=ls-1x",
    ] {
        let err = process_logout_callback(input, Some(&tx)).unwrap_err();
        assert_eq!(err.code(), "state_mismatch", "{input}");
    }
    assert!(process_logout_callback("?state=ls-1", Some(&tx)).is_ok());
}

#[test]
fn rp_init_logout_no_state() {
    let tx = transaction();
    for input in [
        "https://app.example.com/",
        "https://app.example.com/?",
        "",
        "?state=",
        "https://app.example.com/#state=ls-1",
    ] {
        let err = process_logout_callback(input, Some(&tx)).unwrap_err();
        assert_eq!(err, Error::StateMismatch, "{input}");
    }
    assert!(process_logout_callback("https://app.example.com/?state=ls-1", Some(&tx)).is_ok());
}

#[test]
fn no_stored_transaction_is_state_mismatch() {
    let err = process_logout_callback("https://app.example.com/?state=ls-1", None).unwrap_err();
    assert_eq!(err.code(), "state_mismatch");
}

#[test]
fn repeated_state_is_state_mismatch() {
    let err = process_logout_callback("?state=ls-1&state=ls-1", Some(&transaction())).unwrap_err();
    assert_eq!(err, Error::StateMismatch);
}

#[test]
fn logout_transaction_stored_round_trip_and_expiry() {
    let tx = transaction();
    let back: LogoutTransaction = logout_from_text(&logout_to_text(&tx)).unwrap();
    assert_eq!(back, tx);
    assert!(!tx.is_expired(NOW + 10, 600));
    assert!(tx.is_expired(NOW + 600, 600));
}

#[test]
fn other_parameters_of_the_app_are_ignored() {
    let url = "https://app.example.com/?tab=1&tab=2&state=ls-1";
    assert_eq!(
        process_logout_callback(url, Some(&transaction()))
            .unwrap()
            .as_deref(),
        Some("ls-1")
    );
    let url = "https://app.example.com/?tab=1&tab=2&state=ls-2";
    assert_eq!(
        process_logout_callback(url, Some(&transaction())).unwrap_err(),
        Error::StateMismatch
    );
}
