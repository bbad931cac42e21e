"""``financy core admin``: create the first admin login of a core that ``financy up`` does not run.

The single box creates it at start; a core in containers or on its own servers runs this once (the
compose stack's ``admin-init`` one-shot, after ``migrate``). Idempotent: an existing admin is left as
it is. A new admin's generated password is written to ``DATA_DIR/secrets/admin-password`` (mode 0600,
as the box does) and never printed.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from pathlib import Path

from sqlalchemy import create_engine, pool
from sqlalchemy.exc import SQLAlchemyError

from financy.core.adapters.migrate import schema_state
from financy.core.service.users import ensure_admin
from financy.core.settings import CoreSettings
from financy.runtime.redaction import scrub

ADMIN_USERNAME = "admin"


def write_secret_file(path: Path, value: str) -> None:
    """Write ``value`` to ``path`` with mode 0600 through a temporary file and a rename.

    The folder of ``path`` is made (mode 0700) or must be a real folder of this user: a symbolic
    link there, or a folder another user owns, is refused, so a link someone planted cannot send
    the password elsewhere. The temporary file gets a random name and is created exclusively
    without following links; the rename replaces whatever is at ``path`` (a link there is
    replaced, never followed).

    Raises:
        OSError: the folder cannot be made, is a symbolic link or another user's, or cannot be written.
    """
    folder = path.parent
    folder.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        if os.fstat(dir_fd).st_uid != os.geteuid():
            raise PermissionError(f"{folder} belongs to another user: refusing to keep a password there")
        os.fchmod(dir_fd, 0o700)
        tmp = f".{path.name}.tmp-{secrets.token_hex(8)}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(tmp, flags, 0o600, dir_fd=dir_fd)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(value + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path.name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp, dir_fd=dir_fd)
            raise
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def run_admin(settings: CoreSettings) -> int:
    """Create the ``admin`` login if missing; return 0 (created or already there), 1 when the
    database cannot be reached or is not migrated to head (the reason on stderr, no password).

    Its ledger takes ``FINANCY_DEFAULT_LOCALE``, ``_TIME_ZONE`` and ``_CURRENCY``.

    Raises:
        MissingSettingError: ``FINANCY_DATABASE_URL`` is not set.
        InvalidSettingError: ``FINANCY_DATABASE_URL`` is not a PostgreSQL URL.
        OSError: the password file cannot be written, its folder is a symbolic link or another
            user's (the admin then exists without it: an instance admin resets it, or delete the row
            and run again).
    """
    url = settings.require_database_url()
    try:
        state = schema_state(url)
    except SQLAlchemyError as exc:
        reason = scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else "", url)
        print(
            f"financy core admin: the database is not reachable: {type(exc).__name__}: {reason}",
            file=sys.stderr,
        )
        return 1
    if not state.at_head:
        print(
            f"financy core admin: the schema is not at head ({state.describe()}): run financy core migrate first",
            file=sys.stderr,
        )
        return 1
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        password = ensure_admin(
            engine,
            username=ADMIN_USERNAME,
            devchat_user_id=ADMIN_USERNAME,
            locale=settings.default_locale,
            time_zone=settings.default_time_zone,
            base_currency=settings.default_currency,
        )
    finally:
        engine.dispose()
    if password is None:
        print(f"{ADMIN_USERNAME}: the account exists (nothing changed)")
        return 0
    path = settings.data_dir / "secrets" / "admin-password"
    write_secret_file(path, password)
    print(f"{ADMIN_USERNAME}: created; its password is in {path} (mode 0600)")
    return 0
