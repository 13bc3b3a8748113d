"""The rules for redis-py's connection and pool options: one entry per option.

Each entry of :data:`OPTION_RULES` says what one option accepts (for
messages and the configuration reference) and converts a value (a number or
a boolean written as a string, as settings read from the environment are,
becomes a number or a boolean) or refuses it with the problem code that says
why: E101 wrong type, E102 out of range, E103 not a value redis-py knows,
E104 an option that is not the user's to set. The same rules check
``options`` and the URL's query parameters.
"""

from __future__ import annotations

import codecs
import functools
import importlib
import inspect
import math
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis.connection
from redis.credentials import CredentialProvider
from redis.retry import Retry

__all__ = [
    "CACHE_NEEDS_RESP3",
    "DEPRECATED_OPTIONS",
    "OPTION_RULES",
    "POOL_OPTIONS",
    "REDIS_DEFAULT_SOCKET_TIMEOUT",
    "SCHEMES",
    "SCHEME_CLASSES",
    "TIMEOUT_MAX",
    "URL_OPTIONS",
    "Refused",
    "Rule",
    "accepted_options",
    "to_number",
]

#: The longest wait (seconds) the platform's locks accept; a longer wait
#: raises OverflowError in the first caller that waits.
TIMEOUT_MAX = threading.TIMEOUT_MAX
#: The ``socket_timeout`` a connection of the installed redis-py gets when none is
#: given: ``None`` (wait for ever) up to redis-py 7, 5 seconds in redis-py 8.
REDIS_DEFAULT_SOCKET_TIMEOUT: float | None = (
    inspect.signature(redis.connection.AbstractConnection.__init__)
    .parameters["socket_timeout"]
    .default
)
SCHEMES = ("redis", "rediss", "unix")
#: Options that come from the URL; accepting them twice would make one silently win.
URL_OPTIONS = ("host", "port", "path")


class Refused(Exception):
    """A value a rule does not accept: ``code`` says why."""

    def __init__(self, code: str) -> None:
        self.code = code


@dataclass(frozen=True)
class Rule:
    """What one redis-py option accepts: ``expected`` for messages and docs, ``convert``."""

    expected: str
    convert: Callable[[Any], Any]
    #: Its value is a secret: never echoed in a message.
    secret: bool = False


_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


def to_number(value: Any, *, integer: bool) -> int | float:
    if isinstance(value, bool):
        raise Refused("E101")
    if isinstance(value, str):
        # Settings read from the environment arrive as strings.
        try:
            value = int(value.strip()) if integer else float(value.strip())
        except ValueError:
            raise Refused("E101") from None
    if integer and not isinstance(value, int):
        raise Refused("E101")
    if not isinstance(value, (int, float)):
        raise Refused("E101")
    if isinstance(value, float) and not math.isfinite(value):
        raise Refused("E102")
    return value


def number(
    low: float,
    high: float | None = None,
    *,
    integer: bool = False,
    exclusive: bool = False,
    none: bool = True,
) -> Rule:
    """A number in ``[low, high]`` (``(low, high]`` if ``exclusive``), or ``None`` if ``none``."""
    kind = "an integer" if integer else "a number"
    op = ">" if exclusive else ">="
    top = "threading.TIMEOUT_MAX" if high == TIMEOUT_MAX else f"{high or 0:.0f}"
    bound = f" {op} {low:g}" + (f" and <= {top}" if high is not None else "")

    def convert(value: Any) -> Any:
        if value is None and none:
            return None
        n = to_number(value, integer=integer)
        if n < low or (exclusive and n == low) or (high is not None and n > high):
            raise Refused("E102")
        return n

    return Rule(f"{kind}{bound}" + (", or None" if none else ""), convert)


