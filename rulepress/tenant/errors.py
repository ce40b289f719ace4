"""The Management API's error answers: one exception type and the real envelopes."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


class ApiError(Exception):
    """An error answer in the Management API envelope `{statusCode, error, message, errorCode?}`."""

    def __init__(self, status: int, message: str, error_code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "statusCode": self.status,
            "error": reason(self.status),
            "message": self.message,
        }
        if self.error_code is not None:
            out["errorCode"] = self.error_code
        return out


class OAuthError(Exception):
    """An error answer of /oauth/token: `{error, error_description}`."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, Any]:
        return {"error": self.error, "error_description": self.description}


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def invalid_body(detail: str, prop: str | None = None) -> ApiError:
    where = f" on property {prop}" if prop else ""
    return ApiError(400, f"Payload validation error: '{detail}'{where}.", "invalid_body")


def invalid_query(detail: str, prop: str) -> ApiError:
    return ApiError(
        400, f"Query validation error: '{detail}' on property {prop}.", "invalid_query_string"
    )


def invalid_path(detail: str, prop: str) -> ApiError:
    return ApiError(400, f"Path validation error: '{detail}' on property {prop}.", "invalid_uri")


def not_found(message: str, error_code: str | None = None) -> ApiError:
    return ApiError(404, message, error_code)


def conflict(message: str) -> ApiError:
    return ApiError(409, message)
