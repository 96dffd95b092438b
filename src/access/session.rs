//! Dashboard sessions' tokens and cookie: what a session token looks like, the cookie that
//! carries it, and where it is accepted (the dashboard's pages only, never the API). Pure;
//! the pages (`crate::pages::session`) start and end sessions, the store keeps their hashes.

/// The session cookie's name.
pub const COOKIE: &str = "realdq_session";

/// How long a session lasts, in seconds.
pub const LIFETIME_SECONDS: i64 = 8 * 3600;

const PREFIX: &str = "rdqs_";

/// Whether the session cookie is accepted on `path`: the dashboard's pages only.
pub fn covers(path: &str) -> bool {
    path == "/dashboard" || path.starts_with("/dashboard/")
}

/// A new session token: `rdqs_` and the random part of a new key.
pub fn generate() -> String {
    format!("{PREFIX}{}", &super::key::generate()[4..])
}

/// Whether `token` has the form of a session token (anything else is never looked up).
pub fn check_form(token: &str) -> bool {
    token
        .strip_prefix(PREFIX)
        .is_some_and(|rest| rest.len() >= 32 && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The session token among a request's `Cookie` header values.
pub fn token_of<'a>(cookies: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    cookies
        .into_iter()
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == COOKIE).then_some(value.trim())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_token_is_found_among_cookies_and_checked_for_form() {
        let token = generate();
        assert!(check_form(&token));
        assert!(!check_form("rdq_not-a-session"));
        let header = format!("theme=dark; {COOKIE}={token}; other=1");
        assert_eq!(token_of([header.as_str()]), Some(token.as_str()));
        assert_eq!(token_of(["theme=dark"]), None);
        assert!(covers("/dashboard") && covers("/dashboard/records"));
        assert!(!covers("/dashboardx") && !covers("/v1/records"));
    }
}
