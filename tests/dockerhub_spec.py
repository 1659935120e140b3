"""Docker Hub's own API description, as the tests check requests and the fake's answers.

`tests/schemas/dockerhub-api.yaml` is an excerpt of Docker Hub's published OpenAPI document
(see `tests/schemas/NOTICE.dockerhub-api`); openapi-core validates against it every request
the client sends to a documented operation, and every answer the fake gives to one, so the
client and the fake are held to Docker Hub's description rather than to each other.

Three calls are not in that document. Their request shapes come from the one public client
that Docker ships for them, its Terraform provider (github:docker/terraform-provider-docker,
internal/hubclient/client_repository.go): `UpdateRepositoryRequest` (PATCH, our path is
hub-mcp's, see components/dockerhub_api.py), `SetRepositoryPrivacyRequest` (POST
`/v2/repositories/{ns}/{name}/privacy`, no trailing slash) and `DeleteRepository` (DELETE
`/v2/repositories/{ns}/{name}/`, no body). They are checked with jsonschema, against the
JSON types of those Go structs.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

SPEC = Path(__file__).parent / "schemas" / "dockerhub-api.yaml"
SERVER = "https://hub.docker.com"  # the document's `servers[0].url`

_UNDOCUMENTED: list[tuple[str, re.Pattern[str], dict[str, Any] | None]] = [
    (
        "PATCH",
        re.compile(r"^/v2/namespaces/[a-z0-9]+/repositories/[a-z0-9._-]+$"),
        {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": False,
            "properties": {
                "description": {"type": "string"},
                "full_description": {"type": "string"},
                "immutable_tags": {"type": "boolean"},
                "immutable_tags_rules": {"type": "string"},
            },
        },
    ),
    (
        "POST",
        re.compile(r"^/v2/repositories/[a-z0-9]+/[a-z0-9._-]+/privacy$"),
        {
            "type": "object",
            "required": ["is_private"],
            "additionalProperties": False,
            "properties": {"is_private": {"type": "boolean"}},
        },
    ),
    ("DELETE", re.compile(r"^/v2/repositories/[a-z0-9]+/[a-z0-9._-]+/$"), None),
]


def _string_keys(value: Any) -> Any:
    """YAML reads the document's unquoted status codes (`201:`) as integers; OpenAPI's are
    strings. Nothing else is changed."""
    if isinstance(value, dict):
        return {str(k): _string_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_string_keys(v) for v in value]
    return value


def document() -> dict[str, Any]:
    loaded = _string_keys(yaml.safe_load(SPEC.read_text(encoding="utf-8")))
    assert isinstance(loaded, dict)
    return loaded


@functools.cache
def api() -> OpenAPI:
    # The published document does not pass openapi-spec-validator as it is (GetRepository's
    # 200 answer has no `description`, which OpenAPI requires); `test_dockerhub_spec.py` pins
    # that down, so the operations are used as Docker publishes them.
    # None is how openapi-core (app.py, `check_spec`) turns that check off; its hints omit it.
    off = Config(spec_validator_cls=None)  # type: ignore[arg-type]
    return OpenAPI.from_dict(document(), config=off)


def _mock_request(method: str, path: str, headers: dict[str, str], body: bytes) -> MockRequest:
    return MockRequest(
        SERVER,
        method.lower(),
        path,
        headers=headers,
        data=body or None,
        content_type="application/json",
    )


def undocumented(method: str, path: str) -> bool:
    return any(m == method and p.match(path) for m, p, _ in _UNDOCUMENTED)


def request_problems(method: str, path: str, headers: dict[str, str], body: bytes) -> list[str]:
    """Why this request is not one Docker Hub describes (the document, or Terraform's shapes
    for the three undocumented calls); empty when it is."""
    for m, pattern, schema in _UNDOCUMENTED:
        if m == method and pattern.match(path):
            if schema is None:
                return [f"{method} {path} sends a body"] if body else []
            try:
                jsonschema.validate(json.loads(body or b"null"), schema)
            except (ValueError, jsonschema.ValidationError) as err:
                return [f"{method} {path}: {getattr(err, 'message', err)}"]
            return []
    try:
        api().validate_request(_mock_request(method, path, headers, body))
    except Exception as err:  # openapi-core's errors share no narrower base
        return [f"{method} {path}: {_explain(err)}"]
    return []


def response_problems(
    method: str, path: str, body: bytes, status: int, content_type: str
) -> list[str]:
    """Why this answer to a documented operation is not one the document describes."""
    if undocumented(method, path):
        return []
    request = _mock_request(method, path, {"Authorization": "Bearer x"}, b"")
    response = MockResponse(body, status_code=status, content_type=content_type)
    try:
        api().validate_response(request, response)
    except Exception as err:
        return [f"{method} {path} -> {status}: {_explain(err)}"]
    return []


def _explain(err: BaseException) -> str:
    causes = [str(e) for e in getattr(err.__cause__, "schema_errors", ())] or [str(err)]
    return f"{type(err).__name__}: {'; '.join(causes)}"
