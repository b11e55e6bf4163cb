//! API tokens: random, shown once, stored only as a SHA-256 hash.
//!
//! A token is 32 random bytes, so a fast hash is enough (passwords, which are
//! guessable, get argon2 in the web login). The extractor runs before any
//! handler: a handler that takes [`Authed`] cannot run unauthenticated.

use akutlinje_core::person::{Person, Role};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::app::AppState;

/// A new random token, with its prefix.
pub fn new_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    format!("akl_{}", hex::encode(b))
}

/// The stored form of a token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// An authenticated person.
#[derive(Debug, Clone)]
pub struct Authed(pub Person);

impl Authed {
    /// Refuses (403) unless the person has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.0.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

/// Errors of the HTTP API, each mapped to a status and a short JSON body.
/// Bodies never say whether a resident or case exists to someone who may not know.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401: no token, or one that is not valid.
    #[error("missing or invalid API token")]
    Unauthorized,
    /// 403: the role may not do this.
    #[error("your role may not do this")]
    Forbidden,
    /// 404 (also for what the caller may not know exists).
    #[error("not found")]
    NotFound,
    /// 422: the request is understood but wrong.
    #[error("{message}")]
    Invalid {
        /// What is wrong.
        message: String,
        /// Per field, where there is more to say.
        details: Option<serde_json::Value>,
    },
    /// 503: the database is away; try again.
    #[error("the database is unavailable; try again")]
    Unavailable,
    /// 500: logged with its cause, answered without it.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(e) => {
                tracing::error!(error.cause_chain = ?e, "request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let mut body = serde_json::json!({ "error": self.to_string() });
        if let ApiError::Invalid {
            details: Some(d), ..
        } = &self
        {
            body["details"] = d.clone();
        }
        let mut resp = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}

impl From<akutlinje_core::store::StoreError> for ApiError {
    fn from(e: akutlinje_core::store::StoreError) -> Self {
        use akutlinje_core::store::StoreError;
        match e {
            StoreError::NotFound(_) => ApiError::NotFound,
            StoreError::UnknownHome(h) => ApiError::Invalid {
                message: format!("unknown home {h}"),
                details: None,
            },
            StoreError::Conflict(m) => ApiError::Invalid {
                message: m,
                details: None,
            },
            StoreError::Database(_) => {
                tracing::error!(error.cause_chain = ?e, "database error");
                ApiError::Unavailable
            }
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<akutlinje_core::service::ServiceError> for ApiError {
    fn from(e: akutlinje_core::service::ServiceError) -> Self {
        use akutlinje_core::service::ServiceError;
        match e {
            ServiceError::Store(s) => s.into(),
            ServiceError::NotAllowed => ApiError::Forbidden,
            ServiceError::UnknownCase => ApiError::NotFound,
            ServiceError::BadInput(m) => ApiError::Invalid {
                message: m,
                details: None,
            },
            ServiceError::Busy => ApiError::Unavailable,
        }
    }
}

/// A query string parsed into `T`; a bad one is a 422 naming the field
/// (`limit: invalid digit found in string`), in the API's JSON shape.
#[derive(Debug, Clone)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|e| ApiError::Invalid {
                // "limit: invalid digit found in string"
                message: format!("{}: {}", e.path(), e.inner()),
                details: None,
            })
    }
}

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 200)
            .ok_or(ApiError::Unauthorized)?;
        let person = state
            .store
            .person_by_token(&hash_token(token))
            .await?
            .ok_or(ApiError::Unauthorized)?;
        tracing::Span::current().record("person", person.id.as_str());
        Ok(Authed(person))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token();
        assert!(a.starts_with("akl_") && a.len() == 68);
        assert_ne!(a, new_token());
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), a);
    }
}
