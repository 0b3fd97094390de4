"""Drawing works headless and is stable: the same graph gives the same layout."""

import io

from clusterlab.model.topology import to_graph
from clusterlab.render.draw import draw_dns_matrix, draw_series, draw_topology, layout
from clusterlab.render.report import render

from .snapshots import islands_snapshot


def test_topology_renders_to_png_without_a_display():
    fig = draw_topology(to_graph(islands_snapshot()))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    assert buffer.getvalue()[:4] == b"\x89PNG"
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "network p_msvc" in labels and "one-sided Node.list()" in labels


def test_layout_is_stable_and_separates_islands():
    graph = to_graph(islands_snapshot())
    first, second = layout(graph), layout(graph)
    assert first == second
    assert first["minio"][0] < min(first[n][0] for n in "abc")


def test_dns_matrix_and_series_render():
    snap = islands_snapshot()
    assert draw_dns_matrix(snap).axes[0].get_title().startswith("DNS")
    assert len(draw_series([to_graph(snap)] * 3, ["1", "2", "3"]).axes) == 3


def test_text_report_names_islands_and_nxdomain():
    text = render(islands_snapshot())
    assert "network islands: a, b, c | minio" in text
    assert "NXDOMAIN" in text
