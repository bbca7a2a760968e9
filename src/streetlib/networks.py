"""Networks: departments that share tasks, and terms that share paragraphs.

**Co-responsibility.** The task lists name departments per row, and the same task recurs in
the three-year, annual and quarterly lists. The network is built over *distinct* tasks (the
``task_key`` column of ``coverage.with_task_keys``): an edge's ``weight`` is the number of
distinct tasks the two departments share. Two readings of "share", chosen by ``together``:
``"row"`` (default) — some row of the task names both, so they were assigned it together;
``"task"`` — the two-mode graph tasks × departments projected onto departments: each is named on
some row of the task, perhaps in different lists (a task handed from one office to another links
them). A department named only alone stays in the graph as an isolate.

**Co-word.** Per paragraph, the set of its content terms; the ``top_n`` terms found in most
paragraphs are the nodes; an edge joins two terms found together in at least
``min_cooccurrence`` paragraphs, weighted by the Ochiai coefficient
c(a, b) / sqrt(c(a) · c(b)) of paragraph counts (co-occurrence relative to what the two
terms' frequencies allow). Communities come from Louvain modularity with a fixed seed.

Both graphs export to GraphML and to node and edge CSV files that Gephi reads
(:func:`export_graph`).
"""

from __future__ import annotations

import math
from itertools import combinations
from pathlib import Path

import networkx as nx
import pandas as pd
from networkx.algorithms import bipartite

from streetlib import coverage
from streetlib.atomic import replacing_files

SEED = 20211  # fixed for Louvain and the layout, so two runs draw the same graph


def task_department_links(tasks: pd.DataFrame, links: pd.DataFrame, *, key: str = "task_key") -> pd.DataFrame:
    """Distinct (task, department) pairs: the two-mode edge list, one row per department per distinct task.

    Parameters
    ----------
    tasks
        Task rows with ``task_id`` and the ``key`` column (distinct task; ``"task_id"`` counts rows).
    links
        ``load_task_departments()``: ``task_id``, ``department``.
    key
        Column of ``tasks`` that names a distinct task.

    Returns
    -------
    DataFrame
        ``task``, ``department``, sorted.
    """
    if key not in tasks.columns:
        raise KeyError(f"tasks has no {key!r} column; add it with streetlib.coverage.with_task_keys(tasks)")
    merged = links[["task_id", "department"]].merge(
        tasks[list(dict.fromkeys(["task_id", key]))].drop_duplicates("task_id"),
        on="task_id",
        how="inner",
        validate="many_to_one",
    )
    out = merged[[key, "department"]].rename(columns={key: "task"}).dropna().drop_duplicates()
    return out.sort_values(["task", "department"]).reset_index(drop=True)


def co_responsibility_graph(
    tasks: pd.DataFrame, links: pd.DataFrame, *, key: str = "task_key", together: str = "row"
) -> nx.Graph:
    """Departments joined by the distinct tasks they share (``weight`` = number of shared tasks).

    ``together`` is ``"row"`` (named on one row of the task) or ``"task"`` (the two-mode projection:
    named anywhere on the task); see the module docstring. Node attribute ``tasks``: distinct tasks
    naming the department.
    """
    pairs = task_department_links(tasks, links, key=key)
    departments = sorted(pairs["department"].unique())
    if together == "task":
        two_mode = nx.Graph()
        two_mode.add_nodes_from(departments, bipartite=0)
        two_mode.add_nodes_from(sorted(pairs["task"].unique()), bipartite=1)
        two_mode.add_edges_from(pairs[["department", "task"]].itertuples(index=False, name=None))
        graph = bipartite.weighted_projected_graph(two_mode, departments)
        for department in departments:
            del graph.nodes[department]["bipartite"]
    elif together == "row":  # the pair counts of coverage.co_responsibility, over the distinct tasks of `key`
        shared = coverage.co_responsibility(links, tasks.assign(task_key=tasks[key]), unit="tasks")
        graph = nx.Graph()
        graph.add_nodes_from(departments)
        graph.add_weighted_edges_from((a, b, int(n)) for a, b, n in shared.itertuples(index=False))
    else:
        raise ValueError(f"together must be 'row' or 'task', not {together!r}")
    counts = pairs.groupby("department").size()
    nx.set_node_attributes(graph, {d: int(counts[d]) for d in departments}, "tasks")
    return _sorted(graph)


def node_measures(graph: nx.Graph) -> pd.DataFrame:
    """One row per node: ``degree``, ``weighted_degree`` (sum of edge weights) and normalised ``betweenness``.

    Betweenness counts shortest paths in hops (unweighted): an edge weight is a tie's strength, not
    a distance. Node attributes (e.g. ``tasks``) are kept as columns. Sorted by weighted degree, then name.
    """
    between = nx.betweenness_centrality(graph, normalized=True)
    rows = [
        {
            "node": node,
            **data,
            "degree": graph.degree(node),
            "weighted_degree": graph.degree(node, weight="weight"),
            "betweenness": round(between[node], 6),
        }
        for node, data in graph.nodes(data=True)
    ]
    if not rows:
        return pd.DataFrame(columns=["node", "degree", "weighted_degree", "betweenness"])
    return pd.DataFrame(rows).sort_values(["weighted_degree", "node"], ascending=[False, True]).reset_index(drop=True)


