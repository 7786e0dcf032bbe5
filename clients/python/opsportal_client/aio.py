"""The asyncio flavour: the same client, with flush() and close() awaitable.

The event methods only append to a buffer, so they are safe to call from a
coroutine as they are; waiting for delivery runs in the loop's executor, so the
event loop never blocks on the network or SQLite.
"""

from __future__ import annotations

import asyncio

from opsportal_client.portal import Portal


class AsyncPortal(Portal):
    """`Portal` for asyncio code: `await portal.flush()`, `await portal.aclose()` or
    `async with AsyncPortal(...) as portal:`."""

    async def flush(self, timeout: float = 10.0) -> bool:  # type: ignore[override]
        return await asyncio.get_running_loop().run_in_executor(
            None, Portal.flush, self, timeout)

    async def close(self, timeout: float = 5.0) -> bool:  # type: ignore[override]
        return await asyncio.get_running_loop().run_in_executor(
            None, Portal.close, self, timeout)

    aclose = close

    def _at_exit(self) -> None:
        Portal.close(self, self._flush_on_exit)

    async def __aenter__(self) -> AsyncPortal:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    def __enter__(self):
        raise TypeError("use `async with AsyncPortal(...)`")
