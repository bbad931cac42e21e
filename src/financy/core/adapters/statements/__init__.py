"""Statement files in: OFX/QFX, CSV, QIF and ISO 20022 camt.053 read into a ParsedStatement.

:func:`parse_statement` is the entry point: it refuses what is not a statement at all (empty,
too large, unreadable text, truncated) with :class:`StatementFormatError`, finds the format from
the content (the file name only breaks a tie), and hands the bytes to the format's parser.
"""

from __future__ import annotations

import re

from financy.core.adapters.statements._common import bom_encoding
from financy.core.adapters.statements.csv_import import CsvOptions, CsvPreset, load_presets, parse_csv
from financy.core.domain.statements import ParsedStatement, StatementFormat, StatementFormatError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "CsvOptions",
    "CsvPreset",
    "detect_format",
    "load_presets",
    "parse_statement",
]

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
_SNIFF_BYTES = 4096


def _head_text(data: bytes) -> str:
    head = data[:_SNIFF_BYTES]
    encoding = bom_encoding(head)
    if encoding is None and head[1::2].count(0) > len(head) // 4:
        encoding = "utf-16-le"
    elif encoding is None and head[0::2].count(0) > len(head) // 4:
        encoding = "utf-16-be"
    return head.decode(encoding or "latin-1", errors="ignore").lstrip("\ufeff")


def detect_format(data: bytes, filename: str | None = None) -> StatementFormat:
    """The statement format of ``data`` from its content.

    OFX: an ``OFXHEADER:`` line, an ``<?OFX`` processing instruction or an ``<OFX>`` element;
    QIF: a ``!Type:`` (or ``!Account``) line; camt.053: a ``<Document`` whose namespace is
    ``urn:iso:std:iso:20022:tech:xsd:camt.053...``; anything else is CSV. The file name
    (``.ofx``/``.qfx``/``.qif``/``.xml``) decides only when the content says nothing.
    """
    head = _head_text(data)
    stripped = head.lstrip()
    upper = stripped[:2048].upper()
    if upper.startswith("OFXHEADER") or "<?OFX" in upper or re.search(r"<OFX>", upper):
        return StatementFormat.OFX
    if re.match(r"!(TYPE|ACCOUNT|OPTION)", upper):
        return StatementFormat.QIF
    if "<DOCUMENT" in upper and "CAMT.053" in upper:
        return StatementFormat.CAMT053
    name = (filename or "").lower()
    if name.endswith((".ofx", ".qfx")) and "<" in stripped[:200]:
        return StatementFormat.OFX
    if name.endswith(".qif"):
        return StatementFormat.QIF
    if name.endswith(".xml") and "<DOCUMENT" in upper:
        return StatementFormat.CAMT053
    return StatementFormat.CSV


def parse_statement(
    data: bytes,
    *,
    filename: str | None = None,
    options: CsvOptions | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ParsedStatement:
    """Read a statement file.

    ``data``: the file's bytes. ``filename``: only a hint for :func:`detect_format`.
    ``options``: the user's CSV choices (used for CSV files only). ``max_bytes``: the largest
    file accepted (50 MiB by default), checked before anything is decoded.

    Raises :class:`StatementFormatError` (``reason`` in words for the user) when the file is
    empty, larger than ``max_bytes``, not readable text, truncated (OFX without ``</OFX>``,
    XML cut short), or a CSV without a date and an amount column.
    """
    if len(data) > max_bytes:
        raise StatementFormatError(
            f"the file is {len(data):,} bytes; statements larger than {max_bytes:,} bytes are not read"
        )
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise StatementFormatError("the file is empty")
    fmt = detect_format(data, filename)
    if fmt is StatementFormat.OFX:
        from financy.core.adapters.statements.ofx import parse_ofx

        return parse_ofx(data)
    if fmt is StatementFormat.QIF:
        from financy.core.adapters.statements.qif import parse_qif

        return parse_qif(data, encoding=options.encoding if options else None)
    if fmt is StatementFormat.CAMT053:
        from financy.core.adapters.statements.camt import parse_camt053

        return parse_camt053(data)
    return parse_csv(data, options)
