//! RFC 7520 ("Examples of Protecting Content Using JSON Object Signing and Encryption") §4.1,
//! §4.2 and §4.3, and the Ed25519 example of the same cookbook collection (RFC 8037 §A.4),
//! verified with the cookbook's own keys. The JSON files in tests/vectors/jose-cookbook/ are
//! copies of the public-domain cookbook (see the LICENSE there).
#![cfg(feature = "rust-crypto")]

use base64ct::{Base64UrlUnpadded, Encoding};
use oidc_rp_wasm::core::jwks::JwkSet;
use oidc_rp_wasm::core::jws::{verify_rust_crypto, CompactJws, JwsAlg, SignatureCheck};
use oidc_rp_wasm::error::{Error, SignatureError};
use serde_json::{json, Value};

const RS256: &str = include_str!("vectors/jose-cookbook/jws_4_1.rsa_v15_signature.json");
const PS384: &str = include_str!("vectors/jose-cookbook/jws_4_2.rsa-pss_signature.json");
const ES512: &str = include_str!("vectors/jose-cookbook/jws_4_3.ecdsa_signature.json");
const ED25519: &str = include_str!("vectors/jose-cookbook/curve25519_jws.json");

struct Vector {
    compact: String,
    jws: CompactJws,
    keys: JwkSet,
    alg: JwsAlg,
}

/// The vector's compact JWS, parsed, and its key as a one-key JWK Set (private parts stripped).
fn load(text: &str) -> Vector {
    let vector: Value = serde_json::from_str(text).unwrap();
    let compact = vector["output"]["compact"].as_str().unwrap().to_owned();
    let jws = CompactJws::parse(&compact).unwrap();
    // The signing input and payload are the ones the cookbook states.
    assert_eq!(
        jws.signing_input,
        vector["signing"]["sig-input"].as_str().unwrap()
    );
    assert_eq!(
        jws.payload,
        vector["input"]["payload"].as_str().unwrap().as_bytes()
    );
    assert_eq!(jws.alg, vector["input"]["alg"].as_str().unwrap());
    let signature =
        Base64UrlUnpadded::decode_vec(vector["signing"]["sig"].as_str().unwrap()).unwrap();
    assert_eq!(jws.signature, signature);
    let keys = JwkSet::parse(&json!({ "keys": [vector["input"]["key"]] }).to_string()).unwrap();
    assert_eq!(keys.keys.len(), 1);
    assert!(!keys.keys[0].json.contains_key("d"), "private part kept");
    let alg = jws.alg.parse().unwrap();
    Vector {
        compact,
        jws,
        keys,
        alg,
    }
}

fn verify(vector: &Vector, signature: &[u8]) -> Result<(), Error> {
    let candidates = vector
        .keys
        .select(vector.alg, vector.jws.kid.as_deref())?
        .into_candidates_or_no_key()?;
    assert_eq!(candidates.len(), 1);
    verify_rust_crypto(&SignatureCheck {
        alg: vector.alg,
        jwk: candidates[0].clone(),
        signing_input: vector.jws.signing_input.clone(),
        signature: signature.to_vec(),
    })
}

fn flipped(signature: &[u8]) -> Vec<u8> {
    let mut bad = signature.to_vec();
    bad[0] ^= 0x80;
    bad
}

#[test]
fn rfc7520_4_1_rs256() {
    let vector = load(RS256);
    assert_eq!(vector.alg, JwsAlg::RS256);
    assert_eq!(
        vector.jws.kid.as_deref(),
        Some("bilbo.baggins@hobbiton.example")
    );
    verify(&vector, &vector.jws.signature).unwrap();
    assert_eq!(
        verify(&vector, &flipped(&vector.jws.signature)),
        Err(Error::Signature(SignatureError::Mismatch))
    );
}

#[test]
fn rfc7520_4_1_rs256_signing_input_is_the_token_up_to_the_last_dot() {
    let vector = load(RS256);
    let (input, _) = vector.compact.rsplit_once('.').unwrap();
    assert_eq!(vector.jws.signing_input, input);
}

#[test]
fn rfc7520_4_2_ps384() {
    let vector = load(PS384);
    assert_eq!(vector.alg, JwsAlg::PS384);
    verify(&vector, &vector.jws.signature).unwrap();
    assert_eq!(
        verify(&vector, &flipped(&vector.jws.signature)),
        Err(Error::Signature(SignatureError::Mismatch))
    );
    // The same signature does not pass as PS256 or RS384.
    for other in [JwsAlg::PS256, JwsAlg::RS384] {
        let check = SignatureCheck {
            alg: other,
            jwk: vector.keys.keys[0].clone(),
            signing_input: vector.jws.signing_input.clone(),
            signature: vector.jws.signature.clone(),
        };
        assert_eq!(
            verify_rust_crypto(&check),
            Err(Error::Signature(SignatureError::Mismatch))
        );
    }
}

#[test]
fn rfc7520_4_3_es512_is_unsupported() {
    let vector = load(ES512);
    assert_eq!(vector.alg, JwsAlg::ES512);
    // The P-521 key is selected for ES512 ...
    assert!(vector.keys.keys[0].fits(JwsAlg::ES512));
    // ... but P-521 is not available to the rust-crypto verifier: a typed error, not a panic.
    assert_eq!(
        verify(&vector, &vector.jws.signature),
        Err(Error::Signature(SignatureError::UnsupportedAlg(
            "ES512".into()
        )))
    );
    assert_eq!(
        verify(&vector, &vector.jws.signature).unwrap_err().reason(),
        Some("unsupported_alg")
    );
}

#[test]
fn ed25519_eddsa() {
    let vector = load(ED25519);
    assert_eq!(vector.alg, JwsAlg::EdDSA);
    assert_eq!(vector.jws.kid, None);
    verify(&vector, &vector.jws.signature).unwrap();
    assert_eq!(
        verify(&vector, &flipped(&vector.jws.signature)),
        Err(Error::Signature(SignatureError::Mismatch))
    );
}
