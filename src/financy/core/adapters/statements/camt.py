"""ISO 20022 camt.053 (BankToCustomerStatement), any version 001.02 ... 001.13, read with the
standard library's ``xml.etree``.

The XML is refused before parsing when it declares a DOCTYPE or an ENTITY (entity-expansion
"bombs" and external entities are bad input, and no bank statement needs them; ``defusedxml``
is not installed in this project, so the check is ours).

One ``Ntry`` is one line: ``Amt``/``@Ccy`` signed by ``CdtDbtInd`` (``DBIT`` negative);
``occurred_on`` is ``ValDt`` (``Dt`` or ``DtTm``) when given, else ``BookgDt``, and
``booked_on`` is ``BookgDt`` when it differs; ``external_id`` is ``AcctSvcrRef``, else
``NtryRef``; ``payee`` is the counterparty of the first ``TxDtls`` (the creditor of a debit,
the debtor of a credit: ``RltdPties/Cdtr`` or ``Dbtr``, ``Nm`` directly or under ``Pty`` as in
001.08+); ``memo`` the ``RmtInf/Ustrd`` texts, else ``AddtlNtryInf``. The statement's
``account`` is ``Acct/Id/IBAN`` (else ``Othr/Id``), ``currency`` ``Acct/Ccy``, ``balance`` the
``Bal`` whose type code is ``CLBD``.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from decimal import Decimal, InvalidOperation

from financy.core.adapters.statements._common import clip
from financy.core.domain.statements import (
    LineProblem,
    ParsedStatement,
    StatementFormat,
    StatementFormatError,
    StatementLine,
)

_NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.\d{2}")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element | None, *path: str) -> ET.Element | None:
    """The first descendant along ``path`` of local names (namespace ignored)."""
    for name in path:
        if element is None:
            return None
        element = next((c for c in element if _local(c.tag) == name), None)
    return element


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in element if _local(c.tag) == name]


def _text(element: ET.Element | None, *path: str) -> str | None:
    found = _child(element, *path) if path else element
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _date(element: ET.Element | None) -> dt.date | None:
    """``Dt`` (YYYY-MM-DD) or ``DtTm`` (its date as written, no time-zone shift)."""
    value = _text(element, "Dt") or _text(element, "DtTm")
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _name(party: ET.Element | None) -> str | None:
    if party is None:
        return None
    return _text(party, "Nm") or _text(party, "Pty", "Nm")


def parse_camt053(data: bytes) -> ParsedStatement:
    """Read a camt.053 file (bytes) into a :class:`ParsedStatement`; ``line_no`` counts ``Ntry``
    elements in the file. Several ``Stmt`` elements: all lines are read, account/currency/
    balance are the first statement's and ``detected["statements"]`` counts them.

    Raises :class:`StatementFormatError` for a DOCTYPE/ENTITY declaration, XML that is cut
    short or malformed, a root that is not a camt.053 ``Document``, or no ``Stmt``.
    """
    head = data[:4096].decode("utf-8", errors="ignore").upper()
    if "<!DOCTYPE" in head or "<!ENTITY" in data.decode("utf-8", errors="ignore").upper():
        raise StatementFormatError(
            "the XML file declares a DOCTYPE or entities, which a statement never needs"
        )
    try:
        root = ET.fromstring(data)  # noqa: S314 (DOCTYPE/ENTITY refused above)
    except ET.ParseError as exc:
        raise StatementFormatError(f"the XML file is truncated or malformed ({exc})") from None
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if _local(root.tag) != "Document" or not _NAMESPACE.fullmatch(namespace):
        raise StatementFormatError("the XML file is not an ISO 20022 camt.053 statement")
    report = _child(root, "BkToCstmrStmt")
    statements = _children(report, "Stmt") if report is not None else []
    if not statements:
        raise StatementFormatError("the camt.053 file holds no statement (Stmt)")
    lines: list[StatementLine] = []
    problems: list[LineProblem] = []
    number = 0
    for stmt in statements:
        currency = _text(stmt, "Acct", "Ccy")
        for entry in _children(stmt, "Ntry"):
            number += 1
            raw = clip(" ".join(ET.tostring(entry, encoding="unicode").split()))
            amount_el = _child(entry, "Amt")
            indicator = _text(entry, "CdtDbtInd")
            try:
                amount = Decimal(_text(amount_el) or "")
            except InvalidOperation:
                problems.append(LineProblem(number, f"the amount {_text(amount_el)!r} is not a number", raw))
                continue
            if indicator not in ("CRDT", "DBIT"):
                problems.append(
                    LineProblem(number, f"the entry's CdtDbtInd {indicator!r} is neither CRDT nor DBIT", raw)
                )
                continue
            if indicator == "DBIT":
                amount = -amount
            booked = _date(_child(entry, "BookgDt"))
            valued = _date(_child(entry, "ValDt"))
            occurred = valued or booked
            if occurred is None:
                problems.append(LineProblem(number, "the entry has no booking or value date", raw))
                continue
            tx = _child(entry, "NtryDtls", "TxDtls")
            counterparty = "Cdtr" if indicator == "DBIT" else "Dbtr"
            payee = _name(_child(tx, "RltdPties", counterparty)) if tx is not None else None
            rmtinf = _child(tx, "RmtInf") if tx is not None else None
            remittance = (
                [(u.text or "").strip() for u in _children(rmtinf, "Ustrd")] if rmtinf is not None else []
            )
            memo = " ".join(r for r in remittance if r) or _text(entry, "AddtlNtryInf")
            lines.append(
                StatementLine(
                    line_no=number,
                    occurred_on=occurred,
                    amount=amount,
                    currency=(amount_el.get("Ccy") if amount_el is not None else None) or currency,
                    payee=payee,
                    memo=memo,
                    external_id=_text(entry, "AcctSvcrRef") or _text(entry, "NtryRef"),
                    booked_on=booked if booked is not None and booked != occurred else None,
                )
            )
    first = statements[0]
    balance = balance_on = None
    for bal in _children(first, "Bal"):
        if _text(bal, "Tp", "CdOrPrtry", "Cd") == "CLBD":
            value = _text(bal, "Amt")
            balance = Decimal(value) if value else None
            if balance is not None and _text(bal, "CdtDbtInd") == "DBIT":
                balance = -balance
            balance_on = _date(_child(bal, "Dt"))
    detected = {"version": namespace.rsplit(":", 1)[-1]}
    if len(statements) > 1:
        detected["statements"] = str(len(statements))
    account = _text(first, "Acct", "Id", "IBAN") or _text(first, "Acct", "Id", "Othr", "Id")
    return ParsedStatement(
        format=StatementFormat.CAMT053,
        lines=tuple(lines),
        currency=_text(first, "Acct", "Ccy"),
        account=account,
        problems=tuple(problems),
        detected=detected,
        balance=balance,
        balance_on=balance_on,
    )
