//! Plain aligned text tables for terminal output.

/// A table printed with columns padded to their widest cell; numeric-looking cells align right.
#[derive(Debug, Default)]
pub struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        Table {
            rows: vec![header.iter().map(|s| s.to_string()).collect()],
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|s| s.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for (i, row) in self.rows.iter().enumerate() {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                let pad = widths[c] - cell.chars().count();
                let numeric = i > 0
                    && cell
                        .chars()
                        .next()
                        .is_some_and(|ch| ch.is_ascii_digit() || ch == '-')
                    && cell
                        .chars()
                        .all(|ch| ch.is_ascii_digit() || ".,%-x".contains(ch));
                if c > 0 {
                    line.push_str("  ");
                }
                if numeric {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
            if i == 0 {
                let total = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
                out.push_str(&"-".repeat(total));
                out.push('\n');
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_numbers_right_and_text_left() {
        let mut t = Table::new(&["name", "size"]);
        t.row(vec!["a".into(), "5".into()]);
        t.row(vec!["bbb".into(), "1234".into()]);
        assert_eq!(
            t.render(),
            "name  size\n----------\na        5\nbbb   1234\n"
        );
    }
}
