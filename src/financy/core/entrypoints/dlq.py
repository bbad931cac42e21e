"""``financy core dlq list|show ID|retry ID|retry --all|drop ID``: the dead-letter streams by hand.

A dead letter is the original entry's fields plus ``dead_reason``, ``dead_entry_id`` and
``dead_group`` (see ``runtime.streams.StreamConsumer.dead_letter``), in ``<stream>:dead``.
``retry`` puts the original fields back on ``<stream>`` and deletes the dead letter in one
MULTI/EXEC (never both, never neither); ``drop`` deletes it after a confirmation.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

import redis

from financy.core.contracts.v1 import CAPTURES_STREAM, PAYLOAD_FIELD
from financy.core.entrypoints.edges_cli import printable
from financy.runtime.streams import dead_seen_key

DEFAULT_DEAD_STREAM = f"{CAPTURES_STREAM}:dead"
DEAD_SUFFIX = ":dead"
_DEAD_FIELDS = (b"dead_reason", b"dead_entry_id", b"dead_group")


class DlqError(Exception):
    """A dead-letter command that cannot be done (unknown id, not a dead-letter stream)."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One dead letter: its id in the dead stream, the original entry id and group, why, how old (s)."""

    id: str
    entry_id: str
    group: str
    reason: str
    age_s: float
    idempotency_key: str | None
    fields: dict[bytes, bytes]


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")


def original_stream(dead_stream: str) -> str:
    """Return the stream a dead-letter stream's entries came from (``X:dead`` -> ``X``).

    Raises:
        DlqError: ``dead_stream`` does not end in ``:dead``.
    """
    if not dead_stream.endswith(DEAD_SUFFIX) or len(dead_stream) == len(DEAD_SUFFIX):
        raise DlqError(f"{dead_stream!r} is not a dead-letter stream (its name must end in {DEAD_SUFFIX!r})")
    return dead_stream[: -len(DEAD_SUFFIX)]


def _letter(entry_id: bytes, fields: dict[bytes, bytes], now: dt.datetime) -> DeadLetter:
    eid = _text(entry_id)
    born = dt.datetime.fromtimestamp(int(eid.split("-")[0]) / 1000, dt.UTC)
    key: str | None = None
    try:
        body = json.loads(fields.get(PAYLOAD_FIELD.encode(), b""))
        if isinstance(body, dict) and isinstance(body.get("idempotency_key"), str):
            key = body["idempotency_key"]
    except ValueError:
        key = None
    return DeadLetter(
        id=eid,
        entry_id=_text(fields.get(b"dead_entry_id", b"?")),
        group=_text(fields.get(b"dead_group", b"?")),
        reason=_text(fields.get(b"dead_reason", b"")),
        age_s=max(0.0, (now - born).total_seconds()),
        idempotency_key=key,
        fields=fields,
    )


def list_dead(
    client: redis.Redis, stream: str = DEFAULT_DEAD_STREAM, *, limit: int = 1000
) -> list[DeadLetter]:
    """Return up to ``limit`` dead letters of ``stream``, oldest first (``client``: bytes responses)."""
    now = dt.datetime.now(dt.UTC)
    rows: Any = client.xrange(stream, count=limit)
    return [_letter(eid, fields, now) for eid, fields in rows]


def get_dead(client: redis.Redis, stream: str, entry_id: str) -> DeadLetter:
    """Return the dead letter ``entry_id`` of ``stream``.

    Raises:
        DlqError: no such entry.
    """
    try:
        rows: Any = client.xrange(stream, min=entry_id, max=entry_id, count=1)
    except redis.ResponseError as exc:
        raise DlqError(f"{entry_id!r} is not a stream entry id: {exc}") from exc
    if not rows:
        raise DlqError(f"no dead letter {entry_id} in {stream}")
    return _letter(rows[0][0], rows[0][1], dt.datetime.now(dt.UTC))


def retry(client: redis.Redis, stream: str, entry_id: str) -> str:
    """Put dead letter ``entry_id`` back on its original stream (without the ``dead_*`` fields) and
    delete it from ``stream``, atomically; return the new entry's id.

    Raises:
        DlqError: no such dead letter, or ``stream`` is not a dead-letter stream.
    """
    target = original_stream(stream)
    letter = get_dead(client, stream, entry_id)
    fields = {k: v for k, v in letter.fields.items() if k not in _DEAD_FIELDS}
    if not fields:
        raise DlqError(f"dead letter {entry_id} has no original fields to retry")
    reason = _text(letter.fields.get(b"dead_reason", b""))
    pipe = client.pipeline(transaction=True)
    # Forget the fingerprint first, so that failing again for the same reason dead-letters it again.
    pipe.delete(dead_seen_key(target, {_text(k): _text(v) for k, v in fields.items()}, reason))
    pipe.xadd(target, fields)  # type: ignore[arg-type]
    pipe.xdel(stream, entry_id)
    _, new_id, _ = pipe.execute()
    return _text(new_id) if isinstance(new_id, bytes) else str(new_id)


