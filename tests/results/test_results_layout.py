"""How the result modules are put together: one store, list keys from the generated tables.

(No private name imported across modules: tests/unit/test_private_imports.py, for the whole package.)
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import rekotrack
from rekotrack._compact import ItemStore
from rekotrack._generated.models import LIST_KEYS
from rekotrack._results import TrackingResult
from rekotrack._results_store import PersonStore

SRC = Path(rekotrack.__file__).resolve().parent


def test_job_results_writes_no_list_key() -> None:
    # The list keys come from the generated LIST_KEYS, not from strings written again by hand.
    tree = ast.parse((SRC / "_job_results.py").read_text(encoding="utf-8"))
    strings = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    keys = set(LIST_KEYS.values()) - {"Persons"}  # "Persons" is also a member name of FaceSearch items
    assert not keys & strings


def test_person_detections_live_on_the_one_item_store() -> None:
    result = TrackingResult.from_detections(
        [{"Timestamp": 1, "Person": {"Index": 0, "Face": {"Confidence": 99.0, "Landmarks": [{"Type": "nose"}]}}}]
    )
    store = result._store
    assert isinstance(store, PersonStore)
    assert isinstance(store.rest, ItemStore)
    assert len(store.rest) == 1  # the face went to the generic store, its string kept in the shape
    assert store.rest.strings == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(1 << 70), max_value=1 << 70)
    | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=6), json_values, max_size=5), max_size=6))
def test_store_without_interning_round_trips_any_json_objects(items: list[dict[str, Any]]) -> None:
    store = ItemStore(intern_strings=False)
    for item in items:
        store.append(item)
    assert json.dumps(list(store)) == json.dumps(items)  # values, types (int vs float) and key order
    assert len(store.string_refs) == 0
