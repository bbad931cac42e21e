"""Who may change whose membership in a shared ledger, and invitation codes (no I/O).

The rules (on top of :func:`~financy.core.domain.authorization.authorize` with
``Action.MANAGE_MEMBERS``):

* nobody gives anyone a role above their own (an admin invites or promotes up to admin);
* admins manage members but never touch owners: they cannot demote or remove an owner, and
  cannot make anyone owner; owners can do all of it;
* a ledger always keeps an owner: its last owner cannot be demoted, removed or leave (409).

Invitation codes are 10 symbols of Crockford's base32 (50 bits from :mod:`secrets`), shown as
``K7QM2-XPD9A``; only the sha256 of the normalised code is stored (as link codes are). Being
10 symbols long, they never read as an 8-symbol link code.
"""

from __future__ import annotations

import hashlib
import secrets

from financy.core.domain.authorization import Action, authorize
from financy.core.domain.errors import FinancyError
from financy.core.domain.model import Role

#: Crockford's base32 alphabet (no I, L, O or U), as link codes use.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Symbols in an invitation code (5 bits each: 50 bits).
INVITE_CODE_LENGTH = 10
#: Lifetime of an invitation when the inviter names none, and the longest allowed (hours).
DEFAULT_INVITE_HOURS = 72
MAX_INVITE_HOURS = 720
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_DROPPED = str.maketrans("", "", "- \t\r\n\u00a0_")

#: Strength of each role: a higher number may do everything a lower one may.
RANK: dict[Role, int] = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2, Role.OWNER: 3}

#: The words a chat message names a role by ("/convidar leitor"), folded (lower case, no accents).
ROLE_WORDS: dict[str, Role] = {
    "owner": Role.OWNER,
    "dono": Role.OWNER,
    "dona": Role.OWNER,
    "admin": Role.ADMIN,
    "administrador": Role.ADMIN,
    "administradora": Role.ADMIN,
    "editor": Role.EDITOR,
    "editora": Role.EDITOR,
    "viewer": Role.VIEWER,
    "reader": Role.VIEWER,
    "leitor": Role.VIEWER,
    "leitora": Role.VIEWER,
    "visualizador": Role.VIEWER,
    "visualizadora": Role.VIEWER,
}


class MembershipError(FinancyError):
    """A membership change the rules refuse; ``status`` is the HTTP status the API answers."""

    key = "membership_refused"
    status: int = 403


class RoleCeilingError(MembershipError):
    """The role asked for is above the actor's own (or an admin named an owner)."""

    key = "role_above_yours"

    def __init__(self, actor: Role, wanted: Role) -> None:
        super().__init__(
            f"a {actor.value} cannot give the role {wanted.value}: it is above what they may grant"
        )
        self.actor, self.wanted = actor, wanted


class OwnerProtectedError(MembershipError):
    """An admin tried to demote or remove an owner."""

    key = "owner_protected"

    def __init__(self) -> None:
        super().__init__("only an owner may change or remove an owner")


class LastOwnerError(MembershipError):
    """The change would leave the ledger without an owner."""

    key = "last_owner"
    status = 409

    def __init__(self) -> None:
        super().__init__(
            "the ledger's last owner cannot leave, be removed or be demoted: make another member owner first"
        )


class MemberNotFoundError(MembershipError):
    """The user named is not a member of the ledger."""

    key = "member_not_found"
    status = 404

    def __init__(self) -> None:
        super().__init__("no such member in this ledger")


class InvitationError(MembershipError):
    """An invitation that cannot be used or changed (``key`` says why)."""

    status = 410

    def __init__(self, key: str, message: str, status: int = 410) -> None:
        super().__init__(message)
        self.key = key
        self.status = status  # 404 unknown; 410 used, expired or revoked


def invitation_unknown() -> InvitationError:
    """The error of a code that names no invitation (404)."""
    return InvitationError("invitation_unknown", "no invitation has this code", 404)


