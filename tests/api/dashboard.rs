//! The dashboard's sessions and headers over plain HTTP (the browser test drives the pages
//! themselves): the cookie's attributes, a session that ends with its key or at sign-out,
//! a cookie the API never takes, cross-site form posts refused, the pages' headers, and
//! the audit rows of signing in and out.

use crate::both;
use crate::helpers::{bare_record, TestApp};

fn plain() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs in with `key` from this site; returns the answer.
async fn sign_in(app: &TestApp, key: &str, origin: Option<&str>) -> reqwest::Response {
    let mut request = plain()
        .post(app.url("/dashboard/sign-in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("key={key}"));
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    request.send().await.unwrap()
}

/// `realdq_session=...` of a sign-in's answer.
fn session_of(response: &reqwest::Response) -> String {
    let cookie = response
        .headers()
        .get("set-cookie")
        .expect("a cookie")
        .to_str()
        .unwrap()
        .to_string();
    cookie.split(';').next().unwrap().to_string()
}

async fn get_with_cookie(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    plain()
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

fn this_site(app: &TestApp) -> String {
    app.url("").trim_end_matches('/').to_string()
}

both!(a_session_is_a_cookie_for_the_pages_only, |app| async move {
    app.store(&bare_record("MRN-1", "ED"), 201).await;
    let key = app.create_key("lead", "report", &[]).await;
    let origin = this_site(&app);
    let answer = sign_in(&app, &key, Some(&origin)).await;
    assert_eq!(answer.status().as_u16(), 303);
    assert_eq!(answer.headers()["location"], "/dashboard");
    let set = answer.headers()["set-cookie"].to_str().unwrap().to_string();
    for attribute in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/dashboard",
        "Max-Age=28800",
    ] {
        assert!(set.contains(attribute), "{set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP: {set}");
    assert!(!set.contains(&key), "the cookie is not the key");
    let cookie = session_of(&answer);

    // The pages take it, with their headers.
    let page = get_with_cookie(&app, "/dashboard", &cookie).await;
    assert_eq!(page.status().as_u16(), 200);
    let headers = page.headers().clone();
    assert_eq!(
        headers["content-security-policy"],
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    );
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "same-origin");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    let html = page.text().await.unwrap();
    assert!(html.contains("id=\"heatmap\""));
    assert!(!html.contains("<script"), "no script on a page");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing fetched from elsewhere"
    );

    // The API never takes it.
    for path in ["/v1/reports/completeness", "/v1/records"] {
        let api = get_with_cookie(&app, path, &cookie).await;
        assert_eq!(api.status().as_u16(), 401, "{path}");
    }

    // Values are escaped: a unit named like markup is text.
    let mut hostile = bare_record("MRN-2", "<b>ED</b>");
    hostile["unit"] = serde_json::json!("<script>x</script>");
    app.store(&hostile, 201).await;
    let html = get_with_cookie(&app, "/dashboard", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("<script>x"), "escaped");
    assert!(
        html.contains("&#60;script&#62;x&#60;/script&#62;"),
        "escaped text"
    );

    // Signing out ends it; the same cookie then goes to the sign-in form.
    let out = plain()
        .post(app.url("/dashboard/sign-out"))
        .header("cookie", &cookie)
        .header("origin", &origin)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 303);
    assert!(out.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let after = get_with_cookie(&app, "/dashboard", &cookie).await;
    assert_eq!(after.status().as_u16(), 303);
    assert_eq!(after.headers()["location"], "/dashboard/sign-in");

    // Signing in and out are audited, without the key.
    let audit = app.get_json("/v1/audit?limit=1000", 200).await;
    let text = audit.to_string();
    assert!(!text.contains(&key));
    let routes: Vec<(String, i64)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["route"].as_str().unwrap_or("").to_string(),
                r["status"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert!(
        routes.contains(&("POST /dashboard/sign-in".into(), 303)),
        "{routes:?}"
    );
    assert!(
        routes.contains(&("POST /dashboard/sign-out".into(), 303)),
        "{routes:?}"
    );
});

both!(a_session_ends_with_its_key, |app| async move {
    let key = app.create_key("short-lived", "report", &[]).await;
    let answer = sign_in(&app, &key, Some(&this_site(&app))).await;
    let cookie = session_of(&answer);
    assert_eq!(
        get_with_cookie(&app, "/dashboard", &cookie)
            .await
            .status()
            .as_u16(),
        200
    );
    let revoked = app
        .client
        .delete(app.url("/v1/keys/short-lived"))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status().as_u16(), 200);
    let after = get_with_cookie(&app, "/dashboard", &cookie).await;
    assert_eq!(after.status().as_u16(), 303, "revoked with its key");
});

both!(
    sign_in_refuses_bad_keys_other_sites_and_ingest_keys,
    |app| async move {
        let key = app.create_key("lead", "report", &[]).await;
        // From another site (a cross-site form): refused, no session.
        let forged = sign_in(&app, &key, Some("https://evil.example")).await;
        assert_eq!(forged.status().as_u16(), 403);
        assert!(forged.headers().get("set-cookie").is_none());
        let forged = plain()
            .post(app.url("/dashboard/sign-in"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "cross-site")
            .body(format!("key={key}"))
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status().as_u16(), 403);
        // An unknown key: the form again, 401, the key not echoed.
        let unknown = format!("rdq_{}", "Z".repeat(40));
        let answer = sign_in(&app, &unknown, None).await;
        assert_eq!(answer.status().as_u16(), 401);
        assert!(answer.headers().get("set-cookie").is_none());
        let html = answer.text().await.unwrap();
        assert!(html.contains("not valid") && !html.contains(&unknown));
        // A form that cannot be read: a page naming what is wrong.
        for (content_type, body, status, says) in [
            (
                "application/x-www-form-urlencoded",
                "x=1".to_string(),
                422,
                "<strong>key</strong>",
            ),
            (
                "application/json",
                format!("{{\"key\":\"{key}\"}}"),
                415,
                "415",
            ),
            (
                "application/x-www-form-urlencoded",
                format!("key={}", "k".repeat(10_000)),
                413,
                "413",
            ),
        ] {
            let answer = plain()
                .post(app.url("/dashboard/sign-in"))
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status().as_u16(), status, "{content_type}");
            assert_eq!(answer.headers()["content-type"], "text/html; charset=utf-8");
            assert!(answer.headers().get("set-cookie").is_none());
            let html = answer.text().await.unwrap();
            assert!(html.contains(says) && !html.contains(&key), "{html}");
        }
        // An ingest key opens no dashboard.
        let feed = app.create_key("feed", "ingest", &[]).await;
        let answer = sign_in(&app, &feed, None).await;
        assert_eq!(answer.status().as_u16(), 403);
        assert!(answer.headers().get("set-cookie").is_none());
        // A sign-out from another site is refused too.
        let cookie = session_of(&sign_in(&app, &key, None).await);
        let out = plain()
            .post(app.url("/dashboard/sign-out"))
            .header("cookie", &cookie)
            .header("origin", "https://evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(out.status().as_u16(), 403);
        assert_eq!(
            get_with_cookie(&app, "/dashboard", &cookie)
                .await
                .status()
                .as_u16(),
            200
        );
        // A made-up session is no session.
        let made_up = format!("realdq_session=rdqs_{}", "Q".repeat(40));
        assert_eq!(
            get_with_cookie(&app, "/dashboard", &made_up)
                .await
                .status()
                .as_u16(),
            303
        );
    }
);

both!(
    a_page_refused_or_asked_wrongly_answers_with_a_page,
    |app| async move {
        app.store(&bare_record("MRN-1", "ED"), 201).await;
        let desk = app.create_key("desk", "feedback", &["ED"]).await;
        let page = app
            .client_for(Some(&desk))
            .get(app.url("/dashboard/units/ED"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status().as_u16(), 403);
        assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
        assert!(page.headers().contains_key("content-security-policy"));
        let html = page.text().await.unwrap();
        assert!(
            html.contains("403 Forbidden") && html.contains("feedback role"),
            "{html}"
        );
        let page = app.get("/dashboard/trend?domain=height").await;
        assert_eq!(page.status().as_u16(), 422);
        let html = page.text().await.unwrap();
        assert!(html.contains("<strong>domain</strong>"), "{html}");
        let page = app.get("/dashboard/units/NOWHERE").await;
        assert_eq!(page.status().as_u16(), 404);
        assert!(page.text().await.unwrap().contains("404 Not Found"));
        // The API still answers in JSON.
        let api = app
            .client_for(Some(&desk))
            .get(app.url("/v1/alerts"))
            .send()
            .await
            .unwrap();
        assert_eq!(api.status().as_u16(), 403);
        assert!(api.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
    }
);
