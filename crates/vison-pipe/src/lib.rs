//! vison-pipe: the test-task orchestrator of vison-rs.
