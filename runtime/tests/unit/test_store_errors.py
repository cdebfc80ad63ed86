"""A store's failure is the caller's 503 (retry later), and a full disk says so: rule ``store.full``, not a
store that "cannot be reached", so that the operator frees space instead of looking for a server that is up."""

from __future__ import annotations

import sqlite3

import pytest
from eventsourcing.persistence import OperationalError

from planspor_runtime.application import StoreFull, StoreUnavailable, store_error
from planspor_runtime.problems import STATUS_OF_KIND

pytestmark = pytest.mark.unit


def wrapped(cause: Exception) -> OperationalError:
    try:
        raise OperationalError(str(cause)) from cause
    except OperationalError as error:
        return error


@pytest.mark.parametrize(
    "cause",
    [
        sqlite3.OperationalError("database or disk is full"),
        OSError(28, "No space left on device"),
        Exception('could not extend file "base/16384/16522": No space left on device'),
    ],
)
def test_a_full_disk_is_refused_as_store_full_with_503(cause):
    refusal = store_error(wrapped(cause))
    assert isinstance(refusal, StoreFull) and refusal.rule == "store.full"
    assert STATUS_OF_KIND[refusal.kind] == 503
    assert "no space left" in refusal.message and "nothing was stored" in refusal.message


def test_a_server_away_is_refused_as_store_unavailable():
    refusal = store_error(wrapped(Exception("couldn't get a connection after 1.00 sec")))
    assert type(refusal) is StoreUnavailable and refusal.rule == "store.unavailable"
    assert "cannot be reached (OperationalError)" in refusal.message
