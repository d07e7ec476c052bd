//! The one table of hostkit: a header row, aligned columns, two spaces between them, rendered
//! as plain text (optionally indented) or as a GitHub-flavoured Markdown table. Cells are
//! measured in characters so escaped command names and units like `±` line up.

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A table built row by row and rendered once.
#[derive(Debug, Clone)]
pub struct Table {
    headers: Vec<String>,
    aligns: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with the given `(header, alignment)` columns.
    pub fn new(columns: &[(&str, Align)]) -> Self {
        Table {
            headers: columns.iter().map(|(h, _)| (*h).to_string()).collect(),
            aligns: columns.iter().map(|(_, a)| *a).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends one row; missing cells render empty, extra cells are kept.
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    /// True when no data rows were added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Number of data rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Renders header and rows, each line ending in `\n`, trailing spaces trimmed.
    pub fn render(&self) -> String {
        self.render_indented(0)
    }

    /// As [`Table::render`], with `indent` spaces before every line.
    pub fn render_indented(&self, indent: usize) -> String {
        let ncol = self
            .rows
            .iter()
            .map(Vec::len)
            .chain(std::iter::once(self.headers.len()))
            .max()
            .unwrap_or(0);
        let mut widths = vec![0usize; ncol];
        for line in std::iter::once(&self.headers).chain(self.rows.iter()) {
            for (i, cell) in line.iter().enumerate() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for line in std::iter::once(&self.headers).chain(self.rows.iter()) {
            let mut text = String::new();
            for (i, width) in widths.iter().enumerate() {
                let cell = line.get(i).map(String::as_str).unwrap_or("");
                let pad = width - cell.chars().count();
                if i > 0 {
                    text.push_str("  ");
                }
                match self.aligns.get(i).copied().unwrap_or(Align::Left) {
                    Align::Left => {
                        text.push_str(cell);
                        text.extend(std::iter::repeat_n(' ', pad));
                    }
                    Align::Right => {
                        text.extend(std::iter::repeat_n(' ', pad));
                        text.push_str(cell);
                    }
                }
            }
            out.extend(std::iter::repeat_n(' ', indent));
            out.push_str(text.trim_end());
            out.push('\n');
        }
        out
    }

    /// Renders a Markdown table (`|` in cells escaped, alignment row from the columns).
    pub fn render_markdown(&self) -> String {
        let ncol = self.headers.len();
        let cell = |c: &str| c.replace('|', "\\|").replace('\n', " ");
        let line = |cells: &[String]| {
            let mut s = String::from("|");
            for i in 0..ncol {
                s.push(' ');
                s.push_str(&cell(cells.get(i).map(String::as_str).unwrap_or("")));
                s.push_str(" |");
            }
            s.push('\n');
            s
        };
        let mut out = line(&self.headers);
        out.push('|');
        for i in 0..ncol {
            out.push_str(match self.aligns.get(i).copied().unwrap_or(Align::Left) {
                Align::Left => " --- |",
                Align::Right => " ---: |",
            });
        }
        out.push('\n');
        for r in &self.rows {
            out.push_str(&line(r));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_left_and_right() {
        let mut t = Table::new(&[("NAME", Align::Left), ("MB/s", Align::Right)]);
        t.row(["aes128-gcm@openssh.com", "391.2"]);
        t.row(["3des-cbc", "8.1"]);
        assert_eq!(
            t.render(),
            "NAME                     MB/s\n\
             aes128-gcm@openssh.com  391.2\n\
             3des-cbc                  8.1\n"
        );
    }

    #[test]
    fn empty_table_renders_header_only() {
        let t = Table::new(&[("A", Align::Left)]);
        assert!(t.is_empty());
        assert_eq!(t.render(), "A\n");
    }

    #[test]
    fn indent_and_unicode_width() {
        let mut t = Table::new(&[("A", Align::Right)]);
        t.row(["±5"]);
        assert_eq!(t.render_indented(2), "   A\n  ±5\n");
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn markdown_escapes_pipes_and_aligns() {
        let mut t = Table::new(&[("NAME", Align::Left), ("MB/s", Align::Right)]);
        t.row(["a|b", "1.0"]);
        assert_eq!(
            t.render_markdown(),
            "| NAME | MB/s |\n| --- | ---: |\n| a\\|b | 1.0 |\n"
        );
    }
}
