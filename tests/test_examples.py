"""The examples, run as real programs on both loops and talked to by clients miniloop did
not write: blocking sockets, http.client and urllib from threads, and curl if installed.

The echo server exists three times, on `loop.sock_*`, on a protocol and on streams, and
the HTTP server twice, on `loop.sock_*` and on streams; every test of one runs against
each of them (the fixtures' `params`), since they must behave the same."""

from __future__ import annotations

import concurrent.futures
import http.client
import os
import pathlib
import re
import select
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def open_fd_count() -> int:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0


@pytest.fixture(autouse=True)
def no_fd_leaks() -> Iterator[None]:
    """Every test closes what it opens (sockets, pipes to the server process)."""
    before = open_fd_count()
    yield
    assert open_fd_count() <= before, "a test left file descriptors open"


def start(example: str, loop: str) -> tuple[subprocess.Popen[str], int]:
    """Run examples/<example>.py on `loop` on a free port; wait until it listens."""
    server = subprocess.Popen(
        [sys.executable, str(EXAMPLES / f"{example}.py"), "--loop", loop, "--port", "0"],
        stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    if not select.select([server.stdout], [], [], 30)[0]:  # a server that hangs: fail
        server.kill()
        server.wait()
        server.stdout.close()
        pytest.fail(f"examples/{example}.py printed nothing within 30 s")
    banner = server.stdout.readline()  # printed once the socket listens
    match = re.search(r":(\d+)/? \((\w+)\)$", banner.strip())
    assert match and match.group(2) == loop, banner
    return server, int(match.group(1))


def stop(server: subprocess.Popen[str]) -> None:
    server.terminate()
    server.wait(timeout=10)
    assert server.stdout is not None
    server.stdout.close()


# One server per example and loop, for all the tests of this module that talk to it (a
# server must outlive its clients anyway; starting one costs an interpreter's start-up).
@pytest.fixture(scope="module", params=["asyncio", "miniloop"])
def loop(request: pytest.FixtureRequest) -> str:
    """The loop an example runs on (its `--loop`)."""
    return request.param


@pytest.fixture(scope="module", params=["echo_server", "echo_protocol", "echo_streams"])
def echo_server(loop: str, request: pytest.FixtureRequest) -> Iterator[int]:
    """Each echo example: on sock_* calls (echo_server), on a protocol (echo_protocol) and
    on streams (echo_streams)."""
    server, port = start(request.param, loop)
    yield port
    stop(server)


@pytest.fixture(scope="module", params=["http_server", "http_streams"])
def http_server(loop: str, request: pytest.FixtureRequest) -> Iterator[int]:
    server, port = start(request.param, loop)
    yield port
    stop(server)


@pytest.fixture
def chat_server(loop: str) -> Iterator[int]:
    server, port = start("chat_server", loop)
    yield port
    stop(server)


def in_threads(fn, args_list):
    """Run fn(*args) for each args in worker threads, at the same time; results in order."""
    with concurrent.futures.ThreadPoolExecutor(len(args_list)) as pool:
        return list(pool.map(lambda args: fn(*args), args_list))


# == The echo server =========================================================================

def test_echo_server_with_concurrent_blocking_clients(echo_server: int) -> None:
    def client(i: int) -> bool:
        message = f"client {i} says hello\n".encode() * 5000  # ~100 KB: several reads
        with socket.create_connection(("127.0.0.1", echo_server), timeout=10) as sock:
            sock.sendall(message)
            sock.shutdown(socket.SHUT_WR)
            reply = b""
            while data := sock.recv(65536):
                reply += data
        return reply == message

    assert in_threads(client, [(i,) for i in range(20)]) == [True] * 20


def test_echo_server_survives_a_client_that_resets(echo_server: int) -> None:
    with socket.create_connection(("127.0.0.1", echo_server), timeout=10) as rude:
        rude.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
        rude.sendall(b"bye")
    with socket.create_connection(("127.0.0.1", echo_server), timeout=10) as polite:
        polite.sendall(b"still there?")
        assert polite.recv(100) == b"still there?"


def test_echo_server_with_a_client_that_sends_before_it_reads(echo_server: int) -> None:
    """8 MiB sent before reading anything: the server's write buffer fills, and it must
    stop reading rather than give up or lose data (backpressure), then catch up."""
    message = bytes(range(256)) * (8 * 4096)
    with socket.create_connection(("127.0.0.1", echo_server), timeout=30) as sock:
        def send() -> None:
            sock.sendall(message)
            sock.shutdown(socket.SHUT_WR)

        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            sending = pool.submit(send)
            time.sleep(0.5)  # let the buffers fill both ways (correct with any delay)
            reply = bytearray()
            while data := sock.recv(1 << 16):
                reply += data
            sending.result()
    assert reply == message


# == The HTTP server ========================================================================

def test_http_client_keeps_the_connection_alive(http_server: int, loop: str) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", http_server, timeout=10)
    try:
        bodies = []
        for path in ("/first", "/second", "/third"):
            conn.request("GET", path)
            if path == "/first":
                first_socket = conn.sock
            response = conn.getresponse()
            assert response.status == 200
            assert response.getheader("Connection") == "keep-alive"
            bodies.append(response.read().decode())
        assert conn.sock is first_socket  # one connection for all three requests
    finally:
        conn.close()
    assert bodies == [f"Hello from {loop}! You asked for {path}\n"
                      for path in ("/first", "/second", "/third")]


def test_urllib_from_many_threads_at_once(http_server: int, loop: str) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only

    def get(path: str) -> tuple[int, str]:
        with opener.open(f"http://127.0.0.1:{http_server}{path}", timeout=10) as response:
            return response.status, response.read().decode()

    paths = [f"/page/{i}" for i in range(16)]
    assert in_threads(get, [(path,) for path in paths]) == [
        (200, f"Hello from {loop}! You asked for {path}\n") for path in paths]


def test_http_head_post_and_http_1_0(http_server: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", http_server, timeout=10)
    try:
        conn.request("HEAD", "/")
        response = conn.getresponse()
        assert (response.status, response.read()) == (200, b"")
        assert int(response.getheader("Content-Length")) > 0
        conn.request("POST", "/", body=b"x" * 1000)  # the body is read and skipped
        response = conn.getresponse()
        assert (response.status, response.read()) == (405, b"GET or HEAD only\n")
    finally:
        conn.close()
    with socket.create_connection(("127.0.0.1", http_server), timeout=10) as sock:
        sock.sendall(b"GET /old HTTP/1.0\r\n\r\n")  # HTTP/1.0: the server closes after it
        reply = b""
        while data := sock.recv(65536):
            reply += data
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n") and b"Connection: close" in reply


def test_pipelined_and_fragmented_requests(http_server: int, loop: str) -> None:
    """Two requests in one write, then one request a few bytes at a time."""
    with socket.create_connection(("127.0.0.1", http_server), timeout=10) as sock:
        sock.sendall(b"GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n")
        request = b"GET /three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        for i in range(0, len(request), 7):
            sock.sendall(request[i:i + 7])
        reply = b""
        while data := sock.recv(65536):
            reply += data
    bodies = re.findall(rb"You asked for (/\w+)", reply)
    assert bodies == [b"/one", b"/two", b"/three"]
    assert reply.count(b"HTTP/1.1 200 OK") == 3


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_reuses_the_connection(http_server: int, loop: str) -> None:
    base = f"http://127.0.0.1:{http_server}"
    result = subprocess.run(
        ["curl", "--silent", "--show-error", "--noproxy", "*", "--max-time", "10",
         "--write-out", "[new connections: %{num_connects}]\n", f"{base}/a", f"{base}/b"],
        capture_output=True, text=True, timeout=30, check=True)
    assert result.stdout == (f"Hello from {loop}! You asked for /a\n[new connections: 1]\n"
                             f"Hello from {loop}! You asked for /b\n[new connections: 0]\n")


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_wrk_load_gets_only_good_answers(http_server: int) -> None:
    """A second of wrk, 16 keep-alive connections: every response a 200, no socket error."""
    result = subprocess.run(
        ["wrk", "--threads", "1", "--connections", "16", "--duration", "1s", "--timeout", "5s",
         f"http://127.0.0.1:{http_server}/load"],
        capture_output=True, text=True, timeout=60, check=True)
    requests = re.search(r"(\d+) requests in", result.stdout)
    assert requests and int(requests.group(1)) > 0, result.stdout
    assert "Socket errors" not in result.stdout, result.stdout
    assert "Non-2xx" not in result.stdout, result.stdout


# == The HTTP client example ================================================================

@pytest.mark.parametrize("client_loop", ["asyncio", "miniloop"])
def test_http_client_example_fetches_urls_concurrently(http_server: int, loop: str,
                                                       client_loop: str) -> None:
    urls = [f"http://127.0.0.1:{http_server}/a", f"http://localhost:{http_server}/b",
            f"http://127.0.0.1:{http_server}/c?x=1"]
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "http_client.py"), "--loop", client_loop, *urls],
        capture_output=True, text=True, timeout=30, check=True)
    assert result.stdout.splitlines() == [
        f"200 {urls[0]} Hello from {loop}! You asked for /a",
        f"200 {urls[1]} Hello from {loop}! You asked for /b",
        f"200 {urls[2]} Hello from {loop}! You asked for /c?x=1"]


