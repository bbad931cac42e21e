"""Retrain the category model from the shipped dataset plus the corrections users made, and publish it.

Artifacts live in ``<data_dir>/models/categories/``: ``categories-<version>.onnx`` and
``current.json`` (name, version, sha256, file, n_examples), written atomically after the model
file, so a reader never sees a manifest for a file that is not complete. Each artifact is also a
row in ``model_artifacts``; edges are told on their control streams and load it only if its
sha256 matches.

Edges on other machines do not share that disk: :func:`publish` uploads the artifact to the
object store under ``models/categories/{version}.onnx`` and then rewrites
``models/categories/manifest.json`` (``{"name", "version", "sha256", "size_bytes", "key",
"created_at"}``); the control message carries the ``object_key`` they download. The ONNX file is
all a loader needs (its labels are in the model's metadata), so no card is uploaded.

Corrections from every context on this core train the one model (a single box is one household);
the per-context merchant memory is what makes a correction apply at once, in its own context only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import redis
from sqlalchemy import Engine, func, insert, select

from financy.core.adapters import orm
from financy.core.contracts.v1 import PAYLOAD_FIELD, ModelUpdatedV1, control_stream
from financy.runtime.objects import ObjectStore, ObjectStoreError

MODEL_NAME = "categories"
#: A user's correction weighs this many shipped examples (it is about their own merchants).
CORRECTION_WEIGHT = 3
#: Where the object store keeps the category models and the manifest naming the current one.
OBJECT_PREFIX = f"models/{MODEL_NAME}/"
MANIFEST_KEY = f"{OBJECT_PREFIX}manifest.json"
ONNX_CONTENT_TYPE = "application/octet-stream"


def model_key(version: str) -> str:
    """Return the object key of the category model ``version`` (``models/categories/{version}.onnx``)."""
    return f"{OBJECT_PREFIX}{version}.onnx"


@dataclass(frozen=True, slots=True)
class PublishedModel:
    """A trained artifact: where it is and what it is (``sha256`` of the file, hex)."""

    name: str
    version: str
    sha256: str
    path: Path
    n_examples: int


def models_dir(data_dir: Path) -> Path:
    """Return the directory holding the category model artifacts under ``data_dir``."""
    return data_dir / "models" / MODEL_NAME


def current_model(directory: Path) -> PublishedModel | None:
    """Return the artifact ``current.json`` in ``directory`` names, or ``None`` when there is none."""
    manifest = directory / "current.json"
    if not manifest.exists():
        return None
    data = json.loads(manifest.read_text())
    return PublishedModel(
        name=data["name"],
        version=data["version"],
        sha256=data["sha256"],
        path=directory / data["file"],
        n_examples=int(data.get("n_examples", 0)),
    )


def _write_manifest(directory: Path, model: PublishedModel) -> None:
    tmp = directory / "current.json.tmp"
    tmp.write_text(
        json.dumps(
            {
                "name": model.name,
                "version": model.version,
                "sha256": model.sha256,
                "file": model.path.name,
                "n_examples": model.n_examples,
            },
            indent=2,
        )
    )
    os.replace(tmp, directory / "current.json")


def corrections(engine: Engine) -> list[tuple[str, str]]:
    """Return every labelled example users made by correcting a category, oldest first."""
    ex = orm.category_examples
    with engine.connect() as conn:
        rows = conn.execute(select(ex.c.text, ex.c.category).order_by(ex.c.id)).all()
    return [(r.text, r.category) for r in rows]


def needs_training(engine: Engine, directory: Path) -> bool:
    """Return whether there is no model yet, or corrections newer than the current one."""
    current = current_model(directory)
    if current is None or not current.path.exists():
        return True
    with engine.connect() as conn:
        trained_at = conn.execute(
            select(orm.model_artifacts.c.created_at).where(
                orm.model_artifacts.c.name == MODEL_NAME, orm.model_artifacts.c.version == current.version
            )
        ).scalar_one_or_none()
        if trained_at is None:
            return True
        newer = conn.execute(
            select(func.count())
            .select_from(orm.category_examples)
            .where(orm.category_examples.c.created_at > trained_at)
        ).scalar_one()
    return int(newer) > 0


def retrain_categories(engine: Engine, directory: Path, *, now: dt.datetime | None = None) -> PublishedModel:
    """Train on the shipped dataset plus the corrections, write the artifact and make it current.

    Takes seconds (TF-IDF + a linear model on ~10k lines). Raises ``ImportError`` when the
    ``train`` extra (scikit-learn, skl2onnx) is not installed.
    """
    from financy.inference.classify import default_dataset, train

    directory.mkdir(parents=True, exist_ok=True)
    learned = corrections(engine)
    examples: Sequence[tuple[str, str]] = [*default_dataset(), *(learned * CORRECTION_WEIGHT)]
    moment = now or dt.datetime.now(dt.UTC)
    version = moment.strftime("%Y%m%dT%H%M%S") + f"-{len(learned)}"
    card = train(examples, out=directory, version=version)
    path = directory / f"{MODEL_NAME}-{version}.onnx"
    model = PublishedModel(MODEL_NAME, version, card.sha256, path, len(examples))
    with engine.begin() as conn:
        conn.execute(
            insert(orm.model_artifacts).values(
                name=MODEL_NAME,
                version=version,
                sha256=card.sha256,
                size_bytes=path.stat().st_size,
                path=str(path),
                n_examples=len(examples),
                metrics={"corrections": len(learned)},
            )
        )
    _write_manifest(directory, model)
    return model


def publish(store: ObjectStore, model: PublishedModel, *, now: dt.datetime | None = None) -> str:
    """Upload ``model``'s file to ``store`` and make it the manifest's current model; return its key.

    The artifact goes first (``models/categories/{version}.onnx``, write-once: publishing the same
    version again is a no-op), then ``models/categories/manifest.json`` is replaced, so the
    manifest never names an object that is not complete. The store is write-once, so the
    manifest is deleted and written again: a reader in between finds no manifest and looks again
    later (edges also learn of the model from the control message).

    Raises:
        ObjectStoreError: the store refused or is away (``unavailable``), or another file is
            stored under this version's key (``conflict``).
        OSError: the artifact file cannot be read.
    """
    data = model.path.read_bytes()
    key = model_key(model.version)
    stored = store.put(key, data, ONNX_CONTENT_TYPE)
    if stored.sha256 != model.sha256:
        raise ObjectStoreError(
            "conflict", f"{key}: stored sha256 {stored.sha256} is not {model.sha256}", key=key
        )
    manifest = json.dumps(
        {
            "name": model.name,
            "version": model.version,
            "sha256": model.sha256,
            "size_bytes": stored.size,
            "key": key,
            "created_at": (now or dt.datetime.now(dt.UTC)).isoformat(),
        },
        indent=2,
    ).encode()
    store.delete(MANIFEST_KEY)
    store.put(MANIFEST_KEY, manifest, "application/json")
    return key


def edges_to_tell(engine: Engine) -> list[str]:
    """Return the edge ids to announce models to, sorted: enrolled, unrevoked edges and chat-bound ones."""
    edges = orm.edges
    with engine.connect() as conn:
        bound = conn.execute(select(orm.chat_bindings.c.edge_id).distinct()).scalars().all()
        enrolled = (
            conn.execute(
                select(edges.c.id).where(edges.c.enrolled_at.is_not(None), edges.c.revoked_at.is_(None))
            )
            .scalars()
            .all()
        )
        revoked = set(conn.execute(select(edges.c.id).where(edges.c.revoked_at.is_not(None))).scalars().all())
    return sorted({*bound, *enrolled} - revoked)


def announce(
    client: redis.Redis, engine: Engine, model: PublishedModel, *, object_key: str | None = None
) -> list[str]:
    """Tell every edge (see :func:`edges_to_tell`) about ``model``; return the edge ids told.

    ``object_key`` is the key :func:`publish` returned (``None``: the model is only on this disk).
    Raises ``redis.RedisError`` when Redis is away.
    """
    edges = edges_to_tell(engine)
    message = ModelUpdatedV1(
        name=model.name,
        version=model.version,
        sha256=model.sha256,
        location=str(model.path),
        created_at=dt.datetime.now(dt.UTC),
        object_key=object_key,
    )
    pipe = client.pipeline(transaction=False)
    for edge_id in edges:
        pipe.xadd(
            control_stream(edge_id), {PAYLOAD_FIELD: message.model_dump_json()}, maxlen=1000, approximate=True
        )
    pipe.execute()
    return edges
