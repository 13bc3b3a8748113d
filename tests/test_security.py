"""Passwords, ACL users and TLS against real servers; secrets never leak."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
import trustme

from harness import RedisServer, pick_port
from redis_pool_integrations import PoolRegistry

MakeRegistry = Callable[..., PoolRegistry]


def test_password_url_works_and_wrong_password_error_hides_it(
    server_factory: Callable[..., RedisServer],
    make_registry: MakeRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    server = server_factory("--requirepass", "right-pw")
    reg = make_registry(
        {
            "good": {"url": f"redis://:right-pw@127.0.0.1:{server.port}/0"},
            "bad": {"url": f"redis://:wrong-pw@127.0.0.1:{server.port}/0"},
        }
    )
    assert reg.get_redis("good").ping()
    with pytest.raises(redis.AuthenticationError) as info:
        reg.get_redis("bad").ping()
    for text in (str(info.value), repr(info.value), caplog.text, repr(reg.stats())):
        assert "wrong-pw" not in text
        assert "right-pw" not in text


def test_acl_user_in_the_url_is_the_user_at_the_server(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    redis_server.admin().acl_setuser(
        "app", enabled=True, passwords=["+app-pw"], keys=["*"], commands=["+@all"]
    )
    reg = make_registry({"default": {"url": f"redis://app:app-pw@127.0.0.1:{redis_server.port}/0"}})
    assert reg.get_redis().acl_whoami() == "app"
    assert [c["user"] for c in redis_server.clients()] == ["app"]
    assert "app-pw" not in repr(reg.stats())


@pytest.fixture
def tls_server(server_factory: Callable[..., RedisServer], tmp_path: Path) -> tuple[int, Path]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_file, cert_file, key_file = tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    port = pick_port()
    server_factory(
        "--tls-port",
        str(port),
        "--tls-cert-file",
        str(cert_file),
        "--tls-key-file",
        str(key_file),
        "--tls-ca-cert-file",
        str(ca_file),
        "--tls-auth-clients",
        "no",
    )
    return port, ca_file


def test_rediss_url_with_the_right_ca_works(
    tls_server: tuple[int, Path], make_registry: MakeRegistry
) -> None:
    port, ca_file = tls_server
    reg = make_registry(
        {"tls": {"url": f"rediss://127.0.0.1:{port}/0", "options": {"ssl_ca_certs": str(ca_file)}}}
    )
    assert reg.get_redis("tls").ping()
    assert reg.get_pool("tls").connection_class.__name__ == "SSLConnection"


def test_rediss_certificate_failure_fails_clearly(
    tls_server: tuple[int, Path], tmp_path: Path, make_registry: MakeRegistry
) -> None:
    port, _ = tls_server
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    reg = make_registry(
        {"tls": {"url": f"rediss://127.0.0.1:{port}/0", "options": {"ssl_ca_certs": str(other_ca)}}}
    )
    with pytest.raises(redis.ConnectionError, match="certificate verify failed"):
        reg.get_redis("tls").ping()
