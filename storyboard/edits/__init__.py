"""Edit operations on a storyboard: the closed set of typed edits a reviser produces, their
JSON form and JSON Schema, and :func:`apply`, which returns a new valid storyboard."""

from storyboard.edits.apply import (
    EditError,
    apply,
    describe,
    dump,
    new_id,
    operations_schema,
    parse_operations,
)
from storyboard.edits.operations import OPERATION_NAMES, OPERATION_TYPES, Edits, Operation

__all__ = ["OPERATION_NAMES", "OPERATION_TYPES", "EditError", "Edits", "Operation", "apply",
           "describe", "dump", "new_id", "operations_schema", "parse_operations"]
