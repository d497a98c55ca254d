"""Run a Pulumi program offline under Pulumi's mocks and record every resource it registers.

No CLI, no engine, no cloud: `pulumi.runtime.set_mocks` replaces the engine's resource monitor
with an in-process one, and this module drives the program the way `@pulumi.runtime.test`
does — `run_pulumi_func` then `wait_for_rpcs` — but synchronously, outside any test, on a
private event loop, and returns each registration as a plain dict::

    {"urn": "urn:pulumi:gd-gov::govops-cloud::govops:cloud:TenantProject$openstack:…::hrss-…",
     "type": "openstack:networking/subnet:Subnet", "name": "hrss-social-security-subnet-app-v6",
     "parent": "urn:…::hrss-social-security", "tenant": "hrss-social-security",
     "custom": True, "provider": None,
     "inputs": {"cidr": "2001:db8:f000::/64", "ipv6RaMode": "slaac", …}}

Inputs carry Pulumi's wire names (camelCase, as the engine and the provider see them).
Mock ids are `<resource name>-id`, and invokes answer `<name argument>-id`, so an input that
refers to another resource (`networkId: "hrss-…-net-app-id"`) is stable and readable, and a
`CloudRef.lookup` of another stack's network yields the id that stack's plan gives it.

How it is made fast (each measured, see `benchmarks/cloud_floor.py`):

* The monitor (`RecordingMonitor`) answers `RegisterResource` without the stock mock's
  re-serialisation of the resource state through a nested event loop: it returns an empty
  state and lets the SDK resolve outputs from inputs (not a preview, so inputs are final).
* The SDK sends every registration to `loop.run_in_executor`; this runner gives its private
  loop an executor that runs the call inline, instead of a thread hop per resource.
* Resource stack traces (`traceback.extract_stack` per resource, used for source positions)
  are not needed offline and are skipped for the duration of the run.
* A program may be a generator: every `batch` items it yields, the runner drains the
  outstanding registrations and outputs (`_drain`), so memory stays bounded by a batch
  instead of growing with the whole province. The cyclic GC is run by hand, once per drain (see
  `_manual_gc`): left alone it spends most of the run rescanning in-flight SDK objects.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import inspect
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pulumi
from google.protobuf import struct_pb2
from pulumi.runtime import mocks as _mocks
from pulumi.runtime import resource as _resource
from pulumi.runtime import rpc
from pulumi.runtime import settings as _settings
from pulumi.runtime.proto import provider_pb2, resource_pb2, source_pb2
from pulumi.runtime.stack import run_pulumi_func, wait_for_rpcs
from pulumi.runtime.sync_await import _ensure_event_loop

Program = Callable[[], Iterable[object] | None]
Resource = dict[str, Any]

GOVOPS_COMPONENT = "govops:cloud:"


def _plain(value: Any) -> Any:
    """JSON-ready copy: integral floats (protobuf numbers) back to int, tuples to lists."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class RecordingMocks(pulumi.runtime.Mocks):
    """Records every `new_resource` call (type, name, inputs, URN, parent) as a plain dict.

    Usable on its own with `pulumi.runtime.set_mocks` in tests; with `RecordingMonitor` the
    records also carry the URN and the parent URN.
    """

    def __init__(self) -> None:
        self.resources: list[Resource] = []
        self.calls: list[dict[str, Any]] = []

    def new_resource(self, args: _mocks.MockResourceArgs) -> tuple[str, dict]:
        self.resources.append({
            "urn": getattr(args, "urn", None),
            "type": args.typ,
            "name": args.name,
            "parent": getattr(args, "parent", None) or None,
            "custom": bool(args.custom),
            "provider": args.provider or None,
            "inputs": _plain(args.inputs),
        })
        return f"{args.name}-id", {}

    def call(self, args: _mocks.MockCallArgs) -> tuple[dict, list | None]:
        self.calls.append({"token": args.token, "args": _plain(args.args)})
        ret = dict(args.args)
        ret.setdefault("id", f"{ret.get('name') or args.token.rsplit(':', 1)[-1]}-id")
        return ret, None


