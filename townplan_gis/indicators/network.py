"""Walking distances along the street network, with access points on edges (not nodes).

The roads layer is noded at every crossing (``shapely.union_all``; a bridge over a road is taken as a
crossing, stated in the note) and becomes an undirected graph whose edges are the road stretches
between crossings. A place joins the network at the nearest point *on an edge*, by a straight
connector; snapping to the nearest node instead would let a house reach a street it does not face
(docs/sources.md#network-access). Shortest paths: scipy's compiled Dijkstra
(``scipy.sparse.csgraph.dijkstra``) from a virtual source linked to every access point, so all
sources of a kind are searched at once.

Distance of a place p on edge (u, v) of length L at offset t along it, with connector c:

.. math:: D(p) = c + \\min\\big(d(u) + t,\\ d(v) + L - t,\\ \\min_{s \\in e} (c_s + |t - t_s|)\\big)

where d is the network distance from the sources and s runs over the source intervals on the same
edge (so a place beside a park's entrance is not sent round the block).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

__all__ = ["EPS_M", "Access", "StreetNetwork", "street_network"]

#: Distances within this of a limit count as within it (float noise of summed lengths, m).
EPS_M = 1e-6


@dataclass(frozen=True)
class Access:
    """Points or stretches where sources join the network: per access, the edge, the interval
    ``[t0, t1]`` along it (a point when equal), the cost of reaching it (m) and its source."""

    edge: np.ndarray
    t0: np.ndarray
    t1: np.ndarray
    cost: np.ndarray
    source: np.ndarray


@dataclass
class StreetNetwork:
    """The street graph: edge geometries and lengths, end nodes, node coordinates.

    Build it with :func:`street_network`. ``n_components`` counts the connected parts (a network
    of several parts leaves places in one unable to reach sources in another, as on the ground).
    """

    edges: np.ndarray
    length: np.ndarray
    u: np.ndarray
    v: np.ndarray
    n_nodes: int
    n_components: int

    def __post_init__(self) -> None:
        self.tree = shapely.STRtree(self.edges)

    def snap(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Each point's nearest points on edges: ``(point, edge, offset t along it, connector)``.

        A point equally near several edges (the middle of a block's corner) gets one row per edge,
        so that the walk can start on whichever is shorter.
        """
        idx, dist = self.tree.query_nearest(points, return_distance=True, all_matches=True)
        point, edge = idx[0], idx[1]
        t = shapely.line_locate_point(self.edges[edge], points[point])
        return point, edge, t, dist

    def access(
        self, geoms: np.ndarray, *, entrance_m: float, extra_cost: np.ndarray | None = None
    ) -> Access:
        """Where each geometry joins the network.

        A polygon (a park, a school's site) is entered from every stretch of road within
        ``entrance_m`` of it at no cost; a polygon whose nearest road is g > ``entrance_m`` away,
        from every stretch within g + ``entrance_m`` at cost g (the walk across to the road). A point joins
        at the nearest point of an edge with the connector as cost. ``extra_cost`` (per geometry)
        is added to every cost.
        """
        geoms = np.asarray(geoms, dtype=object)
        extra = np.zeros(len(geoms)) if extra_cost is None else np.asarray(extra_cost, dtype=float)
        ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        parts = []
        pi = np.flatnonzero(ok & (shapely.get_dimensions(geoms) == 2))
        if len(pi):
            # Every polygon is entered from the roads within entrance_m of its nearest road: a
            # park set back 30 m from the streets round it is reached from all of them.
            _, gap = self.tree.query_nearest(geoms[pi], return_distance=True, all_matches=False)
            parts.append(self._stretches(geoms[pi], gap, entrance_m, extra[pi], pi))
        rest = np.flatnonzero(ok & (shapely.get_dimensions(geoms) < 2))
        if len(rest):
            # Points: the nearest point of the network, reached by a straight connector.
            idx, dist = self.tree.query_nearest(
                geoms[rest], return_distance=True, all_matches=False
            )
            e = idx[1]
            near = shapely.shortest_line(self.edges[e], geoms[rest[idx[0]]])
            t = shapely.line_locate_point(self.edges[e], shapely.get_point(near, 0))
            src = rest[idx[0]]
            parts.append((e, t, t, dist + extra[src], src))
        if not parts:
            z = np.empty(0)
            return Access(z.astype(np.int64), z, z, z, z.astype(np.int64))
        cols = [np.concatenate(c) for c in zip(*parts, strict=True)]
        return Access(cols[0].astype(np.int64), cols[1], cols[2], cols[3], cols[4].astype(np.int64))

    def _stretches(self, polys, gap, entrance_m, extra, src_index):
        """The stretches of road within ``entrance_m`` of each polygon at no cost, or, when its
        nearest road is farther (``gap``), within ``gap + entrance_m`` at cost ``gap``."""
        gap = np.where(gap <= entrance_m, 0.0, gap)
        reach = gap + entrance_m
        zone = np.where(reach > 0, shapely.buffer(polys, np.maximum(reach, 1e-9)), polys)
        left, right = self.tree.query(zone, predicate="intersects")
        inside = shapely.intersection(self.edges[right], zone[left])
        pieces, idx = shapely.get_parts(inside, return_index=True)
        keep = ~shapely.is_empty(pieces)
        pieces, idx = pieces[keep], idx[keep]
        e = right[idx]
        point = shapely.get_type_id(pieces) == 0
        ends0 = np.where(point, pieces, shapely.get_point(pieces, 0))
        ends1 = np.where(point, pieces, shapely.get_point(pieces, -1))
        a = shapely.line_locate_point(self.edges[e], ends0)
        b = shapely.line_locate_point(self.edges[e], ends1)
        owner = left[idx]
        return (e, np.minimum(a, b), np.maximum(a, b), gap[owner] + extra[owner], src_index[owner])

    def node_distances(self, access: Access, *, limit: float = np.inf) -> np.ndarray:
        """Network distance from the nearest source to every node (inf beyond ``limit``)."""
        # scipy is imported when a network is used: importing townplan_gis stays quick.
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import dijkstra

        n = self.n_nodes
        if len(access.edge) == 0:
            return np.full(n, np.inf)
        e = access.edge
        # Virtual source n: to u through the interval's start, to v through its end.
        src_rows = np.concatenate([self.u[e], self.v[e]])
        src_cost = np.concatenate(
            [access.cost + access.t0, access.cost + self.length[e] - access.t1]
        )
        best = pd.Series(src_cost).groupby(src_rows).min()
        rows = np.concatenate([self.u, self.v, np.full(len(best), n)])
        cols = np.concatenate([self.v, self.u, best.index.to_numpy()])
        data = np.concatenate([self.length, self.length, best.to_numpy()])
        # Parallel edges between two nodes: the shorter counts (a sparse matrix would add them).
        pairs = pd.DataFrame({"r": rows, "c": cols, "d": np.maximum(data, 1e-9)})
        pairs = pairs.groupby(["r", "c"], sort=False)["d"].min().reset_index()
        graph = csr_matrix(
            (pairs["d"].to_numpy(), (pairs["r"].to_numpy(), pairs["c"].to_numpy())),
            shape=(n + 1, n + 1),
        )
        dist = dijkstra(graph, directed=True, indices=n, limit=limit + EPS_M)
        return dist[:n]

    def distances(
        self, points: np.ndarray, access: Access, *, limit: float = np.inf
    ) -> tuple[np.ndarray, np.ndarray]:
        """Walking distance from each point to its nearest source, m, and the connector length.

        Points farther than ``limit`` get inf.
        """
        d_node = self.node_distances(access, limit=limit)
        point, edge, t, conn = self.snap(points)
        length = self.length[edge]
        via = np.minimum(d_node[self.u[edge]] + t, d_node[self.v[edge]] + length - t)
        # Sources on the point's own edge, reached along it.
        if len(access.edge):
            same = pd.DataFrame({"edge": edge, "t": t, "row": np.arange(len(edge))}).merge(
                pd.DataFrame(
                    {"edge": access.edge, "t0": access.t0, "t1": access.t1, "c": access.cost}
                ),
                on="edge",
            )
            if len(same):
                gap = np.maximum(0.0, np.maximum(same["t0"] - same["t"], same["t"] - same["t1"]))
                along = (same["c"] + gap).groupby(same["row"]).min()
                rows = along.index.to_numpy()
                via[rows] = np.minimum(via[rows], along.to_numpy())
        best = pd.Series(conn + via).groupby(point).min()
        total = np.full(len(points), np.inf)
        total[best.index.to_numpy()] = best.to_numpy()
        near = pd.Series(conn).groupby(point).min()
        connector = np.full(len(points), np.inf)
        connector[near.index.to_numpy()] = near.to_numpy()
        return np.where(total <= limit + EPS_M, total, np.inf), connector


