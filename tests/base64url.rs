//! The core's base64url codec (RFC 4648 §5, no padding) against the base64ct crate: the same
//! text for every length, and the same refusals of what is not a canonical encoding.

use base64ct::{Base64UrlUnpadded, Encoding};
use oidc_rp_wasm::core::base64url::{decode, encode};

#[test]
fn encodes_like_base64ct_at_every_length() {
    let data: Vec<u8> = (0..=255u8).cycle().take(700).collect();
    for len in 0..300 {
        let input = &data[..len];
        let ours = encode(input);
        assert_eq!(
            ours,
            Base64UrlUnpadded::encode_string(input),
            "length {len}"
        );
        assert_eq!(
            decode(&ours).as_deref(),
            Some(input),
            "round trip, length {len}"
        );
    }
}

#[test]
fn refuses_what_base64ct_refuses() {
    for text in [
        "a",    // one lone character: six bits encode no byte
        "ab=",  // padding
        "ab+c", // the standard alphabet's '+'
        "ab/c", // and '/'
        "ab c", // whitespace
        "AB",   // spare bits not zero ("AA" is the canonical encoding of one zero byte)
        "AAB",  // likewise for two bytes
        "é",
    ] {
        assert_eq!(decode(text), None, "{text:?}");
        assert!(
            Base64UrlUnpadded::decode_vec(text).is_err(),
            "base64ct accepts {text:?}"
        );
    }
    assert_eq!(decode(""), Some(Vec::new()));
    assert_eq!(decode("AA"), Some(vec![0]));
    assert_eq!(decode("AAA"), Some(vec![0, 0]));
}
