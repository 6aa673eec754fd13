"""The blocking layer: one event loop in a thread, running coroutines for blocking callers.

Every blocking face of eslkit is built on this module and nothing else: the sync client
(:mod:`eslkit.sync`), the blocking test switch (:class:`eslkit.testing.BlockingSwitch`)
and the console (``eslkit cli``).

- :class:`Portal` is the loop thread (the pattern of anyio's ``BlockingPortal``): any other
  thread hands it a coroutine and waits, bounded, for the result. :meth:`Portal.shared` is
  the process-wide one the sync client uses; the test switch and the console make their own
  so that stopping them stops their loop.
- :class:`Facade` is the base of a blocking object wrapping an asyncio one, and
  :class:`blocking` generates its methods from the asyncio ones: the blocking method has the
  coroutine's very signature (parameters, defaults, docstring, and for mypy its types), runs
  it on the portal and waits at most for the call's own timeout plus a margin.
  :class:`on_loop` does the same for a plain method that must run on the loop thread.

Hand-written blocking methods are kept for what is not a plain call: handlers (run in a
thread of their own), streams, and lifecycles (``close``, ``start``, ``stop``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import threading
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar, Concatenate, Generic, ParamSpec, Self, TypeVar, overload

from eslkit.client.errors import Timeout

__all__ = ["MARGIN", "Facade", "Portal", "blocking", "on_loop"]

T = TypeVar("T")
A = TypeVar("A")
P = ParamSpec("P")

#: Seconds a blocking call waits beyond its own timeout before giving up on the loop.
MARGIN = 5.0
#: Bound of a call that has no timeout of its own but must not hang (attribute reads...).
QUICK = MARGIN


class Portal:
    """One daemon thread running an asyncio event loop for blocking callers.

    :meth:`run` hands a coroutine to the loop and waits for its result; :meth:`call` does
    the same for a plain function (to touch loop-owned state safely). Both refuse to run from
    the loop thread itself, which would deadlock.
    """

    _shared: ClassVar[Portal | None] = None
    _guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, name: str = "eslkit-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._main, name=name, daemon=True)
        self.thread.start()

    def __repr__(self) -> str:
        state = "running" if self.thread.is_alive() else "stopped"
        return f"<Portal {self.thread.name} {state}>"

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    @classmethod
    def shared(cls) -> Portal:
        """The process-wide portal (started on first use, restarted if its thread died)."""
        with cls._guard:
            portal = cls._shared
            if portal is None or not portal.thread.is_alive():
                portal = cls._shared = cls("eslkit-loop")
            return portal

    @property
    def in_loop_thread(self) -> bool:
        """Whether the caller is the loop thread itself."""
        return threading.current_thread() is self.thread

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coro`` on the loop; returns at once with a thread-safe future."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None) -> T:
        """Run ``coro`` on the loop and return its result (or raise its exception).

        If it has not finished within ``timeout`` seconds (``None``: no bound) it is
        cancelled and :class:`~eslkit.client.errors.Timeout` is raised. An exception the
        coroutine raised itself, a ``Timeout`` included, is raised unchanged. Interrupted
        (``KeyboardInterrupt``), the coroutine is cancelled too.
        """
        if self.in_loop_thread:
            coro.close()
            raise RuntimeError(
                "a blocking eslkit call was made from its own event loop thread, which would "
                "deadlock; use the asyncio API there"
            )
        future = self.submit(coro)
        try:
            done, _ = concurrent.futures.wait((future,), timeout)
        except BaseException:
            future.cancel()
            raise
        if not done:
            future.cancel()
            raise Timeout(f"no result within {timeout} s")
        return future.result()

    def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Call the plain function ``fn`` on the loop thread and return its result."""
        if self.in_loop_thread:
            return fn(*args, **kwargs)

        async def call() -> T:
            return fn(*args, **kwargs)

        return self.run(call(), QUICK)

    def call_soon(self, fn: Callable[[], object]) -> None:
        """Schedule ``fn()`` on the loop thread without waiting."""
        if self.in_loop_thread:
            fn()
        else:
            self.loop.call_soon_threadsafe(fn)

    def stop(self, timeout: float = MARGIN) -> None:
        """Cancel every task of the loop (bounded), stop it, join the thread, close the loop.

        Not for :meth:`shared`, which lives as long as the process.
        """
        if not self.thread.is_alive():
            return

        async def cancel_all() -> None:
            me = asyncio.current_task()
            tasks = [task for task in asyncio.all_tasks() if task is not me]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        if not self.in_loop_thread:
            try:
                self.run(cancel_all(), timeout)
            except (TimeoutError, RuntimeError):
                pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        if not self.in_loop_thread:
            self.thread.join(timeout)
            if not self.thread.is_alive():
                self.loop.close()


class Facade(Generic[A]):
    """A blocking object over the asyncio object ``aio``, whose methods run on ``portal``."""

    def __init__(self, aio: A, portal: Portal) -> None:
        self._aio = aio
        self._portal = portal


