//! CSV as RFC 4180 has it: one escaper for every `--format csv` of hostkit. A field is quoted
//! when it holds a comma, a double quote or a line break; quotes inside are doubled. Lines end
//! in `\n` (RFC 4180 says CRLF; every consumer we target, spreadsheets and `csvkit` included,
//! reads LF, and the rest of hostkit's output is LF).

use std::borrow::Cow;

/// One CSV field, quoted only when it has to be.
pub fn field(s: &str) -> Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(s)
    }
}

/// One CSV record from its fields, ending in `\n`.
pub fn line<I, S>(fields: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out = String::new();
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&field(f.as_ref()));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("cr\r"), "\"cr\r\"");
        assert_eq!(field(""), "");
    }

    #[test]
    fn lines_join_with_commas() {
        assert_eq!(line(["a", "b,c", "d\"e"]), "a,\"b,c\",\"d\"\"e\"\n");
        assert_eq!(line(Vec::<String>::new()), "\n");
    }

    proptest::proptest! {
        /// A minimal RFC 4180 reader gets every field back unchanged.
        #[test]
        fn round_trips(fields in proptest::collection::vec(".*", 1..6)) {
            let text = line(&fields);
            proptest::prop_assert_eq!(parse_one(&text), fields);
        }
    }

    fn parse_one(text: &str) -> Vec<String> {
        let body = text.strip_suffix('\n').unwrap();
        let mut out = vec![String::new()];
        let mut chars = body.chars().peekable();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (false, ',') => out.push(String::new()),
                (false, '"') => quoted = true,
                (true, '"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    out.last_mut().unwrap().push('"');
                }
                (true, '"') => quoted = false,
                (_, c) => out.last_mut().unwrap().push(c),
            }
        }
        out
    }
}
