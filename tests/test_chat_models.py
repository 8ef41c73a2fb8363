"""Chat-model settings and the ChatOpenAI factory, against a real loopback server."""

from __future__ import annotations

import logging
import random
import time

import pytest
from openai_server import OpenAIServer, Reply

from agents.chat_models import (
    LLMSettings,
    _retry_after,
    call_with_retries,
    key_note,
    make_chat_model,
    read_config,
    resolve_settings,
)
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


def model_for(server, **overrides):
    env = {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": SECRET}
    settings = resolve_settings("openai:m", env=env, **overrides)
    return settings, make_chat_model(settings, env=env)


def test_the_client_itself_never_retries():
    import openai

    with OpenAIServer() as server:
        server.push(Reply.error(500), Reply.text("too late"))
        _, model = model_for(server, max_retries=3)
        with pytest.raises(openai.InternalServerError):
            model.invoke("hi")
        assert len(server.requests) == 1  # retries are call_with_retries', within the budget


@pytest.mark.parametrize("status", [429, 500, 503])
def test_429_and_5xx_are_retried_then_succeed(status):
    waits: list[float] = []
    with OpenAIServer() as server:
        server.push(Reply.error(status), Reply.error(status), Reply.text("finally"))
        settings, model = model_for(server, max_retries=2)
        answer = call_with_retries(lambda timeout: model.invoke("hi", timeout=timeout),
                                   settings, time.monotonic() + 30, sleep=waits.append)
        assert answer.content == "finally" and len(server.requests) == 3
    assert waits == [0.01, 0.01]  # retry-after-ms: 10


def test_retries_are_bounded_and_back_off_with_jitter():
    import openai

    waits: list[float] = []
    with OpenAIServer() as server:
        server.push(*[Reply(status=500)] * 5)  # no retry-after: exponential backoff
        settings, model = model_for(server, max_retries=2)
        with pytest.raises(openai.InternalServerError):
            call_with_retries(lambda timeout: model.invoke("hi", timeout=timeout), settings,
                              time.monotonic() + 30, sleep=waits.append,
                              rng=random.Random(1))
        assert len(server.requests) == 3
    assert 0.375 <= waits[0] <= 0.5 and 0.75 <= waits[1] <= 1.0


def test_a_retry_after_longer_than_the_budget_is_not_waited_for():
    import openai

    waits: list[float] = []
    with OpenAIServer(lambda request: Reply(status=429, headers={"retry-after": "4"})) as server:
        settings, model = model_for(server, max_retries=5)
        with pytest.raises(openai.RateLimitError):
            call_with_retries(lambda timeout: model.invoke("hi", timeout=timeout), settings,
                              time.monotonic() + 1, sleep=waits.append)
        assert len(server.requests) == 1 and waits == []


def test_each_try_gets_at_most_the_time_left():
    timeouts: list[float] = []
    settings = resolve_settings("openai:m", env={}, request_timeout=100)
    start = time.monotonic()
    call_with_retries(timeouts.append, settings, start + 5)
    assert 0 < timeouts[0] <= 5
    with pytest.raises(TimeoutError):
        call_with_retries(timeouts.append, settings, start - 1)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", float("nan"), float("inf")])
def test_timeouts_must_be_finite(value):
    with pytest.raises(UserError, match="finite"):
        resolve_settings("openai:m", llm_timeout=value, env={})
    with pytest.raises(UserError, match="finite"):
        resolve_settings("openai:m", env={"DIRECTOR_LLM_TIMEOUT": str(value)})
    with pytest.raises(UserError, match="finite"):
        resolve_settings("openai:m", env={}, request_timeout=value)


@pytest.mark.parametrize("overrides, words", [
    ({"request_timeout": -1}, "must be positive"),
    ({"request_timeout": "soon"}, "must be a number"),
    ({"max_retries": 1.5}, "must be a number"),
    ({"max_retries": True}, "must be a number"),
    ({"temperature": float("nan")}, "finite"),
    ({"base_url": 5}, "must be text"),
    ({"api_key": "sk-x"}, "unknown LLM setting"),
])
def test_every_override_is_checked(overrides, words):
    with pytest.raises(UserError, match=words) as caught:
        resolve_settings("openai:m", env={}, **overrides)
    assert "\n" not in str(caught.value) and "sk-x" not in str(caught.value)


def test_a_server_named_only_by_the_project_config_never_gets_the_key(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    with OpenAIServer() as server:
        (tmp_path / "director.toml").write_text(
            f'llm = "openai:m"\nbase_url = "{server.base_url}"\n')
        env = {"OPENAI_API_KEY": SECRET}
        settings = resolve_settings(project=tmp_path, env=env)
        assert settings.base_url_from_config
        server.push(Reply.text("ok"), Reply.text("ok"))
        assert make_chat_model(settings, env=env).invoke("hi").content == "ok"
        assert SECRET not in server.headers[0]["authorization"]
        assert "OPENAI_API_KEY is not sent to" in caplog.text and SECRET not in caplog.text
        assert key_note(settings, env) is not None
        # the same URL named by the environment too: the user chose it, the key goes
        env = {**env, "OPENAI_BASE_URL": server.base_url}
        trusted = resolve_settings(project=tmp_path, env=env)
        assert not trusted.base_url_from_config and key_note(trusted, env) is None
        make_chat_model(trusted, env=env).invoke("hi")
        assert server.headers[1]["authorization"] == f"Bearer {SECRET}"


def test_the_key_is_sent_but_never_logged(caplog, capsys):
    caplog.set_level(logging.DEBUG)
    with OpenAIServer() as server:
        server.push(Reply.error(500), Reply.text("ok"))
        env = {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": SECRET}
        settings = resolve_settings("openai:m", env=env)
        model = make_chat_model(settings, env=env)
        assert call_with_retries(lambda timeout: model.invoke("hi", timeout=timeout), settings,
                                 time.monotonic() + 30).content == "ok"
        assert server.headers[0]["authorization"] == f"Bearer {SECRET}"
        assert SECRET not in repr(model) and SECRET not in str(model.model_dump())
    captured = capsys.readouterr()
    assert caplog.records, "debug logging was on, so the client logged something"
    assert SECRET not in caplog.text + captured.out + captured.err


@pytest.mark.parametrize("headers, wait", [
    ({"retry-after": "0"}, None), ({"retry-after-ms": "0"}, None),
    ({"retry-after": "Mon, 01 Jan 2001 00:00:00 GMT"}, None),  # a date in the past
    ({"retry-after": "2.5"}, 2.5), ({"retry-after-ms": "1500"}, 1.5), ({}, None),
    ({"retry-after": "soon"}, None),
])
def test_retry_after_asks_for_a_wait_only_when_positive(headers, wait):
    assert _retry_after(headers) == wait


def test_a_retry_after_date_without_a_zone_is_read_as_gmt():
    import email.utils

    future = email.utils.formatdate(time.time() + 30, usegmt=False).replace(" -0000", "")
    assert 25 < _retry_after({"retry-after": future}) <= 31
