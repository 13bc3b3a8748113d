"""Every RedisPoolError survives pickling with its full message and attributes.

Errors cross process boundaries: a ``multiprocessing`` or Celery task result,
a log record handed to another process. A message that changes on the way
(or an error that cannot be rebuilt at all) hides the fix it names.
"""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor

import pytest
import redis

# Imported so that the Django adapter's subclasses, if any, are counted too.
import redis_pool_integrations.django.conf  # noqa: F401
from redis_pool_integrations import (
    PoolClosedError,
    PoolConfigError,
    PoolExhaustedError,
    PoolNotFoundError,
    PoolRegistry,
    PoolUnavailableError,
    RedisPoolError,
    parse_config,
)
from redis_pool_integrations.flask import RedisPools, RedisPoolsStateError


def _config_error() -> RedisPoolError:
    try:
        parse_config({"default": {"url": "nope://", "max_connections": "many"}})
    except PoolConfigError as exc:
        return exc
    raise AssertionError("parse_config accepted invalid settings")


def _not_found() -> RedisPoolError:
    try:
        PoolRegistry({"cache": {"url": "redis://127.0.0.1:1/0"}}).settings("sessions")
    except PoolNotFoundError as exc:
        return exc
    raise AssertionError("unknown alias accepted")


def _exhausted() -> RedisPoolError:
    return PoolExhaustedError("cache", 4, 0.5)


def _closed() -> RedisPoolError:
    # The way a held client meets a removed alias: its pool is closed and
    # there is no current pool to hand the command to.
    reg = PoolRegistry({"cache": {"url": "redis://127.0.0.1:1/0"}})
    client = reg.get_redis("cache")
    reg.configure({})
    try:
        client.ping()
    except PoolClosedError as exc:
        return exc
    raise AssertionError("a removed alias still served a command")


def _unavailable() -> RedisPoolError:
    from redis_pool_integrations.breaker import Breaker, BreakerSettings

    breaker = Breaker("cache", BreakerSettings(failures=1, cooldown=30))
    breaker.record(False)
    try:
        breaker.admit()
    except PoolUnavailableError as exc:
        exc.retry_after = 30.0  # the clock moved on since: fixed, so two examples compare equal
        return exc
    raise AssertionError("an open breaker admitted a checkout")


def _state() -> RedisPoolError:
    try:
        RedisPools().state()  # no app context here
    except RedisPoolsStateError as exc:
        return exc
    raise AssertionError("state() worked without an app context")


#: One real instance of every RedisPoolError subclass, made the way the library makes it.
#: A new subclass needs an entry: test_every_subclass_has_an_example fails until it has one.
EXAMPLES: dict[type[RedisPoolError], Callable[[], RedisPoolError]] = {
    PoolConfigError: _config_error,
    PoolNotFoundError: _not_found,
    PoolExhaustedError: _exhausted,
    PoolClosedError: _closed,
    PoolUnavailableError: _unavailable,
    RedisPoolsStateError: _state,
}


def _all_subclasses(cls: type[RedisPoolError]) -> Iterator[type[RedisPoolError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def _same(a: BaseException, b: BaseException) -> None:
    assert type(a) is type(b)
    assert str(a) == str(b)
    assert a.args == b.args
    assert vars(a) == vars(b)


def test_every_subclass_has_an_example() -> None:
    assert set(_all_subclasses(RedisPoolError)) == set(EXAMPLES)


@pytest.mark.parametrize("cls", list(EXAMPLES), ids=lambda cls: cls.__name__)
def test_pickle_round_trip_keeps_message_and_attributes(cls: type[RedisPoolError]) -> None:
    error = EXAMPLES[cls]()
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        copy = pickle.loads(pickle.dumps(error, protocol=protocol))
        _same(copy, error)


def test_messages_that_used_to_change_on_the_way_are_kept() -> None:
    not_found = pickle.loads(pickle.dumps(_not_found()))
    assert "the configured aliases are 'cache'" in str(not_found)
    assert not_found.configured == ("cache",)  # type: ignore[attr-defined]
    config = pickle.loads(pickle.dumps(_config_error()))
    assert str(config).startswith("2 problems in the pool settings:")
    assert [p.key for p in config.problems] == [p.key for p in _config_error().problems]  # type: ignore[attr-defined]


def test_pickled_errors_are_still_caught_by_the_builtin_and_redis_clauses() -> None:
    assert isinstance(pickle.loads(pickle.dumps(_exhausted())), redis.ConnectionError)
    assert isinstance(pickle.loads(pickle.dumps(_not_found())), LookupError)
    assert isinstance(pickle.loads(pickle.dumps(_config_error())), ValueError)


def raise_in_child(name: str) -> None:
    """Run in a spawned process: make the error there and let it travel back."""
    examples = {cls.__name__: make for cls, make in EXAMPLES.items()}
    raise examples[name]()


def test_errors_cross_a_real_multiprocessing_boundary() -> None:
    # spawn: a fresh interpreter that shares nothing with this one; each
    # error is made and pickled in the child and unpickled here.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {cls: pool.submit(raise_in_child, cls.__name__) for cls in EXAMPLES}
        for cls, future in futures.items():
            error = future.exception(timeout=60)
            assert error is not None, cls
            _same(error, EXAMPLES[cls]())
