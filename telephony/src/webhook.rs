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

/// A webhook whose signature checked out: its form parameters.
#[derive(Debug, Clone)]
pub struct Signed {
    pub params: Vec<(String, String)>,
}

impl Signed {
    /// The first value of a parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A parameter that must be there.
    pub fn require(&self, name: &'static str) -> Result<&str, Rejected> {
        self.get(name)
            .filter(|v| !v.is_empty())
            .ok_or(Rejected::Missing(name))
    }
}

/// Why a webhook was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    #[error("missing X-Twilio-Signature")]
    NoSignature,
    #[error("invalid X-Twilio-Signature")]
    BadSignature,
    #[error("the body is not a readable form")]
    Body,
    #[error("missing parameter {0}")]
    Missing(&'static str),
}

impl IntoResponse for Rejected {
    fn into_response(self) -> Response {
        let status = match self {
            Rejected::NoSignature | Rejected::BadSignature => StatusCode::FORBIDDEN,
            Rejected::Body | Rejected::Missing(_) => StatusCode::BAD_REQUEST,
        };
        (status, self.to_string()).into_response()
    }
}

/// Largest webhook body accepted (Twilio's are a few kB).
const MAX_BODY: usize = 64 * 1024;

impl FromRequest<Telephony> for Signed {
    type Rejection = Rejected;

    async fn from_request(req: Request, state: &Telephony) -> Result<Signed, Rejected> {
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
        Ok(Signed { params })
    }
}
