//! Synthetic demographic records for benchmarks, load tests and demos: a deterministic,
//! realistic mix (complete records, missing and declined answers, bad codes, detailed
//! races, caregivers with other languages). Never real patients.

pub mod render;

use serde_json::{json, Value};

pub mod timeline;

pub use timeline::Timeline;

/// Hospital units the generator spreads patients over by default.
pub const UNITS: [&str; 6] = [
    "ED",
    "NICU",
    "PICU",
    "Oncology",
    "Clinic-North",
    "Clinic-South",
];

/// The units records are spread over: the six names of [`UNITS`], or `count` numbered
/// units `U001`, `U002`, ... (more digits past 999).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Units {
    /// The six names of [`UNITS`].
    #[default]
    Named,
    /// `U001` to `U{count}`.
    Numbered(u32),
}

impl Units {
    /// How many units.
    pub fn count(self) -> u64 {
        match self {
            Units::Named => UNITS.len() as u64,
            Units::Numbered(count) => u64::from(count.max(1)),
        }
    }

    /// The name of the `index`-th unit (`index < count()`).
    pub fn name(self, index: u64) -> String {
        match self {
            Units::Named => UNITS[index as usize].to_string(),
            Units::Numbered(_) => format!("U{:03}", index + 1),
        }
    }
}

const RACES: [&[&str]; 10] = [
    &["2106-3"],
    &["2054-5"],
    &["2028-9", "2040-4"],
    &["2106-3", "2054-5"],
    &["1002-5"],
    &["2076-8", "2086-7"],
    &["2106-3", "2118-8"],
    &["2131-1"],
    &["2028-9", "2047-9"],
    &["2054-5", "2060-2"],
];
const LANGUAGES: [&str; 10] = ["en", "en", "en", "es", "es", "zh", "vi", "ar", "so", "yue"];

/// A small, fast, deterministic generator (xorshift64*).
#[derive(Debug, Clone)]
pub struct Generator {
    state: u64,
    units: Units,
}

impl Generator {
    /// A generator from a seed, over the six default units.
    pub fn new(seed: u64) -> Self {
        Generator {
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            units: Units::Named,
        }
    }

    /// The same generator over other units (the same records but for `unit`: one draw
    /// picks the unit whatever their number).
    pub fn with_units(mut self, units: Units) -> Self {
        self.units = units;
        self
    }

    fn next(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn unit(&mut self) -> String {
        let index = self.below(self.units.count());
        self.units.name(index)
    }

    /// The `index`-th record of a run; `recorded_at` is a day in 2026.
    pub fn record(&mut self, index: u64) -> Value {
        let unit = self.unit();
        let day = 1 + self.below(300);
        let recorded_at = format!(
            "2026-{:02}-{:02}T{:02}:{:02}:00Z",
            1 + (day / 28).min(11),
            1 + day % 28,
            self.below(24),
            self.below(60)
        );
        self.demographics(index, unit, recorded_at, 2026).0
    }

    /// A patient's record but for its time: unit, birth date (a child born before
    /// `year`), race, ethnicity, language, caregivers. Returns the age drawn too.
    fn demographics(
        &mut self,
        index: u64,
        unit: String,
        recorded_at: String,
        year: i32,
    ) -> (Value, u64) {
        let age = self.below(18);
        let birth_date = format!(
            "{}-{:02}-{:02}",
            i64::from(year) - 1 - age as i64,
            1 + self.below(12),
            1 + self.below(28)
        );
        let mut record = json!({
            "source": "synthetic",
            "patient_id": format!("SYN-{index:08}"),
            "unit": unit,
            "recorded_at": recorded_at,
            "birth_date": birth_date,
        });
        let reporter = self.reporter(age);
        record["race"] = self.race(reporter);
        record["ethnicity"] = self.ethnicity(reporter);
        let (language, interpreter, answer) = self.language();
        record["language"] = answer;
        if let Some(caregivers) = self.caregivers(age, language, interpreter) {
            record["caregivers"] = caregivers;
        }
        (record, age)
    }

    fn reporter(&mut self, age: u64) -> &'static str {
        if age >= 12 && self.chance(60) {
            "self"
        } else {
            "caregiver"
        }
    }

    fn race(&mut self, reporter: &str) -> Value {
        match self.below(100) {
            0..=6 => Value::Null,
            7..=9 => json!({"null_flavor": "ASKU", "reported_by": reporter}),
            10..=12 => json!({"null_flavor": "UNK"}),
            13 => json!({"codes": [{"code": "2135-2"}], "reported_by": reporter}),
            14 => json!({"codes": [{"code": "2106-4"}], "reported_by": reporter}),
            _ => {
                let codes = RACES[self.below(RACES.len() as u64) as usize];
                let codes: Vec<Value> = codes.iter().map(|c| json!({"code": c})).collect();
                json!({"codes": codes, "reported_by": reporter})
            }
        }
    }

