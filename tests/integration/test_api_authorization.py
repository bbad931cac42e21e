"""One authorization rule on every route, checked from the app's own router.

The probe walks ``app.router.routes`` — whatever is registered, including routes added later —
and calls each one twice: without a token, and with a valid token of a user who is not a member
of the context in the path. The context is a real one of another user, and the other ids in the
path are real rows of that context (a transaction and a capture with an original in the object
store), so a refusal is the authorization speaking and not a 404 of a made-up id. Every route
must refuse (401, 403 or 404, never 2xx); only the explicit allow-lists below are exempt.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from redis import Redis
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from sqlalchemy import Engine, insert, select, update

from financy.core.adapters import orm
from financy.core.domain.authorization import Action
from financy.core.entrypoints.api import ApiApp, ApiRequest, create_app, require
from financy.core.settings import CoreSettings
from tests.support.api import Member, api_token_for, assert_error, bearer, chat, new_user, spend, token_for

pytestmark = pytest.mark.integration


#: Routes anyone may call: probes, the login, the dashboard page, the docs and their assets.
PUBLIC = frozenset(
    {
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/v1/auth/token",
        # The reset token in the body is the credential (an instance admin issued it); tested in
        # test_api_account: a made-up one changes nothing.
        "/api/v1/password-reset",
        # The one-time enrolment token in the body is the credential (an instance admin issued it,
        # only its sha256 is stored); tested in test_edge_enrolment: unknown, used and expired
        # tokens get one 401 and change nothing.
        "/api/v1/edges/enroll",
        "/",
        "/docs",
        "/docs/swagger",
        "/docs/openapi.json",
        "/docs/swagger-config",
        # Swagger UI's OAuth2 redirect page (static, from the swagger-ui-bundle package).
        "/docs/oauth2-redirect.html",
        "/static/swagger-ui/<__file_uri__:path>",
    }
)
#: Routes that need a token but show the caller only their own data (so any valid token gets 200).
#: The account security ones act on the signed-in user themself and refuse API tokens.
OWN_DATA = frozenset(
    {
        "/api/v1/me",
        "/api/v1/me/link-codes",
        "/api/v1/contexts",
        "/api/v1/me/totp",
        "/api/v1/me/totp/confirm",
        "/api/v1/me/tokens",
        "/api/v1/me/tokens/<token_id:uuid>",
        "/api/v1/me/password",
        "/api/v1/invitations/accept",
    }
)
#: Routes only an instance admin (``users.is_admin``) may call: the non-member probe is a plain user.
INSTANCE_ADMIN = frozenset(
    {
        "/api/v1/users",
        "/api/v1/users/<user_id:uuid>/password-reset",
        "/api/v1/edges",
        "/api/v1/edges/<edge_id:str>",
    }
)
#: The context-scoped routes the API has today (the probe must find at least these).
CONTEXT_ROUTES = frozenset(
    {
        "/api/v1/contexts/<context_id:uuid>/transactions",
        "/api/v1/contexts/<context_id:uuid>/transactions/<transaction_id:uuid>",
        "/api/v1/contexts/<context_id:uuid>/transactions/<transaction_id:uuid>/original",
        "/api/v1/contexts/<context_id:uuid>/captures",
        "/api/v1/contexts/<context_id:uuid>/captures/<capture_id:uuid>/original",
        "/api/v1/contexts/<context_id:uuid>/transactions/<transaction_id:uuid>/audit",
        "/api/v1/contexts/<context_id:uuid>/categories",
        "/api/v1/contexts/<context_id:uuid>/budgets",
        "/api/v1/contexts/<context_id:uuid>/members",
        "/api/v1/contexts/<context_id:uuid>/reports/month-by-category",
        "/api/v1/contexts/<context_id:uuid>/reports/daily",
        "/api/v1/contexts/<context_id:uuid>/reports/top-merchants",
        "/api/v1/contexts/<context_id:uuid>/reports/income-expense",
        "/api/v1/contexts/<context_id:uuid>/reports/per-member",
        "/api/v1/contexts/<context_id:uuid>/export",
        "/api/v1/contexts/<context_id:uuid>/recurring",
        "/api/v1/contexts/<context_id:uuid>/cards",
        "/api/v1/contexts/<context_id:uuid>/cards/<card_id:uuid>/bills",
        "/api/v1/contexts/<context_id:uuid>/imports",
        "/api/v1/contexts/<context_id:uuid>/imports/<import_id:uuid>",
        "/api/v1/contexts/<context_id:uuid>/transactions/<transaction_id:uuid>/shares",
        "/api/v1/contexts/<context_id:uuid>/balances",
        "/api/v1/contexts/<context_id:uuid>/settlements",
        "/api/v1/contexts/<context_id:uuid>/search",
    }
)
_IMPORT = "/api/v1/contexts/<context_id:uuid>/imports/<import_id:uuid>"
#: The statement import routes that change a ledger (only POST): the probe must find them.
IMPORT_WRITE_ROUTES = frozenset(
    {
        ("POST", "/api/v1/contexts/<context_id:uuid>/imports"),
        ("POST", _IMPORT + "/commit"),
        ("POST", _IMPORT + "/undo"),
        ("POST", _IMPORT + "/lines/<line_no:int>/answer"),
    }
)
_TX = "/api/v1/contexts/<context_id:uuid>/transactions"
#: The routes that change a ledger (editing): a viewer is refused each with 403 ``forbidden``.
WRITE_ROUTES = frozenset(
    {
        ("POST", _TX),
        ("PATCH", _TX + "/<transaction_id:uuid>"),
        ("DELETE", _TX + "/<transaction_id:uuid>"),
        ("POST", _TX + "/<transaction_id:uuid>/restore"),
        ("PUT", _TX + "/<transaction_id:uuid>/splits"),
        ("DELETE", _TX + "/<transaction_id:uuid>/splits"),
        ("POST", "/api/v1/contexts/<context_id:uuid>/categories"),
        ("PATCH", "/api/v1/contexts/<context_id:uuid>/categories/<key:str>"),
        ("DELETE", "/api/v1/contexts/<context_id:uuid>/categories/<key:str>"),
        ("POST", "/api/v1/contexts/<context_id:uuid>/recurring/<series_id:uuid>/confirm"),
        ("POST", "/api/v1/contexts/<context_id:uuid>/recurring/<series_id:uuid>/dismiss"),
        ("POST", _TX + "/<transaction_id:uuid>/shares"),
        ("DELETE", _TX + "/<transaction_id:uuid>/shares"),
        ("POST", "/api/v1/contexts/<context_id:uuid>/settlements"),
    }
)
#: The shared-ledger routes that change a context (the probe must find them and see them refuse).
SHARING_ROUTES = frozenset(
    {
        "/api/v1/contexts/<context_id:uuid>",
        "/api/v1/contexts/<context_id:uuid>/archive",
        "/api/v1/contexts/<context_id:uuid>/unarchive",
        "/api/v1/contexts/<context_id:uuid>/members/<user_id:uuid>",
        "/api/v1/contexts/<context_id:uuid>/members/me/leave",
        "/api/v1/contexts/<context_id:uuid>/invitations",
        "/api/v1/contexts/<context_id:uuid>/invitations/<invitation_id:uuid>",
    }
)
#: The reports' range that holds the probe's transaction (45.90 on 2026-11-28), and where its amount shows.
REPORT_QUERIES = {
    "month-by-category": ("?from=2026-11&to=2026-11", lambda body: body["total"]),
    "daily": ("?from=2026-11-28&to=2026-11-28", lambda body: body["days"][0]["total"]),
    "top-merchants": ("?from=2026-11&to=2026-11", lambda body: body["merchants"][0]["total"]),
    "income-expense": ("?from=2026-11&to=2026-11", lambda body: body["expense"]),
    "per-member": ("?from=2026-11&to=2026-11", lambda body: body["months"][0]["members"][0]["spent"]),
}
_PARAM = re.compile(r"<([A-Za-z_][A-Za-z0-9_]*)(?::([^>]+))?>")
_ORIGINAL = b"\x89PNG\r\n\x1a\n" + b"original photo bytes" * 8


# --------------------------------------------------------------------------- fixtures


@dataclass(frozen=True)
class Ledger:
    """Another user's context with a transaction recorded from a photo that is in the object store,
    and a budget."""

    owner: Member
    transaction_id: uuid.UUID
    capture_id: uuid.UUID
    budget_id: uuid.UUID | None = None
    series_id: uuid.UUID | None = None
    card_id: uuid.UUID | None = None
    import_id: uuid.UUID | None = None

    def fill(self, template: str) -> str:
        """Return ``template`` (a route path) with this ledger's ids; unknown uuids random, others 'x'."""
        known = {
            "context_id": self.owner.context_id,
            "transaction_id": self.transaction_id,
            "capture_id": self.capture_id,
            "budget_id": self.budget_id or uuid.uuid4(),
            "card_id": self.card_id or uuid.uuid4(),
            "user_id": self.owner.user_id,
            "series_id": self.series_id or uuid.uuid4(),
            "import_id": self.import_id or uuid.uuid4(),
            "line_no": 1,
        }

        def value(match: re.Match[str]) -> str:
            name, kind = match.group(1), match.group(2) or "str"
            if name in known:
                return str(known[name])
            return str(uuid.uuid4()) if kind == "uuid" else "x"

        return _PARAM.sub(value, template)


