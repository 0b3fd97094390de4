"""Pure helpers behind Lab.connect_node and Lab.wait_for_log (no Docker)."""

import pytest
from clusterlab.errors import ClusterLabError, InvalidNodeName
from clusterlab.observe import erlang

REFUSED = """\
05:03:14.240 [error] ** System running to use fully qualified hostnames **
** Hostname short is illegal **

05:03:14.942 [error] ** Connection attempt from node :"app@wrong.lab" rejected. \
Invalid challenge reply. **
"""


def test_connect_args_quote_the_atom():
    assert erlang.connect_args("app@n2.lab") == "['app@n2.lab']"
    assert erlang.connect_args("app@short") == "['app@short']"


def test_connect_args_refuse_what_erlang_cannot_parse():
    with pytest.raises(InvalidNodeName):
        erlang.connect_args("app")
    with pytest.raises(InvalidNodeName):
        erlang.connect_args("x']), halt(), a(['y@z")


@pytest.mark.parametrize(("printed", "expected"), [("true", True), ("false\n", False)])
def test_parse_connect(printed, expected):
    assert erlang.parse_connect(printed) is expected


def test_parse_connect_ignored_is_an_error():
    with pytest.raises(ClusterLabError, match="ignored"):
        erlang.parse_connect("ignored")


def test_find_line_picks_the_cause():
    assert erlang.find_line(REFUSED, "is illegal") == "** Hostname short is illegal **"
    assert erlang.find_line(REFUSED, "rejected").endswith("Invalid challenge reply. **")
    assert erlang.find_line(REFUSED, "nothing like this") is None
