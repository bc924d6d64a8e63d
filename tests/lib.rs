//! End-to-end tests of the workspace against a real MariaDB live in `tests/`.
