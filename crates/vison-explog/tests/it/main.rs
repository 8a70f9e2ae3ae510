//! Integration tests of vison-explog: real-format files with every tolerated deviation,
//! every version's table, merge/select/summary, and fuzzing of the reader.

mod deviations;
mod fuzz;
mod tables;
