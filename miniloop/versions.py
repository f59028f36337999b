"""Versions as data: every asyncio behaviour change between 3.11 and 3.13 that miniloop follows.

What you learn here: how asyncio itself changed across the Pythons miniloop supports. Each
change is one named flag, true when the running Python has the newer behaviour, with a
one-line reason and the compat scenario that pins it. The rest of miniloop asks these flags
and never `sys.version_info`, so a reader sees every version difference in one list, and a
branch in the code names the change it follows.
"""

from __future__ import annotations

import sys

_V = sys.version_info[:2]


def at_least(version: tuple[int, int]) -> bool:
    """For tables of names by version (dropin.py: which asyncio names exist)."""
    return version <= _V


# -- The loop ---------------------------------------------------------------------------
# 3.13 clamps the poll timeout with comparisons, not max(): a NaN deadline reaches the
# selector, which raises ValueError; before, the timer fires at once.
# (compat_tests/test_deadlines.py)
NAN_DEADLINE_REACHES_POLL = _V >= (3, 13)

# -- Tasks ------------------------------------------------------------------------------
# Eager tasks are new in 3.12: Task(eager_start=True), eager_task_factory, and a TaskGroup
# that takes a task already done at creation as done at once. (compat_tests/test_eager.py)
EAGER_TASKS = _V >= (3, 12)
# 3.13.0 names a task made by a task factory after the fact even when no name was given: it
# is then called "None". (test_a_factory_task_without_a_name; later 3.13 releases differ)
FACTORY_TASK_NAMED_NONE = _V >= (3, 13)
# Task.get_context() is new in 3.12. (test_task_get_context)
TASK_GET_CONTEXT = _V >= (3, 12)
# 3.13: uncancel() down to zero also drops a cancel() not yet delivered.
# (test_uncancel_to_zero_drops_a_pending_cancel)
UNCANCEL_CLEARS_PENDING_CANCEL = _V >= (3, 13)

# -- Futures and coroutines -------------------------------------------------------------
# 3.13 wraps a StopIteration given to set_exception() in a RuntimeError; before, TypeError.
FUTURE_WRAPS_STOPITERATION = _V >= (3, 13)
# 3.12 deprecates throw(type, value, traceback) on the await iterator, as on generators.
# (test_the_await_iterator_throw_takes_what_a_generator_takes)
THROW_SIGNATURE_DEPRECATED = _V >= (3, 12)
# 3.12 no longer counts plain generators (old @coroutine remains) as coroutines.
GENERATORS_ARE_NOT_COROUTINES = _V >= (3, 12)
# 3.13 shows no callback arguments in reprs outside debug mode.
REPR_HIDES_ARGS = _V >= (3, 13)

# -- Combinators ------------------------------------------------------------------------
# 3.12 counts children that are already done when gather() is called at once, not through
# call_soon: gather() of finished futures is done before it is ever awaited.
GATHER_COUNTS_DONE_CHILDREN_AT_ONCE = _V >= (3, 12)
# 3.12 rebuilt wait_for() on timeout(); 3.11 has an algorithm of its own.
WAIT_FOR_USES_TIMEOUT = _V >= (3, 12)
# 3.13: timeout() turns subclasses of CancelledError into TimeoutError too.
TIMEOUT_CONVERTS_CANCEL_SUBCLASSES = _V >= (3, 13)
# 3.13: as_completed() returns an iterator that also supports `async for`.
AS_COMPLETED_ITERATOR = _V >= (3, 13)
# 3.13 TaskGroup: takes its cancel request back after the tasks are done (not on entering
# __aexit__), re-arms an outside cancel under an ExceptionGroup, closes a refused
# coroutine, and counts subclasses of CancelledError as cancellation (one change).
TASKGROUP_UNCANCELS_AFTER_TASKS = _V >= (3, 13)

# -- Primitives -------------------------------------------------------------------------
# 3.13 Condition.wait(): a notified waiter that leaves with an error passes the notify on.
CONDITION_PASSES_NOTIFY_ON = _V >= (3, 13)
# 3.13 re-raises the very CancelledError caught while taking the lock back.
CONDITION_KEEPS_CANCEL_MESSAGE = _V >= (3, 13)
# 3.13 semaphores fill every free place after a wait; 3.11 and 3.12 wake one, in a chain.
SEMAPHORE_FILLS_ALL_PLACES = _V >= (3, 13)
# Queue.shutdown() and QueueShutDown are new in 3.13.
QUEUE_SHUTDOWN = _V >= (3, 13)

# -- Time -------------------------------------------------------------------------------
# 3.13 refuses sleep(nan) with ValueError; 3.11 and 3.12 accept it.
SLEEP_REJECTS_NAN = _V >= (3, 13)

# -- The rest of the process ------------------------------------------------------------
# 3.12: get_event_loop() that has to create a loop warns DeprecationWarning.
IMPLICIT_LOOP_DEPRECATED = _V >= (3, 12)
# 3.12: the child of os.fork() forgets the set loops too (the running loop, always).
# (test_a_forked_child_can_run_its_own_loop)
FORK_FORGETS_LOOP = _V >= (3, 12)
# 3.12 runs a custom exception handler in the failing task's or handle's context.
HANDLER_RUNS_IN_CONTEXT = _V >= (3, 12)
# 3.12: shutdown_default_executor(timeout), and run()'s bounded wait for the executor.
SHUTDOWN_EXECUTOR_TIMEOUT = _V >= (3, 12)
# 3.13 bounds the wait for the executor itself, and warns when it expires.
SHUTDOWN_EXECUTOR_WAIT_BOUNDED = _V >= (3, 13)
# 3.13: an error translated from concurrent.futures keeps its traceback.
WRAPPED_ERROR_KEEPS_TRACEBACK = _V >= (3, 13)

