"""Errors that reach the user as one line each, never as a traceback."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input: where it is (file, line, column) and why."""

    file: str
    reason: str
    line: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.reason}"


class DataError(Exception):
    """Input data is invalid. Carries every problem found, each printable on one line."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: whatever is running is ended and its leftovers cleared (`on_sigterm`)."""


def on_sigterm():
    """From now on, SIGTERM raises `Terminated` in the main thread, as Ctrl-C raises KeyboardInterrupt; a second one,
    while the first is being handled, is ignored (the way out is not cut short). Returns the handler it replaced
    (None when called outside the main thread, where no handler can be set)."""
    import signal
    import threading

    def terminated(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Terminated()

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, terminated)


@contextlib.contextmanager
def signals_held():
    """Ctrl-C and SIGTERM arriving in the block wait for its end, then are raised as usual. Start a child process in
    it and assign it: a signal that came while it started finds it known to the code that must end it (else the
    child would be left running). Outside the main thread, where no handler can be set, nothing is held."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    saved = {signum: signal.signal(signum, lambda signum, frame: pending.append(signum))
             for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
        for signum in pending[:1]:  # as it would have been handled had it come after the block
            handler = saved[signum]
            if callable(handler):
                handler(signum, None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)


class NotebookError(Exception):
    """A notebook raised while it was executed; the message names notebook, cell and exception."""


class ParameterError(ValueError):
    """A notebook parameter that cannot work or selects no data: `name` and why (the caller adds where it was set)."""

    def __init__(self, name: str, reason: str):
        self.name, self.reason = name, reason
        super().__init__(f"parameter '{name}': {reason}")
