"""The Gradio page: five tabs wired to the plain handlers. The only module of the app that imports gradio.

Queue design: the chat event runs many requests at once
(retrieval and cached answers are cheap), while every use of the local model waits at one FIFO gate
(`gate.py`) whose position the chat status shows; knowledge-base writes run one at a time. Every event is queued
(cheap ones share the `light` limit): with `api_open=False` none can be run directly past the queue.

The admin token: handlers check it (with lockouts, `guard.py`); the page also copies it into a same-site cookie so
that the browser's file uploads (Gradio's `/gradio_api/upload`, guarded by `guard.HttpGuard`) carry it.
"""

from sme_ai.app import chat, knowledge, plan_tabs, render, training
from sme_ai.app.controls import LIGHT, caller, discard_uploads, token_box
from sme_ai.app.session import close_session, ensure
from sme_ai.app.uploads import QUESTION_LIST_TYPES
from sme_ai.errors import SmeAiError

TITLE = "中小企业数字化转型助手"
SESSION_TTL_S = 8 * 3600
FONTS = ["PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Source Han Sans SC",
         "system-ui", "sans-serif"]  # local fonts only: nothing is fetched from a font CDN
CSS = """
#evidence { max-height: 640px; overflow-y: auto; padding: 8px 12px; border: 1px solid var(--border-color-primary);
            border-radius: 8px; }
#status { min-height: 1.6em; }
.message blockquote { border-left: 4px solid #d97706; padding-left: 8px; }
details summary { cursor: pointer; }
"""


def theme():
    import gradio as gr

    return gr.themes.Default(font=FONTS, font_mono=["ui-monospace", "Consolas", "monospace"])


def _table(rows, headers):
    import pandas as pd

    return pd.DataFrame(rows, columns=headers)


def _error(e: Exception) -> str:
    return render.status_markdown("error", str(e))


def build_app(ctx):
    import gradio as gr

    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(3600, 24 * 3600)) as demo:
        session = gr.State(None, time_to_live=SESSION_TTL_S, delete_callback=close_session)
        gr.Markdown(f"# {TITLE}\n基于政策文件与指南的问答、数字化水平自评和改造方案。回答均标注出处，资料中没有的内容会明确说明。")
        with gr.Tabs() as tabs:
            with gr.Tab("智能问答", id="chat"):
                notice = _chat_tab(ctx, session)
            plan_tabs.build(ctx, session, tabs)  # 数字化水平自评, 改造方案
            with gr.Tab("知识库", id="kb"):
                table, picker = _kb_tab(ctx, notice, session)
            with gr.Tab("培训模式", id="train"):
                _training_tab(ctx, session)
        demo.load(lambda: (chat.kb_notice(ctx), _docs(ctx), gr.update(choices=knowledge.document_choices(ctx))),
                  None, [notice, table, picker], api_visibility="private", **LIGHT)
    for fn in demo.fns.values():  # Gradio's own events too (gr.Examples' click is queue=False), so no event
        if fn.fn is not None and not fn.queue:  # needs the direct-run route that the app closes
            fn.queue = True
    return demo


# --- 智能问答 ------------------------------------------------------------------------------------


