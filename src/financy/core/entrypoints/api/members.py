"""Shared ledgers over the API: create and change ledgers, their members and invitations.

Routes (every context-scoped one calls :func:`~financy.core.entrypoints.api.security.require`
first, then the handler checks again in its own unit of work):

* ``POST /api/v1/contexts`` — create a ledger; the caller is its owner (201).
* ``PATCH /api/v1/contexts/{id}`` — rename, change time zone, locale, or base currency (only
  while the ledger has no transactions: 409 ``base_currency_locked``) (``manage_context``).
* ``POST /api/v1/contexts/{id}/archive`` and ``/unarchive`` (``manage_context``).
* ``GET /api/v1/contexts/{id}/members`` (``read``); ``PATCH`` and ``DELETE
  .../members/{user_id}`` (``manage_members``); ``POST .../members/me/leave`` (any member).
* ``POST .../invitations`` (``manage_members``; 201, the code is shown only then),
  ``GET .../invitations`` (pending, without codes), ``DELETE .../invitations/{id}`` (revoke).
* ``POST /api/v1/invitations/accept`` — the signed-in caller accepts a code.

Refusals of the membership rules keep the JSON error shape: 403 ``role_above_yours`` or
``owner_protected``, 404 ``member_not_found`` or ``invitation_unknown``, 409 ``last_owner``,
``already_member``, ``invitation_archived`` or ``base_currency_locked``, 410
``invitation_used``, ``invitation_expired`` or ``invitation_revoked``; nothing is changed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from sanic import Blueprint
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from sanic_ext import openapi

from financy.core.domain.authorization import Action
from financy.core.domain.commands import Command
from financy.core.domain.members import MembershipError, normalize_invite_code
from financy.core.domain.membership_commands import (
    AcceptInvitation,
    ArchiveContext,
    ChangeRole,
    CreateContext,
    CreateInvitation,
    IssuedInvitation,
    LeaveContext,
    RemoveMember,
    RevokeInvitation,
    UpdateContext,
)
from financy.core.entrypoints.api import members_schemas as ms
from financy.core.entrypoints.api import schemas
from financy.core.entrypoints.api.context import ApiRequest
from financy.core.entrypoints.api.errors import ApiError
from financy.core.entrypoints.api.security import current_user, require
from financy.core.service.unit_of_work import Invitation, MemberRow
from financy.core.views.contexts import context_of

_CONFLICTS = [
    schemas.error(400, "a field is invalid (bad_request, unknown_currency, unknown_time_zone)"),
    schemas.error(409, "the rules refuse it (last_owner, base_currency_locked, already_member, ...)"),
]


def _body(request: ApiRequest) -> Any:
    try:
        return request.json
    except Exception as exc:  # sanic raises BadRequest on malformed JSON
        raise ApiError(400, "bad_request", "the body is not valid JSON") from exc


async def _handle(request: ApiRequest, command: Command) -> Any:
    """Run ``command`` on the app's message bus in a worker thread; a refusal of the membership
    rules becomes its HTTP status with the JSON error shape."""
    try:
        return await asyncio.to_thread(request.app.ctx.bus.handle, command)
    except MembershipError as refused:
        raise ApiError(refused.status, refused.key, str(refused)) from refused


async def _context_json(request: ApiRequest, user_id: uuid.UUID, context_id: uuid.UUID) -> dict[str, Any]:
    def load() -> dict[str, Any]:
        with request.app.ctx.engine.connect() as conn:
            view = context_of(conn, user_id, context_id)
        if view is None:
            raise ApiError(404, "not_found", "no such context")
        return dict(view.to_json())

    return await asyncio.to_thread(load)


# --------------------------------------------------------------------------- ledgers


@openapi.definition(
    summary="Create a ledger",
    description="A personal, family, project or travel ledger with its base currency (ISO 4217), time zone "
    "(IANA) and locale (pt-BR or en). The caller becomes its owner.",
    tag="sharing",
    secured=schemas.SECURED,
    response=[*schemas.AUTH_ERRORS, *_CONFLICTS],
)
async def create_context(request: ApiRequest) -> HTTPResponse:
    """Answer 201 with the new context as ``GET /api/v1/contexts`` lists it (role ``owner``)."""
    user_id = current_user(request)
    body = schemas.parse_body(ms.ContextIn, _body(request))
    context_id = await _handle(
        request,
        CreateContext(user_id, body.name, body.type, body.base_currency, body.time_zone, body.locale),
    )
    return json_response(await _context_json(request, user_id, context_id), status=201)


@openapi.definition(
    summary="Rename a ledger or change its time zone, locale or base currency",
    description="Owners and admins. The base currency changes only while the ledger has no transactions "
    "(409 base_currency_locked).",
    tag="sharing",
    secured=schemas.SECURED,
    response=[*schemas.CONTEXT_ERRORS, *_CONFLICTS],
)
async def update_context(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Answer 200 with the context as it now is."""
    member = await require(request, context_id, Action.MANAGE_CONTEXT)
    body = schemas.parse_body(ms.ContextPatch, _body(request))
    await _handle(
        request,
        UpdateContext(
            member.user_id,
            context_id,
            name=body.name,
            time_zone=body.time_zone,
            locale=body.locale,
            base_currency=body.base_currency,
        ),
    )
    return json_response(await _context_json(request, member.user_id, context_id))


