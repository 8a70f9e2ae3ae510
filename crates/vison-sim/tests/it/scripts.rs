//! Integration tests of the ELVIS script writer/reader.
