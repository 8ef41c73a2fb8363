"""The studio's page on Gradio: its layout, and the wiring of its events to the handlers.

Private by default: it binds 127.0.0.1, makes no share link unless asked, sends no
analytics and checks no version, and serves only files of the project folder (Gradio's
copies of the films and sheets live there too, in ``DIR/studio/cache``).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

from director.studio.handlers import Handlers, Update
from director.studio.workspace import Workspace

PRIVATE_ENVIRONMENT = {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1",
                       "HF_HUB_DISABLE_TELEMETRY": "1"}
"""Set before Gradio is imported: no analytics, no version check, no hub look-ups."""


def import_gradio(cache: Path):
    """Gradio, imported with the private settings and its file cache in ``cache``."""
    os.environ.update(PRIVATE_ENVIRONMENT)
    os.environ["GRADIO_TEMP_DIR"] = str(cache)
    import gradio

    return gradio


def build(workspace: Workspace):
    """The studio's page (a ``gradio.Blocks``) for ``workspace``; not launched."""
    from animator.diffusion.presets import PRESETS
    from animator.registry import available

    gr = import_gradio(workspace.root / "studio" / "cache")
    handlers = Handlers(workspace)
    settings = workspace.settings

    with gr.Blocks(title="director studio", analytics_enabled=False) as page:
        watching = gr.State(None)
        timer = gr.Timer(0.5, active=False)
        with gr.Row(elem_id="header"):
            gr.Markdown(f"# director studio\n`{workspace.root}`", elem_id="title")
            with gr.Column(elem_id="messages"):
                error = gr.Markdown("", elem_id="error")
                notice = gr.Markdown("", elem_id="notice")
        with gr.Row(equal_height=False):
            with gr.Column(scale=4, min_width=340, elem_id="chat-column"):
                chat = gr.Chatbot(show_label=False, elem_id="chat", height=600,
                                  group_consecutive_messages=False,
                                  placeholder="Describe a film to make it. Then say what to"
                                              " change: *make the fox white*, *cut shot 2*.",
                                  feedback_options=None, buttons=["copy"])
                with gr.Row(elem_id="composer"):
                    request = gr.Textbox(show_label=False, elem_id="request", scale=5,
                                         placeholder="A fox watches an owl fly over the moon…",
                                         lines=1, max_lines=4, submit_btn=False)
                    send = gr.Button("Send", variant="primary", scale=1, min_width=80,
                                     elem_id="send")
                progress = gr.Markdown("", elem_id="progress")
            with gr.Column(scale=6, min_width=420, elem_id="film-column"):
                film_label = gr.Markdown("", elem_id="film-label")
                film = gr.Video(show_label=False, elem_id="film", interactive=False,
                                height=360, buttons=["download"])
                render = gr.Button("Render the current version", visible=False,
                                   elem_id="render")
                gr.Markdown("Contact sheet", elem_id="sheet-label")
                sheet = gr.Image(show_label=False, elem_id="sheet", type="filepath",
                                 interactive=False, buttons=["fullscreen", "download"])
        with gr.Tabs(elem_id="tabs"):
            with gr.Tab("Versions", elem_id="versions-tab"), gr.Row():
                versions = gr.Radio(label="Versions (newest first) and the chat turn that"
                                          " made each", elem_id="versions", scale=3)
                with gr.Column(scale=2):
                    compare = gr.Markdown("", elem_id="compare")
                    restore = gr.Button("Restore this version", elem_id="restore")
                    with gr.Row():
                        undo = gr.Button("Undo", elem_id="undo", size="sm")
                        redo = gr.Button("Redo", elem_id="redo", size="sm")
            with gr.Tab("Storyboard JSON", elem_id="editor-tab"):
                editor = gr.Code(language="json", elem_id="editor", lines=18, max_lines=30,
                                 label="The current version's storyboard: edit it, then Apply")
                with gr.Row():
                    apply = gr.Button("Apply", variant="primary", elem_id="apply", scale=0,
                                      min_width=120)
                    edit_message = gr.Markdown("", elem_id="edit-message")
            with gr.Tab("Render report", elem_id="report-tab"):
                report = gr.Markdown("", elem_id="report")
            with gr.Tab("Settings", elem_id="settings-tab"), gr.Row():
                animator = gr.Dropdown(available(), value=settings.animator, label="Animator",
                                       elem_id="animator")
                preset = gr.Dropdown(["", *PRESETS], value=settings.preset or "",
                                     label="Preset (diffusion)", elem_id="preset")
                llm = gr.Textbox(value=settings.llm or "", label="LLM",
                                 placeholder="offline, or openai:MODEL (empty: configured)",
                                 elem_id="llm")
                workers = gr.Number(value=settings.workers, label="Workers", precision=0,
                                    minimum=1, elem_id="workers")
                save_settings = gr.Button("Save settings", elem_id="save-settings", scale=0)

        components = {"chat": chat, "request": request, "error": error, "notice": notice,
                      "progress": progress, "film": film, "film_label": film_label,
                      "sheet": sheet, "editor": editor, "edit_message": edit_message,
                      "versions": versions, "compare": compare, "report": report,
                      "render_button": render, "settings": (animator, llm, workers, preset),
                      "polling": timer, "watching": watching}
        outputs = [c for part in components.values()
                   for c in (part if isinstance(part, tuple) else (part,))]

        def shown(update: Update) -> list[Any]:
            return _outputs(gr, components, update)

        page.load(lambda: shown(handlers.load()), outputs=outputs)
        for event in (send.click, request.submit):
            event(lambda text: shown(handlers.send(text)), inputs=request, outputs=outputs)
        apply.click(lambda text: shown(handlers.apply_edit(text)), inputs=editor,
                    outputs=outputs)
        render.click(lambda: shown(handlers.render_latest()), outputs=outputs)
        versions.input(lambda v: shown(handlers.compare(v)), inputs=versions, outputs=outputs)
        restore.click(lambda v: shown(handlers.restore(v)), inputs=versions, outputs=outputs)
        undo.click(lambda: shown(handlers.undo()), outputs=outputs)
        redo.click(lambda: shown(handlers.redo()), outputs=outputs)
        save_settings.click(lambda a, m, w, p: shown(handlers.configure(a, m, w, p)),
                            inputs=[animator, llm, workers, preset], outputs=outputs)
        timer.tick(lambda w: shown(handlers.poll(w)), inputs=watching, outputs=outputs,
                   show_progress="hidden")
    return page


