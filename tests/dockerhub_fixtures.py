"""Fixtures for the tests that talk to the fake Docker Hub: a test module names this file in
`pytest_plugins` and gets `server` (127.0.0.1, one per module), `hub` (a fresh `FakeHub` with
the credentials and API URL in the environment, and the tests' `HttpPolicy`) and `sleeps`
(urllib3's waits between retries, recorded instead of slept)."""

from __future__ import annotations

import re
import time
import types
from collections.abc import Iterator

import pytest
import urllib3.util.retry
from pytest_httpserver import HTTPServer

from components import dockerhub_api
from tests import dockerhub_spec
from tests.fake_dockerhub import POLICY, TOKEN, USERNAME, FakeHub


@pytest.fixture(scope="module")
def server() -> Iterator[HTTPServer]:
    # Loaded before the first request, or its cost would count against the client's timeouts.
    dockerhub_spec.api()
    # Threaded: a request held back to provoke a client timeout must not block the retry.
    srv = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    srv.start()
    yield srv
    srv.clear()
    srv.stop()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits urllib3 asked for between retries (recorded instead of slept)."""
    recorded: list[float] = []
    clock = types.SimpleNamespace(sleep=recorded.append, time=time.time)
    monkeypatch.setattr(urllib3.util.retry, "time", clock)
    return recorded


@pytest.fixture
def hub(
    server: HTTPServer, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]
) -> Iterator[FakeHub]:
    fake = FakeHub()
    server.clear()
    server.expect_request(re.compile(".*")).respond_with_handler(fake.handle)
    monkeypatch.setenv("DOCKERHUB_API_URL", server.url_for("/").rstrip("/"))
    monkeypatch.setenv("DOCKERHUB_USERNAME", USERNAME)
    monkeypatch.setenv("DOCKERHUB_TOKEN", TOKEN)
    monkeypatch.setattr(dockerhub_api, "DEFAULT_POLICY", POLICY)
    yield fake
    # Every request the client sent is one Docker Hub describes, and so is every answer the
    # fake gave to a documented operation (tests/dockerhub_spec.py).
    assert fake.violations() == []
