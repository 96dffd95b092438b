//! The catalog: the vocabulary that rules, profiles, the engine and reports share.
//!
//! It holds what a finding is made of, [`Severity`] and [`Domain`], and the [`DomainStatus`]
//! a domain ends up with. It imports neither the rules that fire findings nor the profile
//! that tunes them, so both can depend on it.

mod domain;
mod severity;

pub use domain::{Domain, DomainStatus};
pub use severity::Severity;
