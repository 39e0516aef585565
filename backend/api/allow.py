"""`Allow` on 405 responses lists every method of the path, not only one route's.

FastAPI registers one route per (path, method), and Starlette answers a method no route
takes with the `Allow` of the first route whose path matched (RFC 9110 asks for all of the
resource's methods). This middleware collects them from the app's routes.
"""

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class AllowHeaderMiddleware:
    def __init__(self, app: ASGIApp, routes: list[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    def _allowed(self, scope: Scope) -> str:
        # Asking the routes themselves also covers included (nested) routers.
        return ", ".join(
            method
            for method in _METHODS
            if any(route.matches({**scope, "method": method})[0] == Match.FULL for route in self.routes)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                allowed = self._allowed(scope)
                headers = [(key, value) for key, value in message.get("headers", []) if key.lower() != b"allow"]
                message = {**message, "headers": [*headers, (b"allow", allowed.encode())]}
            await send(message)

        await self.app(scope, receive, send_with_allow)
