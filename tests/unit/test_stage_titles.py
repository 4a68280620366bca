"""Headings and tables name a stage once: never "Stage 2: Stage 2: …" or "1: Stage 1: …"."""

from escalation.figures import stage_name
from escalation.wording import stage_title


def test_a_name_with_its_own_label_is_used_as_it_is():
    assert (
        stage_title(2, "Stage 2: direct manager to manager discussion")
        == "Stage 2: direct manager to manager discussion"
    )
    assert stage_title(2, "Level Two: line manager to line manager") == "Level Two: line manager to line manager"
    assert stage_title(4, "Stage Two: formal dispute procedure (executive leads)").count("Stage") == 1


def test_a_name_without_a_label_gets_the_stage_number():
    assert stage_title(5, "Directors of the agencies") == "Stage 5: Directors of the agencies"
    assert stage_title(3, "") == "Stage 3"


def test_the_dashboard_names_stages_the_same_way():
    stages = {1: "Stage 1: direct professional to professional discussion", 5: "Directors of the agencies"}
    assert stage_name(1, stages) == "Stage 1: direct professional to professional discussion"
    assert stage_name(5, stages) == "Stage 5: Directors of the agencies"
    assert stage_name(7, stages) == "Stage 7"
