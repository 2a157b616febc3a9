"""ConnectWise-shaped error responses raised by sandbox handlers."""

from __future__ import annotations

from typing import Any


class CWError(Exception):
    """An error the sandbox answers with `{"code","message","errors"}` and an HTTP status."""

    def __init__(
        self, status: int, code: str, message: str, errors: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        """The JSON body ConnectWise would send."""
        return {"code": self.code, "message": self.message, "errors": self.errors}


def not_found(resource: str, ident: object) -> CWError:
    """404 for a record that does not exist."""
    return CWError(404, "NotFound", f"{resource} {ident} not found")


def field_error(field: str, code: str, message: str, resource: str = "ticket") -> dict[str, Any]:
    """One entry of an InvalidObject `errors` list."""
    return {"code": code, "message": message, "resource": resource, "field": field}


def invalid(field: str, code: str, message: str, resource: str = "ticket") -> CWError:
    """400 InvalidObject with a single field error."""
    return invalid_many([field_error(field, code, message, resource)], resource)


def invalid_many(errors: list[dict[str, Any]], resource: str = "ticket") -> CWError:
    """400 InvalidObject carrying every field error found."""
    return CWError(400, "InvalidObject", f"{resource} object is invalid", errors)


def bad_request(message: str) -> CWError:
    """400 for a malformed query (conditions, orderBy, paging)."""
    return CWError(400, "ConnectWiseApi", message)
