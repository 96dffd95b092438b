//! Unit tests for every rule: one record that fires it and one close neighbour that doesn't.
