//! The current state of every identity, kept as the store keeps it (src/store/ingest.rs)
//! but in a few words each: a newer `recorded_at` replaces it; an older or equal one, or
//! the identical record again, does not (the first of a tie stays).

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::judge::{BlockResult, RuleSet, Statuses};
use crate::store::aggregates::{Counts, StatusGroup, Window};

/// What a current state is judged as: its unit, statuses and rules. Few distinct ones
/// occur, so each is stored once and states refer to it by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Combination {
    unit: u32,
    statuses: Statuses,
    rules: RuleSet,
}

/// One identity's current state.
#[derive(Debug, Clone, Copy)]
struct State {
    recorded_at: i64,
    combination: u32,
}

/// Hashes an identity, already a uniform 128-bit hash, by taking 64 of its bits.
#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u128` is expected; anything else is still hashed, slowly.
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u128(&mut self, identity: u128) {
        self.0 = identity as u64;
    }
}

/// Hashes a combination (three integers) with a multiply and a rotation per integer: it
/// is looked up once per record, where SipHash showed in profiles.
#[derive(Default)]
struct CombinationHasher(u64);

impl Hasher for CombinationHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.write_u64(u64::from(*byte));
        }
    }

    fn write_u32(&mut self, value: u32) {
        self.write_u64(u64::from(value));
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0.rotate_left(5) ^ value).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn write_u128(&mut self, value: u128) {
        self.write_u64(value as u64);
        self.write_u64((value >> 64) as u64);
    }
}

/// The states of the identities whose hash starts with the same [`SHARD_BITS`] bits.
type Shard = HashMap<u128, State, BuildHasherDefault<IdentityHasher>>;

/// The states are kept in 2^SHARD_BITS maps rather than one, so that growing a map (which
/// holds the old and the new table at once) needs 1/64th of the memory more, not half.
const SHARD_BITS: u32 = 6;

/// Every identity's current state, and the units and combinations they refer to.
pub struct CurrentStates {
    shards: Vec<Shard>,
    combinations: Vec<Combination>,
    combination_index: HashMap<Combination, u32, BuildHasherDefault<CombinationHasher>>,
    units: Vec<String>,
    unit_index: HashMap<String, u32>,
}

impl Default for CurrentStates {
    fn default() -> Self {
        CurrentStates {
            shards: (0..1 << SHARD_BITS).map(|_| Shard::default()).collect(),
            combinations: Vec::new(),
            combination_index: HashMap::default(),
            units: Vec::new(),
            unit_index: HashMap::new(),
        }
    }
}

impl CurrentStates {
    /// Applies a block's records in order. Blocks must be applied in input order: on a tie
    /// the first record stays.
    pub fn apply(&mut self, block: &BlockResult) {
        let units: Vec<u32> = block.units.iter().map(|unit| self.unit(unit)).collect();
        for judged in &block.judged {
            let combination = Combination {
                unit: units[judged.unit as usize],
                statuses: judged.statuses,
                rules: judged.rules,
            };
            // The top bits pick the shard; the map hashes with the low ones.
            let shard = (judged.identity >> (128 - SHARD_BITS)) as usize;
            match self.shards[shard].entry(judged.identity) {
                Entry::Occupied(mut current) => {
                    if current.get().recorded_at < judged.recorded_at {
                        let combination = Self::intern(
                            &mut self.combinations,
                            &mut self.combination_index,
                            combination,
                        );
                        current.insert(State {
                            recorded_at: judged.recorded_at,
                            combination,
                        });
                    }
                }
                Entry::Vacant(slot) => {
                    let combination = Self::intern(
                        &mut self.combinations,
                        &mut self.combination_index,
                        combination,
                    );
                    slot.insert(State {
                        recorded_at: judged.recorded_at,
                        combination,
                    });
                }
            }
        }
    }

    /// Makes room for `identities` states at once, rather than growing to them (each growth
    /// holds a shard's old and new tables, and leaves the old to the allocator).
    pub fn reserve(&mut self, identities: usize) {
        let per_shard = identities.div_ceil(self.shards.len());
        for shard in &mut self.shards {
            shard.reserve(per_shard.saturating_sub(shard.len()));
        }
    }

    /// How many identities have a current state.
    pub fn len(&self) -> usize {
        self.shards.iter().map(HashMap::len).sum()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.shards.iter().all(HashMap::is_empty)
    }

    fn unit(&mut self, unit: &str) -> u32 {
        if let Some(&index) = self.unit_index.get(unit) {
            return index;
        }
        let index = self.units.len() as u32;
        self.units.push(unit.to_string());
        self.unit_index.insert(unit.to_string(), index);
        index
    }

    fn intern(
        combinations: &mut Vec<Combination>,
        index: &mut HashMap<Combination, u32, BuildHasherDefault<CombinationHasher>>,
        combination: Combination,
    ) -> u32 {
        *index.entry(combination).or_insert_with(|| {
            combinations.push(combination);
            combinations.len() as u32 - 1
        })
    }

    /// The counts the store's aggregates would give for the current states in `window`:
    /// patients by unit and statuses, and by unit and rule.
    pub fn counts(&self, window: Window, profile: &str) -> Counts {
        let mut patients = vec![0i64; self.combinations.len()];
        for state in self.shards.iter().flat_map(HashMap::values) {
            let after_from = window.from.is_none_or(|from| state.recorded_at >= from);
            let before_to = window.to.is_none_or(|to| state.recorded_at < to);
            if after_from && before_to {
                patients[state.combination as usize] += 1;
            }
        }
        let mut groups: HashMap<(u32, Statuses), i64> = HashMap::new();
        let mut rules: HashMap<(u32, &'static str), i64> = HashMap::new();
        for (combination, &count) in self.combinations.iter().zip(&patients) {
            if count == 0 {
                continue;
            }
            *groups
                .entry((combination.unit, combination.statuses))
                .or_default() += count;
            for rule in combination.rules.ids() {
                *rules.entry((combination.unit, rule)).or_default() += count;
            }
        }
        let groups = groups
            .into_iter()
            .map(|((unit, statuses), patients)| {
                let [race, ethnicity, language, interpreter, caregivers, caregiver_language] =
                    statuses.core().map(str::to_string);
                StatusGroup {
                    unit: self.units[unit as usize].clone(),
                    source: String::new(),
                    reported_by: String::new(),
                    real_complete: statuses.real_complete(),
                    race,
                    ethnicity,
                    language,
                    interpreter,
                    caregivers,
                    caregiver_language,
                    optional_domains: statuses.optional_text(),
                    profile: profile.to_string(),
                    patients,
                }
            })
            .collect();
        let rules = rules
            .into_iter()
            .map(|((unit, rule), patients)| {
                (
                    self.units[unit as usize].clone(),
                    rule.to_string(),
                    patients,
                )
            })
            .collect();
        Counts { groups, rules }
    }
}
