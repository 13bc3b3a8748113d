"""Keep passwords out of every message, repr, log line and report.

Redaction works on fields, not on guesses: the password of a URL's userinfo,
every ``password``-like query parameter, and the secret options of a pool.
When a URL cannot be split into those fields reliably (a raw ``/``, ``?``,
``#`` or ``@`` in its password makes the standard parsers misread it),
everything between ``://`` and the last ``@`` is masked. Free text (an
exception message) is only searched for a secret where the secret stands as
a token of its own, never by blind substring replacement: a password ``0``
must not turn ``/0`` into ``/***``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = [
    "MASK",
    "SECRET_OPTIONS",
    "fields_are_reliable",
    "is_secret_name",
    "mask_secrets",
    "redact_error",
    "redact_text",
    "redact_url",
    "secrets_of",
]

MASK = "***"
#: Options whose values are never shown (names matched case-insensitively by
#: :func:`is_secret_name` too, so sentinel and TLS passwords are covered).
SECRET_OPTIONS = frozenset({"password", "ssl_password", "credential_provider"})
# A secret at least this long is also replaced inside other text: collisions
# with ordinary words are then improbable. Shorter ones only as whole tokens.
_SUBSTRING_MIN = 6
# Something that looks like a URL inside free text.
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]*")


def is_secret_name(name: object) -> bool:
    """Whether an option or query parameter called ``name`` holds a secret."""
    if not isinstance(name, str):
        return False
    lowered = name.lower()
    return lowered in SECRET_OPTIONS or "password" in lowered or "secret" in lowered


def _mask_userinfo(userinfo: str) -> str:
    user, sep, _ = userinfo.partition(":")
    # An ACL user name is not a secret and says which user failed; keep it.
    return f"{user}:{MASK}" if sep else user if user else MASK


def fields_are_reliable(url: str) -> bool:
    """Whether ``urlsplit`` finds the userinfo where redis-py would, raw delimiters and all."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port like ':pa'
    except ValueError:
        return False
    if "@" in parts.path or "@" in parts.fragment:
        # The password held a raw '/' or '#': its tail was taken for the path.
        return False
    if "@" in parts.query and "@" not in parts.netloc:
        # A raw '?' in the password, or an '@' in a query value: cannot tell which.
        return False
    return bool(parts.hostname) or parts.scheme.lower() == "unix"


def redact_url(url: object) -> str:
    """Return ``url`` with every password in it replaced by ``***``.

    Masks every query parameter whose name says password (``?password=``,
    ``?ssl_password=``; a raw ``#`` in its value masks the rest of the URL)
    and the password of the userinfo, keeping an ACL user name. When the URL
    cannot be split reliably, everything between ``://`` and the last ``@``
    is masked instead. Never raises, so it is safe on whatever a user put in
    their settings; a value that is not a string is shown as its type only.
    """
    if not isinstance(url, str):
        return f"<{type(url).__name__}>"
    scheme, sep, rest = url.partition("://")
    if not sep:
        # Not a URL at all ("user:pw@host"): anything before an '@' may be a secret.
        _, at, tail = url.rpartition("@")
        return f"{MASK}@{tail}" if at else url
    rest = _mask_query(rest)
    if "@" not in rest:
        return f"{scheme}://{rest}"
    if not fields_are_reliable(f"{scheme}://{rest}"):
        return f"{scheme}://{MASK}@{rest.rpartition('@')[2]}"
    match = re.search(r"[/?#]", rest)
    cut = len(rest) if match is None else match.start()
    userinfo, at, hostport = rest[:cut].rpartition("@")
    if not at:
        return f"{scheme}://{rest}"
    return f"{scheme}://{_mask_userinfo(userinfo)}@{hostport}{rest[cut:]}"


#: What a real query parameter's name looks like (redis-py's options are identifiers).
_PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _mask_query(rest: str) -> str:
    # ``rest`` is everything after '://'. The query starts at the first '?'
    # (one inside a password is left to the caller's last-'@' rule).
    head, q, after = rest.partition("?")
    if not q:
        return rest
    items: list[str] = []
    masking = False
    for item in after.split("&"):
        name, eq, value = item.partition("=")
        if eq and is_secret_name(unquote(name)):
            items.append(f"{name}={MASK}")
            masking = True
            if "#" in value:
                break  # a raw '#' in the password: all that follows may be its tail
        elif masking and (not eq or not _PARAM_NAME.fullmatch(unquote(name))):
            # No 'name=' that a parameter could have: the tail of a password
            # with a raw '&' (a password '&=' leaves '&=' behind).
            continue
        else:
            masking = False
            items.append(item)
    return f"{head}?{'&'.join(items)}"


def secrets_of(url: object, options: Mapping[str, Any] | None = None) -> list[str]:
    """Every secret string of one alias: URL password (raw and decoded), query, options."""
    found: list[str] = []
    if isinstance(url, str):
        try:
            parts = urlsplit(url)
            if parts.password:
                found += [parts.password, unquote(parts.password)]
            found += [v for k, v in parse_qsl(parts.query) if is_secret_name(k)]
        except ValueError:
            pass
        _, sep, rest = url.partition("://")
        userinfo, at, _ = rest.rpartition("@")
        if sep and at:
            # What redis-py or a reader might take for the password when raw
            # delimiters confuse the parsers: all of it, and after the first ':'.
            found += [userinfo, userinfo.partition(":")[2], unquote(userinfo.partition(":")[2])]
    for name, value in (options or {}).items():
        if is_secret_name(name) and isinstance(value, str):
            found.append(value)
    return sorted({s for s in found if s}, key=len, reverse=True)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask URLs in ``text`` (see :func:`redact_url`) and each of ``secrets``.

    A secret is replaced wherever it stands as a token of its own (bounded by
    the text's start or end, whitespace, quotes or ``=``/``:``/``,``); one of
    at least six characters anywhere. A short secret inside other text is left:
    a password ``0`` must not mangle ``/0``, and such a password appears in
    output only as part of a URL, which is masked by field.
    """
    return mask_secrets(_URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text), secrets)


def mask_secrets(text: str, secrets: Iterable[str]) -> str:
    """Replace each of ``secrets`` in ``text``: as a whole token, or anywhere if long."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        if not secret or secret == MASK:
            continue
        if len(secret) >= _SUBSTRING_MIN:
            text = text.replace(secret, MASK)
        else:
            bound = r"""[\s'"=:,()\[\]{}]"""
            text = re.sub(
                rf"(?:(?<={bound})|^){re.escape(secret)}(?=$|{bound})",
                MASK,
                text,
                flags=re.MULTILINE,
            )
    return text


def redact_error(exc: BaseException, url: object, options: Mapping[str, Any] | None) -> str:
    """``"TypeName: message"`` of ``exc`` with every secret of the alias masked."""
    return redact_text(f"{type(exc).__name__}: {exc}", secrets_of(url, options))