def record_a_photo(app: ApiApp, engine: Engine, owner: Member) -> Ledger:
    """Record one transaction for ``owner`` and make its capture a photo kept in the app's store."""
    chat(engine, owner, spend("45.90", dt.date(2026, 11, 28)))
    tx = orm.transactions
    with engine.begin() as conn:
        transaction_id, capture_id = conn.execute(
            select(tx.c.id, tx.c.capture_id).where(tx.c.context_id == owner.context_id)
        ).one()
        key = f"captures/edge-api/{capture_id}/original.png"
        media = {"key": key, "content_type": "image/png", "size": len(_ORIGINAL), "sha256": "0" * 64}
        conn.execute(
            update(orm.captures)
            .where(orm.captures.c.id == capture_id)
            .values(media=media, media_type="photo")
        )
        budget_id = uuid.uuid4()
        conn.execute(
            insert(orm.budgets).values(
                id=budget_id,
                context_id=owner.context_id,
                scope="category",
                target="groceries",
                categories=["groceries"],
                amount=800,
                currency="BRL",
                starts_on=dt.date(2026, 11, 1),
            )
        )
        # A confirmed recurring series (re-detection never deletes a confirmed one).
        series_id = uuid.uuid4()
        conn.execute(
            insert(orm.recurring_series).values(
                id=series_id,
                context_id=owner.context_id,
                kind="expense",
                key="mercado",
                currency="BRL",
                merchant="mercado",
                category="groceries",
                cadence="monthly",
                amount=Decimal("45.90"),
                typical_amount=Decimal("45.90"),
                occurrences=3,
                confidence=0.7,
                status="confirmed",
                first_seen=dt.date(2026, 9, 28),
                last_seen=dt.date(2026, 11, 28),
                next_due=dt.date(2026, 12, 28),
            )
        )
        card_id = uuid.uuid4()
        conn.execute(
            insert(orm.cards).values(
                id=card_id,
                context_id=owner.context_id,
                name="Nubank",
                closing_day=5,
                due_day=12,
                is_default=True,
            )
        )
    assert app.ctx.objects is not None
    app.ctx.objects.put(key, _ORIGINAL, "image/png")
    return Ledger(
        owner=owner,
        transaction_id=transaction_id,
        capture_id=capture_id,
        budget_id=budget_id,
        series_id=series_id,
        card_id=card_id,
        import_id=preview_an_import(engine, owner),
    )