async def _archive(request: ApiRequest, context_id: uuid.UUID, archived: bool) -> HTTPResponse:
    member = await require(request, context_id, Action.MANAGE_CONTEXT)
    await _handle(request, ArchiveContext(member.user_id, context_id, archived))
    return json_response(await _context_json(request, member.user_id, context_id))


@openapi.definition(
    summary="Archive a ledger",
    description="Owners and admins. An archived ledger is listed (archived: true) and readable, and takes "
    "no new records from chat.",
    tag="sharing",
    secured=schemas.SECURED,
    response=schemas.CONTEXT_ERRORS,
)
async def archive_context(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Answer 200 with the context (``archived: true``)."""
    return await _archive(request, context_id, True)


@openapi.definition(
    summary="Unarchive a ledger",
    tag="sharing",
    secured=schemas.SECURED,
    response=schemas.CONTEXT_ERRORS,
)
async def unarchive_context(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Answer 200 with the context (``archived: false``)."""
    return await _archive(request, context_id, False)


# --------------------------------------------------------------------------- members


def _member_json(row: MemberRow) -> dict[str, Any]:
    return {
        "user_id": str(row.user_id),
        "role": row.role.value,
        "display_name": row.display_name,
        "username": row.username,
        "joined_at": row.joined_at.astimezone(dt.UTC).isoformat(),
    }


@openapi.definition(
    summary="Members of a ledger",
    description="Every member with their role, strongest first.",
    tag="sharing",
    secured=schemas.SECURED,
    response=schemas.CONTEXT_ERRORS,
)
async def list_members(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Answer ``{"items": [{"user_id", "role", "display_name", "username", "joined_at"}, ...]}``."""
    await require(request, context_id, Action.READ)
    ctx = request.app.ctx

    def load() -> list[dict[str, Any]]:
        with ctx.bus.uow_factory() as uow:
            return [_member_json(m) for m in uow.members.members(context_id)]

    return json_response({"items": await asyncio.to_thread(load)})


@openapi.definition(
    summary="Change a member's role",
    description="Owners and admins; admins never touch owners nor make anyone owner; nobody gives a role "
    "above their own; the last owner cannot be demoted (409).",
    tag="sharing",
    secured=schemas.SECURED,
    response=[*schemas.CONTEXT_ERRORS, *_CONFLICTS, schemas.error(404, "no such member")],
)
async def change_role(request: ApiRequest, context_id: uuid.UUID, user_id: uuid.UUID) -> HTTPResponse:
    """Answer 200 ``{"user_id", "role"}``."""
    member = await require(request, context_id, Action.MANAGE_MEMBERS)
    body = schemas.parse_body(ms.RoleIn, _body(request))
    role = await _handle(request, ChangeRole(member.user_id, context_id, user_id, body.role))
    return json_response({"user_id": str(user_id), "role": role.value})


@openapi.definition(
    summary="Remove a member",
    description="Owners and admins; admins cannot remove owners; the last owner cannot be removed (409).",
    tag="sharing",
    secured=schemas.SECURED,
    response=[*schemas.CONTEXT_ERRORS, *_CONFLICTS, schemas.error(404, "no such member")],
)
async def remove_member(request: ApiRequest, context_id: uuid.UUID, user_id: uuid.UUID) -> HTTPResponse:
    """Answer 204."""
    member = await require(request, context_id, Action.MANAGE_MEMBERS)
    await _handle(request, RemoveMember(member.user_id, context_id, user_id))
    return HTTPResponse(status=204)


@openapi.definition(
    summary="Leave a ledger",
    description="Any member; the last owner cannot leave (409).",
    tag="sharing",
    secured=schemas.SECURED,
    response=[*schemas.CONTEXT_ERRORS, *_CONFLICTS],
)
async def leave(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Answer 204."""
    member = await require(request, context_id, Action.READ)
    await _handle(request, LeaveContext(member.user_id, context_id))
    return HTTPResponse(status=204)


# --------------------------------------------------------------------------- invitations


def instructions(code: str, locale: str) -> str:
    """Return how the invitee accepts ``code``, in ``locale``'s language (Portuguese or English)."""
    if locale.lower().startswith("pt"):
        return (
            f"Mande /entrar {code} ao bot numa conversa privada, ou aceite no painel com o código. "
            "Vale uma vez."
        )
    return f"Send /join {code} to the bot in a private chat, or accept it on the dashboard with the code. Works once."


def _invitation_json(invitation: Invitation) -> dict[str, Any]:
    return {
        "id": str(invitation.id),
        "role": invitation.role.value,
        "created_by": str(invitation.created_by) if invitation.created_by else None,
        "created_at": invitation.created_at.astimezone(dt.UTC).isoformat(),
        "expires_at": invitation.expires_at.astimezone(dt.UTC).isoformat(),
    }


@openapi.definition(
    summary="Invite someone into a ledger",
    description="Owners and admins; the role is at most the inviter's (an admin never invites an owner). "
    "The one-time code is in this answer only (its sha256 is stored); expires_in_hours 1 to 720 (72).",
    tag="sharing",
    secured=schemas.SECURED,
    response=[*schemas.CONTEXT_ERRORS, *_CONFLICTS],
)
async def create_invitation(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Answer 201 ``{"id", "code", "role", "expires_at", "link", "telegram_url", "instructions"}``
    with ``Cache-Control: no-store``; ``link`` is the ``t.me`` deep link when a bot username is
    configured, else the code."""
    member = await require(request, context_id, Action.MANAGE_MEMBERS)
    body = schemas.parse_body(ms.InvitationIn, _body(request))
    issued: IssuedInvitation = await _handle(
        request, CreateInvitation(member.user_id, context_id, body.role, body.expires_in_hours)
    )
    bot = request.app.ctx.settings.telegram.bot_username
    bare = normalize_invite_code(issued.code)
    telegram = f"https://t.me/{bot}?start={bare}" if bot else None
    return json_response(
        {
            "id": str(issued.id),
            "code": issued.code,
            "role": issued.role.value,
            "expires_at": issued.expires_at.astimezone(dt.UTC).isoformat(),
            "link": telegram or issued.code,
            "telegram_url": telegram,
            "instructions": instructions(issued.code, member.context.locale),
        },
        status=201,
        headers={"Cache-Control": "no-store"},
    )


@openapi.definition(
    summary="Pending invitations of a ledger",
    description="Neither used, revoked nor expired; codes are never shown again.",
    tag="sharing",
    secured=schemas.SECURED,
    response=schemas.CONTEXT_ERRORS,
)
async def list_invitations(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Answer ``{"items": [{"id", "role", "created_by", "created_at", "expires_at"}, ...]}``, newest first."""
    await require(request, context_id, Action.MANAGE_MEMBERS)
    ctx = request.app.ctx

    def load() -> list[dict[str, Any]]:
        with ctx.bus.uow_factory() as uow:
            pending = uow.members.pending_invitations(context_id, dt.datetime.now(dt.UTC))
            return [_invitation_json(i) for i in pending]

    return json_response({"items": await asyncio.to_thread(load)})


@openapi.definition(
    summary="Revoke an invitation",
    tag="sharing",
    secured=schemas.SECURED,
    response=[
        *schemas.CONTEXT_ERRORS,
        schemas.error(404, "no such invitation"),
        schemas.error(410, "already used or revoked"),
    ],
)
async def revoke_invitation(
    request: ApiRequest, context_id: uuid.UUID, invitation_id: uuid.UUID
) -> HTTPResponse:
    """Answer 204."""
    member = await require(request, context_id, Action.MANAGE_MEMBERS)
    await _handle(request, RevokeInvitation(member.user_id, context_id, invitation_id))
    return HTTPResponse(status=204)


@openapi.definition(
    summary="Accept an invitation",
    description="The signed-in caller becomes a member with the invitation's role. Unknown code: 404; used, "
    "expired or revoked: 410; already a member: 409. Nothing changes on a refusal.",
    tag="sharing",
    secured=schemas.SECURED,
    response=[
        *schemas.AUTH_ERRORS,
        *_CONFLICTS,
        schemas.error(404, "no such invitation"),
        schemas.error(410, "used, expired or revoked"),
    ],
)
async def accept_invitation(request: ApiRequest) -> HTTPResponse:
    """Answer 200 ``{"context": {...as listed}, "role"}``."""
    user_id = current_user(request)
    body = schemas.parse_body(ms.AcceptIn, _body(request))
    context_id, role = await _handle(request, AcceptInvitation(user_id, body.code))
    return json_response({"context": await _context_json(request, user_id, context_id), "role": role.value})


def blueprint() -> Blueprint:
    """Return a new ``members`` blueprint (one per app)."""
    bp = Blueprint("members", url_prefix="/api/v1")
    bp.add_route(create_context, "/contexts", methods=["POST"], name="create_context")
    one = "/contexts/<context_id:uuid>"
    bp.add_route(update_context, one, methods=["PATCH"], name="update_context")
    bp.add_route(archive_context, f"{one}/archive", methods=["POST"], name="archive")
    bp.add_route(unarchive_context, f"{one}/unarchive", methods=["POST"], name="unarchive")
    bp.add_route(list_members, f"{one}/members", methods=["GET"], name="members")
    bp.add_route(leave, f"{one}/members/me/leave", methods=["POST"], name="leave")
    bp.add_route(change_role, f"{one}/members/<user_id:uuid>", methods=["PATCH"], name="change_role")
    bp.add_route(remove_member, f"{one}/members/<user_id:uuid>", methods=["DELETE"], name="remove_member")
    bp.add_route(create_invitation, f"{one}/invitations", methods=["POST"], name="invite")
    bp.add_route(list_invitations, f"{one}/invitations", methods=["GET"], name="invitations")
    bp.add_route(
        revoke_invitation, f"{one}/invitations/<invitation_id:uuid>", methods=["DELETE"], name="revoke"
    )
    bp.add_route(accept_invitation, "/invitations/accept", methods=["POST"], name="accept")
    return bp
