//! The catalog: the vocabulary that rules, profiles, the engine and reports share.
//!
//! It holds what a finding is made of, [`Severity`] and [`Domain`], the [`DomainStatus`] a
//! domain ends up with, and the [`QuestionFormat`] a profile asks race and ethnicity in. It
//! imports neither the rules that fire findings nor the profile that tunes them, so both can
//! depend on it.

mod domain;
mod question;
mod severity;

pub use domain::{Domain, DomainStatus};
pub use question::QuestionFormat;
pub use severity::Severity;
