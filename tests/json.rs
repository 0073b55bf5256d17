//! RFC 8259: the core's own JSON reader and writer (`core::json`), which replaced serde_json in
//! the library. serde_json (a dev-dependency) serves as the reference reader where one helps.

use oidc_rp_wasm::core::json::{int_text, uint_text, Json, JsonError, Object, MAX_DEPTH};
use serde_json::Value;

/// The error `text` is refused with (the test fails if it parses).
fn refused(text: &str) -> JsonError {
    match Json::parse(text) {
        Ok(value) => panic!("{text:?} parsed as {value:?}"),
        Err(e) => e,
    }
}

/// The integer part `as_i64` reads from the number written `text`.
fn integer(text: &str) -> Option<i64> {
    let value = Json::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    assert!(matches!(value, Json::Number(_)), "{text:?} is a number");
    value.as_i64()
}

/// The single string of the JSON text `text`.
fn string(text: &str) -> String {
    match Json::parse(text) {
        Ok(Json::String(s)) => s,
        other => panic!("{text:?}: {other:?}"),
    }
}

// ----- RFC 8259 §13: the examples -----

/// RFC 8259 §13, first example: a JSON object.
const RFC_IMAGE: &str = r#"
      {
        "Image": {
            "Width":  800,
            "Height": 600,
            "Title":  "View from 15th Floor",
            "Thumbnail": {
                "Url":    "http://www.example.com/image/481989943",
                "Height": 125,
                "Width":  100
            },
            "Animated" : false,
            "IDs": [116, 943, 234, 38793]
          }
      }
"#;

/// RFC 8259 §13, second example: an array of two objects.
const RFC_ADDRESSES: &str = r#"
      [
        {
           "precision": "zip",
           "Latitude":  37.7668,
           "Longitude": -122.3959,
           "Address":   "",
           "City":      "SAN FRANCISCO",
           "State":     "CA",
           "Zip":       "94107",
           "Country":   "US"
        },
        {
           "precision": "zip",
           "Latitude":  37.371991,
           "Longitude": -122.026020,
           "Address":   "",
           "City":      "SUNNYVALE",
           "State":     "CA",
           "Zip":       "94085",
           "Country":   "US"
        }
      ]
"#;

/// RFC 8259 §13: "Here are three small JSON texts containing only values".
const RFC_SMALL: [&str; 3] = [r#""Hello world!""#, "42", "true"];

#[test]
fn rfc8259_examples_parse_and_reserialise_to_equal_values() {
    for text in [RFC_IMAGE, RFC_ADDRESSES].into_iter().chain(RFC_SMALL) {
        let value = Json::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let written = value.to_text();
        assert_eq!(Json::parse(&written).unwrap(), value, "{written}");
        // Writing is stable, and what is written means what was read (serde_json as referee).
        assert_eq!(Json::parse(&written).unwrap().to_text(), written);
        let reference: Value = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&written).unwrap(), reference);
    }
}

#[test]
fn rfc8259_image_example_reads_member_by_member() {
    let image = Json::parse_object(RFC_IMAGE).unwrap();
    let image = image.get("Image").and_then(Json::as_object).unwrap();
    assert_eq!(image.get("Width").and_then(Json::as_i64), Some(800));
    assert_eq!(image.str("Title"), Some("View from 15th Floor"));
    assert_eq!(image.get("Animated").and_then(Json::as_bool), Some(false));
    let thumbnail = image.get("Thumbnail").and_then(Json::as_object).unwrap();
    assert_eq!(
        thumbnail.str("Url"),
        Some("http://www.example.com/image/481989943")
    );
    let ids: Vec<i64> = image
        .get("IDs")
        .and_then(Json::as_array)
        .unwrap()
        .iter()
        .map(|id| id.as_i64().unwrap())
        .collect();
    assert_eq!(ids, [116, 943, 234, 38793]);
    // Members keep document order (not sorted).
    let names: Vec<&str> = image.iter().map(|(name, _)| name).collect();
    assert_eq!(
        names,
        ["Width", "Height", "Title", "Thumbnail", "Animated", "IDs"]
    );
}