def _chat_tab(ctx, session):
    import gradio as gr

    notice = gr.Markdown(chat.kb_notice(ctx), elem_id="kb-notice")
    with gr.Row():
        with gr.Column(scale=3):
            bot = gr.Chatbot(label="对话", elem_id="chatbot", height=560, sanitize_html=True, allow_tags=False,
                             render_markdown=True, feedback_options=("Like", "Dislike"), buttons=["copy"],
                             placeholder="**您好！** 我可以回答数字化转型政策、评测指标、试点和实施方法等问题。"
                                         "每条回答都会标注出处，点击引用可查看原文。")
            question = gr.Textbox(show_label=False, placeholder="请输入您的问题，按回车或点“提问”", lines=2,
                                  max_length=ctx.asst.settings.max_question_chars, elem_id="question")
            with gr.Row():
                send = gr.Button("提问", variant="primary", elem_id="send")
                clear = gr.Button("清空对话", elem_id="clear")
            status = gr.Markdown(elem_id="status")
            gr.Examples(chat.EXAMPLES, inputs=question, label="示例问题（点击填入）")
        with gr.Column(scale=2):
            evidence = gr.Markdown("#### 检索到的资料\n\n提问后，这里会先显示找到的资料原文，再生成回答。",
                                   elem_id="evidence")

    def on_ask(q, s):
        for view in chat.ask(ctx, s, q):
            yield view.messages, view.evidence, view.status, view.session, ""

    outputs = [bot, evidence, status, session, question]
    common = dict(concurrency_limit=ctx.settings.chat_concurrency, concurrency_id="chat", show_progress="minimal")
    send.click(on_ask, [question, session], outputs, api_name="ask", **common)
    question.submit(on_ask, [question, session], outputs, api_visibility="private", **common)

    def on_clear(s):
        view = chat.clear(s)
        return view.messages, "#### 检索到的资料\n\n", "", view.session

    clear.click(on_clear, [session], [bot, evidence, status, session], api_name="clear", **LIGHT)

    def on_like(s, data: gr.LikeData):
        liked = data.liked is True or data.liked == "Like"
        return chat.feedback(ctx, s, data.index if isinstance(data.index, int) else data.index[0], liked), s

    bot.like(on_like, [session], [status, session], api_visibility="private", **LIGHT)

    def on_feedback(index, liked, s):  # the same, callable from the API (index of the assistant message)
        return chat.feedback(ctx, s, int(index), bool(liked)), s

    hidden_index = gr.Number(visible=False)
    hidden_liked = gr.Checkbox(visible=False)
    gr.Button(visible=False).click(on_feedback, [hidden_index, hidden_liked, session], [status, session],
                                   api_name="feedback", **LIGHT)
    return notice


# --- 知识库 ------------------------------------------------------------------------------------


def _docs(ctx):
    return _table(knowledge.document_rows(ctx), knowledge.HEADERS)


def _kb_tab(ctx, notice, session):
    import gradio as gr

    gr.Markdown("### 知识库资料\n支持 PDF、DOCX、XLSX、CSV、PPTX、Markdown、TXT、HTML 和图片（PNG、JPG）；单个文件不超过 "
                f"{ctx.settings.max_upload_mb:g} MB。扫描版 PDF 和图片会自动文字识别（OCR），每页约需数秒，"
                "识别结果请以原件为准。")
    token = token_box(ctx, "kb-token")
    if ctx.settings.admin_token:
        gr.Markdown("请先输入管理员口令，再选择文件（文件在选择时即上传，需要口令）。")
    # no file_types here: Gradio would refuse a whole mixed batch; the handler checks each file and says which failed
    files = gr.File(label="选择文件（可多选）", file_count="multiple", elem_id="kb-files")
    upload = gr.Button("上传并加入知识库", variant="primary", elem_id="kb-upload")
    report = gr.Markdown(elem_id="kb-report")
    table = gr.Dataframe(_docs(ctx), label="已收录的文档", datatype="str", interactive=False, wrap=True,
                         elem_id="kb-table")
    with gr.Row():
        picker = gr.Dropdown(knowledge.document_choices(ctx), label="选择文档（按来源文件）", scale=3,
                             allow_custom_value=True)  # the API may name a document by its source or id
        remove = gr.Button("删除所选文档", variant="stop", scale=1)
        reindex = gr.Button("重建向量索引", scale=1)

    def refreshed(message):
        return (message, _docs(ctx), gr.update(choices=knowledge.document_choices(ctx), value=None),
                chat.kb_notice(ctx))

    def on_upload(paths, tok, s, request: gr.Request, progress=gr.Progress()):
        s = ensure(s)
        try:
            return *refreshed(knowledge.upload(ctx, paths, tok, lambda f, d: progress(f, desc=d),
                                               caller=caller(s, request), session=s)), s
        except SmeAiError as e:
            return *refreshed(_error(e)), s
        finally:
            discard_uploads(paths)  # copied, refused or rejected: Gradio's temp copy is not needed any more

    def on_remove(key, tok, s, request: gr.Request):
        s = ensure(s)
        try:
            return *refreshed(knowledge.remove(ctx, key, tok, caller=caller(s, request))), s
        except SmeAiError as e:
            return *refreshed(_error(e)), s

    def on_reindex(tok, s, request: gr.Request, progress=gr.Progress()):
        s = ensure(s)
        try:
            return *refreshed(knowledge.reindex(ctx, tok, lambda f, d: progress(f, desc=d),
                                                caller=caller(s, request))), s
        except SmeAiError as e:
            return *refreshed(_error(e)), s

    outputs = [report, table, picker, notice, session]
    write = dict(concurrency_limit=1, concurrency_id="kb-write")
    upload.click(on_upload, [files, token, session], outputs, api_name="upload", **write)
    remove.click(on_remove, [picker, token, session], outputs, api_name="remove", **write)
    reindex.click(on_reindex, [token, session], outputs, api_name="reindex", **write)
    gr.Button("刷新列表", size="sm").click(lambda: refreshed(""), None, outputs[:4], api_name="documents", **LIGHT)
    return table, picker


