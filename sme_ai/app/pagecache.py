"""The app's page, rendered once per kind of request instead of once per trainee.

Gradio renders GET / on every request: a deep copy of the page's configuration (159 KB, most of it the components'),
a walk over it that rewrites root URLs, the API info and the template — ~32 ms of the server's CPU per page on a 2-core
Zen-1 EPYC (py-spy), and 200 trainees opening the page within 20 s pushed the first useful answer's p95 from 0.82 to
6.53 s (`evals/reports/bench_load-20261207-s17-200-sessions.md`). While the app runs that HTML depends only on the
request's address and headers (the app uses no Gradio login; sessions' updates are not in it), so `PageCache` keeps
the rendered response per (scheme, server, root path, the headers Gradio reads for the root URL, origin — its CORS
answer —, accept-encoding, cookie) and sends it again: ~0.7 ms of CPU a page instead of ~32 ms. Only GET / without a
query string (no deep link, no page name), only a complete 200 response without Set-Cookie; at most `size` kinds of
request, the oldest dropped first.
"""

from __future__ import annotations

from collections import OrderedDict

KEY_HEADERS = (b"host", b"origin", b"accept-encoding", b"cookie", b"forwarded", b"x-forwarded-host",
               b"x-forwarded-proto", b"x-forwarded-port", b"x-forwarded-prefix")


class PageCache:
    """ASGI middleware (outside Gradio's own, so a compressed page is kept per accept-encoding)."""

    def __init__(self, app, *, size: int = 32):
        self.app, self.size = app, size
        self._pages: OrderedDict[tuple, list[dict]] = OrderedDict()

    def _key(self, scope) -> tuple | None:
        if scope["type"] != "http" or scope.get("method") != "GET" or scope.get("path") != "/":
            return None
        if scope.get("query_string"):
            return None
        headers = dict(scope.get("headers") or [])
        return (scope.get("scheme"), tuple(scope.get("server") or ()), scope.get("root_path", ""),
                *(headers.get(h, b"") for h in KEY_HEADERS))

    async def __call__(self, scope, receive, send):
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        page = self._pages.get(key)
        if page is not None:
            for message in page:
                await send(message)
            return
        sent: list[dict] = []

        async def keep(message):
            sent.append(message)
            await send(message)

        await self.app(scope, receive, keep)
        if _complete_page(sent):
            self._pages[key] = sent
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)


def _complete_page(messages: list[dict]) -> bool:
    if not messages or messages[0].get("type") != "http.response.start" or messages[0].get("status") != 200:
        return False
    if any(name.lower() == b"set-cookie" for name, _ in messages[0].get("headers") or []):
        return False
    last = messages[-1]
    return last.get("type") == "http.response.body" and not last.get("more_body", False)
