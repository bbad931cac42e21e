"""Statement import through the API on real PostgreSQL and Redis, with a real Celery worker: upload
-> preview with exact counts -> commit as one job with progress -> exact transactions -> undo; bad
input (too large, truncated, bad options) refused with nothing written; roles enforced.

The statement files are the real samples of tests/fixtures/statements (sources in SOURCES.md).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from redis import Redis
from sqlalchemy import Engine, func, insert, select

from financy.core.adapters import orm
from financy.core.adapters.import_progress import ImportProgress
from financy.core.entrypoints import tasks
from financy.core.entrypoints.api import ApiApp, create_app
from financy.core.entrypoints.import_jobs import commit_statement_import
from financy.core.settings import CoreSettings
from tests.integration.test_api_contract import assert_matches, served_spec
from tests.support.api import JWT_SECRET, Member, assert_error, bearer, chat, new_user, spend, token_for
from tests.support.processes import financy_env, free_port, running, wait_http

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parent.parent / "fixtures" / "statements"
SGML_OFX = FIXTURES / "ofxparse_bank_medium_sgml_v102.ofx"
#: How long a test waits for the worker to finish a commit before it fails (never asserted on).
JOB_WAIT_S = 60.0


@pytest.fixture
def worker(settings: CoreSettings, engine: Engine) -> Iterator[Celery]:
    """The core's Celery app with a real worker (solo pool) on the run's Redis, in a thread."""
    resources = tasks.JobResources(settings, engine=engine)
    celery_app = tasks.create_app(settings, resources)
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield celery_app
    resources.close()
    celery_app.close()


def url(member: Member, rest: str = "") -> str:
    return f"/api/v1/contexts/{member.context_id}/imports{rest}"


def ledger(engine: Engine, context_id: uuid.UUID) -> list[tuple[str, str, str, str | None]]:
    tx = orm.transactions
    with engine.connect() as conn:
        rows = conn.execute(
            select(tx.c.occurred_on, tx.c.kind, tx.c.amount, tx.c.currency, tx.c.merchant)
            .where(tx.c.context_id == context_id, tx.c.status == "recorded")
            .order_by(tx.c.occurred_on, tx.c.amount)
        ).all()
    return [(r.occurred_on.isoformat(), r.kind, f"{r.amount:.2f} {r.currency}", r.merchant) for r in rows]


def imports_of(engine: Engine, context_id: uuid.UUID) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).where(orm.statement_imports.c.context_id == context_id)
            ).scalar_one()
        )


def add_member(engine: Engine, owner: Member, user: Member, role: str) -> None:
    with engine.begin() as conn:
        conn.execute(insert(orm.members).values(context_id=owner.context_id, user_id=user.user_id, role=role))


async def upload(
    app: ApiApp,
    member: Member,
    token: str,
    data: bytes,
    query: str = "",
    content_type: str = "application/x-ofx",
) -> Any:
    _, response = await app.asgi_client.post(
        url(member, query), content=data, headers={**bearer(token), "Content-Type": content_type}
    )
    return response


async def committed(app: ApiApp, member: Member, token: str, import_id: str) -> dict[str, Any]:
    """Wait until the import's commit job is committed or failed; return the import."""
    deadline = asyncio.get_running_loop().time() + JOB_WAIT_S
    while True:
        _, response = await app.asgi_client.get(url(member, f"/{import_id}"), headers=bearer(token))
        assert response.status == 200, response.text
        body: dict[str, Any] = response.json
        if body["job"] is not None and body["job"]["status"] in ("committed", "failed"):
            return body
        assert asyncio.get_running_loop().time() < deadline, f"the job did not finish: {body['job']}"
        await asyncio.sleep(0.1)


