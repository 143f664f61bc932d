//! The allocation table as officials send it: TSV, CSV (GBK or UTF-8) or XLSX (the
//! first byte picks which), read into rows and then into a table or the list of what is
//! wrong, each naming its row and column; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wenming_domain::Divisions;
use wenming_quota::rules::parse_table;
use wenming_quota::table_file::{Format, read};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let format = match pick % 3 {
        0 => Format::Tsv,
        1 => Format::Csv,
        _ => Format::Xlsx,
    };
    if let Ok(rows) = read(bytes, format) {
        let _ = parse_table(Divisions::henan(), &rows);
    }
});
