"""Secrets kept out of the logs, and out of every page below Admin.

`RedactSecretsFilter`, installed on every LOGGING handler, rewrites each record's final
message (and its formatted traceback) before any handler formats it, so a token, a DSN
password or a key that slips into an exception message or a log argument is never
written anywhere. `mask_url` is the one masking of credentials inside URLs: the log
filter, the API, the admin, the audit log and the config backup all use it.
"""

import logging
import re
from urllib.parse import SplitResult, unquote, urlsplit

from django.conf import settings

MASK = "********"

# Bearer tokens: ops_<public prefix>_<secret>. The prefix identifies the token in
# the admin and is kept; the secret part is masked.
TOKEN = re.compile(r"\b(ops_[0-9a-f]{8}_)[A-Za-z0-9_\-]{8,}")
# Any URL in free text (a log line): its credentials are masked by mask_url.
URL_IN_TEXT = re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s'\"<>]+")
# libpq keyword DSNs and NAME=value assignments of the secrets we know by name.
ASSIGNMENT = re.compile(
    r"(?i)\b(?P<head>(?:password|passwd|pwd|secret_key|backup_encryption_key|api_key|token)"
    r"\s*[=:]\s*['\"]?)[^\s'\",;&]+"
)
# Fernet keys: 32 bytes, url-safe base64 = 43 characters and one '='.
FERNET_KEY = re.compile(r"(?<![A-Za-z0-9_\-])[A-Za-z0-9_\-]{43}=")
# name=value pairs of a query string (after ?, &, ; or at the start of a field, as in
# gunicorn's %(q)s), whose name says it is a credential: ?token=, &api-key=, access_token=.
# Clients put tokens there by mistake (the API only reads the Authorization header),
# and the request line is logged by gunicorn and in Django's request records.
QUERY_PAIR = re.compile(r"(?:^|(?<=[?&;\s\"'(,]))(?P<name>[\w.\[\]\-]+)=(?P<value>[^&;?\s#\"'<>]+)")
SECRET_NAME = re.compile(
    r"(?i)token|secret|passw|pwd|key|signature|credential|auth|session|^sig$|^code$")


def _known_secrets() -> list[str]:
    """Literal values of the secrets this process holds (settings may change in tests)."""
    values = [getattr(settings, "SECRET_KEY", "") or ""]
    values += list(getattr(settings, "SECRET_KEY_FALLBACKS", []) or [])
    values += list(getattr(settings, "BACKUP_ENCRYPTION_KEYS", []) or [])
    values += [db.get("PASSWORD") or "" for db in getattr(settings, "DATABASES", {}).values()]
    # Short values would mask harmless words; real secrets are long.
    return sorted({v for v in values if len(v) >= 8}, key=len, reverse=True)


def redact(text: str) -> str:
    """The text with every secret we can recognise replaced by a mask."""
    if not text:
        return text
    try:
        known = _known_secrets()
    except Exception:  # settings not configured (early startup): patterns still apply
        known = []
    for value in known:
        text = text.replace(value, MASK)
    text = TOKEN.sub(rf"\g<1>{MASK}", text)
    text = URL_IN_TEXT.sub(_mask_url_in_text, text)
    text = ASSIGNMENT.sub(rf"\g<head>{MASK}", text)
    text = QUERY_PAIR.sub(_mask_secret_pair, text)
    return FERNET_KEY.sub(MASK, text)


# --- Credentials inside URLs ----------------------------------------------------------
# Query parameters whose value is a credential whatever it looks like (?api-key=, ?token=).
SECRET_QUERY_KEY = re.compile(
    r"(?i)key|token|secret|pass|pwd|auth|sig|credential|session|jwt|bearer|access|code")
# A path segment, host or value that looks like a generated key: long, from a token
# alphabet, and mixing letters with digits (or very long). Words like "alerts" or
# "v2" and hostnames of http(s) URLs are kept so a masked URL still says where it goes.
TOKEN_LIKE = re.compile(r"[A-Za-z0-9_\-.~+=:]{16,}")
WEB_SCHEMES = {"http", "https", "ws", "wss"}


def _looks_like_token(part: str) -> bool:
    part = unquote(part)
    if not TOKEN_LIKE.fullmatch(part):
        return False
    mixed = any(c.isdigit() for c in part) and any(c.isalpha() for c in part)
    return mixed or len(part) >= 32


def _apprise_shown_parts(url: str) -> set[str] | None:
    """The parts of an Apprise URL that Apprise itself shows in its privacy mode.

    Each Apprise plugin knows which of its URL's parts are secrets (a bot token where a
    host would be, an integration key as user name...); its url(privacy=True) hides
    them. None: not an Apprise URL.
    """
    import apprise  # the web, worker and notification code already load it
    from apprise.manager_plugins import NotificationManager

    if url.split("://", 1)[0].lower() not in NotificationManager().schemas() or MASK in url:
        return None  # not Apprise's (Apprise would log it as unparseable), or masked already
    try:
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        shown = plugin.url(privacy=True) if plugin else None
    except Exception:  # a plugin bug: fall back to the generic rules alone
        return None
    if not shown:
        return None
    parts = {unquote(p) for kind, p in _url_parts(shown) if kind != "port" and "..." not in p
             and "****" not in p}
    return parts | {p[1:] for p in parts if p.startswith("#")}  # a #channel is a fragment


