//! A minimal plain-text table for the report renderers (this crate cannot use the binary's
//! `output::table`): header row, columns padded to their widest cell, right or left aligned.

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A text table under construction.
#[derive(Debug, Clone)]
pub struct TextTable {
    columns: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
}

impl TextTable {
    /// A table with these column headers.
    pub fn new(columns: &[(&str, Align)]) -> Self {
        TextTable {
            columns: columns.iter().map(|(h, a)| ((*h).to_owned(), *a)).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row (missing cells are blank, extra cells ignored).
    pub fn row<I: IntoIterator<Item = String>>(&mut self, cells: I) {
        let mut r: Vec<String> = cells.into_iter().take(self.columns.len()).collect();
        r.resize(self.columns.len(), String::new());
        self.rows.push(r);
    }

    /// Whether no rows were added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Renders with two spaces between columns, `indent` spaces before each line.
    pub fn render(&self, indent: usize) -> String {
        let width = |i: usize| {
            self.rows
                .iter()
                .map(|r| r[i].chars().count())
                .chain([self.columns[i].0.chars().count()])
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..self.columns.len()).map(width).collect();
        let header: Vec<String> = self.columns.iter().map(|(h, _)| h.clone()).collect();
        let mut out = String::new();
        for r in std::iter::once(&header).chain(&self.rows) {
            let cells: Vec<String> = r
                .iter()
                .zip(&self.columns)
                .zip(&widths)
                .map(|((c, (_, align)), &w)| pad(c, w, *align))
                .collect();
            out.push_str(&" ".repeat(indent));
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        }
        out
    }
}

fn pad(cell: &str, width: usize, align: Align) -> String {
    let fill = " ".repeat(width.saturating_sub(cell.chars().count()));
    match align {
        Align::Left => format!("{cell}{fill}"),
        Align::Right => format!("{fill}{cell}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_and_aligns() {
        let mut t = TextTable::new(&[("NAME", Align::Left), ("MB/S", Align::Right)]);
        t.row(["aes128-ctr".to_owned(), "315.0".to_owned()]);
        t.row(["x".to_owned()]);
        assert_eq!(
            t.render(2),
            "  NAME         MB/S\n  aes128-ctr  315.0\n  x\n"
        );
        assert!(!t.is_empty());
    }

    #[test]
    fn counts_unicode_by_chars() {
        let mut t = TextTable::new(&[("A", Align::Right)]);
        t.row(["±5".to_owned()]);
        assert_eq!(t.render(0), " A\n±5\n");
    }
}
