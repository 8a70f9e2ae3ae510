//! Integration tests of vison-testdefs (one binary, one module per feature).

mod scripts;
mod testdefs;
