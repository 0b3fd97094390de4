"""RELEASE_NODE may be a bare name: erl adds ``@host`` itself (mix defaults it to the release)."""

from clusterlab.observe import erlang


def test_bare_release_node_is_accepted_and_bad_bare_names_are_not():
    model = {"services": {
        "default": {"environment": {"RELEASE_NODE": "clusterlab"}},
        "short": {"environment": {"RELEASE_NODE": "app", "RELEASE_DISTRIBUTION": "sname"}},
        "spaces": {"environment": {"RELEASE_NODE": "my app"}},
    }}
    assert erlang.refused_names(model) == [
        "spaces: 'my app' is not a node name: it needs exactly one '@'."]