class RecordingMonitor(_mocks.MockMonitor):
    """A mock resource monitor that hands URN and parent to the mocks and returns at once.

    Unlike the stock `MockMonitor` it never pumps the event loop from inside a call (no
    `_sync_await`), so it is safe to run inline on the program's own loop.
    """

    def RegisterResource(self, request: Any) -> resource_pb2.RegisterResourceResponse:  # noqa: N802
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            return resource_pb2.RegisterResourceResponse(urn=urn)
        _ensure_event_loop()
        args = _mocks.MockResourceArgs(
            typ=request.type, name=request.name,
            inputs=rpc.deserialize_properties(request.object), provider=request.provider,
            resource_id=request.importId, custom=request.custom or False)
        args.urn = urn  # type: ignore[attr-defined]
        args.parent = request.parent  # type: ignore[attr-defined]
        id_, state = self.mocks.new_resource(args)
        obj = struct_pb2.Struct()
        if state:
            obj.update(state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_ or "", object=obj)

    def Invoke(self, request: Any) -> resource_pb2.ResourceInvokeResponse:  # noqa: N802
        _ensure_event_loop()
        args = rpc.deserialize_properties(request.args)
        result = self.mocks.call(_mocks.MockCallArgs(token=request.tok, args=args,
                                                     provider=request.provider))
        ret, failures = (result, None) if isinstance(result, dict) else result
        obj = struct_pb2.Struct()
        obj.update(ret)
        fields: dict[str, Any] = {"return": obj}
        if failures:
            fields["failures"] = [provider_pb2.CheckFailure(property=p, reason=r)
                                  for p, r in failures]
        return resource_pb2.ResourceInvokeResponse(**fields)


class _InlineExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs `run_in_executor` work at once on the calling thread (the monitor is in-process)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any,  # type: ignore[override]
               **kwargs: Any) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 handed to the awaiting coroutine
            future.set_exception(exc)
        return future


_EMPTY_TRACE = source_pb2.StackTrace()

FULL_COLLECT_EVERY = 50
"""With the GC under the runner's control: a young-generation collection after every drain,
a full one after every this many drains."""


@contextmanager
def _fast_runtime(tune_gc: bool) -> Iterator[None]:
    """Skip per-resource stack traces; freeze what is alive now out of the GC's way."""
    saved_trace = getattr(_resource, "_get_stack_trace", None)
    if saved_trace is not None:
        _resource._get_stack_trace = lambda: _EMPTY_TRACE
    freeze = tune_gc and gc.get_freeze_count() == 0  # never undo someone else's freeze
    if freeze:
        gc.collect()
        gc.freeze()
    try:
        yield
    finally:
        if saved_trace is not None:
            _resource._get_stack_trace = saved_trace
        if freeze:
            gc.unfreeze()


@contextmanager
def _manual_gc(enabled: bool) -> Iterator[Callable[[int], None]]:
    """Turn the automatic GC off; yield `collect(drains)` to call after each drain.

    The SDK keeps many short cycles (futures, tasks, closures) alive across a few awaits, so
    the automatic collector promotes them and then rescans them in costly full collections
    many times per batch. Collecting the young generation once per drain, when the batch's
    objects are all garbage, costs a fraction of that and keeps memory bounded.
    """
    if not enabled:
        yield lambda drains: None
        return
    was_enabled = gc.isenabled()
    gc.disable()

    def collect(drains: int) -> None:
        gc.collect(2 if drains % FULL_COLLECT_EVERY == 0 else 0)

    try:
        yield collect
    finally:
        if was_enabled:
            gc.enable()


async def _drain() -> None:
    """Wait until every registration so far has finished and every output has resolved.

    What `wait_for_rpcs()` does, but outputs are awaited all at once per round rather than
    one `FIRST_COMPLETED` wake-up at a time (that loop re-arms a callback on every pending
    output per wake-up: quadratic in the batch). Exceptions are re-raised as the SDK would.
    """
    settings = _settings.SETTINGS
    while True:
        await wait_for_rpcs(await_all_outstanding_tasks=False)
        with settings.lock:
            pending = list(settings.outputs)
            settings.outputs.clear()
        if not pending:
            return
        await asyncio.wait(pending)
        for task in pending:
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]


def _current_loop() -> asyncio.AbstractEventLoop | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            return asyncio.get_event_loop()
        except RuntimeError:
            return None


def _run_on_private_loop(main: Callable[[], Any], *, inline: bool) -> None:
    """Run coroutine function `main` to completion on a fresh loop, then restore the old one."""
    previous = _current_loop()
    loop = asyncio.new_event_loop()
    if inline:
        loop.set_default_executor(_InlineExecutor(max_workers=1))
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(main())
    finally:
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()
            asyncio.set_event_loop(previous)


