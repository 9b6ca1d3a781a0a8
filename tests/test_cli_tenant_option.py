"""`--tenant NAME` on tenant-scoped `kt` commands: the local admin token acts for that tenant, no key needed;
a tenant key can never use the header to reach another tenant."""

from __future__ import annotations

import json

import httpx
from typer.testing import CliRunner

from killtoken_cli.main import app
from killtoken_proxy.admin_token import read_admin_token
from tests.conftest import LiveGateway

runner = CliRunner()


def ok(*args: str, input: str | None = None) -> str:
    result = runner.invoke(app, list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_tenant_scoped_commands_act_for_the_named_tenant():
    ok("init")
    ok("tenants", "add", "acme")
    ok("templates", "add", "greet", "--user", "Hi {{name}}", "--tenant", "acme")
    ok("credentials", "add", "openai", "--tenant", "acme", input="sk-acme-000000000000\n")
    ok("prices", "set", "openai", "house-model", "--input", "1", "--output", "2", "--tenant", "acme")
    assert [t["name"] for t in json.loads(ok("templates", "list", "--json", "-t", "acme"))] == ["greet"]
    assert json.loads(ok("templates", "list", "--json")) == []  # kt's own key: tenant `default`
    assert [c["provider"] for c in json.loads(ok("credentials", "list", "--json", "--tenant", "acme"))] == ["openai"]
    assert json.loads(ok("credentials", "list", "--json")) == []
    assert json.loads(ok("requests", "list", "--json", "--tenant", "acme")) == []
    assert json.loads(ok("cache", "stats", "--json", "--tenant", "acme"))["tenant"] == "acme"
    assert json.loads(ok("analytics", "--json", "--tenant", "acme"))["totals"]["requests"] == 0
    missing = runner.invoke(app, ["requests", "list", "--tenant", "nobody"])
    assert missing.exit_code == 1 and "tenant_not_found" in missing.stderr


def test_only_the_admin_token_may_name_a_tenant(gateway: LiveGateway):
    admin = read_admin_token(gateway.settings.paths.admin_token_file)
    with httpx.Client(base_url=gateway.url, timeout=30) as http:
        created = http.post("/v1/admin/tenants", headers={"Authorization": f"Bearer {admin}"}, json={"name": "acme"})
        acme_key = created.json()["key"]["key"]
        http.post("/v1/templates", headers={"Authorization": f"Bearer {acme_key}"},
                  json={"name": "secret-prompt", "messages": [{"role": "user", "content": "x"}]})  # fmt: skip
        as_default = http.get(
            "/v1/templates", headers={"Authorization": f"Bearer {gateway.key}", "x-killtoken-tenant": "acme"}
        )
        assert as_default.status_code == 200 and as_default.json()["data"] == []  # the header is ignored
        as_admin = http.get("/v1/templates", headers={"Authorization": f"Bearer {admin}", "x-killtoken-tenant": "acme"})
        assert [t["name"] for t in as_admin.json()["data"]] == ["secret-prompt"]
        unnamed = http.get("/v1/templates", headers={"Authorization": f"Bearer {admin}"})
        assert unnamed.status_code == 400 and "x-killtoken-tenant" in unnamed.json()["message"]
        chat = http.post(
            "/v1/chat",
            headers={"Authorization": f"Bearer {admin}", "x-killtoken-tenant": "acme"},
            json={"provider": "openai", "model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "x"}]},
        )
        assert chat.status_code == 401  # chat calls count against a key's limits: never the admin token
