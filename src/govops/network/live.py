"""Running configs fetched from the devices themselves, in parallel (a RunningSource)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from govops.estate.estate import Estate
from govops.network.credentials import address_book, load_credentials
from govops.network.drivers.base import DeviceError
from govops.network.drivers.registry import driver_for, make_driver
from govops.network.instances import device_view, platform_of


class LiveSource:
    """Fetches `show running-config` from every device up front; `get(name)` then answers."""

    def __init__(self, estate: Estate, names: list[str], workers: int = 8):
        creds = load_credentials()
        book = address_book()
        for n in names:
            driver_for(platform_of(estate, n))  # no live driver: BadInput before any login

        def fetch(name: str) -> tuple[str, str | DeviceError]:
            view = device_view(estate, name)
            driver = make_driver(view, creds, book)
            try:
                driver.open()
                return name, driver.get_running()
            except DeviceError as exc:
                return name, exc
            finally:
                driver.close()

        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(names) or 1))) as pool:
            self._configs = dict(pool.map(fetch, names))
        failed = [v for v in self._configs.values() if isinstance(v, DeviceError)]
        if failed:
            more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
            raise DeviceError(failed[0].device, str(failed[0]).split(": ", 1)[-1] + more)

    def get(self, name: str) -> str:
        """The running config fetched for `name`."""
        value = self._configs[name]
        assert isinstance(value, str)
        return value
