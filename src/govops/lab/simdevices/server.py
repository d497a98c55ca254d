"""The asyncssh server: one listener per simulated device, all on one event loop.

`World` holds the devices and their protocol state; `serve(world)` opens a listener for each
device (its own address and port) and applies fault changes (`World.set_fault`, or the faults
file a separate process polls). `SimulatorThread` runs a world on a background thread, for
tests and benchmarks that drive it with Netmiko from the same process.
"""

from __future__ import annotations

import asyncio
import json
import resource
import threading
import warnings
from dataclasses import dataclass, field, fields
from pathlib import Path

with warnings.catch_warnings():  # asyncssh imports DSA support that cryptography deprecates
    warnings.simplefilter("ignore")
    import asyncssh

from govops.lab.simdevices.cli import CliSession
from govops.lab.simdevices.device import Faults, SimDevice
from govops.lab.simdevices.protocols import Estate
from govops.lab.simdevices.shards import ShardLink
from govops.lab.simdevices.timing import Timing


@dataclass
class World:
    """Every device the simulator serves, where, and how one logs in."""

    devices: dict[str, SimDevice]
    listen: dict[str, tuple[str, int]]
    username: str
    password: str
    host_key: Path
    time_scale: float = 1.0
    faults_file: Path | None = None
    #: Per CLI flavour, how long devices take to answer (`timing.VENDOR`); empty: at once.
    timings: dict[str, Timing] = field(default_factory=dict)
    estate: Estate = field(init=False)
    #: With other simulator processes serving the rest of the estate: the link to them.
    link: ShardLink | None = None
    _servers: dict[str, asyncio.AbstractServer] = field(default_factory=dict)
    _loop: asyncio.AbstractEventLoop | None = None
    _faults_mtime: float = 0.0

    def __post_init__(self) -> None:
        self.estate = Estate(self.devices)

    def set_fault(self, name: str, **changes: object) -> None:
        """Change faults of device `name` (thread-safe: runs on the simulator's loop)."""
        if self._loop is None:
            self._apply_fault(name, changes)
            return
        done = threading.Event()

        def apply() -> None:
            try:
                self._apply_fault(name, changes)
            finally:
                done.set()
        self._loop.call_soon_threadsafe(apply)
        done.wait(5)

    def call(self, fn, *args):  # noqa: ANN001, ANN201
        """Run `fn(*args)` on the simulator's loop and return its result (thread-safe)."""
        if self._loop is None:
            return fn(*args)
        future = asyncio.run_coroutine_threadsafe(_acall(fn, *args), self._loop)
        return future.result(10)

    def _apply_fault(self, name: str, changes: dict[str, object]) -> None:
        dev = self.devices[name]
        was = dev.faults.unreachable
        for key, value in changes.items():
            setattr(dev.faults, key, value)
        if dev.faults.unreachable != was and self._loop is not None:
            self._loop.create_task(self._listener(name))

    async def _listener(self, name: str) -> None:
        """Open or close `name`'s listener to match its `unreachable` fault."""
        dev = self.devices[name]
        server = self._servers.pop(name, None)
        if server is not None:
            server.close()
        if dev.faults.unreachable:
            return
        host, port = self.listen[name]
        self._servers[name] = await asyncssh.create_server(
            lambda: _Auth(self), host, port, server_host_keys=[str(self.host_key)],
            process_factory=lambda p: _session(self, dev, p), line_editor=False,
            encoding="utf-8", reuse_address=True, keepalive_interval=0)

    def poll_faults(self) -> None:
        """Apply the faults file (device → {fault: value}) when it changed."""
        path = self.faults_file
        if path is None or not path.exists():
            return
        mtime = path.stat().st_mtime
        if mtime == self._faults_mtime:
            return
        self._faults_mtime = mtime
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return
        known = {f.name for f in fields(Faults)}
        for name, dev in self.devices.items():
            wanted = {k: v for k, v in (data.get(name) or {}).items() if k in known}
            reset = {k: getattr(Faults(), k) for k in known if k not in wanted}
            changes = {k: v for k, v in {**reset, **wanted}.items() if getattr(dev.faults, k) != v}
            if changes:
                self._apply_fault(name, changes)


async def _acall(fn, *args):  # noqa: ANN001, ANN202
    return fn(*args)


class _Auth(asyncssh.SSHServer):
    """Password login with the simulator's one account."""

    def __init__(self, world: World):
        self.world = world

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == self.world.username and password == self.world.password


async def _session(world: World, dev: SimDevice, process: asyncssh.SSHServerProcess) -> None:
    """One SSH channel: a shell (Netmiko), or one command (`ssh host display …`)."""
    timing = world.timings.get(dev.flavour) if world.timings else None
    cli = CliSession(dev, world.estate, process.get_extra_info("username") or "admin",
                     world.time_scale, timing)
    try:
        if timing is not None:
            await asyncio.sleep(timing.login_s)
        if process.command:
            cli.paging = False
            text = cli.run(process.command)
            if timing is not None:
                await asyncio.sleep(timing.answer_s(process.command, text))
            process.stdout.write(text.replace("\n", "\r\n") + "\r\n")
            return
        process.stdout.write(cli.greeting())
        while not (cli.closed or cli.drop):
            data = await process.stdin.read(4096)
            if not data:
                break
            if dev.faults.slow_s:
                await asyncio.sleep(dev.faults.slow_s)
            shown = cli.feed(data)
            if cli.delay:  # what a real box of this flavour takes to answer (timing model)
                delay, cli.delay = cli.delay, 0.0
                await asyncio.sleep(delay)
            if cli.drop:
                process.channel.get_connection().abort()
                return
            process.stdout.write(shown)
    except (asyncssh.Error, ConnectionError, BrokenPipeError):
        return
    finally:
        if not cli.drop:
            try:
                process.exit(0)
            except (asyncssh.Error, OSError):
                pass


def raise_fd_limit() -> None:
    """One listener a device: lift the soft limit on open files to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def serve(world: World, ready: threading.Event | None = None,
                stop: asyncio.Event | None = None) -> None:
    """Serve every device until `stop` is set (forever without one)."""
    raise_fd_limit()
    world._loop = asyncio.get_running_loop()
    world.poll_faults()
    stop = stop or asyncio.Event()
    link = world.link
    if link is not None:  # the whole estate's facts before the first login
        link.publish(everything=True)
        while not link.complete and not stop.is_set():
            link.receive()
            await asyncio.sleep(0.05)
        link.receive()
    for name in world.devices:
        await world._listener(name)
    if ready is not None:
        ready.set()
    tick = 0.5 if link is None else 0.2
    while not stop.is_set():
        world.poll_faults()
        if link is not None:
            link.publish()
            link.receive()
        try:
            await asyncio.wait_for(stop.wait(), tick)
        except TimeoutError:
            pass
    for server in world._servers.values():
        server.close()
    world._servers.clear()


class SimulatorThread:
    """A world served on a background thread (tests, benchmarks): `start()`, `stop()`."""

    def __init__(self, world: World):
        self.world = world
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> SimulatorThread:
        """Open every listener; returns when they accept connections."""
        def run() -> None:
            async def main() -> None:
                self._stop = asyncio.Event()
                await serve(self.world, self._ready, self._stop)
            try:
                asyncio.run(main())
            except BaseException as exc:  # noqa: BLE001 - reported by start()
                self._error = exc
                self._ready.set()
        self._thread = threading.Thread(target=run, name="govops-simdevices", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        """Close every listener and end the thread."""
        loop = self.world._loop
        if loop is not None and self._stop is not None:
            loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)
