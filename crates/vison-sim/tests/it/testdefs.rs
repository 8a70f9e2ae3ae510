//! Integration tests of the test definitions (filled in by the testdefs work).
