//! The static tier of dkms.conf evaluation: files made only of comments and plain assignments
//! (`NAME=WORD`, `NAME[N]=WORD`, `NAME=(WORD ...)`) with bash quoting and `$NAME`/`${NAME}`
//! expansion are evaluated here without a fork. Anything else is reported as
//! [`NeedsBash`] with its line, and the caller sources the chain with bash instead.

use super::vars::{Vars, is_whitelisted};

/// Why a file is not plain enough for the static tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedsBash {
    /// 1-based line of the first construct the static tier does not evaluate.
    pub line: usize,
    pub what: &'static str,
}

/// Names visible while a file is sourced (dkms's globals, earlier layers, the environment).
pub trait Scope {
    fn lookup(&self, name: &str) -> Option<String>;
}

impl<F: Fn(&str) -> Option<String>> Scope for F {
    fn lookup(&self, name: &str) -> Option<String> {
        self(name)
    }
}

struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
    line: usize,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }
    fn peek2(&self) -> Option<u8> {
        self.s.get(self.pos + 1).copied()
    }
    fn bump(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.pos += 1;
        if c == b'\n' {
            self.line += 1;
        }
        Some(c)
    }
    fn fail(&self, what: &'static str) -> NeedsBash {
        NeedsBash {
            line: self.line,
            what,
        }
    }
    /// Skips blanks and `\<newline>` continuations (not newlines).
    fn skip_blanks(&mut self) {
        loop {
            match (self.peek(), self.peek2()) {
                (Some(b' ' | b'\t'), _) => {
                    self.bump();
                }
                (Some(b'\\'), Some(b'\n')) => {
                    self.bump();
                    self.bump();
                }
                _ => return,
            }
        }
    }
    fn skip_comment(&mut self) {
        if self.peek() == Some(b'#') {
            while !matches!(self.peek(), None | Some(b'\n')) {
                self.bump();
            }
        }
    }
}

fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Evaluates one plain file. `vars` holds what the file sees and receives its assignments.
pub fn eval_plain(text: &str, scope: &dyn Scope, vars: &mut Vars) -> Result<(), NeedsBash> {
    let mut lx = Lexer {
        s: text.as_bytes(),
        pos: 0,
        line: 1,
    };
    loop {
        lx.skip_blanks();
        lx.skip_comment();
        match lx.peek() {
            None => return Ok(()),
            Some(b'\n') => {
                lx.bump();
                continue;
            }
            Some(_) => {}
        }
        // A line: one or more assignment words.
        loop {
            assignment(&mut lx, scope, vars)?;
            lx.skip_blanks();
            lx.skip_comment();
            match lx.peek() {
                None | Some(b'\n') => break,
                Some(c) if is_name_start(c) => continue,
                Some(_) => return Err(lx.fail("a command or operator")),
            }
        }
    }
}

