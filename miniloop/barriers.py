"""Barrier: N tasks wait for each other, then all go on together.

What you learn here: how a richer primitive is built from a Condition (locks.py) and a
small state machine. Each of `parties` tasks calls `await barrier.wait()`; the first N-1
wait, the N-th *trips* the barrier and they all return, each with a different index from
0 to N-1 (the order they arrived in). Then the barrier is ready for the next round.

The states, which also appear in the repr:

    filling    tasks are arriving; n_waiting counts them
    draining   the barrier tripped; the tasks of this round are leaving. Tasks arriving for
               the next round wait until the last one has left.
    resetting  reset() was called while tasks waited: they leave with BrokenBarrierError,
               then the barrier is filling again
    broken     abort() was called: every wait(), now and later, raises BrokenBarrierError
               until reset()

A task cancelled while it waits leaves the barrier (n_waiting drops) without breaking it,
as in asyncio; unlike threading.Barrier, which breaks.
"""

from __future__ import annotations

from types import TracebackType

from .locks import Condition
from .loopbound import LoopBound

__all__ = ("Barrier", "BrokenBarrierError")

FILLING = "filling"
DRAINING = "draining"
RESETTING = "resetting"
BROKEN = "broken"


class BrokenBarrierError(RuntimeError):
    """A Barrier was reset or aborted while (or before) a task waited on it."""


class Barrier(LoopBound):
    """`await barrier.wait()` returns once `parties` tasks are waiting."""

    def __init__(self, parties: int) -> None:
        if parties < 1:
            raise ValueError("parties must be > 0")
        self._parties = parties
        self._cond = Condition()  # guards the fields below; notify_all on every state change
        self._state = FILLING     # one of the four states above
        self._count = 0           # tasks inside wait() for the current round

    def __repr__(self) -> str:
        extra = self._state
        if not self.broken:
            extra += f", waiters:{self.n_waiting}/{self.parties}"
        return f"<{object.__repr__(self)[1:-1]} [{extra}]>"

    async def __aenter__(self) -> int:
        return await self.wait()  # `async with barrier as index:`

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        pass

    @property
    def parties(self) -> int:
        return self._parties

    @property
    def n_waiting(self) -> int:
        """Tasks waiting for this round to fill (0 while draining, resetting or broken)."""
        return self._count if self._state == FILLING else 0

    @property
    def broken(self) -> bool:
        return self._state == BROKEN

    async def wait(self) -> int:
        """Wait until `parties` tasks are here; return this task's arrival index."""
        async with self._cond:
            # Tasks of the previous round are still leaving: wait for them to be gone.
            await self._cond.wait_for(lambda: self._state not in (DRAINING, RESETTING))
            if self._state == BROKEN:
                raise BrokenBarrierError("Barrier aborted")
            index = self._count
            self._count += 1
            # Discussion: every way out of here - tripped, broken, or cancelled while
            # waiting - goes through the `finally`, which counts us out; the last one out
            # ends the drain or the reset, so the barrier is ready for the next round.
            try:
                if index + 1 == self._parties:
                    self._state = DRAINING  # we are the last one: trip the barrier
                    self._cond.notify_all()
                else:
                    await self._cond.wait_for(lambda: self._state != FILLING)
                    if self._state in (BROKEN, RESETTING):
                        raise BrokenBarrierError("Abort or reset of barrier")
                return index
            finally:
                self._count -= 1
                if self._count == 0:
                    if self._state in (DRAINING, RESETTING):
                        self._state = FILLING
                    self._cond.notify_all()  # wakes arrivals for the next round

    async def reset(self) -> None:
        """Back to an empty, filling barrier; tasks waiting now get BrokenBarrierError."""
        async with self._cond:
            if self._count > 0:
                self._state = RESETTING  # the last waiter to leave makes it filling again
            else:
                self._state = FILLING
            self._cond.notify_all()

    async def abort(self) -> None:
        """Break the barrier: every wait(), now and until reset(), raises BrokenBarrierError."""
        async with self._cond:
            self._state = BROKEN
            self._cond.notify_all()
