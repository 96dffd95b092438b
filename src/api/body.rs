//! Reading request bodies with a size cap and a content-type check, answering 413 and 415
//! in the error envelope (actix's own payload errors would not be).

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;

use super::error::ApiError;

/// Rejects a request whose Content-Type is missing or not one of `accepted`: a write needs
/// its own type, which a page on another site cannot send without a CORS preflight.
pub fn require_content_type(
    req: &HttpRequest,
    accepted: &[&str],
    expected: &'static str,
) -> Result<(), ApiError> {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return Err(ApiError::UnsupportedMediaType(expected));
    };
    let essence = value
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if accepted.contains(&essence.as_str()) {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(expected))
    }
}

/// The declared Content-Length, if any.
pub fn content_length(req: &HttpRequest) -> Option<u64> {
    req.headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// Reads the whole body, refusing more than `limit` bytes.
pub async fn read_limited(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::Bytes, ApiError> {
    let too_large = || ApiError::PayloadTooLarge(format!("a record may be at most {limit} bytes"));
    let declared = content_length(req);
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large());
    }
    // Sized once from the declared length: growing by doubling would copy a large body
    // several times and briefly hold one and a half times its size.
    let mut body = web::BytesMut::with_capacity(declared.map_or(0, |length| length as usize));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::InvalidJson(vec![]))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
