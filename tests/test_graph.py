"""The scene graph of a keyframe and of a shot, as networkx graphs."""

from __future__ import annotations

import networkx as nx

from storyboard import keyframe_graph, shot_graph


def test_keyframe_graph_nodes_and_edges(storyboard):
    _, s1 = storyboard.shot("s1")
    graph = keyframe_graph(storyboard, s1.keyframes[1])
    assert isinstance(graph, nx.MultiDiGraph)
    assert set(graph.nodes) == {"fox", "owl", "tree"}
    assert graph.nodes["fox"] == {"name": "Fox", "kind": "character",
                                  "box": (0.3, 0.45, 0.5, 0.8), "phrase": "the fox"}
    assert graph.nodes["tree"]["kind"] == "object"
    edges = {(u, v, d["predicate"]) for u, v, d in graph.edges(data=True)}
    assert edges == {("owl", "tree", "on"), ("fox", "tree", "next to")}
    assert all(d["t"] == 1.0 for _, _, d in graph.edges(data=True))
    assert list(graph.successors("owl")) == ["tree"]
    assert list(graph.predecessors("tree")) == ["owl", "fox"]


def test_an_entity_only_in_a_relation_is_a_node_without_a_box(storyboard):
    _, s1 = storyboard.shot("s1")
    keyframe = s1.keyframes[0].model_copy(update={"layout": s1.keyframes[0].layout[1:2]})
    graph = keyframe_graph(storyboard, keyframe)  # only the fox is placed; owl on tree
    assert set(graph.nodes) == {"fox", "owl", "tree"}
    assert graph.nodes["fox"]["box"] is not None
    assert graph.nodes["owl"]["box"] is None and graph.nodes["tree"]["box"] is None
    assert graph.nodes["owl"]["name"] == "Owl"


def test_a_keyframe_without_layout_or_relations_is_an_empty_graph(storyboard):
    _, s1 = storyboard.shot("s1")
    empty = s1.keyframes[0].model_copy(update={"layout": [], "relations": []})
    assert keyframe_graph(storyboard, empty).number_of_nodes() == 0


def test_shot_graph_keeps_boxes_over_time(storyboard):
    _, s1 = storyboard.shot("s1")
    graph = shot_graph(storyboard, s1)
    assert set(graph.nodes) == {"fox", "owl", "tree"}
    assert graph.nodes["fox"]["boxes"] == {0.0: (0.1, 0.55, 0.3, 0.8),
                                           1.0: (0.3, 0.45, 0.5, 0.8)}
    assert graph.nodes["tree"]["boxes"] == {0.0: (0.55, 0.05, 0.9, 0.8),
                                            1.0: (0.55, 0.05, 0.9, 0.8)}
    assert graph.nodes["owl"]["kind"] == "character"
    edges = sorted((u, v, d["predicate"], d["t"]) for u, v, d in graph.edges(data=True))
    assert edges == [("fox", "tree", "next to", 1.0),
                     ("owl", "tree", "on", 0.0), ("owl", "tree", "on", 1.0)]
    assert graph.number_of_edges("owl", "tree") == 2  # one per keyframe: a multigraph


def test_shot_graph_of_a_moving_entity(storyboard):
    _, s2 = storyboard.shot("s2")
    graph = shot_graph(storyboard, s2)
    boxes = graph.nodes["owl"]["boxes"]
    assert sorted(boxes) == [0.0, 0.5, 1.0]
    tops = [boxes[t][1] for t in sorted(boxes)]
    assert tops == sorted(tops, reverse=True)  # the owl rises
    assert graph.number_of_edges() == 0
