"""A bank statement file sent to the bot, on real PostgreSQL through the production chat handlers:
the file (a real sample of tests/fixtures/statements) in the object store -> a preview reply with
exact counts and nothing recorded -> "sim" commits it -> the same file again adds nothing; a
truncated file and a file the core cannot open are answered with the reason and write nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from financy.bots.common.render import render
from financy.core.adapters import orm
from financy.core.contracts.v1 import (
    CaptureV1,
    Intent,
    MediaRef,
    ReplyKind,
    ReplyV1,
    Sender,
    Understanding,
    idempotency_key,
)
from financy.core.service.bootstrap import bootstrap
from financy.core.service.handlers import command_for
from financy.runtime.objects import DirectoryStore, ObjectStore
from tests.support.api import Member, new_user

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parent.parent / "fixtures" / "statements"
SGML_OFX = FIXTURES / "ofxparse_bank_medium_sgml_v102.ofx"


def send(
    engine: Engine,
    store: ObjectStore | None,
    member: Member,
    *,
    data: bytes | None = None,
    filename: str | None = None,
    text: str | None = None,
    intent: Intent = Intent.STATEMENT,
    held_at_edge: bool = False,
) -> ReplyV1:
    """Send one dev chat message from ``member`` (a file kept in ``store``, or a text) through the
    real chat handlers with ``store`` as the core's object store; return the reply."""
    mid = uuid.uuid4().hex
    capture_id = uuid.uuid4()
    media = None
    if data is not None:
        key = f"captures/edge-api/{capture_id}/original.bin"
        if store is not None:
            store.put(key, data, "application/octet-stream")
        media = MediaRef(
            key=key,
            content_type="application/octet-stream",
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            filename=filename,
            held_at_edge=held_at_edge,
        )
    capture = CaptureV1(
        capture_id=capture_id,
        idempotency_key=idempotency_key("devchat", member.devchat_id, mid),
        edge_id="edge-api",
        platform="devchat",
        chat_id=member.devchat_id,
        message_id=mid,
        sender=Sender(platform_user_id=member.devchat_id),
        received_at=dt.datetime.now(dt.UTC),
        media_type="document" if data is not None else "text",
        text=text,
        media=media,
        understanding=Understanding(language="pt", intent=intent, confidence=1.0),
    )
    reply = bootstrap(engine=engine, objects=store).handle(command_for(capture))
    assert reply is not None
    return reply


def ledger(engine: Engine, context_id: uuid.UUID) -> list[tuple[str, str, str, str | None]]:
    tx = orm.transactions
    with engine.connect() as conn:
        rows = conn.execute(
            select(tx.c.occurred_on, tx.c.kind, tx.c.amount, tx.c.currency, tx.c.merchant)
            .where(tx.c.context_id == context_id, tx.c.status == "recorded")
            .order_by(tx.c.occurred_on)
        ).all()
    return [(r.occurred_on.isoformat(), r.kind, f"{r.amount:.2f} {r.currency}", r.merchant) for r in rows]