def boolean() -> Rule:
    """``True``/``False``; also ``0``/``1`` and strings like ``"true"``/``"no"``."""

    def convert(value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise Refused("E101")

    return Rule("True or False", convert)


def string(*, secret: bool = False, data: bool = False) -> Rule:
    """A string or ``None`` (``data``: bytes too)."""
    kinds = (str, bytes) if data else (str,)

    def convert(value: Any) -> Any:
        if value is not None and not isinstance(value, kinds):
            raise Refused("E101")
        return value

    return Rule(
        "a string or bytes, or None" if data else "a string, or None", convert, secret=secret
    )


def instance(*classes: type[Any], what: str, callable_ok: bool = False) -> Rule:
    """An instance of ``classes`` (or a callable if ``callable_ok``), or ``None``."""

    def convert(value: Any) -> Any:
        if value is None or isinstance(value, classes) or (callable_ok and callable(value)):
            return value
        raise Refused("E101")

    return Rule(f"{what}, or None", convert)


def subclass(base: type[Any], what: str) -> Rule:
    """A class derived from ``base``."""

    def convert(value: Any) -> Any:
        if isinstance(value, type) and issubclass(value, base):
            return value
        raise Refused("E101")

    return Rule(what, convert)


def choice(what: str, check: Callable[[Any], Any], *, none: bool = True) -> Rule:
    """A value ``check`` converts (or ``None`` if ``none``); anything it raises means unknown."""

    def convert(value: Any) -> Any:
        if value is None and none:
            return None
        try:
            return check(value)
        except (LookupError, ValueError, TypeError):
            raise Refused("E103") from None

    return Rule(what + (", or None" if none else ""), convert)


def anything(what: str = "any value") -> Rule:
    """Passed to redis-py as given (objects this library cannot check further)."""
    return Rule(what, lambda value: value)


def duck(what: str, *methods: str) -> Rule:
    """An object with callable ``methods`` (redis-py calls them without checking), or ``None``."""

    def convert(value: Any) -> Any:
        if value is None or all(callable(getattr(value, m, None)) for m in methods):
            return value
        raise Refused("E101")

    return Rule(f"{what}, or None", convert)


def refused(fix: str) -> Rule:
    """An option that has its own key or that this library sets itself (E104)."""

    def convert(value: Any) -> Any:
        raise Refused("E104")

    return Rule(fix, convert)


def _protocol(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(value)
    number_ = int(value)  # "3" from the environment is 3
    if number_ not in (2, 3) or (isinstance(value, float) and value != number_):
        raise ValueError(value)
    return number_


def _cert_reqs(value: Any) -> Any:
    if isinstance(value, ssl.VerifyMode):
        return value
    if isinstance(value, str) and value.strip().lower() in ("none", "optional", "required"):
        return value.strip().lower()
    raise ValueError(value)


def _codec(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    # rot13 or hex are codecs too, but not text encodings: encoding a command fails.
    if not getattr(codecs.lookup(value), "_is_text_encoding", True):
        raise LookupError(value)
    return value


def _codec_errors(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    codecs.lookup_error(value)
    return value


def _tls_version(value: Any) -> ssl.TLSVersion:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, str):
        names = {m.name.upper(): m for m in ssl.TLSVersion}
        value = int(value) if value.strip().isdigit() else names[value.strip().upper()]
    return ssl.TLSVersion(value)


def _error_classes(value: Any) -> Any:
    if isinstance(value, (list, tuple)) and all(
        isinstance(c, type) and issubclass(c, BaseException) for c in value
    ):
        return list(value)
    raise TypeError(value)


def _socket_type(value: Any) -> int:
    if isinstance(value, bool) or int(value) not in (0, socket.SOCK_STREAM):
        raise ValueError(value)
    return int(value)


def _verify_flags(value: Any) -> list[ssl.VerifyFlags]:
    if isinstance(value, str):
        value = value.strip("[]").split(",")  # redis-py's URL spelling
    if not isinstance(value, (list, tuple)):
        raise TypeError(value)
    return [
        flag if isinstance(flag, ssl.VerifyFlags) else ssl.VerifyFlags[str(flag).strip()]
        for flag in value
    ]


def _redis_instance(module: str, name: str) -> Rule:
    """An instance of redis-py's ``module.name``, or ``None``; anything on a redis-py without it."""
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return anything(f"a redis-py {name}")
    return instance(cls, what=f"a redis-py {name}")


_SECONDS = number(0, TIMEOUT_MAX, exclusive=True)
CACHE_NEEDS_RESP3 = ("cache", "cache_config", "cache_factory")

#: One rule per option the installed redis-py's connection classes and pool
#: constructors accept (a test keeps this table complete). Options redis-py
#: adds later are passed through unchecked until they get a rule here.
OPTION_RULES: dict[str, Rule] = {
    # -- AbstractConnection
    "db": number(0, integer=True, none=False),
    "password": string(secret=True),
    "username": string(),
    "socket_timeout": _SECONDS,
    "socket_connect_timeout": _SECONDS,
    "retry_on_timeout": boolean(),
    "retry_on_error": choice("a list of exception classes", _error_classes, none=False),
    "encoding": choice("a codec name such as 'utf-8'", _codec, none=False),
    "encoding_errors": choice("a codec error handler such as 'strict'", _codec_errors, none=False),
    "decode_responses": boolean(),
    "parser_class": subclass(object, "a redis-py parser class"),
    # redis-py allocates a buffer this size for every read: cap it at 64 MiB.
    "socket_read_size": number(1, 64 * 1024 * 1024, integer=True, none=False),
    "health_check_interval": number(0, TIMEOUT_MAX, none=False),
    "client_name": string(),
    "lib_name": string(),
    "lib_version": string(),
    "driver_info": _redis_instance("redis.driver_info", "DriverInfo"),
    "retry": instance(Retry, what="a redis.retry.Retry"),
    "redis_connect_func": instance(what="a callable", callable_ok=True),
    "credential_provider": instance(CredentialProvider, what="a redis CredentialProvider"),
    "protocol": choice("2 or 3", _protocol),
    "legacy_responses": boolean(),
    "command_packer": duck("an object with a pack() method (a redis-py command packer)", "pack"),
    "event_dispatcher": _redis_instance("redis.event", "EventDispatcherInterface"),
    # redis-py's maintenance-notification machinery: one public config object;
    # the rest is state redis-py hands from a pool to its connections itself.
    "maint_notifications_config": _redis_instance(
        "redis.maint_notifications", "MaintNotificationsConfig"
    ),
    **{
        name: refused("set by redis-py itself")
        for name in (
            "maint_notifications_pool_handler",
            "maintenance_state",
            "maintenance_notification_hash",
            "orig_host_address",
            "orig_socket_timeout",
            "orig_socket_connect_timeout",
            "oss_cluster_maint_notifications_handler",
            "himport_registry",
        )
    },
    # -- Connection (TCP)
    "socket_keepalive": boolean(),
    "socket_keepalive_options": instance(dict, what="a dict of TCP option to value"),
    # The type hint redis-py gives getaddrinfo: 0 (any) or a stream socket.
    "socket_type": choice("0 or socket.SOCK_STREAM", _socket_type, none=False),
    # -- SSLConnection
    "ssl_keyfile": string(),
    "ssl_certfile": string(),
    "ssl_cert_reqs": choice("'none', 'optional', 'required' or an ssl.VerifyMode", _cert_reqs),
    "ssl_include_verify_flags": choice("a list of ssl.VerifyFlags", _verify_flags),
    "ssl_exclude_verify_flags": choice("a list of ssl.VerifyFlags", _verify_flags),
    "ssl_ca_certs": string(),
    "ssl_ca_data": string(data=True),
    "ssl_check_hostname": boolean(),
    "ssl_ca_path": string(),
    "ssl_password": Rule(
        "a string, bytes or a callable, or None",
        instance(str, bytes, what="", callable_ok=True).convert,
        secret=True,
    ),
    "ssl_validate_ocsp": boolean(),
    "ssl_validate_ocsp_stapled": boolean(),
    "ssl_ocsp_context": anything("an OpenSSL context"),
    "ssl_ocsp_expected_cert": anything("a certificate"),
    "ssl_min_version": choice("an ssl.TLSVersion such as 'TLSv1_2'", _tls_version),
    "ssl_ciphers": string(),
    # -- the pools
    "connection_class": subclass(
        redis.connection.AbstractConnection, "a redis-py connection class for the URL's scheme"
    ),
    "cache": _redis_instance("redis.cache", "CacheInterface"),
    "cache_config": _redis_instance("redis.cache", "CacheConfig"),
    "cache_factory": _redis_instance("redis.cache", "CacheFactoryInterface"),
    "max_connections": refused("a pool key of its own"),
    "timeout": refused("a pool key of its own"),
    "queue_class": refused("set by this library (its wait queue)"),
}

#: Options redis-py deprecates, and their replacement (deprecated once it exists).
DEPRECATED_OPTIONS = {"lib_name": "driver_info", "lib_version": "driver_info"}

SCHEME_CLASSES: dict[str, type[Any]] = {
    "redis": redis.connection.Connection,
    "rediss": redis.connection.SSLConnection,
    "unix": redis.connection.UnixDomainSocketConnection,
}
#: Pool-constructor options, on top of the connection class's own.
POOL_OPTIONS = frozenset(
    {"connection_class", "cache", "cache_config", "cache_factory", "maint_notifications_config"}
    | {"max_connections", "timeout", "queue_class"}
)

#: Pool options that only some supported redis-py versions take (7.x and later).
_NEWER_POOL_OPTIONS = frozenset({"maint_notifications_config"})


@functools.cache
def accepted_options(scheme: str) -> frozenset[str]:
    """Keyword arguments redis-py's pool and connection class for ``scheme`` accept.

    Read from the installed redis-py's own signatures, so the list follows its
    version instead of a copy that goes stale.
    """
    classes: list[type[Any]] = [redis.connection.AbstractConnection]
    if scheme == "unix":
        classes.append(redis.connection.UnixDomainSocketConnection)
    else:
        classes.append(redis.connection.Connection)
        if scheme == "rediss":
            classes.append(redis.connection.SSLConnection)
    # Pool options newer than redis-py 6.0 count only where the pool takes them.
    pool_params = set(inspect.signature(redis.ConnectionPool.__init__).parameters)
    names: set[str] = {n for n in POOL_OPTIONS if n not in _NEWER_POOL_OPTIONS or n in pool_params}
    for cls in classes:
        for param in inspect.signature(cls.__init__).parameters.values():
            if param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
                names.add(param.name)
    names.discard("self")
    return frozenset(names - set(URL_OPTIONS))
