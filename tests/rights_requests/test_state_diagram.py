"""The state diagrams (rights_requests/STATE_DIAGRAM.md and the README's copy) must show
exactly the transitions the model defines."""

import re
from pathlib import Path

import rights_requests
from rights_requests.choices import State
from rights_requests.models import RightsRequest

DIAGRAM = Path(rights_requests.__file__).parent / "STATE_DIAGRAM.md"
README = Path(rights_requests.__file__).parent.parent / "README.md"
ARROW = re.compile(r"^\s*(\w+)\s*-->\s*(\w+)\s*:\s*(\w+)\s*$")


def diagram_edges(path: Path = DIAGRAM) -> set[tuple[str, str, str]]:
    text = path.read_text(encoding="utf-8")
    block = text.split("```mermaid", 1)[1].split("```", 1)[0]
    return {m.groups() for line in block.splitlines() if (m := ARROW.match(line))}


def model_edges() -> set[tuple[str, str, str]]:
    field = RightsRequest._meta.get_field("state")
    return {(str(t.source), str(t.target), t.name) for t in field.get_all_transitions(RightsRequest)}


def test_diagram_matches_the_model():
    assert diagram_edges() == model_edges()


def test_readme_diagram_matches_the_model():
    assert diagram_edges(README) == model_edges()


def test_diagram_starts_at_received_and_ends_at_closed():
    text = DIAGRAM.read_text(encoding="utf-8")
    assert f"[*] --> {State.RECEIVED.value}" in text
    assert f"{State.CLOSED.value} --> [*]" in text


def test_lifecycle_has_exactly_four_states():
    assert [s.value for s in State] == ["received", "verified", "answered", "closed"]
    field = RightsRequest._meta.get_field("state")
    assert field.protected


def test_no_code_writes_the_state_around_the_transitions():
    """Code review, automated: the request's state changes only through transition methods."""
    package = Path(rights_requests.__file__).parent
    pattern = re.compile(r"\.update\([^)]*\bstate\s*=|\.state\s*=(?!=)|setattr\([^)]*[\"']state[\"']")
    offenders = [
        f"{path.relative_to(package)}:{number}"
        for path in package.rglob("*.py")
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []
