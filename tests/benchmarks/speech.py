"""``python -m tests.benchmarks.speech [--reps N] [--out FILE]``: our transcribe vs the raw faster-whisper call.

On the same clip and the same loaded model, in one process, alternating: "ours" is
``WhisperTranscriber.transcribe(bytes)`` (PyAV decoding with the size and length limits, the
silence check, Whisper with :data:`DECODE_OPTIONS`, segment filtering); "raw" is
``WhisperModel.transcribe(path, language=..., **DECODE_OPTIONS)`` with its segments consumed (it
decodes the file with faster-whisper's own PyAV loader). Clips: the Portuguese voice note (OGG/Opus)
with whisper-base, the English JFK clip (FLAC) with tiny.en. One warm-up each, then ``--reps``
repetitions; medians. Real-time factor = processing seconds / audio seconds. Peak RSS (psutil, and
``ru_maxrss``) is read after each model is loaded.

Prints a table with "ours within 10% of raw: PASS/MISS" and writes ``var/bench/speech.json``.
Exit status 0 when the run completed; 2 with ``--strict`` when a row misses.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import psutil

from financy.inference.registry import ModelRegistry
from financy.inference.speech import DECODE_OPTIONS, WhisperTranscriber

ROOT = Path(__file__).resolve().parents[2]
AUDIO = ROOT / "tests" / "fixtures" / "audio"
DEFAULT_OUT = ROOT / "var" / "bench" / "speech.json"
TARGET = 1.10  # ours within 10% of raw

CASES = [
    ("ufpalign_coxinha_ptbr.derived_voice_note.ogg", "pt"),
    ("fasterwhisper_jfk_en.flac", "en"),
]


def rss_mb() -> float:
    """Current resident set size of this process, MB."""
    return float(psutil.Process().memory_info().rss) / 1e6


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, MB (Linux ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table, write the JSON."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.speech", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--reps", type=int, default=7, help="timed repetitions per path (default 7)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON output (default {DEFAULT_OUT})")
    parser.add_argument("--strict", action="store_true", help="exit 2 when a row misses the 10%% target")
    args = parser.parse_args(argv)

    whisper = WhisperTranscriber(ModelRegistry.default())
    rows: list[dict[str, Any]] = []
    for clip, language in CASES:
        path = AUDIO / clip
        data = path.read_bytes()
        name = whisper.model_for(language)
        before = rss_mb()
        started = time.perf_counter()
        model = whisper.lazy_model(name).get()  # the same object serves both paths
        load_s = time.perf_counter() - started
        loaded_rss, loaded_peak = rss_mb(), peak_rss_mb()

        def ours(data: bytes = data, language: str = language) -> str:
            return whisper.transcribe(data, language=language).text

        def raw(path: Path = path, language: str = language, model: Any = model) -> str:
            segments, _info = model.transcribe(str(path), language=language, **DECODE_OPTIONS)
            return " ".join(s.text.strip() for s in segments)

        texts = {"ours": ours(), "raw": raw()}  # warm-up
        times: dict[str, list[float]] = {"ours": [], "raw": []}
        for _ in range(args.reps):
            for label, call in (("ours", ours), ("raw", raw)):
                t0 = time.perf_counter()
                call()
                times[label].append(time.perf_counter() - t0)
        duration = whisper.transcribe(data, language=language).duration_s
        ours_s, raw_s = statistics.median(times["ours"]), statistics.median(times["raw"])
        rows.append(
            {
                "clip": clip,
                "language": language,
                "model": name,
                "audio_s": round(duration, 3),
                "ours_median_s": round(ours_s, 4),
                "raw_median_s": round(raw_s, 4),
                "ours_rtf": round(ours_s / duration, 4),
                "raw_rtf": round(raw_s / duration, 4),
                "ratio": round(ours_s / raw_s, 3),
                "pass": ours_s <= raw_s * TARGET,
                "same_text": texts["ours"] == texts["raw"],
                "load_s": round(load_s, 2),
                "rss_before_load_mb": round(before, 1),
                "rss_after_load_mb": round(loaded_rss, 1),
                "peak_rss_after_load_mb": round(loaded_peak, 1),
                "times_ours_s": [round(t, 4) for t in times["ours"]],
                "times_raw_s": [round(t, 4) for t in times["raw"]],
            }
        )

    print(
        f"{'clip':46} {'model':16} {'audio s':>7} {'ours RTF':>8} {'raw RTF':>8} {'ratio':>6} "
        f"{'RSS MB':>7} {'peak MB':>7}  ours within 10% of raw"
    )
    for r in rows:
        print(
            f"{r['clip']:46} {r['model']:16} {r['audio_s']:>7.2f} {r['ours_rtf']:>8.3f} {r['raw_rtf']:>8.3f} "
            f"{r['ratio']:>6.2f} {r['rss_after_load_mb']:>7.0f} {r['peak_rss_after_load_mb']:>7.0f}  "
            f"{'PASS' if r['pass'] else 'MISS'}{'' if r['same_text'] else ' (texts differ)'}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "cpu": platform.machine()},
        "reps": args.reps,
        "decode_options": DECODE_OPTIONS,
        "rows": rows,
    }
    args.out.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 2 if args.strict and not all(r["pass"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
