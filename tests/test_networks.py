"""Networks: co-responsibility over distinct tasks, co-word with Ochiai weights, communities, Gephi export.

Expected values are worked out by hand from the small frames below.
"""

from __future__ import annotations

import math

import networkx as nx
import pandas as pd
import pytest

from streetlib import networks


@pytest.fixture
def tasks() -> pd.DataFrame:
    # t1 and t2 are one task (key K1) in two lists; t2 adds department C. t4 is D's task alone.
    return pd.DataFrame(
        {
            "task_id": ["t1", "t2", "t3", "t4"],
            "task_key": ["K1", "K1", "K3", "K4"],
            "year": [2021, 2022, 2022, 2021],
        }
    )


@pytest.fixture
def links() -> pd.DataFrame:
    rows = [("t1", "A"), ("t1", "B"), ("t2", "A"), ("t2", "B"), ("t2", "C"), ("t3", "A"), ("t3", "B"), ("t4", "D")]
    return pd.DataFrame(rows, columns=["task_id", "department"])


def test_edges_count_distinct_shared_tasks_not_rows(tasks, links):
    graph = networks.co_responsibility_graph(tasks, links)
    edges = networks.edge_table(graph)
    assert edges[["source", "target", "weight"]].values.tolist() == [["A", "B", 2], ["A", "C", 1], ["B", "C", 1]]
    rows = networks.edge_table(networks.co_responsibility_graph(tasks, links, key="task_id"))
    assert rows.iloc[0][["source", "target", "weight"]].tolist() == ["A", "B", 3]  # t1, t2, t3 as rows


def test_row_and_task_readings_differ_for_a_task_handed_over():
    # one task K: its 2021 row names A and B, its 2022 row names C alone
    tasks = pd.DataFrame({"task_id": ["r1", "r2"], "task_key": ["K", "K"]})
    links = pd.DataFrame({"task_id": ["r1", "r1", "r2"], "department": ["A", "B", "C"]})
    by_row = networks.edge_table(networks.co_responsibility_graph(tasks, links))
    assert by_row[["source", "target", "weight"]].values.tolist() == [["A", "B", 1]]
    by_task = networks.edge_table(networks.co_responsibility_graph(tasks, links, together="task"))
    assert by_task[["source", "target", "weight"]].values.tolist() == [["A", "B", 1], ["A", "C", 1], ["B", "C", 1]]
    with pytest.raises(ValueError, match="'row' or 'task'"):
        networks.co_responsibility_graph(tasks, links, together="list")


def test_measures_and_summary_by_hand(tasks, links):
    graph = networks.co_responsibility_graph(tasks, links)
    measures = networks.node_measures(graph).set_index("node")
    assert measures.loc[["A", "B", "C", "D"], "degree"].tolist() == [2, 2, 2, 0]
    assert measures.loc[["A", "B", "C", "D"], "weighted_degree"].tolist() == [3, 3, 2, 0]
    assert measures.loc[["A", "B", "C", "D"], "tasks"].tolist() == [2, 2, 1, 1]
    assert (measures["betweenness"] == 0).all()  # a triangle and an isolate: no node lies between others
    assert networks.graph_summary(graph) == {"nodes": 4, "edges": 3, "density": 0.5, "isolates": 1, "components": 2}


def test_betweenness_of_a_broker():
    tasks = pd.DataFrame({"task_id": ["a", "b"], "task_key": ["a", "b"]})
    links = pd.DataFrame({"task_id": ["a", "a", "b", "b"], "department": ["X", "Y", "X", "Z"]})
    measures = networks.node_measures(networks.co_responsibility_graph(tasks, links)).set_index("node")
    assert measures.loc["X", "betweenness"] == 1.0
    assert measures.loc["Y", "betweenness"] == 0.0


def test_missing_task_key_says_how_to_add_it(links):
    with pytest.raises(KeyError, match="with_task_keys"):
        networks.co_responsibility_graph(pd.DataFrame({"task_id": ["t1"]}), links)


def test_by_period(tasks, links):
    summary, measures = networks.co_responsibility_by(tasks, links, by="year")
    assert summary["year"].tolist() == [2021, 2022]
    # 2021: t1 (A, B) and t4 (D); 2022: t2 (A, B, C) and t3 (A, B), one distinct task K1 plus K3
    assert summary[["nodes", "edges"]].values.tolist() == [[3, 1], [3, 3]]
    in_2022 = measures[measures["year"] == 2022].set_index("department")
    assert in_2022.loc["A", "weighted_degree"] == 3


