"""The page rendered once per kind of request (`sme_ai.app.pagecache`), on a counting ASGI app: no server."""

import asyncio

from sme_ai.app.pagecache import PageCache


class Page:
    """An ASGI app that renders a numbered page and says how often it rendered."""

    def __init__(self, status=200, headers=(), chunks=1):
        self.calls, self.status, self.headers, self.chunks = 0, status, list(headers), chunks

    async def __call__(self, scope, receive, send):
        self.calls += 1
        await send({"type": "http.response.start", "status": self.status,
                    "headers": [(b"content-type", b"text/html"), *self.headers]})
        for i in range(self.chunks):
            await send({"type": "http.response.body", "body": f"page {self.calls}.{i}".encode(),
                        "more_body": i < self.chunks - 1})


def get(app, path="/", method="GET", query=b"", **headers) -> list[dict]:
    scope = {"type": "http", "method": method, "path": path, "query_string": query, "scheme": "http",
             "server": ("127.0.0.1", 7860), "root_path": "",
             "headers": [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]}
    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}
    asyncio.run(app(scope, receive, send))
    return sent


def body(sent) -> bytes:
    return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def test_the_page_is_rendered_once_for_the_same_kind_of_request():
    page = Page()
    app = PageCache(page)
    first = get(app, host="127.0.0.1:7860", accept_encoding="gzip")
    again = get(app, host="127.0.0.1:7860", accept_encoding="gzip", x_forwarded_for="10.0.0.9")  # another trainee
    assert page.calls == 1 and again == first and body(again) == b"page 1.0"


def test_what_the_page_depends_on_is_part_of_the_key():
    page = Page()
    app = PageCache(page)
    get(app, host="127.0.0.1:7860")
    for headers in ({"host": "sme.example.cn"}, {"host": "127.0.0.1:7860", "accept_encoding": "br"},
                    {"host": "127.0.0.1:7860", "origin": "https://sme.example.cn"},
                    {"host": "127.0.0.1:7860", "x_forwarded_proto": "https"},
                    {"host": "127.0.0.1:7860", "x_forwarded_prefix": "/sme"},
                    {"host": "127.0.0.1:7860", "cookie": "sme_ai_token=x"}):
        get(app, **headers)
    assert page.calls == 7


def test_only_a_plain_get_of_the_page_is_kept():
    page = Page()
    app = PageCache(page)
    for _ in range(2):
        get(app, query=b"deep_link=abc")  # a deep link, a named page
        get(app, path="/config")
        get(app, path="/gradio_api/info")
        get(app, method="POST")
    assert page.calls == 8


def test_a_failed_page_or_one_that_sets_a_cookie_is_rendered_again():
    for page in (Page(status=500), Page(headers=[(b"set-cookie", b"access-token=x")])):
        app = PageCache(page)
        get(app)
        get(app)
        assert page.calls == 2


def test_a_page_sent_in_several_chunks_is_kept_whole():
    page = Page(chunks=3)
    app = PageCache(page)
    first = get(app)
    assert body(get(app)) == body(first) == b"page 1.0page 1.1page 1.2" and page.calls == 1


def test_at_most_size_kinds_of_request_are_kept():
    page = Page()
    app = PageCache(page, size=2)
    for host in ("a", "b", "c", "a"):  # "a" was dropped when "c" came
        get(app, host=host)
    assert page.calls == 4
    get(app, host="c")
    assert page.calls == 4
