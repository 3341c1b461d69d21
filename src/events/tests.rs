#![expect(clippy::unwrap_used, reason = "test code")]

use std::io::Cursor;

use super::jsonl_tests_support::read_line_capped_for_test;

#[test]
fn capped_line_reader_cuts_long_lines_and_resumes() {
    let data = b"aaaaaaaaaa\nbb\n";
    let mut cur = Cursor::new(&data[..]);
    let mut buf = Vec::new();
    let (n, long) = read_line_capped_for_test(&mut cur, &mut buf, 4).unwrap();
    assert_eq!((n, long), (11, true));
    assert!(buf.is_empty());
    buf.clear();
    let (n, long) = read_line_capped_for_test(&mut cur, &mut buf, 4).unwrap();
    assert_eq!((n, long), (3, false));
    assert_eq!(buf, b"bb\n");
}
