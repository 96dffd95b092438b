//! real-dq: race, ethnicity and language (REaL) data quality for pediatric health records.
//!
//! Data flows one way: the API parses records ([`record`]), the pure [`engine`] validates
//! them against the [`rules`] and [`codesets`] under a [`profile`], the [`store`] persists
//! results and keeps the current state per patient and unit, and [`report`] aggregates
//! completeness by unit. The [`catalog`] names every rule and holds the vocabulary the
//! others share.

pub mod access;
pub mod alerts;
pub mod api;
pub mod catalog;
pub mod cli;
pub mod codemap;
pub mod codesets;
pub mod config;
pub mod engine;
pub mod fhir;
pub mod hl7v2;
pub mod ingest;
pub mod metrics;
pub mod offline;
pub mod pages;
pub mod pipeline;
pub mod process;
pub mod profile;
pub mod record;
pub mod report;
pub mod result;
pub mod rules;
pub mod service;
pub mod startup;
pub mod store;
pub mod synthetic;
pub mod telemetry;
pub mod tls;
