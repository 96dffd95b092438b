//! The diesel schema, shared by SQLite and PostgreSQL (the migrations of both backends
//! create the same tables). Timestamps are microseconds since the Unix epoch; UUIDs are
//! TEXT, because `MultiConnection` has no UUID type; bodies and results are compressed
//! (`codec.rs`).

diesel::table! {
    /// Every accepted record (history) and its validation result.
    records (id) {
        id -> Text,
        source -> Text,
        patient_id -> Text,
        unit -> Text,
        recorded_at -> BigInt,
        content_hash -> Binary,
        body -> Binary,
        result -> Binary,
        status -> Text,
        profile -> Text,
        received_at -> BigInt,
    }
}

diesel::table! {
    /// The current record of each (source, patient_id, unit).
    current_state (source, patient_id, unit) {
        source -> Text,
        patient_id -> Text,
        unit -> Text,
        record_id -> Text,
        recorded_at -> BigInt,
        status -> Text,
        real_complete -> Bool,
        race -> Text,
        ethnicity -> Text,
        language -> Text,
        interpreter -> Text,
        caregivers -> Text,
        caregiver_language -> Text,
        rules -> Text,
        profile -> Text,
        optional_domains -> Text,
        versions -> Binary,
        answers -> Text,
        reported_by -> Text,
    }
}

diesel::table! {
    /// Current patients by unit and answer (the distribution).
    answer_counts (unit, answer) {
        unit -> Text,
        answer -> Text,
        patients -> BigInt,
    }
}

diesel::table! {
    /// Each day's net change in patients by unit and coded statuses (the trend).
    trend_days (day, unit, source, combo) {
        day -> BigInt,
        unit -> Text,
        source -> Text,
        combo -> Text,
        patients -> BigInt,
    }
}

diesel::table! {
    /// Each month's net change in patients by unit and coded statuses (the trend).
    trend_months (month, unit, source, combo) {
        month -> BigInt,
        unit -> Text,
        source -> Text,
        combo -> Text,
        patients -> BigInt,
    }
}

diesel::table! {
    /// Current patients by unit and combination of statuses (the completeness report).
    report_counts (unit, source, reported_by, real_complete, race, ethnicity, language, interpreter, caregivers, caregiver_language, optional_domains, profile) {
        unit -> Text,
        source -> Text,
        reported_by -> Text,
        real_complete -> Bool,
        race -> Text,
        ethnicity -> Text,
        language -> Text,
        interpreter -> Text,
        caregivers -> Text,
        caregiver_language -> Text,
        optional_domains -> Text,
        profile -> Text,
        patients -> BigInt,
    }
}

diesel::table! {
    /// Current patients by unit and rule fired (the report's top rules).
    rule_counts (unit, source, reported_by, rule) {
        unit -> Text,
        source -> Text,
        reported_by -> Text,
        rule -> Text,
        patients -> BigInt,
    }
}

diesel::table! {
    /// The unit and domain pairs below a threshold (alerts).
    alert_state (unit, domain) {
        unit -> Text,
        domain -> Text,
        level -> Text,
        since -> BigInt,
        level_since -> BigInt,
    }
}

diesel::table! {
    /// Alert events waiting for the webhook.
    alert_events (id) {
        id -> Text,
        created_at -> BigInt,
        event -> Text,
        attempts -> Integer,
        next_attempt_at -> BigInt,
    }
}

diesel::table! {
    /// Each day's net change in findings by unit and rule (`net`), and the open findings
    /// by the day they started (`open_now`): the diff.
    finding_days (day, unit, rule) {
        day -> BigInt,
        unit -> Text,
        rule -> Text,
        net -> BigInt,
        open_now -> BigInt,
    }
}

diesel::table! {
    /// `finding_days` by month.
    finding_months (month, unit, rule) {
        month -> BigInt,
        unit -> Text,
        rule -> Text,
        net -> BigInt,
        open_now -> BigInt,
    }
}

diesel::table! {
    /// Recounts a migration asked for, done when the service starts.
    pending_rebuilds (name) {
        name -> Text,
    }
}

diesel::table! {
    /// Dashboard sessions (hashes only).
    dashboard_sessions (token_hash) {
        token_hash -> Text,
        key_hash -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::joinable!(current_state -> records (record_id));
diesel::allow_tables_to_appear_in_same_query!(
    records,
    current_state,
    report_counts,
    rule_counts,
    trend_days,
    trend_months,
    api_keys,
    audit_log
);

diesel::table! {
    /// API keys (only their SHA-256).
    api_keys (id) {
        id -> Text,
        name -> Text,
        role -> Text,
        units -> Text,
        key_hash -> Text,
        created_at -> BigInt,
        expires_at -> Nullable<BigInt>,
        last_used_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// The append-only audit log.
    audit_log (at, id) {
        at -> BigInt,
        id -> Text,
        key_name -> Nullable<Text>,
        role -> Nullable<Text>,
        action -> Text,
        route -> Text,
        status -> Integer,
        units -> Text,
        record_count -> BigInt,
        record_ids -> Text,
        peer -> Nullable<Text>,
        target -> Nullable<Text>,
    }
}