def preview_an_import(engine: Engine, owner: Member) -> uuid.UUID:
    """Preview a one-line statement import in ``owner``'s ledger (nothing recorded)."""
    from decimal import Decimal

    from financy.core.domain.import_commands import PreviewImport
    from financy.core.domain.statements import ParsedStatement, StatementFormat, StatementLine
    from financy.core.service.bootstrap import bootstrap

    line = StatementLine(
        line_no=1, occurred_on=dt.date(2026, 11, 20), amount=Decimal("-12.00"), payee="PADARIA"
    )
    statement = ParsedStatement(StatementFormat.OFX, (line,), currency="BRL", account="0001-9")
    import_id: uuid.UUID = bootstrap(engine=engine).handle(
        PreviewImport(owner.user_id, owner.context_id, statement, "probe.ofx", "0" * 64, 100)
    )
    return import_id


def add_member(engine: Engine, ledger: Ledger, user: Member, role: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(orm.members).values(context_id=ledger.owner.context_id, user_id=user.user_id, role=role)
        )


# --------------------------------------------------------------------------- the probe


@dataclass(frozen=True)
class Leak:
    """A route that answered a probe it should have refused."""

    method: str
    route: str
    caller: str  # "no token" or "non-member"
    status: int


async def routes_of(app: ApiApp) -> dict[str, frozenset[str]]:
    """Return every route template of the started app (``/`` + path) with its methods."""
    await app.asgi_client.get("/healthz")  # start the app: sanic-ext adds its routes at startup
    found: dict[str, set[str]] = {}
    for route in app.router.routes:
        found.setdefault("/" + route.path, set()).update(route.methods)
    return {path: frozenset(methods) for path, methods in found.items()}


