//! `wenming import units`: a CSV or a workbook (the first byte picks which) read into
//! the units it would send, each row a unit or a reason; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wenming_registry::{FileFormat, check_new_unit, units_of};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let format = if pick % 2 == 0 {
        FileFormat::Csv
    } else {
        FileFormat::Workbook
    };
    if let Ok(rows) = units_of(bytes, format) {
        for (_, unit) in rows {
            if let Ok(unit) = unit {
                // What the registry then checks before it writes.
                let _ = check_new_unit(&unit);
            }
        }
    }
});
