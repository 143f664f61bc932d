//! The field parsers every request's validation goes through, on any text: dates, page
//! sizes and tokens, cursors, request ids, etags, resource names, region codes, unit
//! and person names, phone numbers, reasons. Each accepts or refuses with a violation
//! naming the field; never a panic. Fields are separated by NUL; the first 16 are read,
//! each cut at 512 bytes (a request's text fields are refused long before that).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wenming_domain::{
    Description, EvidenceRef, Heading, PersonName, PhoneNumber, Reason, RegionCode, UnitId, UnitName,
};
use wenming_runtime::edge;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for field in text.split('\0').take(16) {
        let field = &field[..field.floor_char_boundary(512)];
        if let Ok(Some(date)) = edge::parse_optional_date("as_of", field) {
            assert_eq!(edge::parse_date("as_of", &date.to_string()).ok(), Some(date));
        }
        let size = field.len() as i32 - 100;
        if let Ok((size, _)) = edge::page(size, field) {
            assert!((1..=500).contains(&size), "{size}");
        }
        if let Ok(cursor) = edge::cursor("after", field) {
            assert!(cursor >= 0);
        }
        if let Ok(Some(id)) = edge::request_id(field) {
            assert!(id.len() <= 100);
        }
        let _ = edge::etag("etag", field);
        let _ = edge::parse_name("unit", "units", field, |id| UnitId::parse(id).ok());
        if let Ok(code) = RegionCode::parse(field) {
            assert_eq!(code.to_string().len(), 6);
        }
        let _ = UnitName::parse(field);
        let _ = PersonName::parse(field);
        let _ = PhoneNumber::parse(field);
        let _ = Reason::parse(field);
        let _ = Heading::parse(field);
        let _ = Description::parse(field);
        let _ = EvidenceRef::parse(field);
    }
});