async def test_an_ofx_upload_is_previewed_committed_by_the_worker_and_undone(
    app: ApiApp, engine: Engine, worker: Celery
) -> None:
    member = new_user(engine)
    token = await token_for(app, member)
    response = await upload(app, member, token, SGML_OFX.read_bytes(), "?filename=extrato.ofx")
    assert response.status == 201, response.text
    preview = response.json
    import_id = preview["id"]
    assert response.headers["location"] == url(member, f"/{import_id}")
    assert (preview["status"], preview["format"], preview["currency"]) == ("previewed", "ofx", "CAD")
    assert preview["account"] == "12300 000012345678"
    assert preview["filename"] == "extrato.ofx"
    assert preview["counts"] == {"add": 3, "duplicate": 0, "merge": 0, "ambiguous": 0, "invalid": 0}
    assert [
        (ln["line_no"], ln["date"], ln["amount"], ln["payee"], ln["outcome"]) for ln in preview["lines"]
    ] == [
        (1, "2009-04-01", "-6.60", "MCDONALD'S #112", "add"),
        (2, "2009-04-02", "-316.67", "Joe's Bald Hairstyles", "add"),
        (3, "2009-04-03", "-22.00", "CONNIE'S HAIR D", "add"),
    ]
    assert (preview["lines_total"], preview["next_lines_after"], preview["job"]) == (3, None, None)
    assert ledger(engine, member.context_id) == []

    _, queued = await app.asgi_client.post(url(member, f"/{import_id}/commit"), headers=bearer(token))
    assert queued.status == 202, queued.text
    assert queued.json["progress_url"] == url(member, f"/{import_id}")
    assert queued.json["job"]["status"] in ("queued", "running", "committed")
    assert queued.json["job"]["total"] == 3
    done = await committed(app, member, token, import_id)
    assert done["job"]["status"] == "committed", done["job"]
    assert done["job"]["id"] == queued.json["job"]["id"]
    assert (done["job"]["done"], done["job"]["total"], done["job"]["error"]) == (3, 3, None)
    assert done["job"]["counts"] == {"add": 3, "duplicate": 0, "merge": 0, "ambiguous": 0, "invalid": 0}
    assert done["status"] == "committed"
    assert all(line["transaction_id"] for line in done["lines"])
    assert ledger(engine, member.context_id) == [
        ("2009-04-01", "expense", "6.60 CAD", "MCDONALD'S #112"),
        ("2009-04-02", "expense", "316.67 CAD", "Joe's Bald Hairstyles"),
        ("2009-04-03", "expense", "22.00 CAD", "CONNIE'S HAIR D"),
    ]
    _, again = await app.asgi_client.post(url(member, f"/{import_id}/commit"), headers=bearer(token))
    assert again.status == 409
    assert_error(again.json, "conflict")

    # The same file again: every line is already imported.
    second = await upload(app, member, token, SGML_OFX.read_bytes())
    assert second.json["counts"] == {"add": 0, "duplicate": 3, "merge": 0, "ambiguous": 0, "invalid": 0}
    assert {line["reason"] for line in second.json["lines"]} == {"fitid"}

    _, listed = await app.asgi_client.get(url(member), headers=bearer(token))
    assert listed.status == 200
    assert [(i["id"], i["status"]) for i in listed.json["items"]] == [
        (second.json["id"], "previewed"),
        (import_id, "committed"),
    ]
    assert listed.json["items"][1]["job"]["status"] == "committed"

    _, undone = await app.asgi_client.post(url(member, f"/{import_id}/undo"), headers=bearer(token))
    assert undone.status == 200, undone.text
    assert undone.json == {"id": import_id, "status": "undone", "reversed": 3, "unmerged": 0}
    assert ledger(engine, member.context_id) == []
    _, shown = await app.asgi_client.get(url(member, f"/{import_id}"), headers=bearer(token))
    assert shown.json["status"] == "undone"
    assert shown.json["undone_at"] is not None
    _, twice = await app.asgi_client.post(url(member, f"/{import_id}/undo"), headers=bearer(token))
    assert twice.status == 409


