"""Raw ASGI pieces shared by the booking fast path and the last-resort error handler."""

from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from src.service.ticketing.entrypoints.errors import encoded, internal_error


async def send_json(
    send: Send, status: int, body: bytes, headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    """Answer with a JSON `body` (bytes) and extra `headers`."""
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *headers,
    ]})
    await send({"type": "http.response.body", "body": body})


class LastResort:
    """ASGI middleware: an exception that nothing else handled becomes `errors.internal_error`
    (500 with a request id, traceback logged) instead of a bare server error. When the answer
    had already started (a stream), it can only be logged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the wrapped app; answer 500 for what escapes it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            """Pass `message` on, noting whether the answer has started."""
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as e:  # noqa: BLE001 - the outermost handler of a request
            answer = encoded(internal_error(e, scope["path"]))
            if not started:
                await send_json(send, *answer)