def graph_summary(graph: nx.Graph) -> dict[str, float | int]:
    """Nodes, edges, density, isolates and connected components of a graph."""
    return {
        "nodes": graph.number_of_nodes(),
        "edges": graph.number_of_edges(),
        "density": round(nx.density(graph), 6),
        "isolates": nx.number_of_isolates(graph),
        "components": nx.number_connected_components(graph) if graph.number_of_nodes() else 0,
    }


def edge_table(graph: nx.Graph) -> pd.DataFrame:
    """Tidy edges: ``source``, ``target`` (alphabetical within a pair) and every edge attribute, strongest first."""
    rows = [{"source": min(a, b), "target": max(a, b), **data} for a, b, data in graph.edges(data=True)]
    if not rows:
        return pd.DataFrame(columns=["source", "target", "weight"])
    return (
        pd.DataFrame(rows)
        .sort_values(["weight", "source", "target"], ascending=[False, True, True])
        .reset_index(drop=True)
    )


def co_responsibility_by(
    tasks: pd.DataFrame, links: pd.DataFrame, *, by: str, key: str = "task_key", together: str = "row"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Co-responsibility per group of task rows (a period: ``scope``, ``year`` …).

    Returns ``(summary, measures)``: one row per group with :func:`graph_summary`, and one row per
    group and department with :func:`node_measures`. Groups in sorted order; missing values form no group.
    """
    summaries, measures = [], []
    for group, rows in tasks.dropna(subset=[by]).groupby(by, sort=True, observed=True):
        graph = co_responsibility_graph(rows, links, key=key, together=together)
        summaries.append({by: group, **graph_summary(graph)})
        measures.append(node_measures(graph).rename(columns={"node": "department"}).assign(**{by: group}))
    summary = pd.DataFrame(summaries)
    table = pd.concat(measures, ignore_index=True) if measures else pd.DataFrame()
    return summary, table[[by, *[c for c in table.columns if c != by]]] if not table.empty else table


def term_paragraphs(tokens: pd.DataFrame, *, top_n: int = 60, by: str = "para_id", min_length: int = 2) -> pd.DataFrame:
    """The ``top_n`` terms found in most paragraphs, with their paragraph count ``paragraphs``.

    ``tokens`` is a tidy token frame (``text.tokenize`` filtered with ``text.content_tokens``). Terms
    shorter than ``min_length`` characters (新, 好) are left out. Ties at the cut are broken
    alphabetically, so the choice is deterministic.
    """
    tokens = tokens[tokens["token"].str.len() >= min_length]
    counts = tokens[[by, "token"]].drop_duplicates().groupby("token").size().rename("paragraphs").reset_index()
    counts = counts.sort_values(["paragraphs", "token"], ascending=[False, True]).head(top_n)
    return counts.rename(columns={"token": "term"}).reset_index(drop=True)


def coword_edges(
    tokens: pd.DataFrame,
    *,
    top_n: int = 60,
    min_cooccurrence: int = 3,
    min_ochiai: float = 0.0,
    by: str = "para_id",
    min_length: int = 2,
) -> pd.DataFrame:
    """Ochiai-normalised co-occurrence of the top terms per paragraph (see the module docstring).

    Pairs found together in fewer than ``min_cooccurrence`` paragraphs, or with an Ochiai coefficient
    below ``min_ochiai``, are not edges (a dense graph of long paragraphs is unreadable otherwise).

    Returns
    -------
    DataFrame
        ``source``, ``target`` (alphabetical within a pair), ``cooccurrence`` (paragraphs with both),
        ``ochiai`` (in (0, 1]); strongest first.
    """
    terms = term_paragraphs(tokens, top_n=top_n, by=by, min_length=min_length)
    frequency = dict(zip(terms["term"], terms["paragraphs"], strict=True))
    kept = tokens[tokens["token"].isin(frequency)][[by, "token"]].drop_duplicates()
    together: dict[tuple[str, str], int] = {}
    for words in kept.groupby(by, sort=False)["token"].agg(lambda s: sorted(set(s))):
        for pair in combinations(words, 2):
            together[pair] = together.get(pair, 0) + 1
    rows = [
        (a, b, n, round(n / math.sqrt(frequency[a] * frequency[b]), 6))
        for (a, b), n in together.items()
        if n >= min_cooccurrence and n / math.sqrt(frequency[a] * frequency[b]) >= min_ochiai
    ]
    out = pd.DataFrame(rows, columns=["source", "target", "cooccurrence", "ochiai"])
    return out.sort_values(["ochiai", "source", "target"], ascending=[False, True, True]).reset_index(drop=True)


def coword_graph(
    tokens: pd.DataFrame,
    *,
    top_n: int = 60,
    min_cooccurrence: int = 3,
    min_ochiai: float = 0.0,
    by: str = "para_id",
    min_length: int = 2,
) -> nx.Graph:
    """The co-word network: nodes the top terms (attribute ``paragraphs``), edges weighted by Ochiai (``weight``).

    Options as in :func:`coword_edges`; a top term without an edge stays as an isolate.
    """
    terms = term_paragraphs(tokens, top_n=top_n, by=by, min_length=min_length)
    edges = coword_edges(
        tokens, top_n=top_n, min_cooccurrence=min_cooccurrence, min_ochiai=min_ochiai, by=by, min_length=min_length
    )
    graph = nx.Graph()
    graph.add_nodes_from((t, {"paragraphs": int(n)}) for t, n in zip(terms["term"], terms["paragraphs"], strict=True))
    graph.add_edges_from(
        (e.source, e.target, {"weight": e.ochiai, "cooccurrence": int(e.cooccurrence)}) for e in edges.itertuples()
    )
    return _sorted(graph)


def communities(graph: nx.Graph, *, seed: int = SEED, resolution: float = 1.0) -> pd.DataFrame:
    """Louvain communities (edge ``weight``, fixed ``seed``): ``node``, ``community``.

    Communities are numbered 1, 2, … from the largest (ties: alphabetically first member); an
    isolate is a community of its own.
    """
    found = nx.community.louvain_communities(graph, weight="weight", seed=seed, resolution=resolution)
    ordered = sorted((sorted(c) for c in found), key=lambda members: (-len(members), members[0]))
    rows = [(node, number) for number, members in enumerate(ordered, start=1) for node in members]
    return pd.DataFrame(rows, columns=["node", "community"]).sort_values(["community", "node"], ignore_index=True)


def export_graph(graph: nx.Graph, folder: Path, name: str) -> list[Path]:
    """Write ``NAME.graphml``, ``NAME_nodes.csv`` (Gephi's ``Id``, ``Label`` + attributes) and ``NAME_edges.csv``.

    Gephi imports the GraphML directly, or the two CSV files through its spreadsheet import
    (``Source``, ``Target``, ``Type``, ``Weight``). The files are written together or not at all.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    nodes = node_measures(graph).rename(columns={"node": "Id"})
    nodes.insert(1, "Label", nodes["Id"])
    edges = edge_table(graph).rename(columns={"source": "Source", "target": "Target", "weight": "Weight"})
    edges.insert(2, "Type", "Undirected")
    names = [f"{name}.graphml", f"{name}_nodes.csv", f"{name}_edges.csv"]
    with replacing_files(folder) as staging:
        nx.write_graphml(graph, staging / names[0], encoding="utf-8")
        nodes.to_csv(staging / names[1], index=False, encoding="utf-8", lineterminator="\n")
        edges.to_csv(staging / names[2], index=False, encoding="utf-8", lineterminator="\n")
    return [folder / n for n in names]


def draw_network(
    graph: nx.Graph,
    ax,
    *,
    groups: pd.DataFrame | None = None,
    size: str | None = None,
    seed: int = SEED,
    label_top: int | None = None,
) -> None:
    """Draw ``graph`` readably on ``ax``: spring layout with a fixed seed, edge width by weight,
    node size by the node attribute ``size``, colour by ``groups`` (a :func:`communities` frame).

    ``label_top`` labels only the largest nodes (all when ``None``), so a dense graph stays legible.
    """
    import matplotlib.pyplot as plt

    layout = nx.spring_layout(graph, weight="weight", seed=seed, k=1.5 / math.sqrt(max(graph.number_of_nodes(), 1)))
    weights = [d.get("weight", 1.0) for _, _, d in graph.edges(data=True)]
    top = max(weights, default=1.0)
    nx.draw_networkx_edges(
        graph, layout, ax=ax, width=[0.3 + 2.7 * w / top for w in weights], alpha=0.35, edge_color="#888888"
    )
    values = {n: float(d.get(size, 1)) if size else 1.0 for n, d in graph.nodes(data=True)}
    biggest = max(values.values(), default=1.0)
    palette = plt.get_cmap("tab10")
    colour = {}
    if groups is not None:
        colour = {row.node: palette((row.community - 1) % 10) for row in groups.itertuples()}
    nodes = list(graph.nodes)
    nx.draw_networkx_nodes(
        graph,
        layout,
        ax=ax,
        nodelist=nodes,
        node_size=[60 + 540 * values[n] / biggest for n in nodes],
        node_color=[colour.get(n, "#4c72b0") for n in nodes],
        alpha=0.9,
        linewidths=0.5,
        edgecolors="white",
    )
    shown = sorted(nodes, key=lambda n: (-values[n], n))[: label_top or len(nodes)]
    nx.draw_networkx_labels(
        graph, layout, labels={n: n for n in shown}, ax=ax, font_size=8, font_family=plt.rcParams["font.family"]
    )
    ax.set_axis_off()


def _sorted(graph: nx.Graph) -> nx.Graph:
    """A copy with nodes and edges inserted in sorted order, so layouts, Louvain and GraphML are reproducible."""
    out = nx.Graph()
    out.add_nodes_from(sorted(graph.nodes(data=True)))
    out.add_edges_from(sorted((min(a, b), max(a, b), d) for a, b, d in graph.edges(data=True)))
    return out
