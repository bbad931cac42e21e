"""The words Whisper should expect in a voice note about money, per language (its prompt's fixed part).

Whisper takes an ``initial_prompt`` as the text said just before the clip: words in it are heard
more readily, and their spelling is copied. The fixed part of the edge's prompt lives in
``data/prompt_vocabulary.tsv`` beside this module (``language``, ``kind``, ``text``, ``source``; one
row a sentence or list, in the order they are said): places and bills, income, currency words
(real/reais, centavos, dólares, euros) and payment words. The edge puts the chat's recent
merchants before it (:func:`financy.edge.pipeline.media.speech_prompt`). Written for Financy,
never from the evaluation's sentences.

No amount is in it, on purpose: Whisper copies a prompt's words into speech it hears badly. With
example amounts ("Paguei quinze reais, trinta reais e quarenta centavos, cem reais") the dev
espeak-ng Portuguese set gained amounts nobody said (3 of 10 clips: "Paguei quinze reais" for
"paguei cinquenta reais na farmácia"), an invented figure being worse than a missed one.
"""

from __future__ import annotations

from functools import cache
from typing import Final

from financy.inference.tables import SOURCE, read_table

__all__ = ["PROMPT_COLUMNS", "PROMPT_LANGUAGES", "prompt_vocabulary"]

_PACKAGE: Final = "financy.inference.speech"
_FILE: Final = "data/prompt_vocabulary.tsv"
#: The header of ``data/prompt_vocabulary.tsv``.
PROMPT_COLUMNS: Final = ("language", "kind", "text", SOURCE)
#: Languages the file has a vocabulary for; any other language gets none.
PROMPT_LANGUAGES: Final = ("pt", "en")


@cache
def prompt_vocabulary(language: str) -> str:
    """Return the fixed prompt text for ``language`` ("pt", "en"; "pt-BR" reads as "pt"): the
    file's rows of that language joined by spaces, in file order; "" for a language it lacks.

    Raises:
        TableError: the data file does not have its header or a row is malformed.
    """
    base = language.lower().replace("_", "-").split("-")[0]
    rows = read_table(_PACKAGE, _FILE, PROMPT_COLUMNS)
    return " ".join(row["text"] for row in rows if row["language"] == base)
