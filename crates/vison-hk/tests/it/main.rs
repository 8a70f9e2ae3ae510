//! Integration tests of vison-hk: real-format files with every tolerated deviation, writing
//! per-exposure and master files, synthesis, limit checks, and fuzzing of the reader.

mod checks;
mod files;
mod fuzz;
