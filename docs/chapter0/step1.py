"""Step 1: callbacks on a selector. The loop is a queue of callbacks and one system call
that waits for file descriptors; nothing else ever runs code."""

import collections
import selectors


class Loop:
    def __init__(self):
        self.ready = collections.deque()             # (callback, args) to run, in order
        self.selector = selectors.DefaultSelector()  # the fds we wait on, with their callbacks
        self.stopping = False                        # run_forever() ends after this turn

    def call_soon(self, callback, *args):
        self.ready.append((callback, args))

    def add_reader(self, fd, callback, *args):
        self.selector.register(fd, selectors.EVENT_READ, (callback, args))

    def remove_reader(self, fd):
        self.selector.unregister(fd)

    def stop(self):
        self.stopping = True

    def poll(self, timeout):
        for key, _ in self.selector.select(timeout):
            self.ready.append(key.data)   # a readable fd: its callback joins the queue

    def run_ready(self):
        for _ in range(len(self.ready)):  # what these schedule waits for the next turn
            callback, args = self.ready.popleft()
            callback(*args)

    def run_once(self):
        self.poll(0 if self.ready else None)  # no waiting while work is ready
        self.run_ready()

    def run_forever(self):
        while not self.stopping:
            self.run_once()


if __name__ == "__main__":
    import socket

    loop = Loop()
    left, right = socket.socketpair()

    def on_readable():
        print("read", left.recv(100))
        loop.remove_reader(left)
        loop.stop()

    loop.add_reader(left, on_readable)
    loop.call_soon(print, "first turn: nothing to read yet")
    loop.call_soon(right.send, b"hello")
    loop.run_forever()
    left.close(), right.close(), loop.selector.close()
