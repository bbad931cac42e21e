"""``financy transcribe AUDIO [--json]``: speech to text on this machine (DESIGN §5)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from financy.edge.cli_files import InputFileError, fail, read_input
from financy.inference.registry import ModelError, ModelRegistry
from financy.inference.speech import SpeechError, SpeechLimits, make_transcriber

#: Language when ``--lang`` is not given (the product's first market).
DEFAULT_LANGUAGE = "pt"


def _fail(args: argparse.Namespace, code: str, message: str, status: int) -> int:
    return fail("transcribe", args, code, message, status)


def transcribe(args: argparse.Namespace) -> int:
    """Transcribe the file ``args.audio``; print the transcript (``--json``: DESIGN §5 shape).

    Arguments read: ``audio``, ``json``, ``lang`` (whisper default "pt"; vosk: the model's own),
    ``backend`` ("whisper"/"vosk"), ``model`` (manifest name: with whisper it replaces both models,
    with vosk it picks the model), ``prompt`` (vocabulary for Whisper), ``models_dir``.

    Exit status: 0 with a transcript (also when no speech was found: ``speech_found`` false and a
    note on stderr); 1 for audio refused (``AudioError`` codes), a language the model lacks, or a
    missing or corrupt model; 2 when the path cannot be read (``unreadable_path``).
    """
    path = Path(args.audio)
    limits = SpeechLimits()
    try:
        data = read_input(path, "an audio file", limits.max_bytes)
    except InputFileError as exc:
        return _fail(args, exc.code, exc.message, exc.status)

    backend = getattr(args, "backend", None) or "whisper"
    language: str | None = getattr(args, "lang", None)
    if backend == "whisper":
        language = (language or DEFAULT_LANGUAGE).lower()
    model = getattr(args, "model", None)
    options: dict[str, Any] = {"limits": limits}
    if backend == "whisper":
        options["default_language"] = language or DEFAULT_LANGUAGE
        if model:
            options["english_model"] = options["multilingual_model"] = model
    elif model:
        options["model"] = model
    models_dir = Path(args.models_dir) if getattr(args, "models_dir", None) else None
    try:
        registry = ModelRegistry.default(models_dir)
        transcriber = make_transcriber(backend, registry, **options)
        transcript = transcriber.transcribe(data, language=language, prompt=getattr(args, "prompt", None))
    except SpeechError as exc:
        return _fail(args, exc.code, exc.message, 1)
    except ModelError as exc:
        return _fail(args, exc.code, str(exc), 1)

    if args.json:
        print(json.dumps(transcript.to_json(), ensure_ascii=False))
    else:
        print(transcript.text)
    if not transcript.speech_found:
        print(
            f"financy transcribe: no speech found in {transcript.duration_s:.1f} s of audio", file=sys.stderr
        )
    return 0
