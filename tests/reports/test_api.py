"""The open-data API against its own OpenAPI 3.1 description: every answer about the lineage cast validates against the
schema the API publishes at /api/v1/schema/, and the description names every path the API serves."""

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    answer = client.get("/api/v1/schema/")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json; charset=utf-8"
    document = answer.json()
    assert document["openapi"].startswith("3.1")
    return document


def validator(document, name: str) -> Draft202012Validator:
    """A JSON Schema 2020-12 validator for one component, its $refs resolved within the document."""
    registry = Registry().with_resource(
        "urn:cchc-api", Resource.from_contents({**document, "$schema": "https://json-schema.org/draft/2020-12/schema"})
    )
    return Draft202012Validator({"$ref": f"urn:cchc-api#/components/schemas/{name}"}, registry=registry)


@pytest.mark.parametrize(
    "url, component",
    [
        ("/api/v1/periods/", "Periods"),
        ("/api/v1/results/2025/so/", "Results"),
        ("/api/v1/results/2024/so/", "Results"),
        ("/api/v1/results/2023/so/", "Results"),
        ("/api/v1/units/so-nn-mt/", "Unit"),
        ("/api/v1/units/so-tai-chinh/", "Unit"),
        ("/api/v1/criteria/2025/so/", "CriterionScores"),
        ("/api/v1/results/2019/so/", "Error"),
        ("/api/v1/units/khong-co/", "Error"),
        ("/api/v1/criteria/2024/so/", "Error"),
    ],
)
def test_every_answer_validates_against_the_published_schema(client, lineage, schema, url, component):
    answer = client.get(url)
    assert answer.status_code == (404 if component == "Error" else 200)
    errors = sorted(validator(schema, component).iter_errors(answer.json()), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_the_schema_catches_a_wrong_answer(schema):
    results = validator(schema, "Result")
    good = {
        "position": 1,
        "rank": 1,
        "unit": "Sở Y tế",
        "unit_code": "so-y-te",
        "score": "91.000",
        "max_points": None,
        "points": None,
        "appraised_points": None,
        "survey_points": None,
        "grade": "Tốt",
        "grade_code": "tot",
        "change": None,
    }
    assert results.is_valid(good)
    assert not results.is_valid({**good, "score": 91.0})  # a float, not an exact decimal string
    assert not results.is_valid({**good, "score": "91,000"})
    assert not results.is_valid({key: value for key, value in good.items() if key != "unit_code"})


def test_the_schema_describes_every_path_of_the_api(schema):
    from django.urls import get_resolver

    served = {
        "/"
        + str(pattern.pattern)
        .replace("<year:year>", "{year}")
        .replace("<slug:block>", "{block}")
        .replace("<slug:code>", "{code}")
        for pattern in get_resolver().url_patterns[-1].url_patterns
        if str(pattern.pattern).startswith("api/v1/")
        and str(pattern.pattern) not in ("api/v1/", "api/v1/schema/", "api/v1/<path:rest>")
    }
    assert served == set(schema["paths"])


def test_the_api_answers_conditional_requests(client, lineage):
    first = client.get("/api/v1/results/2025/so/")
    assert client.get("/api/v1/results/2025/so/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert client.get("/api/v1/periods/", HTTP_IF_NONE_MATCH=client.get("/api/v1/periods/")["ETag"]).status_code == 304


@pytest.mark.parametrize(
    "url",
    ["/api/v1/khong-co/", "/api/v1/results/99999999999999999999/so/", "/api/v1/results/2025/khong-co/x/"],
)
def test_any_other_api_address_answers_json_404(client, url):
    answer = client.get(url)
    assert answer.status_code == 404 and answer["Content-Type"] == "application/json; charset=utf-8"
    assert answer.json()["error"].startswith("Không tìm thấy")


def test_the_api_refuses_writes_with_405_in_json(client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    for method in ("post", "put", "delete"):
        answer = getattr(strict, method)("/api/v1/periods/")
        assert answer.status_code == 405 and answer["Allow"] == "GET, HEAD"
        assert "chỉ đọc" in answer.json()["error"]


def test_a_criterion_answer_not_scored_here_is_never_304(client, lineage):
    tag = client.get("/api/v1/results/2024/so/")["ETag"]
    assert client.get("/api/v1/criteria/2024/so/", HTTP_IF_NONE_MATCH=tag).status_code == 404
