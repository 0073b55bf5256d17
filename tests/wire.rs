//! The machine's JSON boundary (`core::machine::wire`), as the npm package's JavaScript pump
//! uses it: configuration errors named the JavaScript way, commands as JSON, answers read by the
//! command they answer, and a success that must be said.

use oidc_rp_wasm::core::json::Json;
use oidc_rp_wasm::core::machine::wire::Wired;

const CONFIG: &str = r#"{"issuer":"https://op.example.com","clientId":"spa","redirectUri":"https://app.example.com/"}"#;

fn error_of(config: &str) -> Json {
    let error = Wired::new(config, "https://app.example.com").expect_err("refused");
    Json::parse(&error).expect("an error object")
}

fn handle(wired: &mut Wired, input: &str) -> Json {
    Json::parse(&wired.handle(input, 1_700_000_000_000)).expect("outputs as JSON")
}

fn outputs(result: &Json) -> Vec<Json> {
    result
        .get("out")
        .and_then(Json::as_array)
        .expect("out")
        .to_vec()
}

#[test]
fn an_unknown_option_is_invalid_config_naming_it() {
    let error = error_of(
        r#"{"issuer":"https://op.example.com","clientId":"spa","redirectUri":"https://app.example.com/","scopes":"x"}"#,
    );
    assert_eq!(
        error.get("code").and_then(Json::as_str),
        Some("invalid_config")
    );
    assert_eq!(error.get("field").and_then(Json::as_str), Some("scopes"));
}

/// A standard parameter in `extraAuthorizeParams` can never be sent: `create` refuses the
/// configuration, naming the option and the parameter (not the per-call `extraParams`).
#[test]
fn a_standard_parameter_in_extra_authorize_params_is_refused_at_create() {
    for name in ["state", "code_challenge", "redirect_uri", "prompt"] {
        let config = [
            r#"{"issuer":"https://op.example.com","clientId":"spa","redirectUri":"https://app.example.com/","extraAuthorizeParams":{"audience":"api","#,
            "\"",
            name,
            r#"":"x"}}"#,
        ]
        .concat();
        let error = error_of(&config);
        assert_eq!(
            error.get("code").and_then(Json::as_str),
            Some("invalid_config")
        );
        let field = ["extraAuthorizeParams.", name].concat();
        assert_eq!(
            error.get("field").and_then(Json::as_str),
            Some(field.as_str())
        );
    }
    let fine = [
        &CONFIG[..CONFIG.len() - 1],
        r#","extraAuthorizeParams":{"audience":"api"}}"#,
    ]
    .concat();
    assert!(Wired::new(&fine, "https://app.example.com").is_ok());
}

#[test]
fn a_config_error_names_the_option_as_javascript_spells_it() {
    let error = error_of(
        r#"{"issuer":"https://op.example.com","clientId":"spa","redirectUri":"relative/"}"#,
    );
    assert_eq!(
        error.get("code").and_then(Json::as_str),
        Some("invalid_config")
    );
    assert_eq!(
        error.get("field").and_then(Json::as_str),
        Some("redirectUri")
    );
    let message = error.get("message").and_then(Json::as_str).unwrap_or("");
    assert!(message.contains("`redirectUri`"), "{message}");
    let error = error_of(
        r#"{"issuer":"https://op.example.com","clientId":"spa","redirectUri":"https://app.example.com/","requestTimeoutMs":"10"}"#,
    );
    assert_eq!(
        error.get("field").and_then(Json::as_str),
        Some("requestTimeoutMs")
    );
}

