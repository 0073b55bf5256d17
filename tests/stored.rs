//! What the shell persists (`core::stored`): the session, the pending authorization transaction
//! and the pending logout, as JSON text. Everything written reads back field for field; anything
//! else (not JSON, a wrong type, a value the types refuse) reads as `None`, since any script on
//! the origin can write to `localStorage`.

use std::sync::Arc;

use oidc_rp_wasm::core::authorize::{ResponseMode, Transaction};
use oidc_rp_wasm::core::id_token::IdTokenClaims;
use oidc_rp_wasm::core::json::Json;
use oidc_rp_wasm::core::logout::LogoutTransaction;
use oidc_rp_wasm::core::pkce::CodeVerifier;
use oidc_rp_wasm::core::secret::{AccessToken, RawIdToken, RefreshToken};
use oidc_rp_wasm::core::session::Session;
use oidc_rp_wasm::core::stored::{
    logout_from_text, logout_to_text, session_from_text, session_to_text, transaction_from_text,
    transaction_to_text,
};
use oidc_rp_wasm::core::token::TokenType;
use serde_json::{json, Value};

const NOW: i64 = 1_700_000_000;
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// A `serde_json` value (how these tests write JSON) as the core's `Json`.
fn to_json(value: &Value) -> Json {
    Json::parse(&value.to_string()).unwrap()
}