    fn ethnicity(&mut self, reporter: &str) -> Value {
        match self.below(100) {
            0..=7 => Value::Null,
            8..=10 => json!({"null_flavor": "ASKU", "reported_by": reporter}),
            11..=30 => {
                json!({"codes": [{"code": "2135-2"}, {"code": "2148-5"}], "reported_by": reporter})
            }
            31 => {
                json!({"codes": [{"code": "2186-5"}, {"code": "2148-5"}], "reported_by": reporter})
            }
            _ => json!({"codes": [{"code": "2186-5"}], "reported_by": reporter}),
        }
    }

    /// The preferred language, whether an interpreter is needed, and the answer.
    fn language(&mut self) -> (&'static str, bool, Value) {
        let language = LANGUAGES[self.below(LANGUAGES.len() as u64) as usize];
        let interpreter = language != "en" && self.chance(80);
        let answer = match self.below(100) {
            0..=5 => Value::Null,
            6..=8 => json!({"preferred": language}),
            _ => json!({"preferred": language, "interpreter_needed": interpreter,
                        "english_proficiency": if interpreter { "not_well" } else { "very_well" }}),
        };
        (language, interpreter, answer)
    }

    fn caregivers(&mut self, age: u64, language: &str, interpreter: bool) -> Option<Value> {
        if age < 18 && !self.chance(8) {
            let count = 1 + self.below(2);
            let caregivers: Vec<Value> = (0..count)
                .map(|i| {
                    json!({
                        "relationship": if i == 0 { "MTH" } else { "FTH" },
                        "legal_guardian": i == 0 || self.chance(50),
                        "language": {"preferred": language, "interpreter_needed": interpreter}
                    })
                })
                .collect();
            Some(Value::Array(caregivers))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_records() {
        let a: Vec<Value> = (0..50).map(|i| Generator::new(7).record(i)).collect();
        let b: Vec<Value> = (0..50).map(|i| Generator::new(7).record(i)).collect();
        assert_eq!(a, b);
        assert_ne!(Generator::new(7).record(0), Generator::new(8).record(0));
    }

    #[test]
    fn the_default_records_are_those_of_earlier_versions() {
        // Benchmarks and tests compare runs over `generate`'s output: it must not drift.
        let first = r#"{"birth_date":"2014-11-10","caregivers":[{"language":{"interpreter_needed":true,"preferred":"es"},"legal_guardian":true,"relationship":"MTH"},{"language":{"interpreter_needed":true,"preferred":"es"},"legal_guardian":true,"relationship":"FTH"}],"ethnicity":{"codes":[{"code":"2186-5"}],"reported_by":"caregiver"},"language":{"english_proficiency":"not_well","interpreter_needed":true,"preferred":"es"},"patient_id":"SYN-00000000","race":{"codes":[{"code":"2028-9"},{"code":"2040-4"}],"reported_by":"caregiver"},"recorded_at":"2026-11-09T16:37:00Z","source":"synthetic","unit":"ED"}"#;
        assert_eq!(Generator::new(1).record(0).to_string(), first);
        // SHA-256 of `real-dq generate --records 3000 --seed 1` before units were an option.
        use sha2::{Digest, Sha256};
        let mut generator = Generator::new(1);
        let mut hash = Sha256::new();
        for i in 0..3000 {
            hash.update(format!("{}\n", generator.record(i)));
        }
        let hex: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "fc14388d32e44e1ec6ab6dbab9c0191398995ff8766f4b9bed172898311ad337"
        );
    }

    #[test]
    fn numbered_units_change_the_unit_only() {
        let mut named = Generator::new(5);
        let mut numbered = Generator::new(5).with_units(Units::Numbered(200));
        let mut units = std::collections::BTreeSet::new();
        for i in 0..2000 {
            let (mut a, b) = (named.record(i), numbered.record(i));
            let unit = b["unit"].as_str().unwrap().to_string();
            assert!(unit.len() == 4 && unit.starts_with('U'), "{unit}");
            let number: u32 = unit[1..].parse().unwrap();
            assert!((1..=200).contains(&number), "{unit}");
            a["unit"] = b["unit"].clone();
            assert_eq!(a, b);
            units.insert(unit);
        }
        assert!(units.len() > 190, "{}", units.len());
        assert_eq!(Units::Numbered(1500).name(1499), "U1500");
    }

    #[test]
    fn generated_records_pass_the_envelope_checks() {
        let mut generator = Generator::new(1);
        for i in 0..500 {
            let text = generator.record(i).to_string();
            assert!(
                crate::record::Record::from_json(text.as_bytes()).is_ok(),
                "{text}"
            );
        }
    }
}
