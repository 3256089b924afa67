"""The demo gateway over real loopback HTTP, with a fake clock the tests move by hand."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from aiops_tui.sim.server import SimServer
from clocks import HandClock

T0 = 1_790_000_000.0  # 2026-09-21 14:13:20 UTC
GPT4O = "openai/gpt-4o"


@pytest.fixture
def clock() -> HandClock:
    return HandClock(T0)


@pytest.fixture
def sim(clock):
    with SimServer(port=0, seed=42, clock=clock) as server:
        yield server


@pytest.fixture
def client():
    with httpx.Client(timeout=5.0) as http:
        yield http


def scrape(client: httpx.Client, url: str, **headers: str) -> dict[str, list]:
    response = client.get(f"{url}/metrics", follow_redirects=True, headers=headers)
    assert response.status_code == 200
    return {f.name: f.samples for f in text_string_to_metric_families(response.text)}


def value(families: dict[str, list], family: str, **match: str) -> float:
    return sum(s.value for s in families.get(family, [])
               if all(s.labels.get(k) == v for k, v in match.items()))


def test_metrics_redirects_like_litellm_and_serves_text_format(sim, clock, client):
    clock.now += 60
    redirect = client.get(f"{sim.url}/metrics")
    assert redirect.status_code == 307 and redirect.headers["location"] == "/metrics/"
    response = client.get(f"{sim.url}/metrics/")
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    assert families["litellm_proxy_total_requests_metric"].type == "counter"
    assert families["litellm_request_total_latency_metric"].type == "histogram"
    requests = value({k: f.samples for k, f in families.items()},
                     "litellm_proxy_total_requests_metric")
    truth = client.get(f"{sim.url}/truth").json()
    assert requests == truth["totals"]["requests"] > 300  # a minute at ~12 requests/s


def test_status_is_health_json_with_the_agreed_checks(sim, clock, client):
    clock.now += 30
    response = client.get(f"{sim.url}/status")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/health+json"
    document = response.json()
    assert document["status"] in ("pass", "warn", "fail")
    assert {"cache:response", "batcher:default", "budget:monthly"} <= set(document["checks"])
    (gpt,) = document["checks"]["upstream:openai/gpt-4o"]
    assert set(gpt) >= {"status", "time", "tier", "breaker", "observedValue", "observedUnit"}
    assert set(gpt["breaker"]) == {"state", "since", "failure_rate", "not_permitted_calls"}
    readiness = client.get(f"{sim.url}/health/readiness").json()
    assert readiness["status"] == "healthy"


def test_status_answers_503_when_it_fails_as_the_health_json_draft_says(sim, clock, client):
    for target in (GPT4O, "local/llama-3-8b-local"):  # the upstream and its fallback both down
        client.post(f"{sim.url}/faults", json={"fault": "upstream_outage", "target": target})
    clock.now += 30
    response = client.get(f"{sim.url}/status")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/health+json"
    assert response.json()["status"] == "fail"


def test_a_posted_outage_shows_in_the_next_scrape(sim, clock, client):
    clock.now += 60
    before = scrape(client, sim.url)
    assert value(before, "resilience4j_circuitbreaker_state", name=GPT4O, state="closed") == 1
    posted = client.post(f"{sim.url}/faults", json={
        "fault": "upstream_outage", "target": GPT4O, "duration_s": 120})
    assert posted.status_code == 201
    assert posted.json()["injected"]["target"] == GPT4O
    clock.now += 15  # one scrape interval later
    after = scrape(client, sim.url)
    assert value(after, "resilience4j_circuitbreaker_state", name=GPT4O, state="open") == 1
    assert value(after, "litellm_deployment_successful_fallbacks",
                 requested_model="gpt-4o") > 0
    assert value(after, "litellm_proxy_failed_requests_metric", exception_status="503") > 0
    listed = client.get(f"{sim.url}/faults").json()["active"]
    assert [(f["fault"], f["target"]) for f in listed] == [("upstream_outage", GPT4O)]
    status = client.get(f"{sim.url}/status").json()
    assert status["checks"]["upstream:openai/gpt-4o"][0]["breaker"]["state"] == "open"
    assert client.get(f"{sim.url}/truth").json()["breakers"][GPT4O] == "open"


def test_bad_fault_requests_get_400(sim, client):
    assert client.post(f"{sim.url}/faults", json={"fault": "meteor"}).status_code == 400
    assert client.post(f"{sim.url}/faults", content=b"{not json").status_code == 400
    assert client.post(f"{sim.url}/faults", json={"fault": "upstream_outage",
                                                   "target": ["x"]}).status_code == 400
    answer = client.post(f"{sim.url}/faults", json={"fault": "latency_spike", "factor": "big"})
    assert answer.status_code == 400 and "factor" in answer.json()["error"]
    assert client.get(f"{sim.url}/nowhere").status_code == 404


def test_bearer_token_guards_metrics_and_status(clock, client):
    with SimServer(port=0, clock=clock, token="s3cret") as sim:
        clock.now += 10
        for path in ("/metrics/", "/status"):
            assert client.get(sim.url + path).status_code == 401
            wrong = {"Authorization": "Bearer nope"}
            assert client.get(sim.url + path, headers=wrong).status_code == 401
            right = {"Authorization": "Bearer s3cret"}
            assert client.get(sim.url + path, headers=right).status_code == 200
        assert client.get(f"{sim.url}/health/readiness").status_code == 200
        assert client.get(f"{sim.url}/metrics").status_code == 307
        assert scrape(client, sim.url, Authorization="Bearer s3cret")


def test_a_new_sim_starts_its_counters_from_zero(clock, client):
    with SimServer(port=0, clock=clock) as first:
        clock.now += 120
        assert value(scrape(client, first.url), "litellm_proxy_total_requests_metric") > 500
    with SimServer(port=0, clock=clock) as restarted:
        clock.now += 1
        assert value(scrape(client, restarted.url), "litellm_proxy_total_requests_metric") < 50


def test_otel_convention_over_http(clock, client):
    with SimServer(port=0, clock=clock, convention="otel") as sim:
        clock.now += 30
        families = scrape(client, sim.url)
        assert value(families, "gen_ai_client_operation_duration_seconds") > 0
        assert "litellm_proxy_total_requests_metric" not in families
        assert value(families, "resilience4j_circuitbreaker_state", state="closed") == 4


def test_main_sim_prints_its_url_serves_and_stops_on_ctrl_c(tmp_path):
    env = {**os.environ, "SIM_TOKEN": "t0ken"}
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from aiops_tui.sim.server import main_sim; "
         "sys.exit(main_sim(sys.argv[1:]))", "--port", "0", "--convention", "otel",
         "--fault", "upstream_outage:openai/gpt-4o", "--token-env", "SIM_TOKEN"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = process.stdout.readline()
        url = line.split(" on ")[1].split()[0]
        with httpx.Client(timeout=5.0) as http:
            faults = http.get(f"{url}/faults", headers={"Authorization": "Bearer t0ken"}).json()
            assert faults["active"][0]["target"] == GPT4O
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        assert process.stderr.read() == ""
    finally:
        if process.poll() is None:
            process.kill()


def test_main_sim_explains_a_missing_token_variable_in_one_line():
    probe = ("import sys; from aiops_tui.errors import UserError; from aiops_tui.sim.server import "
             "main_sim\ntry:\n    main_sim(['--token-env', 'NO_SUCH_VAR_FOR_SIM'])\n"
             "except UserError as e:\n    print(e)")
    env = {k: v for k, v in os.environ.items() if k != "NO_SUCH_VAR_FOR_SIM"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                         timeout=20)
    assert out.stdout == "--token-env NO_SUCH_VAR_FOR_SIM: that environment variable is not set\n"


def test_a_posted_validation_drop_shows_in_the_next_scrape(sim, clock, client):
    clock.now += 60
    before = scrape(client, sim.url)
    posted = client.post(f"{sim.url}/faults", json={"fault": "validation_drop", "pass_ratio": 0.5})
    assert posted.status_code == 201
    assert posted.json()["injected"]["pass_ratio"] == 0.5
    assert posted.json()["injected"]["target"] is None  # every model
    clock.now += 15  # one scrape interval later
    after = scrape(client, sim.url)

    def grown(result: str) -> float:
        return (value(after, "aiops_validation_items", result=result)
                - value(before, "aiops_validation_items", result=result))

    passed, failed = grown("pass"), grown("fail")
    # ~4 responses/s for 15 s: some 60, half of them failing (one sigma about 0.065).
    assert passed + failed > 30 and 0.25 < passed / (passed + failed) < 0.75
    assert value(after, "aiops_review_queue_depth") >= value(before, "aiops_review_queue_depth") + 10
    assert value(after, "aiops_audit_log") == value(after, "aiops_processed") > 0
    truth = client.get(f"{sim.url}/truth").json()
    assert truth["review_queue_depth"] == value(after, "aiops_review_queue_depth")
    assert truth["validation_pass_ratio"] < 0.98
    status = client.get(f"{sim.url}/status")
    assert status.status_code == 200  # quality trouble degrades the gateway; it still serves
    assert status.json()["checks"]["validation:output"][0]["status"] == "warn"
    bad = client.post(f"{sim.url}/faults", json={"fault": "validation_drop", "pass_ratio": "half"})
    assert bad.status_code == 400 and "pass_ratio" in bad.json()["error"]


def test_a_stopped_sim_hangs_up_on_kept_alive_connections(clock, client):
    # A gateway whose process ends closes every connection: a client that kept one alive must not go on
    # reading the stopped sim's counters through it, or a restart on the same port would never show.
    first = SimServer(port=0, clock=clock).start()
    clock.now += 120
    assert value(scrape(client, first.url), "litellm_proxy_total_requests_metric") > 500
    first.stop()
    with pytest.raises(httpx.TransportError):
        client.get(f"{first.url}/status")
    with SimServer(port=first.port, clock=clock) as restarted:
        clock.now += 1
        assert value(scrape(client, restarted.url), "litellm_proxy_total_requests_metric") < 50
