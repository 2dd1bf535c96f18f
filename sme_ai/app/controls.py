"""Controls the page's tabs share (Gradio imported lazily): the admin-token box, which also copies the token into a
same-site cookie so that the browser's file uploads carry it (Gradio's `/gradio_api/upload` is guarded by
`guard.HttpGuard`), the keys wrong tokens count under, the limit of the cheap events, and temp-upload cleanup."""

from sme_ai.app.guard import TOKEN_COOKIE, callers
from sme_ai.app.uploads import discard_within

LIGHT = dict(concurrency_limit=16, concurrency_id="light")  # cheap events, queued like the rest
TOKEN_TO_COOKIE = ("(t) => { document.cookie = '" + TOKEN_COOKIE + "=' + encodeURIComponent(t || '') + "
                   "'; path=/; SameSite=Strict'; return []; }")


def token_box(ctx, elem_id: str, visible: bool | None = None):
    """A 管理员口令 box; what is typed also goes into the page's cookie, so file uploads carry it."""
    import gradio as gr

    shown = bool(ctx.settings.admin_token) if visible is None else visible
    box = gr.Textbox("", label="管理员口令", type="password", visible=shown, elem_id=elem_id)  # "": optional in the API
    box.change(None, [box], None, js=TOKEN_TO_COOKIE)  # runs in the browser only
    return box


def caller(session, request) -> tuple[str, ...]:
    """The keys wrong admin tokens count under: the session and the client's address."""
    client = getattr(request, "client", None)
    return callers(getattr(session, "id", None), getattr(client, "host", None))


def discard_uploads(paths) -> None:
    """Delete Gradio's temp copies of files this app has finished with (only inside Gradio's upload folder)."""
    from gradio.utils import get_upload_folder

    discard_within([paths] if isinstance(paths, str) else paths, get_upload_folder())