# --- 培训模式 ----------------------------------------------------------------------------------


def _training_tab(ctx, session):
    import gradio as gr

    locked = ctx.settings.heavy_actions_locked
    token = token_box(ctx, "train-token")
    gr.Markdown("### 批量问答\n上传问题清单（txt 每行一题；csv/xlsx 需有“问题”或 question 列；jsonl 每行含 question），"
                "下载带引用的回答。课前先跑一遍本次培训的问题清单，答案即进入缓存：学员课上问到相同或相近的问题时即时回答。"
                + ("批量问答需要管理员口令（请先输入口令再选择文件）。" if locked else ""))
    with gr.Row():
        qfile = gr.File(label="问题清单", file_types=list(QUESTION_LIST_TYPES), elem_id="batch-file")
        with gr.Column():
            fmt = gr.Radio(list(training.FORMATS), value="xlsx", label="结果格式")
            run = gr.Button("批量回答", variant="primary")
    report = gr.Markdown()
    result = gr.File(label="下载回答", interactive=False)

    def on_batch(path, f, tok, s, request: gr.Request, progress=gr.Progress()):
        s = ensure(s)
        try:
            text, out = training.answer_list(ctx, s, path, f, lambda x, d: progress(x, desc=d), tok,
                                             caller=caller(s, request))
            return text, (str(out) if out else None), s
        except SmeAiError as e:
            discard_uploads(path)  # refused: Gradio's temp copy goes at once
            return _error(e), None, s

    # the trailing token keeps the API's (file, format) calls working: it defaults to ""
    run.click(on_batch, [qfile, fmt, token, session], [report, result, session], api_name="batch",
              concurrency_limit=2, concurrency_id="batch")

    gr.Markdown("### 学员提问统计\n本站学员最常问的问题，以及资料中找不到答案的问题（知识缺口），可导出。")
    refresh = gr.Button("刷新统计")
    top = gr.Dataframe(_table([], training.STAT_HEADERS), label="最常问的问题", datatype="str", interactive=False,
                       wrap=True)
    refused = gr.Dataframe(_table([], training.STAT_HEADERS), label="资料没有回答的问题（拒答，或缺少所问的日期、金额：知识缺口）",
                           datatype="str", interactive=False, wrap=True)
    with gr.Row():
        efmt = gr.Radio(list(training.FORMATS), value="xlsx", label="导出格式")
        export = gr.Button("导出全部问题")
    exported = gr.File(label="下载统计", interactive=False)
    note = gr.Markdown()

    def on_stats(tok, s, request: gr.Request):
        s = ensure(s)
        try:
            a, b = training.stats(ctx, tok, caller=caller(s, request))
            return _table(a, training.STAT_HEADERS), _table(b, training.STAT_HEADERS), "", s
        except SmeAiError as e:
            return gr.update(), gr.update(), _error(e), s

    def on_export(tok, f, s, request: gr.Request):
        s = ensure(s)
        try:
            return str(training.export_stats(ctx, s, tok, f, caller=caller(s, request))), "", s
        except SmeAiError as e:
            return None, _error(e), s

    refresh.click(on_stats, [token, session], [top, refused, note, session], api_name="stats")
    export.click(on_export, [token, efmt, session], [exported, note, session], api_name="export_stats")