#[test]
fn create_asks_for_discovery_with_its_deadline() {
    let mut wired = Wired::new(CONFIG, "https://app.example.com").expect("created");
    let result = handle(&mut wired, r#"{"t":"call","op":1,"call":"create"}"#);
    let fetch = outputs(&result)
        .into_iter()
        .find(|o| o.get("do").and_then(Json::as_str) == Some("fetch"))
        .expect("a fetch");
    assert_eq!(
        fetch.get("url").and_then(Json::as_str),
        Some("https://op.example.com/.well-known/openid-configuration")
    );
    assert_eq!(fetch.get("method").and_then(Json::as_str), Some("GET"));
    assert_eq!(fetch.get("timeoutMs").and_then(Json::as_i64), Some(10_000));
}

#[test]
fn a_call_with_unusable_options_ends_at_once_with_invalid_config() {
    let mut wired = Wired::new(CONFIG, "https://app.example.com").expect("created");
    let result = handle(
        &mut wired,
        r#"{"t":"call","op":7,"call":"authorizeUrl","options":{"prompt":"sometimes"}}"#,
    );
    let done = outputs(&result).into_iter().next().expect("one output");
    assert_eq!(done.get("done").and_then(Json::as_i64), Some(7));
    let error = done.get("error").expect("an error");
    assert_eq!(
        error.get("code").and_then(Json::as_str),
        Some("invalid_config")
    );
    assert_eq!(error.get("field").and_then(Json::as_str), Some("prompt"));
}

#[test]
fn a_failure_the_pump_reports_ends_the_operation_with_its_code() {
    let mut wired = Wired::new(CONFIG, "https://app.example.com").expect("created");
    let result = handle(&mut wired, r#"{"t":"call","op":1,"call":"create"}"#);
    let id = outputs(&result)
        .iter()
        .find(|o| o.get("do").and_then(Json::as_str) == Some("fetch"))
        .and_then(|o| o.get("io"))
        .and_then(Json::as_i64)
        .expect("an io id");
    let result = handle(
        &mut wired,
        &format!(r#"{{"t":"answer","id":{id},"error":{{"kind":"timeout"}}}}"#),
    );
    let done = outputs(&result)
        .into_iter()
        .find(|o| o.get("done").is_some())
        .expect("create is done");
    assert_eq!(
        done.get("error")
            .and_then(|e| e.get("code"))
            .and_then(Json::as_str),
        Some("timeout")
    );
}

#[test]
fn an_input_that_is_not_json_is_refused_without_touching_the_machine() {
    let mut wired = Wired::new(CONFIG, "https://app.example.com").expect("created");
    let result = handle(&mut wired, "not json");
    let done = outputs(&result).into_iter().next().expect("one output");
    assert_eq!(
        done.get("error")
            .and_then(|e| e.get("code"))
            .and_then(Json::as_str),
        Some("browser")
    );
    assert!(wired.machine().session().is_none());
    assert_eq!(wired.session(), "[null,null,false]");
}

/// The error of an `authorizeUrl` call with `options`, as (field, message).
fn authorize_error(options: &str) -> (String, String) {
    let mut wired = Wired::new(CONFIG, "https://app.example.com").expect("created");
    let input = format!(r#"{{"t":"call","op":3,"call":"authorizeUrl","options":{options}}}"#);
    let result = handle(&mut wired, &input);
    let done = outputs(&result).into_iter().next().expect("one output");
    let error = done.get("error").expect("an error").clone();
    let text = |name: &str| {
        error
            .get(name)
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(text("code"), "invalid_config");
    (text("field"), text("message"))
}

#[test]
fn each_kind_of_option_refuses_a_value_of_another_kind_naming_it() {
    let cases = [
        (
            r#"{"loginHint":1}"#,
            "loginHint",
            "must be a string (in AuthorizeOptions)",
        ),
        (
            r#"{"uiLocales":[1]}"#,
            "uiLocales",
            "must be a string or an array of strings (in AuthorizeOptions)",
        ),
        (
            r#"{"extraParams":{"a":1}}"#,
            "extraParams",
            "must be an object of strings (in AuthorizeOptions)",
        ),
        (
            r#"{"extraParams":"a=1"}"#,
            "extraParams",
            "must be an object of strings (in AuthorizeOptions)",
        ),
        (
            r#"{"maxAge":-1}"#,
            "maxAge",
            "must be a whole number of seconds, 0 or more",
        ),
        (
            r#"{"maxAge":1.5}"#,
            "maxAge",
            "must be a whole number of seconds, 0 or more",
        ),
        (
            r#"{"maxAge":"60"}"#,
            "maxAge",
            "must be a whole number of seconds, 0 or more",
        ),
        (
            r#"{"idTokenHint":3}"#,
            "idTokenHint",
            "must be a string or a boolean (in AuthorizeOptions)",
        ),
        (r#"{"prompt":"sometimes"}"#, "prompt", ""),
        (r#"{"responseMode":"carrier_pigeon"}"#, "responseMode", ""),
        (
            r#"{"max_age":60}"#,
            "max_age",
            "is not an option of AuthorizeOptions",
        ),
    ];
    for (options, field, message) in cases {
        let (got_field, got_message) = authorize_error(options);
        assert_eq!(got_field, field, "{options}");
        assert!(got_message.contains(message), "{options}: {got_message}");
        assert!(
            got_message.starts_with(&format!("invalid option `{field}`")),
            "{got_message}"
        );
    }
}

#[test]
fn null_options_are_absent_and_a_whole_number_must_fit() {
    let config = r#"{"issuer":"https://op.example.com","clientId":"spa","redirectUri":"https://app.example.com/","scope":null,"silentTimeoutMs":4294967296}"#;
    let error = error_of(config);
    assert_eq!(
        error.get("field").and_then(Json::as_str),
        Some("silentTimeoutMs")
    );
    let message = error.get("message").and_then(Json::as_str).unwrap_or("");
    assert!(message.contains("a whole number in range"), "{message}");
    let fits = r#"{"issuer":"https://op.example.com","clientId":"spa","redirectUri":"https://app.example.com/","scope":null,"silentTimeoutMs":4294967295,"autoRefresh":false}"#;
    let wired = Wired::new(fits, "https://app.example.com").expect("created");
    assert_eq!(wired.machine().config().silent_timeout_ms, u32::MAX);
    assert_eq!(wired.machine().config().scope, "openid");
    assert!(!wired.machine().config().auto_refresh);
}

/// The WebCrypto parameters both pumps build from (RFC 7518 §3, RFC 8037).
#[test]
fn each_jws_algorithm_maps_to_its_webcrypto_parameters() {
    use oidc_rp_wasm::core::alg::JwsAlg;
    let rs = JwsAlg::RS512.webcrypto();
    assert_eq!(
        (rs.name, rs.hash, rs.import_takes_hash()),
        ("RSASSA-PKCS1-v1_5", "SHA-512", true)
    );
    let ps = JwsAlg::PS256.webcrypto();
    assert_eq!((ps.name, ps.salt_length), ("RSA-PSS", Some(32)));
    assert_eq!(JwsAlg::PS384.webcrypto().salt_length, Some(48));
    let es = JwsAlg::ES384.webcrypto();
    assert_eq!(
        (es.name, es.hash, es.curve, es.import_takes_hash()),
        ("ECDSA", "SHA-384", Some("P-384"), false)
    );
    assert_eq!(JwsAlg::ES512.webcrypto().curve, Some("P-521"));
    let ed = JwsAlg::EdDSA.webcrypto();
    assert_eq!((ed.name, ed.curve, ed.salt_length), ("Ed25519", None, None));
}

#[test]
fn an_unknown_page_event_is_refused_not_taken_for_activity() {
    let mut wired = Wired::new(CONFIG, "https://app.example.com").expect("created");
    let result = handle(&mut wired, r#"{"t":"page","event":"scroll"}"#);
    let done = outputs(&result).into_iter().next().expect("one output");
    assert_eq!(
        done.get("error")
            .and_then(|e| e.get("code"))
            .and_then(Json::as_str),
        Some("browser")
    );
    let result = handle(&mut wired, r#"{"t":"page","event":"activity"}"#);
    assert!(outputs(&result).is_empty());
}

/// `idTokenHint: false` in the configuration turns the session's hint off on `prompt=none`; in
/// AuthorizeOptions it asks for no hint at all; `true` and a token still read as before.
#[test]
fn id_token_hint_false_reads_as_no_hint() {
    use oidc_rp_wasm::core::config::IdTokenHint;
    use oidc_rp_wasm::core::machine::wire::{parse_authorize_options, parse_config};
    let config = |extra: &str| {
        let text = CONFIG.replacen('}', extra, 1);
        parse_config(&Json::parse(&text).unwrap()).unwrap()
    };
    assert!(config("}").silent_id_token_hint, "on by default");
    assert!(!config(r#","idTokenHint":false}"#).silent_id_token_hint);
    assert!(config(r#","idTokenHint":true}"#).silent_id_token_hint);
    let options = |text: &str| parse_authorize_options(&Json::parse(text).unwrap()).unwrap();
    let off = options(r#"{"idTokenHint":false}"#);
    assert!(off.omit_id_token_hint && off.id_token_hint.is_none());
    let current = options(r#"{"idTokenHint":true}"#);
    assert!(!current.omit_id_token_hint);
    assert!(matches!(current.id_token_hint, Some(IdTokenHint::Current)));
    let none = options("{}");
    assert!(!none.omit_id_token_hint && none.id_token_hint.is_none());
}

#[test]
fn the_dpop_par_resource_and_claims_options_are_checked_by_their_javascript_names() {
    let base = r#""issuer":"https://op.example.com","clientId":"spa","redirectUri":"https://app.example.com/""#;
    for (extra, field) in [
        (r#""dpop":"yes""#, "dpop"),
        (
            r#""pushedAuthorizationRequests":"sometimes""#,
            "pushedAuthorizationRequests",
        ),
        (r#""resource":"/relative""#, "resource"),
        (
            r#""resource":["https://api.example.com/#frag"]"#,
            "resource",
        ),
        (r#""claims":[1]"#, "claims"),
        (r#""revokeTokensOnSignout":1"#, "revokeTokensOnSignout"),
    ] {
        let error = error_of(&format!("{{{base},{extra}}}"));
        assert_eq!(
            error.get("code").and_then(Json::as_str),
            Some("invalid_config"),
            "{extra}"
        );
        assert_eq!(
            error.get("field").and_then(Json::as_str),
            Some(field),
            "{extra}"
        );
    }
    let config = format!(
        r#"{{{base},"dpop":true,"pushedAuthorizationRequests":"auto","resource":"https://api.example.com/","revokeTokensOnSignout":false,"claims":{{"id_token":{{"email":null}}}}}}"#
    );
    assert!(Wired::new(&config, "https://app.example.com").is_ok());
}

#[test]
fn with_dpop_create_loads_the_stored_key_and_else_makes_and_stores_one() {
    let config = r#"{"issuer":"https://op.example.com","clientId":"spa","redirectUri":"https://app.example.com/","dpop":true,"storage":"session"}"#;
    let mut wired = Wired::new(config, "https://app.example.com").expect("created");
    // With DPoP, create draws the seed of every jti from the entropy the pump hands in.
    let entropy = "q".repeat(128);
    let result = handle(
        &mut wired,
        &format!(r#"{{"t":"call","op":1,"call":"create","entropy":"{entropy}"}}"#),
    );
    let load = outputs(&result)
        .into_iter()
        .find(|o| o.get("do").and_then(Json::as_str) == Some("loadKey"))
        .expect("the stored key is asked for");
    assert_eq!(
        load.get("name").and_then(Json::as_str),
        Some("oidc-rp-wasm:session:https://op.example.com:spa:dpop")
    );
    let id = load.get("io").and_then(Json::as_i64).unwrap();
    let result = handle(
        &mut wired,
        &format!(r#"{{"t":"answer","id":{id},"ok":true,"key":null}}"#),
    );
    let generate = outputs(&result)
        .into_iter()
        .find(|o| o.get("do").and_then(Json::as_str) == Some("generateKey"))
        .expect("none stored: a new one");
    let id = generate.get("io").and_then(Json::as_i64).unwrap();
    let jwk = r#"{"kty":"EC","crv":"P-256","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"}"#;
    let result = handle(
        &mut wired,
        &format!(r#"{{"t":"answer","id":{id},"ok":true,"key":{jwk}}}"#),
    );
    assert!(outputs(&result)
        .iter()
        .any(|o| o.get("do").and_then(Json::as_str) == Some("storeKey")));
}

#[test]
fn a_method_is_normalised_as_fetch_normalises_it_for_htm() {
    use oidc_rp_wasm::core::machine::wire::fetch_method;
    // Fetch upper-cases these six only; `fetch(url, { method: "patch" })` sends `patch`, and a
    // proof's htm must be the method sent (RFC 9449 §4.3).
    for (given, sent) in [
        ("get", "GET"),
        ("Post", "POST"),
        ("delete", "DELETE"),
        ("put", "PUT"),
        ("head", "HEAD"),
        ("options", "OPTIONS"),
        ("patch", "patch"),
        ("PATCH", "PATCH"),
        ("PROPFIND", "PROPFIND"),
    ] {
        assert_eq!(fetch_method(given), sent, "{given}");
    }
}

#[test]
fn a_clock_skew_past_an_hour_is_refused_naming_it() {
    // 60000 is a minute given in milliseconds: as seconds it would accept tokens 16 hours expired.
    let config = |s: u64| {
        format!(
            r#"{{"issuer":"https://op.example.com","clientId":"spa","redirectUri":"https://app.example.com/","clockSkewSeconds":{s}}}"#
        )
    };
    assert!(Wired::new(&config(3_600), "https://app.example.com").is_ok());
    assert!(Wired::new(&config(0), "https://app.example.com").is_ok());
    for s in [3_601, 60_000] {
        let error = error_of(&config(s));
        assert_eq!(
            error.get("field").and_then(Json::as_str),
            Some("clockSkewSeconds"),
            "{s}"
        );
        let message = error.get("message").and_then(Json::as_str).unwrap_or("");
        assert!(message.contains("from 0 to 3600"), "{message}");
    }
}

#[test]
fn an_idle_warning_not_shorter_than_the_timeout_is_refused_naming_it() {
    // It would be due as soon as the user stops, and again after every input.
    let config = |extra: &str| {
        format!(
            r#"{{"issuer":"https://op.example.com","clientId":"spa","redirectUri":"https://app.example.com/"{extra}}}"#
        )
    };
    for ok in [
        r#","idleTimeoutSeconds":61"#,
        r#","idleTimeoutSeconds":120,"idleWarningSeconds":119"#,
        r#","idleWarningSeconds":600"#,
    ] {
        assert!(
            Wired::new(&config(ok), "https://app.example.com").is_ok(),
            "{ok}"
        );
    }
    for refused in [
        r#","idleTimeoutSeconds":60"#,
        r#","idleTimeoutSeconds":120,"idleWarningSeconds":120"#,
        r#","idleTimeoutSeconds":30,"idleWarningSeconds":45"#,
    ] {
        let error = error_of(&config(refused));
        assert_eq!(
            error.get("field").and_then(Json::as_str),
            Some("idleWarningSeconds"),
            "{refused}"
        );
    }
}

#[test]
fn a_request_timeout_past_an_hour_is_refused_naming_it() {
    // A browser timer holds at most 2^31 - 1 ms (a longer one fires at once), and the lock's
    // lease is five deadlines: an hour is far inside both.
    let config = |ms: u64| {
        format!(
            r#"{{"issuer":"https://op.example.com","clientId":"spa","redirectUri":"https://app.example.com/","requestTimeoutMs":{ms}}}"#
        )
    };
    assert!(Wired::new(&config(3_600_000), "https://app.example.com").is_ok());
    for ms in [0, 3_600_001, 2_147_483_648] {
        let error = error_of(&config(ms));
        assert_eq!(
            error.get("code").and_then(Json::as_str),
            Some("invalid_config")
        );
        assert_eq!(
            error.get("field").and_then(Json::as_str),
            Some("requestTimeoutMs"),
            "{ms}"
        );
    }
}
