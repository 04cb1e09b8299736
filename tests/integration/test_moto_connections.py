"""The local moto server keeps a connection open between requests, as AWS does, and never lets what
one request sent leak into the next (docpipe_local.moto_http)."""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Iterator

import pytest

from docpipe_local.stack import DevStack

LIST_TABLES = {
    "Content-Type": "application/x-amz-json-1.0",
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    # moto finds the service and region in the signature's scope; it does not check the signature.
    "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host, Signature=0",
}


@pytest.fixture
def connection(stack: DevStack) -> Iterator[http.client.HTTPConnection]:
    endpoint = urllib.parse.urlsplit(stack.environment["DOCPIPE_AWS_ENDPOINT_URL"])
    opened = http.client.HTTPConnection(endpoint.hostname or "127.0.0.1", endpoint.port, timeout=30)
    yield opened
    opened.close()


def tables(connection: http.client.HTTPConnection, body: bytes = b"{}") -> list[str]:
    connection.request("POST", "/", body=body, headers=LIST_TABLES)
    response = connection.getresponse()
    answer = json.loads(response.read())
    assert response.status == 200, answer
    assert not response.will_close, "the server asked to close the connection"
    names: list[str] = answer["TableNames"]
    return names


def test_one_connection_serves_request_after_request(
    stack: DevStack, connection: http.client.HTTPConnection
) -> None:
    first = tables(connection)
    sock = connection.sock
    assert sock is not None
    for _ in range(3):
        assert tables(connection) == first
        assert connection.sock is sock  # the same connection, not a new one per call
    assert stack.pipeline.settings.jobs_table in first


def test_a_body_the_service_ignores_does_not_reach_the_next_request(
    connection: http.client.HTTPConnection,
) -> None:
    """ListTables reads no field of a body like this one: had its bytes stayed unread on the
    connection, they would be taken for the start of the next request."""
    padding = json.dumps({"Limit": 100, "padding": "x" * 200_000}).encode()
    expected = tables(connection)
    assert tables(connection, padding) == expected
    assert tables(connection) == expected


def test_a_chunked_request_is_answered_and_then_the_connection_closes(
    connection: http.client.HTTPConnection,
) -> None:
    """A body of no stated length is left to werkzeug, which answers it and closes the connection."""
    connection.request("POST", "/", body=iter([b"{", b"}"]), headers=LIST_TABLES, encode_chunked=True)
    response = connection.getresponse()
    assert response.status == 200
    assert "TableNames" in json.loads(response.read())
    assert response.will_close
