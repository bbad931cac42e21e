"""Passwords of connection URLs never reach a message, whatever shape the URL has."""

from __future__ import annotations

import pytest

from financy.core.adapters.backup import Database
from financy.core.adapters.backup_manifest import BackupError
from financy.runtime.redaction import redact, scrub, url_secrets


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:pw@redis:6379/0", "redis://***@redis:6379/0"),
        ("postgresql+psycopg://financy:p%40ss@db:5432/financy", "postgresql+psycopg://***@db:5432/financy"),
        ("user:s3cr3t@host/db", "***@host/db"),
        ("redis://:pa/ss@host/0", "redis://***@host/0"),
        ("redis://:pa#ss@host/0", "redis://***@host/0"),
        ("redis://:p@ss@host/0", "redis://***@host/0"),
        ("redis://host/0?password=s3cr3t&db=1", "redis://host/0?password=***&db=1"),
        ("host=db port=5432 password='it\\'s secret' user=f", "host=db port=5432 password=*** user=f"),
        ("host=db password = s3cr3t", "host=db password = ***"),
        ("http://u:pw@[::1/", "http://***@[::1/"),
        ("redis://redis:6379/0", "redis://redis:6379/0"),
        ("https://financy.example/healthz", "https://financy.example/healthz"),
    ],
)
def test_redact_hides_the_credentials_of_every_shape(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_scrub_removes_the_password_and_its_pieces_from_a_library_message() -> None:
    url = "redis://:hunter2/secret%21@127.0.0.1:1/0"
    assert set(url_secrets(url)) >= {"hunter2/secret%21", "hunter2", "secret%21", "hunter2/secret!"}
    message = "Port could not be cast to integer value as 'hunter2' (hunter2/secret!)"
    assert scrub(message, url) == "Port could not be cast to integer value as '***' (***)"
    assert url_secrets("redis://redis:6379/0") == []


@pytest.mark.parametrize(
    "url",
    [
        "financy:hunter2secret@db/financy",  # no scheme: libpq quotes it whole in its error
        "postgresql://financy:hunter2 secret@db/financy",  # a space: libpq quotes the password
        "postgresql://financy:hunter2secret@db/financy?nosuch=1",
    ],
)
def test_a_database_url_libpq_cannot_parse_is_refused_without_its_password(url: str) -> None:
    with pytest.raises(BackupError, match="FINANCY_DATABASE_URL is not a PostgreSQL URL") as caught:
        Database.from_url(url)
    assert "hunter2" not in str(caught.value)
    assert "secret" not in str(caught.value)
    assert caught.value.__cause__ is None
