"""The admin token: a constant-time check that locks out a session or an address after repeated wrong tokens, and
the HTTP guard in front of Gradio's own routes (direct runs and file uploads) that the app's handlers never see.

Wrong tokens: the first `allowed` failures of a caller (its session id and, where the handler sees it, its client
address) cost nothing; each further one locks that caller out for twice as long as the last (1 s, 2 s, 4 s, … up to
`max_lockout_s`). A locked-out caller is refused without the token being compared, so guessing gains nothing, and
no worker thread sleeps (a sleeping handler would itself be a way to exhaust the server). A right token clears the
caller's count; no token at all is refused without counting (it guesses nothing). Behind a reverse proxy every
client shares the proxy's address: the per-address count then applies to all of them, which is the safe side.
"""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from urllib.parse import unquote

from sme_ai.errors import SmeAiError

TOKEN_HEADER = "x-sme-ai-token"  # HTTP clients (gradio_client: Client(url, headers={TOKEN_HEADER: token}))
TOKEN_COOKIE = "sme_ai_token"  # the page sets it from the 管理员口令 box, so the browser's uploads carry it
MAX_CALLERS = 10_000  # callers remembered; the oldest are forgotten first


class AdminTokenError(SmeAiError):
    def __init__(self):
        super().__init__("需要管理员口令：请在「管理员口令」框中输入正确的口令后再操作。")


class AdminLockedError(AdminTokenError):
    def __init__(self, wait_s: float):
        self.wait_s = wait_s
        SmeAiError.__init__(self, f"管理员口令错误次数过多，请 {math.ceil(wait_s)} 秒后再试。")


def same_token(given: str | None, expected: str) -> bool:
    return hmac.compare_digest((given or "").encode(), expected.encode())


class TokenGuard:
    def __init__(self, allowed: int = 3, max_lockout_s: float = 300.0, clock=time.monotonic):
        self.allowed = allowed
        self.max_lockout_s = max_lockout_s
        self._clock = clock
        self._lock = threading.Lock()
        self._callers: OrderedDict[str, tuple[int, float]] = OrderedDict()  # key → (failures, locked until)

    def check(self, expected: str, token: str | None, callers: Iterable[str] = ()) -> None:
        """Raise AdminLockedError while any of `callers` is locked out, AdminTokenError for a wrong token."""
        if not expected:
            return
        keys = [k for k in callers if k] or ["local"]
        now = self._clock()
        with self._lock:
            wait = max((self._callers.get(k, (0, 0.0))[1] - now for k in keys), default=0.0)
        if wait > 0:
            raise AdminLockedError(wait)
        if same_token(token, expected):
            with self._lock:
                for k in keys:
                    self._callers.pop(k, None)
            return
        if not token:  # no token at all is not a guess (a trainee's click): refused, not counted
            raise AdminTokenError()
        with self._lock:
            for k in keys:
                failures = self._callers.pop(k, (0, 0.0))[0] + 1
                over = failures - self.allowed
                until = now + min(self.max_lockout_s, 2.0 ** (over - 1)) if over > 0 else 0.0
                self._callers[k] = (failures, until)
            while len(self._callers) > MAX_CALLERS:
                self._callers.popitem(last=False)
        raise AdminTokenError()


def callers(session_id: str | None = None, address: str | None = None) -> tuple[str, ...]:
    """The keys a failure is counted under."""
    return tuple(k for k in (session_id and f"session:{session_id}", address and f"addr:{address}") if k)


def _cookie(headers: dict[bytes, bytes], name: str) -> str | None:
    for part in headers.get(b"cookie", b"").decode("latin-1").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return unquote(value)
    return None


class HttpGuard:
    """ASGI middleware for Gradio's FastAPI app (`launch(app_kwargs={"middleware": [...]})`).

    - `POST …/gradio_api/run/<name>` and `…/gradio_api/api/<name>` (direct runs, which skip the queue, its size
      and every concurrency limit) are refused for every event: the page and gradio_client use the queue.
    - `POST …/gradio_api/upload` (which stores files for anyone) needs the admin token when one is configured, in
      the `X-SME-AI-Token` header or the `sme_ai_token` cookie; wrong tokens count against the client's address.
    """

    def __init__(self, app, *, token: str = "", guard: TokenGuard | None = None):
        self.app = app
        self.token = token
        self.guard = guard or TokenGuard()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope.get("method") == "POST":
            path = scope.get("path", "").rstrip("/")
            refusal = None
            if "/gradio_api/run/" in path + "/" or "/gradio_api/api/" in path + "/":
                refusal = (404, "Direct runs are closed: join the queue (the page and gradio_client do).")
            elif path.endswith("/gradio_api/upload") and self.token:
                refusal = self._upload_refusal(scope)
            if refusal:
                await _plain(send, *refusal)
                return
        await self.app(scope, receive, send)

    def _upload_refusal(self, scope) -> tuple[int, str] | None:
        headers = dict(scope.get("headers") or [])
        given = headers.get(TOKEN_HEADER.encode(), b"").decode("latin-1") or _cookie(headers, TOKEN_COOKIE)
        client = scope.get("client") or ("", 0)
        try:
            self.guard.check(self.token, given, callers(address=client[0]))
        except AdminLockedError as e:
            return 429, f"Too many wrong admin tokens; retry in {math.ceil(e.wait_s)} s. {e}"
        except AdminTokenError as e:
            return 401, f"Uploading needs the admin token. {e}"
        return None


async def _plain(send, status: int, text: str) -> None:
    body = text.encode("utf-8")
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
