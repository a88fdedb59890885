"""The query service's expected failures, in the shared `{"error", "detail"}` shape."""

from __future__ import annotations

from services.contracts.errors import ApiError

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
# projects.id is a PostgreSQL integer: an id outside it names no project (and asyncpg
# would refuse to send it), whatever a validly signed token claims.
PROJECT_IDS = range(1, 2**31)


def invalid_parameter(name: str, message: str) -> ApiError:
    """400 naming the parameter first, so a person and a program both see which one."""
    return ApiError(400, "invalid_parameter", f"{name}: {message}")


def invalid_token(message: str) -> ApiError:
    return ApiError(401, "invalid_token", message, BEARER_CHALLENGE)


def forbidden_project(project_id: int) -> ApiError:
    return ApiError(403, "forbidden_project", f"the token does not grant project {project_id}")


def check_project_id(project_id: int) -> None:
    if project_id not in PROJECT_IDS:
        raise ApiError(404, "not_found", f"there is no project {project_id}")
