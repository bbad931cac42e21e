"""A context's statement imports: upload a bank file for a preview, commit it as a job, undo it.

* ``POST /api/v1/contexts/<context_id>/imports`` — the statement file (OFX/QFX, CSV, QIF,
  camt.053) as the raw body (any ``Content-Type``: ``application/octet-stream``, ``text/csv``,
  ``application/x-ofx``...) or as the ``file`` field of a ``multipart/form-data`` form. Options in
  the query string or as form fields: ``account``, ``currency``, ``encoding``, ``delimiter``,
  ``date_order``, ``decimal``, ``preset``, ``filename`` (a hint for the format: ``.ofx``...).
  Answers 201 with the preview (:class:`ImportOut`: what each line will be, and why); nothing is
  in the ledger yet. Needs ``record``.
* ``GET /api/v1/contexts/<context_id>/imports`` — the context's imports, newest first. ``read``.
* ``GET /api/v1/contexts/<context_id>/imports/<import_id>`` — one import with its lines (a page of
  ``lines_limit`` lines after ``lines_after``) and its commit job's progress. ``read``.
* ``POST .../imports/<import_id>/commit`` — queue the commit as one Celery job
  (:mod:`financy.core.entrypoints.import_jobs`); 202 with the job and the URL that shows its
  progress (``GET .../imports/<import_id>``: ``job.status`` queued, running, committed or failed,
  ``job.done`` of ``job.total`` lines). A second commit while one is queued or running, or after
  it committed, is 409. Needs ``record``.
* ``POST .../imports/<import_id>/undo`` — undo a committed import as a whole (200). Needs ``edit``.
* ``POST .../imports/<import_id>/lines/<line_no>/answer`` ``{"transaction_id": uuid | null}`` —
  join an ambiguous line of a committed import to one of its candidates, or (null) add it. ``record``.

Bad input never writes anything: a body larger than ``FINANCY_IMPORT_MAX_BYTES`` (10 MiB by
default) is 413 ``statement_too_large`` — refused from its ``Content-Length`` before a byte of it
is read, or as soon as a body without one grows past the limit (this route streams its body, so
the app's small ``REQUEST_MAX_SIZE`` does not apply to it and the limit here does); a file that is
not a statement (truncated, empty, unknown encoding, a CSV without date and amount columns) is 422
``statement_format`` with the parser's reason; a bad option is 400 ``invalid_parameter``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import uuid
from collections.abc import Sequence
from typing import Any, Literal

from kombu.exceptions import OperationalError
from pydantic import BaseModel, Field, ValidationError
from redis import RedisError
from sanic import Blueprint
from sanic.request import File
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from sanic_ext import openapi

from financy.core.adapters.import_progress import ImportProgress, JobProgress
from financy.core.domain.authorization import Action
from financy.core.domain.import_commands import PreviewImport, ResolveImportLine, UndoImport
from financy.core.domain.statements import ImportNotFoundError, ImportStateError, StatementFormatError
from financy.core.entrypoints.api import schemas
from financy.core.entrypoints.api.context import ApiRequest
from financy.core.entrypoints.api.errors import ApiError, invalid_parameter
from financy.core.entrypoints.api.params import Limit, parse_query
from financy.core.entrypoints.api.schemas import _Body, _Out, _Query
from financy.core.entrypoints.api.security import require
from financy.core.entrypoints.import_jobs import enqueue_commit
from financy.core.service.statements_port import ImportLine, ImportRecord
from financy.core.views import imports as imports_view

#: Room a multipart form may take beside its file (boundaries, part headers, the option fields).
FORM_OVERHEAD_BYTES = 64 * 1024
#: Most lines one answer shows; default page.
MAX_LINES, DEFAULT_LINES = 1000, 500
#: Media types of the statement files the upload documents (any other type is read the same way).
STATEMENT_TYPES = (
    "application/octet-stream",
    "text/csv",
    "text/plain",
    "application/x-ofx",
    "application/vnd.intu.qfx",
    "application/qif",
    "application/xml",
    "text/xml",
)
UNPROCESSABLE = 422


# --------------------------------------------------------------------------- wire shapes


class UploadQuery(_Query):
    """How to read the file (all optional: the parser detects what is not given)."""

    account: str | None = Field(None, max_length=200, description="the account's name (default: the file's)")
    currency: str | None = Field(
        None,
        min_length=3,
        max_length=3,
        description="ISO 4217, when the file names none (default: the ledger's)",
    )
    encoding: str | None = Field(None, max_length=40, description="CSV/QIF: the text encoding, e.g. cp1252")
    delimiter: str | None = Field(None, min_length=1, max_length=1, description="CSV: the field separator")
    date_order: Literal["DMY", "MDY", "YMD"] | None = Field(None, description="CSV: the date order")
    decimal: Literal[".", ","] | None = Field(None, description="CSV: the decimal separator")
    preset: str | None = Field(None, max_length=60, description="CSV: a bank preset by name")
    filename: str | None = Field(
        None, max_length=255, description="raw body: the file's name, a hint for its format (.ofx, .qif...)"
    )


class ImportQuery(_Query):
    """Which lines of the import to show."""

    lines_after: int = Field(0, ge=0, description="show lines numbered above this (0: from the first)")
    lines_limit: int = Field(DEFAULT_LINES, ge=1, le=MAX_LINES, description=f"lines per page, 1..{MAX_LINES}")


class ImportsQuery(_Query):
    """How many imports to list."""

    limit: Limit = 50


class AnswerIn(_Body):
    """The answer to an ambiguous line: the candidate transaction it is, or null to add it as new."""

    transaction_id: uuid.UUID | None = Field(
        description="one of the line's candidates, or null: a new transaction"
    )


class ImportLineOut(_Out):
    """One statement line and what becomes (or became) of it."""

    line_no: int
    date: dt.date
    amount: str = Field(description="signed decimal string: negative is money out", examples=["-45.90"])
    currency: str
    payee: str | None
    memo: str | None
    external_id: str | None = Field(description="the bank's id of the line (OFX FITID), if any")
    outcome: Literal["add", "duplicate", "merge", "ambiguous", "invalid"]
    reason: str = Field(description="why: new, fitid, same_key, capture, captures, zero_amount, ...")
    transaction_id: uuid.UUID | None = Field(description="the transaction it became or was joined to")
    candidates: list[uuid.UUID] = Field(description="ambiguous: the chat entries it could be")


class ImportProblemOut(_Out):
    """A record of the file the parser could not read (the rest of the file was read)."""

    line_no: int
    reason: str
    text: str = ""


class JobErrorOut(_Out):
    """Why a commit job failed (nothing was written)."""

    code: str
    message: str


class ImportJobOut(_Out):
    """The commit job of an import and how far it got."""

    id: str = Field(description="the job's id (the Celery task id)")
    status: Literal["queued", "running", "committed", "failed"]
    done: int = Field(description="lines settled so far")
    total: int = Field(description="lines of the import")
    counts: dict[str, int] | None = Field(description="once committed: lines per outcome")
    error: JobErrorOut | None
    updated_at: dt.datetime | None


class ImportSummaryOut(_Out):
    """A statement import: previewed (nothing in the ledger yet), committed or undone."""

    id: uuid.UUID
    status: Literal["previewed", "committed", "undone"]
    format: str = Field(description="ofx, csv, qif or camt053")
    account: str
    currency: str
    filename: str | None
    sha256: str
    size_bytes: int
    detected: dict[str, Any] = Field(description="what the parser decided (encoding, delimiter, preset...)")
    counts: dict[str, int] = Field(description="lines per outcome: add, duplicate, merge, ambiguous, invalid")
    problems: list[ImportProblemOut]
    created_at: dt.datetime | None
    committed_at: dt.datetime | None
    undone_at: dt.datetime | None
    job: ImportJobOut | None = Field(description="the commit job, while its progress is kept (24 h)")


class ImportOut(ImportSummaryOut):
    """An import with a page of its lines."""

    lines: list[ImportLineOut]
    lines_total: int
    next_lines_after: int | None = Field(
        description="pass as lines_after for the next page (null: last page)"
    )


class ImportsOut(_Out):
    """A context's imports, newest first."""

    items: list[ImportSummaryOut]


