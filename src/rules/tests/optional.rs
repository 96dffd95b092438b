//! The optional PHEC domains: sogi, disability, sdoh.

use super::*;

pub(super) const CASES: &[Case] = &[];