async def test_a_multipart_csv_with_form_options_lands_with_exact_values(
    app: ApiApp, engine: Engine, worker: Celery
) -> None:
    member = new_user(engine)
    token = await token_for(app, member)
    data = (FIXTURES / "csv2ofx_gls_de_latin1.csv").read_bytes()
    _, response = await app.asgi_client.post(
        url(member),
        files={"file": ("gls.csv", data, "text/csv")},
        data={"account": "GLS Giro", "encoding": "latin-1"},
        headers=bearer(token),
    )
    assert response.status == 201, response.text
    preview = response.json
    assert (preview["format"], preview["filename"], preview["account"], preview["currency"]) == (
        "csv",
        "gls.csv",
        "GLS Giro",
        "EUR",
    )
    assert preview["detected"]["encoding"] == "latin-1"
    assert preview["counts"]["add"] == 1
    ((line,),) = [preview["lines"]]
    assert (line["date"], line["amount"], line["currency"], line["payee"]) == (
        "2017-10-10",
        "-98.76",
        "EUR",
        "Drillisch Online AG",
    )
    _, queued = await app.asgi_client.post(url(member, f"/{preview['id']}/commit"), headers=bearer(token))
    assert queued.status == 202
    assert (await committed(app, member, token, preview["id"]))["job"]["status"] == "committed"
    assert ledger(engine, member.context_id) == [
        ("2017-10-10", "expense", "98.76 EUR", "Drillisch Online AG")
    ]


async def test_an_ambiguous_line_is_answered_through_the_api(
    app: ApiApp, engine: Engine, worker: Celery
) -> None:
    member = new_user(engine)
    day = dt.date(2026, 11, 10)
    chat(
        engine,
        member,
        spend("30.00", day, "restaurants", "padaria"),
        spend("30.00", day, "health", "farmacia"),
    )
    token = await token_for(app, member)
    csv = b"Data;Descricao;Valor\n10/11/2026;PAG*JOSE DA SILVA;-30,00\n"
    response = await upload(app, member, token, csv, content_type="text/csv")
    assert response.status == 201, response.text
    import_id = response.json["id"]
    assert response.json["counts"]["ambiguous"] == 1
    (line,) = response.json["lines"]
    assert (line["outcome"], line["reason"], len(line["candidates"])) == ("ambiguous", "captures", 2)
    await app.asgi_client.post(url(member, f"/{import_id}/commit"), headers=bearer(token))
    assert (await committed(app, member, token, import_id))["job"]["counts"]["ambiguous"] == 1
    with engine.connect() as conn:
        farmacia = conn.execute(
            select(orm.transactions.c.id).where(
                orm.transactions.c.context_id == member.context_id, orm.transactions.c.merchant == "farmacia"
            )
        ).scalar_one()
    assert line["line_no"] == 2  # the file's own line (after the header)
    answer = url(member, f"/{import_id}/lines/2/answer")
    _, wrong = await app.asgi_client.post(
        answer, json={"transaction_id": str(uuid.uuid4())}, headers=bearer(token)
    )
    assert wrong.status == 409
    _, missing = await app.asgi_client.post(answer, json={}, headers=bearer(token))
    assert missing.status == 400
    assert_error(missing.json, "bad_request")
    _, answered = await app.asgi_client.post(
        answer, json={"transaction_id": str(farmacia)}, headers=bearer(token)
    )
    assert answered.status == 200, answered.text
    assert answered.json == {"import_id": import_id, "line_no": 2, "outcome": "merge"}
    assert sorted(row[1:] for row in ledger(engine, member.context_id)) == [
        ("expense", "30.00 BRL", "farmacia"),
        ("expense", "30.00 BRL", "padaria"),
    ]


async def test_lines_come_in_pages(app: ApiApp, engine: Engine) -> None:
    member = new_user(engine)
    token = await token_for(app, member)
    response = await upload(
        app, member, token, (FIXTURES / "csv2ofx_ing_es.csv").read_bytes(), content_type="text/csv"
    )
    assert response.status == 201, response.text
    import_id = response.json["id"]
    assert response.json["lines_total"] == 10
    pages = []
    after: int | None = 0
    while after is not None:
        _, page = await app.asgi_client.get(
            url(member, f"/{import_id}?lines_limit=4&lines_after={after}"), headers=bearer(token)
        )
        assert page.status == 200
        pages.append([line["line_no"] for line in page.json["lines"]])
        after = page.json["next_lines_after"]
    assert pages == [[2, 3, 4, 5], [6, 7, 8, 9], [10, 11]]  # the file's lines after its header
    _, bad = await app.asgi_client.get(url(member, f"/{import_id}?lines_limit=0"), headers=bearer(token))
    assert bad.status == 400
    assert_error(bad.json, "invalid_parameter")
    _, unknown = await app.asgi_client.get(url(member, f"/{uuid.uuid4()}"), headers=bearer(token))
    assert unknown.status == 404


