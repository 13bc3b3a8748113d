"""Passwords, ACL users and TLS against real servers; secrets never leak."""

from __future__ import annotations

import io
import json
import logging
import re
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import redis
import trustme

from harness import RedisServer, pick_port
from redis_pool_integrations import PoolConfigError, PoolRegistry

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


# -- one secret, every spelling, every surface -------------------------------------

# Raw delimiters on purpose: '/', '?', '#' and '@' all break naive URL handling.
SECRET = "Zq7Lp/Kx9Wm?Vb4Nt#Hj2Rc@Ty8Qs"
WRONG = "Gz5Yd/Mc3Fa?Ue6Jk#Pw1Bn@Lo4Xr"
# Long enough that finding one in output cannot be chance; each spans no delimiter.
PIECES = re.split(r"[/?#@]", SECRET)
WRONG_PIECES = re.split(r"[/?#@]", WRONG)


def assert_no_secret(*texts: object) -> None:
    for text in texts:
        shown = text if isinstance(text, str) else repr(text)
        for piece in PIECES + WRONG_PIECES:
            assert piece not in shown, f"{piece!r} leaked in: {shown[:300]}"
        for encoded in (quote(SECRET, safe=""), quote(WRONG, safe="")):
            assert encoded[:8] not in shown, shown[:300]


def exception_texts(exc: BaseException) -> list[str]:
    """Every way an exception and its causes reach a person: str, repr, traceback."""
    texts = ["".join(traceback.format_exception(exc))]
    seen: BaseException | None = exc
    while seen is not None:
        texts += [str(seen), repr(seen), repr(seen.args)]
        seen = seen.__cause__ or seen.__context__
    return texts


def ping_error(client: redis.Redis) -> redis.RedisError | None:
    try:
        client.ping()
    except redis.RedisError as exc:
        return exc
    return None


@pytest.fixture
def secret_server(server_factory: Callable[..., RedisServer]) -> RedisServer:
    """A server whose default user and ACL user 'app' both have the password SECRET."""
    server = server_factory("--requirepass", SECRET)
    server.admin().acl_setuser(
        "app", enabled=True, passwords=[f"+{SECRET}"], keys=["*"], commands=["+@all"]
    )
    return server


def spellings(port: int, dead_port: int, tmp: Path) -> dict[str, dict[str, Any]]:
    """The secret in every place a user can put it (core spelling), live and dead."""
    enc, wrong = quote(SECRET, safe=""), quote(WRONG, safe="")
    host = f"127.0.0.1:{port}"
    return {
        "userinfo": {"url": f"redis://:{enc}@{host}/0"},
        "acl_user": {"url": f"redis://app:{enc}@{host}/1"},
        "query": {"url": f"redis://{host}/0?password={enc}"},
        "options": {"url": f"redis://{host}/0", "options": {"password": SECRET}},
        "acl_options": {"url": f"redis://app@{host}/0", "options": {"password": SECRET}},
        "wrong_userinfo": {"url": f"redis://:{wrong}@{host}/0"},
        "wrong_options": {"url": f"redis://{host}/0", "options": {"password": WRONG}},
        "dead_userinfo": {
            "url": f"redis://app:{enc}@127.0.0.1:{dead_port}/0",
            "options": {"socket_connect_timeout": 1},
        },
        "dead_unix_query": {
            "url": f"unix://{tmp}/no.sock?password={enc}&db=0",
            "options": {"socket_connect_timeout": 1},
        },
    }


LIVE = ("userinfo", "acl_user", "query", "options", "acl_options")