class CommitOut(_Out):
    """The queued commit job; follow ``progress_url`` until ``job.status`` is committed or failed."""

    import_id: uuid.UUID
    job: ImportJobOut
    progress_url: str


class UndoOut(_Out):
    """An undone import: the transactions it added are reversed, the chat entries it joined restored."""

    id: uuid.UUID
    status: Literal["undone"]
    reversed: int
    unmerged: int


class AnswerOut(_Out):
    """What the answered line is now."""

    import_id: uuid.UUID
    line_no: int
    outcome: Literal["add", "merge"]


_MODELS: tuple[tuple[type[BaseModel], Literal["validation", "serialization"]], ...] = (
    (AnswerIn, "validation"),
    (ImportOut, "serialization"),
    (ImportsOut, "serialization"),
    (CommitOut, "serialization"),
    (UndoOut, "serialization"),
    (AnswerOut, "serialization"),
)


def component_schemas() -> dict[str, Any]:
    """Return the OpenAPI ``components.schemas`` of this module's models."""
    return schemas.component_schemas(_MODELS)


# --------------------------------------------------------------------------- helpers


def _megabytes(size: int) -> str:
    """``size`` bytes in words: "200.0 MB", or "2 KB" under a megabyte."""
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def too_large(limit: int, size: int | None = None) -> ApiError:
    """Return the 413 ``statement_too_large`` of a body over ``limit`` bytes (``size``: as declared)."""
    if size is not None:
        said = f"the statement is {_megabytes(size)}; statements up to {_megabytes(limit)} are imported"
    else:
        said = f"the statement is larger than {_megabytes(limit)}, the most this server imports"
    return ApiError(413, "statement_too_large", f"{said} (split the file by date range)")


