"""A lean HTTP/1.1 keep-alive client for the one request the load tool sends by the thousand.

The load tool shares the machine's two cores with everything it measures, so its own cost per
request matters: writing the request bytes and reading `Content-Length` by hand costs a
fraction of a general-purpose client. Set-up calls keep using aiohttp (`api.py`).
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

# Servers close idle keep-alive connections (uvicorn after 5 s); a connection idle for longer
# than this is dropped instead of reused, so a request never races the server's close.
MAX_IDLE_S = 3.0


class WireError(OSError):
    """The server's answer could not be read as HTTP/1.1."""


class JsonPoster:
    """POSTs JSON bodies over a pool of reusable connections to one loopback host."""

    def __init__(self, base_url: str, timeout_s: float) -> None:
        parts = urlsplit(base_url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._timeout_s = timeout_s
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []

    async def post(self, path: str, token: str, body: bytes) -> tuple[int, bytes]:
        """(status, response body); raises `OSError`/`TimeoutError`/`EOFError` on transport
        trouble (the connection is then dropped)."""
        status, _, payload = await self.exchange(path, token, body)
        return status, payload

    async def exchange(
        self, path: str, token: str, body: bytes, headers: bytes = b""
    ) -> tuple[int, bytes, bytes]:
        """(status, response head, response body) of one POST; `headers` are extra request
        header lines, each ending in CRLF. Transport trouble raises as in `post`."""
        reader, writer = await self._connection()
        try:
            writer.write(
                b"POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n%s"
                b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                % (path.encode(), self._host.encode(), token.encode(), headers, len(body), body)
            )
            async with asyncio.timeout(self._timeout_s):
                head = await reader.readuntil(b"\r\n\r\n")
                status, length, keep = _head(head)
                payload = await reader.readexactly(length)
        except BaseException:
            writer.close()
            raise
        if keep:
            self._idle.append((reader, writer, time.monotonic()))
        else:
            writer.close()
        return status, head, payload

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        while self._idle:
            reader, writer, since = self._idle.pop()
            if time.monotonic() - since < MAX_IDLE_S:
                return reader, writer
            writer.close()
        return await asyncio.open_connection(self._host, self._port)

    async def close(self) -> None:
        """Close every idle connection."""
        for _, writer, _ in self._idle:
            writer.close()
        self._idle.clear()


def _head(head: bytes) -> tuple[int, int, bool]:
    """(status, content length, keep-alive) of a response head."""
    if not head.startswith(b"HTTP/1.1 "):
        raise WireError(f"not an HTTP/1.1 response: {head[:40]!r}")
    lower = head.lower()
    at = lower.find(b"\r\ncontent-length:")
    if at < 0:
        raise WireError("response without content-length")
    end = lower.index(b"\r\n", at + 2)
    return int(head[9:12]), int(lower[at + 17:end]), b"\r\nconnection: close" not in lower


def header(head: bytes, name: bytes) -> str | None:
    """The value of response header `name` (lower case) in a response head, or None."""
    at = head.lower().find(b"\r\n" + name + b":")
    if at < 0:
        return None
    start = at + len(name) + 3
    return head[start:head.index(b"\r\n", start)].strip().decode("latin-1")
