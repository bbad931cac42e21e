"""One display name per category per language, everywhere: the reply, its buttons, the summary,
the dashboard (the API's view and the page), the core's taxonomy and the README's table all read
``core/contracts/category_display_names.tsv``; every slug is walked in both languages."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from financy.bots.common.render import CATEGORY_NAMES, buttons, render_reply
from financy.bots.common.reply import ButtonAction
from financy.core.contracts.categories import (
    CATEGORY_DISPLAY,
    DISPLAY_BY_SLUG,
    LANGUAGES,
    README_BEGIN,
    README_END,
    display_name,
    markdown_table,
)
from financy.core.contracts.v1 import (
    RecordedTransaction,
    ReplyKind,
    ReplyV1,
    SummaryRow,
    SummaryV1,
    TransactionKind,
)
from financy.core.domain.model import CATEGORY_BY_SLUG, TAXONOMY, Money, Transaction
from financy.core.entrypoints.api.context import Dashboard
from financy.core.service.handlers.chat import shown
from financy.inference.taxonomy import CATEGORY_SLUGS
from financy.inference.text import lexicon as lx
from financy.inference.text.normalize import fold

REPO = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 28)
SLUGS_AND_LANGUAGES = [(c.slug, language) for c in CATEGORY_DISPLAY for language in LANGUAGES]
#: Only the README's table and the data file may spell a display name: any other file that does
#: holds a second copy (multi-word names, which are not everyday words the code uses otherwise).
_SPELLED_ONLY_IN_THE_FILE = [
    c.names[lang] for c in CATEGORY_DISPLAY for lang in LANGUAGES if " " in c.names[lang]
]


def _transaction(slug: str) -> Transaction:
    kind = DISPLAY_BY_SLUG[slug].kind
    return Transaction(
        id=uuid.uuid4(),
        context_id=uuid.uuid4(),
        kind=kind,
        money=Money(Decimal("40"), "BRL"),
        occurred_on=TODAY,
        merchant=None,
        description=None,
        payment_method=None,
        installments=None,
        category=slug,
        source_channel="devchat",
        capture_id=None,
        author_id=None,
        confidence=None,
    )


def _reply(language: str, kind: ReplyKind, **fields: object) -> ReplyV1:
    return ReplyV1(
        reply_id=uuid.uuid4(),
        capture_id=uuid.uuid4(),
        idempotency_key="devchat:a:1",
        edge_id="local",
        platform="devchat",
        chat_id="a",
        in_reply_to="1",
        language=language,  # type: ignore[arg-type]
        kind=kind,
        created_at=dt.datetime.now(dt.UTC),
        **fields,  # type: ignore[arg-type]
    )


def _dashboard_names() -> dict[str, tuple[str, str]]:
    page = Dashboard.load().body.decode("utf-8")
    found = re.search(r"const CATEGORIES = (\[.*?\]);\n", page)
    assert found is not None, "the dashboard page has no CATEGORIES"
    return {slug: (pt, en) for slug, pt, en in json.loads(found.group(1))}


def _readme_table() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert README_BEGIN in readme, "README.md has no category table"
    assert README_END in readme, "README.md's category table has no end"
    return readme.split(README_BEGIN, 1)[1].split(README_END, 1)[0].strip()


def test_the_file_lists_the_taxonomy_in_order() -> None:
    """Every DESIGN §4 slug once, in the taxonomy's order, and the core's taxonomy is that list."""
    assert tuple(c.slug for c in CATEGORY_DISPLAY) == CATEGORY_SLUGS
    assert tuple(c.slug for c in TAXONOMY) == CATEGORY_SLUGS
    assert {c.slug: c.kind for c in TAXONOMY} == {c.slug: c.kind for c in CATEGORY_DISPLAY}


@pytest.mark.parametrize(("slug", "language"), SLUGS_AND_LANGUAGES)
def test_every_place_names_the_category_alike(slug: str, language: str) -> None:
    """GIVEN a slug and a language THEN the reply line, the summary, the change-category button,
    the /categoria list, the API's view name, the dashboard page and the README agree."""
    name = DISPLAY_BY_SLUG[slug].name(language)
    assert display_name(slug, language) == name
    # the core: its taxonomy (the API's transaction view and answers name categories by it)
    assert CATEGORY_BY_SLUG[slug].name(language) == name
    # the reply of a recorded transaction, as the core fills it and the bot renders it
    recorded = shown(_transaction(slug), language)
    assert recorded.category_name == name
    text = render_reply(_reply(language, ReplyKind.RECORDED, transactions=(recorded,)))
    assert f" · {name} · " in text
    # the bot's own names: summary lines, buttons, the list of categories
    assert CATEGORY_NAMES[language][slug][0] == name
    summary = SummaryV1(
        context_name="Casa",
        date_from=TODAY,
        date_to=TODAY,
        rows=(SummaryRow(category=slug, currency="BRL", total=Decimal("10"), count=1),),
    )
    assert f" {name}: " in render_reply(_reply(language, ReplyKind.SUMMARY, summary=summary))
    assert name in render_reply(_reply(language, ReplyKind.CATEGORIES))
    other = "other" if slug != "other" else "groceries"
    guessing = RecordedTransaction(
        transaction_id=uuid.uuid4(),
        kind=TransactionKind.EXPENSE,
        amount=Decimal("40"),
        currency="BRL",
        occurred_on=TODAY,
        category=other,
        category_guesses=(slug,),
    )
    labels = [b.label for b in buttons(_reply(language, ReplyKind.RECORDED, transactions=(guessing,)))]
    if DISPLAY_BY_SLUG[slug].kind == "expense":
        assert f"🏷️ {name}" in labels
    # the dashboard page and the README
    assert _dashboard_names()[slug][LANGUAGES.index(language)] == name
    assert f"| `{slug}` | {DISPLAY_BY_SLUG[slug].names['pt']} | {DISPLAY_BY_SLUG[slug].names['en']} |" in (
        _readme_table()
    )