fn assignment(lx: &mut Lexer, scope: &dyn Scope, vars: &mut Vars) -> Result<(), NeedsBash> {
    let start = lx.pos;
    if !lx.peek().is_some_and(is_name_start) {
        return Err(lx.fail("a command"));
    }
    while lx.peek().is_some_and(is_name_char) {
        lx.bump();
    }
    let name = String::from_utf8_lossy(&lx.s[start..lx.pos]).into_owned();
    let mut index = None;
    if lx.peek() == Some(b'[') {
        lx.bump();
        let istart = lx.pos;
        while lx.peek().is_some_and(|c| c.is_ascii_digit()) {
            lx.bump();
        }
        let digits = std::str::from_utf8(&lx.s[istart..lx.pos]).unwrap_or("");
        if digits.is_empty() || lx.peek() != Some(b']') {
            return Err(lx.fail("an array index that is not a number"));
        }
        lx.bump();
        index = Some(
            digits
                .parse::<usize>()
                .map_err(|_| lx.fail("a huge index"))?,
        );
    }
    if lx.peek() != Some(b'=') {
        return Err(lx.fail("a command"));
    }
    lx.bump();
    if lx.peek() == Some(b'(') {
        if index.is_some() {
            return Err(lx.fail("an array assigned to an element"));
        }
        lx.bump();
        let mut values = Vec::new();
        loop {
            // Inside (...) newlines and comments separate words.
            loop {
                lx.skip_blanks();
                match lx.peek() {
                    Some(b'\n') => {
                        lx.bump();
                    }
                    Some(b'#') => lx.skip_comment(),
                    _ => break,
                }
            }
            match lx.peek() {
                None => return Err(lx.fail("an unterminated array")),
                Some(b')') => {
                    lx.bump();
                    break;
                }
                _ => values.push(word(lx, scope, vars, true)?),
            }
        }
        vars.set_array(&name, values);
    } else {
        let value = word(lx, scope, vars, false)?;
        vars.set(&name, index.unwrap_or(0), value);
    }
    // Value a dkms re-read would reinterpret: leave it to bash.
    if is_whitelisted(&name)
        && vars
            .map
            .get(&name)
            .is_some_and(|a| a.values().any(|v| !reread_safe(v)))
    {
        return Err(lx.fail("a value with `$`, backquote, `\"` or `\\` (re-read by dkms)"));
    }
    Ok(())
}

/// One shell word. `in_array`: unquoted expansions would be split and globbed there.
fn word(
    lx: &mut Lexer,
    scope: &dyn Scope,
    vars: &Vars,
    in_array: bool,
) -> Result<String, NeedsBash> {
    let mut out = String::new();
    let mut bytes = Vec::new();
    let mut first = true;
    while let Some(c) = lx.peek() {
        match c {
            b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')' => {
                if matches!(c, b';' | b'&' | b'|' | b'<' | b'>' | b'(') {
                    return Err(lx.fail("an operator"));
                }
                break;
            }
            b'\'' => {
                lx.bump();
                loop {
                    match lx.bump() {
                        None => return Err(lx.fail("an unterminated quote")),
                        Some(b'\'') => break,
                        Some(c) => bytes.push(c),
                    }
                }
            }
            b'"' => {
                lx.bump();
                loop {
                    match lx.peek() {
                        None => return Err(lx.fail("an unterminated quote")),
                        Some(b'"') => {
                            lx.bump();
                            break;
                        }
                        Some(b'\\') => {
                            lx.bump();
                            match lx.bump() {
                                Some(b'\n') => {}
                                Some(c @ (b'$' | b'`' | b'"' | b'\\')) => bytes.push(c),
                                Some(c) => {
                                    bytes.push(b'\\');
                                    bytes.push(c);
                                }
                                None => return Err(lx.fail("an unterminated quote")),
                            }
                        }
                        Some(b'$') => {
                            flush(&mut out, &mut bytes);
                            out.push_str(&expansion(lx, scope, vars)?);
                        }
                        Some(b'`') => return Err(lx.fail("a command substitution")),
                        Some(_) => bytes.push(lx.bump().unwrap_or_default()),
                    }
                }
            }
            b'\\' => {
                lx.bump();
                match lx.bump() {
                    Some(b'\n') => {}
                    Some(c) => bytes.push(c),
                    None => bytes.push(b'\\'),
                }
            }
            b'$' => {
                if in_array {
                    return Err(lx.fail("an unquoted expansion in an array"));
                }
                flush(&mut out, &mut bytes);
                out.push_str(&expansion(lx, scope, vars)?);
            }
            b'`' => return Err(lx.fail("a command substitution")),
            b'~' if first => return Err(lx.fail("a tilde expansion")),
            b'*' | b'?' | b'[' | b'{' if in_array => {
                return Err(lx.fail("a glob or brace in an array"));
            }
            _ => {
                lx.bump();
                bytes.push(c);
            }
        }
        first = false;
    }
    flush(&mut out, &mut bytes);
    Ok(out)
}

