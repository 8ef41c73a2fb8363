"""The LLM reviser against the loopback OpenAI-compatible server (the real ChatOpenAI
client over HTTP): structured output, certain repairs, re-asking with the error, time."""

from __future__ import annotations

import json

import pytest
from openai_server import OpenAIServer, Reply

from agents.chat_models import resolve_settings
from agents.revise import revise
from agents.revise_llm import revise_with_llm, storyboard_view
from storyboard.edits import apply, dump
from storyboard.errors import UserError

SECRET = "sk-test-revise-0123456789"


@pytest.fixture
def server():
    with OpenAIServer() as running:
        yield running


@pytest.fixture
def settings(server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    return resolve_settings("openai:test-model", max_retries=0, request_timeout=5,
                            llm_timeout=20)


def test_operations_come_through_structured_output(server, settings, storyboard):
    server.push(Reply.json({"operations": [
        {"op": "set_entity", "entity": "owl", "appearance": "a snow-white owl",
         "color": "#ffffff"},
        {"op": "remove_shot", "shot": "s3"}]}))
    proposed = revise(storyboard, "make the owl white, cut shot 3", llm="openai:test-model")
    assert proposed.reviser == "openai:test-model" and proposed.notes == []
    assert dump(proposed.operations) == [
        {"op": "set_entity", "entity": "owl", "appearance": "a snow-white owl",
         "color": "#ffffff"}, {"op": "remove_shot", "shot": "s3"}]
    request = server.requests[0]
    assert request["response_format"]["json_schema"]["name"] == "Edits"
    user = OpenAIServer.user_text(request)
    assert "shot 3 = s3" in user and "- owl: Owl (character)" in user
    assert "make the owl white, cut shot 3" in user
    assert SECRET not in json.dumps(request)


def test_certain_repairs_are_made_and_noted(server, settings, storyboard):
    server.push(Reply.json({"op": "set_camera", "shot": 1, "size": "close up"}))
    proposed = revise_with_llm(storyboard, "a close-up for the first shot", settings)
    assert dump(proposed.operations) == [{"op": "set_camera", "shot": "s1",
                                          "size": "close-up"}]
    assert proposed.notes == ["shot 1 read as shot number 1 (s1)"]
    server.push(Reply.json({"operations": [{"op": "set_entity", "entity": "Owl",
                                            "color": "white"}]}))
    proposed = revise_with_llm(storyboard, "white owl", settings)
    assert dump(proposed.operations) == [{"op": "set_entity", "entity": "owl",
                                          "color": "#f2f2f2"}]
    assert len(server.requests) == 2  # no second question needed


def test_an_unusable_answer_goes_back_with_the_error(server, settings, storyboard):
    server.push(Reply.json({"operations": [{"op": "remove_shot", "shot": "s9"}]}),
                Reply.text("Sure! {\"operations\": [{\"op\": \"remove_shot\","
                           " \"shot\": \"s2\"}]}"))
    proposed = revise_with_llm(storyboard, "cut the owl shot", settings)
    assert dump(proposed.operations) == [{"op": "remove_shot", "shot": "s2"}]
    retry = server.requests[1]["messages"][-1]["content"]
    assert "operation 1 (remove_shot): shot 's9': no such shot; shots are s1, s2, s3" in retry


def test_no_usable_answer_changes_nothing_and_says_why(server, settings, storyboard):
    for _ in range(3):
        server.push(Reply.json({"operations": [{"op": "set_duration", "shot": "s1",
                                                "seconds": 0.01}]}))
    with pytest.raises(UserError, match=r"no usable revision in 3 answer\(s\): operation 1"
                                        r" \(set_duration\): seconds 0.01"):
        revise_with_llm(storyboard, "make shot 1 tiny", settings)
    server.push(Reply.json({"operations": []}))
    with pytest.raises(UserError, match="found no edit it can make"):
        revise_with_llm(storyboard, "sing", settings)


def test_the_whole_revision_is_bounded_in_time(server, monkeypatch, storyboard):
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    settings = resolve_settings("openai:test-model", max_retries=0, request_timeout=5,
                                llm_timeout=0.5)
    server.push(Reply.json({"operations": []}, delay=2.0))
    with pytest.raises(UserError, match=r"no usable revision in time \(--llm-timeout 0.5 s"):
        revise_with_llm(storyboard, "cut shot 1", settings)


def test_the_view_names_every_id(storyboard):
    view = storyboard_view(storyboard)
    assert all(f"= {s.id}:" in view for _, s in storyboard.iter_shots())
    assert "scene cliff: 'a rocky cliff above the valley', night" in view
    assert apply(storyboard, [])  # nothing to apply is a valid board
