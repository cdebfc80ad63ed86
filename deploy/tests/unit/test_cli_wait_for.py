"""The demo loader's wait: given up on only when nothing moves for the whole timeout."""

import itertools

import pytest

from planspor_cli.client import CliError
from planspor_cli.demo.session import wait_for

pytestmark = pytest.mark.unit


def test_progress_moves_the_deadline_on():
    polls = itertools.count()
    # done on the 30th poll; each poll makes progress, so a timeout shorter than the whole wait is enough
    assert wait_for(lambda: next(polls) >= 30 or None, "x", timeout=0.05, interval=0.005, progress=lambda: next(polls))


def test_no_progress_gives_up_with_where_it_stood():
    with pytest.raises(CliError, match=r"waiting for the graph \(no progress past 7\)"):
        wait_for(lambda: None, "the graph", timeout=0.05, interval=0.005, progress=lambda: 7)


def test_without_progress_the_timeout_is_the_whole_wait():
    with pytest.raises(CliError, match="gave up after 0 s waiting for y$"):
        wait_for(lambda: None, "y", timeout=0.05, interval=0.005)
