"""The wheel carries every file the library opens at run time, and works installed outside the checkout."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.live  # builds and installs a wheel, runs child processes (~30 s): kept out of the fast tier

# One process doing what a user does without a model: ingest, search, ask (extractive), assess, draft and export a
# plan. An audit hook records every file it opens inside the checkout.
WORKLOAD = r"""
import json, sys
from pathlib import Path
root, tmp = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
opened = set()
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, Path)):
        p = Path(args[0].decode() if isinstance(args[0], bytes) else args[0])
        try:
            opened.add(p.resolve().relative_to(root).as_posix())
        except (ValueError, OSError):
            pass
sys.addaudithook(hook)
from sme_ai import Assistant, Settings
from sme_ai.assess.chart import render_chart
from sme_ai.plan.export import export_docx, export_markdown
doc = tmp / "notice.md"
doc.write_text("---\ntitle: 测试通知\ndoc_type: policy\n---\n# 目标\n到2027年，中小企业上云率超过40%。\n", encoding="utf-8")
asst = Assistant(Settings(data_dir=tmp / "kb", home=tmp / "home", embedder="hash", vector_store="chroma",
                          llm_backend="extractive"))
asst.ingest([doc, root / "corpora" / "indicators", root / "corpora" / "playbooks"])
assert asst.search("上云率")
answer = asst.ask("到2027年中小企业上云率的目标是多少？")
assert "40%" in answer.text, answer.text
a = asst.assess({"scenarios": {"product_design": 1}})
plan = asst.draft_plan({"行业": "纺织", "地区": "浙江省绍兴市", "是否试点城市": "是", "员工人数": 30,
                        "年营业收入（万元）": 1500, "企业类型": "小微企业", "痛点": "排产靠经验"}, a)
export_docx(plan, tmp / "plan.docx", chart=render_chart(a, tmp / "chart.png"))
export_markdown(plan, tmp / "plan.md")
print(json.dumps(sorted(opened)))
"""


def _in_wheel(rel: str) -> str:
    """Where a checkout file lives inside the wheel (prompts/ and corpora/ are mapped into the package)."""
    top = rel.split("/", 1)[0]
    return f"sme_ai/{rel}" if top in ("prompts", "corpora") else rel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                        str(ROOT)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    (path,) = out.glob("sme_ai-*.whl")
    return path


def test_every_file_the_library_opens_is_in_the_wheel(wheel, tmp_path):
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    env = {k: v for k, v in env.items() if not k.startswith("SME_AI_")}
    r = subprocess.run([sys.executable, "-c", WORKLOAD, str(ROOT), str(tmp_path)], capture_output=True, text=True,
                       timeout=600, cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr[-4000:]
    opened = [p for p in json.loads(r.stdout.strip().splitlines()[-1])
              if p.split("/", 1)[0] in ("sme_ai", "prompts") and "__pycache__" not in p]
    data = [p for p in opened if not p.endswith(".py")]
    # the run really read data files: prompts, the indicators, the plan rules, the domain dictionary
    assert {"prompts/answer.txt", "sme_ai/assess/indicators_2024.yaml", "sme_ai/plan/playbooks.yaml",
            "sme_ai/data/domain_dict.txt"} <= set(data), data
    members = set(zipfile.ZipFile(wheel).namelist())
    missing = [p for p in opened if _in_wheel(p) not in members]
    assert not missing, missing
    assert "sme_ai/corpora/policy/action_plan_2025_2027.md" in members  # the shipped knowledge base
    assert {"sme_ai/data/adapters/sme-ai-lora-0.5b.gguf", "sme_ai/data/adapters/sme-ai-lora-0.5b.md"} <= members


def test_the_installed_wheel_answers_outside_the_checkout(wheel, tmp_path):
    site = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "notice.txt").write_text("到2027年，中小企业上云率超过40%。\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SME_AI_")}
    env.update(PYTHONPATH=str(site), SME_AI_EMBEDDER="hash", SME_AI_HOME=str(tmp_path / "home"),
               ANONYMIZED_TELEMETRY="False")
    cli = [sys.executable, "-m", "sme_ai.cli", "--data-dir", str(work / "kb"), "--llm-backend", "extractive"]
    where = subprocess.run([sys.executable, "-c", "import sme_ai.resources as r, sme_ai; print(sme_ai.__file__); "
                            "print(r.prompts_dir())"], cwd=work, env=env, capture_output=True, text=True)
    module, prompts = where.stdout.split()
    assert Path(module).is_relative_to(site) and Path(prompts).is_relative_to(site), where.stdout + where.stderr
    assert subprocess.run(cli + ["ingest", "notice.txt"], cwd=work, env=env, capture_output=True).returncode == 0
    r = subprocess.run(cli + ["ask", "到2027年中小企业上云率的目标是多少？", "--json"], cwd=work, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    answer = json.loads(r.stdout)
    assert "40%" in answer["answer"] and answer["citations"] and not answer["refused"], answer
