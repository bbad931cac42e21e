"""Object-store credentials of enrolled edges (``FINANCY_EDGES__S3_CREDENTIALS``).

* ``minio``: a MinIO user of its own (``minio.minioadmin.MinioAdmin``, with the core's key) and a
  policy :func:`edge_policy` that lets it write only ``captures/{id}/*`` and read only ``models/*``
  of the bucket; revoking removes the user and the policy.
* ``shared``: the core's own key (for test set-ups such as moto's server, which enforces no policies;
  the core's own prefix check at ingest is then the only confinement), with a warning logged.
* ``none``: no object-store credentials (directory stores, data-residency edges).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Literal

from financy.core.adapters.redis_acl import EdgeCredentialsError
from financy.runtime.logging import get_logger
from financy.runtime.objects import S3Settings

log = get_logger(__name__)

Mode = Literal["minio", "shared", "none"]


@dataclass(frozen=True, slots=True)
class EdgeS3Credentials:
    """What an edge needs to reach the object store (the enrolment answer's ``s3``)."""

    endpoint: str
    access_key: str
    secret_key: str
    bucket: str
    secure: bool
    region: str

    def to_json(self) -> dict[str, object]:
        """Return ``{"endpoint","access_key","secret_key","bucket","secure","region"}``."""
        return {
            "endpoint": self.endpoint,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "bucket": self.bucket,
            "secure": self.secure,
            "region": self.region,
        }


def policy_name(edge_id: str) -> str:
    """Return the MinIO policy name of ``edge_id``."""
    return f"financy-edge-{edge_id}"


def edge_policy(edge_id: str, bucket: str) -> dict[str, Any]:
    """Return the IAM policy document of ``edge_id``: ``s3:PutObject`` on
    ``arn:aws:s3:::{bucket}/captures/{edge_id}/*`` and ``s3:GetObject`` on
    ``arn:aws:s3:::{bucket}/models/*``; nothing else (no listing, no deleting)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteOwnCaptures",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": [f"arn:aws:s3:::{bucket}/captures/{edge_id}/*"],
            },
            {
                "Sid": "ReadModels",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": [f"arn:aws:s3:::{bucket}/models/*"],
            },
        ],
    }


def _admin(s3: S3Settings) -> Any:
    from minio.credentials.providers import StaticProvider
    from minio.minioadmin import MinioAdmin

    if s3.access_key is None or s3.secret_key is None:
        raise EdgeCredentialsError(
            "s3_credentials=minio needs the core's FINANCY_S3__ACCESS_KEY/__SECRET_KEY"
        )
    provider = StaticProvider(s3.access_key.get_secret_value(), s3.secret_key.get_secret_value())
    return MinioAdmin(endpoint=s3.host(), credentials=provider, region=s3.region, secure=s3.use_tls())


def _connection(s3: S3Settings, access_key: str, secret_key: str) -> EdgeS3Credentials:
    assert s3.endpoint is not None
    return EdgeS3Credentials(
        endpoint=s3.endpoint,
        access_key=access_key,
        secret_key=secret_key,
        bucket=s3.bucket,
        secure=s3.use_tls(),
        region=s3.region,
    )


def issue_credentials(mode: Mode, s3: S3Settings, edge_id: str) -> EdgeS3Credentials | None:
    """Make the object-store credentials of ``edge_id`` in ``mode``; ``None`` for ``none``.

    Raises:
        EdgeCredentialsError: ``minio``/``shared`` without an S3 endpoint or key, or MinIO refused.
    """
    if mode == "none":
        return None
    if s3.endpoint is None:
        raise EdgeCredentialsError(f"s3_credentials={mode} needs an S3 endpoint (FINANCY_S3__ENDPOINT)")
    if mode == "shared":
        if s3.access_key is None or s3.secret_key is None:
            raise EdgeCredentialsError(
                "s3_credentials=shared needs the core's FINANCY_S3__ACCESS_KEY/__SECRET_KEY"
            )
        log.warning(
            "edges.s3_shared_credentials",
            edge_id=edge_id,
            note="the edge gets the core's own S3 key: only the core's prefix check confines it",
        )
        return _connection(s3, s3.access_key.get_secret_value(), s3.secret_key.get_secret_value())
    admin = _admin(s3)
    access_key = "edge" + secrets.token_hex(8)
    secret_key = secrets.token_urlsafe(30)
    try:
        admin.policy_add(policy_name(edge_id), policy=edge_policy(edge_id, s3.bucket))
        admin.user_add(access_key, secret_key)
        admin.attach_policy([policy_name(edge_id)], user=access_key)
    except Exception as exc:  # the SDK raises several kinds (MinioAdminException, urllib3, ValueError)
        raise EdgeCredentialsError(f"MinIO refused the edge's user or policy: {exc}") from exc
    return _connection(s3, access_key, secret_key)


def revoke_credentials(mode: Mode, s3: S3Settings, edge_id: str, access_key: str | None) -> None:
    """Remove what :func:`issue_credentials` made for ``edge_id`` (only ``minio`` made anything).

    Raises:
        EdgeCredentialsError: MinIO refused or cannot be reached.
    """
    if mode != "minio" or access_key is None or access_key == _core_key(s3):
        return
    admin = _admin(s3)
    try:
        admin.user_remove(access_key)
        admin.policy_remove(policy_name(edge_id))
    except Exception as exc:
        raise EdgeCredentialsError(f"MinIO refused to remove the edge's user {access_key}: {exc}") from exc


def _core_key(s3: S3Settings) -> str | None:
    return s3.access_key.get_secret_value() if s3.access_key is not None else None