async def read_limited(request: ApiRequest, limit: int) -> bytes:
    """Return the request's body, refusing more than ``limit`` bytes before reading them.

    Raises:
        ApiError: 413 ``statement_too_large`` (declared ``Content-Length`` or bytes received over
            ``limit``); 400 ``bad_request`` for a ``Content-Length`` that is not a number.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError as exc:
            raise ApiError(400, "bad_request", "Content-Length is not a number") from exc
        if size > limit:
            raise too_large(limit, size)
    if request.stream is None:
        return request.body or b""
    body = bytearray()
    async for chunk in request.stream:  # type: ignore[attr-defined]  # sanic's Stream iterates its body
        body += chunk
        if len(body) > limit:
            raise too_large(limit)
    return bytes(body)


def _options(request: ApiRequest, form: dict[str, str]) -> UploadQuery:
    """The upload's options: the query string, with a form's fields over it."""
    query = parse_query(request, UploadQuery)
    if not form:
        return query
    try:
        return UploadQuery.model_validate({**query.model_dump(exclude_none=True), **form})
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        raise invalid_parameter(".".join(str(p) for p in error["loc"]) or "form", error["msg"]) from exc


def _form_file(request: ApiRequest, limit: int) -> tuple[bytes, str | None, dict[str, str]]:
    """Return the ``file`` field's bytes and name, and the other fields, of a multipart body."""
    files = request.files
    uploaded: File | None = files.get("file") if files else None
    if uploaded is None:
        raise ApiError(400, "bad_request", "'file': the form has no statement file field named 'file'")
    if len(uploaded.body) > limit:
        raise too_large(limit, len(uploaded.body))
    fields = {
        name: values[0].strip()
        for name, values in (request.form or {}).items()
        if values and values[0].strip()
    }
    return uploaded.body, uploaded.name or None, fields


def _job(progress: JobProgress | None) -> dict[str, Any] | None:
    return None if progress is None else progress.as_json()


def _summary(record: ImportRecord, job: JobProgress | None) -> dict[str, Any]:
    return {
        **imports_view.summary_json(record),
        "size_bytes": record.size_bytes,
        "created_at": None if record.created_at is None else record.created_at.isoformat(),
        "committed_at": None if record.committed_at is None else record.committed_at.isoformat(),
        "undone_at": None if record.undone_at is None else record.undone_at.isoformat(),
        "job": _job(job),
    }


