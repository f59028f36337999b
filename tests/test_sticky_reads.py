"""miniloop only: the sticky read registrations of sockets.py (SocketMixin._wait_readable).

A socket stays registered with the selector between two reads in a row, and is unregistered
before the loop next polls if no read took it back, closed or not."""

import socket

import miniloop


def registered(loop, sock_or_fd):
    fd = sock_or_fd if isinstance(sock_or_fd, int) else sock_or_fd.fileno()
    return loop._poller._selector.get_map().get(fd) is not None


async def read_after_waiting(sock, peer, data):
    loop = miniloop.get_running_loop()
    loop.call_later(0.001, peer.send, data)
    return await loop.sock_recv(sock, 100)


def pair():
    left, right = socket.socketpair()
    left.setblocking(False)
    right.setblocking(False)
    return left, right


def test_reads_in_a_row_register_the_socket_once():
    async def main():
        loop = miniloop.get_running_loop()
        calls = []
        register = loop._poller._selector.register
        loop._poller._selector.register = lambda *args: calls.append(args[0]) or register(*args)
        left, right = pair()
        with left, right:
            for i in range(5):
                assert await read_after_waiting(left, right, b"%d" % i) == b"%d" % i
            return len([fileobj for fileobj in calls if fileobj is left])

    assert miniloop.run(main()) == 1


def test_a_socket_that_stops_reading_is_unregistered_on_the_next_turn():
    async def main():
        loop = miniloop.get_running_loop()
        left, right = pair()
        with left, right:
            await read_after_waiting(left, right, b"x")
            still_there = registered(loop, left)  # in case the next read comes at once
            await miniloop.sleep(0)
            await miniloop.sleep(0)
            return still_there, registered(loop, left)

    assert miniloop.run(main()) == (True, False)


def test_a_closed_socket_leaves_no_registration_behind():
    async def main():
        loop = miniloop.get_running_loop()
        left, right = pair()
        fd = left.fileno()
        await read_after_waiting(left, right, b"x")
        left.close()
        right.close()
        await miniloop.sleep(0)
        await miniloop.sleep(0)
        return registered(loop, fd)

    assert miniloop.run(main()) is False


def test_cancelled_and_failed_reads_unregister_at_once():
    async def main():
        loop = miniloop.get_running_loop()
        left, right = pair()
        with left, right:
            reader = loop.create_task(loop.sock_recv(left, 100))
            await miniloop.sleep(0)
            assert registered(loop, left)
            reader.cancel()
            await miniloop.sleep(0)
            after_cancel = registered(loop, left)
            right.close()
            # EOF is not an error; a reset is: make one with SO_LINGER 0 on a TCP pair.
        with socket.create_server(("127.0.0.1", 0)) as server:
            client = socket.create_connection(server.getsockname())
            conn, _ = server.accept()
            with client:
                client.setblocking(False)
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
                loop.call_later(0.001, conn.close)
                try:
                    await loop.sock_recv(client, 100)
                except ConnectionResetError:
                    pass
                after_error = registered(loop, client)
        return after_cancel, after_error

    assert miniloop.run(main()) == (False, False)
