"""The web studio: one local page to make a film, watch it, revise it by chat, edit its
storyboard and go back to an earlier version (``director studio``; needs the ``studio``
extra). A client of the Python API only: it plans, revises and renders through
``director.api`` like the command line.

    workspace.py   the project folder opened: what the page shows, the actions it offers
    jobs.py        background work, one job per project at a time
    progress.py    what a job is doing (the executor's progress listener)
    handlers.py    the page's events, free of Gradio
    app.py         the Gradio page and its wiring; serving it privately
"""
