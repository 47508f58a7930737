"""Focused checks of the small parsers behind PC203 and PC204."""
from __future__ import annotations

import pytest

from prodcheck.rules.container.database_port_published import is_loopback, parse_port
from prodcheck.rules.container.unpinned_image import unpinned_tag


@pytest.mark.parametrize(
    ("text", "ip", "host", "container"),
    [
        ("5432:5432", None, "5432", "5432"),
        ("5432", None, None, "5432"),
        ("127.0.0.1:5432:5432", "127.0.0.1", "5432", "5432"),
        ("[::1]:5432:5432/tcp", "::1", "5432", "5432"),
        ("${BIND:-127.0.0.1}:5432:5432", "127.0.0.1", "5432", "5432"),
        ("${DB_PORT}:5432", None, "${DB_PORT}", "5432"),
    ],
)
def test_parse_port(text: str, ip: str | None, host: str | None, container: str) -> None:
    published = parse_port(text)
    assert published is not None
    assert (published.host_ip, published.host_port, published.container_port) == (ip, host, container)


def test_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback(None)


@pytest.mark.parametrize(
    ("reference", "state"),
    [
        ("postgres", "untagged"),
        ("registry.example.com:5000/api", "untagged"),
        ("registry.example.com/catalog:latest", "latest"),
        ("registry.example.com/catalog:1.4.2", None),
        ("python:3.12-slim@sha256:abc", None),
        ("redis@sha256:abc", None),
        ("api:${TAG}", None),
    ],
)
def test_unpinned_tag(reference: str, state: str | None) -> None:
    assert unpinned_tag(reference) == state
