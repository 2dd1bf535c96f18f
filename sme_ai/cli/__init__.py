"""The `sme-ai` command line: thin wrappers that parse, call one Assistant method, and render."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sme_ai.cli.common import Bars, assistant_from, settings_from
from sme_ai.errors import SmeAiError


def cmd_ingest(args) -> int:
    from sme_ai.resources import corpus_dir

    paths = list(args.paths) + ([corpus_dir()] if args.shipped else [])
    if not paths:
        print("错误: 请给出文件或目录，或用 --shipped 导入随附知识库 (give paths, or --shipped)", file=sys.stderr)
        return 2
    bars = Bars()
    try:
        stats = assistant_from(args).ingest(paths, progress=bars)
    finally:
        bars.close()
    if args.json:
        print(json.dumps(stats.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(f"新增 {len(stats.added)} · 更新 {len(stats.updated)} · 未变 {len(stats.unchanged)} 个文档；"
              f"向量化 {stats.chunks_embedded} 个片段，复用 {stats.chunks_reused} 个")
        for path, err in stats.failures:
            print(f"  失败: {err}", file=sys.stderr)
    return 1 if stats.failures else 0


def _print_hits(hits, as_json: bool) -> None:
    if as_json:
        print(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=1))
        return
    if not hits:
        print("（没有找到相关内容）")
    for i, h in enumerate(hits, start=1):
        c = h.chunk
        where = " · ".join(x for x in (c.section, f"第{c.page}页" if c.page else "") if x)
        legs = ",".join(f"{k}#{v}" for k, v in h.legs.items())
        print(f"[{i}] {c.title}  ({c.source}{' · ' + where if where else ''})  score={h.score:.4f} [{legs}]")
        print("    " + c.text.replace("\n", "\n    "))


def cmd_search(args) -> int:
    filters = {}
    if args.type:
        filters["doc_type"] = args.type
    if args.source:
        filters["source"] = args.source
    hits = assistant_from(args).search(args.query, args.k, filters=filters or None, mode=args.mode)
    _print_hits(hits, args.json)
    return 0


def cmd_shell(args) -> int:
    asst = assistant_from(args)
    print("sme-ai 检索 · 输入问题回车，空行或 Ctrl-D 退出")
    while True:
        try:
            q = input("问题> ").strip()
        except EOFError:
            break
        if not q:
            break
        try:
            _print_hits(asst.search(q, args.k), False)
        except SmeAiError as e:
            print(f"错误: {e}", file=sys.stderr)
    return 0


def cmd_docs(args) -> int:
    asst = assistant_from(args)
    if args.action == "list":
        docs = asst.documents()
        if args.json:
            print(json.dumps(docs, ensure_ascii=False, indent=1))
        for d in [] if args.json else docs:
            print(f"{d['doc_id']}\t{d['source']}\t{d['doc_type']}\t{d['chunks']} 片段\t{d.get('pages') or '-'} 页\t"
                  f"{d['added_at']}\t{d['title']}")
        if not docs and not args.json:
            print("（知识库为空）")
    elif args.action == "remove":
        for key in args.keys:
            print("已删除: " + ", ".join(asst.remove(key)))
    elif args.action == "reindex":
        bars = Bars()
        try:
            n = asst.reindex(progress=bars)
        finally:
            bars.close()
        print(f"已重建 {n} 个片段的向量索引")
    return 0


def cmd_models(args) -> int:
    from sme_ai import models

    home = settings_from(args).home
    if args.action == "list":
        for spec in models.CATALOG.values():
            state = "已就绪" if models.is_fetched(spec, home) else "未下载"
            default = "*" if spec.name in models.DEFAULT_MODELS else " "
            print(f"{default} {spec.name:22s} {state}  {spec.description}  [{spec.license}]")
        return 0
    names = args.names or (list(models.DEFAULT_MODELS) if args.action == "pull" else
                           [s.name for s in models.CATALOG.values() if models.is_fetched(s, home)])
    if args.action == "pull":
        for name in names:
            bars = Bars()
            try:
                for stage, done, total in models.fetch(name, home):
                    if stage != "verified":
                        bars(stage, done, total)
            finally:
                bars.close()
            print(f"{name}: 已校验 → {models.get_spec(name).path(home)}")
            _prepare_onnx(settings_from(args), name)
        return 0
    bad = [n for n in names if not models.verify(n, home)]
    for n in names:
        print(f"{n}: {'校验失败' if n in bad else 'sha256 正确'}")
    return 1 if bad else 0


def _prepare_onnx(settings, name: str) -> None:
    """The embedder the settings name, pulled now, is exported to ONNX here where that runtime is used (once, about
    a minute), so that the first ingest or question does not wait for it."""
    from sme_ai.assistant import Assistant

    if name != settings.embedder_model:
        return
    asst = Assistant(settings)
    if not asst.embedder_needs_graph:
        return  # torch runs this embedder here (a bf16 CPU, another model family): nothing to export
    print(f"{name}: 准备运行文件（首次导出 ONNX 约1分钟）…", flush=True)
    print(f"{name}: ONNX 已就绪 → {asst.prepare_embedder()}")


def _render_answer(answer, as_json: bool) -> None:
    if as_json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=1))
        return
    print(answer.text)
    for c in answer.citations:
        where = " · ".join(x for x in (c.section, f"第{c.page}页" if c.page else "") if x)
        print(f"  [{c.n}] 《{c.title}》{where}（{c.source}{'；' + c.ocr_note if c.ocr_note else ''}）：{c.quote}")


def _stream_answer(asst, question: str, history=None, show_evidence: bool = True):
    from sme_ai.types import Delta, Draft, Evidence, Final

    final = None
    for event in asst.stream(question, history):
        if isinstance(event, Evidence) and show_evidence:
            print("检索到: " + "；".join(f"《{h.chunk.title}》{h.chunk.section}" for h in event.hits[:3]), file=sys.stderr)
        elif isinstance(event, Draft):
            print(f"资料摘录（先供参考）: {event.answer.text}\n正在组织回答: ", end="", flush=True, file=sys.stderr)
        elif isinstance(event, Delta):
            print(event.text, end="", flush=True, file=sys.stderr)
        elif isinstance(event, Final):
            final = event.answer
    print(file=sys.stderr)
    return final


def cmd_ask(args) -> int:
    asst = assistant_from(args)
    answer = _stream_answer(asst, args.question) if args.stream else asst.ask(args.question)
    _render_answer(answer, args.json)
    return 0


def cmd_chat(args) -> int:
    asst = assistant_from(args)
    history: list[tuple[str, str]] = []
    print("sme-ai 问答 · 输入问题回车（可追问），空行或 Ctrl-D 退出")
    while True:
        try:
            q = input("问> ").strip()
        except EOFError:
            break
        if not q:
            break
        try:
            answer = _stream_answer(asst, q, history)
        except SmeAiError as e:
            print(f"错误: {e}", file=sys.stderr)
            continue
        _render_answer(answer, False)
        history.append((q, answer.text))
    return 0


def cmd_batch(args) -> int:
    from tqdm import tqdm

    from sme_ai.batch import read_questions, write_answers

    questions = read_questions(Path(args.input))
    asst = assistant_from(args)
    records = []
    for q in tqdm(questions, desc="批量问答", unit="题", file=sys.stderr):
        try:
            records.append(asst.ask(q).to_dict())
        except SmeAiError as e:  # one bad question must not lose the others
            records.append({"question": q, "answer": "", "refused": False, "citations": [], "model": "",
                            "timings": {}, "error": str(e)})
    write_answers(Path(args.output), records)
    print(f"已写入 {len(records)} 条回答 → {args.output}")
    return 0


def cmd_eval(args) -> int:
    from sme_ai.eval.runner import render_markdown, run

    settings = settings_from(args, chunk_size=args.chunk_size, chunk_overlap=args.overlap, rrf_k=args.rrf_k,
                             dense_k=args.dense_k, bm25_k=args.bm25_k)
    report = run(settings, Path(args.dataset), Path(args.corpus), None if args.no_report else Path(args.out),
                 baseline=not args.no_baseline, answers=args.answers, limit=args.limit,
                 sample=args.sample, generators=args.compare.split(",") if args.compare else None)
    print(render_markdown(report))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sme-ai", description="中小企业数字化转型助手 (sme-ai)")
    p.add_argument("--data-dir", help="knowledge base folder (default: $SME_AI_DATA_DIR or ~/.local/share/sme-ai)")
    p.add_argument("--llm-backend", choices=["llama-cpp", "transformers", "openai", "extractive"],
                   help="generator backend (default: $SME_AI_LLM_BACKEND or llama-cpp)")
    p.add_argument("--llm-model", help="catalog name or local path (default: qwen2.5-coder-0.5b)")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("ingest", help="add files or folders to the knowledge base")
    s.add_argument("paths", nargs="*")
    s.add_argument("--shipped", action="store_true", help="also the knowledge base shipped with the package (corpora/)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_ingest)

    s = sub.add_parser("search", help="ranked passages for a question")
    s.add_argument("query")
    s.add_argument("-k", type=int, default=5)
    s.add_argument("--json", action="store_true")
    s.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default="hybrid")
    s.add_argument("--type", action="append", help="only this doc_type (repeatable)")
    s.add_argument("--source", action="append", help="only this source (repeatable)")
    s.set_defaults(func=cmd_search)

    s = sub.add_parser("shell", help="interactive search prompt")
    s.add_argument("-k", type=int, default=3)
    s.set_defaults(func=cmd_shell)

    s = sub.add_parser("docs", help="list, remove or re-index documents")
    d = s.add_subparsers(dest="action", required=True)
    dl = d.add_parser("list")
    dl.add_argument("--json", action="store_true")
    dr = d.add_parser("remove")
    dr.add_argument("keys", nargs="+", help="document id, file path or source (`docs list --json` shows ids)")
    d.add_parser("reindex")
    s.set_defaults(func=cmd_docs)

    s = sub.add_parser("ask", help="answer one question with citations")
    s.add_argument("question")
    s.add_argument("--json", action="store_true")
    s.add_argument("--stream", action="store_true", help="show evidence and the answer as it is generated")
    s.set_defaults(func=cmd_ask)

    s = sub.add_parser("chat", help="interactive question answering with follow-ups")
    s.set_defaults(func=cmd_chat)

    s = sub.add_parser("batch", help="answer a question list (.txt/.csv/.xlsx/.jsonl) into .jsonl/.csv/.xlsx")
    s.add_argument("input")
    s.add_argument("-o", "--output", required=True)
    s.set_defaults(func=cmd_batch)

    s = sub.add_parser("eval", help="run the eval set; writes a report under evals/reports/")
    s.add_argument("--dataset", default="evals/dev.jsonl")
    s.add_argument("--corpus", default="corpora")
    s.add_argument("--out", default="evals/reports")
    s.add_argument("--no-report", action="store_true", help="print only, write no files")
    s.add_argument("--no-baseline", action="store_true", help="skip the LangChain baseline")
    s.add_argument("--answers", action="store_true", help="also generate and score answers (slow)")
    s.add_argument("--limit", type=int, help="only the first N questions")
    s.add_argument("--sample", type=int, help="a stratified sample of about N questions (every type kept)")
    s.add_argument("--compare", help="answer with each of these on the same index, one report: "
                                     "e.g. extractive,qwen2.5-coder-0.5b,qwen2.5-coder-1.5b")
    s.add_argument("--chunk-size", type=int)
    s.add_argument("--overlap", type=int)
    s.add_argument("--rrf-k", type=int)
    s.add_argument("--dense-k", type=int)
    s.add_argument("--bm25-k", type=int)
    s.set_defaults(func=cmd_eval)

    from sme_ai.cli.plans import add_commands

    add_commands(sub)  # assess, plan

    from sme_ai.cli import keys, serve, tune

    serve.add_command(sub)  # serve: the HTTP API
    keys.add_command(sub)  # keys: its API keys
    tune.add_command(sub)  # tune: the industry-tuned model (data, train, export, card)

    s = sub.add_parser("models", help="the model catalog: list, pull, verify")
    m = s.add_subparsers(dest="action", required=True)
    m.add_parser("list")
    mp = m.add_parser("pull")
    mp.add_argument("names", nargs="*", help="catalog names (default: the default models)")
    mv = m.add_parser("verify")
    mv.add_argument("names", nargs="*")
    s.set_defaults(func=cmd_models)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SmeAiError as e:
        print(f"错误: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\n已中断 (interrupted); the knowledge base is unchanged.", file=sys.stderr)
        return 130
