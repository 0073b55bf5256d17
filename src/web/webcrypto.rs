//! JWS signature verification with the browser's WebCrypto (`crypto.subtle`): native speed,
//! constant time, and no crypto code in the wasm.
//!
//! Maps RFC 7518 §3 algorithms to WebCrypto: RS* to RSASSA-PKCS1-v1_5, PS* to RSA-PSS with a salt
//! as long as the hash (RFC 7518 §3.5), ES* to ECDSA (JWS and WebCrypto both use the raw `r || s`
//! form), EdDSA to Ed25519 (RFC 8037). An algorithm the browser cannot verify is a typed error,
//! never an accept.

use super::{js_name, js_text, set, window};
use crate::core::alg::{HashAlg, WEBCRYPTO_JWK_MEMBERS};
use crate::core::jws::{JwsAlg, SignatureCheck};
use crate::error::SignatureError;
use crate::Error;
use js_sys::{Array, Object};
use wasm_bindgen::{JsCast, JsValue};

/// The WebCrypto import and verify parameters for `alg` ([`JwsAlg::webcrypto`]).
fn params(alg: JwsAlg) -> (Object, Object) {
    let p = alg.webcrypto();
    let import = Object::new();
    let verify = Object::new();
    set(&import, "name", p.name);
    set(&verify, "name", p.name);
    if p.import_takes_hash() {
        set(&import, "hash", p.hash);
    }
    if let Some(curve) = p.curve {
        set(&import, "namedCurve", curve);
        set(&verify, "hash", p.hash);
    }
    if let Some(salt) = p.salt_length {
        set(&verify, "saltLength", salt);
    }
    (import, verify)
}

/// The public JWK members WebCrypto needs ([`WEBCRYPTO_JWK_MEMBERS`]).
fn public_jwk(check: &SignatureCheck) -> Object {
    let jwk = Object::new();
    for member in WEBCRYPTO_JWK_MEMBERS {
        if let Some(value) = check.jwk.json.get(member).and_then(|v| v.as_str()) {
            set(&jwk, member, value);
        }
    }
    jwk
}

/// Awaits a WebCrypto promise, turning a rejection into `map_err(text)`.
async fn settled(
    promise: js_sys::Promise,
    map_err: impl FnOnce(String) -> Error,
) -> Result<JsValue, Error> {
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|e| map_err(js_text(&e)))
}

/// `data` hashed with `hash` by WebCrypto (`crypto.subtle.digest`).
pub async fn digest(hash: HashAlg, data: &[u8]) -> Result<Vec<u8>, Error> {
    let subtle = window()?
        .crypto()
        .map_err(|_| Error::Crypto("window.crypto".into()))?
        .subtle();
    let failed = |why: String| Error::Crypto(why);
    let promise = subtle
        .digest_with_str_and_u8_array(hash.name(), data)
        .map_err(|e| failed(js_text(&e)))?;
    let digest = settled(promise, failed).await?;
    Ok(js_sys::Uint8Array::new(&digest).to_vec())
}

/// Verifies `check` with WebCrypto. [`Error::Crypto`] (`crypto_unavailable`) where the page has
/// no `crypto.subtle` (not a secure context).
pub async fn verify(check: &SignatureCheck) -> Result<(), Error> {
    let subtle = window()?
        .crypto()
        .map_err(|_| Error::Crypto("window.crypto".into()))?
        .subtle();
    // Outside a secure context there is no `crypto.subtle`: the browser, not the key, is what
    // cannot verify.
    if subtle.is_undefined() {
        return Err(Error::Crypto("crypto.subtle (not a secure context)".into()));
    }
    let (import_params, verify_params) = params(check.alg);
    let usages = Array::of1(&JsValue::from_str("verify"));
    let unusable = |why: String| Error::Signature(SignatureError::UnusableKey(why));
    let key = subtle
        .import_key_with_object("jwk", &public_jwk(check), &import_params, false, &usages)
        .map_err(|e| unusable(js_text(&e)))?;
    let key = wasm_bindgen_futures::JsFuture::from(key)
        .await
        .map_err(|e| {
            // An algorithm the browser cannot (or may not) use is a NotSupportedError, whatever
            // its message says; the key is then not the problem.
            if js_name(&e).as_deref() == Some("NotSupportedError") {
                Error::Signature(SignatureError::UnsupportedAlg(
                    check.alg.as_str().to_owned(),
                ))
            } else {
                unusable(js_text(&e))
            }
        })?;
    let key: web_sys::CryptoKey = key.unchecked_into();
    let verified = subtle
        .verify_with_object_and_u8_array_and_u8_array(
            &verify_params,
            &key,
            &check.signature,
            check.signing_input.as_bytes(),
        )
        .map_err(|e| unusable(js_text(&e)))?;
    let verified = settled(verified, unusable).await?;
    if verified.as_bool() == Some(true) {
        Ok(())
    } else {
        Err(Error::Signature(SignatureError::Mismatch))
    }
}

/// DPoP keys (RFC 9449): an ECDSA P-256 key pair whose private key is not extractable, its
/// public JWK, and ES256 signatures (the raw `r || s` JWS uses).
pub mod dpop {
    use super::{set, settled, window};
    use crate::core::json::Json;
    use crate::Error;
    use js_sys::{Array, Object, Reflect};
    use wasm_bindgen::{JsCast, JsValue};

    fn subtle() -> Result<web_sys::SubtleCrypto, Error> {
        Ok(window()?
            .crypto()
            .map_err(|_| Error::Crypto("window.crypto".into()))?
            .subtle())
    }

    fn ecdsa() -> Object {
        let params = Object::new();
        set(&params, "name", "ECDSA");
        set(&params, "namedCurve", "P-256");
        set(&params, "hash", "SHA-256");
        params
    }

    /// A new key pair (a `CryptoKeyPair`; the private key cannot be exported).
    pub async fn generate() -> Result<JsValue, Error> {
        let usages = Array::of2(&JsValue::from_str("sign"), &JsValue::from_str("verify"));
        let promise = subtle()?
            .generate_key_with_object(&ecdsa(), false, &usages)
            .map_err(|e| Error::Crypto(super::js_text(&e)))?;
        settled(promise, Error::Crypto).await
    }

    fn member(pair: &JsValue, name: &str) -> Result<web_sys::CryptoKey, Error> {
        Reflect::get(pair, &JsValue::from_str(name))
            .ok()
            .filter(|k| k.is_object())
            .map(JsCast::unchecked_into)
            .ok_or_else(|| Error::Crypto("not a key pair".into()))
    }

    /// The public JWK of `pair`.
    pub async fn public_jwk(pair: &JsValue) -> Result<Json, Error> {
        let promise = subtle()?
            .export_key("jwk", &member(pair, "publicKey")?)
            .map_err(|e| Error::Crypto(super::js_text(&e)))?;
        let jwk = settled(promise, Error::Crypto).await?;
        crate::web::js_to_json(&jwk).ok_or_else(|| Error::Crypto("the public JWK".into()))
    }

    /// The ES256 signature of `input` by `pair`'s private key.
    pub async fn sign(pair: &JsValue, input: &[u8]) -> Result<Vec<u8>, Error> {
        let params = Object::new();
        set(&params, "name", "ECDSA");
        set(&params, "hash", "SHA-256");
        let promise = subtle()?
            .sign_with_object_and_u8_array(&params, &member(pair, "privateKey")?, input)
            .map_err(|e| Error::Crypto(super::js_text(&e)))?;
        let signature = settled(promise, Error::Crypto).await?;
        Ok(js_sys::Uint8Array::new(&signature).to_vec())
    }
}