async def probe(app: ApiApp, ledger: Ledger, outsider_token: str) -> list[Leak]:
    """Call every non-public route without a token and as a non-member; return those that answered.

    A refusal is 401, 403 or 404 with the JSON error shape. ``OPTIONS`` may answer 2xx, but only
    without a body (a CORS preflight carries no data).
    """
    leaks: list[Leak] = []
    for template, methods in sorted((await routes_of(app)).items()):
        if template in PUBLIC:
            continue
        url = ledger.fill(template)
        callers = (
            {"no token": {}}
            if template in OWN_DATA
            else {"no token": {}, "non-member": bearer(outsider_token)}
        )
        for method in sorted(methods):
            for caller, headers in callers.items():
                kwargs: dict[str, object] = {"headers": headers}
                if method in {"POST", "PUT", "PATCH"}:
                    kwargs["json"] = {}
                _, response = await app.asgi_client.request(method, url, **kwargs)
                if method == "OPTIONS" and response.status < 300 and not response.body:
                    continue
                refused = response.status in {401, 403, 404}
                if refused and method != "HEAD":
                    refused = "error" in (response.json or {})
                if not refused:
                    leaks.append(Leak(method, template, caller, response.status))
    return leaks


# --------------------------------------------------------------------------- tests


async def test_every_route_refuses_callers_without_a_token_or_membership(app: ApiApp, engine: Engine) -> None:
    ledger = record_a_photo(app, engine, new_user(engine))
    outsider = new_user(engine)
    routes = await routes_of(app)
    assert set(routes) >= (
        CONTEXT_ROUTES | SHARING_ROUTES | OWN_DATA | INSTANCE_ADMIN | {"/healthz", "/api/v1/auth/token", "/"}
    )
    for method, template in IMPORT_WRITE_ROUTES:
        assert method in routes.get(template, frozenset()), (method, template)
    assert await probe(app, ledger, await token_for(app, outsider)) == []


