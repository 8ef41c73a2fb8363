"""The planner against servers that behave like local ones (tests/openai_server.py over
real HTTP on 127.0.0.1): a server that refuses ``json_schema`` with HTTP 500, one that
ignores the token limit and streams forever, one that streams slowly, one that cuts
answers at the limit. Each ends in a valid storyboard or in one clear line, and nothing
is written on failure. Budgets are small so that the tests stay fast."""

from __future__ import annotations

import copy
import json

import pytest
from openai_server import OpenAIServer, Reply
from test_llm_planner import GOOD_PLAN, layout_for

from agents.chat_models import resolve_settings
from agents.json_stream import JsonScanner, parse_cut
from agents.llm_planner import LLMPlanner, plan_with_llm
from agents.structured_output import stderr_progress
from director.cli import main
from storyboard import UserError, validate


def step_of(request: dict) -> str:
    """Which planning step a request is, whatever the request format."""
    system = OpenAIServer.system_text(request)
    return "plan" if system.startswith("You are the planner") else "layout"


def answer(request: dict) -> str:
    return json.dumps(GOOD_PLAN if step_of(request) == "plan" else layout_for(request))


def request_format(request: dict) -> str:
    if request.get("tools"):
        return "tools"
    return (request.get("response_format") or {}).get("type", "none")


@pytest.fixture
def server():
    with OpenAIServer() as running:
        yield running


def settings_for(server, **overrides):
    return resolve_settings("openai:local-model", base_url=server.base_url, env={},
                            **{"max_retries": 1, "request_timeout": 10, "llm_timeout": 60,
                               **overrides})


# -- the request format adapts ------------------------------------------------------------
def test_auto_falls_back_from_json_schema_and_keeps_what_worked(server):
    def respond(request: dict) -> Reply:
        if request_format(request) == "json_schema":
            return Reply.refusing_json_schema()
        return Reply.text(answer(request))

    server.responder = respond
    result = plan_with_llm("a fox learns to fly", settings_for(server))
    validate(result.storyboard)
    formats = [request_format(r) for r in server.requests]
    # refused once (not retried: a refusal says the same again), then json_mode throughout
    assert formats == ["json_schema", "json_object", "json_object", "json_object"]
    assert "JSON Schema of the answer" in OpenAIServer.system_text(server.requests[1])
    refused = [n for n in result.notes if "refused the request format" in n]
    assert len(refused) == 1 and "json_schema (HTTP 500)" in refused[0]
    assert "planning used json_mode" in refused[0]
    # a second plan in the same run asks the way that worked at once
    plan_with_llm("an owl at night", settings_for(server))
    assert request_format(server.requests[4]) == "json_object"


def test_auto_goes_on_to_function_calling_and_then_plain_json(server):
    def respond(request: dict) -> Reply:
        if request.get("response_format"):
            return Reply(status=400, content="response_format is not supported")
        if request.get("tools"):
            return Reply(status=422, content="unknown field: tools")
        return Reply.text("Sure:\n```json\n" + answer(request) + "\n```")

    server.responder = respond
    result = plan_with_llm("a fox learns to fly", settings_for(server))
    formats = [request_format(r) for r in server.requests]
    assert formats[:4] == ["json_schema", "json_object", "tools", "none"]
    assert set(formats[4:]) == {"none"}
    assert any("planning used plain JSON with the schema in the instructions" in n
               for n in result.notes)
    assert "JSON Schema of the answer" in OpenAIServer.system_text(server.requests[3])


def test_function_calling_after_json_modes_are_refused(server):
    def respond(request: dict) -> Reply:
        if request.get("response_format"):
            return Reply(status=500, content="'response_format' is not supported")
        return Reply(tool_call=answer(request))

    server.responder = respond
    board = plan_with_llm("a fox learns to fly", settings_for(server)).storyboard
    assert board.title == GOOD_PLAN["title"]
    assert [request_format(r) for r in server.requests][2:] == ["tools"] * 3