def imports(engine: Engine, context_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    si = orm.statement_imports
    with engine.connect() as conn:
        rows = conn.execute(
            select(si.c.id, si.c.status).where(si.c.context_id == context_id).order_by(si.c.created_at)
        ).all()
    return [(r.id, r.status) for r in rows]


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return DirectoryStore(tmp_path / "objects")


def test_a_statement_file_is_previewed_and_sim_imports_it(engine: Engine, store: ObjectStore) -> None:
    member = new_user(engine)
    preview = send(engine, store, member, data=SGML_OFX.read_bytes(), filename="extrato.ofx")
    assert preview.kind is ReplyKind.IMPORT_PREVIEW
    found = preview.statement_import
    assert found is not None
    assert found.import_id == preview.capture_id  # the import is the file's capture
    assert (found.filename, found.format, found.lines) == ("extrato.ofx", "ofx", 3)
    assert (found.add, found.duplicate, found.merge, found.ambiguous, found.invalid) == (3, 0, 0, 0, 0)
    assert (found.date_from, found.date_to) == (dt.date(2009, 4, 1), dt.date(2009, 4, 3))
    shown = render(preview)
    assert shown.text == (
        "📄 Extrato “extrato.ofx”: 3 lançamentos de 01/04/2009 a 03/04/2009.\n"
        "➕ 3 novos\n"
        "Nada foi registrado ainda. Responda “sim” para importar."
    )
    assert [b.value for b in shown.buttons] == ["sim"]
    assert ledger(engine, member.context_id) == []
    assert imports(engine, member.context_id) == [(preview.capture_id, "previewed")]

    committed = send(engine, store, member, text="sim", intent=Intent.CONFIRM)
    assert committed.kind is ReplyKind.IMPORT_COMMITTED
    assert committed.statement_import is not None
    assert (committed.statement_import.add, committed.statement_import.duplicate) == (3, 0)
    assert render(committed).text == (
        "✅ Extrato importado: 3 novos lançamentos, 0 juntados aos do chat, 0 já estavam lá."
    )
    assert ledger(engine, member.context_id) == [
        ("2009-04-01", "expense", "6.60 CAD", "MCDONALD'S #112"),
        ("2009-04-02", "expense", "316.67 CAD", "Joe's Bald Hairstyles"),
        ("2009-04-03", "expense", "22.00 CAD", "CONNIE'S HAIR D"),
    ]
    assert imports(engine, member.context_id) == [(preview.capture_id, "committed")]
    with engine.connect() as conn:
        status = conn.execute(
            select(orm.captures.c.status).where(orm.captures.c.id == preview.capture_id)
        ).scalar_one()
    assert status == "recorded"
    # A second "sim" has nothing left to confirm.
    assert send(engine, store, member, text="sim", intent=Intent.CONFIRM).kind is ReplyKind.NOTHING_TO_CONFIRM

    # The same statement again (renamed): every line is already in the ledger.
    again = send(engine, store, member, data=SGML_OFX.read_bytes(), filename="abril.ofx")
    assert again.statement_import is not None
    assert (again.statement_import.add, again.statement_import.duplicate) == (0, 3)
    assert render(again).text.endswith("Nada novo para importar: o extrato já está no livro.")
    assert render(again).buttons == ()
    assert send(engine, store, member, text="sim", intent=Intent.CONFIRM).kind is ReplyKind.NOTHING_TO_CONFIRM


def test_bad_files_are_answered_with_the_reason_and_nothing_is_written(
    engine: Engine, store: ObjectStore
) -> None:
    member = new_user(engine)
    whole = SGML_OFX.read_bytes()
    truncated = send(engine, store, member, data=whole[: len(whole) // 2], filename="extrato.ofx")
    assert truncated.kind is ReplyKind.IMPORT_REFUSED
    assert truncated.problem == "statement_format"
    assert truncated.statement_import is not None
    reason = truncated.statement_import.reason
    assert reason
    assert render(truncated).text == (
        f"📄 Não consegui ler este extrato: {reason}. Envie o arquivo OFX, CSV, QIF ou camt.053 completo, "
        "como o banco o exporta."
    )
    held = send(engine, store, member, data=whole, filename="extrato.ofx", held_at_edge=True)
    assert (held.kind, held.problem) == (ReplyKind.IMPORT_REFUSED, "statement_not_here")
    missing = send(engine, None, member, data=whole, filename="extrato.ofx")
    assert (missing.kind, missing.problem) == (ReplyKind.IMPORT_REFUSED, "statement_not_here")
    assert send(engine, store, member, text="sim", intent=Intent.CONFIRM).kind is ReplyKind.NOTHING_TO_CONFIRM
    assert imports(engine, member.context_id) == []
    assert ledger(engine, member.context_id) == []
    with engine.connect() as conn:
        kept = conn.execute(
            select(func.count()).where(
                orm.captures.c.context_id == member.context_id, orm.captures.c.media_type == "document"
            )
        ).scalar_one()
    assert kept == 3  # every file is kept as a capture, for review


def test_a_viewer_cannot_import_by_chat(engine: Engine, store: ObjectStore) -> None:
    """GIVEN a chat whose sender is (now) a viewer of its ledger WHEN they send a statement THEN
    the answer is forbidden and nothing is previewed."""
    from sqlalchemy import update

    member = new_user(engine)
    send(engine, store, member, text="oi", intent=Intent.SMALL_TALK)  # the chat is bound to the ledger
    with engine.begin() as conn:
        conn.execute(
            update(orm.members)
            .where(orm.members.c.context_id == member.context_id, orm.members.c.user_id == member.user_id)
            .values(role="viewer")
        )
    reply = send(engine, store, member, data=SGML_OFX.read_bytes(), filename="extrato.ofx")
    assert reply.kind is ReplyKind.FORBIDDEN
    assert imports(engine, member.context_id) == []


def test_a_statement_sent_in_the_dev_chat_is_imported_end_to_end(
    database_url: str, redis_url: str, edge_id: str, engine: Engine, tmp_path: Path
) -> None:
    """GIVEN `financy edge run` and `financy core ingest` sharing a box's object store WHEN a chat
    user sends an OFX file THEN the reply is the preview and nothing is recorded; "sim" imports it."""
    import base64

    import httpx

    from tests.support.processes import financy_env, free_port, running, wait_http

    member = new_user(engine)
    port = free_port()
    env = financy_env(
        FINANCY_DATABASE_URL=database_url,
        FINANCY_REDIS_URL=redis_url,
        FINANCY_DATA_DIR=str(tmp_path),
        FINANCY_EDGE__ID=edge_id,
        FINANCY_EDGE__PORT=str(port),
    )
    url = f"http://127.0.0.1:{port}/devchat/messages"

    def say(**body: object) -> dict[str, object]:
        body = {"user_id": member.devchat_id, "wait": 30, "message_id": uuid.uuid4().hex, **body}
        response = httpx.post(url, json=body, timeout=60)
        assert response.status_code == 200, response.text
        reply: dict[str, object] = response.json()["reply"]
        return reply

    with (
        running(["edge", "run"], env, tmp_path / "edge.log") as edge,
        running(["core", "ingest"], env, tmp_path / "ingest.log"),
    ):
        wait_http(f"http://127.0.0.1:{port}/readyz", 60, edge)
        media = {
            "data": base64.b64encode(SGML_OFX.read_bytes()).decode(),
            "content_type": "application/x-ofx",
            "filename": "extrato.ofx",
        }
        preview = say(text=None, media=media)
        assert preview["kind"] == "import_preview", preview
        assert preview["text"] == (
            "📄 Extrato “extrato.ofx”: 3 lançamentos de 01/04/2009 a 03/04/2009.\n"
            "➕ 3 novos\n"
            "Nada foi registrado ainda. Responda “sim” para importar."
        )
        assert ledger(engine, member.context_id) == []
        committed = say(text="sim")
        assert committed["kind"] == "import_committed", committed
        assert committed["text"] == (
            "✅ Extrato importado: 3 novos lançamentos, 0 juntados aos do chat, 0 já estavam lá."
        )
    assert ledger(engine, member.context_id) == [
        ("2009-04-01", "expense", "6.60 CAD", "MCDONALD'S #112"),
        ("2009-04-02", "expense", "316.67 CAD", "Joe's Bald Hairstyles"),
        ("2009-04-03", "expense", "22.00 CAD", "CONNIE'S HAIR D"),
    ]
    ((import_id, status),) = imports(engine, member.context_id)
    assert status == "committed"
    with engine.connect() as conn:
        media_row = conn.execute(
            select(orm.captures.c.media).where(orm.captures.c.id == import_id)
        ).scalar_one()
    assert media_row["filename"] == "extrato.ofx"
    assert DirectoryStore(tmp_path / "objects").get(media_row["key"]) == SGML_OFX.read_bytes()
