//! ID token parsing (RFC 7515 compact JWS), claim validation (OIDC Core §3.1.3.7, §3.1.3.8),
//! the rules for refreshed ID tokens (§12.2) and, with `rust-crypto`, signature verification.
//! Tests named `rp_*` follow the OpenID RP conformance test ids.

mod common;

use common::*;
use oidc_rp_wasm::core::alg::HashAlg;
use oidc_rp_wasm::core::id_token::{
    at_hash, digest, validate_refreshed, IdToken, IdTokenChecks, IdTokenClaims,
};
use oidc_rp_wasm::core::json::{Json, Object};
use oidc_rp_wasm::core::jws::{CompactJws, JwsAlg};
use oidc_rp_wasm::error::{Error, IdTokenError};
use serde_json::{json, Value};
use sha2::{Digest, Sha256, Sha384, Sha512};

fn validate(claims: &Value, checks: &IdTokenChecks<'_>) -> Result<(), Error> {
    IdToken::parse(&mint_rs256(claims))?.validate_claims(checks)
}

fn id_token_error(result: Result<(), Error>) -> IdTokenError {
    match result {
        Err(Error::IdToken(e)) => e,
        other => panic!("expected an ID token error, got {other:?}"),
    }
}

// ---- JWS structure (RFC 7515 §7.1) ----

#[test]
fn parse_compact_jws_parts() {
    let token = mint_rs256(&claims());
    let jws = CompactJws::parse(&token).unwrap();
    assert_eq!(jws.alg, "RS256");
    assert_eq!(jws.kid.as_deref(), Some("rsa-0"));
    let (input, _) = token.rsplit_once('.').unwrap();
    assert_eq!(jws.signing_input, input);
    assert_eq!(jws.signature.len(), 256);
    let payload: Value = serde_json::from_slice(&jws.payload).unwrap();
    assert_eq!(payload, claims());
}

#[test]
fn parse_without_kid() {
    let token = mint("RS256", None, &claims(), Key::Rsa(0));
    assert_eq!(CompactJws::parse(&token).unwrap().kid, None);
}

#[test]
fn five_parts_is_an_encrypted_token() {
    let jwe = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a2V5.aXY.Y2lwaGVy.dGFn";
    let err = CompactJws::parse(jwe).unwrap_err();
    assert_eq!(err, Error::IdToken(IdTokenError::Encrypted));
    assert_eq!(err.reason(), Some("encrypted"));
    assert_eq!(IdToken::parse(jwe).unwrap_err(), err);
    // Three parts is not a JWE.
    assert!(CompactJws::parse(&mint_rs256(&claims())).is_ok());
}

#[test]
fn wrong_number_of_parts_is_malformed() {
    let token = mint_rs256(&claims());
    let (two_parts, _) = token.rsplit_once('.').unwrap();
    for bad in [
        two_parts.to_owned(),
        format!("{token}.x"),
        format!("{token}.x.y.z"),
    ] {
        assert!(
            matches!(
                CompactJws::parse(&bad),
                Err(Error::IdToken(IdTokenError::Malformed(_)))
            ),
            "{bad}"
        );
    }
}

#[test]
fn bad_base64_is_malformed() {
    let token = mint_rs256(&claims());
    let (header, rest) = token.split_once('.').unwrap();
    let bad_header = format!("{header}!.{rest}");
    let bad_payload = format!("{header}.%%%.{}", rest.rsplit_once('.').unwrap().1);
    let bad_signature = format!("{}.a+b/", token.rsplit_once('.').unwrap().0);
    for bad in [bad_header, bad_payload, bad_signature] {
        let err = CompactJws::parse(&bad).unwrap_err();
        assert!(
            matches!(err, Error::IdToken(IdTokenError::Malformed(_))),
            "{bad}: {err:?}"
        );
        assert_eq!(err.code(), "invalid_id_token");
    }
}

#[test]
fn header_that_is_not_a_json_object_with_alg_is_malformed() {
    for header in [
        "not json",
        "[1,2]",
        "{}",
        r#"{"alg":5}"#,
        r#"{"alg":"RS256","kid":7}"#,
    ] {
        let token = format!("{}.{}.{}", b64(header.as_bytes()), b64(b"{}"), b64(b"sig"));
        assert!(
            matches!(
                CompactJws::parse(&token),
                Err(Error::IdToken(IdTokenError::Malformed(_)))
            ),
            "{header}"
        );
    }
}

#[test]
fn crit_header_is_refused() {
    let header = json!({"alg": "RS256", "crit": ["exp"], "exp": 1});
    let token = mint_with_header(&header, &claims(), Key::Rsa(0));
    assert!(matches!(
        CompactJws::parse(&token),
        Err(Error::IdToken(IdTokenError::Malformed(_)))
    ));
    // The same header without `crit` parses.
    let header = json!({"alg": "RS256", "exp": 1});
    assert!(CompactJws::parse(&mint_with_header(&header, &claims(), Key::Rsa(0))).is_ok());
}

