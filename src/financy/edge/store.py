"""The edge's view of the object store: it writes originals only under ``captures/{edge_id}/``.

MinIO enforces the edge's policy itself; the directory store and moto enforce nothing, so the
edge wraps whatever store it builds in :class:`EdgeScopedStore`. Writes (``put``, ``delete``)
outside ``captures/{edge_id}/`` and reads outside that prefix and ``models/`` raise
:class:`~financy.runtime.objects.ObjectStoreError` (code ``invalid_key``) before any request.
"""

from __future__ import annotations

import builtins

from financy.edge.settings import EdgeSettings
from financy.runtime.objects import ObjectStore, ObjectStoreError, StoredObject, object_store_from_settings

#: Where every edge may read (the category models the core publishes).
SHARED_READ_PREFIXES = ("models/",)


class EdgeScopedStore:
    """An :class:`ObjectStore` that keeps edge ``edge_id`` to its own prefix (see the module)."""

    def __init__(self, inner: ObjectStore, edge_id: str) -> None:
        if not edge_id or "/" in edge_id:
            raise ValueError(f"edge id {edge_id!r} cannot name an object prefix")
        self.inner = inner
        self.edge_id = edge_id
        self.prefix = f"captures/{edge_id}/"

    def _writable(self, key: str) -> str:
        if not key.startswith(self.prefix) or ".." in key.split("/"):
            raise ObjectStoreError(
                "invalid_key",
                f"edge {self.edge_id!r} may write only under {self.prefix}, not {key[:80]!r}",
                key=key,
            )
        return key

    def _readable(self, key: str) -> str:
        if ".." in key.split("/") or not (
            key.startswith(self.prefix) or key.startswith(SHARED_READ_PREFIXES)
        ):
            raise ObjectStoreError(
                "invalid_key",
                f"edge {self.edge_id!r} may read only under {self.prefix} and models/, not {key[:80]!r}",
                key=key,
            )
        return key

    def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        """Store ``data`` under ``key`` (inside ``captures/{edge_id}/`` only)."""
        return self.inner.put(self._writable(key), data, content_type)

    def get(self, key: str) -> bytes:
        """Return the bytes under ``key`` (this edge's captures or ``models/``)."""
        return self.inner.get(self._readable(key))

    def stat(self, key: str) -> StoredObject:
        """Return size, sha256 and content type of ``key`` (this edge's captures or ``models/``)."""
        return self.inner.stat(self._readable(key))

    def exists(self, key: str) -> bool:
        """Return whether ``key`` exists (this edge's captures or ``models/``)."""
        return self.inner.exists(self._readable(key))

    def delete(self, key: str) -> None:
        """Remove ``key`` (inside ``captures/{edge_id}/`` only)."""
        self.inner.delete(self._writable(key))

    def list(self, prefix: str) -> builtins.list[str]:
        """Return the keys under ``prefix`` (which must lie in this edge's captures or ``models/``)."""
        return self.inner.list(self._readable(prefix))

    def describe(self) -> str:
        """Return the inner store's description with this edge's prefix."""
        return f"{self.inner.describe()} ({self.prefix})"


def edge_object_store(settings: EdgeSettings, store: ObjectStore | None = None) -> ObjectStore:
    """Return ``store`` (default: the edge's shared object store) confined to the edge's own prefix."""
    inner = store if store is not None else object_store_from_settings(settings.s3, settings.objects_dir)
    return EdgeScopedStore(inner, settings.edge.id)
