"""``python -m tests.eval.speech [--out FILE] [--no-prompt]``: word error rate, and amounts read from it.

Sets, in the splits of ``tests/eval/splits.py``:

- ``real-dev`` (dev): the real speech in ``tests/fixtures/audio`` pinned in unit tests (sources in
  tests/fixtures/SOURCES.md): Portuguese (coxinha, WAV and the OGG/Opus voice note) with
  whisper-base, English (JFK, "one two three") with tiny.en.
- ``espeak-pt`` / ``espeak-en`` (dev): 10 sentences each with a known amount, spoken by espeak-ng at
  run time (``-v pt-br`` / ``-v en-us``, 150 words per minute) into a temporary directory.
- ``real-test`` (test): the real Brazilian Portuguese speech in ``tests/fixtures/audio_test`` (13
  TTS-Portuguese-Corpus recordings, 2 UFPAlign demo clips); none states an amount, so only WER.

Each clip goes through ``WhisperTranscriber.transcribe`` exactly as the edge calls it (the context
language as the hint) with the prompt the edge builds (``edge/pipeline/media.py``): the chat's
recent merchants, then the edge's fixed vocabulary of category and money words, built by the edge's
own ``media.speech_prompt`` (vocabulary in ``inference/speech/data/prompt_vocabulary.tsv``). The chat here is
one whose recent merchants are the most frequent merchants of our own (dev) messages in that
language (:func:`recent_merchants`), never words of the test sentences. ``--no-prompt`` also
runs every clip without a prompt, for comparison. WER is jiwer's, on lower-cased words without
punctuation (digits are not spelled out, so "$12" against "twelve dollars" counts as errors).
"amount ok" means the text understanding (``understand_text``, context currency BRL) reads exactly
one transaction with the expected amount and currency from the transcript; "ref ok" is the same on
the reference sentence (a reader miss, not a speech miss).

Prints a table per set and writes ``var/eval/speech.json``. Exit status 0 when the run completed;
1 when espeak-ng is missing (the real set is still scored and written).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import jiwer

from financy.edge.pipeline import media
from financy.edge.pipeline.understand import understand_text
from financy.inference.registry import ModelRegistry
from financy.inference.speech import WhisperTranscriber

ROOT = Path(__file__).resolve().parents[2]
AUDIO = ROOT / "tests" / "fixtures" / "audio"
TEST_AUDIO = ROOT / "tests" / "fixtures" / "audio_test"
OURS = ROOT / "tests" / "eval" / "messages.jsonl"
DEFAULT_OUT = ROOT / "var" / "eval" / "speech.json"
TODAY = dt.date(2026, 11, 28)
ESPEAK_RATE = "150"

#: How many recent merchants the edge puts in the prompt (``media.PROMPT_MERCHANTS``).
RECENT_MERCHANTS = media.PROMPT_MERCHANTS


def recent_merchants(language: str) -> list[str]:
    """A chat's recent merchants: the most frequent labelled merchants of our dev messages in
    ``language`` (ties in file order), at most :data:`RECENT_MERCHANTS`."""
    counts: dict[str, int] = {}
    for line in OURS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["lang"] != language:
            continue
        for item in row["expected"]["transactions"]:
            if item.get("merchant"):
                counts[item["merchant"]] = counts.get(item["merchant"], 0) + 1
    ranked = sorted(counts, key=lambda name: -counts[name])
    return ranked[:RECENT_MERCHANTS]


def edge_prompt(language: str) -> str:
    """The prompt the edge gives Whisper for a chat with :func:`recent_merchants`: the edge's own
    :func:`financy.edge.pipeline.media.speech_prompt`."""
    return media.speech_prompt(language, recent_merchants(language))


PROMPTS = {language: edge_prompt(language) for language in ("pt", "en")}

#: (file, language, reference file, expected amount or None).
REAL_TEST = sorted((path.name, "pt", path.with_suffix(".txt").name) for path in TEST_AUDIO.glob("*.wav"))

REAL = [
    ("ufpalign_coxinha_ptbr.wav", "pt", "ufpalign_coxinha_ptbr.txt"),
    ("ufpalign_coxinha_ptbr.derived_voice_note.ogg", "pt", "ufpalign_coxinha_ptbr.txt"),
    ("fasterwhisper_jfk_en.flac", "en", "fasterwhisper_jfk_en.txt"),
    ("speechrecognition_one_two_three_en.wav", "en", "speechrecognition_one_two_three_en.txt"),
]

ESPEAK: dict[str, list[tuple[str, str, str]]] = {
    "pt": [
        ("gastei quarenta e cinco reais e noventa no mercado", "45.90", "BRL"),
        ("paguei cinquenta reais na farmácia", "50", "BRL"),
        ("almoço custou trinta e dois reais", "32", "BRL"),
        ("gastei vinte reais de uber", "20", "BRL"),
        ("paguei cento e vinte reais de luz", "120", "BRL"),
        ("comprei pão por oito reais na padaria", "8", "BRL"),
        ("abasteci o carro com duzentos reais", "200", "BRL"),
        ("gastei doze reais e cinquenta centavos no café", "12.50", "BRL"),
        ("paguei noventa e nove reais na academia", "99", "BRL"),
        ("jantar de sessenta e cinco reais no restaurante", "65", "BRL"),
    ],
    "en": [
        ("paid twelve dollars for lunch", "12", "USD"),
        ("spent forty five dollars at the supermarket", "45", "USD"),
        ("coffee cost four dollars and fifty cents", "4.50", "USD"),
        ("paid one hundred dollars for electricity", "100", "USD"),
        ("spent twenty dollars on a taxi", "20", "USD"),
        ("bought groceries for sixty three dollars", "63", "USD"),
        ("paid thirty dollars for gas", "30", "USD"),
        ("dinner was eighty dollars", "80", "USD"),
        ("spent fifteen dollars at the pharmacy", "15", "USD"),
        ("paid nine dollars and ninety nine cents for a movie", "9.99", "USD"),
    ],
}


def words(text: str) -> str:
    """Lower case, no punctuation, single spaces (accents kept)."""
    text = unicodedata.normalize("NFC", text.lower())
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def word_error_rate(reference: str, hypothesis: str) -> float:
    """jiwer WER of the normalised texts (an empty hypothesis counts every reference word as deleted)."""
    ref, hyp = words(reference), words(hypothesis)
    if not hyp:
        return 1.0
    return float(jiwer.wer(ref, hyp))


def amounts(text: str, language: str) -> list[tuple[str, str | None]]:
    """(amount, currency) of every transaction the text understanding reads from ``text``."""
    understanding = understand_text(text, today=TODAY, language_hint=language, currency="BRL")
    return [(str(t.amount), t.currency) for t in understanding.transactions]


def amount_ok(read: list[tuple[str, str | None]], amount: str, currency: str) -> bool:
    """Exactly one transaction, with the expected amount and currency (BRL when the reader left it blank)."""
    return len(read) == 1 and Decimal(read[0][0]) == Decimal(amount) and (read[0][1] or "BRL") == currency


@dataclass
class Row:
    """One clip, one prompt setting."""

    set: str
    clip: str
    language: str
    prompt: bool
    reference: str
    transcript: str
    wer: float
    seconds: float
    duration_s: float
    model: str
    confidence: float
    speech_found: bool
    expected_amount: str | None = None
    read_amounts: list[tuple[str, str | None]] | None = None
    amount_ok: bool | None = None
    reference_amount_ok: bool | None = None


def run_clip(
    whisper: WhisperTranscriber,
    set_name: str,
    clip: str,
    data: bytes,
    language: str,
    reference: str,
    prompt: bool,
) -> Row:
    """Transcribe one clip and score it."""
    started = time.perf_counter()
    transcript = whisper.transcribe(data, language=language, prompt=PROMPTS[language] if prompt else None)
    seconds = time.perf_counter() - started
    return Row(
        set=set_name,
        clip=clip,
        language=language,
        prompt=prompt,
        reference=reference,
        transcript=transcript.text,
        wer=word_error_rate(reference, transcript.text),
        seconds=seconds,
        duration_s=transcript.duration_s,
        model=transcript.model,
        confidence=transcript.confidence,
        speech_found=transcript.speech_found,
    )


def espeak(voice: str, text: str, target: Path) -> bytes:
    """Speak ``text`` with espeak-ng into ``target`` (WAV) and return its bytes."""
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", ESPEAK_RATE, "-w", str(target), text], check=True, timeout=60
    )
    return target.read_bytes()


def summarise(rows: list[Row]) -> list[dict[str, Any]]:
    """Per (set, prompt): clips, corpus WER, mean WER, amounts right, references read right, RTF."""
    out: list[dict[str, Any]] = []
    order = list(dict.fromkeys(r.set for r in rows))
    keys = sorted({(r.set, r.prompt) for r in rows}, key=lambda k: (order.index(k[0]), k[1]))
    for set_name, prompt in keys:
        group = [r for r in rows if r.set == set_name and r.prompt == prompt]
        corpus = float(
            jiwer.wer([words(r.reference) for r in group], [words(r.transcript) or "<empty>" for r in group])
        )
        scored = [r for r in group if r.amount_ok is not None]
        out.append(
            {
                "set": set_name,
                "prompt": prompt,
                "clips": len(group),
                "wer": round(corpus, 3),
                "mean_clip_wer": round(sum(r.wer for r in group) / len(group), 3),
                "amount_ok": sum(bool(r.amount_ok) for r in scored) if scored else None,
                "reference_amount_ok": sum(bool(r.reference_amount_ok) for r in scored) if scored else None,
                "rtf": round(sum(r.seconds for r in group) / sum(r.duration_s for r in group), 3),
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation, print the tables, write the JSON."""
    parser = argparse.ArgumentParser(prog="python -m tests.eval.speech", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON output (default {DEFAULT_OUT})")
    parser.add_argument(
        "--no-prompt", action="store_true", help="also transcribe every clip without a prompt"
    )
    args = parser.parse_args(argv)
    prompts = (True, False) if args.no_prompt else (True,)

    registry = ModelRegistry.default()
    whisper = WhisperTranscriber(registry)
    started = time.perf_counter()
    rows: list[Row] = []
    for set_name, folder, clips in (("real-dev", AUDIO, REAL), ("real-test", TEST_AUDIO, REAL_TEST)):
        for clip, language, ref_file in clips:
            reference = (folder / ref_file).read_text(encoding="utf-8").strip()
            data = (folder / clip).read_bytes()
            for prompt in prompts:
                rows.append(run_clip(whisper, set_name, clip, data, language, reference, prompt))

    status = 0
    if shutil.which("espeak-ng") is None:
        print(
            "espeak-ng is not installed (scripts/system-packages.txt): the espeak sets are skipped",
            file=sys.stderr,
        )
        status = 1
    else:
        with tempfile.TemporaryDirectory(prefix="financy-eval-speech-") as tmp:
            for language, sentences in ESPEAK.items():
                voice = "pt-br" if language == "pt" else "en-us"
                for index, (sentence, amount, currency) in enumerate(sentences):
                    data = espeak(voice, sentence, Path(tmp) / f"{language}{index}.wav")
                    reference_ok = amount_ok(amounts(sentence, language), amount, currency)
                    for prompt in prompts:
                        row = run_clip(
                            whisper, f"espeak-{language}", sentence, data, language, sentence, prompt
                        )
                        row.expected_amount = f"{amount} {currency}"
                        row.read_amounts = amounts(row.transcript, language)
                        row.amount_ok = amount_ok(row.read_amounts, amount, currency)
                        row.reference_amount_ok = reference_ok
                        rows.append(row)

    summary = summarise(rows)
    print("speech: WER (clips) and amount found (clips with an amount); prompt = the edge's")
    print(
        f"{'set':11} {'split':5} {'prompt':6} {'clips':>5} {'WER':>6} {'clip WER':>8} {'amount ok':>10} "
        f"{'ref ok':>7} {'RTF':>6}"
    )
    for s in summary:
        amount = "-" if s["amount_ok"] is None else f"{s['amount_ok']}/{s['clips']}"
        ref = "-" if s["reference_amount_ok"] is None else f"{s['reference_amount_ok']}/{s['clips']}"
        split = "test" if s["set"] == "real-test" else "dev"
        print(
            f"{s['set']:11} {split:5} {'edge' if s['prompt'] else 'none':6} {s['clips']:>5} {s['wer']:>6.3f} "
            f"{s['mean_clip_wer']:>8.3f} {amount:>10} {ref:>7} {s['rtf']:>6.3f}"
        )
    for split, names in (("dev", ("real-dev", "espeak-pt", "espeak-en")), ("test", ("real-test",))):
        group = [r for r in rows if r.set in names and r.prompt]
        if group:
            corpus = float(
                jiwer.wer(
                    [words(r.reference) for r in group], [words(r.transcript) or "<empty>" for r in group]
                )
            )
            scored = [r for r in group if r.amount_ok is not None]
            found = f"{sum(bool(r.amount_ok) for r in scored)}/{len(scored)}" if scored else "n/a (0 clips)"
            print(f"  {split}: WER {corpus:.3f} over {len(group)} clips; amount found {found}")
    print("\nper clip (edge prompt):")
    for r in rows:
        if r.prompt:
            mark = (
                ""
                if r.amount_ok is None
                else ("  amount OK" if r.amount_ok else f"  amount MISS {r.read_amounts}")
            )
            print(f"  [{r.set}] WER {r.wer:.2f}  {r.clip[:48]!r} -> {r.transcript!r}{mark}")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
        "espeak_rate_wpm": int(ESPEAK_RATE),
        "prompts": PROMPTS,
        "seconds": round(time.perf_counter() - started, 1),
        "summary": summary,
        "clips": [asdict(r) for r in rows],
    }
    args.out.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\nwrote {args.out}")
    return status


if __name__ == "__main__":
    sys.exit(main())
