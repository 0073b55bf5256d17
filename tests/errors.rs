//! The SDK's own error codes: what [`Error::code`] says, and that the npm package lists every one
//! of them (`ERROR_CODES` in index.js, `SdkErrorCode` and `ErrorCodes` in index.d.ts, the table
//! of its README).

use oidc_rp_wasm::error::*;

/// Each `CODE_*` constant with its name in `ERROR_CODES`.
const SDK_CODES: &[(&str, &str)] = &[
    ("STATE_MISMATCH", CODE_STATE_MISMATCH),
    ("ISSUER_MISMATCH", CODE_ISSUER_MISMATCH),
    ("NONCE_MISMATCH", CODE_NONCE_MISMATCH),
    ("INVALID_ID_TOKEN", CODE_INVALID_ID_TOKEN),
    ("INVALID_SIGNATURE", CODE_INVALID_SIGNATURE),
    ("ID_TOKEN_REQUIRED", CODE_ID_TOKEN_REQUIRED),
    ("SUBJECT_MISMATCH", CODE_SUBJECT_MISMATCH),
    ("INVALID_RESPONSE", CODE_INVALID_RESPONSE),
    ("INVALID_CONFIG", CODE_INVALID_CONFIG),
    ("UNSUPPORTED", CODE_UNSUPPORTED),
    ("NO_SESSION", CODE_NO_SESSION),
    ("TIMEOUT", CODE_TIMEOUT),
    ("POPUP_CLOSED", CODE_POPUP_CLOSED),
    ("POPUP_BLOCKED", CODE_POPUP_BLOCKED),
    ("NETWORK", CODE_NETWORK),
    ("STORAGE", CODE_STORAGE),
    ("CRYPTO_UNAVAILABLE", CODE_CRYPTO),
    ("BROWSER", CODE_BROWSER),
    ("DISPOSED", CODE_DISPOSED),
    ("ABANDONED", CODE_ABANDONED),
];

#[test]
fn an_abandoned_operation_has_its_own_code() {
    let error = Error::Abandoned;
    assert_eq!(error.code(), "abandoned");
    assert_eq!(error.code(), CODE_ABANDONED);
    assert_ne!(error.code(), CODE_NO_SESSION);
    assert_eq!(error.reason(), None);
    assert_eq!(error.to_string(), "the operation ended without a result");
}

#[test]
fn the_package_lists_every_sdk_code() {
    let index_js = include_str!("../pkg-template/index.js");
    let index_d_ts = include_str!("../pkg-template/index.d.ts");
    let readme = include_str!("../pkg-template/README.md");
    for (name, code) in SDK_CODES {
        assert!(
            index_js.contains(&format!("  {name}: '{code}',\n")),
            "ERROR_CODES in index.js lacks {name}: '{code}'"
        );
        assert!(
            index_d_ts.contains(&format!("  | \"{code}\"")),
            "SdkErrorCode in index.d.ts lacks \"{code}\""
        );
        assert!(
            index_d_ts.contains(&format!("  readonly {name}: \"{code}\";\n")),
            "ErrorCodes in index.d.ts lacks {name}"
        );
        assert!(
            readme.contains(&format!("| `{code}` |")),
            "the error table of pkg-template/README.md lacks `{code}`"
        );
    }
}
