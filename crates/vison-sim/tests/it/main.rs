//! Integration tests of vison-sim (one binary, one module per feature).

mod scripts;
mod testdefs;
