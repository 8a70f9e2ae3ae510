//! `vison-inspect`: look at ELVIS frames, exposure logs and HK files.
fn main() {}