def test_an_explicit_setting_is_used_as_given_and_fails_in_one_clear_line(
        server, tmp_path, capsys):
    server.responder = lambda r: Reply.refusing_json_schema()
    (tmp_path / "director.toml").write_text('structured_output = "json_schema"\n'
                                            f'base_url = "{server.base_url}"\n')
    output = tmp_path / "board.json"
    with pytest.raises(SystemExit) as exit_:
        main(["plan", "a fox learns to fly", "--llm", "openai:m", "--project",
              str(tmp_path), "-o", str(output)])
    assert exit_.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "HTTP 500" in err[0]
    assert "json_schema" in err[0]
    assert len(server.requests) == 1 and not output.exists()


# -- bounded answers ----------------------------------------------------------------------
def test_every_request_carries_a_token_limit_sized_to_its_step(server):
    server.responder = lambda r: Reply.text(answer(r))
    plan_with_llm("a fox learns to fly", settings_for(server))
    limits = [(r["max_tokens"], r["max_completion_tokens"]) for r in server.requests]
    assert all(a == b for a, b in limits)  # both fields, for old and new servers
    plan, *layouts = [a for a, _ in limits]
    assert layouts and all(100 < limit < plan for limit in layouts)
    assert all(r["stream"] for r in server.requests)


def test_a_model_that_never_stops_is_read_only_until_its_json_closes(server):
    server.responder = lambda r: Reply.text(answer(r), forever=" and so the story goes on")
    result = plan_with_llm("a fox learns to fly", settings_for(server, llm_timeout=20))
    assert result.storyboard.title == GOOD_PLAN["title"] and len(server.requests) == 3
    assert not [n for n in result.notes if "offline" in n]


def test_a_model_that_repeats_inside_its_json_is_cut_at_the_limit_and_used(server):
    shot = GOOD_PLAN["scenes"][0]["shots"][0]
    start = json.dumps({**GOOD_PLAN, "scenes": [{**GOOD_PLAN["scenes"][0],
                                                 "shots": [shot]}]})[:-4]  # shots left open

    def respond(request: dict) -> Reply:
        if step_of(request) == "plan":  # ignores the limit: the same shot forever
            return Reply.text(start, forever=", " + json.dumps(shot))
        return Reply.text(answer(request))

    server.responder = respond
    result = plan_with_llm("a fox learns to fly", settings_for(server))
    validate(result.storyboard)
    shots = [s for _, s in result.storyboard.iter_shots()]
    assert len(shots) == 1  # the repeats are dropped
    assert any("plan: the answer reached its token limit" in n for n in result.notes), result.notes
    assert any("repeated shot dropped" in n for n in result.notes)


def test_an_answer_cut_before_anything_usable_is_asked_again_shorter(server):
    wordy = copy.deepcopy(GOOD_PLAN)
    wordy["entities"] = [{"name": f"Tree {i}", "appearance": "a tall tree " * 30}
                         for i in range(40)] + wordy["entities"]

    def respond(request: dict) -> Reply:
        if step_of(request) == "layout":
            return Reply.text(answer(request))
        if "cut off at the length limit" in request["messages"][-1]["content"]:
            return Reply.json(GOOD_PLAN)
        return Reply.json(wordy)  # the server stops it at max_tokens

    server.responder = respond
    result = plan_with_llm("a fox learns to fly", settings_for(server))
    assert result.storyboard.title == GOOD_PLAN["title"]
    first, again = server.requests[:2]
    assert again["messages"][-1]["content"].startswith("Your answer was cut off")
    assert "plan at most" in again["messages"][-1]["content"]
    assert again["max_tokens"] == first["max_tokens"]