@pytest.fixture
def small_app(settings: CoreSettings, engine: Engine, redis_conn: Redis) -> ApiApp:
    """An app that imports statements of at most 2 KiB."""
    return create_app(settings.model_copy(update={"import_max_bytes": 2048}), engine=engine, redis=redis_conn)


async def test_a_body_over_the_limit_is_413_and_nothing_is_written(small_app: ApiApp, engine: Engine) -> None:
    member = new_user(engine)
    token = await token_for(small_app, member)
    big = b"Data,Valor,Descricao\n" + b"01/11/2026,-1.00,padaria\n" * 200  # 5 KB
    declared = await upload(small_app, member, token, big, content_type="text/csv")
    assert declared.status == 413
    assert_error(declared.json, "statement_too_large")
    assert declared.json["error"]["message"] == (
        "the statement is 5 KB; statements up to 2 KB are imported (split the file by date range)"
    )

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked transfer
        for _ in range(10):
            yield big[:1000]

    _, streamed = await small_app.asgi_client.post(
        url(member), content=chunks(), headers={**bearer(token), "Content-Type": "text/csv"}
    )
    assert streamed.status == 413
    assert_error(streamed.json, "statement_too_large")
    assert streamed.json["error"]["message"] == (
        "the statement is larger than 2 KB, the most this server imports (split the file by date range)"
    )
    _, form = await small_app.asgi_client.post(
        url(member), files={"file": ("big.csv", big[:3000], "text/csv")}, headers=bearer(token)
    )
    assert form.status == 413
    assert_error(form.json, "statement_too_large")
    small = await upload(small_app, member, token, big[:1000], content_type="text/csv")
    assert small.status == 201, small.text  # under the limit it is read
    assert imports_of(engine, member.context_id) == 1
    assert ledger(engine, member.context_id) == []


