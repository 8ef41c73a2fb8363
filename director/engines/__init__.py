"""Engines: they run the batches that ``director.policy`` hands them and report each
job's end back to it. ``local`` (a thread pool in this process) is the default; what a
batch does is in ``director.engines.batches``."""
