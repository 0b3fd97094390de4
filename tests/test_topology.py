from clusterlab.model.topology import clusters, is_full_mesh, islands, one_sided, to_graph

from .snapshots import islands_snapshot, member, snapshot


def test_islands_follow_docker_networks():
    graph = to_graph(islands_snapshot())
    assert islands(graph) == [{"a", "b", "c"}, {"minio"}]
    assert graph.graph["networks"] == ["p_default", "p_msvc"]


def test_full_mesh_and_one_cluster():
    graph = to_graph(islands_snapshot())
    assert is_full_mesh(graph)
    assert clusters(graph) == [{"a", "b", "c"}]
    assert graph.nodes["minio"]["beam"] is False


def test_a_one_sided_view_stays_one_arrow():
    snap = snapshot(member("a", ["n"], node="a@h.x", peers=("b@h.y",)),
                    member("b", ["n"], node="b@h.y", peers=()))
    graph = to_graph(snap)
    assert one_sided(graph) == [("a", "b")]
    assert not is_full_mesh(graph)


def test_unconnected_nodes_are_separate_clusters():
    snap = snapshot(member("a", ["n"], node="a@h.x", peers=()),
                    member("b", ["n"], node="b@h.y", peers=()))
    assert clusters(to_graph(snap)) == [{"a"}, {"b"}]


def test_replicas_are_keyed_by_container_name():
    snap = snapshot(member("app", ["n"], node="app@10.0.0.2", peers=("app@10.0.0.3",),
                           container="p-app-1"),
                    member("app", ["n"], node="app@10.0.0.3", peers=("app@10.0.0.2",),
                           container="p-app-2"))
    graph = to_graph(snap)
    assert set(graph) == {"p-app-1", "p-app-2"} and is_full_mesh(graph)


def test_a_peer_no_container_carries_becomes_a_ghost_node():
    graph = to_graph(snapshot(member("a", ["n"], node="a@h.x", peers=("gone@h.z",))))
    assert graph.nodes["gone@h.z"]["ghost"] is True
    assert islands(graph) == [{"a"}]


def test_snapshot_helpers_agree_with_the_graph():
    snap = islands_snapshot()
    assert snap.peers("a") == {"b", "c"}
    assert snap.is_full_mesh()
    assert not snap.resolves("a", "minio") and snap.resolves("minio", "minio")


def test_snapshot_mesh_counts_replicas_one_by_one():
    alone = snapshot(member("app", ["n"], node="app@10.0.0.2", peers=(), container="p-app-1"),
                     member("app", ["n"], node="app@10.0.0.3", peers=(), container="p-app-2"))
    assert not alone.is_full_mesh(), "two replicas that see nobody are not a mesh"
    meshed = snapshot(
        member("app", ["n"], node="app@10.0.0.2", peers=("app@10.0.0.3",), container="p-app-1"),
        member("app", ["n"], node="app@10.0.0.3", peers=("app@10.0.0.2",), container="p-app-2"))
    assert meshed.is_full_mesh()