@pytest.mark.parametrize(("slug", "language"), SLUGS_AND_LANGUAGES)
def test_the_button_word_is_a_name_the_reader_knows(slug: str, language: str) -> None:
    """The word a change-category button writes ("muda pra saúde") names that very category."""
    word = DISPLAY_BY_SLUG[slug].words[language]
    assert lx.CATEGORY_BY_NAME.get(fold(word)) == slug or lx.CATEGORY_BY_WORD.get(fold(word)) == slug, word


def test_the_readme_table_is_generated_from_the_file() -> None:
    """README.md's table is :func:`markdown_table` (regenerate it from there when a name changes)."""
    assert _readme_table() == markdown_table(), f"paste into README.md:\n{markdown_table()}"


def test_no_second_copy_of_the_names() -> None:
    """No source file other than the data file spells a multi-word display name."""
    data = REPO / "src/financy/core/contracts/category_display_names.tsv"
    offenders = []
    for path in (REPO / "src").rglob("*"):
        if path.suffix not in {".py", ".html", ".js", ".tsv"} or path == data or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        offenders += [
            f"{path.relative_to(REPO)}: {name}" for name in _SPELLED_ONLY_IN_THE_FILE if name in text
        ]
    assert offenders == []


def test_a_button_press_names_the_category_it_changes_to() -> None:
    """A recorded reply's change-category buttons are the guesses, each by its one name."""
    tx = RecordedTransaction(
        transaction_id=uuid.uuid4(),
        kind=TransactionKind.EXPENSE,
        amount=Decimal("40"),
        currency="BRL",
        occurred_on=TODAY,
        category="shopping",
        category_name=display_name("shopping", "en"),
        category_guesses=("personal_care", "gifts_donations"),
    )
    changes = [
        (b.label, b.value)
        for b in buttons(_reply("en", ReplyKind.RECORDED, transactions=(tx,)))
        if b.action is ButtonAction.CHANGE_CATEGORY
    ]
    assert changes == [
        ("🏷️ Personal care", "change category to personal care"),
        ("🏷️ Gifts & donations", "change category to gifts and donations"),
    ]