INVITATION_USED = "invitation_used"
INVITATION_EXPIRED = "invitation_expired"
INVITATION_REVOKED = "invitation_revoked"
INVITATION_MESSAGES = {
    INVITATION_USED: "this invitation was already used",
    INVITATION_EXPIRED: "this invitation has expired",
    INVITATION_REVOKED: "this invitation was revoked",
}


class ContextRefusedError(MembershipError):
    """A change to the ledger itself that is refused (``key`` says why)."""

    def __init__(self, key: str, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.key = key
        self.status = status


def check_grant(actor: Role | None, wanted: Role) -> Role:
    """Return ``actor`` if they may give someone the role ``wanted`` (invite or promote).

    Raises:
        NotAMemberError, ForbiddenError: ``actor`` may not manage members at all.
        RoleCeilingError: ``wanted`` is above ``actor`` (an admin never makes an owner).
    """
    role = authorize(actor, Action.MANAGE_MEMBERS)
    if RANK[wanted] > RANK[role]:
        raise RoleCeilingError(role, wanted)
    return role


def check_role_change(actor: Role | None, current: Role, wanted: Role, owners: int) -> None:
    """Check that a member whose role is ``actor`` may change someone's role from ``current`` to
    ``wanted`` in a ledger that has ``owners`` owners.

    Raises:
        NotAMemberError, ForbiddenError: ``actor`` may not manage members.
        OwnerProtectedError: ``current`` is owner and ``actor`` is not.
        RoleCeilingError: ``wanted`` is above ``actor``.
        LastOwnerError: the last owner would be demoted.
    """
    role = authorize(actor, Action.MANAGE_MEMBERS)
    if current is Role.OWNER and role is not Role.OWNER:
        raise OwnerProtectedError()
    check_grant(role, wanted)
    if current is Role.OWNER and wanted is not Role.OWNER and owners <= 1:
        raise LastOwnerError()


def check_removal(actor: Role | None, target: Role, owners: int) -> None:
    """Check that a member whose role is ``actor`` may remove a member whose role is ``target``.

    Raises:
        NotAMemberError, ForbiddenError: ``actor`` may not manage members.
        OwnerProtectedError: ``target`` is an owner and ``actor`` is not.
        LastOwnerError: ``target`` is the last owner.
    """
    role = authorize(actor, Action.MANAGE_MEMBERS)
    if target is Role.OWNER and role is not Role.OWNER:
        raise OwnerProtectedError()
    if target is Role.OWNER and owners <= 1:
        raise LastOwnerError()


def check_leave(role: Role | None, owners: int) -> None:
    """Check that a member whose role is ``role`` may leave a ledger with ``owners`` owners.

    Raises:
        NotAMemberError: ``role`` is ``None``.
        LastOwnerError: they are its last owner.
    """
    authorize(role, Action.READ)
    if role is Role.OWNER and owners <= 1:
        raise LastOwnerError()


def role_named(word: str | None) -> Role | None:
    """Return the role ``word`` names ("leitor", "Viewer", "admin"), or ``None`` when it names none."""
    import unicodedata

    folded = unicodedata.normalize("NFKD", (word or "").strip().casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return ROLE_WORDS.get(plain)


def new_invite_code() -> str:
    """Return a fresh invitation code as shown to people (``"K7QM2-XPD9A"``)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(INVITE_CODE_LENGTH))
    return shown_invite_code(raw)


def shown_invite_code(code: str) -> str:
    """Return normalised ``code`` with a dash in the middle (``"K7QM2XPD9A"`` -> ``"K7QM2-XPD9A"``)."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def normalize_invite_code(typed: str) -> str | None:
    """Return what ``typed`` names as a normalised invitation code (10 symbols of
    :data:`ALPHABET`, Crockford's readings applied), or ``None`` when it cannot be one."""
    code = typed.strip().upper().translate(_DROPPED).translate(_READ_AS)
    if len(code) != INVITE_CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def invite_code_hash(code: str) -> str:
    """Return the stored form of normalised ``code``: its sha256 as 64 lower-case hex digits."""
    return hashlib.sha256(("invite:" + code).encode("ascii")).hexdigest()
