"""The ONNX runtime's choice and export bookkeeping, without a model (fast tier). The real graph against
sentence-transformers is in tests/test_real_embedder.py (model tier)."""

import json
from pathlib import Path

import pytest

from sme_ai.config import Settings
from sme_ai.errors import OnnxExportError
from sme_ai.index import onnx_export
from sme_ai.index.embedder import SentenceTransformerEmbedder, make_embedder, uses_onnx
from sme_ai.index.onnx_embedder import OnnxEmbedder


def _folder(root: Path, *, model_type="gemma3_text", pooling="mean", activation="Identity", bidirectional=True) -> Path:
    """A sentence-transformers folder's configuration files in EmbeddingGemma's shape (no weights)."""
    root.mkdir(parents=True, exist_ok=True)
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
               {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"},
               {"idx": 3, "name": "3", "path": "3_Normalize", "type": "sentence_transformers.models.Normalize"}]
    (root / "modules.json").write_text(json.dumps(modules))
    (root / "config.json").write_text(json.dumps({"model_type": model_type, "use_bidirectional_attention": bidirectional,
                                                  "sliding_window": 512}))
    (root / "1_Pooling").mkdir(exist_ok=True)
    (root / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_mean_tokens": pooling == "mean",
                                                                "pooling_mode_cls_token": pooling == "cls"}))
    (root / "2_Dense").mkdir(exist_ok=True)
    (root / "2_Dense" / "config.json").write_text(json.dumps(
        {"activation_function": f"torch.nn.modules.linear.{activation}"}))
    (root / "model.safetensors").write_bytes(b"weights")
    return root


def test_the_exporter_knows_embeddinggemmas_shape_only(tmp_path):
    assert onnx_export.supports(_folder(tmp_path / "eg"))
    assert not onnx_export.supports(_folder(tmp_path / "bert", model_type="bert"))
    assert not onnx_export.supports(_folder(tmp_path / "causal", bidirectional=False))
    assert not onnx_export.supports(_folder(tmp_path / "cls", pooling="cls"))
    assert not onnx_export.supports(_folder(tmp_path / "tanh", activation="Tanh"))
    assert not onnx_export.supports(tmp_path / "missing")


@pytest.mark.parametrize("fast_bf16, settings, expected", [
    (False, {}, True),                                        # auto, torch would run float32: the same vectors
    (False, {"embedder_dtype": "float32"}, True),
    (True, {}, False),                                        # avx512_bf16: torch in bfloat16, measured fast there
    (True, {"embedder_dtype": "float32"}, True),
    (False, {"embedder_dtype": "bfloat16"}, False),           # asked for bf16: only torch has it
    (False, {"embedder_query_quantize": "int8"}, False),      # torch's int8 query copy
    (False, {"embedder_runtime": "torch"}, False),
    (True, {"embedder_runtime": "onnx", "embedder_dtype": "bfloat16"}, True),
])
def test_auto_takes_onnx_where_torch_would_run_float32(tmp_path, monkeypatch, fast_bf16, settings, expected):
    from sme_ai.index import embedder

    monkeypatch.setattr(embedder, "_cpu_has_fast_bf16", lambda: fast_bf16)
    assert uses_onnx(Settings(data_dir=tmp_path, **settings), _folder(tmp_path / "eg")) is expected


def test_auto_keeps_torch_for_a_folder_the_exporter_does_not_know(tmp_path):
    assert not uses_onnx(Settings(data_dir=tmp_path), _folder(tmp_path / "bert", model_type="bert"))


def test_make_embedder_builds_the_onnx_embedder_without_loading_anything(tmp_path):
    folder = _folder(tmp_path / "my-embedder")
    e = make_embedder(Settings(data_dir=tmp_path, home=tmp_path / "home", embedder_model=str(folder),
                               embedder_runtime="onnx"))
    assert isinstance(e.base, OnnxEmbedder) and e.base._session is None
    assert e.base.target.parent == tmp_path / "home" / "onnx" and e.name == "my-embedder"
    assert e.inner.workers == Settings.model_fields["query_workers"].default == 2  # two query calls at once
    torch_ = make_embedder(Settings(data_dir=tmp_path, embedder_model=str(folder), embedder_runtime="torch"))
    assert isinstance(torch_.base, SentenceTransformerEmbedder) and torch_.inner.workers == 1


def test_two_folders_of_one_name_get_two_graphs(tmp_path):
    a, b = _folder(tmp_path / "a" / "model"), _folder(tmp_path / "b" / "model")
    assert OnnxEmbedder(a, "model", tmp_path).target != OnnxEmbedder(b, "model", tmp_path).target


def test_an_unsupported_folder_is_a_clear_error_and_leaves_nothing(tmp_path):
    folder = _folder(tmp_path / "bert", model_type="bert")
    target = tmp_path / "home" / "onnx" / "bert"
    with pytest.raises(OnnxExportError, match="EMBEDDER_RUNTIME=torch") as e:
        onnx_export.export(folder, target)
    assert e.value.folder == folder
    assert not target.exists()


def _fake_exporter(calls: list, fail: bool = False):
    def export_graph(folder, out):
        calls.append(folder)
        out.write_bytes(b"half a graph")
        if fail:
            raise KeyboardInterrupt  # an interrupted export
        return 2e-7
    return export_graph


