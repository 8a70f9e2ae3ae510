//! vison-pipe command line.
fn main() {}
