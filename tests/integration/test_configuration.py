"""Typed configuration per function: each handler module declares the parts of the environment it
needs (`ENVIRONMENT = config.load(...)`), checked against its Environment in template.yaml, and a
function whose template does not provide them fails at cold start, naming what is missing."""

from __future__ import annotations

import dataclasses
import sys
import warnings

import pytest

from local import runtime, template
from purchasing import config

FUNCTIONS = sorted(template.functions())


def declared(logical_id: str) -> set[str]:
    module = template.load_module(template.functions()[logical_id])
    parts: tuple[type[config.Environment], ...] = module.ENVIRONMENT
    return {variable for part in parts for variable in part.variables()}


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_every_variable_a_function_declares_is_in_its_template_environment(logical_id: str) -> None:
    provided = set(template.functions()[logical_id].environment)  # Globals and the function's own

    needed = declared(logical_id)

    assert needed - provided == set(), f"{logical_id} needs what template.yaml does not give it"
    if unused := provided - needed:
        warnings.warn(f"{logical_id}: the template provides {sorted(unused)}, never read", stacklevel=1)


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_a_function_missing_its_variables_fails_at_cold_start_naming_them(
    logical_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the local runtime, which gives a function exactly its template environment (as Lambda)."""
    specs = template.functions()
    spec = specs[logical_id]
    missing = declared(logical_id) - {"TABLE_NAME"}  # the table's models read it at import: below
    if not missing:
        pytest.skip(f"{logical_id} declares no variable (web/publish.py: ENVIRONMENT = ())")
    for variable in missing:  # nor from this process's environment (the tests' conftest sets them)
        monkeypatch.delenv(variable, raising=False)
    specs[logical_id] = dataclasses.replace(
        spec, environment={k: v for k, v in spec.environment.items() if k not in missing}
    )
    runtimes = runtime.Runtimes(specs)

    with runtimes.loading(logical_id), pytest.raises(Exception) as failed:
        template.load_module(specs[logical_id], fresh=True)

    assert failed.type.__name__ == "MissingConfiguration"  # the function's own copy of the layer's
    assert f"missing {', '.join(sorted(missing))}" in str(failed.value)
    sys.modules.pop(f"functions_{spec.code_uri.name}_{spec.module_file.stem}_cold_start", None)


def test_without_a_table_name_the_import_fails_naming_it() -> None:
    specs = template.functions()
    spec = specs["PoApiFunction"]
    environment = {key: value for key, value in spec.environment.items() if key != "TABLE_NAME"}
    specs["PoApiFunction"] = dataclasses.replace(spec, environment=environment)

    with runtime.Runtimes(specs).loading("PoApiFunction"), pytest.raises(Exception) as failed:
        template.load_module(specs["PoApiFunction"], fresh=True)

    assert failed.type.__name__ == "MissingConfiguration"
    assert "missing TABLE_NAME" in str(failed.value)
    sys.modules.pop("functions_po_api_app_cold_start", None)


def test_an_empty_name_is_refused_too_and_a_part_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCUMENTS_BUCKET", "")
    with pytest.raises(config.MissingConfiguration, match="empty or invalid DOCUMENTS_BUCKET"):
        config.load(config.Table, config.Documents)

    monkeypatch.setenv("API_BASE_URL", "https://po.example.com/")  # a base may be empty; never ends in /
    config.get.cache_clear()
    try:
        assert config.get(config.Links).api_base_url == "https://po.example.com"
        monkeypatch.setenv("API_BASE_URL", "https://other.example.com")
        assert config.get(config.Links).api_base_url == "https://po.example.com"  # parsed once
    finally:
        config.get.cache_clear()
