"""S3: the request claim checks, the rendered documents, and presigned download links."""

from __future__ import annotations

import datetime as dt
from typing import Any

CONTENT_TYPES = {"pdf": "application/pdf", "tex": "application/x-tex; charset=utf-8"}


class ObjectStore:
    def __init__(self, client: Any, bucket: str) -> None:
        self._s3 = client
        self.bucket = bucket

    @staticmethod
    def request_key(tenant: str, job_id: str) -> str:
        return f"requests/{tenant}/{job_id}.json"

    @staticmethod
    def document_key(tenant: str, content_key: str, output_format: str) -> str:
        # Content-addressed: the same document is stored once, however often it is rendered.
        return f"documents/{tenant}/{content_key}.{output_format}"

    def put_request(self, key: str, body: bytes) -> None:
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/json")

    def get_request(self, key: str) -> bytes:
        return bytes(self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def put_document(self, key: str, body: bytes, output_format: str, filename: str) -> None:
        self._s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=body,
            ContentType=CONTENT_TYPES[output_format],
            ContentDisposition=f'attachment; filename="{filename}"',
        )

    def exists(self, key: str) -> bool:
        try:
            self._s3.head_object(Bucket=self.bucket, Key=key)
        except self._s3.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    def presign(self, key: str, expires_in: int) -> tuple[str, str]:
        """A SigV4 GET link and when it expires (ISO 8601)."""
        url = self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_in
        )
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=expires_in)
        return url, expires.isoformat(timespec="seconds").replace("+00:00", "Z")

    def delete(self, *keys: str) -> None:
        for key in keys:
            self._s3.delete_object(Bucket=self.bucket, Key=key)