def _outputs(gr, components: dict[str, Any], update: Update) -> list[Any]:
    """The values for every output component: a part not in ``update`` is skipped."""
    values: list[Any] = []
    for name, part in components.items():
        if name not in update:
            values += [gr.skip()] * (len(part) if isinstance(part, tuple) else 1)
            continue
        value = update[name]
        if name == "film":
            path, subtitles = value
            values.append(gr.Video(value=str(path) if path else None,
                                   subtitles=str(subtitles) if subtitles else None))
        elif name == "sheet":
            values.append(str(value) if value else None)
        elif name == "versions":
            choices, selected = value
            values.append(gr.Radio(choices=choices, value=selected))
        elif name == "render_button":
            values.append(gr.Button(visible=bool(value)))
        elif name == "settings":
            values += [value.animator, value.llm or "", value.workers, value.preset or ""]
        elif name == "polling":
            values.append(gr.Timer(active=bool(value)))
        else:
            values.append(value)
    return values


def serve(workspace: Workspace, *, host: str = "127.0.0.1", port: int = 7860,
          share: bool = False, block: bool = True):
    """Build the page and serve it; returns Gradio's (app, local url, share url) when
    ``block`` is false, else serves until interrupted."""
    page = build(workspace)
    page.queue(default_concurrency_limit=4)
    css = resources.files("director.studio").joinpath("style.css").read_text("utf-8")
    import gradio as gr

    return page.launch(server_name=host, server_port=port, share=share,
                       allowed_paths=[str(workspace.root)], prevent_thread_lock=not block,
                       theme=gr.themes.Soft(primary_hue="indigo", neutral_hue="slate"),
                       css=css, ssr_mode=False, show_error=True, quiet=not share,
                       footer_links=[], pwa=False, mcp_server=False)
