"""A page's first event builds its session without the configuration of every block, and what Gradio reads from that
session is what its own SessionState would have given (compared on the app's real page)."""

import pytest

pytest.importorskip("gradio")

from gradio.blocks import BlocksConfig  # noqa: E402
from gradio.state_holder import SessionState, StateHolder  # noqa: E402

from sme_ai.app.context import build_app_context  # noqa: E402
from sme_ai.app.sessions import lazy_session_configs  # noqa: E402
from sme_ai.app.ui import build_app  # noqa: E402
from sme_ai.generate.llm import FakeLLM  # noqa: E402


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    from sme_ai.config import Settings

    root = tmp_path_factory.mktemp("page")
    settings = Settings(data_dir=root / "kb", home=root / "home", embedder="hash", vector_store="memory",
                        app_dir=root / "kb" / "app")
    return build_app(build_app_context(settings, llm=FakeLLM("好[1]。")))


@pytest.fixture
def lazy():
    before = SessionState.__init__
    lazy_session_configs()
    yield getattr(SessionState.__init__, "gradio_init", before)
    SessionState.__init__ = before


def eager_state(gradio_init, page) -> SessionState:
    state = SessionState.__new__(SessionState)
    gradio_init(state, page)
    return state


def counting(monkeypatch) -> list:
    calls = []
    made = BlocksConfig.config_for_block

    def count(*args, **kwargs):
        calls.append(args[0])
        return made(*args, **kwargs)
    monkeypatch.setattr(BlocksConfig, "config_for_block", staticmethod(count))
    return calls


def test_a_new_session_builds_no_block_configuration(page, lazy, monkeypatch):
    calls = counting(monkeypatch)
    eager_state(lazy, page)
    assert len(calls) == len(page.blocks) > 100  # Gradio's own: every block of the page
    calls.clear()
    holder = StateHolder()
    holder.set_blocks(page)
    state = holder["trainee-1"]  # how the queue makes a page's session on its first event
    assert calls == [] and isinstance(state.config_values, dict)
    assert len(state.config_values) == len(page.blocks)


def test_what_gradio_reads_is_what_its_own_session_gives(page, lazy, monkeypatch):
    eager, state = eager_state(lazy, page), SessionState(page)
    some = next(iter(page.blocks))
    assert some in state.config_values and state.config_values[some] == eager.config_values[some]
    assert state.config_values.get(-1) is None and -1 not in state.config_values
    textbox = next(k for k, b in page.blocks.items() if type(b).__name__ == "Textbox")
    for s in (eager, state):
        s._update_value_in_config(textbox, "学员的问题")  # a deep link keeps what the page shows
    assert state.config_values[textbox]["props"]["value"] == "学员的问题"
    assert dict(state.config_values.items()) == eager.config_values
    assert list(state.components) == list(eager.components)  # the deep link's page, block for block


def test_a_block_replaced_in_the_session_is_configured_as_replaced(page, lazy):
    eager, state = eager_state(lazy, page), SessionState(page)
    key, block = next((k, b) for k, b in page.blocks.items() if type(b).__name__ == "Markdown")
    replaced = type(block)(value="新的说明", visible=False)
    for s in (eager, state):
        s[key] = replaced
        s._update_config(key)  # as Gradio's own update path does after replacing a block
    assert state.config_values[key]["props"]["value"] == "新的说明"
    assert state.config_values[key] == eager.config_values[key]
    assert dict(state.config_values.items()) == eager.config_values


def test_installed_once(lazy):
    installed = SessionState.__init__
    lazy_session_configs()
    assert SessionState.__init__ is installed and installed.gradio_init is lazy
