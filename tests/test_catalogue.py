import pytest
from clusterlab import catalogue
from clusterlab.errors import UnknownLesson


def test_lessons_are_found_by_id_number_and_slug():
    by_id = catalogue.get("01-compose-networks")
    assert catalogue.get("1") == by_id == catalogue.get("01") == catalogue.get("compose-networks")
    assert {"broken", "fixed"} <= set(by_id.variants)
    assert "msvc_default" in by_id.source("broken")


def test_unknown_lesson_suggests_the_closest():
    with pytest.raises(UnknownLesson) as err:
        catalogue.get("compose-network")
    assert "Did you mean '01-compose-networks'" in str(err.value)
    assert "clusterlab lessons" in str(err.value)


def test_unknown_variant_lists_the_known_ones():
    with pytest.raises(UnknownLesson, match=r"has no variant 'brokn'.*broken"):
        catalogue.get("1").compose_file("brokn")


def test_every_lesson_has_a_title_and_a_runnable_variant():
    for lesson in catalogue.lessons():
        assert lesson.title != lesson.id, f"{lesson.id} has no lesson.toml title"
        assert lesson.variants or lesson.stacks, \
            f"{lesson.id} has no variant folder with compose.yaml (or stack.yaml, Swarm)"
