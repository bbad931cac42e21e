"""Text understanding: read a chat line into transactions, a question or a command (pure, no I/O)."""

from financy.inference.text.reader import (
    MAX_CHARS,
    MAX_ITEMS,
    QuerySpec,
    Reading,
    ReadItem,
    read_message,
    warm_up,
)

__all__ = ["MAX_CHARS", "MAX_ITEMS", "QuerySpec", "ReadItem", "Reading", "read_message", "warm_up"]