@pytest.fixture
def tokens() -> pd.DataFrame:
    paragraphs = {
        "p1": ["养老", "服务", "社区", "养老"],
        "p2": ["养老", "服务"],
        "p3": ["社区", "党建"],
        "p4": ["养老", "党建"],
    }
    rows = [(p, t) for p, words in paragraphs.items() for t in words]
    return pd.DataFrame(rows, columns=["para_id", "token"])


def test_coword_ochiai_by_hand(tokens):
    # paragraphs: 养老 3, 服务 2, 社区 2, 党建 2 (a repeat within p1 counts once)
    edges = networks.coword_edges(tokens, top_n=10, min_cooccurrence=1)
    got = {(e.source, e.target): (e.cooccurrence, e.ochiai) for e in edges.itertuples()}
    assert got == {
        ("养老", "服务"): (2, round(2 / math.sqrt(6), 6)),
        ("养老", "社区"): (1, round(1 / math.sqrt(6), 6)),
        ("服务", "社区"): (1, 0.5),
        ("党建", "社区"): (1, 0.5),
        ("党建", "养老"): (1, round(1 / math.sqrt(6), 6)),
    }
    assert edges["ochiai"].is_monotonic_decreasing
    assert networks.coword_edges(tokens, top_n=10, min_cooccurrence=2)[["source", "target"]].values.tolist() == [
        ["养老", "服务"]
    ]


def test_top_terms_break_ties_alphabetically(tokens):
    top = networks.term_paragraphs(tokens, top_n=2)
    assert top.values.tolist() == [["养老", 3], ["党建", 2]]  # 党 sorts before 服 and 社


def test_communities_split_two_cliques_deterministically():
    graph = nx.Graph()
    graph.add_weighted_edges_from([("a", "b", 1), ("b", "c", 1), ("a", "c", 1), ("x", "y", 1), ("y", "z", 1)])
    graph.add_weighted_edges_from([("x", "z", 1), ("w", "x", 1), ("c", "x", 0.05)])
    first = networks.communities(graph)
    assert first.groupby("community")["node"].agg(list).tolist() == [["w", "x", "y", "z"], ["a", "b", "c"]]
    pd.testing.assert_frame_equal(first, networks.communities(graph))


def test_coword_graph_on_real_paragraph_sets(tokens):
    graph = networks.coword_graph(tokens, top_n=3, min_cooccurrence=1)
    assert sorted(graph.nodes) == ["党建", "养老", "服务"]
    assert graph.nodes["养老"]["paragraphs"] == 3
    assert all(0 < d["weight"] <= 1 for _, _, d in graph.edges(data=True))


def test_export_for_gephi_round_trips(tmp_path, tasks, links):
    graph = networks.co_responsibility_graph(tasks, links)
    graph = nx.relabel_nodes(graph, {"A": "党建办", "B": "自治办"})
    paths = networks.export_graph(graph, tmp_path / "gephi", "co_responsibility")
    assert [p.name for p in paths] == [
        "co_responsibility.graphml",
        "co_responsibility_nodes.csv",
        "co_responsibility_edges.csv",
    ]
    back = nx.read_graphml(paths[0])
    assert sorted(back.nodes) == sorted(graph.nodes)
    assert back.edges["党建办", "自治办"]["weight"] == 2
    nodes = pd.read_csv(paths[1], encoding="utf-8")
    edges = pd.read_csv(paths[2], encoding="utf-8")
    assert list(nodes.columns[:2]) == ["Id", "Label"] and set(nodes["Id"]) == set(graph.nodes)
    assert list(edges.columns[:4]) == ["Source", "Target", "Type", "Weight"]
    assert edges.iloc[0][["Source", "Target", "Weight"]].tolist() == ["党建办", "自治办", 2]
    assert not list((tmp_path / "gephi").glob(".*"))  # no staging left behind


def test_drawing_labels_the_largest_nodes(tokens):
    import matplotlib.pyplot as plt

    graph = networks.coword_graph(tokens, top_n=4, min_cooccurrence=1)
    fig, ax = plt.subplots()
    networks.draw_network(graph, ax, groups=networks.communities(graph), size="paragraphs", label_top=2)
    assert sorted(t.get_text() for t in ax.texts) == ["党建", "养老"]  # 养老 (3 paragraphs), then 党建 first of the 2s
    plt.close(fig)
