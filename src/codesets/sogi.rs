//! The SOGI value sets (`data/codesets/sogi-value-sets.json`): US Core sexual orientation
//! and HL7 pronouns, transcribed with their sources. Gender identity's US Core binding is a
//! VSAC value set with no public expansion, so its codes are checked as SNOMED CT
//! identifiers (shape and Verhoeff check digit) instead of by membership.

use foldhash::HashSet;

use serde::Deserialize;

const SOGI_JSON: &str = include_str!("../../data/codesets/sogi-value-sets.json");

/// SNOMED CT's code system URI.
pub const SNOMED: &str = "http://snomed.info/sct";
/// HL7 v3 NullFlavor's code system URI (UNK, ASKU, OTH inside value sets).
pub const NULL_FLAVOR: &str = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor";

#[derive(Deserialize)]
struct Document {
    value_sets: ValueSets,
}

#[derive(Deserialize)]
struct ValueSets {
    sexual_orientation: ValueSet,
    pronouns: ValueSet,
}

#[derive(Deserialize)]
struct ValueSet {
    version: String,
    concepts: Vec<ConceptJson>,
}

#[derive(Deserialize)]
struct ConceptJson {
    system: String,
    code: String,
}

/// One loaded value set: `(system, code)` pairs.
#[derive(Debug)]
pub struct ValueSetCodes {
    /// Its version.
    pub version: String,
    codes: HashSet<(String, String)>,
}

impl ValueSetCodes {
    /// Whether `code` (in `system`, or in any system of the set when none is sent) is in.
    pub fn contains(&self, system: Option<&str>, code: &str) -> bool {
        match system {
            Some(system) => self.codes.contains(&(system.to_string(), code.to_string())),
            None => self.codes.iter().any(|(_, c)| c == code),
        }
    }

    /// How many codes.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
}

/// The SOGI value sets.
#[derive(Debug)]
pub struct SogiValueSets {
    /// US Core sexual orientation.
    pub sexual_orientation: ValueSetCodes,
    /// HL7 personal pronouns.
    pub pronouns: ValueSetCodes,
}

impl SogiValueSets {
    /// Loads the embedded value sets.
    pub fn load() -> Self {
        let document: Document =
            serde_json::from_str(SOGI_JSON).expect("embedded SOGI value sets are valid JSON");
        let set = |value_set: ValueSet| ValueSetCodes {
            version: value_set.version,
            codes: value_set
                .concepts
                .into_iter()
                .map(|c| (c.system, c.code))
                .collect(),
        };
        SogiValueSets {
            sexual_orientation: set(document.value_sets.sexual_orientation),
            pronouns: set(document.value_sets.pronouns),
        }
    }
}

/// Whether `code` is a well-formed SNOMED CT identifier: 6 to 18 digits, no leading zero,
/// a valid Verhoeff check digit.
pub fn is_sctid(code: &str) -> bool {
    const D: [[u8; 10]; 10] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ];
    const P: [[u8; 10]; 8] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ];
    let well_formed = (6..=18).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_digit())
        && !code.starts_with('0');
    if !well_formed {
        return false;
    }
    let check = code.bytes().rev().enumerate().fold(0u8, |c, (i, b)| {
        D[usize::from(c)][usize::from(P[i % 8][usize::from(b - b'0')])]
    });
    check == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_sets_load_with_their_transcribed_sizes() {
        let sets = SogiValueSets::load();
        assert_eq!(sets.sexual_orientation.len(), 6);
        assert_eq!(sets.pronouns.len(), 3);
        assert!(sets.sexual_orientation.contains(Some(SNOMED), "20430005"));
        assert!(sets.sexual_orientation.contains(None, "38628009"));
        assert!(!sets.sexual_orientation.contains(Some(SNOMED), "UNK"));
        assert!(sets.sexual_orientation.contains(Some(NULL_FLAVOR), "UNK"));
        assert!(sets
            .pronouns
            .contains(Some("http://loinc.org"), "LA29518-0"));
    }

    #[test]
    fn every_snomed_code_of_the_value_sets_passes_the_verhoeff_check() {
        for code in ["38628009", "20430005", "42035005"] {
            assert!(is_sctid(code), "{code}");
        }
    }

    #[test]
    fn a_changed_digit_or_a_bad_shape_fails() {
        for code in ["38628008", "20430015", "02043000", "12345", "2043000a", ""] {
            assert!(!is_sctid(code), "{code}");
        }
    }
}