#[test]
fn numbers_keep_the_text_they_were_written_with() {
    let addresses = Json::parse(RFC_ADDRESSES).unwrap();
    let second = &addresses.as_array().unwrap()[1];
    // No float ever formats these: "-122.026020" keeps its trailing zero.
    assert_eq!(
        second.get("Longitude"),
        Some(&Json::Number("-122.026020".to_owned()))
    );
    assert!(addresses.to_text().contains("-122.026020"));
    for text in [
        "0",
        "-0",
        "1.5",
        "1e5",
        "1E+5",
        "1e-5",
        "-0.0e0",
        "123456789012345678901234567890",
    ] {
        assert_eq!(Json::parse(text).unwrap(), Json::Number(text.to_owned()));
        assert_eq!(Json::parse(text).unwrap().to_text(), text);
    }
}

// ----- RFC 8259 §4: objects -----

#[test]
fn duplicate_member_names_are_refused() {
    for text in [
        r#"{"a":1,"a":2}"#,
        r#"{"a":1,"b":2,"a":1}"#,
        r#"{"x":{"a":null,"a":null}}"#,
        r#"[{"sub":"alice","sub":"mallory"}]"#,
        // The same name once escaped: names are compared after unescaping.
        r#"{"a":1,"\u0061":2}"#,
    ] {
        assert_eq!(refused(text).reason, "duplicate member name", "{text}");
    }
    // The same name in different objects is no duplicate.
    assert!(Json::parse(r#"{"a":{"a":1},"b":[{"a":1},{"a":2}]}"#).is_ok());
    // Names differing only in case are different names.
    assert!(Json::parse(r#"{"a":1,"A":2}"#).is_ok());
}

#[test]
fn object_insert_replaces_in_place_and_remove_takes_out() {
    let mut object = Json::parse_object(r#"{"a":1,"b":"two","c":null}"#).unwrap();
    object.insert("a", Json::str("one"));
    object.insert("d", Json::Bool(true));
    assert_eq!(
        Json::Object(object.clone()).to_text(),
        r#"{"a":"one","b":"two","c":null,"d":true}"#
    );
    assert_eq!(object.remove("b"), Some(Json::str("two")));
    assert_eq!(object.remove("b"), None);
    assert!(object.contains_key("c") && !object.contains_key("b"));
    assert_eq!(
        (object.len(), object.str("a"), object.str("d")),
        (3, Some("one"), None)
    );
    // Collecting keeps the first position of a name and its last value.
    let collected: Object = [("k", 1), ("j", 2), ("k", 3)]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Json::int(v)))
        .collect();
    assert_eq!(Json::Object(collected).to_text(), r#"{"k":3,"j":2}"#);
}

#[test]
fn parse_object_refuses_other_values() {
    assert!(Json::parse_object(r#" {"a": 1} "#).is_ok());
    for text in ["[]", "1", r#""{}""#, "null", "true"] {
        assert_eq!(
            Json::parse_object(text).unwrap_err().reason,
            "not an object",
            "{text}"
        );
    }
    assert!(Json::parse_object("{").is_err());
}

// ----- nesting -----

#[test]
fn nesting_up_to_max_depth_is_accepted_and_deeper_refused() {
    let arrays = |depth: usize| "[".repeat(depth) + &"]".repeat(depth);
    let objects = |depth: usize| r#"{"a":"#.repeat(depth) + "1" + &"}".repeat(depth);
    let mixed = |depth: usize| {
        let open: String = (0..depth)
            .map(|i| if i % 2 == 0 { "[" } else { r#"{"a":"# })
            .collect();
        let close: String = (0..depth)
            .rev()
            .map(|i| if i % 2 == 0 { "]" } else { "}" })
            .collect();
        open + "1" + &close
    };
    for (what, nest) in [
        ("arrays", &arrays as &dyn Fn(usize) -> String),
        ("objects", &objects),
        ("mixed", &mixed),
    ] {
        assert!(
            Json::parse(&nest(MAX_DEPTH)).is_ok(),
            "{what}: {MAX_DEPTH} levels"
        );
        let err = refused(&nest(MAX_DEPTH + 1));
        assert_eq!(err.reason, "nested too deeply", "{what}");
    }
    // Scalars do not count as a level.
    assert!(Json::parse(&format!(
        "{}1{}",
        "[".repeat(MAX_DEPTH),
        "]".repeat(MAX_DEPTH)
    ))
    .is_ok());
}

#[test]
fn hostile_nesting_is_refused_without_exhausting_the_stack() {
    // Unclosed, so refused either way; what matters is that it returns at all.
    let err = refused(&"[".repeat(1_000_000));
    assert_eq!(err.reason, "nested too deeply");
    assert_eq!(err.offset, MAX_DEPTH);
}

// ----- RFC 8259 §7: strings -----

#[test]
fn escapes_are_unescaped() {
    assert_eq!(string(r#""\"\\\/\b\f\n\r\t""#), "\"\\/\u{8}\u{c}\n\r\t");
    assert_eq!(string(r#""\u00e9\u00E9\u20ac\u0000""#), "éé€\u{0}");
    // Characters outside the BMP: a UTF-16 surrogate pair, either case (RFC 8259 §7's G clef).
    assert_eq!(string(r#""\uD834\uDD1E""#), "\u{1D11E}");
    assert_eq!(string(r#""\ud83d\ude00 ok""#), "😀 ok");
    // Unescaped non-ASCII passes through as it is.
    assert_eq!(string("\"ü😀\u{7f}\u{2028}\""), "ü😀\u{7f}\u{2028}");
}

#[test]
fn broken_escapes_are_refused() {
    for (text, reason) in [
        (r#""\ud800""#, "unpaired surrogate"),
        (r#""\ud800x""#, "unpaired surrogate"),
        (r#""\ud800\u0041""#, "unpaired surrogate"),
        (r#""\ud800\ud800""#, "unpaired surrogate"),
        (r#""\udc00""#, "unpaired surrogate"),
        (r#""\ude00\ud83d""#, "unpaired surrogate"),
        (r#""\u12""#, "invalid \\u escape"),
        (r#""\u12G4""#, "invalid \\u escape"),
        (r#""\x41""#, "invalid escape"),
        (r#""\U0041""#, "invalid escape"),
        (r#""\'""#, "invalid escape"),
        (r#""abc"#, "unterminated string"),
        (r#""abc\"#, "unterminated string"),
    ] {
        assert_eq!(refused(text).reason, reason, "{text}");
    }
}

#[test]
fn strings_with_control_characters_are_refused() {
    for byte in 0_u8..0x20 {
        let c = char::from(byte);
        for text in [
            format!("\"{c}\""),
            format!("\"before{c}after\""),
            format!("{{\"na{c}me\":1}}"),
        ] {
            assert_eq!(
                refused(&text).reason,
                "control character in string",
                "{byte:#04x} in {text:?}"
            );
        }
        // Escaped, the same character is fine.
        assert_eq!(string(&format!("\"\\u{:04x}\"", byte)), c.to_string());
    }
    // DEL (0x7f) is not a control character for JSON.
    assert_eq!(string("\"\u{7f}\""), "\u{7f}");
}

#[test]
fn writer_escapes_quotes_backslashes_and_control_characters() {
    let value = Json::str("q\"b\\n\nr\rt\tnul\u{0}us\u{1f}bs\u{8}ff\u{c}");
    assert_eq!(
        value.to_text(),
        r#""q\"b\\n\nr\rt\tnul\u0000us\u001fbs\u0008ff\u000c""#
    );
    // Nothing else is escaped: not the solidus, not non-ASCII, not DEL.
    assert_eq!(Json::str("a/é😀\u{7f}").to_text(), "\"a/é😀\u{7f}\"");
    // Member names are escaped the same way.
    let mut object = Object::new();
    object.insert("k\"e\\y\n", Json::str("v"));
    assert_eq!(Json::Object(object).to_text(), r#"{"k\"e\\y\n":"v"}"#);
}

#[test]
fn every_character_below_space_round_trips_through_the_writer() {
    let all: String = (0_u8..0x20).map(char::from).chain("\"\\".chars()).collect();
    let written = Json::str(all.as_str()).to_text();
    assert!(written
        .bytes()
        .skip(1)
        .take(written.len() - 2)
        .all(|b| b >= 0x20));
    assert_eq!(string(&written), all);
    // serde_json reads the same string from it.
    assert_eq!(serde_json::from_str::<String>(&written).unwrap(), all);
}

// ----- RFC 8259 §6: numbers -----

#[test]
fn invalid_numbers_are_refused() {
    for text in [
        "01",
        "-01",
        "00",
        "1.",
        "-",
        "1e",
        "1e+",
        "1E-",
        ".5",
        "+1",
        "1.e5",
        "-.5",
        "0x10",
        "1_000",
        "NaN",
        "Infinity",
        "-Infinity",
        "1e5.0",
        "--1",
        "[01]",
        "[1.]",
        r#"{"a":-}"#,
        "[1e]",
    ] {
        assert!(Json::parse(text).is_err(), "{text:?} was accepted");
    }
    assert_eq!(refused("-").reason, "invalid number");
    assert_eq!(refused("1.").reason, "invalid number");
    assert_eq!(refused("1e").reason, "invalid number");
    // "01" is the number 0 followed by something else.
    assert_eq!(refused("01").reason, "trailing characters");
}

#[test]
fn as_i64_reads_the_integer_part_exactly() {
    assert_eq!(integer("1700000000"), Some(1_700_000_000));
    assert_eq!(integer("1.7e9"), Some(1_700_000_000));
    assert_eq!(integer("1700000000.9"), Some(1_700_000_000));
    assert_eq!(integer("17E+8"), Some(1_700_000_000));
    assert_eq!(integer("170000000000e-2"), Some(1_700_000_000));
    assert_eq!(integer("-0"), Some(0));
    assert_eq!(integer("-0.9"), Some(0));
    assert_eq!(integer("0.5"), Some(0));
    assert_eq!(integer("-12.9"), Some(-12), "towards zero");
    assert_eq!(integer("0e400"), Some(0));
    assert_eq!(integer("9223372036854775807"), Some(i64::MAX));
    assert_eq!(integer("-9223372036854775807"), Some(-i64::MAX));
    // A float would round these; the reader does not.
    assert_eq!(integer("9007199254740993"), Some(9_007_199_254_740_993));
    assert_eq!(integer("9223372036854775807.999"), Some(i64::MAX));
}

#[test]
fn as_i64_of_huge_numbers_is_none() {
    for text in [
        "9223372036854775808",
        "-9223372036854775809",
        "1e19",
        "9.3e18",
        "1e400",
        "-1e400",
        "123456789012345678901234567890",
        "1e99999999999",
    ] {
        assert_eq!(integer(text), None, "{text}");
    }
}

/// Fails until `integer_part` stops overflowing on the magnitude of `i64::MIN` (see the report:
/// it accumulates the positive magnitude, 2^63, before negating).
#[test]
fn as_i64_reads_i64_min() {
    assert_eq!(integer("-9223372036854775808"), Some(i64::MIN));
    assert_eq!(Json::int(i64::MIN).as_i64(), Some(i64::MIN));
}

#[test]
fn as_u64_and_as_i64_of_other_values_are_none() {
    assert_eq!(integer("-1"), Some(-1));
    assert_eq!(Json::parse("-1").unwrap().as_u64(), None);
    assert_eq!(Json::parse("42").unwrap().as_u64(), Some(42));
    assert_eq!(Json::parse("-0").unwrap().as_u64(), Some(0));
    for value in [
        Json::str("42"),
        Json::Bool(true),
        Json::Null,
        Json::Array(vec![Json::int(1)]),
    ] {
        assert_eq!((value.as_i64(), value.as_u64()), (None, None), "{value:?}");
    }
}

#[test]
fn integers_write_and_read_back_exactly() {
    for n in [0, 1, -1, 1_700_000_000, i64::MAX, i64::MIN + 1] {
        let written = Json::int(n).to_text();
        assert_eq!(written, n.to_string());
        assert_eq!(Json::parse(&written).unwrap().as_i64(), Some(n));
    }
    assert_eq!(Json::int(i64::MIN).to_text(), "-9223372036854775808");
}

// ----- the rest of the grammar -----

#[test]
fn literals_are_exact_and_lowercase() {
    assert_eq!(Json::parse("true").unwrap(), Json::Bool(true));
    assert_eq!(Json::parse("false").unwrap(), Json::Bool(false));
    assert_eq!(Json::parse("null").unwrap(), Json::Null);
    for text in ["tru", "nul", "True", "NULL", "nulll", "falsey", "undefined"] {
        assert!(Json::parse(text).is_err(), "{text}");
    }
}

#[test]
fn only_json_white_space_surrounds_a_value() {
    assert_eq!(Json::parse(" \t\r\n42\n ").unwrap(), Json::int(42));
    assert_eq!(
        Json::parse("[ 1 , { \"a\" : 2 } ]").unwrap().to_text(),
        r#"[1,{"a":2}]"#
    );
    // Not white space in JSON: form feed, NBSP, a byte-order mark, U+2028.
    for text in ["\u{c}1", "\u{a0}1", "\u{feff}1", "1\u{2028}"] {
        assert!(Json::parse(text).is_err(), "{text:?}");
    }
    for text in ["", "   ", "\n"] {
        assert_eq!(refused(text).reason, "unexpected end", "{text:?}");
    }
}

#[test]
fn trailing_commas_and_trailing_text_are_refused() {
    for text in [
        "[1,]",
        r#"{"a":1,}"#,
        "[,1]",
        "{,}",
        "[1] x",
        "{} {}",
        "1 2",
        r#"{"a" 1}"#,
        "{1:2}",
        "['a']",
    ] {
        assert!(Json::parse(text).is_err(), "{text}");
    }
    assert_eq!(refused("[1] x").reason, "trailing characters");
}

// ----- errors -----

#[test]
fn json_error_display_carries_only_a_reason_and_an_offset() {
    const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXJlZnJlc2gtdG9rZW4.c2ln";
    for text in [
        format!(r#"{{"access_token":"{TOKEN}","refresh_token":}}"#),
        format!(r#"{{"refresh_token":"{TOKEN}","refresh_token":"{TOKEN}"}}"#),
        format!(r#"{{"id_token":"{TOKEN}"}} trailing {TOKEN}"#),
        format!(r#"{{"id_token":"{TOKEN}\ud800"}}"#),
        format!("[\"{TOKEN}\u{1}\"]"),
        format!(r#"["{TOKEN}"#),
        format!(r#"{{"{TOKEN}":{TOKEN}}}"#),
        format!(r#"{{"x":"\q{TOKEN}"}}"#),
    ] {
        let err = refused(&text);
        let shown = err.to_string();
        assert_eq!(shown, format!("{} at byte {}", err.reason, err.offset));
        assert_eq!(err.message(), shown);
        assert!(!shown.contains("eyJ") && !shown.contains("c2Vj"), "{shown}");
        assert!(!format!("{err:?}").contains("eyJ"), "{err:?}");
        assert!(err.offset <= text.len(), "{err:?} in {} bytes", text.len());
    }
}

#[test]
fn json_error_offsets_are_where_the_problem_was_noticed() {
    assert_eq!(refused("[1] x").offset, 4);
    assert_eq!(refused("[1,]").offset, 3);
    // A repeated name is noticed once the object is read (names are checked together, sorted),
    // and reported at the object's start.
    assert_eq!(refused(r#"{"a":1,"a":2}"#).offset, 0);
    assert_eq!(refused(r#"[0,{"a":1,"a":2}]"#).offset, 3);
    assert_eq!(refused("\"ab\u{1}\"").offset, 4);
    let err = refused("[1] x");
    assert_eq!(
        err,
        JsonError {
            reason: "trailing characters",
            offset: 4
        }
    );
}

/// A zero mantissa with a huge exponent is zero, read at once: the exponent costs no work
/// (it once looped a billion times, freezing the tab on a hostile `exp`).
#[test]
fn zero_with_a_huge_exponent_reads_as_zero_without_work() {
    let started = std::time::Instant::now();
    for text in ["0e999999999", "0.0E+999999999999", "-0e99999999999999999"] {
        let value = Json::parse(text).unwrap();
        assert!(matches!(value.as_i64(), Some(0) | None), "{text}");
    }
    let huge = Json::parse("1e999999999").unwrap();
    assert_eq!(huge.as_i64(), None);
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}

/// A large object costs linear time: the duplicate-name check is a set, not a scan.
#[test]
fn a_hundred_thousand_members_parse_in_linear_time() {
    let members: Vec<String> = (0..100_000).map(|i| format!("\"m{i}\":{i}")).collect();
    let text = format!("{{{}}}", members.join(","));
    let started = std::time::Instant::now();
    let object = Json::parse_object(&text).unwrap();
    assert_eq!(object.len(), 100_000);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

// Moved from the unit tests in src/core/json.rs, so that src/ holds no unwrap.
#[test]
fn integers_from_numbers_without_floats_moved_from_src() {
    let n = |t: &str| Json::Number(t.to_owned()).as_i64();
    assert_eq!(n("1700000000"), Some(1_700_000_000));
    assert_eq!(n("1700000000.9"), Some(1_700_000_000));
    assert_eq!(n("1.7e9"), Some(1_700_000_000));
    assert_eq!(n("17E+8"), Some(1_700_000_000));
    assert_eq!(n("-12.5"), Some(-12));
    assert_eq!(n("5e-1"), Some(0));
    assert_eq!(n("9223372036854775808"), None);
    assert_eq!(n("1e400"), None);
}

#[test]
fn round_trip_and_refusals_moved_from_src() {
    let text = r#"{"a":[1,true,null,"x\"\u00e9\ud83d\ude00"],"b":{"c":-0.5e3}}"#;
    let value = Json::parse(text).unwrap();
    assert_eq!(Json::parse(&value.to_text()).unwrap(), value);
    for bad in [
        "",
        "{",
        r#"{"a":1,"a":2}"#,
        "[1,]",
        "01",
        "1.",
        "\"\u{1}\"",
        "[1] x",
        r#""\ud800""#,
    ] {
        assert!(Json::parse(bad).is_err(), "{bad:?}");
    }
    let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
    assert!(Json::parse(&deep).is_err());
}

/// `int_text` and `uint_text` (the core's integer formatting, without `core::fmt`) write what
/// `to_string()` writes.
#[test]
fn integers_are_written_as_to_string_writes_them() {
    let mut signed = vec![
        0,
        1,
        -1,
        9,
        -9,
        10,
        -10,
        i64::MAX,
        i64::MIN,
        i64::MIN + 1,
        1_700_000_000,
    ];
    let mut unsigned = vec![0, 1, 9, 10, u64::MAX, u64::MAX - 1, i64::MAX as u64 + 1];
    let mut power: u64 = 1;
    while let Some(next) = power.checked_mul(10) {
        unsigned.extend([power - 1, power, power + 1]);
        signed.extend([
            power as i64 - 1,
            power as i64,
            -(power as i64),
            1 - power as i64,
        ]);
        power = next;
    }
    for value in signed {
        assert_eq!(int_text(value), value.to_string());
        assert_eq!(Json::int(value), Json::Number(value.to_string()));
    }
    for value in unsigned {
        assert_eq!(uint_text(value), value.to_string());
    }
}