def _install(mocks: pulumi.runtime.Mocks, monitor: _mocks.MockMonitor | None, project: str,
             stack: str) -> None:
    """set_mocks in the current (task) context with a fresh root stack and output tracking."""
    _settings.set_root_resource(None)  # type: ignore[arg-type]
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False,
                             monitor=monitor)
    _settings.SETTINGS.outputs = set()


def run(program: Program, *, project: str = "govops-cloud", stack: str = "plan",
        batch: int = 2, tune_gc: bool = True) -> list[Resource]:
    """Run `program` under Pulumi's mocks; every registered resource as a plain dict.

    `program` is called once with no arguments inside the mock runtime, as Pulumi would run
    `__main__.py`. If it returns an iterable (a generator yielding after each tenant, say),
    the runner drains outstanding registrations every `batch` items (small batches are
    fastest: measured 2 tenants) and collects garbage itself in between. Records are sorted by
    URN; each has `urn`, `type`, `name`, `parent`, `tenant` (the nearest govops component
    ancestor's `tenant` input, or None for platform resources), `custom`, `provider` (the
    explicit provider reference, `<provider urn>::<id>`, None for the stack's default) and
    `inputs`.
    Exceptions raised by the program or by a registration propagate unchanged.
    """
    mocks = RecordingMocks()
    monitor = RecordingMonitor(mocks)

    async def main() -> None:
        _install(mocks, monitor, project, stack)

        async def drive() -> None:
            result = program()
            if inspect.isawaitable(result):
                await result
            elif result is not None:
                drains = 0
                with _manual_gc(tune_gc) as collect:
                    for count, _ in enumerate(result, 1):
                        if count % batch == 0:
                            await _drain()
                            drains += 1
                            collect(drains)
                    await _drain()

        await run_pulumi_func(drive)

    with _fast_runtime(tune_gc):
        _run_on_private_loop(main, inline=True)
    return finalize(mocks.resources)


def finalize(resources: list[Resource]) -> list[Resource]:
    """Attach `tenant` to each record (from its component ancestors) and sort by URN."""
    by_urn = {r["urn"]: r for r in resources if r.get("urn")}
    tenant_of: dict[str, str | None] = {}

    def tenant(urn: str | None) -> str | None:
        chain: list[str] = []
        found: str | None = None
        while urn and urn in by_urn:
            if urn in tenant_of:
                found = tenant_of[urn]
                break
            chain.append(urn)
            rec = by_urn[urn]
            if rec["type"].startswith(GOVOPS_COMPONENT) and rec["inputs"].get("tenant"):
                found = rec["inputs"]["tenant"]
                break
            urn = rec.get("parent")
        for u in chain:
            tenant_of[u] = found
        return found

    for rec in resources:
        rec["tenant"] = tenant(rec.get("urn"))
    return sorted(resources, key=lambda r: r.get("urn") or r["name"])


def floor_seconds(count: int, *, tuned: bool = False, project: str = "govops-floor",
                  stack: str = "floor") -> float:
    """Seconds the bare mock runtime takes to register `count` plain resources.

    Stock (default): the SDK's own `MockMonitor` and thread-pool executor with a minimal
    `Mocks` (returns the inputs as state), the program run in one pass — what a
    `@pulumi.runtime.test` of that many resources costs. `tuned=True`: the same resources
    through this module's runner (inline monitor, batches of 100) — the floor of `run`.
    """

    class _Plain(pulumi.runtime.Mocks):
        def new_resource(self, args: _mocks.MockResourceArgs) -> tuple[str, dict]:
            return f"{args.name}-id", args.inputs

        def call(self, args: _mocks.MockCallArgs) -> tuple[dict, None]:
            return {}, None

    def make(i: int) -> None:
        pulumi.CustomResource("govops:floor:Plain", f"plain-{i}", {"value": str(i)})

    if tuned:
        def program() -> Iterator[int]:
            for i in range(count):
                make(i)
                yield i

        start = time.perf_counter()
        run(program, project=project, stack=stack, batch=100)
        return time.perf_counter() - start

    async def main() -> None:
        _install(_Plain(), None, project, stack)

        def program() -> None:
            for i in range(count):
                make(i)

        await run_pulumi_func(program)

    start = time.perf_counter()
    _run_on_private_loop(main, inline=False)
    return time.perf_counter() - start


def count_by(resources: Iterable[Resource], key: str) -> Mapping[str, int]:
    """How many resources per `type` / `tenant` / … (None becomes '-'), sorted by key."""
    counts: dict[str, int] = {}
    for r in resources:
        k = r.get(key) or "-"
        counts[k] = counts.get(k, 0) + 1
    return dict(sorted(counts.items()))
