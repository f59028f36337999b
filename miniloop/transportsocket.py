"""TransportSocket: the socket a transport lends you, with the dangerous parts taken away.

What you learn here: `transport.get_extra_info("socket")` and `server.sockets` do not give
you the socket the loop is polling. They give a wrapper that answers questions (addresses,
options, the fd) but has no `close`, `recv`, `send` or `accept`, and refuses to be made
blocking: closing or reading the socket behind the transport's back would break the
transport's bookkeeping. Its repr, `<asyncio.TransportSocket fd=...>`, is asyncio's.
"""

from __future__ import annotations

import socket
from typing import Any

__all__ = ("TransportSocket",)


class TransportSocket:
    """A read-mostly view of a transport's socket."""

    __slots__ = ("_sock",)

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    @property
    def family(self) -> int:
        return self._sock.family

    @property
    def type(self) -> int:
        return self._sock.type

    @property
    def proto(self) -> int:
        return self._sock.proto

    def __repr__(self) -> str:
        text = (f"<asyncio.TransportSocket fd={self.fileno()}, family={self.family!s}, "
                f"type={self.type!s}, proto={self.proto}")
        if self.fileno() != -1:
            for label, ask in (("laddr", self.getsockname), ("raddr", self.getpeername)):
                try:
                    address = ask()
                except OSError:
                    continue
                if address:
                    text += f", {label}={address}"
        return text + ">"

    def __getstate__(self) -> Any:
        raise TypeError("Cannot serialize asyncio.TransportSocket object")

    def fileno(self) -> int:
        return self._sock.fileno()

    def dup(self) -> socket.socket:
        return self._sock.dup()

    def get_inheritable(self) -> bool:
        return self._sock.get_inheritable()

    def shutdown(self, how: int) -> None:
        self._sock.shutdown(how)

    def getsockopt(self, *args: Any, **kwargs: Any) -> Any:
        return self._sock.getsockopt(*args, **kwargs)

    def setsockopt(self, *args: Any, **kwargs: Any) -> None:
        self._sock.setsockopt(*args, **kwargs)

    def getpeername(self) -> Any:
        return self._sock.getpeername()

    def getsockname(self) -> Any:
        return self._sock.getsockname()

    def settimeout(self, value: float | None) -> None:
        if value != 0:
            raise ValueError("settimeout(): only 0 timeout is allowed on transport sockets")

    def gettimeout(self) -> float:
        return 0

    def setblocking(self, flag: bool) -> None:
        if flag:
            raise ValueError("setblocking(): transport sockets cannot be blocking")
