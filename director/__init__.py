"""Everything that turns a storyboard into a film: scheduling, the artifact store, the
executors, assembly, the Python API (`director.api`) and the `director` command."""
