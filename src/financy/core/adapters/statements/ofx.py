"""OFX and QFX statements: OFX 1.x (SGML) and 2.x (XML), bank (``STMTRS``) and card (``CCSTMTRS``).

The strict path is ofxtools (its header check, tree builder and model validation). Values are
then read from the raw element texts, so a ``DTPOSTED`` is the date the bank wrote (never shifted
to UTC) and entities are undone once more when the bank escaped them twice (``&amp;lt;``).
When ofxtools refuses the file (no header, a ``$`` in an amount, a ``00000000`` date, a comma
decimal...), a tolerant reader of our own takes each ``STMTTRN`` block by itself: a block it
cannot read becomes a :class:`LineProblem`, the others are kept, and ``detected["tolerant"]`` is
``"yes"``.

Amounts: per the OFX spec ``.`` is the decimal point; Brazilian banks write a decimal comma. A
TRNAMT with both marks takes the last one as the decimal (``1.234,56``); a single ``,`` is a
decimal comma (``-110,70``); a single ``.`` is a decimal point (``-3.000`` is -3); a mark that
repeats (``1.234.567``) is grouping.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from financy.core.adapters.statements._common import bom_encoding, clip
from financy.core.domain.statements import (
    LineProblem,
    ParsedStatement,
    StatementFormat,
    StatementFormatError,
    StatementLine,
)

_ENTITY = re.compile(r"&(#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]{1,7});")
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)


def unescape(text: str) -> str:
    """Undo HTML/XML entities (``&amp;`` ``&lt;`` ``&#233;``...), twice when the bank escaped
    twice (``&amp;lt;`` -> ``<``); a raw ``&`` that starts no entity is kept as written."""
    if "&" not in text:
        return text  # no entity to undo
    for _ in range(2):
        new = _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
        if new == text:
            break
        text = new
    return text


def decode_ofx(data: bytes) -> tuple[str, str]:
    """The OFX text and the encoding used: a BOM, else UTF-8 (banks that declare 1252 often
    send UTF-8, e.g. Banco do Brasil), else the declared ``CHARSET``/XML encoding, else cp1252."""
    bom = bom_encoding(data)
    if bom:
        return data.decode(bom, errors="replace").removeprefix("\ufeff"), bom
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:  # noqa: S110 (not UTF-8: the declared charset next)
        pass
    head = data[:600].decode("ascii", errors="replace")
    declared = None
    m = re.search(r"CHARSET:\s*([\w-]+)", head) or re.search(r'encoding="([\w-]+)"', head)
    if m:
        declared = m.group(1).strip()
        if declared.isdigit():
            declared = f"cp{declared}"
        elif declared.upper() in ("ISO-8859-1", "8859-1", "NONE", "USASCII"):
            declared = "cp1252"
    for candidate in (declared, "cp1252", "latin-1"):
        if not candidate:
            continue
        try:
            return data.decode(candidate), candidate
        except (UnicodeDecodeError, LookupError):  # noqa: S112 (the next candidate)
            continue
    raise StatementFormatError("the OFX file's text encoding is unknown")  # pragma: no cover


def _amount(text: str) -> Decimal | None:
    raw = text.strip().replace(" ", "").replace("\u00a0", "")
    if not re.fullmatch(r"[+-]?[\d.,]*\d[\d.,]*", raw):
        return None
    if "." in raw and "," in raw:
        decimal = "." if raw.rfind(".") > raw.rfind(",") else ","
    elif raw.count(",") == 1:
        decimal = ","
    elif raw.count(".") > 1 or raw.count(",") > 1:
        decimal = "," if raw.count(".") > 1 else "."
    else:
        decimal = "."
    group = "," if decimal == "." else "."
    number = raw.replace(group, "")
    if number.count(decimal) > 1:
        return None
    try:
        return Decimal(number.replace(decimal, "."))
    except InvalidOperation:
        return None


def _date(text: str | None) -> dt.date | None:
    """The calendar date an OFX datetime states (``YYYYMMDD[HHMMSS[.XXX]][[-5:EST]]``), as written."""
    if not text:
        return None
    m = re.match(r"\s*(\d{4})(\d{2})(\d{2})", text)
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


@dataclass(slots=True)
class _Statement:
    currency: str | None
    account: str | None
    balance: Decimal | None
    balance_on: dt.date | None
    #: (line_no, fields, raw text, or the element it is written from when a problem needs it)
    transactions: list[tuple[int, dict[str, str], str | ET.Element]]


# --- strict: ofxtools ------------------------------------------------------------------------


#: How many distinct tag texts :func:`_tree` remembers what to do with (``<TRNTYPE>DEBIT``,
#: ``</STMTTRN>``... repeat in every transaction).
_TREE_MEMO = 50_000


def _tree(text: str) -> ET.Element:
    """ofxtools' ``TreeBuilder`` over ``text`` (from ``<OFX>``), fed as its own ``feed`` does: the
    same regex and the same start/data/end calls in the same order, so the same tree and the same
    refusals, without the debug-log strings it formats for every tag. What a matched text asks
    for is worked out once per distinct text (the regex has no look-around: the same matched text
    has the same groups)."""
    from ofxtools.Parser import ParseError, TreeBuilder

    builder = TreeBuilder()
    start, data, end = builder.start, builder.data, builder.end
    #: matched text -> (tag, data, ends): start ``tag`` unless it is None, then ``data``, then end
    actions: dict[str, tuple[str | None, str | None, str | None]] = {}
    for match in TreeBuilder.regex.finditer(text):
        whole = match.group(0)
        action = actions.get(whole)
        if action is None:
            tag, cdata, raw_text, closetag, tail = match.group("tag", "cdata", "text", "closetag", "tail")
            if tail and tail.strip():
                raise ParseError(f"Tail text {tail.strip()!r} - position=[{match.start()}:{match.end()}]")
            value = cdata or ((raw_text or "").strip() or None)
            if not tag:
                raise ParseError("Empty tag")
            if closetag is not None and closetag != tag:
                raise ParseError(f"Mismatched tags: open='{tag}', close='{closetag}'")
            if tag.startswith("/"):
                if value:
                    raise ParseError(f"Tail text '{value}' after <{tag}>")
                action = (None, None, tag[1:])
            elif value:
                action = (tag, value, tag)
            else:
                action = (tag, None, tag if closetag else None)
            if len(actions) < _TREE_MEMO:
                actions[whole] = action
        opened, value, closed = action
        if opened is not None:
            start(opened, {})
            if value is not None:
                data(value)
        if closed is not None:
            end(closed)
    root: ET.Element = builder.close()
    return root


def _plain(cls: type) -> bool:
    """Whether ofxtools converts aggregate ``cls`` with the base class's own steps only (no
    grooming, argument checks or list members of its own): then whether an element converts
    depends on its shape and on each text by itself."""
    from ofxtools.models.base import Aggregate

    return (
        getattr(cls, "groom", None) is Aggregate.groom
        and getattr(cls.validate_args, "__func__", None) is Aggregate.validate_args.__func__  # type: ignore[attr-defined]
        and getattr(cls._convert, "__func__", None) is Aggregate._convert.__func__  # type: ignore[attr-defined]
        and cls.__init__ is Aggregate.__init__  # type: ignore[misc]
        and cls._apply_args is Aggregate._apply_args  # type: ignore[attr-defined]
        and not cls.listelements  # type: ignore[attr-defined]
    )


def _shape(elem: ET.Element) -> tuple[object, ...]:
    """An element's structure: each child's tag, whether it has text, and its own structure."""
    return tuple((c.tag, c.text is None, _shape(c) if len(c) else ()) for c in elem)


class _Validator:
    """``Aggregate.from_etree`` of many elements of one kind, asked once per shape.

    ofxtools refuses an element for its structure (order, duplicates, required and mutually
    exclusive children: the shape) or for a text its element type cannot convert. The first
    element of each shape goes through ofxtools itself; the next ones of that shape only have
    their texts converted by ofxtools' own element types (each distinct text once). An aggregate
    that is not :func:`_plain` always goes through ofxtools whole."""

    def __init__(self) -> None:
        self.shapes: set[tuple[str, tuple[object, ...]]] = set()
        self.texts: set[tuple[int, str]] = set()
        self.plain: dict[str, bool] = {}
        self.actions: dict[tuple[type, str], object] = {}
        self.classes: dict[str, type] = {}

    def _is_plain(self, tag: str) -> bool:
        import ofxtools.models

        found = self.plain.get(tag)
        if found is None:
            cls = getattr(ofxtools.models, tag, None)
            found = self.plain[tag] = cls is not None and _plain(cls) and not cls.listaggregates
        return found

    def check(self, elem: ET.Element) -> None:
        """Raise as ``Aggregate.from_etree(elem)`` would; return quietly when it would not."""
        import ofxtools.models
        from ofxtools.models.base import Aggregate

        if not self._is_plain(elem.tag):
            Aggregate.from_etree(elem)
            return
        key = (elem.tag, _shape(elem))
        if key not in self.shapes:
            Aggregate.from_etree(elem)
            self.shapes.add(key)
            return
        self._texts(getattr(ofxtools.models, elem.tag), elem)

    def _action(self, cls: type, tag: str) -> object:
        """What converting a child ``tag`` of ``cls`` asks for: ``None`` (nothing: groomed away,
        unknown or unsupported), a ``str`` (an aggregate of that tag: its own texts), ``True``
        (an aggregate ofxtools converts whole), else the element type converting its text."""
        import ofxtools.models

        key = (cls, tag)
        if key in self.actions:
            return self.actions[key]
        attr = tag.lower()
        spec, unsupported, subaggregates = cls.spec, cls.unsupported, cls.subaggregates  # type: ignore[attr-defined]
        action: object
        if "." in tag or attr not in spec or attr in unsupported:
            action = None
        elif attr in subaggregates:
            action = tag if self._is_plain(tag) else True
        else:
            action = cls._superdict[attr]  # type: ignore[attr-defined]
        self.actions[key] = action
        if isinstance(action, str):
            self.classes[tag] = getattr(ofxtools.models, tag)
        return action

    def _texts(self, cls: type, elem: ET.Element) -> None:
        """Convert the texts of ``elem`` (of a shape ofxtools accepted) as ``cls`` would."""
        from ofxtools.models.base import Aggregate

        for child in elem:
            action = self._action(cls, child.tag)
            if action is None:
                continue
            if isinstance(action, str):
                self._texts(self.classes[action], child)
            elif action is True:
                Aggregate.from_etree(child)
            elif child.text is not None:  # presence is part of the shape
                key = (id(action), child.text)
                if key not in self.texts:
                    action.convert(child.text)  # type: ignore[attr-defined]
                    self.texts.add(key)


def _validate(root: ET.Element) -> None:
    """Raise as ofxtools' ``Aggregate.from_etree(root)`` would (its model validation), but
    converting each ``STMTTRN`` of a ``BANKTRANLIST`` by itself through :class:`_Validator`.

    Exact: the list's only checks of its members are their order against its other children
    (kept by leaving the first ``STMTTRN`` in place) and each member's own conversion, so the
    tree is accepted exactly when the tree without the other members and each member are.
    The members taken out are not put back (the caller collected them before)."""
    import ofxtools.models
    from ofxtools.models.base import Aggregate

    validator = _Validator()
    lists = [bl for bl in root.iter("BANKTRANLIST") if _plain(ofxtools.models.BANKTRANLIST)]
    members: list[ET.Element] = []
    for bl in lists:
        first = next((c for c in bl if c.tag == "STMTTRN"), None)
        members.extend(c for c in bl if c.tag == "STMTTRN" and c is not first)
        bl[:] = [c for c in bl if c.tag != "STMTTRN" or c is first]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # private tags (<INTU.BID>...) are skipped, not errors
        Aggregate.from_etree(root)  # validation only: the values are read from the raw texts
        for member in members:
            validator.check(member)


def _strict(data: bytes, text: str) -> list[_Statement]:
    """Parse with ofxtools; raises whatever ofxtools raises when it refuses the file."""
    from ofxtools.header import parse_header

    parse_header(io.BytesIO(data))  # the header must be valid OFX 1.x/2.x
    start = text.find("<OFX>")
    root = _tree(text[start:])
    found = [(stmt, list(stmt.iter("STMTTRN"))) for stmt in [*root.iter("STMTRS"), *root.iter("CCSTMTRS")]]
    _validate(root)
    statements: list[_Statement] = []
    number = 0
    for stmt, trns in found:
        transactions: list[tuple[int, dict[str, str], str | ET.Element]] = []
        for trn in trns:
            number += 1
            transactions.append((number, _fields_from_element(trn), trn))
        ledger = stmt.find("LEDGERBAL")
        statements.append(
            _Statement(
                currency=_text(stmt.find("CURDEF")),
                account=_text(stmt.find(".//ACCTID")),
                balance=_amount(_text(ledger.find("BALAMT")) or "") if ledger is not None else None,
                balance_on=_date(_text(ledger.find("DTASOF"))) if ledger is not None else None,
                transactions=transactions,
            )
        )
    return statements


def _text(element: ET.Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return unescape(element.text).strip() or None


_AGGREGATES = ("PAYEE", "CURRENCY", "ORIGCURRENCY")


def _fields_from_element(trn: ET.Element) -> dict[str, str]:
    fields: dict[str, str] = {}
    # A child of the first PAYEE, CURRENCY or ORIGCURRENCY child is keyed "PAYEE/NAME"...
    parent_of: dict[int, str] = {}
    seen: set[str] = set()
    for node in trn:
        if node.tag in _AGGREGATES and node.tag not in seen:
            seen.add(node.tag)
            for c in node:
                parent_of[id(c)] = node.tag
    for child in trn.iter():
        text = child.text
        if child is trn or text is None:
            continue
        value = unescape(text).strip()
        if not value:
            continue
        parent_key = parent_of.get(id(child)) if parent_of else None
        fields.setdefault(f"{parent_key}/{child.tag}" if parent_key else child.tag, value)
    return fields


# --- tolerant: our own reader ----------------------------------------------------------------


def _tolerant_fields(block: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    block = _CDATA.sub(lambda m: m.group(1).replace("<", "&lt;"), block)
    stack: list[str] = []
    for m in re.finditer(r"<(/?)([A-Z0-9.]+)>([^<]*)", block):
        closing, tag, value = m.group(1), m.group(2), m.group(3)
        if closing:
            if tag in stack:
                del stack[stack.index(tag) :]
            continue
        value = unescape(value).strip()
        if tag in ("PAYEE", "CURRENCY", "ORIGCURRENCY") and not value:
            stack.append(tag)
            continue
        key = f"{stack[-1]}/{tag}" if stack else tag
        if value:
            fields.setdefault(key, value)
    return fields


def _tolerant(text: str) -> list[_Statement]:
    statements: list[_Statement] = []
    number = 0
    transactions: list[tuple[int, dict[str, str], str | ET.Element]]
    blocks = list(re.finditer(r"<(CC)?STMTRS>(.*?)(</(CC)?STMTRS>|(?=<(CC)?STMTRS>)|$)", text, re.DOTALL))
    for block in blocks:
        body = block.group(2)
        transactions = []
        for m in re.finditer(
            r"<STMTTRN>(.*?)(?:</STMTTRN>|(?=<STMTTRN>)|(?=</BANKTRANLIST>))", body, re.DOTALL
        ):
            number += 1
            transactions.append((number, _tolerant_fields(m.group(1)), m.group(0)))
        head = re.sub(r"<BANKTRANLIST>.*?(</BANKTRANLIST>|$)", "", body, flags=re.DOTALL)
        top = _tolerant_fields(head)
        ledger = re.search(r"<LEDGERBAL>(.*?)(</LEDGERBAL>|$)", head, re.DOTALL)
        ledger_fields = _tolerant_fields(ledger.group(1)) if ledger else {}
        statements.append(
            _Statement(
                currency=top.get("CURDEF"),
                account=top.get("ACCTID"),
                balance=_amount(ledger_fields["BALAMT"]) if "BALAMT" in ledger_fields else None,
                balance_on=_date(ledger_fields.get("DTASOF")),
                transactions=transactions,
            )
        )
    return statements


# --- lines -----------------------------------------------------------------------------------


def _line(
    number: int, fields: dict[str, str], raw: str | ET.Element, currency: str | None
) -> StatementLine | LineProblem:
    posted = fields.get("DTPOSTED") or fields.get("DTUSER")
    occurred = _date(posted)
    written = fields.get("TRNAMT")
    amount = _amount(written) if written else None
    reasons = []
    if occurred is None:
        reasons.append(f"the date {posted!r} is not a date (DTPOSTED)")
    if amount is None:
        reasons.append(f"the amount {written!r} is not a number (TRNAMT)")
    if occurred is None or amount is None:
        written_as = raw if isinstance(raw, str) else ET.tostring(raw, encoding="unicode")
        return LineProblem(number, "; ".join(reasons), clip(" ".join(written_as.split())))
    line_currency = fields.get("CURRENCY/CURSYM") or currency
    return StatementLine(
        line_no=number,
        occurred_on=occurred,
        amount=amount,
        currency=line_currency,
        payee=fields.get("NAME") or fields.get("PAYEE/NAME"),
        memo=fields.get("MEMO"),
        external_id=fields.get("FITID"),
        check_number=fields.get("CHECKNUM"),
    )


def parse_ofx(data: bytes) -> ParsedStatement:
    """Read an OFX/QFX file (bytes) into a :class:`ParsedStatement`.

    ``currency``: ``CURDEF``; a line's currency is ``CURDEF`` unless the line has a
    ``CURRENCY`` aggregate (``ORIGCURRENCY`` says the amount was already converted into
    ``CURDEF``, so it leaves the line in ``CURDEF``). ``account``: ``ACCTID``. ``balance``:
    ``LEDGERBAL/BALAMT`` as of ``DTASOF``. With several statements in one file all lines are
    read and account/balance are the first statement's (``detected["statements"]`` counts them).

    Raises :class:`StatementFormatError` when the file has no ``<OFX>`` element, when it is
    truncated (no ``</OFX>``), or when it holds no statement at all.
    """
    text, encoding = decode_ofx(data)
    if "<OFX>" not in text.upper():
        raise StatementFormatError("the file has no <OFX> element: it is not an OFX statement")
    if not re.search(r"</OFX>\s*$", text, re.IGNORECASE):
        raise StatementFormatError("the OFX file is truncated (it does not end with </OFX>)")
    detected = {"encoding": encoding}
    try:
        statements = _strict(data, text)
    except Exception:  # ofxtools refuses it: read it ourselves, block by block
        statements = _tolerant(text)
        detected["tolerant"] = "yes"
    if not statements:
        raise StatementFormatError("the OFX file holds no bank or card statement (STMTRS/CCSTMTRS)")
    lines: list[StatementLine] = []
    problems: list[LineProblem] = []
    for statement in statements:
        for number, fields, raw in statement.transactions:
            result = _line(number, fields, raw, statement.currency)
            (lines if isinstance(result, StatementLine) else problems).append(result)  # type: ignore[arg-type]
    if len(statements) > 1:
        detected["statements"] = str(len(statements))
    first = statements[0]
    return ParsedStatement(
        format=StatementFormat.OFX,
        lines=tuple(lines),
        currency=first.currency,
        account=first.account,
        problems=tuple(problems),
        detected=detected,
        balance=first.balance,
        balance_on=first.balance_on,
    )