async def test_the_probe_uses_real_rows_members_can_read(app: ApiApp, engine: Engine) -> None:
    """GIVEN the probe's ids WHEN the owner and a viewer call the context routes THEN they get 200.

    So the non-member's refusal comes from the authorization, not from ids that do not exist.
    """
    ledger = record_a_photo(app, engine, new_user(engine))
    viewer = new_user(engine)
    add_member(engine, ledger, viewer, "viewer")
    for member in (ledger.owner, viewer):
        token = await token_for(app, member)
        for template in sorted(CONTEXT_ROUTES):
            report = template.rsplit("/reports/", 1)[-1] if "/reports/" in template else None
            query = REPORT_QUERIES[report][0] if report else ""
            _, response = await app.asgi_client.get(ledger.fill(template) + query, headers=bearer(token))
            assert response.status == 200, (template, response.text)
            if report:
                assert REPORT_QUERIES[report][1](response.json) == "45.90", (template, response.json)
            elif template.endswith("/original"):
                assert response.body == _ORIGINAL
                assert response.headers["content-type"] == "image/png"
            elif template.endswith("/export"):
                assert response.headers["content-type"] == "text/csv; charset=utf-8"
                assert b",-45.90,BRL,mercado," in response.body
            elif template.endswith("<transaction_id:uuid>"):
                assert response.json["id"] == str(ledger.transaction_id)
            elif template.endswith("<import_id:uuid>"):
                assert response.json["id"] == str(ledger.import_id)
                assert response.json["lines"][0]["amount"] == "-12.00"
            elif template.endswith(("/shares", "/settlements")):
                assert response.json["items"] == [], template  # nothing shared or settled yet
            elif template.endswith("/balances"):
                owed = [b["balance"] for b in response.json["items"]]
                assert owed == ["0.00"] * len(owed) != [], template  # every member, nothing owed yet
            else:
                assert response.json["items"], template


async def test_a_non_member_gets_the_same_answer_for_a_foreign_and_an_unknown_context(
    app: ApiApp, engine: Engine
) -> None:
    ledger = record_a_photo(app, engine, new_user(engine))
    token = await token_for(app, new_user(engine))
    unknown = Ledger(
        owner=Member(uuid.uuid4(), "", "", "", uuid.uuid4()),
        transaction_id=uuid.uuid4(),
        capture_id=uuid.uuid4(),
    )
    for template in sorted(CONTEXT_ROUTES):
        answers = []
        for target in (ledger, unknown):
            _, response = await app.asgi_client.get(target.fill(template), headers=bearer(token))
            assert response.status == 403, template
            assert_error(response.json, "not_a_member")
            answers.append(response.json)
        assert answers[0] == answers[1]


