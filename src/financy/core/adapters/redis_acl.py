"""Redis ACL users of enrolled edges (Redis >= 7.0: key permissions ``%W~`` need it).

Each edge gets the user ``edge-{id}`` with a random password and the rules of
``data/edge_acl.txt``: XADD (write only) on ``financy:captures``, every stream command on its own
``financy:edge:{id}:*`` keys, nothing else. Revoking deletes the user and kills its connections.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from importlib.resources import files
from urllib.parse import quote, urlsplit, urlunsplit

import structlog
from redis import Redis
from redis.exceptions import RedisError, ResponseError

#: Oldest Redis whose ACLs can confine an edge (selectors and ``%W~`` key permissions).
MIN_REDIS_VERSION = (7, 0)

log = structlog.stdlib.get_logger(__name__)


class EdgeCredentialsError(RuntimeError):
    """The core cannot make (or remove) an edge's credentials: its Redis is older than 7.0, the
    Redis or object store refused, or the settings ask for something impossible. The API answers
    503 and the CLI exits 1 with this message."""


@dataclass(frozen=True, slots=True)
class RedisEdgeUser:
    """An edge's Redis ACL user: ``username`` (``edge-{id}``) and its ``password`` (plain text,
    given once to the edge, never stored by the core)."""

    username: str
    password: str

    def url(self, public_url: str) -> str:
        """Return ``public_url`` (no credentials) with this user and password in it."""
        parts = urlsplit(public_url)
        netloc = f"{quote(self.username, safe='')}:{quote(self.password, safe='')}@{parts.netloc}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def username_of(edge_id: str) -> str:
    """Return the Redis ACL user name of edge ``edge_id`` (``edge-{id}``)."""
    return f"edge-{edge_id}"


def acl_rules(edge_id: str, password: str) -> list[str]:
    """Return the ACL SETUSER rules of ``edge_id`` (from ``data/edge_acl.txt``, in order)."""
    text = files("financy.core.adapters").joinpath("data", "edge_acl.txt").read_text(encoding="utf-8")
    rules: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("(") and line.endswith(")"):  # a selector is one rule, spaces and all
            rules.append(line.replace("{id}", edge_id).replace("{password}", password))
            continue
        rules.extend(rule.replace("{id}", edge_id).replace("{password}", password) for rule in line.split())
    return rules


def server_version(redis: Redis) -> tuple[int, ...]:
    """Return the server's ``redis_version`` (INFO server) as a tuple of ints, e.g. ``(7, 0, 15)``.

    Raises:
        EdgeCredentialsError: Redis cannot be reached or answers no version.
    """
    try:
        info = redis.info("server")
    except RedisError as exc:
        raise EdgeCredentialsError(f"the core's Redis cannot be reached: {exc}") from exc
    raw = str(info.get("redis_version", ""))
    try:
        return tuple(int(part) for part in raw.split("."))
    except ValueError as exc:
        raise EdgeCredentialsError(f"the core's Redis reports no usable version ({raw!r})") from exc


def require_acl_support(redis: Redis) -> None:
    """Raise unless the core's Redis can confine an edge (>= :data:`MIN_REDIS_VERSION`).

    Raises:
        EdgeCredentialsError: the server is older (e.g. the embedded 6.2), with the version it runs.
    """
    version = server_version(redis)
    if version[:2] < MIN_REDIS_VERSION:
        shown = ".".join(str(p) for p in version)
        raise EdgeCredentialsError(
            f"the core's Redis is {shown}; confining an edge needs Redis >= 7.0 "
            "(ACL key permissions %W~): run the core on Redis 7 to enrol edges"
        )


def create_edge_user(redis: Redis, edge_id: str) -> RedisEdgeUser:
    """Create (or reset) the ACL user of ``edge_id`` with a new random password; return it.

    Raises:
        EdgeCredentialsError: Redis < 7.0, or Redis refused the ACL SETUSER.
    """
    require_acl_support(redis)
    user = RedisEdgeUser(username_of(edge_id), secrets.token_urlsafe(32))
    try:
        redis.execute_command(  # type: ignore[no-untyped-call]
            "ACL", "SETUSER", user.username, *acl_rules(edge_id, user.password)
        )
    except RedisError as exc:
        raise EdgeCredentialsError(f"Redis refused the ACL user {user.username}: {exc}") from exc
    save_acl(redis)
    return user


def save_acl(redis: Redis) -> bool:
    """Write the server's users to its ACL file (``ACL SAVE``) so they survive a restart.

    Returns ``False`` (and logs why) when the server has no ACL file configured: its users then
    live until the server restarts, as that server's operator chose. A single box serving remote
    edges always has one (``DATA_DIR/redis/users.acl``).
    """
    try:
        redis.execute_command("ACL", "SAVE")  # type: ignore[no-untyped-call]
    except ResponseError as exc:
        log.warning("edges.acl_not_saved", reason=str(exc)[:200])
        return False
    return True


def delete_edge_user(redis: Redis, username: str) -> bool:
    """Delete the ACL user ``username`` and kill its connections; return whether it existed.

    Raises:
        EdgeCredentialsError: Redis cannot be reached or refused.
    """
    try:
        deleted = int(redis.acl_deluser(username))
        # DELUSER closes the user's connections too; CLIENT KILL USER makes sure (an unknown user
        # is an error there, and nothing to kill).
        with contextlib.suppress(ResponseError):
            redis.client_kill_filter(user=username)
        save_acl(redis)
    except RedisError as exc:
        raise EdgeCredentialsError(f"Redis refused to delete the ACL user {username}: {exc}") from exc
    return deleted > 0
