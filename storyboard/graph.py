"""The scene graph of a keyframe or a shot as a networkx graph."""

from __future__ import annotations

import networkx as nx

from storyboard.models import Keyframe, Shot, Storyboard


def keyframe_graph(storyboard: Storyboard, keyframe: Keyframe) -> nx.MultiDiGraph:
    """Entities of the keyframe as nodes (name, kind, box, phrase), relations as edges
    carrying their ``predicate``. Entities named only in relations are nodes without a box."""
    entities = storyboard.entity_map
    graph = nx.MultiDiGraph()
    for placement in keyframe.layout:
        entity = entities[placement.entity]
        graph.add_node(entity.id, name=entity.name, kind=entity.kind,
                       box=placement.box, phrase=placement.phrase)
    for relation in keyframe.relations:
        for end in (relation.subject, relation.object):
            if end not in graph:
                entity = entities[end]
                graph.add_node(end, name=entity.name, kind=entity.kind, box=None, phrase="")
        graph.add_edge(relation.subject, relation.object, predicate=relation.predicate,
                       t=keyframe.t)
    return graph


def shot_graph(storyboard: Storyboard, shot: Shot) -> nx.MultiDiGraph:
    """The union of the shot's keyframe graphs: each edge keeps the time ``t`` it holds at;
    each node keeps its boxes over time as ``boxes`` {t: box}."""
    graph = nx.MultiDiGraph()
    for keyframe in shot.keyframes:
        frame = keyframe_graph(storyboard, keyframe)
        for node, data in frame.nodes(data=True):
            boxes = graph.nodes[node]["boxes"] if node in graph else {}
            if data["box"] is not None:
                boxes[keyframe.t] = data["box"]
            graph.add_node(node, name=data["name"], kind=data["kind"], boxes=boxes)
        graph.add_edges_from(frame.edges(data=True))
    return graph
