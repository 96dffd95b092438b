//! The distribution's counts: current patients by unit and answer (`answer_counts`, kept
//! up to date as records arrive): a few rows per unit, whatever the number of patients.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::answer_counts;
use super::StoreError;

/// `(unit, answer, patients)` of the units asked for (`unit`, within `scope` when given),
/// by unit and answer, without the counters at zero.
pub fn answer_counts(
    conn: &mut DbConnection,
    unit: Option<&str>,
    scope: Option<&[String]>,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    let mut query = answer_counts::table
        .filter(answer_counts::patients.ne(0))
        .order((answer_counts::unit, answer_counts::answer))
        .select((
            answer_counts::unit,
            answer_counts::answer,
            answer_counts::patients,
        ))
        .into_boxed();
    if let Some(unit) = unit {
        query = query.filter(answer_counts::unit.eq(unit.to_string()));
    }
    if let Some(units) = scope {
        query = query.filter(answer_counts::unit.eq_any(units.to_vec()));
    }
    Ok(query.load(conn)?)
}
