//! Reading the file officials send: TSV or CSV text (UTF-8, with or without BOM, or GBK
//! as Excel saves it in a Chinese locale) or an XLSX workbook, into rows of cell text.
//! No I/O: the bytes come in the request.

use std::io::Cursor;

use calamine::{Data, Reader as _, Xlsx};

/// The formats the import takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Tab-separated text.
    Tsv,
    /// Comma-separated text.
    Csv,
    /// An Excel workbook (its first sheet).
    Xlsx,
}

impl Format {
    /// The format a file name's extension says, if it says one.
    pub fn of_file_name(name: &str) -> Option<Format> {
        let extension = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match extension.as_str() {
            "tsv" | "txt" => Some(Format::Tsv),
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }
}

/// One row of the file: its 1-based row number as the official sees it (the line of a
/// text file, the row of the sheet) and its cells, trimmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRow {
    /// 1-based.
    pub number: u64,
    /// Cell texts, trimmed; numbers as written (8, not 8.0).
    pub cells: Vec<String>,
}

impl FileRow {
    /// Whether every cell is empty.
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(String::is_empty)
    }

    /// The cell at `column` (0-based), empty past the end.
    pub fn cell(&self, column: usize) -> &str {
        self.cells.get(column).map_or("", String::as_str)
    }
}

/// Why a file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Not text in either encoding, or not a workbook.
    #[error("{0}")]
    Unreadable(String),
}

/// The rows of `bytes` in `format`.
pub fn read(bytes: &[u8], format: Format) -> Result<Vec<FileRow>, FileError> {
    match format {
        Format::Tsv => read_text(bytes, b'\t'),
        Format::Csv => read_text(bytes, b','),
        Format::Xlsx => read_xlsx(bytes),
    }
}

/// UTF-8 (a BOM is dropped) if it is valid UTF-8, else GBK (decoded as GB18030, its
/// superset). A file that is neither is refused rather than read with replacement
/// characters.
pub fn decode(bytes: &[u8]) -> Result<String, FileError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_owned());
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(FileError::Unreadable(
            "the file is neither UTF-8 nor GBK text".to_owned(),
        ));
    }
    Ok(text.into_owned())
}

fn read_text(bytes: &[u8], delimiter: u8) -> Result<Vec<FileRow>, FileError> {
    let text = decode(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|err| FileError::Unreadable(err.to_string()))?;
        let number = record.position().map_or(0, |p| p.line());
        rows.push(FileRow {
            number,
            cells: record.iter().map(|cell| cell.trim().to_owned()).collect(),
        });
    }
    Ok(rows)
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<FileRow>, FileError> {
    let unreadable =
        |err: &dyn std::fmt::Display| FileError::Unreadable(format!("not an XLSX workbook: {err}"));
    let mut workbook = Xlsx::new(Cursor::new(bytes)).map_err(|err| unreadable(&err))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| unreadable(&"it has no sheet"))?
        .map_err(|err| unreadable(&err))?;
    let first_row = range.start().map_or(0, |(row, _)| u64::from(row));
    let first_column = range.start().map_or(0, |(_, column)| column as usize);
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, cells)| FileRow {
            number: first_row + i as u64 + 1,
            cells: std::iter::repeat_n(String::new(), first_column)
                .chain(cells.iter().map(cell_text))
                .collect(),
        })
        .collect())
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Float(value) if value.fract() == 0.0 && value.abs() < 1e15 => {
            format!("{}", *value as i64)
        }
        other => other.to_string().trim().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_in_utf8_and_gbk_reads_the_same() {
        let utf8 = "地 市,河南省文明单位标兵（个）\n郑 州 市, 12 \n";
        let (gbk, _, _) = encoding_rs::GBK.encode(utf8);
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), utf8.as_bytes()].concat();
        let expected = read(utf8.as_bytes(), Format::Csv).unwrap();
        assert_eq!(read(&gbk, Format::Csv).unwrap(), expected);
        assert_eq!(read(&with_bom, Format::Csv).unwrap(), expected);
        assert_eq!(expected[1].cells, vec!["郑 州 市", "12"]);
        assert_eq!(expected[1].number, 2);
    }

    #[test]
    fn bytes_that_are_no_text_are_refused() {
        assert!(decode(&[0xFF, 0xFF, 0xFF]).is_err());
        assert!(read(b"not a zip", Format::Xlsx).is_err());
    }

    #[test]
    fn formats_by_extension() {
        assert_eq!(Format::of_file_name("附件.XLSX"), Some(Format::Xlsx));
        assert_eq!(Format::of_file_name("a.tsv"), Some(Format::Tsv));
        assert_eq!(Format::of_file_name("a.csv"), Some(Format::Csv));
        assert_eq!(Format::of_file_name("a.doc"), None);
        assert_eq!(Format::of_file_name("noext"), None);
    }
}