# == The chat server ========================================================================

class ChatClient:
    """A blocking socket client that reads the chat line by line."""

    def __init__(self, port: int, name: str, *, receive_buffer: int | None = None) -> None:
        self.sock = socket.socket()
        self.sock.settimeout(10)
        if receive_buffer:  # before connecting: the window the server sees stays small
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.connect(("127.0.0.1", port))
        self.lines = self.sock.makefile("rb")
        assert self.lines.read(6) == b"name? "
        self.sock.sendall(name.encode() + b"\n")

    def say(self, text: str) -> None:
        self.sock.sendall(text.encode() + b"\n")

    def hear(self) -> str:
        return self.lines.readline().decode().rstrip("\n")

    def close(self) -> None:
        self.lines.close()
        self.sock.close()


def test_chat_server_relays_lines_to_the_others(chat_server: int) -> None:
    alice = ChatClient(chat_server, "alice")
    assert alice.hear() == "welcome, alice: 1 here"
    bob = ChatClient(chat_server, "bob")
    assert bob.hear() == "welcome, bob: 2 here"
    assert alice.hear() == "* bob joined"
    carol = ChatClient(chat_server, "carol")
    assert carol.hear() == "welcome, carol: 3 here"
    assert [alice.hear(), bob.hear()] == ["* carol joined"] * 2
    alice.say("hi all")
    assert [bob.hear(), carol.hear()] == ["<alice> hi all"] * 2
    bob.say("hello alice")
    assert [alice.hear(), carol.hear()] == ["<bob> hello alice"] * 2
    bob.close()
    assert [alice.hear(), carol.hear()] == ["* bob left"] * 2
    carol.say("bye")
    assert alice.hear() == "<carol> bye"
    alice.close()
    carol.close()