def _timeout_position(signature: inspect.Signature) -> tuple[int | None, Any]:
    """Where a ``timeout`` argument may come positionally (after self), and its default."""
    parameter = signature.parameters.get("timeout")
    if parameter is None:
        return None, None
    default = None if parameter.default is inspect.Parameter.empty else parameter.default
    if parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:
        return list(signature.parameters).index("timeout") - 1, default
    return None, default


class blocking(Generic[A, P, T]):
    """The blocking counterpart of the coroutine method ``method`` of a :class:`Facade`.

    ``name = blocking(AsyncClass.name)`` in a :class:`Facade` subclass gives a method with
    the coroutine's signature that runs it on the facade's portal. The wait is bounded by
    the call's ``timeout`` argument (or, when it is ``None``, ``default(aio)``; or the
    parameter's own default) plus :data:`MARGIN`; a coroutine without ``timeout`` is
    bounded by ``default`` alone (``None``: unbounded, the coroutine bounds itself).
    """

    def __init__(
        self,
        method: Callable[Concatenate[A, P], Coroutine[Any, Any, T]],
        *,
        default: Callable[[A], float | None] | None = None,
    ) -> None:
        if not inspect.iscoroutinefunction(method):
            raise TypeError(f"{method!r} is not a coroutine function")
        self.method = method
        self._default = default
        self.signature = inspect.signature(method)
        self._position, self._declared = _timeout_position(self.signature)
        self._has_timeout = "timeout" in self.signature.parameters
        self.__name__ = method.__name__
        self.__qualname__ = method.__qualname__
        self.__doc__ = _doc(method, "Blocking")
        self.__signature__ = self.signature

    def __set_name__(self, owner: type[Any], name: str) -> None:
        if name != self.method.__name__:
            raise TypeError(f"{owner.__name__}.{name} wraps {self.method.__qualname__}")
        self.__qualname__ = f"{owner.__qualname__}.{name}"

    def bound(self, aio: A, args: tuple[Any, ...], kwargs: dict[str, Any]) -> float | None:
        """How long a call with these arguments may wait for its result."""
        timeout: Any = None
        if self._has_timeout:
            if "timeout" in kwargs:
                timeout = kwargs["timeout"]
            elif self._position is not None and len(args) > self._position:
                timeout = args[self._position]
            else:
                timeout = self._declared
        if timeout is None and self._default is not None:
            timeout = self._default(aio)
        return None if timeout is None else float(timeout) + MARGIN

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, obj: Facade[Any], owner: type[Any]) -> Callable[P, T]: ...

    def __get__(self, obj: Facade[Any] | None, owner: type[Any]) -> Self | Callable[P, T]:
        if obj is None:
            return self
        method = self.method
        aio = obj._aio
        run = obj._portal.run
        bound = self.bound

        def call(*args: P.args, **kwargs: P.kwargs) -> T:
            return run(method(aio, *args, **kwargs), bound(aio, args, kwargs))

        _describe(call, self, self.signature)
        obj.__dict__[self.__name__] = call  # later lookups skip the descriptor
        return call

    def __call__(self, obj: Facade[A], *args: P.args, **kwargs: P.kwargs) -> T:
        """Call through the class (``SyncConnection.api(conn, "status")``)."""
        function: Callable[P, T] = self.__get__(obj, type(obj))
        return function(*args, **kwargs)


class on_loop(Generic[A, P, T]):
    """The blocking counterpart of a plain method that must run on the loop thread (it
    touches loop-owned state): the same signature, run through :meth:`Portal.call`."""

    def __init__(self, method: Callable[Concatenate[A, P], T]) -> None:
        self.method = method
        self.signature = inspect.signature(method)
        self.__name__ = method.__name__
        self.__qualname__ = method.__qualname__
        self.__doc__ = _doc(method, "On the loop thread")
        self.__signature__ = self.signature

    def __set_name__(self, owner: type[Any], name: str) -> None:
        if name != self.method.__name__:
            raise TypeError(f"{owner.__name__}.{name} wraps {self.method.__qualname__}")
        self.__qualname__ = f"{owner.__qualname__}.{name}"

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, obj: Facade[Any], owner: type[Any]) -> Callable[P, T]: ...

    def __get__(self, obj: Facade[Any] | None, owner: type[Any]) -> Self | Callable[P, T]:
        if obj is None:
            return self
        method = self.method
        aio = obj._aio
        portal = obj._portal

        def call(*args: P.args, **kwargs: P.kwargs) -> T:
            return portal.call(method, aio, *args, **kwargs)

        _describe(call, self, self.signature)
        obj.__dict__[self.__name__] = call
        return call

    def __call__(self, obj: Facade[A], *args: P.args, **kwargs: P.kwargs) -> T:
        """Call through the class."""
        function: Callable[P, T] = self.__get__(obj, type(obj))
        return function(*args, **kwargs)


def _doc(method: Callable[..., Any], how: str) -> str:
    summary = (inspect.getdoc(method) or "").strip()
    return f"{how}: :meth:`{method.__qualname__}`.\n\n{summary}".rstrip()


def _describe(call: Callable[..., Any], wrapper: Any, signature: inspect.Signature) -> None:
    parameters = list(signature.parameters.values())[1:]
    call.__name__ = wrapper.__name__
    call.__qualname__ = wrapper.__qualname__
    call.__doc__ = wrapper.__doc__
    call.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
