"""Text understanding: read a chat line into transactions or a command (pure, no I/O)."""

from financy.inference.text.reader import MAX_CHARS, MAX_ITEMS, Reading, ReadItem, read_message

__all__ = ["MAX_CHARS", "MAX_ITEMS", "ReadItem", "Reading", "read_message"]
