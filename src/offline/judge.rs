//! Judging one block of NDJSON lines: each line is parsed and validated exactly as a batch
//! line is, and what the report needs of it is kept in a few machine words.

use std::collections::HashMap;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use crate::catalog::{self, Domain, DomainStatus, Rule};
use crate::engine::{self, Verdict};
use crate::record::{Record, RecordWire, Rejection};
use crate::rules::Context;
use crate::store::micros;

/// Whole lines of the input, as the reader cut them.
#[derive(Debug)]
pub struct Block {
    /// Position in the input: blocks are merged in this order.
    pub seq: u64,
    /// Lines, each ending in `\n` (but perhaps the input's last).
    pub data: Vec<u8>,
    /// Lines before `data` too long to keep: the reader dropped them as it read them, and
    /// they count as the block's first lines.
    pub dropped_before: u64,
}

/// What the report needs of one judged record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Judged {
    /// The identity `(source, patient_id, unit)`, hashed (see [`identity`]).
    pub identity: u128,
    /// `recorded_at`, microseconds since the epoch, as the store keeps it.
    pub recorded_at: i64,
    /// The domain statuses and REaL completeness (see [`Statuses`]).
    pub statuses: Statuses,
    /// The distinct rules fired (see [`RuleSet`]).
    pub rules: RuleSet,
    /// The unit, an index into [`BlockResult::units`].
    pub unit: u32,
}

/// A line that is not a record, and why (never its content: it may hold PHI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The line number within its block, from 1.
    pub line: u64,
    /// The error code and the failing fields' paths.
    pub reason: String,
}

/// Rejected lines whose number and reason are kept per block (the rest are counted).
pub const REJECTIONS_KEPT: usize = 5;

/// What one block became.
#[derive(Debug, Default)]
pub struct BlockResult {
    /// The block's position in the input.
    pub seq: u64,
    /// Lines in the block, blank ones included (line numbers count them, as a batch does).
    pub lines: u64,
    /// The block's size in bytes.
    pub bytes: usize,
    /// Records that passed the envelope checks, of any unit.
    pub records: u64,
    /// The records kept (of the unit asked for, if any), in input order.
    pub judged: Vec<Judged>,
    /// The block's units, by index.
    pub units: Vec<String>,
    /// How many lines were rejected.
    pub rejected: u64,
    /// The first [`REJECTIONS_KEPT`] of them.
    pub rejections: Vec<Rejected>,
}

/// The six REaL domain statuses, REaL completeness and the optional domains' statuses of
/// a record, packed: 3 bits per domain (the index in [`DomainStatus::ALL`]; 7 for an
/// optional domain without a status), in [`Domain::STATUS_DOMAINS`] then
/// [`Domain::OPTIONAL_DOMAINS`] order, and one bit for REaL completeness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Statuses(pub u32);

const REAL_COMPLETE_BIT: u32 = 1 << 31;
const NO_STATUS: u32 = 7;

impl Statuses {
    /// The statuses of an engine verdict.
    pub fn of(verdict: &Verdict) -> Statuses {
        let index = |status: DomainStatus| {
            DomainStatus::ALL
                .iter()
                .position(|s| *s == status)
                .expect("every status is in ALL") as u32
        };
        let mut bits = 0;
        for (slot, domain) in Domain::STATUS_DOMAINS.into_iter().enumerate() {
            // A core domain without a status is stored as `missing`, a caregiver domain the
            // profile does not require of the patient as not required (pipeline::prepare).
            let status = if !verdict.counted_in(domain) {
                NO_STATUS
            } else {
                index(verdict.domains.get(domain).unwrap_or(DomainStatus::Missing))
            };
            bits |= status << (3 * slot);
        }
        for (slot, domain) in Domain::OPTIONAL_DOMAINS.into_iter().enumerate() {
            let status = verdict.domains.get(domain).map_or(NO_STATUS, index);
            bits |= status << (3 * (Domain::STATUS_DOMAINS.len() + slot));
        }
        if verdict.real_complete {
            bits |= REAL_COMPLETE_BIT;
        }
        Statuses(bits)
    }

    /// Whether the record is REaL complete.
    pub fn real_complete(self) -> bool {
        self.0 & REAL_COMPLETE_BIT != 0
    }

    fn slot(self, slot: usize) -> Option<DomainStatus> {
        DomainStatus::ALL
            .get(((self.0 >> (3 * slot)) & 7) as usize)
            .copied()
    }

