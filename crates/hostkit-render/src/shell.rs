//! POSIX shell words: a value quoted so that `sh` reads it back as exactly one word, unchanged.

/// `text` as one single-quoted shell word (a `'` inside becomes `'\''`).
pub fn word(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_spaces_dollars_and_single_quotes() {
        assert_eq!(word("plain"), "'plain'");
        assert_eq!(word("a b $HOME"), "'a b $HOME'");
        assert_eq!(word("it's"), r"'it'\''s'");
        assert_eq!(word(""), "''");
    }
}