def import_out(
    record: ImportRecord, lines: Sequence[ImportLine], total: int, more: bool, job: JobProgress | None
) -> dict[str, Any]:
    """Return :class:`ImportOut` of ``record`` with the page ``lines`` of its ``total`` lines
    (``more``: lines follow the page)."""
    return {
        **_summary(record, job),
        "lines": [imports_view.line_json(line) for line in lines],
        "lines_total": total,
        "next_lines_after": lines[-1].line_no if more and lines else None,
    }


def _progress(request: ApiRequest) -> ImportProgress:
    return ImportProgress(request.app.ctx.redis)


def _load(
    request: ApiRequest, context_id: uuid.UUID, import_id: uuid.UUID, after: int, limit: int
) -> tuple[ImportRecord, list[ImportLine], int]:
    """Return the import, up to ``limit + 1`` of its lines after ``after``, and its number of lines.

    Raises:
        ImportNotFoundError: no such import in the context (404).
    """
    with request.app.ctx.engine.connect() as conn:
        record = imports_view.import_record(conn, context_id, import_id)
        if record is None:
            raise ImportNotFoundError(import_id)
        lines = imports_view.import_lines(conn, import_id, after=after, limit=limit + 1)
        return record, lines, imports_view.line_count(conn, import_id)


async def _shown(
    request: ApiRequest,
    context_id: uuid.UUID,
    import_id: uuid.UUID,
    *,
    after: int = 0,
    limit: int = DEFAULT_LINES,
) -> dict[str, Any]:
    record, lines, total = await asyncio.to_thread(_load, request, context_id, import_id, after, limit)
    job = await asyncio.to_thread(_progress(request).get, import_id)
    return import_out(record, lines[:limit], total, len(lines) > limit, job)


def _url(context_id: uuid.UUID, import_id: uuid.UUID) -> str:
    return f"/api/v1/contexts/{context_id}/imports/{import_id}"


_CONTEXT = schemas.path_parameters(context_id="context UUID")
_ONE = schemas.path_parameters(context_id="context UUID", import_id="import UUID")
_NOT_FOUND = schemas.error(404, "no such import in the context")
_STATE = schemas.error(409, "the import's state does not allow it (conflict)")


# --------------------------------------------------------------------------- routes


