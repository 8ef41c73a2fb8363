"""Everything that turns a storyboard into a film: scheduling, the artifact store, the
executors, assembly, the Python API (`director.api`) and the `director` command.

``director.schedule`` and ``director.execute`` are the functions (their modules share the
names: import helpers with ``from director.schedule import ...``). Nothing here imports
torch; model backends load only when an animator that needs them is made."""

from director.execute import RenderReport, execute
from director.project import Project
from director.schedule import schedule
from director.store import Store

__all__ = ["Project", "RenderReport", "Store", "execute", "schedule"]