def _split(url: str) -> SplitResult:
    """urlsplit, or for what it refuses (an unbalanced `[` in the host, as in the
    placeholder `postgresql://[user:password@]host/db`) the same split by hand: text
    being masked (a log line, a scanned repository) must never raise."""
    try:
        return urlsplit(url)
    except ValueError:
        scheme, _, rest = url.partition("://")
        rest, _, fragment = rest.partition("#")
        rest, _, query = rest.partition("?")
        netloc, slash, path = rest.partition("/")
        return SplitResult(scheme, netloc, slash + path, query, fragment)


def _url_parts(url: str) -> list[tuple[str, str]]:
    """(kind, raw text) of each part: user, password, host, port, path, value, fragment."""
    split = _split(url)
    parts: list[tuple[str, str]] = []
    userinfo, at, hostport = split.netloc.rpartition("@")
    if at:
        user, colon, password = userinfo.partition(":")
        parts.append(("user" if colon else "lone_user", user))
        if colon:
            parts.append(("password", password))
    host, colon, port = hostport.rpartition(":")
    if colon and port.isdigit():
        parts += [("host", host), ("port", port)]
    else:
        parts.append(("host", hostport))
    parts += [("path", seg) for seg in split.path.split("/") if seg]
    for pair in split.query.split("&") if split.query else []:
        name, eq, value = pair.partition("=")
        parts.append(("secret_value" if SECRET_QUERY_KEY.search(name) else "value", value))
    if split.fragment:
        parts.append(("fragment", split.fragment))
    return parts


def url_secret_parts(url: str, *, schema_aware: bool = True) -> list[str]:
    """The raw parts of `url` that mask_url replaces: passwords, keys, tokens."""
    if not url or "://" not in url:
        return []
    scheme = url.split("://", 1)[0].lower()
    shown = _apprise_shown_parts(url) if schema_aware and scheme not in WEB_SCHEMES else None
    secrets = []
    for kind, part in _url_parts(url):
        if not part or part == MASK or kind == "port":
            continue
        if kind == "user":
            secret = shown is not None and unquote(part) not in shown
        elif kind in ("password", "lone_user", "secret_value"):
            secret = True
        elif kind == "host" and scheme in WEB_SCHEMES:
            secret = False
        else:
            secret = _looks_like_token(part) or (shown is not None and unquote(part) not in shown)
        if secret:
            secrets.append(part)
    return secrets


def mask_url(url: str, *, schema_aware: bool = True) -> str:
    """The URL with its credentials replaced by the mask; the rest kept as written.

    Masked: the password (`user:********@`), a user name standing alone (`********@`:
    that is where keys go, `pagerduty://KEY@...`), the value of a query parameter named
    like a credential (`?api-key=********`), any path segment, host or value that looks
    like a generated key, and for an Apprise URL every part Apprise itself calls secret
    (`schema_aware`; the log filter passes False: Apprise logs, and logging must not
    call back into logging). Masking a masked URL changes nothing.
    """
    secrets = set(url_secret_parts(url, schema_aware=schema_aware))
    if not secrets:
        return url
    scheme, _, rest = url.partition("://")
    authority_end = min([i for i in (rest.find(c) for c in "/?#") if i >= 0] or [len(rest)])
    authority, tail = rest[:authority_end], rest[authority_end:]
    userinfo, at, hostport = authority.rpartition("@")

    def masked(part: str) -> str:
        return MASK if part in secrets else part

    if at:
        userinfo = ":".join(masked(p) for p in userinfo.split(":", 1))
    host, colon, port = hostport.rpartition(":")
    if colon and port.isdigit():
        hostport = f"{masked(host)}:{port}"
    else:
        hostport = masked(hostport)
    path, hash_, fragment = tail.partition("#")
    path, question, query = path.partition("?")
    path = "/".join(masked(seg) for seg in path.split("/"))
    query = "&".join(
        f"{name}{eq}{masked(value)}"
        for name, eq, value in (pair.partition("=") for pair in query.split("&"))
    ) if question else ""
    return (f"{scheme}://{userinfo}{at}{hostport}{path}{question}{query}{hash_}"
            f"{masked(fragment) if hash_ else ''}")


def _mask_url_in_text(match: re.Match) -> str:
    url = match.group(0)
    trailing = len(url) - len(url.rstrip(".,;:)]}"))
    head, tail = url[:len(url) - trailing], url[len(url) - trailing:]
    return mask_url(head, schema_aware=False) + tail
def _mask_secret_pair(match: re.Match) -> str:
    if not SECRET_NAME.search(match["name"]) or match["value"].startswith(MASK):
        return match[0]
    return f"{match['name']}={MASK}"


# What every LogRecord carries; anything else on a record came in through `extra=`.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {
    "message", "asctime", "taskName", "_secrets_redacted"}


def _redact_value(value):
    """An `extra` value as a formatter would render it, redacted; numbers stay numbers."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        return {key: _redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(item) for item in value]
    return redact(str(value))


class RedactSecretsFilter(logging.Filter):
    """Masks secrets in the message, its arguments and its traceback; never drops a record."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_secrets_redacted", False):
            return True  # several handlers share one record: redact once
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the raw template, redacted
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
            # Formatters that format exc_info themselves (JSON formatters do) would
            # bypass the redacted text: only the redacted text is left to them.
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        # JSON formatters write every extra attribute: django.request's `request` is
        # rendered as "<WSGIRequest: GET '/path?token=...'>", the full query string.
        for name in record.__dict__.keys() - _RECORD_ATTRIBUTES:
            setattr(record, name, _redact_value(record.__dict__[name]))
        record._secrets_redacted = True
        return True