/// True when dkms's re-read of `NAME[i]="value"` gives back `value` unchanged: no backquote,
/// `"` or backslash, and no `$` that starts an expansion (`$` before `"` is literal).
fn reread_safe(v: &str) -> bool {
    let b = v.as_bytes();
    !b.iter().enumerate().any(|(i, c)| match c {
        b'`' | b'"' | b'\\' => true,
        b'$' => b
            .get(i + 1)
            .is_some_and(|n| n.is_ascii_alphanumeric() || b"_{(@*#?$!-".contains(n)),
        _ => false,
    })
}

fn flush(out: &mut String, bytes: &mut Vec<u8>) {
    out.push_str(&String::from_utf8_lossy(bytes));
    bytes.clear();
}

/// `$NAME` or `${NAME}` (the lexer sits on `$`); `$` before anything else is literal when
/// bash treats it so, or needs bash.
fn expansion(lx: &mut Lexer, scope: &dyn Scope, vars: &Vars) -> Result<String, NeedsBash> {
    lx.bump();
    let braced = lx.peek() == Some(b'{');
    if braced {
        lx.bump();
    }
    let start = lx.pos;
    if !lx.peek().is_some_and(is_name_start) {
        if !braced && matches!(lx.peek(), None | Some(b' ' | b'\t' | b'\n' | b'"')) {
            return Ok("$".to_string());
        }
        return Err(lx.fail("a special expansion"));
    }
    while lx.peek().is_some_and(is_name_char) {
        lx.bump();
    }
    let name = String::from_utf8_lossy(&lx.s[start..lx.pos]).into_owned();
    if braced {
        if lx.peek() != Some(b'}') {
            return Err(lx.fail("a parameter expansion with an operator"));
        }
        lx.bump();
    }
    Ok(match vars.map.get(&name) {
        Some(arr) => arr.get(&0).cloned().unwrap_or_default(),
        None => scope.lookup(&name).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(text: &str) -> Result<Vars, NeedsBash> {
        let scope = |n: &str| (n == "kernelver").then(|| "6.1.0-1-amd64".to_string());
        let mut v = Vars::default();
        eval_plain(text, &scope, &mut v)?;
        Ok(v)
    }

    #[test]
    fn plain_file() {
        let v = eval(
            "# c\nPACKAGE_NAME=\"hello\"\nPACKAGE_VERSION='0.1' # x\nBUILT_MODULE_NAME[0]=hello\n\
             MAKE[0]=\"make -C ${kernel_source_dir} M=$dkms_tree/x KVER=$kernelver\"\n\
             DEST_MODULE_LOCATION=(\"/updates\" /extra)\nAUTOINSTALL=yes\n",
        )
        .unwrap();
        assert_eq!(v.scalar("PACKAGE_NAME"), "hello");
        assert_eq!(v.scalar("PACKAGE_VERSION"), "0.1");
        assert_eq!(v.get("MAKE", 0), "make -C  M=/x KVER=6.1.0-1-amd64");
        assert_eq!(v.get("DEST_MODULE_LOCATION", 1), "/extra");
        assert_eq!(v.count("DEST_MODULE_LOCATION"), 2);
    }

    #[test]
    fn own_variables_are_visible() {
        let v = eval("base=hello\nPACKAGE_NAME=${base}-x\n").unwrap();
        assert_eq!(v.scalar("PACKAGE_NAME"), "hello-x");
    }

    #[test]
    fn non_plain_needs_bash() {
        assert_eq!(eval("A=1\nif true; then B=2; fi\n").unwrap_err().line, 2);
        assert!(eval("A=$(uname -r)\n").is_err());
        assert!(eval("A=`x`\n").is_err());
        assert!(eval("A=${x:-y}\n").is_err());
        assert!(eval("A=($x)\n").is_err());
        assert!(eval("A='unterminated\n").is_err());
        assert!(eval("echo hi\n").is_err());
        assert!(eval("MAKE=\"a \\$x b\"\n").is_err());
        assert!(eval("PATCH_MATCH=\"^6[.]1$\"\n").is_ok());
    }
}