def test_chat_server_refuses_a_taken_name_and_drops_a_client_too_far_behind(
        chat_server: int) -> None:
    alice = ChatClient(chat_server, "alice")
    assert alice.hear() == "welcome, alice: 1 here"
    impostor = ChatClient(chat_server, "alice")
    assert impostor.hear() == "that name is empty or taken, bye"
    assert impostor.hear() == ""  # and the server closed the connection
    impostor.close()
    # A client that never reads: its outbox fills up and it is cut off, while the others
    # go on chatting.
    sleeper = ChatClient(chat_server, "sleeper", receive_buffer=4096)
    bob = ChatClient(chat_server, "bob")
    assert bob.hear() == "welcome, bob: 3 here"
    assert alice.hear() == "* sleeper joined"
    assert alice.hear() == "* bob joined"
    line = "x" * 1000
    for _ in range(50):  # 5 MB: more than the kernel may buffer for the sleeper (4 MiB)
        alice.say("\n".join([line] * 100))
        assert [bob.hear() for _ in range(100)] == [f"<alice> {line}"] * 100
    bob.say("still here")
    assert alice.hear() == "<bob> still here"
    received = 0  # the sleeper wakes up: what reached its socket, then the end
    try:
        while data := sleeper.sock.recv(65536):
            received += len(data)
    except ConnectionResetError:
        pass
    assert received < 5000 * len(f"<alice> {line}\n")
    sleeper.close()
    alice.close()
    bob.close()


def test_the_program_to_watch_prints_the_same_on_both_loops() -> None:
    program = str(EXAMPLES / "producer_consumer.py")
    plain = subprocess.run([sys.executable, program], capture_output=True, text=True,
                           timeout=60)
    swapped = subprocess.run([sys.executable, "-m", "miniloop", program],
                             capture_output=True, text=True, timeout=60)
    assert plain.returncode == swapped.returncode == 0, swapped.stderr
    assert swapped.stdout == plain.stdout
    assert plain.stdout.splitlines() == [
        "consumer-a got 0", "consumer-b got 1", "consumer-a got 2", "consumer-b got 3"]


# == Child processes ========================================================================

def test_run_parallel_reports_each_command_and_kills_the_slow_ones(loop: str) -> None:
    """The slow commands are killed at the time limit with their shell's children (the
    second one's `sleep` holds the output pipe open): the run ends long before a minute."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "run_parallel.py"), "--loop", loop, "--timeout", "2",
         "echo one", "echo two >&2; exit 3", "sleep 60", "sleep 60 & wait"],
        capture_output=True, text=True, timeout=50, check=True)
    assert result.stdout.splitlines() == ["0 one", "3 two", "timeout", "timeout"]
    assert time.monotonic() - started < 30