    /// The status column of each REaL domain, in [`Domain::STATUS_DOMAINS`] order, as the
    /// store keeps it (`not_required` for a caregiver domain not required of the patient).
    pub fn core(self) -> [&'static str; 6] {
        std::array::from_fn(|slot| {
            self.slot(slot)
                .map_or(crate::pipeline::NOT_REQUIRED, DomainStatus::as_str)
        })
    }

    /// The optional domains with a status, `domain:status` space-separated, as the store's
    /// `optional_domains` column holds them.
    pub fn optional_text(self) -> String {
        Domain::OPTIONAL_DOMAINS
            .into_iter()
            .enumerate()
            .filter_map(|(slot, domain)| {
                let status = self.slot(Domain::STATUS_DOMAINS.len() + slot)?;
                Some(format!("{}:{}", domain.as_str(), status.as_str()))
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A set of catalogued rules, one bit per rule in [`catalog::ALL`] order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RuleSet(pub u128);

/// The bit of each catalogued rule, by the address of its `static` (a finding refers to
/// the catalog's rule itself), sorted for a binary search.
fn rule_bits() -> &'static [(usize, u32)] {
    static BITS: OnceLock<Vec<(usize, u32)>> = OnceLock::new();
    BITS.get_or_init(|| {
        assert!(
            catalog::ALL.len() <= 128,
            "RuleSet holds 128 rules; the catalog has {}",
            catalog::ALL.len()
        );
        let mut bits: Vec<(usize, u32)> = (0u32..)
            .zip(catalog::ALL)
            .map(|(bit, rule)| (address(rule), bit))
            .collect();
        bits.sort_unstable();
        bits
    })
}

fn address(rule: &Rule) -> usize {
    std::ptr::from_ref(rule) as usize
}

/// The bit of a rule.
fn rule_bit(rule: &Rule) -> u32 {
    let bits = rule_bits();
    match bits.binary_search_by_key(&address(rule), |(address, _)| *address) {
        Ok(at) => bits[at].1,
        // A copy of a catalogued rule: found by its ID.
        Err(_) => catalog::ALL
            .iter()
            .position(|known| known.id == rule.id)
            .unwrap_or_else(|| panic!("rule {} is not in the catalog", rule.id))
            as u32,
    }
}

impl RuleSet {
    /// The distinct rules a verdict fired.
    pub fn of(verdict: &Verdict) -> RuleSet {
        RuleSet(
            verdict
                .findings
                .iter()
                .fold(0, |set, finding| set | 1 << rule_bit(finding.rule)),
        )
    }

    /// The rule IDs of the set, in catalog order.
    pub fn ids(self) -> impl Iterator<Item = &'static str> {
        catalog::ALL
            .iter()
            .enumerate()
            .filter(move |(bit, _)| self.0 & (1 << bit) != 0)
            .map(|(_, rule)| rule.id)
    }
}

/// The identity of a patient in a unit, `(source, patient_id, unit)`, as 128 bits of a
/// SHA-256 of the three length-prefixed fields: a collision among even 10^9 identities has
/// a chance of about 10^-21.
pub fn identity(source: &str, patient_id: &str, unit: &str) -> u128 {
    let mut hasher = Sha256::new();
    for part in [source, patient_id, unit] {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    u128::from_le_bytes(digest[..16].try_into().expect("16 of 32 bytes"))
}

/// Judges blocks under one context.
pub struct Judge<'a> {
    /// The engine's context (profile, code sets, now).
    pub ctx: &'a Context<'a>,
    /// Keep only this unit's records.
    pub unit: Option<&'a str>,
    /// The longest line accepted, as `REALDQ_MAX_RECORD_BYTES` (a trailing `\r` aside).
    pub max_line: usize,
    /// What the extract holds.
    pub input: &'a super::Input,
}

impl Judge<'_> {
    /// Judges every line of a block, into `judged` (a spare vector, emptied first).
    pub fn block(&self, block: &Block, mut judged: Vec<Judged>) -> BlockResult {
        judged.clear();
        judged.reserve(block.data.len() / 256);
        let mut result = BlockResult {
            seq: block.seq,
            bytes: block.data.len(),
            judged,
            ..BlockResult::default()
        };
        let mut units: HashMap<String, u32> = HashMap::new();
        match self.input {
            super::Input::Ndjson => {}
            super::Input::FhirBulk(settings) => {
                let (lines, items) =
                    super::formats::fhir_items(&block.data, settings, self.max_line, self.ctx);
                self.items(&mut result, &mut units, block.dropped_before, lines, items);
                return result;
            }
            super::Input::Hl7(settings) => {
                let (messages, items) = super::formats::hl7_items(&block.data, settings, self.ctx);
                self.items(&mut result, &mut units, 0, messages, items);
                return result;
            }
        }
        for _ in 0..block.dropped_before {
            result.lines += 1;
            self.reject(&mut result, self.too_long());
        }
        let data = block.data.as_slice();
        let mut start = 0;
        while start < data.len() {
            let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |at| start + at);
            result.lines += 1;
            let line = &data[start..end];
            start = end + 1;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.len() > self.max_line {
                self.reject(&mut result, self.too_long());
                continue;
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let record = match parse(line) {
                Ok(record) => record,
                Err(rejection) => {
                    self.reject(&mut result, reason(&rejection));
                    continue;
                }
            };
            result.records += 1;
            if self.unit.is_some_and(|unit| unit != record.unit) {
                continue;
            }
            let verdict = engine::validate(&record, self.ctx);
            keep(&mut result, &mut units, &record, &verdict);
        }
        result.units = unit_names(units);
        result
    }

    /// Counts a FHIR or HL7 v2 block's items: `count` lines or messages, after
    /// `dropped_before` lines too long to keep.
    fn items(
        &self,
        result: &mut BlockResult,
        units: &mut HashMap<String, u32>,
        dropped_before: u64,
        count: u64,
        items: Vec<super::formats::Item>,
    ) {
        for _ in 0..dropped_before {
            result.lines += 1;
            self.reject(result, self.too_long());
        }
        let before = result.lines;
        for item in items {
            match item {
                super::formats::Item::Record(validated) => {
                    result.records += 1;
                    let record = &validated.record;
                    if self.unit.is_none_or(|unit| unit == record.unit) {
                        keep(result, units, record, &validated.verdict);
                    }
                }
                super::formats::Item::Rejected(number, reason) => {
                    result.lines = before + number;
                    self.reject(result, reason);
                }
            }
        }
        result.lines = before + count;
        result.units = unit_names(std::mem::take(units));
    }

    fn too_long(&self) -> String {
        format!(
            "payload_too_large: a line may be at most {} bytes",
            self.max_line
        )
    }

    fn reject(&self, result: &mut BlockResult, reason: String) {
        result.rejected += 1;
        if result.rejections.len() < REJECTIONS_KEPT {
            result.rejections.push(Rejected {
                line: result.lines,
                reason,
            });
        }
    }
}

/// Keeps what the report needs of a judged record.
fn keep(
    result: &mut BlockResult,
    units: &mut HashMap<String, u32>,
    record: &Record,
    verdict: &Verdict,
) {
    let next = units.len() as u32;
    let unit = match units.get(record.unit.as_str()) {
        Some(&index) => index,
        None => *units.entry(record.unit.clone()).or_insert(next),
    };
    result.judged.push(Judged {
        identity: identity(&record.source, &record.patient_id, &record.unit),
        recorded_at: micros(record.recorded_at),
        statuses: Statuses::of(verdict),
        rules: RuleSet::of(verdict),
        unit,
    });
}

/// A block's unit names, by index.
fn unit_names(units: HashMap<String, u32>) -> Vec<String> {
    let mut units: Vec<(String, u32)> = units.into_iter().collect();
    units.sort_unstable_by_key(|(_, index)| *index);
    units.into_iter().map(|(unit, _)| unit).collect()
}

/// [`Record::from_json`], without keeping a copy of the wire record the report does not
/// need, and checking the line's UTF-8 once rather than string by string (a line that is
/// not UTF-8 fails either way).
fn parse(line: &[u8]) -> Result<Record, Rejection> {
    let wire = std::str::from_utf8(line)
        .ok()
        .and_then(|text| serde_json::from_str::<RecordWire>(text).ok());
    match wire {
        Some(wire) => Record::parse(wire).map_err(Rejection::Invalid),
        // Not a record: parsed again, as a batch line is, to name the failing field.
        None => Record::from_json(line).map(|(record, _)| record),
    }
}

/// Why a line was rejected, without any value from it: the error code the batch would
/// answer, and the failing fields' paths.
fn reason(rejection: &Rejection) -> String {
    match rejection {
        Rejection::Malformed(_) => "invalid_json".to_string(),
        Rejection::Invalid(errors) => {
            let mut paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
            paths.dedup();
            format!("validation_failed ({})", paths.join(", "))
        }
    }
}
