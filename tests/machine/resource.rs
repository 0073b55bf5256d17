//! Resource indicators (RFC 8707) on the authorization, token and refresh requests, and the
//! `claims` parameter (OIDC Core §5.5).

use crate::world::*;
use oidc_rp_wasm::core::config::{AuthorizeOptions, StorageKind};
use oidc_rp_wasm::core::json::Json;
use oidc_rp_wasm::core::machine::{Call, Machine, SigninVia};

const API: &str = "https://api.example.com/";
const OTHER: &str = "urn:example:other";

fn all_params(url: &str, name: &str) -> Vec<String> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes())
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
        .collect()
}

fn token_resources(w: &World, grant: &str) -> Vec<Vec<String>> {
    w.op.token_requests(grant)
        .iter()
        .map(|r| {
            r.form
                .iter()
                .filter(|(n, _)| n == "resource")
                .map(|(_, v)| v.clone())
                .collect()
        })
        .collect()
}

#[test]
fn the_configured_resource_is_on_the_authorization_token_and_refresh_requests() {
    let mut w = World::new();
    let mut c = config(StorageKind::Session);
    c.resource = vec![API.to_owned()];
    let t = w.create_tab(c);
    w.go_to_op(t);
    assert_eq!(all_params(&w.tab(t).last_navigation(), "resource"), [API]);
    let response = w.op.authorize(&w.tab(t).last_navigation());
    w.reload(t);
    let op = w.come_back(t, &response.url(), true);
    w.settle();
    w.tab(t).ok(op);
    let op = w.call(t, Call::Refresh);
    w.settle();
    w.tab(t).ok(op);
    assert_eq!(token_resources(&w, "authorization_code"), [[API]]);
    assert_eq!(token_resources(&w, "refresh_token"), [[API]]);
}

/// RFC 8707 §2.2: a refresh asks for resources of the grant. The sign-in's own resources are
/// kept with the session (stored too: a reload refreshes with them); the configuration's would
/// be refused (`invalid_target`) by an OP that granted others.
#[test]
fn a_sign_ins_resources_replace_the_configured_ones_on_the_token_and_refresh_requests() {
    let mut w = World::new();
    let mut c = config(StorageKind::Session);
    c.resource = vec![API.to_owned()];
    let t = w.create_tab(c);
    let options = AuthorizeOptions {
        resource: vec![API.to_owned(), OTHER.to_owned()],
        ..AuthorizeOptions::default()
    };
    let op = w.call(
        t,
        Call::Signin {
            via: SigninVia::Redirect,
            options,
        },
    );
    w.settle();
    w.tab(t).ok(op);
    let url = w.tab(t).last_navigation();
    assert_eq!(all_params(&url, "resource"), [API, OTHER]);
    let response = w.op.authorize(&url);
    w.reload(t);
    let op = w.come_back(t, &response.url(), true);
    w.settle();
    w.tab(t).ok(op);
    assert_eq!(token_resources(&w, "authorization_code"), [[API, OTHER]]);
    let op = w.call(t, Call::Refresh);
    w.settle();
    w.tab(t).ok(op);
    w.reload(t);
    let op = w.call(t, Call::Refresh);
    w.settle();
    w.tab(t).ok(op);
    assert_eq!(
        token_resources(&w, "refresh_token"),
        [[API, OTHER], [API, OTHER]]
    );
}

#[test]
fn claims_go_as_json_on_the_authorization_request() {
    let mut w = World::new();
    let mut c = config(StorageKind::Session);
    c.claims = Some(Json::parse(r#"{"id_token":{"email":{"essential":true}}}"#).unwrap());
    let t = w.create_tab(c);
    w.go_to_op(t);
    let claims = all_params(&w.tab(t).last_navigation(), "claims");
    assert_eq!(claims, [r#"{"id_token":{"email":{"essential":true}}}"#]);
    let options = AuthorizeOptions {
        claims: Some(Json::parse(r#"{"userinfo":{"name":null}}"#).unwrap()),
        ..AuthorizeOptions::default()
    };
    let op = w.call(
        t,
        Call::Signin {
            via: SigninVia::Url,
            options,
        },
    );
    w.settle();
    let oidc_rp_wasm::core::machine::Outcome::Url(url) = w.tab(t).ok(op) else {
        panic!()
    };
    assert_eq!(all_params(url, "claims"), [r#"{"userinfo":{"name":null}}"#]);
}

#[test]
fn a_relative_resource_or_claims_that_are_no_object_are_invalid_config() {
    let mut c = config(StorageKind::Memory);
    c.resource = vec!["/api".to_owned()];
    let e = Machine::new(c, APP_ORIGIN.into()).unwrap_err();
    assert_eq!(e.code(), "invalid_config");
    let mut c = config(StorageKind::Memory);
    c.resource = vec!["https://api.example.com/#x".to_owned()];
    assert!(Machine::new(c, APP_ORIGIN.into()).is_err());
    let mut c = config(StorageKind::Memory);
    c.claims = Some(Json::parse("[1]").unwrap());
    assert!(Machine::new(c, APP_ORIGIN.into()).is_err());
}