async def test_a_truncated_ofx_is_422_with_the_parsers_reason_and_nothing_written(
    app: ApiApp, engine: Engine
) -> None:
    member = new_user(engine)
    token = await token_for(app, member)
    whole = SGML_OFX.read_bytes()
    response = await upload(app, member, token, whole[: len(whole) // 2])
    assert response.status == 422
    assert_error(response.json, "statement_format")
    assert "truncated" in response.json["error"]["message"] or "</OFX>" in response.json["error"]["message"]
    empty = await upload(app, member, token, b"")
    assert empty.status == 422
    assert response.json["error"]["message"] != empty.json["error"]["message"]
    preset = await upload(app, member, token, b"Data,Valor\n01/11/2026,1.00\n", "?preset=nope", "text/csv")
    assert preset.status == 422
    assert "nope" in preset.json["error"]["message"]
    bad = await upload(app, member, token, whole, "?date_order=XYZ")
    assert bad.status == 400
    assert_error(bad.json, "invalid_parameter")
    assert bad.json["error"]["message"].startswith("'date_order'")
    _, no_file = await app.asgi_client.post(
        url(member), files={"other": ("a.ofx", whole, "application/x-ofx")}, headers=bearer(token)
    )
    assert no_file.status == 400
    assert imports_of(engine, member.context_id) == 0
    assert ledger(engine, member.context_id) == []


async def test_a_viewer_reads_but_may_not_import_and_a_stranger_gets_403(app: ApiApp, engine: Engine) -> None:
    owner, viewer, stranger = new_user(engine), new_user(engine), new_user(engine)
    add_member(engine, owner, viewer, "viewer")
    owner_token = await token_for(app, owner)
    preview = await upload(app, owner, owner_token, SGML_OFX.read_bytes())
    import_id = preview.json["id"]
    viewer_token, stranger_token = await token_for(app, viewer), await token_for(app, stranger)
    changes = [
        ("", None),
        (f"/{import_id}/commit", None),
        (f"/{import_id}/undo", None),
        (f"/{import_id}/lines/1/answer", {"transaction_id": None}),
    ]
    for rest, body in changes:
        path = url(owner, rest)
        kwargs: dict[str, Any] = {"json": body} if body is not None else {"content": SGML_OFX.read_bytes()}
        _, refused = await app.asgi_client.post(path, headers=bearer(viewer_token), **kwargs)
        assert refused.status == 403, (rest, refused.text)
        assert_error(refused.json, "forbidden")
        _, outsider = await app.asgi_client.post(path, headers=bearer(stranger_token), **kwargs)
        assert outsider.status == 403, (rest, outsider.text)
        assert_error(outsider.json, "not_a_member")
    for rest in ("", f"/{import_id}"):
        _, read = await app.asgi_client.get(url(owner, rest), headers=bearer(viewer_token))
        assert read.status == 200, read.text
        _, outsider = await app.asgi_client.get(url(owner, rest), headers=bearer(stranger_token))
        assert outsider.status == 403
        assert_error(outsider.json, "not_a_member")
    assert imports_of(engine, owner.context_id) == 1
    assert ImportProgress(app.ctx.redis).get(uuid.UUID(import_id)) is None  # no job was queued
    assert ledger(engine, owner.context_id) == []


def test_a_job_the_import_refuses_says_failed_and_the_import_may_be_committed_again(
    settings: CoreSettings, engine: Engine, redis_conn: Redis
) -> None:
    """GIVEN a claimed commit whose actor is no member WHEN the job runs THEN it fails with the
    reason and nothing is written; a new claim then replaces the failed one."""
    from financy.core.adapters.statements import parse_statement
    from financy.core.domain.import_commands import PreviewImport
    from financy.core.service.bootstrap import bootstrap

    member = new_user(engine)
    parsed = parse_statement(SGML_OFX.read_bytes())
    import_id = bootstrap(engine=engine).handle(
        PreviewImport(member.user_id, member.context_id, parsed, None, "0" * 64, 1)
    )
    progress = ImportProgress(redis_conn)
    assert progress.claim(import_id, "job-1", 3) is None
    assert progress.claim(import_id, "job-2", 3).job_id == "job-1"  # type: ignore[union-attr]
    resources = tasks.JobResources(settings, engine=engine)
    try:
        result = commit_statement_import(
            resources, context_id=str(member.context_id), import_id=str(import_id), actor_id=str(uuid.uuid4())
        )
    finally:
        resources.close()
    assert result["status"] == "failed"
    assert result["error"]["code"] == "not_a_member"
    failed = progress.get(import_id)
    assert failed is not None
    assert (failed.job_id, failed.status, failed.error_code) == ("job-1", "failed", "not_a_member")
    assert ledger(engine, member.context_id) == []
    assert progress.claim(import_id, "job-3", 3) is None
    again = progress.get(import_id)
    assert again is not None
    assert (again.job_id, again.status, again.error_code, again.done, again.total) == (
        "job-3",
        "queued",
        None,
        0,
        3,
    )


async def test_the_import_routes_are_documented_and_answers_match(app: ApiApp, engine: Engine) -> None:
    member = new_user(engine)
    token = await token_for(app, member)
    spec = await served_spec(app)
    base = "/api/v1/contexts/{context_id}/imports"
    documented = {
        (base, "post"),
        (base, "get"),
        (base + "/{import_id}", "get"),
        (base + "/{import_id}/commit", "post"),
        (base + "/{import_id}/undo", "post"),
        (base + "/{import_id}/lines/{line_no}/answer", "post"),
    }
    assert {(p, m) for p, item in spec["paths"].items() for m in item if p.startswith(base)} == documented
    assert "multipart/form-data" in spec["paths"][base]["post"]["requestBody"]["content"]
    assert {"413", "422", "403"} <= set(spec["paths"][base]["post"]["responses"])
    response = await upload(app, member, token, SGML_OFX.read_bytes())
    assert_matches_post(spec, base, 201, response.json)
    _, shown = await app.asgi_client.get(url(member, f"/{response.json['id']}"), headers=bearer(token))
    assert_matches(spec, base + "/{import_id}", 200, shown.json)
    _, listed = await app.asgi_client.get(url(member), headers=bearer(token))
    operation = spec["paths"][base]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ImportsOut"
    }
    assert listed.json["items"][0]["id"] == response.json["id"]


def assert_matches_post(spec: dict[str, Any], path: str, status: int, body: Any) -> None:
    """Assert ``body`` is valid against the documented JSON answer of POST ``path`` at ``status``."""
    from openapi_schema_validator import OAS30Validator

    schema = spec["paths"][path]["post"]["responses"][str(status)]["content"]["application/json"]["schema"]
    validator = OAS30Validator(
        {**schema, "components": spec["components"]}, format_checker=OAS30Validator.FORMAT_CHECKER
    )
    assert [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)] == []


