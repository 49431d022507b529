//! The one error type of the HTTP API and its JSON form.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One offending message of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageError {
    /// Position in `batch` (0 for single-message endpoints).
    pub index: usize,
    /// The JSON field at fault (dotted path), empty for the whole message.
    pub field: String,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed or a message is invalid: nothing was stored.
    #[error("{message}")]
    BadRequest {
        message: String,
        errors: Vec<MessageError>,
    },
    /// Some messages were stored, these were not.
    #[error("{message}")]
    PartlyStored {
        message: String,
        stored: usize,
        errors: Vec<MessageError>,
    },
    #[error("missing or unknown write key")]
    Unauthorized,
    #[error("{0}")]
    NotFound(String),
    #[error("this key may not {0}")]
    Forbidden(&'static str),
    #[error("too many requests waiting to be stored; retry after {retry_after_secs} s")]
    Overloaded { retry_after_secs: u64 },
    /// A bug or a storage failure: details go to the log, not to the client.
    #[error("internal error: {0}")]
    Internal(String),
}

#[derive(Serialize)]
struct Body<'a> {
    success: bool,
    error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    stored: Option<usize>,
    #[serde(skip_serializing_if = "<[MessageError]>::is_empty")]
    errors: &'a [MessageError],
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, stored, errors) = match &self {
            ApiError::BadRequest { errors, .. } => {
                (StatusCode::BAD_REQUEST, None, errors.as_slice())
            }
            ApiError::PartlyStored { stored, errors, .. } => {
                (StatusCode::BAD_REQUEST, Some(*stored), errors.as_slice())
            }
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, None, &[][..]),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, None, &[][..]),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, None, &[][..]),
            ApiError::Overloaded { .. } => (StatusCode::TOO_MANY_REQUESTS, None, &[][..]),
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                let body = Body {
                    success: false,
                    error: "internal error".into(),
                    stored: None,
                    errors: &[],
                };
                return (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response();
            }
        };
        let body = Body {
            success: false,
            error: self.to_string(),
            stored,
            errors,
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let ApiError::Overloaded { retry_after_secs } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, retry_after_secs.into());
        }
        if matches!(self, ApiError::Unauthorized) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"tessera\""),
            );
        }
        response
    }
}

impl From<tessera_store::Error> for ApiError {
    fn from(e: tessera_store::Error) -> Self {
        ApiError::Internal(e.to_string())
    }
}
