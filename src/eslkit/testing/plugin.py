"""The eslkit pytest plugin (entry point ``pytest11``: installing eslkit enables it).

Fixtures:

- ``esl_switch``: a fresh :class:`eslkit.testing.Switch` per test, torn down with every
  channel hung up and every connection closed. In an ``async def`` test it is the asyncio
  :class:`~eslkit.testing.Switch`, started in the test's event loop (needs an asyncio test
  runner such as pytest-asyncio: without one, or with an unmarked test in its strict mode,
  the test fails at setup with one line saying what to do); in a plain test it is a
  :class:`~eslkit.testing.BlockingSwitch` running in its own thread (no pytest-asyncio).
- ``esl_client``: an authenticated client of that switch: :func:`eslkit.connect`'s
  connection in an ``async def`` test, :func:`eslkit.sync.connect`'s in a plain one.

Markers: ``@pytest.mark.esl_time_scale(20)``, ``@pytest.mark.esl_dialplan(xml_or_path)``
and ``@pytest.mark.esl_switch_options(**kwargs)`` (any :class:`~eslkit.testing.Switch`
argument). A failing test that used the switch gets an "eslkit channel events" section
with every channel's event history.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from typing import Any, TypeVar, cast

import pytest

import eslkit
import eslkit.sync
from eslkit.client.inbound import InboundConnection
from eslkit.client.sync import SyncConnection
from eslkit.testing.blocking import BlockingSwitch
from eslkit.testing.switch import Switch

__all__ = ["esl_client", "esl_switch"]

_SWITCH = pytest.StashKey[Switch]()
_SECTION = "eslkit channel events"
_MARKERS = (
    "esl_time_scale(scale): run the test's eslkit switch at this time scale",
    "esl_dialplan(xml_or_path): the dialplan of the test's eslkit switch",
    "esl_switch_options(**kwargs): more eslkit.testing.Switch arguments",
)

_F = TypeVar("_F", bound=Callable[..., Any])
_async_fixture: Callable[[_F], _F]
try:  # pytest-asyncio's own decorator works in its strict and auto modes alike
    import pytest_asyncio

    _async_fixture = cast("Callable[[_F], _F]", pytest_asyncio.fixture)
except ImportError:  # pragma: no cover - then async tests need another runner
    _async_fixture = cast("Callable[[_F], _F]", pytest.fixture)


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers."""
    for line in _MARKERS:
        config.addinivalue_line("markers", line)


#: The one line an ``async def`` test gets when nothing can run it.
NO_RUNNER = (
    "eslkit: an async def test that uses esl_switch or esl_client needs an asyncio test "
    "runner: pip install pytest-asyncio (or 'eslkit[test]'), or make the test a plain def "
    "to get the blocking switch"
)

#: pytest-asyncio is there but in strict mode and the test is not marked.
NOT_MARKED = (
    "eslkit: pytest-asyncio runs only marked tests in its strict mode: mark the test "
    "@pytest.mark.asyncio or set asyncio_mode = \"auto\" in the pytest configuration"
)


def _is_async(request: pytest.FixtureRequest) -> bool:
    function = getattr(request.node, "obj", None)
    if not inspect.iscoroutinefunction(function):
        return False
    if not request.config.pluginmanager.has_plugin("asyncio"):
        # Without pytest-asyncio pytest would only say "requested an async fixture with no
        # plugin or hook that handled it": say what to install instead.
        pytest.fail(NO_RUNNER, pytrace=False)
    node = request.node
    if node.get_closest_marker("asyncio") is None and node.get_closest_marker("anyio") is None:
        pytest.fail(NOT_MARKED, pytrace=False)
    return True


def switch_arguments(node: pytest.Item | pytest.Collector) -> dict[str, Any]:
    """The :class:`Switch` arguments the markers of ``node`` ask for (closest wins)."""
    kwargs: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers("esl_switch_options"))):
        kwargs.update(marker.kwargs)
    scale = node.get_closest_marker("esl_time_scale")
    if scale is not None:
        if len(scale.args) != 1:
            raise pytest.UsageError("esl_time_scale takes one argument: the scale")
        kwargs["time_scale"] = float(scale.args[0])
    dialplan = node.get_closest_marker("esl_dialplan")
    if dialplan is not None:
        if len(dialplan.args) != 1:
            raise pytest.UsageError("esl_dialplan takes one argument: XML text or a path")
        kwargs["dialplan"] = dialplan.args[0]
    return kwargs


@pytest.fixture
def esl_switch(request: pytest.FixtureRequest) -> Switch | BlockingSwitch:
    """A fresh eslkit switch + event socket server on a free loopback port (see module)."""
    if _is_async(request):
        switch: Switch = request.getfixturevalue("_esl_switch_async")
        return switch
    blocking: BlockingSwitch = request.getfixturevalue("_esl_switch_blocking")
    return blocking


@pytest.fixture
def esl_client(request: pytest.FixtureRequest) -> InboundConnection | SyncConnection:
    """An authenticated client connection to ``esl_switch`` (see module)."""
    if _is_async(request):
        connection: InboundConnection = request.getfixturevalue("_esl_client_async")
        return connection
    sync_connection: SyncConnection = request.getfixturevalue("_esl_client_blocking")
    return sync_connection


@pytest.fixture
def _esl_switch_blocking(request: pytest.FixtureRequest) -> Iterator[BlockingSwitch]:
    switch = Switch(**switch_arguments(request.node))
    with switch as blocking:
        request.node.stash[_SWITCH] = switch
        yield blocking


@_async_fixture
async def _esl_switch_async(request: pytest.FixtureRequest) -> AsyncIterator[Switch]:
    async with Switch(**switch_arguments(request.node)) as switch:
        request.node.stash[_SWITCH] = switch
        yield switch


@pytest.fixture
def _esl_client_blocking(_esl_switch_blocking: BlockingSwitch) -> Iterator[SyncConnection]:
    sw = _esl_switch_blocking
    with eslkit.sync.connect(sw.host, sw.port, sw.password) as connection:
        yield connection


@_async_fixture
async def _esl_client_async(_esl_switch_async: Switch) -> AsyncIterator[InboundConnection]:
    sw = _esl_switch_async
    async with eslkit.connect(sw.host, sw.port, sw.password) as connection:
        yield connection


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On failure, add every channel's event history to the report."""
    report = yield
    if report.failed:
        switch = item.stash.get(_SWITCH, None)
        if switch is not None:
            report.sections.append((_SECTION, switch.report()))
    return report