def street_network(roads: np.ndarray, *, precision_m: float = 0.001) -> StreetNetwork | None:
    """The street graph of road centrelines (None when there are none).

    Parameters
    ----------
    roads : array of shapely LineString / MultiLineString
        Road centrelines in a metric CRS.
    precision_m : float, default 0.001
        End points closer than this are one node (the noding puts crossings on both lines exactly;
        this only absorbs float noise).
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    geoms = np.asarray(roads, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    geoms = geoms[shapely.get_dimensions(geoms) == 1]
    if len(geoms) == 0:
        return None
    noded = shapely.union_all(geoms)
    edges = np.asarray(shapely.get_parts(noded), dtype=object)
    edges = edges[shapely.length(edges) > 0]
    if len(edges) == 0:
        return None
    ends = np.concatenate([shapely.get_coordinates(shapely.get_point(edges, i)) for i in (0, -1)])
    key = np.round(ends / precision_m).astype(np.int64)
    _, node = np.unique(key, axis=0, return_inverse=True)
    node = node.ravel()
    m = len(edges)
    u, v = node[:m], node[m:]
    n_nodes = int(node.max()) + 1
    adj = csr_matrix((np.ones(m), (u, v)), shape=(n_nodes, n_nodes))
    n_comp, _ = connected_components(adj, directed=False)
    return StreetNetwork(
        edges=edges,
        length=shapely.length(edges),
        u=u.astype(np.int64),
        v=v.astype(np.int64),
        n_nodes=n_nodes,
        n_components=int(n_comp),
    )