# -- Transports, connections and servers ------------------------------------------------
# 3.12: transport.writelines() sends at once (one sendmsg), without the high-water check.
# (test_writelines_does_not_pause_the_protocol)
WRITELINES_SENDS_AT_ONCE = _V >= (3, 12)
# 3.13 words a bind error (create_server, create_connection's local_addr) with str(err)
# ("[errno 98] ..."); before, with err.strerror. (test_create_server_on_a_port_in_use)
BIND_ERROR_SHOWS_ERRNO = _V >= (3, 13)
# 3.13 create_server skips addresses that cannot be bound (EADDRNOTAVAIL, a family not
# enabled) and fails only if none is left. (No scenario: it needs a family that is off.)
CREATE_SERVER_SKIPS_UNAVAILABLE = _V >= (3, 13)
# 3.12: Server.wait_closed() also waits for the connections to end, not only for close().
# (test_wait_closed_waits_for_the_clients)
WAIT_CLOSED_WAITS_FOR_CLIENTS = _V >= (3, 12)
# Server.close_clients() and abort_clients() are new in 3.13. (test_close_clients)
SERVER_CLOSE_CLIENTS = _V >= (3, 13)
# 3.13: create_unix_server(cleanup_socket=True) removes the socket file on close().
# (test_unix_server_removes_its_socket_file)
UNIX_SERVER_CLEANUP_SOCKET = _V >= (3, 13)
# 3.13 datagram transports: sendto(b"") sends an empty datagram (before: nothing), and
# the write buffer size counts 8 header bytes per queued datagram. (test_sendto_empty)
DATAGRAM_SENDS_EMPTY = _V >= (3, 13)
# 3.13 create_datagram_endpoint(sock=) takes any socket but a stream one ("A datagram
# socket was expected"); before, it wants SOCK_DGRAM ("A UDP Socket was expected").
# (test_create_datagram_endpoint_argument_errors)
DATAGRAM_SOCKET_NOT_STREAM = _V >= (3, 13)

# -- Streams ----------------------------------------------------------------------------
# 3.13: StreamReader.readuntil() accepts a tuple of separators; the first to end wins.
# (test_readuntil_tuple_of_separators)
READUNTIL_TAKES_TUPLE = _V >= (3, 13)
# 3.13: a server's protocol no longer keeps the writer it gave client_connected_cb, so a
# handler that drops it lets it be collected (closed, with a ResourceWarning).
# (test_server_writer_dropped_by_its_handler)
PROTOCOL_DROPS_SERVER_WRITER = _V >= (3, 13)
# 3.13: a cancelled client_connected_cb task closes its connection; before, its done
# callback fails with CancelledError and the loop reports that. (test_handler_cancelled)
CANCELLED_CLIENT_TASK_CLOSES = _V >= (3, 13)
# 3.12: StreamWriter.start_tls() takes ssl_shutdown_timeout; 3.11 has no such parameter.
# (test_stream_start_tls_shutdown_timeout_argument)
STREAM_START_TLS_SHUTDOWN_TIMEOUT = _V >= (3, 12)

# -- Child processes --------------------------------------------------------------------
# 3.12 deprecates the child watchers: get_child_watcher(), set_child_watcher(), the
# SIGCHLD watchers' constructors and subclassing AbstractChildWatcher warn
# DeprecationWarning (removal in 3.14). (test_child_watchers_warn_as_deprecated)
CHILD_WATCHERS_DEPRECATED = _V >= (3, 12)
# 3.12: the policy's default watcher is a PidfdChildWatcher where the kernel has pidfds
# (a ThreadedChildWatcher otherwise); 3.11 always makes a ThreadedChildWatcher.
# (test_the_default_child_watcher)
PIDFD_WATCHER_BY_DEFAULT = _V >= (3, 12)
# 3.12: PidfdChildWatcher has no loop of its own (attach_loop does nothing, it is always
# active) and registers with the running loop; 3.11's is attached to a loop, and active
# only while that loop runs. (test_a_pidfd_watcher_on_3_11_needs_its_loop)
PIDFD_WATCHER_USES_RUNNING_LOOP = _V >= (3, 12)
# 3.12: the loop asks the watcher itself inside `with watcher:`; 3.11 asks what __enter__
# returned (the watcher, for every real one). (conformance: test_subprocess's
# test_create_subprocess_fails_with_inactive_watcher)
WATCHER_ITSELF_INSIDE_WITH = _V >= (3, 12)
# 3.12: a watcher's exit report reaches the transport in one call_soon_threadsafe; 3.11
# queues it once more with call_soon, one turn later. (test_protocol_callback_order)
CHILD_EXIT_REPORTED_IN_ONE_HOP = _V >= (3, 12)
# 3.12: Process.communicate() feeds (and closes) stdin whenever it is piped, input or not;
# 3.11 feeds it whenever there is input, piped or not (an AttributeError if not).
# (test_communicate_without_input_closes_stdin, test_communicate_input_without_a_stdin_pipe)
COMMUNICATE_CLOSES_STDIN = _V >= (3, 12)
# 3.13: the subprocess transport signals by pid (os.kill) instead of through
# Popen.send_signal(), and close() ignores a PermissionError from kill() (a setuid child).
# (test_send_signal_after_exit)
SUBPROCESS_SIGNALS_BY_PID = _V >= (3, 13)
