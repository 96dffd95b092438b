//! The code sets the rules check against, all shipped in `data/codesets/` and embedded at
//! compile time: no network look-up, ever. Loaded once, on first use, into fast tables.

pub mod cdcrec;
pub mod language;
pub mod sogi;

use foldhash::HashSet;
use std::sync::LazyLock;

use serde::Deserialize;

pub use cdcrec::Cdcrec;
pub use language::LanguageRegistry;

/// HL7 v2 table 0063 (relationship), from the HL7 terminology package.
const RELATIONSHIP_JSON: &str = include_str!("../../data/codesets/CodeSystem-v2-0063.json");

/// Every code set the engine needs.
#[derive(Debug)]
pub struct CodeSets {
    /// CDC Race & Ethnicity Code Set.
    pub cdcrec: Cdcrec,
    /// IANA language subtag registry.
    pub languages: LanguageRegistry,
    /// HL7 v2 table 0063 relationship codes.
    pub relationships: HashSet<String>,
    /// The version of table 0063 shipped.
    pub relationships_version: String,
    /// Sexual orientation and pronoun value sets.
    pub sogi: sogi::SogiValueSets,
}

#[derive(Deserialize)]
struct CodeSystemJson {
    version: String,
    concept: Vec<ConceptJson>,
}

#[derive(Deserialize)]
struct ConceptJson {
    code: String,
}

static CODE_SETS: LazyLock<CodeSets> = LazyLock::new(CodeSets::load);

impl CodeSets {
    /// The process-wide code sets, loaded on first use.
    pub fn get() -> &'static CodeSets {
        &CODE_SETS
    }

    fn load() -> Self {
        let relationships: CodeSystemJson =
            serde_json::from_str(RELATIONSHIP_JSON).expect("embedded table 0063 is valid JSON");
        CodeSets {
            cdcrec: Cdcrec::load(),
            languages: LanguageRegistry::load(),
            relationships: relationships.concept.into_iter().map(|c| c.code).collect(),
            relationships_version: relationships.version,
            sogi: sogi::SogiValueSets::load(),
        }
    }
}
