//! The extractor every Twilio webhook goes through: it rebuilds the URL
//! Twilio requested from the configured public URL, reads the form, and
//! checks X-Twilio-Signature. A handler only ever sees a [`Signed`] request;
//! anything else is answered 403 before it, and logged without its body.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::signature;
use crate::Telephony;

/// A webhook whose signature checked out, its form read as `T` (one of
/// [`crate::forms`]). A handler that takes `Signed<T>` cannot run on an
/// unverified request, nor on one without the fields `T` requires.
#[derive(Debug, Clone)]
pub struct Signed<T = NoFields>(pub T);

/// A form whose fields the handler does not read (it is still signed).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct NoFields {}

/// Why a webhook was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    /// No signature header.
    #[error("missing X-Twilio-Signature")]
    NoSignature,
    /// A signature that does not match.
    #[error("invalid X-Twilio-Signature")]
    BadSignature,
    /// A body too large or unreadable.
    #[error("the body is not a readable form")]
    Body,
    /// A field the webhook needs is missing or malformed (serde's words,
    /// which name the field and never echo its value).
    #[error("bad form: {0}")]
    Form(String),
    /// A query parameter of our own callback URL is missing.
    #[error("missing parameter {0}")]
    Missing(&'static str),
}

impl IntoResponse for Rejected {
    fn into_response(self) -> Response {
        let status = match self {
            Rejected::NoSignature | Rejected::BadSignature => StatusCode::FORBIDDEN,
            Rejected::Body | Rejected::Form(_) | Rejected::Missing(_) => StatusCode::BAD_REQUEST,
        };
        (status, self.to_string()).into_response()
    }
}

/// Largest webhook body accepted (Twilio's are a few kB).
const MAX_BODY: usize = 64 * 1024;

impl<T: serde::de::DeserializeOwned> FromRequest<Telephony> for Signed<T> {
    type Rejection = Rejected;

    async fn from_request(req: Request, state: &Telephony) -> Result<Signed<T>, Rejected> {
        let path = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        // X-Twilio-Webhooks-Signature-Settings is not read: the algorithm
        // is the configured one, never the one the request names.
        let (given, is_form) = {
            let header = |name: &str| {
                req.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            (
                header(signature::SIGNATURE_HEADER),
                header("content-type")
                    .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded")),
            )
        };
        let body = Bytes::from_request(req, &())
            .await
            .map_err(|_| Rejected::Body)?;
        let url = state.public(&path);
        let refuse = |why: Rejected| {
            // The path only: the body and the query may hold phone numbers.
            let path_only = path.split('?').next().unwrap_or_default().to_string();
            tracing::warn!(path = %path_only, reason = %why, "Twilio webhook refused");
            why
        };
        let Some(given) = given else {
            return Err(refuse(Rejected::NoSignature));
        };
        if body.len() > MAX_BODY {
            return Err(refuse(Rejected::Body));
        }
        let params: Vec<(String, String)> = if is_form || !body.is_empty() {
            form_urlencoded::parse(&body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        } else {
            Vec::new()
        };
        let (alg, key) = state.webhook_key();
        if !signature::verify(key.as_bytes(), &url, &params, &given, alg) {
            return Err(refuse(Rejected::BadSignature));
        }
        // The same bytes the signature was checked over.
        let form = serde_urlencoded::from_bytes::<T>(&body)
            .map_err(|e| refuse(Rejected::Form(e.to_string())))?;
        Ok(Signed(form))
    }
}
