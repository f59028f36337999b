"""pytest-benchmark set-up: one worker process per backend for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .worker import BACKENDS, Worker


@pytest.fixture(scope="session")
def workers() -> Iterator[dict[str, Worker]]:
    started = {backend: Worker(backend) for backend in BACKENDS}
    yield started
    for worker in started.values():
        worker.close()
