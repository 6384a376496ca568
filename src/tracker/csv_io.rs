//! CSV in and out, the way district offices produce and open it.
//!
//! - Read: UTF-8 with or without a byte-order mark (Excel's "CSV UTF-8" writes
//!   one), LF or CRLF line ends, comma separated, quoted fields per RFC 4180 (the
//!   `csv` crate parses; we only check). The header row names the columns; their
//!   order is free, names are matched after trimming and lower-casing. Missing or
//!   unknown columns are ONE error naming all of them, before any row is read, so
//!   a wrong file (the roster given to `import-units`) never half-loads.
//! - A row with the wrong number of fields, or bytes that are not UTF-8, is a
//!   [`RowError`] with its line number; the other rows are still read.
//! - Write: UTF-8 with a BOM (so Excel shows Vietnamese letters), CRLF line ends
//!   (RFC 4180), quoting only where needed.

use serde::Serialize;

/// The BOM Excel expects at the start of a UTF-8 CSV file.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A file-level problem: nothing in the file was imported.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// The header row does not name the expected columns.
    #[error(
        "{file}: wrong header{}{}; expected the columns `{expected}`",
        list(" — missing: ", missing),
        list(" — unknown: ", unknown)
    )]
    Header {
        /// The file, as given.
        file: String,
        /// Required columns the header lacks.
        missing: Vec<String>,
        /// Columns the header has that this file does not take.
        unknown: Vec<String>,
        /// The expected header (optional columns in brackets).
        expected: String,
    },
    /// The file has no header row at all.
    #[error("{file}: empty file; expected a header row `{expected}`")]
    Empty {
        /// The file, as given.
        file: String,
        /// The expected header.
        expected: String,
    },
    /// The header row itself cannot be read (not UTF-8, broken quoting).
    #[error("{file}: header row: {message}")]
    Unreadable {
        /// The file, as given.
        file: String,
        /// What the CSV reader said.
        message: String,
    },
}

fn list(prefix: &str, items: &[String]) -> String {
    if items.is_empty() {
        String::new()
    } else {
        format!("{prefix}{}", items.join(", "))
    }
}

/// One rejected row: its line number in the file (1 = the header) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// 1-based line number, as a text editor or Excel shows it.
    pub line: u64,
    /// What is wrong, naming the column and the value.
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// The columns a file takes: required ones first, then optional ones.
#[derive(Debug, Clone, Copy)]
pub struct Schema {
    /// Columns every file must have.
    pub required: &'static [&'static str],
    /// Columns a file may have (empty when absent).
    pub optional: &'static [&'static str],
}

impl Schema {
    fn expected(&self) -> String {
        let mut cols: Vec<String> = self.required.iter().map(|c| c.to_string()).collect();
        cols.extend(self.optional.iter().map(|c| format!("[{c}]")));
        cols.join(",")
    }
}

/// A data row, its values in schema order (required then optional; an absent
/// optional column reads as empty), trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRow {
    /// 1-based line number of the row.
    pub line: u64,
    values: Vec<String>,
}

impl CsvRow {
    /// The value of schema column `i` ("" when absent).
    pub fn get(&self, i: usize) -> &str {
        self.values.get(i).map(String::as_str).unwrap_or_default()
    }
}