async def test_the_probe_reports_a_route_added_without_the_check(
    settings: CoreSettings, engine: Engine, redis_conn: Redis
) -> None:
    """GIVEN a fresh app with two extra routes that skip the rule THEN the probe names both."""
    fresh = create_app(settings, engine=engine, redis=redis_conn)

    async def leak_context(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
        return json_response({"context_id": str(context_id), "items": ["secret"]})

    async def leak_totals(request: ApiRequest) -> HTTPResponse:
        return json_response({"total": "123.45"})

    fresh.add_route(leak_context, "/api/v1/contexts/<context_id:uuid>/leak", methods=["GET"])
    fresh.add_route(leak_totals, "/api/v1/totals", methods=["GET"])
    ledger = record_a_photo(fresh, engine, new_user(engine))
    leaks = await probe(fresh, ledger, await token_for(fresh, new_user(engine)))
    assert {(leak.route, leak.caller) for leak in leaks if leak.method == "GET"} == {
        ("/api/v1/contexts/<context_id:uuid>/leak", "no token"),
        ("/api/v1/contexts/<context_id:uuid>/leak", "non-member"),
        ("/api/v1/totals", "no token"),
        ("/api/v1/totals", "non-member"),
    }
    assert {leak.route for leak in leaks} == {"/api/v1/contexts/<context_id:uuid>/leak", "/api/v1/totals"}


async def test_a_role_that_does_not_allow_the_action_is_403_forbidden(
    settings: CoreSettings, engine: Engine, redis_conn: Redis
) -> None:
    """GIVEN a route that edits WHEN a viewer calls it THEN 403 forbidden; an editor passes."""
    fresh = create_app(settings, engine=engine, redis=redis_conn)

    async def edit(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
        member = await require(request, context_id, Action.EDIT)
        return json_response({"role": member.role.value})

    fresh.add_route(edit, "/api/v1/contexts/<context_id:uuid>/edit", methods=["POST"])
    ledger = record_a_photo(fresh, engine, new_user(engine))
    viewer, editor = new_user(engine), new_user(engine)
    add_member(engine, ledger, viewer, "viewer")
    add_member(engine, ledger, editor, "editor")
    url = f"/api/v1/contexts/{ledger.owner.context_id}/edit"
    _, refused = await fresh.asgi_client.post(url, headers=bearer(await token_for(fresh, viewer)))
    assert refused.status == 403
    assert_error(refused.json, "forbidden")
    assert "viewer" in refused.json["error"]["message"]
    _, allowed = await fresh.asgi_client.post(url, headers=bearer(await token_for(fresh, editor)))
    assert allowed.status == 200
    assert allowed.json == {"role": "editor"}


async def test_a_viewer_is_refused_every_route_that_changes_the_ledger(app: ApiApp, engine: Engine) -> None:
    """GIVEN a viewer of a ledger WHEN they call each editing route with a valid body THEN 403
    ``forbidden`` and nothing changed; an editor gets past the rule on the same routes."""
    ledger = record_a_photo(app, engine, new_user(engine))
    viewer, editor = new_user(engine), new_user(engine)
    add_member(engine, ledger, viewer, "viewer")
    add_member(engine, ledger, editor, "editor")
    routes = await routes_of(app)
    for method, template in WRITE_ROUTES:
        assert method in routes.get(template, frozenset()), (method, template)
    bodies = {
        _TX: {"amount": "10.00", "currency": "BRL", "occurred_on": "2026-11-28"},
        _TX + "/<transaction_id:uuid>": {"merchant": "changed"},
        _TX + "/<transaction_id:uuid>/splits": [
            {"category": "groceries", "amount": "40.00"},
            {"category": "pets", "amount": "5.90"},
        ],
        "/api/v1/contexts/<context_id:uuid>/categories": {"parent": "groceries", "name": "Feira"},
        "/api/v1/contexts/<context_id:uuid>/categories/<key:str>": {"name": "Supermercado"},
        _TX + "/<transaction_id:uuid>/shares": {
            "mode": "equal",
            "members": [{"user_id": str(ledger.owner.user_id)}, {"user_id": str(editor.user_id)}],
        },
        "/api/v1/contexts/<context_id:uuid>/settlements": {
            "from_user": str(editor.user_id),
            "to_user": str(ledger.owner.user_id),
            "amount": "10.00",
        },
    }

    def state() -> tuple[object, ...]:
        with engine.connect() as conn:
            tx = conn.execute(
                select(orm.transactions).where(orm.transactions.c.context_id == ledger.owner.context_id)
            )
            events = conn.execute(
                select(orm.events.c.id).where(orm.events.c.context_id == ledger.owner.context_id)
            )
            return (tuple(tx.all()), tuple(events.all()))

    before = state()
    viewer_token, editor_token = await token_for(app, viewer), await token_for(app, editor)
    calls = []
    for method, template in sorted(WRITE_ROUTES):
        url = ledger.fill(template).replace("/categories/x", "/categories/groceries")
        body = bodies.get(template) if method in {"POST", "PUT", "PATCH"} else None
        calls.append((method, template, url, {} if body is None else {"json": body}))
    for method, template, url, body in calls:
        _, response = await app.asgi_client.request(method, url, headers=bearer(viewer_token), **body)
        assert response.status == 403, (method, template, response.text)
        assert_error(response.json, "forbidden")
    assert state() == before
    for method, template, url, body in calls:
        _, response = await app.asgi_client.request(method, url, headers=bearer(editor_token), **body)
        assert response.status != 403, (method, template, response.text)
    assert state() != before  # the editor's calls went through


_CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def test_a_read_scoped_api_token_changes_nothing_on_any_route(app: ApiApp, engine: Engine) -> None:
    """GIVEN the ledger owner's read-only API token WHEN every non-public route is called with
    every method that changes something THEN each refuses with 403; its GETs of the ledger pass."""
    ledger = record_a_photo(app, engine, new_user(engine))
    token = (await api_token_for(app, ledger.owner, ["read"]))["token"]
    probed = 0
    for template, methods in sorted((await routes_of(app)).items()):
        if template in PUBLIC:
            continue
        for method in sorted(methods & _CHANGES):
            kwargs: dict[str, object] = {"headers": bearer(token)}
            if method != "DELETE":
                kwargs["json"] = {}
            _, response = await app.asgi_client.request(method, ledger.fill(template), **kwargs)
            assert response.status == 403, (method, template, response.status)
            assert response.json["error"]["code"] in {"insufficient_scope", "session_required"}
            probed += 1
    assert probed >= 8  # link codes, two-factor, tokens, password, the admin's reset
    for template in sorted(CONTEXT_ROUTES):
        _, response = await app.asgi_client.get(ledger.fill(template), headers=bearer(token))
        assert response.status == 200, (template, response.text)


async def test_an_api_tokens_scopes_cap_what_the_role_allows(
    settings: CoreSettings, engine: Engine, redis_conn: Redis
) -> None:
    """GIVEN a route that records WHEN called with read, write and admin tokens THEN read is 403
    insufficient_scope, write and admin pass for an editor, and an admin token of a viewer is still
    403 forbidden (a scope never adds to the role)."""
    fresh = create_app(settings, engine=engine, redis=redis_conn)

    async def record(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
        member = await require(request, context_id, Action.RECORD)
        return json_response({"role": member.role.value})

    fresh.add_route(record, "/api/v1/contexts/<context_id:uuid>/record", methods=["POST"])
    ledger = record_a_photo(fresh, engine, new_user(engine))
    editor, viewer = new_user(engine), new_user(engine)
    add_member(engine, ledger, editor, "editor")
    add_member(engine, ledger, viewer, "viewer")
    url = f"/api/v1/contexts/{ledger.owner.context_id}/record"
    answers = {}
    for who, member in (("editor", editor), ("viewer", viewer)):
        for scope in ("read", "write", "admin"):
            token = (await api_token_for(fresh, member, [scope]))["token"]
            _, response = await fresh.asgi_client.post(url, headers=bearer(token))
            answers[(who, scope)] = (response.status, (response.json.get("error") or {}).get("code"))
    assert answers == {
        ("editor", "read"): (403, "insufficient_scope"),
        ("editor", "write"): (200, None),
        ("editor", "admin"): (200, None),
        ("viewer", "read"): (403, "insufficient_scope"),
        ("viewer", "write"): (403, "forbidden"),
        ("viewer", "admin"): (403, "forbidden"),
    }


async def test_only_an_instance_admin_issues_password_resets(app: ApiApp, engine: Engine) -> None:
    target = new_user(engine)
    admin = new_user(engine)
    with engine.begin() as conn:
        conn.execute(update(orm.users).where(orm.users.c.id == admin.user_id).values(is_admin=True))
    url = f"/api/v1/users/{target.user_id}/password-reset"
    _, refused = await app.asgi_client.post(url, headers=bearer(await token_for(app, new_user(engine))))
    assert refused.status == 403
    assert_error(refused.json, "forbidden")
    read_only = (await api_token_for(app, admin, ["read", "write"]))["token"]
    _, scoped = await app.asgi_client.post(url, headers=bearer(read_only))
    assert scoped.status == 403
    assert_error(scoped.json, "insufficient_scope")
    _, issued = await app.asgi_client.post(url, headers=bearer(await token_for(app, admin)))
    assert issued.status == 201, issued.text
    assert issued.json["user_id"] == str(target.user_id)
    admin_scoped = (await api_token_for(app, admin, ["admin"]))["token"]
    _, unknown = await app.asgi_client.post(
        f"/api/v1/users/{uuid.uuid4()}/password-reset", headers=bearer(admin_scoped)
    )
    assert unknown.status == 404
    assert_error(unknown.json, "not_found")
