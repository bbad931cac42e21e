"""``financy send``/``chat``: the buttons line under a reply, and the dev chat token when it is set."""

from __future__ import annotations

import pytest

from financy.bots.devchat import cli


def test_the_reply_text_is_printed_with_its_buttons_on_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    result = {
        "reply": {
            "seq": 1,
            "text": "✅ R$ 40,00 · drogasil · Mercado · 28/11\nErrado? /desfazer",
            "kind": "recorded",
            "buttons": [
                {"label": "↩️ Desfazer", "action": "undo", "value": "/desfazer"},
                {"label": "🏷️ Saúde", "action": "change_category", "value": "muda pra saúde"},
            ],
        }
    }
    assert cli._show(result, as_json=False) == 0
    assert capsys.readouterr().out == (
        "✅ R$ 40,00 · drogasil · Mercado · 28/11\nErrado? /desfazer\n[↩️ Desfazer] [🏷️ Saúde]\n"
    )
    assert cli._show({"reply": {"text": "Não há nada para desfazer.", "buttons": []}}, as_json=False) == 0
    assert capsys.readouterr().out == "Não há nada para desfazer.\n"


def test_the_token_is_sent_only_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FINANCY_EDGE__DEVCHAT_TOKEN", raising=False)
    assert cli.auth_headers() == {}
    monkeypatch.setenv("FINANCY_EDGE__DEVCHAT_TOKEN", "  t0ken ")
    assert cli.auth_headers() == {"Authorization": "Bearer t0ken"}