#[test]
fn payload_that_is_not_a_json_object_is_malformed_for_an_id_token() {
    for payload in [&b"plain text"[..], b"[1,2,3]", b"\"string\""] {
        let token = format!(
            "{}.{}.{}",
            b64(br#"{"alg":"RS256"}"#),
            b64(payload),
            b64(b"sig")
        );
        // A JWS may carry any payload ...
        assert_eq!(CompactJws::parse(&token).unwrap().payload, payload);
        // ... an ID token must carry a JSON object.
        assert!(matches!(
            IdToken::parse(&token),
            Err(Error::IdToken(IdTokenError::Malformed(_)))
        ));
    }
}

#[test]
fn garbage_never_panics() {
    let long_dots = ".".repeat(10_000);
    let long_b64 = "A".repeat(100_001);
    let garbage = [
        "",
        ".",
        "..",
        "...",
        "....",
        "a.b.c",
        "é.ü.ß",
        "\0.\0.\0",
        "eyJ.eyJ.",
        "====.===.==",
        "e30.e30.",
        "e30.e30.e30",
        "eyJhbGciOiJub25lIn0..",
        "eyJhbGciOiJSUzI1NiJ9.e30.",
        "eyJhbGciOiJSUzI1NiJ9.bnVsbA.AAAA",
        long_dots.as_str(),
        long_b64.as_str(),
        "\u{feff}eyJhbGciOiJSUzI1NiJ9.e30.AA",
    ];
    for input in garbage {
        assert!(IdToken::parse(input).is_err(), "{input:?}");
        let _ = CompactJws::parse(input);
    }
}

// ---- claim types (OIDC Core §2) ----

#[test]
fn claims_are_typed_and_other_claims_kept() {
    let token = IdToken::parse(&mint_rs256(&claims_with(json!({
        "amr": ["pwd", "otp"], "acr": "urn:acr:silver", "custom": {"a": [1, 2]}
    }))))
    .unwrap();
    let c = &token.claims;
    assert_eq!(c.iss, ISSUER);
    assert_eq!(c.sub, "248289761001");
    assert_eq!(c.aud, vec![CLIENT_ID.to_owned()]);
    assert_eq!(c.exp, NOW + 600);
    assert_eq!(c.nonce.as_deref(), Some(NONCE));
    assert_eq!(c.amr, Some(vec!["pwd".to_owned(), "otp".to_owned()]));
    assert_eq!(c.acr.as_deref(), Some("urn:acr:silver"));
    assert_eq!(c.other.str("name"), Some("Ana Example"));
    assert_eq!(c.other.get("custom"), Some(&to_json(&json!({"a": [1, 2]}))));
    assert!(!c.other.contains_key("iss"));
}

#[test]
fn aud_may_be_a_string_or_an_array() {
    let single = IdToken::parse(&mint_rs256(&claims())).unwrap();
    assert_eq!(single.claims.aud, vec![CLIENT_ID]);
    let many = IdToken::parse(&mint_rs256(&claims_with(json!({
        "aud": [CLIENT_ID, "other"], "azp": CLIENT_ID
    }))))
    .unwrap();
    assert_eq!(many.claims.aud, vec![CLIENT_ID, "other"]);
    // Written back: a string for one audience, an array for several.
    assert_eq!(
        single.claims.to_json().get("aud"),
        Some(&Json::str(CLIENT_ID))
    );
    assert_eq!(
        many.claims.to_json().get("aud"),
        Some(&to_json(&json!([CLIENT_ID, "other"])))
    );
}

#[test]
fn claims_text_of_hand_made_claims_has_to_json_members() {
    // `other` holding a typed name (only by hand): the text has each name once, with the values
    // `to_json` gives, so that it reads back (the JSON reader refuses repeated names).
    let mut claims = IdToken::parse(&mint_rs256(&claims())).unwrap().claims;
    claims
        .other
        .insert("iss", Json::str("https://elsewhere.example"));
    claims.other.insert("name", Json::str("Ana"));
    let Json::Object(written) = Json::parse(&claims.json_text()).unwrap() else {
        panic!("not an object");
    };
    let expected = claims.to_json();
    assert_eq!(written.len(), expected.len());
    for (name, value) in expected.iter() {
        assert_eq!(written.get(name), Some(value), "{name}");
    }
}

#[test]
fn aud_of_wrong_type_is_a_missing_claim() {
    for aud in [json!(5), json!([]), json!([CLIENT_ID, 5]), json!({"a": 1})] {
        let err = IdToken::parse(&mint_rs256(&claims_with(json!({ "aud": aud })))).unwrap_err();
        assert_eq!(
            err,
            Error::IdToken(IdTokenError::MissingClaim("aud")),
            "{aud}"
        );
    }
}

#[test]
fn numeric_dates_accept_floats_and_refuse_strings() {
    let token = IdToken::parse(&mint_rs256(&claims_with(
        json!({ "exp": 1_700_000_600.75, "iat": 1.7e9 }),
    )))
    .unwrap();
    assert_eq!(token.claims.exp, 1_700_000_600);
    assert_eq!(token.claims.iat, 1_700_000_000);
    for (name, value) in [
        ("exp", json!("1700000600")),
        ("iat", json!(true)),
        ("nbf", json!("x")),
    ] {
        let err = IdToken::parse(&mint_rs256(&claims_with(json!({ name: value })))).unwrap_err();
        assert!(
            matches!(err, Error::IdToken(IdTokenError::MissingClaim(n)) if n == name),
            "{name}: {err:?}"
        );
    }
}

#[test]
fn claims_round_trip_through_their_json() {
    let token = IdToken::parse(&mint_rs256(&claims_with(json!({"amr": ["pwd"]})))).unwrap();
    let text = Json::Object(token.claims.to_json()).to_text();
    let back = IdTokenClaims::from_json(Json::parse_object(&text).unwrap()).unwrap();
    assert_eq!(back, token.claims);
    let only_iss: Object = Json::parse_object(r#"{"iss":"x"}"#).unwrap();
    assert!(IdTokenClaims::from_json(only_iss).is_err());
}

// ---- OIDC Core §3.1.3.7 ----

#[test]
fn valid_token_passes() {
    validate(&claims(), &checks()).unwrap();
}

#[test]
fn rp_id_token_issuer_mismatch() {
    let err = validate(
        &claims_with(json!({"iss": "https://evil.example.com"})),
        &checks(),
    )
    .unwrap_err();
    assert_eq!(err, Error::IdToken(IdTokenError::IssuerMismatch));
    assert_eq!(err.code(), "issuer_mismatch");
    // Exact comparison: no trailing-slash normalisation.
    let err = validate(
        &claims_with(json!({"iss": format!("{ISSUER}/")})),
        &checks(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "issuer_mismatch");
}

#[test]
fn rp_id_token_aud() {
    let err = validate(&claims_with(json!({"aud": "someone-else"})), &checks()).unwrap_err();
    assert_eq!(err, Error::IdToken(IdTokenError::AudienceMismatch));
    assert_eq!(err.code(), "invalid_id_token");
    assert_eq!(err.reason(), Some("aud_mismatch"));
}

#[test]
fn several_audiences_need_azp() {
    let err = validate(&claims_with(json!({"aud": [CLIENT_ID, "api"]})), &checks());
    assert_eq!(id_token_error(err), IdTokenError::AzpMissing);
    validate(
        &claims_with(json!({"aud": [CLIENT_ID, "api"], "azp": CLIENT_ID})),
        &checks(),
    )
    .unwrap();
}

#[test]
fn azp_must_be_the_client() {
    let err = validate(
        &claims_with(json!({"aud": [CLIENT_ID, "api"], "azp": "api"})),
        &checks(),
    );
    assert_eq!(id_token_error(err), IdTokenError::AzpMismatch);
    let err = validate(&claims_with(json!({"azp": "api"})), &checks());
    assert_eq!(id_token_error(err), IdTokenError::AzpMismatch);
    validate(&claims_with(json!({"azp": CLIENT_ID})), &checks()).unwrap();
}

#[test]
fn exp_in_the_past_beyond_skew_is_expired() {
    let err = validate(&claims_with(json!({"exp": NOW - 61})), &checks());
    assert_eq!(id_token_error(err), IdTokenError::Expired);
    let err = validate(&claims_with(json!({"exp": NOW - 60})), &checks());
    assert_eq!(id_token_error(err), IdTokenError::Expired);
}

#[test]
fn exp_in_the_past_within_skew_passes() {
    validate(&claims_with(json!({"exp": NOW - 59})), &checks()).unwrap();
    let strict = IdTokenChecks {
        clock_skew: 0,
        ..checks()
    };
    let err = validate(&claims_with(json!({"exp": NOW - 59})), &strict);
    assert_eq!(id_token_error(err), IdTokenError::Expired);
}

#[test]
fn rp_id_token_iat() {
    // The conformance test: an ID token without `iat`.
    let err = validate(&claims_with(json!({"iat": null})), &checks()).unwrap_err();
    assert_eq!(err, Error::IdToken(IdTokenError::MissingClaim("iat")));
    assert_eq!(err.code(), "invalid_id_token");
}

#[test]
fn iat_in_the_future() {
    let err = validate(&claims_with(json!({"iat": NOW + 61})), &checks());
    assert_eq!(id_token_error(err), IdTokenError::IssuedInFuture);
    validate(&claims_with(json!({"iat": NOW + 60})), &checks()).unwrap();
}

#[test]
fn nbf_in_the_future() {
    let err = validate(&claims_with(json!({"nbf": NOW + 61})), &checks());
    assert_eq!(id_token_error(err), IdTokenError::NotYetValid);
    validate(&claims_with(json!({"nbf": NOW + 30})), &checks()).unwrap();
    validate(&claims_with(json!({"nbf": NOW - 30})), &checks()).unwrap();
}

#[test]
fn rp_id_token_sub() {
    let err = validate(&claims_with(json!({"sub": null})), &checks()).unwrap_err();
    assert_eq!(err, Error::IdToken(IdTokenError::MissingClaim("sub")));
    assert_eq!(err.code(), "invalid_id_token");
    let err = validate(&claims_with(json!({"sub": ""})), &checks()).unwrap_err();
    assert_eq!(err, Error::IdToken(IdTokenError::MissingClaim("sub")));
}

#[test]
fn missing_iss_aud_exp_are_missing_claims() {
    for name in ["iss", "aud", "exp"] {
        let err = validate(&claims_with(json!({ name: null })), &checks()).unwrap_err();
        assert_eq!(err, Error::IdToken(IdTokenError::MissingClaim(name)));
    }
}

#[test]
fn rp_nonce_invalid() {
    let err = validate(&claims_with(json!({"nonce": "another-nonce"})), &checks()).unwrap_err();
    assert_eq!(err, Error::IdToken(IdTokenError::NonceMismatch));
    assert_eq!(err.code(), "nonce_mismatch");
    // Absent when one was sent: also a mismatch.
    let err = validate(&claims_with(json!({"nonce": null})), &checks()).unwrap_err();
    assert_eq!(err.code(), "nonce_mismatch");
    // No nonce expected (a refresh): not checked here.
    let refresh = IdTokenChecks {
        nonce: None,
        ..checks()
    };
    validate(&claims_with(json!({"nonce": null})), &refresh).unwrap();
}

#[test]
fn max_age_requires_auth_time() {
    let with_max_age = IdTokenChecks {
        max_age: Some(300),
        ..checks()
    };
    let err = validate(&claims_with(json!({"auth_time": null})), &with_max_age);
    assert_eq!(id_token_error(err), IdTokenError::AuthTimeMissing);
    // Without max_age, auth_time is not required.
    validate(&claims_with(json!({"auth_time": null})), &checks()).unwrap();
}

#[test]
fn max_age_with_old_auth_time() {
    let with_max_age = IdTokenChecks {
        max_age: Some(300),
        ..checks()
    };
    let err = validate(&claims_with(json!({"auth_time": NOW - 361})), &with_max_age);
    assert_eq!(id_token_error(err), IdTokenError::AuthTimeTooOld);
    // auth_time + max_age + skew == now still passes.
    validate(&claims_with(json!({"auth_time": NOW - 360})), &with_max_age).unwrap();
}

#[test]
fn max_age_with_fresh_auth_time() {
    let with_max_age = IdTokenChecks {
        max_age: Some(300),
        ..checks()
    };
    validate(&claims_with(json!({"auth_time": NOW - 10})), &with_max_age).unwrap();
}

#[test]
fn max_age_zero_with_auth_time_now_passes() {
    let zero = IdTokenChecks {
        max_age: Some(0),
        clock_skew: 0,
        ..checks()
    };
    validate(&claims_with(json!({"auth_time": NOW})), &zero).unwrap();
    let err = validate(&claims_with(json!({"auth_time": NOW - 1})), &zero);
    assert_eq!(id_token_error(err), IdTokenError::AuthTimeTooOld);
}

#[test]
fn acr_values_are_checked() {
    let acr_values = vec!["urn:acr:gold".to_owned(), "urn:acr:silver".to_owned()];
    let with_acr = IdTokenChecks {
        acr_values: &acr_values,
        ..checks()
    };
    validate(&claims_with(json!({"acr": "urn:acr:silver"})), &with_acr).unwrap();
    let err = validate(&claims_with(json!({"acr": "urn:acr:bronze"})), &with_acr);
    assert_eq!(id_token_error(err), IdTokenError::AcrNotSatisfied);
    let err = validate(&claims(), &with_acr);
    assert_eq!(id_token_error(err), IdTokenError::AcrNotSatisfied);
    // Without acr_values, any acr passes.
    validate(&claims_with(json!({"acr": "urn:acr:bronze"})), &checks()).unwrap();
}

fn half_hash_b64(digest: &[u8]) -> String {
    b64(&digest[..digest.len() / 2])
}

#[test]
fn at_hash_matches_the_access_token() {
    let access_token = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
    let expected = half_hash_b64(&Sha256::digest(access_token.as_bytes()));
    assert_eq!(at_hash(JwsAlg::RS256, access_token), expected);
    let with_token = IdTokenChecks {
        access_token: Some(access_token),
        ..checks()
    };
    validate(&claims_with(json!({ "at_hash": expected })), &with_token).unwrap();
}

#[test]
fn at_hash_mismatch() {
    let access_token = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
    let other = half_hash_b64(&Sha256::digest(b"another-access-token"));
    let with_token = IdTokenChecks {
        access_token: Some(access_token),
        ..checks()
    };
    let err = validate(&claims_with(json!({ "at_hash": other })), &with_token);
    assert_eq!(id_token_error(err), IdTokenError::AtHashMismatch);
    // Without at_hash there is nothing to check (code flow: it is optional).
    validate(&claims(), &with_token).unwrap();
}

#[test]
fn at_hash_uses_the_hash_of_the_alg() {
    let access_token = "access-token-value";
    // RS384: SHA-384.
    let expected = half_hash_b64(&Sha384::digest(access_token.as_bytes()));
    assert_eq!(at_hash(JwsAlg::PS384, access_token), expected);
    let token = mint(
        "RS384",
        None,
        &claims_with(json!({ "at_hash": expected })),
        Key::Rsa(0),
    );
    let sha384 = Sha384::digest(access_token.as_bytes()).to_vec();
    let with_token = IdTokenChecks {
        access_token: Some(access_token),
        access_token_digest: Some(&sha384),
        ..checks()
    };
    IdToken::parse(&token)
        .unwrap()
        .validate_claims(&with_token)
        .unwrap();
    // SHA-384 comes from outside: without the digest the value is not taken on trust.
    let without_digest = IdTokenChecks {
        access_token_digest: None,
        ..with_token
    };
    assert_eq!(
        IdToken::parse(&token)
            .unwrap()
            .validate_claims(&without_digest),
        Err(Error::IdToken(IdTokenError::AtHashMismatch))
    );
    // The SHA-256 value does not pass for RS384.
    let sha256 = half_hash_b64(&Sha256::digest(access_token.as_bytes()));
    let token = mint(
        "RS384",
        None,
        &claims_with(json!({ "at_hash": sha256 })),
        Key::Rsa(0),
    );
    assert_eq!(
        IdToken::parse(&token).unwrap().validate_claims(&with_token),
        Err(Error::IdToken(IdTokenError::AtHashMismatch))
    );
    // EdDSA (Ed25519): SHA-512.
    let expected = half_hash_b64(&Sha512::digest(access_token.as_bytes()));
    assert_eq!(at_hash(JwsAlg::EdDSA, access_token), expected);
    let token = mint(
        "EdDSA",
        None,
        &claims_with(json!({ "at_hash": expected })),
        Key::Ed25519,
    );
    let sha512 = digest(HashAlg::Sha512, access_token.as_bytes());
    let with_sha512 = IdTokenChecks {
        access_token_digest: Some(&sha512),
        ..with_token
    };
    IdToken::parse(&token)
        .unwrap()
        .validate_claims(&with_sha512)
        .unwrap();
}

#[test]
fn checks_debug_hides_the_access_token() {
    let with_token = IdTokenChecks {
        access_token: Some("at-super-secret-value"),
        ..checks()
    };
    let debug = format!("{with_token:?}");
    assert!(!debug.contains("at-super-secret-value"));
    assert!(debug.contains(ISSUER));
}

#[test]
fn extreme_numbers_do_not_overflow() {
    for exp in [
        json!(i64::MAX),
        json!(u64::MAX),
        json!(1e300),
        json!(-1e300),
        json!(i64::MIN),
    ] {
        let claims = claims_with(json!({ "exp": exp, "iat": exp, "nbf": exp, "auth_time": exp }));
        let checks = IdTokenChecks {
            max_age: Some(u64::MAX),
            clock_skew: i64::MAX,
            ..checks()
        };
        let _ = validate(&claims, &checks);
        let checks = IdTokenChecks {
            now: i64::MIN,
            ..checks
        };
        let _ = validate(&claims, &checks);
    }
    let far_future = IdTokenChecks {
        now: i64::MAX,
        ..checks()
    };
    let err = validate(&claims(), &far_future);
    assert_eq!(id_token_error(err), IdTokenError::Expired);
}

// ---- step 7: alg ----

#[test]
fn alg_in_the_configured_list_is_accepted() {
    let token = IdToken::parse(&mint_rs256(&claims())).unwrap();
    assert_eq!(token.alg(&[JwsAlg::RS256]).unwrap(), JwsAlg::RS256);
    let es = IdToken::parse(&mint("ES256", Some("ec"), &claims(), Key::P256)).unwrap();
    assert_eq!(
        es.alg(&[JwsAlg::RS256, JwsAlg::ES256]).unwrap(),
        JwsAlg::ES256
    );
}

#[test]
fn alg_not_in_the_configured_list_is_refused() {
    let es = IdToken::parse(&mint("ES256", Some("ec"), &claims(), Key::P256)).unwrap();
    let err = es.alg(&[JwsAlg::RS256]).unwrap_err();
    assert_eq!(
        err,
        Error::IdToken(IdTokenError::AlgNotAllowed("ES256".into()))
    );
    assert_eq!(err.reason(), Some("alg_not_allowed"));
}

#[test]
fn alg_none_is_refused() {
    let token = unsigned_token(&json!({"alg": "none"}), &claims(), b"");
    let parsed = IdToken::parse(&token).unwrap();
    let err = parsed.alg(&JwsAlg::ALL).unwrap_err();
    assert_eq!(
        err,
        Error::IdToken(IdTokenError::AlgNotAllowed("none".into()))
    );
    assert!("none".parse::<JwsAlg>().is_err());
}

#[test]
fn hs256_is_refused() {
    let token = unsigned_token(&json!({"alg": "HS256"}), &claims(), &[7; 32]);
    let parsed = IdToken::parse(&token).unwrap();
    let err = parsed.alg(&JwsAlg::ALL).unwrap_err();
    assert_eq!(
        err,
        Error::IdToken(IdTokenError::AlgNotAllowed("HS256".into()))
    );
    assert!("HS256".parse::<JwsAlg>().is_err());
}

#[test]
fn alg_names_are_case_sensitive() {
    for alg in JwsAlg::ALL {
        assert_eq!(alg.as_str().parse::<JwsAlg>().unwrap(), alg);
        assert_eq!(alg.to_string(), alg.as_str());
    }
    let err = "rs256".parse::<JwsAlg>().unwrap_err();
    assert_eq!(err.code(), "invalid_config");
    let token = unsigned_token(&json!({"alg": "rs256"}), &claims(), &[1; 8]);
    assert!(IdToken::parse(&token).unwrap().alg(&JwsAlg::ALL).is_err());
}

// ---- OIDC Core §12.2 ----

fn typed(changes: Value) -> IdTokenClaims {
    IdToken::parse(&mint_rs256(&claims_with(changes)))
        .unwrap()
        .claims
}

#[test]
fn refreshed_token_with_the_same_identity_passes() {
    let original = typed(json!({"aud": [CLIENT_ID, "api"], "azp": CLIENT_ID}));
    // New iat/exp, aud in another order, no nonce, same auth_time.
    let new = typed(json!({
        "aud": ["api", CLIENT_ID], "azp": CLIENT_ID, "nonce": null,
        "iat": NOW + 100, "exp": NOW + 1000
    }));
    validate_refreshed(&new, &original).unwrap();
    // auth_time absent in the new token, nonce equal: also fine.
    let new = typed(json!({"aud": [CLIENT_ID, "api"], "azp": CLIENT_ID, "auth_time": null}));
    validate_refreshed(&new, &original).unwrap();
}

fn refreshed_error(new: &IdTokenClaims, original: &IdTokenClaims) -> IdTokenError {
    id_token_error(validate_refreshed(new, original))
}

#[test]
fn refreshed_iss_changed() {
    let err = refreshed_error(
        &typed(json!({"iss": "https://other.example"})),
        &typed(json!({})),
    );
    assert_eq!(err, IdTokenError::RefreshedClaimChanged("iss"));
}

#[test]
fn refreshed_sub_changed() {
    let err = refreshed_error(&typed(json!({"sub": "someone-else"})), &typed(json!({})));
    assert_eq!(err, IdTokenError::RefreshedClaimChanged("sub"));
}

#[test]
fn refreshed_aud_changed() {
    let err = refreshed_error(
        &typed(json!({"aud": [CLIENT_ID, "api"], "azp": CLIENT_ID})),
        &typed(json!({"azp": CLIENT_ID})),
    );
    assert_eq!(err, IdTokenError::RefreshedClaimChanged("aud"));
}

#[test]
fn refreshed_azp_changed() {
    // Present in the new token only.
    let err = refreshed_error(&typed(json!({"azp": CLIENT_ID})), &typed(json!({})));
    assert_eq!(err, IdTokenError::RefreshedClaimChanged("azp"));
    // Dropped from the new token.
    let err = refreshed_error(&typed(json!({})), &typed(json!({"azp": CLIENT_ID})));
    assert_eq!(err, IdTokenError::RefreshedClaimChanged("azp"));
}

#[test]
fn refreshed_auth_time_changed() {
    let err = refreshed_error(&typed(json!({"auth_time": NOW + 50})), &typed(json!({})));
    assert_eq!(err, IdTokenError::RefreshedClaimChanged("auth_time"));
    let err = id_token_error(validate_refreshed(
        &typed(json!({"auth_time": NOW + 50})),
        &typed(json!({})),
    ));
    assert_eq!(err.reason(), "refreshed_claim_changed");
}

#[test]
fn refreshed_nonce_changed() {
    let err = refreshed_error(&typed(json!({"nonce": "other"})), &typed(json!({})));
    assert_eq!(err, IdTokenError::RefreshedClaimChanged("nonce"));
    // A nonce where the original had none.
    let err = refreshed_error(&typed(json!({})), &typed(json!({"nonce": null})));
    assert_eq!(err, IdTokenError::RefreshedClaimChanged("nonce"));
}

// ---- signatures (feature rust-crypto) ----

#[cfg(feature = "rust-crypto")]
mod signatures {
    use super::*;
    use oidc_rp_wasm::core::id_token::verify_and_validate_rust_crypto;
    use oidc_rp_wasm::core::jwks::{Jwk, JwkSet};
    use oidc_rp_wasm::core::jws::{verify_rust_crypto, SignatureCheck};
    use oidc_rp_wasm::error::SignatureError;

    fn rsa_set() -> JwkSet {
        JwkSet::parse(&jwk_set(&[public_jwk(Key::Rsa(0), Some("rsa-0"))])).unwrap()
    }

    fn signature_error(result: Result<impl std::fmt::Debug, Error>) -> SignatureError {
        match result {
            Err(Error::Signature(e)) => e,
            other => panic!("expected a signature error, got {other:?}"),
        }
    }

    #[test]
    fn rp_id_token_sig_rs256() {
        let token = mint_rs256(&claims());
        let verified =
            verify_and_validate_rust_crypto(&token, &rsa_set(), &[JwsAlg::RS256], &checks())
                .unwrap();
        assert_eq!(verified.raw.expose(), token);
        assert_eq!(verified.claims.sub, "248289761001");
    }

    #[test]
    fn rp_id_token_bad_sig_rs256() {
        let token = flip_signature_bit(&mint_rs256(&claims()));
        let err = verify_and_validate_rust_crypto(&token, &rsa_set(), &[JwsAlg::RS256], &checks())
            .unwrap_err();
        assert_eq!(err, Error::Signature(SignatureError::Mismatch));
        assert_eq!(err.code(), "invalid_signature");
        assert_eq!(err.reason(), Some("signature_mismatch"));
    }

    #[test]
    fn tampered_payload_fails() {
        let token = mint_rs256(&claims());
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = b64(claims_with(json!({"sub": "admin"})).to_string().as_bytes());
        parts[1] = &forged;
        let err = verify_and_validate_rust_crypto(
            &parts.join("."),
            &rsa_set(),
            &[JwsAlg::RS256],
            &checks(),
        )
        .unwrap_err();
        assert_eq!(err.code(), "invalid_signature");
    }

    #[test]
    fn every_rsa_alg_verifies() {
        for alg in ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"] {
            let token = mint(alg, Some("rsa-0"), &claims(), Key::Rsa(0));
            let jws_alg: JwsAlg = alg.parse().unwrap();
            verify_and_validate_rust_crypto(&token, &rsa_set(), &[jws_alg], &checks())
                .unwrap_or_else(|e| panic!("{alg}: {e}"));
            let bad = flip_signature_bit(&token);
            let err = verify_and_validate_rust_crypto(&bad, &rsa_set(), &[jws_alg], &checks());
            assert_eq!(signature_error(err), SignatureError::Mismatch, "{alg}");
        }
    }

    #[test]
    fn configured_es256_accepts_an_es256_token() {
        let token = mint("ES256", Some("ec"), &claims(), Key::P256);
        let set = JwkSet::parse(&jwk_set(&[
            public_jwk(Key::Rsa(0), Some("rsa-0")),
            public_jwk(Key::P256, Some("ec")),
        ]))
        .unwrap();
        verify_and_validate_rust_crypto(&token, &set, &[JwsAlg::RS256, JwsAlg::ES256], &checks())
            .unwrap();
        // The default list (RS256 only) refuses it before any key is looked at.
        let err = verify_and_validate_rust_crypto(&token, &set, &[JwsAlg::RS256], &checks());
        assert_eq!(
            id_token_error(err.map(|_| ())),
            IdTokenError::AlgNotAllowed("ES256".into())
        );
        let bad = flip_signature_bit(&token);
        let err = verify_and_validate_rust_crypto(&bad, &set, &[JwsAlg::ES256], &checks());
        assert_eq!(signature_error(err), SignatureError::Mismatch);
    }

    #[test]
    fn eddsa_verifies() {
        let token = mint("EdDSA", None, &claims(), Key::Ed25519);
        let set = JwkSet::parse(&jwk_set(&[public_jwk(Key::Ed25519, None)])).unwrap();
        verify_and_validate_rust_crypto(&token, &set, &[JwsAlg::EdDSA], &checks()).unwrap();
        let bad = flip_signature_bit(&token);
        let err = verify_and_validate_rust_crypto(&bad, &set, &[JwsAlg::EdDSA], &checks());
        assert_eq!(signature_error(err), SignatureError::Mismatch);
    }

    #[test]
    fn signature_of_the_wrong_length_is_a_mismatch_not_a_panic() {
        let set = JwkSet::parse(&jwk_set(&[
            public_jwk(Key::Rsa(0), None),
            public_jwk(Key::P256, None),
            public_jwk(Key::Ed25519, None),
        ]))
        .unwrap();
        for (alg, key) in [
            ("EdDSA", Key::Ed25519),
            ("ES256", Key::P256),
            ("RS256", Key::Rsa(0)),
        ] {
            let token = mint(alg, None, &claims(), key);
            let (input, _) = token.rsplit_once('.').unwrap();
            for len in [0, 1, 63, 65, 300] {
                let bad = format!("{input}.{}", b64(&vec![0x5a; len]));
                let err = verify_and_validate_rust_crypto(&bad, &set, &JwsAlg::ALL, &checks());
                assert_eq!(
                    signature_error(err),
                    SignatureError::Mismatch,
                    "{alg} {len}"
                );
            }
        }
    }

    #[test]
    fn claims_are_validated_after_the_signature() {
        let token = mint_rs256(&claims_with(json!({"nonce": "other"})));
        let err = verify_and_validate_rust_crypto(&token, &rsa_set(), &[JwsAlg::RS256], &checks())
            .unwrap_err();
        assert_eq!(err.code(), "nonce_mismatch");
    }

    fn jwk(json: Value) -> Jwk {
        Jwk::from_json(to_object(&json)).unwrap()
    }

    fn check_with(alg: JwsAlg, jwk: &Jwk, token: &CompactJws) -> SignatureCheck {
        SignatureCheck {
            alg,
            jwk: jwk.clone(),
            signing_input: token.signing_input.clone(),
            signature: token.signature.clone(),
        }
    }

    #[test]
    fn key_of_the_wrong_curve_is_unusable() {
        let token = CompactJws::parse(&mint("ES256", None, &claims(), Key::P256)).unwrap();
        let mut p384 = public_jwk(Key::P256, None);
        p384["crv"] = json!("P-384");
        p384["x"] = json!(b64(&[1; 48]));
        p384["y"] = json!(b64(&[2; 48]));
        let p384 = jwk(p384);
        let err = verify_rust_crypto(&check_with(JwsAlg::ES256, &p384, &token));
        assert!(matches!(
            signature_error(err),
            SignatureError::UnusableKey(_)
        ));
        // An Ed25519 key for ES256, an EC key for EdDSA, an RSA key for ES256.
        let ed = jwk(public_jwk(Key::Ed25519, None));
        let ec = jwk(public_jwk(Key::P256, None));
        let rsa = jwk(public_jwk(Key::Rsa(0), None));
        for (alg, key) in [
            (JwsAlg::ES256, &ed),
            (JwsAlg::EdDSA, &ec),
            (JwsAlg::ES256, &rsa),
        ] {
            let err = verify_rust_crypto(&check_with(alg, key, &token));
            assert!(
                matches!(signature_error(err), SignatureError::UnusableKey(_)),
                "{alg}"
            );
        }
        // The right key verifies.
        verify_rust_crypto(&check_with(JwsAlg::ES256, &ec, &token)).unwrap();
    }

    #[test]
    fn bad_key_parameters_are_unusable() {
        let token = CompactJws::parse(&mint_rs256(&claims())).unwrap();
        // A P-256 point that is not on the curve.
        let mut off_curve = public_jwk(Key::P256, None);
        off_curve["y"] = json!(b64(&[3; 32]));
        let err = verify_rust_crypto(&check_with(JwsAlg::ES256, &jwk(off_curve), &token));
        assert!(matches!(
            signature_error(err),
            SignatureError::UnusableKey(_)
        ));
        // An RSA modulus of 1024 bits (RFC 7518 §3.3 asks for 2048).
        let mut weak = public_jwk(Key::Rsa(0), None);
        let mut n = vec![0xc3; 128];
        n[127] = 0x01;
        weak["n"] = json!(b64(&n));
        let err = verify_rust_crypto(&check_with(JwsAlg::RS256, &jwk(weak), &token));
        assert!(matches!(
            signature_error(err),
            SignatureError::UnusableKey(_)
        ));
        // `n` that is not base64url, `e` missing.
        let mut broken = public_jwk(Key::Rsa(0), None);
        broken["n"] = json!("***");
        let err = verify_rust_crypto(&check_with(JwsAlg::RS256, &jwk(broken), &token));
        assert!(matches!(
            signature_error(err),
            SignatureError::UnusableKey(_)
        ));
        let mut no_e = public_jwk(Key::Rsa(0), None);
        no_e.as_object_mut().unwrap().remove("e");
        let err = verify_rust_crypto(&check_with(JwsAlg::RS256, &jwk(no_e), &token));
        assert!(matches!(
            signature_error(err),
            SignatureError::UnusableKey(_)
        ));
        // The intact key verifies.
        let good = jwk(public_jwk(Key::Rsa(0), None));
        verify_rust_crypto(&check_with(JwsAlg::RS256, &good, &token)).unwrap();
    }

    #[test]
    fn key_for_another_alg_is_unusable() {
        let token = CompactJws::parse(&mint_rs256(&claims())).unwrap();
        let mut for_ps256 = public_jwk(Key::Rsa(0), None);
        for_ps256["alg"] = json!("PS256");
        let err = verify_rust_crypto(&check_with(JwsAlg::RS256, &jwk(for_ps256), &token));
        assert!(matches!(
            signature_error(err),
            SignatureError::UnusableKey(_)
        ));
    }

    #[test]
    fn es384_and_es512_are_unsupported() {
        let token = CompactJws::parse(&mint("ES256", None, &claims(), Key::P256)).unwrap();
        let mut p384 = public_jwk(Key::P256, None);
        p384["crv"] = json!("P-384");
        let p384 = jwk(p384);
        let err = verify_rust_crypto(&check_with(JwsAlg::ES384, &p384, &token));
        assert_eq!(
            signature_error(err),
            SignatureError::UnsupportedAlg("ES384".into())
        );
        let mut p521 = public_jwk(Key::P256, None);
        p521["crv"] = json!("P-521");
        let err = verify_rust_crypto(&check_with(JwsAlg::ES512, &jwk(p521), &token));
        assert_eq!(
            signature_error(err),
            SignatureError::UnsupportedAlg("ES512".into())
        );
    }

    #[test]
    fn signature_check_carries_the_token_parts() {
        let raw = mint_rs256(&claims());
        let token = IdToken::parse(&raw).unwrap();
        let set = rsa_set();
        let check = token.signature_check(JwsAlg::RS256, &set.keys[0]);
        assert_eq!(check.signing_input, raw.rsplit_once('.').unwrap().0);
        assert_eq!(check.signature, token.jws.signature.as_slice());
        verify_rust_crypto(&check).unwrap();
    }
}
