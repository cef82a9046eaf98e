#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keyplace_fuzz::cxf(data));