/// The stored text `text` as a `serde_json` value, to tamper with.
fn tamperable(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// `object` with member `name` set to `value`, or removed when `value` is `None`.
fn changed(object: &Value, name: &str, value: Option<Value>) -> Value {
    let mut object = object.clone();
    let members = object.as_object_mut().unwrap();
    match value {
        Some(value) => members.insert(name.to_owned(), value),
        None => members.remove(name),
    };
    object
}

/// The same, as stored text.
fn with(stored: &Value, name: &str, value: Option<Value>) -> String {
    changed(stored, name, value).to_string()
}

fn claims_from(value: Value) -> IdTokenClaims {
    let object = Json::parse_object(&value.to_string()).unwrap();
    IdTokenClaims::from_json(object).unwrap()
}

/// Claims with every typed member set, several audiences and other claims of every JSON type.
fn full_claims() -> IdTokenClaims {
    claims_from(json!({
        "iss": "https://op.example.com", "sub": "248289761001", "aud": ["spa", "api"],
        "exp": NOW + 600, "iat": NOW - 10, "nbf": NOW - 20, "auth_time": NOW - 30,
        "nonce": "n-1", "acr": "urn:acr:silver", "amr": ["pwd", "otp"], "azp": "spa",
        "at_hash": "77QmUPtjPfzWtF2AnpK9RQ",
        "name": "Ana \"Quote\" Back\\slash", "email_verified": true, "age": 42,
        "weight": 61.5, "nickname": null, "address": {"country": "BR", "lines": ["a", "b"]},
        "groups": [], "emoji": "😀\n\u{1}"
    }))
}

/// A session with every field set.
fn full_session() -> Session {
    Session {
        id_token: Some(RawIdToken::new("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln")),
        claims: Some(Arc::new(full_claims())),
        id_token_fresh: true,
        access_token: AccessToken::new("at-\"quoted\"-\\-token"),
        token_type: TokenType::DPoP,
        expires_at: Some(NOW + 3600),
        scope: Some("openid profile offline_access".to_owned()),
        refresh_token: Some(RefreshToken::new("rt-secret-value")),
        created_at: NOW - 100,
        created_ms: (NOW - 100) * 1000 + 42,
        updated_at: NOW,
        dpop_jkt: None,
        resource: vec!["https://api.example.com/".to_owned()],
        refresh_refused: true,
    }
}

/// A plain OAuth 2.0 session: no ID token, no expiry, no scope, no refresh token.
fn minimal_session() -> Session {
    Session {
        id_token: None,
        claims: None,
        id_token_fresh: false,
        access_token: AccessToken::new("at"),
        token_type: TokenType::Bearer,
        expires_at: None,
        scope: None,
        refresh_token: None,
        created_at: 0,
        created_ms: 0,
        updated_at: 0,
        dpop_jkt: None,
        resource: Vec::new(),
        refresh_refused: false,
    }
}

/// Field by field, tokens included (`Session` has no `PartialEq`).
fn assert_same_session(a: &Session, b: &Session) {
    assert_eq!(
        a.id_token.as_ref().map(RawIdToken::expose),
        b.id_token.as_ref().map(RawIdToken::expose)
    );
    assert_eq!(a.claims, b.claims);
    assert_eq!(a.id_token_fresh, b.id_token_fresh);
    assert_eq!(a.access_token.expose(), b.access_token.expose());
    assert_eq!(a.token_type, b.token_type);
    assert_eq!(a.expires_at, b.expires_at);
    assert_eq!(a.scope, b.scope);
    assert_eq!(
        a.refresh_token.as_ref().map(RefreshToken::expose),
        b.refresh_token.as_ref().map(RefreshToken::expose)
    );
    assert_eq!((a.created_at, a.updated_at), (b.created_at, b.updated_at));
    assert_eq!(a.created_ms, b.created_ms);
    assert_eq!(a.refresh_refused, b.refresh_refused);
}

fn full_transaction(response_mode: ResponseMode) -> Transaction {
    Transaction {
        state: "st-1".to_owned(),
        nonce: Some("n-1".to_owned()),
        code_verifier: CodeVerifier::new(VERIFIER).unwrap(),
        redirect_uri: "https://app.example.com/callback?x=\"1\"".to_owned(),
        response_mode,
        scope: "openid profile".to_owned(),
        max_age: Some(300),
        acr_values: vec!["urn:mace:incommon:iap:silver".to_owned(), "loa2".to_owned()],
        created_at: NOW,
        app_state: Some(to_json(&json!({
            "returnTo": "/inbox?tab=1", "n": [1, 2.5, -3e2], "deep": {"ok": true, "none": null},
            "s": "ü\t\"\\"
        }))),
        resource: vec![
            "https://api.example.com/".to_owned(),
            "urn:example:b".to_owned(),
        ],
    }
}

fn minimal_transaction() -> Transaction {
    Transaction {
        nonce: None,
        max_age: None,
        acr_values: Vec::new(),
        app_state: None,
        resource: Vec::new(),
        ..full_transaction(ResponseMode::Query)
    }
}

/// Field by field (`Transaction` has no `PartialEq`: its verifier compares in constant time).
fn assert_same_transaction(a: &Transaction, b: &Transaction) {
    assert_eq!(a.state, b.state);
    assert_eq!(a.nonce, b.nonce);
    assert_eq!(a.code_verifier.expose(), b.code_verifier.expose());
    assert_eq!(a.redirect_uri, b.redirect_uri);
    assert_eq!(a.response_mode, b.response_mode);
    assert_eq!(a.scope, b.scope);
    assert_eq!(a.max_age, b.max_age);
    assert_eq!(a.acr_values, b.acr_values);
    assert_eq!(a.created_at, b.created_at);
    assert_eq!(a.app_state, b.app_state);
    assert_eq!(a.resource, b.resource);
}

fn logout(post_logout_redirect_uri: Option<&str>) -> LogoutTransaction {
    LogoutTransaction {
        state: "ls-1".to_owned(),
        post_logout_redirect_uri: post_logout_redirect_uri.map(str::to_owned),
        created_at: NOW,
    }
}

/// Texts that are not a stored object at all.
const NOT_STORED_OBJECTS: [&str; 10] = [
    "",
    "{",
    "{not json",
    "null",
    "[]",
    "42",
    "\"session\"",
    "{} {}",
    "{\"a\":1,}",
    "\u{feff}{}",
];

// ----- round trips -----

#[test]
fn session_round_trips_field_by_field() {
    for session in [full_session(), minimal_session()] {
        let text = session_to_text(&session);
        let back = session_from_text(&text).expect("what was written reads back");
        assert_same_session(&back, &session);
        // And it writes the same text again.
        assert_eq!(session_to_text(&back), text);
    }
}

#[test]
fn session_text_holds_every_field_under_its_name() {
    let stored = Json::parse_object(&session_to_text(&full_session())).unwrap();
    assert_eq!(
        stored.str("id_token"),
        Some("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln")
    );
    assert_eq!(stored.str("access_token"), Some("at-\"quoted\"-\\-token"));
    assert_eq!(stored.str("token_type"), Some("DPoP"));
    assert_eq!(stored.str("refresh_token"), Some("rt-secret-value"));
    assert_eq!(stored.get("id_token_fresh"), Some(&Json::Bool(true)));
    assert_eq!(
        stored.get("expires_at").and_then(Json::as_i64),
        Some(NOW + 3600)
    );
    assert_eq!(
        stored.get("created_at").and_then(Json::as_i64),
        Some(NOW - 100)
    );
    assert_eq!(
        stored.get("created_ms").and_then(Json::as_i64),
        Some((NOW - 100) * 1000 + 42)
    );
    assert_eq!(stored.get("updated_at").and_then(Json::as_i64), Some(NOW));
    let claims = stored.get("claims").and_then(Json::as_object).unwrap();
    assert_eq!(claims.get("aud"), Some(&to_json(&json!(["spa", "api"]))));
    assert_eq!(claims.str("name"), Some("Ana \"Quote\" Back\\slash"));
    // Absent optional fields are left out, not written as null.
    let minimal = Json::parse_object(&session_to_text(&minimal_session())).unwrap();
    for absent in ["id_token", "claims", "expires_at", "scope", "refresh_token"] {
        assert!(!minimal.contains_key(absent), "{absent}");
    }
}

#[test]
fn transaction_round_trips_field_by_field_in_every_response_mode() {
    let modes = [
        ResponseMode::Query,
        ResponseMode::Fragment,
        ResponseMode::FormPost,
        ResponseMode::WebMessage,
    ];
    let transactions = modes
        .into_iter()
        .map(full_transaction)
        .chain([minimal_transaction()]);
    for tx in transactions {
        let text = transaction_to_text(&tx);
        let back = transaction_from_text(&text).expect("what was written reads back");
        assert_same_transaction(&back, &tx);
        assert_eq!(transaction_to_text(&back), text);
    }
}

#[test]
fn transaction_max_age_zero_is_kept_apart_from_none() {
    let zero = Transaction {
        max_age: Some(0),
        ..minimal_transaction()
    };
    let back = transaction_from_text(&transaction_to_text(&zero)).unwrap();
    assert_eq!(back.max_age, Some(0));
    let none = transaction_from_text(&transaction_to_text(&minimal_transaction())).unwrap();
    assert_eq!(none.max_age, None);
}

#[test]
fn logout_round_trips_with_and_without_a_redirect_uri() {
    for tx in [logout(Some("https://app.example.com/bye")), logout(None)] {
        let text = logout_to_text(&tx);
        assert_eq!(logout_from_text(&text), Some(tx.clone()));
        assert_eq!(logout_to_text(&logout_from_text(&text).unwrap()), text);
    }
}

/// The form the serde version wrote (absent values as `null`) still reads.
#[test]
fn stored_forms_with_nulls_for_absent_values_read() {
    let session = json!({
        "id_token": null, "claims": null, "id_token_fresh": false, "access_token": "at",
        "token_type": "Bearer", "expires_at": null, "scope": null, "refresh_token": null,
        "created_at": 0, "updated_at": 0
    });
    assert_same_session(
        &session_from_text(&session.to_string()).unwrap(),
        &minimal_session(),
    );
    let tx = tamperable(&transaction_to_text(&minimal_transaction()));
    for name in ["nonce", "max_age", "app_state"] {
        let back = transaction_from_text(&with(&tx, name, Some(Value::Null))).unwrap();
        assert_same_transaction(&back, &minimal_transaction());
    }
    let logout_text = json!({"state": "ls-1", "post_logout_redirect_uri": null, "created_at": NOW});
    assert_eq!(
        logout_from_text(&logout_text.to_string()),
        Some(logout(None))
    );
}

// ----- extreme integers -----

#[test]
fn extreme_integers_read_back_exactly_i64_max() {
    let mut session = full_session();
    session.expires_at = Some(i64::MAX);
    session.created_at = i64::MAX;
    session.updated_at = i64::MAX - 1;
    let mut claims = full_claims();
    (claims.exp, claims.iat, claims.nbf, claims.auth_time) =
        (i64::MAX, i64::MAX, Some(i64::MAX), Some(i64::MAX));
    session.claims = Some(Arc::new(claims));
    let back = session_from_text(&session_to_text(&session)).unwrap();
    assert_same_session(&back, &session);

    let tx = Transaction {
        created_at: i64::MAX,
        max_age: Some(i64::MAX.unsigned_abs()),
        ..full_transaction(ResponseMode::Query)
    };
    assert_same_transaction(
        &transaction_from_text(&transaction_to_text(&tx)).unwrap(),
        &tx,
    );

    let out = LogoutTransaction {
        created_at: i64::MAX,
        ..logout(None)
    };
    assert_eq!(logout_from_text(&logout_to_text(&out)), Some(out));
}

#[test]
fn extreme_integers_read_back_exactly_near_i64_min() {
    let low = i64::MIN + 1;
    let mut session = full_session();
    (session.expires_at, session.created_at, session.updated_at) = (Some(low), low, low);
    let back = session_from_text(&session_to_text(&session)).unwrap();
    assert_same_session(&back, &session);
}

/// Fails until `core::json` reads `-9223372036854775808` (see the report): today a session, a
/// transaction or a logout holding `i64::MIN` is written but then dropped as unreadable.
#[test]
fn extreme_integers_read_back_exactly_i64_min() {
    let mut session = full_session();
    (session.expires_at, session.created_at, session.updated_at) =
        (Some(i64::MIN), i64::MIN, i64::MIN);
    let mut claims = full_claims();
    (claims.exp, claims.iat, claims.nbf, claims.auth_time) =
        (i64::MIN, i64::MIN, Some(i64::MIN), Some(i64::MIN));
    session.claims = Some(Arc::new(claims));
    let back = session_from_text(&session_to_text(&session)).expect("i64::MIN reads back");
    assert_same_session(&back, &session);

    let tx = Transaction {
        created_at: i64::MIN,
        ..full_transaction(ResponseMode::Query)
    };
    let back = transaction_from_text(&transaction_to_text(&tx)).expect("i64::MIN reads back");
    assert_same_transaction(&back, &tx);

    let out = LogoutTransaction {
        created_at: i64::MIN,
        ..logout(None)
    };
    assert_eq!(logout_from_text(&logout_to_text(&out)), Some(out));
}

/// Fails until the stored `max_age` (a `u64`) reads back above `i64::MAX` (see the report).
#[test]
fn transaction_max_age_beyond_i64_reads_back() {
    let tx = Transaction {
        max_age: Some(u64::MAX),
        ..minimal_transaction()
    };
    let back = transaction_from_text(&transaction_to_text(&tx)).expect("u64::MAX reads back");
    assert_eq!(back.max_age, Some(u64::MAX));
}

// ----- tampered sessions -----

#[test]
fn session_that_is_not_a_json_object_reads_as_none() {
    for text in NOT_STORED_OBJECTS {
        assert!(session_from_text(text).is_none(), "{text:?}");
    }
    // Duplicate member names are refused: two readers must not see two different tokens.
    let text = session_to_text(&minimal_session());
    let doubled = text.replacen("{", r#"{"access_token":"other","#, 1);
    assert!(session_from_text(&doubled).is_none(), "{doubled}");
}

#[test]
fn session_with_a_wrong_type_in_any_field_reads_as_none() {
    let stored = tamperable(&session_to_text(&full_session()));
    let wrong: &[(&str, &[Value])] = &[
        (
            "id_token",
            &[json!(7), json!(true), json!({}), json!(["a"])],
        ),
        (
            "claims",
            &[json!("claims"), json!(1), json!([]), json!(true)],
        ),
        (
            "id_token_fresh",
            &[json!("true"), json!(1), Value::Null, json!([])],
        ),
        (
            "access_token",
            &[json!(7), Value::Null, json!(["at"]), json!({})],
        ),
        ("token_type", &[json!(1), Value::Null, json!(["Bearer"])]),
        (
            "expires_at",
            &[json!("3600"), json!(true), json!({}), json!([1])],
        ),
        ("scope", &[json!(1), json!(["openid"]), json!(false)]),
        ("refresh_token", &[json!(1), json!({}), json!(["rt"])]),
        (
            "created_at",
            &[json!("0"), Value::Null, json!(false), json!([0])],
        ),
        (
            "updated_at",
            &[json!("0"), Value::Null, json!(false), json!({})],
        ),
    ];
    for (name, values) in wrong {
        for value in *values {
            let text = with(&stored, name, Some(value.clone()));
            assert!(session_from_text(&text).is_none(), "{name}: {value}");
        }
    }
    // Untampered, the same stored value reads: the tampering is what is refused.
    assert!(session_from_text(&stored.to_string()).is_some());
}

#[test]
fn session_missing_a_required_field_reads_as_none() {
    let stored = tamperable(&session_to_text(&full_session()));
    for name in [
        "id_token_fresh",
        "access_token",
        "token_type",
        "created_at",
        "updated_at",
    ] {
        assert!(
            session_from_text(&with(&stored, name, None)).is_none(),
            "{name}"
        );
    }
    for name in ["id_token", "claims", "expires_at", "scope", "refresh_token"] {
        assert!(
            session_from_text(&with(&stored, name, None)).is_some(),
            "{name}"
        );
    }
}

#[test]
fn session_with_an_unknown_token_type_reads_as_none() {
    let stored = tamperable(&session_to_text(&full_session()));
    for token_type in ["mac", "", "Bearer ", "DPoP2", "Basic"] {
        let text = with(&stored, "token_type", Some(json!(token_type)));
        assert!(session_from_text(&text).is_none(), "{token_type:?}");
    }
    for (token_type, expected) in [("Bearer", TokenType::Bearer), ("DPoP", TokenType::DPoP)] {
        let text = with(&stored, "token_type", Some(json!(token_type)));
        assert_eq!(session_from_text(&text).unwrap().token_type, expected);
    }
}

#[test]
fn session_whose_claims_fail_id_token_typing_reads_as_none() {
    let stored = tamperable(&session_to_text(&full_session()));
    let claims = tamperable(&Json::Object(full_claims().to_json()).to_text());
    let bad_claims = [
        json!({"iss": "https://op.example.com"}),
        changed(&claims, "sub", Some(json!(""))),
        changed(&claims, "sub", None),
        changed(&claims, "iss", Some(json!(1))),
        changed(&claims, "aud", Some(json!([]))),
        changed(&claims, "aud", Some(json!(["spa", 5]))),
        changed(&claims, "exp", Some(json!("soon"))),
        changed(&claims, "exp", None),
        changed(&claims, "iat", Some(json!(1e300))),
        changed(&claims, "nbf", Some(json!(true))),
        changed(&claims, "amr", Some(json!("pwd"))),
        changed(&claims, "nonce", Some(json!(1))),
    ];
    for bad in bad_claims {
        let text = with(&stored, "claims", Some(bad.clone()));
        assert!(session_from_text(&text).is_none(), "{bad}");
    }
    // The untouched claims read, fractional NumericDates included.
    let fractional = changed(&claims, "exp", Some(json!(1.7e9)));
    let back = session_from_text(&with(&stored, "claims", Some(fractional))).unwrap();
    assert_eq!(back.claims.unwrap().exp, 1_700_000_000);
}

// ----- tampered transactions -----

#[test]
fn transaction_that_is_not_a_json_object_reads_as_none() {
    for text in NOT_STORED_OBJECTS {
        assert!(transaction_from_text(text).is_none(), "{text:?}");
    }
}

#[test]
fn transaction_with_a_wrong_type_in_any_field_reads_as_none() {
    let stored = tamperable(&transaction_to_text(&full_transaction(ResponseMode::Query)));
    let wrong: &[(&str, &[Value])] = &[
        ("state", &[json!(1), Value::Null, json!(["st-1"])]),
        ("nonce", &[json!(1), json!(["n"]), json!({})]),
        (
            "code_verifier",
            &[json!(42), Value::Null, json!([VERIFIER])],
        ),
        ("redirect_uri", &[json!(1), Value::Null, json!({})]),
        ("response_mode", &[json!(1), Value::Null, json!(["query"])]),
        ("scope", &[json!(1), Value::Null, json!(["openid"])]),
        (
            "max_age",
            &[json!(-1), json!("300"), json!(true), json!([300])],
        ),
        (
            "acr_values",
            &[
                json!("loa2"),
                json!([1]),
                json!(["a", null]),
                Value::Null,
                json!({}),
            ],
        ),
        ("created_at", &[json!("0"), Value::Null, json!(true)]),
    ];
    for (name, values) in wrong {
        for value in *values {
            let text = with(&stored, name, Some(value.clone()));
            assert!(transaction_from_text(&text).is_none(), "{name}: {value}");
        }
    }
    assert!(transaction_from_text(&stored.to_string()).is_some());
}

#[test]
fn transaction_missing_a_required_field_reads_as_none() {
    let stored = tamperable(&transaction_to_text(&full_transaction(ResponseMode::Query)));
    for name in [
        "state",
        "code_verifier",
        "redirect_uri",
        "response_mode",
        "scope",
        "acr_values",
        "created_at",
    ] {
        assert!(
            transaction_from_text(&with(&stored, name, None)).is_none(),
            "{name}"
        );
    }
    for name in ["nonce", "max_age", "app_state"] {
        assert!(
            transaction_from_text(&with(&stored, name, None)).is_some(),
            "{name}"
        );
    }
}

#[test]
fn transaction_whose_code_verifier_fails_rfc7636_reads_as_none() {
    let stored = tamperable(&transaction_to_text(&full_transaction(ResponseMode::Query)));
    let unreserved = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~";
    let bad = [
        "short".to_owned(),
        String::new(),
        "a".repeat(42),
        "a".repeat(129),
        format!("{}!", "a".repeat(42)),
        format!("{} ", "a".repeat(42)),
        format!("{}+", "a".repeat(42)),
        format!("{}é", "a".repeat(42)),
    ];
    for verifier in bad {
        let text = with(&stored, "code_verifier", Some(json!(verifier)));
        assert!(transaction_from_text(&text).is_none(), "{verifier:?}");
    }
    // The bounds themselves are fine (RFC 7636 §4.1: 43 to 128 unreserved characters).
    for verifier in ["a".repeat(43), "a".repeat(128), unreserved.to_owned()] {
        let text = with(&stored, "code_verifier", Some(json!(verifier)));
        let back = transaction_from_text(&text).expect("a valid verifier reads");
        assert_eq!(back.code_verifier.expose(), verifier);
    }
}

#[test]
fn transaction_with_an_unknown_response_mode_reads_as_none() {
    let stored = tamperable(&transaction_to_text(&full_transaction(ResponseMode::Query)));
    for mode in [
        "form-post",
        "FRAGMENT",
        "Query",
        "",
        "jwt",
        "query.jwt",
        "web_message ",
    ] {
        let text = with(&stored, "response_mode", Some(json!(mode)));
        assert!(transaction_from_text(&text).is_none(), "{mode:?}");
    }
}

#[test]
fn transaction_app_state_may_be_any_json_value() {
    let stored = tamperable(&transaction_to_text(&minimal_transaction()));
    for app_state in [
        json!(1),
        json!("s"),
        json!(false),
        json!([1, {"a": null}]),
        json!({}),
    ] {
        let text = with(&stored, "app_state", Some(app_state.clone()));
        let back = transaction_from_text(&text).unwrap();
        assert_eq!(back.app_state, Some(to_json(&app_state)), "{app_state}");
    }
}

// ----- tampered logouts -----

#[test]
fn logout_that_is_not_a_json_object_or_mistyped_reads_as_none() {
    for text in NOT_STORED_OBJECTS {
        assert!(logout_from_text(text).is_none(), "{text:?}");
    }
    let stored = tamperable(&logout_to_text(&logout(Some(
        "https://app.example.com/bye",
    ))));
    let wrong: &[(&str, &[Value])] = &[
        ("state", &[json!(1), Value::Null, json!(["ls-1"])]),
        (
            "post_logout_redirect_uri",
            &[json!(1), json!(true), json!(["https://app"])],
        ),
        ("created_at", &[json!("0"), Value::Null, json!({})]),
    ];
    for (name, values) in wrong {
        for value in *values {
            let text = with(&stored, name, Some(value.clone()));
            assert!(logout_from_text(&text).is_none(), "{name}: {value}");
        }
    }
    for name in ["state", "created_at"] {
        assert!(
            logout_from_text(&with(&stored, name, None)).is_none(),
            "{name}"
        );
    }
    assert_eq!(
        logout_from_text(&with(&stored, "post_logout_redirect_uri", None)),
        Some(logout(None))
    );
}
