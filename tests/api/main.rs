//! Integration tests: the real HTTP server over real SQLite and (when
//! `REALDQ_TEST_POSTGRES_URL` is set) real PostgreSQL.

mod helpers;

mod access;
mod alerts;
mod batch;
mod browser;
mod cli;
mod dashboard;
mod diff;
mod distribution;
mod drill_down;
mod errors;
mod fhir;
mod fhir_written;
mod framework;
mod generate;
mod group_by;
mod health;
mod hl7;
mod logs;
mod metrics;
mod mllp;
mod offline_report;
mod partitions;
mod profiles;
mod records;
mod reports;
mod schemas;
mod stages;
mod tls;
mod trend;
mod validate;