def test_a_200_mb_upload_to_the_real_server_is_refused_at_once(
    database_url: str, redis_url: str, engine: Engine, tmp_path: Path
) -> None:
    """GIVEN `financy core api` WHEN a client announces a 200 MB statement (and waits for "100
    Continue" before sending it) THEN the answer is 413 statement_too_large at once: not a byte of
    the body is asked for or read."""
    member = new_user(engine)
    port = free_port()
    env = financy_env(
        FINANCY_DATABASE_URL=database_url,
        FINANCY_REDIS_URL=redis_url,
        FINANCY_JWT_SECRET=JWT_SECRET,
        FINANCY_HOST="127.0.0.1",
        FINANCY_PORT=str(port),
        FINANCY_DATA_DIR=str(tmp_path / "core"),
    )
    with running(["core", "api"], env, tmp_path / "api.log") as proc:
        wait_http(f"http://127.0.0.1:{port}/healthz", proc=proc)
        import httpx

        login = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/token",
            json={"username": member.username, "password": member.password},
            timeout=10,
        )
        token = login.json()["access_token"]
        with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
            # As curl sends a large body: the headers, then the body only after "100 Continue".
            head = (
                f"POST /api/v1/contexts/{member.context_id}/imports HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: application/x-ofx\r\n"
                f"Content-Length: {200 * 1024 * 1024}\r\nExpect: 100-continue\r\n\r\n"
            )
            sock.sendall(head.encode())
            answer = b""
            while not answer.rstrip().endswith(b"}"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
    # Sanic puts "100 Continue" before any final answer to such a request; the answer is the 413.
    answer = answer.removeprefix(b"HTTP/1.1 100 Continue\r\n\r\n")
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 413 "), answer[:300]
    body = json.loads(rest.split(b"\r\n\r\n", 1)[1])
    assert body["error"]["code"] == "statement_too_large"
    assert body["error"]["message"].startswith("the statement is 200.0 MB; statements up to 10.0 MB")
    assert imports_of(engine, member.context_id) == 0


def test_a_commit_tells_its_progress_every_hundred_lines(engine: Engine) -> None:
    """GIVEN a 250-line statement WHEN it is committed with a progress callback THEN it hears
    0, 100, 200 and 250 of 250 lines, and all 250 are added."""
    from decimal import Decimal

    from financy.core.domain.import_commands import CommitImport, PreviewImport
    from financy.core.domain.statements import ParsedStatement, StatementFormat, StatementLine
    from financy.core.service.bootstrap import bootstrap

    member = new_user(engine)
    lines = tuple(
        StatementLine(
            line_no=i + 1,
            occurred_on=dt.date(2026, 10, 1) + dt.timedelta(days=i % 28),
            amount=Decimal(f"-{i + 1}.00"),
            payee=f"LOJA {i + 1}",
            external_id=f"F{i + 1}",
        )
        for i in range(250)
    )
    bus = bootstrap(engine=engine)
    statement = ParsedStatement(StatementFormat.OFX, lines, currency="BRL", account="1")
    import_id = bus.handle(PreviewImport(member.user_id, member.context_id, statement, None, "0" * 64, 1))
    heard: list[tuple[int, int]] = []
    counts = bus.handle(
        CommitImport(member.user_id, member.context_id, import_id, progress=lambda d, t: heard.append((d, t)))
    )
    assert heard == [(0, 250), (100, 250), (200, 250), (250, 250)]
    assert counts["add"] == 250
    assert len(ledger(engine, member.context_id)) == 250
