"""S3: the request claim checks, the rendered documents, and presigned download links.

AWS errors leave as :class:`~docpipe.errors.DependencyUnavailable` (``aws.translates_aws_errors``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from docpipe.aws import translates_aws_errors
from docpipe.contract import DOCUMENTS_PREFIX, EXTENSION_MEDIA_TYPES, REQUESTS_PREFIX
from docpipe.errors import NotFound


class ObjectStore:
    def __init__(self, client: Any, bucket: str) -> None:
        self._s3 = client
        self.bucket = bucket

    @property
    def client(self) -> Any:
        """The boto3 S3 client, for tools and tests that look at the bucket directly."""
        return self._s3

    @staticmethod
    def request_key(tenant: str, job_id: str) -> str:
        return f"{REQUESTS_PREFIX}{tenant}/{job_id}.json"

    @staticmethod
    def document_key(tenant: str, content_key: str, extension: str) -> str:
        """Content-addressed: the same document is stored once, however often it is rendered.
        ``extension`` is the request's file extension (``outputs.extension``), not always its format."""
        return f"{DOCUMENTS_PREFIX}{tenant}/{content_key}.{extension}"

    @staticmethod
    def media_type(document_key: str) -> str:
        """A stored document's media type, from the extension its key ends in."""
        return EXTENSION_MEDIA_TYPES[document_key.rsplit(".", 1)[-1]]

    @translates_aws_errors
    def put_request(self, key: str, body: bytes) -> None:
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/json")

    @translates_aws_errors
    def get_request(self, key: str) -> bytes:
        return bytes(self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    @translates_aws_errors
    def get_document(self, key: str) -> bytes:
        """A rendered document's bytes; NotFound once it is gone (erased, or expired)."""
        try:
            return bytes(self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())
        except self._s3.exceptions.NoSuchKey:
            raise NotFound("the document is no longer stored") from None

    @translates_aws_errors
    def put_document(self, key: str, body: bytes, filename: str) -> None:
        """Store a document under ``key``; its Content-Type follows the key's extension (a PNG of every
        page is a zip, whatever the job's format)."""
        self._s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=body,
            ContentType=self.media_type(key),
            ContentDisposition=f'attachment; filename="{filename}"',
        )

    @translates_aws_errors
    def presign(self, key: str, expires_in: int) -> tuple[str, str]:
        """A SigV4 GET link and when it expires (ISO 8601)."""
        url = self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_in
        )
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=expires_in)
        return url, expires.isoformat(timespec="seconds").replace("+00:00", "Z")

    @translates_aws_errors
    def delete(self, *keys: str) -> None:
        for key in keys:
            self._s3.delete_object(Bucket=self.bucket, Key=key)