@openapi.definition(
    summary="Upload a bank statement: a preview of what it adds, merges and skips",
    description="The file as the raw body (OFX/QFX, CSV, QIF or camt.053; any Content-Type) or as the "
    "'file' field of a multipart/form-data form (options may be form fields there). Nothing is in "
    "the ledger until the import is committed. A body over FINANCY_IMPORT_MAX_BYTES is refused with "
    "413 from its Content-Length, before it is read.",
    tag="imports",
    secured=schemas.SECURED,
    parameter=[*_CONTEXT, *schemas.query_parameters(UploadQuery)],
    body={
        **{media: schemas._RawSchema(type="string", format="binary") for media in STATEMENT_TYPES},
        "multipart/form-data": schemas._RawSchema(
            type="object",
            required=["file"],
            properties={"file": {"type": "string", "format": "binary"}},
        ),
    },
    response=[
        schemas.ok(ImportOut, "The preview (status previewed)", status=201),
        schemas.error(400, "a bad option (invalid_parameter) or a form without 'file' (bad_request)"),
        *schemas.CONTEXT_ERRORS,
        schemas.error(413, "the file is larger than the limit (statement_too_large)"),
        schemas.error(UNPROCESSABLE, "not a statement Financy can read, with the reason (statement_format)"),
    ],
)
async def upload(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Read the uploaded statement into a previewed import; answer it (201)."""
    member = await require(request, context_id, Action.RECORD)
    limit = request.app.ctx.settings.import_max_bytes
    multipart = (request.content_type or "").lower().startswith("multipart/form-data")
    body = await read_limited(request, limit + FORM_OVERHEAD_BYTES if multipart else limit)
    form: dict[str, str] = {}
    name: str | None = None
    if multipart:
        request.body = body
        data, name, form = _form_file(request, limit)
    else:
        data = body
    options = _options(request, form)
    name = options.filename or name
    from financy.core.adapters.statements import CsvOptions, parse_statement

    try:
        csv_options = CsvOptions(
            encoding=options.encoding,
            delimiter=options.delimiter,
            date_order=options.date_order,
            decimal=options.decimal,
            preset=options.preset,
        )
    except ValueError as exc:
        raise invalid_parameter("options", str(exc)) from exc
    try:
        statement = await asyncio.to_thread(
            parse_statement, data, filename=name, options=csv_options, max_bytes=limit
        )
    except StatementFormatError as exc:
        raise ApiError(UNPROCESSABLE, exc.key, exc.reason) from exc
    command = PreviewImport(
        member.user_id,
        context_id,
        statement,
        filename=name,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        account=options.account,
        currency=options.currency,
    )
    import_id = await asyncio.to_thread(request.app.ctx.bus.handle, command)
    shown = await _shown(request, context_id, import_id)
    return json_response(shown, status=201, headers={"Location": _url(context_id, import_id)})


@openapi.definition(
    summary="A context's statement imports, newest first",
    tag="imports",
    secured=schemas.SECURED,
    parameter=[*_CONTEXT, *schemas.query_parameters(ImportsQuery)],
    response=[schemas.ok(ImportsOut), schemas.PARAMETER_ERROR, *schemas.CONTEXT_ERRORS],
)
async def list_imports(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Return ``{"items": [import summary, ...]}``."""
    await require(request, context_id, Action.READ)
    query = parse_query(request, ImportsQuery)

    def load() -> list[ImportRecord]:
        with request.app.ctx.engine.connect() as conn:
            return imports_view.import_records(conn, context_id, query.limit)

    records = await asyncio.to_thread(load)
    jobs = await asyncio.to_thread(_progress(request).get_many, [r.id for r in records])
    return json_response({"items": [_summary(r, jobs.get(r.id)) for r in records]})


@openapi.definition(
    summary="One import: its lines (a page) and its commit job's progress",
    description="While the commit job runs the import is still previewed and job.done of job.total "
    "lines are settled; once job.status is committed the lines show what they became.",
    tag="imports",
    secured=schemas.SECURED,
    parameter=[*_ONE, *schemas.query_parameters(ImportQuery)],
    response=[schemas.ok(ImportOut), schemas.PARAMETER_ERROR, *schemas.CONTEXT_ERRORS, _NOT_FOUND],
)
async def get_import(request: ApiRequest, context_id: uuid.UUID, import_id: uuid.UUID) -> HTTPResponse:
    """Return :class:`ImportOut`; 404 if the context has no such import."""
    await require(request, context_id, Action.READ)
    query = parse_query(request, ImportQuery)
    return json_response(
        await _shown(request, context_id, import_id, after=query.lines_after, limit=query.lines_limit)
    )


@openapi.definition(
    summary="Commit a previewed import as one background job",
    description="The plan is made again against the ledger as it is when the job runs, and written "
    "in one transaction. Follow progress_url (GET the import) for job.status and job.done/job.total.",
    tag="imports",
    secured=schemas.SECURED,
    parameter=_ONE,
    response=[
        schemas.ok(CommitOut, "Queued", status=202),
        *schemas.CONTEXT_ERRORS,
        _NOT_FOUND,
        schemas.error(409, "not a preview, or a commit of it is already queued, running or done (conflict)"),
        schemas.error(503, "the job queue (Redis) is unavailable: nothing was queued"),
    ],
)
async def commit(request: ApiRequest, context_id: uuid.UUID, import_id: uuid.UUID) -> HTTPResponse:
    """Queue the import's commit; answer 202 with the job."""
    member = await require(request, context_id, Action.RECORD)
    record, _, total = await asyncio.to_thread(_load, request, context_id, import_id, 0, 1)
    if record.status != "previewed":
        raise ImportStateError(f"the import is {record.status}, not a preview")
    try:
        job, queued = await asyncio.to_thread(
            enqueue_commit,
            request.app.ctx.settings,
            _progress(request),
            context_id=context_id,
            import_id=import_id,
            actor_id=member.user_id,
            total=total,
        )
    except (RedisError, OperationalError) as exc:
        raise ApiError(
            503, "unavailable", "the job queue is unavailable; nothing was queued, try again"
        ) from exc
    if not queued:
        raise ApiError(409, "conflict", f"a commit of this import is already {job.status} (job {job.job_id})")
    url = _url(context_id, import_id)
    return json_response(
        {"import_id": str(import_id), "job": job.as_json(), "progress_url": url},
        status=202,
        headers={"Location": url},
    )


@openapi.definition(
    summary="Undo a committed import as a whole",
    description="The transactions it added are reversed (kept for the audit); the chat entries it "
    "joined get their own date and amount back.",
    tag="imports",
    secured=schemas.SECURED,
    parameter=_ONE,
    response=[schemas.ok(UndoOut), *schemas.CONTEXT_ERRORS, _NOT_FOUND, _STATE],
)
async def undo(request: ApiRequest, context_id: uuid.UUID, import_id: uuid.UUID) -> HTTPResponse:
    """Undo the import; answer the numbers reversed and unmerged."""
    member = await require(request, context_id, Action.EDIT)
    result = await asyncio.to_thread(
        request.app.ctx.bus.handle, UndoImport(member.user_id, context_id, import_id)
    )
    return json_response({"id": str(import_id), "status": "undone", **result})


@openapi.definition(
    summary="Answer an ambiguous line of a committed import",
    description="transaction_id: the candidate chat entry the line is (it takes the bank's date and "
    "amount), or null to add the line as a new transaction.",
    tag="imports",
    secured=schemas.SECURED,
    parameter=[
        *_ONE,
        {
            "name": "line_no",
            "location": "path",
            "required": True,
            "description": "the line's number",
            "schema": schemas._RawSchema(type="integer", minimum=1),
        },
    ],
    body={"application/json": schemas.ref(AnswerIn)},
    response=[
        schemas.ok(AnswerOut),
        schemas.error(400, "a malformed body (bad_request)"),
        *schemas.CONTEXT_ERRORS,
        _NOT_FOUND,
        schemas.error(409, "not committed, not an ambiguous line, or not one of its candidates (conflict)"),
    ],
)
async def answer(
    request: ApiRequest, context_id: uuid.UUID, import_id: uuid.UUID, line_no: int
) -> HTTPResponse:
    """Merge the line into the chosen candidate, or add it; answer its outcome now."""
    member = await require(request, context_id, Action.RECORD)
    try:
        fields = request.json
    except Exception as exc:  # sanic raises its own error for a body that is not JSON
        raise ApiError(400, "bad_request", "the body is not valid JSON") from exc
    if isinstance(fields, dict) and "transaction_id" not in fields:
        raise ApiError(400, "bad_request", "'transaction_id': a candidate's id, or null to add the line")
    body = schemas.parse_body(AnswerIn, fields)
    command = ResolveImportLine(member.user_id, context_id, import_id, line_no, body.transaction_id)
    outcome = await asyncio.to_thread(request.app.ctx.bus.handle, command)
    return json_response({"import_id": str(import_id), "line_no": line_no, "outcome": outcome})


def blueprint() -> Blueprint:
    """Return a new ``imports`` blueprint (one per app)."""
    bp = Blueprint("imports", url_prefix="/api/v1/contexts/<context_id:uuid>/imports")
    # The upload streams its body: the app-wide REQUEST_MAX_SIZE (64 KiB) is lifted for it and
    # read_limited() enforces FINANCY_IMPORT_MAX_BYTES instead.
    bp.add_route(upload, "", methods=["POST"], name="upload", stream=True)
    bp.add_route(list_imports, "", methods=["GET"], name="list")
    bp.add_route(get_import, "/<import_id:uuid>", methods=["GET"], name="get")
    bp.add_route(commit, "/<import_id:uuid>/commit", methods=["POST"], name="commit")
    bp.add_route(undo, "/<import_id:uuid>/undo", methods=["POST"], name="undo")
    bp.add_route(answer, "/<import_id:uuid>/lines/<line_no:int>/answer", methods=["POST"], name="answer")
    return bp
