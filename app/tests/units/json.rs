//! The browser's own JSON reader, against serde_json as the reference.

use tessera_app::json::*;

/// What serde_json makes of `text`, in this reader's terms.
fn reference(text: &str) -> Option<Json> {
    fn convert(value: serde_json::Value) -> Json {
        match value {
            serde_json::Value::Null => Json::Null,
            serde_json::Value::Bool(value) => Json::Bool(value),
            serde_json::Value::Number(number) => Json::Number(number.to_string()),
            serde_json::Value::String(text) => Json::String(text),
            serde_json::Value::Array(items) => {
                Json::Array(items.into_iter().map(convert).collect())
            }
            serde_json::Value::Object(members) => Json::Object(
                members
                    .into_iter()
                    .map(|(name, value)| (name, convert(value)))
                    .collect(),
            ),
        }
    }
    serde_json::from_str(text).ok().map(convert)
}

#[test]
fn accepts_and_refuses_what_serde_json_does() {
    let texts = [
        "{}",
        "[]",
        "null",
        "true",
        "false",
        "0",
        "-0",
        "12",
        "-12",
        " 7 ",
        "\t[ 1 , 2 ]\n",
        r#"{"a":1,"b":[true,false,null],"c":{"d":"e"}}"#,
        r#""plain""#,
        r#""\"\\\/\b\f\n\r\t""#,
        r#""\u00e9\u20ac""#,
        r#""\ud83d\ude00""#,
        r#""é€😀""#,
        // Refused by both:
        "",
        " ",
        "{",
        "}",
        "[1,]",
        "{\"a\":1,}",
        "{a:1}",
        "{\"a\" 1}",
        "01",
        "-",
        "+1",
        "1.",
        ".5",
        "1e",
        "1e+",
        "tru",
        "nul",
        "\"open",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\\ud83d\"",
        "\"\\ude00\"",
        "\"\\ud83d\\u0041\"",
        "\"a\nb\"",
        "\"\u{1}\"",
        "[1 2]",
        "{} {}",
        "[1]]",
        "NaN",
        "Infinity",
    ];
    for text in texts {
        assert_eq!(parse(text).is_some(), reference(text).is_some(), "{text:?}");
    }
}

#[test]
fn strings_decode_as_serde_json_decodes_them() {
    for text in [
        r#""\"\\\/\b\f\n\r\t""#,
        r#""\u00e9\u20ac""#,
        r#""\ud83d\ude00 x""#,
        r#""é€😀""#,
    ] {
        assert_eq!(parse(text), reference(text), "{text:?}");
    }
}

#[test]
fn numbers_keep_their_text_and_read_as_integers_only() {
    for text in ["1.5", "1e3", "-2.5E-3", "0.0"] {
        let number = parse(text).expect(text);
        assert_eq!(number, Json::Number(text.into()));
        assert_eq!(number.as_i64(), None, "{text}");
    }
    assert_eq!(parse("-42").and_then(|n| n.as_i64()), Some(-42));
    assert_eq!(
        parse("9223372036854775807").and_then(|n| n.as_i64()),
        Some(i64::MAX)
    );
    assert_eq!(parse("9223372036854775808").and_then(|n| n.as_i64()), None);
}

#[test]
fn members_are_found_by_name_the_last_of_a_repeated_name_winning() {
    let object = parse(r#"{"a":1,"b":{"c":"d"},"a":2}"#).unwrap();
    assert_eq!(object.get("a").and_then(Json::as_i64), Some(2));
    assert_eq!(
        object
            .get("b")
            .and_then(|b| b.get("c"))
            .and_then(Json::as_str),
        Some("d")
    );
    assert_eq!(object.get("missing"), None);
    assert_eq!(parse("[1]").unwrap().get("a"), None);
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(parse(&deep), None);
    let fine = format!("{}{}", "[".repeat(60), "]".repeat(60));
    assert!(parse(&fine).is_some());
}

#[test]
fn written_strings_read_back_unchanged() {
    for text in [
        "",
        "plain",
        "quote \" backslash \\ slash /",
        "lines\n\r\ttab",
        "\u{0}\u{1f}\u{7f}",
        "é€😀",
    ] {
        let mut written = String::new();
        write_string(&mut written, text);
        assert_eq!(
            parse(&written),
            Some(Json::String(text.into())),
            "{written}"
        );
        assert_eq!(serde_json::from_str::<String>(&written).unwrap(), text);
    }
}