def drop(client: redis.Redis, stream: str, entry_id: str) -> None:
    """Delete dead letter ``entry_id`` from ``stream``.

    Raises:
        DlqError: no such dead letter.
    """
    get_dead(client, stream, entry_id)
    client.xdel(stream, entry_id)


def dead_stream_lengths(client: redis.Redis) -> dict[str, int]:
    """Return ``{dead stream: XLEN}`` for ``financy:captures:dead`` (always) and every ``financy:*:dead``."""
    names = {DEFAULT_DEAD_STREAM}
    for name in client.scan_iter(match="financy:*:dead", count=500, _type="stream"):
        names.add(_text(name) if isinstance(name, bytes) else str(name))
    pipe = client.pipeline(transaction=False)
    ordered = sorted(names)
    for name in ordered:
        pipe.xlen(name)
    return {name: int(n) for name, n in zip(ordered, pipe.execute(), strict=True)}


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    if seconds < 172_800:
        return f"{seconds / 3600:.0f}h"
    return f"{seconds / 86_400:.0f}d"


def run_dlq(
    action: str | None,
    entry_id: str | None,
    *,
    all_: bool,
    stream: str,
    yes: bool,
    redis_url: str,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    stdin: TextIO = sys.stdin,
    ask: Callable[[str], str] = input,
) -> int:
    """Run one ``financy core dlq`` action; return 0, 1 (failed) or 2 (bad use / refused)."""
    name = f"financy core dlq {action or ''}".rstrip()
    if action not in ("list", "show", "retry", "drop"):
        print(f"{name}: expected list, show ID, retry ID, retry --all or drop ID", file=err)
        return 2
    needs_id = action in ("show", "drop") or (action == "retry" and not all_)
    if needs_id and not entry_id:
        print(f"{name}: give the dead letter's ID (see financy core dlq list)", file=err)
        return 2
    if action == "retry" and all_ and entry_id:
        print(f"{name}: give an ID or --all, not both", file=err)
        return 2
    client = redis.Redis.from_url(redis_url, socket_timeout=10, socket_connect_timeout=5)
    try:
        return _act(
            client, action, entry_id, all_=all_, stream=stream, yes=yes, out=out, stdin=stdin, ask=ask
        )
    except DlqError as exc:
        print(f"{name}: {exc}", file=err)
        return 1
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        print(f"{name}: Redis is unreachable ({exc})", file=err)
        return 1
    finally:
        client.close()


def _act(
    client: redis.Redis,
    action: str,
    entry_id: str | None,
    *,
    all_: bool,
    stream: str,
    yes: bool,
    out: TextIO,
    stdin: TextIO,
    ask: Callable[[str], str],
) -> int:
    if action == "list":
        letters = list_dead(client, stream)
        total: Any = client.xlen(stream)
        print(f"{int(total)} dead letter(s) in {stream}", file=out)
        if letters:
            print("ID\tENTRY\tGROUP\tAGE\tIDEMPOTENCY KEY\tREASON", file=out)
        for d in letters:
            print(
                f"{d.id}\t{d.entry_id}\t{d.group}\t{_age(d.age_s)}\t{d.idempotency_key or '-'}\t{d.reason}",
                file=out,
            )
        return 0
    if action == "show":
        assert entry_id is not None
        d = get_dead(client, stream, entry_id)
        print(f"id: {d.id}\nentry: {d.entry_id}\ngroup: {d.group}\nage: {_age(d.age_s)}", file=out)
        print(f"idempotency key: {d.idempotency_key or '-'}\nreason: {d.reason}", file=out)
        for key, value in d.fields.items():
            if key in _DEAD_FIELDS:
                continue
            print(f"{printable(_text(key), 100)}: {printable(_text(value), 4000)}", file=out)
        return 0
    if action == "retry":
        if all_:
            # Only the letters there now: one refused again lands after ``last`` and is not retried
            # again in this run.
            newest: Any = client.xrevrange(stream, count=1)
            moved = 0
            if newest:
                last = _text(newest[0][0])
                while True:
                    rows: Any = client.xrange(stream, min="-", max=last, count=500)
                    if not rows:
                        break
                    for entry_id_b, _fields in rows:
                        retry(client, stream, _text(entry_id_b))
                        moved += 1
            print(f"retried {moved} dead letter(s) onto {original_stream(stream)}", file=out)
            return 0
        assert entry_id is not None
        new_id = retry(client, stream, entry_id)
        print(f"retried {entry_id} onto {original_stream(stream)} as {new_id}", file=out)
        return 0
    assert entry_id is not None
    get_dead(client, stream, entry_id)
    if not yes:
        if not stdin.isatty():
            print(
                f"financy core dlq drop: not dropping {entry_id} without a confirmation "
                "(no terminal to ask on); pass --yes to drop it",
                file=sys.stderr,
            )
            return 2
        answer = ask(f"drop dead letter {entry_id} from {stream} for good? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("kept", file=out)
            return 0
    drop(client, stream, entry_id)
    print(f"dropped {entry_id} from {stream}", file=out)
    return 0