/// Read `bytes` as a CSV file with `schema`'s columns. `file` names it in errors.
/// Returns the readable rows and the rows that could not be read.
pub fn read(
    bytes: &[u8],
    file: &str,
    schema: &Schema,
) -> Result<(Vec<CsvRow>, Vec<RowError>), CsvError> {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    // CRLF → LF first: the csv crate's line numbers count CRLF files' lines wrong
    // (measured: the second data row of a CRLF file reported as line 2).
    let normalised;
    let bytes = if bytes.windows(2).any(|w| w == b"\r\n") {
        normalised = crlf_to_lf(bytes);
        normalised.as_slice()
    } else {
        bytes
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = rdr.byte_records();
    let header = match records.next() {
        None => {
            return Err(CsvError::Empty {
                file: file.into(),
                expected: schema.expected(),
            })
        }
        Some(Err(e)) => {
            return Err(CsvError::Unreadable {
                file: file.into(),
                message: e.to_string(),
            })
        }
        Some(Ok(h)) => h,
    };
    let names: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_lowercase())
        .collect();
    let all: Vec<&str> = schema
        .required
        .iter()
        .chain(schema.optional)
        .copied()
        .collect();
    let missing: Vec<String> = schema
        .required
        .iter()
        .filter(|c| !names.iter().any(|n| n == *c))
        .map(|c| c.to_string())
        .collect();
    let mut unknown: Vec<String> = names
        .iter()
        .filter(|n| !all.contains(&n.as_str()))
        .map(|n| {
            if n.is_empty() {
                "(empty)".into()
            } else {
                n.clone()
            }
        })
        .collect();
    for (i, n) in names.iter().enumerate() {
        if names.iter().take(i).any(|m| m == n) && !n.is_empty() {
            unknown.push(format!("{n} (twice)"));
        }
    }
    if !missing.is_empty() || !unknown.is_empty() {
        return Err(CsvError::Header {
            file: file.into(),
            missing,
            unknown,
            expected: schema.expected(),
        });
    }
    // Position in the file of each schema column.
    let positions: Vec<Option<usize>> = all
        .iter()
        .map(|c| names.iter().position(|n| n == c))
        .collect();
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for rec in records {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(RowError {
                    line,
                    reason: format!("unreadable row: {e}"),
                });
                continue;
            }
        };
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if rec.len() == 1
            && rec
                .get(0)
                .is_some_and(|f| f.iter().all(u8::is_ascii_whitespace))
        {
            continue; // a blank line (spaces only)
        }
        if rec.len() != names.len() {
            errors.push(RowError {
                line,
                reason: format!(
                    "{} fields, the header has {} (a comma inside a value needs \"quotes\")",
                    rec.len(),
                    names.len()
                ),
            });
            continue;
        }
        let mut values = Vec::with_capacity(positions.len());
        let mut bad = None;
        for (col, pos) in all.iter().zip(&positions) {
            let raw = pos.and_then(|p| rec.get(p)).unwrap_or_default();
            match std::str::from_utf8(raw) {
                Ok(v) => values.push(v.trim().to_string()),
                Err(_) => {
                    bad = Some(format!(
                        "{col}: not UTF-8 text (save the file as \"CSV UTF-8\")"
                    ));
                    break;
                }
            }
        }
        match bad {
            Some(reason) => errors.push(RowError { line, reason }),
            None => rows.push(CsvRow { line, values }),
        }
    }
    Ok((rows, errors))
}

fn crlf_to_lf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut it = bytes.iter().peekable();
    while let Some(&b) = it.next() {
        if b == b'\r' && it.peek() == Some(&&b'\n') {
            continue;
        }
        out.push(b);
    }
    out
}

/// Write `header` and `rows` as CSV: UTF-8 with a BOM, CRLF line ends.
pub fn write<I, R>(header: &[&str], rows: I) -> Vec<u8>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let mut out = BOM.to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        // Writing into a Vec cannot fail; a record with a different field count
        // would be our bug, and is then left out rather than panicking.
        let _ = w.write_record(header);
        for r in rows {
            let _ = w.write_record(r);
        }
        let _ = w.flush();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Schema = Schema {
        required: &["code", "name"],
        optional: &["note"],
    };

    #[test]
    fn bom_crlf_reordered_columns_and_quoted_commas_read_alike() {
        let text = "\u{feff}Name , code\r\n\"Xã Tân Phú, Đức Hòa\",27681\r\nThôn 1,27681-01\r\n";
        let (rows, errs) = read(text.as_bytes(), "u.csv", &S).unwrap();
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].get(0), "27681");
        assert_eq!(rows[0].get(1), "Xã Tân Phú, Đức Hòa");
        assert_eq!(rows[0].get(2), "");
        assert_eq!(rows[1].line, 3);
    }

    #[test]
    fn a_wrong_header_is_one_error_naming_every_bad_column() {
        let e = read(b"code,title,extra\n1,2,3\n", "units.csv", &S).unwrap_err();
        let m = e.to_string();
        assert!(m.contains("missing: name"), "{m}");
        assert!(m.contains("unknown: title, extra"), "{m}");
        assert!(m.contains("code,name,[note]"), "{m}");
        assert!(matches!(
            read(b"", "units.csv", &S),
            Err(CsvError::Empty { .. })
        ));
    }

    #[test]
    fn short_rows_and_non_utf8_rows_are_reported_by_line_and_the_rest_load() {
        let mut bytes = b"code,name\n1,A\n2\n".to_vec();
        bytes.extend_from_slice(b"3,\xC0\xC1\n4,D\n");
        let (rows, errs) = read(&bytes, "f", &S).unwrap();
        assert_eq!(
            rows.iter().map(|r| r.get(0)).collect::<Vec<_>>(),
            ["1", "4"]
        );
        assert_eq!(errs.iter().map(|e| e.line).collect::<Vec<_>>(), [3, 4]);
        assert!(errs[1].reason.contains("name: not UTF-8"));
    }

    #[test]
    fn written_files_start_with_a_bom_and_read_back() {
        let out = write(&["code", "name"], [["1", "Nguyễn, Văn"]]);
        assert!(out.starts_with(BOM));
        assert!(out.ends_with(b"\r\n"));
        let (rows, _) = read(&out, "f", &S).unwrap();
        assert_eq!(rows[0].get(1), "Nguyễn, Văn");
    }
}
