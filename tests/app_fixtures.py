"""A tiny knowledge base and a running app in a child process, shared by the live and browser tiers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
XSS = "<img src=x onerror=alert(1)>"

DOCS = {
    "plan.md": f"""---
title: 行动方案要点{XSS}
doc_type: policy
---
## 目标
到2027年，中小企业上云率超过40%。规上工业中小企业关键工序数控化率达到75%。
## 试点
数字化转型城市试点支持中小企业开展数字化改造，按照“小快轻准”原则推进。
""",
    "levels.md": """---
title: 中小企业数字化水平评测
doc_type: indicators
---
## 等级
中小企业数字化水平分为四个等级，从一级到四级逐级提高。
## 评测内容
评测从数字化基础、经营、管理和成效四个维度开展。
""",
    "security.md": """---
title: 数据安全要求
doc_type: guide
---
## 数据安全
企业应建立数据备份制度，重要数据每天备份一次，并定期开展网络安全演练。
""",
    "talent.md": """---
title: 人才培养
doc_type: guide
---
## 培训
企业每年至少组织两次数字化技能培训，覆盖一线员工和管理人员。
""",
}


def base_env(data_dir: Path, *, real_models: bool = False, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SME_AI_")}
    env.update({"SME_AI_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                "ANONYMIZED_TELEMETRY": "False", "GRADIO_ANALYTICS_ENABLED": "False", "SME_AI_N_THREADS": "2"})
    if not real_models:
        env.update({"SME_AI_EMBEDDER": "hash", "SME_AI_LLM_BACKEND": "extractive", "SME_AI_MIN_DENSE_SCORE": "0.3"})
    env.update(extra)
    return env


def make_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def ingest(corpus: Path, env: dict[str, str]) -> None:
    r = subprocess.run([sys.executable, "-m", "sme_ai.cli", "ingest", str(corpus)], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr


def text_of(message: dict) -> str:
    """A Chatbot message from the API: content is a string or a list of {"type": "text", "text": ...} parts."""
    content = message["content"]
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


def running_app(root: Path) -> Iterator:
    """The app on the tiny corpus (hash embedder, extractive answers) in a child process; no traceback in its log."""
    from sme_ai.testing.app_process import AppProcess

    env = base_env(root / "kb")
    ingest(make_corpus(root / "docs"), env)
    with AppProcess(env, log_path=root / "server.log") as server:
        yield server
    assert "Traceback" not in server.log_tail(100_000), server.log_tail()
