"""`financy transcribe`: the DESIGN §5 JSON shape on a real voice note, one-line errors with stable codes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from financy.cli import main
from tests.unit.test_audio import COXINHA_OGG, png_bytes, wav_bytes


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["transcribe", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_voice_note_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, str(COXINHA_OGG), "--json", "--lang", "pt")
    assert code == 0, err
    result = json.loads(out)
    assert set(result) == {
        "text",
        "language",
        "duration_s",
        "segments",
        "model",
        "model_version",
        "confidence",
        "speech_found",
    }
    assert "coxinha de frango" in result["text"].lower()
    assert result["language"] == "pt"
    assert result["duration_s"] == 4.5
    assert result["model"] == "whisper-base"
    assert result["speech_found"] is True
    assert set(result["segments"][0]) >= {"start", "end", "text"}


def test_silence_is_no_speech(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "silence.wav"
    path.write_bytes(wav_bytes(np.zeros(3 * 16000, dtype="<i2"), 16000))
    code, out, err = run(capsys, str(path), "--json")
    assert code == 0
    assert json.loads(out)["speech_found"] is False
    assert json.loads(out)["text"] == ""
    assert "no speech found" in err


@pytest.mark.parametrize(
    ("content", "code_expected"),
    [(b"", "empty_audio"), (png_bytes(), "unsupported_audio"), (b"OggS" + bytes(300), "corrupt_audio")],
    ids=["empty", "png", "corrupt-ogg"],
)
def test_bad_audio_exit_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes, code_expected: str
) -> None:
    path = tmp_path / "note.ogg"
    path.write_bytes(content)
    code, out, err = run(capsys, str(path), "--json")
    assert code == 1
    assert json.loads(out)["error"]["code"] == code_expected
    assert err.count("\n") == 1
    assert code_expected in err


def test_plain_error_has_no_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "cat.png"
    path.write_bytes(png_bytes())
    code, out, err = run(capsys, str(path))
    assert (code, out) == (1, "")
    assert "PNG image" in err


def test_unreadable_path_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, str(tmp_path / "missing.ogg"), "--json")
    assert code == 2
    assert json.loads(out)["error"]["code"] == "unreadable_path"
    code, out, _ = run(capsys, str(tmp_path), "--json")
    assert code == 2
    assert json.loads(out)["error"]["code"] == "unreadable_path"


def test_vosk_model_speaks_another_language(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, str(COXINHA_OGG), "--backend", "vosk", "--lang", "pt", "--json")
    assert code == 1
    assert json.loads(out)["error"]["code"] == "unsupported_language"
    assert "ko" in err


def test_unknown_model(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(COXINHA_OGG), "--model", "whisper-huge", "--json")
    assert code == 1
    assert json.loads(out)["error"]["code"] == "model_not_found"