# -- a plan within the budget -------------------------------------------------------------
def test_a_slow_model_ends_in_a_plan_within_the_budget_with_progress(server, capsys):
    def respond(request: dict) -> Reply:
        if step_of(request) == "plan":  # a few tokens a second: too slow for its share
            return Reply.text(answer(request), token_delay=0.1)
        return Reply.text(answer(request))

    server.responder = respond
    settings = settings_for(server, llm_timeout=3)
    result = LLMPlanner(settings, progress=stderr_progress(first_after=0.3, every=0.3)).plan(
        "A fox lives in a snowy forest. One night she watches an owl fly over the moon.")
    validate(result.storyboard)
    notes = "\n".join(result.notes)
    assert "scenes and shots were planned by the offline director" in notes
    assert "within the step's share of --llm-timeout" in notes
    assert "the model planned" in notes  # the layouts were the model's
    err = capsys.readouterr().err
    assert "planning: step 1 of" in err and "(plan)" in err and "tokens received" in err


def test_an_unreachable_server_is_one_clear_line_and_nothing_is_written(tmp_path, capsys,
                                                                        monkeypatch):
    with OpenAIServer() as gone:
        url = gone.base_url  # closed when the block ends: nothing listens there
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    output = tmp_path / "board.json"
    with pytest.raises(SystemExit) as exit_:
        main(["plan", "a fox learns to fly", "--llm", "openai:m", "-o", str(output),
              "--llm-timeout", "5"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 1 and len(err) == 1 and "cannot reach" in err[0]
    assert not output.exists()


def test_a_server_that_streams_forever_without_json_ends_in_one_clear_line(server):
    server.responder = lambda r: Reply.text("Let me think.", forever=" Hmm, let me think.")
    with pytest.raises(UserError, match="gave no usable plan") as caught:
        plan_with_llm("a fox learns to fly", settings_for(server, llm_timeout=20,
                                                          max_attempts=1))
    assert "Let me think." in str(caught.value)


# -- reading a stream ---------------------------------------------------------------------
def test_the_scanner_finds_where_the_value_closes():
    scanner = JsonScanner()
    assert scanner.feed('Here: {"a": "} and { in a string", "b": [1, ') is None
    assert scanner.feed('{"c": "\\"}"}]} and more text {') == len(
        'Here: {"a": "} and { in a string", "b": [1, {"c": "\\"}"}]}')
    assert json.loads(scanner.value_text[:scanner.value_text.index(" and more")])["b"][1] == {
        "c": '"}'}


def test_a_cut_answer_keeps_only_its_complete_elements():
    text = '{"title": "T", "shots": [{"d": "one", "k": [0, 1]}, {"d": "two", "k": [{"t": 0'
    scanner = JsonScanner()
    assert scanner.feed(text) is None
    keyframe_dropped, shot_dropped = parse_cut(scanner.value_text, scanner.open)
    assert keyframe_dropped == {"title": "T", "shots": [{"d": "one", "k": [0, 1]},
                                                        {"d": "two", "k": []}]}
    assert shot_dropped == {"title": "T", "shots": [{"d": "one", "k": [0, 1]}]}
    assert parse_cut('{"a": [1, 2', ["{", "["]) == [{"a": [1, 2]}]


def test_an_unusable_answer_then_no_time_is_said_as_unusable(server):
    no_entities = json.dumps({**GOOD_PLAN, "entities": []})

    def respond(request: dict) -> Reply:
        if step_of(request) != "plan":
            return Reply.text(answer(request))
        if sum(step_of(r) == "plan" for r in server.requests) == 1:
            return Reply.text(no_entities)  # ignores the story: sent back
        return Reply.text('{"title": "', token_delay=0.2, forever="la ")  # too slow to finish

    server.responder = respond
    result = plan_with_llm("A fox learns to fly. An owl teaches it.",
                           settings_for(server, llm_timeout=8))
    validate(result.storyboard)
    assert result.offline_steps == ["plan"] and result.model_steps
    filled = next(n for n in result.notes if "planned by the offline director" in n)
    assert "unusable" in filled and "did not come" not in filled
