"""What the local moto server changes in moto: costs that are the emulator's, not the pipeline's (AWS
has none of them); what moto answers is unchanged.

- the dispatcher lists moto's ~200 package folders (one ``stat`` each) on every request to find the
  service: the list is taken once (a DynamoDB GetItem: 0.85 → 0.59 ms of CPU);
- SQS reads the clock through datetime arithmetic, once per message per scan, and SendMessage and
  GetQueueAttributes scan the whole queue (twice or more): with 2,000 messages waiting a send cost
  ~40 ms. ``time.time()`` gives the same number ~20x cheaper, so a long queue (the async scenario's)
  costs a few ms per send, not tens;
- every request looks its handler up by listing the response class's methods with
  ``inspect.getmembers``, and turns names from camel case to snake case character by character (SQS:
  ~15 names per SendMessage, to read one queue attribute): both are pure, so each answer is kept
  (profiled: ~10 % of a DynamoDB GetItem's time, ~20 % of an SQS SendMessage's);
- DynamoDB: see :func:`patch_dynamodb_transactions`.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import threading
import time
from collections.abc import Callable
from typing import Any

SavedItem = tuple[str, Any, Any]
"""(table name, key, the item's attributes before the transaction, or None if it did not exist)"""


def apply() -> None:
    """Every patch, in the moto server's own process (before it serves anything)."""
    import moto.backends
    import moto.sqs.models

    backends: Any = moto.backends
    sqs_models: Any = moto.sqs.models
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
    exact_millis = sqs_models.unix_time_millis

    def unix_time_millis(dt: Any = None) -> float:
        return time.time() * 1000.0 if dt is None else float(exact_millis(dt))

    sqs_models.unix_time_millis = unix_time_millis
    _remember_pure_lookups()
    patch_dynamodb_transactions()


def _remember_pure_lookups() -> None:
    """Each module that imported these functions by name gets the remembering one."""
    import moto.core.responses
    import moto.core.utils
    import moto.sqs.models

    responses: Any = moto.core.responses
    utils: Any = moto.core.utils
    sqs_models: Any = moto.sqs.models
    # Method names per class: a list only ever searched, never changed, by its one caller.
    responses.method_names_from_class = functools.cache(utils.method_names_from_class)
    snake = functools.lru_cache(maxsize=4096)(utils.camelcase_to_underscores)
    for module in (utils, responses, sqs_models):
        module.camelcase_to_underscores = snake


def patch_dynamodb_transactions() -> None:
    """moto's TransactWriteItems backs up every table it touches with ``copy.deepcopy`` to roll back
    a cancelled transaction. That costs O(table): 3 ms on an empty jobs table, 95 ms at 1,000 items,
    340 ms at 4,000, on every submit, so the local stack slowed down as jobs piled up. And the copy
    iterates the table while other threads write to it ("dictionary changed size during iteration":
    a 500, which docpipe rightly answers with 503), and the rollback put the copy back over any write
    made meanwhile.

    Here every DynamoDB item operation of the process holds one lock (moto's work is under the GIL
    anyway, so nothing is lost), and a transaction backs up only the items it touches: the rollback
    restores those, as DynamoDB's all-or-nothing promises, and nothing else.
    """
    import moto.dynamodb.models

    models: Any = moto.dynamodb.models
    backend: Any = models.DynamoDBBackend
    lock = threading.RLock()
    for name in ("get_item", "put_item", "update_item", "delete_item"):
        setattr(backend, name, _locked(lock, getattr(backend, name)))
    backend.transact_write_items = _transaction_with_item_backups(lock, models, backend.transact_write_items)


def _locked(lock: threading.RLock, method: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return method(*args, **kwargs)

    return call


def _transaction_with_item_backups(
    lock: threading.RLock, models: Any, original: Callable[..., Any]
) -> Callable[..., None]:
    class NoTableCopies:
        """Stands in for the ``copy`` module inside moto's DynamoDB models during a transaction."""

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, models.Table) else copy.deepcopy(value, memo)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with lock:
            try:
                saved = _touched_items(self, transact_items)
            except Exception:  # a malformed request: moto's own code gives the right error
                original(self, transact_items)
                return
            models.copy = NoTableCopies
            try:
                original(self, transact_items)
            except Exception:
                _restore(self, saved)
                raise
            finally:
                models.copy = copy

    return transact_write_items


def _touched_items(backend: Any, transact_items: list[dict[str, Any]]) -> list[SavedItem]:
    saved: list[SavedItem] = []
    for entry in transact_items:
        kind, op = next(iter(entry.items()))
        table = backend.get_table(op["TableName"])
        if kind == "Put":
            key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = op["Item"][table.range_key_attr]
        else:
            key = op["Key"]
        current = backend.get_item(op["TableName"], key)
        saved.append(
            (op["TableName"], key, copy.deepcopy(current.to_json()["Attributes"]) if current else None)
        )
    return saved


def _restore(backend: Any, saved: list[SavedItem]) -> None:
    for table_name, key, attributes in reversed(saved):
        if attributes is None:
            with contextlib.suppress(Exception):
                backend.delete_item(table_name, key)
        else:
            backend.put_item(table_name, attributes)
