"""Chat-model settings and the ChatOpenAI factory, against a real loopback server."""

from __future__ import annotations

import logging

import pytest
from openai_server import OpenAIServer, Reply

from agents.chat_models import LLMSettings, make_chat_model, read_config, resolve_settings
from storyboard.errors import UserError

SECRET = "sk-test-0123456789-secret"


def test_defaults_are_offline():
    settings = resolve_settings(env={})
    assert settings.is_offline and settings == LLMSettings()


def test_flags_beat_environment_beat_config_file(tmp_path):
    (tmp_path / "director.toml").write_text(
        'llm = "openai:from-file"\nllm_timeout = 30\nmax_retries = 5\n'
        'base_url = "http://127.0.0.1:9/v1"\n')
    from_file = resolve_settings(project=tmp_path, env={})
    assert (from_file.llm, from_file.llm_timeout, from_file.max_retries, from_file.base_url) \
        == ("openai:from-file", 30.0, 5, "http://127.0.0.1:9/v1")
    env = {"DIRECTOR_LLM": "openai:from-env", "DIRECTOR_LLM_TIMEOUT": "20",
           "OPENAI_BASE_URL": "http://127.0.0.1:8/v1"}
    from_env = resolve_settings(project=tmp_path, env=env)
    assert (from_env.llm, from_env.llm_timeout, from_env.base_url) \
        == ("openai:from-env", 20.0, "http://127.0.0.1:8/v1")
    from_flags = resolve_settings("openai:from-flag", llm_timeout=10, project=tmp_path, env=env)
    assert (from_flags.llm, from_flags.llm_timeout, from_flags.max_retries) \
        == ("openai:from-flag", 10.0, 5)


def test_json_config_and_a_director_table(tmp_path):
    (tmp_path / "director.json").write_text('{"llm": "openai:m", "request_timeout": 3}')
    assert read_config(tmp_path) == {"llm": "openai:m", "request_timeout": 3}
    (tmp_path / "director.toml").write_text('[director]\nllm = "offline"\n')
    assert read_config(tmp_path) == {"llm": "offline"}


@pytest.mark.parametrize("text, words", [
    ('api_key = "sk-abc"\n', "OPENAI_API_KEY"),
    ('llm = "openai:m"\ncolour = 1\n', "unknown setting"),
    ('llm_timeout = "soon"\n', "must be a number"),
    ('llm = [\n', "cannot read"),
])
def test_bad_config_files_give_one_clear_error(tmp_path, text, words):
    (tmp_path / "director.toml").write_text(text)
    with pytest.raises(UserError, match=words) as caught:
        resolve_settings(project=tmp_path, env={})
    assert "sk-abc" not in str(caught.value)


@pytest.mark.parametrize("llm", ["gpt-4o", "openai:", "anthropic:claude"])
def test_unknown_llm_names(llm):
    with pytest.raises(UserError, match="use 'offline' or 'openai:MODEL'"):
        resolve_settings(llm, env={})


def test_openai_without_key_or_server_says_what_to_set():
    with pytest.raises(UserError, match="set OPENAI_API_KEY"):
        make_chat_model(resolve_settings("openai:gpt-4o-mini", env={}), env={})


def test_local_server_needs_no_key():
    with OpenAIServer() as server:
        server.push(Reply.text("hello"))
        env = {"OPENAI_BASE_URL": server.base_url}
        model = make_chat_model(resolve_settings("openai:llama3", env=env), env=env)
        assert model.invoke("hi").content == "hello"
        assert server.requests[0]["model"] == "llama3"


@pytest.mark.parametrize("status", [429, 500, 503])
def test_429_and_5xx_are_retried_then_succeed(status):
    with OpenAIServer() as server:
        server.push(Reply.error(status), Reply.error(status), Reply.text("finally"))
        env = {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": SECRET}
        model = make_chat_model(resolve_settings("openai:m", env=env, max_retries=2), env=env)
        assert model.invoke("hi").content == "finally"
        assert len(server.requests) == 3


def test_retries_are_bounded():
    import openai

    with OpenAIServer() as server:
        server.push(*[Reply.error(500)] * 5)
        env = {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": SECRET}
        model = make_chat_model(resolve_settings("openai:m", env=env, max_retries=1), env=env)
        with pytest.raises(openai.InternalServerError):
            model.invoke("hi")
        assert len(server.requests) == 2


def test_the_key_is_sent_but_never_logged(caplog, capsys):
    caplog.set_level(logging.DEBUG)
    with OpenAIServer() as server:
        server.push(Reply.error(500), Reply.text("ok"))
        env = {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": SECRET}
        model = make_chat_model(resolve_settings("openai:m", env=env), env=env)
        assert model.invoke("hi").content == "ok"
        assert server.headers[0]["authorization"] == f"Bearer {SECRET}"
        assert SECRET not in repr(model) and SECRET not in str(model.model_dump())
    captured = capsys.readouterr()
    assert caplog.records, "debug logging was on, so the client logged something"
    assert SECRET not in caplog.text + captured.out + captured.err