def upper(config: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {alias: {k.upper(): v for k, v in s.items()} for alias, s in config.items()}


def test_one_secret_in_every_spelling_never_reaches_core_output(
    secret_server: RedisServer,
    make_registry: MakeRegistry,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, redis-py's included
    config = spellings(secret_server.port, pick_port(), tmp_path)
    reg = make_registry(config)
    texts: list[object] = [repr(reg)]
    for alias in config:
        texts += [reg.settings(alias), reg.lazy_redis(alias)]
        client = reg.get_redis(alias)
        error = ping_error(client)
        assert (error is None) == (alias in LIVE), (alias, error)
        if error is not None:
            texts += exception_texts(error)
        pool = reg.get_pool(alias)
        texts += [pool, client, pool.connection_kwargs.keys()]
        if alias in LIVE:
            conn = pool.get_connection()
            texts.append(conn)
            pool.release(conn)
    assert reg.get_redis("acl_user").acl_whoami() == "app"
    texts += [json.dumps(reg.stats()), reg.ping(), reg.ping(timeout=1)]
    assert {a for a, error in reg.ping().items() if error is None} == set(LIVE)
    reg.close_all()
    assert_no_secret(*texts, caplog.text)


@pytest.mark.parametrize(
    "raw",
    [
        {"url": f"redis://:{SECRET}@127.0.0.1:6379/0"},
        {"url": f"redis://app:{SECRET}@127.0.0.1:6379/0"},
        {"url": f"redis://127.0.0.1:6379/0?password={SECRET}"},
        {"url": f"unix:///tmp/r.sock?password={quote(SECRET)}", "options": {"password": WRONG}},
        {"url": f"redis://:{quote(SECRET)}@127.0.0.1:6379/0", "options": {"password": WRONG}},
        {"url": f"redis://:{quote(SECRET)}@127.0.0.1:0/x", "max_connections": SECRET},
        {"url": "redis://h/0", "options": {"password": 7, "ssl_password": SECRET}},
        {"url": f"redis://:{quote(SECRET)}@h/0", "options": {"client_name": SECRET}},
    ],
)
def test_config_errors_never_show_the_secret(raw: dict[str, Any]) -> None:
    with pytest.raises(PoolConfigError) as info:
        PoolRegistry({"default": raw})
    assert_no_secret(*exception_texts(info.value), *info.value.problems)


def test_django_checks_command_and_example_never_show_the_secret(
    secret_server: RedisServer,
    settings: Any,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError, SystemCheckError
    from django.test import Client

    caplog.set_level(logging.DEBUG)
    settings.REDIS_POOLS = {
        "default": {
            "URL": secret_server.url.replace("redis://", f"redis://:{quote(SECRET, safe='')}@")
        },
        **upper(spellings(secret_server.port, pick_port(), tmp_path)),
    }
    texts: list[object] = []
    for args in (["check"], ["check", "--deploy"], ["redis_pools", "--json", "--ping"]):
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command(*args, stdout=out, stderr=err)
        except (SystemCheckError, CommandError) as exc:
            texts += exception_texts(exc)
        texts += [out.getvalue(), err.getvalue()]
    client = Client()
    assert client.get("/hits").status_code == 200
    pools, health = client.get("/pools"), client.get("/health")
    assert health.status_code == 503  # the wrong and dead aliases
    texts += [pools.content.decode(), health.content.decode()]
    # An invalid spelling (raw delimiters): the checks and /health report it, masked.
    settings.REDIS_POOLS = {"default": {"URL": f"redis://:{SECRET}@127.0.0.1:6379/0"}}
    out = io.StringIO()
    with pytest.raises(SystemCheckError) as info:
        call_command("check", stdout=out, stderr=out)
    texts += [out.getvalue(), *exception_texts(info.value), client.get("/health").content]
    assert_no_secret(*texts, caplog.text)


def test_flask_cli_and_example_never_show_the_secret(
    secret_server: RedisServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from flask import Flask

    import example_flask
    from redis_pool_integrations.flask import RedisPools

    caplog.set_level(logging.DEBUG)
    config = upper(spellings(secret_server.port, pick_port(), tmp_path))
    url = secret_server.url.replace("redis://", f"redis://:{quote(SECRET, safe='')}@")
    app = example_flask.create_app({"REDIS_URL": url, "REDIS_POOLS": config})
    texts: list[object] = []
    try:
        web = app.test_client()
        assert web.get("/hits").status_code == 200
        pools, health = web.get("/pools"), web.get("/health")
        assert health.status_code == 503
        texts += [pools.get_data(as_text=True), health.get_data(as_text=True)]
        runner = app.test_cli_runner()
        for args in (["redis-pools", "stats", "--json"], ["redis-pools", "stats"]):
            texts.append(runner.invoke(args=args).output)
        result = runner.invoke(args=["redis-pools", "ping", "--timeout", "1"])
        assert result.exit_code == 1
        texts.append(result.output)
    finally:
        example_flask.redis_pools.get_registry(app=app).close_all()
    bad = Flask("bad")
    bad.config["REDIS_URL"] = f"redis://:{SECRET}@127.0.0.1:6379/0"
    with pytest.raises(PoolConfigError) as info:
        RedisPools(bad)
    texts += exception_texts(info.value)
    assert_no_secret(*texts, caplog.text)