def test_an_interrupted_export_keeps_the_graph_there_was(tmp_path, monkeypatch):
    folder, target, calls = _folder(tmp_path / "eg"), tmp_path / "onnx" / "eg", []
    monkeypatch.setattr(onnx_export, "_export_graph", _fake_exporter(calls))
    onnx_export.export(folder, target)
    good = (target / onnx_export.GRAPH).read_bytes()
    (folder / "model.safetensors").write_bytes(b"new weights")  # stale now: the next use exports again
    assert not onnx_export.is_current(target, folder)
    monkeypatch.setattr(onnx_export, "_export_graph", _fake_exporter(calls, fail=True))
    with pytest.raises(KeyboardInterrupt):
        onnx_export.export(folder, target)
    assert (target / onnx_export.GRAPH).read_bytes() == good
    assert sorted(p.name for p in target.parent.iterdir()) == ["eg"]  # no half-written directory left


def test_ensure_graph_exports_once_and_again_when_the_weights_change(tmp_path, monkeypatch):
    folder, calls = _folder(tmp_path / "eg"), []
    monkeypatch.setattr(onnx_export, "_export_graph", _fake_exporter(calls))
    e = OnnxEmbedder(folder, "eg", tmp_path / "home")
    first = e.ensure_graph()
    assert e.ensure_graph() == first and len(calls) == 1
    stamp = json.loads((first.parent / onnx_export.STAMP).read_text())
    assert stamp["source"]["folder"] == str(folder.resolve()) and stamp["max_abs_diff"] == 2e-7
    (folder / "model.safetensors").write_bytes(b"other weights, other size")
    e.ensure_graph()
    assert len(calls) == 2


def test_prepare_embedder_exports_the_graph_before_first_use(tmp_path, monkeypatch):
    from sme_ai.assistant import Assistant
    from sme_ai.index.embedder import HashEmbedder

    calls = []
    monkeypatch.setattr(onnx_export, "_export_graph", _fake_exporter(calls))
    asst = Assistant(Settings(data_dir=tmp_path / "kb", home=tmp_path / "home",
                              embedder_model=str(_folder(tmp_path / "eg")), embedder_runtime="onnx"))
    graph = asst.prepare_embedder()
    assert graph.endswith(onnx_export.GRAPH) and Path(graph).is_file() and len(calls) == 1
    assert asst.embedder.base._session is None  # exported, not loaded
    hashed = Assistant(Settings(data_dir=tmp_path / "kb2"), embedder=HashEmbedder())
    assert asst.embedder_needs_graph and not hashed.embedder_needs_graph and hashed.prepare_embedder() == ""


@pytest.mark.parametrize("runtime", ["onnx", "torch"])
def test_models_pull_exports_the_graph_only_where_onnx_runs(tmp_path, monkeypatch, capsys, runtime):
    from sme_ai.cli import _prepare_onnx

    calls = []
    monkeypatch.setattr(onnx_export, "_export_graph", _fake_exporter(calls))
    folder = _folder(tmp_path / "eg")
    settings = Settings(data_dir=tmp_path / "kb", home=tmp_path / "home", embedder_model=str(folder),
                        embedder_runtime=runtime)
    _prepare_onnx(settings, str(folder))
    out = capsys.readouterr().out
    exported = runtime == "onnx"
    assert len(calls) == int(exported) and ("ONNX 已就绪" in out) is exported and ("导出 ONNX" in out) is exported
    _prepare_onnx(settings, "another-model")  # a model the settings do not use as the embedder: nothing
    assert len(calls) == (1 if runtime == "onnx" else 0)


class _FakeSession:
    """ONNX Runtime's session as the embedder calls it: one row per text, the text's length in the first column."""

    def __init__(self):
        self.batches = []

    def run(self, _outputs, feed):
        import numpy as np

        lengths = feed["attention_mask"].sum(axis=1)
        self.batches.append(len(lengths))
        return [np.stack([np.r_[float(n), np.ones(3)] for n in lengths]).astype(np.float32)]


class _FakeTokenizer:
    def __call__(self, texts, **_):
        import numpy as np

        width = max(len(t) for t in texts)
        mask = np.array([[1] * len(t) + [0] * (width - len(t)) for t in texts])
        return {"input_ids": mask.copy(), "attention_mask": mask}


def test_queries_run_in_small_length_sorted_batches_and_come_back_in_order(tmp_path):
    import numpy as np

    from sme_ai.index import onnx_embedder

    e = OnnxEmbedder(_folder(tmp_path / "eg"), "eg", tmp_path, batch_size=16)
    e._session, e._tokenizer, e._prompts, e._max_len = _FakeSession(), _FakeTokenizer(), {}, 512
    texts = ["长" * n for n in (9, 2, 7, 4, 1, 8, 3, 6, 5, 10)]
    vecs = e.embed(texts, "query")
    assert e._session.batches == [onnx_embedder.QUERY_BATCH] * 2 + [2]  # less padding than one batch of ten
    order = np.argsort([len(t) for t in texts])
    assert list(np.argsort(vecs[:, 0])) == list(order)  # row i is text i's vector
    e._session.batches.clear()
    e.embed(texts, "document")
    assert e._session.batches == [10]  # documents keep batch_size
